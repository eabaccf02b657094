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
#include "flow_read.h"
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

/*
 * "a/b" (sep '/' and b non-NULL) or "a" into buf, cut to len - 1
 * bytes; snprintf without the format parsing, which the per-flow path
 * cannot afford.  Returns the length written.
 */
static size_t
join(char *buf, size_t len, const char *a, char sep, const char *b)
{
	size_t n = 0, k;

	if (len == 0)
		return 0;
	k = strlen(a);
	if (k > len - 1)
		k = len - 1;
	memcpy(buf, a, k);
	n = k;
	if (b != NULL && n < len - 1) {
		buf[n++] = sep;
		k = strlen(b);
		if (k > len - 1 - n)
			k = len - 1 - n;
		memcpy(buf + n, b, k);
		n += k;
	}
	buf[n] = '\0';
	return n;
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
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, pod, n);
	buf[n] = '\0';
	return true;
keep:
	join(buf, len, pod, 0, NULL);
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
			join(buf, len, ns, '/', ep->workloads[0].name);
		else
			join(buf, len, ep->workloads[0].name, 0, NULL);
		return FLOW_NODE_WORKLOAD;
	}
	if (nonempty(ep->pod_name)) {
		stripped = flow_stats_pod_workload(ep->pod_name, wl,
		    sizeof(wl));
		if (nonempty(ns))
			join(buf, len, ns, '/', wl);
		else
			join(buf, len, wl, 0, NULL);
		return stripped ? FLOW_NODE_WORKLOAD : FLOW_NODE_POD;
	}
	res = flow_reserved_identity_name(ep->identity);
	if (res == NULL)
		res = reserved_label(ep);
	if (res != NULL && strncmp(res, "world", 5) == 0 && n_names > 0 &&
	    nonempty(names[0])) {
		join(buf, len, names[0], 0, NULL);
		return FLOW_NODE_DNS;
	}
	if (res != NULL) {
		join(buf, len, res, 0, NULL);
		return FLOW_NODE_RESERVED;
	}
	if (svc != NULL && nonempty(svc->name)) {
		if (nonempty(svc->namespace))
			join(buf, len, svc->namespace, '/', svc->name);
		else
			join(buf, len, svc->name, 0, NULL);
		return FLOW_NODE_SERVICE;
	}
	if (n_names > 0 && nonempty(names[0])) {
		join(buf, len, names[0], 0, NULL);
		return FLOW_NODE_DNS;
	}
	if ((fq = fqdn_label(ep)) != NULL && nonempty(fq)) {
		join(buf, len, fq, 0, NULL);
		return FLOW_NODE_DNS;
	}
	if (ep->identity != 0) {
		snprintf(buf, len, "identity:%u", ep->identity);
		return FLOW_NODE_IDENTITY;
	}
	if (nonempty(ip)) {
		join(buf, len, ip, 0, NULL);
		return FLOW_NODE_IP;
	}
	join(buf, len, "unknown", 0, NULL);
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

unsigned
flow_stats_skippable(void)
{
	/* labels only name endpoints without pod or workload names */
	return FLOW_SKIP_POLICIES | FLOW_SKIP_NAMED_LABELS | FLOW_SKIP_DETAIL;
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
reason_add(struct flow_stats_edge *e, uint32_t code, uint64_t n)
{
	size_t i;

	for (i = 0; i < e->n_reasons; i++)
		if (e->reasons[i].code == code) {
			e->reasons[i].count += n;
			return;
		}
	if (e->n_reasons < FLOW_STATS_MAX_REASONS - 1 ||
	    (code == 0 && e->n_reasons < FLOW_STATS_MAX_REASONS)) {
		e->reasons[e->n_reasons].code = code;
		e->reasons[e->n_reasons++].count = n;
		return;
	}
	reason_add(e, 0, n);	/* the last slot is "other" */
}

/*
 * Put n flows (nd dropped) at time t into the series, doubling the
 * interval until t fits and until the step is at least min_step.
 */
static void
series_add_n(struct flow_stats *st, int64_t t, uint64_t n, uint64_t nd,
    int64_t min_step)
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
		if (t >= st->ts_base_ns && st->ts_step_ns >= min_step) {
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
			uint64_t tt[FLOW_STATS_NBUCKETS] = { 0 };
			uint64_t td[FLOW_STATS_NBUCKETS] = { 0 };

			for (i = 0; i < FLOW_STATS_NBUCKETS; i++) {
				int64_t bt = st->ts_base_ns +
				    (int64_t)i * st->ts_step_ns;
				int64_t j = (bt - lo) / nb;

				if (j < 0)
					j = 0;
				if (j >= FLOW_STATS_NBUCKETS)
					j = FLOW_STATS_NBUCKETS - 1;
				tt[j] += st->ts_total[i];
				td[j] += st->ts_dropped[i];
			}
			memcpy(st->ts_total, tt, sizeof(tt));
			memcpy(st->ts_dropped, td, sizeof(td));
		}
		st->ts_base_ns = lo;
		st->ts_step_ns = nb;
	}
	st->ts_total[idx] += n;
	st->ts_dropped[idx] += nd;
}

static void
series_add(struct flow_stats *st, int64_t t, bool dropped)
{
	series_add_n(st, t, 1, dropped ? 1 : 0, 0);
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
		reason_add(e, f->drop_reason, 1);
	}
	if (f->l4 == FLOW_L4_TCP && (f->tcp_flags & FLOW_TCP_RST)) {
		e->tcp_resets++;
		st->tcp_resets++;
	}
	if (e->service == NULL && nonempty(bsvc->name)) {
		int64_t id;

		if (nonempty(bsvc->namespace))
			join(sname, sizeof(sname), bsvc->namespace, '/',
			    bsvc->name);
		else
			join(sname, sizeof(sname), bsvc->name, 0, NULL);
		if ((id = intern(st, sname, errbuf, errlen)) < 0)
			return (int)id;
		e->service = report_intern_str(st->priv->in, id);
	}

	if (port != 0) {
		char pk[32], num[8];
		int k = 7;
		unsigned v = port;

		num[7] = '\0';
		do {
			num[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0 && k > 0);
		join(pk, sizeof(pk), flow_l4_name(f->l4) ? flow_l4_name(f->l4) :
		    "?", '/', num + k);
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
	/* the destination service, else the destination node */
	if (nonempty(bsvc->name)) {
		if (nonempty(bsvc->namespace))
			join(sname, sizeof(sname), bsvc->namespace, '/',
			    bsvc->name);
		else
			join(sname, sizeof(sname), bsvc->name, 0, NULL);
	} else {
		join(sname, sizeof(sname), st->nodes[bi].name, 0, NULL);
	}
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

static int
l7_merge(struct flow_stats_l7 *d, const struct flow_stats_l7 *s)
{
	d->requests += s->requests;
	d->responses += s->responses;
	d->http_responses += s->http_responses;
	d->http_4xx += s->http_4xx;
	d->http_5xx += s->http_5xx;
	d->dns_responses += s->dns_responses;
	d->dns_errors += s->dns_errors;
	d->kafka_responses += s->kafka_responses;
	d->kafka_errors += s->kafka_errors;
	if (s->latency_max_ns > d->latency_max_ns)
		d->latency_max_ns = s->latency_max_ns;
	if (s->latency == NULL)
		return 0;
	if (d->latency == NULL &&
	    (d->latency = report_quantile_new(FLOW_STATS_LATENCY_ERR)) == NULL)
		return CILKIT_ENOMEM;
	return report_quantile_merge(d->latency, s->latency);
}

static void
span_merge(int64_t *dfirst, int64_t *dlast, int64_t first, int64_t last)
{
	if (first != 0 && (*dfirst == 0 || first < *dfirst))
		*dfirst = first;
	if (last > *dlast)
		*dlast = last;
}

int
flow_stats_merge(struct flow_stats *dst, const struct flow_stats *src,
    char *errbuf, size_t errlen)
{
	struct flow_stats_priv *p = dst->priv;
	const struct flow_stats_node *sn;
	const struct flow_stats_edge *se;
	struct flow_stats_node *dn;
	struct flow_stats_edge *de;
	struct flow_stats_service *sv;
	struct flow_stats_dns *dd;
	struct flow_stats_count *c;
	char key[ST_NAME_MAX + 2];
	int64_t id, nid;
	int32_t idx, *map = NULL;
	size_t i, j;
	int rc = CILKIT_ENOMEM;

	dst->flows += src->flows;
	dst->lost_events += src->lost_events;
	dst->other_records += src->other_records;
	span_merge(&dst->first_ns, &dst->last_ns, src->first_ns, src->last_ns);
	for (i = 0; i < FLOW_STATS_NVERDICT; i++)
		dst->verdict[i] += src->verdict[i];
	for (i = 0; i < 8; i++)
		dst->l4[i] += src->l4[i];
	for (i = 0; i < 4; i++)
		dst->l7[i] += src->l7[i];
	for (i = 0; i < 3; i++)
		dst->direction[i] += src->direction[i];
	dst->replies += src->replies;
	dst->tcp_resets += src->tcp_resets;
	dst->http_4xx += src->http_4xx;
	dst->http_5xx += src->http_5xx;
	dst->http_responses += src->http_responses;
	dst->dns_errors += src->dns_errors;
	dst->dns_responses += src->dns_responses;
	for (i = 0; i < FLOW_STATS_NBUCKETS; i++)
		if (src->ts_total[i] > 0)
			series_add_n(dst, src->ts_base_ns + (int64_t)i *
			    src->ts_step_ns, src->ts_total[i],
			    src->ts_dropped[i], src->ts_step_ns);

	/* nodes: by kind and name, as node_get keys them */
	if ((map = calloc(src->n_nodes + 1, sizeof(*map))) == NULL)
		goto out;
	for (i = 0; i < src->n_nodes; i++) {
		sn = &src->nodes[i];
		snprintf(key, sizeof(key), "%c|%s", 'a' + sn->kind, sn->name);
		if ((id = intern(dst, key, errbuf, errlen)) < 0) {
			rc = (int)id;
			goto out;
		}
		if (idmap_get(&p->node_ids, id, &idx) < 0)
			goto out;
		if (idx < 0) {
			if (grow(&dst->nodes, &p->nodes_cap, dst->n_nodes,
			    sizeof(*dn)) < 0)
				goto out;
			dn = &dst->nodes[dst->n_nodes];
			memset(dn, 0, sizeof(*dn));
			if ((nid = intern(dst, sn->name, errbuf, errlen)) < 0) {
				rc = (int)nid;
				goto out;
			}
			dn->name = report_intern_str(p->in, nid);
			dn->kind = sn->kind;
			if (sn->namespace != NULL) {
				if ((nid = intern(dst, sn->namespace, errbuf,
				    errlen)) < 0) {
					rc = (int)nid;
					goto out;
				}
				dn->namespace = report_intern_str(p->in, nid);
			}
			idx = (int32_t)dst->n_nodes++;
			p->node_ids.v[id] = idx;
		}
		dn = &dst->nodes[idx];
		dn->sent += sn->sent;
		dn->received += sn->received;
		dn->dropped += sn->dropped;
		if (sn->identity != 0)
			dn->identity = sn->identity;
		map[i] = idx;
	}

	for (i = 0; i < src->n_edges; i++) {
		se = &src->edges[i];
		de = edge_get(dst, (uint32_t)map[se->src],
		    (uint32_t)map[se->dst], se->proto, se->port);
		if (de == NULL)
			goto out;
		if (de->service == NULL && se->service != NULL) {
			if ((id = intern(dst, se->service, errbuf, errlen)) < 0) {
				rc = (int)id;
				goto out;
			}
			de->service = report_intern_str(p->in, id);
		}
		de->flows += se->flows;
		de->replies += se->replies;
		for (j = 0; j < FLOW_STATS_NVERDICT; j++)
			de->verdict[j] += se->verdict[j];
		span_merge(&de->first_ns, &de->last_ns, se->first_ns,
		    se->last_ns);
		de->tcp_resets += se->tcp_resets;
		for (j = 0; j < se->n_reasons; j++)
			reason_add(de, se->reasons[j].code,
			    se->reasons[j].count);
		if (l7_merge(&de->l7, &se->l7) < 0)
			goto out;
	}
	for (i = 0; i < src->n_services; i++) {
		sv = service_get(dst, src->services[i].name, errbuf, errlen);
		if (sv == NULL || l7_merge(&sv->l7, &src->services[i].l7) < 0)
			goto out;
	}
	for (i = 0; i < src->n_dns; i++) {
		if ((dd = dns_get(dst, src->dns[i].query, errbuf,
		    errlen)) == NULL)
			goto out;
		dd->queries += src->dns[i].queries;
		dd->responses += src->dns[i].responses;
		dd->errors += src->dns[i].errors;
		for (j = 0; j < 16; j++)
			dd->rcode[j] += src->dns[i].rcode[j];
	}
	for (i = 0; i < src->n_ports; i++) {
		c = count_get(dst, &p->port_ids, &dst->ports, &dst->n_ports,
		    &p->ports_cap, src->ports[i].name, errbuf, errlen);
		if (c == NULL)
			goto out;
		c->count += src->ports[i].count;
	}
	for (i = 0; i < src->n_k8s_nodes; i++) {
		c = count_get(dst, &p->k8s_ids, &dst->k8s_nodes,
		    &dst->n_k8s_nodes, &p->k8s_cap, src->k8s_nodes[i].name,
		    errbuf, errlen);
		if (c == NULL)
			goto out;
		c->count += src->k8s_nodes[i].count;
	}
	rc = 0;
out:
	free(map);
	if (rc == CILKIT_ENOMEM && errbuf != NULL && errlen > 0 &&
	    errbuf[0] == '\0')
		cilkit_fail(errbuf, errlen, rc, "out of memory");
	return rc;
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
