/*
 * check_cpcap_filter.c - filter building (user filter AND the pod's
 * hosts), local validation with pcap_compile, address and interface
 * name validators; with bad-input rows.
 */
#include <sys/socket.h>

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "cpcap_filter.h"

struct build_case {
	const char *user;
	const char *addrs[3];
	size_t naddrs;
	int rc;
	const char *want;
};

static const struct build_case build_cases[] = {
	{ "port 80", { "10.0.1.5", "fd00::5" }, 2, 0,
	  "(port 80) and (host 10.0.1.5 or host fd00::5)" },
	{ NULL, { "10.0.1.5" }, 1, 0, "host 10.0.1.5" },
	{ "", { "10.0.1.5" }, 1, 0, "host 10.0.1.5" },
	{ "tcp or udp", { NULL }, 0, 0, "tcp or udp" },
	{ NULL, { NULL }, 0, 0, "" },
	/* "or" in the user's part stays inside its parentheses. */
	{ "icmp or arp", { "10.0.0.1" }, 1, 0,
	  "(icmp or arp) and (host 10.0.0.1)" },
};

START_TEST(test_build)
{
	const struct build_case *tc = &build_cases[_i];
	char out[CPCAP_FILTER_MAX + 1], eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(cpcap_filter_build(tc->user, tc->addrs, tc->naddrs,
	    out, sizeof(out), eb, sizeof(eb)), tc->rc);
	ck_assert_str_eq(out, tc->want);
	/* Every built filter compiles. */
	ck_assert_int_eq(cpcap_filter_check(out[0] ? out : "ip", DLT_EN10MB,
	    262144, eb, sizeof(eb)), 0);
}
END_TEST

START_TEST(test_build_too_long)
{
	static char user[CPCAP_FILTER_MAX];
	char out[CPCAP_FILTER_MAX + 1], small[16], eb[CILKIT_ERRBUF_SIZE];
	const char *a[] = { "10.0.0.1" };

	memset(user, 'x', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	ck_assert_int_eq(cpcap_filter_build(user, a, 1, out, sizeof(out), eb,
	    sizeof(eb)), CILKIT_ETOOBIG);
	ck_assert_int_eq(cpcap_filter_build("port 80", a, 1, small,
	    sizeof(small), eb, sizeof(eb)), CILKIT_ETOOBIG);
}
END_TEST

struct check_case {
	const char *expr;
	int linktype;
	int rc;
	const char *errpart;
};

static const struct check_case check_cases[] = {
	{ "tcp port 80", DLT_EN10MB, 0, NULL },
	{ "host fd00::1 and icmp6", DLT_LINUX_SLL, 0, NULL },
	{ "vlan and udp", DLT_EN10MB, 0, NULL },
	{ "", DLT_EN10MB, 0, NULL },
	/* bad input */
	{ "tcp port", DLT_EN10MB, CILKIT_EINVAL, "bad filter 'tcp port'" },
	{ "host 10.0.0.300", DLT_EN10MB, CILKIT_EINVAL, "10.0.0.300" },
	{ "(port 80", DLT_EN10MB, CILKIT_EINVAL, "syntax error" },
	{ "port 99999", DLT_EN10MB, CILKIT_EINVAL, "port 99999" },
};

START_TEST(test_check)
{
	const struct check_case *tc = &check_cases[_i];
	char eb[CILKIT_ERRBUF_SIZE] = "";

	ck_assert_int_eq(cpcap_filter_check(tc->expr, tc->linktype, 262144,
	    eb, sizeof(eb)), tc->rc);
	if (tc->errpart != NULL)
		ck_assert_msg(strstr(eb, tc->errpart) != NULL, "%s", eb);
}
END_TEST

struct addr_case {
	const char *in;
	int fam;
	const char *out;
};

static const struct addr_case addr_cases[] = {
	{ "10.0.1.5", AF_INET, "10.0.1.5" },
	{ "FD00:0:0::05", AF_INET6, "fd00::5" },
	{ "::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1" },
	/* bad input */
	{ "10.0.1", CILKIT_EINVAL, NULL },
	{ "10.0.1.5/32", CILKIT_EINVAL, NULL },
	{ "fe80::1%eth0", CILKIT_EINVAL, NULL },
	{ "example.com", CILKIT_EINVAL, NULL },
	{ " 10.0.0.1", CILKIT_EINVAL, NULL },
	{ "", CILKIT_EINVAL, NULL },
};

START_TEST(test_addr)
{
	const struct addr_case *tc = &addr_cases[_i];
	char out[CPCAP_ADDRSTRLEN], eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(cpcap_addr_parse(tc->in, out, sizeof(out), eb,
	    sizeof(eb)), tc->fam);
	if (tc->out != NULL)
		ck_assert_str_eq(out, tc->out);
}
END_TEST

struct ifname_case {
	const char *name;
	bool ok;
};

static const struct ifname_case ifname_cases[] = {
	{ "lxc1a2b3c4d5e6f", true },
	{ "cilium_host", true },
	{ "eth0.100", true },
	{ "veth@if3", true },
	{ "cilium_vxlan", true },
	/* bad input */
	{ "", false },
	{ "lxc1a2b3c4d5e6f7", false },		/* 16 bytes */
	{ "eth0;reboot", false },
	{ "eth 0", false },
	{ "-i", false },
	{ "..", false },
	{ "a/b", false },
	{ "$(id)", false },
};

START_TEST(test_ifname)
{
	ck_assert(cpcap_ifname_valid(ifname_cases[_i].name) ==
	    ifname_cases[_i].ok);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cpcap_filter");
	TCase *tc = tcase_create("filter");

	tcase_add_loop_test(tc, test_build, 0,
	    sizeof(build_cases) / sizeof(build_cases[0]));
	tcase_add_test(tc, test_build_too_long);
	tcase_add_loop_test(tc, test_check, 0,
	    sizeof(check_cases) / sizeof(check_cases[0]));
	tcase_add_loop_test(tc, test_addr, 0,
	    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_loop_test(tc, test_ifname, 0,
	    sizeof(ifname_cases) / sizeof(ifname_cases[0]));
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
