/*
 * cilium-pcap - capture a pod's packets from the Cilium data path into a
 * pcap: remotely, through tcpdump in the node's Cilium agent pod, or
 * locally with libpcap on the pod's host-side interface.
 *
 * This file: options, output, status line and summary.  local.c and
 * remote.c do the two kinds of capture.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cilkit.h"
#include "cli.h"
#include "exitcodes.h"

#define SYNOPSIS \
	"--pod [NS/]NAME | -l SELECTOR [-n NS] [--duration SECS]\n" \
	"       [-i any|cilium_host|cilium_net|pod|NAME] [-o FILE] " \
	"[--filter EXPR]\n" \
	"       [-c COUNT] [-s SNAPLEN] [--local] [--ip ADDR] [--context " \
	"CTX]\n       [--kubeconfig FILE] [-qv] [--force] [EXPR ...]"

volatile sig_atomic_t cp_stop;
int cp_stop_signal;
static int status_drawn;
static char output_name[4096];

static void
usage(void)
{
	printf("usage: %s %s\n\n", cli_progname(), SYNOPSIS);
	fputs(
"Capture a pod's packets from the Cilium data path into a pcap file.\n"
"\n"
"      --pod [NS/]NAME     the pod to capture (required unless -l or\n"
"                          --local --ip)\n"
"  -n, --namespace NS      the pod's namespace (default: the context's,\n"
"                          else default)\n"
"  -l, --selector SEL      every pod matching a label selector, merged\n"
"                          into one time-ordered capture\n"
"      --duration SECS     stop after SECS seconds (default 60)\n"
"  -i, --interface IFACE   any, cilium_host, cilium_net, pod (the pod's\n"
"                          own lxc veth) or a node interface such as eth0\n"
"                          (default any)\n"
"  -o, --output FILE       pcap file (default capture-YYYYMMDD-HHMMSS.pcap;\n"
"                          '-' for stdout, the default when stdout is a\n"
"                          pipe)\n"
"      --filter EXPR       BPF filter, ANDed with the pod's addresses\n"
"                          (EXPR may also follow the options)\n"
"  -c, --count N           stop after N packets\n"
"  -s, --snaplen N         bytes kept per packet (default 262144; 0 too)\n"
"      --local             capture here with libpcap, not in the agent pod\n"
"      --ip ADDR           the pod's IP for --local without the API\n"
"                          (repeat for IPv4 and IPv6)\n"
"      --context CTX       kubeconfig context\n"
"      --kubeconfig FILE   kubeconfig file (default $KUBECONFIG,\n"
"                          ~/.kube/config)\n"
"      --force             overwrite an existing output file\n"
"  -q, --quiet             no status line and no summary\n"
"  -v, --verbose           show the interface and the combined filter\n"
"  -h, --help              this help\n"
"  -V, --version           version and library versions\n"
"\n"
"Exit status: 0 done, 2 usage or input error (also: pod or interface\n"
"not found), 3 cluster unreachable or forbidden, 4 output error (disk\n"
"full, broken pipe), 5 the agent's tcpdump failed or is missing,\n"
"6 interrupted by a signal (the file is still a valid pcap).\n"
"See cilium-pcap(1).\n", stdout);
}

static void
on_signal(int sig)
{
	cp_stop = 1;
	cp_stop_signal = sig;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() must return so the loop sees the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * A reader that goes away must end the capture cleanly (remote
	 * tcpdump stopped, summary printed), so EPIPE comes back as an
	 * error instead of killing us.
	 */
	signal(SIGPIPE, SIG_IGN);
}

static void
human_bytes(uint64_t b, char *out, size_t len)
{
	if (b < 10 * 1024)
		snprintf(out, len, "%llu B", (unsigned long long)b);
	else if (b < 10 * 1024 * 1024)
		snprintf(out, len, "%.1f KiB", b / 1024.0);
	else if (b < 10ULL * 1024 * 1024 * 1024)
		snprintf(out, len, "%.1f MiB", b / (1024.0 * 1024));
	else
		snprintf(out, len, "%.1f GiB", b / (1024.0 * 1024 * 1024));
}

void
cp_status_tick(void *arg, const struct cpcap_stats *st, int64_t elapsed_ms)
{
	const struct cp_opts *o = arg;
	char bytes[32];
	int64_t el = elapsed_ms / 1000, rem;

	if (!o->status)
		return;
	rem = o->duration_s - el;
	if (rem < 0)
		rem = 0;
	human_bytes(st->bytes, bytes, sizeof(bytes));
	fprintf(stderr, "\r%s: %02lld:%02lld elapsed, %02lld:%02lld left, "
	    "%llu packets, %s -> %s\033[K", cli_progname(),
	    (long long)(el / 60), (long long)(el % 60), (long long)(rem / 60),
	    (long long)(rem % 60), (unsigned long long)st->captured, bytes,
	    output_name);
	fflush(stderr);
	status_drawn = 1;
}

void
cp_status_clear(void)
{
	if (status_drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		status_drawn = 0;
	}
}

int
cp_finish(const struct cp_opts *o, int end, const struct cpcap_stats *st,
    const char *why)
{
	int rc = CILKIT_EXIT_OK;

	cp_status_clear();
	switch (end) {
	case CPCAP_END_DURATION:
	case CPCAP_END_COUNT:
		break;
	case CPCAP_END_STOPPED:
		rc = CILKIT_EXIT_INTERRUPTED;
		break;
	case CPCAP_END_OUTPUT:
		cli_warnx("%s", why);
		rc = CILKIT_EXIT_IO;
		break;
	default:
		cli_warnx("%s", why);
		rc = CILKIT_EXIT_REMOTE;
		break;
	}
	if (!o->quiet) {
		fprintf(stderr, "%llu packet%s captured\n",
		    (unsigned long long)st->captured,
		    st->captured == 1 ? "" : "s");
		fprintf(stderr, "%llu packet%s received by filter\n",
		    (unsigned long long)st->received,
		    st->received == 1 ? "" : "s");
		fprintf(stderr, "%llu packet%s dropped by kernel\n",
		    (unsigned long long)st->dropped,
		    st->dropped == 1 ? "" : "s");
		if (st->ifdropped > 0)
			fprintf(stderr, "%llu packet%s dropped by interface\n",
			    (unsigned long long)st->ifdropped,
			    st->ifdropped == 1 ? "" : "s");
		if (strcmp(output_name, "<stdout>") != 0)
			fprintf(stderr, "%s: wrote %s (%llu bytes)\n",
			    cli_progname(), output_name,
			    (unsigned long long)st->bytes);
		if (end == CPCAP_END_STOPPED)
			fprintf(stderr, "%s: stopped by %s\n", cli_progname(),
			    strsignal(cp_stop_signal));
	}
	return rc;
}

int
cp_open_output(const struct cp_opts *o, int linktype, uint32_t snaplen,
    int tsprec, struct cpcap_writer **wp)
{
	char eb[CILKIT_ERRBUF_SIZE];
	int rc;

	rc = cpcap_writer_open(wp, o->output, o->force ? CPCAP_W_FORCE : 0,
	    linktype, snaplen, tsprec, eb, sizeof(eb));
	if (rc == 0)
		return 0;
	cli_warnx("%s", eb);
	return rc == CILKIT_EINVAL ? CILKIT_EXIT_USAGE : CILKIT_EXIT_IO;
}

/* DNS-1123 subdomain: what a pod name or namespace may be. */
static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.'))
			return 0;
	return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' &&
	    s[n - 1] != '.';
}

/* Long-only options. */
enum {
	OPT_CONTEXT = 256,
	OPT_DURATION,
	OPT_FILTER,
	OPT_FORCE,
	OPT_IP,
	OPT_KUBECONFIG,
	OPT_LOCAL,
	OPT_POD,
};

static const struct option longopts[] = {
	{ "context",	required_argument,	NULL, OPT_CONTEXT },
	{ "count",	required_argument,	NULL, 'c' },
	{ "duration",	required_argument,	NULL, OPT_DURATION },
	{ "filter",	required_argument,	NULL, OPT_FILTER },
	{ "force",	no_argument,		NULL, OPT_FORCE },
	{ "help",	no_argument,		NULL, 'h' },
	{ "interface",	required_argument,	NULL, 'i' },
	{ "ip",		required_argument,	NULL, OPT_IP },
	{ "kubeconfig",	required_argument,	NULL, OPT_KUBECONFIG },
	{ "local",	no_argument,		NULL, OPT_LOCAL },
	{ "selector",	required_argument,	NULL, 'l' },
	{ "namespace",	required_argument,	NULL, 'n' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "pod",	required_argument,	NULL, OPT_POD },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "snaplen",	required_argument,	NULL, 's' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	static char filterbuf[CPCAP_FILTER_MAX + 1];
	struct cp_opts o;
	struct stat st;
	char eb[CILKIT_ERRBUF_SIZE], *slash;
	const char *ns_opt = NULL;
	int ch, i, rc;
	size_t fl;

	cli_init(argv[0], SYNOPSIS);
	memset(&o, 0, sizeof(o));
	o.iface = "any";
	o.duration_s = 60;
	o.snaplen = CPCAP_MAX_SNAPLEN;
	while ((ch = getopt_long(argc, argv, "c:hi:l:n:o:qs:Vv",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_IP:
			if (o.nips == CP_MAX_IPS)
				cli_usage_error("at most %d --ip", CP_MAX_IPS);
			if (cpcap_addr_parse(optarg, o.ips[o.nips],
			    sizeof(o.ips[0]), eb, sizeof(eb)) < 0)
				cli_usage_error("--ip: %s", eb);
			o.nips++;
			break;
		case OPT_CONTEXT:
			o.context = optarg;
			break;
		case 'c':
			o.count = cli_opt_u64("--count", optarg, 1,
			    UINT32_MAX);
			break;
		case OPT_DURATION:
			o.duration_s = (int64_t)cli_opt_u64("--duration",
			    optarg, 1, 7 * 86400);
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_FILTER:
			o.filter = optarg;
			break;
		case 'h':
			usage();
			return cli_finish(CILKIT_EXIT_OK);
		case 'i':
			o.iface = optarg;
			break;
		case OPT_KUBECONFIG:
			o.kubeconfig = optarg;
			break;
		case OPT_LOCAL:
			o.local = true;
			break;
		case 'l':
			o.selector = optarg;
			break;
		case 'n':
			ns_opt = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_POD:
			o.pod = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 's':
			o.snaplen = (uint32_t)cli_opt_u64("--snaplen", optarg,
			    0, CPCAP_MAX_SNAPLEN);
			if (o.snaplen == 0)
				o.snaplen = CPCAP_MAX_SNAPLEN;
			break;
		case 'V':
			cli_print_version();
			return cli_finish(CILKIT_EXIT_OK);
		case 'v':
			o.verbose++;
			break;
		default:
			cli_usage_error(NULL);
		}
	}

	/* Words after the options are a filter, as with tcpdump. */
	if (optind < argc) {
		if (o.filter != NULL)
			cli_usage_error("give the filter either with --filter "
			    "or after the options, not both");
		fl = 0;
		for (i = optind; i < argc; i++) {
			rc = snprintf(filterbuf + fl, sizeof(filterbuf) - fl,
			    "%s%s", i > optind ? " " : "", argv[i]);
			if (rc < 0 || (size_t)rc >= sizeof(filterbuf) - fl)
				cli_usage_error("filter longer than %d bytes",
				    CPCAP_FILTER_MAX);
			fl += (size_t)rc;
		}
		o.filter = filterbuf;
	}
	if (o.filter != NULL && strlen(o.filter) > CPCAP_FILTER_MAX)
		cli_usage_error("filter longer than %d bytes",
		    CPCAP_FILTER_MAX);

	if (o.pod != NULL && (slash = strchr(o.pod, '/')) != NULL) {
		*slash = '\0';
		if (ns_opt != NULL && strcmp(ns_opt, o.pod) != 0)
			cli_usage_error("--pod %s/%s conflicts with "
			    "--namespace %s", o.pod, slash + 1, ns_opt);
		ns_opt = o.pod;
		o.pod = slash + 1;
	}
	o.ns = ns_opt;
	if (o.pod != NULL && !name_ok(o.pod))
		cli_usage_error("bad pod name '%s'", o.pod);
	if (o.ns != NULL && !name_ok(o.ns))
		cli_usage_error("bad namespace '%s'", o.ns);
	if (o.pod != NULL && o.selector != NULL)
		cli_usage_error("--pod and --selector exclude each other");
	if (o.selector != NULL && o.nips > 0)
		cli_usage_error("--ip and --selector exclude each other");
	if (o.pod == NULL && o.selector == NULL &&
	    !(o.local && o.nips > 0))
		cli_usage_error("--pod is required");
	if (strcmp(o.iface, "any") != 0 && strcmp(o.iface, "pod") != 0 &&
	    !cpcap_ifname_valid(o.iface))
		cli_usage_error("bad interface name '%s'", o.iface);

	/* Output: never pcap on a terminal, stdout when it is a pipe. */
	if (o.output == NULL) {
		if (fstat(STDOUT_FILENO, &st) == 0 &&
		    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
			o.output = "-";
		} else {
			static char defname[64];
			time_t now = time(NULL);
			struct tm tm;

			localtime_r(&now, &tm);
			strftime(defname, sizeof(defname),
			    "capture-%Y%m%d-%H%M%S.pcap", &tm);
			o.output = defname;
		}
	}
	if (strcmp(o.output, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			cli_usage_error("refusing to write pcap to a terminal "
			    "(use -o FILE or a pipe)");
		snprintf(output_name, sizeof(output_name), "<stdout>");
	} else {
		snprintf(output_name, sizeof(output_name), "%s", o.output);
		if (!o.force && lstat(o.output, &st) == 0 &&
		    S_ISREG(st.st_mode))
			cli_errx(CILKIT_EXIT_USAGE,
			    "%s: file exists (use --force to overwrite)",
			    o.output);
	}
	o.status = !o.quiet && isatty(STDERR_FILENO);

	setup_signals();
	if (o.local || (o.nips > 0 && o.selector == NULL))
		rc = cp_local(&o);
	else
		rc = cp_remote(&o);
	return cli_finish(rc);
}
