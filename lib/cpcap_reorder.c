/*
 * cpcap_reorder.c - frames of several interfaces merged into time order
 * (cpcap_reorder.h).
 *
 * A binary min-heap of copies, ordered by timestamp and then by arrival,
 * so that frames of one time keep the file's order.  Each interface's
 * frames queued are counted: a frame leaves when no live interface has
 * none.
 */
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_reorder.h"

struct node {
	struct cpcap_frame f;		/* f.data points at d */
	uint64_t	 seq;		/* arrival */
	uint8_t		 d[];
};

struct cpcap_reorder {
	struct node	**heap;
	size_t		 n, cap;
	uint64_t	 seq;
	size_t		 bytes;		/* queued, with the nodes' own */
	uint32_t	 first, nsrc;	/* the live interfaces */
	uint32_t	*queued;	/* frames queued, per live interface */
	uint32_t	 empty;		/* live interfaces with none queued */
	struct node	*out;		/* handed on: freed at the next call */
};

struct cpcap_reorder *
cpcap_reorder_new(void)
{
	return calloc(1, sizeof(struct cpcap_reorder));
}

void
cpcap_reorder_free(struct cpcap_reorder *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++)
		free(o->heap[i]);
	free(o->heap);
	free(o->queued);
	free(o->out);
	free(o);
}

void
cpcap_reorder_sources(struct cpcap_reorder *o, uint32_t first, uint32_t n)
{
	uint32_t *nq;

	if (first != o->first) {
		/* A new section: no frame of its interfaces is queued yet. */
		o->first = first;
		o->nsrc = 0;
		o->empty = 0;
	}
	if (n <= o->nsrc)
		return;
	if ((nq = realloc(o->queued, (size_t)n * sizeof(*nq))) == NULL)
		return;		/* the new ones hold nothing back: no harm */
	memset(nq + o->nsrc, 0, (size_t)(n - o->nsrc) * sizeof(*nq));
	o->queued = nq;
	o->empty += n - o->nsrc;
	o->nsrc = n;
}

/* Whether a leaves before b. */
static bool
before(const struct node *a, const struct node *b)
{
	return a->f.ts_ns != b->f.ts_ns ? a->f.ts_ns < b->f.ts_ns :
	    a->seq < b->seq;
}

/* The counter of f's interface, NULL when it is not a live one. */
static uint32_t *
counter(struct cpcap_reorder *o, const struct cpcap_frame *f)
{
	if (f->capif < o->first || f->capif - o->first >= o->nsrc)
		return NULL;
	return &o->queued[f->capif - o->first];
}

int
cpcap_reorder_push(struct cpcap_reorder *o, const struct cpcap_frame *f)
{
	struct node *nd, **nh;
	uint32_t *q;
	size_t i, up;

	if (o->n == o->cap) {
		o->cap = o->cap != 0 ? o->cap * 2 : 1024;
		if ((nh = realloc(o->heap, o->cap * sizeof(*nh))) == NULL) {
			o->cap = o->n;
			return CILKIT_ENOMEM;
		}
		o->heap = nh;
	}
	if ((nd = malloc(sizeof(*nd) + f->caplen)) == NULL)
		return CILKIT_ENOMEM;
	nd->f = *f;
	memcpy(nd->d, f->data, f->caplen);
	nd->f.data = nd->d;
	nd->seq = o->seq++;
	for (i = o->n++; i > 0; i = up) {
		up = (i - 1) / 2;
		if (!before(nd, o->heap[up]))
			break;
		o->heap[i] = o->heap[up];
	}
	o->heap[i] = nd;
	o->bytes += sizeof(*nd) + f->caplen;
	if ((q = counter(o, f)) != NULL && (*q)++ == 0)
		o->empty--;
	return 0;
}

bool
cpcap_reorder_pop(struct cpcap_reorder *o, bool at_end,
    struct cpcap_frame *f)
{
	struct node *top, *last;
	uint32_t *q;
	size_t i, kid;

	free(o->out);
	o->out = NULL;
	if (o->n == 0 || (!at_end && o->empty > 0 &&
	    o->bytes <= CPCAP_REORDER_MAX))
		return false;
	top = o->heap[0];
	last = o->heap[--o->n];
	for (i = 0; (kid = 2 * i + 1) < o->n; i = kid) {
		if (kid + 1 < o->n && before(o->heap[kid + 1], o->heap[kid]))
			kid++;
		if (!before(o->heap[kid], last))
			break;
		o->heap[i] = o->heap[kid];
	}
	if (o->n > 0)
		o->heap[i] = last;
	o->bytes -= sizeof(*top) + top->f.caplen;
	if ((q = counter(o, &top->f)) != NULL && --*q == 0)
		o->empty++;
	*f = top->f;
	o->out = top;
	return true;
}
