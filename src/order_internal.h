/*
 * order (internal): percentiles and ranks of large samples, for the statistics of
 * millions of Monte Carlo iterations.
 *
 * Percentiles come from a selection of exactly the order statistics they need, in
 * place, no sort, no extra memory: a histogram of a large sample's values first finds
 * the few buckets that hold them and moves those values to the front (three linear
 * passes), then a three-way quickselect, partitioning without data-dependent branches,
 * follows every requested rank at once among them. Ranks come from a least
 * significant digit radix sort of the values' bit patterns (ordered like the doubles
 * themselves), linear in the sample size.
 */
#ifndef CXROI_ORDER_INTERNAL_H
#define CXROI_ORDER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The most percentiles one call takes. */
#define CXROI_ORDER_MAX_PERCENTILES 64

/*
 * Percentiles p[0..m) (each in [0, 1]) of x[0..n), n >= 1, as Excel's PERCENTILE.INC:
 * h = (n - 1) p, x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h)), with
 * x_(k) the k-th smallest (from 0). x is reordered; no value may be NaN. A p outside
 * [0, 1] counts as the nearer end, a NaN p as 0. Only the first
 * CXROI_ORDER_MAX_PERCENTILES percentiles are computed.
 */
void cxroi_order_percentiles(double *x, size_t n, const double *p, size_t m, double *out);

/* One element of the radix sort's scratch. */
typedef struct cxroi_order_item {
    uint64_t key;
    size_t index;
} cxroi_order_item;

/*
 * Ranks 1..n of x[0..n) into rank, ties sharing the average of their ranks (as
 * Spearman's rho needs); scratch holds 2 n items. No value may be NaN.
 */
void cxroi_order_ranks(const double *x, size_t n, cxroi_order_item *scratch, double *rank);

#endif /* CXROI_ORDER_INTERNAL_H */
