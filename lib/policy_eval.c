/*
 * policy_eval.c - evaluate one connection against a finalized policy_db
 * and explain the verdict.
 *
 * The decision (policy-semantics.md section 0): the source's egress AND
 * the destination's ingress must allow.  Per direction, over all rules
 * of all kinds whose subject selects the pod: a matching deny wins, then
 * a matching allow, then default-deny if any selecting rule switches it
 * on (or enforcement is "always"), else allow.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cilkit.h"
#include "policy.h"
#include "policy_int.h"

/* ------------------------------------------------------------------ */
/* lookups */

int
policy_db_find_pod(const struct policy_db *db, const char *ns,
    const char *name)
{
	size_t i, nlen = strlen(name), nslen = strlen(ns);
	int found = -1;

	for (i = 0; i < db->npods; i++)
		if (strcmp(db->pods[i].ns, ns) == 0 &&
		    strcmp(db->pods[i].name, name) == 0)
			return (int)i;
	/* a workload name: "ns/name[Kind]" */
	for (i = 0; i < db->npods; i++) {
		const char *w = db->pods[i].workload;

		if (strncmp(w, ns, nslen) == 0 && w[nslen] == '/' &&
		    strncmp(w + nslen + 1, name, nlen) == 0 &&
		    w[nslen + 1 + nlen] == '[') {
			if (found >= 0)
				return found;	/* first of the replicas */
			found = (int)i;
		}
	}
	return found;
}

int
policy_db_find_pod_ip(const struct policy_db *db, int family,
    const uint8_t *ip)
{
	size_t i, j;

	for (i = 0; i < db->npods; i++) {
		const struct ppod *p = &db->pods[i];

		if (p->host_network || p->done)
			continue;
		if (p->ip_str != NULL && p->family == family &&
		    memcmp(p->ip, ip, 16) == 0)
			return (int)i;
		/* the other addresses of a dual-stack pod */
		for (j = 0; j < p->nips; j++)
			if (p->ips[j].family == family &&
			    memcmp(p->ips[j].ip, ip, 16) == 0)
				return (int)i;
	}
	return -1;
}

int
policy_db_find_service(const struct policy_db *db, const char *ns,
    const char *name, struct policy_service_info *info)
{
	size_t i;

	for (i = 0; i < db->nsvcs; i++) {
		const struct psvc *s = &db->svcs[i];

		if (strcmp(s->ns, ns) != 0 || strcmp(s->name, name) != 0)
			continue;
		if (info != NULL) {
			info->ns = s->ns;
			info->name = s->name;
			info->cluster_ip = s->cluster_ip;
			info->nbackends = (int)s->nbackends;
		}
		return (int)i;
	}
	return -1;
}

int
policy_db_service_info(const struct policy_db *db, int svc,
    struct policy_service_info *info)
{
	const struct psvc *s;

	if (svc < 0 || (size_t)svc >= db->nsvcs)
		return -1;
	s = &db->svcs[svc];
	info->ns = s->ns;
	info->name = s->name;
	info->cluster_ip = s->cluster_ip;
	info->nbackends = (int)s->nbackends;
	return 0;
}

int
policy_db_pod_service(const struct policy_db *db, int pod)
{
	size_t i, j;

	for (i = 0; i < db->nsvcs; i++)
		for (j = 0; j < db->svcs[i].nbackends; j++)
			if (db->svcs[i].backends[j] == pod)
				return (int)i;
	return -1;
}

int
policy_db_find_service_ip(const struct policy_db *db, int family,
    const uint8_t *ip)
{
	size_t i;

	for (i = 0; i < db->nsvcs; i++)
		if (db->svcs[i].cluster_ip != NULL && db->svcs[i].family ==
		    family && memcmp(db->svcs[i].ip, ip, 16) == 0)
			return (int)i;
	return -1;
}

int
policy_db_service_backend(const struct policy_db *db, int svc, int i)
{
	if (svc < 0 || (size_t)svc >= db->nsvcs || i < 0 ||
	    (size_t)i >= db->svcs[svc].nbackends)
		return -1;
	return db->svcs[svc].backends[i];
}

int
policy_db_service_target(const struct policy_db *db, int svc, int backend,
    int port, enum policy_proto *proto)
{
	const struct psvc *s;
	size_t i, j;

	if (svc < 0 || (size_t)svc >= db->nsvcs)
		return -1;
	s = &db->svcs[svc];
	for (i = 0; i < s->nports; i++) {
		const struct psvcport *sp = &s->ports[i];

		if (port != 0 && sp->port != port)
			continue;
		*proto = (enum policy_proto)sp->proto;
		if (sp->target_name == NULL)
			return sp->target;
		if (backend < 0)
			return -1;
		for (j = 0; j < db->pods[backend].nports; j++) {
			const struct pcport *c = &db->pods[backend].ports[j];

			if (c->name != NULL && strcmp(c->name,
			    sp->target_name) == 0 && c->proto == sp->proto)
				return c->port;
		}
		return -1;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* peer matching */

void
pctx_init(const struct policy_db *db, struct pctx *c, int pod, int family,
    const uint8_t *ip, int subj)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->pod = pod;
	if (pod >= 0) {
		const struct ppod *p = &db->pods[pod];

		c->family = p->family;
		c->ip = p->ip_str != NULL ? p->ip : NULL;
		if (p->host_network) {
			bool same = subj >= 0 && p->node != NULL &&
			    db->pods[subj].node != NULL &&
			    strcmp(p->node, db->pods[subj].node) == 0;

			c->ent = (same ? ENT_HOST : ENT_REMOTE) | ENT_CLUSTER |
			    ENT_ALL;
		} else {
			c->ent = ENT_CLUSTER | ENT_ALL;
		}
		return;
	}
	c->family = family;
	c->ip = ip;
	/* a node address (some pod's hostIP) is host or remote-node */
	for (i = 0; ip != NULL && i < db->nnodes; i++) {
		const struct pnode *nd = &db->nodes[i];

		if (nd->family != family || memcmp(nd->ip, ip, 16) != 0)
			continue;
		c->ent = ENT_CLUSTER | ENT_ALL | (subj >= 0 &&
		    nd->name != NULL && db->pods[subj].node != NULL &&
		    strcmp(nd->name, db->pods[subj].node) == 0 ? ENT_HOST :
		    ENT_REMOTE);
		return;
	}
	c->ent = ENT_WORLD | ENT_ALL | (family == 6 ? ENT_WORLD6 : ENT_WORLD4);
}

/* Reserved identity labels of a non-pod peer. */
static bool
reserved_match(const struct psel *s, unsigned ent)
{
	static const char *names[] = { "reserved:host", "reserved:remote-node",
		"reserved:world" };
	const char *k[1], *v[1] = { "" };
	struct lset l = { 1, k, v };

	if (ent & ENT_HOST)
		k[0] = names[0];
	else if (ent & ENT_REMOTE)
		k[0] = names[1];
	else if (ent & ENT_WORLD)
		k[0] = names[2];
	else
		return false;
	return psel_match(s, &l);
}

static bool
cidr_match(const struct policy_db *db, const struct ppeer *p,
    const struct pctx *c)
{
	size_t i;

	if (c->ip == NULL)
		return false;
	if (c->pod >= 0 && db->opts.ipblock != POLICY_IPBLOCK_K8S)
		return false;	/* Cilium: CIDR never selects endpoints */
	if (c->pod < 0 && (c->ent & (ENT_HOST | ENT_REMOTE)) &&
	    db->opts.ipblock != POLICY_IPBLOCK_K8S)
		return false;	/* nor nodes, by default */
	if (!pcidr_contains(&p->cidr, c->family, c->ip))
		return false;
	for (i = 0; i < p->nexcept; i++)
		if (pcidr_contains(&p->except[i], c->family, c->ip))
			return false;
	return true;
}

static bool
service_match(const struct policy_db *db, const struct ppeer *p,
    const struct pctx *c, bool *unknown)
{
	size_t i, j;

	for (i = 0; i < db->nsvcs; i++) {
		const struct psvc *s = &db->svcs[i];

		if (strcmp(s->ns, p->svc_ns) != 0)
			continue;
		if (p->svc_name != NULL && strcmp(s->name, p->svc_name) != 0)
			continue;
		/* k8sServiceSelector picks services by their own labels */
		if (p->svc_sel != NULL && !psel_match(p->svc_sel, &s->labels))
			continue;
		if (!s->has_selector) {
			/* endpoints unknown offline */
			if (c->pod < 0)
				*unknown = true;
			continue;
		}
		for (j = 0; j < s->nbackends; j++)
			if (s->backends[j] == c->pod)
				return true;
	}
	return false;
}

int
pentry_peer_match(const struct policy_db *db, const struct prule *r,
    const struct pentry *e, const struct pctx *c, const struct ppeer **unk)
{
	const struct ppeer *why = NULL;
	bool unknown = false;
	size_t i;

	if (unk != NULL)
		*unk = NULL;
	if (e->peer_all)
		return 1;
	for (i = 0; i < e->npeers; i++) {
		const struct ppeer *p = &e->peers[i];

		switch (p->kind) {
		case PEER_K8S: {
			const struct ppod *pp;

			if (c->pod < 0)
				break;
			pp = &db->pods[c->pod];
			if (pp->host_network)
				break;
			if (p->ns == NULL) {
				if (strcmp(pp->ns, r->pol->ns) != 0)
					break;
			} else if (pp->nsidx < 0 || !psel_match(p->ns,
			    &db->nss[pp->nsidx].labels)) {
				break;
			}
			if (p->pod != NULL && !psel_match(p->pod,
			    db->opts.k8s_semantics ? &pp->labels :
			    &pp->ilabels))
				break;
			return 1;
		}
		case PEER_EP:
			if (c->pod >= 0 && !db->pods[c->pod].host_network) {
				if (psel_match(&p->sel,
				    &db->pods[c->pod].ilabels))
					return 1;
			} else if (reserved_match(&p->sel, c->ent)) {
				return 1;
			}
			break;
		case PEER_CIDR:
			if (cidr_match(db, p, c))
				return 1;
			break;
		case PEER_ENTITY:
			if (p->ent & ENT_ALL)
				return 1;
			if ((p->ent & ENT_CLUSTER) && (c->ent & ENT_CLUSTER))
				return 1;
			if ((p->ent & (ENT_HOST | ENT_REMOTE | ENT_WORLD |
			    ENT_WORLD4 | ENT_WORLD6)) & c->ent)
				return 1;
			/*
			 * The API server's address is not known offline: a
			 * node or an outside address may be it.
			 */
			if ((p->ent & ENT_KUBEAPI) && (c->ent & (ENT_HOST |
			    ENT_REMOTE | ENT_WORLD)) && why == NULL) {
				unknown = true;
				why = p;
			}
			break;
		case PEER_FQDN:
			if (c->pod < 0 && (c->ent & ENT_WORLD)) {
				unknown = true;
				why = why != NULL ? why : p;
			}
			break;
		case PEER_SERVICE:
			if (service_match(db, p, c, &unknown))
				return 1;
			if (unknown && why == NULL)
				why = p;
			break;
		case PEER_UNDECIDED:
			if (p->ent_maybe & c->ent) {
				unknown = true;
				why = why != NULL ? why : p;
			}
			break;
		}
	}
	if (unk != NULL)
		*unk = why;
	return unknown ? 2 : 0;
}

/* ------------------------------------------------------------------ */
/* port matching */

/*
 * 0: no port of e matches; 1: one matches with no L7 (or SNI) rule;
 * 2: only ports with L7 rules match, *l7 names the first one.
 */
static int
ports_match(const struct policy_db *db, const struct pentry *e,
    const struct policy_query *q, int dstpod, const char **l7)
{
	size_t i, j;
	int m = 0;

	if (e->ports_all)
		return 1;
	if (q->proto == POLICY_ICMP || q->proto == POLICY_ICMPV6) {
		int fam = q->proto == POLICY_ICMPV6 ? 6 : 4;

		for (i = 0; i < e->nicmp; i++)
			if (e->icmp[i].family == fam && (e->icmp[i].type < 0 ||
			    e->icmp[i].type == q->icmp_type))
				return 1;
		return 0;
	}
	for (i = 0; i < e->nports; i++) {
		const struct pport *p = &e->ports[i];
		bool hit = false;

		if (!(p->protos & (unsigned)q->proto))
			continue;
		if (p->name == NULL) {
			hit = p->lo == 0 || (q->port >= p->lo &&
			    q->port <= p->hi);
		} else if (dstpod >= 0) {
			/* named port: the destination pod's container ports */
			for (j = 0; j < db->pods[dstpod].nports && !hit; j++) {
				const struct pcport *c =
				    &db->pods[dstpod].ports[j];

				hit = c->name != NULL && strcmp(c->name,
				    p->name) == 0 && c->proto ==
				    (unsigned)q->proto && c->port == q->port;
			}
		}
		if (!hit)
			continue;
		if (p->l7 == NULL)
			return 1;
		if (m == 0 && l7 != NULL)
			*l7 = p->l7;
		m = 2;
	}
	return m;
}

static void
ref_of(const struct prule *r, const struct pentry *e, struct policy_ref *o)
{
	static const char *const secs[] = { "ingress", "egress", "ingressDeny",
		"egressDeny" };

	o->kind = r->pol->kind;
	o->ns = r->pol->ns;
	o->name = r->pol->name;
	o->spec = r->spec;
	o->section = e != NULL ? secs[e->sec] : "";
	o->rule = e != NULL ? e->index : 0;
}

static void
add_ref(struct policy_ref *arr, int *n, const struct prule *r,
    const struct pentry *e)
{
	int i;

	/* one entry per policy for isolating lists */
	if (e == NULL)
		for (i = 0; i < *n; i++)
			if (arr[i].name == r->pol->name && arr[i].ns ==
			    r->pol->ns)
				return;
	if (*n < POLICY_MAX_REFS)
		ref_of(r, e, &arr[(*n)++]);
}

/* Does selector s (endpoint or reserved labels) select peer c? */
static bool
sel_selects(const struct policy_db *db, const struct psel *s,
    const struct pctx *c)
{
	if (c->pod >= 0 && !db->pods[c->pod].host_network)
		return psel_match(s, &db->pods[c->pod].ilabels);
	return reserved_match(s, c->ent);
}

/*
 * fromRequires/toRequires (Cilium): label constraints on the peers that
 * endpoint selectors of entry e select.  Those of e itself always apply
 * (0 when one fails).  Older Cilium releases also applied those of the
 * other rules selecting the subject; the current one does not, so a
 * failing one there makes the verdict undecided (2).  1: all hold.
 */
int
requires_hold(const struct policy_db *db, const struct ppod *p,
    enum policy_dir dir, const struct pentry *e, const struct pctx *c)
{
	size_t i, j, k;
	int res = 1;

	if (e->peer_all || e->npeers == 0 || (e->peers[0].kind != PEER_EP &&
	    e->peers[0].kind != PEER_K8S))
		return 1;
	for (k = 0; k < e->nreq; k++)
		if (!sel_selects(db, &e->req[k], c))
			return 0;
	for (i = 0; i < p->nrules[dir] && res == 1; i++) {
		const struct prule *r = p->rules[dir][i];

		for (j = 0; j < r->nentries && res == 1; j++) {
			const struct pentry *o = &r->e[j];

			if (o == e || o->deny != e->deny ||
			    (int)(o->sec % 2) != (int)dir)
				continue;
			for (k = 0; k < o->nreq; k++)
				if (!sel_selects(db, &o->req[k], c))
					res = 2;
		}
	}
	return res;
}

/* The construct an unknown match hinges on, for messages. */
static const char *
unknown_what(const struct ppeer *u, enum policy_dir dir)
{
	if (u == NULL)
		return dir == POLICY_INGRESS ? "fromRequires" : "toRequires";
	switch (u->kind) {
	case PEER_UNDECIDED:
		return u->text;
	case PEER_ENTITY:
		return dir == POLICY_INGRESS ? "fromEntities kube-apiserver" :
		    "toEntities kube-apiserver";
	case PEER_FQDN:
		return "toFQDNs";
	case PEER_SERVICE:
		return "toServices of a service without selector";
	default:
		return "?";
	}
}

/*
 * One direction of subject pod subj: dir INGRESS means traffic from the
 * peer c into subj; EGRESS from subj to c.  dstpod is the destination
 * pod (named ports), -1 when the destination is an address.
 *
 * A rule whose match cannot be decided offline (toFQDNs, a service
 * without selector, fromNodes, fromRequires of other rules...) never
 * gives a confident verdict it could change: an undecided allow only
 * matters when nothing else allows, an undecided deny only when the
 * verdict would otherwise be allow.
 */
static void
dir_eval(const struct policy_db *db, int subj, enum policy_dir dir,
    const struct pctx *c, const struct policy_query *q, int dstpod,
    struct policy_dir_result *out)
{
	const struct ppod *p = &db->pods[subj];
	bool allow = false, plain = false, isolated = false;
	bool unk_allow = false, unk_deny = false, unk_fqdn = false;
	struct policy_ref unk_ref[2];
	const char *unk_why[2] = { NULL, NULL };
	size_t i, j;
	int pass;

	memset(out, 0, sizeof(*out));
	if (db->opts.enforcement == POLICY_ENFORCE_NEVER) {
		out->verdict = POLICY_ALLOW;
		out->reason = POLICY_R_ENFORCE_NEVER;
		return;
	}
	if (p->host_network) {
		out->verdict = POLICY_ALLOW;
		out->reason = POLICY_R_NOT_MANAGED;
		return;
	}
	/* pass 0: deny entries; pass 1: allow entries */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < p->nrules[dir]; i++) {
			const struct prule *r = p->rules[dir][i];

			if (pass == 0 && r->dd[dir])
				isolated = true, add_ref(out->isolating,
				    &out->nisolating, r, NULL);
			for (j = 0; j < r->nentries; j++) {
				const struct pentry *e = &r->e[j];
				const struct ppeer *u = NULL;
				const char *l7 = NULL;
				int m, pm;

				if ((int)(e->sec % 2) != (int)dir ||
				    e->deny != (pass == 0))
					continue;
				if ((pm = ports_match(db, e, q, dstpod,
				    &l7)) == 0)
					continue;
				m = pentry_peer_match(db, r, e, c, &u);
				if (m == 1 && db->has_requires &&
				    (m = requires_hold(db, p, dir, e, c)) == 2)
					u = NULL;
				if (m == 0)
					continue;
				if (m == 2) {
					bool *seen = pass ? &unk_allow :
					    &unk_deny;

					if (!*seen) {
						*seen = true;
						ref_of(r, e, &unk_ref[pass]);
						unk_why[pass] = unknown_what(u,
						    dir);
						if (pass == 1)
							unk_fqdn = u != NULL &&
							    (u->kind ==
							    PEER_FQDN ||
							    u->kind ==
							    PEER_SERVICE);
					}
					continue;
				}
				if (pass == 1) {
					if (!allow)
						out->nrefs = 0;
					allow = true;
					if (pm == 1)
						plain = true;
					else if (out->l7 == NULL)
						out->l7 = l7;
				}
				add_ref(out->refs, &out->nrefs, r, e);
			}
		}
		if (pass == 0 && out->nrefs > 0) {
			out->verdict = POLICY_DENY;
			out->reason = POLICY_R_DENIED;
			return;
		}
		/*
		 * Ingress from the pod's own node is always allowed (K8s
		 * API; Cilium's allow-localhost default), denies aside.
		 */
		if (pass == 0 && dir == POLICY_INGRESS &&
		    (c->ent & ENT_HOST) && !unk_deny) {
			out->verdict = POLICY_ALLOW;
			out->reason = POLICY_R_LOCAL_HOST;
			return;
		}
	}
	if ((allow || (dir == POLICY_INGRESS && (c->ent & ENT_HOST)) ||
	    (!isolated && db->opts.enforcement != POLICY_ENFORCE_ALWAYS)) &&
	    unk_deny) {
		/* allowed unless the undecided deny applies */
		out->verdict = POLICY_UNKNOWN;
		out->reason = POLICY_R_UNDECIDED;
		out->nrefs = 1;
		out->refs[0] = unk_ref[0];
		out->why = unk_why[0];
		out->l7 = NULL;
		return;
	}
	if (allow) {
		out->verdict = POLICY_ALLOW;
		out->reason = plain ? POLICY_R_ALLOWED : POLICY_R_ALLOWED_L7;
		if (plain)
			out->l7 = NULL;
		return;
	}
	if (!isolated && db->opts.enforcement != POLICY_ENFORCE_ALWAYS) {
		out->nrefs = 0;
		out->verdict = POLICY_ALLOW;
		out->reason = p->nrules[dir] > 0 ? POLICY_R_NO_DEFAULT_DENY :
		    POLICY_R_NOT_SELECTED;
		return;
	}
	if (unk_allow) {
		out->verdict = POLICY_UNKNOWN;
		out->reason = unk_fqdn ? POLICY_R_FQDN : POLICY_R_UNDECIDED;
		out->nrefs = 1;
		out->refs[0] = unk_ref[1];
		out->why = unk_why[1];
		return;
	}
	out->nrefs = 0;
	out->verdict = POLICY_DENY;
	out->reason = POLICY_R_DEFAULT_DENY;
}

/*
 * A node's end (a node address or a host-network pod) under a host
 * (nodeSelector) policy for that direction: undecided offline, since
 * node labels and host rules are not evaluated.
 */
static bool
host_undecided(const struct policy_db *db, const struct pctx *c,
    enum policy_dir dir, struct policy_dir_result *out)
{
	const struct ppolicy *pol;

	if (db->host_pol[dir] == 0 || !(c->ent & (ENT_HOST | ENT_REMOTE)) ||
	    db->opts.enforcement == POLICY_ENFORCE_NEVER)
		return false;
	pol = &db->pols[db->host_pol[dir] - 1];
	memset(out, 0, sizeof(*out));
	out->verdict = POLICY_UNKNOWN;
	out->reason = POLICY_R_UNDECIDED;
	out->why = "host policy (nodeSelector)";
	out->nrefs = 1;
	out->refs[0].kind = pol->kind;
	out->refs[0].ns = pol->ns;
	out->refs[0].name = pol->name;
	out->refs[0].section = "";
	return true;
}

static enum policy_verdict_code
combine(enum policy_verdict_code a, enum policy_verdict_code b)
{
	if (a == POLICY_DENY || b == POLICY_DENY)
		return POLICY_DENY;
	if (a == POLICY_UNKNOWN || b == POLICY_UNKNOWN)
		return POLICY_UNKNOWN;
	return POLICY_ALLOW;
}

static int
resolve_end(const struct policy_db *db, const struct policy_end *e)
{
	if (e->pod >= 0)
		return (size_t)e->pod < db->npods ? e->pod : -2;
	if (e->family != 4 && e->family != 6)
		return -2;
	return policy_db_find_pod_ip(db, e->family, e->ip);
}

int
policy_evaluate(const struct policy_db *db, const struct policy_query *q,
    struct policy_verdict *v, char *eb, size_t el)
{
	struct pctx c;
	int src, dst;

	memset(v, 0, sizeof(*v));
	if (!db->finalized)
		return cilkit_fail(eb, el, CILKIT_EINVAL, "db not finalized");
	src = resolve_end(db, &q->src);
	dst = resolve_end(db, &q->dst);
	if (src == -2 || dst == -2)
		return cilkit_fail(eb, el, CILKIT_EINVAL, "bad endpoint");
	if (q->proto != POLICY_TCP && q->proto != POLICY_UDP &&
	    q->proto != POLICY_SCTP && q->proto != POLICY_ICMP &&
	    q->proto != POLICY_ICMPV6)
		return cilkit_fail(eb, el, CILKIT_EINVAL, "bad protocol");
	if ((q->proto == POLICY_TCP || q->proto == POLICY_UDP ||
	    q->proto == POLICY_SCTP) && (q->port < 1 || q->port > 65535))
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "port %d out of range", q->port);
	if (src >= 0 && src == dst && !db->opts.self_subject) {
		v->egress.reason = v->ingress.reason = POLICY_R_SELF;
		v->verdict = POLICY_ALLOW;
		return 0;
	}
	/* the source seen from the destination, and the other way */
	pctx_init(db, &c, src, q->src.family, q->src.ip, dst);
	if (host_undecided(db, &c, POLICY_EGRESS, &v->egress))
		;
	else if (src >= 0) {
		pctx_init(db, &c, dst, q->dst.family, q->dst.ip, src);
		dir_eval(db, src, POLICY_EGRESS, &c, q, dst, &v->egress);
	} else {
		v->egress.reason = POLICY_R_NOT_MANAGED;
	}
	pctx_init(db, &c, dst, q->dst.family, q->dst.ip, src);
	if (host_undecided(db, &c, POLICY_INGRESS, &v->ingress))
		;
	else if (dst >= 0) {
		pctx_init(db, &c, src, q->src.family, q->src.ip, dst);
		dir_eval(db, dst, POLICY_INGRESS, &c, q, dst, &v->ingress);
	} else {
		v->ingress.reason = POLICY_R_NOT_MANAGED;
	}
	v->verdict = combine(v->egress.verdict, v->ingress.verdict);
	return 0;
}

/* ------------------------------------------------------------------ */
/* explanations */

void
policy_ref_format(const struct policy_ref *r, char *buf, size_t len)
{
	char spec[32] = "";

	if (r->spec > 0)
		snprintf(spec, sizeof(spec), " specs[%d]", r->spec - 1);
	if (r->rule > 0)
		snprintf(buf, len, "%s %s%s%s%s %s rule %d",
		    policy_kind_name(r->kind), r->ns, r->ns[0] ? "/" : "",
		    r->name, spec, r->section, r->rule);
	else
		snprintf(buf, len, "%s %s%s%s%s", policy_kind_name(r->kind),
		    r->ns, r->ns[0] ? "/" : "", r->name, spec);
}

static void
end_name(const struct policy_db *db, const struct policy_end *e, char *buf,
    size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int pod = resolve_end(db, e);

	if (pod >= 0) {
		snprintf(buf, len, "%s/%s", db->pods[pod].ns,
		    db->pods[pod].name);
		return;
	}
	if (inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->ip, ip,
	    sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s", ip);
}


static void
refs_list(const struct policy_ref *refs, int n, char *buf, size_t len)
{
	char one[512];
	int i;

	for (i = 0; i < n; i++) {
		policy_ref_format(&refs[i], one, sizeof(one));
		cilkit_strcatf(buf, len, "%s%s", i ? ", " : "", one);
	}
}

void
policy_explain_dir(const struct policy_db *db, const struct policy_query *q,
    enum policy_dir dir, const struct policy_dir_result *r, char *buf,
    size_t len)
{
	const char *dname = dir == POLICY_INGRESS ? "ingress" : "egress";
	char who[256], what[64];

	buf[0] = '\0';
	end_name(db, dir == POLICY_INGRESS ? &q->dst : &q->src, who,
	    sizeof(who));
	if (q->proto == POLICY_ICMP || q->proto == POLICY_ICMPV6)
		snprintf(what, sizeof(what), "%s type %d",
		    policy_proto_name(q->proto), q->icmp_type);
	else
		snprintf(what, sizeof(what), "port %d/%s", q->port,
		    policy_proto_name(q->proto));
	switch (r->reason) {
	case POLICY_R_NOT_MANAGED:
		cilkit_strcatf(buf, len, "%s is not a policy-managed pod: no %s policy "
		    "applies", who, dname);
		break;
	case POLICY_R_NOT_SELECTED:
		cilkit_strcatf(buf, len, "no policy selects %s for %s: default allow",
		    who, dname);
		break;
	case POLICY_R_NO_DEFAULT_DENY:
		cilkit_strcatf(buf, len, "%s is selected for %s only by rules with "
		    "default-deny disabled: allow", who, dname);
		break;
	case POLICY_R_ALLOWED:
		cilkit_strcatf(buf, len, "allowed by ");
		refs_list(r->refs, r->nrefs, buf, len);
		break;
	case POLICY_R_ALLOWED_L7:
		cilkit_strcatf(buf, len, "allowed at L4 by ");
		refs_list(r->refs, r->nrefs, buf, len);
		cilkit_strcatf(buf, len, ", then subject to L7 rules: %s",
		    r->l7 ? r->l7 : "?");
		break;
	case POLICY_R_DENIED:
		cilkit_strcatf(buf, len, "denied by ");
		refs_list(r->refs, r->nrefs, buf, len);
		break;
	case POLICY_R_DEFAULT_DENY:
		if (r->nisolating > 0) {
			cilkit_strcatf(buf, len, "%s is isolated for %s (by ", who,
			    dname);
			refs_list(r->isolating, r->nisolating, buf, len);
			cilkit_strcatf(buf, len, ") and no rule matches %s", what);
		} else {
			cilkit_strcatf(buf, len, "%s is isolated for %s (enforcement "
			    "always) and no rule matches %s", who, dname, what);
		}
		break;
	case POLICY_R_FQDN:
		cilkit_strcatf(buf, len, "depends on DNS at run time: only ");
		refs_list(r->refs, r->nrefs, buf, len);
		cilkit_strcatf(buf, len, " (toFQDNs/toServices) could allow %s", what);
		break;
	case POLICY_R_UNDECIDED:
		cilkit_strcatf(buf, len, "undecided offline: %s %s of %s hinges "
		    "on %s of ", dname, what, who, r->why != NULL ? r->why :
		    "a rule");
		refs_list(r->refs, r->nrefs, buf, len);
		cilkit_strcatf(buf, len, ", which is not evaluated offline");
		break;
	case POLICY_R_ENFORCE_NEVER:
		cilkit_strcatf(buf, len, "policy enforcement is never: allow");
		break;
	case POLICY_R_SELF:
		cilkit_strcatf(buf, len, "a pod can always reach itself");
		break;
	case POLICY_R_LOCAL_HOST:
		cilkit_strcatf(buf, len, "traffic from %s's own node is always allowed "
		    "(allow-localhost)", who);
		break;
	}
}
