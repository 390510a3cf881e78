/*
 * bytes: the growing heap byte buffer (see bytes.h).
 */
#include "base/bytes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
bytes_append(char **buf, size_t *len, size_t *cap, size_t first,
    size_t max, const void *s, size_t n)
{
	size_t need, c;
	char *p;

	if (n > SIZE_MAX - *len - 1)
		return -1;
	need = *len + n + 1;
	if (max != 0 && need > max)
		return -1;
	if (need > *cap) {
		for (c = *cap ? *cap : first ? first : 64; c < need;)
			c = c > SIZE_MAX / 2 ? need : c * 2;
		if (max != 0 && c > max)
			c = max;
		if ((p = realloc(*buf, c)) == NULL)
			return -1;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}
