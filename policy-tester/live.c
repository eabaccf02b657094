/*
 * live.c - policy-tester against a cluster: the objects come from the
 * API (lib/kube_client), the probe runs inside the source pod through
 * pods/exec with whatever the container has (curl, nc, bash, busybox,
 * ping), and the Hubble step asks the Cilium agent on the nodes of both
 * ends for the flows of that connection.
 *
 * A step that cannot run (no tool in the container, no agent, RBAC)
 * says why and is not a failure.
 */
#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_client.h"
#include "kube_config.h"
#include "kube_exec.h"
#include "kube_objects.h"
#include "policy.h"
#include "tester.h"

#define OUT_CAP		(64 * 1024)	/* command output kept */

struct live {
	struct kube_config *cfg;
	struct kube_client *client;
};

/* Add every item of a LIST as kind (items of a LIST carry no kind). */
static int
add_items(struct tester *t, struct json_object *items, const char *kind,
    const char *what, char *eb, size_t el)
{
	char sub[CILKIT_ERRBUF_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		if (!json_object_is_type(it, json_type_object))
			continue;
		json_object_object_add(it, "kind", json_object_new_string(kind));
		rc = policy_db_add_object(t->db, it, what, sub, sizeof(sub));
		if (rc == CILKIT_ENOMEM || rc == CILKIT_ETOOBIG)
			return cilkit_fail(eb, el, rc, "%s", sub);
		if (rc < 0)
			fprintf(stderr, "%s: warning: %s (skipped)\n",
			    "policy-tester", sub);
	}
	return 0;
}

int
tester_live_load(struct tester *t, char *eb, size_t el)
{
	static const struct {
		const struct kube_resource *res;
		const char *kind;
		bool policy;
	} kinds[] = {
		{ &kube_res_namespaces, "Namespace", false },
		{ &kube_res_pods, "Pod", false },
		{ &kube_res_services, "Service", false },
		{ &kube_res_networkpolicies, "NetworkPolicy", true },
		{ &kube_res_cnp, "CiliumNetworkPolicy", true },
		{ &kube_res_ccnp, "CiliumClusterwideNetworkPolicy", true },
	};
	struct kube_config_opts co;
	struct json_object *items;
	size_t k;
	int rc;

	t->live = calloc(1, sizeof(*t->live));
	if (t->live == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	memset(&co, 0, sizeof(co));
	co.kubeconfig = t->kubeconfig;
	co.context = t->context;
	if ((rc = kube_config_load(&co, &t->live->cfg, eb, el)) < 0)
		return rc;
	if (t->live->cfg->warning != NULL)
		fprintf(stderr, "policy-tester: warning: %s\n",
		    t->live->cfg->warning);
	if ((rc = kube_client_new(t->live->cfg, &t->live->client, eb, el)) < 0)
		return rc;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		items = NULL;
		if (kinds[k].policy)
			rc = kube_list_policies(t->live->client, kinds[k].res,
			    NULL, true, &items, eb, el);
		else
			rc = kube_list(t->live->client, kinds[k].res, NULL, NULL,
			    &items, eb, el);
		if (rc < 0)
			return rc;
		rc = add_items(t, items, kinds[k].kind, kinds[k].res->plural,
		    eb, el);
		json_object_put(items);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
tester_live_close(struct tester *t)
{
	if (t->live == NULL)
		return;
	kube_client_free(t->live->client);
	kube_config_free(t->live->cfg);
	free(t->live);
	t->live = NULL;
}

/* ------------------------------------------------------------------ */
/* exec helpers */

/* stdout of a command; stderr is kept apart (its first line only). */
struct outbuf {
	char *buf;
	size_t len;
	char err[256];
	size_t elen;
};

static int
collect(void *arg, const uint8_t *b, size_t n)
{
	struct outbuf *o = arg;

	if (o->len + n > OUT_CAP)
		n = OUT_CAP - o->len;
	memcpy(o->buf + o->len, b, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int
collect_err(void *arg, const uint8_t *b, size_t n)
{
	struct outbuf *o = arg;

	if (o->elen + n >= sizeof(o->err))
		n = sizeof(o->err) - 1 - o->elen;
	memcpy(o->err + o->elen, b, n);
	o->elen += n;
	o->err[o->elen] = '\0';
	return 0;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

enum run_rc { RUN_OK = 0, RUN_MISSING = 1, RUN_ERROR = 2 };

/*
 * Run argv in ns/pod (stdin from the string in, may be NULL).  Fills
 * *code and out.  RUN_MISSING when the binary is not in the container.
 */
static enum run_rc
run(struct tester *t, const char *ns, const char *pod,
    const char *const *argv, const char *in, long timeout_ms, int *code,
    struct outbuf *out, double *ms, char *eb, size_t el)
{
	struct kube_exec_opts o;
	struct kube_exec_result res;
	int fds[2] = { -1, -1 }, rc;
	double t0;

	memset(&o, 0, sizeof(o));
	o.ns = ns;
	o.pod = pod;
	o.argv = argv;
	o.on_stdout = collect;
	o.on_stderr = collect_err;
	o.arg = out;
	o.timeout_ms = timeout_ms;
	if (in != NULL) {
		if (pipe(fds) < 0)
			return RUN_ERROR;
		if (write(fds[1], in, strlen(in)) < 0) {
			close(fds[0]);
			close(fds[1]);
			return RUN_ERROR;
		}
		close(fds[1]);
		o.use_stdin = true;
		o.stdin_fd = fds[0];
	}
	out->len = out->elen = 0;
	out->buf[0] = out->err[0] = '\0';
	t0 = now_ms();
	rc = kube_exec(t->live->client, &o, &res, eb, el);
	*ms = now_ms() - t0;
	if (fds[0] >= 0)
		close(fds[0]);
	if (rc == 0) {
		*code = res.exit_code;
		return RUN_OK;
	}
	if (rc == CILKIT_EIO && (strstr(eb, "not found") != NULL ||
	    strstr(eb, "no such file") != NULL))
		return RUN_MISSING;
	return RUN_ERROR;
}

static void
add_step(struct tresult *r, const char *name, enum step_status st,
    const char *fmt, ...)
{
	struct step *s;
	va_list ap;

	if (r->nsteps == MAX_STEPS)
		return;
	s = &r->steps[r->nsteps++];
	s->name = name;
	s->status = st;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* the probe */

static const char *
probe_name(int proto)
{
	return proto == POLICY_ICMP ? "ICMP echo" : proto == POLICY_UDP ?
	    "UDP exchange" : proto == POLICY_SCTP ? "SCTP connection" :
	    "TCP connection";
}

/*
 * TCP: curl (tells refused from timed out, measures the connect time),
 * then nc, bash's /dev/tcp, busybox nc.  Returns false when no tool.
 */
static bool
probe_tcp(struct tester *t, const char *ns, const char *pod, const char *ip,
    int port, struct tresult *r)
{
	char url[128], tmo[16], portstr[16], dev[160], eb[CILKIT_ERRBUF_SIZE];
	struct outbuf out;
	char buf[OUT_CAP + 1];
	double ms;
	int code = -1;
	long lim = (long)t->timeout * 1000 + 15000;
	enum run_rc rr;
	const char *name = probe_name(POLICY_TCP);

	out.buf = buf;
	snprintf(url, sizeof(url), strchr(ip, ':') ? "telnet://[%s]:%d" :
	    "telnet://%s:%d", ip, port);
	snprintf(tmo, sizeof(tmo), "%d", t->timeout);
	snprintf(portstr, sizeof(portstr), "%d", port);
	{
		const char *argv[] = { "curl", "-sS", "-o", "/dev/null",
			"--connect-timeout", tmo, "-m", tmo, "-w",
			"%{time_connect}", url, NULL };

		rr = run(t, ns, pod, argv, NULL, lim, &code, &out, &ms, eb,
		    sizeof(eb));
		if (rr == RUN_OK) {
			r->probed = true;
			/* telnet:// ends with 28 after connecting (-m) */
			if (code == 0 || (code == 28 && atof(out.buf) > 0)) {
				r->probe_ok = true;
				add_step(r, name, ST_OK, "SUCCESS (latency: "
				    "%.1fms, curl in the pod)",
				    atof(out.buf) * 1000);
			} else if (code == 7) {
				add_step(r, name, ST_FAIL, "REFUSED (curl: "
				    "could not connect: reset or rejected)");
			} else if (code == 28) {
				add_step(r, name, ST_FAIL, "TIMED OUT after "
				    "%ds (dropped?)", t->timeout);
			} else {
				add_step(r, name, ST_FAIL, "FAILED (curl exit "
				    "%d)", code);
			}
			return true;
		}
		if (rr == RUN_ERROR)
			goto err;
	}
	{
		const char *argv[] = { "nc", "-z", "-w", tmo, ip, portstr,
			NULL };
		const char *bb[] = { "busybox", "nc", "-z", "-w", tmo, ip,
			portstr, NULL };
		int k;

		for (k = 0; k < 2; k++) {
			rr = run(t, ns, pod, k ? bb : argv, NULL, lim, &code,
			    &out, &ms, eb, sizeof(eb));
			if (rr == RUN_MISSING)
				continue;
			if (rr == RUN_ERROR)
				goto err;
			r->probed = true;
			r->probe_ok = code == 0;
			if (code == 0)
				add_step(r, name, ST_OK, "SUCCESS (%s in the "
				    "pod; exec round trip %.0fms)", k ?
				    "busybox nc" : "nc", ms);
			else if (ms < t->timeout * 1000 / 2.0)
				add_step(r, name, ST_FAIL, "REFUSED (%s failed "
				    "after %.0fms)", k ? "busybox nc" : "nc",
				    ms);
			else
				add_step(r, name, ST_FAIL, "TIMED OUT after "
				    "%ds (dropped?)", t->timeout);
			return true;
		}
	}
	{
		const char *argv[] = { "timeout", tmo, "bash", "-c",
			"exec 3<>\"$0\"", dev, NULL };

		snprintf(dev, sizeof(dev), "/dev/tcp/%s/%d", ip, port);
		rr = run(t, ns, pod, argv, NULL, lim, &code, &out, &ms, eb,
		    sizeof(eb));
		if (rr == RUN_OK) {
			r->probed = true;
			r->probe_ok = code == 0;
			if (code == 0)
				add_step(r, name, ST_OK, "SUCCESS (bash "
				    "/dev/tcp in the pod)");
			else if (code == 124)
				add_step(r, name, ST_FAIL, "TIMED OUT after "
				    "%ds (dropped?)", t->timeout);
			else
				add_step(r, name, ST_FAIL, "REFUSED (bash: "
				    "%.*s)", (int)strcspn(out.err, "\n"),
				    out.err[0] ? out.err : "connect failed");
			return true;
		}
		if (rr == RUN_ERROR)
			goto err;
	}
	return false;
err:
	add_step(r, name, ST_SKIP, "skipped (exec into %s/%s failed: %s)", ns,
	    pod, eb);
	return true;
}

static bool
probe_udp(struct tester *t, const char *ns, const char *pod, const char *ip,
    int port, struct tresult *r)
{
	char tmo[16], portstr[16], eb[CILKIT_ERRBUF_SIZE];
	char buf[OUT_CAP + 1];
	struct outbuf out;
	const char *argv[] = { "nc", "-u", "-w", tmo, ip, portstr, NULL };
	const char *bb[] = { "busybox", "nc", "-u", "-w", tmo, ip, portstr,
		NULL };
	long lim = (long)t->timeout * 1000 + 15000;
	double ms;
	int code, k;
	enum run_rc rr;

	out.buf = buf;
	snprintf(tmo, sizeof(tmo), "%d", t->timeout);
	snprintf(portstr, sizeof(portstr), "%d", port);
	for (k = 0; k < 2; k++) {
		rr = run(t, ns, pod, k ? bb : argv, "policy-tester probe\n",
		    lim, &code, &out, &ms, eb, sizeof(eb));
		if (rr == RUN_MISSING)
			continue;
		if (rr == RUN_ERROR) {
			add_step(r, "UDP exchange", ST_SKIP, "skipped (exec "
			    "into %s/%s failed: %s)", ns, pod, eb);
			return true;
		}
		r->probed = true;
		r->probe_ok = out.len > 0 && code == 0;
		if (r->probe_ok)
			add_step(r, "UDP exchange", ST_OK, "SUCCESS (%zu bytes "
			    "back, %s in the pod)", out.len, k ? "busybox nc" :
			    "nc");
		else
			add_step(r, "UDP exchange", ST_FAIL, "NO REPLY within "
			    "%ds (dropped, or nothing answers)", t->timeout);
		return true;
	}
	return false;
}

static bool
probe_icmp(struct tester *t, const char *ns, const char *pod, const char *ip,
    struct tresult *r)
{
	char tmo[16], eb[CILKIT_ERRBUF_SIZE], buf[OUT_CAP + 1];
	struct outbuf out;
	const char *argv[] = { "ping", "-c", "1", "-W", tmo, ip, NULL };
	const char *bb[] = { "busybox", "ping", "-c", "1", "-W", tmo, ip,
		NULL };
	long lim = (long)t->timeout * 1000 + 15000;
	double ms;
	int code, k;
	enum run_rc rr;

	out.buf = buf;
	snprintf(tmo, sizeof(tmo), "%d", t->timeout);
	for (k = 0; k < 2; k++) {
		const char *tm;

		rr = run(t, ns, pod, k ? bb : argv, NULL, lim, &code, &out,
		    &ms, eb, sizeof(eb));
		if (rr == RUN_MISSING)
			continue;
		if (rr == RUN_ERROR) {
			add_step(r, "ICMP echo", ST_SKIP, "skipped (exec into "
			    "%s/%s failed: %s)", ns, pod, eb);
			return true;
		}
		r->probed = true;
		r->probe_ok = code == 0;
		tm = strstr(out.buf, "time=");
		if (code == 0)
			add_step(r, "ICMP echo", ST_OK, "SUCCESS (latency: "
			    "%.1fms)", tm ? atof(tm + 5) : ms);
		else
			add_step(r, "ICMP echo", ST_FAIL, "NO REPLY within %ds",
			    t->timeout);
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Hubble */

static void
names_of(struct json_object *f, const char *key, char *buf, size_t len)
{
	struct json_object *a;
	size_t i;

	if (!json_object_object_get_ex(f, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i), *n;
		size_t l = strlen(buf);

		if (json_object_object_get_ex(p, "name", &n))
			snprintf(buf + l, len - l, "%s%s", l ? ", " : "",
			    json_object_get_string(n));
	}
}

/* Flows of one agent: keep the newest verdict, drops first. */
struct hub {
	int nflows;
	bool dropped;
	char verdict[64], reason[256], pols[512];
};

static void
hub_parse(const char *text, struct hub *h)
{
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ?
	    strchr(line, '\n') + 1 : NULL) {
		size_t n = strcspn(line, "\n");
		struct json_object *o, *f, *v;
		struct json_tokener *tok = json_tokener_new_ex(32);
		bool drop;

		if (tok == NULL)
			break;
		o = json_tokener_parse_ex(tok, line, (int)n);
		json_tokener_free(tok);
		if (o == NULL)
			continue;
		if (!json_object_object_get_ex(o, "flow", &f))
			f = o;
		if (json_object_object_get_ex(f, "verdict", &v)) {
			h->nflows++;
			drop = strcmp(json_object_get_string(v),
			    "FORWARDED") != 0;
			if (!h->dropped || drop) {
				h->dropped = drop;
				snprintf(h->verdict, sizeof(h->verdict), "%s",
				    json_object_get_string(v));
				h->reason[0] = h->pols[0] = '\0';
				if (json_object_object_get_ex(f,
				    "drop_reason_desc", &v))
					snprintf(h->reason, sizeof(h->reason),
					    "%s", json_object_get_string(v));
				names_of(f, "egress_denied_by", h->pols,
				    sizeof(h->pols));
				names_of(f, "ingress_denied_by", h->pols,
				    sizeof(h->pols));
				names_of(f, "egress_allowed_by", h->pols,
				    sizeof(h->pols));
				names_of(f, "ingress_allowed_by", h->pols,
				    sizeof(h->pols));
			}
		}
		json_object_put(o);
	}
}

/*
 * Ask the agents on the source's and the destination's nodes for the
 * last flows of this connection (after service translation: to the
 * backend pod and its port).
 */
static void
hubble_step(struct tester *t, int src_pod, const struct live_target *d,
    struct tresult *r)
{
	struct policy_pod_info si, di;
	char agent[256], eb[CILKIT_ERRBUF_SIZE], from[600], to[600];
	char portstr[16], asked[600] = "", why[CILKIT_ERRBUF_SIZE] = "";
	const char *nodes[2];
	char *buf = malloc(OUT_CAP + 1);
	struct outbuf out;
	struct hub h;
	double ms;
	int code, k, nn = 0;

	if (buf == NULL)
		return;
	memset(&h, 0, sizeof(h));
	out.buf = buf;
	policy_db_pod_info(t->db, src_pod, &si);
	snprintf(from, sizeof(from), "%s/%s", si.ns, si.name);
	snprintf(portstr, sizeof(portstr), "%d", d->pod >= 0 ? d->pod_port :
	    d->port);
	if (si.node != NULL)
		nodes[nn++] = si.node;
	if (d->pod >= 0) {
		policy_db_pod_info(t->db, d->pod, &di);
		snprintf(to, sizeof(to), "%s/%s", di.ns, di.name);
		if (di.node != NULL && (nn == 0 || strcmp(di.node,
		    nodes[0]) != 0))
			nodes[nn++] = di.node;
	}
	for (k = 0; k < nn; k++) {
		const char *argv[] = { "hubble", "observe", "--last", "20",
			"--from-pod", from,
			d->pod >= 0 ? "--to-pod" : "--to-ip",
			d->pod >= 0 ? to : d->ip,
			d->proto == POLICY_ICMP ? "--protocol" : "--to-port",
			d->proto == POLICY_ICMP ? "icmp" : portstr,
			"-o", "jsonpb", NULL };

		if (kube_find_agent_pod(t->live->client, nodes[k], agent,
		    sizeof(agent), eb, sizeof(eb)) < 0) {
			snprintf(why, sizeof(why), "%s", eb);
			continue;
		}
		eb[0] = '\0';
		if (run(t, "kube-system", agent, argv, NULL, 30000, &code,
		    &out, &ms, eb, sizeof(eb)) != RUN_OK || code != 0) {
			snprintf(why, sizeof(why), "hubble observe in %s "
			    "failed: %.200s", agent, eb[0] ? eb : out.err);
			continue;
		}
		snprintf(asked + strlen(asked), sizeof(asked) - strlen(asked),
		    "%s%s", asked[0] ? ", " : "", nodes[k]);
		hub_parse(out.buf, &h);
	}
	if (h.nflows == 0 && asked[0] == '\0')
		add_step(r, "Hubble flow", ST_SKIP, "skipped (%s)", why[0] ?
		    why : "the pods' nodes are unknown");
	else if (h.nflows == 0)
		add_step(r, "Hubble flow", ST_SKIP, "skipped (no flow from %s "
		    "to %s among the last 20 on %s)", from, d->pod >= 0 ? to :
		    d->ip, asked);
	else if (!h.dropped)
		add_step(r, "Hubble flow", ST_OK, "FORWARDED%s%s%s", h.pols[0] ?
		    " (policy: " : "", h.pols, h.pols[0] ? ")" : "");
	else
		add_step(r, "Hubble flow", ST_FAIL, "%s%s%s%s%s%s", h.verdict,
		    h.reason[0] || h.pols[0] ? " (" : "", h.reason,
		    h.pols[0] ? (h.reason[0] ? "; policy: " : "policy: ") : "",
		    h.pols, h.reason[0] || h.pols[0] ? ")" : "");
	free(buf);
}

void
tester_live_probe(struct tester *t, int src_pod, const struct live_target *d,
    struct tresult *r)
{
	struct policy_pod_info si;
	bool ran;

	policy_db_pod_info(t->db, src_pod, &si);
	if (d->ip == NULL || d->ip[0] == '\0') {
		add_step(r, probe_name(d->proto), ST_SKIP, "skipped (the "
		    "destination has no address)");
		return;
	}
	if (d->proto == POLICY_ICMP)
		ran = probe_icmp(t, si.ns, si.name, d->ip, r);
	else if (d->proto == POLICY_UDP)
		ran = probe_udp(t, si.ns, si.name, d->ip, d->port, r);
	else if (d->proto == POLICY_SCTP) {
		add_step(r, probe_name(d->proto), ST_SKIP, "skipped (no SCTP "
		    "probe tool)");
		ran = true;
	} else
		ran = probe_tcp(t, si.ns, si.name, d->ip, d->port, r);
	if (!ran)
		add_step(r, probe_name(d->proto), ST_SKIP, "probe skipped: no "
		    "%s in the container", d->proto == POLICY_ICMP ?
		    "ping or busybox" : d->proto == POLICY_UDP ?
		    "nc or busybox" : "nc, curl, bash or busybox");
	hubble_step(t, src_pod, d, r);
}

void
tester_live_dns(struct tester *t, int src_pod, const char *name,
    const char *want_ip, struct tresult *r)
{
	static const char *const tools[][4] = {
		{ "getent", "hosts", NULL, NULL },
		{ "nslookup", NULL, NULL, NULL },
		{ "busybox", "nslookup", NULL, NULL },
	};
	struct policy_pod_info si;
	char eb[CILKIT_ERRBUF_SIZE], *buf = malloc(OUT_CAP + 1);
	struct outbuf out;
	double ms;
	int code;
	size_t k;

	if (buf == NULL)
		return;
	out.buf = buf;
	policy_db_pod_info(t->db, src_pod, &si);
	for (k = 0; k < sizeof(tools) / sizeof(tools[0]); k++) {
		const char *argv[5];
		size_t n = 0;
		enum run_rc rr;

		while (n < 3 && tools[k][n] != NULL) {
			argv[n] = tools[k][n];
			n++;
		}
		argv[n++] = name;
		argv[n] = NULL;
		rr = run(t, si.ns, si.name, argv, NULL, 20000, &code, &out, &ms,
		    eb, sizeof(eb));
		if (rr == RUN_MISSING)
			continue;
		if (rr == RUN_ERROR) {
			add_step(r, "DNS in the pod", ST_SKIP, "skipped (exec "
			    "failed: %s)", eb);
			goto out;
		}
		if (code == 0 && want_ip != NULL && strstr(out.buf, want_ip))
			add_step(r, "DNS in the pod", ST_OK, "%s -> %s (%s in "
			    "%s/%s)", name, want_ip, argv[0], si.ns, si.name);
		else
			add_step(r, "DNS in the pod", ST_FAIL, "%s does not "
			    "resolve to %s inside %s/%s (%s exit %d)", name,
			    want_ip ? want_ip : "?", si.ns, si.name, argv[0],
			    code);
		goto out;
	}
	add_step(r, "DNS in the pod", ST_SKIP, "skipped: no getent, nslookup "
	    "or busybox in the container");
out:
	free(buf);
}
