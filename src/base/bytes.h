/*
 * bytes: the growing heap byte buffer that several parsers and printers
 * append to (request heads, URLs, the metrics text, the YAML emitter). One
 * function; the caller owns the buffer and frees it with free(). Pure.
 */
#ifndef AG_BYTES_H
#define AG_BYTES_H

#include <stddef.h>

/*
 * Appends n bytes of s to *buf (*len in use, *cap allocated), keeping it
 * NUL-terminated; the capacity starts at `first` and doubles, never beyond
 * max when max is not 0. -1, nothing appended, when len + n + 1 would exceed
 * max or on allocation failure.
 */
int bytes_append(char **buf, size_t *len, size_t *cap, size_t first,
    size_t max, const void *s, size_t n);

#endif
