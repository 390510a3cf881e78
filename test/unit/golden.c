/*
 * golden: loads the dirhash golden vectors and writes their trees (see
 * golden.h). Base64 is decoded here (RFC 4648, standard alphabet, padded).
 */
#include "testutil.h"
#include "golden.h"

#include <stdlib.h>
#include <string.h>

json_t *
golden_load(void)
{
	json_error_t je;
	json_t *doc = json_load_file(GOLDEN_DIRHASH, 0, &je);

	if (doc == NULL)
		fail_msg("%s: %s (line %d)", GOLDEN_DIRHASH, je.text, je.line);
	return doc;
}

json_t *
golden_vectors(json_t *doc)
{
	json_t *vectors = json_object_get(doc, "vectors");

	if (!json_is_array(vectors) || json_array_size(vectors) == 0)
		fail_msg("%s: no \"vectors\" array", GOLDEN_DIRHASH);
	return vectors;
}

static int
b64_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/* Decodes text into a malloc'd buffer; *len its size. */
static unsigned char *
b64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text), o = 0;
	unsigned char *out = malloc(n / 4 * 3 + 1);

	if (out == NULL || n % 4 != 0)
		fail_msg("base64: bad length %zu", n);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = text[i + k] == '=' ? 0 : b64_value(text[i + k]);
			if (v[k] < 0)
				fail_msg("base64: bad character at %zu", i + k);
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (text[i + 2] != '=')
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (text[i + 3] != '=')
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*len = o;
	return out;
}

void
golden_write_tree(json_t *v, const char *dir)
{
	json_t *files = json_object_get(v, "files"), *content;
	const char *path;

	if (!json_is_object(files))
		fail_msg("%s: vector without \"files\"", GOLDEN_DIRHASH);
	json_object_foreach(files, path, content) {
		size_t len;
		unsigned char *data;

		if (!json_is_string(content))
			fail_msg("%s: '%s' is not a string", GOLDEN_DIRHASH, path);
		data = b64_decode(json_string_value(content), &len);
		tu_write(dir, path, data, len);
		free(data);
	}
}

static const char *
golden_str(json_t *v, const char *key)
{
	json_t *s = json_object_get(v, key);

	if (!json_is_string(s))
		fail_msg("%s: vector without \"%s\"", GOLDEN_DIRHASH, key);
	return json_string_value(s);
}

const char *
golden_artifact(json_t *v)
{
	return golden_str(v, "artifact");
}

const char *
golden_filename(json_t *v)
{
	return golden_str(v, "filename");
}
