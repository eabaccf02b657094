/*
 * gen-flows - a deterministic generator of realistic Hubble flow lines,
 * for `make demo` sample data and for the benchmarks.
 *
 * usage: gen-flows -n N [--seed S] [--form jsonpb|bare|export]
 *                  [--start RFC3339] [--rate PER_SEC]
 *
 * A small cluster (3 nodes, 6 namespaces, a dozen workloads with
 * services, pods with replica names, IPv4 and some IPv6) talks along
 * plausible edges: mostly FORWARDED L3/L4 traces with TCP flags, UDP and
 * ICMP; L7 HTTP request/response pairs with latency and 2xx/4xx/5xx
 * codes, DNS queries with NOERROR/NXDOMAIN/SERVFAIL; policy verdicts
 * (some AUDIT/REDIRECTED) with policy names; about 8% DROPPED flows
 * with varied drop reasons (POLICY_DENIED most, then INVALID_SOURCE_IP,
 * CT_MAP_INSERTION_FAILED, STALE_OR_UNROUTABLE_IP, AUTH_REQUIRED, ...;
 * some written as bare numbers, as protojson does for codes it has no
 * name for).
 *
 * The same seed gives the same bytes.  Forms: jsonpb (the
 * `hubble observe -o jsonpb` wrapper, default), bare (legacy `-o json`
 * flow objects), export (Hubble exporter ExportEvent lines: the flows,
 * plus an agent_event first and a lost_events line every 50,000 flows).
 * N counts flows; only the export form adds the extra lines.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_write.h"
#include "report.h"

static uint64_t rng_state;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* true with probability pct/1000 */
static bool
chance(unsigned permille)
{
	return rn(1000) < permille;
}

enum app { APP_HTTP, APP_TCP, APP_DNS, APP_KAFKA };

struct workload {
	const char *ns, *name, *kind, *svc;
	int replicas;
	uint32_t identity;
	uint16_t port;
	int app;
	const char *path;	/* HTTP path prefix */
};

static const struct workload wls[] = {
	{ "demo", "frontend", "Deployment", "frontend", 3, 48213, 8080,
	  APP_HTTP, "/" },
	{ "demo", "backend", "Deployment", "backend", 3, 48214, 9090,
	  APP_HTTP, "/api/v1/items" },
	{ "demo", "redis", "StatefulSet", "redis", 1, 48215, 6379, APP_TCP,
	  NULL },
	{ "shop", "cart", "Deployment", "cart", 2, 51001, 8080, APP_HTTP,
	  "/cart" },
	{ "shop", "catalog", "Deployment", "catalog", 2, 51002, 8080,
	  APP_HTTP, "/products" },
	{ "shop", "checkout", "Deployment", "checkout", 2, 51003, 8443,
	  APP_TCP, NULL },
	{ "payments", "api", "Deployment", "payments-api", 2, 60311, 8443,
	  APP_TCP, NULL },
	{ "payments", "ledger", "StatefulSet", "ledger", 1, 60312, 5432,
	  APP_TCP, NULL },
	{ "kube-system", "coredns", "Deployment", "kube-dns", 2, 102, 53,
	  APP_DNS, NULL },
	{ "monitoring", "prometheus", "StatefulSet", "prometheus", 1, 7712,
	  9090, APP_HTTP, "/metrics" },
	{ "streaming", "broker", "StatefulSet", "kafka", 3, 33201, 9092,
	  APP_KAFKA, NULL },
	{ "streaming", "ingest", "Deployment", "ingest", 2, 33202, 8080,
	  APP_HTTP, "/ingest" },
};
#define NWL ((int)(sizeof(wls) / sizeof(wls[0])))

enum { W_FRONTEND, W_BACKEND, W_REDIS, W_CART, W_CATALOG, W_CHECKOUT,
    W_PAYAPI, W_LEDGER, W_COREDNS, W_PROM, W_BROKER, W_INGEST };

/* Allowed client -> server edges. */
static const int edges[][2] = {
	{ W_FRONTEND, W_BACKEND }, { W_BACKEND, W_REDIS },
	{ W_FRONTEND, W_CATALOG }, { W_CART, W_CATALOG },
	{ W_CART, W_CHECKOUT }, { W_CHECKOUT, W_PAYAPI },
	{ W_PAYAPI, W_LEDGER }, { W_PROM, W_FRONTEND }, { W_PROM, W_BACKEND },
	{ W_PROM, W_INGEST }, { W_INGEST, W_BROKER }, { W_BACKEND, W_BROKER },
};
#define NEDGES ((int)(sizeof(edges) / sizeof(edges[0])))

/* Edges that policy denies (the drops an SRE should find). */
static const int denied[][2] = {
	{ W_FRONTEND, W_LEDGER }, { W_CART, W_REDIS },
	{ W_CATALOG, W_PAYAPI }, { W_INGEST, W_LEDGER },
	{ W_FRONTEND, W_REDIS },
};
#define NDENIED ((int)(sizeof(denied) / sizeof(denied[0])))

static const char *const nodes[] = {
	"kind-kind/kind-control-plane", "kind-kind/kind-worker",
	"kind-kind/kind-worker2",
};

struct dropr {
	uint32_t code;
	unsigned weight;
};

static const struct dropr drops[] = {
	{ 133, 500 },	/* POLICY_DENIED */
	{ 132, 90 },	/* INVALID_SOURCE_IP */
	{ 155, 70 },	/* CT_MAP_INSERTION_FAILED */
	{ 151, 70 },	/* STALE_OR_UNROUTABLE_IP */
	{ 189, 50 },	/* AUTH_REQUIRED */
	{ 181, 40 },	/* POLICY_DENY */
	{ 158, 40 },	/* SERVICE_BACKEND_NOT_FOUND */
	{ 169, 30 },	/* FIB_LOOKUP_FAILED */
	{ 160, 25 },	/* NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT */
	{ 134, 25 },	/* INVALID_PACKET_DROPPED */
	{ 139, 20 },	/* UNSUPPORTED_L3_PROTOCOL */
	{ 136, 15 },	/* CT_MISSING_TCP_ACK_FLAG */
	{ 175, 10 },	/* FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND */
	{ 206, 10 },	/* no enum name: a bare number on the wire */
	{ 205, 5 },	/* DROP_PUNT_PROXY */
};
#define NDROPS ((int)(sizeof(drops) / sizeof(drops[0])))

/* Per-line string storage. */
struct pod {
	char name[64];
	char ip[48];
	char labels[4][96];
	const char *lp[4];
	struct flow_workload wl;
	int node;
};

static struct pod pods[2];
static char uuid[40], summary[512], url[160], query[96], dnsip[2][48];
static const char *dnsips[2], *qtypes[1], *dnames[1];
static struct flow_policy pols[1];
static char polname[64];

static void
make_pod(struct pod *p, int w, int replica, bool v6)
{
	const struct workload *wl = &wls[w];
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *s;
	static const char al[] = "bcdfghjklmnpqrstvwxz2456789";
	char sfx[6];
	int i, subnet;

	for (s = wl->name; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	h ^= (uint64_t)replica * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 5; i++) {
		sfx[i] = al[h % (sizeof(al) - 1)];
		h /= sizeof(al) - 1;
	}
	sfx[5] = '\0';
	if (strcmp(wl->kind, "StatefulSet") == 0)
		snprintf(p->name, sizeof(p->name), "%s-%d", wl->name, replica);
	else
		snprintf(p->name, sizeof(p->name), "%s-%08" PRIx64 "-%s",
		    wl->name, h & 0xffffffff, sfx);
	p->node = (w + replica) % 3;
	subnet = 10 + w * 4 + replica;
	if (v6)
		snprintf(p->ip, sizeof(p->ip), "fd00:10:244:%x::%x", p->node,
		    subnet);
	else
		snprintf(p->ip, sizeof(p->ip), "10.244.%d.%d", p->node, subnet);
	snprintf(p->labels[0], sizeof(p->labels[0]), "k8s:app=%s", wl->name);
	snprintf(p->labels[1], sizeof(p->labels[1]),
	    "k8s:io.cilium.k8s.policy.cluster=kind-kind");
	snprintf(p->labels[2], sizeof(p->labels[2]),
	    "k8s:io.cilium.k8s.policy.serviceaccount=%s", wl->name);
	snprintf(p->labels[3], sizeof(p->labels[3]),
	    "k8s:io.kubernetes.pod.namespace=%s", wl->ns);
	for (i = 0; i < 4; i++)
		p->lp[i] = p->labels[i];
	p->wl.name = wl->name;
	p->wl.kind = wl->kind;
}

static void
set_ep(struct flow_endpoint *e, struct pod *p, int w)
{
	e->id = 100 + (uint32_t)(w * 37 + p->node * 11) % 3900;
	e->identity = wls[w].identity;
	e->cluster_name = "kind-kind";
	e->namespace = wls[w].ns;
	e->pod_name = p->name;
	e->labels = p->lp;
	e->n_labels = 4;
	e->workloads = &p->wl;
	e->n_workloads = 1;
}

static void
set_world(struct flow_endpoint *e, struct flow *f, bool src, bool v6)
{
	static char ip[2][48];
	static const char *wl[] = { "reserved:world" };
	char *b = ip[src ? 0 : 1];

	e->identity = v6 ? FLOW_ID_WORLD_IPV6 : FLOW_ID_WORLD;
	if (!v6 && chance(500))
		e->identity = FLOW_ID_WORLD_IPV4;
	e->labels = wl;
	e->n_labels = 1;
	if (v6)
		snprintf(b, 48, "2001:db8:%x::%x", rn(16), 1 + rn(200));
	else
		snprintf(b, 48, "203.0.113.%u", 1 + rn(250));
	if (src)
		f->src_ip = b;
	else
		f->dst_ip = b;
}

static void
make_uuid(void)
{
	uint64_t a = rnd(), b = rnd();

	snprintf(uuid, sizeof(uuid), "%08" PRIx64 "-%04" PRIx64
	    "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
	    (a >> 16) & 0xffff, a & 0xfff, (b >> 48 & 0x3fff) | 0x8000,
	    (uint64_t)(b & 0xffffffffffffULL));
}

static const char *
flags_summary(uint16_t fl)
{
	static char buf[64];
	static const char *const n[] = {
		"FIN", "SYN", "RST", "PSH", "ACK",
	};
	static const int order[] = { 1, 4, 3, 0, 2 };
	size_t o;
	int i;

	o = (size_t)snprintf(buf, sizeof(buf), "TCP Flags:");
	for (i = 0; i < 5; i++) {
		if (fl & (1u << order[i]))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s %s",
			    o > 10 ? "," : "", n[order[i]]);
	}
	return buf;
}

/* One flow into f; returns the drop code to print as a number or 0. */
static uint32_t
gen_flow(struct flow *f, int64_t now)
{
	static const uint16_t tcp_phase[] = {
		FLOW_TCP_SYN, FLOW_TCP_SYN | FLOW_TCP_ACK, FLOW_TCP_ACK,
		FLOW_TCP_PSH | FLOW_TCP_ACK, FLOW_TCP_PSH | FLOW_TCP_ACK,
		FLOW_TCP_ACK, FLOW_TCP_FIN | FLOW_TCP_ACK, FLOW_TCP_RST,
	};
	static const uint32_t http_codes[] = {
		200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 403, 404,
		404, 429, 500, 502, 503, 504,
	};
	static const char *const methods[] = {
		"GET", "GET", "GET", "POST", "PUT", "DELETE",
	};
	const struct workload *sw;
	int cw, sv, e, r, kind;
	unsigned w, acc;
	uint32_t code = 0, bare = 0;
	bool v6, reply;

	flow_clear(f);
	make_uuid();
	f->uuid = uuid;
	f->time_ns = now;
	v6 = chance(60);
	f->ip_version = v6 ? 2 : 1;
	r = (int)rn(1000);
	/* 8% drops, 5% policy verdicts, 14% L7, 2% other, rest traces */
	kind = r < 80 ? 0 : r < 130 ? 1 : r < 270 ? 2 : r < 290 ? 3 : 4;
	if (kind == 0 && chance(600)) {
		e = (int)rn(NDENIED);
		cw = denied[e][0];
		sv = denied[e][1];
	} else {
		e = (int)rn(NEDGES);
		cw = edges[e][0];
		sv = edges[e][1];
		if (kind == 2 && chance(300)) {
			sv = W_COREDNS;	/* DNS lookups */
		}
	}
	sw = &wls[sv];
	make_pod(&pods[0], cw, (int)rn((unsigned)wls[cw].replicas), v6);
	make_pod(&pods[1], sv, (int)rn((unsigned)sw->replicas), v6);
	reply = kind != 0 && kind != 1 && chance(450);
	set_ep(&f->src, &pods[reply ? 1 : 0], reply ? sv : cw);
	set_ep(&f->dst, &pods[reply ? 0 : 1], reply ? cw : sv);
	f->src_ip = pods[reply ? 1 : 0].ip;
	f->dst_ip = pods[reply ? 0 : 1].ip;
	f->dst_svc.name = NULL;
	if (!reply && chance(400)) {
		f->dst_svc.name = sw->svc;
		f->dst_svc.namespace = sw->ns;
	}
	f->node_name = nodes[pods[reply ? 0 : 1].node];
	if (sw->app == APP_DNS) {
		f->l4 = FLOW_L4_UDP;
		f->sport = reply ? 53 : (uint16_t)(32768 + rn(28000));
		f->dport = reply ? (uint16_t)(32768 + rn(28000)) : 53;
	} else {
		f->l4 = FLOW_L4_TCP;
		f->sport = reply ? sw->port : (uint16_t)(32768 + rn(28000));
		f->dport = reply ? (uint16_t)(32768 + rn(28000)) : sw->port;
	}
	f->type = FLOW_TYPE_L3_L4;
	f->is_reply = reply;
	f->direction = chance(500) ? FLOW_DIR_INGRESS : FLOW_DIR_EGRESS;

	switch (kind) {
	case 0:		/* DROPPED */
		f->verdict = FLOW_DROPPED;
		f->is_reply = -1;
		if (e < NDENIED && chance(600)) {
			code = chance(850) ? 133 : 181;
		} else {
			w = rn(1000);
			for (acc = 0, r = 0; r < NDROPS; r++) {
				acc += drops[r].weight;
				if (w < acc)
					break;
			}
			code = drops[r < NDROPS ? r : 0].code;
		}
		f->drop_reason = code;
		f->event_type = 1;
		f->event_subtype = (int)code;
		f->file_name = chance(700) ? "bpf_lxc.c" : "bpf_host.c";
		f->file_line = 1200 + rn(900);
		if (f->l4 == FLOW_L4_TCP) {
			f->tcp_flags = FLOW_TCP_SYN;
			snprintf(summary, sizeof(summary), "%s",
			    flags_summary(f->tcp_flags));
		} else {
			snprintf(summary, sizeof(summary), "UDP");
		}
		f->summary = summary;
		if (code == 132 && chance(500)) {
			/* spoofed/unknown source: no pod on that side */
			memset(&f->src, 0, sizeof(f->src));
			set_world(&f->src, f, true, v6);
		}
		if (code == 151 && chance(500)) {
			memset(&f->dst, 0, sizeof(f->dst));
			f->dst.identity = FLOW_ID_WORLD;
		}
		if ((code == 133 || code == 181) && chance(700)) {
			snprintf(polname, sizeof(polname), "%s-%s",
			    code == 181 ? "deny" : "allow", sw->name);
			pols[0].name = polname;
			pols[0].namespace = sw->ns;
			pols[0].kind = "CiliumNetworkPolicy";
			if (f->direction == FLOW_DIR_INGRESS) {
				f->ingress_denied_by.v = pols;
				f->ingress_denied_by.n = 1;
			} else {
				f->egress_denied_by.v = pols;
				f->egress_denied_by.n = 1;
			}
		}
		/* a quarter of the named codes printed as numbers */
		if (chance(250))
			bare = code;
		break;
	case 1:		/* policy verdict */
		f->event_type = 5;
		f->is_reply = -1;
		f->verdict = chance(150) ? FLOW_AUDIT : chance(300) ?
		    FLOW_REDIRECTED : FLOW_FORWARDED;
		f->policy_match_type = 1 + rn(3);
		f->tcp_flags = f->l4 == FLOW_L4_TCP ? FLOW_TCP_SYN : 0;
		snprintf(polname, sizeof(polname), "allow-%s", sw->name);
		pols[0].name = polname;
		pols[0].namespace = sw->ns;
		pols[0].kind = chance(800) ? "CiliumNetworkPolicy" :
		    "NetworkPolicy";
		if (f->direction == FLOW_DIR_INGRESS) {
			f->ingress_allowed_by.v = pols;
			f->ingress_allowed_by.n = 1;
		} else {
			f->egress_allowed_by.v = pols;
			f->egress_allowed_by.n = 1;
		}
		snprintf(summary, sizeof(summary), "%s",
		    f->l4 == FLOW_L4_TCP ? flags_summary(f->tcp_flags) : "UDP");
		f->summary = summary;
		break;
	case 2:		/* L7 */
		f->verdict = FLOW_FORWARDED;
		f->type = FLOW_TYPE_L7;
		f->event_type = 129;
		f->has_l7 = true;
		f->l7.type = reply ? FLOW_L7_RESPONSE : FLOW_L7_REQUEST;
		if (reply)
			f->l7.latency_ns = 200000 + rnd() % 90000000 +
			    (chance(30) ? 2000000000ULL : 0);
		if (sw->app == APP_DNS) {
			static const char *const names[] = {
				"backend.demo.svc.cluster.local.",
				"redis.demo.svc.cluster.local.",
				"api.github.com.", "example.com.",
				"ledger.payments.svc.cluster.local.",
				"nonexistent.demo.svc.cluster.local.",
			};
			int qi = (int)rn(6);

			f->l7.kind = FLOW_L7_DNS;
			snprintf(query, sizeof(query), "%s", names[qi]);
			f->l7.dns.query = query;
			f->l7.dns.observation_source = "proxy";
			qtypes[0] = v6 ? "AAAA" : "A";
			f->l7.dns.qtypes = qtypes;
			f->l7.dns.n_qtypes = 1;
			if (reply) {
				f->l7.dns.rcode = qi == 5 ? 3 :
				    chance(20) ? 2 : 0;
				if (f->l7.dns.rcode == 0) {
					snprintf(dnsip[0], 48, "10.96.%u.%u",
					    rn(8), 1 + rn(250));
					dnsips[0] = dnsip[0];
					f->l7.dns.ips = dnsips;
					f->l7.dns.n_ips = 1;
					f->l7.dns.ttl = 30;
				}
				snprintf(summary, sizeof(summary),
				    "DNS Answer RCode: %u (Proxy %s %s)",
				    f->l7.dns.rcode, query, qtypes[0]);
			} else {
				snprintf(summary, sizeof(summary),
				    "DNS Query %s %s", query, qtypes[0]);
			}
		} else if (sw->app == APP_KAFKA) {
			f->l7.kind = FLOW_L7_KAFKA;
			f->l7.kafka.api_key = chance(500) ? "produce" : "fetch";
			f->l7.kafka.api_version = 7;
			f->l7.kafka.correlation_id = (int32_t)rn(100000);
			f->l7.kafka.topic = "events";
			f->l7.kafka.error_code = chance(30) ? 7 : 0;
			snprintf(summary, sizeof(summary),
			    "Kafka request %s correlation id %d topic 'events'",
			    f->l7.kafka.api_key, f->l7.kafka.correlation_id);
		} else {
			f->l7.kind = FLOW_L7_HTTP;
			f->l7.http.method = methods[rn(6)];
			snprintf(url, sizeof(url), "http://%s.%s:%u%s%s",
			    sw->svc, sw->ns, sw->port,
			    sw->path ? sw->path : "/",
			    chance(100) ? "?q=%22x%22" : "");
			f->l7.http.url = url;
			f->l7.http.protocol = "HTTP/1.1";
			if (reply)
				f->l7.http.code = http_codes[rn(18)];
			if (reply)
				snprintf(summary, sizeof(summary),
				    "HTTP/1.1 %u %llums (%s %s)",
				    f->l7.http.code, (unsigned long long)
				    (f->l7.latency_ns / 1000000),
				    f->l7.http.method, url);
			else
				snprintf(summary, sizeof(summary),
				    "HTTP/1.1 %s %s", f->l7.http.method, url);
		}
		f->summary = summary;
		f->tcp_flags = 0;
		break;
	case 3:		/* world traffic, ICMP, SOCK, ERROR */
		r = (int)rn(4);
		f->verdict = FLOW_FORWARDED;
		f->event_type = 4;
		if (r == 0) {
			/* egress to the internet */
			memset(&f->dst, 0, sizeof(f->dst));
			set_world(&f->dst, f, false, v6);
			f->dport = 443;
			f->tcp_flags = FLOW_TCP_SYN;
			dnames[0] = "api.github.com";
			f->dst_names = dnames;
			f->n_dst_names = 1;
			f->obs_point = 3;
			f->event_subtype = 3;
			f->is_reply = 0;
			f->direction = FLOW_DIR_EGRESS;
			snprintf(summary, sizeof(summary), "%s",
			    flags_summary(f->tcp_flags));
		} else if (r == 1) {
			f->l4 = v6 ? FLOW_L4_ICMPV6 : FLOW_L4_ICMPV4;
			f->sport = f->dport = 0;
			f->icmp_type = v6 ? (reply ? 129 : 128) :
			    (reply ? 0 : 8);
			f->obs_point = 101;
			f->event_subtype = 0;
			f->iface_name = "lxc4a1b2c3d";
			f->iface_index = 10 + rn(40);
			snprintf(summary, sizeof(summary), "%s %s",
			    v6 ? "ICMPv6" : "ICMPv4",
			    reply ? "EchoReply" : "EchoRequest");
		} else if (r == 2) {
			f->verdict = FLOW_TRANSLATED;
			f->type = FLOW_TYPE_SOCK;
			f->event_type = 7;
			f->event_subtype = 1 + (int)rn(4);
			f->is_reply = -1;
			f->direction = FLOW_DIR_UNKNOWN;
			summary[0] = '\0';
		} else {
			f->verdict = FLOW_ERROR;
			f->event_type = 4;
			f->tcp_flags = FLOW_TCP_RST;
			snprintf(summary, sizeof(summary), "%s",
			    flags_summary(f->tcp_flags));
		}
		f->summary = summary[0] ? summary : NULL;
		break;
	default:	/* L3/L4 trace */
		f->verdict = FLOW_FORWARDED;
		f->event_type = 4;
		r = (int)rn(4);
		f->obs_point = r == 0 ? 101 : r == 1 ? 3 : r == 2 ? 5 : 4;
		f->event_subtype = f->obs_point == 101 ? 0 : f->obs_point;
		f->trace_reason = reply ? 2 : chance(300) ? 1 : 2;
		if (f->l4 == FLOW_L4_TCP) {
			f->tcp_flags = tcp_phase[rn(8)];
			if (reply && f->tcp_flags == FLOW_TCP_SYN)
				f->tcp_flags |= FLOW_TCP_ACK;
			snprintf(summary, sizeof(summary), "%s",
			    flags_summary(f->tcp_flags));
		} else {
			snprintf(summary, sizeof(summary), "UDP");
		}
		f->summary = summary;
		if (f->obs_point == 4) {
			f->tunnel_proto = 1;
			f->tunnel_vni = wls[cw].identity;
		}
		break;
	}
	return bare;
}

/* Write the line, printing drop_reason_desc as a number when asked. */
static int
emit(FILE *out, const struct flow *f, int form, uint32_t bare)
{
	static char *buf;
	static size_t cap;
	size_t len;
	FILE *mem;
	const char *name;
	char *p, num[16];
	int rc;

	if (bare == 0)
		return form == 1 ? flow_write_bare_line(out, f) :
		    flow_write_line(out, f);
	/* open_memstream allocates anew: free the previous line's buffer. */
	free(buf);
	buf = NULL;
	mem = open_memstream(&buf, &cap);
	if (mem == NULL)
		return CILKIT_ENOMEM;
	rc = form == 1 ? flow_write_bare_line(mem, f) :
	    flow_write_line(mem, f);
	fclose(mem);
	if (rc < 0)
		return rc;
	name = flow_drop_reason_name(bare);
	len = strlen(buf);
	if (name != NULL && (p = strstr(buf, "\"drop_reason_desc\":\"")) !=
	    NULL) {
		snprintf(num, sizeof(num), "%u", bare);
		p += strlen("\"drop_reason_desc\":");
		fwrite(buf, 1, (size_t)(p - buf), out);
		fputs(num, out);
		p += strlen(name) + 2;
		fwrite(p, 1, len - (size_t)(p - buf), out);
	} else {
		fwrite(buf, 1, len, out);
	}
	return ferror(out) ? CILKIT_EIO : 0;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: gen-flows -n N [--seed S] "
	    "[--form jsonpb|bare|export]\n"
	    "                 [--start RFC3339] [--rate PER_SEC]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct flow f;
	unsigned long long n = 0, i, seed = 1, rate = 1000;
	int64_t now = 0;
	int c, form = 0;
	char *end, tb[40];
	const char *start = "2026-01-01T00:00:00Z";
	bool have_n = false;
	uint32_t bare;

	while ((c = getopt_long(argc, argv, "f:hn:r:s:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "jsonpb") == 0)
				form = 0;
			else if (strcmp(optarg, "bare") == 0)
				form = 1;
			else if (strcmp(optarg, "export") == 0)
				form = 2;
			else {
				fprintf(stderr, "gen-flows: bad --form %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			n = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || *optarg == '-') {
				fprintf(stderr, "gen-flows: bad -n\n");
				return 2;
			}
			have_n = true;
			break;
		case 'r':
			rate = strtoull(optarg, &end, 10);
			if (*end != '\0' || rate == 0 || rate > 1000000000) {
				fprintf(stderr, "gen-flows: bad --rate\n");
				return 2;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "gen-flows: bad --seed\n");
				return 2;
			}
			break;
		case 't':
			start = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!have_n || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (report_parse_rfc3339(start, strlen(start), &now) < 0) {
		fprintf(stderr, "gen-flows: bad --start %s\n", start);
		return 2;
	}
	rng_state = seed * 0x2545f4914f6cdd1dULL + 1;
	if (form == 2) {
		report_format_time(now, 9, tb, sizeof(tb));
		printf("{\"agent_event\":{\"type\":\"AGENT_STARTED\","
		    "\"agent_start\":{\"time\":\"%s\"}},\"node_name\":\"%s\","
		    "\"time\":\"%s\"}\n", tb, nodes[1], tb);
	}
	for (i = 0; i < n; i++) {
		/* exponential-ish spacing around 1/rate */
		now += (long long)(1000000000ULL / rate * (rnd() % 2000) /
		    1000 + rnd() % 1000);
		bare = gen_flow(&f, now);
		if (emit(stdout, &f, form, bare) < 0) {
			fprintf(stderr, "gen-flows: write error\n");
			return 3;
		}
		if (form == 2 && i % 50000 == 49999) {
			report_format_time(now, 9, tb, sizeof(tb));
			printf("{\"lost_events\":{\"source\":"
			    "\"HUBBLE_RING_BUFFER\",\"num_events_lost\":\"%u\","
			    "\"cpu\":%u},\"node_name\":\"%s\",\"time\":"
			    "\"%s\"}\n", 1 + rn(500), rn(4), nodes[rn(3)], tb);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "gen-flows: write error\n");
		return 3;
	}
	return 0;
}
