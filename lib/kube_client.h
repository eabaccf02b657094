/*
 * kube_client.h - Kubernetes REST client over libcurl: GET and LIST with
 * paging and selectors, metav1.Status errors turned into one sentence
 * naming the resource and verb, bounded retries (kubernetes-api.md
 * section 4).
 *
 * One client holds one libcurl handle (connections are reused) and is
 * not thread-safe; use one client per thread.
 */
#ifndef CILKIT_KUBE_CLIENT_H
#define CILKIT_KUBE_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_config.h"

struct json_object;
struct kube_client;

/* A resource kind, as the API serves it. */
struct kube_resource {
	const char *group;	/* "" for the core group */
	const char *version;	/* default version; non-core groups are
				 * discovered via /apis/GROUP first */
	const char *plural;	/* "pods" */
	const char *singular;	/* "pod", for messages */
	bool namespaced;
};

extern const struct kube_resource kube_res_namespaces;
extern const struct kube_resource kube_res_nodes;
extern const struct kube_resource kube_res_pods;
extern const struct kube_resource kube_res_services;
extern const struct kube_resource kube_res_endpointslices;
extern const struct kube_resource kube_res_networkpolicies;
extern const struct kube_resource kube_res_cnp;	/* CiliumNetworkPolicy */
extern const struct kube_resource kube_res_ccnp;	/* ...Clusterwide... */
extern const struct kube_resource kube_res_cep;	/* CiliumEndpoint */

/* Look a resource up by plural, singular or short name ("cnp"). */
const struct kube_resource *kube_resource_find(const char *name);

/* Limits and defaults. */
#define KUBE_MAX_RESPONSE	((size_t)256 << 20)
#define KUBE_DEFAULT_TIMEOUT_MS	30000
#define KUBE_DEFAULT_PAGE	500
#define KUBE_MAX_RETRIES	4

/*
 * A client for cfg, which it borrows (and updates: token re-reads and
 * exec plugin credentials are cached in it); cfg must outlive the
 * client.  Returns 0 or a negative enum cilkit_err.  Caller frees with
 * kube_client_free().
 */
int kube_client_new(struct kube_config *cfg, struct kube_client **out,
    char *errbuf, size_t errlen);
void kube_client_free(struct kube_client *c);
struct kube_config *kube_client_config(struct kube_client *c);

/* Per-request timeout in ms (0: none); default KUBE_DEFAULT_TIMEOUT_MS. */
void kube_client_set_timeout(struct kube_client *c, long ms);
/*
 * A flag that stops requests in flight when it becomes non-zero (set it
 * from a SIGINT handler); they return CILKIT_EINTR.  NULL: none.
 */
void kube_client_set_cancel(struct kube_client *c,
    const volatile sig_atomic_t *flag);
/* Retries on 429/5xx/resets (0..KUBE_MAX_RETRIES); base backoff in ms. */
void kube_client_set_retries(struct kube_client *c, int retries,
    long backoff_ms);

/* A single-object GET: resource, namespace (NULL: cluster scope), name. */
int kube_get(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const char *name, struct json_object **out,
    char *errbuf, size_t errlen);

struct kube_list_opts {
	const char *label_selector;	/* "app=x,tier!=db", or NULL */
	const char *field_selector;	/* "spec.nodeName=n1", or NULL */
	unsigned limit;			/* page size; 0: KUBE_DEFAULT_PAGE */
	size_t max_items;		/* stop after this many; 0: no cap */
	/* when not NULL: gets the list's metadata.resourceVersion, the
	 * point a following kube_watch starts from */
	char *rv_out;
	size_t rv_cap;
};

/*
 * LIST every page of res in namespace ns (NULL: all namespaces, or a
 * cluster-scoped resource), following metadata.continue with the same
 * selectors.  An expired continue token (410) restarts the list once.
 * On success returns the number of items and sets *items to a json-c
 * array (caller puts it).
 */
int kube_list(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const struct kube_list_opts *opts,
    struct json_object **items, char *errbuf, size_t errlen);

/*
 * WATCH (kubernetes-api.md 4.4): a stream of self-delimiting JSON
 * events.  cb gets each event's type ("ADDED", "MODIFIED", "DELETED",
 * "BOOKMARK") and object (borrowed for the call); a non-zero return
 * stops the watch.  ERROR events end the watch.
 */
typedef int (*kube_watch_cb)(void *arg, const char *type,
    struct json_object *obj);

struct kube_watch_opts {
	const char *label_selector;
	const char *field_selector;
	const char *resource_version;	/* from a LIST; NULL: now */
	long timeout_s;			/* server-side end, 0: 300 s */
	bool bookmarks;			/* allowWatchBookmarks */
};

/* Largest single watch event accepted. */
#define KUBE_WATCH_MAX_EVENT	((size_t)64 << 20)
/* kube_watch's return when the resourceVersion is too old (410). */
#define KUBE_WATCH_EXPIRED	1

/*
 * Watch res in ns (NULL: all namespaces / cluster scope).  Returns 0
 * when the server ended the stream (timeoutSeconds) or cb asked to stop,
 * KUBE_WATCH_EXPIRED when the resourceVersion is too old (list again),
 * or a negative enum cilkit_err (CILKIT_EINTR on the cancel flag).
 */
int kube_watch(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const struct kube_watch_opts *opts, kube_watch_cb cb,
    void *arg, char *errbuf, size_t errlen);

/*
 * Raw GET of an API path ("/version", "/apis/cilium.io"), with query.
 * verb and what (e.g. "get", "pod demo/x") are used in messages.
 * Returns 0 with *out the parsed JSON body (caller puts), or a negative
 * enum cilkit_err.  *http_status (may be NULL) gets the HTTP status.
 */
int kube_request(struct kube_client *c, const char *path, const char *verb,
    const char *what, const struct kube_resource *res,
    struct json_object **out, long *http_status, char *errbuf,
    size_t errlen);

/*
 * RFC 1123 label (namespaces, and the parts of names we put in paths):
 * [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.  Object names may also
 * contain dots (subdomain, at most 253).  Both return true when valid.
 */
bool kube_valid_label(const char *s);
bool kube_valid_name(const char *s);

/*
 * The path for res in ns (NULL: all namespaces), optionally with a name
 * and subresource, into buf.  Uses the discovered version for non-core
 * groups.  Returns 0, CILKIT_EINVAL for an invalid namespace or name,
 * or CILKIT_ETOOBIG.
 */
int kube_resource_path(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const char *name, const char *sub, char *buf, size_t cap,
    char *errbuf, size_t errlen);

/*
 * Turn an error response into one sentence: status is the HTTP status,
 * body the metav1.Status (may be NULL), verb/res/ns/name what was asked.
 * Returns the matching enum cilkit_err.  Used by kube_exec too.
 */
int kube_status_error(struct kube_client *c, long status,
    struct json_object *body, const char *verb,
    const struct kube_resource *res, const char *ns, const char *name,
    char *errbuf, size_t errlen);

/*
 * Set up a libcurl handle with the client's TLS, proxy and client
 * certificate options for url (tls-server-name handled with
 * CURLOPT_CONNECT_TO).  Used by kube_exec for its CONNECT_ONLY handle.
 * headers gets the Authorization/impersonation lines appended (the
 * caller frees the list).  Returns 0 or a negative enum cilkit_err.
 */
struct curl_slist;
int kube_client_setup_handle(struct kube_client *c, void *curl,
    const char *path, struct curl_slist **headers, bool force_reload,
    char *errbuf, size_t errlen);

/* Host header value ("host:port") and server path prefix, for exec. */
const char *kube_client_host(const struct kube_client *c);
const char *kube_client_prefix(const struct kube_client *c);
const volatile sig_atomic_t *kube_client_cancel_flag(
    const struct kube_client *c);

#endif /* CILKIT_KUBE_CLIENT_H */
