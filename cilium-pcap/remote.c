/*
 * remote.c - cilium-pcap's remote mode: for each pod (one, or every pod
 * a --selector matches) find its node and that node's Cilium agent pod,
 * resolve the interface there, and run
 *
 *	timeout -k 5 SECS tcpdump -i IFACE --immediate-mode -U -w - \
 *	    -s SNAP [-c N] [-- FILTER]
 *
 * in the agent through pods/exec, one thread per pod.  The stdout bytes
 * go through cpcap_stream (only whole, sane records pass) into the
 * output, directly for one pod or through the time-ordered merge for
 * several.  The main thread draws the status line, enforces the client
 * side of the time box and turns a signal into a cancel of every exec.
 *
 * A cancelled exec closes the WebSocket: the API server ends the stream
 * and tcpdump dies on its next write (SIGPIPE); `timeout` in the pod
 * bounds it in any case, so nothing outlives the capture by more than
 * its duration.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "cilium_agent.h"
#include "cilkit.h"
#include "cli.h"
#include "cpcap_iface.h"
#include "cpcap_merge.h"
#include "cpcap_stream.h"
#include "exitcodes.h"
#include "kube_client.h"
#include "kube_config.h"
#include "kube_exec.h"
#include "kube_objects.h"

#define MAX_TARGETS	64
#define ERRTAIL		8192	/* tcpdump stderr kept per pod */
/* How long the client waits past the duration for the pod's tcpdump. */
#define GRACE_MS	20000

struct target {
	char		 ns[254], name[254], node[254];
	char		 agent[254], container[64], image[256];
	char		 ips[CP_MAX_IPS][CPCAP_ADDRSTRLEN];
	int		 nips;
	char		 iface[CPCAP_IFNAMSIZ + 8];
	char		 filter[CPCAP_FILTER_MAX + 1];
	int		 idx;
	struct cpcap_stream *stream;
	char		 errtail[ERRTAIL];
	size_t		 nerr;
	/* results */
	int		 rc;		/* kube_exec's return */
	int		 exit_code;
	int		 stream_rc;	/* cpcap_stream error, 0 */
	char		 msg[CILKIT_ERRBUF_SIZE];
	char		 smsg[CILKIT_ERRBUF_SIZE];
	int		 done;
	pthread_t	 th;
};

/* Everything the exec threads share, under mu. */
static struct {
	pthread_mutex_t		 mu;
	struct cp_opts		*o;
	struct kube_config	*cfg;
	struct cpcap_writer	*w;
	struct cpcap_merge	*merge;	/* NULL for one pod */
	int			 linktype;
	int			 out_rc;	/* exit status of a failed open */
	int			 out_failed;
	char			 out_msg[CILKIT_ERRBUF_SIZE];
	volatile sig_atomic_t	 cancel;
	struct target		*t;
	int			 nt;
} R = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int
on_info(void *arg, const struct cpcap_stream_info *info)
{
	struct target *t = arg;
	int rc;

	if (R.w == NULL) {
		if (R.out_failed)
			return 1;
		/* Several pods: nanoseconds, so the merge loses nothing. */
		rc = cp_open_output(R.o, (int)info->linktype, info->snaplen,
		    R.merge != NULL ? CPCAP_TS_NSEC : info->tsprec, &R.w);
		if (rc != 0) {
			R.out_failed = 1;
			R.out_rc = rc;
			R.cancel = 1;
			return 1;
		}
		R.linktype = (int)info->linktype;
		return 0;
	}
	if ((int)info->linktype != R.linktype) {
		snprintf(t->smsg, sizeof(t->smsg), "%.100s/%.100s: link type %u "
		    "differs from the other pods' %d: cannot merge", t->ns,
		    t->name, info->linktype, R.linktype);
		return 1;
	}
	return 0;
}

static int
on_rec(void *arg, const struct cpcap_rechdr *h, const uint8_t *data)
{
	struct target *t = arg;
	struct cpcap_rechdr c;

	if (R.out_failed)
		return 1;
	if (R.merge != NULL) {
		if (cpcap_merge_push(R.merge, t->idx, h,
		    cpcap_stream_tsprec(t->stream), data, cpcap_now_ms(),
		    R.out_msg, sizeof(R.out_msg)) != 0)
			goto fail;
		return 0;
	}
	c = *h;
	if (c.caplen > (uint32_t)cpcap_writer_snaplen(R.w))
		c.caplen = (uint32_t)cpcap_writer_snaplen(R.w);
	if (cpcap_writer_write(R.w, &c, data, R.out_msg,
	    sizeof(R.out_msg)) != 0)
		goto fail;
	return 0;
fail:
	R.out_failed = 1;
	R.out_rc = CILKIT_EXIT_IO;
	R.cancel = 1;
	return 1;
}

static int
on_stdout(void *arg, const uint8_t *buf, size_t len)
{
	struct target *t = arg;
	int rc;

	pthread_mutex_lock(&R.mu);
	rc = cpcap_stream_feed(t->stream, buf, len, t->smsg,
	    sizeof(t->smsg));
	if (rc != 0 && t->stream_rc == 0)
		t->stream_rc = rc;
	pthread_mutex_unlock(&R.mu);
	return rc != 0;
}

static int
on_stderr(void *arg, const uint8_t *buf, size_t len)
{
	struct target *t = arg;

	/* Keep the last ERRTAIL - 1 bytes: the summary comes last. */
	if (len >= ERRTAIL - 1) {
		buf += len - (ERRTAIL - 1);
		len = ERRTAIL - 1;
	}
	if (t->nerr + len > ERRTAIL - 1) {
		size_t drop = t->nerr + len - (ERRTAIL - 1);

		memmove(t->errtail, t->errtail + drop, t->nerr - drop);
		t->nerr -= drop;
	}
	memcpy(t->errtail + t->nerr, buf, len);
	t->nerr += len;
	t->errtail[t->nerr] = '\0';
	return 0;
}

/* Run argv in t's agent pod, collecting stdout into out (cap bytes). */
struct collect {
	char	*buf;
	size_t	 n, cap;
};

static int
collect_cb(void *arg, const uint8_t *buf, size_t len)
{
	struct collect *c = arg;

	if (c->n + len >= c->cap)
		len = c->cap - 1 - c->n;
	memcpy(c->buf + c->n, buf, len);
	c->n += len;
	c->buf[c->n] = '\0';
	return 0;
}

static int
agent_run(struct kube_client *cl, const struct target *t,
    const char *const *argv, char *out, size_t cap, int *exit_code,
    char *eb, size_t eblen)
{
	struct kube_exec_opts xo;
	struct kube_exec_result res;
	struct collect c = { out, 0, cap };
	int rc;

	out[0] = '\0';
	memset(&xo, 0, sizeof(xo));
	xo.ns = KUBE_CILIUM_NS;
	xo.pod = t->agent;
	xo.container = t->container[0] ? t->container : NULL;
	xo.argv = argv;
	xo.on_stdout = collect_cb;
	xo.on_stderr = collect_cb;
	xo.arg = &c;
	xo.timeout_ms = 30000;
	memset(&res, 0, sizeof(res));
	rc = kube_exec(cl, &xo, &res, eb, eblen);
	*exit_code = res.exit_code;
	return rc;
}

/*
 * --interface pod: the route to the pod's IP as the node sees it; where
 * that goes through cilium_host (no per-endpoint routes), the
 * endpoint's interface from the agent.
 */
static int
resolve_pod_iface(struct kube_client *cl, struct target *t)
{
	char out[16384], eb[CILKIT_ERRBUF_SIZE], why[CILKIT_ERRBUF_SIZE];
	char sel[600];
	const char *argv[8];
	int code = 0, rc;

	argv[0] = "ip";
	argv[1] = "route";
	argv[2] = "get";
	argv[3] = t->ips[0];
	argv[4] = NULL;
	rc = agent_run(cl, t, argv, out, sizeof(out), &code, eb, sizeof(eb));
	if (rc == 0 && code == 0 && cpcap_iface_parse_route_get(out,
	    strlen(out), t->iface, sizeof(t->iface), why, sizeof(why)) == 0)
		return 0;
	if (rc != 0)
		snprintf(why, sizeof(why), "%s", eb);
	else if (code != 0)
		snprintf(why, sizeof(why), "ip route get: %.200s", out);
	snprintf(sel, sizeof(sel), "pod-name:%s/%s", t->ns, t->name);
	argv[0] = "cilium-dbg";
	argv[1] = "endpoint";
	argv[2] = "get";
	argv[3] = sel;
	argv[4] = "-o";
	argv[5] = "json";
	argv[6] = NULL;
	rc = agent_run(cl, t, argv, out, sizeof(out), &code, eb, sizeof(eb));
	if (rc == 0 && code == 0 && cpcap_iface_parse_endpoint_json(out,
	    strlen(out), t->iface, sizeof(t->iface), eb, sizeof(eb)) == 0)
		return 0;
	cli_warnx("cannot find the interface of pod %s/%s on node %s: %s",
	    t->ns, t->name, t->node, why);
	return CILKIT_EXIT_USAGE;
}

static void *
capture_thread(void *arg)
{
	struct target *t = arg;
	struct kube_client *cl = NULL;
	struct kube_exec_opts xo;
	struct kube_exec_result res;
	char secs[24], snap[24], count[24];
	const char *argv[20];
	int n = 0;

	snprintf(secs, sizeof(secs), "%lld", (long long)R.o->duration_s);
	snprintf(snap, sizeof(snap), "%u", R.o->snaplen);
	snprintf(count, sizeof(count), "%llu",
	    (unsigned long long)R.o->count);
	argv[n++] = "timeout";
	argv[n++] = "-k";
	argv[n++] = "5";
	argv[n++] = secs;
	argv[n++] = "tcpdump";
	argv[n++] = "-i";
	argv[n++] = t->iface;
	/*
	 * Immediate mode: otherwise the packets of the last ring block
	 * are lost when `timeout` stops tcpdump (counted as received,
	 * never written).
	 */
	argv[n++] = "--immediate-mode";
	argv[n++] = "-U";
	argv[n++] = "-w";
	argv[n++] = "-";
	argv[n++] = "-s";
	argv[n++] = snap;
	if (R.o->count > 0) {
		argv[n++] = "-c";
		argv[n++] = count;
	}
	if (t->filter[0] != '\0') {
		/* After "--" nothing in the filter is read as an option. */
		argv[n++] = "--";
		argv[n++] = t->filter;
	}
	argv[n] = NULL;

	t->rc = kube_client_new(R.cfg, &cl, t->msg, sizeof(t->msg));
	if (t->rc == 0) {
		kube_client_set_cancel(cl, &R.cancel);
		kube_client_set_timeout(cl, 0);
		memset(&xo, 0, sizeof(xo));
		xo.ns = KUBE_CILIUM_NS;
		xo.pod = t->agent;
		xo.container = t->container[0] ? t->container : NULL;
		xo.argv = argv;
		xo.on_stdout = on_stdout;
		xo.on_stderr = on_stderr;
		xo.arg = t;
		xo.timeout_ms = R.o->duration_s * 1000 + GRACE_MS;
		memset(&res, 0, sizeof(res));
		t->rc = kube_exec(cl, &xo, &res, t->msg, sizeof(t->msg));
		t->exit_code = res.exit_code;
	}
	kube_client_free(cl);
	pthread_mutex_lock(&R.mu);
	if (t->stream_rc == 0 && cpcap_stream_started(t->stream) &&
	    cpcap_stream_end(t->stream, t->smsg, sizeof(t->smsg)) != 0)
		t->stream_rc = CILKIT_ETRUNC;
	if (R.merge != NULL)
		cpcap_merge_done(R.merge, t->idx);
	t->done = 1;
	pthread_mutex_unlock(&R.mu);
	return NULL;
}

/* "N packets <what>" in tcpdump's stderr summary, summed into *sum. */
static void
tcpdump_count(const char *s, const char *what, uint64_t *sum)
{
	const char *p = s, *q;
	unsigned long long v;
	char *end;

	while ((q = strstr(p, what)) != NULL) {
		const char *b = q;

		/* back to the start of the number before " packet(s) " */
		while (b > s && b[-1] != '\n')
			b--;
		errno = 0;
		v = strtoull(b, &end, 10);
		if (end != b && errno == 0 && strncmp(end, " packet", 7) == 0)
			*sum += v;
		p = q + strlen(what);
	}
}

/* Load one pod, check it can be captured, fill t.  Exit status or 0. */
static int
fill_target(struct kube_client *cl, const struct kube_pod *p,
    struct target *t, struct cilium_agent_pod *agents, int nagents)
{
	size_t i;
	int j;

	snprintf(t->ns, sizeof(t->ns), "%s", p->ns ? p->ns : "");
	snprintf(t->name, sizeof(t->name), "%s", p->name);
	if (p->phase == NULL || strcmp(p->phase, "Running") != 0) {
		cli_warnx("pod %s/%s is %s, not Running", t->ns, t->name,
		    p->phase ? p->phase : "in no phase");
		return CILKIT_EXIT_USAGE;
	}
	if (p->node == NULL || *p->node == '\0') {
		cli_warnx("pod %s/%s is not scheduled on a node", t->ns,
		    t->name);
		return CILKIT_EXIT_USAGE;
	}
	snprintf(t->node, sizeof(t->node), "%s", p->node);
	for (i = 0; i < p->nips && t->nips < CP_MAX_IPS; i++) {
		char eb[CILKIT_ERRBUF_SIZE];

		if (cpcap_addr_parse(p->ips[i], t->ips[t->nips],
		    sizeof(t->ips[0]), eb, sizeof(eb)) > 0)
			t->nips++;
	}
	if (t->nips == 0) {
		cli_warnx("pod %s/%s has no IP address yet", t->ns, t->name);
		return CILKIT_EXIT_USAGE;
	}
	for (j = 0; j < nagents; j++)
		if (strcmp(agents[j].node, t->node) == 0 &&
		    (agents[j].running || t->agent[0] == '\0')) {
			snprintf(t->agent, sizeof(t->agent), "%s",
			    agents[j].name);
			snprintf(t->container, sizeof(t->container), "%s",
			    agents[j].container);
		}
	if (t->agent[0] == '\0') {
		cli_warnx("no Cilium agent pod on node %s (looked for %s in "
		    "%s): is Cilium running there?", t->node,
		    KUBE_CILIUM_SELECTOR, KUBE_CILIUM_NS);
		return CILKIT_EXIT_CLUSTER;
	}
	(void)cl;
	return 0;
}

/* The image of the agent container, for the "no tcpdump" message. */
static void
agent_image(struct kube_client *cl, struct target *t)
{
	struct kube_list_opts lo;
	struct kube_objlist l;
	char fs[300], eb[CILKIT_ERRBUF_SIZE];
	size_t i;

	snprintf(t->image, sizeof(t->image), "(unknown image)");
	memset(&lo, 0, sizeof(lo));
	snprintf(fs, sizeof(fs), "metadata.name=%s", t->agent);
	lo.field_selector = fs;
	if (kube_list_pods(cl, KUBE_CILIUM_NS, &lo, &l, eb, sizeof(eb)) < 0)
		return;
	if (l.n > 0)
		for (i = 0; i < l.u.pods[0].ncontainers; i++) {
			const struct kube_container *c =
			    &l.u.pods[0].containers[i];

			if (c->image != NULL && (t->container[0] == '\0' ||
			    strcmp(c->name, t->container) == 0)) {
				snprintf(t->image, sizeof(t->image), "%s",
				    c->image);
				break;
			}
		}
	kube_objlist_free(&l);
}

/* Why one pod's capture failed, and the exit status for it. */
static int
target_status(struct kube_client *cl, struct target *t)
{
	const char *tail = t->errtail;

	if (t->rc == CILKIT_EINTR && cp_stop)
		return CILKIT_EXIT_INTERRUPTED;
	if (R.out_failed)
		return R.out_rc;
	if (t->stream_rc != 0 && t->stream_rc != CILKIT_ETRUNC) {
		cli_warnx("%s/%s: the agent's tcpdump output is not a valid "
		    "pcap: %s", t->ns, t->name, t->smsg);
		return CILKIT_EXIT_REMOTE;
	}
	if (t->rc == CILKIT_EFORBIDDEN) {
		cli_warnx("not allowed to exec in the Cilium agent pod %s/%s "
		    "(RBAC needs get and create on pods/exec in %s): %s",
		    KUBE_CILIUM_NS, t->agent, KUBE_CILIUM_NS, t->msg);
		return CILKIT_EXIT_CLUSTER;
	}
	if (t->rc == CILKIT_EIO && strstr(t->msg, "not found") != NULL) {
		agent_image(cl, t);
		cli_warnx("the Cilium agent image %s in %s/%s has no timeout "
		    "command: %s", t->image, KUBE_CILIUM_NS, t->agent, t->msg);
		return CILKIT_EXIT_REMOTE;
	}
	if (t->rc != 0) {
		cli_warnx("%s/%s: exec in %s/%s failed: %s", t->ns, t->name,
		    KUBE_CILIUM_NS, t->agent, t->msg);
		return t->rc == CILKIT_ETIMEOUT ? CILKIT_EXIT_REMOTE :
		    CILKIT_EXIT_CLUSTER;
	}
	/* 124: `timeout` ended tcpdump at the end of the duration. */
	if (t->exit_code == 0 || t->exit_code == 124)
		return 0;
	if (t->exit_code == 127 || strstr(tail, "failed to run command") ||
	    strstr(tail, "tcpdump: not found") != NULL) {
		agent_image(cl, t);
		cli_warnx("the Cilium agent image %s (pod %s/%s on node %s) "
		    "has no tcpdump: capture on the node with 'cilium-pcap "
		    "--local --ip %s' (e.g. from 'kubectl debug node/%s' with "
		    "an image that has tcpdump), or use an agent image that "
		    "ships it", t->image, KUBE_CILIUM_NS, t->agent, t->node,
		    t->ips[0], t->node);
		return CILKIT_EXIT_REMOTE;
	}
	if (strstr(tail, "No such device") != NULL ||
	    strstr(tail, "doesn't exist") != NULL) {
		cli_warnx("interface %s not found on node %s", t->iface,
		    t->node);
		return CILKIT_EXIT_USAGE;
	}
	cli_warnx("%s/%s: tcpdump in %s/%s exited with %d: %.400s", t->ns,
	    t->name, KUBE_CILIUM_NS, t->agent, t->exit_code, tail);
	return CILKIT_EXIT_REMOTE;
}

static int
list_targets(struct kube_client *cl, struct cp_opts *o, const char *ns,
    struct kube_objlist *l)
{
	struct kube_list_opts lo;
	char fs[300], eb[CILKIT_ERRBUF_SIZE];
	int n;

	memset(&lo, 0, sizeof(lo));
	if (o->selector != NULL) {
		lo.label_selector = o->selector;
	} else {
		snprintf(fs, sizeof(fs), "metadata.name=%s", o->pod);
		lo.field_selector = fs;
	}
	n = kube_list_pods(cl, ns, &lo, l, eb, sizeof(eb));
	if (n < 0) {
		cli_warnx("%s", eb);
		return n == CILKIT_EINVAL ? -CILKIT_EXIT_USAGE :
		    -CILKIT_EXIT_CLUSTER;
	}
	if (n == 0) {
		if (o->selector != NULL)
			cli_warnx("no pod in namespace %s matches %s", ns,
			    o->selector);
		else
			cli_warnx("pod %s/%s not found", ns, o->pod);
		kube_objlist_free(l);
		return -CILKIT_EXIT_USAGE;
	}
	if (n > MAX_TARGETS) {
		cli_warnx("%d pods match %s; at most %d at once", n,
		    o->selector, MAX_TARGETS);
		kube_objlist_free(l);
		return -CILKIT_EXIT_USAGE;
	}
	return n;
}

int
cp_lookup_pod_ips(struct cp_opts *o)
{
	struct kube_config_opts co;
	struct kube_config *cfg = NULL;
	struct kube_client *cl = NULL;
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE];
	const struct kube_pod *p;
	size_t i;
	int n, rc;

	memset(&co, 0, sizeof(co));
	co.kubeconfig = o->kubeconfig;
	co.context = o->context;
	co.ns = o->ns;
	if ((rc = kube_config_load(&co, &cfg, eb, sizeof(eb))) < 0) {
		cli_warnx("local mode needs the pod's IP: give --ip ADDR, or "
		    "a kubeconfig to look it up (%s)", eb);
		return CILKIT_EXIT_USAGE;
	}
	rc = CILKIT_EXIT_CLUSTER;
	if (kube_client_new(cfg, &cl, eb, sizeof(eb)) < 0) {
		cli_warnx("%s", eb);
		goto out;
	}
	kube_client_set_cancel(cl, &cp_stop);
	if ((n = list_targets(cl, o, o->ns != NULL ? o->ns : cfg->ns,
	    &l)) < 0) {
		rc = -n;
		goto out;
	}
	p = &l.u.pods[0];
	for (i = 0; i < p->nips && o->nips < CP_MAX_IPS; i++)
		if (cpcap_addr_parse(p->ips[i], o->ips[o->nips],
		    sizeof(o->ips[0]), eb, sizeof(eb)) > 0)
			o->nips++;
	if (o->nips == 0)
		cli_warnx("pod %s/%s has no IP address yet", p->ns ? p->ns :
		    "", p->name);
	else
		rc = 0;
	kube_objlist_free(&l);
out:
	kube_client_free(cl);
	kube_config_free(cfg);
	return rc;
}

int
cp_remote(struct cp_opts *o)
{
	struct kube_config_opts co;
	struct kube_client *cl = NULL;
	struct cilium_agent_pod *agents = NULL;
	struct kube_objlist l;
	struct cpcap_stats st;
	char eb[CILKIT_ERRBUF_SIZE];
	const char *addrs[CP_MAX_IPS], *ns;
	int64_t start, now;
	int i, j, n, nagents, rc = 0, end, started = 0, worst = 0;

	memset(&co, 0, sizeof(co));
	co.kubeconfig = o->kubeconfig;
	co.context = o->context;
	co.ns = o->ns;
	if ((rc = kube_config_load(&co, &R.cfg, eb, sizeof(eb))) < 0) {
		cli_warnx("cannot reach the cluster: %s (to capture on this "
		    "node without the API: --local --ip ADDR)", eb);
		return rc == CILKIT_ENOTFOUND || rc == CILKIT_EINVAL ?
		    CILKIT_EXIT_USAGE : CILKIT_EXIT_CLUSTER;
	}
	if (R.cfg->warning != NULL)
		cli_warnx("warning: %s", R.cfg->warning);
	ns = o->ns != NULL ? o->ns : R.cfg->ns;
	R.o = o;
	rc = CILKIT_EXIT_CLUSTER;
	if (kube_client_new(R.cfg, &cl, eb, sizeof(eb)) < 0) {
		cli_warnx("%s", eb);
		goto out_cfg;
	}
	kube_client_set_cancel(cl, &cp_stop);
	if ((n = list_targets(cl, o, ns, &l)) < 0) {
		rc = -n;
		goto out_cl;
	}
	if ((nagents = cilium_agent_list(cl, &agents, eb, sizeof(eb))) < 0) {
		cli_warnx("cannot list the Cilium agent pods: %s", eb);
		goto out_list;
	}
	R.t = calloc((size_t)n, sizeof(*R.t));
	if (R.t == NULL) {
		cli_warnx("out of memory");
		goto out_agents;
	}
	R.nt = n;
	for (i = 0; i < n; i++) {
		struct target *t = &R.t[i];

		t->idx = i;
		if ((rc = fill_target(cl, &l.u.pods[i], t, agents,
		    nagents)) != 0)
			goto out_targets;
		if (strcmp(o->iface, "pod") == 0) {
			if ((rc = resolve_pod_iface(cl, t)) != 0)
				goto out_targets;
			addrs[0] = NULL;
			j = 0;
		} else {
			snprintf(t->iface, sizeof(t->iface), "%s", o->iface);
			for (j = 0; j < t->nips; j++)
				addrs[j] = t->ips[j];
		}
		rc = CILKIT_EXIT_USAGE;
		if (cpcap_filter_build(o->filter, addrs, (size_t)j, t->filter,
		    sizeof(t->filter), eb, sizeof(eb)) != 0 ||
		    (t->filter[0] != '\0' && cpcap_filter_check(t->filter,
		    strcmp(t->iface, "any") == 0 ? DLT_LINUX_SLL :
		    DLT_EN10MB, o->snaplen, eb, sizeof(eb)) != 0)) {
			cli_warnx("%s", eb);
			goto out_targets;
		}
		if (o->verbose)
			fprintf(stderr, "%s: pod %s/%s on node %s: tcpdump in "
			    "%s/%s on %s, filter: %s\n", cli_progname(),
			    t->ns, t->name, t->node, KUBE_CILIUM_NS, t->agent,
			    t->iface, t->filter[0] ? t->filter : "(none)");
		if (cpcap_stream_new(&t->stream, t->name, on_info, on_rec, t,
		    eb, sizeof(eb)) != 0) {
			cli_warnx("%s", eb);
			rc = CILKIT_EXIT_IO;
			goto out_targets;
		}
	}
	if (n > 1 && cpcap_merge_new(&R.merge, n, 2000, 64U << 20, eb,
	    sizeof(eb)) != 0) {
		cli_warnx("%s", eb);
		rc = CILKIT_EXIT_IO;
		goto out_targets;
	}

	if (!o->quiet && !o->status)
		fprintf(stderr, "%s: capturing on %s for %llds (%d pod%s)\n",
		    cli_progname(), o->iface, (long long)o->duration_s, n,
		    n == 1 ? "" : "s");
	start = cpcap_now_ms();
	for (i = 0; i < n; i++) {
		if (pthread_create(&R.t[i].th, NULL, capture_thread,
		    &R.t[i]) != 0) {
			cli_warnx("cannot start a thread");
			R.cancel = 1;
			break;
		}
		started++;
	}
	for (;;) {
		int alldone = 1;
		struct timespec ts = { 0, 250 * 1000000L };

		nanosleep(&ts, NULL);
		now = cpcap_now_ms();
		if (cp_stop ||
		    now - start > o->duration_s * 1000 + GRACE_MS)
			R.cancel = 1;
		pthread_mutex_lock(&R.mu);
		for (i = 0; i < started; i++)
			alldone &= R.t[i].done;
		if (R.w != NULL && !R.out_failed) {
			if (R.merge != NULL && cpcap_merge_pump(R.merge, R.w,
			    now, 0, R.out_msg, sizeof(R.out_msg)) < 0) {
				R.out_failed = 1;
				R.out_rc = CILKIT_EXIT_IO;
				R.cancel = 1;
			} else if (cpcap_writer_flush(R.w, R.out_msg,
			    sizeof(R.out_msg)) != 0) {
				R.out_failed = 1;
				R.out_rc = CILKIT_EXIT_IO;
				R.cancel = 1;
			}
			memset(&st, 0, sizeof(st));
			st.captured = cpcap_writer_packets(R.w);
			st.bytes = cpcap_writer_bytes(R.w);
		} else
			memset(&st, 0, sizeof(st));
		pthread_mutex_unlock(&R.mu);
		if (alldone)
			break;
		cp_status_tick(o, &st, now - start);
	}
	for (i = 0; i < started; i++)
		pthread_join(R.t[i].th, NULL);

	/* Everything left in the merge goes out now. */
	if (R.w != NULL && R.merge != NULL && !R.out_failed &&
	    cpcap_merge_pump(R.merge, R.w, cpcap_now_ms(), 1, R.out_msg,
	    sizeof(R.out_msg)) < 0) {
		R.out_failed = 1;
		R.out_rc = CILKIT_EXIT_IO;
	}
	memset(&st, 0, sizeof(st));
	for (i = 0; i < n; i++) {
		tcpdump_count(R.t[i].errtail, " packets received by filter",
		    &st.received);
		tcpdump_count(R.t[i].errtail, " packet received by filter",
		    &st.received);
		tcpdump_count(R.t[i].errtail, " packets dropped by kernel",
		    &st.dropped);
		tcpdump_count(R.t[i].errtail, " packet dropped by kernel",
		    &st.dropped);
		if (R.t[i].stream_rc == CILKIT_ETRUNC && !cp_stop &&
		    o->verbose)
			cli_warnx("%s", R.t[i].smsg);
	}
	cp_status_clear();
	worst = 0;
	for (i = 0; i < n; i++) {
		int s = target_status(cl, &R.t[i]);

		if (s != 0 && (worst == 0 || worst == CILKIT_EXIT_INTERRUPTED))
			worst = s;
	}
	if (R.w == NULL && worst == 0 && !R.out_failed) {
		/* No pod sent a header: nothing ran. */
		cli_warnx("no capture data came back from the agent");
		worst = CILKIT_EXIT_REMOTE;
	}
	if (R.w != NULL) {
		st.captured = cpcap_writer_packets(R.w);
		st.bytes = cpcap_writer_bytes(R.w);
		if (cpcap_writer_close(R.w, eb, sizeof(eb)) != 0 &&
		    !R.out_failed) {
			R.out_failed = 1;
			R.out_rc = CILKIT_EXIT_IO;
			snprintf(R.out_msg, sizeof(R.out_msg), "%s", eb);
		}
		R.w = NULL;
	}
	if (R.out_failed && R.out_rc == CILKIT_EXIT_IO)
		end = CPCAP_END_OUTPUT;
	else if (cp_stop)
		end = CPCAP_END_STOPPED;
	else
		end = CPCAP_END_DURATION;
	rc = cp_finish(o, end, &st, R.out_msg);
	if (R.out_failed && R.out_rc != CILKIT_EXIT_IO)
		rc = R.out_rc;
	else if (rc == 0)
		rc = worst;
out_targets:
	for (i = 0; i < R.nt; i++)
		cpcap_stream_free(R.t[i].stream);
	free(R.t);
	cpcap_merge_free(R.merge);
	if (R.w != NULL)
		cpcap_writer_close(R.w, eb, sizeof(eb));
out_agents:
	free(agents);
out_list:
	kube_objlist_free(&l);
out_cl:
	kube_client_free(cl);
out_cfg:
	kube_config_free(R.cfg);
	return rc;
}
