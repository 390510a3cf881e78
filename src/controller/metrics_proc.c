/*
 * metrics_proc: the process collector's gauges (client_golang's names)
 * read from /proc/self at each rendering: CPU seconds, resident and
 * virtual memory, open and maximum descriptors, start time. Registered by
 * metrics_process_register; a collect hook of the registry refreshes them.
 * /proc reads are a few hundred bytes from the kernel, done on the loop.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "controller/metrics.h"

struct proc_metrics {
	struct metric *cpu, *rss, *vsize, *open_fds, *max_fds, *start;
	double boot_time;		/* btime of /proc/stat */
};

static double
boot_time(void)
{
	char line[256];
	double bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %lf", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/* Fields 14 (utime), 15 (stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat, counted after the command's closing parenthesis. */
static void
read_stat(struct proc_metrics *pm)
{
	char buf[1024], *p, *tok, *save;
	double tick = (double)sysconf(_SC_CLK_TCK), page;
	double v[25] = { 0 };
	ssize_t n;
	int fd, i;
	FILE *f = fopen("/proc/self/stat", "re");

	if (f == NULL)
		return;
	fd = fileno(f);
	n = read(fd, buf, sizeof(buf) - 1);
	fclose(f);
	if (n <= 0 || (buf[n] = '\0', p = strrchr(buf, ')')) == NULL)
		return;
	for (i = 3, tok = strtok_r(p + 1, " ", &save); tok != NULL && i < 25;
	    i++, tok = strtok_r(NULL, " ", &save))
		v[i] = strtod(tok, NULL);
	page = (double)sysconf(_SC_PAGESIZE);
	metric_set(pm->cpu, (v[14] + v[15]) / tick);
	metric_set(pm->start, pm->boot_time + v[22] / tick);
	metric_set(pm->vsize, v[23]);
	metric_set(pm->rss, v[24] * page);
}

static void
proc_collect(void *data, struct metrics *m)
{
	struct proc_metrics *pm = data;
	struct rlimit rl;

	(void)m;
	read_stat(pm);
	metric_set(pm->open_fds, open_fds());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metric_set(pm->max_fds, (double)rl.rlim_cur);
}

static struct metric *
gauge(struct metrics *m, enum metric_type t, const char *name,
    const char *help, struct err *e)
{
	struct metric_family *f;

	struct metric *s;

	f = metrics_family_new(m, t, name, help, NULL, NULL, 0, 1, e);
	if (f == NULL)
		return NULL;
	if ((s = metric_family_with(f)) == NULL)
		err_set(e, "metric %s: out of memory", name);
	return s;
}

int
metrics_process_register(struct metrics *m, struct err *e)
{
	struct proc_metrics *pm = calloc(1, sizeof(*pm));

	if (pm == NULL)
		return err_set(e, "metrics: out of memory");
	pm->boot_time = boot_time();
	if ((pm->cpu = gauge(m, METRIC_COUNTER, "process_cpu_seconds_total",
	    "Total user and system CPU time spent in seconds.", e)) == NULL ||
	    (pm->max_fds = gauge(m, METRIC_GAUGE, "process_max_fds",
	    "Maximum number of open file descriptors.", e)) == NULL ||
	    (pm->open_fds = gauge(m, METRIC_GAUGE, "process_open_fds",
	    "Number of open file descriptors.", e)) == NULL ||
	    (pm->rss = gauge(m, METRIC_GAUGE, "process_resident_memory_bytes",
	    "Resident memory size in bytes.", e)) == NULL ||
	    (pm->start = gauge(m, METRIC_GAUGE, "process_start_time_seconds",
	    "Start time of the process since unix epoch in seconds.",
	    e)) == NULL ||
	    (pm->vsize = gauge(m, METRIC_GAUGE, "process_virtual_memory_bytes",
	    "Virtual memory size in bytes.", e)) == NULL)
		goto fail;
	if (metrics_on_collect_owned(m, proc_collect, pm) < 0) {
		err_set(e, "metrics: too many collect hooks");
		goto fail;
	}
	return 0;
fail:
	free(pm);
	return -1;
}
