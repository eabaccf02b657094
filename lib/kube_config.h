/*
 * kube_config.h - kubeconfig loading and credential selection, as
 * kubectl 1.32 does it (kubernetes-api.md sections 1 and 2).
 *
 * Files: --kubeconfig alone (a missing file is an error); else every
 * file in KUBECONFIG (":"-separated, duplicates dropped, missing files
 * skipped); else $HOME/.kube/config.  Merge: the first file defining a
 * cluster, user or context name wins and its entry is taken whole; the
 * first non-empty current-context wins.  Relative paths are resolved
 * against the directory of the file that defined the entry; there is no
 * "~" expansion.  When no kubeconfig file exists at all and
 * KUBERNETES_SERVICE_HOST/PORT are set with a service-account token
 * present, the in-cluster config is used.
 *
 * Secrets (tokens, passwords, keys) never appear in any message.
 */
#ifndef CILKIT_KUBE_CONFIG_H
#define CILKIT_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KUBE_SA_DIR	"/var/run/secrets/kubernetes.io/serviceaccount"
/* Largest kubeconfig, CA bundle, token or plugin output accepted. */
#define KUBE_CONFIG_MAX_FILE	((size_t)16 << 20)
#define KUBE_CONFIG_MAX_SECRET	((size_t)1 << 20)

struct kube_config_opts {
	const char *kubeconfig;	/* --kubeconfig, or NULL */
	const char *context;	/* --context, or NULL: current-context */
	const char *ns;		/* -n/--namespace, or NULL */
	/*
	 * Environment overrides for tests; NULL means the real
	 * environment (getenv) and the real service-account folder.
	 */
	const char *kubeconfig_env;	/* value of KUBECONFIG */
	const char *home;		/* value of HOME */
	const char *sa_dir;		/* in-cluster service-account folder */
	bool no_env;			/* ignore getenv entirely */
};

enum kube_auth {
	KUBE_AUTH_NONE = 0,
	KUBE_AUTH_CERT,		/* client certificate and key */
	KUBE_AUTH_TOKEN,	/* bearer token and/or tokenFile */
	KUBE_AUTH_BASIC,	/* username and password */
	KUBE_AUTH_EXEC,		/* exec credential plugin */
};

struct kube_exec_plugin {
	char *api_version;	/* client.authentication.k8s.io/v1[beta1] */
	char *command;		/* resolved path if it contained a "/" */
	char **args;		/* NULL-terminated, without argv[0] */
	char **env;		/* NULL-terminated "NAME=value" */
	char *install_hint;	/* ANSI escapes removed; may be NULL */
	bool provide_cluster_info;
	char *cluster_ext;	/* JSON of the cluster extension, or NULL */
	/* cache of the last successful run */
	bool have;
	char *token;
	char *cert_pem, *key_pem;	/* PEM text (not base64) */
	time_t expiry;			/* 0: until the process ends */
};

/*
 * The resolved connection: one context's cluster and user.  Every
 * string is owned by the config; file paths are absolute or as given.
 */
struct kube_config {
	char *source;		/* "file1:file2", "in-cluster" */
	char *context;		/* context name ("" in-cluster) */
	char *cluster_name, *user_name;
	char *ns;		/* effective namespace (never NULL) */
	char *server;		/* https://host:port[/prefix], no trailing / */
	char *cluster_origin;	/* file that defined the cluster */
	char *user_origin;	/* file that defined the user */

	/* TLS */
	char *ca_file;		/* certificate-authority */
	uint8_t *ca_pem;	/* certificate-authority-data, decoded */
	size_t ca_len;
	bool insecure;		/* insecure-skip-tls-verify */
	char *tls_server_name;
	char *proxy_url;
	bool disable_compression;

	/* credentials: the one method in use */
	enum kube_auth auth;
	char *cert_file, *key_file;
	uint8_t *cert_pem, *key_pem;	/* *-data, decoded */
	size_t cert_len, key_len;
	char *token;		/* static token, or the last read of token_file */
	char *token_file;
	time_t token_read;	/* when token_file was last read */
	char *username, *password;
	struct kube_exec_plugin *exec;	/* NULL unless auth == EXEC */
	char *impersonate_user;		/* as */
	char **impersonate_groups;	/* as-groups, NULL-terminated */

	/* a warning main() should print once, or NULL */
	char *warning;
};

/*
 * Load and resolve the kubeconfig selected by opts (NULL: all defaults).
 * Returns 0 with *out set (caller frees with kube_config_free), or a
 * negative enum cilkit_err with one sentence in errbuf saying what to
 * fix (CILKIT_ENOTFOUND: no kubeconfig and not in a cluster, or unknown
 * context; CILKIT_EINVAL: a file or entry is malformed).
 */
int kube_config_load(const struct kube_config_opts *opts,
    struct kube_config **out, char *errbuf, size_t errlen);

/*
 * Resolve from one kubeconfig document already in memory (name is used
 * in messages and to resolve relative paths).  For tests and fuzzing.
 */
int kube_config_load_buffer(const char *buf, size_t len, const char *name,
    const struct kube_config_opts *opts, struct kube_config **out,
    char *errbuf, size_t errlen);

void kube_config_free(struct kube_config *cfg);

/* Name of an auth method ("client certificate", "token", ...). */
const char *kube_auth_name(enum kube_auth a);

/*
 * The bearer token to send now, or NULL for none.  Re-reads tokenFile
 * once a minute (or at once when force_reload, after a 401), keeping the
 * old token if a re-read fails; runs the exec plugin when its cached
 * credential is missing or expired (or force_reload).  The returned
 * pointer stays valid until the next call.
 */
int kube_config_token(struct kube_config *cfg, bool force_reload,
    const char **token, char *errbuf, size_t errlen);

/*
 * The same, returning a copy (caller frees; NULL for none): safe when
 * clients in several threads share cfg.
 */
int kube_config_token_dup(struct kube_config *cfg, bool force_reload,
    char **token, char *errbuf, size_t errlen);

/*
 * Copies of the exec plugin's client certificate and key PEM (both NULL
 * when it gave none); caller frees.  Safe across threads.
 */
int kube_config_exec_cert_dup(struct kube_config *cfg, char **cert,
    char **key);

/*
 * Run the exec credential plugin now (kubernetes-api.md section 2) and
 * cache its credential in cfg->exec.  Used by kube_config_token and by
 * the client for certificate credentials.  Returns 0 or a negative enum
 * cilkit_err naming the plugin (and its install hint when missing).
 */
int kube_config_run_exec(struct kube_config *cfg, char *errbuf,
    size_t errlen);

/*
 * Parse an RFC 3339 timestamp ("2099-01-01T00:00:00Z", fractional
 * seconds and numeric offsets allowed) to a time_t, with
 * report_parse_rfc3339_sec (the same syntax; the fraction dropped).
 * Times before 1970 are refused.  Returns 0 or CILKIT_EINVAL.
 */
int kube_parse_time(const char *s, time_t *out);

#endif /* CILKIT_KUBE_CONFIG_H */
