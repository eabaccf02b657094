/*
 * report_quantile.c - DDSketch with a fixed, dense bucket array.
 *
 * Bucket i holds values in (gamma^(i-1), gamma^i], gamma =
 * (1 + a) / (1 - a).  Its representative 2 * gamma^i / (gamma + 1) is
 * within a relative distance a of every value in the bucket, which
 * gives the bound stated in the header.  Indices are offset so that
 * REPORT_QUANTILE_MIN lands in bucket 0.
 *
 * Adding a value is on the per-packet path (RTT samples), where log()
 * took about 3% of a capture's analysis: a value's bucket is estimated
 * with a cheap logarithm (exponent bits and a short series, off by far
 * less than a bucket) and settled against the table of bucket bounds.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "report_quantile.h"

struct report_quantile {
	double rel_err, gamma, ln_gamma;
	double inv_ln_gamma;
	int offset;		/* index of the bucket holding MIN */
	size_t nbuckets;
	uint64_t *buckets;
	double *upper;		/* upper[i] = gamma^(i + offset) */
	uint64_t zero;		/* values below MIN, zero, negative */
	uint64_t count;
	double min, max, sum;
};

struct report_quantile *
report_quantile_new(double rel_err)
{
	struct report_quantile *qs;
	double span;
	size_t i;

	if (!(rel_err >= REPORT_QUANTILE_ERR_MIN &&
	    rel_err <= REPORT_QUANTILE_ERR_MAX))
		return NULL;
	qs = calloc(1, sizeof(*qs));
	if (qs == NULL)
		return NULL;
	qs->rel_err = rel_err;
	qs->gamma = (1 + rel_err) / (1 - rel_err);
	qs->ln_gamma = log(qs->gamma);
	qs->offset = (int)ceil(log(REPORT_QUANTILE_MIN) / qs->ln_gamma);
	span = ceil(log(REPORT_QUANTILE_MAX) / qs->ln_gamma) - qs->offset;
	qs->nbuckets = (size_t)span + 1;
	qs->inv_ln_gamma = 1 / qs->ln_gamma;
	qs->buckets = calloc(qs->nbuckets, sizeof(*qs->buckets));
	qs->upper = malloc(qs->nbuckets * sizeof(*qs->upper));
	if (qs->buckets == NULL || qs->upper == NULL) {
		free(qs->buckets);
		free(qs->upper);
		free(qs);
		return NULL;
	}
	for (i = 0; i < qs->nbuckets; i++)
		qs->upper[i] = exp(qs->ln_gamma * (double)((long)i + qs->offset));
	return qs;
}

void
report_quantile_free(struct report_quantile *qs)
{
	if (qs == NULL)
		return;
	free(qs->buckets);
	free(qs->upper);
	free(qs);
}

/*
 * ln(v) for a normal, positive v, within 2e-5: v = m * 2^e with m in
 * [1, 2), and ln(m) = 2 artanh(t), t = (m - 1) / (m + 1) <= 1/3, to the
 * t^7 term.
 */
static double
fast_ln(double v)
{
	uint64_t bits;
	double m, t, t2;
	int e;

	memcpy(&bits, &v, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & UINT64_C(0x000fffffffffffff)) |
	    UINT64_C(0x3ff0000000000000);
	memcpy(&m, &bits, sizeof(m));
	t = (m - 1) / (m + 1);
	t2 = t * t;
	return e * M_LN2 +
	    2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7))));
}

void
report_quantile_add_n(struct report_quantile *qs, double v, uint64_t n)
{
	long idx;

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
	idx = (long)ceil(fast_ln(v) * qs->inv_ln_gamma) - qs->offset;
	if (idx < 0)
		idx = 0;
	if ((size_t)idx >= qs->nbuckets)
		idx = (long)qs->nbuckets - 1;
	/* The estimate is at most one bucket off: the bounds decide. */
	while (idx > 0 && v <= qs->upper[idx - 1])
		idx--;
	while ((size_t)idx + 1 < qs->nbuckets && v > qs->upper[idx])
		idx++;
	qs->buckets[idx] += n;
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
	for (i = 0; i < qs->nbuckets; i++) {
		seen += qs->buckets[i];
		if (rank < seen)
			break;
	}
	if (i == qs->nbuckets)
		return qs->max;
	v = 2 * pow(qs->gamma, (double)((long)i + qs->offset)) /
	    (qs->gamma + 1);
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
	return qs->rel_err;
}

int
report_quantile_merge(struct report_quantile *dst,
    const struct report_quantile *src)
{
	size_t i;

	if (dst->rel_err != src->rel_err || dst->nbuckets != src->nbuckets)
		return CILKIT_EINVAL;
	if (src->count == 0)
		return 0;
	for (i = 0; i < dst->nbuckets; i++)
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
