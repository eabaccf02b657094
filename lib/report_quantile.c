/*
 * report_quantile.c - DDSketch with a fixed, dense bucket array.
 *
 * Bucket i holds values in (gamma^(i-1), gamma^i], gamma =
 * (1 + a) / (1 - a).  Its representative 2 * gamma^i / (gamma + 1) is
 * within a relative distance a of every value in the bucket, which
 * gives the bound stated in the header.  Indices are offset so that
 * REPORT_QUANTILE_MIN lands in bucket 0.
 *
 * Adding a value is on the per-packet path (one RTT sample per ACK,
 * 4.6 million in the pcap benchmark), where a logarithm cost 6% of the
 * analysis thread.  A value's bucket is found without one: its binary
 * exponent and first mantissa bits select a slot of a table made so
 * that a slot spans at most one bucket boundary, the slot gives the
 * bucket of its lowest value, and the table of bucket bounds settles
 * the rest.  The bounds and the slot table depend on rel_err alone:
 * sketches with the same rel_err share them (flow statistics keep one
 * sketch per edge).
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "report_quantile.h"

/* Binary exponents of the slot table: MIN >= 2^E_LO, MAX < 2^(E_HI+1). */
#define E_LO		(-30)
#define E_HI		59

/* What sketches of one rel_err share; never changed once built. */
struct qscale {
	double rel_err, gamma, ln_gamma;
	int offset;		/* index of the bucket holding MIN */
	size_t nbuckets;
	double *upper;		/* upper[i] = gamma^(i + offset) */
	int sbits;		/* mantissa bits per slot */
	uint16_t *slot;		/* bucket of each slot's lowest value */
};

struct report_quantile {
	const struct qscale *sc;
	struct qscale *own;	/* sc when not shared, else NULL */
	uint64_t *buckets;
	uint64_t zero;		/* values below MIN, zero, negative */
	uint64_t count;
	double min, max, sum;
};

/* Shared scales: a handful of rel_err values are ever used. */
#define SCALES_SHARED	8
static pthread_mutex_t scales_mu = PTHREAD_MUTEX_INITIALIZER;
static struct qscale *scales[SCALES_SHARED];

static void
scale_free(struct qscale *sc)
{
	if (sc == NULL)
		return;
	free(sc->upper);
	free(sc->slot);
	free(sc);
}

/* Smallest bucket whose upper bound is >= v (the last one at most). */
static size_t
bucket_of(const struct qscale *sc, double v, size_t from)
{
	while (from + 1 < sc->nbuckets && v > sc->upper[from])
		from++;
	return from;
}

static struct qscale *
scale_new(double rel_err)
{
	struct qscale *sc;
	size_t i, nslots, b = 0;
	double span;
	int e;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->rel_err = rel_err;
	sc->gamma = (1 + rel_err) / (1 - rel_err);
	sc->ln_gamma = log(sc->gamma);
	sc->offset = (int)ceil(log(REPORT_QUANTILE_MIN) / sc->ln_gamma);
	span = ceil(log(REPORT_QUANTILE_MAX) / sc->ln_gamma) - sc->offset;
	sc->nbuckets = (size_t)span + 1;
	/* A slot no wider than a bucket: 2^-sbits <= gamma - 1. */
	while (sc->sbits < 16 && ldexp(1, -sc->sbits) > sc->gamma - 1)
		sc->sbits++;
	nslots = (size_t)(E_HI - E_LO + 1) << sc->sbits;
	sc->upper = malloc(sc->nbuckets * sizeof(*sc->upper));
	sc->slot = malloc(nslots * sizeof(*sc->slot));
	if (sc->upper == NULL || sc->slot == NULL ||
	    sc->nbuckets > UINT16_MAX) {
		scale_free(sc);
		return NULL;
	}
	for (i = 0; i < sc->nbuckets; i++)
		sc->upper[i] = exp(sc->ln_gamma * (double)((long)i + sc->offset));
	/* Slots in increasing order of their lowest value. */
	for (e = E_LO, i = 0; e <= E_HI; e++) {
		size_t j;

		for (j = 0; j < ((size_t)1 << sc->sbits); j++, i++) {
			b = bucket_of(sc, ldexp(1 + ldexp((double)j,
			    -sc->sbits), e), b);
			sc->slot[i] = (uint16_t)b;
		}
	}
	return sc;
}

/* The shared scale for rel_err, made on first use; NULL when full. */
static struct qscale *
scale_shared(double rel_err)
{
	struct qscale *sc = NULL;
	int i;

	pthread_mutex_lock(&scales_mu);
	for (i = 0; i < SCALES_SHARED && scales[i] != NULL; i++)
		if (scales[i]->rel_err == rel_err)
			break;
	if (i < SCALES_SHARED) {
		if (scales[i] == NULL)
			scales[i] = scale_new(rel_err);
		sc = scales[i];
	}
	pthread_mutex_unlock(&scales_mu);
	return sc;
}

struct report_quantile *
report_quantile_new(double rel_err)
{
	struct report_quantile *qs;

	if (!(rel_err >= REPORT_QUANTILE_ERR_MIN &&
	    rel_err <= REPORT_QUANTILE_ERR_MAX))
		return NULL;
	qs = calloc(1, sizeof(*qs));
	if (qs == NULL)
		return NULL;
	if ((qs->sc = scale_shared(rel_err)) == NULL)
		qs->sc = qs->own = scale_new(rel_err);
	if (qs->sc == NULL ||
	    (qs->buckets = calloc(qs->sc->nbuckets,
	    sizeof(*qs->buckets))) == NULL) {
		scale_free(qs->own);
		free(qs);
		return NULL;
	}
	return qs;
}

void
report_quantile_free(struct report_quantile *qs)
{
	if (qs == NULL)
		return;
	free(qs->buckets);
	scale_free(qs->own);
	free(qs);
}

size_t
report_quantile_bucket(const struct report_quantile *qs, double v)
{
	const struct qscale *sc = qs->sc;
	uint64_t bits;
	size_t b;
	int e;

	memcpy(&bits, &v, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	if (!(v >= REPORT_QUANTILE_MIN) || e < E_LO)
		return 0;
	if (e > E_HI)
		return sc->nbuckets - 1;
	b = sc->slot[((size_t)(e - E_LO) << sc->sbits) |
	    (size_t)((bits >> (52 - sc->sbits)) &
	    (((uint64_t)1 << sc->sbits) - 1))];
	/*
	 * A slot is no wider than a bucket (scale_new()): one step up at
	 * most.  It is taken without a branch, whose outcome is a coin
	 * toss for values spread over the slot (~2% of a capture's
	 * analysis); bucket_of() then only checks, a branch that is never
	 * taken.
	 */
	b += (size_t)(b + 1 < sc->nbuckets && v > sc->upper[b]);
	return bucket_of(sc, v, b);
}

void
report_quantile_add_n(struct report_quantile *qs, double v, uint64_t n)
{
	if (isnan(v) || n == 0)
		return;
	if (qs->count == 0 || v < qs->min)
		qs->min = v;
	if (qs->count == 0 || v > qs->max)
		qs->max = v;
	qs->count += n;
	qs->sum += v * (double)n;
	if (!(v >= REPORT_QUANTILE_MIN)) {
		qs->zero += n;
		return;
	}
	qs->buckets[report_quantile_bucket(qs, v)] += n;
}

void
report_quantile_add_many(struct report_quantile *qs, const double *v,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		report_quantile_add_n(qs, v[i], 1);
}

void
report_quantile_add(struct report_quantile *qs, double v)
{
	report_quantile_add_n(qs, v, 1);
}

double
report_quantile_get(const struct report_quantile *qs, double q)
{
	uint64_t rank, seen;
	size_t i;
	double v;

	if (qs->count == 0)
		return 0;
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	if (q == 0)
		return qs->min;
	if (q == 1)
		return qs->max;
	rank = (uint64_t)floor(q * (double)(qs->count - 1));
	seen = qs->zero;
	if (rank < seen)
		return qs->min < 0 ? qs->min : 0;
	for (i = 0; i < qs->sc->nbuckets; i++) {
		seen += qs->buckets[i];
		if (rank < seen)
			break;
	}
	if (i == qs->sc->nbuckets)
		return qs->max;
	v = 2 * pow(qs->sc->gamma, (double)((long)i + qs->sc->offset)) /
	    (qs->sc->gamma + 1);
	if (v < qs->min)
		v = qs->min;
	if (v > qs->max)
		v = qs->max;
	return v;
}

uint64_t
report_quantile_count(const struct report_quantile *qs)
{
	return qs->count;
}

double
report_quantile_min(const struct report_quantile *qs)
{
	return qs->count == 0 ? 0 : qs->min;
}

double
report_quantile_max(const struct report_quantile *qs)
{
	return qs->count == 0 ? 0 : qs->max;
}

double
report_quantile_sum(const struct report_quantile *qs)
{
	return qs->sum;
}

double
report_quantile_rel_err(const struct report_quantile *qs)
{
	return qs->sc->rel_err;
}

int
report_quantile_merge(struct report_quantile *dst,
    const struct report_quantile *src)
{
	size_t i;

	if (dst->sc->rel_err != src->sc->rel_err ||
	    dst->sc->nbuckets != src->sc->nbuckets)
		return CILKIT_EINVAL;
	if (src->count == 0)
		return 0;
	for (i = 0; i < dst->sc->nbuckets; i++)
		dst->buckets[i] += src->buckets[i];
	dst->zero += src->zero;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	return 0;
}
