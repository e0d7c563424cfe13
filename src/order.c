/* Percentiles by multiple selection and ranks by radix sort. */
#include "order_internal.h"

#include <math.h>
#include <string.h>

/* Ranges this short are finished by insertion sort. */
#define SELECT_SMALL 16

static void swap_values(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

/*
 * Hoare's partition of x[lo..hi) (hi - lo >= 3) around the median of its first, middle
 * and last values, moved to x[lo] first: returns j with x[lo..j] <= pivot <= x[j+1..hi)
 * and lo <= j < hi - 1, so both parts are smaller than the range. (The upward scan
 * stops first at lo itself, the downward one at lo at the latest; after a swap each
 * stops at the value just swapped, so neither leaves the range, and j only falls.)
 */
static size_t partition(double *x, size_t lo, size_t hi)
{
    size_t mid = lo + (hi - lo) / 2, last = hi - 1;
    /* Order x[mid] <= x[lo] <= x[last]: the median lands at lo. */
    if (x[mid] > x[last])
        swap_values(&x[mid], &x[last]);
    if (x[lo] > x[last])
        swap_values(&x[lo], &x[last]);
    if (x[mid] > x[lo])
        swap_values(&x[mid], &x[lo]);
    double pivot = x[lo];
    size_t i = lo - 1, j = hi; /* i wraps around when lo is 0: unsigned, well defined */
    for (;;) {
        do
            i++;
        while (x[i] < pivot);
        do
            j--;
        while (x[j] > pivot);
        if (i >= j)
            return j;
        swap_values(&x[i], &x[j]);
    }
}

/* Put the order statistic of each rank in ranks[0..m) (ascending, distinct, within
 * [lo, hi)) at its place: afterwards x[r] is the r-th smallest value of x[lo..hi). */
static void select_ranks(double *x, size_t lo, size_t hi, const size_t *ranks, size_t m)
{
    while (m > 0) {
        if (hi - lo <= SELECT_SMALL) {
            insertion_sort(x + lo, hi - lo);
            return;
        }
        size_t j = partition(x, lo, hi);
        size_t left = 0;
        while (left < m && ranks[left] <= j)
            left++;
        /* Recurse into the side with fewer ranks, loop on the other: the depth of the
         * recursion stays below log2(m) + 1. */
        if (left <= m - left) {
            select_ranks(x, lo, j + 1, ranks, left);
            ranks += left;
            m -= left;
            lo = j + 1;
        } else {
            select_ranks(x, j + 1, hi, ranks + left, m - left);
            m = left;
            hi = j + 1;
        }
    }
}

void cxroi_order_percentiles(double *x, size_t n, const double *p, size_t m, double *out)
{
    if (n == 0 || m == 0)
        return;
    if (m > CXROI_ORDER_MAX_PERCENTILES)
        m = CXROI_ORDER_MAX_PERCENTILES;
    /* The two order statistics around each percentile's position h = (n - 1) p. */
    size_t ranks[2 * CXROI_ORDER_MAX_PERCENTILES], count = 0;
    for (size_t i = 0; i < m; i++) {
        double h = (double)(n - 1) * p[i];
        size_t lo = (size_t)floor(h);
        ranks[count++] = lo;
        if (lo + 1 < n && h != (double)lo)
            ranks[count++] = lo + 1;
    }
    /* Sorted, without repeats. */
    for (size_t i = 1; i < count; i++) {
        size_t v = ranks[i], j = i;
        while (j > 0 && ranks[j - 1] > v) {
            ranks[j] = ranks[j - 1];
            j--;
        }
        ranks[j] = v;
    }
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++)
        if (distinct == 0 || ranks[i] != ranks[distinct - 1])
            ranks[distinct++] = ranks[i];
    select_ranks(x, 0, n, ranks, distinct);
    for (size_t i = 0; i < m; i++) {
        double h = (double)(n - 1) * p[i];
        size_t lo = (size_t)floor(h);
        double x_lo = x[lo];
        out[i] = lo + 1 >= n || h == (double)lo ? x_lo : x_lo + (h - (double)lo) * (x[lo + 1] - x_lo);
    }
}

/* A key whose unsigned order is the order of the doubles: negative values have every
 * bit flipped, others the sign bit set. */
static uint64_t order_key(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits >> 63 ? ~bits : bits | 0x8000000000000000ULL;
}

void cxroi_order_ranks(const double *x, size_t n, cxroi_order_item *scratch, double *rank)
{
    if (n == 0)
        return;
    cxroi_order_item *a = scratch, *b = scratch + n;
    /* One pass counts all eight bytes' digits. */
    static const size_t DIGITS = 8;
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t k = 0; k < n; k++) {
        uint64_t key = order_key(x[k]);
        a[k].key = key;
        a[k].index = k;
        for (size_t d = 0; d < DIGITS; d++)
            count[d][(key >> (8 * d)) & 0xff]++;
    }
    /* Least significant byte first; a byte every key shares moves nothing and is
     * skipped. Each pass is stable, so equal keys keep their index order. */
    for (size_t d = 0; d < DIGITS; d++) {
        size_t *c = count[d];
        if (c[(a[0].key >> (8 * d)) & 0xff] == n)
            continue;
        size_t start = 0;
        for (size_t v = 0; v < 256; v++) {
            size_t here = c[v];
            c[v] = start;
            start += here;
        }
        for (size_t k = 0; k < n; k++)
            b[c[(a[k].key >> (8 * d)) & 0xff]++] = a[k];
        cxroi_order_item *t = a;
        a = b;
        b = t;
    }
    /* Runs of equal values share the average of their ranks k+1 .. end. */
    for (size_t k = 0; k < n;) {
        size_t end = k + 1;
        while (end < n && x[a[end].index] == x[a[k].index])
            end++;
        double r = 0.5 * (double)(k + 1 + end);
        for (size_t i = k; i < end; i++)
            rank[a[i].index] = r;
        k = end;
    }
}
