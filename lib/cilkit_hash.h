/*
 * cilkit_hash.h - a fast hash of a few bytes, for table slots and
 * fingerprints (not for anything an attacker may aim collisions at
 * beyond making a lookup slower).
 */
#ifndef CILKIT_HASH_H
#define CILKIT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Hash of len bytes at p: eight bytes per multiply (the keys are mostly
 * 10-40 bytes, where a byte-wise FNV-1a was a visible cost), folded to
 * 32 bits.
 */
static inline uint32_t
cilkit_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = len * k, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 32;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * k;
		h ^= h >> 32;
	}
	h *= k;
	return (uint32_t)(h >> 32);
}

#endif /* CILKIT_HASH_H */
