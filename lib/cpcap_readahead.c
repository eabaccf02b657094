/*
 * cpcap_readahead.c - a read-ahead thread for captures
 * (cpcap_readahead.h).
 *
 * A small ring of batches: the thread fills the free ones with copies
 * of records, the consumer hands out the records of the oldest filled
 * one and gives it back when it moves on.  A batch is large (up to
 * RA_FRAMES records or RA_BYTES of data) so that the lock is taken once
 * per thousands of packets.  The thread usually reads faster than the
 * analysis: when it finds the ring full it sleeps until half the ring
 * is free and then fills that half, so that it is woken once per
 * RA_BATCHES / 2 batches (a wake-up costs a system call on each side,
 * and in a virtual machine an interrupt between the CPUs).  A reader
 * that reads in place needs none of this ("direct"): a copy would cost
 * more than its reading.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_readahead.h"

#define RA_BATCHES	8
#define RA_FRAMES	4096
#define RA_BYTES	((size_t)1 << 20)

struct ra_batch {
	size_t		 n;		/* records */
	size_t		 pos;		/* next one to hand out */
	size_t		 used, cap;	/* data bytes */
	uint8_t		*data;
	struct cpcap_frame f[RA_FRAMES];	/* data is an offset here */
	int		 end;		/* after the records: 1 more, else the
					   reader's 0 or error */
	char		 err[256];
};

struct cpcap_readahead {
	struct cpcap_reader *r;
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 filled;	/* a batch became ready */
	pthread_cond_t	 freed;		/* a batch was given back */
	struct ra_batch	 b[RA_BATCHES];
	unsigned	 head;		/* oldest filled batch */
	unsigned	 count;		/* filled batches, incl. the current */
	bool		 stop;
	bool		 waiting;	/* the thread waits for half the ring */
	bool		 done;		/* the thread published the end */
	uint8_t		*hbuf;		/* thread: copy of a held record */
	struct ra_batch	*cur;		/* consumer's batch, or NULL */
	/* A reader that reads in place: records straight from it. */
	bool		 direct;
	int		 direct_end;	/* 1, or the end or error returned */
	char		 direct_err[CILKIT_ERRBUF_SIZE];
};

/* Copy one record into b; false when b is full. */
static bool
batch_add(struct ra_batch *b, const struct cpcap_frame *f)
{
	size_t need = f->caplen;
	uint8_t *nd;

	if (b->n == RA_FRAMES)
		return false;
	if (need > b->cap - b->used) {
		if (b->n > 0)
			return false;
		/* A record bigger than a batch: the batch grows for it. */
		if ((nd = realloc(b->data, need)) == NULL)
			return false;
		b->data = nd;
		b->cap = need;
	}
	b->f[b->n] = *f;
	b->f[b->n].data = (const uint8_t *)(uintptr_t)b->used;
	if (need > 0)
		memcpy(b->data + b->used, f->data, need);
	b->used += need;
	b->n++;
	return true;
}

/*
 * Fill b from the reader.  A record that did not fit is kept in *held
 * for the next batch.
 */
static void
batch_fill(struct cpcap_readahead *ra, struct ra_batch *b,
    struct cpcap_frame *held, bool *have_held)
{
	struct cpcap_frame f;
	int rc;

	b->n = b->pos = b->used = 0;
	b->end = 1;
	b->err[0] = '\0';
	if (*have_held) {
		if (!batch_add(b, held)) {
			b->end = CILKIT_ENOMEM;
			snprintf(b->err, sizeof(b->err), "out of memory");
			return;
		}
		*have_held = false;
	}
	while ((rc = cpcap_reader_next(ra->r, &f, b->err,
	    sizeof(b->err))) == 1) {
		if (!batch_add(b, &f)) {
			/* The reader's data is only valid until the next
			   call: keep a copy for the next batch. */
			*held = f;
			*have_held = true;
			return;
		}
	}
	b->end = rc;
}

static void *
ra_main(void *arg)
{
	struct cpcap_readahead *ra = arg;
	struct cpcap_frame held;
	bool have_held = false, last = false;
	struct ra_batch *b;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	while (!last) {
		pthread_mutex_lock(&ra->mu);
		if (ra->count == RA_BATCHES) {
			ra->waiting = true;
			while (ra->count > RA_BATCHES / 2 && !ra->stop)
				pthread_cond_wait(&ra->freed, &ra->mu);
			ra->waiting = false;
		}
		if (ra->stop) {
			pthread_mutex_unlock(&ra->mu);
			break;
		}
		b = &ra->b[(ra->head + ra->count) % RA_BATCHES];
		pthread_mutex_unlock(&ra->mu);

		/* Only here, reading, may stop() cancel the thread. */
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		batch_fill(ra, b, &held, &have_held);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
		if (have_held) {
			/* held.data is the reader's: copy it now. */
			uint8_t *nb = realloc(ra->hbuf, held.caplen > 0 ?
			    held.caplen : 1);

			if (nb == NULL) {
				b->end = CILKIT_ENOMEM;
				snprintf(b->err, sizeof(b->err),
				    "out of memory");
				have_held = false;
			} else {
				ra->hbuf = nb;
				memcpy(nb, held.data, held.caplen);
				held.data = nb;
			}
		}
		last = b->end != 1;

		pthread_mutex_lock(&ra->mu);
		ra->count++;
		if (last)
			ra->done = true;
		pthread_cond_signal(&ra->filled);
		pthread_mutex_unlock(&ra->mu);
	}
	return NULL;
}

struct cpcap_readahead *
cpcap_readahead_start(struct cpcap_reader *r)
{
	struct cpcap_readahead *ra;
	int i;

	if ((ra = calloc(1, sizeof(*ra))) == NULL)
		return NULL;
	ra->r = r;
	if (cpcap_reader_in_place(r)) {
		/*
		 * A record read in place costs less than handing a copy
		 * over: the reader's blocks are read in a thread instead.
		 */
		ra->direct = true;
		ra->direct_end = 1;
		(void)cpcap_reader_prefetch(r);
		return ra;
	}
	for (i = 0; i < RA_BATCHES; i++) {
		if ((ra->b[i].data = malloc(RA_BYTES)) == NULL)
			goto fail;
		ra->b[i].cap = RA_BYTES;
	}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->filled, NULL);
	pthread_cond_init(&ra->freed, NULL);
	if (pthread_create(&ra->tid, NULL, ra_main, ra) != 0) {
		pthread_mutex_destroy(&ra->mu);
		pthread_cond_destroy(&ra->filled);
		pthread_cond_destroy(&ra->freed);
		goto fail;
	}
	return ra;
fail:
	for (i = 0; i < RA_BATCHES; i++)
		free(ra->b[i].data);
	free(ra);
	return NULL;
}

/* From a reader that reads in place, with its end said again. */
static int
direct_batch(struct cpcap_readahead *ra, struct cpcap_frame *f, int max,
    char *errbuf, size_t errlen)
{
	int rc;

	if (ra->direct_end == 1) {
		rc = cpcap_reader_batch(ra->r, f, max, ra->direct_err,
		    sizeof(ra->direct_err));
		if (rc > 0)
			return rc;
		ra->direct_end = rc;
	}
	if (ra->direct_end < 0)
		cilkit_fail(errbuf, errlen, ra->direct_end, "%s",
		    ra->direct_err);
	return ra->direct_end;
}

int
cpcap_readahead_batch(struct cpcap_readahead *ra, struct cpcap_frame *f,
    int max, char *errbuf, size_t errlen)
{
	if (ra->direct && max > 0)
		return direct_batch(ra, f, max, errbuf, errlen);
	return cpcap_readahead_next(ra, f, errbuf, errlen);
}

int
cpcap_readahead_next(struct cpcap_readahead *ra, struct cpcap_frame *f,
    char *errbuf, size_t errlen)
{
	struct ra_batch *b;

	if (ra->direct)
		return direct_batch(ra, f, 1, errbuf, errlen);
	for (;;) {
		if ((b = ra->cur) != NULL) {
			if (b->pos < b->n) {
				*f = b->f[b->pos];
				f->data = b->data + (uintptr_t)f->data;
				b->pos++;
				return 1;
			}
			if (b->end != 1) {
				/* The end: keep the batch, say it again. */
				if (b->end < 0)
					cilkit_fail(errbuf, errlen, b->end,
					    "%s", b->err);
				return b->end;
			}
			pthread_mutex_lock(&ra->mu);
			ra->head = (ra->head + 1) % RA_BATCHES;
			ra->count--;
			if (ra->waiting && ra->count <= RA_BATCHES / 2)
				pthread_cond_signal(&ra->freed);
			pthread_mutex_unlock(&ra->mu);
			ra->cur = NULL;
		}
		pthread_mutex_lock(&ra->mu);
		while (ra->count == 0)
			pthread_cond_wait(&ra->filled, &ra->mu);
		ra->cur = &ra->b[ra->head];
		pthread_mutex_unlock(&ra->mu);
	}
}

void
cpcap_readahead_stop(struct cpcap_readahead *ra)
{
	bool done;
	int i;

	if (ra == NULL)
		return;
	if (ra->direct) {
		/* The reader's own thread stops when it is freed. */
		free(ra);
		return;
	}
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	done = ra->done;
	pthread_cond_broadcast(&ra->freed);
	pthread_mutex_unlock(&ra->mu);
	/* Blocked in a read on a pipe: only cancelling ends that. */
	if (!done)
		pthread_cancel(ra->tid);
	pthread_join(ra->tid, NULL);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->filled);
	pthread_cond_destroy(&ra->freed);
	for (i = 0; i < RA_BATCHES; i++)
		free(ra->b[i].data);
	free(ra->hbuf);
	free(ra);
}
