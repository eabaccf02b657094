/*
 * policy_int.h - internals shared by lib/policy*.c; not a public API.
 *
 * Everything a db owns (strings, compiled selectors, rules) lives in one
 * arena freed at once; only the growing top-level arrays use realloc.
 */
#ifndef CILKIT_POLICY_INT_H
#define CILKIT_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct parena_blk {
	struct parena_blk *next;
	size_t used, size;
	/* data follows, 16-byte aligned */
	max_align_t data[];
};

struct parena {
	struct parena_blk *head;
};

void *parena_alloc(struct parena *a, size_t n);	/* zeroed; NULL on ENOMEM */
char *parena_strdup(struct parena *a, const char *s);
void parena_free(struct parena *a);

/* A label set, sorted by key. */
struct lset {
	size_t n;
	const char **k, **v;
};

enum sel_op { SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_DNE };

struct sreq {
	const char *key;
	enum sel_op op;
	size_t nv;
	const char **v;
};

/* Compiled label selector: AND of requirements; n == 0 selects all. */
struct psel {
	size_t n;
	struct sreq *r;
};

enum peer_kind {
	PEER_K8S,	/* NetworkPolicy podSelector and/or namespaceSelector */
	PEER_EP,	/* Cilium endpoint selector (namespace defaulted) */
	PEER_CIDR,	/* ipBlock / fromCIDR / CIDRSet */
	PEER_ENTITY,
	PEER_FQDN,
	PEER_SERVICE,
	PEER_UNDECIDED,	/* not evaluated offline: may match ent_maybe */
};

/* Entity bits (policy-semantics.md 2.5). */
#define ENT_HOST	0x001
#define ENT_REMOTE	0x002
#define ENT_WORLD	0x004
#define ENT_CLUSTER	0x008
#define ENT_ALL		0x010
#define ENT_HEALTH	0x020
#define ENT_INIT	0x040
#define ENT_INGRESS	0x080
#define ENT_KUBEAPI	0x100
#define ENT_UNMANAGED	0x200
#define ENT_WORLD4	0x400
#define ENT_WORLD6	0x800

struct pcidr {
	int family, len;
	uint8_t ip[16];
};

struct ppeer {
	enum peer_kind kind;
	struct psel *pod, *ns;		/* PEER_K8S; NULL = absent */
	struct psel sel;		/* PEER_EP */
	struct pcidr cidr;		/* PEER_CIDR */
	size_t nexcept;
	struct pcidr *except;
	unsigned ent;			/* PEER_ENTITY */
	const char *svc_ns, *svc_name;	/* PEER_SERVICE (name may be NULL) */
	struct psel *svc_sel;
	const char *text;		/* PEER_FQDN names; PEER_UNDECIDED what */
	unsigned ent_maybe;		/* PEER_UNDECIDED: ENT_* it may match */
};

struct pport {
	unsigned protos;		/* POLICY_TCP|... */
	int lo, hi;			/* lo == 0: every port */
	const char *name;		/* named port, or NULL */
	const char *l7;			/* L7 rules / SNI text, or NULL */
};

struct picmp {
	int family;			/* 4 or 6 */
	int type;			/* -1: any */
};

enum psection { SEC_INGRESS, SEC_EGRESS, SEC_INGRESS_DENY, SEC_EGRESS_DENY };

/* One item of a rule section: peers (OR) and ports. */
struct pentry {
	enum psection sec;
	int index;			/* 1-based in its section */
	bool deny;
	bool peer_all;			/* any peer */
	size_t npeers;
	struct ppeer *peers;
	bool ports_all;			/* no L4 restriction (ICMP too) */
	size_t nports;
	struct pport *ports;
	size_t nicmp;
	struct picmp *icmp;
	size_t nreq;			/* fromRequires / toRequires */
	struct psel *req;
};

struct ppolicy;

/* A subject and its entries: one NP, or one spec of a CNP/CCNP. */
struct prule {
	struct ppolicy *pol;
	int spec;			/* 0: spec; N: specs[N-1] */
	bool k8s;			/* NP: subject in pol->ns by podSelector */
	struct psel subj;
	bool has[2];			/* selected for this direction at all */
	bool dd[2];			/* default-deny for this direction */
	size_t nentries;
	struct pentry *e;
};

struct ppolicy {
	enum policy_kind kind;
	const char *ns, *name;
	size_t nrules;
	struct prule *rules;
};

struct paddr {
	int family;
	uint8_t ip[16];
};

struct pcport {
	const char *name;
	int port;
	unsigned proto;
};

struct ppod {
	const char *ns, *name, *ip_str, *node, *host_ip, *sa;
	const char *workload;		/* "ns/name[Kind]" */
	bool from_template, host_network, done;
	int family;
	uint8_t ip[16];
	size_t nips;			/* status.podIPs (dual stack) */
	struct paddr *ips;
	size_t nhips;			/* status.hostIPs */
	struct paddr *hips;
	struct lset labels;		/* pod labels as written */
	struct lset ilabels;		/* labels selectors see (mode) */
	size_t nports;
	struct pcport *ports;
	int nsidx;
	/* index: rules whose subject selects this pod, per direction */
	size_t nrules[2];
	struct prule **rules[2];
};

/* A node address, from pods' status.hostIP. */
struct pnode {
	const char *name;		/* spec.nodeName, may be NULL */
	int family;
	uint8_t ip[16];
};

struct pns {
	const char *name;
	struct lset labels;
};

struct psvcport {
	const char *name;
	int port;
	unsigned proto;
	int target;			/* numeric targetPort, 0 if named */
	const char *target_name;
};

struct psvc {
	const char *ns, *name, *cluster_ip;
	int family;
	uint8_t ip[16];
	bool has_selector;
	struct lset selector;		/* spec.selector (backends) */
	struct lset labels;		/* metadata.labels */
	size_t nports;
	struct psvcport *ports;
	size_t nbackends;
	int *backends;
};

struct policy_db {
	struct policy_opts opts;
	struct parena arena;
	struct ppod *pods;
	size_t npods, capods;
	struct pns *nss;
	size_t nnss, cansa;
	struct psvc *svcs;
	size_t nsvcs, casvcs;
	struct ppolicy *pols;
	size_t npols, capols;
	struct pnode *nodes;
	size_t nnodes, canodes;
	/* per direction, 1 + index of a policy with a host rule, or 0 */
	size_t host_pol[2];
	bool has_requires;		/* some rule has fromRequires */
	char **warn;
	size_t nwarn, cawarn;
	size_t nobjects;
	bool finalized;
};

void pdb_warn(struct policy_db *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

bool psel_match(const struct psel *s, const struct lset *l);
const char *lset_get(const struct lset *l, const char *key);
int pns_find(const struct policy_db *db, const char *name);
bool pcidr_contains(const struct pcidr *c, int family, const uint8_t *ip);

/* Peer context for matching: who is on the other end. */
struct pctx {
	int pod;			/* pod index or -1 */
	int family;
	const uint8_t *ip;		/* when pod < 0, or the pod's IP */
	unsigned ent;			/* ENT_* classes of the peer */
};

/* Fill the entity classes of a peer relative to subject pod subj. */
void pctx_init(const struct policy_db *db, struct pctx *c, int pod,
    int family, const uint8_t *ip, int subj);
/*
 * 1 match, 0 no, 2 "unknown" (FQDN, service without endpoints, a
 * construct not evaluated offline); *unk (may be NULL) gets the peer
 * that made it unknown.
 */
int pentry_peer_match(const struct policy_db *db, const struct prule *r,
    const struct pentry *e, const struct pctx *c,
    const struct ppeer **unk);

/*
 * fromRequires/toRequires for a label-based match of entry e of a rule
 * selecting pod p: 1 they hold, 0 e's own fail, 2 another rule's fail
 * (release-dependent: undecided).
 */
int requires_hold(const struct policy_db *db, const struct ppod *p,
    enum policy_dir dir, const struct pentry *e, const struct pctx *c);

#endif /* CILKIT_POLICY_INT_H */
