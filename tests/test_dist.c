/* Tests of the dist module: moments, quantiles, support, checks, descriptions, draws.
 *
 * Reference values are closed forms worked by hand in the comments, published values, or
 * computed with mpmath 1.3.0 at 50 significant digits from the textbook formulas (as
 * noted at each); none comes from the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

#include "cxroi/dist.h"

/* |actual - expected| <= tol * max(1, |expected|): relative for large values, absolute
 * for small ones. */
static void assert_close(double actual, double expected, double tol)
{
    double scale = fmax(1.0, fabs(expected));
    if (!(fabs(actual - expected) <= tol * scale)) {
        print_error("expected %.17g, found %.17g (tolerance %g)\n", expected, actual, tol);
        fail();
    }
}

/* |actual - expected| <= tol * |expected|: for values far from 1 (tiny sd, tail x). */
static void assert_rel(double actual, double expected, double tol)
{
    if (!(fabs(actual - expected) <= tol * fabs(expected))) {
        print_error("expected %.17g, found %.17g (relative tolerance %g)\n", expected, actual, tol);
        fail();
    }
}

static cxroi_dist make3(cxroi_dist_kind kind, double min, double mode, double max)
{
    cxroi_dist d;
    cxroi_dist_init(&d, kind);
    d.min = min;
    d.mode = mode;
    d.max = max;
    return d;
}

static cxroi_dist make_normal(double mean, double sd)
{
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_NORMAL);
    d.mean = mean;
    d.sd = sd;
    return d;
}

static cxroi_dist make_beta(double alpha, double beta)
{
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_BETA);
    d.alpha = alpha;
    d.beta = beta;
    return d;
}

/* A discrete distribution over caller-owned arrays (not to be cleared). */
static cxroi_dist make_discrete(double *values, double *probs, size_t n)
{
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_DISCRETE);
    d.values = values;
    d.probs = probs;
    d.n_values = n;
    return d;
}

static void assert_valid(const cxroi_dist *d)
{
    const char *field = "untouched";
    char msg[256] = "untouched";
    bool ok = cxroi_dist_check(d, &field, msg, sizeof(msg));
    if (!ok)
        print_error("unexpected check failure on %s: %s\n", field, msg);
    assert_true(ok);
    assert_null(field);
    assert_string_equal(msg, "");
}

static void assert_invalid(const cxroi_dist *d, const char *field, const char *message)
{
    const char *got_field = NULL;
    char msg[256] = "";
    assert_false(cxroi_dist_check(d, &got_field, msg, sizeof(msg)));
    assert_non_null(got_field);
    assert_string_equal(got_field, field);
    assert_string_equal(msg, message);
}

/* ---- Names, init, copy, clear ------------------------------------------------------ */

static void test_dist_kind_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"uniform",   "triangular", "pert",    "normal",
                           "lognormal", "beta",       "discrete"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cxroi_dist_kind kind = CXROI_DIST_FIXED;
        assert_true(cxroi_dist_kind_from_name(names[i], &kind));
        assert_int_equal(kind, (cxroi_dist_kind)(i + 1));
        assert_string_equal(cxroi_dist_kind_name(kind), names[i]);
    }
    assert_string_equal(cxroi_dist_kind_name(CXROI_DIST_FIXED), "fixed");
    assert_string_equal(cxroi_dist_kind_name((cxroi_dist_kind)99), "unknown");
}

static void test_dist_kind_from_name_rejects_unknown(void **state)
{
    (void)state;
    cxroi_dist_kind kind = CXROI_DIST_BETA;
    /* a plain number is written as a number, never as `dist: fixed` */
    assert_false(cxroi_dist_kind_from_name("fixed", &kind));
    assert_false(cxroi_dist_kind_from_name("PERT", &kind)); /* YAML keys are case-sensitive */
    assert_false(cxroi_dist_kind_from_name("gamma", &kind));
    assert_false(cxroi_dist_kind_from_name("", &kind));
    assert_false(cxroi_dist_kind_from_name(NULL, &kind));
    assert_int_equal(kind, CXROI_DIST_BETA); /* untouched on failure */
}

static void test_dist_fixed_is_a_point(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init_fixed(&d, 0.0735);
    assert_valid(&d);
    assert_false(cxroi_dist_is_uncertain(&d));
    assert_true(cxroi_dist_mean(&d) == 0.0735);
    assert_true(cxroi_dist_sd(&d) == 0.0);
    assert_true(cxroi_dist_base(&d) == 0.0735);
    assert_true(cxroi_dist_quantile(&d, 0.0) == 0.0735);
    assert_true(cxroi_dist_quantile(&d, 0.3141) == 0.0735);
    assert_true(cxroi_dist_quantile(&d, 1.0) == 0.0735);
    double lo, hi;
    cxroi_dist_support(&d, &lo, &hi);
    assert_true(lo == 0.0735 && hi == 0.0735);
}

static void test_dist_init_sets_pert_default_lambda(void **state)
{
    (void)state;
    cxroi_dist d;
    memset(&d, 0xff, sizeof(d));
    cxroi_dist_init(&d, CXROI_DIST_PERT);
    assert_int_equal(d.kind, CXROI_DIST_PERT);
    assert_true(d.lambda == 4.0); /* SPEC.md: optional lambda = 4 */
    assert_false(d.has_min || d.has_max || d.has_base);
    assert_null(d.values);
    assert_null(d.probs);
    assert_int_equal(d.n_values, 0);
}

static void test_dist_copy_is_deep(void **state)
{
    (void)state;
    cxroi_dist src;
    cxroi_dist_init(&src, CXROI_DIST_DISCRETE);
    src.n_values = 2;
    src.values = malloc(2 * sizeof(double));
    src.probs = malloc(2 * sizeof(double));
    assert_non_null(src.values);
    assert_non_null(src.probs);
    src.values[0] = 10.0735;
    src.values[1] = 20.5;
    src.probs[0] = 0.375;
    src.probs[1] = 0.625;
    src.has_base = true;
    src.base = 15.0;

    cxroi_dist dst;
    assert_int_equal(cxroi_dist_copy(&dst, &src), 0);
    assert_ptr_not_equal(dst.values, src.values);
    assert_ptr_not_equal(dst.probs, src.probs);
    src.values[0] = -1.0;
    src.probs[0] = 0.0;
    cxroi_dist_clear(&src);
    /* dst still holds the original numbers after src was changed and freed */
    assert_true(dst.values[0] == 10.0735 && dst.values[1] == 20.5);
    assert_true(dst.probs[0] == 0.375 && dst.probs[1] == 0.625);
    assert_true(dst.has_base && dst.base == 15.0);
    assert_valid(&dst);
    cxroi_dist_clear(&dst);
    assert_int_equal(dst.kind, CXROI_DIST_FIXED);
    assert_true(dst.value == 0.0);
    assert_null(dst.values);

    /* non-discrete kinds are copied by value */
    cxroi_dist pert = make3(CXROI_DIST_PERT, 1, 3, 8), pert_copy;
    assert_int_equal(cxroi_dist_copy(&pert_copy, &pert), 0);
    assert_true(cxroi_dist_mean(&pert_copy) == cxroi_dist_mean(&pert));
    assert_null(pert_copy.values);
    cxroi_dist_clear(&pert_copy);
    cxroi_dist_clear(NULL); /* accepted */
}

static void test_dist_copy_reports_out_of_memory(void **state)
{
    (void)state;
    /* A size whose byte count overflows size_t can never be allocated: the failure path
     * runs without exhausting the machine's memory. The arrays are never read. */
    double dummy = 1.0;
    cxroi_dist src = make_discrete(&dummy, &dummy, SIZE_MAX / 4);
    cxroi_dist dst;
    assert_int_equal(cxroi_dist_copy(&dst, &src), -1);
    assert_int_equal(dst.kind, CXROI_DIST_FIXED);
    assert_true(dst.value == 0.0);
    assert_null(dst.values);
    assert_null(dst.probs);
}

/* ---- Moments and quantiles by family ----------------------------------------------- */

static void test_dist_uniform_moments_and_quantile(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_UNIFORM, 0.0735, 0, 1.2907);
    assert_valid(&d);
    assert_true(cxroi_dist_is_uncertain(&d));
    /* mean = (0.0735 + 1.2907) / 2 = 0.6821 */
    assert_close(cxroi_dist_mean(&d), 0.6821, 1e-15);
    /* sd = 1.2172 / sqrt(12) = 0.35137537382880624 (mpmath) */
    assert_close(cxroi_dist_sd(&d), 0.35137537382880624, 1e-15);
    /* q(p) = min + p (max - min): 0.0735 + 0.3141 * 1.2172 = 0.45582252 */
    assert_close(cxroi_dist_quantile(&d, 0.3141), 0.45582252, 1e-15);
    assert_true(cxroi_dist_quantile(&d, 0.0) == 0.0735);
    assert_true(cxroi_dist_quantile(&d, 1.0) == 1.2907);
}

static void test_dist_triangular_moments_and_quantile(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    assert_valid(&d);
    /* mean = (1 + 3 + 8) / 3 = 4 */
    assert_close(cxroi_dist_mean(&d), 4.0, 1e-15);
    /* var = (1 + 9 + 64 - 3 - 8 - 24) / 18 = 39/18; sd = 1.4719601443879745 (mpmath) */
    assert_close(cxroi_dist_sd(&d), 1.4719601443879745, 1e-15);
    /* F(mode) = (3 - 1)/(8 - 1) = 2/7. Below: q = 1 + sqrt(p * 7 * 2), p = 0.0735:
     * 1 + sqrt(1.029) = 2.0143963722332607 (mpmath). Above: q = 8 - sqrt((1 - p) * 7 * 5),
     * p = 0.9265: 8 - sqrt(2.5725) = 6.3960985067654560 (mpmath). */
    assert_close(cxroi_dist_quantile(&d, 0.0735), 2.0143963722332607, 1e-14);
    assert_close(cxroi_dist_quantile(&d, 0.9265), 6.3960985067654560, 1e-14);
    /* both branches meet at the mode */
    assert_close(cxroi_dist_quantile(&d, 2.0 / 7.0), 3.0, 1e-14);
}

static void test_dist_pert_moments(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1, 3, 8);
    assert_valid(&d);
    /* mean = (1 + 4*3 + 8) / 6 = 21/6 = 3.5 */
    assert_close(cxroi_dist_mean(&d), 3.5, 1e-15);
    /* alpha = 1 + 4*2/7 = 15/7, beta = 1 + 4*5/7 = 27/7, alpha + beta = 6:
     * var = 7^2 (15/7)(27/7) / (6^2 * 7) = 405 / 252 = 45/28; the PERT identity
     * var = (mean - min)(max - mean) / (lambda + 3) = 2.5 * 4.5 / 7 = 45/28 agrees.
     * sd = sqrt(45/28) = 1.2677313820927749 (mpmath). */
    assert_close(cxroi_dist_sd(&d), 1.2677313820927749, 1e-15);
    double alpha, beta;
    cxroi_dist_pert_shape(&d, &alpha, &beta);
    assert_close(alpha, 15.0 / 7.0, 1e-15);
    assert_close(beta, 27.0 / 7.0, 1e-15);

    /* lambda 3: mean = (0.0735 + 3 * 0.1 + 0.2) / 5 = 0.1147 */
    cxroi_dist l3 = make3(CXROI_DIST_PERT, 0.0735, 0.1, 0.2);
    l3.lambda = 3.0;
    assert_valid(&l3);
    assert_close(cxroi_dist_mean(&l3), 0.1147, 1e-15);
}

/* Beta(3, 3) CDF: I_u(3, 3) = 10u^3 - 15u^4 + 6u^5 (integral of 30 u^2 (1 - u)^2). */
static double beta33_cdf(double u)
{
    return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u);
}

/* Beta(2, 4) CDF: I_u(2, 4) = 1 - (1 - u)^5 - 5u(1 - u)^4 (binomial sum, n = 5, j >= 2). */
static double beta24_cdf(double u)
{
    double v = 1.0 - u;
    return 1.0 - pow(v, 5) - 5.0 * u * pow(v, 4);
}

static void test_dist_pert_quantile_matches_polynomial_cdf(void **state)
{
    (void)state;
    /* PERT(2, 5, 8): alpha = beta = 1 + 4 * 3/6 = 3, symmetric, median = mode = 5 */
    cxroi_dist sym = make3(CXROI_DIST_PERT, 2, 5, 8);
    assert_valid(&sym);
    assert_close(cxroi_dist_quantile(&sym, 0.5), 5.0, 1e-14);
    /* PERT(10, 15, 30): alpha = 1 + 4 * 5/20 = 2, beta = 1 + 4 * 15/20 = 4 */
    cxroi_dist skew = make3(CXROI_DIST_PERT, 10, 15, 30);
    assert_valid(&skew);
    const double ps[] = {1e-9, 0.0735, 0.3141, 0.5, 0.8623, 0.9265, 1 - 1e-9};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        double p = ps[i];
        /* The quantile, put back through the exact polynomial CDF, gives p; 1e-12 relative
         * of the smaller tail allows for the inverse's Newton tolerance (GSL aims at
         * ~1e-15) and the rounding of the polynomial. */
        double tail = fmin(p, 1 - p);
        double u = (cxroi_dist_quantile(&sym, p) - 2.0) / 6.0;
        double f = beta33_cdf(u);
        assert_true(fabs((p <= 0.5 ? f : 1 - f) - tail) <= 1e-9 * tail + 1e-15);
        u = (cxroi_dist_quantile(&skew, p) - 10.0) / 20.0;
        f = beta24_cdf(u);
        assert_true(fabs((p <= 0.5 ? f : 1 - f) - tail) <= 1e-9 * tail + 1e-15);
    }
}

static void test_dist_normal_published_quantile(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(0.0735, 1.4142);
    assert_valid(&d);
    assert_true(cxroi_dist_mean(&d) == 0.0735);
    assert_true(cxroi_dist_sd(&d) == 1.4142);
    /* z_0.9 = 1.2815515655446004 (Abramowitz & Stegun 26.2.23 table; mpmath agrees) */
    assert_close(cxroi_dist_quantile(&d, 0.9), 0.0735 + 1.4142 * 1.2815515655446004, 1e-15);
    assert_close(cxroi_dist_quantile(&d, 0.5), 0.0735, 1e-15);
    double lo, hi;
    cxroi_dist_support(&d, &lo, &hi);
    assert_true(isinf(lo) && lo < 0 && isinf(hi) && hi > 0);
    assert_true(isinf(cxroi_dist_quantile(&d, 0.0)) && isinf(cxroi_dist_quantile(&d, 1.0)));
}

static void test_dist_normal_truncated_at_mean_is_half_normal(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(0.0, 1.0);
    d.has_min = true;
    d.min = 0.0;
    assert_valid(&d);
    /* half-normal: mean sqrt(2/pi), sd sqrt(1 - 2/pi), median z_0.75 (published values) */
    assert_close(cxroi_dist_mean(&d), 0.7978845608028654, 1e-15);
    assert_close(cxroi_dist_sd(&d), 0.6028102749890870, 1e-15);
    assert_close(cxroi_dist_quantile(&d, 0.5), 0.6744897501960817, 1e-15);
    assert_true(cxroi_dist_quantile(&d, 0.0) == 0.0);
}

static void test_dist_normal_far_tail_truncation(void **state)
{
    (void)state;
    /* Truncated to [mean + 5 sd, mean + 6 sd]: mass 2.9e-7, which 1 - Phi would lose.
     * References: mpmath, mean = mu + sd (phi(a) - phi(b)) / Z etc. at 50 digits, with the
     * bounds taken as the same doubles. Tolerances: mean and quantiles 1e-13 relative
     * (what double precision allows); sd 1e-11, because 1 + (a phi(a) - b phi(b))/Z - m^2
     * cancels about a^4 = 625 ulps in a far tail. */
    cxroi_dist d = make_normal(0.0735, 1.9);
    d.has_min = d.has_max = true;
    d.min = 0.0735 + 5 * 1.9;
    d.max = 0.0735 + 6 * 1.9;
    assert_valid(&d);
    assert_rel(cxroi_dist_mean(&d), 9.9214794719066289, 1e-13);
    assert_rel(cxroi_dist_sd(&d), 0.32607249972088078, 1e-11);
    assert_rel(cxroi_dist_quantile(&d, 0.0735), 9.6013284754730464, 1e-13);
    assert_rel(cxroi_dist_quantile(&d, 0.5), 9.8231063502394457, 1e-13);
    assert_rel(cxroi_dist_quantile(&d, 0.9265), 10.474352316740105, 1e-13);

    /* the mirror image: (-inf, mean - 5 sd], standard normal (mpmath) */
    cxroi_dist lower = make_normal(0.0, 1.0);
    lower.has_max = true;
    lower.max = -5.0;
    assert_valid(&lower);
    assert_rel(cxroi_dist_mean(&lower), -5.1865039671258421, 1e-13);
    assert_rel(cxroi_dist_sd(&lower), 0.18082155462530518, 1e-11);
    assert_rel(cxroi_dist_quantile(&lower, 0.9265), -5.014699059151147, 1e-13);

    /* one-sided [8, inf): mass 6.2e-16, below one ulp of 1 (mpmath) */
    cxroi_dist far = make_normal(0.0, 1.0);
    far.has_min = true;
    far.min = 8.0;
    assert_valid(&far);
    assert_rel(cxroi_dist_mean(&far), 8.1213681122361127, 1e-13);
    assert_rel(cxroi_dist_sd(&far), 0.119686605112439, 1e-10);
    assert_rel(cxroi_dist_quantile(&far, 0.5), 8.0849110073915441, 1e-13);
}

static void test_dist_normal_two_sided_and_narrow_truncation(void **state)
{
    (void)state;
    /* benefits ~ normal(900e3, 150e3) cut to [0, 1.2e6] (mpmath); 1e-13 relative */
    cxroi_dist d = make_normal(900e3, 150e3);
    d.has_min = d.has_max = true;
    d.min = 0.0;
    d.max = 1.2e6;
    assert_valid(&d);
    assert_rel(cxroi_dist_mean(&d), 891712.82152238432, 1e-13);
    assert_rel(cxroi_dist_sd(&d), 141227.36282490168, 1e-13);
    assert_rel(cxroi_dist_quantile(&d, 0.0735), 680653.20043380716, 1e-13);
    assert_rel(cxroi_dist_quantile(&d, 0.5), 895722.46119691345, 1e-13);

    /* [0.3, 0.3000001] sd: nearly uniform, sd ~ width / sqrt(12). Phi(b) - Phi(a) keeps
     * only 9 digits here; the series path keeps them all (mpmath). 1e-12 relative. */
    cxroi_dist narrow = make_normal(0.0, 1.0);
    narrow.has_min = narrow.has_max = true;
    narrow.min = 0.3;
    narrow.max = 0.3000001;
    assert_valid(&narrow);
    assert_rel(cxroi_dist_mean(&narrow), 0.30000004999999974, 1e-14);
    assert_rel(cxroi_dist_sd(&narrow), 2.8867513460311387e-8, 1e-12);
    assert_rel(cxroi_dist_quantile(&narrow, 0.0735), 0.30000000734999989, 1e-14);
}

static void test_dist_normal_truncation_quantile_in_bounds(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(0.0735, 1.9);
    d.has_min = d.has_max = true;
    d.min = 0.0735 + 5 * 1.9;
    d.max = 0.0735 + 6 * 1.9;
    double prev = -INFINITY;
    /* monotone, within [min, max], ends exact */
    for (int i = 0; i <= 1000; i++) {
        double q = cxroi_dist_quantile(&d, i / 1000.0);
        assert_true(q >= d.min && q <= d.max);
        assert_true(q >= prev);
        prev = q;
    }
    assert_true(cxroi_dist_quantile(&d, 0.0) == d.min);
    assert_true(cxroi_dist_quantile(&d, 1.0) == d.max);
    assert_true(isnan(cxroi_dist_quantile(&d, -0.0735)));
    assert_true(isnan(cxroi_dist_quantile(&d, 1.0735)));
    assert_true(isnan(cxroi_dist_quantile(&d, NAN)));
}

static void test_dist_lognormal_parameter_round_trip(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_LOGNORMAL);
    d.mean = 2.0;
    d.sd = 1.5;
    assert_valid(&d);
    assert_true(cxroi_dist_mean(&d) == 2.0 && cxroi_dist_sd(&d) == 1.5);
    double mu, sigma;
    cxroi_dist_lognormal_log_params(&d, &mu, &sigma);
    /* back: E = exp(mu + sigma^2/2), SD = E sqrt(exp(sigma^2) - 1); a few ulps */
    double e = exp(mu + 0.5 * sigma * sigma);
    assert_close(e, 2.0, 1e-15);
    assert_close(e * sqrt(expm1(sigma * sigma)), 1.5, 1e-15);
    /* median = exp(mu) = m / sqrt(1 + s^2/m^2) = 2 / sqrt(1.5625) = 2 / 1.25 = 1.6 */
    assert_close(cxroi_dist_quantile(&d, 0.5), 1.6, 1e-15);
    /* q(0.9) = 1.6 exp(sqrt(ln 1.5625) z_0.9) = 3.7664789660337356 (mpmath) */
    assert_close(cxroi_dist_quantile(&d, 0.9), 3.7664789660337356, 1e-14);
    assert_close(cxroi_dist_quantile(&d, 0.0735), 0.60725585639739347, 1e-14);
    double lo, hi;
    cxroi_dist_support(&d, &lo, &hi);
    assert_true(lo == 0.0 && isinf(hi));

    /* sd << mean: sigma = sqrt(ln(1 + 1e-12)) = 1e-6 (1 - 2.5e-13); log(1 + x) without
     * log1p would be 8.9e-5 off here, so 1e-12 relative tells them apart. */
    d.mean = 1e6;
    d.sd = 1.0;
    cxroi_dist_lognormal_log_params(&d, &mu, &sigma);
    assert_rel(sigma, 1e-6 * (1 - 2.5e-13), 1e-12);
}

static void test_dist_beta_moments_and_quantile(void **state)
{
    (void)state;
    /* Beta(2, 4) on [10, 30] is PERT(10, 15, 30): mean 10 + 20 * 2/6 = 16.666...,
     * var = 400 * 8 / (36 * 7) = 12.698412698412698, sd 3.5634832254989918 (mpmath) */
    cxroi_dist d = make_beta(2, 4);
    d.has_min = d.has_max = true;
    d.min = 10;
    d.max = 30;
    assert_valid(&d);
    assert_close(cxroi_dist_mean(&d), 50.0 / 3.0, 1e-15);
    assert_close(cxroi_dist_sd(&d), 3.5634832254989918, 1e-15);
    cxroi_dist pert = make3(CXROI_DIST_PERT, 10, 15, 30);
    assert_close(cxroi_dist_quantile(&d, 0.3141), cxroi_dist_quantile(&pert, 0.3141), 1e-15);
    assert_true(fabs(beta24_cdf((cxroi_dist_quantile(&d, 0.3141) - 10) / 20) - 0.3141) < 1e-12);

    /* Beta(1/2, 1/2) on the default [0, 1] is the arcsine law: q(p) = sin^2(pi p / 2),
     * mean 1/2, var 1/8 */
    cxroi_dist arcsine = make_beta(0.5, 0.5);
    assert_valid(&arcsine);
    assert_close(cxroi_dist_mean(&arcsine), 0.5, 1e-15);
    assert_close(cxroi_dist_sd(&arcsine), sqrt(0.125), 1e-15);
    double s = sin(M_PI * 0.0735 / 2);
    assert_close(cxroi_dist_quantile(&arcsine, 0.0735), s * s, 1e-13);
    double lo, hi;
    cxroi_dist_support(&arcsine, &lo, &hi);
    assert_true(lo == 0.0 && hi == 1.0);

    /* only max given: scale [0, max] */
    cxroi_dist upto = make_beta(2, 4);
    upto.has_max = true;
    upto.max = 90;
    assert_valid(&upto);
    assert_close(cxroi_dist_mean(&upto), 30.0, 1e-14);
}

static void test_dist_beta_quantile_extreme_shapes(void **state)
{
    (void)state;
    /* Beta(0.01, 1): F(x) = x^0.01, so q(0.5) = 0.5^100 = 7.888609052210118e-31;
     * gsl_cdf_beta_Pinv alone returns NaN here. */
    cxroi_dist tiny = make_beta(0.01, 1);
    assert_valid(&tiny);
    assert_rel(cxroi_dist_quantile(&tiny, 0.5), pow(0.5, 100), 1e-13);
    assert_rel(cxroi_dist_quantile(&tiny, 0.0735), pow(0.0735, 100), 1e-12);
    /* Beta(1e4, 1e4) tails (GSL alone: NaN): the CDF at the answer gives p back */
    cxroi_dist peaked = make_beta(1e4, 1e4);
    double x = cxroi_dist_quantile(&peaked, 1e-6);
    assert_true(x > 0.45 && x < 0.5);
    assert_rel(gsl_cdf_beta_P(x, 1e4, 1e4), 1e-6, 1e-9);
    x = cxroi_dist_quantile(&peaked, 1 - 1e-6);
    assert_rel(gsl_cdf_beta_Q(x, 1e4, 1e4), 1e-6, 1e-9);
}

static void test_dist_discrete_moments_and_quantile_steps(void **state)
{
    (void)state;
    double values[] = {10, 20, 35};
    double probs[] = {0.2, 0.5, 0.3};
    cxroi_dist d = make_discrete(values, probs, 3);
    assert_valid(&d);
    assert_true(cxroi_dist_is_uncertain(&d));
    /* mean = 2 + 10 + 10.5 = 22.5; var = 0.2*12.5^2 + 0.5*2.5^2 + 0.3*12.5^2 = 81.25 */
    assert_close(cxroi_dist_mean(&d), 22.5, 1e-15);
    assert_close(cxroi_dist_sd(&d), sqrt(81.25), 1e-15);
    /* F = 0.2 at 10, 0.7 at 20, 1 at 35; the quantile is the smallest value reaching p */
    assert_true(cxroi_dist_quantile(&d, 0.0) == 10);
    assert_true(cxroi_dist_quantile(&d, 0.0735) == 10);
    assert_true(cxroi_dist_quantile(&d, 0.2) == 10);
    assert_true(cxroi_dist_quantile(&d, 0.2001) == 20);
    assert_true(cxroi_dist_quantile(&d, 0.7) == 20); /* 0.2 + 0.5 rounds; still 20 */
    assert_true(cxroi_dist_quantile(&d, 0.7001) == 35);
    assert_true(cxroi_dist_quantile(&d, 1.0) == 35);

    /* the same law listed out of order gives the same steps */
    double uv[] = {35, 10, 20};
    double up[] = {0.3, 0.2, 0.5};
    cxroi_dist u = make_discrete(uv, up, 3);
    assert_valid(&u);
    const double ps[] = {0.0, 0.0735, 0.2, 0.2001, 0.7, 0.7001, 0.9265, 1.0};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_true(cxroi_dist_quantile(&u, ps[i]) == cxroi_dist_quantile(&d, ps[i]));
    assert_close(cxroi_dist_mean(&u), 22.5, 1e-15);

    /* 0.7 + 0.1 rounds to 0.7999999999999999 < 0.8: the step at p = 0.8 still belongs to
     * the second value (within the 1e-12 slack), in sorted and unsorted lists alike */
    double rv[] = {1, 2, 3};
    double rp[] = {0.7, 0.1, 0.2};
    cxroi_dist r = make_discrete(rv, rp, 3);
    assert_valid(&r);
    assert_true(cxroi_dist_quantile(&r, 0.8) == 2);
    assert_true(cxroi_dist_quantile(&r, 0.8000001) == 3);
    double rv2[] = {3, 1, 2};
    double rp2[] = {0.2, 0.7, 0.1};
    cxroi_dist r2 = make_discrete(rv2, rp2, 3);
    assert_true(cxroi_dist_quantile(&r2, 0.8) == 2);

    /* zero-probability values are outside the support */
    double zv[] = {5, 10, 20};
    double zp[] = {0, 0.6, 0.4};
    cxroi_dist z = make_discrete(zv, zp, 3);
    double lo, hi;
    cxroi_dist_support(&z, &lo, &hi);
    assert_true(lo == 10 && hi == 20);
    assert_true(cxroi_dist_quantile(&z, 0.0) == 10);
    assert_true(cxroi_dist_quantile(&z, 1e-13) == 10); /* below the 1e-12 slack */
    double zv2[] = {20, 5, 10};
    double zp2[] = {0.4, 0, 0.6};
    cxroi_dist z2 = make_discrete(zv2, zp2, 3);
    assert_true(cxroi_dist_quantile(&z2, 1e-13) == 10);
    assert_true(cxroi_dist_quantile(&z2, 0.0) == 10);
    assert_true(cxroi_dist_quantile(&z, 0.6) == 10);
    assert_true(cxroi_dist_quantile(&z, 0.61) == 20);

    /* A batch of a sorted list (drawn without a search) against the same law unsorted
     * (searched draw by draw), on a grid through every step and at the steps +- 1e-12. */
    double bv[] = {-3.5, -1, 0, 2.25, 7, 11};
    double bp[] = {0.1375, 0.2, 0, 0.4125, 0.15, 0.1};
    double sv[] = {7, 0, -3.5, 11, 2.25, -1};
    double sp[] = {0.15, 0, 0.1375, 0.1, 0.4125, 0.2};
    cxroi_dist b = make_discrete(bv, bp, 6), bs = make_discrete(sv, sp, 6);
    assert_valid(&b);
    assert_valid(&bs);
    enum { NB = 4000 };
    double pb[NB], xb[NB];
    for (size_t i = 0; i < NB - 10; i++)
        pb[i] = (double)i / (NB - 11);
    const double steps[] = {0.1375, 0.3375, 0.75, 0.9};
    for (size_t i = 0; i < 4; i++) {
        pb[NB - 10 + 2 * i] = steps[i] + 1.5e-12;
        pb[NB - 9 + 2 * i] = steps[i] - 1.5e-12;
    }
    pb[NB - 2] = NAN;
    pb[NB - 1] = 1.0;
    cxroi_dist_quantiles(&b, pb, xb, NB);
    for (size_t i = 0; i < NB - 2; i++)
        assert_true(xb[i] == cxroi_dist_quantile(&bs, pb[i]));
    assert_true(isnan(xb[NB - 2]));
    assert_true(xb[NB - 1] == 11);
}

static void test_dist_degenerate_is_not_uncertain(void **state)
{
    (void)state;
    double one_v[] = {7.35};
    double one_p[] = {1.0};
    cxroi_dist one = make_discrete(one_v, one_p, 1);
    assert_valid(&one);
    assert_false(cxroi_dist_is_uncertain(&one));
    assert_true(cxroi_dist_sd(&one) == 0.0);

    double same_v[] = {3, 3};
    double same_p[] = {0.5, 0.5};
    cxroi_dist same = make_discrete(same_v, same_p, 2);
    assert_false(cxroi_dist_is_uncertain(&same));

    double zero_v[] = {3, 4};
    double zero_p[] = {1, 0};
    cxroi_dist zero = make_discrete(zero_v, zero_p, 2);
    assert_false(cxroi_dist_is_uncertain(&zero));

    cxroi_dist flat = make3(CXROI_DIST_UNIFORM, 2, 0, 2); /* rejected by check */
    assert_false(cxroi_dist_is_uncertain(&flat));

    cxroi_dist tri = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    cxroi_dist normal = make_normal(0, 0.0735);
    cxroi_dist beta = make_beta(2, 3);
    assert_true(cxroi_dist_is_uncertain(&tri));
    assert_true(cxroi_dist_is_uncertain(&normal));
    assert_true(cxroi_dist_is_uncertain(&beta));
}

static void test_dist_base_defaults_to_mean(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1, 3, 8);
    assert_close(cxroi_dist_base(&d), 3.5, 1e-15);
    d.has_base = true;
    d.base = 3.0735;
    assert_valid(&d);
    assert_true(cxroi_dist_base(&d) == 3.0735);
}

/* ---- Mean and sd agree with the quantile function ---------------------------------- */

typedef struct moment_arg {
    const cxroi_dist *d;
    double center;
    int power;
} moment_arg;

static double quantile_moment(double p, void *params)
{
    const moment_arg *a = params;
    double x = cxroi_dist_quantile(a->d, p) - a->center;
    return a->power == 1 ? x : x * x;
}

static void test_dist_moments_agree_with_quantile_integral(void **state)
{
    (void)state;
    /* E[X] = int_0^1 q(p) dp and Var X = int_0^1 (q(p) - mean)^2 dp: an independent route
     * (adaptive quadrature of the inverse CDF) to every closed-form moment. GSL's QAGS,
     * asked for 1e-10, handles the integrable end singularities of unbounded laws;
     * checked to 1e-8 relative. */
    cxroi_dist cases[9];
    cases[0] = make3(CXROI_DIST_UNIFORM, 0.0735, 0, 1.2907);
    cases[1] = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    cases[2] = make3(CXROI_DIST_PERT, 1.8e6, 2.0e6, 2.8e6);
    cases[3] = make_normal(900e3, 150e3);
    cases[4] = make_normal(0.0735, 1.9);
    cases[4].has_min = cases[4].has_max = true;
    cases[4].min = 0.0735 + 5 * 1.9;
    cases[4].max = 0.0735 + 6 * 1.9;
    cases[5] = make_normal(0.02, 0.0735);
    cases[5].has_min = true;
    cases[5].min = 0.0;
    cases[6] = make_beta(0.7, 2.3);
    cases[6].has_min = cases[6].has_max = true;
    cases[6].min = -0.05;
    cases[6].max = 0.25;
    cases[7] = make_normal(0.0, 1.0);
    cases[7].has_min = cases[7].has_max = true;
    cases[7].min = -0.5;
    cases[7].max = 0.6;
    cxroi_dist_init(&cases[8], CXROI_DIST_LOGNORMAL);
    cases[8].mean = 2.0;
    cases[8].sd = 0.5;

    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    assert_non_null(w);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_valid(&cases[i]);
        double mean = cxroi_dist_mean(&cases[i]), sd = cxroi_dist_sd(&cases[i]);
        moment_arg arg = {&cases[i], 0.0, 1};
        gsl_function f = {quantile_moment, &arg};
        double result, abserr;
        assert_int_equal(gsl_integration_qags(&f, 0, 1, 0, 1e-10, 1000, w, &result, &abserr),
                         GSL_SUCCESS);
        assert_true(fabs(result - mean) <= 1e-8 * fabs(mean));
        arg.center = mean;
        arg.power = 2;
        assert_int_equal(gsl_integration_qags(&f, 0, 1, 0, 1e-10, 1000, w, &result, &abserr),
                         GSL_SUCCESS);
        if (!(fabs(sqrt(result) - sd) <= 1e-8 * sd))
            print_error("case %zu: sd %.17g, integral %.17g\n", i, sd, sqrt(result));
        assert_true(fabs(sqrt(result) - sd) <= 1e-8 * sd);
    }
    gsl_integration_workspace_free(w);
}

/* ---- Checks: one test per message -------------------------------------------------- */

static void test_dist_check_unknown_kind(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init(&d, (cxroi_dist_kind)99);
    assert_invalid(&d, "dist",
                   "expected one of uniform, triangular, pert, normal, lognormal, beta, "
                   "discrete, found kind 99");
}

static void test_dist_check_fixed_not_finite(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init_fixed(&d, NAN);
    assert_invalid(&d, "value", "expected value to be a finite number, found nan");
}

static void test_dist_check_bound_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_UNIFORM, INFINITY, 0, 1);
    assert_invalid(&d, "min", "expected min to be a finite number, found inf");
    d = make3(CXROI_DIST_TRIANGULAR, 0, 0.5, -INFINITY);
    assert_invalid(&d, "max", "expected max to be a finite number, found -inf");
}

static void test_dist_check_max_not_above_min(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_UNIFORM, 0.0735, 0, 0.0735);
    assert_invalid(&d, "max", "expected max greater than min (0.0735), found 0.0735");
    d = make3(CXROI_DIST_PERT, 2.8e6, 2e6, 1.8e6);
    assert_invalid(&d, "max", "expected max greater than min (2800000), found 1800000");
}

static void test_dist_check_mode_outside_bounds(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 10, 25, 20);
    assert_invalid(&d, "mode", "expected mode between min (10) and max (20), found 25");
    d = make3(CXROI_DIST_PERT, 0.005, 0.0049, 0.03);
    assert_invalid(&d, "mode", "expected mode between min (0.005) and max (0.03), found 0.0049");
}

static void test_dist_check_mode_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1, NAN, 8);
    assert_invalid(&d, "mode", "expected mode to be a finite number, found nan");
}

static void test_dist_check_lambda_not_positive(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1, 3, 8);
    d.lambda = 0.0;
    assert_invalid(&d, "lambda", "expected lambda > 0, found 0");
    d.lambda = -0.0735;
    assert_invalid(&d, "lambda", "expected lambda > 0, found -0.0735");
}

static void test_dist_check_lambda_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1, 3, 8);
    d.lambda = INFINITY;
    assert_invalid(&d, "lambda", "expected lambda to be a finite number, found inf");
}

static void test_dist_check_normal_mean_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(NAN, 1);
    assert_invalid(&d, "mean", "expected mean to be a finite number, found nan");
}

static void test_dist_check_sd_not_positive(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(900e3, -0.0735);
    assert_invalid(&d, "sd", "expected sd > 0, found -0.0735");
    d.sd = 0.0;
    assert_invalid(&d, "sd", "expected sd > 0, found 0");
}

static void test_dist_check_truncation_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(0, 1);
    d.has_min = true;
    d.min = NAN;
    assert_invalid(&d, "min", "expected min to be a finite number, found nan");
    d.min = 0;
    d.has_max = true;
    d.max = INFINITY;
    assert_invalid(&d, "max", "expected max to be a finite number, found inf");
}

static void test_dist_check_truncation_unordered(void **state)
{
    (void)state;
    cxroi_dist d = make_normal(0, 1);
    d.has_min = d.has_max = true;
    d.min = 0.5;
    d.max = 0.0735;
    assert_invalid(&d, "max", "expected max greater than min (0.5), found 0.0735");
}

static void test_dist_check_truncation_without_mass(void **state)
{
    (void)state;
    /* (0.5 - 0.0735) / 0.01 = 42.65 sd above the mean: Phi mass ~1e-396, not a double */
    cxroi_dist d = make_normal(0.0735, 0.01);
    d.has_min = true;
    d.min = 0.5;
    assert_invalid(&d, "min",
                   "expected truncation bounds holding probability mass, found min 0.5, "
                   "42.6 sd above the mean (0.0735)");
    /* and on the other side the bound below the mean is blamed */
    d.has_min = false;
    d.has_max = true;
    d.max = -0.4012; /* (-0.4012 - 0.0735) / 0.01 = -47.47 */
    assert_invalid(&d, "max",
                   "expected truncation bounds holding probability mass, found max -0.4012, "
                   "47.5 sd below the mean (0.0735)");
    /* 37 sd still holds a representable mass (Q(37) ~ 5.7e-300) and is accepted */
    d.max = 0.0735 - 37 * 0.01;
    assert_valid(&d);
}

static void test_dist_check_lognormal_mean_not_positive(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_LOGNORMAL);
    d.mean = -2.0;
    d.sd = 1.5;
    assert_invalid(&d, "mean", "expected mean > 0, found -2");
}

static void test_dist_check_lognormal_sd_not_positive(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init(&d, CXROI_DIST_LOGNORMAL);
    d.mean = 2.0;
    d.sd = 0.0;
    assert_invalid(&d, "sd", "expected sd > 0, found 0");
}

static void test_dist_check_beta_shape_not_positive(void **state)
{
    (void)state;
    cxroi_dist d = make_beta(0, 2);
    assert_invalid(&d, "alpha", "expected alpha > 0, found 0");
    d = make_beta(2, -0.0735);
    assert_invalid(&d, "beta", "expected beta > 0, found -0.0735");
    d = make_beta(NAN, 2);
    assert_invalid(&d, "alpha", "expected alpha to be a finite number, found nan");
}

static void test_dist_check_beta_scale_unordered(void **state)
{
    (void)state;
    cxroi_dist d = make_beta(2, 3);
    d.has_min = d.has_max = true;
    d.min = 5;
    d.max = 5;
    assert_invalid(&d, "max", "expected max greater than min (5), found 5");
    /* only min given, above the default max 1 */
    d.has_max = false;
    d.min = 2;
    assert_invalid(&d, "min", "expected min less than max (1), found 2");
    d.min = NAN;
    assert_invalid(&d, "min", "expected min to be a finite number, found nan");
}

static void test_dist_check_discrete_empty(void **state)
{
    (void)state;
    cxroi_dist d = make_discrete(NULL, NULL, 0);
    assert_invalid(&d, "values", "expected at least one value, found none");
}

static void test_dist_check_discrete_without_probs(void **state)
{
    (void)state;
    double values[] = {1, 2, 3};
    cxroi_dist d = make_discrete(values, NULL, 3);
    assert_invalid(&d, "probs", "expected 3 probabilities, found none");
}

static void test_dist_check_discrete_value_not_finite(void **state)
{
    (void)state;
    double values[] = {1, NAN, 3};
    double probs[] = {0.2, 0.5, 0.3};
    cxroi_dist d = make_discrete(values, probs, 3);
    assert_invalid(&d, "values", "expected values[1] to be a finite number, found nan");
}

static void test_dist_check_discrete_prob_out_of_range(void **state)
{
    (void)state;
    double values[] = {1, 2, 3};
    double probs[] = {-0.2, 0.9, 0.3};
    cxroi_dist d = make_discrete(values, probs, 3);
    assert_invalid(&d, "probs", "expected probs[0] between 0 and 1, found -0.2");
    d.probs[0] = 0.2;
    d.probs[2] = 1.3;
    assert_invalid(&d, "probs", "expected probs[2] between 0 and 1, found 1.3");
    d.probs[2] = NAN;
    assert_invalid(&d, "probs", "expected probs[2] between 0 and 1, found nan");
}

static void test_dist_check_discrete_probs_sum(void **state)
{
    (void)state;
    double values[] = {1, 2, 3};
    double probs[] = {0.2, 0.5, 0.2};
    cxroi_dist d = make_discrete(values, probs, 3);
    assert_invalid(&d, "probs",
                   "expected probs summing to 1, found a sum of 0.9; make the last one 0.3");
    /* thirds to four places: the fix is named */
    double thirds[] = {0.3333, 0.3333, 0.3333};
    cxroi_dist t = make_discrete(values, thirds, 3);
    assert_invalid(&t, "probs",
                   "expected probs summing to 1, found a sum of 0.9999; make the last one 0.3334");
    /* too much already before the last: no last probability can fix it */
    double over[] = {0.75, 0.5, 0.25};
    cxroi_dist o = make_discrete(values, over, 3);
    assert_invalid(&o, "probs", "expected probs summing to 1, found a sum of 1.5");
    /* within the stated 1e-9 of 1 is accepted, just beyond is not */
    d.probs[2] = 0.3 + 5e-10;
    assert_valid(&d);
    d.probs[2] = 0.3 + 2e-9;
    assert_false(cxroi_dist_check(&d, NULL, NULL, 0));
}

static void test_dist_check_base_not_finite(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    d.has_base = true;
    d.base = NAN;
    assert_invalid(&d, "base", "expected base to be a finite number, found nan");
}

static void test_dist_check_base_outside_support(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    d.has_base = true;
    d.base = 8.0735;
    assert_invalid(&d, "base", "expected base within the support [1, 8], found 8.0735");
    cxroi_dist ln;
    cxroi_dist_init(&ln, CXROI_DIST_LOGNORMAL);
    ln.mean = 2;
    ln.sd = 1.5;
    ln.has_base = true;
    ln.base = -0.0735;
    assert_invalid(&ln, "base", "expected base within the support [0, inf], found -0.0735");
    /* an unbounded normal accepts any finite base */
    cxroi_dist n = make_normal(0, 1);
    n.has_base = true;
    n.base = 1e300;
    assert_valid(&n);
}

static void test_dist_check_output_optional_and_truncated(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 10, 25, 20);
    assert_false(cxroi_dist_check(&d, NULL, NULL, 0));
    char small[8];
    const char *field = NULL;
    assert_false(cxroi_dist_check(&d, &field, small, sizeof(small)));
    assert_string_equal(small, "expecte");
    assert_string_equal(field, "mode");
}

/* ---- Descriptions ------------------------------------------------------------------ */

static void assert_describes(const cxroi_dist *d, const char *expected)
{
    char buf[256];
    int n = cxroi_dist_describe(d, buf, sizeof(buf));
    assert_string_equal(buf, expected);
    assert_int_equal(n, (int)strlen(expected));
}

static void test_dist_describe_each_family(void **state)
{
    (void)state;
    cxroi_dist d;
    cxroi_dist_init_fixed(&d, 0.35);
    assert_describes(&d, "fixed 0.35");
    d = make3(CXROI_DIST_UNIFORM, 0.0735, 0, 1.2907);
    assert_describes(&d, "uniform(min 0.0735, max 1.2907)");
    d = make3(CXROI_DIST_TRIANGULAR, 300e3, 350e3, 500e3);
    assert_describes(&d, "triangular(min 300000, mode 350000, max 500000)");
    d = make3(CXROI_DIST_PERT, 1.8e6, 2.0e6, 2.8e6);
    assert_describes(&d, "PERT(min 1800000, mode 2000000, max 2800000)");
    d.lambda = 3;
    assert_describes(&d, "PERT(min 1800000, mode 2000000, max 2800000, lambda 3)");
    d = make_normal(900e3, 150e3);
    assert_describes(&d, "normal(mean 900000, sd 150000)");
    d.has_min = true;
    d.min = 0;
    assert_describes(&d, "normal(mean 900000, sd 150000, min 0)");
    d.has_max = true;
    d.max = 1.2e6;
    assert_describes(&d, "normal(mean 900000, sd 150000, min 0, max 1200000)");
    cxroi_dist_init(&d, CXROI_DIST_LOGNORMAL);
    d.mean = 2;
    d.sd = 1.5;
    assert_describes(&d, "lognormal(mean 2, sd 1.5)");
    d = make_beta(0.5, 0.5);
    assert_describes(&d, "beta(alpha 0.5, beta 0.5)");
    d.has_max = true;
    d.max = 90;
    assert_describes(&d, "beta(alpha 0.5, beta 0.5, min 0, max 90)");
    double values[] = {10, 20, 35};
    double probs[] = {0.2, 0.5, 0.3};
    d = make_discrete(values, probs, 3);
    assert_describes(&d, "discrete(10: 0.2, 20: 0.5, 35: 0.3)");
    cxroi_dist_init(&d, (cxroi_dist_kind)99);
    assert_describes(&d, "unknown distribution");
}

static void test_dist_describe_base_and_long_lists(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    d.has_base = true;
    d.base = 3.5;
    assert_describes(&d, "triangular(min 1, mode 3, max 8, base 3.5)");
    double values[] = {1, 2, 3, 4, 5, 6, 7, 8};
    double probs[] = {0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125};
    d = make_discrete(values, probs, 8);
    assert_describes(&d, "discrete(1: 0.125, 2: 0.125, 3: 0.125, 4: 0.125, 5: 0.125, ... 8 "
                         "values in all)");
    cxroi_dist fixed;
    cxroi_dist_init_fixed(&fixed, 2);
    fixed.has_base = true;
    fixed.base = 3;
    assert_describes(&fixed, "fixed 2 (base 3)");
}

static void test_dist_describe_snprintf_semantics(void **state)
{
    (void)state;
    cxroi_dist d = make3(CXROI_DIST_PERT, 1.8e6, 2.0e6, 2.8e6);
    const char *full = "PERT(min 1800000, mode 2000000, max 2800000)";
    char buf[10];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(cxroi_dist_describe(&d, buf, sizeof(buf)), (int)strlen(full));
    assert_string_equal(buf, "PERT(min ");
    assert_int_equal(cxroi_dist_describe(&d, NULL, 0), (int)strlen(full));
    double values[] = {10, 20, 35};
    double probs[] = {0.2, 0.5, 0.3};
    d = make_discrete(values, probs, 3);
    char mid[16];
    assert_int_equal(cxroi_dist_describe(&d, mid, sizeof(mid)),
                     (int)strlen("discrete(10: 0.2, 20: 0.5, 35: 0.3)"));
    assert_string_equal(mid, "discrete(10: 0.");
}

/* ---- Sampling ---------------------------------------------------------------------- */

#define N_DRAWS 200000
#define SEED 20270735UL

/* Draw N_DRAWS values and compare with the closed forms. Each statistic must lie within
 * 5 standard errors of its expected value (a chance of 6e-7 per check for a correct
 * sampler; with the fixed seed the outcome is reproducible):
 *   mean: SE = sd / sqrt(n);
 *   variance: SE = sqrt((m4 - s^4) / n), m4 the sample's fourth central moment;
 *   P(X <= q(p)) at p = 0.1, 0.5, 0.9: SE = sqrt(p (1 - p) / n), which also ties the
 *   sampler (gsl_ran_*) to the quantile (gsl_cdf_*), two independent codes.
 * Every draw must lie in the support. */
static void check_sample(const cxroi_dist *d, gsl_rng *r)
{
    double *x = malloc(N_DRAWS * sizeof(double));
    assert_non_null(x);
    double lo, hi;
    cxroi_dist_support(d, &lo, &hi);
    double sum = 0.0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        x[i] = cxroi_dist_sample(d, r);
        assert_true(x[i] >= lo && x[i] <= hi);
        sum += x[i];
    }
    double n = N_DRAWS, mean = sum / n, m2 = 0.0, m4 = 0.0;
    for (size_t i = 0; i < N_DRAWS; i++) {
        double e = x[i] - mean;
        m2 += e * e;
        m4 += e * e * e * e;
    }
    m2 /= n;
    m4 /= n;
    double mu = cxroi_dist_mean(d), sd = cxroi_dist_sd(d);
    if (!(fabs(mean - mu) <= 5 * sd / sqrt(n)))
        print_error("%s: sample mean %.10g, expected %.10g\n", cxroi_dist_kind_name(d->kind), mean,
                    mu);
    assert_true(fabs(mean - mu) <= 5 * sd / sqrt(n));
    double var = m2 * n / (n - 1);
    assert_true(fabs(var - sd * sd) <= 5 * sqrt((m4 - m2 * m2) / n));
    const double ps[] = {0.1, 0.5, 0.9};
    for (size_t k = 0; k < 3; k++) {
        double q = cxroi_dist_quantile(d, ps[k]);
        size_t below = 0;
        for (size_t i = 0; i < N_DRAWS; i++)
            below += x[i] <= q;
        /* a discrete law jumps at q: compare with its F(q) = P(X <= q) instead of p */
        double target = ps[k];
        if (d->kind == CXROI_DIST_DISCRETE) {
            target = 0.0;
            for (size_t j = 0; j < d->n_values; j++)
                if (d->values[j] <= q)
                    target += d->probs[j];
        }
        double se = sqrt(target * (1 - target) / n);
        assert_true(fabs(below / n - target) <= 5 * se);
    }
    free(x);
}

static void test_dist_sample_matches_closed_forms(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, SEED);

    cxroi_dist d = make3(CXROI_DIST_UNIFORM, 0.0735, 0, 1.2907);
    check_sample(&d, r);
    d = make3(CXROI_DIST_TRIANGULAR, 1, 3, 8);
    check_sample(&d, r);
    d = make3(CXROI_DIST_PERT, 1.8e6, 2.0e6, 2.8e6);
    check_sample(&d, r);
    d = make_normal(900e3, 150e3);
    check_sample(&d, r);
    d.has_min = d.has_max = true;
    d.min = 0;
    d.max = 1e6;
    check_sample(&d, r);
    d = make_normal(0.0735, 1.9);
    d.has_min = d.has_max = true;
    d.min = 0.0735 + 5 * 1.9;
    d.max = 0.0735 + 6 * 1.9;
    check_sample(&d, r);
    cxroi_dist_init(&d, CXROI_DIST_LOGNORMAL);
    d.mean = 2;
    d.sd = 1.5;
    check_sample(&d, r);
    d = make_beta(0.7, 2.3);
    d.has_min = d.has_max = true;
    d.min = -0.05;
    d.max = 0.25;
    check_sample(&d, r);
    double values[] = {35, 10, 20};
    double probs[] = {0.3, 0.2, 0.5};
    d = make_discrete(values, probs, 3);
    check_sample(&d, r);
    gsl_rng_free(r);
}

static void test_dist_sample_fixed_draws_nothing(void **state)
{
    (void)state;
    gsl_rng *a = gsl_rng_alloc(gsl_rng_mt19937), *b = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(a);
    assert_non_null(b);
    gsl_rng_set(a, SEED);
    gsl_rng_set(b, SEED);
    cxroi_dist d;
    cxroi_dist_init_fixed(&d, 0.0735);
    assert_true(cxroi_dist_sample(&d, a) == 0.0735);
    /* the generator did not move: the next numbers agree */
    assert_true(gsl_rng_get(a) == gsl_rng_get(b));
    /* the same seed gives the same draws */
    cxroi_dist p = make3(CXROI_DIST_PERT, 1, 3, 8);
    gsl_rng_set(a, SEED);
    gsl_rng_set(b, SEED);
    for (int i = 0; i < 100; i++)
        assert_true(cxroi_dist_sample(&p, a) == cxroi_dist_sample(&p, b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

int main(void)
{
    /* as the program does: GSL reports through status values, never aborts */
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_kind_names_round_trip),
        cmocka_unit_test(test_dist_kind_from_name_rejects_unknown),
        cmocka_unit_test(test_dist_fixed_is_a_point),
        cmocka_unit_test(test_dist_init_sets_pert_default_lambda),
        cmocka_unit_test(test_dist_copy_is_deep),
        cmocka_unit_test(test_dist_copy_reports_out_of_memory),
        cmocka_unit_test(test_dist_uniform_moments_and_quantile),
        cmocka_unit_test(test_dist_triangular_moments_and_quantile),
        cmocka_unit_test(test_dist_pert_moments),
        cmocka_unit_test(test_dist_pert_quantile_matches_polynomial_cdf),
        cmocka_unit_test(test_dist_normal_published_quantile),
        cmocka_unit_test(test_dist_normal_truncated_at_mean_is_half_normal),
        cmocka_unit_test(test_dist_normal_far_tail_truncation),
        cmocka_unit_test(test_dist_normal_two_sided_and_narrow_truncation),
        cmocka_unit_test(test_dist_normal_truncation_quantile_in_bounds),
        cmocka_unit_test(test_dist_lognormal_parameter_round_trip),
        cmocka_unit_test(test_dist_beta_moments_and_quantile),
        cmocka_unit_test(test_dist_beta_quantile_extreme_shapes),
        cmocka_unit_test(test_dist_discrete_moments_and_quantile_steps),
        cmocka_unit_test(test_dist_degenerate_is_not_uncertain),
        cmocka_unit_test(test_dist_base_defaults_to_mean),
        cmocka_unit_test(test_dist_moments_agree_with_quantile_integral),
    };
    const struct CMUnitTest checks[] = {
        cmocka_unit_test(test_dist_check_unknown_kind),
        cmocka_unit_test(test_dist_check_fixed_not_finite),
        cmocka_unit_test(test_dist_check_bound_not_finite),
        cmocka_unit_test(test_dist_check_max_not_above_min),
        cmocka_unit_test(test_dist_check_mode_outside_bounds),
        cmocka_unit_test(test_dist_check_mode_not_finite),
        cmocka_unit_test(test_dist_check_lambda_not_positive),
        cmocka_unit_test(test_dist_check_lambda_not_finite),
        cmocka_unit_test(test_dist_check_normal_mean_not_finite),
        cmocka_unit_test(test_dist_check_sd_not_positive),
        cmocka_unit_test(test_dist_check_truncation_not_finite),
        cmocka_unit_test(test_dist_check_truncation_unordered),
        cmocka_unit_test(test_dist_check_truncation_without_mass),
        cmocka_unit_test(test_dist_check_lognormal_mean_not_positive),
        cmocka_unit_test(test_dist_check_lognormal_sd_not_positive),
        cmocka_unit_test(test_dist_check_beta_shape_not_positive),
        cmocka_unit_test(test_dist_check_beta_scale_unordered),
        cmocka_unit_test(test_dist_check_discrete_empty),
        cmocka_unit_test(test_dist_check_discrete_without_probs),
        cmocka_unit_test(test_dist_check_discrete_value_not_finite),
        cmocka_unit_test(test_dist_check_discrete_prob_out_of_range),
        cmocka_unit_test(test_dist_check_discrete_probs_sum),
        cmocka_unit_test(test_dist_check_base_not_finite),
        cmocka_unit_test(test_dist_check_base_outside_support),
        cmocka_unit_test(test_dist_check_output_optional_and_truncated),
    };
    const struct CMUnitTest describe[] = {
        cmocka_unit_test(test_dist_describe_each_family),
        cmocka_unit_test(test_dist_describe_base_and_long_lists),
        cmocka_unit_test(test_dist_describe_snprintf_semantics),
    };
    const struct CMUnitTest sampling[] = {
        cmocka_unit_test(test_dist_sample_matches_closed_forms),
        cmocka_unit_test(test_dist_sample_fixed_draws_nothing),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("dist", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("dist_check", checks, NULL, NULL);
    failed += cmocka_run_group_tests_name("dist_describe", describe, NULL, NULL);
    failed += cmocka_run_group_tests_name("dist_sample", sampling, NULL, NULL);
    return failed == 0 ? 0 : 1;
}
