/*
 * check_cpcap_iface.c - finding a pod's interface: `ip route get`
 * output as an agent prints it (with the refusals and bad-input rows),
 * and the rtnetlink lookup against this host's own routes.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_iface.h"

struct rg_case {
	const char *text;
	int rc;
	const char *want;	/* interface, or a part of the message */
};

static const struct rg_case rg_cases[] = {
	{ "10.0.1.5 dev lxc12ab34cd src 10.0.1.1 uid 0 \n    cache \n", 0,
	  "lxc12ab34cd" },
	{ "fd00::5 from :: dev lxc_health proto kernel src fd00::1 metric "
	  "1024 pref medium\n", 0, "lxc_health" },
	/* busybox ip */
	{ "10.0.1.5 dev lxcabc  src 10.0.1.1\n", 0, "lxcabc" },
	/* bad input and refusals */
	{ "local 10.0.1.1 dev lo table local src 10.0.1.1 uid 0\n",
	  CILKIT_ENOTFOUND, "hostNetwork" },
	{ "10.0.2.5 via 10.0.1.1 dev cilium_host src 10.0.1.1 uid 0\n",
	  CILKIT_ENOTFOUND, "via 10.0.1.1 dev cilium_host" },
	{ "unreachable 10.9.9.9 uid 0\n", CILKIT_ENOTFOUND, "unreachable" },
	{ "", CILKIT_ENOTFOUND, "empty" },
	{ "\n\n", CILKIT_ENOTFOUND, "empty" },
	{ "10.0.1.5 src 10.0.1.1\n", CILKIT_ENOTFOUND, "names no interface" },
	{ "10.0.1.5 dev\n", CILKIT_ENOTFOUND, "names no interface" },
	{ "10.0.1.5 dev eth0;id src 1.1.1.1\n", CILKIT_EINVAL, "bad interface" },
	{ "10.0.1.5 dev averyveryverylonginterfacename0 src x\n",
	  CILKIT_EINVAL, "bad interface" },
	{ "RTNETLINK answers: Network is unreachable\n", CILKIT_ENOTFOUND,
	  "names no interface" },
	/* Only the first line counts. */
	{ "10.0.1.5 src 1.1.1.1\ndev lxcevil\n", CILKIT_ENOTFOUND,
	  "names no interface" },
};

START_TEST(test_route_get)
{
	const struct rg_case *tc = &rg_cases[_i];
	char ifn[CPCAP_IFNAMSIZ] = "", eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_int_eq(cpcap_iface_parse_route_get(tc->text,
	    strlen(tc->text), ifn, sizeof(ifn), eb, sizeof(eb)), tc->rc);
	if (tc->rc == 0)
		ck_assert_str_eq(ifn, tc->want);
	else
		ck_assert_msg(strstr(eb, tc->want) != NULL, "%s", eb);
}
END_TEST

/* Not NUL-terminated: only len bytes are read. */
START_TEST(test_route_get_bounded)
{
	char text[] = { 'x', ' ', 'd', 'e', 'v', ' ', 'l', 'x', 'c', '1' };
	char ifn[CPCAP_IFNAMSIZ], eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(cpcap_iface_parse_route_get(text, 8, ifn,
	    sizeof(ifn), eb, sizeof(eb)), 0);
	ck_assert_str_eq(ifn, "lx");
}
END_TEST

START_TEST(test_route_local)
{
	char ifn[CPCAP_IFNAMSIZ], eb[CILKIT_ERRBUF_SIZE] = "";

	/* 127.0.0.1 is local: no veth of its own. */
	ck_assert_int_eq(cpcap_iface_route("127.0.0.1", ifn, sizeof(ifn), eb,
	    sizeof(eb)), CILKIT_ENOTFOUND);
	ck_assert_msg(strstr(eb, "address of this host") != NULL, "%s", eb);
	ck_assert_int_eq(cpcap_iface_route("not-an-ip", ifn, sizeof(ifn), eb,
	    sizeof(eb)), CILKIT_EINVAL);
	ck_assert_int_eq(cpcap_iface_exists("lo"), 1);
	ck_assert_int_eq(cpcap_iface_exists("nosuchif0"), 0);
	ck_assert_int_eq(cpcap_iface_exists("lo;x"), 0);
}
END_TEST

struct ep_case {
	const char *text;
	int rc;
	const char *want;
};

static const struct ep_case ep_cases[] = {
	{ "[{\"id\": 1234, \"status\": {\"networking\": {\"addressing\": "
	  "[{\"ipv4\": \"10.0.1.10\"}], \"interface-name\": "
	  "\"lxca04aa0765451\", \"interface-index\": 12}}}]", 0,
	  "lxca04aa0765451" },
	{ "{\"status\": {\"networking\": {\"interface-name\": \"lxc1\"}}}",
	  0, "lxc1" },
	/* bad input */
	{ "[]", CILKIT_ENOTFOUND, "interface-name" },
	{ "[{\"status\": {}}]", CILKIT_ENOTFOUND, "interface-name" },
	{ "[{\"status\": {\"networking\": {\"interface-name\": 5}}}]",
	  CILKIT_ENOTFOUND, "interface-name" },
	{ "[{\"status\": {\"networking\": {\"interface-name\": "
	  "\"lxc;reboot\"}}}]", CILKIT_EINVAL, "bad interface" },
	{ "Error: cannot get endpoint pod-name:demo/x: endpoint not found",
	  CILKIT_EINVAL, "not JSON" },
	{ "[{\"status\": ", CILKIT_EINVAL, "not JSON" },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", CILKIT_EINVAL, "not JSON" },
	{ "\"lxc1\"", CILKIT_ENOTFOUND, "interface-name" },
};

START_TEST(test_endpoint_json)
{
	const struct ep_case *tc = &ep_cases[_i];
	char ifn[CPCAP_IFNAMSIZ] = "", eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_int_eq(cpcap_iface_parse_endpoint_json(tc->text,
	    strlen(tc->text), ifn, sizeof(ifn), eb, sizeof(eb)), tc->rc);
	if (tc->rc == 0)
		ck_assert_str_eq(ifn, tc->want);
	else
		ck_assert_msg(strstr(eb, tc->want) != NULL, "%s", eb);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_iface");
	TCase *tc = tcase_create("iface");

	tcase_add_loop_test(tc, test_route_get, 0,
	    sizeof(rg_cases) / sizeof(rg_cases[0]));
	tcase_add_test(tc, test_route_get_bounded);
	tcase_add_loop_test(tc, test_endpoint_json, 0,
	    sizeof(ep_cases) / sizeof(ep_cases[0]));
	tcase_add_test(tc, test_route_local);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
