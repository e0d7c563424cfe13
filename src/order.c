/* Percentiles by multiple selection and ranks by radix sort. */
#include "order_internal.h"

#include <math.h>
#include <string.h>

/* Ranges this short are finished by insertion sort. */
#define SELECT_SMALL 16

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
 * Three-way partition of x[lo..hi) around pivot (a value of the range): afterwards
 * x[lo..*lt) < pivot, x[*lt..*gt) == pivot, x[*gt..hi) > pivot. Two passes of Lomuto's
 * scheme without branches on the data (each value is swapped unconditionally and the
 * boundary moves by the comparison's 0 or 1), which random data cannot mispredict: the
 * first splits off the smaller values, the second the equal ones from the rest.
 */
static void partition3(double *x, size_t lo, size_t hi, double pivot, size_t *lt, size_t *gt)
{
    size_t i = lo;
    for (size_t j = lo; j < hi; j++) {
        double v = x[j];
        size_t smaller = v < pivot;
        x[j] = x[i];
        x[i] = v;
        i += smaller;
    }
    size_t e = i;
    for (size_t j = i; j < hi; j++) {
        double v = x[j];
        size_t equal = v <= pivot;
        x[j] = x[e];
        x[e] = v;
        e += equal;
    }
    *lt = i;
    *gt = e;
}

/* The median of x[lo], x[mid] and x[hi - 1]. */
static double median3(const double *x, size_t lo, size_t hi)
{
    double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi - 1];
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    /* a <= b: the median is b, or the larger of a and c when c < b. */
    return c < b ? (c > a ? c : a) : b;
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
        size_t lt, gt;
        partition3(x, lo, hi, median3(x, lo, hi), &lt, &gt);
        /* Ranks in [lt, gt) are the pivot, in place; the others lie on either side, each
         * side smaller than the range (the pivot is in neither). */
        size_t left = 0, mid = 0;
        while (left < m && ranks[left] < lt)
            left++;
        mid = left;
        while (mid < m && ranks[mid] < gt)
            mid++;
        /* Recurse into the side with fewer ranks, loop on the other: the depth of the
         * recursion stays below log2(m) + 1. */
        if (left <= m - mid) {
            select_ranks(x, lo, lt, ranks, left);
            ranks += mid;
            m -= mid;
            lo = gt;
        } else {
            select_ranks(x, gt, hi, ranks + mid, m - mid);
            m = left;
            hi = lt;
        }
    }
}

/* Samples this large are first narrowed by a histogram of their values (narrow()). */
#define NARROW_MIN 8192
/* Its buckets: few enough that the counts stay in the level-1 cache. */
#define NARROW_BUCKETS 4096

/* The index of the bucket whose cumulative counts cum[b] <= r < cum[b + 1]. */
static size_t bucket_of_rank(const uint32_t *cum, size_t buckets, size_t r)
{
    size_t lo = 0, hi = buckets; /* cum[lo] <= r < cum[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] <= r)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Narrow the selection of ranks[0..m) (ascending, distinct) in x[0..n) to the few values
 * that can hold them: the values fall into equal-width buckets between their minimum and
 * maximum, a bucket index that never decreases as the value grows (a difference and a
 * product, each rounded monotonically), so the r-th smallest value lies in the bucket
 * whose counts span r. The values of those buckets are moved to the front of x (a
 * permutation: every value stays in x) and each rank becomes its rank among them
 * (r minus the values of unmoved buckets below its own). Returns how many were moved,
 * or n when the values cannot be bucketed (a range that is 0 or not finite); ranks are
 * then left as they were.
 */
static size_t narrow(double *x, size_t n, size_t *ranks, size_t m)
{
    double lo = x[0], hi = x[0];
    for (size_t k = 1; k < n; k++) {
        lo = x[k] < lo ? x[k] : lo;
        hi = x[k] > hi ? x[k] : hi;
    }
    double scale = (double)NARROW_BUCKETS / (hi - lo);
    if (!(hi > lo) || !isfinite(hi - lo) || !isfinite(scale) || n > UINT32_MAX)
        return n;
    static const size_t LAST = NARROW_BUCKETS - 1;
    uint32_t cum[NARROW_BUCKETS + 1] = {0};
    for (size_t k = 0; k < n; k++) {
        size_t b = (size_t)((x[k] - lo) * scale);
        cum[1 + (b < LAST ? b : LAST)]++;
    }
    for (size_t b = 0; b < NARROW_BUCKETS; b++)
        cum[b + 1] += cum[b];
    /* The buckets holding a rank, and for each the values of unmarked buckets below. */
    unsigned char marked[NARROW_BUCKETS] = {0};
    size_t bucket[2 * CXROI_ORDER_MAX_PERCENTILES];
    for (size_t i = 0; i < m; i++) {
        bucket[i] = bucket_of_rank(cum, NARROW_BUCKETS, ranks[i]);
        marked[bucket[i]] = 1;
    }
    size_t kept_below = 0, i = 0;
    for (size_t b = 0; b < NARROW_BUCKETS && i < m; b++) {
        for (; i < m && bucket[i] == b; i++)
            ranks[i] -= cum[b] - kept_below; /* the unmarked values below bucket b */
        if (marked[b])
            kept_below += cum[b + 1] - cum[b];
    }
    /* The marked buckets' values to the front, without branches on the data. */
    size_t front = 0;
    for (size_t k = 0; k < n; k++) {
        double v = x[k];
        size_t b = (size_t)((v - lo) * scale);
        size_t keep = marked[b < LAST ? b : LAST];
        x[k] = x[front];
        x[front] = v;
        front += keep;
    }
    return front;
}

void cxroi_order_percentiles(double *x, size_t n, const double *p, size_t m, double *out)
{
    if (n == 0 || m == 0)
        return;
    if (m > CXROI_ORDER_MAX_PERCENTILES)
        m = CXROI_ORDER_MAX_PERCENTILES;
    /* The two order statistics around each percentile's position h = (n - 1) p. */
    size_t ranks[2 * CXROI_ORDER_MAX_PERCENTILES], count = 0;
    double pc[CXROI_ORDER_MAX_PERCENTILES];
    for (size_t i = 0; i < m; i++) /* within [0, 1]; a NaN counts as 0 */
        pc[i] = p[i] > 0.0 ? (p[i] < 1.0 ? p[i] : 1.0) : 0.0;
    for (size_t i = 0; i < m; i++) {
        double h = (double)(n - 1) * pc[i];
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
    /* Where each rank's value will be: its place among the values narrow() keeps. */
    size_t place[2 * CXROI_ORDER_MAX_PERCENTILES];
    memcpy(place, ranks, distinct * sizeof(size_t));
    size_t kept = n >= NARROW_MIN ? narrow(x, n, place, distinct) : n;
    select_ranks(x, 0, kept, place, distinct);
    for (size_t i = 0; i < m; i++) {
        double h = (double)(n - 1) * pc[i];
        size_t lo = (size_t)floor(h), at = 0;
        while (ranks[at] != lo)
            at++;
        double x_lo = x[place[at]];
        /* lo + 1, when needed, is the next distinct rank */
        out[i] = lo + 1 >= n || h == (double)lo
                     ? x_lo
                     : x_lo + (h - (double)lo) * (x[place[at + 1]] - x_lo);
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
