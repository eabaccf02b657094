/*
 * check_kube_objects.c - the typed readers over API JSON (pods,
 * services, endpointslices, nodes, namespaces, CiliumEndpoints) with
 * wrong-typed and missing fields; label matching; resource lookup and
 * name validation; the exec exit-status parser (Status JSON).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_client.h"
#include "kube_exec.h"
#include "kube_objects.h"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	ck_assert_ptr_nonnull(o);
	return o;
}

static const char pods_json[] = "["
    "{\"metadata\":{\"name\":\"frontend\",\"namespace\":\"demo\","
    "\"uid\":\"u1\",\"labels\":{\"app\":\"frontend\",\"tier\":\"web\","
    "\"bad\":5},\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
    "\"name\":\"frontend-6c\",\"controller\":true},{\"kind\":7}]},"
    "\"spec\":{\"nodeName\":\"node1\",\"containers\":[{\"name\":\"web\","
    "\"image\":\"nginx\",\"ports\":[{\"name\":\"http\","
    "\"containerPort\":8080},{\"containerPort\":53,\"protocol\":\"UDP\"}]}"
    ",{\"image\":\"no-name\"}]},"
    "\"status\":{\"phase\":\"Running\",\"hostIP\":\"192.168.50.11\","
    "\"podIP\":\"10.0.1.10\",\"podIPs\":[{\"ip\":\"10.0.1.10\"},"
    "{\"ip\":\"fd00:10:1::a\"},{\"ip\":3}]}},"
    /* podIP only, hostNetwork, no labels */
    "{\"metadata\":{\"name\":\"agent\",\"namespace\":\"kube-system\"},"
    "\"spec\":{\"hostNetwork\":true,\"nodeName\":\"node2\"},"
    "\"status\":{\"podIP\":\"192.168.50.12\"}},"
    /* bad rows: no name, not an object, everything mistyped */
    "{\"metadata\":{\"namespace\":\"x\"}},"
    "42,"
    "{\"metadata\":{\"name\":\"odd\",\"labels\":[1],\"ownerReferences\":"
    "{}},\"spec\":{\"containers\":\"no\",\"hostNetwork\":\"yes\"},"
    "\"status\":[]}"
    "]";

START_TEST(test_pods)
{
	struct json_object *items = parse(pods_json);
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE];
	const struct kube_pod *p;

	ck_assert_int_eq(kube_pods_from_json(items, &l, eb, sizeof(eb)), 3);
	json_object_put(items);	/* the list keeps its own reference */
	p = &l.u.pods[0];
	ck_assert_str_eq(p->name, "frontend");
	ck_assert_str_eq(p->ns, "demo");
	ck_assert_str_eq(p->node, "node1");
	ck_assert_str_eq(p->phase, "Running");
	ck_assert_str_eq(p->host_ip, "192.168.50.11");
	ck_assert_uint_eq(p->nips, 2);
	ck_assert_str_eq(p->ips[1], "fd00:10:1::a");
	ck_assert_uint_eq(p->labels.n, 2);
	ck_assert_str_eq(kube_labels_get(&p->labels, "tier"), "web");
	ck_assert_ptr_null(kube_labels_get(&p->labels, "bad"));
	ck_assert_uint_eq(p->nowners, 1);
	ck_assert_str_eq(p->owners[0].kind, "ReplicaSet");
	ck_assert(p->owners[0].controller);
	ck_assert_uint_eq(p->ncontainers, 1);
	ck_assert_str_eq(p->containers[0].name, "web");
	ck_assert_uint_eq(p->containers[0].nports, 2);
	ck_assert_str_eq(p->containers[0].ports[0].name, "http");
	ck_assert_int_eq(p->containers[0].ports[0].port, 8080);
	ck_assert_str_eq(p->containers[0].ports[0].protocol, "TCP");
	ck_assert_str_eq(p->containers[0].ports[1].protocol, "UDP");
	ck_assert(!p->host_network);
	p = &l.u.pods[1];
	ck_assert_str_eq(p->name, "agent");
	ck_assert(p->host_network);
	ck_assert_uint_eq(p->nips, 1);
	ck_assert_str_eq(p->ips[0], "192.168.50.12");
	ck_assert_uint_eq(p->labels.n, 0);
	p = &l.u.pods[2];
	ck_assert_str_eq(p->name, "odd");
	ck_assert_ptr_null(p->ns);
	ck_assert_uint_eq(p->ncontainers, 0);
	ck_assert_uint_eq(p->nowners, 0);
	ck_assert(!p->host_network);
	ck_assert_ptr_null(p->phase);
	kube_objlist_free(&l);
	kube_objlist_free(&l);	/* twice is harmless */
}
END_TEST

START_TEST(test_not_array)
{
	struct json_object *o = parse("{\"items\":[]}");
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_int_eq(kube_pods_from_json(o, &l, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	ck_assert_ptr_nonnull(strstr(eb, "list"));
	ck_assert_int_eq(kube_ceps_from_json(NULL, &l, eb, sizeof(eb)),
	    CILKIT_EINVAL);
	json_object_put(o);
	o = parse("[]");
	ck_assert_int_eq(kube_nodes_from_json(o, &l, eb, sizeof(eb)), 0);
	kube_objlist_free(&l);
	json_object_put(o);
}
END_TEST

START_TEST(test_services_slices)
{
	struct json_object *s = parse("[{\"metadata\":{\"name\":\"backend\","
	    "\"namespace\":\"demo\"},\"spec\":{\"clusterIP\":\"10.96.0.20\","
	    "\"clusterIPs\":[\"10.96.0.20\",\"fd00:96::20\"],\"ports\":[{"
	    "\"name\":\"http\",\"port\":8080,\"targetPort\":\"http\"},{"
	    "\"port\":9090,\"targetPort\":9091,\"protocol\":\"UDP\","
	    "\"nodePort\":30001}],\"selector\":{\"app\":\"backend\"}}},"
	    "{\"metadata\":{\"name\":\"headless\"},\"spec\":{\"clusterIP\":"
	    "\"None\",\"type\":\"ClusterIP\"}}]");
	struct json_object *e = parse("[{\"metadata\":{\"name\":\"backend-x\","
	    "\"namespace\":\"demo\",\"labels\":{\"kubernetes.io/service-name\":"
	    "\"backend\"}},\"addressType\":\"IPv4\",\"endpoints\":[{"
	    "\"addresses\":[\"10.0.2.20\"],\"conditions\":{\"ready\":false},"
	    "\"nodeName\":\"node2\",\"targetRef\":{\"kind\":\"Pod\",\"name\":"
	    "\"backend\",\"namespace\":\"demo\"}},{\"addresses\":[\"10.0.2.21\""
	    ",7]},\"junk\"],\"ports\":[{\"name\":\"http\",\"port\":8080}]}]");
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE];
	const struct kube_service *sv;
	const struct kube_endpointslice *es;

	ck_assert_int_eq(kube_services_from_json(s, &l, eb, sizeof(eb)), 2);
	sv = &l.u.services[0];
	ck_assert_str_eq(sv->type, "ClusterIP");
	ck_assert_uint_eq(sv->nips, 2);
	ck_assert_str_eq(sv->cluster_ips[1], "fd00:96::20");
	ck_assert_uint_eq(sv->nports, 2);
	ck_assert_str_eq(sv->ports[0].target_name, "http");
	ck_assert_int_eq(sv->ports[0].target_port, 0);
	ck_assert_int_eq(sv->ports[1].target_port, 9091);
	ck_assert_int_eq(sv->ports[1].node_port, 30001);
	ck_assert_str_eq(kube_labels_get(&sv->selector, "app"), "backend");
	ck_assert_str_eq(l.u.services[1].cluster_ips[0], "None");
	kube_objlist_free(&l);
	ck_assert_int_eq(kube_slices_from_json(e, &l, eb, sizeof(eb)), 1);
	es = &l.u.slices[0];
	ck_assert_str_eq(es->service, "backend");
	ck_assert_str_eq(es->address_type, "IPv4");
	ck_assert_uint_eq(es->nendpoints, 2);
	ck_assert(!es->endpoints[0].ready);
	ck_assert_str_eq(es->endpoints[0].pod, "backend");
	ck_assert_str_eq(es->endpoints[0].node, "node2");
	ck_assert(es->endpoints[1].ready);	/* absent: ready */
	ck_assert_uint_eq(es->endpoints[1].naddrs, 1);
	ck_assert_ptr_null(es->endpoints[1].pod);
	ck_assert_int_eq(es->ports[0].port, 8080);
	kube_objlist_free(&l);
	json_object_put(s);
	json_object_put(e);
}
END_TEST

START_TEST(test_nodes_ns_ceps)
{
	struct json_object *n = parse("[{\"metadata\":{\"name\":\"node1\","
	    "\"labels\":{\"kubernetes.io/hostname\":\"node1\"}},\"spec\":{"
	    "\"podCIDR\":\"10.0.1.0/24\"},\"status\":{\"addresses\":[{\"type\":"
	    "\"InternalIP\",\"address\":\"192.168.50.11\"},{\"type\":"
	    "\"Hostname\"}]}}]");
	struct json_object *ns = parse("[{\"metadata\":{\"name\":\"demo\","
	    "\"labels\":{\"kubernetes.io/metadata.name\":\"demo\"}}}]");
	struct json_object *c = parse("[{\"metadata\":{\"name\":\"frontend\","
	    "\"namespace\":\"demo\"},\"status\":{\"id\":1234,\"identity\":{"
	    "\"id\":48213,\"labels\":[\"k8s:app=frontend\"]},\"networking\":{"
	    "\"addressing\":[{\"ipv4\":\"10.0.1.10\",\"ipv6\":\"fd00:10:1::a\"}"
	    "],\"node\":\"192.168.50.11\"},\"state\":\"ready\"}},"
	    "{\"metadata\":{\"name\":\"bare\"},\"status\":{\"identity\":\"x\","
	    "\"networking\":{\"addressing\":[{\"ipv4\":\"\"}]}}}]");
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(kube_nodes_from_json(n, &l, eb, sizeof(eb)), 1);
	ck_assert_uint_eq(l.u.nodes[0].naddrs, 1);
	ck_assert_str_eq(l.u.nodes[0].addrs[0].type, "InternalIP");
	ck_assert_str_eq(l.u.nodes[0].addrs[0].address, "192.168.50.11");
	ck_assert_uint_eq(l.u.nodes[0].ncidrs, 1);
	kube_objlist_free(&l);
	ck_assert_int_eq(kube_namespaces_from_json(ns, &l, eb, sizeof(eb)),
	    1);
	ck_assert_str_eq(kube_labels_get(&l.u.namespaces[0].labels,
	    "kubernetes.io/metadata.name"), "demo");
	kube_objlist_free(&l);
	ck_assert_int_eq(kube_ceps_from_json(c, &l, eb, sizeof(eb)), 2);
	ck_assert_int_eq(l.u.ceps[0].endpoint_id, 1234);
	ck_assert_int_eq(l.u.ceps[0].identity, 48213);
	ck_assert_uint_eq(l.u.ceps[0].nips, 2);
	ck_assert_str_eq(l.u.ceps[0].node_ip, "192.168.50.11");
	ck_assert_str_eq(l.u.ceps[0].identity_labels[0], "k8s:app=frontend");
	ck_assert_int_eq(l.u.ceps[1].identity, 0);
	ck_assert_uint_eq(l.u.ceps[1].nips, 0);
	kube_objlist_free(&l);
	json_object_put(n);
	json_object_put(ns);
	json_object_put(c);
}
END_TEST

/*
 * What every kind reads the same way: the item loop, metadata.name (an
 * item without a string one is skipped), metadata.namespace, labels,
 * the borrowed item.  One list of bad and good items, through each
 * kind's reader.
 */
struct common {
	const char *name, *ns;
	const struct kube_labels *labels;	/* NULL: the kind has none */
	struct json_object *obj;
};

typedef int (*reader_fn)(struct json_object *, struct kube_objlist *,
    char *, size_t);

static void
pod_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.pods[i].name;
	c->ns = l->u.pods[i].ns;
	c->labels = &l->u.pods[i].labels;
	c->obj = l->u.pods[i].obj;
}

static void
service_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.services[i].name;
	c->ns = l->u.services[i].ns;
	c->obj = l->u.services[i].obj;
}

static void
slice_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.slices[i].name;
	c->ns = l->u.slices[i].ns;
	c->obj = l->u.slices[i].obj;
}

static void
node_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.nodes[i].name;
	c->labels = &l->u.nodes[i].labels;
	c->obj = l->u.nodes[i].obj;
}

static void
namespace_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.namespaces[i].name;
	c->labels = &l->u.namespaces[i].labels;
	c->obj = l->u.namespaces[i].obj;
}

static void
cep_at(const struct kube_objlist *l, size_t i, struct common *c)
{
	c->name = l->u.ceps[i].name;
	c->ns = l->u.ceps[i].ns;
	c->obj = l->u.ceps[i].obj;
}

struct kind_case {
	const char *kind;
	reader_fn read;
	void (*at)(const struct kube_objlist *, size_t, struct common *);
	bool namespaced;
};

static const struct kind_case kind_cases[] = {
	{ "pods", kube_pods_from_json, pod_at, true },
	{ "services", kube_services_from_json, service_at, true },
	{ "endpointslices", kube_slices_from_json, slice_at, true },
	{ "nodes", kube_nodes_from_json, node_at, false },
	{ "namespaces", kube_namespaces_from_json, namespace_at, false },
	{ "ciliumendpoints", kube_ceps_from_json, cep_at, true },
};

static const char mixed_items[] = "["
    /* bad items: skipped */
    "42,\"str\",null,[],{},true,"
    "{\"metadata\":5},{\"metadata\":[]},{\"metadata\":\"m\"},"
    "{\"metadata\":{\"name\":7}},{\"metadata\":{\"name\":null}},"
    "{\"metadata\":{\"name\":[\"a\"]}},"
    "{\"metadata\":{\"namespace\":\"demo\",\"labels\":{\"a\":\"b\"}}},"
    "{\"name\":\"top-level\"},"
    /* kept: non-string labels dropped, mistyped fields absent */
    "{\"metadata\":{\"name\":\"a\",\"namespace\":\"demo\",\"labels\":"
    "{\"app\":\"x\",\"n\":1,\"o\":{},\"z\":null}}},"
    "{\"metadata\":{\"name\":\"b\",\"namespace\":7,\"labels\":[\"app\"]}},"
    "{\"metadata\":{\"name\":\"c\",\"labels\":\"app=x\"},\"spec\":5,"
    "\"status\":[],\"endpoints\":{}},"
    "9]";

START_TEST(test_kind_items)
{
	const struct kind_case *tc = &kind_cases[_i];
	struct json_object *items = parse(mixed_items);
	struct kube_objlist l;
	struct common c;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	size_t i;

	ck_assert_msg(tc->read(items, &l, eb, sizeof(eb)) == 3, "%s: %s",
	    tc->kind, eb);
	ck_assert_uint_eq(l.n, 3);
	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		tc->at(&l, i, &c);
		ck_assert_str_eq(c.name, i == 0 ? "a" : i == 1 ? "b" : "c");
		ck_assert_ptr_eq(c.obj, json_object_array_get_idx(items,
		    14 + i));
		if (tc->namespaced && i == 0)
			ck_assert_str_eq(c.ns, "demo");
		else
			ck_assert_ptr_null(c.ns);
		if (c.labels != NULL) {
			ck_assert_uint_eq(c.labels->n, i == 0 ? 1 : 0);
			if (i == 0)
				ck_assert_str_eq(kube_labels_get(c.labels,
				    "app"), "x");
		}
	}
	json_object_put(items);		/* the list holds its own */
	kube_objlist_free(&l);
	ck_assert_uint_eq(l.n, 0);

	/* not a list: the same message from every kind */
	items = parse("{\"items\":[]}");
	ck_assert_int_eq(tc->read(items, &l, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_str_eq(eb, "expected a list of API objects");
	ck_assert_uint_eq(l.n, 0);
	json_object_put(items);
	eb[0] = '\0';
	ck_assert_int_eq(tc->read(NULL, &l, eb, sizeof(eb)), CILKIT_EINVAL);
	ck_assert_str_eq(eb, "expected a list of API objects");
	/* only bad items: an empty list */
	items = parse("[1,{},{\"metadata\":{}}]");
	ck_assert_int_eq(tc->read(items, &l, eb, sizeof(eb)), 0);
	kube_objlist_free(&l);
	json_object_put(items);
}
END_TEST

START_TEST(test_labels_match)
{
	struct kube_kv a[] = { { "app", "x" }, { "tier", "web" } };
	struct kube_kv b[] = { { "app", "x" } };
	struct kube_kv c[] = { { "app", "y" } };
	struct kube_labels la = { 2, a }, lb = { 1, b }, lc = { 1, c };
	struct kube_labels none = { 0, NULL };

	ck_assert(kube_labels_match(&la, &lb));
	ck_assert(!kube_labels_match(&lb, &la));
	ck_assert(!kube_labels_match(&la, &lc));
	ck_assert(kube_labels_match(&la, &none));
	ck_assert(!kube_labels_match(&none, &lb));
}
END_TEST

struct name_case {
	const char *s;
	bool label, name;
};

static const struct name_case name_cases[] = {
	{ "demo", true, true },
	{ "kube-system", true, true },
	{ "a.b", false, true },
	{ "0abc", true, true },
	{ "", false, false },
	{ "-x", false, true },
	{ "Demo", false, false },
	{ "a/b", false, false },
	{ "..", false, false },
	{ "a?b=c", false, false },
	{ "a b", false, false },
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  false, true },
};

START_TEST(test_names)
{
	const struct name_case *tc = &name_cases[_i];

	ck_assert_int_eq(kube_valid_label(tc->s), tc->label);
	ck_assert_int_eq(kube_valid_name(tc->s), tc->name);
}
END_TEST

START_TEST(test_resource_find)
{
	ck_assert_ptr_eq(kube_resource_find("pods"), &kube_res_pods);
	ck_assert_ptr_eq(kube_resource_find("Pod"), &kube_res_pods);
	ck_assert_ptr_eq(kube_resource_find("cnp"), &kube_res_cnp);
	ck_assert_ptr_eq(kube_resource_find("ccnp"), &kube_res_ccnp);
	ck_assert_ptr_eq(kube_resource_find("ciliumendpoints"), &kube_res_cep);
	ck_assert_ptr_eq(kube_resource_find("netpol"),
	    &kube_res_networkpolicies);
	ck_assert_ptr_null(kube_resource_find("deployments"));
	ck_assert(!kube_res_ccnp.namespaced);
	ck_assert_str_eq(kube_res_cnp.group, "cilium.io");
}
END_TEST

struct status_case {
	const char *json;
	int rc;
	int code;
	const char *errpart;
};

static const struct status_case status_cases[] = {
	{ "{\"metadata\":{},\"status\":\"Success\"}", 0, 0, NULL },
	{ "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command "
	  "terminated with non-zero exit code: exit status 3\",\"reason\":"
	  "\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
	  "\"ExitCode\",\"message\":\"3\"}]}}", 0, 3, NULL },
	{ "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":"
	  "{\"causes\":[{\"reason\":\"Other\",\"message\":\"9\"},{\"reason\":"
	  "\"ExitCode\",\"message\":\"255\"}]}}", 0, 255, NULL },
	/* bad rows */
	{ "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":"
	  "{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"256\"}]}}",
	  CILKIT_EPROTO, -1, "without a valid ExitCode" },
	{ "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":"
	  "{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3x\"}]}}",
	  CILKIT_EPROTO, -1, "without a valid ExitCode" },
	{ "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\"}",
	  CILKIT_EPROTO, -1, "without a valid ExitCode" },
	{ "{\"status\":\"Failure\",\"message\":\"container \\\"x\\\" not "
	  "found in pod\",\"reason\":\"InternalError\"}", CILKIT_ENOTFOUND, -1,
	  "container \"x\" not found" },
	{ "{\"status\":\"Failure\",\"message\":\"OCI runtime exec failed: "
	  "exec: \\\"nope\\\": executable file not found in $PATH\",\"reason\":"
	  "\"InternalError\"}", CILKIT_EIO, -1, "executable file not found" },
	{ "{\"status\":\"Failure\",\"message\":\"boom\\u001b[31m\"}",
	  CILKIT_EIO, -1, "boom?[31m" },
	{ "{\"status\":\"Weird\"}", CILKIT_EPROTO, -1, "neither" },
	{ "[1,2]", CILKIT_EPROTO, -1, "not a JSON object" },
	{ "{\"status\":", CILKIT_EPROTO, -1, "not a JSON object" },
	{ "", CILKIT_EPROTO, -1, "bad exec status" },
};

START_TEST(test_exec_status)
{
	const struct status_case *tc = &status_cases[_i];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	int code = 99;

	ck_assert_int_eq(kube_exec_parse_status(tc->json, strlen(tc->json),
	    &code, eb, sizeof(eb)), tc->rc);
	ck_assert_int_eq(code, tc->code);
	if (tc->errpart != NULL)
		ck_assert_msg(strstr(eb, tc->errpart) != NULL, "'%s'", eb);
}
END_TEST

static Suite *
objects_suite(void)
{
	Suite *s = suite_create("kube_objects");
	TCase *tc = tcase_create("objects");

	tcase_add_test(tc, test_pods);
	tcase_add_test(tc, test_not_array);
	tcase_add_test(tc, test_services_slices);
	tcase_add_test(tc, test_nodes_ns_ceps);
	tcase_add_loop_test(tc, test_kind_items, 0,
	    sizeof(kind_cases) / sizeof(kind_cases[0]));
	tcase_add_test(tc, test_labels_match);
	tcase_add_loop_test(tc, test_names, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_resource_find);
	tcase_add_loop_test(tc, test_exec_status, 0,
	    sizeof(status_cases) / sizeof(status_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(objects_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
