/*
 * policy-tester - would this connection be allowed, and by which policy?
 *
 * Offline (--manifests) the objects come from YAML/JSON files; against
 * a cluster from the API.  The engine is lib/policy*.c; this file does
 * options, the report, suites (--suite, --json, --junit) and --connlist.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "kube_yaml.h"
#include "policy.h"
#include "report.h"
#include "tester.h"

static const char synopsis[] =
    "policy-tester [--verbose] [--json] [--manifests FILE|DIR]...\n"
    "                     [--from NS/POD] [--to NS/POD|NS/svc/NAME|IP|CIDR]\n"
    "                     [--port PORT] [--protocol tcp|udp|sctp|icmp]\n"
    "                     [--expect allow|deny] [--suite FILE] "
    "[--junit FILE]\n"
    "                     [--connlist] [--enforcement default|always|never]\n"
    "                     [--ipblock-mode cilium|k8s] [--semantics cilium|k8s]\n"
    "                     [-n NS] [--context NAME]"
    "                     [--kubeconfig FILE] [--timeout SECS]";

static void
usage(void)
{
	printf("usage: %s\n\n", synopsis);
	printf(
"Decide whether a connection is allowed by the Kubernetes NetworkPolicies,\n"
"CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies in scope, say\n"
"which policy and rule decided, and (against a cluster) probe it.\n\n"
"  -f, --from NS/POD          source pod (a workload name works too)\n"
"  -t, --to DEST              destination: NS/POD, NS/svc/NAME, an IP or a CIDR\n"
"  -p, --port PORT            destination port (service port for NS/svc/NAME)\n"
"  -P, --protocol PROTO       tcp (default), udp, sctp or icmp\n"
"  -v, --verbose              explain both directions, list every backend\n"
"  -m, --manifests FILE|DIR   offline: read objects from YAML/JSON (repeatable)\n"
"  -e, --expect allow|deny    exit 0 when the result matches, 1 when not\n"
"  -s, --suite FILE           run a YAML list of cases and print a table\n"
"  -j, --json                 JSON output\n"
"  -J, --junit FILE           also write a JUnit XML report\n"
"  -c, --connlist             with --manifests: every allowed connection between\n"
"                             workloads, in netpol-analyzer's connlist format\n"
"  -E, --enforcement MODE     Cilium policy enforcement: default, always, never\n"
"  -I, --ipblock-mode MODE    cilium (default: ipBlock never selects pods) or k8s\n"
"  -S, --semantics MODE       cilium (default: identity labels, label filter,\n"
"                             hostNetwork pods are the host) or k8s (raw labels,\n"
"                             strict policyTypes, hostNetwork pods are pods)\n"
"  -n, --namespace NS         namespace for names without one (default: default)\n"
"  -C, --context NAME         kubeconfig context\n"
"  -K, --kubeconfig FILE      kubeconfig file (default: $KUBECONFIG, ~/.kube/config)\n"
"  -T, --timeout SECS         probe timeout (default 5)\n"
"  -h, --help                 this help\n"
"  -V, --version              version\n\n"
"Exit status: 0 allowed / as expected, 1 denied / not as expected,\n"
"2 usage or input error, 3 cluster unreachable, 4 I/O error.\n");
}

static const struct option longopts[] = {
	{ "connlist", no_argument, NULL, 'c' },
	{ "context", required_argument, NULL, 'C' },
	{ "enforcement", required_argument, NULL, 'E' },
	{ "expect", required_argument, NULL, 'e' },
	{ "from", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "ipblock-mode", required_argument, NULL, 'I' },
	{ "json", no_argument, NULL, 'j' },
	{ "junit", required_argument, NULL, 'J' },
	{ "kubeconfig", required_argument, NULL, 'K' },
	{ "manifests", required_argument, NULL, 'm' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "port", required_argument, NULL, 'p' },
	{ "protocol", required_argument, NULL, 'P' },
	{ "semantics", required_argument, NULL, 'S' },
	{ "suite", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "to", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_MANIFESTS 64

int
main(int argc, char **argv)
{
	struct tester t;
	const char *manifests[MAX_MANIFESTS];
	struct policy_opts po;
	struct tcase one;
	char eb[CILKIT_ERRBUF_SIZE];
	int nman = 0, ch, rc, i;
	bool connlist = false;
	const char *suite = NULL;

	cli_init(argv[0], synopsis);
	memset(&t, 0, sizeof(t));
	memset(&po, 0, sizeof(po));
	memset(&one, 0, sizeof(one));
	t.namespace = "default";
	t.timeout = 5;
	while ((ch = getopt_long(argc, argv, "cC:E:e:f:hI:jJ:K:m:n:p:P:S:s:T:t:vV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			connlist = true;
			break;
		case 'C':
			t.context = optarg;
			break;
		case 'E':
			if (strcmp(optarg, "default") == 0)
				po.enforcement = POLICY_ENFORCE_DEFAULT;
			else if (strcmp(optarg, "always") == 0)
				po.enforcement = POLICY_ENFORCE_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				po.enforcement = POLICY_ENFORCE_NEVER;
			else
				cli_usage_error("--enforcement: expected "
				    "default, always or never, not \"%s\"",
				    optarg);
			break;
		case 'e':
			if (strcmp(optarg, "allow") == 0)
				one.expect = EXPECT_ALLOW;
			else if (strcmp(optarg, "deny") == 0)
				one.expect = EXPECT_DENY;
			else
				cli_usage_error("--expect: expected allow or "
				    "deny, not \"%s\"", optarg);
			break;
		case 'f':
			one.from = optarg;
			break;
		case 'h':
			usage();
			return cli_finish(CILKIT_EXIT_OK);
		case 'I':
			if (strcmp(optarg, "cilium") == 0)
				po.ipblock = POLICY_IPBLOCK_CILIUM;
			else if (strcmp(optarg, "k8s") == 0)
				po.ipblock = POLICY_IPBLOCK_K8S;
			else
				cli_usage_error("--ipblock-mode: expected "
				    "cilium or k8s, not \"%s\"", optarg);
			break;
		case 'j':
			t.json = true;
			break;
		case 'J':
			t.junit = optarg;
			break;
		case 'K':
			t.kubeconfig = optarg;
			break;
		case 'm':
			if (nman == MAX_MANIFESTS)
				cli_usage_error("too many --manifests (max %d)",
				    MAX_MANIFESTS);
			manifests[nman++] = optarg;
			break;
		case 'n':
			t.namespace = optarg;
			break;
		case 'p':
			one.port = (int)cli_opt_u64("--port", optarg, 1, 65535);
			break;
		case 'P':
			one.proto = policy_proto_parse(optarg);
			if (one.proto < 0 || one.proto == POLICY_ICMPV6)
				cli_usage_error("--protocol: expected tcp, "
				    "udp, sctp or icmp, not \"%s\"", optarg);
			break;
		case 'S':
			if (strcmp(optarg, "cilium") == 0)
				po.k8s_semantics = false;
			else if (strcmp(optarg, "k8s") == 0)
				po.k8s_semantics = true;
			else
				cli_usage_error("--semantics: expected cilium "
				    "or k8s, not \"%s\"", optarg);
			break;
		case 's':
			suite = optarg;
			break;
		case 'T':
			t.timeout = (int)cli_opt_u64("--timeout", optarg, 1,
			    3600);
			break;
		case 't':
			one.to = optarg;
			break;
		case 'v':
			t.verbose = true;
			break;
		case 'V':
			cli_print_version();
			return cli_finish(CILKIT_EXIT_OK);
		default:
			cli_usage_error(NULL);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (connlist && nman == 0)
		cli_usage_error("--connlist needs --manifests");
	if (connlist && (suite || one.from || one.to))
		cli_usage_error("--connlist cannot be combined with a check or "
		    "--suite");
	if (suite != NULL && (one.from || one.to || one.expect))
		cli_usage_error("--suite cannot be combined with --from, --to "
		    "or --expect");
	if (!connlist && suite == NULL && (one.from == NULL || one.to == NULL))
		cli_usage_error("--from and --to are needed (or --suite, or "
		    "--connlist)");
	if (t.junit != NULL && connlist)
		cli_usage_error("--junit needs a check or --suite");
	if (one.proto == 0)
		one.proto = POLICY_TCP;
	if (one.proto != POLICY_ICMP && !connlist && suite == NULL &&
	    one.port == 0)
		cli_usage_error("--port is needed for %s",
		    policy_proto_name(one.proto));
	/* ✓/✗ on a UTF-8 terminal; logs and pipes get ASCII */
	t.utf8 = cli_use_utf8(stdout) && isatty(STDOUT_FILENO);
	t.offline = nman > 0;

	if ((rc = policy_db_new(&t.db, &po, eb, sizeof(eb))) < 0)
		cli_errx(CILKIT_EXIT_USAGE, "%s", eb);
	if (t.offline) {
		for (i = 0; i < nman; i++) {
			rc = policy_db_load_path(t.db, manifests[i], eb,
			    sizeof(eb));
			if (rc < 0)
				cli_errx(rc == CILKIT_EIO || rc ==
				    CILKIT_ENOTFOUND ? CILKIT_EXIT_IO :
				    CILKIT_EXIT_USAGE, "%s", eb);
		}
	} else if ((rc = tester_live_load(&t, eb, sizeof(eb))) < 0) {
		cli_errx(rc == CILKIT_EUNSUPPORTED ? CILKIT_EXIT_USAGE :
		    CILKIT_EXIT_CLUSTER, "%s", eb);
	}
	if ((rc = policy_db_finalize(t.db, eb, sizeof(eb))) < 0)
		cli_errx(CILKIT_EXIT_USAGE, "%s", eb);
	for (i = 0; (size_t)i < policy_db_nwarnings(t.db); i++)
		cli_warnx("warning: %s", policy_db_warning(t.db, (size_t)i));

	if (connlist) {
		char **lines;
		size_t n, k;

		if ((rc = policy_connlist(t.db, &lines, &n, eb,
		    sizeof(eb))) < 0)
			cli_errx(CILKIT_EXIT_IO, "%s", eb);
		for (k = 0; k < n; k++)
			puts(lines[k]);
		policy_lines_free(lines, n);
		rc = CILKIT_EXIT_OK;
	} else if (suite != NULL) {
		rc = tester_run_suite(&t, suite);
	} else {
		rc = tester_run_one(&t, &one);
	}
	tester_live_close(&t);
	policy_db_free(t.db);
	return cli_finish(rc);
}
