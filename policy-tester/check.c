/*
 * check.c - one connectivity check (resolve the ends, DNS step, policy
 * verdict, then the live steps) and its report in text or JSON; suites
 * of checks with a results table and JUnit XML.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "kube_yaml.h"
#include "policy.h"
#include "report.h"
#include "tester.h"

#define MAX_TARGETS	64	/* backends / CIDR ranges evaluated */
#define MAX_CASES	100000

enum end_kind { END_POD, END_SVC, END_IP, END_CIDR };

struct endspec {
	enum end_kind kind;
	char ns[256], name[256];
	int family, len;
	uint8_t ip[16];
};


static struct step *
add_step(struct tresult *r, const char *name, enum step_status st,
    const char *fmt, ...)
{
	struct step *s;
	va_list ap;

	if (r->nsteps == MAX_STEPS)
		return NULL;
	s = &r->steps[r->nsteps++];
	s->name = name;
	s->status = st;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
	return s;
}

static int
parse_end(const char *s, const char *dflt_ns, struct endspec *e)
{
	const char *a, *b;

	memset(e, 0, sizeof(*e));
	if (s == NULL || s[0] == '\0' || strlen(s) > 500)
		return -1;
	if (policy_parse_ip(s, &e->family, e->ip) == 0) {
		e->kind = END_IP;
		return 0;
	}
	if (strchr(s, '/') != NULL && policy_parse_cidr(s, &e->family, e->ip,
	    &e->len) == 0) {
		e->kind = END_CIDR;
		return 0;
	}
	a = strchr(s, '/');
	if (a == NULL) {
		e->kind = END_POD;
		snprintf(e->ns, sizeof(e->ns), "%s", dflt_ns);
		snprintf(e->name, sizeof(e->name), "%s", s);
		return 0;
	}
	b = strchr(a + 1, '/');
	if (b == NULL) {
		e->kind = END_POD;
		snprintf(e->ns, sizeof(e->ns), "%.*s", (int)(a - s), s);
		snprintf(e->name, sizeof(e->name), "%s", a + 1);
	} else {
		if (strncmp(a + 1, "svc/", 4) != 0 &&
		    strncmp(a + 1, "service/", 8) != 0)
			return -1;
		e->kind = END_SVC;
		snprintf(e->ns, sizeof(e->ns), "%.*s", (int)(a - s), s);
		snprintf(e->name, sizeof(e->name), "%s", b + 1);
		if (strchr(e->name, '/') != NULL)
			return -1;
	}
	return e->ns[0] && e->name[0] ? 0 : -1;
}

static void
ip_str(int family, const uint8_t *ip, char *buf, size_t len)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf,
	    (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* Names of the policies deciding a direction: "a, b". */
static void
ref_names(const struct policy_dir_result *d, char *buf, size_t len)
{
	int i;

	for (i = 0; i < d->nrefs; i++) {
		if (strstr(buf, d->refs[i].name) != NULL)
			continue;
		cilkit_strcatf(buf, len, "%s%s", buf[0] ? ", " : "", d->refs[i].name);
	}
}

struct target {
	struct policy_end end;
	int port;
	enum policy_proto proto;
	char label[300];
};

int
tester_check(struct tester *t, const struct tcase *c, struct tresult *r)
{
	const struct policy_db *db = t->db;
	struct endspec src, dst;
	struct target tg[MAX_TARGETS];
	struct policy_end se;
	struct policy_service_info si;
	char portstr[32];
	int ntg = 0, i, spod = -1, svc = -1, nallow = 0, ndeny = 0, nunk = 0;
	const char *proto_name = policy_proto_name(c->proto);

	memset(r, 0, sizeof(*r));
	if (c->proto == 0 || c->proto == POLICY_ICMP)
		portstr[0] = '\0';
	else
		snprintf(portstr, sizeof(portstr), ":%d", c->port);
	snprintf(r->title, sizeof(r->title), "%s -> %s%s%s%s",
	    c->from ? c->from : "?", c->to ? c->to : "?", portstr,
	    c->proto != POLICY_TCP ? "/" : "",
	    c->proto != POLICY_TCP ? proto_name : "");
	if (parse_end(c->from, t->namespace, &src) < 0 || src.kind == END_SVC ||
	    src.kind == END_CIDR) {
		snprintf(r->error, sizeof(r->error), "bad source \"%s\": "
		    "expected NS/POD or an IP", c->from ? c->from : "");
		return -1;
	}
	if (parse_end(c->to, t->namespace, &dst) < 0) {
		snprintf(r->error, sizeof(r->error), "bad destination \"%s\": "
		    "expected NS/POD, NS/svc/NAME, an IP or a CIDR",
		    c->to ? c->to : "");
		return -1;
	}
	if (c->proto != POLICY_ICMP && (c->port < 1 || c->port > 65535)) {
		snprintf(r->error, sizeof(r->error), "a port is needed for %s",
		    proto_name);
		return -1;
	}
	memset(&se, 0, sizeof(se));
	if (src.kind == END_POD) {
		spod = policy_db_find_pod(db, src.ns, src.name);
		if (spod < 0) {
			snprintf(r->error, sizeof(r->error), "pod %s/%s not "
			    "found%s", src.ns, src.name, t->offline ?
			    " in the manifests" : "");
			return -1;
		}
		se.pod = spod;
	} else {
		se.pod = -1;
		se.family = src.family;
		memcpy(se.ip, src.ip, 16);
	}
	/* destination targets and the DNS step */
	if (dst.kind == END_IP) {
		svc = policy_db_find_service_ip(db, dst.family, dst.ip);
		if (svc < 0) {
			tg[0].end.pod = -1;
			tg[0].end.family = dst.family;
			memcpy(tg[0].end.ip, dst.ip, 16);
			tg[0].port = c->port;
			tg[0].proto = (enum policy_proto)c->proto;
			ip_str(dst.family, dst.ip, tg[0].label,
			    sizeof(tg[0].label));
			ntg = 1;
			add_step(r, "DNS resolution", ST_SKIP, "skipped "
			    "(destination is an address)");
		}
	}
	if (dst.kind == END_SVC) {
		svc = policy_db_find_service(db, dst.ns, dst.name, &si);
		if (svc < 0) {
			snprintf(r->error, sizeof(r->error), "service %s/%s "
			    "not found%s", dst.ns, dst.name, t->offline ?
			    " in the manifests" : "");
			return -1;
		}
	}
	if (svc >= 0) {
		int b;

		policy_db_service_info(db, svc, &si);
		if (si.cluster_ip != NULL && si.name != NULL) {
			add_step(r, "DNS resolution", ST_OK, "%s.%s.svc."
			    "cluster.local -> %s", si.name, si.ns,
			    si.cluster_ip);
			if (!t->offline && t->verbose && spod >= 0) {
				char fq[600];

				snprintf(fq, sizeof(fq), "%s.%s.svc.cluster."
				    "local", si.name, si.ns);
				tester_live_dns(t, spod, fq, si.cluster_ip, r);
			}
		}
		else if (si.name != NULL)
			add_step(r, "DNS resolution", ST_INFO, "%s.%s.svc."
			    "cluster.local: headless, resolves to the pod "
			    "IPs", si.name, si.ns);
		else
			add_step(r, "DNS resolution", ST_SKIP, "skipped "
			    "(destination is a service address)");
		for (i = 0; (b = policy_db_service_backend(db, svc, i)) >= 0 &&
		    ntg < MAX_TARGETS; i++) {
			enum policy_proto pr = (enum policy_proto)c->proto;
			int tp = c->port;
			struct policy_pod_info pi;

			if (c->proto != POLICY_ICMP) {
				tp = policy_db_service_target(db, svc, b,
				    c->port, &pr);
				if (tp < 0 || (int)pr != c->proto) {
					snprintf(r->error, sizeof(r->error),
					    "service %s has no %s port %d",
					    c->to, proto_name, c->port);
					return -1;
				}
			}
			policy_db_pod_info(db, b, &pi);
			tg[ntg].end.pod = b;
			tg[ntg].port = tp;
			tg[ntg].proto = pr;
			snprintf(tg[ntg].label, sizeof(tg[ntg].label),
			    "%s/%s:%d", pi.ns, pi.name, tp);
			ntg++;
		}
		if (ntg == 0) {
			snprintf(r->error, sizeof(r->error), "service %s has "
			    "no backend pods%s", c->to, t->offline ?
			    " in the manifests (or no selector)" : "");
			return -1;
		}
	}
	if (dst.kind == END_POD) {
		int dp = policy_db_find_pod(db, dst.ns, dst.name);
		struct policy_pod_info pi;
		int s;

		if (dp < 0) {
			snprintf(r->error, sizeof(r->error), "pod %s/%s not "
			    "found%s", dst.ns, dst.name, t->offline ?
			    " in the manifests" : "");
			return -1;
		}
		policy_db_pod_info(db, dp, &pi);
		tg[0].end.pod = dp;
		tg[0].port = c->port;
		tg[0].proto = (enum policy_proto)c->proto;
		snprintf(tg[0].label, sizeof(tg[0].label), "%s/%s", pi.ns,
		    pi.name);
		ntg = 1;
		s = policy_db_pod_service(db, dp);
		if (s >= 0 && policy_db_service_info(db, s, &si) == 0 &&
		    si.cluster_ip != NULL) {
			add_step(r, "DNS resolution", ST_OK, "%s.%s.svc."
			    "cluster.local -> %s", si.name, si.ns,
			    si.cluster_ip);
			if (!t->offline && t->verbose && spod >= 0) {
				char fq[600];

				snprintf(fq, sizeof(fq), "%s.%s.svc.cluster."
				    "local", si.name, si.ns);
				tester_live_dns(t, spod, fq, si.cluster_ip, r);
			}
		} else
			add_step(r, "DNS resolution", ST_SKIP, "skipped (no "
			    "service selects %s/%s; pod IP %s)", pi.ns,
			    pi.name, pi.ip ? pi.ip : "unknown");
		svc = -1;
	}
	if (dst.kind == END_CIDR) {
		uint8_t pts[MAX_TARGETS][16];
		int n = policy_cidr_points(db, dst.family, dst.ip, dst.len,
		    pts, MAX_TARGETS);

		for (i = 0; i < n; i++) {
			tg[ntg].end.pod = -1;
			tg[ntg].end.family = dst.family;
			memcpy(tg[ntg].end.ip, pts[i], 16);
			tg[ntg].port = c->port;
			tg[ntg].proto = (enum policy_proto)c->proto;
			ip_str(dst.family, pts[i], tg[ntg].label,
			    sizeof(tg[ntg].label));
			ntg++;
		}
		add_step(r, "DNS resolution", ST_SKIP, "skipped (destination "
		    "is a CIDR: %d range%s evaluated)", ntg, ntg == 1 ? "" :
		    "s");
	}
	/* the policy verdict, per target */
	for (i = 0; i < ntg; i++) {
		struct policy_query q;
		struct policy_verdict v;
		char eb[CILKIT_ERRBUF_SIZE], ex[2][TEXT_LEN];

		memset(&q, 0, sizeof(q));
		q.src = se;
		q.dst = tg[i].end;
		q.proto = tg[i].proto;
		q.port = tg[i].port;
		q.icmp_type = 8;
		/* an IPv6 destination gets an ICMPv6 echo request */
		if (q.proto == POLICY_ICMP) {
			int fam = q.dst.family;

			if (q.dst.pod >= 0) {
				struct policy_pod_info pi;
				uint8_t tmp[16];

				policy_db_pod_info(db, q.dst.pod, &pi);
				if (pi.ip == NULL ||
				    policy_parse_ip(pi.ip, &fam, tmp) < 0)
					fam = 4;
			}
			if (fam == 6) {
				q.proto = POLICY_ICMPV6;
				q.icmp_type = 128;
			}
		}
		if (policy_evaluate(db, &q, &v, eb, sizeof(eb)) < 0) {
			snprintf(r->error, sizeof(r->error), "%s", eb);
			return -1;
		}
		policy_explain_dir(db, &q, POLICY_EGRESS, &v.egress, ex[1],
		    sizeof(ex[1]));
		policy_explain_dir(db, &q, POLICY_INGRESS, &v.ingress, ex[0],
		    sizeof(ex[0]));
		if (v.verdict == POLICY_ALLOW)
			nallow++;
		else if (v.verdict == POLICY_DENY)
			ndeny++;
		else
			nunk++;
		if (v.verdict == POLICY_ALLOW) {
			ref_names(&v.egress, r->matched, sizeof(r->matched));
			ref_names(&v.ingress, r->matched, sizeof(r->matched));
		}
		if (ntg > 1) {
			cilkit_strcatf(r->expl[1], sizeof(r->expl[1]), "%s%s: %s",
			    r->expl[1][0] ? "\n" : "", tg[i].label, ex[1]);
			cilkit_strcatf(r->expl[0], sizeof(r->expl[0]), "%s%s: %s",
			    r->expl[0][0] ? "\n" : "", tg[i].label, ex[0]);
		} else {
			snprintf(r->expl[1], sizeof(r->expl[1]), "%s", ex[1]);
			snprintf(r->expl[0], sizeof(r->expl[0]), "%s", ex[0]);
		}
		if (v.verdict != POLICY_ALLOW && r->detail[0] == '\0') {
			/* the direction that decided: a deny first */
			const struct policy_dir_result *d =
			    v.egress.verdict == POLICY_DENY ? &v.egress :
			    v.ingress.verdict == POLICY_DENY ? &v.ingress :
			    v.egress.verdict != POLICY_ALLOW ? &v.egress :
			    &v.ingress;
			int dir = d == &v.egress;

			cilkit_strcatf(r->detail, sizeof(r->detail), "%s%s%s: %s",
			    ntg > 1 ? tg[i].label : "", ntg > 1 ? " " : "",
			    dir ? "egress" : "ingress", ex[dir ? 1 : 0]);
		}
		if (v.verdict == POLICY_ALLOW && (v.ingress.reason ==
		    POLICY_R_ALLOWED_L7 || v.egress.reason ==
		    POLICY_R_ALLOWED_L7) && r->detail[0] == '\0') {
			const struct policy_dir_result *d =
			    v.ingress.reason == POLICY_R_ALLOWED_L7 ?
			    &v.ingress : &v.egress;

			snprintf(r->detail, sizeof(r->detail), "allowed at "
			    "L4, then subject to L7 rules: %s", d->l7);
		}
	}
	if (ndeny > 0)
		r->verdict = POLICY_DENY;
	else if (nunk > 0)
		r->verdict = POLICY_UNKNOWN;
	else
		r->verdict = POLICY_ALLOW;
	r->decided = r->verdict != POLICY_UNKNOWN;
	if (r->verdict == POLICY_ALLOW) {
		if (r->matched[0])
			add_step(r, "Policy check", ST_OK, "ALLOWED (matched "
			    "policy: %s)%s%s", r->matched, r->detail[0] ?
			    "; " : "", r->detail);
		else
			add_step(r, "Policy check", ST_OK, "ALLOWED (no policy "
			    "restricts it)");
	} else if (r->verdict == POLICY_DENY) {
		if (ntg > 1 && nallow > 0)
			add_step(r, "Policy check", ST_FAIL, "DENIED to %d of "
			    "%d targets (%s)", ndeny, ntg, r->detail);
		else
			add_step(r, "Policy check", ST_FAIL, "DENIED (%s)",
			    r->detail);
	} else {
		add_step(r, "Policy check", ST_INFO, "%s (%s)", strstr(r->detail,
		    "depends on DNS") != NULL ? "DEPENDS ON DNS AT RUN TIME" :
		    "UNDECIDED OFFLINE", r->detail);
	}
	/* live steps */
	if (t->offline) {
		add_step(r, c->proto == POLICY_ICMP ? "ICMP echo" :
		    c->proto == POLICY_UDP ? "UDP exchange" : c->proto ==
		    POLICY_SCTP ? "SCTP connection" : "TCP connection",
		    ST_SKIP, "skipped (offline: --manifests, no cluster)");
		add_step(r, "Hubble flow", ST_SKIP, "skipped (offline)");
	} else if (spod >= 0) {
		struct live_target lt;
		struct policy_pod_info pi;
		char dip[64] = "";

		memset(&lt, 0, sizeof(lt));
		lt.port = c->port;
		lt.proto = c->proto;
		lt.pod = tg[0].end.pod;
		lt.pod_port = tg[0].port;
		if (lt.pod >= 0) {
			policy_db_pod_info(db, lt.pod, &pi);
			lt.pod_ip = pi.ip;
		}
		if (svc >= 0 && si.cluster_ip != NULL)
			snprintf(dip, sizeof(dip), "%s", si.cluster_ip);
		else if (lt.pod_ip != NULL)
			snprintf(dip, sizeof(dip), "%s", lt.pod_ip);
		else if (tg[0].end.pod < 0)
			ip_str(tg[0].end.family, tg[0].end.ip, dip,
			    sizeof(dip));
		lt.ip = dip;
		tester_live_probe(t, spod, &lt, r);
	} else {
		add_step(r, "Probe", ST_SKIP, "skipped (the source is an "
		    "address, not a pod to run it in)");
	}
	r->observed_allow = r->probed ? r->probe_ok :
	    r->verdict == POLICY_ALLOW;
	if (c->expect == EXPECT_NONE)
		r->pass = r->probed ? r->probe_ok : r->verdict == POLICY_ALLOW;
	else if (!r->probed && !r->decided)
		r->pass = false;
	else
		r->pass = r->observed_allow == (c->expect == EXPECT_ALLOW);
	if (r->probed)
		snprintf(r->result, sizeof(r->result), "CONNECTION %s",
		    r->probe_ok ? "SUCCESSFUL" : "FAILED");
	else if (r->verdict == POLICY_UNKNOWN)
		snprintf(r->result, sizeof(r->result), "UNDECIDED OFFLINE "
		    "(%s)", strstr(r->detail, "depends on DNS") != NULL ?
		    "depends on DNS at run time" : "a rule is not evaluated "
		    "offline");
	else
		snprintf(r->result, sizeof(r->result), "CONNECTION %s BY "
		    "POLICY", r->verdict == POLICY_ALLOW ? "ALLOWED" :
		    "DENIED");
	if (c->expect != EXPECT_NONE)
		cilkit_strcatf(r->result, sizeof(r->result), " (expected %s: %s)",
		    c->expect == EXPECT_ALLOW ? "allow" : "deny",
		    r->pass ? "PASS" : "FAIL");
	return 0;
}

/* ------------------------------------------------------------------ */
/* output */

static const char *
sym(const struct tester *t, enum step_status s)
{
	if (t->utf8) {
		switch (s) {
		case ST_OK: return "\u2713";
		case ST_FAIL: return "\u2717";
		case ST_SKIP: return "-";
		case ST_INFO: return "?";
		}
	}
	switch (s) {
	case ST_OK: return "[ok]";
	case ST_FAIL: return "[FAIL]";
	case ST_SKIP: return "[skip]";
	case ST_INFO: return "[?]";
	}
	return "";
}

static const char *
status_name(enum step_status s)
{
	switch (s) {
	case ST_OK: return "ok";
	case ST_FAIL: return "fail";
	case ST_SKIP: return "skipped";
	case ST_INFO: return "info";
	}
	return "";
}

static void
print_indented(const char *label, const char *text)
{
	const char *p = text, *nl;
	char *s;

	printf("    %s:\n", label);
	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		s = strndup(p, (size_t)(nl - p));
		if (s != NULL) {
			char *safe = report_sanitize(s);

			printf("      %s\n", safe ? safe : "");
			free(safe);
			free(s);
		}
		p = *nl ? nl + 1 : nl;
	}
}

static void
print_text(const struct tester *t, const struct tresult *r)
{
	char *s;
	int i;

	s = report_sanitize(r->title);
	printf("Testing connectivity: %s\n", s ? s : "");
	free(s);
	for (i = 0; i < r->nsteps; i++) {
		s = report_sanitize(r->steps[i].text);
		printf("%s %s: %s\n", sym(t, r->steps[i].status),
		    r->steps[i].name, s ? s : "");
		free(s);
		if (t->verbose && strcmp(r->steps[i].name, "Policy check") ==
		    0) {
			print_indented("egress", r->expl[1]);
			print_indented("ingress", r->expl[0]);
		}
	}
	printf("Result: %s\n", r->result);
}

static const char *
verdict_name(int v)
{
	return v == POLICY_ALLOW ? "allow" : v == POLICY_DENY ? "deny" :
	    "unknown";
}

static struct json_object *
result_json(const struct tcase *c, const struct tresult *r)
{
	struct json_object *o = json_object_new_object(), *steps, *st;
	int i;

	if (o == NULL)
		return NULL;
	if (c->name != NULL)
		report_json_add_str(o, "name", c->name);
	report_json_add_str(o, "from", c->from);
	report_json_add_str(o, "to", c->to);
	if (c->proto != POLICY_ICMP)
		report_json_add_int(o, "port", c->port);
	report_json_add_str(o, "protocol", policy_proto_name(c->proto));
	if (r->error[0]) {
		report_json_add_str(o, "error", r->error);
		report_json_add_bool(o, "pass", false);
		return o;
	}
	report_json_add_str(o, "verdict", verdict_name(r->verdict));
	report_json_add_str(o, "matched", r->matched[0] ? r->matched : NULL);
	report_json_add_str(o, "egress", r->expl[1]);
	report_json_add_str(o, "ingress", r->expl[0]);
	steps = json_object_new_array();
	for (i = 0; steps != NULL && i < r->nsteps; i++) {
		st = json_object_new_object();
		if (st == NULL)
			break;
		report_json_add_str(st, "step", r->steps[i].name);
		report_json_add_str(st, "status",
		    status_name(r->steps[i].status));
		report_json_add_str(st, "text", r->steps[i].text);
		report_json_append(steps, st);
	}
	report_json_add(o, "steps", steps);
	if (r->probed)
		report_json_add_bool(o, "connected", r->probe_ok);
	if (c->expect != EXPECT_NONE)
		report_json_add_str(o, "expect", c->expect == EXPECT_ALLOW ?
		    "allow" : "deny");
	report_json_add_str(o, "result", r->result);
	report_json_add_bool(o, "pass", r->pass);
	return o;
}

static int
xml_put(FILE *fp, const char *s)
{
	return report_html_fputs(fp, s ? s : "");
}

/* JUnit XML (the schema Jenkins/GitLab read). */
static int
write_junit(const char *path, const struct tcase *cs,
    const struct tresult *rs, size_t n, char *eb, size_t el)
{
	FILE *fp = fopen(path, "w");
	size_t i, fail = 0, skip = 0;

	if (fp == NULL)
		return cilkit_fail(eb, el, CILKIT_EIO, "%s: %s", path,
		    strerror(errno));
	for (i = 0; i < n; i++) {
		if (!rs[i].error[0] && cs[i].expect == EXPECT_NONE)
			skip++;
		else if (!rs[i].pass)
			fail++;
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp, "<testsuites>\n<testsuite name=\"policy-tester\" "
	    "tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
	    n, fail, skip);
	for (i = 0; i < n; i++) {
		fprintf(fp, "  <testcase classname=\"policy-tester\" name=\"");
		xml_put(fp, cs[i].name ? cs[i].name : rs[i].title);
		fprintf(fp, "\">");
		if (rs[i].error[0]) {
			fprintf(fp, "<failure message=\"");
			xml_put(fp, rs[i].error);
			fprintf(fp, "\"/>");
		} else if (cs[i].expect == EXPECT_NONE) {
			fprintf(fp, "<skipped message=\"no expect\"/>");
		} else if (!rs[i].pass) {
			int k;

			fprintf(fp, "<failure message=\"");
			xml_put(fp, rs[i].result);
			fprintf(fp, "\">");
			for (k = 0; k < rs[i].nsteps; k++) {
				xml_put(fp, rs[i].steps[k].name);
				fprintf(fp, ": ");
				xml_put(fp, rs[i].steps[k].text);
				fprintf(fp, "\n");
			}
			fprintf(fp, "</failure>");
		}
		fprintf(fp, "</testcase>\n");
	}
	fprintf(fp, "</testsuite>\n</testsuites>\n");
	if (ferror(fp) | (fclose(fp) != 0))
		return cilkit_fail(eb, el, CILKIT_EIO, "%s: write failed",
		    path);
	return 0;
}

int
tester_run_one(struct tester *t, const struct tcase *c)
{
	struct tresult *r = malloc(sizeof(*r));
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	if (r == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (tester_check(t, c, r) < 0) {
		cli_warnx("%s", r->error);
		free(r);
		return CILKIT_EXIT_USAGE;
	}
	if (t->json) {
		struct json_object *o = result_json(c, r);

		if (o == NULL || report_json_print(stdout, o, true, eb,
		    sizeof(eb)) < 0)
			cli_warnx("cannot write JSON");
		json_object_put(o);
	} else {
		print_text(t, r);
	}
	rc = r->pass ? CILKIT_EXIT_OK : CILKIT_EXIT_PROBLEM;
	if (t->junit != NULL && write_junit(t->junit, c, r, 1, eb,
	    sizeof(eb)) < 0) {
		cli_warnx("%s", eb);
		rc = CILKIT_EXIT_IO;
	}
	free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* suites */

static const char *
case_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return "";
}

static int
parse_case(struct json_object *o, size_t i, const char *path,
    struct tcase *c, char *eb, size_t el)
{
	const char *s;

	memset(c, 0, sizeof(*c));
	if (!json_object_is_type(o, json_type_object))
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case %zu: not "
		    "a map", path, i + 1);
	c->name = case_str(o, "name");
	c->from = case_str(o, "from");
	c->to = case_str(o, "to");
	if (c->from == NULL || c->to == NULL || !c->from[0] || !c->to[0])
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case %zu: from "
		    "and to are required", path, i + 1);
	s = case_str(o, "protocol");
	c->proto = s ? policy_proto_parse(s) : POLICY_TCP;
	if (c->proto < 0 || c->proto == POLICY_ICMPV6)
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case %zu: "
		    "unknown protocol \"%s\"", path, i + 1, s);
	s = case_str(o, "port");
	if (s != NULL) {
		uint64_t v;
		const char *es;

		if (cli_parse_u64(s, 1, 65535, &v, &es) < 0)
			return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case "
			    "%zu: port \"%s\" is %s", path, i + 1, s, es);
		c->port = (int)v;
	} else if (c->proto != POLICY_ICMP) {
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case %zu: port "
		    "is required for %s", path, i + 1,
		    policy_proto_name(c->proto));
	}
	s = case_str(o, "expect");
	if (s != NULL) {
		if (strcmp(s, "allow") == 0)
			c->expect = EXPECT_ALLOW;
		else if (strcmp(s, "deny") == 0)
			c->expect = EXPECT_DENY;
		else
			return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: case "
			    "%zu: expect must be allow or deny", path, i + 1);
	}
	return 0;
}

int
tester_run_suite(struct tester *t, const char *path)
{
	struct json_object **docs = NULL, *list;
	struct tcase *cs = NULL;
	struct tresult *rs = NULL;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t n, i, passed = 0, failed = 0, noexp = 0;
	int nd, rc = CILKIT_EXIT_OK;

	nd = kube_yaml_load_file(path, &docs, eb, sizeof(eb));
	if (nd < 0)
		cli_errx(nd == CILKIT_EIO || nd == CILKIT_ENOTFOUND ?
		    CILKIT_EXIT_IO : CILKIT_EXIT_USAGE, "%s", eb);
	if (nd == 0)
		cli_errx(CILKIT_EXIT_USAGE, "%s: empty suite", path);
	list = docs[0];
	if (json_object_is_type(list, json_type_object)) {
		struct json_object *v = NULL;

		if (!json_object_object_get_ex(list, "cases", &v) &&
		    !json_object_object_get_ex(list, "tests", &v))
			v = NULL;
		list = v;
	}
	if (!json_object_is_type(list, json_type_array))
		cli_errx(CILKIT_EXIT_USAGE, "%s: expected a list of cases "
		    "(or a map with \"cases\")", path);
	n = json_object_array_length(list);
	if (n == 0 || n > MAX_CASES)
		cli_errx(CILKIT_EXIT_USAGE, "%s: %zu cases (1..%d allowed)",
		    path, n, MAX_CASES);
	cs = calloc(n, sizeof(*cs));
	rs = calloc(n, sizeof(*rs));
	if (cs == NULL || rs == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	for (i = 0; i < n; i++)
		if (parse_case(json_object_array_get_idx(list, i), i, path,
		    &cs[i], eb, sizeof(eb)) < 0)
			cli_errx(CILKIT_EXIT_USAGE, "%s", eb);
	for (i = 0; i < n; i++) {
		tester_check(t, &cs[i], &rs[i]);
		if (rs[i].error[0] || (cs[i].expect != EXPECT_NONE &&
		    !rs[i].pass))
			failed++;
		else if (cs[i].expect == EXPECT_NONE)
			noexp++;
		else
			passed++;
	}
	if (t->json) {
		struct json_object *o = json_object_new_object();
		struct json_object *arr = json_object_new_array();

		for (i = 0; arr != NULL && i < n; i++)
			report_json_append(arr, result_json(&cs[i], &rs[i]));
		report_json_add(o, "cases", arr);
		report_json_add_uint(o, "passed", passed);
		report_json_add_uint(o, "failed", failed);
		report_json_add_uint(o, "unchecked", noexp);
		if (report_json_print(stdout, o, true, eb, sizeof(eb)) < 0)
			cli_warnx("%s", eb);
		json_object_put(o);
	} else {
		struct report_table *tb = report_table_new(8);
		static const char *hdr[] = { "#", "NAME", "FROM", "TO",
			"PORT", "EXPECT", "VERDICT", "RESULT" };
		size_t k;

		if (tb == NULL)
			cli_errx(CILKIT_EXIT_IO, "out of memory");
		report_table_set_ascii(tb, !t->utf8);
		for (k = 0; k < 8; k++)
			report_table_column(tb, k, hdr[k], k == 0 || k == 4 ?
			    REPORT_ALIGN_RIGHT : REPORT_ALIGN_LEFT, k == 1 ? 40 :
			    k == 2 || k == 3 ? 48 : 0);
		for (i = 0; i < n; i++) {
			char num[16], port[32];
			const char *cells[8];

			snprintf(num, sizeof(num), "%zu", i + 1);
			if (cs[i].proto == POLICY_ICMP)
				snprintf(port, sizeof(port), "ICMP");
			else
				snprintf(port, sizeof(port), "%d/%s",
				    cs[i].port, policy_proto_name(cs[i].proto));
			cells[0] = num;
			cells[1] = cs[i].name ? cs[i].name : "";
			cells[2] = cs[i].from;
			cells[3] = cs[i].to;
			cells[4] = port;
			cells[5] = cs[i].expect == EXPECT_ALLOW ? "allow" :
			    cs[i].expect == EXPECT_DENY ? "deny" : "-";
			cells[6] = rs[i].error[0] ? "error" :
			    rs[i].probed ? (rs[i].probe_ok ? "connected" :
			    "failed") : verdict_name(rs[i].verdict);
			cells[7] = rs[i].error[0] || (cs[i].expect !=
			    EXPECT_NONE && !rs[i].pass) ? "FAIL" :
			    cs[i].expect == EXPECT_NONE ? "-" : "PASS";
			report_table_add_row(tb, cells);
		}
		report_table_print(tb, stdout, NULL);
		report_table_free(tb);
		for (i = 0; i < n; i++) {
			if (rs[i].error[0])
				printf("case %zu: error: %s\n", i + 1,
				    rs[i].error);
			else if (t->verbose || (cs[i].expect != EXPECT_NONE &&
			    !rs[i].pass))
				printf("case %zu: %s%s%s\n", i + 1,
				    rs[i].result, rs[i].detail[0] ? ": " : "",
				    rs[i].detail);
		}
		printf("%zu passed, %zu failed, %zu without expectation\n",
		    passed, failed, noexp);
	}
	if (failed > 0)
		rc = CILKIT_EXIT_PROBLEM;
	if (t->junit != NULL && write_junit(t->junit, cs, rs, n, eb,
	    sizeof(eb)) < 0) {
		cli_warnx("%s", eb);
		rc = CILKIT_EXIT_IO;
	}
	free(cs);
	free(rs);
	kube_yaml_free_docs(docs, nd);
	return rc;
}
