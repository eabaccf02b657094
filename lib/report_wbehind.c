/*
 * report_wbehind.c - write-behind thread (report_wbehind.h).
 *
 * One allocation holds every chunk; a chunk is known by its index.  The
 * queue and the free list are rings of indexes under one lock, taken
 * once per chunk (a megabyte), never per write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "report_wbehind.h"

#define MAX_CHUNKS	16

struct report_wbehind {
	FILE		*fp;
	size_t		 chunk;
	unsigned	 nchunks;
	char		*mem;		/* nchunks * chunk bytes */
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 queued;	/* the thread has work or must stop */
	pthread_cond_t	 freed;		/* a chunk came back */
	unsigned	 q[MAX_CHUNKS], qhead, qn;	/* to write, in order */
	size_t		 qlen[MAX_CHUNKS];		/* by chunk index */
	unsigned	 fr[MAX_CHUNKS], fhead, fn;	/* free chunks */
	bool		 stopping;
	int		 err;		/* thread: first failed write */
};

static void
push_free(struct report_wbehind *wb, unsigned i)
{
	wb->fr[(wb->fhead + wb->fn) % MAX_CHUNKS] = i;
	wb->fn++;
}

static void *
writer_main(void *arg)
{
	struct report_wbehind *wb = arg;
	unsigned i;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&wb->mu);
		while (wb->qn == 0 && !wb->stopping)
			pthread_cond_wait(&wb->queued, &wb->mu);
		if (wb->qn == 0) {
			pthread_mutex_unlock(&wb->mu);
			break;
		}
		i = wb->q[wb->qhead];
		wb->qhead = (wb->qhead + 1) % MAX_CHUNKS;
		wb->qn--;
		n = wb->qlen[i];
		pthread_mutex_unlock(&wb->mu);

		/* After a failed write the rest is dropped, not reordered. */
		if (wb->err == 0 && n > 0 &&
		    fwrite(wb->mem + (size_t)i * wb->chunk, 1, n, wb->fp) != n)
			wb->err = errno != 0 ? errno : EIO;

		pthread_mutex_lock(&wb->mu);
		push_free(wb, i);
		pthread_cond_signal(&wb->freed);
		pthread_mutex_unlock(&wb->mu);
	}
	return NULL;
}

struct report_wbehind *
report_wbehind_start(FILE *fp, size_t chunk, unsigned nchunks, char **first)
{
	struct report_wbehind *wb;
	unsigned i;

	if (nchunks < 2 || nchunks > MAX_CHUNKS || chunk == 0 ||
	    (wb = calloc(1, sizeof(*wb))) == NULL)
		return NULL;
	wb->fp = fp;
	wb->chunk = chunk;
	wb->nchunks = nchunks;
	if ((wb->mem = malloc(chunk * nchunks)) == NULL) {
		free(wb);
		return NULL;
	}
	for (i = 1; i < nchunks; i++)
		push_free(wb, i);
	pthread_mutex_init(&wb->mu, NULL);
	pthread_cond_init(&wb->queued, NULL);
	pthread_cond_init(&wb->freed, NULL);
	if (pthread_create(&wb->tid, NULL, writer_main, wb) != 0) {
		pthread_mutex_destroy(&wb->mu);
		pthread_cond_destroy(&wb->queued);
		pthread_cond_destroy(&wb->freed);
		free(wb->mem);
		free(wb);
		return NULL;
	}
	*first = wb->mem;
	return wb;
}

/* Queue chunk full (lock held). */
static void
enqueue(struct report_wbehind *wb, char *full, size_t n)
{
	unsigned i = (unsigned)((size_t)(full - wb->mem) / wb->chunk);

	wb->qlen[i] = n;
	wb->q[(wb->qhead + wb->qn) % MAX_CHUNKS] = i;
	wb->qn++;
	pthread_cond_signal(&wb->queued);
}

char *
report_wbehind_swap(struct report_wbehind *wb, char *full, size_t n)
{
	unsigned i;

	pthread_mutex_lock(&wb->mu);
	enqueue(wb, full, n);
	while (wb->fn == 0)
		pthread_cond_wait(&wb->freed, &wb->mu);
	i = wb->fr[wb->fhead];
	wb->fhead = (wb->fhead + 1) % MAX_CHUNKS;
	wb->fn--;
	pthread_mutex_unlock(&wb->mu);
	return wb->mem + (size_t)i * wb->chunk;
}

int
report_wbehind_stop(struct report_wbehind *wb, char *last, size_t n)
{
	int err;

	if (wb == NULL)
		return 0;
	pthread_mutex_lock(&wb->mu);
	if (last != NULL)
		enqueue(wb, last, n);
	wb->stopping = true;
	pthread_cond_signal(&wb->queued);
	pthread_mutex_unlock(&wb->mu);
	pthread_join(wb->tid, NULL);
	err = wb->err;
	pthread_mutex_destroy(&wb->mu);
	pthread_cond_destroy(&wb->queued);
	pthread_cond_destroy(&wb->freed);
	free(wb->mem);
	free(wb);
	return err;
}
