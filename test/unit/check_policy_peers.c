/*
 * check_policy_peers.c - the policy engine against the peer suites in
 * $SHARED_DATA/policy-cases (read in place, never copied):
 *
 *  - cilium-connectivity: 17 scenarios transcribed from the upstream
 *    `cilium connectivity test` (verdict, direction and deny kind);
 *  - cilium-docs-deny-matrix: the deny table of the Cilium docs
 *    (verdict, deny kind, deciding policy);
 *  - cyclonus: ingress, egress and combined truth tables per port;
 *  - netpol-analyzer explain files: per pair and port set, the verdict
 *    and the deciding policy and rule of each direction;
 *  - netpol-analyzer pod-level connection maps (every ordered pod pair).
 *
 * (The netpol-analyzer connlist outputs are compared line by line by
 * test/integ/policy_connlist.sh through the program.)
 *
 * Every suite must agree 100%; a known, explained disagreement would be
 * listed in the table `known` below with its semantic reason (there is
 * none at present).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_yaml.h"
#include "policy.h"

static const char *
data_dir(void)
{
	const char *d = getenv("SHARED_DATA");

	return d != NULL ? d : "../shared/data";
}

static char *
path_join(const char *a, const char *b)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

static struct json_object **
load_docs(const char *path, int *n)
{
	struct json_object **docs = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "";

	*n = kube_yaml_load_file(path, &docs, eb, sizeof(eb));
	ck_assert_msg(*n >= 0, "%s: %s", path, eb);
	return docs;
}

static const char *
js(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static int
ji(struct json_object *o, const char *k, int dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return dflt;
	return json_object_get_int(v);
}

/* Add every object of a manifest, namespaced ones into ns if unset. */
static void
add_manifest(struct policy_db *db, const char *path, const char *ns)
{
	struct json_object **docs;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int n, i;

	docs = load_docs(path, &n);
	for (i = 0; i < n; i++) {
		struct json_object *md;
		const char *kind = js(docs[i], "kind");

		if (ns != NULL && kind != NULL &&
		    strcmp(kind, "CiliumClusterwideNetworkPolicy") != 0 &&
		    json_object_object_get_ex(docs[i], "metadata", &md) &&
		    js(md, "namespace") == NULL)
			json_object_object_add(md, "namespace",
			    json_object_new_string(ns));
		ck_assert_msg(policy_db_add_object(db, docs[i], path, eb,
		    sizeof(eb)) >= 0, "%s", eb);
	}
	kube_yaml_free_docs(docs, n);
}

static int
pod_of(struct policy_db *db, const char *nsname)
{
	char ns[256];
	const char *slash = strchr(nsname, '/');
	int p;

	ck_assert_ptr_nonnull(slash);
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - nsname), nsname);
	p = policy_db_find_pod(db, ns, slash + 1);
	ck_assert_msg(p >= 0, "pod %s not found", nsname);
	return p;
}

/*
 * Check one cilium-style row.  Returns 1 on agreement; on disagreement
 * prints why and returns 0.
 */
static int
check_row(struct policy_db *db, struct json_object *row, const char *suite)
{
	const char *src = js(row, "src"), *dst = js(row, "dst");
	const char *proto = js(row, "protocol"), *expect = js(row, "expect");
	const char *at = js(row, "denied_at"), *kind = js(row, "deny_kind");
	const char *by = js(row, "decided_by");
	struct policy_query q;
	struct policy_verdict v;
	const struct policy_dir_result *d = NULL;
	char eb[CILKIT_ERRBUF_SIZE];
	int ok = 1, i;

	memset(&q, 0, sizeof(q));
	q.src.pod = pod_of(db, src);
	q.dst.pod = pod_of(db, dst);
	q.proto = policy_proto_parse(proto);
	q.port = ji(row, "port", 0);
	q.icmp_type = ji(row, "icmp_type", 8);
	ck_assert_int_eq(policy_evaluate(db, &q, &v, eb, sizeof(eb)), 0);
	if ((strcmp(expect, "allow") == 0) != (v.verdict == POLICY_ALLOW))
		ok = 0;
	if (ok && strcmp(expect, "deny") == 0) {
		if (at != NULL && strcmp(at, "ingress") == 0)
			d = &v.ingress;
		else if (at != NULL && strcmp(at, "egress") == 0)
			d = &v.egress;
		if (d != NULL && d->verdict != POLICY_DENY)
			ok = 0;
		if (d != NULL && kind != NULL && strcmp(kind,
		    "default-deny") == 0 && d->reason != POLICY_R_DEFAULT_DENY)
			ok = 0;
		if (d != NULL && kind != NULL && strcmp(kind,
		    "explicit-deny") == 0 && d->reason != POLICY_R_DENIED)
			ok = 0;
		if (ok && d != NULL && by != NULL) {
			bool found = false;

			for (i = 0; i < d->nrefs; i++)
				found |= strcmp(d->refs[i].name, by) == 0;
			ok = found;
		}
	}
	if (!ok)
		printf("DISAGREE %s: %s -> %s %s/%d: expected %s%s%s, got "
		    "%s (egress %d/%d, ingress %d/%d)\n", suite, src, dst,
		    proto, q.port, expect, at ? " at " : "", at ? at : "",
		    v.verdict == POLICY_ALLOW ? "allow" : v.verdict ==
		    POLICY_DENY ? "deny" : "unknown", v.egress.verdict,
		    v.egress.reason, v.ingress.verdict, v.ingress.reason);
	return ok;
}

static const char *const scenarios[] = {
	"all-egress-deny", "all-entities-deny", "all-ingress-deny",
	"allow-all-except-world", "client-egress", "client-egress-knp",
	"client-egress-to-echo-deny",
	"client-egress-to-echo-service-account", "client-ingress",
	"client-ingress-icmp", "client-with-service-account-egress-to-echo-deny",
	"cluster-entity", "echo-ingress", "echo-ingress-from-other-client-deny",
	"echo-ingress-knp", "echo-ingress-l7", "no-policies",
};

START_TEST(test_cilium_connectivity)
{
	char *base = path_join(data_dir(), "policy-cases/cilium-connectivity");
	int total = 0, agree = 0;
	size_t s;

	for (s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		struct policy_db *db;
		struct json_object **docs, *pols, *cases;
		char eb[CILKIT_ERRBUF_SIZE] = "", rel[256];
		char *p;
		int n;
		size_t i;

		snprintf(rel, sizeof(rel), "scenarios/%s.yaml", scenarios[s]);
		p = path_join(base, rel);
		docs = load_docs(p, &n);
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(policy_db_new(&db, NULL, eb, sizeof(eb)), 0);
		free(p);
		p = path_join(base, "pods.yaml");
		add_manifest(db, p, NULL);
		free(p);
		json_object_object_get_ex(docs[0], "policies", &pols);
		for (i = 0; pols != NULL &&
		    i < json_object_array_length(pols); i++) {
			p = path_join(base, json_object_get_string(
			    json_object_array_get_idx(pols, i)));
			add_manifest(db, p, js(docs[0], "policy_namespace"));
			free(p);
		}
		ck_assert_msg(policy_db_finalize(db, eb, sizeof(eb)) == 0,
		    "%s", eb);
		ck_assert(json_object_object_get_ex(docs[0], "cases", &cases));
		for (i = 0; i < json_object_array_length(cases); i++) {
			total++;
			agree += check_row(db, json_object_array_get_idx(cases,
			    i), scenarios[s]);
		}
		policy_db_free(db);
		kube_yaml_free_docs(docs, n);
	}
	printf("cilium-connectivity: %d/%d rows agree\n", agree, total);
	ck_assert_int_eq(total, 127);
	ck_assert_int_eq(agree, total);
	free(base);
}
END_TEST

START_TEST(test_deny_matrix)
{
	char *base = path_join(data_dir(), "policy-cases/cilium-docs-deny-matrix");
	char *p = path_join(base, "expected.yaml");
	struct json_object **docs, *cols;
	int n, total = 0, agree = 0;
	size_t c, i;

	docs = load_docs(p, &n);
	free(p);
	ck_assert(json_object_object_get_ex(docs[0], "columns", &cols));
	for (c = 0; c < json_object_array_length(cols); c++) {
		struct json_object *col = json_object_array_get_idx(cols, c);
		struct json_object *pols, *cases;
		struct policy_db *db;
		char eb[CILKIT_ERRBUF_SIZE] = "";

		ck_assert_int_eq(policy_db_new(&db, NULL, eb, sizeof(eb)), 0);
		p = path_join(base, "pods.yaml");
		add_manifest(db, p, NULL);
		free(p);
		json_object_object_get_ex(col, "policies", &pols);
		for (i = 0; i < json_object_array_length(pols); i++) {
			p = path_join(base, json_object_get_string(
			    json_object_array_get_idx(pols, i)));
			add_manifest(db, p, "default");
			free(p);
		}
		ck_assert_int_eq(policy_db_finalize(db, eb, sizeof(eb)), 0);
		json_object_object_get_ex(col, "cases", &cases);
		for (i = 0; i < json_object_array_length(cases); i++) {
			total++;
			agree += check_row(db, json_object_array_get_idx(cases,
			    i), js(col, "name"));
		}
		policy_db_free(db);
	}
	kube_yaml_free_docs(docs, n);
	free(base);
	printf("cilium-docs-deny-matrix: %d/%d rows agree\n", agree, total);
	ck_assert_int_eq(total, 15);
	ck_assert_int_eq(agree, total);
}
END_TEST

/* ------------------------------------------------------------------ */
/* cyclonus */

static void
cyclonus_db(struct policy_db **dbp, char **names, int *npods)
{
	static const char *const pols[] = { "allow-by-ip",
		"allow-label-to-label", "deny-all", "allow-all-egress-by-label",
		"deny-all-for-label", "deny-all-egress", "allow-all-for-label" };
	struct policy_opts po;
	struct policy_db *db;
	struct json_object *probe, *res, *nss, *pods;
	char eb[CILKIT_ERRBUF_SIZE] = "", rel[256];
	char *base = path_join(data_dir(), "policy-cases/cyclonus");
	char *p = path_join(base, "examples/probe.json");
	size_t i, j;

	memset(&po, 0, sizeof(po));
	po.k8s_semantics = true;
	po.ipblock = POLICY_IPBLOCK_K8S;
	po.self_subject = true;
	ck_assert_int_eq(policy_db_new(&db, &po, eb, sizeof(eb)), 0);
	probe = json_object_from_file(p);
	ck_assert_ptr_nonnull(probe);
	free(p);
	ck_assert(json_object_object_get_ex(probe, "Resources", &res));
	ck_assert(json_object_object_get_ex(res, "Namespaces", &nss));
	json_object_object_foreach(nss, nsname, labels) {
		struct json_object *o = json_object_new_object();
		struct json_object *md = json_object_new_object();

		json_object_object_add(o, "kind",
		    json_object_new_string("Namespace"));
		json_object_object_add(md, "name",
		    json_object_new_string(nsname));
		json_object_object_add(md, "labels", json_object_get(labels));
		json_object_object_add(o, "metadata", md);
		ck_assert_int_ge(policy_db_add_object(db, o, "probe.json", eb,
		    sizeof(eb)), 0);
		json_object_put(o);
	}
	ck_assert(json_object_object_get_ex(res, "Pods", &pods));
	*npods = (int)json_object_array_length(pods);
	for (i = 0; i < json_object_array_length(pods); i++) {
		struct json_object *x = json_object_array_get_idx(pods, i);
		struct json_object *o = json_object_new_object();
		struct json_object *md = json_object_new_object();
		struct json_object *spec = json_object_new_object();
		struct json_object *st = json_object_new_object();
		struct json_object *cs = json_object_new_array(), *conts, *lab;

		json_object_object_add(o, "kind", json_object_new_string("Pod"));
		json_object_object_add(md, "name",
		    json_object_new_string(js(x, "Name")));
		json_object_object_add(md, "namespace",
		    json_object_new_string(js(x, "Namespace")));
		json_object_object_get_ex(x, "Labels", &lab);
		json_object_object_add(md, "labels", json_object_get(lab));
		json_object_object_get_ex(x, "Containers", &conts);
		for (j = 0; j < json_object_array_length(conts); j++) {
			struct json_object *c = json_object_array_get_idx(conts,
			    j);
			struct json_object *cc = json_object_new_object();
			struct json_object *ports = json_object_new_array();
			struct json_object *cp = json_object_new_object();
			char up[16];
			size_t k;

			snprintf(up, sizeof(up), "%s", js(c, "Protocol"));
			for (k = 0; up[k]; k++)
				up[k] = (char)toupper((unsigned char)up[k]);
			json_object_object_add(cp, "name",
			    json_object_new_string(js(c, "PortName")));
			json_object_object_add(cp, "containerPort",
			    json_object_new_int(ji(c, "Port", 0)));
			json_object_object_add(cp, "protocol",
			    json_object_new_string(up));
			json_object_array_add(ports, cp);
			json_object_object_add(cc, "name",
			    json_object_new_string(js(c, "Name")));
			json_object_object_add(cc, "ports", ports);
			json_object_array_add(cs, cc);
		}
		json_object_object_add(spec, "containers", cs);
		json_object_object_add(st, "podIP",
		    json_object_new_string(js(x, "IP")));
		json_object_object_add(o, "metadata", md);
		json_object_object_add(o, "spec", spec);
		json_object_object_add(o, "status", st);
		ck_assert_int_ge(policy_db_add_object(db, o, "probe.json", eb,
		    sizeof(eb)), 0);
		snprintf(rel, sizeof(rel), "%s/%s", js(x, "Namespace"),
		    js(x, "Name"));
		names[i] = strdup(rel);
		json_object_put(o);
	}
	json_object_put(probe);
	for (i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		snprintf(rel, sizeof(rel), "networkpolicies/simple-example/%s."
		    "yaml", pols[i]);
		p = path_join(base, rel);
		add_manifest(db, p, NULL);
		free(p);
	}
	free(base);
	ck_assert_int_eq(policy_db_finalize(db, eb, sizeof(eb)), 0);
	*dbp = db;
}

START_TEST(test_cyclonus)
{
	static const int ports[] = { 80, 81, 82 };
	struct policy_db *db;
	char *names[16], line[512];
	char *p = path_join(data_dir(),
	    "policy-cases/cyclonus/examples/cyclonus-output/analyze-probe.txt");
	FILE *fp = fopen(p, "r");
	int npods, probe = -1, table = -1, row = 0, total = 0, agree = 0, i;
	int skipped = 0;

	ck_assert_ptr_nonnull(fp);
	cyclonus_db(&db, names, &npods);
	ck_assert_int_eq(npods, 9);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char cells[16][16], src[64];
		char *tok, *save = NULL;
		int nc = 0;

		if (strncmp(line, "Ingress:", 8) == 0) {
			table = 0;
			probe++;
			row = 0;
			continue;
		}
		if (strncmp(line, "Egress:", 7) == 0) {
			table = 1;
			row = 0;
			continue;
		}
		if (strncmp(line, "Combined:", 9) == 0) {
			table = 2;
			row = 0;
			continue;
		}
		if (line[0] != '|' || strstr(line, "X/A") != NULL)
			continue;
		for (tok = strtok_r(line, "|\n", &save); tok != NULL && nc < 16;
		    tok = strtok_r(NULL, "|\n", &save)) {
			char *s = tok;

			while (*s == ' ')
				s++;
			snprintf(cells[nc], sizeof(cells[nc]), "%s", s);
			for (i = (int)strlen(cells[nc]) - 1; i >= 0 &&
			    cells[nc][i] == ' '; i--)
				cells[nc][i] = '\0';
			nc++;
		}
		if (nc != 10 || probe < 0 || probe > 2)
			continue;
		snprintf(src, sizeof(src), "%s", cells[0]);
		ck_assert_str_eq(src, names[row]);
		for (i = 0; i < 9; i++) {
			struct policy_query q;
			struct policy_verdict v;
			char eb[CILKIT_ERRBUF_SIZE];
			int got;
			bool want = strcmp(cells[i + 1], ".") == 0;

			/* "N": no server on that port, "?": not probed */
			if (!want && strcmp(cells[i + 1], "X") != 0) {
				skipped++;
				continue;
			}
			memset(&q, 0, sizeof(q));
			q.src.pod = row;
			q.dst.pod = i;
			q.proto = POLICY_TCP;
			q.port = ports[probe];
			ck_assert_int_eq(policy_evaluate(db, &q, &v, eb,
			    sizeof(eb)), 0);
			got = table == 0 ? v.ingress.verdict : table == 1 ?
			    v.egress.verdict : v.verdict;
			total++;
			if ((got == POLICY_ALLOW) == want)
				agree++;
			else
				printf("DISAGREE cyclonus TCP/%d %s %s -> %s: "
				    "expected %s\n", ports[probe], table == 0 ?
				    "ingress" : table == 1 ? "egress" :
				    "combined", names[row], names[i], want ?
				    "allow" : "block");
		}
		row++;
	}
	fclose(fp);
	free(p);
	for (i = 0; i < npods; i++)
		free(names[i]);
	policy_db_free(db);
	printf("cyclonus: %d/%d cells agree (%d cells are not policy "
	    "verdicts: N = no server on the port, ? = not probed)\n", agree,
	    total, skipped);
	ck_assert_int_eq(total + skipped, 3 * 3 * 81);
	ck_assert_int_eq(total, 2 * 3 * 81);
	ck_assert_int_eq(agree, total);
}
END_TEST

/* ------------------------------------------------------------------ */
/* netpol-analyzer explain files */

static const char *const explain_cases[] = { "acs-security-demos",
	"ipblockstest", "multiple_topology_resources_2",
	"netpol_named_port_test", "new_online_boutique", "onlineboutique" };

/* End from "ns/name[Kind]" or "A.B.C.D-E.F.G.H[External]". */
static int
explain_end(struct policy_db *db, const char *s, struct policy_end *e)
{
	size_t i, n = policy_db_npods(db);
	char ip[64];

	memset(e, 0, sizeof(*e));
	if (strstr(s, "[External]") != NULL) {
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(s, "-"), s);
		e->pod = -1;
		return policy_parse_ip(ip, &e->family, e->ip);
	}
	for (i = 0; i < n; i++) {
		struct policy_pod_info pi;

		policy_db_pod_info(db, (int)i, &pi);
		if (strcmp(pi.workload, s) == 0) {
			e->pod = (int)i;
			return 0;
		}
	}
	return -1;
}

/* First (protocol, port) of a set like "TCP:[1-52,54-65535], UDP". */
static void
sample_conn(const char *set, struct policy_query *q)
{
	const char *b;

	q->proto = strncmp(set, "UDP", 3) == 0 ? POLICY_UDP :
	    strncmp(set, "SCTP", 4) == 0 ? POLICY_SCTP : POLICY_TCP;
	b = strchr(set, '[');
	q->port = 1;
	if (b != NULL && (size_t)(b - set) < strcspn(set, ","))
		q->port = atoi(b + 1);
}

static bool
has_ref(const struct policy_dir_result *d, const char *nsname, int rule,
    bool isolating)
{
	const struct policy_ref *refs = isolating ? d->isolating : d->refs;
	int n = isolating ? d->nisolating : d->nrefs, i;
	char buf[512];

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", refs[i].ns, refs[i].name);
		if (strcmp(buf, nsname) == 0 && (rule == 0 ||
		    refs[i].rule == rule))
			return true;
	}
	return false;
}

START_TEST(test_netpol_explain)
{
	const char *cname = explain_cases[_i];
	char *base = path_join(data_dir(), "policy-cases/netpol-analyzer");
	char rel[512], line[4096], eb[CILKIT_ERRBUF_SIZE] = "";
	struct policy_opts po;
	struct policy_db *db;
	struct policy_query q;
	struct policy_verdict v;
	const struct policy_dir_result *dr = NULL;
	bool have = false, pair_ok = false;
	int total = 0, agree = 0;
	char *p;
	FILE *fp;

	memset(&po, 0, sizeof(po));
	po.k8s_semantics = true;	/* as netpol-analyzer reads K8s NP */
	ck_assert_int_eq(policy_db_new(&db, &po, eb, sizeof(eb)), 0);
	snprintf(rel, sizeof(rel), "tests/%s", cname);
	p = path_join(base, rel);
	ck_assert_msg(policy_db_load_path(db, p, eb, sizeof(eb)) >= 0, "%s",
	    eb);
	free(p);
	ck_assert_int_eq(policy_db_finalize(db, eb, sizeof(eb)), 0);
	snprintf(rel, sizeof(rel), "test_outputs/connlist/%s_explain_output."
	    "txt", cname);
	p = path_join(base, rel);
	fp = fopen(p, "r");
	ck_assert_ptr_nonnull(fp);
	memset(&q, 0, sizeof(q));
	while (fgets(line, sizeof(line), fp) != NULL) {
		char a[1024], b[1024], *arrow, *t = line;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Connections between ", 20) == 0) {
			arrow = strstr(line, " => ");
			ck_assert_ptr_nonnull(arrow);
			snprintf(a, sizeof(a), "%.*s", (int)(arrow - line - 20),
			    line + 20);
			snprintf(b, sizeof(b), "%s", arrow + 4);
			b[strlen(b) - 1] = '\0';	/* the ':' */
			have = false;
			if (a[0] == '{') {
				/* Ingress/Route analysis: out of scope */
				pair_ok = false;
				continue;
			}
			pair_ok = explain_end(db, a, &q.src) == 0 &&
			    explain_end(db, b, &q.dst) == 0;
			ck_assert_msg(pair_ok, "%s: cannot map %s => %s",
			    cname, a, b);
			have = false;
			continue;
		}
		while (*t == '\t')
			t++;
		if (!pair_ok)
			continue;
		if (line[0] == '\t' && (strncmp(t, "Allowed ", 8) == 0 ||
		    strncmp(t, "Denied ", 7) == 0)) {
			bool want = t[0] == 'A';

			sample_conn(strchr(t, ' ') + 1, &q);
			ck_assert_int_eq(policy_evaluate(db, &q, &v, eb,
			    sizeof(eb)), 0);
			total++;
			if ((v.verdict == POLICY_ALLOW) == want)
				agree++;
			else
				printf("DISAGREE %s: %s\n", cname, line);
			have = true;
			continue;
		}
		if (!have)
			continue;
		if (strncmp(t, "Egress (", 8) == 0 ||
		    strncmp(t, "Ingress (", 9) == 0) {
			bool eg = t[0] == 'E';
			bool allowed = strstr(t, "(Allowed)") != NULL;

			dr = eg ? &v.egress : &v.ingress;
			total++;
			if ((dr->verdict == POLICY_ALLOW) == allowed &&
			    (strstr(t, "system default") == NULL ||
			    dr->reason == POLICY_R_NOT_SELECTED ||
			    dr->reason == POLICY_R_NOT_MANAGED))
				agree++;
			else
				printf("DISAGREE %s: %s (got verdict %d reason "
				    "%d)\n", cname, line, dr->verdict,
				    dr->reason);
			continue;
		}
		if (strncmp(t, "NetworkPolicy '", 15) == 0 && dr != NULL) {
			char nsname[512];
			const char *r;
			int rule = 0;
			bool ok;

			snprintf(nsname, sizeof(nsname), "%.*s",
			    (int)strcspn(t + 15, "'"), t + 15);
			r = strstr(t, " rule #");
			if (r != NULL)
				rule = atoi(r + 7);
			total++;
			if (strstr(t, "allows connections by") != NULL)
				ok = has_ref(dr, nsname, rule, false);
			else
				ok = dr->reason == POLICY_R_DEFAULT_DENY &&
				    has_ref(dr, nsname, 0, true);
			if (ok)
				agree++;
			else
				printf("DISAGREE %s: %s\n", cname, line);
		}
	}
	fclose(fp);
	free(p);
	free(base);
	policy_db_free(db);
	printf("netpol-analyzer explain %s: %d/%d lines agree\n", cname,
	    agree, total);
	ck_assert_int_gt(total, 0);
	ck_assert_int_eq(agree, total);
}
END_TEST

/*
 * netpol-analyzer's pod-level maps: every ordered pod pair, self pairs
 * and denied pairs included ("No Connections"); the with_replicas map
 * is a boolean for TCP port 80 (README section 1).
 */
static const struct {
	const char *dir, *map;
	int lines;
} maps[] = {
	{ "onlineboutique", "connections_map_output.txt", 144 },
	{ "onlineboutique_with_replicas",
	  "connections_map_with_replicas_output.txt", 196 },
};

START_TEST(test_netpol_podmap)
{
	char *base = path_join(data_dir(), "policy-cases/netpol-analyzer/tests");
	char *dir = path_join(base, maps[_i].dir), *p;
	char line[1024], eb[CILKIT_ERRBUF_SIZE] = "";
	struct policy_opts po;
	struct policy_db *db;
	int total = 0, agree = 0;
	FILE *fp;

	memset(&po, 0, sizeof(po));
	po.k8s_semantics = true;
	ck_assert_int_eq(policy_db_new(&db, &po, eb, sizeof(eb)), 0);
	ck_assert_msg(policy_db_load_path(db, dir, eb, sizeof(eb)) >= 0, "%s",
	    eb);
	ck_assert_int_eq(policy_db_finalize(db, eb, sizeof(eb)), 0);
	p = path_join(dir, maps[_i].map);
	fp = fopen(p, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char src[256], dst[256], conns[512], got[512];
		struct policy_end s, d;
		char *c1, *c2, *c3;

		line[strcspn(line, "\n")] = '\0';
		c1 = strstr(line, "src: ");
		c2 = strstr(line, ", dest: ");
		c3 = strstr(line, ", allowed conns: ");
		if (c1 == NULL || c2 == NULL || c3 == NULL)
			continue;
		snprintf(src, sizeof(src), "%.*s", (int)(c2 - c1 - 5), c1 + 5);
		snprintf(dst, sizeof(dst), "%.*s", (int)(c3 - c2 - 8), c2 + 8);
		snprintf(conns, sizeof(conns), "%s", c3 + 17);
		memset(&s, 0, sizeof(s));
		memset(&d, 0, sizeof(d));
		s.pod = pod_of(db, src);
		d.pod = pod_of(db, dst);
		total++;
		if (strcmp(conns, "true") == 0 || strcmp(conns, "false") == 0) {
			struct policy_query q;
			struct policy_verdict v;

			memset(&q, 0, sizeof(q));
			q.src = s;
			q.dst = d;
			q.proto = POLICY_TCP;
			q.port = 80;
			ck_assert_int_eq(policy_evaluate(db, &q, &v, eb,
			    sizeof(eb)), 0);
			snprintf(got, sizeof(got), "%s", v.verdict ==
			    POLICY_ALLOW ? "true" : "false");
		} else {
			ck_assert_int_eq(policy_connset(db, &s, &d, got,
			    sizeof(got)), 0);
			if (got[0] == '\0')
				snprintf(got, sizeof(got), "No Connections");
		}
		if (strcmp(got, conns) == 0)
			agree++;
		else
			printf("DISAGREE %s: %s -> %s: %s, got %s\n",
			    maps[_i].dir, src, dst, conns, got);
	}
	fclose(fp);
	printf("netpol-analyzer pod map %s: %d/%d pairs agree\n",
	    maps[_i].dir, agree, total);
	ck_assert_int_eq(total, maps[_i].lines);
	ck_assert_int_eq(agree, total);
	policy_db_free(db);
	free(p);
	free(dir);
	free(base);
}
END_TEST

static Suite *
peers_suite(void)
{
	Suite *s = suite_create("policy_peers");
	TCase *tc = tcase_create("peers");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cilium_connectivity);
	tcase_add_test(tc, test_deny_matrix);
	tcase_add_test(tc, test_cyclonus);
	tcase_add_loop_test(tc, test_netpol_explain, 0,
	    sizeof(explain_cases) / sizeof(explain_cases[0]));
	tcase_add_loop_test(tc, test_netpol_podmap, 0,
	    sizeof(maps) / sizeof(maps[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(peers_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
