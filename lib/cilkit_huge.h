/*
 * cilkit_huge.h - memory in whole 2 MiB pages, advised for transparent
 * huge pages.
 *
 * Memory touched all over (a table of conversations) or written by the
 * kernel a megabyte at a time (a read buffer) costs a TLB miss per 4 KiB
 * page, and in a virtual machine each miss walks the host's tables too:
 * the pread() of a 350 MB capture into 4 KiB pages measured a tenth of a
 * second more than into huge ones.  Where the kernel gives no huge
 * pages, this is ordinary memory.
 */
#ifndef CILKIT_HUGE_H
#define CILKIT_HUGE_H

#include <stddef.h>

#define CILKIT_HUGE_PAGE	((size_t)2 << 20)	/* x86-64 */

/*
 * *len bytes, rounded up to whole huge pages (*len is updated), aligned
 * to a huge page, zeroed by the kernel when touched.  NULL without
 * memory.
 */
void *cilkit_huge_alloc(size_t *len);
/* Give back memory of cilkit_huge_alloc() (its rounded len). */
void cilkit_huge_free(void *p, size_t len);

#endif /* CILKIT_HUGE_H */
