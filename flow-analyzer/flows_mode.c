/*
 * flows_mode.c - flow-analyzer over flow lines: read every input, filter,
 * feed the analysis (lib/flow_stats.c) and the per-flow exports (csv,
 * flows), then write the report in the chosen format.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "fa.h"
#include "flow.h"
#include "flow_filter.h"
#include "flow_read.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "flow_write.h"
#include "report.h"

/* Messages about bad lines before going quiet (the count is kept). */
#define FA_MAX_LINE_WARNINGS	10
/* Regular files at least this big are analyzed by several threads. */
#define FA_PARALLEL_MIN		((off_t)16 << 20)
#define FA_MAX_THREADS		8

struct fa_sink {
	const struct fa_opts *o;
	FILE *out;
	bool out_tty;
	bool flush;
	bool need_stats;
	struct flow_stats *st;
	uint64_t records, matched;
	int err;		/* first write error */
};

/* CSV columns, stable (documented in flow-analyzer(1)). */
static const char *const csv_cols[] = {
	"time", "uuid", "node", "verdict", "drop_reason", "type",
	"direction", "is_reply", "protocol", "src_ip", "src_port", "dst_ip",
	"dst_port", "src_namespace", "src_pod", "src_workload",
	"src_identity", "dst_namespace", "dst_pod", "dst_workload",
	"dst_identity", "dst_service", "tcp_flags", "l7_type", "l7_protocol",
	"http_method", "http_url", "http_code", "dns_query", "dns_rcode",
	"latency_ns", "summary",
};
#define NCSV	(sizeof(csv_cols) / sizeof(csv_cols[0]))

struct fa_sink *
fa_sink_new(const struct fa_opts *o, FILE *out)
{
	struct fa_sink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = o;
	s->out = out;
	s->out_tty = isatty(fileno(out));
	s->need_stats = o->export_fmt != FA_EXPORT_CSV &&
	    o->export_fmt != FA_EXPORT_FLOWS;
	if ((s->st = flow_stats_new()) == NULL) {
		free(s);
		return NULL;
	}
	if (o->export_fmt == FA_EXPORT_CSV &&
	    report_csv_row(out, csv_cols, NCSV) < 0)
		s->err = CILKIT_EIO;
	return s;
}

void
fa_sink_free(struct fa_sink *s)
{
	if (s == NULL)
		return;
	flow_stats_free(s->st);
	free(s);
}

struct flow_stats *
fa_sink_stats(struct fa_sink *s)
{
	return s->st;
}

uint64_t
fa_sink_matched(const struct fa_sink *s)
{
	return s->matched;
}

void
fa_sink_set_flush(struct fa_sink *s, bool flush)
{
	s->flush = flush;
}

static const char *
workload_of(const struct flow_endpoint *ep, char *buf, size_t len)
{
	if (ep->n_workloads > 0 && ep->workloads[0].name != NULL)
		return ep->workloads[0].name;
	if (ep->pod_name != NULL &&
	    flow_stats_pod_workload(ep->pod_name, buf, len))
		return buf;
	return NULL;
}

static void
flags_str(uint16_t fl, char *buf, size_t len)
{
	static const char *const names[] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"
	};
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 9 && off < len; i++)
		if (fl & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "|" : "", names[i]);
}

/* A CSV cell: v, or empty for 0 (unknown). */
static void
num_or_empty(char *buf, size_t len, uint32_t v)
{
	if (v != 0)
		snprintf(buf, len, "%u", v);
	else
		buf[0] = '\0';
}

static int
csv_flow(FILE *fp, const struct flow *f, const char *node)
{
	char t[40], dr[16], sp[8], dp[8], sid[16], did[16], fl[64], code[16];
	char rc[16], lat[32], svc[600], swb[256], dwb[256];
	const char *v[NCSV], *l7p = NULL;
	const char *vn = flow_verdict_name(f->verdict);
	char vnum[16];

	if (f->time_ns != 0)
		report_format_time(f->time_ns, 9, t, sizeof(t));
	else
		t[0] = '\0';
	if (vn == NULL) {
		snprintf(vnum, sizeof(vnum), "%d", f->verdict);
		vn = f->verdict ? vnum : "";
	}
	num_or_empty(dr, sizeof(dr), f->drop_reason);
	num_or_empty(sp, sizeof(sp), f->sport);
	num_or_empty(dp, sizeof(dp), f->dport);
	num_or_empty(sid, sizeof(sid), f->src.identity);
	num_or_empty(did, sizeof(did), f->dst.identity);
	flags_str(f->tcp_flags, fl, sizeof(fl));
	svc[0] = '\0';
	if (f->dst_svc.name != NULL)
		snprintf(svc, sizeof(svc), "%s%s%s",
		    f->dst_svc.namespace ? f->dst_svc.namespace : "",
		    f->dst_svc.namespace ? "/" : "", f->dst_svc.name);
	code[0] = rc[0] = lat[0] = '\0';
	if (f->has_l7) {
		switch (f->l7.kind) {
		case FLOW_L7_HTTP:
			l7p = "http";
			if (f->l7.http.code)
				snprintf(code, sizeof(code), "%u",
				    f->l7.http.code);
			break;
		case FLOW_L7_DNS:
			l7p = "dns";
			if (f->l7.type == FLOW_L7_RESPONSE)
				snprintf(rc, sizeof(rc), "%u",
				    f->l7.dns.rcode);
			break;
		case FLOW_L7_KAFKA:
			l7p = "kafka";
			break;
		}
		if (f->l7.latency_ns)
			snprintf(lat, sizeof(lat), "%" PRIu64,
			    f->l7.latency_ns);
	}
	v[0] = t;
	v[1] = f->uuid;
	v[2] = node;
	v[3] = vn;
	v[4] = dr;
	v[5] = f->type ? flow_type_name(f->type) : "";
	v[6] = f->direction ? flow_direction_name(f->direction) : "";
	v[7] = f->is_reply < 0 ? "" : f->is_reply ? "true" : "false";
	v[8] = f->l4 ? flow_l4_name(f->l4) : "";
	v[9] = f->src_ip;
	v[10] = sp;
	v[11] = f->dst_ip;
	v[12] = dp;
	v[13] = f->src.namespace;
	v[14] = f->src.pod_name;
	v[15] = workload_of(&f->src, swb, sizeof(swb));
	v[16] = sid;
	v[17] = f->dst.namespace;
	v[18] = f->dst.pod_name;
	v[19] = workload_of(&f->dst, dwb, sizeof(dwb));
	v[20] = did;
	v[21] = svc;
	v[22] = fl;
	v[23] = f->has_l7 ? flow_l7_type_name(f->l7.type) : "";
	v[24] = l7p;
	v[25] = f->has_l7 ? f->l7.http.method : NULL;
	v[26] = f->has_l7 ? f->l7.http.url : NULL;
	v[27] = code;
	v[28] = f->has_l7 ? f->l7.dns.query : NULL;
	v[29] = rc;
	v[30] = lat;
	v[31] = f->summary;
	return report_csv_row(fp, v, NCSV);
}

int
fa_sink_record(struct fa_sink *s, const struct flow_record *rec)
{
	char eb[CILKIT_ERRBUF_SIZE] = "";
	const struct flow *f = &rec->flow;
	int rc = 0;

	s->records++;
	if (rec->kind != FLOW_EV_FLOW) {
		flow_stats_add_other(s->st, rec->kind,
		    rec->other.num_events_lost);
		return 0;
	}
	if (!flow_filter_match(s->o->filter, f))
		return 0;
	s->matched++;
	if (s->need_stats &&
	    (rc = flow_stats_add(s->st, f, rec->node_name, eb,
	    sizeof(eb))) < 0) {
		cli_warnx("%s", eb);
		return rc;
	}
	switch (s->o->export_fmt) {
	case FA_EXPORT_CSV:
		rc = csv_flow(s->out, f, rec->node_name ? rec->node_name :
		    f->node_name);
		break;
	case FA_EXPORT_FLOWS:
		rc = flow_write_line(s->out, f);
		break;
	default:
		return 0;
	}
	if (rc == 0 && s->flush && fflush(s->out) != 0)
		rc = CILKIT_EIO;
	if (rc < 0 && s->err == 0)
		s->err = rc;
	return rc;
}

int
fa_sink_finish(struct fa_sink *s)
{
	const struct fa_opts *o = s->o;
	struct flow_stats_text_opts to;
	struct json_object *j = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int fmt = o->format, rc = 0;

	if (s->err < 0)
		goto ioerr;
	if (o->visualize && o->export_fmt != FA_EXPORT_HTML) {
		if (fmt == FA_FORMAT_AUTO)
			fmt = s->out_tty ? FA_FORMAT_TEXT : FA_FORMAT_HTML;
		if (fmt == FA_FORMAT_DOT)
			rc = flow_stats_print_dot(s->out, s->st);
		else if (fmt == FA_FORMAT_TEXT)
			rc = flow_stats_print_graph_text(s->out, s->st, o->top,
			    cli_use_utf8(s->out));
		else
			goto html;
		goto done;
	}
	switch (o->export_fmt) {
	case FA_EXPORT_NONE:
		to.top = o->top;
		to.utf8 = cli_use_utf8(s->out);
		rc = flow_stats_print_text(s->out, s->st, &to);
		break;
	case FA_EXPORT_JSON:
		if ((j = flow_stats_json(s->st, o->top)) == NULL)
			goto nomem;
		rc = report_json_print(s->out, j, true, eb, sizeof(eb));
		break;
	case FA_EXPORT_HTML:
		goto html;
	default:
		break;
	}
	goto done;
html:
	if ((j = flow_stats_json(s->st, o->top)) == NULL)
		goto nomem;
	rc = flow_stats_print_html(s->out, j, "flow-analyzer report", NULL,
	    0);
done:
	json_object_put(j);
	if (rc == CILKIT_ENOMEM)
		goto nomem;
	if (rc < 0 || fflush(s->out) != 0 || ferror(s->out))
		goto ioerr;
	return CILKIT_EXIT_OK;
nomem:
	json_object_put(j);
	cli_warnx("out of memory");
	return CILKIT_EXIT_IO;
ioerr:
	cli_warnx("%s: write error%s%s", o->output ? o->output : "<stdout>",
	    eb[0] ? ": " : "", eb);
	return CILKIT_EXIT_IO;
}

/* Open --output (or stdout).  NULL with a message on failure. */
FILE *
fa_open_output(const struct fa_opts *o)
{
	FILE *fp;

	if (o->output == NULL || strcmp(o->output, "-") == 0)
		return stdout;
	if ((fp = fopen(o->output, "w")) == NULL)
		cli_warnx("%s: cannot create: %s", o->output,
		    strerror(errno));
	return fp;
}

int
fa_close_output(const struct fa_opts *o, FILE *fp, int rc)
{
	if (fp == NULL || fp == stdout)
		return rc;
	if (fclose(fp) != 0 && rc == CILKIT_EXIT_OK) {
		cli_warnx("%s: write error: %s", o->output, strerror(errno));
		return CILKIT_EXIT_IO;
	}
	return rc;
}

/*
 * fa_parse_line; with mut (the same bytes as p, writable) the line is
 * parsed in place instead of copied first.  bom: a UTF-8 BOM may start
 * the line (the first line of a file).
 */
static int
parse_line(struct flow_scratch *sc, const char *p, char *mut, size_t n,
    bool bom, const char *name, uint64_t lineno, struct flow_record *rec,
    char *eb, size_t el)
{
	char msg[CILKIT_ERRBUF_SIZE];
	size_t i;
	int k;

	if (bom && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		if (mut != NULL)
			mut += 3;
		n -= 3;
	}
	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			break;
	if (i == n)
		return 0;	/* blank */
	if (n > FLOW_READ_MAX_LINE)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG, "%s:%" PRIu64
		    ": line longer than %zu bytes, skipped", name, lineno,
		    (size_t)FLOW_READ_MAX_LINE);
	msg[0] = '\0';
	if (mut != NULL)
		k = flow_parse_line_mut(sc, mut, n, rec, msg, sizeof(msg));
	else
		k = flow_parse_line(sc, p, n, rec, msg, sizeof(msg));
	if (k < 0)
		return cilkit_fail(eb, el, k, "%s:%" PRIu64 ": %s", name,
		    lineno, msg);
	return 1;
}

int
fa_parse_line(struct flow_scratch *sc, const char *p, size_t n,
    const char *name, uint64_t lineno, struct flow_record *rec,
    char *eb, size_t el)
{
	return parse_line(sc, p, NULL, n, lineno == 1, name, lineno, rec,
	    eb, el);
}

/*
 * The parallel path: a big regular file is cut at line boundaries into
 * one byte range per thread; each thread reads its range with pread()
 * in blocks (memory stays flat), parses and analyzes it into its own
 * flow_stats, and the parts are merged in order.  Only for the report
 * outputs (csv and flows keep input order).
 */
struct fa_worker {
	const struct fa_opts *o;
	const char *name;
	int fd;
	off_t start, end;	/* byte range, cut at line boundaries */
	struct flow_stats *st;
	uint64_t lines, good, bad, matched;
	uint64_t warn_line[FA_MAX_LINE_WARNINGS];
	char warn[FA_MAX_LINE_WARNINGS][CILKIT_ERRBUF_SIZE];
	size_t nwarn;
	int err;
	char errmsg[CILKIT_ERRBUF_SIZE];
};

/* One line of a worker's range, parsed in place in the worker's block. */
static void
worker_line(struct fa_worker *w, struct flow_scratch *sc, char *p,
    size_t n)
{
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int k;

	w->lines++;
	/* no name here: main adds it with the global line number */
	k = parse_line(sc, p, p, n, w->start == 0 && w->lines == 1, "",
	    w->lines, &rec, eb, sizeof(eb));
	if (k == 0)
		return;
	if (k < 0) {
		if (w->nwarn < FA_MAX_LINE_WARNINGS) {
			const char *m = strchr(eb + 1, ':');

			w->warn_line[w->nwarn] = w->lines;
			/* drop the ":LINE: " prefix made above */
			snprintf(w->warn[w->nwarn++], sizeof(w->warn[0]), "%s",
			    m != NULL && m[1] == ' ' ? m + 2 : eb);
		}
		w->bad++;
		return;
	}
	w->good++;
	if (rec.kind != FLOW_EV_FLOW) {
		flow_stats_add_other(w->st, rec.kind,
		    rec.other.num_events_lost);
		return;
	}
	if (!flow_filter_match(w->o->filter, &rec.flow))
		return;
	w->matched++;
	k = flow_stats_add(w->st, &rec.flow, rec.node_name, w->errmsg,
	    sizeof(w->errmsg));
	if (k < 0)
		w->err = k;
}

#define FA_BLOCK	((size_t)1 << 20)

static void *
worker_run(void *arg)
{
	struct fa_worker *w = arg;
	struct flow_scratch *sc;
	char *buf = NULL, *p, *nl, *nb;
	size_t cap = FA_BLOCK, fill = 0, want;
	off_t at = w->start;
	ssize_t r;
	bool skipping = false;

	if ((sc = flow_scratch_new()) == NULL ||
	    (buf = malloc(cap)) == NULL) {
		w->err = CILKIT_ENOMEM;
		snprintf(w->errmsg, sizeof(w->errmsg), "out of memory");
		goto out;
	}
	/* only the analysis reads these flows */
	flow_scratch_set_skip(sc, flow_stats_skippable() &
	    flow_filter_skippable(w->o->filter));
	while (w->err == 0) {
		want = cap - fill;
		if ((off_t)want > w->end - at)
			want = (size_t)(w->end - at);
		r = 0;
		if (want > 0) {
			r = pread(w->fd, buf + fill, want, at);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				w->err = CILKIT_EIO;
				snprintf(w->errmsg, sizeof(w->errmsg),
				    "%s: read error: %s", w->name,
				    strerror(errno));
				break;
			}
			at += r;
			fill += (size_t)r;
		}
		p = buf;
		while ((nl = memchr(p, '\n', fill - (size_t)(p - buf))) !=
		    NULL) {
			if (skipping) {
				skipping = false;
				w->lines++;
			} else {
				worker_line(w, sc, p, (size_t)(nl - p));
			}
			p = nl + 1;
		}
		fill -= (size_t)(p - buf);
		memmove(buf, p, fill);
		if (r == 0) {		/* end of the range */
			if (fill > 0 && !skipping)
				worker_line(w, sc, buf, fill);
			break;
		}
		if (fill == cap) {
			/* a line longer than the buffer: grow to the cap */
			if (cap > FLOW_READ_MAX_LINE) {
				if (!skipping) {
					/* skipped like the reader does; the
					 * line is counted at its end */
					if (w->nwarn < FA_MAX_LINE_WARNINGS) {
						w->warn_line[w->nwarn] =
						    w->lines + 1;
						snprintf(w->warn[w->nwarn++],
						    sizeof(w->warn[0]),
						    "line longer than %zu "
						    "bytes, skipped",
						    (size_t)FLOW_READ_MAX_LINE);
					}
					w->bad++;
					skipping = true;
				}
				fill = 0;
				continue;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				w->err = CILKIT_ENOMEM;
				snprintf(w->errmsg, sizeof(w->errmsg),
				    "out of memory");
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
out:
	free(buf);
	flow_scratch_free(sc);
	return NULL;
}

/* First offset after the newline at or after off, or size. */
static off_t
next_line(int fd, off_t off, off_t size)
{
	char b[65536], *nl;
	ssize_t r;

	while (off < size) {
		r = pread(fd, b, sizeof(b), off);
		if (r <= 0)
			return size;
		if ((nl = memchr(b, '\n', (size_t)r)) != NULL)
			return off + (nl - b) + 1;
		off += r;
	}
	return size;
}

/* How many threads for in; 1 means the plain streaming path. */
static int
parallel_threads(const struct fa_opts *o, const struct fa_input *in,
    struct stat *sb)
{
	const char *env = getenv("FLOW_ANALYZER_THREADS");
	long ncpu;
	int n;

	if (o->export_fmt == FA_EXPORT_CSV || o->export_fmt == FA_EXPORT_FLOWS)
		return 1;
	char head[4096];
	ssize_t k;

	if (in->fp == stdin || fstat(fileno(in->fp), sb) < 0 ||
	    !S_ISREG(sb->st_mode) || sb->st_size <= 0)
		return 1;
	/*
	 * Pretty-printed objects span lines: not cut at line boundaries;
	 * hubble's text is refused by the reader at once.
	 */
	k = pread(fileno(in->fp), head, sizeof(head), 0);
	if (k > 0 && (flow_sniff_multiline(head, (size_t)k) ||
	    flow_sniff_hubble_text(head, (size_t)k)))
		return 1;	/* the reader deals with it */
	if (env != NULL && env[0] >= '1' && env[0] <= '9') {
		n = atoi(env);
		return n > FA_MAX_THREADS ? FA_MAX_THREADS : n;
	}
	if (sb->st_size < FA_PARALLEL_MIN)
		return 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2)
		return 1;
	return ncpu > FA_MAX_THREADS ? FA_MAX_THREADS : (int)ncpu;
}

/*
 * Analyze one input with nt threads into s.  Returns 0, or -1 after a
 * message (the caller then falls back or fails).
 */
static int
parallel_input(struct fa_sink *s, const struct fa_opts *o,
    struct fa_input *in, int nt, const struct stat *sb, uint64_t *good,
    uint64_t *bad, bool *fatal)
{
	struct fa_worker *w;
	pthread_t tid[FA_MAX_THREADS];
	char eb[CILKIT_ERRBUF_SIZE];
	off_t size = sb->st_size, at = 0, cut;
	uint64_t before = 0;
	size_t i, j;
	int started = 0, fd = fileno(in->fp);

	if ((w = calloc((size_t)nt, sizeof(*w))) == NULL)
		return -1;
	for (i = 0; i < (size_t)nt; i++) {
		cut = i + 1 == (size_t)nt ? size :
		    next_line(fd, size / nt * (off_t)(i + 1), size);
		if (cut < at)
			cut = at;
		w[i].o = o;
		w[i].name = in->name;
		w[i].fd = fd;
		w[i].start = at;
		w[i].end = cut;
		at = cut;
		if ((w[i].st = flow_stats_new()) == NULL) {
			for (j = 0; j < i; j++)
				flow_stats_free(w[j].st);
			free(w);
			return -1;
		}
	}
	for (i = 0; i < (size_t)nt; i++) {
		if (pthread_create(&tid[i], NULL, worker_run, &w[i]) != 0)
			break;
		started++;
	}
	for (i = (size_t)started; i < (size_t)nt; i++)
		worker_run(&w[i]);	/* no thread: run it here */
	for (i = 0; i < (size_t)started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < (size_t)nt; i++) {
		for (j = 0; j < w[i].nwarn; j++)
			if (!o->quiet && *bad + j < FA_MAX_LINE_WARNINGS)
				cli_warnx("%s:%" PRIu64 ": %s (line skipped)",
				    in->name, before + w[i].warn_line[j],
				    w[i].warn[j]);
		before += w[i].lines;
		*good += w[i].good;
		*bad += w[i].bad;
		s->matched += w[i].matched;
		if (w[i].err < 0) {
			cli_warnx("%s", w[i].errmsg);
			*fatal = true;
			continue;
		}
		eb[0] = '\0';
		if (!*fatal &&
		    flow_stats_merge(s->st, w[i].st, eb, sizeof(eb)) < 0) {
			cli_warnx("%s", eb[0] ? eb : "out of memory");
			*fatal = true;
		}
	}
	for (i = 0; i < (size_t)nt; i++)
		flow_stats_free(w[i].st);
	free(w);
	return 0;
}

int
fa_flows_run(const struct fa_opts *o, struct fa_input *in, size_t n)
{
	struct flow_reader *r;
	struct flow_record rec;
	struct fa_sink *s;
	char eb[CILKIT_ERRBUF_SIZE];
	uint64_t bad = 0, good = 0;
	FILE *out;
	size_t i;
	int rc = CILKIT_EXIT_OK, k;
	bool interrupted = false;

	if ((out = fa_open_output(o)) == NULL)
		return CILKIT_EXIT_IO;
	if ((s = fa_sink_new(o, out)) == NULL) {
		cli_warnx("out of memory");
		return fa_close_output(o, out, CILKIT_EXIT_IO);
	}
	for (i = 0; i < n && rc == CILKIT_EXIT_OK; i++) {
		struct stat sb;
		bool fatal = false;
		int nt;

		if (in[i].format == FLOW_FMT_EMPTY)
			continue;
		nt = parallel_threads(o, &in[i], &sb);
		if (nt > 1 && parallel_input(s, o, &in[i], nt, &sb, &good,
		    &bad, &fatal) == 0) {
			if (fatal)
				rc = CILKIT_EXIT_IO;
			continue;
		}
		r = flow_reader_new_prefixed(in[i].fp, in[i].name,
		    in[i].head, in[i].n_head);
		if (r == NULL) {
			cli_warnx("out of memory");
			rc = CILKIT_EXIT_IO;
			break;
		}
		if (s->need_stats && o->export_fmt != FA_EXPORT_CSV &&
		    o->export_fmt != FA_EXPORT_FLOWS)
			flow_reader_set_skip(r, flow_stats_skippable() &
			    flow_filter_skippable(o->filter));
		/*
		 * A pipe may never end (hubble observe --follow | ...):
		 * Ctrl-C ends it instead, with the report of what came.
		 */
		if (fstat(fileno(in[i].fp), &sb) == 0 &&
		    !S_ISREG(sb.st_mode)) {
			fa_catch_stop_signals();
			flow_reader_set_cancel(r,
			    (const volatile sig_atomic_t *)&fa_stop);
		}
		for (;;) {
			eb[0] = '\0';
			k = flow_reader_next(r, &rec, eb, sizeof(eb));
			if (k == 0)
				break;
			if (k == CILKIT_EIO) {
				cli_warnx("%s", eb);
				rc = CILKIT_EXIT_IO;
				break;
			}
			if (k < 0) {
				if (!o->quiet && bad < FA_MAX_LINE_WARNINGS)
					cli_warnx("%s (line skipped)", eb);
				bad++;
				continue;
			}
			good++;
			if (fa_sink_record(s, &rec) == CILKIT_ENOMEM) {
				rc = CILKIT_EXIT_IO;
				break;
			}
		}
		if (flow_reader_cancelled(r)) {
			cli_warnx("interrupted: the report covers the %" PRIu64
			    " flows read until then", good);
			interrupted = true;
		}
		flow_reader_free(r);
		if (interrupted)
			break;
	}
	if (bad > FA_MAX_LINE_WARNINGS && !o->quiet)
		cli_warnx("%" PRIu64 " lines skipped in all", bad);
	if (rc == CILKIT_EXIT_OK)
		rc = fa_sink_finish(s);
	if (rc == CILKIT_EXIT_OK && good == 0 && bad > 0) {
		cli_warnx("no valid flow lines in the input");
		rc = CILKIT_EXIT_USAGE;
	}
	if (rc == CILKIT_EXIT_OK && interrupted)
		rc = CILKIT_EXIT_INTERRUPTED;
	fa_sink_free(s);
	return fa_close_output(o, out, rc);
}
