/*
 * report_drops.c - the drop analysis report: aggregation over flow
 * records, recommendations per drop reason family, text and JSON.
 *
 * Every name (endpoint labels, pods, nodes, policies) is interned once;
 * counters are arrays indexed by intern id and a hash table of pairs
 * keyed on (reason, source, destination, L4, port).  Nothing per flow
 * is kept, so memory is flat in the input size.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cilium_drop.h"
#include "cilkit.h"
#include "flow.h"
#include "report.h"
#include "report_drops.h"

#define NONE		UINT32_MAX
#define LABEL_MAX	512
#define MAX_REASONS	4096

struct reason {
	uint64_t key;		/* code, or code | text id << 32 */
	uint32_t code;
	char *message;		/* as shown */
	const char *name;	/* enum name or NULL */
	uint64_t count;
	int64_t first, last;
};

struct pair {
	uint32_t reason;	/* index into reasons */
	uint32_t src, dst;	/* label ids */
	uint32_t src_pod, dst_pod;	/* "ns/pod" ids or NONE */
	uint16_t port;
	uint8_t l4;
	uint8_t family;		/* enum cilium_drop_family */
	uint64_t count;
	uint64_t dir[3];	/* unknown, ingress, egress */
	int64_t first, last;
	uint32_t nodes[REPORT_DROPS_MAX_LIST];
	uint32_t pols[REPORT_DROPS_MAX_LIST];
	uint8_t n_nodes, n_pols;
	bool more_nodes, more_pols;
};

struct report_drops {
	struct report_drops_opts o;
	char *pod_ns, *pod_prefix;	/* parsed o.pod */
	struct report_intern *names;
	uint64_t *src_count, *dst_count;	/* by label id */
	size_t count_cap;

	struct reason *reasons;
	size_t n_reasons, cap_reasons;

	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	uint32_t *slots;	/* pair index + 1; 0 empty */
	size_t n_slots;

	uint64_t total, no_time, overflow;
	int64_t first, last;
	/* input counters */
	uint64_t records, drops_seen, pv_denials, skipped, filtered;
	uint64_t events_lost;	/* lost_events records: events the agent lost */
	uint64_t family_count[16];
	uint64_t family_mcast[16];	/* of those, to multicast addresses */
	uint64_t denylist;		/* drops by an explicit deny rule */
	/*
	 * Policy-verdict denials (event type 5) aggregated on the side as if
	 * they were drops.  Used only when the input holds no drop event at
	 * all, as `cilium monitor --type policy-verdict` output does: then
	 * the verdicts are the only evidence and must not be reported as
	 * "no drops".  Freed as soon as a real drop event is seen.
	 */
	struct report_drops *pv;
	bool verdicts_as_drops;		/* this is such a side aggregate */
	bool pv_failed;			/* the side aggregate ran out of memory */
};

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * Labels
 */
static size_t
append(char *buf, size_t len, size_t off, const char *fmt, const char *s)
{
	int n;

	if (off >= len)
		return off;
	n = snprintf(buf + off, len - off, fmt, s);
	if (n < 0)
		return off;
	return off + (size_t)n >= len ? len - 1 : off + (size_t)n;
}

static size_t
endpoint_base(const struct flow_endpoint *ep, const char *const *names,
    size_t n_names, const char *ip, char *buf, size_t len)
{
	const char *rn;
	size_t off = 0;
	char num[32];

	buf[0] = '\0';
	if (ep->pod_name != NULL && *ep->pod_name != '\0') {
		if (ep->namespace != NULL && *ep->namespace != '\0')
			off = append(buf, len, off, "%s/", ep->namespace);
		return append(buf, len, off, "%s", ep->pod_name);
	}
	if (ep->n_workloads > 0 && ep->workloads[0].name != NULL) {
		if (ep->namespace != NULL && *ep->namespace != '\0')
			off = append(buf, len, off, "%s/", ep->namespace);
		return append(buf, len, off, "%s", ep->workloads[0].name);
	}
	if (n_names > 0 && names[0] != NULL && *names[0] != '\0')
		return append(buf, len, off, "%s", names[0]);
	if (ip != NULL && (strcmp(ip, "::") == 0 ||
	    strcmp(ip, "0.0.0.0") == 0))
		return append(buf, len, off, "%s (unspecified)", ip);
	if (ip != NULL && *ip != '\0')
		return append(buf, len, off, "%s", ip);
	rn = flow_reserved_identity_name(ep->identity);
	if (rn != NULL)
		return append(buf, len, off, "%s", rn);
	if (ep->identity != 0) {
		snprintf(num, sizeof(num), "%" PRIu32, ep->identity);
		return append(buf, len, off, "identity %s", num);
	}
	return append(buf, len, off, "%s", "unknown");
}

/* " (world)" / " (identity 1234)" after a bare IP or DNS name. */
static size_t
identity_suffix(const struct flow_endpoint *ep, char *buf, size_t len,
    size_t off)
{
	const char *rn = flow_reserved_identity_name(ep->identity);
	char num[32];

	if (ep->pod_name != NULL || ep->n_workloads > 0 || ep->identity == 0)
		return off;
	if (rn != NULL)
		return append(buf, len, off, " (%s)", rn);
	snprintf(num, sizeof(num), "%" PRIu32, ep->identity);
	return append(buf, len, off, " (identity %s)", num);
}

void
report_drops_src_label(const struct flow *f, char *buf, size_t len)
{
	size_t off;
	/* A frame without IP (LLC, ARP) is named by its MAC address. */
	const char *addr = f->src_ip != NULL ? f->src_ip : f->src_mac;

	if (len == 0)
		return;
	off = endpoint_base(&f->src, f->src_names, f->n_src_names, addr,
	    buf, len);
	if (f->src.pod_name == NULL && f->src.n_workloads == 0 &&
	    (addr != NULL || f->n_src_names > 0))
		identity_suffix(&f->src, buf, len, off);
}

static bool
has_port(const struct flow *f)
{
	return (f->l4 == FLOW_L4_TCP || f->l4 == FLOW_L4_UDP ||
	    f->l4 == FLOW_L4_SCTP) && f->dport != 0;
}

void
report_drops_dst_label(const struct flow *f, char *buf, size_t len)
{
	const struct flow_endpoint *ep = &f->dst;
	size_t off = 0;
	bool bare;
	char num[16];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (f->dst_svc.name != NULL && *f->dst_svc.name != '\0') {
		if (f->dst_svc.namespace != NULL && *f->dst_svc.namespace)
			off = append(buf, len, off, "%s/",
			    f->dst_svc.namespace);
		off = append(buf, len, off, "%s", f->dst_svc.name);
		bare = false;
	} else {
		const char *addr = f->dst_ip != NULL ? f->dst_ip : f->dst_mac;

		bare = ep->pod_name == NULL && ep->n_workloads == 0 &&
		    f->n_dst_names == 0 && f->dst_ip != NULL;
		/* IPv6 with a port is bracketed, as Hubble prints it. */
		if (bare && has_port(f) && strchr(f->dst_ip, ':') != NULL)
			off = append(buf, len, off, "[%s]", f->dst_ip);
		else
			off = endpoint_base(ep, f->dst_names, f->n_dst_names,
			    addr, buf, len);
		bare = ep->pod_name == NULL && ep->n_workloads == 0 &&
		    (addr != NULL || f->n_dst_names > 0);
	}
	if (has_port(f)) {
		snprintf(num, sizeof(num), "%u", f->dport);
		off = append(buf, len, off, ":%s", num);
	} else if (f->l4 != FLOW_L4_NONE && flow_l4_name(f->l4) != NULL)
		off = append(buf, len, off, " %s", flow_l4_name(f->l4));
	if (bare)
		identity_suffix(ep, buf, len, off);
}

/* "ns/pod" for policy-tester, or NULL when the endpoint has no pod. */
static bool
pod_ref(const struct flow_endpoint *ep, char *buf, size_t len)
{
	if (ep->pod_name == NULL || *ep->pod_name == '\0' ||
	    ep->namespace == NULL || *ep->namespace == '\0')
		return false;
	snprintf(buf, len, "%s/%s", ep->namespace, ep->pod_name);
	return true;
}

/*
 * Setup
 */
struct report_drops *
report_drops_new(const struct report_drops_opts *o)
{
	struct report_drops *d = calloc(1, sizeof(*d));
	const char *slash;

	if (d == NULL)
		return NULL;
	d->o = *o;
	if (d->o.top == 0)
		d->o.top = 10;
	if (d->o.policy_tester == NULL)
		d->o.policy_tester = "policy-tester";
	if (o->pod != NULL) {
		slash = strchr(o->pod, '/');
		if (slash != NULL) {
			d->pod_ns = strndup(o->pod, (size_t)(slash - o->pod));
			d->pod_prefix = strdup(slash + 1);
		} else
			d->pod_prefix = strdup(o->pod);
		if (d->pod_prefix == NULL || (slash != NULL &&
		    d->pod_ns == NULL))
			goto fail;
	}
	d->names = report_intern_new(0);
	d->n_slots = 1024;
	d->slots = calloc(d->n_slots, sizeof(*d->slots));
	if (d->names == NULL || d->slots == NULL)
		goto fail;
	return d;
fail:
	report_drops_free(d);
	return NULL;
}

void
report_drops_free(struct report_drops *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_reasons; i++)
		free(d->reasons[i].message);
	free(d->reasons);
	free(d->pairs);
	free(d->slots);
	free(d->src_count);
	free(d->dst_count);
	report_intern_free(d->names);
	free(d->pod_ns);
	free(d->pod_prefix);
	report_drops_free(d->pv);
	free(d);
}

/*
 * The aggregate to report: the side aggregate of policy-verdict denials
 * when the input had policy-verdict denials but no drop event at all.
 */
static struct report_drops *
effective(struct report_drops *d)
{
	if (d->drops_seen > 0 || d->pv == NULL || d->pv->drops_seen == 0)
		return d;
	d->pv->records = d->records;
	d->pv->skipped = d->skipped;
	d->pv->events_lost = d->events_lost;
	return d->pv;
}

void
report_drops_note_skipped(struct report_drops *d, uint64_t n)
{
	d->skipped += n;
}

void
report_drops_note_records(struct report_drops *d, uint64_t n)
{
	d->records += n;
}

uint64_t
report_drops_total(const struct report_drops *d)
{
	return effective((struct report_drops *)d)->total;
}

/*
 * Aggregation
 */
static bool
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool
pod_matches(const struct report_drops *d, const struct flow_endpoint *ep)
{
	if (ep->pod_name == NULL)
		return false;
	if (d->pod_ns != NULL && !str_eq(ep->namespace, d->pod_ns))
		return false;
	return strncmp(ep->pod_name, d->pod_prefix,
	    strlen(d->pod_prefix)) == 0;
}

static bool
node_matches(const char *want, const char *node)
{
	const char *slash;

	if (node == NULL)
		return false;
	if (strcmp(want, node) == 0)
		return true;
	slash = strrchr(node, '/');
	return slash != NULL && strcmp(want, slash + 1) == 0;
}

/* ff00::/8 or 224.0.0.0/4, from the textual address. */
static bool
is_multicast(const char *ip)
{
	int a;

	if (ip == NULL)
		return false;
	if (strchr(ip, ':') != NULL)
		return (ip[0] == 'f' || ip[0] == 'F') &&
		    (ip[1] == 'f' || ip[1] == 'F');
	a = atoi(ip);
	return a >= 224 && a <= 239;
}

static int64_t
intern(struct report_drops *d, const char *s)
{
	int64_t id = report_intern_id(d->names, s, (size_t)-1);
	size_t ncap;
	uint64_t *a, *b;

	if (id < 0)
		return id;
	if ((size_t)id >= d->count_cap) {
		ncap = d->count_cap == 0 ? 256 : d->count_cap * 2;
		while (ncap <= (size_t)id)
			ncap *= 2;
		a = realloc(d->src_count, ncap * sizeof(*a));
		if (a == NULL)
			return CILKIT_ENOMEM;
		d->src_count = a;
		b = realloc(d->dst_count, ncap * sizeof(*b));
		if (b == NULL)
			return CILKIT_ENOMEM;
		d->dst_count = b;
		memset(a + d->count_cap, 0, (ncap - d->count_cap) * sizeof(*a));
		memset(b + d->count_cap, 0, (ncap - d->count_cap) * sizeof(*b));
		d->count_cap = ncap;
	}
	return id;
}

static void
span(int64_t *first, int64_t *last, int64_t t)
{
	if (t == 0)
		return;
	if (*first == 0 || t < *first)
		*first = t;
	if (*last == 0 || t > *last)
		*last = t;
}

/* The reason entry for a flow, created on first sight; -1 on ENOMEM. */
static long
reason_index(struct report_drops *d, const struct flow *f)
{
	const struct cilium_drop_reason *r = NULL;
	struct reason *nr, *e;
	uint64_t key = f->drop_reason;
	char buf[64];
	const char *msg;
	int64_t tid = -1;
	size_t i, ncap;

	if (f->drop_reason_text != NULL) {
		tid = intern(d, f->drop_reason_text);
		if (tid < 0)
			return -1;
		key |= (uint64_t)(tid + 1) << 32;
	} else if (f->drop_reason == 0 && f->type == FLOW_TYPE_L7)
		key = UINT64_C(1) << 63;	/* denied by the L7 proxy */
	for (i = 0; i < d->n_reasons; i++)
		if (d->reasons[i].key == key)
			return (long)i;
	if (d->n_reasons >= MAX_REASONS)
		return (long)d->n_reasons - 1;	/* lump into the last */
	if (d->n_reasons == d->cap_reasons) {
		ncap = d->cap_reasons == 0 ? 16 : d->cap_reasons * 2;
		nr = realloc(d->reasons, ncap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		d->reasons = nr;
		d->cap_reasons = ncap;
	}
	e = &d->reasons[d->n_reasons];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->code = f->drop_reason;
	if (tid >= 0)
		msg = report_intern_str(d->names, tid);
	else if (key == UINT64_C(1) << 63)
		msg = "L7 policy denied (proxy)";
	else if (f->drop_reason == 0)
		msg = "Unknown drop reason (none in the flow)";
	else {
		r = cilium_drop_by_code(f->drop_reason);
		msg = cilium_drop_message(f->drop_reason, buf, sizeof(buf));
	}
	if (r != NULL)
		e->name = r->name;
	e->message = strdup(msg);
	if (e->message == NULL)
		return -1;
	return (long)d->n_reasons++;
}

static uint32_t
pair_hash(uint32_t reason, uint32_t src, uint32_t dst, uint8_t l4,
    uint16_t port)
{
	uint64_t h = 1469598103934665603ull;

	h = (h ^ reason) * 1099511628211ull;
	h = (h ^ src) * 1099511628211ull;
	h = (h ^ dst) * 1099511628211ull;
	h = (h ^ ((uint64_t)l4 << 16 | port)) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static int
pairs_grow(struct report_drops *d)
{
	size_t ns = d->n_slots * 2, i, j;
	uint32_t *slots = calloc(ns, sizeof(*slots));
	const struct pair *p;

	if (slots == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < d->n_pairs; i++) {
		p = &d->pairs[i];
		j = pair_hash(p->reason, p->src, p->dst, p->l4, p->port) &
		    (ns - 1);
		while (slots[j] != 0)
			j = (j + 1) & (ns - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->n_slots = ns;
	return 0;
}

/* The pair for these keys, created when new; NULL when full or ENOMEM. */
static struct pair *
pair_get(struct report_drops *d, uint32_t reason, uint32_t src,
    uint32_t dst, uint8_t l4, uint16_t port, bool *nomem)
{
	struct pair *p, *np;
	size_t j, ncap;

	*nomem = false;
	if ((d->n_pairs + 1) * 2 > d->n_slots && pairs_grow(d) != 0) {
		*nomem = true;
		return NULL;
	}
	j = pair_hash(reason, src, dst, l4, port) & (d->n_slots - 1);
	while (d->slots[j] != 0) {
		p = &d->pairs[d->slots[j] - 1];
		if (p->reason == reason && p->src == src && p->dst == dst &&
		    p->l4 == l4 && p->port == port)
			return p;
		j = (j + 1) & (d->n_slots - 1);
	}
	if (d->n_pairs >= REPORT_DROPS_MAX_PAIRS)
		return NULL;
	if (d->n_pairs == d->cap_pairs) {
		ncap = d->cap_pairs == 0 ? 64 : d->cap_pairs * 2;
		np = realloc(d->pairs, ncap * sizeof(*np));
		if (np == NULL) {
			*nomem = true;
			return NULL;
		}
		d->pairs = np;
		d->cap_pairs = ncap;
	}
	p = &d->pairs[d->n_pairs];
	memset(p, 0, sizeof(*p));
	p->reason = reason;
	p->src = src;
	p->dst = dst;
	p->l4 = l4;
	p->port = port;
	p->src_pod = p->dst_pod = NONE;
	d->slots[j] = (uint32_t)d->n_pairs + 1;
	d->n_pairs++;
	return p;
}

static int
add_to_list(struct report_drops *d, uint32_t *list, uint8_t *n, bool *more,
    const char *s)
{
	int64_t id;
	uint8_t i;

	if (s == NULL || *s == '\0')
		return 0;
	id = intern(d, s);
	if (id < 0)
		return (int)id;
	for (i = 0; i < *n; i++)
		if (list[i] == (uint32_t)id)
			return 0;
	if (*n < REPORT_DROPS_MAX_LIST)
		list[(*n)++] = (uint32_t)id;
	else
		*more = true;
	return 0;
}

static int
add_policies(struct report_drops *d, struct pair *p,
    const struct flow_policy_list *l)
{
	char buf[LABEL_MAX];
	size_t i;
	int rc;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].name == NULL)
			continue;
		if (l->v[i].namespace != NULL && *l->v[i].namespace != '\0')
			snprintf(buf, sizeof(buf), "%s/%s%s%s%s",
			    l->v[i].namespace, l->v[i].name,
			    l->v[i].kind != NULL ? " (" : "",
			    l->v[i].kind != NULL ? l->v[i].kind : "",
			    l->v[i].kind != NULL ? ")" : "");
		else
			snprintf(buf, sizeof(buf), "%s%s%s%s", l->v[i].name,
			    l->v[i].kind != NULL ? " (" : "",
			    l->v[i].kind != NULL ? l->v[i].kind : "",
			    l->v[i].kind != NULL ? ")" : "");
		rc = add_to_list(d, p->pols, &p->n_pols, &p->more_pols, buf);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * A lost_events record in the window and on the node asked for: the
 * drops counted may be fewer than happened (effective() hands the sum
 * to the side aggregate when that becomes the report).
 */
static void
lost_add(struct report_drops *d, const struct flow_record *rec)
{
	uint64_t n = rec->other.num_events_lost;
	int64_t t = rec->time_ns;

	if (t != 0 && ((d->o.since_ns != 0 && t < d->o.since_ns) ||
	    (d->o.until_ns != 0 && t > d->o.until_ns)))
		return;
	if (d->o.node != NULL && rec->node_name != NULL &&
	    !node_matches(d->o.node, rec->node_name))
		return;
	if (n == 0)
		n = 1;		/* a record without its count: at least one */
	d->events_lost = d->events_lost > UINT64_MAX - n ? UINT64_MAX :
	    d->events_lost + n;
}

int
report_drops_add(struct report_drops *d, const struct flow_record *rec)
{
	const struct flow *f = &rec->flow;
	const char *node;
	char src[LABEL_MAX], dst[LABEL_MAX], ref[LABEL_MAX];
	int64_t t, sid, did, pid;
	struct pair *p;
	long ri;
	bool nomem;
	int fam;

	d->records++;
	if (rec->kind == FLOW_EV_LOST) {
		lost_add(d, rec);
		return 0;
	}
	if (rec->kind != FLOW_EV_FLOW)
		return 0;
	if (f->verdict != FLOW_DROPPED)
		return 0;
	if (f->event_type != 5 || d->verdicts_as_drops)
		d->drops_seen++;
	if (f->event_type != 5 && d->pv != NULL) {
		report_drops_free(d->pv);	/* real drops: not needed */
		d->pv = NULL;
	}
	t = f->time_ns != 0 ? f->time_ns : rec->time_ns;
	node = rec->node_name != NULL ? rec->node_name : f->node_name;
	if (t != 0 && ((d->o.since_ns != 0 && t < d->o.since_ns) ||
	    (d->o.until_ns != 0 && t > d->o.until_ns)))
		goto filtered;
	if (d->o.namespace != NULL && !str_eq(f->src.namespace,
	    d->o.namespace) && !str_eq(f->dst.namespace, d->o.namespace) &&
	    !str_eq(f->dst_svc.namespace, d->o.namespace) &&
	    !str_eq(f->src_svc.namespace, d->o.namespace))
		goto filtered;
	if (d->o.pod != NULL && !pod_matches(d, &f->src) &&
	    !pod_matches(d, &f->dst))
		goto filtered;
	if (d->o.node != NULL && !node_matches(d->o.node, node))
		goto filtered;
	if (d->o.has_reason && f->drop_reason != d->o.reason)
		goto filtered;
	/*
	 * A policy-verdict event (type 5) with a deny is followed by the
	 * datapath's own drop event for the same packet: counting both
	 * would double the policy drops.
	 */
	if (f->event_type == 5 && !d->verdicts_as_drops) {
		d->pv_denials++;
		if (d->drops_seen == 0 && !d->pv_failed) {
			if (d->pv == NULL) {
				d->pv = report_drops_new(&d->o);
				if (d->pv != NULL)
					d->pv->verdicts_as_drops = true;
			}
			if (d->pv == NULL || report_drops_add(d->pv, rec) < 0) {
				/* Only the fallback is lost; say so. */
				report_drops_free(d->pv);
				d->pv = NULL;
				d->pv_failed = true;
			}
		}
		return 0;
	}

	ri = reason_index(d, f);
	if (ri < 0)
		return CILKIT_ENOMEM;
	report_drops_src_label(f, src, sizeof(src));
	report_drops_dst_label(f, dst, sizeof(dst));
	sid = intern(d, src);
	did = intern(d, dst);
	if (sid < 0 || did < 0)
		return CILKIT_ENOMEM;
	d->total++;
	if (t == 0)
		d->no_time++;
	span(&d->first, &d->last, t);
	d->reasons[ri].count++;
	span(&d->reasons[ri].first, &d->reasons[ri].last, t);
	d->src_count[sid]++;
	d->dst_count[did]++;
	fam = (int)cilium_drop_family_of_flow(f);
	if (f->drop_reason == 0 && f->type == FLOW_TYPE_L7)
		fam = CILIUM_DROP_FAM_POLICY;
	if (f->drop_reason == 181 && f->drop_reason_text == NULL)
		d->denylist++;
	if (fam >= 0 && fam < 16) {
		d->family_count[fam]++;
		if (is_multicast(f->dst_ip))
			d->family_mcast[fam]++;
	}

	p = pair_get(d, (uint32_t)ri, (uint32_t)sid, (uint32_t)did,
	    (uint8_t)f->l4, has_port(f) ? f->dport : 0, &nomem);
	if (p == NULL) {
		if (nomem)
			return CILKIT_ENOMEM;
		d->overflow++;
		return 1;
	}
	p->count++;
	p->family = (uint8_t)fam;
	if (f->direction >= 0 && f->direction <= 2)
		p->dir[f->direction]++;
	else
		p->dir[0]++;
	span(&p->first, &p->last, t);
	if (p->src_pod == NONE && pod_ref(&f->src, ref, sizeof(ref))) {
		if ((pid = intern(d, ref)) < 0)
			return CILKIT_ENOMEM;
		p->src_pod = (uint32_t)pid;
	}
	if (p->dst_pod == NONE && pod_ref(&f->dst, ref, sizeof(ref))) {
		if ((pid = intern(d, ref)) < 0)
			return CILKIT_ENOMEM;
		p->dst_pod = (uint32_t)pid;
	}
	if (add_to_list(d, p->nodes, &p->n_nodes, &p->more_nodes, node) != 0 ||
	    add_policies(d, p, &f->egress_denied_by) != 0 ||
	    add_policies(d, p, &f->ingress_denied_by) != 0)
		return CILKIT_ENOMEM;
	return 1;
filtered:
	if (f->event_type != 5 || d->verdicts_as_drops)
		d->filtered++;
	return 0;
}

/*
 * Sorting for output: by count, descending, then by name so the order
 * never depends on hash layout.
 */
struct ranked {
	uint64_t count;
	const char *name;
	size_t idx;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->name != NULL ? x->name : "", y->name != NULL ?
	    y->name : "");
	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Top entries of a per-id counter array; caller frees. */
static struct ranked *
rank_ids(const struct report_drops *d, const uint64_t *counts, size_t *n)
{
	size_t i, k = 0, nn = report_intern_count(d->names);
	struct ranked *r;

	if (nn > d->count_cap)
		nn = d->count_cap;
	r = calloc(nn + 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	for (i = 0; i < nn; i++) {
		if (counts[i] == 0)
			continue;
		r[k].count = counts[i];
		r[k].name = report_intern_str(d->names, (int64_t)i);
		r[k].idx = i;
		k++;
	}
	qsort(r, k, sizeof(*r), cmp_ranked);
	*n = k;
	return r;
}

static struct ranked *
rank_reasons(const struct report_drops *d)
{
	struct ranked *r = calloc(d->n_reasons + 1, sizeof(*r));
	size_t i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < d->n_reasons; i++) {
		r[i].count = d->reasons[i].count;
		r[i].name = d->reasons[i].message;
		r[i].idx = i;
	}
	qsort(r, d->n_reasons, sizeof(*r), cmp_ranked);
	return r;
}

/* Pairs of one reason (or of one family when fam >= 0), ranked. */
static struct ranked *
rank_pairs(const struct report_drops *d, long reason, int fam, size_t *n)
{
	struct ranked *r = calloc(d->n_pairs + 1, sizeof(*r));
	size_t i, k = 0;

	if (r == NULL)
		return NULL;
	for (i = 0; i < d->n_pairs; i++) {
		if (reason >= 0 && d->pairs[i].reason != (uint32_t)reason)
			continue;
		if (fam >= 0 && d->pairs[i].family != fam)
			continue;
		r[k].count = d->pairs[i].count;
		r[k].name = report_intern_str(d->names, d->pairs[i].src);
		r[k].idx = i;
		k++;
	}
	qsort(r, k, sizeof(*r), cmp_ranked);
	*n = k;
	return r;
}

static const char *
name_of(const struct report_drops *d, uint32_t id)
{
	const char *s = id == NONE ? NULL :
	    report_intern_str(d->names, (int64_t)id);

	return s != NULL ? s : "";
}

static const char *
l4_lower(int l4)
{
	switch (l4) {
	case FLOW_L4_TCP: return "tcp";
	case FLOW_L4_UDP: return "udp";
	case FLOW_L4_SCTP: return "sctp";
	case FLOW_L4_ICMPV4: return "icmp";
	case FLOW_L4_ICMPV6: return "icmpv6";
	}
	return NULL;
}

/*
 * Recommendations: one block per family present, most drops first.
 * Each block has a lead sentence, items (pairs to look at), and
 * commands; text and JSON print the same blocks.
 */
struct advice {
	int fam;
	uint64_t count;
	char *text;		/* what the family means, what to check */
	char **items;		/* pairs to look at */
	char **item_cmd;	/* per item: command to run, "" for none */
	char **cmds;		/* every distinct command, in order */
	char *note;		/* a caveat, or NULL */
	size_t n_items, n_item_cmd, n_cmds;
};

static const char *
family_text(int fam)
{
	switch (fam) {
	case CILIUM_DROP_FAM_POLICY:
		return "Network policy denied these connections: check the "
		    "policies that select each source (egress rules) and "
		    "destination (ingress rules). If the traffic is wanted, "
		    "allow the port and run the policy-tester command shown "
		    "to verify.";
	case CILIUM_DROP_FAM_FQDN:
		return "Policy denied traffic to DNS-named destinations. "
		    "toFQDNs rules only work when the pod's DNS lookups go "
		    "through Cilium's DNS proxy (an egress rule to kube-dns "
		    "with rules: dns: [{matchPattern: \"*\"}]); check the "
		    "names match the toFQDNs patterns and see what the agent "
		    "learnt with `cilium-dbg fqdn cache list`.";
	case CILIUM_DROP_FAM_INVALID_SOURCE:
		return "Packets left an endpoint with a source address "
		    "Cilium did not assign to it. Usual causes: a pod using "
		    "a secondary or virtual IP (keepalived, VPN, MetalLB "
		    "speaker), IP spoofing, or a stale endpoint after an IP "
		    "change. Compare the source IPs with `cilium-dbg "
		    "endpoint list` on the node; IPv6 router solicitations "
		    "from :: or link-local addresses are harmless.";
	case CILIUM_DROP_FAM_CONNTRACK:
		return "Connection tracking dropped packets: the CT table is "
		    "full or a packet matched no connection (asymmetric "
		    "routing, a reply after the entry expired). Check "
		    "`cilium-dbg metrics list | grep -i ct` and `cilium-dbg "
		    "bpf ct list global | wc -l` against bpf-ct-global-tcp-"
		    "max/bpf-ct-global-any-max (or raise "
		    "bpf-map-dynamic-size-ratio).";
	case CILIUM_DROP_FAM_UNROUTABLE:
		return "The destination could not be resolved: a stale or "
		    "unroutable IP (the pod behind it was deleted or moved), "
		    "no route or neighbour on the node (FIB lookup failed), "
		    "or a destination address the node does not own. Check "
		    "the IP with `cilium-dbg bpf ipcache get IP`, restart "
		    "clients that cache old IPs or DNS answers, and check the "
		    "node's routes.";
	case CILIUM_DROP_FAM_TUNNEL:
		return "No tunnel or encapsulation endpoint for the "
		    "destination: the node cannot reach the destination's "
		    "node over VXLAN (8472/udp) or Geneve (6081/udp). Check "
		    "`cilium-dbg bpf tunnel list`, `cilium status` on the "
		    "nodes, and that firewalls between nodes allow the "
		    "tunnel port.";
	case CILIUM_DROP_FAM_AUTH:
		return "Mutual authentication is required by policy "
		    "(authentication.mode: required) but no authenticated "
		    "session exists. Check the SPIRE server and agents, "
		    "`cilium-dbg status` (mutual auth) and the agent log for "
		    "auth errors.";
	case CILIUM_DROP_FAM_UNSUPPORTED:
		return "Cilium's datapath does not handle this L2/L3/L4 "
		    "protocol as configured (IPv6 disabled, SCTP not enabled, "
		    "multicast, non-IP). If the traffic is needed enable the "
		    "feature (enable-ipv6, enable-sctp); otherwise these "
		    "drops are noise.";
	case CILIUM_DROP_FAM_SERVICE:
		return "A service had no backend for the connection. Check "
		    "that the service has ready endpoints (`kubectl get "
		    "endpointslices -n NS -l kubernetes.io/service-name=SVC`) "
		    "and `cilium-dbg service list` on the node.";
	case CILIUM_DROP_FAM_INVALID_PACKET:
		return "Malformed, truncated or fragmented packets were "
		    "dropped. Check MTU settings (pod MTU vs. tunnel "
		    "overhead; 'Fragmentation needed'), and "
		    "enable-ipv4-fragment-tracking for fragmented traffic.";
	case CILIUM_DROP_FAM_NAT:
		return "NAT failed (SNAT port exhaustion, NAT map full or "
		    "NAT46/64 not enabled). Check bpf-nat-global-max, "
		    "masquerading settings and `cilium-dbg bpf nat list`.";
	case CILIUM_DROP_FAM_RATE:
		return "Traffic was rate limited by the bandwidth manager "
		    "(kubernetes.io/egress-bandwidth annotations) or an EDT "
		    "horizon; raise the limit if it is too low.";
	}
	return "Look the reason up in Cilium's drop reason list and watch "
	    "the drops live with `cilium-dbg monitor --type drop` in the "
	    "agent pod of the node.";
}

static int
strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return CILKIT_ENOMEM;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return CILKIT_ENOMEM;
	(*n)++;
	return 0;
}

static void
advice_free(struct advice *a, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(a[i].text);
		for (j = 0; j < a[i].n_items; j++)
			free(a[i].items[j]);
		for (j = 0; j < a[i].n_item_cmd; j++)
			free(a[i].item_cmd[j]);
		for (j = 0; j < a[i].n_cmds; j++)
			free(a[i].cmds[j]);
		free(a[i].items);
		free(a[i].item_cmd);
		free(a[i].cmds);
		free(a[i].note);
	}
	free(a);
}

static void
dir_words(const struct pair *p, char *buf, size_t len)
{
	if (p->dir[1] != 0 && p->dir[2] != 0)
		snprintf(buf, len, ", ingress %" PRIu64 ", egress %" PRIu64,
		    p->dir[1], p->dir[2]);
	else if (p->dir[1] != 0)
		snprintf(buf, len, ", ingress");
	else if (p->dir[2] != 0)
		snprintf(buf, len, ", egress");
	else
		buf[0] = '\0';
}

/* Append a sentence to the advice's note. */
static int
note_add(struct advice *a, const char *text)
{
	size_t old = a->note != NULL ? strlen(a->note) : 0;
	char *n = realloc(a->note, old + strlen(text) + 2);

	if (n == NULL)
		return CILKIT_ENOMEM;
	if (old > 0)
		n[old++] = ' ';
	strcpy(n + old, text);
	a->note = n;
	return 0;
}

/* Add an item with its command (cmd may be NULL). */
static int
item_add(struct advice *a, const char *text, const char *cmd)
{
	size_t i;
	bool seen = false;

	if (cmd != NULL)
		for (i = 0; i < a->n_cmds; i++)
			if (strcmp(a->cmds[i], cmd) == 0)
				seen = true;
	if (strv_add(&a->items, &a->n_items, text) != 0 ||
	    strv_add(&a->item_cmd, &a->n_item_cmd, cmd == NULL || seen ? "" :
	    cmd) != 0)
		return CILKIT_ENOMEM;
	if (cmd != NULL && !seen && strv_add(&a->cmds, &a->n_cmds, cmd) != 0)
		return CILKIT_ENOMEM;
	return 0;
}

static int
policy_items(const struct report_drops *d, struct advice *a,
    const struct ranked *r, size_t n)
{
	char line[3 * LABEL_MAX], cmd[3 * LABEL_MAX], dirs[96],
	    pol[LABEL_MAX];
	const struct pair *p;
	const char *proto;
	bool unnamed = false, have_cmd;
	size_t i, k, off;

	for (i = 0; i < n && i < d->o.top; i++) {
		p = &d->pairs[r[i].idx];
		dir_words(p, dirs, sizeof(dirs));
		pol[0] = '\0';
		for (k = 0, off = 0; k < p->n_pols && off < sizeof(pol); k++)
			off += (size_t)snprintf(pol + off, sizeof(pol) - off,
			    "%s%s", k == 0 ? ", denied by " : ", ",
			    name_of(d, p->pols[k]));
		snprintf(line, sizeof(line), "Check network policies for %s "
		    "-> %s (%" PRIu64 " drop%s%s%s)", name_of(d, p->src),
		    name_of(d, p->dst), p->count, p->count == 1 ? "" : "s",
		    dirs, pol);
		have_cmd = true;
		proto = l4_lower(p->l4);
		if (p->src_pod == NONE || p->dst_pod == NONE) {
			unnamed = true;
			have_cmd = false;
		} else if (p->port != 0)
			snprintf(cmd, sizeof(cmd), "%s --from %s --to %s "
			    "--port %u%s%s", d->o.policy_tester,
			    name_of(d, p->src_pod), name_of(d, p->dst_pod),
			    p->port, p->l4 == FLOW_L4_TCP ? "" :
			    " --protocol ", p->l4 == FLOW_L4_TCP ? "" : proto);
		else if (proto != NULL && strncmp(proto, "icmp", 4) == 0)
			snprintf(cmd, sizeof(cmd), "%s --from %s --to %s "
			    "--protocol icmp", d->o.policy_tester,
			    name_of(d, p->src_pod), name_of(d, p->dst_pod));
		else
			have_cmd = false;
		if (item_add(a, line, have_cmd ? cmd : NULL) != 0)
			return CILKIT_ENOMEM;
	}
	if (unnamed && note_add(a, "Some of these drops carry no pod "
	    "names, so there is no policy-tester command for them: map the "
	    "IPs and identities to pods with `kubectl get pods -A -o wide` "
	    "and `cilium-dbg identity get ID`.") != 0)
		return CILKIT_ENOMEM;
	return 0;
}

static int
other_items(const struct report_drops *d, struct advice *a,
    const struct ranked *r, size_t n)
{
	char line[3 * LABEL_MAX + 128], nodes[LABEL_MAX];
	const struct pair *p;
	size_t i, k, off, lim = d->o.top < 5 ? d->o.top : 5;

	for (i = 0; i < n && i < lim; i++) {
		p = &d->pairs[r[i].idx];
		nodes[0] = '\0';
		for (k = 0, off = 0; k < p->n_nodes && off < sizeof(nodes);
		    k++)
			off += (size_t)snprintf(nodes + off,
			    sizeof(nodes) - off, "%s%s", k == 0 ?
			    ", on node " : ", ", name_of(d, p->nodes[k]));
		snprintf(line, sizeof(line), "%s: %s -> %s (%" PRIu64
		    " drop%s%s)", d->reasons[p->reason].message,
		    name_of(d, p->src), name_of(d, p->dst), p->count,
		    p->count == 1 ? "" : "s", nodes);
		if (item_add(a, line, NULL) != 0)
			return CILKIT_ENOMEM;
	}
	if (n > lim) {
		snprintf(line, sizeof(line), "... and %zu more source -> "
		    "destination pair%s (see --detail)", n - lim,
		    n - lim == 1 ? "" : "s");
		if (item_add(a, line, NULL) != 0)
			return CILKIT_ENOMEM;
	}
	return 0;
}

static struct advice *
build_advice(const struct report_drops *d, size_t *na)
{
	struct advice *a = NULL, *cur;
	struct ranked *r;
	size_t n, i, j, k = 0;
	int fams[16], fam, t;
	char line[256];

	for (i = 0; i < 16; i++)
		fams[i] = (int)i;
	/* Families by count, descending (insertion sort, 13 entries). */
	for (i = 1; i < 16; i++)
		for (j = i; j > 0 && d->family_count[fams[j]] >
		    d->family_count[fams[j - 1]]; j--) {
			t = fams[j];
			fams[j] = fams[j - 1];
			fams[j - 1] = t;
		}
	a = calloc(16, sizeof(*a));
	if (a == NULL)
		return NULL;
	for (i = 0; i < 16; i++) {
		fam = fams[i];
		if (d->family_count[fam] == 0)
			continue;
		cur = &a[k++];
		cur->fam = fam;
		cur->count = d->family_count[fam];
		cur->text = strdup(family_text(fam));
		if (cur->text == NULL)
			goto fail;
		r = rank_pairs(d, -1, fam, &n);
		if (r == NULL)
			goto fail;
		if ((fam == CILIUM_DROP_FAM_POLICY ||
		    fam == CILIUM_DROP_FAM_FQDN ?
		    policy_items(d, cur, r, n) : other_items(d, cur, r, n)) !=
		    0) {
			free(r);
			goto fail;
		}
		if ((fam == CILIUM_DROP_FAM_POLICY ||
		    fam == CILIUM_DROP_FAM_FQDN) && n > d->o.top) {
			snprintf(line, sizeof(line), "... and %zu more "
			    "source -> destination pair%s (see --detail)",
			    n - d->o.top, n - d->o.top == 1 ? "" : "s");
			if (item_add(cur, line, NULL) != 0) {
				free(r);
				goto fail;
			}
		}
		free(r);
		if (fam == CILIUM_DROP_FAM_POLICY && d->denylist > 0) {
			snprintf(line, sizeof(line), "%" PRIu64 " of these "
			    "drops were 'Policy denied by denylist': an explicit "
			    "deny rule (ingressDeny/egressDeny) matched, and "
			    "deny rules win over allow rules, so find and change "
			    "the deny rule.", d->denylist);
			if (note_add(cur, line) != 0)
				goto fail;
		}
		if (d->family_mcast[fam] > 0) {
			snprintf(line, sizeof(line), "%s%" PRIu64 " of "
			    "these drops went to multicast addresses (such as "
			    "IPv6 router and neighbor solicitations to "
			    "ff02::/16): usually harmless noise from the hosts' "
			    "network stacks.", d->family_mcast[fam] ==
			    cur->count ? "All " : "", d->family_mcast[fam]);
			if (note_add(cur, line) != 0)
				goto fail;
		}
	}
	*na = k;
	return a;
fail:
	advice_free(a, 16);
	return NULL;
}

/*
 * Text output
 */
static void
pct_text(unsigned pct, uint64_t count, char *buf, size_t len)
{
	if (pct == 0 && count > 0)
		snprintf(buf, len, "<1%%");
	else
		snprintf(buf, len, "%u%%", pct);
}

static void
range_text(const struct report_drops *d, char *buf, size_t len)
{
	char a[48], b[48], w[64];
	size_t off = 0;
	int64_t dur;

	buf[0] = '\0';
	if (d->o.since_arg != NULL && d->o.since_relative &&
	    report_parse_duration(d->o.since_arg, &dur, NULL, 0) == 0) {
		report_format_duration_words(dur, w, sizeof(w));
		off = (size_t)snprintf(buf, len, "Last %s", w);
	} else if (d->o.since_ns != 0) {
		report_format_time(d->o.since_ns, 0, a, sizeof(a));
		off = (size_t)snprintf(buf, len, "Since %s", a);
	} else
		off = (size_t)snprintf(buf, len, "All input");
	if (off < len && d->o.until_ns != 0) {
		report_format_time(d->o.until_ns, 0, a, sizeof(a));
		off += (size_t)snprintf(buf + off, len - off, " until %s", a);
	}
	if (off >= len)
		return;
	if (d->total == 0)
		snprintf(buf + off, len - off, " (no drops seen)");
	else if (d->first == 0)
		snprintf(buf + off, len - off, " (drops carry no timestamps)");
	else {
		report_format_time(d->first, 0, a, sizeof(a));
		report_format_time(d->last, 0, b, sizeof(b));
		snprintf(buf + off, len - off, " (first drop %s, last drop %s)",
		    a, b);
	}
}

static int
print_detail(const struct report_drops *d, FILE *fp, bool ascii)
{
	static const char *hdr[] = { "COUNT", "SOURCE", "DESTINATION",
	    "PROTO", "DIRECTION", "NODES", "FIRST", "LAST", "POLICIES" };
	struct ranked *rr, *pr;
	struct report_table *t;
	const struct reason *re;
	const struct pair *p;
	char cnt[32], dir[64], nodes[LABEL_MAX], pols[LABEL_MAX], f[48],
	    l[48];
	const char *cells[9];
	size_t i, j, k, n, off;
	int rc = 0;

	rr = rank_reasons(d);
	if (rr == NULL)
		return CILKIT_ENOMEM;
	if (fprintf(fp, "\nDetails:\n") < 0)
		rc = CILKIT_EIO;
	for (i = 0; i < d->n_reasons && rc == 0; i++) {
		re = &d->reasons[rr[i].idx];
		if (re->name != NULL)
			fprintf(fp, "  %s (%s, code %" PRIu32 "): %" PRIu64
			    " drop%s\n", re->message, re->name, re->code,
			    re->count, plural(re->count));
		else if (re->code == 0)
			fprintf(fp, "  %s (no drop code): %" PRIu64
			    " drop%s\n", re->message, re->count,
			    plural(re->count));
		else
			fprintf(fp, "  %s (code %" PRIu32 "): %" PRIu64
			    " drop%s\n", re->message, re->code, re->count,
			    plural(re->count));
		pr = rank_pairs(d, (long)rr[i].idx, -1, &n);
		t = report_table_new(9);
		if (pr == NULL || t == NULL) {
			free(pr);
			report_table_free(t);
			rc = CILKIT_ENOMEM;
			break;
		}
		report_table_set_ascii(t, ascii);
		for (k = 0; k < 9; k++)
			report_table_column(t, k, hdr[k], k == 0 ?
			    REPORT_ALIGN_RIGHT : REPORT_ALIGN_LEFT,
			    k == 1 || k == 2 ? 48 : k == 8 ? 60 : 0);
		for (j = 0; j < n && j < d->o.top && rc == 0; j++) {
			p = &d->pairs[pr[j].idx];
			snprintf(cnt, sizeof(cnt), "%" PRIu64, p->count);
			off = 0;
			dir[0] = '\0';
			if (p->dir[1] != 0)
				off += (size_t)snprintf(dir + off,
				    sizeof(dir) - off, "ingress %" PRIu64,
				    p->dir[1]);
			if (p->dir[2] != 0)
				off += (size_t)snprintf(dir + off,
				    sizeof(dir) - off, "%segress %" PRIu64,
				    off > 0 ? ", " : "", p->dir[2]);
			if (p->dir[0] != 0)
				snprintf(dir + off, sizeof(dir) - off,
				    "%sunknown %" PRIu64, off > 0 ? ", " : "",
				    p->dir[0]);
			nodes[0] = '\0';
			for (k = 0, off = 0; k < p->n_nodes &&
			    off < sizeof(nodes); k++)
				off += (size_t)snprintf(nodes + off,
				    sizeof(nodes) - off, "%s%s", k > 0 ? "," :
				    "", name_of(d, p->nodes[k]));
			if (p->more_nodes && off < sizeof(nodes))
				snprintf(nodes + off, sizeof(nodes) - off,
				    ",...");
			pols[0] = '\0';
			for (k = 0, off = 0; k < p->n_pols &&
			    off < sizeof(pols); k++)
				off += (size_t)snprintf(pols + off,
				    sizeof(pols) - off, "%s%s", k > 0 ? ", " :
				    "", name_of(d, p->pols[k]));
			if (p->more_pols && off < sizeof(pols))
				snprintf(pols + off, sizeof(pols) - off,
				    ", ...");
			if (p->first != 0) {
				report_format_time(p->first, 0, f, sizeof(f));
				report_format_time(p->last, 0, l, sizeof(l));
			} else {
				snprintf(f, sizeof(f), "-");
				snprintf(l, sizeof(l), "-");
			}
			cells[0] = cnt;
			cells[1] = name_of(d, p->src);
			cells[2] = name_of(d, p->dst);
			cells[3] = flow_l4_name(p->l4) != NULL ?
			    flow_l4_name(p->l4) : "-";
			cells[4] = dir;
			cells[5] = nodes[0] != '\0' ? nodes : "-";
			cells[6] = f;
			cells[7] = l;
			cells[8] = pols[0] != '\0' ? pols : "-";
			if (report_table_add_row(t, cells) != 0)
				rc = CILKIT_ENOMEM;
		}
		if (rc == 0)
			rc = report_table_print(t, fp, "    ");
		if (rc == 0 && n > d->o.top && fprintf(fp, "    ... and %zu "
		    "more pair%s (raise --top)\n", n - d->o.top,
		    n - d->o.top == 1 ? "" : "s") < 0)
			rc = CILKIT_EIO;
		report_table_free(t);
		free(pr);
	}
	free(rr);
	return rc;
}

static int
print_notes(const struct report_drops *d, FILE *fp)
{
	bool any = d->skipped || d->pv_denials || d->overflow ||
	    d->verdicts_as_drops || d->events_lost ||
	    (d->no_time && (d->o.since_ns || d->o.until_ns));

	if (!any)
		return 0;
	fprintf(fp, "\nNotes:\n");
	if (d->skipped)
		fprintf(fp, "  %" PRIu64 " input line%s could not be read "
		    "and %s not counted (see the messages on stderr).\n",
		    d->skipped, plural(d->skipped),
		    d->skipped == 1 ? "was" : "were");
	if (d->events_lost)
		fprintf(fp, "  The agent lost %" PRIu64 " event%s (lost_events "
		    "records): there may\n  have been more drops than "
		    "counted.\n", d->events_lost, plural(d->events_lost));
	if (d->verdicts_as_drops)
		fprintf(fp, "  The input holds no drop events, only "
		    "policy-verdict denials (as\n  `cilium monitor --type "
		    "policy-verdict` prints): each is counted as a drop.\n");
	if (d->pv_denials)
		fprintf(fp, "  %" PRIu64 " policy-verdict deny event%s not "
		    "counted: the datapath reports each denied packet as a "
		    "drop event too.\n", d->pv_denials, plural(d->pv_denials));
	if (d->no_time && (d->o.since_ns || d->o.until_ns))
		fprintf(fp, "  %" PRIu64 " drop%s carry no timestamp (cilium "
		    "monitor text) and %s kept: --since/--until cannot apply "
		    "to %s.\n", d->no_time, plural(d->no_time),
		    d->no_time == 1 ? "was" : "were",
		    d->no_time == 1 ? "it" : "them");
	if (d->overflow)
		fprintf(fp, "  %" PRIu64 " drop%s counted but not itemized: "
		    "more than %d distinct source -> destination pairs.\n",
		    d->overflow, plural(d->overflow), REPORT_DROPS_MAX_PAIRS);
	return ferror(fp) ? CILKIT_EIO : 0;
}

/*
 * Print text word-wrapped at 78 columns, each line starting with
 * indent; a word (or a `quoted command`) longer than a line gets a line
 * of its own.
 */
static void
print_wrapped(FILE *fp, const char *indent, const char *text)
{
	const size_t width = 78;
	size_t col, wl, il = strlen(indent);
	const char *p = text, *w;

	while (*p == ' ')
		p++;
	fputs(indent, fp);
	col = il;
	while (*p != '\0') {
		w = p;
		/* A `command` is one word: copy-paste must work. */
		if (*p == '`' && strchr(p + 1, '`') != NULL)
			p = strchr(p + 1, '`');
		while (*p != '\0' && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		if (col > il && col + 1 + wl > width) {
			fprintf(fp, "\n%s", indent);
			col = il;
		} else if (col > il) {
			fputc(' ', fp);
			col++;
		}
		fwrite(w, 1, wl, fp);
		col += wl;
		while (*p == ' ')
			p++;
	}
	fputc('\n', fp);
}

static void
print_line(FILE *fp, const char *indent, const char *s)
{
	char *c = report_sanitize(s);

	fprintf(fp, "%s%s\n", indent, c != NULL ? c : "?");
	free(c);
}

/*
 * Policy advice starts with the seed's "Check network policies for
 * A -> B" lines, each followed by its policy-tester command; other
 * families start with what they mean, then the pairs.
 */
static void
print_advice(FILE *fp, const struct advice *a)
{
	bool policy = a->fam == CILIUM_DROP_FAM_POLICY;
	size_t j;

	if (!policy)
		print_wrapped(fp, "  ", a->text);
	for (j = 0; j < a->n_items; j++) {
		print_line(fp, policy ? "  " : "    ", a->items[j]);
		if (j < a->n_item_cmd && a->item_cmd[j][0] != '\0')
			print_line(fp, policy ? "    " : "      ",
			    a->item_cmd[j]);
	}
	if (policy)
		print_wrapped(fp, "  ", a->text);
	if (a->note != NULL)
		print_wrapped(fp, "  ", a->note);
}

int
report_drops_print(struct report_drops *dd, FILE *fp,
    enum report_drops_mode mode, bool ascii)
{
	struct report_drops *d = effective(dd);
	struct ranked *rr = NULL, *top = NULL;
	struct advice *adv = NULL;
	uint64_t *counts = NULL;
	unsigned *pct = NULL;
	char buf[256], ptxt[16];
	size_t i, j, n, na = 0;
	const char *hdrs[2] = { "Top Source Pods:", "Top Destinations:" };
	const uint64_t *arr[2] = { d->src_count, d->dst_count };
	int rc = CILKIT_ENOMEM;

	fprintf(fp, "=== Drop Analysis Report ===\n");
	range_text(d, buf, sizeof(buf));
	fprintf(fp, "Time Range: %s\n", buf);
	fprintf(fp, "Namespace: %s\n", d->o.namespace != NULL ?
	    d->o.namespace : "all");
	if (d->o.has_reason)
		fprintf(fp, "Reason: %s\n", d->o.reason_arg != NULL ?
		    d->o.reason_arg : "?");
	if (d->o.pod != NULL)
		fprintf(fp, "Pod: %s\n", d->o.pod);
	if (d->o.node != NULL)
		fprintf(fp, "Node: %s\n", d->o.node);
	fprintf(fp, "\nTotal Drops: %" PRIu64 "\n", d->total);

	rr = rank_reasons(d);
	counts = calloc(d->n_reasons + 1, sizeof(*counts));
	pct = calloc(d->n_reasons + 1, sizeof(*pct));
	if (rr == NULL || counts == NULL || pct == NULL)
		goto out;
	if (d->total > 0) {
		for (i = 0; i < d->n_reasons; i++)
			counts[i] = rr[i].count;
		report_percentages(counts, d->n_reasons, pct);
		fprintf(fp, "\nDrop Reasons:\n");
		for (i = 0; i < d->n_reasons; i++) {
			pct_text(pct[i], counts[i], ptxt, sizeof(ptxt));
			fprintf(fp, "  %s: %" PRIu64 " (%s)\n",
			    d->reasons[rr[i].idx].message, counts[i], ptxt);
		}
	}
	if (mode != REPORT_DROPS_SUMMARY && d->total > 0) {
		for (j = 0; j < 2; j++) {
			top = rank_ids(d, arr[j], &n);
			if (top == NULL)
				goto out;
			fprintf(fp, "\n%s\n", hdrs[j]);
			for (i = 0; i < n && i < d->o.top; i++) {
				char *s = report_sanitize(top[i].name);

				fprintf(fp, "  %s: %" PRIu64 " drop%s\n",
				    s != NULL ? s : "?", top[i].count,
				    plural(top[i].count));
				free(s);
			}
			if (n > d->o.top)
				fprintf(fp, "  ... and %zu more\n",
				    n - d->o.top);
			free(top);
			top = NULL;
		}
	}
	if (mode != REPORT_DROPS_SUMMARY) {
		adv = build_advice(d, &na);
		if (adv == NULL)
			goto out;
		fprintf(fp, "\nRecommendation:\n");
		if (na == 0)
			fprintf(fp, "  No drops found%s; nothing to do.\n",
			    d->drops_seen > 0 ? " that match the filters" :
			    "");
		for (i = 0; i < na; i++) {
			if (i > 0)
				fputc('\n', fp);
			print_advice(fp, &adv[i]);
		}
	}
	if (mode == REPORT_DROPS_DETAIL && d->total > 0 &&
	    (rc = print_detail(d, fp, ascii)) != 0)
		goto out;
	rc = print_notes(d, fp);
	if (rc == 0 && ferror(fp))
		rc = CILKIT_EIO;
out:
	advice_free(adv, na);
	free(rr);
	free(counts);
	free(pct);
	free(top);
	return rc;
}

/*
 * JSON output
 */
#define J(call)	do { if ((call) != 0) goto fail; } while (0)

static struct json_object *
strv_json(char **v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (report_json_append(a, report_json_string(v[i])) != 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *
items_json(const struct advice *a)
{
	struct json_object *arr = json_object_new_array(), *e;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < a->n_items; i++) {
		e = json_object_new_object();
		if (e == NULL || report_json_append(arr, e) != 0)
			goto fail;
		J(report_json_add_str(e, "text", a->items[i]));
		J(report_json_add_str(e, "command", i < a->n_item_cmd &&
		    a->item_cmd[i][0] != '\0' ? a->item_cmd[i] : NULL));
	}
	return arr;
fail:
	json_object_put(arr);
	return NULL;
}

static struct json_object *
idlist_json(const struct report_drops *d, const uint32_t *ids, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (report_json_append(a, report_json_string(name_of(d,
		    ids[i]))) != 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *
pair_json(const struct report_drops *d, const struct pair *p)
{
	struct json_object *o = json_object_new_object(), *dir;

	if (o == NULL)
		return NULL;
	J(report_json_add_str(o, "source", name_of(d, p->src)));
	J(report_json_add_str(o, "destination", name_of(d, p->dst)));
	J(report_json_add_str(o, "source_pod", p->src_pod == NONE ? NULL :
	    name_of(d, p->src_pod)));
	J(report_json_add_str(o, "destination_pod", p->dst_pod == NONE ?
	    NULL : name_of(d, p->dst_pod)));
	J(report_json_add_str(o, "protocol", flow_l4_name(p->l4)));
	if (p->port != 0)
		J(report_json_add_int(o, "port", p->port));
	else
		J(report_json_add(o, "port", NULL));
	J(report_json_add_uint(o, "count", p->count));
	dir = json_object_new_object();
	if (dir == NULL)
		goto fail;
	J(report_json_add(o, "directions", dir));
	J(report_json_add_uint(dir, "ingress", p->dir[1]));
	J(report_json_add_uint(dir, "egress", p->dir[2]));
	J(report_json_add_uint(dir, "unknown", p->dir[0]));
	J(report_json_add(o, "nodes", idlist_json(d, p->nodes, p->n_nodes)));
	J(report_json_add_bool(o, "more_nodes", p->more_nodes));
	J(report_json_add(o, "policies", idlist_json(d, p->pols,
	    p->n_pols)));
	J(report_json_add_time(o, "first", p->first));
	J(report_json_add_time(o, "last", p->last));
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
top_json(const struct report_drops *d, const uint64_t *counts)
{
	struct json_object *a = json_object_new_array(), *e;
	struct ranked *r;
	size_t i, n;

	if (a == NULL)
		return NULL;
	r = rank_ids(d, counts, &n);
	if (r == NULL)
		goto fail;
	for (i = 0; i < n && i < d->o.top; i++) {
		e = json_object_new_object();
		if (e == NULL || report_json_append(a, e) != 0)
			goto fail;
		J(report_json_add_str(e, "name", r[i].name));
		J(report_json_add_uint(e, "count", r[i].count));
	}
	free(r);
	return a;
fail:
	free(r);
	json_object_put(a);
	return NULL;
}

struct json_object *
report_drops_json(struct report_drops *dd, enum report_drops_mode mode)
{
	struct report_drops *d = effective(dd);
	struct json_object *o = json_object_new_object(), *x, *arr, *e, *pa;
	struct ranked *rr = NULL, *pr = NULL;
	struct advice *adv = NULL;
	uint64_t *counts = NULL;
	unsigned *pct = NULL;
	const struct reason *re;
	size_t i, j, n, na = 0;
	char buf[256];

	if (o == NULL)
		return NULL;
	x = json_object_new_object();
	if (x == NULL)
		goto fail;
	J(report_json_add(o, "time_range", x));
	range_text(d, buf, sizeof(buf));
	J(report_json_add_str(x, "text", buf));
	J(report_json_add_str(x, "since_arg", d->o.since_arg));
	J(report_json_add_str(x, "until_arg", d->o.until_arg));
	J(report_json_add_time(x, "since", d->o.since_ns));
	J(report_json_add_time(x, "until", d->o.until_ns));
	J(report_json_add_time(x, "first_drop", d->first));
	J(report_json_add_time(x, "last_drop", d->last));
	x = json_object_new_object();
	if (x == NULL)
		goto fail;
	J(report_json_add(o, "filters", x));
	J(report_json_add_str(x, "namespace", d->o.namespace));
	J(report_json_add_str(x, "pod", d->o.pod));
	J(report_json_add_str(x, "node", d->o.node));
	if (d->o.has_reason)
		J(report_json_add_int(x, "reason_code", d->o.reason));
	else
		J(report_json_add(x, "reason_code", NULL));
	J(report_json_add_uint(o, "total_drops", d->total));
	J(report_json_add_uint(o, "drops_without_time", d->no_time));

	rr = rank_reasons(d);
	counts = calloc(d->n_reasons + 1, sizeof(*counts));
	pct = calloc(d->n_reasons + 1, sizeof(*pct));
	if (rr == NULL || counts == NULL || pct == NULL)
		goto fail;
	for (i = 0; i < d->n_reasons; i++)
		counts[i] = rr[i].count;
	report_percentages(counts, d->n_reasons, pct);
	arr = json_object_new_array();
	if (arr == NULL)
		goto fail;
	J(report_json_add(o, "reasons", arr));
	for (i = 0; i < d->n_reasons; i++) {
		re = &d->reasons[rr[i].idx];
		e = json_object_new_object();
		if (e == NULL || report_json_append(arr, e) != 0)
			goto fail;
		J(report_json_add_int(e, "code", re->code));
		J(report_json_add_str(e, "name", re->name));
		J(report_json_add_str(e, "message", re->message));
		J(report_json_add_str(e, "family", cilium_drop_family_name(
		    cilium_drop_family(re->code))));
		J(report_json_add_uint(e, "count", re->count));
		J(report_json_add_int(e, "percent", pct[i]));
		J(report_json_add_time(e, "first", re->first));
		J(report_json_add_time(e, "last", re->last));
		if (mode == REPORT_DROPS_SUMMARY)
			continue;
		pr = rank_pairs(d, (long)rr[i].idx, -1, &n);
		if (pr == NULL)
			goto fail;
		J(report_json_add_uint(e, "pairs_total", n));
		pa = json_object_new_array();
		if (pa == NULL)
			goto fail;
		J(report_json_add(e, "pairs", pa));
		for (j = 0; j < n && j < d->o.top; j++)
			J(report_json_append(pa, pair_json(d,
			    &d->pairs[pr[j].idx])));
		free(pr);
		pr = NULL;
	}
	if (mode != REPORT_DROPS_SUMMARY) {
		J(report_json_add(o, "top_sources", top_json(d,
		    d->src_count)));
		J(report_json_add(o, "top_destinations", top_json(d,
		    d->dst_count)));
		adv = build_advice(d, &na);
		if (adv == NULL)
			goto fail;
		arr = json_object_new_array();
		if (arr == NULL)
			goto fail;
		J(report_json_add(o, "recommendations", arr));
		for (i = 0; i < na; i++) {
			e = json_object_new_object();
			if (e == NULL || report_json_append(arr, e) != 0)
				goto fail;
			J(report_json_add_str(e, "family",
			    cilium_drop_family_name(adv[i].fam)));
			J(report_json_add_uint(e, "count", adv[i].count));
			J(report_json_add_str(e, "advice", adv[i].text));
			J(report_json_add(e, "items", items_json(&adv[i])));
			J(report_json_add(e, "commands", strv_json(adv[i].cmds,
			    adv[i].n_cmds)));
			J(report_json_add_str(e, "note", adv[i].note));
		}
	}
	x = json_object_new_object();
	if (x == NULL)
		goto fail;
	J(report_json_add(o, "input", x));
	J(report_json_add_uint(x, "records", d->records));
	J(report_json_add_uint(x, "drops_seen", d->drops_seen));
	J(report_json_add_uint(x, "drops_filtered_out", d->filtered));
	J(report_json_add_uint(x, "policy_verdict_denials", d->pv_denials));
	J(report_json_add_bool(x, "policy_verdicts_counted_as_drops",
	    d->verdicts_as_drops));
	J(report_json_add_uint(x, "skipped_lines", d->skipped));
	J(report_json_add_uint(x, "events_lost", d->events_lost));
	J(report_json_add_uint(x, "drops_not_itemized", d->overflow));
	advice_free(adv, na);
	free(rr);
	free(counts);
	free(pct);
	return o;
fail:
	advice_free(adv, na);
	free(rr);
	free(pr);
	free(counts);
	free(pct);
	json_object_put(o);
	return NULL;
}
