/*
 * input.c - analyze-drops' inputs: open each --input (or stdin), sniff
 * flow lines vs. cilium monitor output vs. things we cannot read, feed
 * the records to the aggregation, and report skipped lines.  With no
 * input and a terminal on stdin, run `hubble observe` (no shell) when
 * it is on PATH, else ask the Cilium agents in the cluster through the
 * Kubernetes API (lib/cilium_agent.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cilium_agent.h"
#include "cilium_monitor.h"
#include "cilkit.h"
#include "cilkit_lines.h"
#include "cli.h"
#include "exitcodes.h"
#include "flow_quick.h"
#include "flow_read.h"
#include "kube_client.h"
#include "kube_config.h"
#include "report.h"
#include "report_drops.h"

#include "analyze.h"

/* Bytes read before choosing a reader. */
#define SNIFF_BYTES	4096
/* Messages per input before only counting. */
#define MAX_MESSAGES	10

int
analyze_add_input(struct analyze_inputs *in, const char *path)
{
	if (in->n >= ANALYZE_MAX_INPUTS)
		return -1;
	in->paths[in->n++] = path;
	return 0;
}

void
analyze_free_inputs(struct analyze_inputs *in)
{
	(void)in;
}

/*
 * Read up to n bytes, retrying short reads from pipes, and reads a
 * signal interrupted unless *cancel (may be NULL) was set.
 */
static size_t
read_prefix(FILE *fp, char *buf, size_t n,
    const volatile sig_atomic_t *cancel)
{
	size_t got = 0, k;

	while (got < n) {
		k = fread(buf + got, 1, n - got, fp);
		got += k;
		if (ferror(fp) && errno == EINTR) {
			clearerr(fp);
			if (cancel != NULL && *cancel)
				break;
			continue;
		}
		if (k == 0)
			break;
	}
	return got;
}

struct stream_stats {
	uint64_t skipped, records;
	const volatile sig_atomic_t *cancel;	/* NULL: not cancellable */
	int cancelled;
};

/*
 * Ctrl-C or SIGTERM while reading a pipe the user gave (which may never
 * end: a FIFO, a follower in another process group) ends that input;
 * the report covers what was read.
 */
static volatile sig_atomic_t input_stop;

static void
on_input_signal(int sig)
{
	(void)sig;
	input_stop = 1;
}

/* A bad line: message (the first MAX_MESSAGES), count. */
static void
bad_line(struct stream_stats *st, const char *msg)
{
	st->skipped++;
	if (st->skipped <= MAX_MESSAGES)
		cli_warnx("%s", msg);
}

/*
 * Flow lines.  Each line is first offered to the drop prefilter
 * (flow_quick.h): lines that cannot hold a drop are counted and not
 * parsed, which is most of the input; the rest are parsed in full and
 * their errors reported with the file and line.
 */
static void
read_flow_lines(FILE *fp, const char *name, const char *prefix, size_t n,
    struct report_drops *d, struct stream_stats *st)
{
	struct cilkit_lines *lr;
	struct flow_scratch *sc;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE], msg[CILKIT_ERRBUF_SIZE + 300];
	uint64_t quick = 0;
	size_t len, i;
	char *line;
	int rc;

	lr = cilkit_lines_new(fp, FLOW_READ_MAX_LINE, prefix, n);
	sc = flow_scratch_new();
	if (lr == NULL || sc == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (st->cancel != NULL)
		cilkit_lines_set_cancel(lr, st->cancel);
	while ((rc = cilkit_lines_next(lr, &line, &len)) != 0) {
		if (rc == CILKIT_EIO) {
			snprintf(msg, sizeof(msg), "%s: read error", name);
			bad_line(st, msg);
			break;
		}
		if (rc == CILKIT_ETOOBIG) {
			snprintf(msg, sizeof(msg), "%s:%zu: line longer than "
			    "%zu bytes, skipped", name,
			    cilkit_lines_lineno(lr), FLOW_READ_MAX_LINE);
			bad_line(st, msg);
			continue;
		}
		if (cilkit_lines_lineno(lr) == 1 && len >= 3 &&
		    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
		}
		for (i = 0; i < len; i++)
			if (line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '\r')
				break;
		if (i == len)
			continue;	/* blank */
		if (!flow_quick_maybe_dropped(line, len) &&
		    !flow_quick_lost(line, len)) {
			quick++;
			continue;
		}
		rc = flow_parse_line(sc, line, len, &rec, eb, sizeof(eb));
		if (rc == CILKIT_ENOMEM)
			cli_errx(CILKIT_EXIT_IO, "out of memory");
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "%s:%zu: %s", name,
			    cilkit_lines_lineno(lr), eb);
			bad_line(st, msg);
			continue;
		}
		st->records++;
		if (report_drops_add(d, &rec) == CILKIT_ENOMEM)
			cli_errx(CILKIT_EXIT_IO, "out of memory");
	}
	st->records += quick;
	report_drops_note_records(d, quick);
	st->cancelled = cilkit_lines_cancelled(lr);
	flow_scratch_free(sc);
	cilkit_lines_free(lr);
}

/*
 * One result of a record reader (flow_reader, cilium_monitor) into d:
 * a record is counted and added, an error reported.  false when the
 * reader cannot go on (a read error).
 */
static bool
take_record(int rc, const struct flow_record *rec, const char *eb,
    struct report_drops *d, struct stream_stats *st)
{
	if (rc == CILKIT_ENOMEM)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (rc < 0) {
		bad_line(st, eb);
		return rc != CILKIT_EIO;
	}
	st->records++;
	if (report_drops_add(d, rec) == CILKIT_ENOMEM)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	return true;
}

/*
 * Pretty-printed flows (`hubble observe -o json | jq .`): the library
 * reader takes them object by object.  Few and small: no prefilter.
 */
static void
read_flow_objects(FILE *fp, const char *name, const char *prefix,
    size_t n, struct report_drops *d, struct stream_stats *st)
{
	struct flow_reader *r;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	if ((r = flow_reader_new_prefixed(fp, name, prefix, n)) == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (st->cancel != NULL)
		flow_reader_set_cancel(r, st->cancel);
	while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0 &&
	    take_record(rc, &rec, eb, d, st))
		;
	st->cancelled = flow_reader_cancelled(r);
	flow_reader_free(r);
}

/* cilium monitor output, text or -j. */
static void
read_monitor(FILE *fp, const char *name, const char *prefix, size_t n,
    struct report_drops *d, struct stream_stats *st)
{
	struct cilium_monitor_reader *mr;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	mr = cilium_monitor_reader_new(fp, name, prefix, n);
	if (mr == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (st->cancel != NULL)
		cilium_monitor_reader_set_cancel(mr, st->cancel);
	while ((rc = cilium_monitor_next(mr, &rec, eb, sizeof(eb))) != 0 &&
	    take_record(rc, &rec, eb, d, st))
		;
	st->cancelled = cilium_monitor_reader_cancelled(mr);
	cilium_monitor_reader_free(mr);
}

/*
 * Read one stream into d.  Returns the exit status for it: 0, or 2 when
 * lines were skipped or it is not something we read.
 */
static int
read_stream(FILE *fp, const char *name, struct report_drops *d,
    size_t *n_read, bool cancellable)
{
	struct stream_stats st = { 0, 0, NULL, 0 };
	struct sigaction sa, old_int, old_term;
	struct stat sb;
	char prefix[SNIFF_BYTES];
	size_t n;
	int status = CILKIT_EXIT_OK;

	if (cancellable && (fstat(fileno(fp), &sb) != 0 ||
	    S_ISREG(sb.st_mode)))
		cancellable = false;	/* a file ends by itself */
	if (cancellable) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_input_signal;
		sigemptyset(&sa.sa_mask);
		/* no SA_RESTART: a read blocked on the pipe returns */
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		st.cancel = &input_stop;
	}
	n = read_prefix(fp, prefix, sizeof(prefix), st.cancel);
	if (ferror(fp)) {
		cli_warnx("%s: read error: %s", name, strerror(errno));
		status = CILKIT_EXIT_USAGE;
		goto out;
	}
	switch (flow_sniff(prefix, n)) {
	case FLOW_FMT_EMPTY:
		if (st.cancel != NULL && *st.cancel) {
			cli_warnx("%s: interrupted before any input", name);
			status = CILKIT_EXIT_INTERRUPTED;
			goto out;
		}
		cli_warnx("%s: empty input (no flows and no monitor output)",
		    name);
		status = CILKIT_EXIT_USAGE;
		goto out;
	case FLOW_FMT_GZIP:
		cli_warnx("%s: %s", name, FLOW_GZIP_ADVICE);
		status = CILKIT_EXIT_USAGE;
		goto out;
	case FLOW_FMT_UTF16:
		cli_warnx("%s: %s", name, FLOW_UTF16_ADVICE);
		status = CILKIT_EXIT_USAGE;
		goto out;
	case FLOW_FMT_PCAP:
	case FLOW_FMT_PCAPNG:
		cli_warnx("%s: this is a packet capture; analyze-drops reads "
		    "flow lines or cilium monitor output (flow-analyzer "
		    "reads pcaps)", name);
		status = CILKIT_EXIT_USAGE;
		goto out;
	}
	if (cilium_monitor_sniff(prefix, n)) {
		read_monitor(fp, name, prefix, n, d, &st);
	} else if (flow_sniff_hubble_text(prefix, n)) {
		cli_warnx("%s: %s", name, FLOW_HUBBLE_TEXT_ADVICE);
		status = CILKIT_EXIT_USAGE;
		goto out;
	} else if (flow_sniff_multiline(prefix, n)) {
		read_flow_objects(fp, name, prefix, n, d, &st);
	} else {
		read_flow_lines(fp, name, prefix, n, d, &st);
	}
	if (st.cancelled) {
		cli_warnx("%s: interrupted: the report covers the %llu "
		    "record%s read until then", name,
		    (unsigned long long)st.records,
		    st.records == 1 ? "" : "s");
		status = CILKIT_EXIT_INTERRUPTED;
	}
	if (st.skipped > MAX_MESSAGES)
		cli_warnx("%s: %llu more bad lines not shown", name,
		    (unsigned long long)(st.skipped - MAX_MESSAGES));
	if (st.skipped > 0) {
		cli_warnx("%s: %llu line%s skipped, %llu record%s read", name,
		    (unsigned long long)st.skipped, st.skipped == 1 ? "" : "s",
		    (unsigned long long)st.records,
		    st.records == 1 ? "" : "s");
		report_drops_note_skipped(d, st.skipped);
		if (status == CILKIT_EXIT_OK)
			status = CILKIT_EXIT_USAGE;
	}
	if (st.records > 0)
		(*n_read)++;
out:
	if (cancellable) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	return status;
}

/* Whether an executable named prog is on PATH. */
static bool
on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];
	size_t len;

	if (path == NULL || *path == '\0')
		path = "/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			snprintf(buf, sizeof(buf), "./%s", prog);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p,
			    prog);
		if (access(buf, X_OK) == 0)
			return true;
		if (end == NULL)
			return false;
	}
}

/*
 * Run `hubble observe --type drop -o jsonpb ...` and read its output.
 * No shell: every argument is one argv entry.
 */
static int
run_hubble(const struct report_drops_opts *o, struct report_drops *d,
    size_t *n_read)
{
	char since[48], until[48];
	const char *argv[16];
	int fds[2], wst, status, n = 0;
	pid_t pid;
	FILE *fp;

	argv[n++] = "hubble";
	argv[n++] = "observe";
	argv[n++] = "--type";
	argv[n++] = "drop";
	argv[n++] = "-o";
	argv[n++] = "jsonpb";
	if (o->since_ns != 0) {
		/* Absolute: hubble does not know our "1d" and friends. */
		report_format_time(o->since_ns, 9, since, sizeof(since));
		argv[n++] = "--since";
		argv[n++] = since;
	} else
		argv[n++] = "--all";
	if (o->until_ns != 0) {
		report_format_time(o->until_ns, 9, until, sizeof(until));
		argv[n++] = "--until";
		argv[n++] = until;
	}
	if (o->namespace != NULL) {
		argv[n++] = "--namespace";
		argv[n++] = o->namespace;
	}
	argv[n] = NULL;
	if (pipe(fds) != 0)
		cli_errx(CILKIT_EXIT_IO, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		cli_errx(CILKIT_EXIT_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		close(fds[1]);
		execvp("hubble", (char *const *)argv);
		fprintf(stderr, "%s: cannot run hubble: %s\n", cli_progname(),
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	fp = fdopen(fds[0], "r");
	if (fp == NULL)
		cli_errx(CILKIT_EXIT_IO, "fdopen: %s", strerror(errno));
	status = read_stream(fp, "hubble observe", d, n_read, false);
	fclose(fp);
	while (waitpid(pid, &wst, 0) < 0)
		if (errno != EINTR)
			cli_errx(CILKIT_EXIT_IO, "waitpid: %s",
			    strerror(errno));
	if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
		cli_warnx("hubble observe failed (%s %d)", WIFEXITED(wst) ?
		    "exit status" : "signal", WIFEXITED(wst) ?
		    WEXITSTATUS(wst) : WTERMSIG(wst));
		return CILKIT_EXIT_CLUSTER;
	}
	return status;
}

static volatile sig_atomic_t agents_stop;

static void
on_sigint(int sig)
{
	(void)sig;
	agents_stop = 1;
}

/*
 * No local hubble: run `hubble observe --type drop -o jsonpb ...` in the
 * Cilium agent pods through the API server, on the nodes that matter
 * (--node, else the nodes running pods of -n, else all), merged by time.
 */
static int
run_agents(const struct analyze_inputs *in,
    const struct report_drops_opts *o, struct report_drops *d,
    size_t *n_read)
{
	struct kube_config_opts co = { 0 };
	struct kube_config *cfg = NULL;
	struct kube_client *cl = NULL;
	struct cilium_agent_opts ao = { 0 };
	struct cilium_agent_stream *st;
	struct sigaction sa, old_int, old_term;
	char since[48], until[48], eb[CILKIT_ERRBUF_SIZE], node[256];
	const char *args[16], *nodes[2];
	unsigned long long nrec = 0;
	int n = 0, r, status;
	FILE *fp;

	co.kubeconfig = in->kubeconfig;
	co.context = in->context;
	if ((r = kube_config_load(&co, &cfg, eb, sizeof(eb))) < 0) {
		cli_warnx("no input: give flows with --input FILE or on stdin, "
		    "e.g.\n"
		    "  hubble observe --type drop -o jsonpb --since 5m | "
		    "analyze-drops\n"
		    "  kubectl -n kube-system exec ds/cilium -- cilium-dbg "
		    "monitor -t drop | analyze-drops\n"
		    "(hubble is not on PATH, and the cluster cannot be asked: "
		    "%s)", eb);
		return r == CILKIT_ENOTFOUND ? CILKIT_EXIT_USAGE :
		    CILKIT_EXIT_CLUSTER;
	}
	if (cfg->warning != NULL)
		cli_warnx("warning: %s", cfg->warning);
	if ((r = kube_client_new(cfg, &cl, eb, sizeof(eb))) < 0) {
		cli_warnx("%s", eb);
		kube_config_free(cfg);
		return CILKIT_EXIT_CLUSTER;
	}
	args[n++] = "--type";
	args[n++] = "drop";
	if (o->since_ns != 0) {
		report_format_time(o->since_ns, 9, since, sizeof(since));
		args[n++] = "--since";
		args[n++] = since;
	} else {
		args[n++] = "--all";
	}
	if (o->until_ns != 0) {
		report_format_time(o->until_ns, 9, until, sizeof(until));
		args[n++] = "--until";
		args[n++] = until;
	}
	if (o->namespace != NULL) {
		args[n++] = "--namespace";
		args[n++] = o->namespace;
	}
	args[n] = NULL;
	ao.tool = CILIUM_AGENT_HUBBLE;
	ao.args = args;
	if (o->node != NULL) {
		/* "cluster/node" names the node as hubble does */
		const char *slash = strchr(o->node, '/');

		snprintf(node, sizeof(node), "%s", slash ? slash + 1 : o->node);
		nodes[0] = node;
		nodes[1] = NULL;
		ao.nodes = nodes;
	} else {
		ao.ns = o->namespace;
	}
	ao.timeout_ms = 5 * 60 * 1000;
	ao.cancel = &agents_stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	r = cilium_agent_open(cl, &ao, &st, &fp, eb, sizeof(eb));
	if (r < 0) {
		cli_warnx("cannot ask the Cilium agents: %s", eb);
		status = CILKIT_EXIT_CLUSTER;
		goto out;
	}
	status = read_stream(fp, "cilium agents", d, n_read, false);
	r = cilium_agent_close(st, fp, &nrec, eb, sizeof(eb));
	if (r < 0) {
		cli_warnx("hubble observe in the Cilium agents failed:\n%s",
		    eb);
		status = r == CILKIT_EINTR ? CILKIT_EXIT_INTERRUPTED :
		    CILKIT_EXIT_CLUSTER;
	}
	if (agents_stop)
		status = CILKIT_EXIT_INTERRUPTED;
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	kube_client_free(cl);
	kube_config_free(cfg);
	return status;
}

/*
 * Whether stdin is something to read: a pipe or a file.  A terminal,
 * a closed stdin and character devices such as /dev/null (what cron
 * gives) are not, so `analyze-drops -n prod --since 10m` in a crontab
 * asks hubble instead of reading nothing.
 */
static bool
stdin_has_data(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO))
		return false;
	if (fstat(STDIN_FILENO, &st) != 0)
		return false;
	return !S_ISCHR(st.st_mode);
}

static int
worse(int a, int b)
{
	/* Cluster and I/O failures outrank input errors. */
	return b > a ? b : a;
}

int
analyze_read_all(struct analyze_inputs *in,
    const struct report_drops_opts *o, struct report_drops *d)
{
	int status = CILKIT_EXIT_OK;
	struct stat st;
	size_t i;
	FILE *fp;

	if (in->n == 0) {
		if (stdin_has_data())
			return read_stream(stdin, "<stdin>", d, &in->n_read,
			    true);
		if (on_path("hubble"))
			return run_hubble(o, d, &in->n_read);
		return run_agents(in, o, d, &in->n_read);
	}
	for (i = 0; i < in->n; i++) {
		if (strcmp(in->paths[i], "-") == 0) {
			status = worse(status, read_stream(stdin, "<stdin>", d,
			    &in->n_read, true));
			continue;
		}
		fp = fopen(in->paths[i], "r");
		if (fp == NULL) {
			cli_warnx("%s: %s", in->paths[i], strerror(errno));
			status = worse(status, CILKIT_EXIT_USAGE);
			continue;
		}
		if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
			cli_warnx("%s: is a directory", in->paths[i]);
			fclose(fp);
			status = worse(status, CILKIT_EXIT_USAGE);
			continue;
		}
		status = worse(status, read_stream(fp, in->paths[i], d,
		    &in->n_read, true));
		fclose(fp);
	}
	return status;
}
