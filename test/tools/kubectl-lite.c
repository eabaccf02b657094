/*
 * kubectl-lite - a tiny kubectl over libcilkit's kube module, so shell
 * tests can drive the library and compare it with the real kubectl.
 *
 * usage: kubectl-lite [--kubeconfig F] [--context C] [-n NS]
 *                     [--timeout MS] [--sa-dir DIR] COMMAND ...
 *   (--sa-dir: the in-cluster service-account folder, for tests)
 *   get RESOURCE [NAME] [-A] [-l SEL] [--field-selector SEL]
 *       [--chunk-size N]       JSON: the object, or {"items":[...]}
 *   exec [-c CONTAINER] [-i] [--deadline MS] [--idle MS] POD -- CMD...
 *       stdout/stderr streamed; exits with the command's exit code
 *   agents [--monitor] [--node N]... [--agent-ns NS] [--reorder MS]
 *       [--deadline MS] [-- ARGS...]
 *       flows from the Cilium agents (hubble observe ARGS -o jsonpb,
 *       or cilium-dbg monitor ARGS -j), merged by time, on stdout
 *   agent-pod NODE             the agent pod's name on NODE
 *   watch RESOURCE [-A] [-l SEL] [--field-selector SEL]
 *       [--from-list] [--timeout-seconds N]
 *       one "TYPE NS/NAME" line per event; --from-list lists first
 *       and watches from the list's resourceVersion
 *   config                     the resolved config (no secrets)
 *
 * Errors: "kubectl-lite: MESSAGE" on stderr and exit 125 (exec) or 1.
 * The first line of stderr for an error starts with the cilkit error
 * name in brackets ("[forbidden]") so tests can match the class.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilium_agent.h"
#include "cilkit.h"
#include "kube_client.h"
#include "kube_config.h"
#include "kube_exec.h"
#include "kube_objects.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
fail(int code, int err, const char *msg)
{
	fprintf(stderr, "kubectl-lite: [%s] %s\n", cilkit_strerror(err), msg);
	return code;
}

static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
out_cb(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	return write_all(1, buf, len);
}

static int
err_cb(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	return write_all(2, buf, len);
}

static int
watch_cb(void *arg, const char *type, struct json_object *obj)
{
	struct json_object *md, *ns = NULL, *name = NULL;

	(void)arg;
	if (json_object_object_get_ex(obj, "metadata", &md)) {
		json_object_object_get_ex(md, "namespace", &ns);
		json_object_object_get_ex(md, "name", &name);
	}
	printf("%s %s%s%s\n", type, ns ? json_object_get_string(ns) : "",
	    ns ? "/" : "", name ? json_object_get_string(name) : "?");
	fflush(stdout);
	return 0;
}

static void
set_ns(struct kube_config *cfg, const char *ns)
{
	free(cfg->ns);
	if ((cfg->ns = strdup(ns)) == NULL)
		exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: kubectl-lite [--kubeconfig F] [--context C] "
	    "[-n NS] [--timeout MS]\n"
	    "       get RESOURCE [NAME] [-A] [-l SEL] [--field-selector SEL] "
	    "[--chunk-size N]\n"
	    "       exec [-c CONTAINER] [-i] [--deadline MS] [--idle MS] "
	    "POD -- CMD...\n       config\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "kubeconfig", required_argument, NULL, 'K' },
		{ "context", required_argument, NULL, 'C' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "sa-dir", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option getopts[] = {
		{ "all-namespaces", no_argument, NULL, 'A' },
		{ "selector", required_argument, NULL, 'l' },
		{ "field-selector", required_argument, NULL, 'f' },
		{ "chunk-size", required_argument, NULL, 'z' },
		{ "namespace", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option execopts[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "idle", required_argument, NULL, 'I' },
		{ "namespace", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct kube_config_opts co = { 0 };
	struct kube_config *cfg = NULL;
	struct kube_client *cl = NULL;
	struct json_object *obj = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	const char *cmd;
	long timeout = -1;
	int ch, r, rc = 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while ((ch = getopt_long(argc, argv, "+n:", gopts, NULL)) != -1) {
		switch (ch) {
		case 'K': co.kubeconfig = optarg; break;
		case 'C': co.context = optarg; break;
		case 'n': co.ns = optarg; break;
		case 'T': timeout = strtol(optarg, NULL, 10); break;
		case 'S': co.sa_dir = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;	/* GNU: re-initialise for the sub-command */
	if ((r = kube_config_load(&co, &cfg, eb, sizeof(eb))) < 0)
		return fail(strcmp(cmd, "exec") == 0 ? 125 : 1, r, eb);
	if (cfg->warning != NULL)
		fprintf(stderr, "kubectl-lite: warning: %s\n", cfg->warning);
	if (strcmp(cmd, "config") == 0) {
		printf("context=%s\ncluster=%s\nuser=%s\nnamespace=%s\n"
		    "server=%s\nauth=%s\nsource=%s\n", cfg->context,
		    cfg->cluster_name, cfg->user_name, cfg->ns, cfg->server,
		    kube_auth_name(cfg->auth), cfg->source);
		kube_config_free(cfg);
		return 0;
	}
	if ((r = kube_client_new(cfg, &cl, eb, sizeof(eb))) < 0) {
		kube_config_free(cfg);
		return fail(1, r, eb);
	}
	kube_client_set_cancel(cl, &stop);
	if (timeout >= 0)
		kube_client_set_timeout(cl, timeout);
	if (strcmp(cmd, "get") == 0) {
		struct kube_list_opts lo = { 0 };
		const struct kube_resource *res;
		bool all = false;

		while ((ch = getopt_long(argc, argv, "Al:n:", getopts,
		    NULL)) != -1) {
			switch (ch) {
			case 'A': all = true; break;
			case 'n': set_ns(cfg, optarg); break;
			case 'l': lo.label_selector = optarg; break;
			case 'f': lo.field_selector = optarg; break;
			case 'z': lo.limit = (unsigned)strtoul(optarg, NULL,
			    10); break;
			default: usage();
			}
		}
		if (optind >= argc)
			usage();
		if ((res = kube_resource_find(argv[optind])) == NULL) {
			fprintf(stderr, "kubectl-lite: unknown resource %s\n",
			    argv[optind]);
			goto out;
		}
		if (optind + 1 < argc) {
			r = kube_get(cl, res, res->namespaced ? cfg->ns : NULL,
			    argv[optind + 1], &obj, eb, sizeof(eb));
		} else {
			struct json_object *items = NULL;

			r = kube_list(cl, res, all || !res->namespaced ? NULL :
			    cfg->ns, &lo, &items, eb, sizeof(eb));
			if (r >= 0) {
				obj = json_object_new_object();
				json_object_object_add(obj, "items", items);
			}
		}
		if (r < 0) {
			rc = fail(1, r, eb);
			goto out;
		}
		printf("%s\n", json_object_to_json_string_ext(obj,
		    JSON_C_TO_STRING_PLAIN));
		rc = 0;
	} else if (strcmp(cmd, "exec") == 0) {
		struct kube_exec_opts eo = { 0 };
		struct kube_exec_result res;

		eo.stdin_fd = 0;
		while ((ch = getopt_long(argc, argv, "c:in:", execopts,
		    NULL)) != -1) {
			switch (ch) {
			case 'c': eo.container = optarg; break;
			case 'n': set_ns(cfg, optarg); break;
			case 'i': eo.use_stdin = true; break;
			case 'd': eo.timeout_ms = strtol(optarg, NULL, 10);
				break;
			case 'I': eo.idle_ms = strtol(optarg, NULL, 10); break;
			default: usage();
			}
		}
		if (optind + 1 >= argc)
			usage();
		eo.ns = cfg->ns;
		eo.pod = argv[optind];
		eo.argv = (const char *const *)&argv[optind + 1];
		eo.on_stdout = out_cb;
		eo.on_stderr = err_cb;
		r = kube_exec(cl, &eo, &res, eb, sizeof(eb));
		if (r < 0) {
			rc = fail(125, r, eb);
			goto out;
		}
		rc = res.exit_code;
		if (getenv("KUBECTL_LITE_VERBOSE") != NULL)
			fprintf(stderr, "kubectl-lite: protocol %s, %llu "
			    "stdout bytes, %llu stderr bytes, exit %d\n",
			    res.protocol,
			    (unsigned long long)res.stdout_bytes,
			    (unsigned long long)res.stderr_bytes,
			    res.exit_code);
	} else if (strcmp(cmd, "agents") == 0) {
		static const struct option agopts[] = {
			{ "monitor", no_argument, NULL, 'm' },
			{ "node", required_argument, NULL, 'N' },
			{ "agent-ns", required_argument, NULL, 'S' },
			{ "reorder", required_argument, NULL, 'R' },
			{ "deadline", required_argument, NULL, 'd' },
			{ NULL, 0, NULL, 0 },
		};
		struct cilium_agent_opts ao = { 0 };
		struct cilium_agent_stream *st;
		const char *nodes[64];
		size_t nn = 0;
		unsigned long long nrec = 0;
		char buf[65536];
		size_t got;
		FILE *fp;

		while ((ch = getopt_long(argc, argv, "", agopts, NULL)) !=
		    -1) {
			switch (ch) {
			case 'm': ao.tool = CILIUM_AGENT_MONITOR; break;
			case 'N': if (nn < 63) nodes[nn++] = optarg; break;
			case 'S': ao.ns = optarg; break;
			case 'R': ao.reorder_ms = strtol(optarg, NULL, 10);
				break;
			case 'd': ao.timeout_ms = strtol(optarg, NULL, 10);
				break;
			default: usage();
			}
		}
		nodes[nn] = NULL;
		ao.nodes = nn > 0 ? nodes : NULL;
		ao.args = (const char *const *)&argv[optind];
		ao.cancel = &stop;
		r = cilium_agent_open(cl, &ao, &st, &fp, eb, sizeof(eb));
		if (r < 0) {
			rc = fail(1, r, eb);
			goto out;
		}
		fprintf(stderr, "kubectl-lite: asking %d agent%s\n", r,
		    r == 1 ? "" : "s");
		while ((got = fread(buf, 1, sizeof(buf), fp)) > 0)
			if (write_all(1, (uint8_t *)buf, got) < 0)
				break;
		r = cilium_agent_close(st, fp, &nrec, eb, sizeof(eb));
		fprintf(stderr, "kubectl-lite: %llu records\n", nrec);
		rc = r < 0 ? fail(1, r, eb) : 0;
	} else if (strcmp(cmd, "watch") == 0) {
		static const struct option wopts[] = {
			{ "all-namespaces", no_argument, NULL, 'A' },
			{ "selector", required_argument, NULL, 'l' },
			{ "field-selector", required_argument, NULL, 'f' },
			{ "from-list", no_argument, NULL, 'F' },
			{ "timeout-seconds", required_argument, NULL, 't' },
			{ "namespace", required_argument, NULL, 'n' },
			{ NULL, 0, NULL, 0 },
		};
		struct kube_watch_opts wo = { 0 };
		const struct kube_resource *res;
		char rv[64] = "";
		bool all = false, from_list = false;

		while ((ch = getopt_long(argc, argv, "Al:n:", wopts, NULL)) !=
		    -1) {
			switch (ch) {
			case 'A': all = true; break;
			case 'l': wo.label_selector = optarg; break;
			case 'f': wo.field_selector = optarg; break;
			case 'F': from_list = true; break;
			case 't': wo.timeout_s = strtol(optarg, NULL, 10);
				break;
			case 'n': set_ns(cfg, optarg); break;
			default: usage();
			}
		}
		if (optind >= argc ||
		    (res = kube_resource_find(argv[optind])) == NULL)
			usage();
		if (from_list) {
			struct kube_list_opts lo = { 0 };
			struct json_object *items = NULL;

			lo.label_selector = wo.label_selector;
			lo.field_selector = wo.field_selector;
			lo.rv_out = rv;
			lo.rv_cap = sizeof(rv);
			r = kube_list(cl, res, all || !res->namespaced ? NULL :
			    cfg->ns, &lo, &items, eb, sizeof(eb));
			json_object_put(items);
			if (r < 0) {
				rc = fail(1, r, eb);
				goto out;
			}
			fprintf(stderr, "kubectl-lite: listed %d, "
			    "resourceVersion %s\n", r, rv);
			wo.resource_version = rv;
		}
		r = kube_watch(cl, res, all || !res->namespaced ? NULL :
		    cfg->ns, &wo, watch_cb, NULL, eb, sizeof(eb));
		if (r < 0) {
			rc = fail(1, r, eb);
			goto out;
		}
		if (r == KUBE_WATCH_EXPIRED)
			fprintf(stderr, "kubectl-lite: watch expired\n");
		rc = r == KUBE_WATCH_EXPIRED ? 3 : 0;
	} else if (strcmp(cmd, "agent-pod") == 0) {
		char name[256];

		if (argc < 2)
			usage();
		r = kube_find_agent_pod(cl, argv[1], name, sizeof(name), eb,
		    sizeof(eb));
		if (r < 0) {
			rc = fail(1, r, eb);
			goto out;
		}
		printf("%s\n", name);
		rc = 0;
	} else {
		usage();
	}
out:
	json_object_put(obj);
	kube_client_free(cl);
	kube_config_free(cfg);
	return rc;
}
