/*
 * report_quantile.h - streaming quantile estimation for latencies and
 * RTTs: a log-bucketed sketch (DDSketch, Masson et al., VLDB 2019) with
 * a relative error bound, fixed memory and exact merging.
 *
 * Guarantee: for 0 <= q <= 1, report_quantile_get returns a value v with
 * |v - x| <= rel_err * x, where x is the exact q-quantile taken as the
 * element of rank floor(q * (count - 1)) (0-based) of the sorted
 * inputs.  This holds for inputs in [REPORT_QUANTILE_MIN,
 * REPORT_QUANTILE_MAX]; smaller positive values, zero and negative
 * values count in a zero bucket and are reported as 0 (exact min/max
 * are kept separately, and results are clamped to them); larger values
 * fall in the top bucket.  NaN is ignored.
 *
 * Memory: about 8 * ln(MAX/MIN) / (2 * rel_err) bytes, allocated once
 * (25 KB at 1%), independent of the number of values; bucket bounds and
 * a lookup table (37 KB at 1%) are shared by the sketches of one
 * rel_err and kept for the life of the process.
 */
#ifndef CILKIT_REPORT_QUANTILE_H
#define CILKIT_REPORT_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_QUANTILE_MIN	1e-9
#define REPORT_QUANTILE_MAX	1e18
/* Bounds for rel_err. */
#define REPORT_QUANTILE_ERR_MIN	0.001
#define REPORT_QUANTILE_ERR_MAX	0.25

struct report_quantile;

/*
 * A sketch with relative error rel_err (e.g. 0.01 for 1%), in
 * [REPORT_QUANTILE_ERR_MIN, REPORT_QUANTILE_ERR_MAX].  Caller frees
 * with report_quantile_free().  NULL on a bad rel_err or no memory.
 */
struct report_quantile *report_quantile_new(double rel_err);
void report_quantile_free(struct report_quantile *qs);

/* Add one value. */
void report_quantile_add(struct report_quantile *qs, double v);
/* Add a value n times. */
void report_quantile_add_n(struct report_quantile *qs, double v,
    uint64_t n);
/*
 * Add n values in turn, with the same result as report_quantile_add() on
 * each: for callers that buffer many samples, so that the bucket tables
 * stay in cache over the batch instead of being fetched for each value.
 */
void report_quantile_add_many(struct report_quantile *qs, const double *v,
    size_t n);

/*
 * The bucket value v falls in: 0 for values below REPORT_QUANTILE_MIN
 * (and NaN), the last one above REPORT_QUANTILE_MAX.  Exposed so that
 * tests can check it against the definition above.
 */
size_t report_quantile_bucket(const struct report_quantile *qs, double v);

/* Estimated q-quantile (q clamped to [0, 1]); 0 when empty. */
double report_quantile_get(const struct report_quantile *qs, double q);

uint64_t report_quantile_count(const struct report_quantile *qs);
/* Exact smallest / largest value added; 0 when empty. */
double report_quantile_min(const struct report_quantile *qs);
double report_quantile_max(const struct report_quantile *qs);
/* Exact sum of the values, for the mean. */
double report_quantile_sum(const struct report_quantile *qs);
double report_quantile_rel_err(const struct report_quantile *qs);

/*
 * Add everything in src to dst.  Both must have the same rel_err.
 * Returns 0, or CILKIT_EINVAL when they differ.
 */
int report_quantile_merge(struct report_quantile *dst,
    const struct report_quantile *src);

#endif /* CILKIT_REPORT_QUANTILE_H */
