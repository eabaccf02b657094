/*
 * kube_objects.c - typed, zero-copy views of API objects; see
 * kube_objects.h.  Field names follow the Kubernetes and Cilium types
 * (kubernetes-api.md section 4.6 for CiliumEndpoint).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_client.h"
#include "kube_objects.h"

/* ---- json helpers: type-checked, NULL-safe ---- */

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* Nested lookup: jpath(o, "status", "identity", "id", NULL). */
static struct json_object *
jpath(struct json_object *o, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, o);
	while (o != NULL && (k = va_arg(ap, const char *)) != NULL)
		o = jget(o, k);
	va_end(ap);
	return o;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static int64_t
jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : 0;
}

static bool
jbool(struct json_object *o, const char *key, bool dflt)
{
	struct json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_boolean) ?
	    json_object_get_boolean(v) : dflt;
}

static size_t
jlen(struct json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

/* ---- allocation tracking ---- */

static void *
lalloc(struct kube_objlist *l, size_t n, size_t size)
{
	void *p, **na;

	if (n == 0)
		return NULL;
	if (l->nallocs == l->capallocs) {
		size_t nc = l->capallocs ? l->capallocs * 2 : 64;

		if ((na = realloc(l->allocs, nc * sizeof(*na))) == NULL)
			return NULL;
		l->allocs = na;
		l->capallocs = nc;
	}
	if ((p = calloc(n, size)) == NULL)
		return NULL;
	l->allocs[l->nallocs++] = p;
	return p;
}

void
kube_objlist_free(struct kube_objlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nallocs; i++)
		free(l->allocs[i]);
	free(l->allocs);
	json_object_put(l->root);
	memset(l, 0, sizeof(*l));
}

static int
begin(struct json_object *items, struct kube_objlist *l, size_t size,
    char *errbuf, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (items == NULL || !json_object_is_type(items, json_type_array))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "expected a list of API objects");
	l->root = json_object_get(items);
	if (json_object_array_length(items) > 0 &&
	    (l->u.items = lalloc(l, json_object_array_length(items),
	    size)) == NULL) {
		kube_objlist_free(l);
		return CILKIT_ENOMEM;
	}
	return 0;
}

#define NOMEM(l)	do { kube_objlist_free(l); return CILKIT_ENOMEM; } \
			while (0)

static int
read_labels(struct kube_objlist *l, struct json_object *map,
    struct kube_labels *out)
{
	size_t n = 0;

	out->n = 0;
	out->kv = NULL;
	if (map == NULL || !json_object_is_type(map, json_type_object))
		return 0;
	json_object_object_foreach(map, k1, v1) {
		(void)k1;
		if (json_object_is_type(v1, json_type_string))
			n++;
	}
	if (n == 0)
		return 0;
	if ((out->kv = lalloc(l, n, sizeof(*out->kv))) == NULL)
		return CILKIT_ENOMEM;
	json_object_object_foreach(map, k, v) {
		if (!json_object_is_type(v, json_type_string))
			continue;
		out->kv[out->n].key = k;
		out->kv[out->n].value = json_object_get_string(v);
		out->n++;
	}
	return 0;
}

const char *
kube_labels_get(const struct kube_labels *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].value;
	return NULL;
}

bool
kube_labels_match(const struct kube_labels *l, const struct kube_labels *sel)
{
	const char *v;
	size_t i;

	for (i = 0; i < sel->n; i++) {
		v = kube_labels_get(l, sel->kv[i].key);
		if (v == NULL || strcmp(v, sel->kv[i].value) != 0)
			return false;
	}
	return true;
}

/* String list from an array of strings, or of objects' key. */
static int
read_strs(struct kube_objlist *l, struct json_object *arr, const char *key,
    const char ***out, size_t *n)
{
	size_t i, len = jlen(arr);
	const char *s;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if ((*out = lalloc(l, len, sizeof(char *))) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < len; i++) {
		struct json_object *it = json_object_array_get_idx(arr, i);

		if (key != NULL)
			s = jstr(it, key);
		else
			s = json_object_is_type(it, json_type_string) ?
			    json_object_get_string(it) : NULL;
		if (s != NULL && *s != '\0')
			(*out)[(*n)++] = s;
	}
	return 0;
}

static int
read_ports(struct kube_objlist *l, struct json_object *arr,
    const char *portkey, struct kube_port **out, size_t *n)
{
	size_t i, len = jlen(arr);

	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if ((*out = lalloc(l, len, sizeof(**out))) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < len; i++) {
		struct json_object *it = json_object_array_get_idx(arr, i);
		struct kube_port *p = &(*out)[*n];
		struct json_object *tp;

		if (!json_object_is_type(it, json_type_object))
			continue;
		p->name = jstr(it, "name");
		p->port = (int)jint(it, portkey);
		p->protocol = jstr(it, "protocol");
		if (p->protocol == NULL)
			p->protocol = "TCP";
		p->node_port = (int)jint(it, "nodePort");
		tp = jget(it, "targetPort");
		if (tp != NULL && json_object_is_type(tp, json_type_int))
			p->target_port = json_object_get_int(tp);
		else if (tp != NULL && json_object_is_type(tp,
		    json_type_string))
			p->target_name = json_object_get_string(tp);
		(*n)++;
	}
	return 0;
}

/* ---- the item loop every reader shares ---- */

/* A kind's struct has no such field. */
#define NONE	SIZE_MAX
/* The T at byte offset off of a kind's struct. */
#define AT(item, off, T)	((T *)(void *)((char *)(item) + (off)))

/*
 * One kind of object: its struct, where the fields every kind reads
 * from the item and its metadata sit in it (offsetof, NONE when the
 * kind does not keep one), and the reader of the rest.
 */
struct kind {
	size_t size;
	size_t name;		/* metadata.name (const char *) */
	size_t ns;		/* metadata.namespace (const char *) */
	size_t labels;		/* metadata.labels (struct kube_labels) */
	size_t obj;		/* the item (struct json_object *) */
	/* The kind's own fields of item; 0 or CILKIT_ENOMEM. */
	int (*fields)(struct kube_objlist *l, struct json_object *it,
	    struct json_object *md, void *item);
};

/*
 * Read every item of the array into l as kind k: an item that is not
 * an object or has no string metadata.name is skipped, so the kind's
 * reader only sees named objects.  Returns the number read, or a
 * negative enum cilkit_err (l is then empty).
 */
static int
read_items(struct json_object *items, struct kube_objlist *l,
    const struct kind *k, char *errbuf, size_t errlen)
{
	size_t i, len;
	int r;

	if ((r = begin(items, l, k->size, errbuf, errlen)) < 0)
		return r;
	len = json_object_array_length(items);
	for (i = 0; i < len; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *md = jget(it, "metadata");
		void *item = (char *)l->u.items + l->n * k->size;
		const char *name;

		if ((name = jstr(md, "name")) == NULL)
			continue;
		*AT(item, k->name, const char *) = name;
		*AT(item, k->obj, struct json_object *) = it;
		if (k->ns != NONE)
			*AT(item, k->ns, const char *) = jstr(md, "namespace");
		if (k->labels != NONE && read_labels(l, jget(md, "labels"),
		    AT(item, k->labels, struct kube_labels)) < 0)
			NOMEM(l);
		if (k->fields != NULL && k->fields(l, it, md, item) < 0)
			NOMEM(l);
		l->n++;
	}
	return (int)l->n;
}

/* ---- pods ---- */

static int
pod_fields(struct kube_objlist *l, struct json_object *it,
    struct json_object *md, void *item)
{
	struct json_object *spec = jget(it, "spec");
	struct json_object *st = jget(it, "status");
	struct json_object *owners, *ctrs;
	struct kube_pod *p = item;
	size_t j;

	p->uid = jstr(md, "uid");
	p->node = jstr(spec, "nodeName");
	p->host_network = jbool(spec, "hostNetwork", false);
	p->phase = jstr(st, "phase");
	p->host_ip = jstr(st, "hostIP");
	if (jlen(jget(st, "podIPs")) > 0) {
		if (read_strs(l, jget(st, "podIPs"), "ip", &p->ips,
		    &p->nips) < 0)
			return CILKIT_ENOMEM;
	} else if (jstr(st, "podIP") != NULL) {
		if ((p->ips = lalloc(l, 1, sizeof(char *))) == NULL)
			return CILKIT_ENOMEM;
		p->ips[0] = jstr(st, "podIP");
		p->nips = 1;
	}
	owners = jget(md, "ownerReferences");
	if (jlen(owners) > 0) {
		p->owners = lalloc(l, jlen(owners), sizeof(*p->owners));
		if (p->owners == NULL)
			return CILKIT_ENOMEM;
		for (j = 0; j < jlen(owners); j++) {
			struct json_object *o =
			    json_object_array_get_idx(owners, j);

			if (jstr(o, "kind") == NULL || jstr(o, "name") == NULL)
				continue;
			p->owners[p->nowners].kind = jstr(o, "kind");
			p->owners[p->nowners].name = jstr(o, "name");
			p->owners[p->nowners].controller =
			    jbool(o, "controller", false);
			p->nowners++;
		}
	}
	ctrs = jget(spec, "containers");
	if (jlen(ctrs) > 0) {
		p->containers = lalloc(l, jlen(ctrs), sizeof(*p->containers));
		if (p->containers == NULL)
			return CILKIT_ENOMEM;
		for (j = 0; j < jlen(ctrs); j++) {
			struct json_object *c = json_object_array_get_idx(ctrs,
			    j);
			struct kube_container *kc =
			    &p->containers[p->ncontainers];

			if ((kc->name = jstr(c, "name")) == NULL)
				continue;
			kc->image = jstr(c, "image");
			if (read_ports(l, jget(c, "ports"), "containerPort",
			    &kc->ports, &kc->nports) < 0)
				return CILKIT_ENOMEM;
			p->ncontainers++;
		}
	}
	return 0;
}

int
kube_pods_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_pod),
	    offsetof(struct kube_pod, name), offsetof(struct kube_pod, ns),
	    offsetof(struct kube_pod, labels), offsetof(struct kube_pod, obj),
	    pod_fields };

	return read_items(items, l, &k, errbuf, errlen);
}

/* ---- services ---- */

static int
service_fields(struct kube_objlist *l, struct json_object *it,
    struct json_object *md, void *item)
{
	struct json_object *spec = jget(it, "spec");
	struct kube_service *s = item;

	(void)md;
	s->type = jstr(spec, "type");
	if (s->type == NULL)
		s->type = "ClusterIP";
	if (jlen(jget(spec, "clusterIPs")) > 0) {
		if (read_strs(l, jget(spec, "clusterIPs"), NULL,
		    &s->cluster_ips, &s->nips) < 0)
			return CILKIT_ENOMEM;
	} else if (jstr(spec, "clusterIP") != NULL) {
		if ((s->cluster_ips = lalloc(l, 1, sizeof(char *))) == NULL)
			return CILKIT_ENOMEM;
		s->cluster_ips[0] = jstr(spec, "clusterIP");
		s->nips = 1;
	}
	if (read_ports(l, jget(spec, "ports"), "port", &s->ports,
	    &s->nports) < 0 ||
	    read_labels(l, jget(spec, "selector"), &s->selector) < 0)
		return CILKIT_ENOMEM;
	return 0;
}

int
kube_services_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_service),
	    offsetof(struct kube_service, name),
	    offsetof(struct kube_service, ns), NONE,
	    offsetof(struct kube_service, obj), service_fields };

	return read_items(items, l, &k, errbuf, errlen);
}

/* ---- endpointslices ---- */

static int
slice_fields(struct kube_objlist *l, struct json_object *it,
    struct json_object *md, void *item)
{
	struct json_object *eps = jget(it, "endpoints");
	struct kube_endpointslice *s = item;
	size_t j;

	s->service = jstr(jget(md, "labels"), "kubernetes.io/service-name");
	s->address_type = jstr(it, "addressType");
	if (read_ports(l, jget(it, "ports"), "port", &s->ports,
	    &s->nports) < 0)
		return CILKIT_ENOMEM;
	if (jlen(eps) > 0 && (s->endpoints = lalloc(l, jlen(eps),
	    sizeof(*s->endpoints))) == NULL)
		return CILKIT_ENOMEM;
	for (j = 0; j < jlen(eps); j++) {
		struct json_object *e = json_object_array_get_idx(eps, j);
		struct kube_endpoint *ke = &s->endpoints[s->nendpoints];
		struct json_object *tr = jget(e, "targetRef");

		if (!json_object_is_type(e, json_type_object))
			continue;
		if (read_strs(l, jget(e, "addresses"), NULL, &ke->addrs,
		    &ke->naddrs) < 0)
			return CILKIT_ENOMEM;
		ke->ready = jbool(jget(e, "conditions"), "ready", true);
		ke->node = jstr(e, "nodeName");
		if (jstr(tr, "kind") != NULL &&
		    strcmp(jstr(tr, "kind"), "Pod") == 0) {
			ke->pod = jstr(tr, "name");
			ke->pod_ns = jstr(tr, "namespace");
		}
		s->nendpoints++;
	}
	return 0;
}

int
kube_slices_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_endpointslice),
	    offsetof(struct kube_endpointslice, name),
	    offsetof(struct kube_endpointslice, ns), NONE,
	    offsetof(struct kube_endpointslice, obj), slice_fields };

	return read_items(items, l, &k, errbuf, errlen);
}

/* ---- nodes and namespaces ---- */

static int
node_fields(struct kube_objlist *l, struct json_object *it,
    struct json_object *md, void *item)
{
	struct json_object *addrs = jpath(it, "status", "addresses", NULL);
	struct kube_node *n = item;
	size_t j;

	(void)md;
	if (jlen(jpath(it, "spec", "podCIDRs", NULL)) > 0) {
		if (read_strs(l, jpath(it, "spec", "podCIDRs", NULL), NULL,
		    &n->pod_cidrs, &n->ncidrs) < 0)
			return CILKIT_ENOMEM;
	} else if (jstr(jget(it, "spec"), "podCIDR") != NULL) {
		if ((n->pod_cidrs = lalloc(l, 1, sizeof(char *))) == NULL)
			return CILKIT_ENOMEM;
		n->pod_cidrs[0] = jstr(jget(it, "spec"), "podCIDR");
		n->ncidrs = 1;
	}
	if (jlen(addrs) > 0 && (n->addrs = lalloc(l, jlen(addrs),
	    sizeof(*n->addrs))) == NULL)
		return CILKIT_ENOMEM;
	for (j = 0; j < jlen(addrs); j++) {
		struct json_object *a = json_object_array_get_idx(addrs, j);

		if (jstr(a, "address") == NULL)
			continue;
		n->addrs[n->naddrs].type = jstr(a, "type");
		n->addrs[n->naddrs].address = jstr(a, "address");
		n->naddrs++;
	}
	return 0;
}

int
kube_nodes_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_node),
	    offsetof(struct kube_node, name), NONE,
	    offsetof(struct kube_node, labels),
	    offsetof(struct kube_node, obj), node_fields };

	return read_items(items, l, &k, errbuf, errlen);
}

int
kube_namespaces_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_namespace),
	    offsetof(struct kube_namespace, name), NONE,
	    offsetof(struct kube_namespace, labels),
	    offsetof(struct kube_namespace, obj), NULL };

	return read_items(items, l, &k, errbuf, errlen);
}

/* ---- CiliumEndpoints ---- */

static int
cep_fields(struct kube_objlist *l, struct json_object *it,
    struct json_object *md, void *item)
{
	struct json_object *st = jget(it, "status");
	struct json_object *ad = jpath(st, "networking", "addressing", NULL);
	struct kube_cep *c = item;
	size_t j;

	(void)md;
	c->endpoint_id = jint(st, "id");
	c->identity = jint(jget(st, "identity"), "id");
	c->node_ip = jstr(jget(st, "networking"), "node");
	c->state = jstr(st, "state");
	if (read_strs(l, jpath(st, "identity", "labels", NULL), NULL,
	    &c->identity_labels, &c->nidlabels) < 0)
		return CILKIT_ENOMEM;
	if (jlen(ad) > 0 && (c->ips = lalloc(l, 2 * jlen(ad),
	    sizeof(char *))) == NULL)
		return CILKIT_ENOMEM;
	for (j = 0; j < jlen(ad); j++) {
		struct json_object *a = json_object_array_get_idx(ad, j);

		if (jstr(a, "ipv4") != NULL && *jstr(a, "ipv4"))
			c->ips[c->nips++] = jstr(a, "ipv4");
		if (jstr(a, "ipv6") != NULL && *jstr(a, "ipv6"))
			c->ips[c->nips++] = jstr(a, "ipv6");
	}
	return 0;
}

int
kube_ceps_from_json(struct json_object *items, struct kube_objlist *l,
    char *errbuf, size_t errlen)
{
	static const struct kind k = { sizeof(struct kube_cep),
	    offsetof(struct kube_cep, name), offsetof(struct kube_cep, ns),
	    NONE, offsetof(struct kube_cep, obj), cep_fields };

	return read_items(items, l, &k, errbuf, errlen);
}

/* ---- LIST + read ---- */

typedef int (*reader_fn)(struct json_object *, struct kube_objlist *,
    char *, size_t);

static int
list_read(struct kube_client *c, const struct kube_resource *res,
    const char *ns, const struct kube_list_opts *opts, reader_fn fn,
    struct kube_objlist *out, char *errbuf, size_t errlen)
{
	struct json_object *items = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = kube_list(c, res, ns, opts, &items, errbuf, errlen)) < 0)
		return r;
	r = fn(items, out, errbuf, errlen);
	json_object_put(items);
	return r;
}

int
kube_list_pods(struct kube_client *c, const char *ns,
    const struct kube_list_opts *opts, struct kube_objlist *out,
    char *errbuf, size_t errlen)
{
	return list_read(c, &kube_res_pods, ns, opts, kube_pods_from_json,
	    out, errbuf, errlen);
}

int
kube_list_services(struct kube_client *c, const char *ns,
    const struct kube_list_opts *opts, struct kube_objlist *out,
    char *errbuf, size_t errlen)
{
	return list_read(c, &kube_res_services, ns, opts,
	    kube_services_from_json, out, errbuf, errlen);
}

int
kube_list_slices(struct kube_client *c, const char *ns, const char *service,
    struct kube_objlist *out, char *errbuf, size_t errlen)
{
	struct kube_list_opts o = { 0 };
	char sel[320];

	if (service != NULL) {
		if (!kube_valid_name(service))
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "invalid service name \"%.64s\"", service);
		snprintf(sel, sizeof(sel), "kubernetes.io/service-name=%s",
		    service);
		o.label_selector = sel;
	}
	return list_read(c, &kube_res_endpointslices, ns, &o,
	    kube_slices_from_json, out, errbuf, errlen);
}

int
kube_list_nodes(struct kube_client *c, struct kube_objlist *out,
    char *errbuf, size_t errlen)
{
	return list_read(c, &kube_res_nodes, NULL, NULL, kube_nodes_from_json,
	    out, errbuf, errlen);
}

int
kube_list_namespaces(struct kube_client *c, struct kube_objlist *out,
    char *errbuf, size_t errlen)
{
	return list_read(c, &kube_res_namespaces, NULL, NULL,
	    kube_namespaces_from_json, out, errbuf, errlen);
}

int
kube_list_ceps(struct kube_client *c, const char *ns,
    struct kube_objlist *out, char *errbuf, size_t errlen)
{
	return list_read(c, &kube_res_cep, ns, NULL, kube_ceps_from_json,
	    out, errbuf, errlen);
}

int
kube_list_policies(struct kube_client *c, const struct kube_resource *res,
    const char *ns, bool missing_ok, struct json_object **out,
    char *errbuf, size_t errlen)
{
	int r;

	r = kube_list(c, res, ns, NULL, out, errbuf, errlen);
	if (r == CILKIT_ENOTFOUND && missing_ok) {
		/* the CRD is not installed: no policies of that kind */
		if ((*out = json_object_new_array()) == NULL)
			return CILKIT_ENOMEM;
		return 0;
	}
	return r;
}

int
kube_find_agent_pod(struct kube_client *c, const char *node, char *name,
    size_t cap, char *errbuf, size_t errlen)
{
	struct kube_list_opts o = { 0 };
	struct kube_objlist l;
	char fs[300];
	const struct kube_pod *best = NULL;
	size_t i;
	int r;

	if (node == NULL || !kube_valid_name(node))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "invalid node name \"%.64s\"", node ? node : "");
	snprintf(fs, sizeof(fs), "spec.nodeName=%s", node);
	o.label_selector = KUBE_CILIUM_SELECTOR;
	o.field_selector = fs;
	r = kube_list_pods(c, KUBE_CILIUM_NS, &o, &l, errbuf, errlen);
	if (r < 0)
		return r;
	for (i = 0; i < l.n; i++) {
		const struct kube_pod *p = &l.u.pods[i];

		/* the server filtered, but check: a proxy may not */
		if (p->node == NULL || strcmp(p->node, node) != 0)
			continue;
		if (best == NULL || (p->phase != NULL &&
		    strcmp(p->phase, "Running") == 0 && (best->phase == NULL ||
		    strcmp(best->phase, "Running") != 0)))
			best = p;
	}
	if (best == NULL) {
		kube_objlist_free(&l);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "no Cilium agent pod (%s in %s) runs on node %s; is "
		    "Cilium installed and the node name right?",
		    KUBE_CILIUM_SELECTOR, KUBE_CILIUM_NS, node);
	}
	if (strlen(best->name) >= cap) {
		kube_objlist_free(&l);
		return CILKIT_ETOOBIG;
	}
	snprintf(name, cap, "%s", best->name);
	kube_objlist_free(&l);
	return 0;
}
