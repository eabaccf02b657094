/*
 * flow_stats.c - the streaming flow analysis behind flow-analyzer (see
 * flow_stats.h for what is counted and how nodes are named).
 *
 * Every name (node, service, DNS query, port, k8s node) is interned
 * once (report_intern); per-kind tables map the dense intern id to an
 * index into the public arrays.  Edges are keyed by (src, dst, proto,
 * port) in an open-addressing hash table.  So the cost of a flow is two
 * node-name builds, a handful of intern lookups and one edge probe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow_stats.h"
#include "report.h"
#include "report_quantile.h"

/* Intern table cap: 256 MiB of distinct names. */
#define ST_INTERN_MAX	((size_t)256 << 20)
/* Longest node key built (names are cut here, never overflowed). */
#define ST_NAME_MAX	512

struct idmap {			/* intern id -> index in a public array */
	int32_t *v;
	size_t cap;
};

struct flow_stats_priv {
	struct report_intern *in;
	struct idmap node_ids, svc_ids, dns_ids, port_ids, k8s_ids;
	uint32_t *eslot;	/* edge index + 1, 0 empty */
	uint64_t *ehash;
	size_t ecap;
	size_t nodes_cap, edges_cap, svc_cap, dns_cap, ports_cap, k8s_cap;
};

struct flow_stats *
flow_stats_new(void)
{
	struct flow_stats *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->priv = calloc(1, sizeof(*st->priv))) == NULL)
		goto fail;
	if ((st->priv->in = report_intern_new(ST_INTERN_MAX)) == NULL)
		goto fail;
	return st;
fail:
	flow_stats_free(st);
	return NULL;
}

static void
l7_free(struct flow_stats_l7 *l7)
{
	report_quantile_free(l7->latency);
}

void
flow_stats_free(struct flow_stats *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_edges; i++)
		l7_free(&st->edges[i].l7);
	for (i = 0; i < st->n_services; i++)
		l7_free(&st->services[i].l7);
	free(st->nodes);
	free(st->edges);
	free(st->services);
	free(st->dns);
	free(st->ports);
	free(st->k8s_nodes);
	if (st->priv != NULL) {
		report_intern_free(st->priv->in);
		free(st->priv->node_ids.v);
		free(st->priv->svc_ids.v);
		free(st->priv->dns_ids.v);
		free(st->priv->port_ids.v);
		free(st->priv->k8s_ids.v);
		free(st->priv->eslot);
		free(st->priv->ehash);
		free(st->priv);
	}
	free(st);
}

/* Grow an array of elem-sized items to hold at least n+1. */
static int
grow(void *pp, size_t *cap, size_t n, size_t elem)
{
	void **p = pp, *np;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / elem / 2)
		return CILKIT_ENOMEM;
	if ((np = realloc(*p, ncap * elem)) == NULL)
		return CILKIT_ENOMEM;
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*p = np;
	*cap = ncap;
	return 0;
}

/* Look up id in m; -1 when unmapped.  Grows the map as needed. */
static int
idmap_get(struct idmap *m, int64_t id, int32_t *out)
{
	size_t ncap, i;
	int32_t *nv;

	if ((size_t)id >= m->cap) {
		ncap = m->cap ? m->cap : 64;
		while (ncap <= (size_t)id)
			ncap *= 2;
		if ((nv = realloc(m->v, ncap * sizeof(*nv))) == NULL)
			return CILKIT_ENOMEM;
		for (i = m->cap; i < ncap; i++)
			nv[i] = -1;
		m->v = nv;
		m->cap = ncap;
	}
	*out = m->v[id];
	return 0;
}

static bool
in_alphabet(char c)
{
	/* Kubernetes' rand.SafeEncodeString alphabet: no vowels, 0, 1, 3 */
	return strchr("bcdfghjklmnpqrstvwxz2456789", c) != NULL && c != '\0';
}

static bool
seg_all(const char *s, size_t n, bool digits_ok)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_alphabet(s[i]))
			continue;
		if (digits_ok && s[i] >= '0' && s[i] <= '9')
			continue;
		return false;
	}
	return true;
}

static bool
seg_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

bool
flow_stats_pod_workload(const char *pod, char *buf, size_t len)
{
	const char *dash, *dash2;
	size_t n, seg;

	if (pod == NULL || len == 0)
		return false;
	n = strlen(pod);
	dash = memrchr(pod, '-', n);
	if (dash == NULL || dash == pod)
		goto keep;
	seg = n - (size_t)(dash - pod) - 1;
	if (seg == 5 && seg_all(dash + 1, 5, false)) {
		n = (size_t)(dash - pod);
		/* Deployment: ReplicaSet pod-template-hash before it */
		dash2 = memrchr(pod, '-', n);
		if (dash2 != NULL && dash2 != pod) {
			seg = n - (size_t)(dash2 - pod) - 1;
			if (seg >= 6 && seg <= 10 &&
			    seg_all(dash2 + 1, seg, true))
				n = (size_t)(dash2 - pod);
		}
	} else if (seg <= 5 && seg_digits(dash + 1, seg)) {
		n = (size_t)(dash - pod);	/* StatefulSet ordinal */
	} else {
		goto keep;
	}
	snprintf(buf, len, "%.*s", (int)n, pod);
	return true;
keep:
	snprintf(buf, len, "%s", pod);
	return false;
}

static const char *
reserved_label(const struct flow_endpoint *ep)
{
	size_t i;

	for (i = 0; i < ep->n_labels; i++)
		if (ep->labels[i] != NULL &&
		    strncmp(ep->labels[i], "reserved:", 9) == 0)
			return ep->labels[i] + 9;
	return NULL;
}

static const char *
fqdn_label(const struct flow_endpoint *ep)
{
	size_t i;

	for (i = 0; i < ep->n_labels; i++)
		if (ep->labels[i] != NULL &&
		    strncmp(ep->labels[i], "fqdn:", 5) == 0)
			return ep->labels[i] + 5;
	return NULL;
}

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

int
flow_stats_node_name(const struct flow_endpoint *ep,
    const struct flow_service *svc, const char *ip,
    const char *const *names, size_t n_names, char *buf, size_t len)
{
	char wl[ST_NAME_MAX];
	const char *res, *ns = ep->namespace, *fq;
	bool stripped;

	if (ep->n_workloads > 0 && nonempty(ep->workloads[0].name)) {
		if (nonempty(ns))
			snprintf(buf, len, "%s/%s", ns, ep->workloads[0].name);
		else
			snprintf(buf, len, "%s", ep->workloads[0].name);
		return FLOW_NODE_WORKLOAD;
	}
	if (nonempty(ep->pod_name)) {
		stripped = flow_stats_pod_workload(ep->pod_name, wl,
		    sizeof(wl));
		if (nonempty(ns))
			snprintf(buf, len, "%s/%s", ns, wl);
		else
			snprintf(buf, len, "%s", wl);
		return stripped ? FLOW_NODE_WORKLOAD : FLOW_NODE_POD;
	}
	res = flow_reserved_identity_name(ep->identity);
	if (res == NULL)
		res = reserved_label(ep);
	if (res != NULL && strncmp(res, "world", 5) == 0 && n_names > 0 &&
	    nonempty(names[0])) {
		snprintf(buf, len, "%s", names[0]);
		return FLOW_NODE_DNS;
	}
	if (res != NULL) {
		snprintf(buf, len, "%s", res);
		return FLOW_NODE_RESERVED;
	}
	if (svc != NULL && nonempty(svc->name)) {
		if (nonempty(svc->namespace))
			snprintf(buf, len, "%s/%s", svc->namespace, svc->name);
		else
			snprintf(buf, len, "%s", svc->name);
		return FLOW_NODE_SERVICE;
	}
	if (n_names > 0 && nonempty(names[0])) {
		snprintf(buf, len, "%s", names[0]);
		return FLOW_NODE_DNS;
	}
	if ((fq = fqdn_label(ep)) != NULL && nonempty(fq)) {
		snprintf(buf, len, "%s", fq);
		return FLOW_NODE_DNS;
	}
	if (ep->identity != 0) {
		snprintf(buf, len, "identity:%u", ep->identity);
		return FLOW_NODE_IDENTITY;
	}
	if (nonempty(ip)) {
		snprintf(buf, len, "%s", ip);
		return FLOW_NODE_IP;
	}
	snprintf(buf, len, "unknown");
	return FLOW_NODE_UNKNOWN;
}

bool
flow_stats_is_reply(const struct flow *f)
{
	if (f->is_reply == 1)
		return true;
	if (f->is_reply == 0)
		return false;
	if (f->has_l7 && f->l7.type == FLOW_L7_RESPONSE)
		return true;
	/* no direction known: a SYN-ACK is the answer of a handshake */
	if (f->l4 == FLOW_L4_TCP &&
	    (f->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) ==
	    (FLOW_TCP_SYN | FLOW_TCP_ACK))
		return true;
	if (f->l4 == FLOW_L4_TCP && (f->tcp_flags & FLOW_TCP_SYN))
		return false;
	/*
	 * Else a packet from a service port (below 32768) to an ephemeral
	 * port (Linux: 32768-60999) is taken as the server's answer.
	 */
	return (f->l4 == FLOW_L4_TCP || f->l4 == FLOW_L4_UDP ||
	    f->l4 == FLOW_L4_SCTP) && f->sport != 0 &&
	    f->sport < FLOW_STATS_EPHEMERAL_MIN &&
	    f->dport >= FLOW_STATS_EPHEMERAL_MIN;
}

static int64_t
intern(struct flow_stats *st, const char *s, char *errbuf, size_t errlen)
{
	int64_t id = report_intern_id(st->priv->in, s, (size_t)-1);

	if (id < 0)
		cilkit_fail(errbuf, errlen, (int)id,
		    "flow analysis: too many distinct names");
	return id;
}

/* Index of the node for one side, created when new; negative on error. */
static int64_t
node_get(struct flow_stats *st, const struct flow_endpoint *ep,
    const struct flow_service *svc, const char *ip,
    const char *const *names, size_t n_names, char *errbuf, size_t errlen)
{
	struct flow_stats_priv *p = st->priv;
	struct flow_stats_node *nd;
	char key[ST_NAME_MAX + 2];
	int64_t id, nameid;
	int32_t idx;
	int kind;

	kind = flow_stats_node_name(ep, svc, ip, names, n_names, key + 2,
	    sizeof(key) - 2);
	key[0] = (char)('a' + kind);
	key[1] = '|';
	if ((id = intern(st, key, errbuf, errlen)) < 0)
		return id;
	if (idmap_get(&p->node_ids, id, &idx) < 0)
		goto nomem;
	if (idx >= 0) {
		if (ep->identity != 0)
			st->nodes[idx].identity = ep->identity;
		return idx;
	}
	if (grow(&st->nodes, &p->nodes_cap, st->n_nodes, sizeof(*nd)) < 0)
		goto nomem;
	if ((nameid = intern(st, key + 2, errbuf, errlen)) < 0)
		return nameid;
	nd = &st->nodes[st->n_nodes];
	nd->name = report_intern_str(p->in, nameid);
	nd->kind = kind;
	nd->identity = ep->identity;
	nd->namespace = NULL;
	if (kind == FLOW_NODE_WORKLOAD || kind == FLOW_NODE_POD) {
		if (nonempty(ep->namespace)) {
			if ((nameid = intern(st, ep->namespace, errbuf,
			    errlen)) < 0)
				return nameid;
			nd->namespace = report_intern_str(p->in, nameid);
		}
	} else if (kind == FLOW_NODE_SERVICE && nonempty(svc->namespace)) {
		if ((nameid = intern(st, svc->namespace, errbuf, errlen)) < 0)
			return nameid;
		nd->namespace = report_intern_str(p->in, nameid);
	}
	p->node_ids.v[id] = (int32_t)st->n_nodes;
	return (int64_t)st->n_nodes++;
nomem:
	return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM, "out of memory");
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static int
edge_rehash(struct flow_stats_priv *p)
{
	size_t ncap = p->ecap ? p->ecap * 2 : 256, i, j;
	uint32_t *ns;
	uint64_t *nh;

	ns = calloc(ncap, sizeof(*ns));
	nh = calloc(ncap, sizeof(*nh));
	if (ns == NULL || nh == NULL) {
		free(ns);
		free(nh);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < p->ecap; i++) {
		if (p->eslot[i] == 0)
			continue;
		j = p->ehash[i] & (ncap - 1);
		while (ns[j] != 0)
			j = (j + 1) & (ncap - 1);
		ns[j] = p->eslot[i];
		nh[j] = p->ehash[i];
	}
	free(p->eslot);
	free(p->ehash);
	p->eslot = ns;
	p->ehash = nh;
	p->ecap = ncap;
	return 0;
}

static struct flow_stats_edge *
edge_get(struct flow_stats *st, uint32_t src, uint32_t dst, int proto,
    uint16_t port)
{
	struct flow_stats_priv *p = st->priv;
	struct flow_stats_edge *e;
	uint64_t h;
	size_t j;

	h = mix64(((uint64_t)src << 32 | dst) ^
	    mix64((uint64_t)proto << 16 | port));
	if (p->ecap == 0 || (st->n_edges + 1) * 2 > p->ecap)
		if (edge_rehash(p) < 0)
			return NULL;
	j = h & (p->ecap - 1);
	while (p->eslot[j] != 0) {
		e = &st->edges[p->eslot[j] - 1];
		if (p->ehash[j] == h && e->src == src && e->dst == dst &&
		    e->proto == proto && e->port == port)
			return e;
		j = (j + 1) & (p->ecap - 1);
	}
	if (grow(&st->edges, &p->edges_cap, st->n_edges, sizeof(*e)) < 0)
		return NULL;
	e = &st->edges[st->n_edges];
	memset(e, 0, sizeof(*e));
	e->src = src;
	e->dst = dst;
	e->proto = proto;
	e->port = port;
	p->eslot[j] = (uint32_t)++st->n_edges;
	p->ehash[j] = h;
	return e;
}

/* Counter keyed by name in arr (via map m); NULL on error. */
static struct flow_stats_count *
count_get(struct flow_stats *st, struct idmap *m,
    struct flow_stats_count **arr, size_t *n, size_t *cap, const char *name,
    char *errbuf, size_t errlen)
{
	struct flow_stats_count *c;
	int64_t id;
	int32_t idx;

	if ((id = intern(st, name, errbuf, errlen)) < 0)
		return NULL;
	if (idmap_get(m, id, &idx) < 0)
		return NULL;
	if (idx >= 0)
		return &(*arr)[idx];
	if (grow(arr, cap, *n, sizeof(**arr)) < 0)
		return NULL;
	c = &(*arr)[*n];
	c->name = report_intern_str(st->priv->in, id);
	c->count = 0;
	m->v[id] = (int32_t)(*n)++;
	return c;
}

static struct flow_stats_service *
service_get(struct flow_stats *st, const char *name, char *errbuf,
    size_t errlen)
{
	struct flow_stats_priv *p = st->priv;
	struct flow_stats_service *s;
	int64_t id;
	int32_t idx;

	if ((id = intern(st, name, errbuf, errlen)) < 0)
		return NULL;
	if (idmap_get(&p->svc_ids, id, &idx) < 0)
		return NULL;
	if (idx >= 0)
		return &st->services[idx];
	if (grow(&st->services, &p->svc_cap, st->n_services,
	    sizeof(*s)) < 0)
		return NULL;
	s = &st->services[st->n_services];
	memset(s, 0, sizeof(*s));
	s->name = report_intern_str(p->in, id);
	p->svc_ids.v[id] = (int32_t)st->n_services++;
	return s;
}

static struct flow_stats_dns *
dns_get(struct flow_stats *st, const char *q, char *errbuf, size_t errlen)
{
	struct flow_stats_priv *p = st->priv;
	struct flow_stats_dns *d;
	int64_t id;
	int32_t idx;

	if ((id = intern(st, q, errbuf, errlen)) < 0)
		return NULL;
	if (idmap_get(&p->dns_ids, id, &idx) < 0)
		return NULL;
	if (idx >= 0)
		return &st->dns[idx];
	if (grow(&st->dns, &p->dns_cap, st->n_dns, sizeof(*d)) < 0)
		return NULL;
	d = &st->dns[st->n_dns];
	memset(d, 0, sizeof(*d));
	d->query = report_intern_str(p->in, id);
	p->dns_ids.v[id] = (int32_t)st->n_dns++;
	return d;
}

static int
l7_add(struct flow_stats_l7 *l7, const struct flow *f)
{
	const struct flow_l7 *x = &f->l7;

	if (x->type == FLOW_L7_REQUEST) {
		l7->requests++;
		return 0;
	}
	if (x->type != FLOW_L7_RESPONSE)
		return 0;
	l7->responses++;
	switch (x->kind) {
	case FLOW_L7_HTTP:
		l7->http_responses++;
		if (x->http.code >= 400 && x->http.code < 500)
			l7->http_4xx++;
		else if (x->http.code >= 500 && x->http.code < 600)
			l7->http_5xx++;
		break;
	case FLOW_L7_DNS:
		l7->dns_responses++;
		if (x->dns.rcode != 0)
			l7->dns_errors++;
		break;
	case FLOW_L7_KAFKA:
		l7->kafka_responses++;
		if (x->kafka.error_code != 0)
			l7->kafka_errors++;
		break;
	}
	if (x->latency_ns > 0) {
		if (l7->latency == NULL && (l7->latency =
		    report_quantile_new(FLOW_STATS_LATENCY_ERR)) == NULL)
			return CILKIT_ENOMEM;
		report_quantile_add(l7->latency, (double)x->latency_ns);
		if (x->latency_ns > l7->latency_max_ns)
			l7->latency_max_ns = x->latency_ns;
	}
	return 0;
}

static void
reason_add(struct flow_stats_edge *e, uint32_t code)
{
	size_t i;

	for (i = 0; i < e->n_reasons; i++)
		if (e->reasons[i].code == code) {
			e->reasons[i].count++;
			return;
		}
	if (e->n_reasons < FLOW_STATS_MAX_REASONS - 1 ||
	    (code == 0 && e->n_reasons < FLOW_STATS_MAX_REASONS)) {
		e->reasons[e->n_reasons].code = code;
		e->reasons[e->n_reasons++].count = 1;
		return;
	}
	reason_add(e, 0);	/* the last slot is "other" */
}

/* Put t into the series, doubling the interval until it fits. */
static void
series_add(struct flow_stats *st, int64_t t, bool dropped)
{
	int64_t idx, nb, lo, off;
	size_t i;

	if (t <= 0)
		return;
	if (st->ts_step_ns == 0) {
		st->ts_step_ns = REPORT_NS_PER_SEC;
		st->ts_base_ns = t - t % st->ts_step_ns;
	}
	for (;;) {
		if (t >= st->ts_base_ns) {
			idx = (t - st->ts_base_ns) / st->ts_step_ns;
			if (idx < FLOW_STATS_NBUCKETS)
				break;
		}
		/* coarsen: new base aligned on the doubled step */
		nb = st->ts_step_ns * 2;
		lo = t < st->ts_base_ns ? t : st->ts_base_ns;
		lo -= ((lo % nb) + nb) % nb;
		if (t < st->ts_base_ns) {
			/* leave room on the left: base moves down */
			off = (st->ts_base_ns - lo) / nb;
			if (off >= FLOW_STATS_NBUCKETS / 2)
				lo = st->ts_base_ns - st->ts_base_ns % nb -
				    (FLOW_STATS_NBUCKETS / 2) * nb;
		}
		{
			uint64_t nt[FLOW_STATS_NBUCKETS] = { 0 };
			uint64_t nd[FLOW_STATS_NBUCKETS] = { 0 };

			for (i = 0; i < FLOW_STATS_NBUCKETS; i++) {
				int64_t bt = st->ts_base_ns +
				    (int64_t)i * st->ts_step_ns;
				int64_t j = (bt - lo) / nb;

				if (j < 0)
					j = 0;
				if (j >= FLOW_STATS_NBUCKETS)
					j = FLOW_STATS_NBUCKETS - 1;
				nt[j] += st->ts_total[i];
				nd[j] += st->ts_dropped[i];
			}
			memcpy(st->ts_total, nt, sizeof(nt));
			memcpy(st->ts_dropped, nd, sizeof(nd));
		}
		st->ts_base_ns = lo;
		st->ts_step_ns = nb;
	}
	st->ts_total[idx]++;
	if (dropped)
		st->ts_dropped[idx]++;
}

int
flow_stats_add(struct flow_stats *st, const struct flow *f,
    const char *node_name, char *errbuf, size_t errlen)
{
	const struct flow_endpoint *a, *b;
	const struct flow_service *asvc, *bsvc;
	const char *aip, *bip, *const *an, *const *bn;
	size_t nan, nbn;
	struct flow_stats_edge *e;
	struct flow_stats_service *svc;
	struct flow_stats_count *c;
	struct flow_stats_dns *d;
	char sname[ST_NAME_MAX];
	int64_t ai, bi;
	uint16_t port;
	int vslot;
	bool reply, dropped;

	reply = flow_stats_is_reply(f);
	if (!reply) {
		a = &f->src; b = &f->dst;
		asvc = &f->src_svc; bsvc = &f->dst_svc;
		aip = f->src_ip; bip = f->dst_ip;
		an = f->src_names; nan = f->n_src_names;
		bn = f->dst_names; nbn = f->n_dst_names;
		port = f->dport;
	} else {
		a = &f->dst; b = &f->src;
		asvc = &f->dst_svc; bsvc = &f->src_svc;
		aip = f->dst_ip; bip = f->src_ip;
		an = f->dst_names; nan = f->n_dst_names;
		bn = f->src_names; nbn = f->n_src_names;
		port = f->sport;
	}
	if (f->l4 != FLOW_L4_TCP && f->l4 != FLOW_L4_UDP &&
	    f->l4 != FLOW_L4_SCTP)
		port = 0;
	if ((ai = node_get(st, a, asvc, aip, an, nan, errbuf, errlen)) < 0)
		return (int)ai;
	if ((bi = node_get(st, b, bsvc, bip, bn, nbn, errbuf, errlen)) < 0)
		return (int)bi;
	e = edge_get(st, (uint32_t)ai, (uint32_t)bi,
	    f->l4 >= 0 && f->l4 < 8 ? f->l4 : 0, port);
	if (e == NULL)
		goto nomem;

	vslot = f->verdict >= 0 && f->verdict < FLOW_STATS_NVERDICT - 1 ?
	    f->verdict : FLOW_STATS_NVERDICT - 1;
	dropped = f->verdict == FLOW_DROPPED;
	st->flows++;
	st->verdict[vslot]++;
	st->l4[f->l4 >= 0 && f->l4 < 8 ? f->l4 : 0]++;
	st->l7[f->has_l7 && f->l7.kind >= 0 && f->l7.kind < 4 ?
	    f->l7.kind : 0]++;
	st->direction[f->direction >= 0 && f->direction < 3 ?
	    f->direction : 0]++;
	if (reply) {
		st->replies++;
		e->replies++;
	}
	if (f->time_ns > 0) {
		if (st->first_ns == 0 || f->time_ns < st->first_ns)
			st->first_ns = f->time_ns;
		if (f->time_ns > st->last_ns)
			st->last_ns = f->time_ns;
		if (e->first_ns == 0 || f->time_ns < e->first_ns)
			e->first_ns = f->time_ns;
		if (f->time_ns > e->last_ns)
			e->last_ns = f->time_ns;
	}
	series_add(st, f->time_ns, dropped);

	e->flows++;
	e->verdict[vslot]++;
	st->nodes[ai].sent++;
	st->nodes[bi].received++;
	if (dropped) {
		st->nodes[ai].dropped++;
		if (bi != ai)
			st->nodes[bi].dropped++;
		reason_add(e, f->drop_reason);
	}
	if (f->l4 == FLOW_L4_TCP && (f->tcp_flags & FLOW_TCP_RST)) {
		e->tcp_resets++;
		st->tcp_resets++;
	}
	if (bsvc->name != NULL && bsvc->name[0] != '\0') {
		if (bsvc->namespace != NULL && bsvc->namespace[0] != '\0')
			snprintf(sname, sizeof(sname), "%s/%s",
			    bsvc->namespace, bsvc->name);
		else
			snprintf(sname, sizeof(sname), "%s", bsvc->name);
		if (e->service == NULL) {
			int64_t id = intern(st, sname, errbuf, errlen);

			if (id < 0)
				return (int)id;
			e->service = report_intern_str(st->priv->in, id);
		}
	} else {
		snprintf(sname, sizeof(sname), "%s", st->nodes[bi].name);
	}

	if (port != 0) {
		char pk[32];

		snprintf(pk, sizeof(pk), "%s/%u",
		    flow_l4_name(f->l4) ? flow_l4_name(f->l4) : "?",
		    (unsigned)port);
		c = count_get(st, &st->priv->port_ids, &st->ports,
		    &st->n_ports, &st->priv->ports_cap, pk, errbuf, errlen);
		if (c == NULL)
			goto nomem;
		c->count++;
	}
	if (node_name == NULL)
		node_name = f->node_name;
	if (node_name != NULL && node_name[0] != '\0') {
		c = count_get(st, &st->priv->k8s_ids, &st->k8s_nodes,
		    &st->n_k8s_nodes, &st->priv->k8s_cap, node_name, errbuf,
		    errlen);
		if (c == NULL)
			goto nomem;
		c->count++;
	}

	if (!f->has_l7)
		return 0;
	if (l7_add(&e->l7, f) < 0)
		goto nomem;
	if ((svc = service_get(st, sname, errbuf, errlen)) == NULL)
		goto nomem;
	if (l7_add(&svc->l7, f) < 0)
		goto nomem;
	if (f->l7.type == FLOW_L7_RESPONSE) {
		if (f->l7.kind == FLOW_L7_HTTP) {
			st->http_responses++;
			if (f->l7.http.code >= 400 && f->l7.http.code < 500)
				st->http_4xx++;
			else if (f->l7.http.code >= 500 &&
			    f->l7.http.code < 600)
				st->http_5xx++;
		} else if (f->l7.kind == FLOW_L7_DNS) {
			st->dns_responses++;
			if (f->l7.dns.rcode != 0)
				st->dns_errors++;
		}
	}
	if (f->l7.kind == FLOW_L7_DNS && nonempty(f->l7.dns.query)) {
		if ((d = dns_get(st, f->l7.dns.query, errbuf, errlen)) == NULL)
			goto nomem;
		if (f->l7.type == FLOW_L7_REQUEST) {
			d->queries++;
		} else if (f->l7.type == FLOW_L7_RESPONSE) {
			d->responses++;
			d->rcode[f->l7.dns.rcode < 15 ? f->l7.dns.rcode : 15]++;
			if (f->l7.dns.rcode != 0)
				d->errors++;
		}
	}
	return 0;
nomem:
	if (errbuf != NULL && errlen > 0 && errbuf[0] == '\0')
		cilkit_fail(errbuf, errlen, CILKIT_ENOMEM, "out of memory");
	return CILKIT_ENOMEM;
}

void
flow_stats_add_other(struct flow_stats *st, int kind, uint64_t lost)
{
	if (kind == FLOW_EV_LOST)
		st->lost_events += lost;
	else
		st->other_records++;
}

int64_t
flow_stats_interval(const struct flow_stats *st)
{
	return st->ts_step_ns;
}

uint64_t
flow_stats_latency_q(const struct flow_stats_l7 *l7, double q)
{
	double v;

	if (l7->latency == NULL || report_quantile_count(l7->latency) == 0)
		return 0;
	v = report_quantile_get(l7->latency, q);
	if (v < 0)
		return 0;
	if (v > (double)l7->latency_max_ns)
		return l7->latency_max_ns;
	return (uint64_t)(v + 0.5);
}

uint64_t
flow_stats_latency_count(const struct flow_stats_l7 *l7)
{
	return l7->latency == NULL ? 0 : report_quantile_count(l7->latency);
}

static int
cmp_edge(const void *x, const void *y, void *ctx)
{
	const struct flow_stats *sort_st = ctx;
	const struct flow_stats_edge *a = &sort_st->edges[*(const size_t *)x];
	const struct flow_stats_edge *b = &sort_st->edges[*(const size_t *)y];
	int c;

	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	c = strcmp(sort_st->nodes[a->src].name, sort_st->nodes[b->src].name);
	if (c != 0)
		return c;
	c = strcmp(sort_st->nodes[a->dst].name, sort_st->nodes[b->dst].name);
	if (c != 0)
		return c;
	if (a->proto != b->proto)
		return a->proto - b->proto;
	return (int)a->port - (int)b->port;
}

size_t *
flow_stats_edges_by_flows(const struct flow_stats *st)
{
	size_t *ix, i;

	if ((ix = malloc((st->n_edges + 1) * sizeof(*ix))) == NULL)
		return NULL;
	for (i = 0; i < st->n_edges; i++)
		ix[i] = i;
	qsort_r(ix, st->n_edges, sizeof(*ix), cmp_edge, (void *)st);
	return ix;
}
