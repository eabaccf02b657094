/*
 * cilkit_prefault.h - a thread that faults memory in a little ahead of
 * the thread that fills it.
 *
 * A table that grows into fresh memory (the conversations of a capture,
 * cilkit_pool.h) takes a page fault at each new page, and the kernel
 * clears the page inside that fault: on the thread that does the work.
 * In a virtual machine a fresh page may also have to be backed by the
 * host first, and a 2 MiB huge page then costs up to a millisecond.
 * This thread takes those faults instead (madvise(MADV_POPULATE_WRITE),
 * Linux 5.14), a window of CILKIT_PREFAULT_AHEAD bytes ahead of the consumer,
 * so that memory use still follows what is used.  Where the kernel or
 * the C library lacks it, nothing happens and the consumer faults its
 * pages as before.
 */
#ifndef CILKIT_PREFAULT_H
#define CILKIT_PREFAULT_H

#include <stddef.h>

struct cilkit_prefault;

/* A stopped helper (no thread yet); NULL without memory. */
struct cilkit_prefault *cilkit_prefault_new(void);
/*
 * The consumer moves on to the mapping [lo, hi), which it will fill from
 * lo upwards; its first step bytes it faults itself.  Starts the thread
 * at the first call.  Returns 0, or -1 when there is no thread (the
 * memory is then faulted by the consumer, as without a helper).
 */
int cilkit_prefault_region(struct cilkit_prefault *pf, void *lo, void *hi,
    size_t step);
/*
 * The consumer has reached pos in the region (called once per step
 * suffices): fault ahead of it.  Outside the region: nothing.
 */
void cilkit_prefault_reached(struct cilkit_prefault *pf, const void *pos);
/*
 * Stop and join the thread; after this no memory given to it is
 * touched, so it may be unmapped.  pf may be NULL.
 */
void cilkit_prefault_free(struct cilkit_prefault *pf);

/* How far ahead of the consumer memory is faulted in. */
#define CILKIT_PREFAULT_AHEAD	((size_t)8 << 20)

#endif /* CILKIT_PREFAULT_H */
