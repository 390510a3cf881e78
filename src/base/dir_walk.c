/*
 * dir_walk: the iterative sorted walk (see dir_walk.h). One frame per open
 * directory: its descriptor, its sorted names, the next index and the
 * length of its path in the shared rel buffer.
 */
#include "base/dir_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Entries listed per directory at most (as copy_fs's listings). */
#define DIR_WALK_LIST_MAX 1000000

struct dw_frame {
	int fd;
	char **names;
	size_t n, next;
	size_t rlen;		/* strlen of this directory's rel */
};

struct dw_state {
	const struct dir_walk_opts *o;
	struct dw_frame stack[TREE_DEPTH_MAX + 1];
	size_t depth;		/* frames in use */
	char rel[DIR_WALK_PATH_MAX];
};

static int
dw_push(struct dw_state *s, int fd, size_t rlen, struct err *e)
{
	struct dw_frame *f = &s->stack[s->depth];
	size_t budget = DIR_WALK_LIST_MAX;

	s->rel[rlen] = '\0';
	f->fd = fd;
	f->next = 0;
	f->rlen = rlen;
	if (dir_list_sorted_by(fd, rlen ? s->rel : ".", s->o->skip_hidden,
	    &budget, s->o->cmp ? s->o->cmp : strcmp, &f->names, &f->n,
	    e) != 0) {
		close(fd);
		return -1;
	}
	s->depth++;
	return 0;
}

static void
dw_pop(struct dw_state *s)
{
	struct dw_frame *f = &s->stack[--s->depth];

	dir_list_free(f->names, f->n);
	close(f->fd);
}

/* Appends name to the current directory's rel; *len gets the new length. */
static int
dw_rel_set(struct dw_state *s, const struct dw_frame *f, const char *name,
    size_t *len, struct err *e)
{
	size_t nlen = strlen(name), sep = f->rlen ? 1 : 0;

	s->rel[f->rlen] = '\0';
	if (f->rlen + sep + nlen >= sizeof(s->rel))
		return err_set(e, "path '%s/%s' is longer than %d bytes",
		    s->rel, name, DIR_WALK_PATH_MAX - 1);
	if (sep)
		s->rel[f->rlen] = '/';
	memcpy(s->rel + f->rlen + sep, name, nlen + 1);
	*len = f->rlen + sep + nlen;
	return 0;
}

/* Visits the next entry of the top frame, descending when asked. */
static int
dw_step(struct dw_state *s, struct err *e)
{
	struct dw_frame *f = &s->stack[s->depth - 1];
	const char *name = f->names[f->next++];
	struct dir_walk_entry ent;
	struct stat st;
	size_t len = 0;
	int rc, fd;

	if (cancel_requested(s->o->cancel))
		return err_set(e, "cancelled");
	if (dw_rel_set(s, f, name, &len, e) != 0)
		return -1;
	if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "stat '%s'",
		    s->rel);
	ent = (struct dir_walk_entry){ .dirfd = f->fd, .name = name,
	    .rel = s->rel, .st = &st, .depth = s->depth - 1 };
	rc = s->o->visit(s->o->ctx, &ent, e);
	if (rc != 0 || !S_ISDIR(st.st_mode))
		return rc < 0 ? -1 : 0;
	if (s->depth > TREE_DEPTH_MAX)
		return err_set(e, "'%s' is nested deeper than %d levels",
		    s->rel, TREE_DEPTH_MAX);
	fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open directory '%s'", s->rel);
	return dw_push(s, fd, len, e);
}

int
dir_walk(int root_fd, const struct dir_walk_opts *o, struct err *e)
{
	struct dw_state *s;
	const char *prefix = o->prefix ? o->prefix : "";
	size_t plen = strlen(prefix);
	int fd, rc = 0;

	if (plen >= DIR_WALK_PATH_MAX)
		return err_set(e, "path '%.64s...' is too long", prefix);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, "out of memory walking '%s'", prefix);
	s->o = o;
	memcpy(s->rel, prefix, plen + 1);
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = err_sys(e, errno, "open directory '%s'",
		    plen ? prefix : ".");
	else
		rc = dw_push(s, fd, plen, e);
	while (rc == 0 && s->depth > 0) {
		struct dw_frame *f = &s->stack[s->depth - 1];

		if (f->next == f->n)
			dw_pop(s);
		else
			rc = dw_step(s, e);
	}
	while (s->depth > 0)
		dw_pop(s);
	free(s);
	return rc;
}
