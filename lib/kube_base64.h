/*
 * kube_base64.h - standard base64 (RFC 4648 section 4, with padding), as
 * Go's encoding/base64.StdEncoding: the kubeconfig *-data fields, the
 * WebSocket key and accept values, basic auth.
 */
#ifndef CILKIT_KUBE_BASE64_H
#define CILKIT_KUBE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, without the NUL. */
#define KUBE_BASE64_ENCLEN(n)	((((n) + 2) / 3) * 4)

/*
 * Encode in[0..len) into out (cap bytes, room for the NUL needed).
 * Returns the encoded length, or CILKIT_ETOOBIG when out is too small.
 */
long kube_base64_encode(const void *in, size_t len, char *out, size_t cap);

/*
 * Decode in[0..len) into out (cap bytes; (len / 4) * 3 is always
 * enough).  As Go's StdEncoding.Decode: CR and LF are ignored anywhere,
 * padding is required, any other character or a bad length is an error.
 * Returns the decoded length, or a negative enum cilkit_err with errbuf
 * naming the byte offset of the problem (never the data itself: it may
 * be a secret).
 */
long kube_base64_decode(const char *in, size_t len, uint8_t *out,
    size_t cap, char *errbuf, size_t errlen);

#endif /* CILKIT_KUBE_BASE64_H */
