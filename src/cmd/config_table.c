/*
 * config_table: the table-driven flag parser behind config (see config.h and
 * config_int.h): reads argv and the environment into any destination struct
 * described by a table of struct config_flag rows, prints --help from the
 * same rows and renders the effective values as JSON for the startup log.
 * Used by config.c for the controller's flags and by front ends (dry-run)
 * with tables of their own. Never prints errors or exits: see config.h.
 */
#include "cmd/config.h"
#include "cmd/config_int.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"


/* State of one parse. */
struct parser {
	const struct config_flag *flags;
	size_t nflags;
	void *dst;
	bool *seen;		/* per row: given on the command line */
	struct err *e;
};

static void *
flag_field(const struct config_flag *f, void *dst)
{
	return (char *)dst + f->offset;
}

/*
 * v for a message, escaped (quotes, backslashes, control bytes) and cut at
 * about CONFIG_QUOTE_MAX bytes (never inside a UTF-8 sequence) so that an error
 * stays one readable line; in double quotes when quoted is true.
 */
static const char *
escape(const char *v, bool quoted, char out[CONFIG_QUOTE_BUF])
{
	size_t w = 0;

	if (quoted)
		out[w++] = '"';
	for (; *v != '\0' && w < CONFIG_QUOTE_MAX + 3; v++) {
		unsigned char c = (unsigned char)*v;

		/* Past the limit, only finish a multi-byte character. */
		if (w >= CONFIG_QUOTE_MAX && (c & 0xc0) != 0x80)
			break;

		if (c == '"' || c == '\\') {
			out[w++] = '\\';
			out[w++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			w += (size_t)snprintf(out + w, 5, "\\x%02x", c);
		} else {
			out[w++] = (char)c;
		}
	}
	if (*v != '\0') {
		memcpy(out + w, "...", 3);
		w += 3;
	}
	if (quoted)
		out[w++] = '"';
	out[w] = '\0';
	return out;
}

const char *
config_quote(const char *v, char out[CONFIG_QUOTE_BUF])
{
	return escape(v, true, out);
}

static int
set_string(char **field, const char *v, struct err *e)
{
	char *copy = strdup(v);

	if (copy == NULL)
		return err_set(e, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int
set_int(int *field, const char *v, struct err *e)
{
	char q[CONFIG_QUOTE_BUF], *end;
	long long n;

	if (!(*v == '-' || *v == '+' || (*v >= '0' && *v <= '9')))
		return err_set(e, "%s is not an integer", config_quote(v, q));
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || end == v)
		return err_set(e, "%s is not an integer", config_quote(v, q));
	if (errno == ERANGE || n < INT_MIN || n > INT_MAX)
		return err_set(e, "%s is out of range (%d to %d)", config_quote(v, q),
		    INT_MIN, INT_MAX);
	*field = (int)n;
	return 0;
}

/* Decimal or exponent notation (strconv.ParseFloat, bitSize 32), finite. */
static int
set_float(double *field, const char *v, struct err *e)
{
	char q[CONFIG_QUOTE_BUF], *end;
	double d;

	if (!(*v == '-' || *v == '+' || *v == '.' || (*v >= '0' && *v <= '9')))
		return err_set(e, "%s is not a number", config_quote(v, q));
	errno = 0;
	d = strtod(v, &end);
	if (*end != '\0' || end == v || isnan(d))
		return err_set(e, "%s is not a number", config_quote(v, q));
	if (errno == ERANGE || !isfinite(d) || fabs(d) > FLT_MAX)
		return err_set(e, "%s is out of range for a float32",
		    config_quote(v, q));
	*field = d;
	return 0;
}

/* The spellings Go's strconv.ParseBool accepts. */
int
config_bool_parse(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
	    "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
	    "False" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
set_bool(bool *field, const char *v, struct err *e)
{
	char q[CONFIG_QUOTE_BUF];

	if (config_bool_parse(v, field) < 0)
		return err_set(e, "%s is not a boolean (use true or false)",
		    config_quote(v, q));
	return 0;
}

static int
set_duration(int64_t *field, const char *v, struct err *e)
{
	char q[CONFIG_QUOTE_BUF];

	if (duration_parse(v, field, e) < 0)
		return err_prefix(e, "%s is not a valid duration", config_quote(v, q));
	return 0;
}

static int
set_enum(const char **field, const char *const *allowed, const char *v,
    struct err *e)
{
	char q[CONFIG_QUOTE_BUF], list[512];
	size_t i, w = 0;

	for (i = 0; allowed[i] != NULL; i++) {
		if (strcmp(v, allowed[i]) == 0) {
			*field = allowed[i];
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; allowed[i] != NULL && w < sizeof(list); i++)
		w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s",
		    i > 0 ? ", " : "", allowed[i]);
	return err_set(e, "%s is not one of %s", config_quote(v, q), list);
}

static int
list_append(struct config_list *list, const char *v, struct err *e)
{
	char **items, *copy;

	copy = strdup(v);
	items = realloc(list->items, (list->len + 1) * sizeof(*items));
	if (copy == NULL || items == NULL) {
		free(copy);
		if (items != NULL)
			list->items = items;
		return err_set(e, "out of memory");
	}
	items[list->len++] = copy;
	list->items = items;
	return 0;
}

void
config_list_free(struct config_list *list)
{
	size_t i;

	for (i = 0; i < list->len; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->len = 0;
}

/* Parses v by the row's type into its field; e gets the problem alone. */
static int
value_set(const struct config_flag *f, void *dst, const char *v,
    struct err *e)
{
	void *field = flag_field(f, dst);

	switch (f->type) {
	case CONFIG_STRING:
		return set_string(field, v, e);
	case CONFIG_INT:
		return set_int(field, v, e);
	case CONFIG_BOOL:
		return set_bool(field, v, e);
	case CONFIG_DURATION:
		return set_duration(field, v, e);
	case CONFIG_ENUM:
		return set_enum(field, f->allowed, v, e);
	case CONFIG_LIST:
		return list_append(field, v, e);
	case CONFIG_FLOAT:
		return set_float(field, v, e);
	}
	return err_set(e, "unsupported flag type");
}

/* Empties every field so that config_table_free is safe at any point. */
static void
fields_clear(const struct config_flag *flags, size_t nflags, void *dst)
{
	size_t i;

	for (i = 0; i < nflags; i++) {
		void *field = flag_field(&flags[i], dst);

		switch (flags[i].type) {
		case CONFIG_STRING:
			*(char **)field = NULL;
			break;
		case CONFIG_INT:
			*(int *)field = 0;
			break;
		case CONFIG_BOOL:
			*(bool *)field = false;
			break;
		case CONFIG_DURATION:
			*(int64_t *)field = 0;
			break;
		case CONFIG_ENUM:
			*(const char **)field = flags[i].allowed[0];
			break;
		case CONFIG_LIST:
			((struct config_list *)field)->items = NULL;
			((struct config_list *)field)->len = 0;
			break;
		case CONFIG_FLOAT:
			*(double *)field = 0;
			break;
		}
	}
}

/* Applies each row's default; a string without one becomes "". */
static int
defaults_apply(const struct config_flag *flags, size_t nflags, void *dst,
    struct err *e)
{
	const char *def;
	size_t i;

	for (i = 0; i < nflags; i++) {
		def = flags[i].def;
		if (def == NULL && flags[i].type == CONFIG_STRING)
			def = "";
		if (def == NULL)
			continue;
		if (value_set(&flags[i], dst, def, e) < 0)
			return err_prefix(e, "default of --%s", flags[i].name);
	}
	return 0;
}

const char *
config_env_get(char *const envp[], const char *name)
{
	size_t len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* A list from the environment: one item per comma-separated part. */
static int
env_list_set(const struct config_flag *f, void *dst, const char *v,
    struct err *e)
{
	char *copy, *item, *save = NULL;
	int rc = 0;

	copy = strdup(v);
	if (copy == NULL)
		return err_set(e, "out of memory");
	for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ",", &save))
		rc = value_set(f, dst, item, e);
	free(copy);
	return rc;
}

/* For each row absent from the command line, its variable if non-empty. */
static int
env_apply(struct parser *p, char *const envp[])
{
	const struct config_flag *f;
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < p->nflags; i++) {
		f = &p->flags[i];
		if (p->seen[i] || f->env == NULL)
			continue;
		v = config_env_get(envp, f->env);
		if (v == NULL || *v == '\0')
			continue;
		if (f->type == CONFIG_LIST) {
			config_list_free(flag_field(f, p->dst));
			rc = env_list_set(f, p->dst, v, p->e);
		} else {
			rc = value_set(f, p->dst, v, p->e);
		}
		if (rc < 0)
			return err_prefix(p->e, "--%s (from $%s)", f->name,
			    f->env);
	}
	return 0;
}

/* Sets a flag given on the command line as label (e.g. "--name", "-n"). */
static int
flag_apply(struct parser *p, const struct config_flag *f, const char *v,
    const char *label)
{
	size_t i = (size_t)(f - p->flags);

	/* The first command-line value of a list replaces its default. */
	if (f->type == CONFIG_LIST && !p->seen[i])
		config_list_free(flag_field(f, p->dst));
	p->seen[i] = true;
	if (value_set(f, p->dst, v, p->e) < 0)
		return err_prefix(p->e, "%s", label);
	return 0;
}

static const struct config_flag *
flag_by_name(const struct parser *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->nflags; i++)
		if (strlen(p->flags[i].name) == len &&
		    memcmp(p->flags[i].name, name, len) == 0)
			return &p->flags[i];
	return NULL;
}

static const struct config_flag *
flag_by_short(const struct parser *p, char c)
{
	size_t i;

	for (i = 0; i < p->nflags; i++)
		if (p->flags[i].short_name != 0 && p->flags[i].short_name == c)
			return &p->flags[i];
	return NULL;
}

/* Levenshtein distance between a (alen bytes) and b, for names of up to
 * NAME_MAX_CMP bytes; larger than any threshold otherwise. */
#define NAME_MAX_CMP 64
static size_t
name_distance(const char *a, size_t alen, const char *b)
{
	size_t prev[NAME_MAX_CMP + 1], cur[NAME_MAX_CMP + 1];
	size_t blen = strlen(b), i, j, best;

	if (alen > NAME_MAX_CMP || blen > NAME_MAX_CMP)
		return SIZE_MAX;
	for (j = 0; j <= blen; j++)
		prev[j] = j;
	for (i = 1; i <= alen; i++) {
		cur[0] = i;
		for (j = 1; j <= blen; j++) {
			best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		memcpy(prev, cur, (blen + 1) * sizeof(prev[0]));
	}
	return prev[blen];
}

/* The flag a mistyped name most likely meant (at most 3 edits, and fewer
 * than half the name), or NULL. */
static const struct config_flag *
flag_nearest(const struct parser *p, const char *name, size_t len)
{
	const struct config_flag *best = NULL;
	size_t i, d, best_d = 4;

	for (i = 0; i < p->nflags; i++) {
		d = name_distance(name, len, p->flags[i].name);
		if (d < best_d && d * 2 < len) {
			best = &p->flags[i];
			best_d = d;
		}
	}
	return best;
}

static int
unknown_long(struct parser *p, const char *name, size_t len)
{
	const struct config_flag *near = flag_nearest(p, name, len);
	char q[CONFIG_QUOTE_BUF], *n;

	n = strndup(name, len);
	if (n == NULL)
		return err_set(p->e, "out of memory");
	if (near != NULL)
		err_set(p->e, "--%s: unknown flag (did you mean --%s?)",
		    escape(n, false, q), near->name);
	else
		err_set(p->e, "--%s: unknown flag (see --help)",
		    escape(n, false, q));
	free(n);
	return -1;
}

/* argv[*i] is "--name[=value]"; a non-bool without '=' takes the next one. */
static int
parse_long(struct parser *p, int argc, char *const argv[], int *i)
{
	const char *name = argv[*i] + 2, *eq, *v;
	const struct config_flag *f;
	char label[128];
	size_t len;

	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if (len == 4 && memcmp(name, "help", 4) == 0)
		return CONFIG_HELP;
	f = flag_by_name(p, name, len);
	if (f == NULL)
		return unknown_long(p, name, len);
	snprintf(label, sizeof(label), "--%s", f->name);
	if (eq != NULL)
		v = eq + 1;
	else if (f->type == CONFIG_BOOL)
		v = "true";
	else if (*i + 1 < argc)
		v = argv[++*i];
	else
		return err_set(p->e, "%s: missing value", label);
	return flag_apply(p, f, v, label);
}

/*
 * argv[*i] is "-abc": bools in a row, then at most one flag with a value
 * taken from the rest ("-fFILE", "-f=FILE") or from the next argument.
 */
static int
parse_short(struct parser *p, int argc, char *const argv[], int *i)
{
	const char *s = argv[*i] + 1;
	const struct config_flag *f;
	char q[CONFIG_QUOTE_BUF], label[8], c[2] = { 0, 0 };
	int rc;

	while ((c[0] = *s++) != '\0') {
		if (c[0] == 'h')
			return CONFIG_HELP;
		f = flag_by_short(p, c[0]);
		if (f == NULL)
			return err_set(p->e, "-%s: unknown flag (see --help)",
			    escape(c, false, q));
		snprintf(label, sizeof(label), "-%c", c[0]);
		if (f->type == CONFIG_BOOL && *s != '=') {
			if ((rc = flag_apply(p, f, "true", label)) != 0)
				return rc;
			continue;
		}
		if (*s == '=')
			return flag_apply(p, f, s + 1, label);
		if (*s != '\0')
			return flag_apply(p, f, s, label);
		if (*i + 1 >= argc)
			return err_set(p->e, "%s: missing value", label);
		return flag_apply(p, f, argv[++*i], label);
	}
	return 0;
}

static int
args_walk(struct parser *p, int argc, char *const argv[],
    struct config_list *args)
{
	const char *a;
	int i, rc;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				if (list_append(args, argv[i], p->e) < 0)
					return -1;
			return 0;
		}
		if (a[0] == '-' && a[1] == '-')
			rc = parse_long(p, argc, argv, &i);
		else if (a[0] == '-' && a[1] != '\0')
			rc = parse_short(p, argc, argv, &i);
		else
			rc = list_append(args, a, p->e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
config_table_parse(const struct config_flag *flags, size_t nflags,
    void *dst, int argc, char *const argv[], char *const envp[],
    struct config_list *args, struct err *e)
{
	struct parser p = { flags, nflags, dst, NULL, e };
	int rc;

	fields_clear(flags, nflags, dst);
	args->items = NULL;
	args->len = 0;
	if (defaults_apply(flags, nflags, dst, e) < 0)
		return -1;
	p.seen = calloc(nflags > 0 ? nflags : 1, sizeof(*p.seen));
	if (p.seen == NULL)
		return err_set(e, "out of memory");
	rc = args_walk(&p, argc, argv, args);
	if (rc == CONFIG_OK)
		rc = env_apply(&p, envp);
	free(p.seen);
	return rc;
}

void
config_table_free(const struct config_flag *flags, size_t nflags, void *dst)
{
	size_t i;

	for (i = 0; i < nflags; i++) {
		void *field = flag_field(&flags[i], dst);

		if (flags[i].type == CONFIG_STRING) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (flags[i].type == CONFIG_LIST) {
			config_list_free(field);
		}
	}
}

/* ---- help ---- */

static const char *
type_name(enum config_type t)
{
	switch (t) {
	case CONFIG_STRING:
	case CONFIG_ENUM:
		return "string";
	case CONFIG_INT:
		return "int";
	case CONFIG_BOOL:
		return "";
	case CONFIG_DURATION:
		return "duration";
	case CONFIG_LIST:
		return "stringArray";
	case CONFIG_FLOAT:
		return "float32";
	}
	return "";
}

/* "  -f, --name type" / "      --name type" into out. */
static int
help_label(const struct config_flag *f, char *out, size_t cap)
{
	const char *t = type_name(f->type);

	if (f->short_name != 0)
		return snprintf(out, cap, "  -%c, --%s%s%s", f->short_name,
		    f->name, *t ? " " : "", t);
	return snprintf(out, cap, "      --%s%s%s", f->name, *t ? " " : "", t);
}

/* The default as Go's flag package shows it, or "" when it shows none. */
static void
help_default(const struct config_flag *f, char *out, size_t cap)
{
	char buf[DURATION_FMT_MAX];
	struct err e;
	int64_t ns;

	out[0] = '\0';
	if (f->def == NULL || f->def[0] == '\0')
		return;
	switch (f->type) {
	case CONFIG_STRING:
	case CONFIG_ENUM:
		snprintf(out, cap, "default \"%s\"", f->def);
		break;
	case CONFIG_DURATION:
		if (duration_parse(f->def, &ns, &e) == 0)
			snprintf(out, cap, "default %s",
			    duration_format(ns, buf));
		break;
	case CONFIG_BOOL:
		if (strcmp(f->def, "true") == 0)
			snprintf(out, cap, "default true");
		break;
	case CONFIG_INT:
	case CONFIG_LIST:
	case CONFIG_FLOAT:
		snprintf(out, cap, "default %s", f->def);
		break;
	}
}

static void
help_row(const struct config_flag *f, int width, FILE *out)
{
	char label[160], def[160];
	size_t i;

	help_label(f, label, sizeof(label));
	help_default(f, def, sizeof(def));
	fprintf(out, "%-*s   %s", width, label, f->help);
	if (f->type == CONFIG_ENUM) {
		fputs(" One of: ", out);
		for (i = 0; f->allowed[i] != NULL; i++)
			fprintf(out, "%s%s", i > 0 ? ", " : "", f->allowed[i]);
		fputc('.', out);
	}
	if (f->type == CONFIG_LIST)
		fputs(" Repeatable.", out);
	if (def[0] != '\0' || f->env != NULL)
		fprintf(out, " (%s%s%s%s)", def,
		    def[0] != '\0' && f->env != NULL ? ", " : "",
		    f->env != NULL ? "env " : "", f->env != NULL ? f->env : "");
	fputc('\n', out);
}

void
config_table_help(const struct config_flag *flags, size_t nflags,
    const char *usage, FILE *out)
{
	static const char help_lbl[] = "  -h, --help";
	char label[160];
	int width = (int)strlen(help_lbl), n;
	size_t i;

	for (i = 0; i < nflags; i++) {
		n = help_label(&flags[i], label, sizeof(label));
		if (n > width)
			width = n;
	}
	fprintf(out, "Usage: %s\n\nFlags:\n", usage);
	for (i = 0; i < nflags; i++)
		help_row(&flags[i], width, out);
	fprintf(out, "%-*s   Show this help and exit.\n", width, help_lbl);
}

/* ---- effective settings as JSON ---- */

/* A JSON string even for invalid UTF-8 (jansson refuses those). */
static json_t *
json_str(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("(invalid UTF-8)");
}

static json_t *
value_json(const struct config_flag *f, const void *dst)
{
	const void *field = (const char *)dst + f->offset;
	const struct config_list *list;
	char buf[DURATION_FMT_MAX];
	json_t *arr;
	size_t i;

	switch (f->type) {
	case CONFIG_STRING:
	case CONFIG_ENUM:
		return json_str(*(const char *const *)field);
	case CONFIG_INT:
		return json_integer(*(const int *)field);
	case CONFIG_BOOL:
		return json_boolean(*(const bool *)field);
	case CONFIG_DURATION:
		return json_string(duration_format(*(const int64_t *)field,
		    buf));
	case CONFIG_LIST:
		list = field;
		arr = json_array();
		for (i = 0; arr != NULL && i < list->len; i++)
			json_array_append_new(arr, json_str(list->items[i]));
		return arr;
	case CONFIG_FLOAT:
		return json_real(*(const double *)field);
	}
	return json_null();
}

json_t *
config_table_json(const struct config_flag *flags, size_t nflags,
    const void *dst)
{
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj != NULL && i < nflags; i++) {
		if (json_object_set_new(obj, flags[i].name,
		    value_json(&flags[i], dst)) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* ---- the advertised address ---- */

