/*
 * cilkit_prefault.c - fault memory in ahead of its consumer
 * (cilkit_prefault.h).
 *
 * The consumer tells where it is once per step (a huge page) of its
 * region; the thread then faults in whole steps from where it stopped
 * up to CILKIT_PREFAULT_AHEAD beyond that, one madvise() per step, the
 * lock not held, so that a new position or a stop is seen between
 * steps.  A step the consumer reaches first is faulted by the consumer;
 * the kernel serialises two faults of one page, and populating a page
 * that is present does nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "cilkit_prefault.h"

struct cilkit_prefault {
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 started;	/* tid is a thread to join */
	bool		 stop;
	bool		 unsupported;	/* the kernel said EINVAL */
	uintptr_t	 lo, hi;	/* the region */
	uintptr_t	 next;		/* first step not yet faulted here */
	uintptr_t	 want;		/* fault up to here */
	size_t		 step;
};

static void *
prefault_main(void *arg)
{
	struct cilkit_prefault *pf = arg;
	uintptr_t a;
	size_t n;
	int rc;

	pthread_mutex_lock(&pf->mu);
	while (!pf->stop) {
		if (pf->unsupported || pf->next >= pf->want ||
		    pf->next >= pf->hi) {
			pthread_cond_wait(&pf->cv, &pf->mu);
			continue;
		}
		a = pf->next;
		n = pf->hi - a < pf->step ? pf->hi - a : pf->step;
		pf->next = a + n;
		pthread_mutex_unlock(&pf->mu);
#ifdef MADV_POPULATE_WRITE
		rc = madvise((void *)a, n, MADV_POPULATE_WRITE) == 0 ? 0 :
		    errno;
#else
		rc = EINVAL;
#endif
		pthread_mutex_lock(&pf->mu);
		/*
		 * EINVAL: a kernel before 5.14.  Out of memory is not
		 * fatal here: the consumer's own fault will say so.
		 */
		if (rc == EINVAL)
			pf->unsupported = true;
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

struct cilkit_prefault *
cilkit_prefault_new(void)
{
	struct cilkit_prefault *pf;

	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return NULL;
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	return pf;
}

int
cilkit_prefault_region(struct cilkit_prefault *pf, void *lo, void *hi,
    size_t step)
{
	if (pf == NULL || step == 0)
		return -1;
	pthread_mutex_lock(&pf->mu);
	if (!pf->started) {
		if (pthread_create(&pf->tid, NULL, prefault_main, pf) != 0) {
			pthread_mutex_unlock(&pf->mu);
			return -1;
		}
		pf->started = true;
	}
	pf->step = step;
	pf->lo = (uintptr_t)lo;
	pf->hi = (uintptr_t)hi;
	/* The first step is the consumer's: it starts there at once. */
	pf->next = (uintptr_t)lo + step;
	pf->want = (uintptr_t)lo + CILKIT_PREFAULT_AHEAD;
	pthread_cond_signal(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	return 0;
}

void
cilkit_prefault_reached(struct cilkit_prefault *pf, const void *pos)
{
	uintptr_t p = (uintptr_t)pos, at;

	if (pf == NULL)
		return;
	pthread_mutex_lock(&pf->mu);
	if (pf->step > 0 && p >= pf->lo && p < pf->hi) {
		/* The start of the consumer's step. */
		at = p - (p - pf->lo) % pf->step;
		/* The consumer faults its own step, and what it passed. */
		if (pf->next <= at)
			pf->next = at + pf->step;
		pf->want = at + CILKIT_PREFAULT_AHEAD;
		pthread_cond_signal(&pf->cv);
	}
	pthread_mutex_unlock(&pf->mu);
}

void
cilkit_prefault_free(struct cilkit_prefault *pf)
{
	if (pf == NULL)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_signal(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	if (pf->started)
		pthread_join(pf->tid, NULL);
	pthread_mutex_destroy(&pf->mu);
	pthread_cond_destroy(&pf->cv);
	free(pf);
}
