/*
 * cilkit_pool.c - objects of one size from big chunks (cilkit_pool.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "cilkit_huge.h"
#include "cilkit_pool.h"
#include "cilkit_prefault.h"

/*
 * Under AddressSanitizer the pool marks what is not handed out, so that
 * a use of an object given back is still caught as with malloc.
 */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(a, n)	ASAN_POISON_MEMORY_REGION((a), (n))
#define UNPOISON(a, n)	ASAN_UNPOISON_MEMORY_REGION((a), (n))
#else
#define POISON(a, n)	((void)(a), (void)(n))
#define UNPOISON(a, n)	((void)(a), (void)(n))
#endif

#define POOL_LINE	((size_t)64)
#define POOL_FIRST	((size_t)64 << 10)	/* the first chunk */
#define POOL_HUGE	CILKIT_HUGE_PAGE

/* At the start of each chunk, rounded to a line. */
struct cilkit_pool_chunk {
	struct cilkit_pool_chunk *next;
	size_t		 len;		/* bytes mapped */
};

#define POOL_HDR	((sizeof(struct cilkit_pool_chunk) + POOL_LINE - 1) & \
			    ~(POOL_LINE - 1))

void
cilkit_pool_init(struct cilkit_pool *p, size_t size)
{
	p->size = (size + POOL_LINE - 1) & ~(POOL_LINE - 1);
	if (p->size == 0)
		p->size = POOL_LINE;
	p->chunks = NULL;
	p->next = p->end = NULL;
	p->free = NULL;
	p->total = 0;
	p->prefault = 0;
	p->pf = NULL;
}

void
cilkit_pool_set_prefault(struct cilkit_pool *p, int on)
{
	p->prefault = on;
}

static int
add_chunk(struct cilkit_pool *p)
{
	struct cilkit_pool_chunk *c;
	size_t len = p->total < POOL_FIRST ? POOL_FIRST : p->total;

	/* Doubling, so that the number of chunks stays small. */
	if (len < POOL_HDR + p->size)
		len = (POOL_HDR + p->size + POOL_HUGE - 1) & ~(POOL_HUGE - 1);
	if (len >= POOL_HUGE) {
		if ((c = cilkit_huge_alloc(&len)) == NULL)
			return -1;
		/* Without a thread the caller faults the pages itself. */
		if (p->prefault && p->pf == NULL)
			p->pf = cilkit_prefault_new();
		(void)cilkit_prefault_region(p->pf, c, (char *)c + len,
		    POOL_HUGE);
	} else if ((c = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return -1;
	c->next = p->chunks;
	c->len = len;
	p->chunks = c;
	p->total += len;
	p->next = (char *)c + POOL_HDR;
	p->end = (char *)c + len;
	POISON(p->next, (size_t)(p->end - p->next));
	return 0;
}

void *
cilkit_pool_get(struct cilkit_pool *p)
{
	void *o;

	if ((o = p->free) != NULL) {
		UNPOISON(o, p->size);
		p->free = *(void **)o;
		return o;
	}
	if ((size_t)(p->end - p->next) < p->size && add_chunk(p) != 0)
		return NULL;
	o = p->next;
	p->next += p->size;
	/* Into the next huge page: the helper faults ahead of it. */
	if (p->pf != NULL && ((uintptr_t)o ^ (uintptr_t)p->next) >= POOL_HUGE)
		cilkit_prefault_reached(p->pf, p->next);
	UNPOISON(o, p->size);
	return o;
}

void
cilkit_pool_put(struct cilkit_pool *p, void *obj)
{
	*(void **)obj = p->free;
	p->free = obj;
	POISON(obj, p->size);
}

void
cilkit_pool_destroy(struct cilkit_pool *p)
{
	struct cilkit_pool_chunk *c, *next;
	int on;

	/* First: the thread may be faulting a chunk in. */
	cilkit_prefault_free(p->pf);
	for (c = p->chunks; c != NULL; c = next) {
		next = c->next;
		/* The shadow outlives the mapping: clear it for the next. */
		UNPOISON(c, c->len);
		munmap(c, c->len);
	}
	on = p->prefault;
	cilkit_pool_init(p, p->size);
	p->prefault = on;
}
