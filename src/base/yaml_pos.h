/*
 * yaml_pos: where libyaml's parser stopped, as the 1-based line and column
 * a user sees in an editor. Callers: yaml_json.c and yaml_merge.c, to word
 * their "invalid YAML at line L column C" messages.
 *
 * libyaml's reader (invalid UTF-8, control characters, ...) reports only a
 * byte offset (problem_offset) and leaves problem_mark at 0:0; the scanner
 * and parser report a mark. For reader errors the position is computed by
 * scanning the input up to the offset: lines end at "\n", "\r\n" or "\r",
 * columns count UTF-8 characters (as libyaml's marks do). Input that libyaml
 * read as UTF-16 is scanned the same way (lines right, columns approximate).
 *
 * Pure; nothing allocated.
 */
#ifndef AG_YAML_POS_H
#define AG_YAML_POS_H

#include <stddef.h>

#include <yaml.h>

/* The error position of p, which parsed buf[0..len). */
void yaml_pos_error(const yaml_parser_t *p, const char *buf, size_t len,
    size_t *line, size_t *col);

/* The position of byte offset off in the UTF-8 text buf[0..len). */
void yaml_pos_offset(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col);

#endif
