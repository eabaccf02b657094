/*
 * cilium_agent.c - flows from the Cilium agent pods over pods/exec,
 * merged by time; see cilium_agent.h.
 *
 * One thread per agent runs the command (each with its own REST client:
 * a client is single-threaded) and turns stdout into complete lines; a
 * merger thread orders them and writes flow lines into a socketpair
 * whose other end is the caller's FILE * (a socketpair rather than a
 * pipe so that a reader that goes away gives EPIPE, not SIGPIPE).
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilium_agent.h"
#include "cilium_monitor.h"
#include "cilkit.h"
#include "flow.h"
#include "flow_read.h"
#include "flow_write.h"
#include "kube_client.h"
#include "kube_exec.h"
#include "kube_objects.h"

/* Held records above this many bytes are written at once, in order. */
#define HOLD_MAX	((size_t)256 << 20)
#define STDERR_TAIL	400

struct item {
	long long t;		/* record time, ns (0: unknown) */
	long long arrival;	/* monotonic ms */
	unsigned long long seq;
	char *line;		/* owned, newline-terminated */
	size_t len;
};

struct run {
	struct cilium_agent_stream *s;
	struct cilium_agent_pod pod;
	struct kube_client *cl;
	pthread_t th;
	bool started;
	char *line;
	size_t llen, lcap;
	bool overlong;
	struct flow_scratch *scratch;
	char stderr_tail[STDERR_TAIL + 1];
	size_t stlen;
	unsigned long long bad;
	int rc;
	char err[CILKIT_ERRBUF_SIZE];
};

struct cilium_agent_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *items;
	size_t n, cap, bytes;
	unsigned long long seq, nrec;
	int running;
	volatile sig_atomic_t stop;	/* agents must stop */
	volatile sig_atomic_t gone;	/* the reader went away */
	const volatile sig_atomic_t *ext_cancel;
	int wfd;
	pthread_t merger;
	bool merger_started;
	struct run *runs;
	size_t nruns;
	struct cilium_agent_opts o;	/* args point into argcopy */
	char **argcopy;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool
stopping(struct cilium_agent_stream *s)
{
	return s->stop || (s->ext_cancel != NULL && *s->ext_cancel);
}

int
cilium_agent_list(struct kube_client *c, struct cilium_agent_pod **out,
    char *errbuf, size_t errlen)
{
	struct kube_list_opts lo = { 0 };
	struct kube_objlist l;
	struct cilium_agent_pod *a;
	size_t i, j, n = 0;
	int r;

	*out = NULL;
	lo.label_selector = KUBE_CILIUM_SELECTOR;
	if ((r = kube_list_pods(c, KUBE_CILIUM_NS, &lo, &l, errbuf,
	    errlen)) < 0)
		return r;
	if ((a = calloc(l.n + 1, sizeof(*a))) == NULL) {
		kube_objlist_free(&l);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < l.n; i++) {
		const struct kube_pod *p = &l.u.pods[i];

		if (p->node == NULL || strlen(p->name) >= sizeof(a[n].name) ||
		    strlen(p->node) >= sizeof(a[n].node))
			continue;
		snprintf(a[n].name, sizeof(a[n].name), "%s", p->name);
		snprintf(a[n].node, sizeof(a[n].node), "%s", p->node);
		a[n].running = p->phase != NULL &&
		    strcmp(p->phase, "Running") == 0;
		for (j = 0; j < p->ncontainers; j++)
			if (strcmp(p->containers[j].name, "cilium-agent") == 0)
				snprintf(a[n].container,
				    sizeof(a[n].container), "cilium-agent");
		n++;
	}
	kube_objlist_free(&l);
	*out = a;
	return (int)n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cilium_agent_nodes_of_ns(struct kube_client *c, const char *ns,
    char ***nodes, char *errbuf, size_t errlen)
{
	struct kube_objlist l;
	char **v;
	size_t i, n = 0, k = 0;
	int r;

	*nodes = NULL;
	if ((r = kube_list_pods(c, ns, NULL, &l, errbuf, errlen)) < 0)
		return r;
	if ((v = calloc(l.n + 1, sizeof(*v))) == NULL) {
		kube_objlist_free(&l);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < l.n; i++)
		if (l.u.pods[i].node != NULL &&
		    (v[n] = strdup(l.u.pods[i].node)) != NULL)
			n++;
	kube_objlist_free(&l);
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		if (k > 0 && strcmp(v[k - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	v[k] = NULL;
	*nodes = v;
	return (int)k;
}

/* Queue one finished line (copied) with its time. */
static int
push(struct cilium_agent_stream *s, const char *line, size_t len,
    long long t)
{
	struct item *it;
	char *copy;

	if ((copy = malloc(len + 1)) == NULL)
		return CILKIT_ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\n';
	pthread_mutex_lock(&s->mu);
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;

		if ((it = realloc(s->items, nc * sizeof(*it))) == NULL) {
			pthread_mutex_unlock(&s->mu);
			free(copy);
			return CILKIT_ENOMEM;
		}
		s->items = it;
		s->cap = nc;
	}
	it = &s->items[s->n++];
	it->t = t;
	it->arrival = mono_ms();
	it->seq = s->seq++;
	it->line = copy;
	it->len = len + 1;
	s->bytes += len + 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* A monitor -j event: convert to a flow line. */
static int
monitor_line(struct run *r, const char *line, size_t len)
{
	struct cilium_monitor_reader *mr;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE], *out = NULL;
	size_t olen = 0;
	FILE *in, *mem;
	int rc, ret = 0;

	if ((in = fmemopen((void *)line, len, "r")) == NULL)
		return CILKIT_ENOMEM;
	mr = cilium_monitor_reader_new(in, r->pod.node, NULL, 0);
	if (mr == NULL) {
		fclose(in);
		return CILKIT_ENOMEM;
	}
	while ((rc = cilium_monitor_next(mr, &rec, eb, sizeof(eb))) != 0) {
		if (rc < 0) {
			r->bad++;
			if (rc == CILKIT_EIO || rc == CILKIT_ENOMEM)
				break;
			continue;
		}
		if (rec.kind != FLOW_EV_FLOW)
			continue;
		/* a live event: now is when it happened, here is where */
		if (rec.flow.time_ns == 0)
			rec.flow.time_ns = wall_ns();
		if (rec.flow.node_name == NULL)
			rec.flow.node_name = r->pod.node;
		if ((mem = open_memstream(&out, &olen)) == NULL) {
			ret = CILKIT_ENOMEM;
			break;
		}
		flow_write_line(mem, &rec.flow);
		fclose(mem);
		if (olen > 0 && out[olen - 1] == '\n')
			olen--;
		ret = push(r->s, out, olen, rec.flow.time_ns);
		free(out);
		out = NULL;
		if (ret < 0)
			break;
	}
	cilium_monitor_reader_free(mr);
	fclose(in);
	return ret;
}

static int
one_line(struct run *r, const char *line, size_t len)
{
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	if (r->s->o.tool == CILIUM_AGENT_MONITOR)
		return monitor_line(r, line, len);
	rc = flow_parse_line(r->scratch, line, len, &rec, eb, sizeof(eb));
	if (rc < 0) {
		r->bad++;
		return 0;
	}
	return push(r->s, line, len, rec.time_ns);
}

static int
on_stdout(void *arg, const uint8_t *buf, size_t len)
{
	struct run *r = arg;
	const uint8_t *nl;
	size_t take;

	if (stopping(r->s))
		return 1;
	while (len > 0) {
		nl = memchr(buf, '\n', len);
		take = nl != NULL ? (size_t)(nl - buf) : len;
		if (!r->overlong) {
			if (r->llen + take > FLOW_READ_MAX_LINE) {
				r->overlong = true;
				r->bad++;
			} else {
				if (r->llen + take + 1 > r->lcap) {
					size_t nc = r->lcap ? r->lcap : 65536;
					char *nb;

					while (nc < r->llen + take + 1)
						nc *= 2;
					if ((nb = realloc(r->line, nc)) == NULL)
						return 1;
					r->line = nb;
					r->lcap = nc;
				}
				memcpy(r->line + r->llen, buf, take);
				r->llen += take;
			}
		}
		if (nl == NULL)
			break;
		if (!r->overlong && one_line(r, r->line, r->llen) < 0)
			return 1;
		r->llen = 0;
		r->overlong = false;
		buf += take + 1;
		len -= take + 1;
	}
	return 0;
}

static int
on_stderr(void *arg, const uint8_t *buf, size_t len)
{
	struct run *r = arg;
	size_t i;

	/* keep the tail, printable only: it explains a failure */
	for (i = 0; i < len; i++) {
		char ch = (buf[i] >= 0x20 && buf[i] < 0x7f) ? (char)buf[i] :
		    ' ';

		if (r->stlen == STDERR_TAIL) {
			memmove(r->stderr_tail, r->stderr_tail + 1,
			    STDERR_TAIL - 1);
			r->stlen--;
		}
		r->stderr_tail[r->stlen++] = ch;
	}
	r->stderr_tail[r->stlen] = '\0';
	return stopping(r->s) ? 1 : 0;
}

static void *
run_agent(void *arg)
{
	struct run *r = arg;
	struct cilium_agent_stream *s = r->s;
	const char *argv[64];
	const char *tools[2];
	struct kube_exec_opts eo;
	struct kube_exec_result res;
	size_t n, i, nt, t;

	memset(&res, 0, sizeof(res));
	if (s->o.tool == CILIUM_AGENT_HUBBLE) {
		tools[0] = "hubble";
		nt = 1;
	} else {
		tools[0] = "cilium-dbg";
		tools[1] = "cilium";	/* images before Cilium 1.15 */
		nt = 2;
	}
	for (t = 0; t < nt; t++) {
		n = 0;
		argv[n++] = tools[t];
		argv[n++] = s->o.tool == CILIUM_AGENT_HUBBLE ? "observe" :
		    "monitor";
		for (i = 0; s->o.args != NULL && s->o.args[i] != NULL &&
		    n < 60; i++)
			argv[n++] = s->o.args[i];
		if (s->o.tool == CILIUM_AGENT_HUBBLE) {
			argv[n++] = "-o";
			argv[n++] = "jsonpb";
		} else {
			argv[n++] = "-j";
		}
		argv[n] = NULL;
		memset(&eo, 0, sizeof(eo));
		eo.ns = KUBE_CILIUM_NS;
		eo.pod = r->pod.name;
		eo.container = r->pod.container[0] ? r->pod.container : NULL;
		eo.argv = argv;
		eo.on_stdout = on_stdout;
		eo.on_stderr = on_stderr;
		eo.arg = r;
		eo.timeout_ms = s->o.timeout_ms;
		r->llen = 0;
		r->rc = kube_exec(r->cl, &eo, &res, r->err, sizeof(r->err));
		/* cilium-dbg missing from the image: try cilium */
		if (!(r->rc == CILKIT_EIO && t + 1 < nt &&
		    strstr(r->err, "not found") != NULL))
			break;
	}
	/* a last line without its newline */
	if (r->rc == 0 && r->llen > 0 && !r->overlong)
		(void)one_line(r, r->line, r->llen);
	if (r->rc == 0 && res.exit_code != 0) {
		r->rc = CILKIT_EIO;
		snprintf(r->err, sizeof(r->err), "%s exited with status %d%s%s",
		    argv[0], res.exit_code, r->stlen ? ": " : "",
		    r->stderr_tail);
	}
	if (r->rc == CILKIT_EINTR && stopping(s))
		r->rc = 0;	/* we asked it to stop */
	pthread_mutex_lock(&s->mu);
	s->running--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
write_items(struct cilium_agent_stream *s, struct item *v, size_t n)
{
	size_t i, off;
	ssize_t w;

	for (i = 0; i < n; i++) {
		for (off = 0; !s->gone && off < v[i].len; off += (size_t)w) {
			w = send(s->wfd, v[i].line + off, v[i].len - off,
			    MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				/* the reader went away: stop the agents */
				s->gone = 1;
				s->stop = 1;
				break;
			}
		}
		free(v[i].line);
	}
}

static void *
merger(void *arg)
{
	struct cilium_agent_stream *s = arg;
	struct item *out;
	size_t k;
	long long cutoff;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		bool done = s->running == 0;

		if (!done && (s->o.reorder_ms == 0 ? s->bytes < HOLD_MAX :
		    true)) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			/* on a cancel the agents stop; what they sent is
			 * still written (a final report wants it) */
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			done = s->running == 0;
			if (!done && s->o.reorder_ms == 0 &&
			    s->bytes < HOLD_MAX)
				continue;
		}
		if (s->n > 1)
			qsort(s->items, s->n, sizeof(*s->items), cmp_item);
		k = s->n;
		if (!done && s->o.reorder_ms > 0) {
			cutoff = mono_ms() - s->o.reorder_ms;
			for (k = 0; k < s->n && s->items[k].arrival <= cutoff;
			    k++)
				;
		}
		out = NULL;
		if (k > 0 && (out = malloc(k * sizeof(*out))) != NULL) {
			memcpy(out, s->items, k * sizeof(*out));
			memmove(s->items, s->items + k,
			    (s->n - k) * sizeof(*s->items));
			s->n -= k;
			for (size_t i = 0; i < k; i++)
				s->bytes -= out[i].len;
			s->nrec += k;
		}
		pthread_mutex_unlock(&s->mu);
		if (out != NULL) {
			write_items(s, out, k);
			free(out);
		}
		pthread_mutex_lock(&s->mu);
		if (done && s->n == 0)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	/* EOF for the reader */
	shutdown(s->wfd, SHUT_WR);
	return NULL;
}

static bool
wanted(const char *node, const char *const *nodes)
{
	size_t i;

	if (nodes == NULL)
		return true;
	for (i = 0; nodes[i] != NULL; i++)
		if (strcmp(nodes[i], node) == 0)
			return true;
	return false;
}

static void
stream_free(struct cilium_agent_stream *s)
{
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		kube_client_free(s->runs[i].cl);
		free(s->runs[i].line);
		flow_scratch_free(s->runs[i].scratch);
	}
	for (i = 0; i < s->n; i++)
		free(s->items[i].line);
	for (i = 0; s->argcopy != NULL && s->argcopy[i] != NULL; i++)
		free(s->argcopy[i]);
	free(s->argcopy);
	free(s->items);
	free(s->runs);
	if (s->wfd >= 0)
		close(s->wfd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

int
cilium_agent_open(struct kube_client *c, const struct cilium_agent_opts *o,
    struct cilium_agent_stream **out, FILE **fp, char *errbuf,
    size_t errlen)
{
	struct cilium_agent_stream *s;
	struct cilium_agent_pod *pods = NULL;
	char **nsnodes = NULL;
	const char *const *nodes = o->nodes;
	int np, sv[2] = { -1, -1 }, r;
	size_t i;

	*out = NULL;
	*fp = NULL;
	if ((np = cilium_agent_list(c, &pods, errbuf, errlen)) < 0)
		return np;
	if (nodes == NULL && o->ns != NULL) {
		r = cilium_agent_nodes_of_ns(c, o->ns, &nsnodes, errbuf,
		    errlen);
		if (r < 0) {
			free(pods);
			return r;
		}
		nodes = (const char *const *)nsnodes;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = CILKIT_ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->wfd = -1;
	s->o = *o;
	s->ext_cancel = o->cancel;
	/* the caller's arguments may go away once we return */
	for (i = 0; o->args != NULL && o->args[i] != NULL; i++)
		;
	if ((s->argcopy = calloc(i + 1, sizeof(char *))) == NULL) {
		r = CILKIT_ENOMEM;
		goto fail;
	}
	for (i = 0; o->args != NULL && o->args[i] != NULL; i++)
		if ((s->argcopy[i] = strdup(o->args[i])) == NULL) {
			r = CILKIT_ENOMEM;
			goto fail;
		}
	s->o.args = (const char *const *)s->argcopy;
	s->o.nodes = NULL;	/* used only here */
	s->o.ns = NULL;
	if ((s->runs = calloc((size_t)np + 1, sizeof(*s->runs))) == NULL) {
		r = CILKIT_ENOMEM;
		goto fail;
	}
	for (i = 0; i < (size_t)np && s->nruns < CILIUM_AGENT_MAX; i++) {
		struct run *rn = &s->runs[s->nruns];

		if (!wanted(pods[i].node, nodes))
			continue;
		rn->s = s;
		rn->pod = pods[i];
		r = kube_client_new(kube_client_config(c), &rn->cl, errbuf,
		    errlen);
		if (r < 0)
			goto fail;
		kube_client_set_cancel(rn->cl, &s->stop);
		if ((rn->scratch = flow_scratch_new()) == NULL) {
			r = CILKIT_ENOMEM;
			goto fail;
		}
		s->nruns++;
	}
	if (s->nruns == 0) {
		r = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    np == 0 ? "no Cilium agent pods (%s in %s) found; is "
		    "Cilium installed?" : "no Cilium agent pod (%s in %s) "
		    "runs on the nodes asked for", KUBE_CILIUM_SELECTOR,
		    KUBE_CILIUM_NS);
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    (*fp = fdopen(sv[0], "r")) == NULL) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EIO, "socketpair: %s",
		    strerror(errno));
		if (sv[0] >= 0)
			close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		goto fail;
	}
	s->wfd = sv[1];
	s->running = (int)s->nruns;
	for (i = 0; i < s->nruns; i++) {
		if (pthread_create(&s->runs[i].th, NULL, run_agent,
		    &s->runs[i]) != 0) {
			s->stop = 1;
			s->running -= (int)(s->nruns - i);
			break;
		}
		s->runs[i].started = true;
	}
	if (pthread_create(&s->merger, NULL, merger, s) == 0)
		s->merger_started = true;
	else
		s->stop = 1;
	free(pods);
	if (nsnodes != NULL) {
		for (i = 0; nsnodes[i] != NULL; i++)
			free(nsnodes[i]);
		free(nsnodes);
	}
	*out = s;
	return (int)s->nruns;
fail:
	free(pods);
	if (nsnodes != NULL) {
		for (i = 0; nsnodes[i] != NULL; i++)
			free(nsnodes[i]);
		free(nsnodes);
	}
	if (*fp != NULL) {
		fclose(*fp);
		*fp = NULL;
	}
	if (s != NULL)
		stream_free(s);
	return r;
}

int
cilium_agent_close(struct cilium_agent_stream *s, FILE *fp,
    unsigned long long *n_records, char *errbuf, size_t errlen)
{
	size_t i, off = 0;
	int rc = 0;

	/* the reader is done: anything still coming is unwanted */
	if (fp != NULL)
		fclose(fp);
	s->stop = 1;
	for (i = 0; i < s->nruns; i++)
		if (s->runs[i].started)
			pthread_join(s->runs[i].th, NULL);
	if (s->merger_started)
		pthread_join(s->merger, NULL);
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	for (i = 0; i < s->nruns; i++) {
		struct run *r = &s->runs[i];
		int w;

		if (r->rc == 0)
			continue;
		if (rc == 0)
			rc = r->rc;
		if (errbuf != NULL && off < errlen) {
			w = snprintf(errbuf + off, errlen - off, "%s%s (%s): %s",
			    off ? "\n" : "", r->pod.node, r->pod.name, r->err);
			if (w > 0)
				off += (size_t)w;
		}
	}
	if (n_records != NULL)
		*n_records = s->nrec;
	stream_free(s);
	return rc;
}
