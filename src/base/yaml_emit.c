/*
 * yaml_emit: libyaml emitter into a bounded memory buffer (see yaml_emit.h).
 */
#include "base/yaml_emit.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

static int
yaml_emit_write(void *ctx, unsigned char *buffer, size_t size)
{
	struct yaml_emit *y = ctx;

	if (y->max != 0 && y->len + size > y->max) {
		y->full = true;
		return 0;
	}
	return bytes_append(&y->buf, &y->len, &y->cap, 4096, 0, buffer,
	    size) == 0;
}

/* Emits ev; on failure the message says why (bound, memory, libyaml). */
static int
yaml_emit_event(struct yaml_emit *y, yaml_event_t *ev, struct err *e)
{
	if (yaml_emitter_emit(&y->em, ev))
		return 0;
	if (y->full)
		return err_set(e, "cannot emit YAML: output larger than %zu "
		    "bytes", y->max);
	return err_set(e, "cannot emit YAML: %s",
	    y->em.problem ? y->em.problem : "out of memory");
}

int
yaml_emit_open(struct yaml_emit *y, size_t max, struct err *e)
{
	yaml_event_t ev;

	memset(y, 0, sizeof(*y));
	y->max = max;
	if (!yaml_emitter_initialize(&y->em))
		return err_set(e, "cannot emit YAML: out of memory");
	yaml_emitter_set_output(&y->em, yaml_emit_write, y);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_emitter_set_width(&y->em, -1);
	yaml_emitter_set_indent(&y->em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_doc_start(struct yaml_emit *y, bool implicit, struct err *e)
{
	yaml_event_t ev;

	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, implicit);
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_doc_end(struct yaml_emit *y, struct err *e)
{
	yaml_event_t ev;

	yaml_document_end_event_initialize(&ev, 1);
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_scalar(struct yaml_emit *y, const char *tag, const char *text,
    size_t len, yaml_scalar_style_t style, struct err *e)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag,
	    (yaml_char_t *)text, (int)len, tag == NULL, tag == NULL, style))
		return err_set(e, "cannot emit YAML: out of memory");
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_collection_start(struct yaml_emit *y, bool map, struct err *e)
{
	yaml_event_t ev;

	if (map)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_collection_end(struct yaml_emit *y, bool map, struct err *e)
{
	yaml_event_t ev;

	if (map)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	return yaml_emit_event(y, &ev, e);
}

int
yaml_emit_close(struct yaml_emit *y, char **out, size_t *len,
    struct err *e)
{
	yaml_event_t ev;

	yaml_stream_end_event_initialize(&ev);
	if (yaml_emit_event(y, &ev, e) != 0) {
		yaml_emit_abort(y);
		return -1;
	}
	if (y->buf == NULL && yaml_emit_write(y, (unsigned char *)"", 0) == 0) {
		yaml_emit_abort(y);
		return err_set(e, "cannot emit YAML: out of memory");
	}
	yaml_emitter_delete(&y->em);
	*out = y->buf;
	*len = y->len;
	y->buf = NULL;
	return 0;
}

void
yaml_emit_abort(struct yaml_emit *y)
{
	yaml_emitter_delete(&y->em);
	free(y->buf);
	y->buf = NULL;
}
