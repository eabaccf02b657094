/*
 * kube_yaml.h - YAML (and JSON) documents to json-c objects.
 *
 * Kubernetes reads manifests and kubeconfigs as YAML and converts them to
 * JSON (sigs.k8s.io/yaml); we do the same so that one code path handles
 * objects from files and from the API.  Plain scalars are typed as in
 * YAML 1.2's core schema (null/~/empty, true/false, integers, floats);
 * quoted scalars are always strings.  Anchors and aliases are resolved,
 * with a cap on the total node count so an alias bomb cannot exhaust
 * memory.
 */
#ifndef CILKIT_KUBE_YAML_H
#define CILKIT_KUBE_YAML_H

#include <stddef.h>

struct json_object;

/* Caps on untrusted documents (style.md rule 18). */
#define KUBE_YAML_MAX_DEPTH	64
#define KUBE_YAML_MAX_NODES	(1u << 20)
#define KUBE_YAML_MAX_BYTES	((size_t)64 << 20)

/*
 * Parse every document in buf[0..len).  On success returns the number of
 * documents (>= 0) and sets *docs to an array of that many objects (an
 * empty document is skipped; a document holding only null is skipped
 * too).  The caller releases each with json_object_put() and the array
 * with free().  On failure returns a negative enum cilkit_err and writes
 * "NAME:LINE:COL: problem" into errbuf.
 */
int kube_yaml_parse(const char *buf, size_t len, const char *name,
    struct json_object ***docs, char *errbuf, size_t errlen);

/* Read a whole file (path "-" is stdin) and parse it as above. */
int kube_yaml_load_file(const char *path, struct json_object ***docs,
    char *errbuf, size_t errlen);

/* Release what kube_yaml_parse returned. */
void kube_yaml_free_docs(struct json_object **docs, int n);

/*
 * Read a whole file into a NUL-terminated buffer of at most max bytes
 * (path "-" is stdin).  Returns 0 and sets *out and *len (caller frees),
 * or
 * a negative enum cilkit_err with a message naming the path.
 */
int kube_read_file(const char *path, size_t max, char **out, size_t *len,
    char *errbuf, size_t errlen);

#endif /* CILKIT_KUBE_YAML_H */
