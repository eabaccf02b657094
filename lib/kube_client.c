/*
 * kube_client.c - REST GET/LIST over libcurl; see kube_client.h and
 * kubernetes-api.md sections 1.6, 4 and 6.2.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_base64.h"
#include "kube_client.h"
#include "kube_config.h"

const struct kube_resource kube_res_namespaces =
    { "", "v1", "namespaces", "namespace", false };
const struct kube_resource kube_res_nodes =
    { "", "v1", "nodes", "node", false };
const struct kube_resource kube_res_pods =
    { "", "v1", "pods", "pod", true };
const struct kube_resource kube_res_services =
    { "", "v1", "services", "service", true };
const struct kube_resource kube_res_endpointslices =
    { "discovery.k8s.io", "v1", "endpointslices", "endpointslice", true };
const struct kube_resource kube_res_networkpolicies =
    { "networking.k8s.io", "v1", "networkpolicies", "networkpolicy", true };
const struct kube_resource kube_res_cnp =
    { "cilium.io", "v2", "ciliumnetworkpolicies", "ciliumnetworkpolicy",
      true };
const struct kube_resource kube_res_ccnp =
    { "cilium.io", "v2", "ciliumclusterwidenetworkpolicies",
      "ciliumclusterwidenetworkpolicy", false };
const struct kube_resource kube_res_cep =
    { "cilium.io", "v2", "ciliumendpoints", "ciliumendpoint", true };

static const struct {
	const char *name;
	const struct kube_resource *res;
} res_names[] = {
	{ "ns", &kube_res_namespaces },
	{ "no", &kube_res_nodes },
	{ "po", &kube_res_pods },
	{ "svc", &kube_res_services },
	{ "netpol", &kube_res_networkpolicies },
	{ "cnp", &kube_res_cnp },
	{ "ciliumnp", &kube_res_cnp },
	{ "ccnp", &kube_res_ccnp },
	{ "cep", &kube_res_cep },
	{ "ciliumep", &kube_res_cep },
};

static const struct kube_resource *const all_res[] = {
	&kube_res_namespaces, &kube_res_nodes, &kube_res_pods,
	&kube_res_services, &kube_res_endpointslices,
	&kube_res_networkpolicies, &kube_res_cnp, &kube_res_ccnp,
	&kube_res_cep,
};

#define NDISC 8

struct kube_client {
	struct kube_config *cfg;
	CURL *h;
	long timeout_ms;
	const volatile sig_atomic_t *cancel;
	int retries;
	long backoff_ms;
	char *url_base;		/* scheme://host:port as put in URLs */
	char *hostport;		/* Host header value */
	char *prefix;		/* server path prefix, "" or "/x" */
	struct curl_slist *connect_to;
	char *exec_cert_pem, *exec_key_pem;	/* last blobs set */
	struct {
		char group[64];
		char version[32];
	} disc[NDISC];
	size_t ndisc;
	/* response being read */
	char *body;
	size_t blen, bcap;
	bool too_big;
	long retry_after;
};

const struct kube_resource *
kube_resource_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(all_res) / sizeof(all_res[0]); i++)
		if (strcasecmp(name, all_res[i]->plural) == 0 ||
		    strcasecmp(name, all_res[i]->singular) == 0)
			return all_res[i];
	for (i = 0; i < sizeof(res_names) / sizeof(res_names[0]); i++)
		if (strcasecmp(name, res_names[i].name) == 0)
			return res_names[i].res;
	return NULL;
}

bool
kube_valid_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

bool
kube_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-' ||
		    s[i] == '.' || s[i] == ':'))
			return false;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Split the server URL into base, Host header and path prefix. */
static int
parse_server(struct kube_client *c, char *errbuf, size_t errlen)
{
	const char *srv = c->cfg->server, *auth, *slash, *host_end, *port;
	char host[256], portbuf[8];
	bool tls = strncmp(srv, "https://", 8) == 0;
	size_t hl;

	auth = srv + (tls ? 8 : 7);
	slash = strchr(auth, '/');
	if (slash == NULL)
		slash = auth + strlen(auth);
	if (*auth == '[') {
		host_end = memchr(auth, ']', (size_t)(slash - auth));
		if (host_end == NULL)
			goto bad;
		host_end++;
		port = *host_end == ':' ? host_end + 1 : NULL;
	} else {
		port = memchr(auth, ':', (size_t)(slash - auth));
		host_end = port != NULL ? port : slash;
		if (port != NULL)
			port++;
	}
	hl = (size_t)(host_end - auth);
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, auth, hl);
	host[hl] = '\0';
	if (port != NULL) {
		size_t pl = (size_t)(slash - port), i;

		if (pl == 0 || pl > 5)
			goto bad;
		for (i = 0; i < pl; i++)
			if (!isdigit((unsigned char)port[i]))
				goto bad;
		memcpy(portbuf, port, pl);
		portbuf[pl] = '\0';
	} else {
		snprintf(portbuf, sizeof(portbuf), "%s", tls ? "443" : "80");
	}
	if (asprintf(&c->hostport, "%s:%s", host, portbuf) < 0)
		return CILKIT_ENOMEM;
	c->prefix = strdup(slash);
	if (c->prefix == NULL)
		return CILKIT_ENOMEM;
	if (c->cfg->tls_server_name != NULL && tls) {
		char *ct;

		if (asprintf(&c->url_base, "https://%s:%s",
		    c->cfg->tls_server_name, portbuf) < 0)
			return CILKIT_ENOMEM;
		if (asprintf(&ct, "%s:%s:%s:%s", c->cfg->tls_server_name,
		    portbuf, host, portbuf) < 0)
			return CILKIT_ENOMEM;
		c->connect_to = curl_slist_append(NULL, ct);
		free(ct);
		if (c->connect_to == NULL)
			return CILKIT_ENOMEM;
	} else if (asprintf(&c->url_base, "%s://%s:%s", tls ? "https" : "http",
	    host, portbuf) < 0) {
		return CILKIT_ENOMEM;
	}
	return 0;
bad:
	return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
	    "server \"%s\" of cluster \"%s\" is not a valid URL", srv,
	    c->cfg->cluster_name);
}

int
kube_client_new(struct kube_config *cfg, struct kube_client **out,
    char *errbuf, size_t errlen)
{
	static bool inited;
	struct kube_client *c;
	int r;

	*out = NULL;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CILKIT_ENOMEM;
	c->cfg = cfg;
	c->timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	c->retries = 3;
	c->backoff_ms = 200;
	if ((r = parse_server(c, errbuf, errlen)) < 0) {
		kube_client_free(c);
		return r;
	}
	if ((c->h = curl_easy_init()) == NULL) {
		kube_client_free(c);
		return CILKIT_ENOMEM;
	}
	*out = c;
	return 0;
}

void
kube_client_free(struct kube_client *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->connect_to);
	free(c->url_base);
	free(c->hostport);
	free(c->prefix);
	free(c->body);
	free(c);
}

struct kube_config *
kube_client_config(struct kube_client *c)
{
	return c->cfg;
}

void
kube_client_set_timeout(struct kube_client *c, long ms)
{
	c->timeout_ms = ms;
}

void
kube_client_set_cancel(struct kube_client *c,
    const volatile sig_atomic_t *flag)
{
	c->cancel = flag;
}

void
kube_client_set_retries(struct kube_client *c, int retries, long backoff_ms)
{
	c->retries = retries < 0 ? 0 : retries > KUBE_MAX_RETRIES ?
	    KUBE_MAX_RETRIES : retries;
	c->backoff_ms = backoff_ms;
}

const char *
kube_client_host(const struct kube_client *c)
{
	return c->hostport;
}

const char *
kube_client_prefix(const struct kube_client *c)
{
	return c->prefix;
}

const volatile sig_atomic_t *
kube_client_cancel_flag(const struct kube_client *c)
{
	return c->cancel;
}

static int
xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct kube_client *c = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return c->cancel != NULL && *c->cancel ? 1 : 0;
}

int
kube_client_setup_handle(struct kube_client *c, void *curl,
    const char *path, struct curl_slist **headers, bool force_reload,
    char *errbuf, size_t errlen)
{
	struct kube_config *cfg = c->cfg;
	CURL *h = curl;
	struct curl_blob blob;
	char *token = NULL;
	char *url = NULL, *line = NULL, **g;
	int r;

	if (asprintf(&url, "%s%s%s", c->url_base, c->prefix, path) < 0)
		return CILKIT_ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "cilkit/" CILKIT_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (c->connect_to != NULL) {
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
		if (asprintf(&line, "Host: %s", c->hostport) < 0)
			return CILKIT_ENOMEM;
		*headers = curl_slist_append(*headers, line);
		free(line);
	}
	if (cfg->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->ca_pem != NULL) {
		blob.data = cfg->ca_pem;
		blob.len = cfg->ca_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (cfg->proxy_url != NULL)
		curl_easy_setopt(h, CURLOPT_PROXY, cfg->proxy_url);
	if (!cfg->disable_compression)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (cfg->auth == KUBE_AUTH_CERT) {
		if (cfg->cert_file != NULL)
			curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
		if (cfg->cert_pem != NULL) {
			blob.data = cfg->cert_pem;
			blob.len = cfg->cert_len;
			blob.flags = CURL_BLOB_COPY;
			curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
			curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		}
		if (cfg->key_file != NULL)
			curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
		if (cfg->key_pem != NULL) {
			blob.data = cfg->key_pem;
			blob.len = cfg->key_len;
			blob.flags = CURL_BLOB_COPY;
			curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
			curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
	if (cfg->auth == KUBE_AUTH_TOKEN || cfg->auth == KUBE_AUTH_EXEC) {
		r = kube_config_token_dup(cfg, force_reload, &token, errbuf,
		    errlen);
		if (r < 0)
			return r;
	}
	if (cfg->auth == KUBE_AUTH_EXEC) {
		char *cert, *key;

		if (kube_config_exec_cert_dup(cfg, &cert, &key) < 0) {
			free(token);
			return CILKIT_ENOMEM;
		}
		if (cert != NULL) {
			blob.data = cert;
			blob.len = strlen(cert);
			blob.flags = CURL_BLOB_COPY;
			curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
			curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
			blob.data = key;
			blob.len = strlen(key);
			curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
			curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
			explicit_bzero(key, strlen(key));
		}
		free(cert);
		free(key);
	}
	if (token != NULL) {
		r = asprintf(&line, "Authorization: Bearer %s", token);
		explicit_bzero(token, strlen(token));
		free(token);
		if (r < 0)
			return CILKIT_ENOMEM;
		*headers = curl_slist_append(*headers, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (cfg->auth == KUBE_AUTH_BASIC) {
		char *up, *b64;
		size_t ul;

		if (asprintf(&up, "%s:%s", cfg->username, cfg->password) < 0)
			return CILKIT_ENOMEM;
		ul = strlen(up);
		b64 = malloc(KUBE_BASE64_ENCLEN(ul) + 1);
		if (b64 == NULL) {
			free(up);
			return CILKIT_ENOMEM;
		}
		kube_base64_encode(up, ul, b64, KUBE_BASE64_ENCLEN(ul) + 1);
		explicit_bzero(up, ul);
		free(up);
		r = asprintf(&line, "Authorization: Basic %s", b64);
		free(b64);
		if (r < 0)
			return CILKIT_ENOMEM;
		*headers = curl_slist_append(*headers, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (cfg->impersonate_user != NULL) {
		if (asprintf(&line, "Impersonate-User: %s",
		    cfg->impersonate_user) < 0)
			return CILKIT_ENOMEM;
		*headers = curl_slist_append(*headers, line);
		free(line);
	}
	for (g = cfg->impersonate_groups; g != NULL && *g != NULL; g++) {
		if (asprintf(&line, "Impersonate-Group: %s", *g) < 0)
			return CILKIT_ENOMEM;
		*headers = curl_slist_append(*headers, line);
		free(line);
	}
	return 0;
}

static size_t
write_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct kube_client *c = arg;
	size_t n = size * nmemb;

	if (n > KUBE_MAX_RESPONSE - c->blen) {
		c->too_big = true;
		return 0;
	}
	if (c->blen + n + 1 > c->bcap) {
		size_t nc = c->bcap ? c->bcap : 65536;
		char *nb;

		while (nc < c->blen + n + 1)
			nc *= 2;
		if ((nb = realloc(c->body, nc)) == NULL)
			return 0;
		c->body = nb;
		c->bcap = nc;
	}
	memcpy(c->body + c->blen, ptr, n);
	c->blen += n;
	c->body[c->blen] = '\0';
	return n;
}

static size_t
read_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct kube_client *c = arg;
	size_t n = size * nitems;

	if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		long v = strtol(buf + 12, NULL, 10);

		if (v > 0)
			c->retry_after = v;
	}
	return n;
}

/* Parse a JSON document; NULL if it is not one. */
static struct json_object *
parse_json(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (buf == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(128)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	json_tokener_free(tok);
	return o;
}

/* Copy untrusted text into a message: printable ASCII, capped. */
static void
clean_text(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < cap; in++)
		out[o++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[o] = '\0';
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static void
what_name(const struct kube_resource *res, const char *ns, const char *name,
    char *out, size_t cap)
{
	if (res == NULL)
		snprintf(out, cap, "%s", name ? name : "the resource");
	else if (name != NULL && ns != NULL && res->namespaced)
		snprintf(out, cap, "%s %s/%s", res->singular, ns, name);
	else if (name != NULL)
		snprintf(out, cap, "%s %s", res->singular, name);
	else if (ns != NULL && res->namespaced)
		snprintf(out, cap, "%s in namespace %s", res->plural, ns);
	else
		snprintf(out, cap, "%s%s", res->plural,
		    res->namespaced ? " in all namespaces" : "");
}

int
kube_status_error(struct kube_client *c, long status,
    struct json_object *body, const char *verb,
    const struct kube_resource *res, const char *ns, const char *name,
    char *errbuf, size_t errlen)
{
	struct kube_config *cfg = c->cfg;
	char msg[240], what[200], grp[80];
	const char *reason = jstr(body, "reason");

	clean_text(jstr(body, "message"), msg, sizeof(msg));
	what_name(res, ns, name, what, sizeof(what));
	snprintf(grp, sizeof(grp), "%s", res != NULL ? res->group : "");
	switch (status) {
	case 401:
		if (cfg->auth == KUBE_AUTH_NONE)
			return cilkit_fail(errbuf, errlen, CILKIT_EAUTH,
			    "the API server %s wants credentials, but user "
			    "\"%s\" of context \"%s\" has none; add a token, "
			    "client certificate or exec plugin to the "
			    "kubeconfig", cfg->server, cfg->user_name,
			    cfg->context);
		return cilkit_fail(errbuf, errlen, CILKIT_EAUTH,
		    "the API server %s rejected the %s of user \"%s\" "
		    "(context \"%s\") with 401 Unauthorized; it may have "
		    "expired or been revoked: renew it in the kubeconfig",
		    cfg->server, kube_auth_name(cfg->auth), cfg->user_name,
		    cfg->context);
	case 403:
		return cilkit_fail(errbuf, errlen, CILKIT_EFORBIDDEN,
		    "not allowed to %s %s: RBAC must grant verb \"%s\" on "
		    "\"%s%s%s\"%s%s to user \"%s\" (server said: %s)", verb,
		    what, verb, res != NULL ? res->plural : "?",
		    grp[0] ? "." : "", grp,
		    ns != NULL && res != NULL && res->namespaced ?
		    " in namespace " : "", ns != NULL && res != NULL &&
		    res->namespaced ? ns : "", cfg->user_name, msg);
	case 404:
		if (name != NULL && (reason == NULL ||
		    strcmp(reason, "NotFound") == 0) && jstr(body, "message") &&
		    strstr(msg, "could not find the requested") == NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
			    "%s not found", what);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "the API server %s does not serve %s%s%s%s", cfg->server,
		    res != NULL ? res->plural : what,
		    grp[0] ? "." : "", grp,
		    strcmp(grp, "cilium.io") == 0 ?
		    " (is Cilium installed in this cluster?)" : "");
	case 410:
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "the list of %s expired while paging (410 %s); retry",
		    what, reason ? reason : "Gone");
	case 400:
	case 422:
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "the API server refused to %s %s: %s", verb, what,
		    msg[0] ? msg : "bad request");
	}
	if (status == 429 || status >= 500)
		return cilkit_fail(errbuf, errlen, CILKIT_ECONN,
		    "the API server %s answered %ld%s%s to %s %s%s%s",
		    cfg->server, status, reason ? " " : "",
		    reason ? reason : "", verb, what, msg[0] ? ": " : "", msg);
	return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
	    "the API server %s answered %ld to %s %s%s%s", cfg->server,
	    status, verb, what, msg[0] ? ": " : "", msg);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
curl_error(struct kube_client *c, CURLcode rc, const char *cerr,
    const char *verb, const char *what, char *errbuf, size_t errlen)
{
	struct kube_config *cfg = c->cfg;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return cilkit_fail(errbuf, errlen, CILKIT_ETIMEOUT,
		    "the API server %s did not answer %s %s in time (%s)",
		    cfg->server, verb, what, cerr);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return cilkit_fail(errbuf, errlen, CILKIT_ECONN,
		    "the TLS certificate of the API server %s was not "
		    "accepted (%s); check certificate-authority%s of cluster "
		    "\"%s\" in %s", cfg->server, cerr,
		    cfg->tls_server_name ? " and tls-server-name" : "",
		    cfg->cluster_name, cfg->cluster_origin ?
		    cfg->cluster_origin : cfg->source);
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
		return cilkit_fail(errbuf, errlen, CILKIT_ECONN,
		    "the TLS handshake with the API server %s failed (%s); "
		    "check the certificate authority of cluster \"%s\" and "
		    "the client certificate of user \"%s\" in %s",
		    cfg->server, cerr, cfg->cluster_name, cfg->user_name,
		    cfg->source);
	case CURLE_ABORTED_BY_CALLBACK:
		return cilkit_fail(errbuf, errlen, CILKIT_EINTR,
		    "interrupted while waiting for the API server");
	default:
		return cilkit_fail(errbuf, errlen, CILKIT_ECONN,
		    "cannot reach the API server %s of context \"%s\" (%s)",
		    cfg->server, cfg->context, cerr);
	}
}

static bool
retryable_curl(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
	    rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 ||
	    rc == CURLE_HTTP2_STREAM;
}

/* The request loop shared by kube_request and kube_list. */
static int
do_request(struct kube_client *c, const char *path, const char *verb,
    const struct kube_resource *res, const char *ns, const char *name,
    struct json_object **out, long *http_status, char *errbuf,
    size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct json_object *body;
	char cerr[CURL_ERROR_SIZE], what[200];
	bool reloaded = false;
	long status = 0, wait;
	int attempt = 0, r;
	CURLcode rc;

	*out = NULL;
	what_name(res, ns, name, what, sizeof(what));
	if (res == NULL)
		snprintf(what, sizeof(what), "%s", path);
	for (;;) {
		if (c->cancel != NULL && *c->cancel)
			return cilkit_fail(errbuf, errlen, CILKIT_EINTR,
			    "interrupted");
		curl_easy_reset(c->h);
		c->blen = 0;
		c->too_big = false;
		c->retry_after = 0;
		hdrs = curl_slist_append(NULL, "Accept: application/json");
		r = kube_client_setup_handle(c, c->h, path, &hdrs,
		    reloaded && attempt == 0, errbuf, errlen);
		if (r < 0) {
			curl_slist_free_all(hdrs);
			return r;
		}
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, write_body);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, read_header);
		curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c);
		curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, cerr);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, xferinfo);
		curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c);
		cerr[0] = '\0';
		rc = curl_easy_perform(c->h);
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		if (cerr[0] == '\0')
			snprintf(cerr, sizeof(cerr), "%s",
			    curl_easy_strerror(rc));
		if (rc == CURLE_WRITE_ERROR && c->too_big)
			return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
			    "the answer to %s %s is larger than %zu bytes",
			    verb, what, KUBE_MAX_RESPONSE);
		if (rc != CURLE_OK) {
			if (retryable_curl(rc) && attempt < c->retries) {
				sleep_ms(c->backoff_ms << attempt);
				attempt++;
				continue;
			}
			return curl_error(c, rc, cerr, verb, what, errbuf,
			    errlen);
		}
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		if (http_status != NULL)
			*http_status = status;
		body = parse_json(c->body, c->blen);
		if (status >= 200 && status < 300) {
			if (body == NULL)
				return cilkit_fail(errbuf, errlen,
				    CILKIT_EPROTO, "the API server answered "
				    "%s %s with something that is not JSON",
				    verb, what);
			*out = body;
			return 0;
		}
		if (status == 401 && !reloaded && c->cfg->auth !=
		    KUBE_AUTH_NONE && (c->cfg->token_file != NULL ||
		    c->cfg->auth == KUBE_AUTH_EXEC)) {
			/* re-read the token file / re-run the plugin once */
			json_object_put(body);
			reloaded = true;
			attempt = 0;
			continue;
		}
		if ((status == 429 || status == 500 || status == 502 ||
		    status == 503 || status == 504) && attempt < c->retries) {
			struct json_object *d, *ra;

			wait = c->backoff_ms << attempt;
			if (c->retry_after > 0)
				wait = c->retry_after * 1000;
			if (body != NULL && json_object_object_get_ex(body,
			    "details", &d) && json_object_object_get_ex(d,
			    "retryAfterSeconds", &ra) &&
			    json_object_get_int(ra) > 0)
				wait = json_object_get_int(ra) * 1000L;
			if (wait > 10000)
				wait = 10000;
			json_object_put(body);
			sleep_ms(wait);
			attempt++;
			continue;
		}
		r = kube_status_error(c, status, body, verb, res, ns, name,
		    errbuf, errlen);
		json_object_put(body);
		return r;
	}
}

int
kube_request(struct kube_client *c, const char *path, const char *verb,
    const char *what, const struct kube_resource *res,
    struct json_object **out, long *http_status, char *errbuf,
    size_t errlen)
{
	return do_request(c, path, verb, res, NULL, res == NULL ? what : NULL,
	    out, http_status, errbuf, errlen);
}

/* Preferred served version of a non-core group (cached). */
static const char *
group_version(struct kube_client *c, const struct kube_resource *res)
{
	struct json_object *o = NULL, *vs, *pv;
	char path[128], eb[CILKIT_ERRBUF_SIZE];
	const char *ver = res->version, *s;
	size_t i, n;
	long st = 0;

	if (res->group[0] == '\0')
		return res->version;
	for (i = 0; i < c->ndisc; i++)
		if (strcmp(c->disc[i].group, res->group) == 0)
			goto found;
	if (c->ndisc == NDISC)
		return res->version;
	snprintf(path, sizeof(path), "/apis/%s", res->group);
	if (do_request(c, path, "get", NULL, NULL, NULL, &o, &st, eb,
	    sizeof(eb)) == 0) {
		/* the default version if served, else the preferred one */
		bool have = false;

		if (json_object_object_get_ex(o, "versions", &vs) &&
		    json_object_is_type(vs, json_type_array)) {
			n = json_object_array_length(vs);
			for (i = 0; i < n; i++) {
				s = jstr(json_object_array_get_idx(vs, i),
				    "version");
				if (s != NULL && strcmp(s, res->version) == 0)
					have = true;
			}
		}
		if (!have && json_object_object_get_ex(o, "preferredVersion",
		    &pv) && (s = jstr(pv, "version")) != NULL &&
		    strlen(s) < sizeof(c->disc[0].version))
			ver = s;
	}
	i = c->ndisc++;
	snprintf(c->disc[i].group, sizeof(c->disc[i].group), "%s",
	    res->group);
	snprintf(c->disc[i].version, sizeof(c->disc[i].version), "%s", ver);
	json_object_put(o);
found:
	return c->disc[i].version;
}

int
kube_resource_path(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const char *name, const char *sub, char *buf, size_t cap,
    char *errbuf, size_t errlen)
{
	const char *ver;
	int n;

	if (ns != NULL && !kube_valid_label(ns))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "invalid namespace name \"%.64s\"", ns);
	if (name != NULL && !kube_valid_name(name))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "invalid %s name \"%.64s\"", res->singular, name);
	ver = group_version(c, res);
	if (res->group[0] == '\0')
		n = snprintf(buf, cap, "/api/%s", ver);
	else
		n = snprintf(buf, cap, "/apis/%s/%s", res->group, ver);
	if (res->namespaced && ns != NULL)
		n += snprintf(buf + n, cap > (size_t)n ? cap - (size_t)n : 0,
		    "/namespaces/%s", ns);
	n += snprintf(buf + n, cap > (size_t)n ? cap - (size_t)n : 0, "/%s",
	    res->plural);
	if (name != NULL)
		n += snprintf(buf + n, cap > (size_t)n ? cap - (size_t)n : 0,
		    "/%s", name);
	if (sub != NULL)
		n += snprintf(buf + n, cap > (size_t)n ? cap - (size_t)n : 0,
		    "/%s", sub);
	if ((size_t)n >= cap)
		return CILKIT_ETOOBIG;
	return 0;
}

int
kube_get(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const char *name, struct json_object **out,
    char *errbuf, size_t errlen)
{
	char path[1024];
	int r;

	*out = NULL;
	if ((r = kube_resource_path(c, res, ns, name, NULL, path,
	    sizeof(path), errbuf, errlen)) < 0)
		return r;
	return do_request(c, path, "get", res, ns, name, out, NULL, errbuf,
	    errlen);
}

static int
append_param(CURL *h, char *buf, size_t cap, size_t *n, const char *key,
    const char *val)
{
	char *esc = curl_easy_escape(h, val, 0);
	int w;

	if (esc == NULL)
		return CILKIT_ENOMEM;
	w = snprintf(buf + *n, cap - *n, "%c%s=%s", strchr(buf, '?') ? '&' :
	    '?', key, esc);
	curl_free(esc);
	if (w < 0 || (size_t)w >= cap - *n)
		return CILKIT_ETOOBIG;
	*n += (size_t)w;
	return 0;
}

int
kube_list(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const struct kube_list_opts *opts,
    struct json_object **items, char *errbuf, size_t errlen)
{
	static const struct kube_list_opts defopts;
	const struct kube_list_opts *o = opts != NULL ? opts : &defopts;
	struct json_object *page = NULL, *arr, *meta, *pi;
	char base[1024], path[8192], lim[16], *cont = NULL;
	size_t n, i, np;
	long st = 0;
	int r, restarts = 0, pages = 0;

	*items = NULL;
	if ((r = kube_resource_path(c, res, ns, NULL, NULL, base,
	    sizeof(base), errbuf, errlen)) < 0)
		return r;
	if ((arr = json_object_new_array()) == NULL)
		return CILKIT_ENOMEM;
	snprintf(lim, sizeof(lim), "%u", o->limit ? o->limit :
	    KUBE_DEFAULT_PAGE);
	for (;;) {
		n = (size_t)snprintf(path, sizeof(path), "%s", base);
		if ((o->label_selector != NULL && (r = append_param(c->h, path,
		    sizeof(path), &n, "labelSelector",
		    o->label_selector)) < 0) ||
		    (o->field_selector != NULL && (r = append_param(c->h, path,
		    sizeof(path), &n, "fieldSelector",
		    o->field_selector)) < 0) ||
		    (r = append_param(c->h, path, sizeof(path), &n, "limit",
		    lim)) < 0 ||
		    (cont != NULL && (r = append_param(c->h, path,
		    sizeof(path), &n, "continue", cont)) < 0)) {
			if (r == CILKIT_ETOOBIG)
				r = cilkit_fail(errbuf, errlen, r,
				    "selector too long");
			goto fail;
		}
		r = do_request(c, path, "list", res, ns, NULL, &page, &st,
		    errbuf, errlen);
		if (r < 0 && st == 410 && cont != NULL && restarts == 0) {
			/* expired continue token: start over, once */
			restarts++;
			free(cont);
			cont = NULL;
			json_object_put(arr);
			if ((arr = json_object_new_array()) == NULL)
				return CILKIT_ENOMEM;
			continue;
		}
		if (r < 0)
			goto fail;
		if (!json_object_object_get_ex(page, "items", &pi) ||
		    (pi != NULL && !json_object_is_type(pi,
		    json_type_array))) {
			r = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "the API server answered list %s without an "
			    "items list", res->plural);
			goto fail;
		}
		np = pi != NULL ? json_object_array_length(pi) : 0;
		for (i = 0; i < np; i++) {
			if (o->max_items && json_object_array_length(arr) >=
			    o->max_items)
				break;
			json_object_array_add(arr, json_object_get(
			    json_object_array_get_idx(pi, i)));
		}
		free(cont);
		cont = NULL;
		if (o->rv_out != NULL && o->rv_cap > 0 &&
		    json_object_object_get_ex(page, "metadata", &meta) &&
		    jstr(meta, "resourceVersion") != NULL)
			snprintf(o->rv_out, o->rv_cap, "%s",
			    jstr(meta, "resourceVersion"));
		if (json_object_object_get_ex(page, "metadata", &meta) &&
		    jstr(meta, "continue") != NULL &&
		    jstr(meta, "continue")[0] != '\0' &&
		    !(o->max_items && json_object_array_length(arr) >=
		    o->max_items))
			cont = strdup(jstr(meta, "continue"));
		json_object_put(page);
		page = NULL;
		if (cont == NULL)
			break;
		/* the server may legally send short or empty pages; a
		 * broken one could loop forever, so pages are capped */
		if (++pages > 100000) {
			r = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "the API server kept sending continue tokens "
			    "while listing %s", res->plural);
			goto fail;
		}
	}
	*items = arr;
	return (int)json_object_array_length(arr);
fail:
	free(cont);
	json_object_put(page);
	json_object_put(arr);
	return r;
}

/* ---- watch ---- */

struct watch_ctx {
	struct kube_client *c;
	struct json_tokener *tok;
	kube_watch_cb cb;
	void *arg;
	size_t in_event;	/* bytes of the event being parsed */
	bool stop, expired;
	int err;
	char msg[CILKIT_ERRBUF_SIZE];
	/* a non-200 answer is collected for its Status */
	long status;
	char *ebody;
	size_t elen;
};

static int
watch_event(struct watch_ctx *w, struct json_object *ev)
{
	const char *type = jstr(ev, "type");
	struct json_object *obj = NULL;
	char clean[240];

	if (type == NULL || !json_object_object_get_ex(ev, "object", &obj) ||
	    !json_object_is_type(obj, json_type_object)) {
		w->err = cilkit_fail(w->msg, sizeof(w->msg), CILKIT_EPROTO,
		    "the API server sent a watch event without a type or an "
		    "object");
		return -1;
	}
	if (strcmp(type, "ERROR") == 0) {
		struct json_object *code;

		if (json_object_object_get_ex(obj, "code", &code) &&
		    json_object_get_int(code) == 410) {
			w->expired = true;
			return -1;
		}
		clean_text(jstr(obj, "message"), clean, sizeof(clean));
		w->err = cilkit_fail(w->msg, sizeof(w->msg), CILKIT_EPROTO,
		    "the watch ended with an error from the API server: %s",
		    clean[0] ? clean : "no message");
		return -1;
	}
	if (w->cb(w->arg, type, obj) != 0) {
		w->stop = true;
		return -1;
	}
	return 0;
}

static size_t
watch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct watch_ctx *w = arg;
	size_t n = size * nmemb, off = 0;
	struct json_object *ev;
	enum json_tokener_error je;
	long st = 0;

	curl_easy_getinfo(w->c->h, CURLINFO_RESPONSE_CODE, &st);
	if (st != 200) {
		/* an error Status: keep (a bounded part of) the body */
		char *nb;

		w->status = st;
		if (w->elen + n > 65536)
			return n;
		if ((nb = realloc(w->ebody, w->elen + n + 1)) == NULL)
			return 0;
		w->ebody = nb;
		memcpy(w->ebody + w->elen, ptr, n);
		w->elen += n;
		w->ebody[w->elen] = '\0';
		return n;
	}
	/* consecutive JSON values; newlines between them are not needed */
	while (off < n) {
		size_t chunk = n - off;

		while (w->in_event == 0 && off < n &&
		    (ptr[off] == '\n' || ptr[off] == '\r' || ptr[off] == ' '))
			off++;
		if (off >= n)
			break;
		chunk = n - off;
		if (chunk > INT32_MAX)
			chunk = INT32_MAX;
		ev = json_tokener_parse_ex(w->tok, ptr + off, (int)chunk);
		je = json_tokener_get_error(w->tok);
		if (ev == NULL && je == json_tokener_continue) {
			w->in_event += chunk;
			if (w->in_event > KUBE_WATCH_MAX_EVENT) {
				w->err = cilkit_fail(w->msg, sizeof(w->msg),
				    CILKIT_ETOOBIG, "a watch event is larger "
				    "than %zu bytes", KUBE_WATCH_MAX_EVENT);
				return 0;
			}
			return n;
		}
		if (ev == NULL) {
			w->err = cilkit_fail(w->msg, sizeof(w->msg),
			    CILKIT_EPROTO, "the API server's watch stream is "
			    "not JSON (%s)", json_tokener_error_desc(je));
			return 0;
		}
		off += (size_t)json_tokener_get_parse_end(w->tok);
		json_tokener_reset(w->tok);
		w->in_event = 0;
		if (watch_event(w, ev) < 0) {
			json_object_put(ev);
			return 0;	/* stops the transfer */
		}
		json_object_put(ev);
	}
	return n;
}

int
kube_watch(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const struct kube_watch_opts *opts, kube_watch_cb cb,
    void *arg, char *errbuf, size_t errlen)
{
	static const struct kube_watch_opts defopts;
	const struct kube_watch_opts *o = opts != NULL ? opts : &defopts;
	struct curl_slist *hdrs = NULL;
	struct watch_ctx w;
	char path[8192], ts[24], cerr[CURL_ERROR_SIZE];
	struct json_object *body;
	size_t n;
	long tmo = o->timeout_s > 0 ? o->timeout_s : 300;
	int r, attempt;
	CURLcode rc;

	if ((r = kube_resource_path(c, res, ns, NULL, NULL, path,
	    sizeof(path), errbuf, errlen)) < 0)
		return r;
	n = strlen(path);
	snprintf(ts, sizeof(ts), "%ld", tmo);
	if ((r = append_param(c->h, path, sizeof(path), &n, "watch",
	    "true")) < 0 ||
	    (o->label_selector != NULL && (r = append_param(c->h, path,
	    sizeof(path), &n, "labelSelector", o->label_selector)) < 0) ||
	    (o->field_selector != NULL && (r = append_param(c->h, path,
	    sizeof(path), &n, "fieldSelector", o->field_selector)) < 0) ||
	    (o->resource_version != NULL && (r = append_param(c->h, path,
	    sizeof(path), &n, "resourceVersion", o->resource_version)) < 0) ||
	    (o->bookmarks && (r = append_param(c->h, path, sizeof(path), &n,
	    "allowWatchBookmarks", "true")) < 0) ||
	    (r = append_param(c->h, path, sizeof(path), &n, "timeoutSeconds",
	    ts)) < 0)
		return cilkit_fail(errbuf, errlen, r, "watch selector too long");
	for (attempt = 0; attempt < 2; attempt++) {
		memset(&w, 0, sizeof(w));
		w.c = c;
		w.cb = cb;
		w.arg = arg;
		if ((w.tok = json_tokener_new_ex(128)) == NULL)
			return CILKIT_ENOMEM;
		curl_easy_reset(c->h);
		hdrs = curl_slist_append(NULL, "Accept: application/json");
		r = kube_client_setup_handle(c, c->h, path, &hdrs, attempt > 0,
		    errbuf, errlen);
		if (r < 0) {
			curl_slist_free_all(hdrs);
			json_tokener_free(w.tok);
			return r;
		}
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, watch_write);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, cerr);
		/* the server ends the stream after timeoutSeconds */
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (tmo + 30) * 1000L);
		curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, xferinfo);
		curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c);
		cerr[0] = '\0';
		rc = curl_easy_perform(c->h);
		curl_slist_free_all(hdrs);
		json_tokener_free(w.tok);
		if (w.status == 401 && attempt == 0 && c->cfg->auth !=
		    KUBE_AUTH_NONE && (c->cfg->token_file != NULL ||
		    c->cfg->auth == KUBE_AUTH_EXEC)) {
			free(w.ebody);
			continue;
		}
		break;
	}
	if (w.status != 0 && w.status != 200) {
		body = parse_json(w.ebody, w.elen);
		r = kube_status_error(c, w.status, body, "watch", res, ns,
		    NULL, errbuf, errlen);
		json_object_put(body);
		free(w.ebody);
		return r;
	}
	free(w.ebody);
	if (w.expired)
		return KUBE_WATCH_EXPIRED;
	if (w.stop)
		return 0;
	if (w.err < 0)
		return cilkit_fail(errbuf, errlen, w.err, "%s", w.msg);
	if (rc == CURLE_OK)
		return 0;
	if (cerr[0] == '\0')
		snprintf(cerr, sizeof(cerr), "%s", curl_easy_strerror(rc));
	return curl_error(c, rc, cerr, "watch", res->plural, errbuf, errlen);
}
