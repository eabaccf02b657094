/*
 * flow-analyzer - analyze Hubble flows (and, through the pcap path,
 * packet captures): service map, traffic patterns, latency, errors,
 * exports and an interactive report.  See flow-analyzer(1).
 *
 * This file only parses options and dispatches: the first input is
 * sniffed (flow_sniff) and goes to the pcap path or the flow-line path.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"
#include "fa.h"
#include "flow.h"
#include "flow_filter.h"
#include "flow_read.h"
#include "pcap_mode.h"
#include "report.h"

static const char synopsis[] =
    "flow-analyzer [-flqhV] [-i FILE]... [-n NS] [--pod [NS/]POD]\n"
    "       [--from-pod [NS/]POD] [--to-pod [NS/]POD] [--verdict V]\n"
    "       [--protocol P] [--port N] [--label K=V] [-t TYPE]\n"
    "       [--since TIME] [--until TIME] [-e json|csv|html|flows]\n"
    "       [-o FILE] [--visualize] [--format html|dot|text]\n"
    "       [--listen ADDR:PORT] [--top N] [--filter BPF]\n"
    "       [--color WHEN] [--context NAME] [--kubeconfig FILE]";

enum {
	OPT_POD = 256, OPT_FROM_POD, OPT_TO_POD, OPT_VERDICT, OPT_PROTOCOL,
	OPT_PORT, OPT_SINCE, OPT_UNTIL, OPT_LABEL, OPT_VISUALIZE, OPT_FORMAT,
	OPT_LISTEN, OPT_TOP, OPT_JSON, OPT_BPF, OPT_COLOR, OPT_CONTEXT,
	OPT_KUBECONFIG,
};

static const struct option longopts[] = {
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "export", required_argument, NULL, 'e' },
	{ "filter", required_argument, NULL, OPT_BPF },
	{ "follow", no_argument, NULL, 'f' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "from-pod", required_argument, NULL, OPT_FROM_POD },
	{ "help", no_argument, NULL, 'h' },
	{ "input", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "live", no_argument, NULL, 'l' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "pod", required_argument, NULL, OPT_POD },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "to-pod", required_argument, NULL, OPT_TO_POD },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "type", required_argument, NULL, 't' },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "verdict", required_argument, NULL, OPT_VERDICT },
	{ "version", no_argument, NULL, 'V' },
	{ "visualize", no_argument, NULL, OPT_VISUALIZE },
	{ NULL, 0, NULL, 0 },
};

static void
help(void)
{
	printf("usage: %s\n\n", synopsis);
	printf(
"Analyze Hubble flow lines (hubble observe -o jsonpb, -o json, exporter\n"
"files): service map, traffic patterns, L7 latency, errors; or a packet\n"
"capture (pcap, pcapng): conversations, TCP problems, a diagnosis.\n"
"\n"
"Input:\n"
"  -i, --input FILE      read FILE (repeatable; - is stdin); default:\n"
"                        stdin when it is not a terminal\n"
"  -f, --follow          follow --input FILE as it grows, across\n"
"                        rotation (like tail -F); implies --live\n"
"  -l, --live            stream flows and keep the report current:\n"
"                        --input FILE --follow, else `hubble observe\n"
"                        --follow -o jsonpb` when hubble is on PATH,\n"
"                        else the same in the Cilium agent pods through\n"
"                        the Kubernetes API; Ctrl-C ends with the final\n"
"                        report\n"
"      --context NAME    kubeconfig context (for the agents)\n"
"      --kubeconfig FILE kubeconfig (default $KUBECONFIG, ~/.kube/config)\n"
"Filters (values of one filter OR-ed, different filters AND-ed):\n"
"  -n, --namespace NS    source or destination namespace\n"
"      --pod [NS/]POD    pod name prefix on either side (NS default:\n"
"                        \"default\", as in hubble)\n"
"      --from-pod [NS/]POD, --to-pod [NS/]POD\n"
"      --verdict V       FORWARDED, DROPPED, ERROR, AUDIT, REDIRECTED,\n"
"                        TRACED, TRANSLATED\n"
"      --protocol P      tcp udp icmp icmpv4 icmpv6 sctp http dns kafka\n"
"      --port N          source or destination port\n"
"      --label K=V       endpoint label on either side (K alone: any value)\n"
"      --filter BPF      packet input only: a pcap-filter(7) expression\n"
"                        such as 'tcp port 8080' (flow filters above do\n"
"                        not apply to packets: a capture has no pods)\n"
"  -t, --type T          l7 l3l4 drop trace policy-verdict sock\n"
"      --since TIME      flows at or after TIME (RFC 3339, date, or a\n"
"                        duration such as 5m meaning that long ago)\n"
"      --until TIME      flows at or before TIME\n"
"Output:\n"
"  -e, --export FMT      json (whole report), csv (one row per flow),\n"
"                        html (interactive report), flows (filtered\n"
"                        flow lines); default: the text report\n"
"      --json            same as --export json\n"
"  -o, --output FILE     write to FILE instead of stdout\n"
"      --visualize       the service map: html, or a text graph on a\n"
"                        terminal; with --live, served on --listen\n"
"      --format FMT      --visualize format: html, dot, text\n"
"      --listen ADDR:PORT  web view address (default 127.0.0.1:8089;\n"
"                        port 0 picks a free one)\n"
"      --top N           rows per table (default 10, edges 20; packet\n"
"                        input: conversations, default 20)\n"
"      --color WHEN      auto (default: only on a terminal), always, never\n"
"  -q, --quiet           no message per skipped input line\n"
"  -h, --help            this help\n"
"  -V, --version         version and library versions\n");
}

static void
add_filter(struct fa_opts *o, int kind, const char *v, const char *opt)
{
	char eb[CILKIT_ERRBUF_SIZE];

	if (flow_filter_add(o->filter, kind, v, eb, sizeof(eb)) < 0)
		cli_usage_error("%s: %s", opt, eb);
}

static int64_t
parse_when(const char *opt, const char *s)
{
	char eb[CILKIT_ERRBUF_SIZE];
	struct timespec ts;
	int64_t now, out;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * REPORT_NS_PER_SEC + ts.tv_nsec;
	if (report_parse_time(s, now, &out, eb, sizeof(eb)) < 0)
		cli_usage_error("%s: %s", opt, eb);
	return out;
}

static int
parse_export(const char *s)
{
	if (strcmp(s, "json") == 0)
		return FA_EXPORT_JSON;
	if (strcmp(s, "csv") == 0)
		return FA_EXPORT_CSV;
	if (strcmp(s, "html") == 0)
		return FA_EXPORT_HTML;
	if (strcmp(s, "flows") == 0)
		return FA_EXPORT_FLOWS;
	cli_usage_error("--export: unknown format '%s' (json, csv, html, "
	    "flows)", s);
}

static int
parse_format(const char *s)
{
	if (strcmp(s, "html") == 0)
		return FA_FORMAT_HTML;
	if (strcmp(s, "dot") == 0)
		return FA_FORMAT_DOT;
	if (strcmp(s, "text") == 0)
		return FA_FORMAT_TEXT;
	cli_usage_error("--format: unknown format '%s' (html, dot, text)", s);
}

/*
 * Packet input: one capture, the options that make sense for packets.
 * Flow filters (namespace, pod, label, verdict...) need Kubernetes
 * metadata that a capture does not have: refuse them rather than
 * silently ignore them.
 */
static int
run_pcap(const struct fa_opts *o, struct fa_input *in, const char *bpf,
    int color)
{
	struct pcap_mode_opts po;
	const char *exp = NULL;
	FILE *out;
	int rc;

	if (o->n_inputs != 1)
		cli_usage_error("%s: a capture must be the only --input",
		    in->name);
	if (!flow_filter_empty(o->filter) || o->since != NULL ||
	    o->until != NULL)
		cli_usage_error("pcap input has no namespaces, pods, labels "
		    "or verdicts: flow filters apply to flow lines only (use "
		    "--filter 'host ADDR and port N' for packets)");
	if (o->visualize || o->live)
		cli_usage_error("--visualize and --live need flow-line "
		    "input");
	switch (o->export_fmt) {
	case FA_EXPORT_NONE:
		break;
	case FA_EXPORT_JSON:
		exp = "json";
		break;
	case FA_EXPORT_CSV:
		exp = "csv";
		break;
	default:
		cli_usage_error("--export html and flows need flow-line "
		    "input; for packets use json or csv");
	}
	if ((out = fa_open_output(o)) == NULL) {
		fclose(in->fp);
		return CILKIT_EXIT_IO;
	}
	memset(&po, 0, sizeof(po));
	po.name = in->name;
	po.filter = bpf;
	po.export = exp;
	po.out = out;
	po.top = o->top;
	po.color = exp == NULL && cli_use_color(out, color);
	rc = pcap_mode_run(in->fp, in->head, in->n_head, &po);
	return fa_close_output(o, out, rc);
}

/* Open an input and read its first bytes for sniffing. */
static int
open_input(const char *path, struct fa_input *in)
{
	memset(in, 0, sizeof(*in));
	if (strcmp(path, "-") == 0) {
		in->fp = stdin;
		in->name = "<stdin>";
	} else {
		if ((in->fp = fopen(path, "rb")) == NULL) {
			cli_warnx("%s: cannot open: %s", path,
			    strerror(errno));
			return -1;
		}
		in->name = path;
	}
	in->n_head = fread(in->head, 1, sizeof(in->head), in->fp);
	if (in->n_head < sizeof(in->head) && ferror(in->fp)) {
		cli_warnx("%s: read error", in->name);
		return -1;
	}
	in->format = flow_sniff(in->head, in->n_head);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *stdin_only[] = { "-" };
	const char **inputs;
	struct fa_opts o;
	struct fa_input *in;
	int64_t since = 0, until = 0;
	size_t i;
	int c, rc, export_set = 0, color = CLI_COLOR_AUTO;
	const char *bpf = NULL;

	cli_init(argv[0], synopsis);
	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:8089";
	if ((o.filter = flow_filter_new()) == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	if (inputs == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	o.inputs = inputs;

	while ((c = getopt_long(argc, argv, "e:fhi:ln:o:qt:V", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'e':
			o.export_fmt = parse_export(optarg);
			export_set++;
			break;
		case 'f':
			o.follow = true;
			break;
		case 'h':
			help();
			flow_filter_free(o.filter);
			free(inputs);
			return cli_finish(CILKIT_EXIT_OK);
		case 'i':
			inputs[o.n_inputs++] = optarg;
			break;
		case 'l':
			o.live = true;
			break;
		case 'n':
			add_filter(&o, FLOW_FILTER_NAMESPACE, optarg,
			    "--namespace");
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 't':
			add_filter(&o, FLOW_FILTER_TYPE, optarg, "--type");
			break;
		case 'V':
			cli_print_version();
			flow_filter_free(o.filter);
			free(inputs);
			return cli_finish(CILKIT_EXIT_OK);
		case OPT_POD:
			add_filter(&o, FLOW_FILTER_POD, optarg, "--pod");
			break;
		case OPT_FROM_POD:
			add_filter(&o, FLOW_FILTER_FROM_POD, optarg,
			    "--from-pod");
			break;
		case OPT_TO_POD:
			add_filter(&o, FLOW_FILTER_TO_POD, optarg, "--to-pod");
			break;
		case OPT_VERDICT:
			add_filter(&o, FLOW_FILTER_VERDICT, optarg,
			    "--verdict");
			break;
		case OPT_PROTOCOL:
			add_filter(&o, FLOW_FILTER_PROTOCOL, optarg,
			    "--protocol");
			break;
		case OPT_PORT:
			add_filter(&o, FLOW_FILTER_PORT, optarg, "--port");
			break;
		case OPT_LABEL:
			add_filter(&o, FLOW_FILTER_LABEL, optarg, "--label");
			break;
		case OPT_SINCE:
			o.since = optarg;
			since = parse_when("--since", optarg);
			break;
		case OPT_UNTIL:
			o.until = optarg;
			until = parse_when("--until", optarg);
			break;
		case OPT_VISUALIZE:
			o.visualize = true;
			break;
		case OPT_CONTEXT:
			o.context = optarg;
			break;
		case OPT_KUBECONFIG:
			o.kubeconfig = optarg;
			break;
		case OPT_FORMAT:
			o.format = parse_format(optarg);
			break;
		case OPT_LISTEN:
			o.listen = optarg;
			break;
		case OPT_TOP:
			o.top = (size_t)cli_opt_u64("--top", optarg, 1,
			    1000000);
			break;
		case OPT_JSON:
			o.export_fmt = FA_EXPORT_JSON;
			export_set++;
			break;
		case OPT_BPF:
			bpf = optarg;
			break;
		case OPT_COLOR:
			if ((color = cli_parse_color(optarg)) < 0)
				cli_usage_error("--color: unknown value '%s' "
				    "(auto, always or never)", optarg);
			break;
		default:
			cli_usage_error(NULL);
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s' (inputs go with "
		    "--input)", argv[optind]);
	if (export_set > 1)
		cli_usage_error("--export and --json given more than once");
	if (since != 0 && until != 0 && since > until)
		cli_usage_error("--since is after --until");
	flow_filter_set_time(o.filter, since, until);
	if (o.format != FA_FORMAT_AUTO && !o.visualize)
		cli_usage_error("--format goes with --visualize");
	if (o.visualize && o.export_fmt != FA_EXPORT_NONE &&
	    o.export_fmt != FA_EXPORT_HTML)
		cli_usage_error("--visualize draws the map; use --export "
		    "json, csv or flows without it");
	if (o.visualize && o.export_fmt == FA_EXPORT_HTML &&
	    o.format != FA_FORMAT_AUTO && o.format != FA_FORMAT_HTML)
		cli_usage_error("--export html conflicts with --format");
	if (o.follow) {
		if (o.n_inputs != 1 || strcmp(o.inputs[0], "-") == 0)
			cli_usage_error("--follow needs exactly one --input "
			    "FILE");
		o.live = true;
	}
	if (o.live && o.n_inputs > 0 && !o.follow)
		cli_usage_error("--live with --input needs --follow");

	if (o.live) {
		rc = fa_live_run(&o);
		goto out;
	}

	if (o.n_inputs == 0) {
		if (isatty(STDIN_FILENO))
			cli_usage_error("no input: give --input FILE, pipe "
			    "flows to stdin, or use --live");
		o.inputs = stdin_only;
		o.n_inputs = 1;
	}
	if ((in = calloc(o.n_inputs, sizeof(*in))) == NULL)
		cli_errx(CILKIT_EXIT_IO, "out of memory");
	rc = CILKIT_EXIT_OK;
	for (i = 0; i < o.n_inputs && rc == CILKIT_EXIT_OK; i++) {
		if (open_input(o.inputs[i], &in[i]) < 0) {
			rc = CILKIT_EXIT_USAGE;
		} else if (in[i].format == FLOW_FMT_GZIP) {
			cli_warnx("%s: %s", in[i].name, FLOW_GZIP_ADVICE);
			rc = CILKIT_EXIT_USAGE;
		} else if (in[i].format == FLOW_FMT_UTF16) {
			cli_warnx("%s: %s", in[i].name, FLOW_UTF16_ADVICE);
			rc = CILKIT_EXIT_USAGE;
		} else if (in[i].format == FLOW_FMT_PCAP ||
		    in[i].format == FLOW_FMT_PCAPNG) {
			rc = run_pcap(&o, &in[i], bpf, color);
			in[i].fp = NULL;	/* closed by the pcap path */
			goto done;
		}
	}
	if (rc == CILKIT_EXIT_OK && bpf != NULL)
		cli_usage_error("--filter takes a BPF expression for packet "
		    "input; for flow lines use --port, --protocol, ...");
	if (rc == CILKIT_EXIT_OK)
		rc = fa_flows_run(&o, in, o.n_inputs);
done:
	for (i = 0; i < o.n_inputs; i++)
		if (in[i].fp != NULL && in[i].fp != stdin)
			fclose(in[i].fp);
	free(in);
out:
	flow_filter_free(o.filter);
	free(inputs);
	return cli_finish(rc);
}
