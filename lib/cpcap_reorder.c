/*
 * cpcap_reorder.c - frames of several interfaces merged into time order
 * (cpcap_reorder.h).
 *
 * Each interface's frames are copied, in the order they come, into a
 * queue of its own: a list of chunks written at the tail and read at
 * the head, so a frame costs one copy and no allocation of its own.
 * The frame that leaves is the oldest of the queues' heads (a frame's
 * arrival number breaks ties, keeping the file's order).
 */
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_reorder.h"

#define CHUNK		((size_t)1 << 20)

/*
 * A frame in a chunk, its data after it, padded to 8 bytes.  The frame
 * is kept whole (its data pointer set again when it leaves), so that
 * every field of struct cpcap_frame goes through.
 */
struct rec {
	struct cpcap_frame f;
	uint64_t	 seq;
};

struct chunk {
	struct chunk	*next;
	size_t		 cap, head, tail;	/* records in [head, tail) */
	_Alignas(8) uint8_t d[];
};

/* One interface's frames, oldest first. */
struct queue {
	uint32_t	 capif;
	uint32_t	 n;
	struct chunk	*first, *last;
};

struct cpcap_reorder {
	struct queue	*q;
	size_t		 nq, qcap;
	size_t		 lastq;		/* the queue pushed to last */
	uint64_t	 seq;
	uint64_t	 newest;	/* latest time pushed */
	size_t		 bytes;		/* queued, with the records' headers */
	uint32_t	 first, nsrc;	/* the live interfaces */
	uint32_t	 empty;		/* live interfaces with none queued */
	struct chunk	*spare;		/* one emptied chunk, for reuse */
	struct chunk	*out;		/* holds the frame handed on: kept
					   until the next call */
};

static size_t
rec_size(uint32_t caplen)
{
	return (sizeof(struct rec) + caplen + 7) & ~(size_t)7;
}

struct cpcap_reorder *
cpcap_reorder_new(void)
{
	return calloc(1, sizeof(struct cpcap_reorder));
}

static void
free_chunks(struct chunk *c)
{
	struct chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

void
cpcap_reorder_free(struct cpcap_reorder *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nq; i++)
		free_chunks(o->q[i].first);
	free(o->q);
	free(o->spare);
	free(o->out);
	free(o);
}

static bool
live(const struct cpcap_reorder *o, uint32_t capif)
{
	return capif >= o->first && capif - o->first < o->nsrc;
}

void
cpcap_reorder_sources(struct cpcap_reorder *o, uint32_t first, uint32_t n)
{
	size_t i;

	if (first == o->first && n == o->nsrc)
		return;
	o->first = first;
	o->nsrc = n;
	/* Those without a frame queued hold the others back. */
	o->empty = n;
	for (i = 0; i < o->nq; i++)
		if (o->q[i].n > 0 && live(o, o->q[i].capif))
			o->empty--;
}

/* The queue of interface capif, made when new; NULL without memory. */
static struct queue *
queue_of(struct cpcap_reorder *o, uint32_t capif)
{
	struct queue *nq;
	size_t i;

	if (o->lastq < o->nq && o->q[o->lastq].capif == capif)
		return &o->q[o->lastq];
	for (i = 0; i < o->nq; i++)
		if (o->q[i].capif == capif)
			return &o->q[o->lastq = i];
	if (o->nq == o->qcap) {
		o->qcap = o->qcap != 0 ? o->qcap * 2 : 4;
		if ((nq = realloc(o->q, o->qcap * sizeof(*nq))) == NULL) {
			o->qcap = o->nq;
			return NULL;
		}
		o->q = nq;
	}
	memset(&o->q[o->nq], 0, sizeof(*o->q));
	o->q[o->nq].capif = capif;
	return &o->q[o->lastq = o->nq++];
}

int
cpcap_reorder_push(struct cpcap_reorder *o, const struct cpcap_frame *f)
{
	size_t need = rec_size(f->caplen), cap;
	struct queue *q;
	struct chunk *c;
	struct rec *r;

	if ((q = queue_of(o, f->capif)) == NULL)
		return CILKIT_ENOMEM;
	c = q->last;
	if (c == NULL || c->cap - c->tail < need) {
		cap = need > CHUNK ? need : CHUNK;
		if (o->spare != NULL && o->spare->cap >= cap) {
			c = o->spare;
			o->spare = NULL;
		} else if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return CILKIT_ENOMEM;
		else
			c->cap = cap;
		c->next = NULL;
		c->head = c->tail = 0;
		if (q->last != NULL)
			q->last->next = c;
		else
			q->first = c;
		q->last = c;
	}
	r = (struct rec *)(void *)(c->d + c->tail);
	r->f = *f;
	r->seq = o->seq++;
	memcpy(r + 1, f->data, f->caplen);
	c->tail += need;
	o->bytes += need;
	if (f->ts_ns > o->newest)
		o->newest = f->ts_ns;
	if (q->n++ == 0 && live(o, f->capif))
		o->empty--;
	return 0;
}

static const struct rec *
head_rec(const struct queue *q)
{
	return (const struct rec *)(const void *)(q->first->d +
	    q->first->head);
}

bool
cpcap_reorder_pop(struct cpcap_reorder *o, bool at_end,
    struct cpcap_frame *f)
{
	struct queue *q, *best = NULL;
	const struct rec *r, *br = NULL;
	struct chunk *c;
	size_t i;

	if (o->out != NULL) {
		/* The frame handed on last is no longer needed. */
		if (o->spare == NULL && o->out->cap == CHUNK)
			o->spare = o->out;
		else
			free(o->out);
		o->out = NULL;
	}
	for (i = 0; i < o->nq; i++) {
		q = &o->q[i];
		if (q->n == 0)
			continue;
		r = head_rec(q);
		if (br == NULL || r->f.ts_ns < br->f.ts_ns ||
		    (r->f.ts_ns == br->f.ts_ns && r->seq < br->seq)) {
			best = q;
			br = r;
		}
	}
	if (br == NULL || (!at_end && o->empty > 0 &&
	    o->bytes <= CPCAP_REORDER_MAX &&
	    o->newest - br->f.ts_ns <= CPCAP_REORDER_HOLD_NS))
		return false;
	*f = br->f;
	f->data = (const uint8_t *)(br + 1);
	c = best->first;
	c->head += rec_size(br->f.caplen);
	o->bytes -= rec_size(br->f.caplen);
	if (--best->n == 0 && live(o, best->capif))
		o->empty++;
	if (c->head == c->tail && c != best->last) {
		/* Read to its end: kept while its last frame is out. */
		best->first = c->next;
		o->out = c;
	} else if (c->head == c->tail) {
		/* The queue's only chunk: written from its start again,
		   but not before the frame handed on is done with. */
		best->first = best->last = NULL;
		o->out = c;
	}
	return true;
}
