/* Tests of order.c: percentiles by multiple selection and ranks by radix sort, against
 * the definitions computed the slow way (a full sort; counting). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "order_internal.h"

/* PERCENTILE.INC on a sorted copy, the definition. */
static double reference_percentile(const double *sorted, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n || h == (double)lo)
        return sorted[lo];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Data of several shapes: continuous, a few distinct values (ties everywhere), all
 * equal, sorted, reverse sorted, with negative values and signed zeros; heavy tailed
 * (a value range that a few draws stretch, so that most values share a few of the
 * histogram's buckets); with infinities (no finite range to bucket). */
static void fill(double *x, size_t n, int shape, gsl_rng *r)
{
    for (size_t k = 0; k < n; k++) {
        switch (shape) {
        case 0:
            x[k] = 1e6 * (gsl_rng_uniform(r) - 0.3);
            break;
        case 1:
            x[k] = (double)gsl_rng_uniform_int(r, 4) - 1.5;
            break;
        case 2:
            x[k] = 42.0;
            break;
        case 3:
            x[k] = (double)k;
            break;
        case 4:
            x[k] = -(double)k;
            break;
        case 5:
            x[k] = gsl_rng_uniform_int(r, 3) == 0 ? (k % 2 ? 0.0 : -0.0) : gsl_rng_uniform(r) - 0.5;
            break;
        case 6: /* 1 / u^2, u uniform: P(X > x) = x^-1/2 */
        {
            double u = gsl_rng_uniform_pos(r);
            x[k] = (k % 2 ? 1.0 : -0.25) / (u * u);
            break;
        }
        default:
            x[k] = k % 1000 == 7 ? (k % 3 ? INFINITY : -INFINITY) : gsl_rng_uniform(r);
            break;
        }
    }
}

static void test_order_percentiles_match_a_sort(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {1, 2, 3, 5, 16, 17, 100, 1001, 65536, 250000};
    static const double P[] = {0.0,  0.005, 0.01, 0.05,  0.1, 0.25, 0.5,
                               0.75, 0.9,   0.95, 0.995, 1.0, 0.5};
    size_t m = sizeof P / sizeof P[0];
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *x = malloc(n * sizeof(double)), *sorted = malloc(n * sizeof(double));
        assert_non_null(x);
        assert_non_null(sorted);
        for (int shape = 0; shape < 8; shape++) {
            fill(x, n, shape, r);
            memcpy(sorted, x, n * sizeof(double));
            gsl_sort(sorted, 1, n);
            double out[sizeof P / sizeof P[0]];
            cxroi_order_percentiles(x, n, P, m, out);
            for (size_t i = 0; i < m; i++) {
                double want = reference_percentile(sorted, n, P[i]);
                /* Exactly: the same order statistics, the same arithmetic. */
                assert_true(out[i] == want);
            }
            /* x was only reordered (0.0 and -0.0 compare equal, in either order). */
            gsl_sort(x, 1, n);
            for (size_t k = 0; k < n; k++)
                assert_true(x[k] == sorted[k]);
        }
        free(x);
        free(sorted);
    }
    gsl_rng_free(r);
}

/* Ranks by counting: 1 + #smaller + (#equal - 1) / 2. */
static void test_order_ranks_match_counting(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t sizes[] = {1, 2, 7, 300, 2000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *x = malloc(n * sizeof(double)), *rank = malloc(n * sizeof(double));
        cxroi_order_item *scratch = malloc(2 * n * sizeof(cxroi_order_item));
        assert_non_null(x);
        assert_non_null(rank);
        assert_non_null(scratch);
        for (int shape = 0; shape < 8; shape++) {
            fill(x, n, shape, r);
            cxroi_order_ranks(x, n, scratch, rank);
            for (size_t k = 0; k < n; k++) {
                size_t smaller = 0, equal = 0;
                for (size_t j = 0; j < n; j++) {
                    smaller += x[j] < x[k];
                    equal += x[j] == x[k];
                }
                assert_true(rank[k] == 1.0 + (double)smaller + 0.5 * (double)(equal - 1));
            }
        }
        free(x);
        free(rank);
        free(scratch);
    }
    gsl_rng_free(r);
}

/* Extreme values keep their order: the key is the double's order. */
static void test_order_ranks_extremes(void **state)
{
    (void)state;
    double x[] = {INFINITY, -1e308, 5e-324, -5e-324, 0.0, -INFINITY, 1e308, -0.0, 1.0, -1.0};
    double want[] = {10, 2, 7, 4, 5.5, 1, 9, 5.5, 8, 3};
    size_t n = sizeof x / sizeof x[0];
    cxroi_order_item scratch[2 * sizeof x / sizeof x[0]];
    double rank[sizeof x / sizeof x[0]];
    cxroi_order_ranks(x, n, scratch, rank);
    for (size_t k = 0; k < n; k++)
        assert_true(rank[k] == want[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_percentiles_match_a_sort),
        cmocka_unit_test(test_order_ranks_match_counting),
        cmocka_unit_test(test_order_ranks_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
