/*
 * kube_sha1.h - SHA-1 (FIPS 180-4), only for the WebSocket accept key
 * (RFC 6455 section 4.2.2).  Not for anything that needs collision
 * resistance.
 */
#ifndef CILKIT_KUBE_SHA1_H
#define CILKIT_KUBE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define KUBE_SHA1_LEN 20

struct kube_sha1 {
	uint32_t h[5];
	uint64_t nbytes;
	uint8_t block[64];
	size_t used;
};

void kube_sha1_init(struct kube_sha1 *c);
void kube_sha1_update(struct kube_sha1 *c, const void *data, size_t len);
void kube_sha1_final(struct kube_sha1 *c, uint8_t out[KUBE_SHA1_LEN]);
/* One-shot digest of data[0..len). */
void kube_sha1_digest(const void *data, size_t len,
    uint8_t out[KUBE_SHA1_LEN]);

#endif /* CILKIT_KUBE_SHA1_H */
