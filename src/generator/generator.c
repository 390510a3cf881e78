/*
 * generator: ownership helpers of the model (generator.h): freeing a
 * generator, an artifact, a key/value list, and looking up a source by alias.
 */
#include "generator/generator.h"

#include <stdlib.h>
#include <string.h>

void
kv_list_free(struct kv_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->len; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

static void
gen_copy_free(struct gen_copy *c)
{
	free(c->from);
	free(c->to);
	for (size_t i = 0; i < c->n_exclude; i++)
		free(c->exclude[i]);
	free(c->exclude);
}

void
gen_artifact_free(struct gen_artifact *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->revision);
	free(a->origin_revision);
	for (size_t i = 0; i < a->n_copy; i++)
		gen_copy_free(&a->copy[i]);
	free(a->copy);
	kv_list_free(&a->captures);
	memset(a, 0, sizeof(*a));
}

void
generator_free(struct generator *g)
{
	if (g == NULL)
		return;
	free(g->name);
	free(g->namespace);
	free(g->uid);
	for (size_t i = 0; i < g->n_sources; i++) {
		free(g->sources[i].alias);
		free(g->sources[i].kind);
		free(g->sources[i].name);
		free(g->sources[i].namespace);
	}
	free(g->sources);
	free(g->path_pattern);
	kv_list_free(&g->labels);
	kv_list_free(&g->annotations);
	for (size_t i = 0; i < g->n_artifacts; i++)
		gen_artifact_free(&g->artifacts[i]);
	free(g->artifacts);
	memset(g, 0, sizeof(*g));
}

const struct gen_source *
generator_source(const struct generator *g, const char *alias)
{
	for (size_t i = 0; i < g->n_sources; i++)
		if (strcmp(g->sources[i].alias, alias) == 0)
			return &g->sources[i];
	return NULL;
}
