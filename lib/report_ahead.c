/*
 * report_ahead.c - format every other block of a list in a helper
 * thread (report_ahead.h).
 *
 * Block k holds items [k * AHEAD_BLOCK, (k + 1) * AHEAD_BLOCK); the
 * caller formats the even blocks, the helper the odd ones, each into a
 * slot of a small ring that the caller empties as it appends them.
 */
#include <pthread.h>
#include <stdlib.h>

#include "report_ahead.h"

#define AHEAD_BLOCK	256	/* items: ~190 KB of conversation JSON */
#define AHEAD_RING	4	/* helper blocks done ahead, at most */

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_FAILED };

struct ahead_slot {
	enum slot_state	 state;
	struct report_wbuf w;
};

struct report_ahead {
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a slot changed state */
	const void *const *items;
	size_t		 n, nblocks;
	report_ahead_fn	 fn;
	void		*arg;
	bool		 stop;
	struct ahead_slot slot[AHEAD_RING];
};

/* The slot of helper block k (odd). */
static struct ahead_slot *
slot_of(struct report_ahead *ah, size_t k)
{
	return &ah->slot[(k / 2) % AHEAD_RING];
}

static void
format_block(struct report_ahead *ah, size_t k, struct report_wbuf *w)
{
	size_t i, end = (k + 1) * AHEAD_BLOCK;

	if (end > ah->n)
		end = ah->n;
	for (i = k * AHEAD_BLOCK; i < end; i++)
		ah->fn(w, ah->items[i], ah->arg);
}

static void *
ahead_main(void *p)
{
	struct report_ahead *ah = p;
	struct ahead_slot *s;
	bool stop;
	size_t k;

	for (k = 1; k < ah->nblocks; k += 2) {
		s = slot_of(ah, k);
		pthread_mutex_lock(&ah->mu);
		while (s->state != SLOT_FREE && !ah->stop)
			pthread_cond_wait(&ah->cv, &ah->mu);
		stop = ah->stop;
		pthread_mutex_unlock(&ah->mu);
		if (stop)
			break;
		s->w.n = 0;
		s->w.err = false;
		format_block(ah, k, &s->w);
		pthread_mutex_lock(&ah->mu);
		s->state = s->w.err ? SLOT_FAILED : SLOT_READY;
		pthread_cond_broadcast(&ah->cv);
		pthread_mutex_unlock(&ah->mu);
	}
	return NULL;
}

struct report_ahead *
report_ahead_start(const void *const *items, size_t n, report_ahead_fn fn,
    void *arg)
{
	struct report_ahead *ah;
	int i;

	if ((ah = calloc(1, sizeof(*ah))) == NULL)
		return NULL;
	ah->items = items;
	ah->n = n;
	ah->nblocks = (n + AHEAD_BLOCK - 1) / AHEAD_BLOCK;
	ah->fn = fn;
	ah->arg = arg;
	for (i = 0; i < AHEAD_RING; i++)
		report_wbuf_init_mem(&ah->slot[i].w);
	pthread_mutex_init(&ah->mu, NULL);
	pthread_cond_init(&ah->cv, NULL);
	if (pthread_create(&ah->tid, NULL, ahead_main, ah) != 0) {
		pthread_mutex_destroy(&ah->mu);
		pthread_cond_destroy(&ah->cv);
		free(ah);
		return NULL;
	}
	return ah;
}

bool
report_ahead_mine(const struct report_ahead *ah, size_t i)
{
	(void)ah;
	return (i / AHEAD_BLOCK) % 2 == 0;
}

void
report_ahead_after(struct report_ahead *ah, size_t i, struct report_wbuf *w)
{
	size_t k = i / AHEAD_BLOCK + 1;
	struct ahead_slot *s;

	/* Only after the last item of a caller's block, if one follows. */
	if (k % 2 == 0 || (i + 1) % AHEAD_BLOCK != 0 || k >= ah->nblocks)
		return;
	s = slot_of(ah, k);
	pthread_mutex_lock(&ah->mu);
	while (s->state == SLOT_FREE)
		pthread_cond_wait(&ah->cv, &ah->mu);
	pthread_mutex_unlock(&ah->mu);
	if (s->state == SLOT_READY)
		report_wbuf_put(w, s->w.b, s->w.n);
	else
		format_block(ah, k, w);	/* the helper had no memory */
	pthread_mutex_lock(&ah->mu);
	s->state = SLOT_FREE;
	pthread_cond_broadcast(&ah->cv);
	pthread_mutex_unlock(&ah->mu);
}

void
report_ahead_finish(struct report_ahead *ah)
{
	int i;

	if (ah == NULL)
		return;
	pthread_mutex_lock(&ah->mu);
	ah->stop = true;
	pthread_cond_broadcast(&ah->cv);
	pthread_mutex_unlock(&ah->mu);
	pthread_join(ah->tid, NULL);
	pthread_mutex_destroy(&ah->mu);
	pthread_cond_destroy(&ah->cv);
	for (i = 0; i < AHEAD_RING; i++)
		report_wbuf_free_mem(&ah->slot[i].w);
	free(ah);
}
