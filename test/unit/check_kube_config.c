/*
 * check_kube_config.c - kubeconfig loading as kubectl does it: the
 * KUBECONFIG merge rules, --kubeconfig/--context/-n, relative paths,
 * credential selection and validation (bad rows), in-cluster config,
 * token files, and exec credential plugins run for real (small shell
 * scripts written at test time).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "cilkit.h"
#include "kube_config.h"

static char tmpdir[256];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_kube_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
}

/* Replace every "%D" in s by the temp dir. */
static char *
subst(const char *s)
{
	size_t n = 0, dl = strlen(tmpdir);
	const char *p;
	char *out, *o;

	for (p = s; *p; p++)
		n += (p[0] == '%' && p[1] == 'D') ? dl : 1;
	out = o = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	for (p = s; *p; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			memcpy(o, tmpdir, dl);
			o += dl;
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static void
write_file(const char *rel, const char *content, int mode)
{
	char path[512], *c = subst(content), *slash;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(c, fp);
	fclose(fp);
	chmod(path, (mode_t)mode);
	free(c);
}

#define CLUSTER(n, srv) \
	"- name: " n "\n  cluster:\n    server: " srv "\n"
#define CTX(n, cl, us) \
	"- name: " n "\n  context:\n    cluster: " cl "\n    user: " us "\n"

/* Files used by the merge table. */
static const char *file_a =
    "apiVersion: v1\nkind: Config\ncurrent-context: \"\"\n"
    "clusters:\n" CLUSTER("c1", "https://a.example:6443")
    "users:\n- name: u1\n  user:\n    token: tok-a\n"
    "contexts:\n" CTX("ctx-a", "c1", "u1")
    "- name: ctx-ns\n  context:\n    cluster: c1\n    user: u1\n"
    "    namespace: demo\n";
static const char *file_b =
    "current-context: ctx-b\n"
    "clusters:\n- name: c1\n  cluster:\n    server: https://b.example/\n"
    "    insecure-skip-tls-verify: true\n"
    CLUSTER("c2", "https://[fd00::1]:443/prefix/")
    "users:\n- name: u1\n  user:\n    token: tok-b\n"
    "- name: u2\n  user:\n    username: admin\n    password: pw\n"
    "contexts:\n" CTX("ctx-b", "c2", "u2") CTX("ctx-a", "c2", "u2");
static const char *file_c =
    "current-context: ctx-a\n"
    "clusters:\n" CLUSTER("c3", "https://c.example")
    "contexts:\n" CTX("ctx-c", "c3", "u1");

struct merge_case {
	const char *name;
	const char *kubeconfig;	/* --kubeconfig, with %D */
	const char *env;	/* KUBECONFIG, with %D */
	const char *home;	/* HOME, with %D */
	const char *context;
	const char *ns;
	int rc;
	const char *want_ctx;
	const char *want_server;
	const char *want_ns;
	enum kube_auth want_auth;
	const char *want_token;
	const char *errpart;
};

static const struct merge_case merge_cases[] = {
	{ "first file's entry wins whole", NULL, "%D/a:%D/b", NULL, NULL,
	  NULL, 0, "ctx-b", "https://[fd00::1]:443/prefix", "default",
	  KUBE_AUTH_BASIC, NULL, NULL },
	{ "empty current-context skipped", NULL, "%D/a:%D/b", NULL, "ctx-a",
	  NULL, 0, "ctx-a", "https://a.example:6443", "default",
	  KUBE_AUTH_TOKEN, "tok-a", NULL },
	{ "first non-empty current-context", NULL, "%D/c:%D/a:%D/b", NULL,
	  NULL, NULL, 0, "ctx-a", "https://a.example:6443", "default",
	  KUBE_AUTH_TOKEN, "tok-a", NULL },
	{ "later file's cluster not merged in", NULL, "%D/b:%D/a", NULL,
	  "ctx-ns", NULL, 0, "ctx-ns", "https://b.example", "demo",
	  KUBE_AUTH_TOKEN, "tok-b", NULL },
	{ "missing files skipped, duplicates dropped", NULL,
	  "%D/nope:%D/a:%D/a::%D/b", NULL, NULL, NULL, 0, "ctx-b", NULL,
	  NULL, KUBE_AUTH_BASIC, NULL, NULL },
	{ "namespace from context", NULL, "%D/a", NULL, "ctx-ns", NULL, 0,
	  "ctx-ns", NULL, "demo", KUBE_AUTH_TOKEN, NULL, NULL },
	{ "-n overrides context namespace", NULL, "%D/a", NULL, "ctx-ns",
	  "kube-system", 0, "ctx-ns", NULL, "kube-system", KUBE_AUTH_TOKEN,
	  NULL, NULL },
	{ "--kubeconfig ignores KUBECONFIG", "%D/c", "%D/a:%D/b", NULL,
	  "ctx-c", NULL, CILKIT_EINVAL, NULL, NULL, NULL, 0, NULL,
	  "refers to user \"u1\"" },
	{ "HOME default", NULL, NULL, "%D/home", NULL, NULL, 0, "home",
	  "https://home.example", NULL, KUBE_AUTH_NONE, NULL, NULL },
	/* bad rows */
	{ "--kubeconfig missing", "%D/none", NULL, NULL, NULL, NULL,
	  CILKIT_ENOTFOUND, NULL, NULL, NULL, 0, NULL, "none: No such file" },
	{ "unknown context", NULL, "%D/a:%D/b", NULL, "nope", NULL,
	  CILKIT_ENOTFOUND, NULL, NULL, NULL, 0, NULL,
	  "context \"nope\" not found in kubeconfig %D/a:%D/b "
	  "(contexts: ctx-a, ctx-ns, ctx-b)" },
	{ "no current-context", NULL, "%D/a", NULL, NULL, NULL,
	  CILKIT_ENOTFOUND, NULL, NULL, NULL, 0, NULL, "pass --context" },
	{ "nothing anywhere", NULL, "%D/x:%D/y", NULL, NULL, NULL,
	  CILKIT_ENOTFOUND, NULL, NULL, NULL, 0, NULL,
	  "no kubeconfig found" },
	{ "YAML error names file and line", NULL, "%D/broken", NULL, NULL,
	  NULL, CILKIT_EINVAL, NULL, NULL, NULL, 0, NULL, "%D/broken:3:1: " },
	{ "top level is a list", NULL, "%D/list", NULL, NULL, NULL,
	  CILKIT_EINVAL, NULL, NULL, NULL, 0, NULL, "not a kubeconfig" },
	{ "clusters not a list", NULL, "%D/notlist", NULL, NULL, NULL,
	  CILKIT_EINVAL, NULL, NULL, NULL, 0, NULL,
	  "\"clusters\" is not a list" },
	{ "entry without a name", NULL, "%D/noname", NULL, NULL, NULL,
	  CILKIT_EINVAL, NULL, NULL, NULL, 0, NULL, "users[0] has no name" },
};

static void
write_merge_files(void)
{
	write_file("a", file_a, 0600);
	write_file("b", file_b, 0600);
	write_file("c", file_c, 0600);
	write_file("home/.kube/config", "current-context: home\n"
	    "clusters:\n" CLUSTER("h", "https://home.example")
	    "contexts:\n- name: home\n  context:\n    cluster: h\n", 0600);
	write_file("broken", "clusters:\n- name: [\n", 0600);
	write_file("list", "- a\n- b\n", 0600);
	write_file("notlist", "clusters: 3\n", 0600);
	write_file("noname", "users:\n- user: {}\n", 0600);
}

START_TEST(test_merge)
{
	const struct merge_case *tc = &merge_cases[_i];
	struct kube_config_opts o = { .no_env = true };
	struct kube_config *cfg = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "", *kc = NULL, *env = NULL;
	char *home = NULL, *want;
	int r;

	write_merge_files();
	if (tc->kubeconfig)
		o.kubeconfig = kc = subst(tc->kubeconfig);
	if (tc->env)
		o.kubeconfig_env = env = subst(tc->env);
	o.home = home = subst(tc->home ? tc->home : "%D/nohome");
	o.context = tc->context;
	o.ns = tc->ns;
	o.sa_dir = "/nonexistent";
	r = kube_config_load(&o, &cfg, eb, sizeof(eb));
	ck_assert_msg(r == tc->rc, "%s: rc %d (%s)", tc->name, r, eb);
	if (r < 0) {
		want = subst(tc->errpart);
		ck_assert_msg(strstr(eb, want) != NULL, "%s: '%s' lacks '%s'",
		    tc->name, eb, want);
		free(want);
	} else {
		ck_assert_str_eq(cfg->context, tc->want_ctx);
		if (tc->want_server)
			ck_assert_str_eq(cfg->server, tc->want_server);
		if (tc->want_ns)
			ck_assert_str_eq(cfg->ns, tc->want_ns);
		ck_assert_int_eq(cfg->auth, tc->want_auth);
		if (tc->want_token)
			ck_assert_str_eq(cfg->token, tc->want_token);
	}
	kube_config_free(cfg);
	free(kc);
	free(env);
	free(home);
}
END_TEST

/* Credential selection and validation, one kubeconfig each. */
struct cred_case {
	const char *name;
	const char *user;	/* the user mapping body (indented 4) */
	const char *cluster;	/* extra cluster lines (indented 4) */
	const char *server;
	int rc;
	enum kube_auth auth;
	const char *check;	/* "token=X", "cert=X", "warn=X", "ca=X" */
	const char *errpart;
};

static const struct cred_case cred_cases[] = {
	{ "token", "    token: abc\n", "", NULL, 0, KUBE_AUTH_TOKEN,
	  "token=abc", NULL },
	{ "tokenFile read and trimmed", "    tokenFile: tok.txt\n", "", NULL,
	  0, KUBE_AUTH_TOKEN, "token=from-file", NULL },
	{ "token wins over tokenFile at first", "    token: t1\n"
	  "    tokenFile: tok.txt\n", "", NULL, 0, KUBE_AUTH_TOKEN,
	  "token=t1", NULL },
	{ "client cert data decoded", "    client-certificate-data: "
	  "Q0VSVA==\n    client-key-data: S0VZ\n", "", NULL, 0,
	  KUBE_AUTH_CERT, "cert=CERT", NULL },
	{ "client cert files relative", "    client-certificate: c.pem\n"
	  "    client-key: sub/k.pem\n", "", NULL, 0, KUBE_AUTH_CERT,
	  "certfile=%D/kc/c.pem", NULL },
	{ "basic auth", "    username: u\n    password: p\n", "", NULL, 0,
	  KUBE_AUTH_BASIC, NULL, NULL },
	{ "token beats exec", "    token: abc\n    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1beta1\n      command: x\n", "",
	  NULL, 0, KUBE_AUTH_TOKEN, "token=abc", NULL },
	{ "exec v1beta1 without interactiveMode", "    exec:\n      "
	  "apiVersion: client.authentication.k8s.io/v1beta1\n      command: "
	  "./bin/p\n", "", NULL, 0, KUBE_AUTH_EXEC, "exec=%D/kc/./bin/p",
	  NULL },
	{ "CA file relative to kubeconfig", "    token: a\n",
	  "    certificate-authority: ca.pem\n", NULL, 0, KUBE_AUTH_TOKEN,
	  "ca=%D/kc/ca.pem", NULL },
	{ "CA data decoded", "    token: a\n",
	  "    certificate-authority-data: UEVN\n", NULL, 0, KUBE_AUTH_TOKEN,
	  "cadata=PEM", NULL },
	{ "insecure warns", "    token: a\n",
	  "    insecure-skip-tls-verify: true\n", NULL, 0, KUBE_AUTH_TOKEN,
	  "warn=TLS certificate checks are off", NULL },
	{ "http drops credentials", "    token: a\n", "", "http://h:8080", 0,
	  KUBE_AUTH_NONE, "warn=are not sent", NULL },
	{ "tls-server-name and proxy kept", "    token: a\n",
	  "    tls-server-name: api.internal\n"
	  "    proxy-url: socks5://127.0.0.1:1080\n", NULL, 0,
	  KUBE_AUTH_TOKEN, "tsn=api.internal", NULL },
	/* bad rows */
	{ "token and basic", "    token: SECRET1\n    username: u\n"
	  "    password: SECRET2\n", "", NULL, CILKIT_EINVAL, 0, NULL,
	  "more than one authentication method (token and basic auth)" },
	{ "cert without key", "    client-certificate-data: Q0VSVA==\n", "",
	  NULL, CILKIT_EINVAL, 0, NULL, "client certificate without its key" },
	{ "bad base64", "    client-certificate-data: Q0V*VA==\n"
	  "    client-key-data: S0VZ\n", "", NULL, CILKIT_EINVAL, 0, NULL,
	  "client-certificate-data of user \"u\" (in %D/kc/config) is not "
	  "valid base64: bad base64 data at byte 3" },
	{ "missing cert file", "    client-certificate: nope.pem\n"
	  "    client-key: k.pem\n", "", NULL, CILKIT_ENOTFOUND, 0, NULL,
	  "cannot read client-certificate file %D/kc/nope.pem" },
	{ "no tilde expansion", "    token: a\n",
	  "    certificate-authority: ~/ca.pem\n", NULL, CILKIT_ENOTFOUND, 0,
	  NULL, "%D/kc/~/ca.pem" },
	{ "CA file and data", "    token: a\n",
	  "    certificate-authority: ca.pem\n"
	  "    certificate-authority-data: UEVN\n", NULL, CILKIT_EINVAL, 0,
	  NULL, "keep one" },
	{ "insecure with CA", "    token: a\n",
	  "    certificate-authority: ca.pem\n"
	  "    insecure-skip-tls-verify: true\n", NULL, CILKIT_EINVAL, 0, NULL,
	  "insecure-skip-tls-verify together with a certificate authority" },
	{ "insecure not a bool", "    token: a\n",
	  "    insecure-skip-tls-verify: \"yes\"\n", NULL, CILKIT_EINVAL, 0,
	  NULL, "not true or false" },
	{ "token not a string", "    token: [1]\n", "", NULL, CILKIT_EINVAL,
	  0, NULL, "user \"u\" has a token that is not a string" },
	{ "auth-provider", "    auth-provider:\n      name: gcp\n", "", NULL,
	  CILKIT_EUNSUPPORTED, 0, NULL, "auth-provider \"gcp\"" },
	{ "exec v1alpha1", "    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1alpha1\n      command: x\n", "",
	  NULL, CILKIT_EUNSUPPORTED, 0, NULL, "only client.authentication" },
	{ "exec v1 needs interactiveMode", "    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1\n      command: x\n", "", NULL,
	  CILKIT_EINVAL, 0, NULL, "interactiveMode is required" },
	{ "exec Always", "    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1\n      command: x\n"
	  "      interactiveMode: Always\n", "", NULL, CILKIT_EUNSUPPORTED, 0,
	  NULL, "needs a terminal" },
	{ "exec env without name", "    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1beta1\n      command: x\n"
	  "      env:\n      - value: v\n", "", NULL, CILKIT_EINVAL, 0, NULL,
	  "env[0] has no valid name" },
	{ "exec without command", "    exec:\n      apiVersion: "
	  "client.authentication.k8s.io/v1beta1\n", "", NULL, CILKIT_EINVAL,
	  0, NULL, "without a command" },
	{ "proxy scheme", "    token: a\n", "    proxy-url: ftp://p\n", NULL,
	  CILKIT_EINVAL, 0, NULL, "not http, https or socks5" },
	{ "server not a URL", "    token: a\n", "", "h:6443", CILKIT_EINVAL,
	  0, NULL, "not an http(s):// URL" },
	{ "empty tokenFile", "    tokenFile: empty.txt\n", "", NULL,
	  CILKIT_EINVAL, 0, NULL, "empty.txt is empty" },
};

START_TEST(test_cred)
{
	const struct cred_case *tc = &cred_cases[_i];
	struct kube_config_opts o = { .no_env = true };
	struct kube_config *cfg = NULL;
	char eb[CILKIT_ERRBUF_SIZE] = "", buf[4096], *path, *want, *val;
	int r;

	write_file("kc/tok.txt", "  from-file\n\n", 0600);
	write_file("kc/empty.txt", " \n", 0600);
	write_file("kc/c.pem", "x", 0600);
	write_file("kc/sub/k.pem", "x", 0600);
	write_file("kc/k.pem", "x", 0600);
	write_file("kc/ca.pem", "x", 0600);
	snprintf(buf, sizeof(buf), "current-context: x\nclusters:\n"
	    "- name: c\n  cluster:\n    server: %s\n%s"
	    "users:\n- name: u\n  user:\n%s"
	    "contexts:\n- name: x\n  context: {cluster: c, user: u}\n",
	    tc->server ? tc->server : "https://k:6443", tc->cluster,
	    tc->user);
	write_file("kc/config", buf, 0600);
	path = subst("%D/kc/config");
	o.kubeconfig = path;
	r = kube_config_load(&o, &cfg, eb, sizeof(eb));
	ck_assert_msg(r == tc->rc, "%s: rc %d (%s)", tc->name, r, eb);
	/* secrets never in messages */
	ck_assert_ptr_null(strstr(eb, "SECRET"));
	if (r < 0) {
		want = subst(tc->errpart);
		ck_assert_msg(strstr(eb, want) != NULL, "%s: '%s' lacks '%s'",
		    tc->name, eb, want);
		free(want);
		goto out;
	}
	ck_assert_int_eq(cfg->auth, tc->auth);
	if (tc->check == NULL)
		goto out;
	val = subst(strchr(tc->check, '=') + 1);
	if (strncmp(tc->check, "token=", 6) == 0)
		ck_assert_str_eq(cfg->token, val);
	else if (strncmp(tc->check, "cert=", 5) == 0) {
		ck_assert_str_eq((char *)cfg->cert_pem, val);
		ck_assert_uint_eq(cfg->key_len, 3);
	} else if (strncmp(tc->check, "certfile=", 9) == 0) {
		ck_assert_str_eq(cfg->cert_file, val);
		want = subst("%D/kc/sub/k.pem");
		ck_assert_str_eq(cfg->key_file, want);
		free(want);
	} else if (strncmp(tc->check, "exec=", 5) == 0)
		ck_assert_str_eq(cfg->exec->command, val);
	else if (strncmp(tc->check, "ca=", 3) == 0)
		ck_assert_str_eq(cfg->ca_file, val);
	else if (strncmp(tc->check, "cadata=", 7) == 0)
		ck_assert_str_eq((char *)cfg->ca_pem, val);
	else if (strncmp(tc->check, "tsn=", 4) == 0) {
		ck_assert_str_eq(cfg->tls_server_name, val);
		ck_assert_str_eq(cfg->proxy_url, "socks5://127.0.0.1:1080");
	} else if (strncmp(tc->check, "warn=", 5) == 0) {
		ck_assert_ptr_nonnull(cfg->warning);
		ck_assert_msg(strstr(cfg->warning, val) != NULL, "%s",
		    cfg->warning);
	}
	free(val);
out:
	kube_config_free(cfg);
	free(path);
}
END_TEST

/* tokenFile is re-read when forced (after a 401); a failed re-read keeps
 * the old token. */
START_TEST(test_token_reload)
{
	struct kube_config_opts o = { .no_env = true };
	struct kube_config *cfg;
	char eb[CILKIT_ERRBUF_SIZE], *path, *tf;
	const char *tok;

	write_file("kc/tok.txt", "one\n", 0600);
	write_file("kc/config", "current-context: x\nclusters:\n"
	    CLUSTER("c", "https://k") "users:\n- name: u\n  user:\n"
	    "    tokenFile: tok.txt\ncontexts:\n" CTX("x", "c", "u"), 0600);
	path = subst("%D/kc/config");
	o.kubeconfig = path;
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)), 0);
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "one");
	write_file("kc/tok.txt", "two\n", 0600);
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "one");	/* within the minute: cached */
	ck_assert_int_eq(kube_config_token(cfg, true, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "two");
	cfg->token_read -= 61;		/* a minute later: re-read */
	write_file("kc/tok.txt", "three\n", 0600);
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "three");
	tf = subst("%D/kc/tok.txt");
	unlink(tf);
	ck_assert_int_eq(kube_config_token(cfg, true, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "three");
	free(tf);
	kube_config_free(cfg);
	free(path);
}
END_TEST

START_TEST(test_incluster)
{
	struct kube_config_opts o = { 0 };
	struct kube_config *cfg = NULL;
	char eb[CILKIT_ERRBUF_SIZE], *sa, *home, *want;

	write_file("sa/token", "sa-token\n", 0600);
	write_file("sa/namespace", "monitoring\n", 0600);
	write_file("sa/ca.crt", "x", 0600);
	sa = subst("%D/sa");
	home = subst("%D/nohome");
	o.sa_dir = sa;
	o.home = home;
	o.kubeconfig_env = "";
	unsetenv("POD_NAMESPACE");
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)), 0);
	ck_assert_str_eq(cfg->server, "https://[fd00::1]:443");
	ck_assert_str_eq(cfg->ns, "monitoring");
	ck_assert_str_eq(cfg->token, "sa-token");
	ck_assert_int_eq(cfg->auth, KUBE_AUTH_TOKEN);
	want = subst("%D/sa/ca.crt");
	ck_assert_str_eq(cfg->ca_file, want);
	free(want);
	kube_config_free(cfg);
	/* POD_NAMESPACE wins over the file, -n over both */
	setenv("POD_NAMESPACE", "podns", 1);
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)), 0);
	ck_assert_str_eq(cfg->ns, "podns");
	kube_config_free(cfg);
	o.ns = "flag";
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)), 0);
	ck_assert_str_eq(cfg->ns, "flag");
	kube_config_free(cfg);
	/* a kubeconfig that exists wins over in-cluster */
	write_file("nohome/.kube/config", "current-context: h\nclusters:\n"
	    CLUSTER("c", "https://home") "contexts:\n- name: h\n"
	    "  context: {cluster: c}\n", 0600);
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)), 0);
	ck_assert_str_eq(cfg->server, "https://home");
	kube_config_free(cfg);
	/* no host: not in a cluster */
	unsetenv("KUBERNETES_SERVICE_HOST");
	o.home = "/nonexistent";
	ck_assert_int_eq(kube_config_load(&o, &cfg, eb, sizeof(eb)),
	    CILKIT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(eb, "no kubeconfig found"));
	free(sa);
	free(home);
}
END_TEST

/* ---- exec credential plugins, run for real ---- */

static const char *plugin_sh =
    "#!/bin/sh\n"
    "# counts its runs, echoes what it was given inside the token\n"
    "n=$(cat \"$(dirname \"$0\")/runs\" 2>/dev/null || echo 0)\n"
    "n=$((n + 1)); echo $n > \"$(dirname \"$0\")/runs\"\n"
    "case \"$KUBERNETES_EXEC_INFO\" in\n"
    "*'\"interactive\":false'*) ;; *) echo bad info >&2; exit 9;; esac\n"
    "srv=$(printf %s \"$KUBERNETES_EXEC_INFO\" | "
    "sed -n 's/.*\"server\":\"\\([^\"]*\\)\".*/\\1/p')\n"
    "case \"$1\" in\n"
    "fail) exit 3;;\n"
    "garbage) echo 'not json'; exit 0;;\n"
    "wrongver) echo '{\"apiVersion\":\"client.authentication.k8s.io/"
    "v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}';"
    " exit 0;;\n"
    "certonly) echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
    "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":"
    "\"-----BEGIN CERTIFICATE-----\\nX\\n-----END CERTIFICATE-----\"}}';"
    " exit 0;;\n"
    "pair) echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
    "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":"
    "\"CERTPEM\",\"clientKeyData\":\"KEYPEM\"}}'; exit 0;;\n"
    "esac\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
    "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s-%s-%s-%s\","
    "\"expirationTimestamp\":\"%s\"}}\\n' \"$1\" \"$MYVAR\" \"$srv\" "
    "\"$n\" \"$EXPIRY\"\n";

static struct kube_config *
plugin_config(const char *arg, const char *expiry, const char *cmd)
{
	struct kube_config_opts o = { .no_env = true };
	struct kube_config *cfg = NULL;
	char buf[2048], eb[CILKIT_ERRBUF_SIZE], *path;
	int r;

	write_file("kc/bin/plugin", plugin_sh, 0755);
	snprintf(buf, sizeof(buf), "current-context: x\nclusters:\n"
	    CLUSTER("c", "https://plug.example:6443")
	    "users:\n- name: u\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: %s\n      args: [\"%s\"]\n"
	    "      env:\n      - {name: MYVAR, value: v1}\n"
	    "      - {name: EXPIRY, value: \"%s\"}\n"
	    "      interactiveMode: Never\n      provideClusterInfo: true\n"
	    "      installHint: \"\\e[1mapt install\\e[0m the-plugin\"\n"
	    "contexts:\n" CTX("x", "c", "u"), cmd, arg, expiry);
	write_file("kc/config", buf, 0600);
	path = subst("%D/kc/config");
	o.kubeconfig = path;
	r = kube_config_load(&o, &cfg, eb, sizeof(eb));
	ck_assert_msg(r == 0, "%s", eb);
	free(path);
	return cfg;
}

static int
runs(void)
{
	char *p = subst("%D/kc/bin/runs");
	FILE *fp = fopen(p, "r");
	int n = 0;

	free(p);
	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%d", &n) != 1)
		n = -1;
	fclose(fp);
	return n;
}

START_TEST(test_plugin_cache)
{
	struct kube_config *cfg = plugin_config("a1", "2099-01-01T00:00:00Z",
	    "./bin/plugin");
	char eb[CILKIT_ERRBUF_SIZE];
	const char *tok;

	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "a1-v1-https://plug.example:6443-1");
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_str_eq(tok, "a1-v1-https://plug.example:6443-1");
	ck_assert_int_eq(runs(), 1);	/* cached until expiry */
	ck_assert(cfg->exec->expiry == 4070908800);
	/* a 401 re-runs it */
	ck_assert_int_eq(kube_config_token(cfg, true, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_int_eq(runs(), 2);
	ck_assert_str_eq(tok, "a1-v1-https://plug.example:6443-2");
	kube_config_free(cfg);
}
END_TEST

START_TEST(test_plugin_expired)
{
	struct kube_config *cfg = plugin_config("e", "2001-01-01T00:00:00Z",
	    "./bin/plugin");
	char eb[CILKIT_ERRBUF_SIZE];
	const char *tok;

	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_int_eq(runs(), 2);	/* expired: run again */
	kube_config_free(cfg);
}
END_TEST

struct plugin_bad {
	const char *arg;
	const char *cmd;
	int rc;
	const char *errpart;
};

static const struct plugin_bad plugin_bads[] = {
	{ "fail", "./bin/plugin", CILKIT_EAUTH, "failed with exit code 3" },
	{ "garbage", "./bin/plugin", CILKIT_EAUTH, "did not print an "
	  "ExecCredential" },
	{ "wrongver", "./bin/plugin", CILKIT_EAUTH, "not the configured "
	  "client.authentication.k8s.io/v1" },
	{ "certonly", "./bin/plugin", CILKIT_EAUTH, "client certificate "
	  "without its key" },
	{ "x", "no-such-plugin-cilkit", CILKIT_ENOTFOUND, "\"no-such-plugin-"
	  "cilkit\" of user \"u\" was not found in PATH; apt install "
	  "the-plugin" },
	{ "x", "./bin/missing", CILKIT_ENOTFOUND, "bin/missing\" of user "
	  "\"u\" was not found; apt install the-plugin" },
	{ "x", "2099-13-01T00:00:00Z", 0, NULL },	/* bad time: below */
};

START_TEST(test_plugin_bad)
{
	const struct plugin_bad *tc = &plugin_bads[_i];
	struct kube_config *cfg;
	char eb[CILKIT_ERRBUF_SIZE] = "";
	const char *tok;

	if (tc->errpart == NULL) {
		cfg = plugin_config("x", tc->cmd, "./bin/plugin");
		ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb,
		    sizeof(eb)), CILKIT_EAUTH);
		ck_assert_ptr_nonnull(strstr(eb, "bad expirationTimestamp"));
		kube_config_free(cfg);
		return;
	}
	cfg = plugin_config(tc->arg, "", tc->cmd);
	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    tc->rc);
	ck_assert_msg(strstr(eb, tc->errpart) != NULL, "'%s' lacks '%s'", eb,
	    tc->errpart);
	ck_assert_ptr_null(strchr(eb, '\033'));
	kube_config_free(cfg);
}
END_TEST

START_TEST(test_plugin_cert)
{
	struct kube_config *cfg = plugin_config("pair", "", "./bin/plugin");
	char eb[CILKIT_ERRBUF_SIZE];
	const char *tok;

	ck_assert_int_eq(kube_config_token(cfg, false, &tok, eb, sizeof(eb)),
	    0);
	ck_assert_ptr_null(tok);
	ck_assert_str_eq(cfg->exec->cert_pem, "CERTPEM");	/* not base64 */
	ck_assert_str_eq(cfg->exec->key_pem, "KEYPEM");
	ck_assert(cfg->exec->expiry == 0);
	kube_config_free(cfg);
}
END_TEST

struct time_case {
	const char *s;
	int rc;
	long long t;
};

static const struct time_case time_cases[] = {
	{ "2099-01-01T00:00:00Z", 0, 4070908800LL },
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2024-02-29T12:30:45.123456Z", 0, 1709209845LL },
	{ "2024-02-29T14:30:45+02:00", 0, 1709209845LL },
	{ "2024-02-29t12:30:45z", 0, 1709209845LL },
	{ "2024-02-29 12:30:45.999999999999Z", 0, 1709209845LL },
	{ "9999-12-31T23:59:59Z", 0, 253402300799LL },	/* past int64 ns */
	{ "1969-12-31T23:30:00-01:00", 0, 1800 },	/* 1970 in UTC */
	/* bad input */
	{ "2024-02-29T12:30:45", CILKIT_EINVAL, 0 },
	{ "2024-05-01T10:00:60Z", CILKIT_EINVAL, 0 },	/* leap second */
	{ "2024-02-31T10:00:00Z", CILKIT_EINVAL, 0 },
	{ "2023-02-29T10:00:00Z", CILKIT_EINVAL, 0 },
	{ "1969-12-31T23:59:59Z", CILKIT_EINVAL, 0 },
	{ "1970-01-01T00:30:00+01:00", CILKIT_EINVAL, 0 },	/* 1969 */
	{ "1970- 1-01T00:00:00Z", CILKIT_EINVAL, 0 },
	{ "1970-01-01T+0:00:00Z", CILKIT_EINVAL, 0 },
	{ "2024-02-29T12:30:45.Z", CILKIT_EINVAL, 0 },
	{ "2024-02-29T12:30:45+2:00", CILKIT_EINVAL, 0 },
	{ "2024-13-01T00:00:00Z", CILKIT_EINVAL, 0 },
	{ "yesterday", CILKIT_EINVAL, 0 },
	{ "", CILKIT_EINVAL, 0 },
	{ "2024-02-29T12:30:45Zjunk", CILKIT_EINVAL, 0 },
};

START_TEST(test_time)
{
	const struct time_case *tc = &time_cases[_i];
	time_t t = 0;

	ck_assert_int_eq(kube_parse_time(tc->s, &t), tc->rc);
	if (tc->rc == 0)
		ck_assert(t == (time_t)tc->t);
}
END_TEST

/* The buffer loader, as the fuzz target uses it. */
START_TEST(test_buffer)
{
	static const char kc[] = "current-context: x\nclusters:\n"
	    CLUSTER("c", "https://k") "contexts:\n- name: x\n"
	    "  context: {cluster: c, namespace: n1}\n";
	struct kube_config *cfg;
	char eb[CILKIT_ERRBUF_SIZE];

	ck_assert_int_eq(kube_config_load_buffer(kc, sizeof(kc) - 1, "mem",
	    NULL, &cfg, eb, sizeof(eb)), 0);
	ck_assert_str_eq(cfg->ns, "n1");
	ck_assert_int_eq(cfg->auth, KUBE_AUTH_NONE);
	kube_config_free(cfg);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("kube_config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_merge, 0,
	    sizeof(merge_cases) / sizeof(merge_cases[0]));
	tcase_add_loop_test(tc, test_cred, 0,
	    sizeof(cred_cases) / sizeof(cred_cases[0]));
	tcase_add_test(tc, test_token_reload);
	tcase_add_test(tc, test_incluster);
	tcase_add_test(tc, test_plugin_cache);
	tcase_add_test(tc, test_plugin_expired);
	tcase_add_loop_test(tc, test_plugin_bad, 0,
	    sizeof(plugin_bads) / sizeof(plugin_bads[0]));
	tcase_add_test(tc, test_plugin_cert);
	tcase_add_loop_test(tc, test_time, 0,
	    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, test_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
