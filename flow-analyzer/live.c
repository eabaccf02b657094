/*
 * live.c - flow-analyzer --live: follow a growing exporter file across
 * rotation (tail -F), or run `hubble observe --follow -o jsonpb` (no
 * shell; in the Cilium agent pods through the Kubernetes API when there
 * is no local hubble), feed the analysis as lines arrive, keep the
 * report current
 * (redrawn on a terminal, served over HTTP with --visualize) and write
 * the final report when Ctrl-C (SIGINT) or SIGTERM ends the run.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilium_agent.h"
#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "fa.h"
#include "flow.h"
#include "flow_filter.h"
#include "flow_read.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "kube_client.h"
#include "kube_config.h"
#include "live_server.h"

volatile int fa_stop;

/* How often the report is refreshed (terminal redraw, web snapshot). */
#define FA_REFRESH_MS	1000
/* How often a followed file is checked for growth and rotation. */
#define FA_FOLLOW_MS	250

struct lsrc {
	int fd;
	const char *name;
	char *buf;
	size_t len, cap;
	uint64_t lineno;
	bool skipping;		/* inside an over-long line */
	struct flow_scratch *scratch;
	uint64_t bad;
	bool quiet;
};

static void
on_signal(int sig)
{
	(void)sig;
	fa_stop = 1;
}

void
fa_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: poll() and read() return EINTR so we stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
line(struct lsrc *ls, struct fa_sink *sink, const char *p, size_t n)
{
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int k;

	ls->lineno++;
	k = fa_parse_line(ls->scratch, p, n, ls->name, ls->lineno, &rec, eb,
	    sizeof(eb));
	if (k < 0) {
		if (!ls->quiet && ls->bad < 10)
			cli_warnx("%s (line skipped)", eb);
		ls->bad++;
		return;
	}
	if (k > 0)
		fa_sink_record(sink, &rec);
}

/*
 * Read what fd has and process complete lines.  Returns bytes read
 * (0 at EOF), or -1 on error (errno set; EAGAIN/EINTR are not errors
 * for the caller's loop).
 */
static ssize_t
pump(struct lsrc *ls, struct fa_sink *sink)
{
	char *nl, *start, *nb;
	size_t ncap, used;
	ssize_t r;

	if (ls->cap - ls->len < 65536) {
		ncap = ls->cap ? ls->cap * 2 : 262144;
		if (ncap > FLOW_READ_MAX_LINE + 65536)
			ncap = FLOW_READ_MAX_LINE + 65536;
		if (ncap > ls->cap) {
			if ((nb = realloc(ls->buf, ncap)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			ls->buf = nb;
			ls->cap = ncap;
		}
	}
	r = read(ls->fd, ls->buf + ls->len, ls->cap - ls->len);
	if (r <= 0)
		return r;
	ls->len += (size_t)r;
	start = ls->buf;
	while ((nl = memchr(start, '\n', ls->len - (size_t)(start -
	    ls->buf))) != NULL) {
		if (ls->skipping) {
			ls->skipping = false;
			ls->lineno++;
		} else {
			line(ls, sink, start, (size_t)(nl - start));
		}
		start = nl + 1;
	}
	used = (size_t)(start - ls->buf);
	memmove(ls->buf, start, ls->len - used);
	ls->len -= used;
	if (ls->len >= FLOW_READ_MAX_LINE) {
		if (!ls->skipping)
			cli_warnx("%s:%" PRIu64 ": line longer than %zu bytes "
			    "(skipped)", ls->name, ls->lineno + 1,
			    (size_t)FLOW_READ_MAX_LINE);
		ls->skipping = true;
		ls->len = 0;
	}
	return r;
}

/* Refresh what the user sees: terminal redraw and the web snapshot. */
static void
refresh(const struct fa_opts *o, struct fa_sink *sink, FILE *out,
    struct live_server *srv, bool redraw, uint64_t *last_matched)
{
	struct flow_stats_text_opts to;

	if (fa_sink_matched(sink) == *last_matched)
		return;
	*last_matched = fa_sink_matched(sink);
	if (srv != NULL)
		live_server_update(srv, fa_sink_stats(sink), o->top);
	if (redraw) {
		to.top = o->top;
		to.utf8 = cli_use_utf8(out);
		fputs("\033[H\033[2J", out);
		flow_stats_print_text(out, fa_sink_stats(sink), &to);
		fprintf(out, "\n(live; Ctrl-C ends with the final report)\n");
		fflush(out);
	}
}

static bool
hubble_on_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];
	const char *p, *e;
	size_t n;

	if (path == NULL)
		return false;
	for (p = path; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || n + sizeof("/hubble") > sizeof(buf))
			continue;
		memcpy(buf, p, n);
		memcpy(buf + n, "/hubble", sizeof("/hubble"));
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* argv for hubble with our filters passed on (we filter again too). */
static char **
hubble_argv(const struct fa_opts *o)
{
	static const struct { int kind; const char *flag; } map[] = {
		{ FLOW_FILTER_NAMESPACE, "--namespace" },
		{ FLOW_FILTER_POD, "--pod" },
		{ FLOW_FILTER_FROM_POD, "--from-pod" },
		{ FLOW_FILTER_TO_POD, "--to-pod" },
		{ FLOW_FILTER_VERDICT, "--verdict" },
		{ FLOW_FILTER_PORT, "--port" },
		{ FLOW_FILTER_LABEL, "--label" },
	};
	const char *const *v;
	char **argv;
	size_t n, i, j, k = 0, total = 8;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		flow_filter_values(o->filter, map[i].kind, &n);
		total += 2 * n;
	}
	if ((argv = calloc(total, sizeof(*argv))) == NULL)
		return NULL;
	argv[k++] = (char *)"hubble";
	argv[k++] = (char *)"observe";
	argv[k++] = (char *)"--follow";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)"jsonpb";
	if (o->since != NULL) {
		argv[k++] = (char *)"--since";
		argv[k++] = (char *)o->since;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		v = flow_filter_values(o->filter, map[i].kind, &n);
		for (j = 0; j < n; j++) {
			argv[k++] = (char *)map[i].flag;
			argv[k++] = (char *)v[j];
		}
	}
	argv[k] = NULL;
	return argv;
}

static pid_t
spawn_hubble(const struct fa_opts *o, int *fd)
{
	char **argv;
	int p[2];
	pid_t pid;

	if ((argv = hubble_argv(o)) == NULL)
		return -1;
	if (pipe(p) < 0) {
		free(argv);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		signal(SIGINT, SIG_IGN);	/* we stop it with SIGTERM */
		execvp("hubble", argv);
		_exit(127);
	}
	free(argv);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*fd = p[0];
	return pid;
}

/* The cluster side of --live: the agents' hubble, merged by time. */
struct agents {
	struct kube_config *cfg;
	struct kube_client *cl;
	struct cilium_agent_stream *st;
	FILE *fp;
};

/* Live records are held this long to merge the agents in time order. */
#define FA_REORDER_MS	1000

static int
open_agents(const struct fa_opts *o, struct agents *a)
{
	struct kube_config_opts co = { 0 };
	struct cilium_agent_opts ao = { 0 };
	const char *const *ns;
	char **argv, eb[CILKIT_ERRBUF_SIZE];
	size_t i, k = 0, nns;
	int r;

	memset(a, 0, sizeof(*a));
	co.kubeconfig = o->kubeconfig;
	co.context = o->context;
	if ((r = kube_config_load(&co, &a->cfg, eb, sizeof(eb))) < 0) {
		cli_warnx("--live needs --input FILE --follow, hubble on PATH, "
		    "or a cluster to ask: %s", eb);
		return r == CILKIT_ENOTFOUND ? CILKIT_EXIT_USAGE :
		    CILKIT_EXIT_CLUSTER;
	}
	if (a->cfg->warning != NULL)
		cli_warnx("warning: %s", a->cfg->warning);
	if ((r = kube_client_new(a->cfg, &a->cl, eb, sizeof(eb))) < 0) {
		cli_warnx("%s", eb);
		return CILKIT_EXIT_CLUSTER;
	}
	/* hubble's arguments without "hubble observe" and "-o jsonpb" */
	if ((argv = hubble_argv(o)) == NULL)
		return CILKIT_EXIT_IO;
	for (i = 2; argv[i] != NULL; i++) {
		if (strcmp(argv[i], "-o") == 0 && argv[i + 1] != NULL &&
		    strcmp(argv[i + 1], "jsonpb") == 0) {
			i++;
			continue;
		}
		argv[k++] = argv[i];
	}
	argv[k] = NULL;
	ao.tool = CILIUM_AGENT_HUBBLE;
	ao.args = (const char *const *)argv;
	/* one namespace: only the nodes that run its pods */
	ns = flow_filter_values(o->filter, FLOW_FILTER_NAMESPACE, &nns);
	if (nns == 1)
		ao.ns = ns[0];
	ao.reorder_ms = FA_REORDER_MS;
	ao.cancel = (const volatile sig_atomic_t *)&fa_stop;
	r = cilium_agent_open(a->cl, &ao, &a->st, &a->fp, eb, sizeof(eb));
	free(argv);
	if (r < 0) {
		cli_warnx("cannot ask the Cilium agents: %s", eb);
		return CILKIT_EXIT_CLUSTER;
	}
	if (!o->quiet)
		cli_warnx("following hubble in %d Cilium agent pod%s", r,
		    r == 1 ? "" : "s");
	return CILKIT_EXIT_OK;
}

/* Stop the agents; an exit code for their failures. */
static int
close_agents(struct agents *a, bool stopped)
{
	char eb[CILKIT_ERRBUF_SIZE];
	int r = 0, rc = CILKIT_EXIT_OK;

	if (a->st != NULL)
		r = cilium_agent_close(a->st, a->fp, NULL, eb, sizeof(eb));
	if (r < 0 && !stopped) {
		cli_warnx("hubble in the Cilium agents failed:\n%s", eb);
		rc = CILKIT_EXIT_REMOTE;
	}
	kube_client_free(a->cl);
	kube_config_free(a->cfg);
	memset(a, 0, sizeof(*a));
	return rc;
}

/* For tail -F: has path been replaced or truncated under us? */
static int
follow_check(const char *path, int fd, off_t pos)
{
	struct stat a, b;

	if (stat(path, &a) < 0)
		return 0;		/* gone: keep the old one, wait */
	if (fstat(fd, &b) < 0)
		return 1;
	if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return 1;		/* rotated: reopen */
	if (a.st_size < pos)
		return 2;		/* truncated: read from the start */
	return 0;
}

int
fa_live_run(const struct fa_opts *o)
{
	struct lsrc ls;
	struct fa_sink *sink = NULL;
	struct live_server *srv = NULL;
	struct pollfd pfd;
	FILE *out;
	pid_t child = -1;
	int64_t next_refresh;
	uint64_t last_matched = UINT64_MAX;
	bool follow = o->follow, redraw, eof = false;
	off_t pos = 0;
	ssize_t r;
	int rc = CILKIT_EXIT_OK, st, chk;
	char eb[CILKIT_ERRBUF_SIZE];
	struct agents ag;
	bool use_agents;

	memset(&ls, 0, sizeof(ls));
	memset(&ag, 0, sizeof(ag));
	ls.fd = -1;
	ls.quiet = o->quiet;
	use_agents = !follow && !hubble_on_path();
	if ((ls.scratch = flow_scratch_new()) == NULL) {
		cli_warnx("out of memory");
		return CILKIT_EXIT_IO;
	}
	if ((out = fa_open_output(o)) == NULL) {
		flow_scratch_free(ls.scratch);
		return CILKIT_EXIT_IO;
	}
	if ((sink = fa_sink_new(o, out)) == NULL) {
		cli_warnx("out of memory");
		rc = CILKIT_EXIT_IO;
		goto out;
	}
	/* a pipe downstream sees each flow line at once */
	fa_sink_set_flush(sink, true);
	redraw = o->export_fmt == FA_EXPORT_NONE && !o->visualize &&
	    isatty(fileno(out));
	fa_catch_stop_signals();
	if (o->visualize) {
		srv = live_server_start(o->listen, eb, sizeof(eb));
		if (srv == NULL) {
			cli_warnx("--listen %s: %s", o->listen, eb);
			rc = CILKIT_EXIT_IO;
			goto out;
		}
		cli_warnx("serving the live report on %s",
		    live_server_url(srv));
		live_server_update(srv, fa_sink_stats(sink), o->top);
	}
	if (follow) {
		ls.name = o->inputs[0];
		ls.fd = open(ls.name, O_RDONLY | O_CLOEXEC);
		if (ls.fd < 0 && errno != ENOENT) {
			cli_warnx("%s: cannot open: %s", ls.name,
			    strerror(errno));
			rc = CILKIT_EXIT_USAGE;
			goto out;
		}
	} else if (use_agents) {
		if ((rc = open_agents(o, &ag)) != CILKIT_EXIT_OK) {
			(void)close_agents(&ag, true);
			goto out;
		}
		ls.name = "cilium agents";
		ls.fd = fileno(ag.fp);
	} else {
		ls.name = "hubble";
		child = spawn_hubble(o, &ls.fd);
		if (child < 0) {
			cli_warnx("cannot run hubble: %s", strerror(errno));
			rc = CILKIT_EXIT_IO;
			goto out;
		}
	}
	next_refresh = now_ms();
	while (!fa_stop) {
		if (now_ms() >= next_refresh) {
			refresh(o, sink, out, srv, redraw, &last_matched);
			next_refresh = now_ms() + FA_REFRESH_MS;
		}
		if (ls.fd < 0) {
			/* tail -F: the file does not exist (yet) */
			ls.fd = open(ls.name, O_RDONLY | O_CLOEXEC);
			if (ls.fd < 0) {
				poll(NULL, 0, FA_FOLLOW_MS);
				continue;
			}
			pos = 0;
		}
		if (follow) {
			r = pump(&ls, sink);
			if (r > 0) {
				pos += r;
				continue;
			}
			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				cli_warnx("%s: read error: %s", ls.name,
				    strerror(errno));
				rc = CILKIT_EXIT_IO;
				break;
			}
			chk = follow_check(ls.name, ls.fd, pos);
			if (chk == 1) {
				/* drained the old file: switch to the new */
				close(ls.fd);
				ls.fd = open(ls.name, O_RDONLY | O_CLOEXEC);
				pos = 0;
				ls.len = 0;
				ls.skipping = false;
				continue;
			}
			if (chk == 2) {
				lseek(ls.fd, 0, SEEK_SET);
				pos = 0;
				ls.len = 0;
				continue;
			}
			poll(NULL, 0, FA_FOLLOW_MS);
			continue;
		}
		pfd.fd = ls.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, FA_REFRESH_MS) <= 0)
			continue;
		r = pump(&ls, sink);
		if (r == 0) {
			eof = true;
			break;
		}
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			cli_warnx("hubble: read error: %s", strerror(errno));
			rc = CILKIT_EXIT_IO;
			break;
		}
	}
	if (ls.len > 0 && !ls.skipping)
		line(&ls, sink, ls.buf, ls.len);	/* unterminated last */
	if (child > 0) {
		if (!eof)
			kill(child, SIGTERM);
		if (waitpid(child, &st, 0) == child && eof && !fa_stop) {
			if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
				cli_warnx("hubble exited with status %d",
				    WEXITSTATUS(st));
				rc = CILKIT_EXIT_REMOTE;
			} else if (WIFSIGNALED(st)) {
				cli_warnx("hubble killed by signal %d",
				    WTERMSIG(st));
				rc = CILKIT_EXIT_REMOTE;
			}
		}
	}
	if (use_agents && ag.st != NULL) {
		ls.fd = -1;	/* closed with the stream */
		st = close_agents(&ag, fa_stop != 0);
		if (rc == CILKIT_EXIT_OK)
			rc = st;
	}
	if (ls.bad > 10 && !o->quiet)
		cli_warnx("%" PRIu64 " lines skipped in all", ls.bad);
	live_server_stop(srv);
	srv = NULL;
	if (redraw)
		fputs("\033[H\033[2J", out);
	if (rc == CILKIT_EXIT_OK)
		rc = fa_sink_finish(sink);
out:
	live_server_stop(srv);
	if (ls.fd >= 0)
		close(ls.fd);
	free(ls.buf);
	flow_scratch_free(ls.scratch);
	fa_sink_free(sink);
	return fa_close_output(o, out, rc);
}
