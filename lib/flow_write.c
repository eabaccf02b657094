/*
 * flow_write.c - write flow lines in the `hubble observe -o jsonpb`
 * shape, and RFC 3339 time formatting (report_parse_rfc3339 reads it).
 *
 * protojson rules (hubble-flow-format.md section 2): proto field names,
 * defaults omitted, enums by name (a number when there is none), 64-bit
 * integers as strings, keys in .proto declaration order.  Strings are
 * escaped per RFC 8259; bytes that are not valid UTF-8 are written as
 * U+FFFD so the output is always valid JSON.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_write.h"
#include "report.h"
#include "report_wbuf.h"

/* ------------------------------------------------------------------ */
/* Members. */

/*
 * Whether a string member would be written: protojson omits empty
 * strings, and a sub-object of nothing but those is omitted too.
 */
static bool
set(const char *s)
{
	return s != NULL && *s != '\0';
}

/*
 * Members: *first tracks whether a comma is needed.  Each helper writes
 * `"key":value`; callers skip default values.
 */
static void
m_str(struct report_wbuf *w, bool *first, const char *k, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_json_str(w, v);
}

static void
m_u(struct report_wbuf *w, bool *first, const char *k, uint64_t v)
{
	if (v == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_u64(w, v);
}

static void
m_i(struct report_wbuf *w, bool *first, const char *k, int64_t v)
{
	if (v == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_i64(w, v);
}

/* 64-bit integers are strings in protojson. */
static void
m_u64s(struct report_wbuf *w, bool *first, const char *k, uint64_t v)
{
	if (v == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '"');
	report_wbuf_u64(w, v);
	report_wbuf_c(w, '"');
}

static void
m_enum(struct report_wbuf *w, bool *first, const char *k, int64_t v,
    const char *name)
{
	if (v == 0)
		return;
	report_wbuf_key(w, first, k);
	if (name != NULL)
		report_wbuf_json_str(w, name);
	else
		report_wbuf_i64(w, v);
}

static void
m_strs(struct report_wbuf *w, bool *first, const char *k, const char *const *v,
    size_t n)
{
	size_t i;

	if (n == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			report_wbuf_c(w, ',');
		report_wbuf_json_str(w, v[i] != NULL ? v[i] : "");
	}
	report_wbuf_c(w, ']');
}

static void
w_endpoint(struct report_wbuf *w, bool *first, const char *k,
    const struct flow_endpoint *e)
{
	bool f = true;
	size_t i;

	if (e->id == 0 && e->identity == 0 && !set(e->cluster_name) &&
	    !set(e->namespace) && !set(e->pod_name) && e->n_labels == 0 &&
	    e->n_workloads == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '{');
	m_u(w, &f, "ID", e->id);
	m_u(w, &f, "identity", e->identity);
	m_str(w, &f, "cluster_name", e->cluster_name);
	m_str(w, &f, "namespace", e->namespace);
	m_strs(w, &f, "labels", e->labels, e->n_labels);
	m_str(w, &f, "pod_name", e->pod_name);
	if (e->n_workloads > 0) {
		report_wbuf_key(w, &f, "workloads");
		report_wbuf_c(w, '[');
		for (i = 0; i < e->n_workloads; i++) {
			bool g = true;

			if (i > 0)
				report_wbuf_c(w, ',');
			report_wbuf_c(w, '{');
			m_str(w, &g, "name", e->workloads[i].name);
			m_str(w, &g, "kind", e->workloads[i].kind);
			report_wbuf_c(w, '}');
		}
		report_wbuf_c(w, ']');
	}
	report_wbuf_c(w, '}');
}

static void
w_service(struct report_wbuf *w, bool *first, const char *k,
    const struct flow_service *s)
{
	bool f = true;

	if (!set(s->name) && !set(s->namespace))
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '{');
	m_str(w, &f, "name", s->name);
	m_str(w, &f, "namespace", s->namespace);
	report_wbuf_c(w, '}');
}

static void
w_policies(struct report_wbuf *w, bool *first, const char *k,
    const struct flow_policy_list *l)
{
	size_t i;

	if (l->n == 0)
		return;
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '[');
	for (i = 0; i < l->n; i++) {
		bool f = true;

		if (i > 0)
			report_wbuf_c(w, ',');
		report_wbuf_c(w, '{');
		m_str(w, &f, "name", l->v[i].name);
		m_str(w, &f, "namespace", l->v[i].namespace);
		m_str(w, &f, "kind", l->v[i].kind);
		report_wbuf_c(w, '}');
	}
	report_wbuf_c(w, ']');
}

static const char *const tcp_flag_names[] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS",
};

static void
w_l4(struct report_wbuf *w, bool *first, const struct flow *fl)
{
	const char *name = flow_l4_name(fl->l4);
	bool f = true, g = true;
	int i;

	if (name == NULL)
		return;
	report_wbuf_key(w, first, "l4");
	report_wbuf_c(w, '{');
	report_wbuf_key(w, &f, name);
	report_wbuf_c(w, '{');
	switch (fl->l4) {
	case FLOW_L4_TCP:
	case FLOW_L4_UDP:
	case FLOW_L4_SCTP:
		m_u(w, &g, "source_port", fl->sport);
		m_u(w, &g, "destination_port", fl->dport);
		if (fl->l4 == FLOW_L4_TCP && fl->tcp_flags != 0) {
			bool h = true;

			report_wbuf_key(w, &g, "flags");
			report_wbuf_c(w, '{');
			for (i = 0; i < 9; i++) {
				if (fl->tcp_flags & (1u << i)) {
					report_wbuf_key(w, &h, tcp_flag_names[i]);
					REPORT_WBUF_LIT(w, "true");
				}
			}
			report_wbuf_c(w, '}');
		}
		break;
	case FLOW_L4_ICMPV4:
	case FLOW_L4_ICMPV6:
		m_u(w, &g, "type", fl->icmp_type);
		m_u(w, &g, "code", fl->icmp_code);
		break;
	}
	REPORT_WBUF_LIT(w, "}}");
}

static void
w_l7(struct report_wbuf *w, bool *first, const struct flow_l7 *l)
{
	bool f = true, g = true;

	report_wbuf_key(w, first, "l7");
	report_wbuf_c(w, '{');
	m_enum(w, &f, "type", l->type, flow_l7_type_name(l->type));
	m_u64s(w, &f, "latency_ns", l->latency_ns);
	switch (l->kind) {
	case FLOW_L7_DNS:
		report_wbuf_key(w, &f, "dns");
		report_wbuf_c(w, '{');
		m_str(w, &g, "query", l->dns.query);
		m_strs(w, &g, "ips", l->dns.ips, l->dns.n_ips);
		m_u(w, &g, "ttl", l->dns.ttl);
		m_str(w, &g, "observation_source", l->dns.observation_source);
		m_u(w, &g, "rcode", l->dns.rcode);
		m_strs(w, &g, "qtypes", l->dns.qtypes, l->dns.n_qtypes);
		report_wbuf_c(w, '}');
		break;
	case FLOW_L7_HTTP:
		report_wbuf_key(w, &f, "http");
		report_wbuf_c(w, '{');
		m_u(w, &g, "code", l->http.code);
		m_str(w, &g, "method", l->http.method);
		m_str(w, &g, "url", l->http.url);
		m_str(w, &g, "protocol", l->http.protocol);
		report_wbuf_c(w, '}');
		break;
	case FLOW_L7_KAFKA:
		report_wbuf_key(w, &f, "kafka");
		report_wbuf_c(w, '{');
		m_i(w, &g, "error_code", l->kafka.error_code);
		m_i(w, &g, "api_version", l->kafka.api_version);
		m_str(w, &g, "api_key", l->kafka.api_key);
		m_i(w, &g, "correlation_id", l->kafka.correlation_id);
		m_str(w, &g, "topic", l->kafka.topic);
		report_wbuf_c(w, '}');
		break;
	}
	report_wbuf_c(w, '}');
}

static void
w_time(struct report_wbuf *w, bool *first, const char *k, int64_t t)
{
	char tb[40];

	if (t == 0)
		return;
	report_format_time(t, 9, tb, sizeof(tb));
	report_wbuf_key(w, first, k);
	report_wbuf_c(w, '"');
	report_wbuf_put(w, tb, strlen(tb));
	report_wbuf_c(w, '"');
}

/*
 * Whether s looks like a proto enum value name (DROP_SOMETHING_NEW):
 * upper case letters, digits and '_'.  A monitor message such as
 * "Policy denied" is not one.
 */
static bool
enum_token(const char *s)
{
	if (s == NULL || *s < 'A' || *s > 'Z')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return false;
	return true;
}

/* The Flow object's members (without braces), into w. */
static void
w_flow(struct report_wbuf *w, const struct flow *fl)
{
	bool f = true, g;

	w_time(w, &f, "time", fl->time_ns);
	m_str(w, &f, "uuid", fl->uuid);
	m_enum(w, &f, "verdict", fl->verdict, flow_verdict_name(fl->verdict));
	m_u(w, &f, "drop_reason", fl->drop_reason);
	if (set(fl->src_mac) || set(fl->dst_mac)) {
		g = true;
		report_wbuf_key(w, &f, "ethernet");
		report_wbuf_c(w, '{');
		m_str(w, &g, "source", fl->src_mac);
		m_str(w, &g, "destination", fl->dst_mac);
		report_wbuf_c(w, '}');
	}
	if (set(fl->src_ip) || set(fl->dst_ip) ||
	    set(fl->src_ip_xlated) || fl->ip_version != 0 ||
	    fl->ip_encrypted) {
		g = true;
		report_wbuf_key(w, &f, "IP");
		report_wbuf_c(w, '{');
		m_str(w, &g, "source", fl->src_ip);
		m_str(w, &g, "source_xlated", fl->src_ip_xlated);
		m_str(w, &g, "destination", fl->dst_ip);
		m_enum(w, &g, "ipVersion", fl->ip_version,
		    flow_ip_version_name(fl->ip_version));
		if (fl->ip_encrypted) {
			report_wbuf_key(w, &g, "encrypted");
			REPORT_WBUF_LIT(w, "true");
		}
		report_wbuf_c(w, '}');
	}
	w_l4(w, &f, fl);
	if (fl->tunnel_proto != 0 || fl->tunnel_vni != 0) {
		g = true;
		report_wbuf_key(w, &f, "tunnel");
		report_wbuf_c(w, '{');
		m_enum(w, &g, "protocol", fl->tunnel_proto,
		    flow_tunnel_proto_name(fl->tunnel_proto));
		m_u(w, &g, "vni", fl->tunnel_vni);
		report_wbuf_c(w, '}');
	}
	w_endpoint(w, &f, "source", &fl->src);
	w_endpoint(w, &f, "destination", &fl->dst);
	m_enum(w, &f, "Type", fl->type, flow_type_name(fl->type));
	m_str(w, &f, "node_name", fl->node_name);
	m_strs(w, &f, "source_names", fl->src_names, fl->n_src_names);
	m_strs(w, &f, "destination_names", fl->dst_names, fl->n_dst_names);
	if (fl->has_l7)
		w_l7(w, &f, &fl->l7);
	if (fl->is_reply == 1) {
		report_wbuf_key(w, &f, "reply");
		REPORT_WBUF_LIT(w, "true");
	}
	if (fl->event_type >= 0) {
		g = true;
		report_wbuf_key(w, &f, "event_type");
		report_wbuf_c(w, '{');
		m_i(w, &g, "type", fl->event_type);
		m_i(w, &g, "sub_type", fl->event_subtype);
		report_wbuf_c(w, '}');
	}
	w_service(w, &f, "source_service", &fl->src_svc);
	w_service(w, &f, "destination_service", &fl->dst_svc);
	m_enum(w, &f, "traffic_direction", fl->direction,
	    flow_direction_name(fl->direction));
	m_u(w, &f, "policy_match_type", fl->policy_match_type);
	m_enum(w, &f, "trace_observation_point", fl->obs_point,
	    flow_obs_point_name(fl->obs_point));
	m_enum(w, &f, "trace_reason", fl->trace_reason,
	    flow_trace_reason_name(fl->trace_reason));
	if (set(fl->file_name) || fl->file_line != 0) {
		g = true;
		report_wbuf_key(w, &f, "file");
		report_wbuf_c(w, '{');
		m_str(w, &g, "name", fl->file_name);
		m_u(w, &g, "line", fl->file_line);
		report_wbuf_c(w, '}');
	}
	if ((fl->drop_reason == 0 ||
	    flow_drop_reason_name(fl->drop_reason) == NULL) &&
	    enum_token(fl->drop_reason_text)) {
		/* a reason newer than our table, by the name it came with */
		report_wbuf_key(w, &f, "drop_reason_desc");
		report_wbuf_json_str(w, fl->drop_reason_text);
	} else {
		m_enum(w, &f, "drop_reason_desc", fl->drop_reason,
		    flow_drop_reason_name(fl->drop_reason));
	}
	if (fl->is_reply == 0 || fl->is_reply == 1) {
		report_wbuf_key(w, &f, "is_reply");
		if (fl->is_reply)
			REPORT_WBUF_LIT(w, "true");
		else
			REPORT_WBUF_LIT(w, "false");
	}
	if (set(fl->iface_name) || fl->iface_index != 0) {
		g = true;
		report_wbuf_key(w, &f, "interface");
		report_wbuf_c(w, '{');
		m_u(w, &g, "index", fl->iface_index);
		m_str(w, &g, "name", fl->iface_name);
		report_wbuf_c(w, '}');
	}
	m_u(w, &f, "proxy_port", fl->proxy_port);
	m_str(w, &f, "Summary", fl->summary);
	w_policies(w, &f, "egress_allowed_by", &fl->egress_allowed_by);
	w_policies(w, &f, "ingress_allowed_by", &fl->ingress_allowed_by);
	w_policies(w, &f, "egress_denied_by", &fl->egress_denied_by);
	w_policies(w, &f, "ingress_denied_by", &fl->ingress_denied_by);
}

int
flow_write_line(FILE *fp, const struct flow *fl)
{
	struct report_wbuf w;
	bool top = false;

	report_wbuf_init(&w, fp);
	REPORT_WBUF_LIT(&w, "{\"flow\":{");
	w_flow(&w, fl);
	report_wbuf_c(&w, '}');
	m_str(&w, &top, "node_name", fl->node_name);
	w_time(&w, &top, "time", fl->time_ns);
	REPORT_WBUF_LIT(&w, "}\n");
	report_wbuf_flush(&w);
	return w.err || ferror(fp) ? CILKIT_EIO : 0;
}

int
flow_write_bare_line(FILE *fp, const struct flow *fl)
{
	struct report_wbuf w;

	report_wbuf_init(&w, fp);
	report_wbuf_c(&w, '{');
	w_flow(&w, fl);
	REPORT_WBUF_LIT(&w, "}\n");
	report_wbuf_flush(&w);
	return w.err || ferror(fp) ? CILKIT_EIO : 0;
}
