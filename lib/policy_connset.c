/*
 * policy_connset.c - whole connection sets instead of single probes:
 * which (protocol, port) pairs a pod pair allows, and the connectivity
 * list in np-guard/netpol-analyzer's "connlist" text format
 * (shared/data/policy-cases/README.md section 1).
 *
 * A set is, per protocol (TCP, UDP, SCTP), a sorted list of disjoint
 * inclusive port ranges within 1..65535.  ICMP is not part of these sets
 * (netpol-analyzer does not model it).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "policy.h"
#include "policy_int.h"

#define NPROTO	3
#define MAXRNG	64		/* ranges kept per protocol */

static const unsigned proto_bit[NPROTO] = { POLICY_SCTP, POLICY_TCP,
	POLICY_UDP };	/* netpol-analyzer prints them in this order */
static const char *const proto_str[NPROTO] = { "SCTP", "TCP", "UDP" };

struct rng {
	int lo, hi;
};

struct cset {
	int n[NPROTO];
	bool over;		/* a list overflowed: treated as conservative */
	struct rng r[NPROTO][MAXRNG];
};

static void
cset_init(struct cset *s)
{
	int p;

	for (p = 0; p < NPROTO; p++)
		s->n[p] = 0;
	s->over = false;
}

/* Copy only the used ranges (a set is large, most of it unused). */
static void
cset_copy(struct cset *d, const struct cset *s)
{
	int p;

	for (p = 0; p < NPROTO; p++) {
		d->n[p] = s->n[p];
		memcpy(d->r[p], s->r[p], (size_t)s->n[p] * sizeof(struct rng));
	}
	d->over = s->over;
}

static void
cset_full(struct cset *s)
{
	int p;

	s->over = false;
	for (p = 0; p < NPROTO; p++) {
		s->n[p] = 1;
		s->r[p][0].lo = 1;
		s->r[p][0].hi = 65535;
	}
}

/* Insert [lo,hi] into protocol p's list, merging. */
static void
cset_add(struct cset *s, int p, int lo, int hi)
{
	struct rng *r = s->r[p];
	int n = s->n[p], i, j;

	for (i = 0; i < n && r[i].hi + 1 < lo; i++)
		;
	/* merge every range overlapping or touching [lo,hi] */
	j = i;
	while (j < n && r[j].lo <= hi + 1) {
		if (r[j].lo < lo)
			lo = r[j].lo;
		if (r[j].hi > hi)
			hi = r[j].hi;
		j++;
	}
	if (j == i) {
		if (n == MAXRNG) {
			s->over = true;
			return;
		}
		memmove(&r[i + 1], &r[i], (size_t)(n - i) * sizeof(*r));
		n++;
	} else if (j > i + 1) {
		memmove(&r[i + 1], &r[j], (size_t)(n - j) * sizeof(*r));
		n -= j - i - 1;
	}
	r[i].lo = lo;
	r[i].hi = hi;
	s->n[p] = n;
}

static void
cset_union(struct cset *a, const struct cset *b)
{
	int p, i;

	for (p = 0; p < NPROTO; p++)
		for (i = 0; i < b->n[p]; i++)
			cset_add(a, p, b->r[p][i].lo, b->r[p][i].hi);
}

/* a := a minus b */
static void
cset_sub(struct cset *a, const struct cset *b)
{
	struct cset out;
	int p, i, j;

	cset_init(&out);
	for (p = 0; p < NPROTO; p++) {
		for (i = 0; i < a->n[p]; i++) {
			int lo = a->r[p][i].lo, hi = a->r[p][i].hi;

			for (j = 0; j < b->n[p] && lo <= hi; j++) {
				const struct rng *d = &b->r[p][j];

				if (d->hi < lo || d->lo > hi)
					continue;
				if (d->lo > lo)
					cset_add(&out, p, lo, d->lo - 1);
				lo = d->hi + 1;
			}
			if (lo <= hi)
				cset_add(&out, p, lo, hi);
		}
	}
	out.over = a->over || b->over;
	cset_copy(a, &out);
}

/* a := a intersect b */
static void
cset_and(struct cset *a, const struct cset *b)
{
	struct cset out;
	int p, i, j;

	cset_init(&out);
	for (p = 0; p < NPROTO; p++)
		for (i = 0; i < a->n[p]; i++)
			for (j = 0; j < b->n[p]; j++) {
				int lo = a->r[p][i].lo > b->r[p][j].lo ?
				    a->r[p][i].lo : b->r[p][j].lo;
				int hi = a->r[p][i].hi < b->r[p][j].hi ?
				    a->r[p][i].hi : b->r[p][j].hi;

				if (lo <= hi)
					cset_add(&out, p, lo, hi);
			}
	out.over = a->over || b->over;
	cset_copy(a, &out);
}

static void
entry_set(const struct policy_db *db, const struct pentry *e, int dstpod,
    struct cset *s)
{
	size_t i, j;
	int p;

	if (e->ports_all) {
		cset_full(s);
		return;
	}
	for (i = 0; i < e->nports; i++) {
		const struct pport *pp = &e->ports[i];

		for (p = 0; p < NPROTO; p++) {
			if (!(pp->protos & proto_bit[p]))
				continue;
			if (pp->name == NULL) {
				cset_add(s, p, pp->lo ? pp->lo : 1,
				    pp->lo ? pp->hi : 65535);
				continue;
			}
			if (dstpod < 0)
				continue;
			for (j = 0; j < db->pods[dstpod].nports; j++) {
				const struct pcport *c =
				    &db->pods[dstpod].ports[j];

				if (c->name != NULL && strcmp(c->name,
				    pp->name) == 0 && c->proto == proto_bit[p])
					cset_add(s, p, c->port, c->port);
			}
		}
	}
}

/* Allowed set of one direction of pod subj (see dir_eval). */
static void
dir_set(const struct policy_db *db, int subj, enum policy_dir dir,
    const struct pctx *c, int dstpod, struct cset *out)
{
	const struct ppod *p = &db->pods[subj];
	struct cset allow, deny, es;
	bool isolated = db->opts.enforcement == POLICY_ENFORCE_ALWAYS;
	size_t i, j;

	if (db->opts.enforcement == POLICY_ENFORCE_NEVER || p->host_network) {
		cset_full(out);
		return;
	}
	cset_init(&allow);
	cset_init(&deny);
	for (i = 0; i < p->nrules[dir]; i++) {
		const struct prule *r = p->rules[dir][i];

		if (r->dd[dir])
			isolated = true;
		for (j = 0; j < r->nentries; j++) {
			const struct pentry *e = &r->e[j];

			if ((int)(e->sec % 2) != (int)dir)
				continue;
			if (pentry_peer_match(db, r, e, c, NULL) != 1)
				continue;
			/* undecided counts as not allowed here, as above */
			if (db->has_requires &&
			    requires_hold(db, p, dir, e, c) != 1)
				continue;
			cset_init(&es);
			entry_set(db, e, dstpod, &es);
			cset_union(e->deny ? &deny : &allow, &es);
		}
	}
	/* ingress from the pod's own node: always (see dir_eval) */
	if (!isolated || (dir == POLICY_INGRESS && (c->ent & ENT_HOST)))
		cset_full(&allow);
	cset_sub(&allow, &deny);
	cset_copy(out, &allow);
}

static int
end_pod(const struct policy_db *db, const struct policy_end *e)
{
	if (e->pod >= 0)
		return (size_t)e->pod < db->npods ? e->pod : -2;
	return policy_db_find_pod_ip(db, e->family, e->ip);
}

static void
pair_set(const struct policy_db *db, int src, int sfam, const uint8_t *sip,
    int dst, int dfam, const uint8_t *dip, struct cset *out)
{
	struct pctx c;
	struct cset in;

	cset_full(out);
	if (src >= 0 && src == dst && !db->opts.self_subject)
		return;
	if (src >= 0) {
		pctx_init(db, &c, dst, dfam, dip, src);
		dir_set(db, src, POLICY_EGRESS, &c, dst, out);
	}
	if (dst >= 0) {
		pctx_init(db, &c, src, sfam, sip, dst);
		dir_set(db, dst, POLICY_INGRESS, &c, dst, &in);
		cset_and(out, &in);
	}
}

static bool
cset_is_full(const struct cset *s)
{
	int p;

	for (p = 0; p < NPROTO; p++)
		if (s->n[p] != 1 || s->r[p][0].lo != 1 || s->r[p][0].hi != 65535)
			return false;
	return true;
}

static void
cset_format(const struct cset *s, char *buf, size_t len)
{
	size_t n = 0;
	int p, i;

	buf[0] = '\0';
	if (cset_is_full(s)) {
		snprintf(buf, len, "All Connections");
		return;
	}
	for (p = 0; p < NPROTO; p++) {
		for (i = 0; i < s->n[p] && n + 1 < len; i++) {
			const struct rng *r = &s->r[p][i];
			int w;

			if (r->lo == r->hi)
				w = snprintf(buf + n, len - n, "%s%s%s%d",
				    n ? "," : "", i == 0 ? proto_str[p] : "",
				    i == 0 ? " " : "", r->lo);
			else
				w = snprintf(buf + n, len - n, "%s%s%s%d-%d",
				    n ? "," : "", i == 0 ? proto_str[p] : "",
				    i == 0 ? " " : "", r->lo, r->hi);
			if (w < 0 || (size_t)w >= len - n) {
				n = len - 1;
				break;
			}
			n += (size_t)w;
		}
	}
}

int
policy_connset(const struct policy_db *db, const struct policy_end *src,
    const struct policy_end *dst, char *buf, size_t len)
{
	struct cset *s;
	int sp = end_pod(db, src), dp = end_pod(db, dst);

	if (!db->finalized || sp == -2 || dp == -2)
		return CILKIT_EINVAL;
	if ((s = malloc(sizeof(*s))) == NULL)
		return CILKIT_ENOMEM;
	pair_set(db, sp, src->family, src->ip, dp, dst->family, dst->ip, s);
	cset_format(s, buf, len);
	free(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* connlist */

struct lines {
	char **v;
	size_t n, cap;
};

static int
lines_add(struct lines *l, const char *a, const char *b, const char *conn)
{
	char *s;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		char **nv = realloc(l->v, nc * sizeof(*nv));

		if (nv == NULL)
			return CILKIT_ENOMEM;
		l->v = nv;
		l->cap = nc;
	}
	if (asprintf(&s, "%s => %s : %s", a, b, conn) < 0)
		return CILKIT_ENOMEM;
	l->v[l->n++] = s;
	return 0;
}

void
policy_lines_free(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
v4(const uint8_t *ip)
{
	return ((uint64_t)ip[0] << 24) | ((uint64_t)ip[1] << 16) |
	    ((uint64_t)ip[2] << 8) | ip[3];
}

static void
add_cidr_bounds(const struct pcidr *c, uint64_t *b, size_t *n, size_t cap)
{
	uint64_t start, size;

	if (c->family != 4 || *n + 2 > cap)
		return;
	start = v4(c->ip);
	size = (uint64_t)1 << (32 - c->len);
	b[(*n)++] = start;
	b[(*n)++] = start + size;
}

/*
 * The IPv4 ranges netpol-analyzer cuts 0.0.0.0/0 into: every boundary of
 * every ipBlock cidr and except.  Returns sorted unique boundaries
 * including 0 and 2^32.
 */
static int
ip_atoms(const struct policy_db *db, int sec, uint64_t **out, size_t *nout)
{
	size_t cap = 2, n = 0, i, j, k, m;
	uint64_t *b;

	for (i = 0; i < db->npols; i++)
		for (j = 0; j < db->pols[i].nrules; j++)
			for (k = 0; k < db->pols[i].rules[j].nentries; k++) {
				const struct pentry *e =
				    &db->pols[i].rules[j].e[k];

				for (m = 0; m < e->npeers; m++)
					if (e->peers[m].kind == PEER_CIDR)
						cap += 2 + 2 *
						    e->peers[m].nexcept;
			}
	if ((b = malloc(cap * sizeof(*b))) == NULL)
		return CILKIT_ENOMEM;
	b[n++] = 0;
	b[n++] = (uint64_t)1 << 32;
	for (i = 0; i < db->npols; i++)
		for (j = 0; j < db->pols[i].nrules; j++)
			for (k = 0; k < db->pols[i].rules[j].nentries; k++) {
				const struct pentry *e =
				    &db->pols[i].rules[j].e[k];

				for (m = 0; m < e->npeers; m++) {
					const struct ppeer *p = &e->peers[m];
					size_t x;

					if (p->kind != PEER_CIDR || (sec >= 0 &&
					    (int)(e->sec % 2) != sec))
						continue;
					add_cidr_bounds(&p->cidr, b, &n, cap);
					for (x = 0; x < p->nexcept; x++)
						add_cidr_bounds(&p->except[x],
						    b, &n, cap);
				}
			}
	qsort(b, n, sizeof(*b), u32_cmp);
	for (i = 0, j = 0; i < n; i++)
		if (j == 0 || b[j - 1] != b[i])
			b[j++] = b[i];
	*out = b;
	*nout = j;
	return 0;
}

static void
v4_str(uint64_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(a >> 24) & 255,
	    (unsigned)(a >> 16) & 255, (unsigned)(a >> 8) & 255,
	    (unsigned)a & 255);
}

int
policy_connlist(const struct policy_db *db, char ***outl, size_t *outn,
    char *eb, size_t el)
{
	struct lines l = { NULL, 0, 0 };
	struct cset *s = NULL;
	uint64_t *atoms[2] = { NULL, NULL };
	size_t natoms[2] = { 0, 0 }, i, j, nrep = 0;
	int d;
	int *rep = NULL, rc = 0;
	char conn[4096];

	*outl = NULL;
	*outn = 0;
	if (!db->finalized)
		return cilkit_fail(eb, el, CILKIT_EINVAL, "db not finalized");
	s = malloc(sizeof(*s));
	rep = malloc((db->npods + 1) * sizeof(*rep));
	if (s == NULL || rep == NULL || ip_atoms(db, 0, &atoms[0],
	    &natoms[0]) < 0 || ip_atoms(db, 1, &atoms[1], &natoms[1]) < 0) {
		rc = cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
		goto out;
	}
	/* one pod per workload: the first one read */
	for (i = 0; i < db->npods; i++) {
		bool seen = false;

		if (db->pods[i].host_network)
			continue;
		for (j = 0; j < nrep && !seen; j++)
			seen = strcmp(db->pods[rep[j]].workload,
			    db->pods[i].workload) == 0;
		if (!seen)
			rep[nrep++] = (int)i;
	}
	for (i = 0; i < nrep; i++) {
		for (j = 0; j < nrep; j++) {
			if (i == j)
				continue;
			pair_set(db, rep[i], 0, NULL, rep[j], 0, NULL, s);
			cset_format(s, conn, sizeof(conn));
			if (conn[0] && (rc = lines_add(&l,
			    db->pods[rep[i]].workload,
			    db->pods[rep[j]].workload, conn)) < 0)
				goto nomem;
		}
	}
	/* External => pod over the ingress cuts, pod => External egress */
	for (d = 0; d < 2; d++) {
		for (i = 0; i + 1 < natoms[d]; i++) {
			char a[20], b[20], name[64];
			uint8_t ip[16];

			v4_str(atoms[d][i], a, sizeof(a));
			v4_str(atoms[d][i + 1] - 1, b, sizeof(b));
			snprintf(name, sizeof(name), "%s-%s[External]", a, b);
			memset(ip, 0, sizeof(ip));
			ip[0] = (uint8_t)(atoms[d][i] >> 24);
			ip[1] = (uint8_t)(atoms[d][i] >> 16);
			ip[2] = (uint8_t)(atoms[d][i] >> 8);
			ip[3] = (uint8_t)atoms[d][i];
			for (j = 0; j < nrep; j++) {
				if (d == 0)
					pair_set(db, -1, 4, ip, rep[j], 0, NULL,
					    s);
				else
					pair_set(db, rep[j], 0, NULL, -1, 4, ip,
					    s);
				cset_format(s, conn, sizeof(conn));
				if (!conn[0])
					continue;
				if (d == 0)
					rc = lines_add(&l, name,
					    db->pods[rep[j]].workload, conn);
				else
					rc = lines_add(&l,
					    db->pods[rep[j]].workload, name,
					    conn);
				if (rc < 0)
					goto nomem;
			}
		}
	}
	qsort(l.v, l.n, sizeof(*l.v), str_cmp);
	*outl = l.v;
	*outn = l.n;
	l.v = NULL;
	goto out;
nomem:
	rc = cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	policy_lines_free(l.v, l.n);
out:
	free(s);
	free(rep);
	free(atoms[0]);
	free(atoms[1]);
	return rc;
}

int
policy_cidr_points(const struct policy_db *db, int family, const uint8_t *ip,
    int len, uint8_t (*out)[16], size_t max)
{
	uint64_t *atoms, lo, hi;
	size_t natoms, i, n = 0;

	if (max == 0 || len < 0 || (family == 4 && len > 32) ||
	    (family == 6 && len > 128) || (family != 4 && family != 6))
		return CILKIT_EINVAL;
	memcpy(out[n++], ip, 16);
	if (family != 4)
		return 1;
	if (ip_atoms(db, -1, &atoms, &natoms) < 0)
		return CILKIT_ENOMEM;
	lo = v4(ip);
	hi = lo + ((uint64_t)1 << (32 - len));
	for (i = 0; i < natoms && n < max; i++) {
		if (atoms[i] <= lo || atoms[i] >= hi)
			continue;
		memset(out[n], 0, 16);
		out[n][0] = (uint8_t)(atoms[i] >> 24);
		out[n][1] = (uint8_t)(atoms[i] >> 16);
		out[n][2] = (uint8_t)(atoms[i] >> 8);
		out[n][3] = (uint8_t)atoms[i];
		n++;
	}
	free(atoms);
	return (int)n;
}
