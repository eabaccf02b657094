/*
 * analyze-drops - who dropped what and why: reads Hubble flow lines or
 * cilium monitor output and prints the drop analysis report
 * (lib/report_drops.h), or runs `hubble observe` when given nothing.
 *
 * This file holds options and orchestration only; input handling is in
 * input.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilium_drop.h"
#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "report.h"
#include "report_drops.h"

#include "analyze.h"

#define SYNOPSIS "[-n namespace] [--since time] [--until time] " \
	"[--reason reason] [--pod [ns/]pod] [--node node] " \
	"[--summary | --detail] [--json] [--top n] [--max-drops n] " \
	"[-i file ...] [--context name] [--kubeconfig file]"

static const char help_text[] =
"usage: analyze-drops " SYNOPSIS "\n"
"\n"
"Analyze dropped packets from Hubble flow lines or cilium monitor output:\n"
"counts per drop reason, top sources and destinations, and what to do.\n"
"\n"
"Input:\n"
"  -i, --input FILE       read flows from FILE ('-' for stdin); repeatable.\n"
"                         Without it, stdin is read when it is a pipe or\n"
"                         a file; otherwise (a terminal, /dev/null under\n"
"                         cron) `hubble observe --type drop -o jsonpb` is\n"
"                         run when hubble is on PATH, else in the Cilium\n"
"                         agent pods through the Kubernetes API (the nodes\n"
"                         of --node, else of -n's pods, else all).\n"
"                         Flow lines (hubble observe -o jsonpb/json, Hubble\n"
"                         exporter files) and cilium monitor output (text\n"
"                         or -j) are told apart automatically.\n"
"\n"
"Filters:\n"
"  -n, --namespace NS     drops whose source or destination is in NS\n"
"      --since TIME       drops at or after TIME: a duration back from now\n"
"                         (30s, 5m, 1h30m, 24h, 1d) or RFC 3339\n"
"                         (2024-05-01T10:00:00Z)\n"
"      --until TIME       drops at or before TIME (same forms)\n"
"      --reason REASON    one drop reason: the message (\"Policy denied\"),\n"
"                         the enum name (POLICY_DENIED) or the code (133);\n"
"                         case-insensitive\n"
"      --pod [NS/]POD     drops whose source or destination pod name starts\n"
"                         with POD (in namespace NS when given)\n"
"      --node NODE        drops observed on node NODE\n"
"\n"
"Output:\n"
"      --summary          totals and reasons only\n"
"      --detail           add, per reason, the source -> destination pairs\n"
"                         with counts, directions, nodes, first/last time\n"
"                         and policy names\n"
"      --json             the report as one JSON object\n"
"      --top N            entries in each top list (default 10)\n"
"      --max-drops N      exit 1 when more than N drops were counted\n"
"\n"
"Cluster (used when the agents are asked):\n"
"      --context NAME     kubeconfig context\n"
"      --kubeconfig FILE  kubeconfig file (default $KUBECONFIG)\n"
"\n"
"  -h, --help             show this help and exit\n"
"      --version          show the version and exit\n"
"\n"
"Exit status: 0 report printed; 1 more drops than --max-drops; 2 usage\n"
"error, unreadable input or skipped input lines (the report still counts\n"
"every good line); 3 hubble failed or the cluster could not be asked;\n"
"6 interrupted.  See analyze-drops(1).\n";

enum {
	OPT_SINCE = 256, OPT_UNTIL, OPT_REASON, OPT_POD, OPT_NODE,
	OPT_SUMMARY, OPT_DETAIL, OPT_JSON, OPT_TOP, OPT_MAX_DROPS,
	OPT_CONTEXT, OPT_KUBECONFIG, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "detail", no_argument, NULL, OPT_DETAIL },
	{ "help", no_argument, NULL, 'h' },
	{ "input", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "max-drops", required_argument, NULL, OPT_MAX_DROPS },
	{ "namespace", required_argument, NULL, 'n' },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * REPORT_NS_PER_SEC + ts.tv_nsec;
}

/* A Kubernetes name: what a namespace, pod or node may be. */
static bool
valid_name(const char *s, bool allow_slash)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || (allow_slash && c == '/')))
			return false;
	}
	return true;
}

static void
parse_time_opt(const char *opt, const char *arg, int64_t now, int64_t *out,
    bool *relative)
{
	char eb[CILKIT_ERRBUF_SIZE];
	int64_t d;

	if (report_parse_time(arg, now, out, eb, sizeof(eb)) != 0)
		cli_usage_error("%s: %s", opt, eb);
	*relative = report_parse_duration(arg, &d, NULL, 0) == 0;
	/* "--since 90y" reaches before 1970: it means everything. */
	if (*out <= 0)
		*out = 1;
}

int
main(int argc, char **argv)
{
	struct report_drops_opts o;
	struct analyze_inputs in;
	const struct cilium_drop_reason *r;
	enum report_drops_mode mode = REPORT_DROPS_NORMAL;
	struct report_drops *d;
	struct json_object *j;
	char eb[CILKIT_ERRBUF_SIZE], reason_text[160];
	bool json = false, summary = false, detail = false, rel, has_max = false;
	uint64_t max_drops = 0;
	int64_t now = now_ns();
	int c, rc, status;

	cli_init(argv[0], SYNOPSIS);
	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	o.top = 10;
	while ((c = getopt_long(argc, argv, "hi:n:", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help_text, stdout);
			return cli_finish(CILKIT_EXIT_OK);
		case 'i':
			if (analyze_add_input(&in, optarg) != 0)
				cli_errx(CILKIT_EXIT_USAGE, "too many inputs");
			break;
		case 'n':
			if (!valid_name(optarg, false))
				cli_usage_error("invalid namespace '%s'",
				    optarg);
			o.namespace = optarg;
			break;
		case OPT_SINCE:
			parse_time_opt("--since", optarg, now, &o.since_ns,
			    &rel);
			o.since_arg = optarg;
			o.since_relative = rel;
			break;
		case OPT_UNTIL:
			parse_time_opt("--until", optarg, now, &o.until_ns,
			    &rel);
			o.until_arg = optarg;
			break;
		case OPT_REASON:
			r = cilium_drop_lookup(optarg);
			if (r == NULL && optarg[0] >= '1' && optarg[0] <= '9' &&
			    strspn(optarg, "0123456789") == strlen(optarg) &&
			    strlen(optarg) <= 9) {
				/* a code newer than our table */
				o.has_reason = true;
				o.reason = (uint32_t)strtoul(optarg, NULL, 10);
				snprintf(reason_text, sizeof(reason_text),
				    "code %s", optarg);
				o.reason_arg = reason_text;
				break;
			}
			if (r == NULL)
				cli_usage_error("unknown drop reason '%s' (give "
				    "the message, e.g. \"Policy denied\", the "
				    "name, e.g. POLICY_DENIED, or the code)",
				    optarg);
			o.has_reason = true;
			o.reason = r->code;
			snprintf(reason_text, sizeof(reason_text), "%s",
			    r->message);
			o.reason_arg = reason_text;
			break;
		case OPT_POD:
			if (!valid_name(optarg, true) ||
			    strchr(optarg, '/') != strrchr(optarg, '/'))
				cli_usage_error("invalid pod '%s' (expected "
				    "[namespace/]pod)", optarg);
			o.pod = optarg;
			break;
		case OPT_NODE:
			if (!valid_name(optarg, true))
				cli_usage_error("invalid node '%s'", optarg);
			o.node = optarg;
			break;
		case OPT_SUMMARY:
			summary = true;
			break;
		case OPT_DETAIL:
			detail = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_TOP:
			o.top = (size_t)cli_opt_u64("--top", optarg, 1, 100000);
			break;
		case OPT_MAX_DROPS:
			max_drops = cli_opt_u64("--max-drops", optarg, 0,
			    UINT64_MAX);
			has_max = true;
			break;
		case OPT_CONTEXT:
			in.context = optarg;
			break;
		case OPT_KUBECONFIG:
			in.kubeconfig = optarg;
			break;
		case OPT_VERSION:
			cli_print_version();
			return cli_finish(CILKIT_EXIT_OK);
		default:
			cli_usage_error(NULL);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s' (files are given "
		    "with --input)", argv[optind]);
	if (summary && detail)
		cli_usage_error("--summary and --detail exclude each other");
	if (o.since_ns != 0 && o.until_ns != 0 && o.since_ns > o.until_ns)
		cli_usage_error("--since %s is after --until %s", o.since_arg,
		    o.until_arg);
	mode = summary ? REPORT_DROPS_SUMMARY : detail ? REPORT_DROPS_DETAIL :
	    REPORT_DROPS_NORMAL;

	d = report_drops_new(&o);
	if (d == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	status = analyze_read_all(&in, &o, d);
	if (status == CILKIT_EXIT_USAGE && in.n_read == 0) {
		/* Nothing was read at all: no report to print. */
		report_drops_free(d);
		analyze_free_inputs(&in);
		return cli_finish(status);
	}
	if (json) {
		j = report_drops_json(d, mode);
		if (j == NULL)
			cli_errx(CILKIT_EXIT_IO, "out of memory");
		rc = report_json_print(stdout, j, true, eb, sizeof(eb));
		json_object_put(j);
	} else
		rc = report_drops_print(d, stdout, mode, !cli_use_utf8(stdout));
	if (rc == CILKIT_ENOMEM)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	if (has_max && report_drops_total(d) > max_drops) {
		cli_warnx("%llu drops, more than --max-drops %llu",
		    (unsigned long long)report_drops_total(d),
		    (unsigned long long)max_drops);
		/* An input error (2) still outranks the finding. */
		if (status == CILKIT_EXIT_OK)
			status = CILKIT_EXIT_PROBLEM;
	}
	report_drops_free(d);
	analyze_free_inputs(&in);
	return cli_finish(status);
}
