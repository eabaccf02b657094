/*
 * cilkit_huge.c - huge-page-aligned memory (cilkit_huge.h).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "cilkit_huge.h"

void *
cilkit_huge_alloc(size_t *len)
{
	uintptr_t base, start;
	size_t n = (*len + CILKIT_HUGE_PAGE - 1) & ~(CILKIT_HUGE_PAGE - 1);
	char *m;

	if (n == 0 || n < *len)
		return NULL;
	/* Map a huge page more, then give the ends back. */
	m = mmap(NULL, n + CILKIT_HUGE_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	base = (uintptr_t)m;
	start = (base + CILKIT_HUGE_PAGE - 1) & ~(uintptr_t)(CILKIT_HUGE_PAGE -
	    1);
	if (start > base)
		munmap(m, start - base);
	if (base + n + CILKIT_HUGE_PAGE > start + n)
		munmap((char *)(start + n), base + n + CILKIT_HUGE_PAGE -
		    (start + n));
#ifdef MADV_HUGEPAGE
	/* Only advice: without huge pages the memory still works. */
	(void)madvise((void *)start, n, MADV_HUGEPAGE);
#endif
	*len = n;
	return (void *)start;
}

void
cilkit_huge_free(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}
