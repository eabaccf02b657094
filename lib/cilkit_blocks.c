/*
 * cilkit_blocks.c - a file in big blocks with carried record tails
 * (cilkit_blocks.h).
 *
 * A ring of buffers in huge pages (cilkit_huge.h: the kernel's copy into
 * them is what reading costs).  Without a thread there are two, used in
 * turn: the one the caller sees and the one read next, whose margin
 * gets the tail of the first.  With a thread there are BLOCKS_RING: the
 * thread reads into the free ones in order and publishes each; the
 * caller holds the oldest and gives it back once its tail is carried
 * into the next.  After the end of the file or a failed read the thread
 * publishes one empty block and stops.  It is woken about once per
 * block.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cilkit_blocks.h"
#include "cilkit_huge.h"

#define BLOCKS_RING	4

struct block {
	unsigned char	*mem;		/* margin, then the block */
	size_t		 n;		/* bytes read after the margin */
	int		 err;		/* errno of a read that failed */
};

struct cilkit_blocks {
	int		 fd;
	off_t		 off;		/* next byte to read */
	size_t		 block, margin, memlen;
	unsigned	 nring;
	struct block	 ring[BLOCKS_RING];
	int		 cur;		/* the caller's block, -1 before */
	/* With a thread: */
	bool		 threaded;
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a block was published or freed */
	unsigned	 head;		/* oldest published block */
	unsigned	 count;		/* published, the caller's included */
	bool		 stop;
};

/*
 * Fill bl: a whole block unless the file ends or a read fails first.
 * Returns whether nothing was read (the last block).
 */
static bool
read_block(struct cilkit_blocks *b, struct block *bl)
{
	unsigned char *data = bl->mem + b->margin;
	ssize_t r;

	bl->n = 0;
	bl->err = 0;
	while (bl->n < b->block) {
		r = pread(b->fd, data + bl->n, b->block - bl->n, b->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Keep what was read: the error comes next time. */
			if (r < 0 && bl->n == 0)
				bl->err = errno;
			break;
		}
		bl->n += (size_t)r;
		b->off += r;
	}
	return bl->n == 0;
}

static void *
blocks_main(void *arg)
{
	struct cilkit_blocks *b = arg;
	struct block *bl;
	bool last = false;

	while (!last) {
		pthread_mutex_lock(&b->mu);
		while (b->count == b->nring && !b->stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->stop) {
			pthread_mutex_unlock(&b->mu);
			break;
		}
		bl = &b->ring[(b->head + b->count) % b->nring];
		pthread_mutex_unlock(&b->mu);

		last = read_block(b, bl);

		pthread_mutex_lock(&b->mu);
		b->count++;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
	return NULL;
}

struct cilkit_blocks *
cilkit_blocks_new(int fd, off_t off, size_t block, size_t margin,
    bool thread)
{
	struct cilkit_blocks *b;
	unsigned i;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->fd = fd;
	b->off = off;
	b->margin = margin;
	b->cur = -1;
	b->nring = thread ? BLOCKS_RING : 2;
	b->memlen = margin + block;
	if (b->memlen < block)
		goto fail;
	for (i = 0; i < b->nring; i++)
		if ((b->ring[i].mem = cilkit_huge_alloc(&b->memlen)) == NULL)
			goto fail;
	/* The rest of the rounded-up pages is block too. */
	b->block = b->memlen - margin;
	if (thread) {
		pthread_mutex_init(&b->mu, NULL);
		pthread_cond_init(&b->cv, NULL);
		if (pthread_create(&b->tid, NULL, blocks_main, b) == 0) {
			b->threaded = true;
		} else {
			/* Read by the caller then, with two of them. */
			pthread_mutex_destroy(&b->mu);
			pthread_cond_destroy(&b->cv);
			b->nring = 2;
		}
	}
	return b;
fail:
	cilkit_blocks_free(b);
	return NULL;
}

/* The block after the caller's: published by the thread, or read now. */
static struct block *
next_block(struct cilkit_blocks *b)
{
	unsigned have = b->cur >= 0, i;

	if (!b->threaded) {
		i = b->cur >= 0 ? (unsigned)(b->cur + 1) % b->nring : 0;
		read_block(b, &b->ring[i]);
		return &b->ring[i];
	}
	pthread_mutex_lock(&b->mu);
	while (b->count < have + 1)
		pthread_cond_wait(&b->cv, &b->mu);
	i = (b->head + have) % b->nring;
	pthread_mutex_unlock(&b->mu);
	return &b->ring[i];
}

size_t
cilkit_blocks_next(struct cilkit_blocks *b, const unsigned char **p,
    size_t *len, size_t carry, int *err)
{
	struct block *bl;

	*err = 0;
	if (b->cur >= 0 && b->ring[b->cur].n == 0) {
		/* The last block was handed out: the end again. */
		*err = b->ring[b->cur].err;
		return 0;
	}
	if (carry > *len)
		carry = *len;
	if (carry > b->margin)
		carry = b->margin;
	bl = next_block(b);
	if (carry > 0)
		memmove(bl->mem + b->margin - carry, *p + *len - carry, carry);
	if (b->threaded && b->cur >= 0) {
		/* The old block's tail is carried: give it back. */
		pthread_mutex_lock(&b->mu);
		b->head = (b->head + 1) % b->nring;
		b->count--;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
	b->cur = (int)(bl - b->ring);
	*p = bl->mem + b->margin - carry;
	*len = carry + bl->n;
	*err = bl->err;
	return bl->n;
}

void
cilkit_blocks_free(struct cilkit_blocks *b)
{
	unsigned i;

	if (b == NULL)
		return;
	if (b->threaded) {
		/* A read of a regular file ends by itself: no cancelling. */
		pthread_mutex_lock(&b->mu);
		b->stop = true;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->tid, NULL);
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
	}
	for (i = 0; i < BLOCKS_RING; i++)
		cilkit_huge_free(b->ring[i].mem, b->memlen);
	free(b);
}
