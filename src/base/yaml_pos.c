/*
 * yaml_pos: libyaml error positions (see yaml_pos.h). One linear scan of the
 * input prefix, done only when an error is reported.
 */
#include "base/yaml_pos.h"

void
yaml_pos_offset(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i, l = 1, c = 1;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n' || (s[i] == '\r' &&
		    (i + 1 >= len || s[i + 1] != '\n'))) {
			l++;
			c = 1;
		} else if (s[i] != '\r' && (s[i] & 0xc0) != 0x80) {
			c++;	/* a character starts here */
		}
	}
	*line = l;
	*col = c;
}

void
yaml_pos_error(const yaml_parser_t *p, const char *buf, size_t len,
    size_t *line, size_t *col)
{
	if (p->error != YAML_READER_ERROR) {
		*line = p->problem_mark.line + 1;
		*col = p->problem_mark.column + 1;
		return;
	}
	yaml_pos_offset(buf, len, p->problem_offset, line, col);
}
