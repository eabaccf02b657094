/*
 * cilkit_pool.h - objects of one size, carved from big chunks, for a
 * table of many objects touched in no order (the conversations of a
 * capture).
 *
 * From malloc, each object sits on a 16-byte boundary in 4 KiB pages.
 * With 100,000 conversations of about 1 KB touched one packet at a
 * time, nearly every packet then misses the TLB (in a virtual machine a
 * page walk of both the guest's and the host's tables), and a
 * conversation's first bytes straddle one cache line more than they
 * need.  A pool hands out objects aligned to the cache line from chunks
 * that double in size; from 2 MiB on, a chunk is aligned to 2 MiB and
 * advised for transparent huge pages, so that one TLB entry covers
 * about 2,000 conversations.
 *
 * Asked to (cilkit_pool_set_prefault()), the pool faults its chunks of
 * huge pages in a few megabytes ahead of the objects handed out, on a
 * thread of its own (cilkit_prefault.h), so that the caller does not
 * wait for the kernel to clear them.
 *
 * Memory given back with cilkit_pool_put() is reused, never returned
 * to the system before cilkit_pool_destroy(): the pool is as big as the
 * most objects ever live at once.
 */
#ifndef CILKIT_POOL_H
#define CILKIT_POOL_H

#include <stddef.h>

struct cilkit_pool_chunk;
struct cilkit_prefault;

struct cilkit_pool {
	size_t		 size;		/* per object, rounded to 64 */
	struct cilkit_pool_chunk *chunks;
	char		*next, *end;	/* unused part of the newest chunk */
	void		*free;		/* objects given back */
	size_t		 total;		/* bytes of all chunks */
	int		 prefault;	/* cilkit_pool_set_prefault() */
	struct cilkit_prefault *pf;	/* from the first huge chunk on */
};

/* An empty pool of objects of size bytes (> 0). */
void cilkit_pool_init(struct cilkit_pool *p, size_t size);
/*
 * Whether to fault huge chunks in ahead on a thread (default: no); set
 * before the first cilkit_pool_get().
 */
void cilkit_pool_set_prefault(struct cilkit_pool *p, int on);
/* An object (not cleared, aligned to 64 bytes), or NULL without memory. */
void *cilkit_pool_get(struct cilkit_pool *p);
/* Give obj, from this pool, back for reuse. */
void cilkit_pool_put(struct cilkit_pool *p, void *obj);
/*
 * Free every chunk (and stop the pool's thread): every object of the
 * pool is gone.
 */
void cilkit_pool_destroy(struct cilkit_pool *p);

#endif /* CILKIT_POOL_H */
