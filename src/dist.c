/* Distributions of uncertain inputs: moments, quantiles, checks, descriptions, draws. */
#include "cxroi/dist.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "clones_internal.h"

/* The sum of discrete probabilities may miss 1 by this much (SPEC: "summing to 1"). */
#define PROB_SUM_TOLERANCE 1e-9

/* A cumulative probability this close below p counts as reaching p, so that the
 * rounding of 0.2 + 0.5 does not move the quantile at p = 0.7 to the next value. */
#define CUMULATIVE_SLACK 1e-12

/* 1 / sqrt(2): strict C11 has no M_SQRT1_2. */
#define SQRT1_2 0.70710678118654752440

void cxroi_dist_init(cxroi_dist *d, cxroi_dist_kind kind)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->lambda = 4.0;
}

void cxroi_dist_init_fixed(cxroi_dist *d, double value)
{
    cxroi_dist_init(d, CXROI_DIST_FIXED);
    d->value = value;
}

void cxroi_dist_clear(cxroi_dist *d)
{
    if (!d)
        return;
    free(d->values);
    free(d->probs);
    cxroi_dist_init_fixed(d, 0.0);
}

static double *dup_array(const double *src, size_t n)
{
    if (n > SIZE_MAX / sizeof(double))
        return NULL;
    double *copy = malloc(n * sizeof(*copy));
    if (copy)
        memcpy(copy, src, n * sizeof(*copy));
    return copy;
}

int cxroi_dist_copy(cxroi_dist *dst, const cxroi_dist *src)
{
    *dst = *src;
    dst->values = NULL;
    dst->probs = NULL;
    if (src->kind != CXROI_DIST_DISCRETE || src->n_values == 0 || !src->values || !src->probs)
        return 0;
    dst->values = dup_array(src->values, src->n_values);
    dst->probs = dup_array(src->probs, src->n_values);
    if (!dst->values || !dst->probs) {
        cxroi_dist_clear(dst);
        return -1;
    }
    return 0;
}

static const char *const kind_names[] = {
    [CXROI_DIST_FIXED] = "fixed",
    [CXROI_DIST_UNIFORM] = "uniform",
    [CXROI_DIST_TRIANGULAR] = "triangular",
    [CXROI_DIST_PERT] = "pert",
    [CXROI_DIST_NORMAL] = "normal",
    [CXROI_DIST_LOGNORMAL] = "lognormal",
    [CXROI_DIST_BETA] = "beta",
    [CXROI_DIST_DISCRETE] = "discrete",
};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

static bool kind_is_known(cxroi_dist_kind kind)
{
    return (unsigned)kind < N_KINDS;
}

const char *cxroi_dist_kind_name(cxroi_dist_kind kind)
{
    return kind_is_known(kind) ? kind_names[kind] : "unknown";
}

bool cxroi_dist_kind_from_name(const char *name, cxroi_dist_kind *kind)
{
    if (!name)
        return false;
    /* "fixed" is not a YAML family: a fixed input is written as a plain number. */
    for (size_t i = 1; i < N_KINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            if (kind)
                *kind = (cxroi_dist_kind)i;
            return true;
        }
    }
    return false;
}

/* ---- Truncated normal --------------------------------------------------------------
 *
 * In standard units a = (min - mean) / sd, b = (max - mean) / sd (infinite when not
 * given), Z = Phi(b) - Phi(a). Each quantity below is taken from the tail where it is
 * small, so a truncation far out (min = mean + 5 sd, max = mean + 6 sd, Z ~ 2.9e-7) keeps
 * full relative precision instead of being lost as 1 - 0.9999997.
 */

typedef struct truncnorm {
    double a, b;   /* standard bounds */
    double pa, qb; /* Phi(a) and Q(b) = 1 - Phi(b), each from its own tail */
    double z;      /* mass between the bounds */
} truncnorm;

/* erf, with erf(+-inf) = +-1 (GSL's erf is meant for finite arguments). */
static double erf_or_limit(double x)
{
    return isinf(x) ? copysign(1.0, x) : gsl_sf_erf(x);
}

static truncnorm truncnorm_make(const cxroi_dist *d)
{
    truncnorm t;
    t.a = d->has_min ? (d->min - d->mean) / d->sd : -INFINITY;
    t.b = d->has_max ? (d->max - d->mean) / d->sd : INFINITY;
    t.pa = gsl_cdf_ugaussian_P(t.a);
    t.qb = gsl_cdf_ugaussian_Q(t.b);
    if (t.a >= 0)
        t.z = gsl_cdf_ugaussian_Q(t.a) - t.qb; /* both upper tails: no 1 - x */
    else if (t.b <= 0)
        t.z = gsl_cdf_ugaussian_P(t.b) - t.pa;
    else /* straddles 0: Z = (erf(b/sqrt2) + erf(-a/sqrt2)) / 2, a sum of two positives */
        t.z = 0.5 * (erf_or_limit(t.b * SQRT1_2) + erf_or_limit(-t.a * SQRT1_2));
    return t;
}

static double ugaussian_pdf_or_zero(double x)
{
    return isinf(x) ? 0.0 : gsl_ran_ugaussian_pdf(x);
}

/* x * phi(x), 0 at the infinite ends (where 0 * inf would give NaN). */
static double x_pdf(double x)
{
    return isinf(x) ? 0.0 : x * gsl_ran_ugaussian_pdf(x);
}

/* Narrow intervals, h (|c| + h) <= NARROW_LIMIT with c the midpoint and h the half width:
 * there Z, a difference of two nearly equal probabilities, would lose its digits (a
 * width of 1e-7 keeps only 9), so the moments come from the Taylor series of the density
 * about c, phi(c + u) / phi(c) = sum_n (-1)^n He_n(c) u^n / n! (He_n the Hermite
 * polynomials, He_{n+1} = c He_n - n He_{n-1}), integrated term by term over [-h, h].
 * The terms fall at least like (h (|c| + h))^n / n!, so 40 of them reach double precision. */
#define NARROW_LIMIT 0.5
#define NARROW_MAX_TERMS 40

static bool truncnorm_is_narrow(const truncnorm *t)
{
    double c = 0.5 * (t->a + t->b), h = 0.5 * (t->b - t->a);
    return isfinite(c) && isfinite(h) && h * (fabs(c) + h) <= NARROW_LIMIT;
}

static void truncnorm_narrow_moments(const truncnorm *t, double *mean, double *var)
{
    double c = 0.5 * (t->a + t->b), h = 0.5 * (t->b - t->a);
    /* s0 = int g / 2h, s1 = int u g / 2h, s2 = int u^2 g / 2h with g = phi(c + u) / phi(c);
     * int_{-h}^{h} u^k du / 2h = h^k / (k + 1) for even k, 0 for odd k. */
    double s0 = 0.0, s1 = 0.0, s2 = 0.0;
    double he_prev = 0.0, he = 1.0; /* He_{n-1}, He_n */
    double hn_fact = 1.0;           /* h^n / n! */
    for (int n = 0; n < NARROW_MAX_TERMS; n++) {
        double term = (n % 2 ? -he : he) * hn_fact; /* (-1)^n He_n(c) h^n / n! */
        if (n % 2 == 0) {
            s0 += term / (n + 1);
            s2 += term * h * h / (n + 3);
        } else {
            s1 += term * h / (n + 2);
        }
        if (n > 2 && fabs(term) < 1e-18 * fabs(s0) && fabs(he * hn_fact) < 1e-18 * fabs(s0))
            break;
        double next = c * he - n * he_prev;
        he_prev = he;
        he = next;
        hn_fact *= h / (n + 1);
    }
    double eu = s1 / s0;
    *mean = fmin(fmax(c + eu, t->a), t->b);
    *var = fmax(s2 / s0 - eu * eu, 0.0);
}

/* Mean and variance in standard units:
 *   m = (phi(a) - phi(b)) / Z,  v = 1 + (a phi(a) - b phi(b)) / Z - m^2.
 * In a far tail v cancels (about a^4 * 1e-16 relative error: 1e-12 at a = 10), far
 * below any input's precision. */
static void truncnorm_std_moments(const truncnorm *t, double *mean, double *var)
{
    if (truncnorm_is_narrow(t)) {
        truncnorm_narrow_moments(t, mean, var);
        return;
    }
    double diff;
    if (t->a >= 0 && !isinf(t->b))
        /* phi(a) - phi(b) = phi(a) (1 - exp(-(b - a)(b + a) / 2)): no cancellation */
        diff = gsl_ran_ugaussian_pdf(t->a) * -expm1(-0.5 * (t->b - t->a) * (t->b + t->a));
    else if (t->b <= 0 && !isinf(t->a))
        diff = -gsl_ran_ugaussian_pdf(t->b) * -expm1(-0.5 * (t->a - t->b) * (t->a + t->b));
    else
        diff = ugaussian_pdf_or_zero(t->a) - ugaussian_pdf_or_zero(t->b);
    double m = diff / t->z;
    double v = 1.0 + (x_pdf(t->a) - x_pdf(t->b)) / t->z - m * m;
    *mean = fmin(fmax(m, t->a), t->b);
    *var = fmax(v, 0.0);
}

/* Quantile in standard units: Phi(x) = Phi(a) + p Z, solved on whichever side of the
 * median the answer lies, so the target probability is never formed as 1 - tiny. */
static double truncnorm_std_quantile(const truncnorm *t, double p)
{
    double lower = t->pa + p * t->z;
    double x;
    if (lower <= 0.5)
        x = gsl_cdf_ugaussian_Pinv(lower);
    else
        x = gsl_cdf_ugaussian_Qinv(t->qb + (1.0 - p) * t->z);
    return x; /* the caller clamps to [min, max] against the last ulp */
}

static bool normal_is_truncated(const cxroi_dist *d)
{
    return d->has_min || d->has_max;
}

/* ---- Shapes ----------------------------------------------------------------------- */

void cxroi_dist_pert_shape(const cxroi_dist *d, double *alpha, double *beta)
{
    double w = d->max - d->min;
    *alpha = 1.0 + d->lambda * (d->mode - d->min) / w;
    *beta = 1.0 + d->lambda * (d->max - d->mode) / w;
}

void cxroi_dist_lognormal_log_params(const cxroi_dist *d, double *mu, double *sigma)
{
    /* E[X] = exp(mu + sigma^2/2), Var[X] = (exp(sigma^2) - 1) E[X]^2, solved for mu, sigma;
     * log1p keeps sigma accurate when sd << mean. */
    double cv = d->sd / d->mean;
    double s2 = log1p(cv * cv);
    *mu = log(d->mean) - 0.5 * s2;
    *sigma = sqrt(s2);
}

/* The interval a beta is scaled to: [0, 1] unless min and/or max are given. */
static void beta_scale(const cxroi_dist *d, double *lo, double *hi)
{
    *lo = d->has_min ? d->min : 0.0;
    *hi = d->has_max ? d->max : 1.0;
}

/* Is the beta quantile still above x? Asked on the side of the median that p is on, so
 * that near 1 the upper tail 1 - p is compared rather than a rounded P(x). */
static bool beta_cdf_below(double x, double p, double a, double b)
{
    return p <= 0.5 ? gsl_cdf_beta_P(x, a, b) < p : gsl_cdf_beta_Q(x, a, b) > 1.0 - p;
}

static uint64_t double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static double bits_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

/* Inverse of the regularised incomplete beta I_x(a, b) = p, for p in (0, 1).
 *
 * gsl_cdf_beta_Pinv's Newton iteration fails for extreme shapes (NaN for a = 0.01, b = 1
 * at p = 0.5, where x = 0.5^100; NaN in the tails of a = b = 1e4), so its answer is
 * accepted only when the CDF gives p back to 1e-10 relative (of the tail probability).
 * Otherwise the answer is bisected over the bit patterns of the doubles in [0, 1], which
 * are ordered like the doubles themselves: 62 halvings find the closest double even for
 * x = 1e-114, where bisecting on the value would stall at an absolute 1e-17. */
static double beta_inverse(double p, double a, double b)
{
    double x = gsl_cdf_beta_Pinv(p, a, b);
    if (x >= 0.0 && x <= 1.0) {
        double tail = p <= 0.5 ? p : 1.0 - p;
        double back = p <= 0.5 ? gsl_cdf_beta_P(x, a, b) : gsl_cdf_beta_Q(x, a, b);
        if (fabs(back - tail) <= 1e-10 * tail)
            return x;
    }
    uint64_t lo = double_bits(0.0), hi = double_bits(1.0);
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (beta_cdf_below(bits_double(mid), p, a, b))
            lo = mid;
        else
            hi = mid;
    }
    return bits_double(hi);
}

/* Shape and scale of the beta behind PERT or BETA. */
static void beta_params(const cxroi_dist *d, double *alpha, double *beta, double *lo, double *hi)
{
    if (d->kind == CXROI_DIST_PERT) {
        cxroi_dist_pert_shape(d, alpha, beta);
        *lo = d->min;
        *hi = d->max;
    } else {
        *alpha = d->alpha;
        *beta = d->beta;
        beta_scale(d, lo, hi);
    }
}

/* ---- Discrete --------------------------------------------------------------------- */

static bool discrete_sorted(const cxroi_dist *d)
{
    for (size_t i = 1; i < d->n_values; i++)
        if (d->values[i] < d->values[i - 1])
            return false;
    return true;
}

/* Smallest and largest value with positive probability. */
static void discrete_range(const cxroi_dist *d, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < d->n_values; i++) {
        if (d->probs[i] > 0) {
            *lo = fmin(*lo, d->values[i]);
            *hi = fmax(*hi, d->values[i]);
        }
    }
    if (*lo > *hi)
        *lo = *hi = NAN;
}

/* discrete_quantile(): the smallest v with F(v) = P(X <= v) >= p, for p in (0, 1]; hi is
 * the largest value with a positive probability (discrete_range()). Values in any
 * order: a sorted list is one cumulative pass; otherwise F is summed per value (lists
 * are short), so nothing is allocated. */
static double discrete_quantile_sorted(const cxroi_dist *d, double p, double hi)
{
    double c = 0.0;
    for (size_t i = 0; i < d->n_values; i++) {
        c += d->probs[i];
        if (d->probs[i] > 0 && c + CUMULATIVE_SLACK >= p)
            return d->values[i];
    }
    return hi;
}

static double discrete_quantile_unsorted(const cxroi_dist *d, double p, double hi)
{
    double best = hi;
    for (size_t i = 0; i < d->n_values; i++) {
        double v = d->values[i];
        if (!(d->probs[i] > 0) || v >= best)
            continue;
        double c = 0.0;
        for (size_t j = 0; j < d->n_values; j++)
            if (d->values[j] <= v)
                c += d->probs[j];
        if (c + CUMULATIVE_SLACK >= p)
            best = v;
    }
    return best;
}

static double discrete_quantile(const cxroi_dist *d, double p, double hi)
{
    return discrete_sorted(d) ? discrete_quantile_sorted(d, p, hi)
                              : discrete_quantile_unsorted(d, p, hi);
}

/* ---- Moments, quantiles, support -------------------------------------------------- */

bool cxroi_dist_is_uncertain(const cxroi_dist *d)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        return false;
    case CXROI_DIST_UNIFORM:
    case CXROI_DIST_TRIANGULAR:
    case CXROI_DIST_PERT:
        return d->min < d->max;
    case CXROI_DIST_NORMAL:
    case CXROI_DIST_LOGNORMAL:
        return d->sd > 0;
    case CXROI_DIST_BETA: {
        double lo, hi;
        beta_scale(d, &lo, &hi);
        return lo < hi;
    }
    case CXROI_DIST_DISCRETE: {
        /* Uncertain when two different values both carry probability. */
        bool seen = false;
        double first = 0.0;
        for (size_t i = 0; i < d->n_values; i++) {
            if (!(d->probs[i] > 0))
                continue;
            if (!seen) {
                seen = true;
                first = d->values[i];
            } else if (d->values[i] != first) {
                return true;
            }
        }
        return false;
    }
    }
    return false;
}

double cxroi_dist_mean(const cxroi_dist *d)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        return d->value;
    case CXROI_DIST_UNIFORM:
        return 0.5 * (d->min + d->max);
    case CXROI_DIST_TRIANGULAR:
        return (d->min + d->mode + d->max) / 3.0;
    case CXROI_DIST_PERT:
        /* (min + lambda mode + max) / (lambda + 2): the mean of the scaled beta */
        return (d->min + d->lambda * d->mode + d->max) / (d->lambda + 2.0);
    case CXROI_DIST_NORMAL: {
        if (!normal_is_truncated(d))
            return d->mean;
        truncnorm t = truncnorm_make(d);
        double m, v;
        truncnorm_std_moments(&t, &m, &v);
        return d->mean + d->sd * m;
    }
    case CXROI_DIST_LOGNORMAL:
        return d->mean;
    case CXROI_DIST_BETA: {
        double lo, hi;
        beta_scale(d, &lo, &hi);
        return lo + (hi - lo) * d->alpha / (d->alpha + d->beta);
    }
    case CXROI_DIST_DISCRETE: {
        double m = 0.0;
        for (size_t i = 0; i < d->n_values; i++)
            m += d->probs[i] * d->values[i];
        return m;
    }
    }
    return NAN;
}

double cxroi_dist_sd(const cxroi_dist *d)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        return 0.0;
    case CXROI_DIST_UNIFORM:
        return (d->max - d->min) / sqrt(12.0);
    case CXROI_DIST_TRIANGULAR: {
        /* Var = (a^2 + b^2 + c^2 - ab - ac - bc) / 18, written as the sum of squared
         * differences ((a-b)^2 + (a-c)^2 + (b-c)^2) / 36, which cannot go negative. */
        double a = d->min, c = d->mode, b = d->max;
        double s = (a - b) * (a - b) + (a - c) * (a - c) + (b - c) * (b - c);
        return sqrt(s / 36.0);
    }
    case CXROI_DIST_PERT:
    case CXROI_DIST_BETA: {
        /* Var = w^2 alpha beta / ((alpha + beta)^2 (alpha + beta + 1)), w the scale */
        double al, be, lo, hi;
        beta_params(d, &al, &be, &lo, &hi);
        double s = al + be;
        return (hi - lo) * sqrt(al * be / (s * s * (s + 1.0)));
    }
    case CXROI_DIST_NORMAL: {
        if (!normal_is_truncated(d))
            return d->sd;
        truncnorm t = truncnorm_make(d);
        double m, v;
        truncnorm_std_moments(&t, &m, &v);
        return d->sd * sqrt(v);
    }
    case CXROI_DIST_LOGNORMAL:
        return d->sd;
    case CXROI_DIST_DISCRETE: {
        double m = cxroi_dist_mean(d), v = 0.0;
        for (size_t i = 0; i < d->n_values; i++)
            v += d->probs[i] * (d->values[i] - m) * (d->values[i] - m);
        return sqrt(v);
    }
    }
    return NAN;
}

double cxroi_dist_base(const cxroi_dist *d)
{
    return d->has_base ? d->base : cxroi_dist_mean(d);
}

void cxroi_dist_support(const cxroi_dist *d, double *lo, double *hi)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        *lo = *hi = d->value;
        return;
    case CXROI_DIST_UNIFORM:
    case CXROI_DIST_TRIANGULAR:
    case CXROI_DIST_PERT:
        *lo = d->min;
        *hi = d->max;
        return;
    case CXROI_DIST_NORMAL:
        *lo = d->has_min ? d->min : -INFINITY;
        *hi = d->has_max ? d->max : INFINITY;
        return;
    case CXROI_DIST_LOGNORMAL:
        *lo = 0.0;
        *hi = INFINITY;
        return;
    case CXROI_DIST_BETA:
        beta_scale(d, lo, hi);
        return;
    case CXROI_DIST_DISCRETE:
        discrete_range(d, lo, hi);
        return;
    }
    *lo = *hi = NAN;
}

double cxroi_dist_truncated_mass(const cxroi_dist *d)
{
    if (d->kind != CXROI_DIST_NORMAL || !normal_is_truncated(d))
        return 1.0;
    return truncnorm_make(d).z;
}

void cxroi_dist_draw_range(const cxroi_dist *d, double *lo, double *hi)
{
    cxroi_dist_support(d, lo, hi);
    if (!isfinite(*lo))
        *lo = cxroi_dist_quantile(d, CXROI_DIST_TAIL);
    if (!isfinite(*hi))
        *hi = cxroi_dist_quantile(d, 1.0 - CXROI_DIST_TAIL);
}

/* Triangular inverse CDF. F(mode) = (c - a) / (b - a); below it F(x) = (x - a)^2 / ((b - a)
 * (c - a)), above it 1 - F(x) = (b - x)^2 / ((b - a)(b - c)); each branch solved for x. */
static inline double triangular_quantile(double a, double c, double b, double p)
{
    /* Both sides computed and one kept, without a branch on p: in a batch of draws the
     * side is a coin toss a branch would mispredict, and the loop vectorises. For p in
     * [0, 1] neither square root sees a negative argument. */
    double fc = (c - a) / (b - a);
    double below = a + sqrt(p * (b - a) * (c - a));
    double above = b - sqrt((1.0 - p) * (b - a) * (b - c));
    return p < fc ? below : above;
}

double cxroi_dist_quantile(const cxroi_dist *d, double p)
{
    double x;
    cxroi_dist_quantiles(d, &p, &x, 1);
    return x;
}

/* The quantile at p of a distribution of kind d->kind other than fixed, for p in (0, 1);
 * lo and hi are its support. */
static double quantile_inside(const cxroi_dist *d, double p, double lo, double hi)
{
    switch (d->kind) {
    case CXROI_DIST_UNIFORM:
        return d->min + p * (d->max - d->min);
    case CXROI_DIST_TRIANGULAR:
        return triangular_quantile(d->min, d->mode, d->max, p);
    case CXROI_DIST_PERT:
    case CXROI_DIST_BETA: {
        double al, be;
        beta_params(d, &al, &be, &lo, &hi);
        return lo + (hi - lo) * beta_inverse(p, al, be);
    }
    case CXROI_DIST_NORMAL: {
        if (!normal_is_truncated(d))
            return d->mean + d->sd * gsl_cdf_ugaussian_Pinv(p);
        truncnorm t = truncnorm_make(d);
        double x = d->mean + d->sd * truncnorm_std_quantile(&t, p);
        return fmin(fmax(x, lo), hi);
    }
    case CXROI_DIST_LOGNORMAL: {
        double mu, sigma;
        cxroi_dist_lognormal_log_params(d, &mu, &sigma);
        return gsl_cdf_lognormal_Pinv(p, mu, sigma);
    }
    case CXROI_DIST_DISCRETE:
        return discrete_quantile(d, p, hi);
    case CXROI_DIST_FIXED:
        return d->value;
    }
    return NAN;
}

/* The quantile at a probability p that is not inside (0, 1), or of a fixed value. */
static double quantile_at_end(const cxroi_dist *d, double p, double lo, double hi)
{
    if (!(p >= 0.0 && p <= 1.0))
        return NAN;
    if (d->kind == CXROI_DIST_FIXED)
        return d->value;
    return p == 0.0 ? lo : hi;
}

/* Quantiles of any kind, each on its own. */
static void quantiles_one_by_one(const cxroi_dist *d, const double *p, double *x, size_t n,
                                 double lo, double hi)
{
    bool fixed = d->kind == CXROI_DIST_FIXED;
    for (size_t k = 0; k < n; k++) {
        double pk = p[k];
        x[k] = pk > 0.0 && pk < 1.0 && !fixed ? quantile_inside(d, pk, lo, hi)
                                              : quantile_at_end(d, pk, lo, hi);
    }
}

/* Discrete lists this long or shorter are drawn by discrete_batch(). */
#define DISCRETE_BATCH_MAX 32

/*
 * discrete_quantile() of sorted values for a batch, without its branches: the outcomes
 * that can be drawn (probability > 0) with their thresholds c_i + CUMULATIVE_SLACK
 * (c_i the cumulative probability, non-decreasing), then for each p the first outcome
 * whose threshold reaches p, the one after as many thresholds as lie below p.
 */
static void discrete_batch(const cxroi_dist *d, const double *p, double *x, size_t n, double lo,
                           double hi)
{
    double value[DISCRETE_BATCH_MAX], reach[DISCRETE_BATCH_MAX];
    size_t m = 0;
    double c = 0.0;
    for (size_t i = 0; i < d->n_values; i++) {
        c += d->probs[i];
        if (d->probs[i] > 0) {
            value[m] = d->values[i];
            reach[m++] = c + CUMULATIVE_SLACK;
        }
    }
    for (size_t k = 0; k < n; k++) {
        double pk = p[k];
        size_t below = 0;
        for (size_t i = 0; i < m; i++)
            below += reach[i] < pk;
        double inside = below < m ? value[below] : hi;
        double end = pk == 0.0 ? lo : pk == 1.0 ? hi : NAN;
        x[k] = pk > 0.0 && pk < 1.0 ? inside : end;
    }
}

CXROI_CLONES void cxroi_dist_quantiles(const cxroi_dist *d, const double *p, double *x,
                                       size_t n)
{
    double lo, hi;
    cxroi_dist_support(d, &lo, &hi);
    /* Kind by kind, the closed forms the sampler draws most as plain loops. x may be p:
     * each element is read before it is written. */
    switch (d->kind) {
    /* The closed forms as selects over the whole batch (the ends of quantile_at_end()
     * written out), which vectorise. */
    case CXROI_DIST_UNIFORM: {
        double a = d->min, b = d->max; /* locals: x cannot alias them */
        for (size_t k = 0; k < n; k++) {
            double pk = p[k];
            double end = pk == 0.0 ? lo : pk == 1.0 ? hi : NAN;
            x[k] = pk > 0.0 && pk < 1.0 ? a + pk * (b - a) : end;
        }
        break;
    }
    case CXROI_DIST_TRIANGULAR: {
        double a = d->min, c = d->mode, b = d->max;
        for (size_t k = 0; k < n; k++) {
            double pk = p[k];
            double end = pk == 0.0 ? lo : pk == 1.0 ? hi : NAN;
            x[k] = pk > 0.0 && pk < 1.0 ? triangular_quantile(a, c, b, pk) : end;
        }
        break;
    }
    case CXROI_DIST_DISCRETE: {
        bool sorted = discrete_sorted(d); /* once for the batch, not per draw */
        if (sorted && d->n_values <= DISCRETE_BATCH_MAX) {
            discrete_batch(d, p, x, n, lo, hi);
            break;
        }
        /* unsorted or long lists: one search per draw */
        for (size_t k = 0; k < n; k++) {
            double pk = p[k];
            if (!(pk > 0.0 && pk < 1.0))
                x[k] = quantile_at_end(d, pk, lo, hi);
            else
                x[k] = sorted ? discrete_quantile_sorted(d, pk, hi)
                              : discrete_quantile_unsorted(d, pk, hi);
        }
        break;
    }
    default:
        quantiles_one_by_one(d, p, x, n, lo, hi);
        break;
    }
}

/* ---- Checks ----------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static bool
fail(const char **field, const char *name, char *msg, size_t msg_size, const char *fmt, ...)
{
    if (field)
        *field = name;
    if (msg && msg_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A parameter of the kind that must be finite; NAN or INF is reported with its key. */
#define REQUIRE_FINITE(key, x)                                                                     \
    do {                                                                                           \
        if (!isfinite(x))                                                                          \
            return fail(field, key, msg, msg_size,                                                 \
                        "expected " key " to be a finite number, found %g", (x));                  \
    } while (0)

static bool check_bounds(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    REQUIRE_FINITE("min", d->min);
    REQUIRE_FINITE("max", d->max);
    if (!(d->min < d->max))
        return fail(field, "max", msg, msg_size,
                    "expected max greater than min (%.15g), found %.15g", d->min, d->max);
    return true;
}

static bool check_mode(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    REQUIRE_FINITE("mode", d->mode);
    if (!(d->mode >= d->min && d->mode <= d->max))
        return fail(field, "mode", msg, msg_size,
                    "expected mode between min (%.15g) and max (%.15g), found %.15g", d->min,
                    d->max, d->mode);
    return true;
}

static bool check_positive(const char *key, double x, const char **field, char *msg,
                           size_t msg_size)
{
    if (!isfinite(x))
        return fail(field, key, msg, msg_size, "expected %s to be a finite number, found %g", key,
                    x);
    if (!(x > 0))
        return fail(field, key, msg, msg_size, "expected %s > 0, found %.15g", key, x);
    return true;
}

static bool check_normal(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    REQUIRE_FINITE("mean", d->mean);
    if (!check_positive("sd", d->sd, field, msg, msg_size))
        return false;
    if (d->has_min)
        REQUIRE_FINITE("min", d->min);
    if (d->has_max)
        REQUIRE_FINITE("max", d->max);
    if (d->has_min && d->has_max && !(d->min < d->max))
        return fail(field, "max", msg, msg_size,
                    "expected max greater than min (%.15g), found %.15g", d->min, d->max);
    if (!normal_is_truncated(d))
        return true;
    /* Mass below DBL_MIN (bounds ~37 sd or more out) cannot be represented, and no
     * scenario means it: blame the bound on the far side of the mean. */
    truncnorm t = truncnorm_make(d);
    if (!(t.z >= DBL_MIN)) {
        bool above = t.a > 0;
        return fail(field, above ? "min" : "max", msg, msg_size,
                    "expected truncation bounds holding probability mass, found %s %.15g, "
                    "%.3g sd %s the mean (%.15g)",
                    above ? "min" : "max", above ? d->min : d->max, fabs(above ? t.a : t.b),
                    above ? "above" : "below", d->mean);
    }
    return true;
}

static bool check_beta(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    if (!check_positive("alpha", d->alpha, field, msg, msg_size) ||
        !check_positive("beta", d->beta, field, msg, msg_size))
        return false;
    double lo, hi;
    beta_scale(d, &lo, &hi);
    if (d->has_min)
        REQUIRE_FINITE("min", d->min);
    if (d->has_max)
        REQUIRE_FINITE("max", d->max);
    if (!(lo < hi) && d->has_max)
        return fail(field, "max", msg, msg_size,
                    "expected max greater than min (%.15g), found %.15g", lo, hi);
    if (!(lo < hi))
        return fail(field, "min", msg, msg_size, "expected min less than max (%.15g), found %.15g",
                    hi, lo);
    return true;
}

static bool check_discrete(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    if (d->n_values == 0 || !d->values)
        return fail(field, "values", msg, msg_size, "expected at least one value, found none");
    if (!d->probs)
        return fail(field, "probs", msg, msg_size, "expected %zu probabilities, found none",
                    d->n_values);
    double sum = 0.0;
    for (size_t i = 0; i < d->n_values; i++) {
        if (!isfinite(d->values[i]))
            return fail(field, "values", msg, msg_size,
                        "expected values[%zu] to be a finite number, found %g", i, d->values[i]);
        if (!(d->probs[i] >= 0.0 && d->probs[i] <= 1.0))
            return fail(field, "probs", msg, msg_size,
                        "expected probs[%zu] between 0 and 1, found %.15g", i, d->probs[i]);
        sum += d->probs[i];
    }
    if (!(fabs(sum - 1.0) <= PROB_SUM_TOLERANCE)) {
        /* Thirds written as 0.3333: say which last probability closes the gap. */
        double last = d->probs[d->n_values - 1] + (1.0 - sum);
        if (last >= 0.0 && last <= 1.0)
            return fail(field, "probs", msg, msg_size,
                        "expected probs summing to 1, found a sum of %.15g; make the last one "
                        "%.10g",
                        sum, last);
        return fail(field, "probs", msg, msg_size,
                    "expected probs summing to 1, found a sum of %.15g", sum);
    }
    return true;
}

static bool check_kind(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        REQUIRE_FINITE("value", d->value);
        return true;
    case CXROI_DIST_UNIFORM:
        return check_bounds(d, field, msg, msg_size);
    case CXROI_DIST_TRIANGULAR:
        return check_bounds(d, field, msg, msg_size) && check_mode(d, field, msg, msg_size);
    case CXROI_DIST_PERT:
        return check_bounds(d, field, msg, msg_size) && check_mode(d, field, msg, msg_size) &&
               check_positive("lambda", d->lambda, field, msg, msg_size);
    case CXROI_DIST_NORMAL:
        return check_normal(d, field, msg, msg_size);
    case CXROI_DIST_LOGNORMAL:
        return check_positive("mean", d->mean, field, msg, msg_size) &&
               check_positive("sd", d->sd, field, msg, msg_size);
    case CXROI_DIST_BETA:
        return check_beta(d, field, msg, msg_size);
    case CXROI_DIST_DISCRETE:
        return check_discrete(d, field, msg, msg_size);
    }
    return fail(field, "dist", msg, msg_size,
                "expected one of uniform, triangular, pert, normal, lognormal, beta, discrete, "
                "found kind %d",
                (int)d->kind);
}

bool cxroi_dist_check(const cxroi_dist *d, const char **field, char *msg, size_t msg_size)
{
    if (!check_kind(d, field, msg, msg_size))
        return false;
    if (d->has_base) {
        REQUIRE_FINITE("base", d->base);
        double lo, hi;
        cxroi_dist_support(d, &lo, &hi);
        if (!(d->base >= lo && d->base <= hi))
            return fail(field, "base", msg, msg_size,
                        "expected base within the support [%.15g, %.15g], found %.15g", lo, hi,
                        d->base);
    }
    if (field)
        *field = NULL;
    if (msg && msg_size > 0)
        msg[0] = '\0';
    return true;
}

/* ---- Description ------------------------------------------------------------------ */

/* snprintf that keeps appending after truncation and counts what would be written. */
typedef struct sink {
    char *buf;
    size_t size;
    size_t len;
} sink;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(sink *s, const char *fmt, ...)
{
    char *at = s->len < s->size ? s->buf + s->len : NULL;
    size_t room = s->len < s->size ? s->size - s->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->len += (size_t)n;
}

/* Pairs listed before a long discrete list is summarised. */
#define DESCRIBE_MAX_PAIRS 6

int cxroi_dist_describe(const cxroi_dist *d, char *buf, size_t size)
{
    sink s = {buf, buf ? size : 0, 0};
    if (s.size > 0)
        buf[0] = '\0';
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        put(&s, "fixed %.10g", d->value);
        break;
    case CXROI_DIST_UNIFORM:
        put(&s, "uniform(min %.10g, max %.10g", d->min, d->max);
        break;
    case CXROI_DIST_TRIANGULAR:
        put(&s, "triangular(min %.10g, mode %.10g, max %.10g", d->min, d->mode, d->max);
        break;
    case CXROI_DIST_PERT:
        put(&s, "PERT(min %.10g, mode %.10g, max %.10g", d->min, d->mode, d->max);
        if (d->lambda != 4.0)
            put(&s, ", lambda %.10g", d->lambda);
        break;
    case CXROI_DIST_NORMAL:
        put(&s, "normal(mean %.10g, sd %.10g", d->mean, d->sd);
        if (d->has_min)
            put(&s, ", min %.10g", d->min);
        if (d->has_max)
            put(&s, ", max %.10g", d->max);
        break;
    case CXROI_DIST_LOGNORMAL:
        put(&s, "lognormal(mean %.10g, sd %.10g", d->mean, d->sd);
        break;
    case CXROI_DIST_BETA: {
        put(&s, "beta(alpha %.10g, beta %.10g", d->alpha, d->beta);
        if (d->has_min || d->has_max) {
            double lo, hi;
            beta_scale(d, &lo, &hi);
            put(&s, ", min %.10g, max %.10g", lo, hi);
        }
        break;
    }
    case CXROI_DIST_DISCRETE: {
        put(&s, "discrete(");
        size_t shown = d->n_values <= DESCRIBE_MAX_PAIRS ? d->n_values : DESCRIBE_MAX_PAIRS - 1;
        for (size_t i = 0; i < shown && d->values && d->probs; i++)
            put(&s, "%s%.10g: %.10g", i ? ", " : "", d->values[i], d->probs[i]);
        if (shown < d->n_values)
            put(&s, ", ... %zu values in all", d->n_values);
        break;
    }
    default:
        put(&s, "unknown distribution");
        return (int)s.len;
    }
    if (d->kind != CXROI_DIST_FIXED) {
        if (d->has_base)
            put(&s, ", base %.10g", d->base);
        put(&s, ")");
    } else if (d->has_base && d->base != d->value) {
        put(&s, " (base %.10g)", d->base);
    }
    return (int)s.len;
}

/* ---- Sampling --------------------------------------------------------------------- */

double cxroi_dist_sample(const cxroi_dist *d, const gsl_rng *r)
{
    switch (d->kind) {
    case CXROI_DIST_FIXED:
        return d->value;
    case CXROI_DIST_UNIFORM:
        return gsl_ran_flat(r, d->min, d->max);
    case CXROI_DIST_TRIANGULAR:
        return triangular_quantile(d->min, d->mode, d->max, gsl_rng_uniform(r));
    case CXROI_DIST_PERT:
    case CXROI_DIST_BETA: {
        double al, be, lo, hi;
        beta_params(d, &al, &be, &lo, &hi);
        return lo + (hi - lo) * gsl_ran_beta(r, al, be);
    }
    case CXROI_DIST_NORMAL: {
        if (!normal_is_truncated(d))
            return d->mean + gsl_ran_gaussian_ziggurat(r, d->sd);
        /* Inverse transform rather than rejection: exact and one draw even when the
         * truncation keeps a 1e-7 sliver of the tail, where rejection would never end. */
        return cxroi_dist_quantile(d, gsl_rng_uniform_pos(r));
    }
    case CXROI_DIST_LOGNORMAL: {
        double mu, sigma;
        cxroi_dist_lognormal_log_params(d, &mu, &sigma);
        return gsl_ran_lognormal(r, mu, sigma);
    }
    case CXROI_DIST_DISCRETE: {
        /* X = v_i for the first i whose cumulative probability exceeds u ~ U[0, 1). */
        double u = gsl_rng_uniform(r), c = 0.0, last = NAN;
        for (size_t i = 0; i < d->n_values; i++) {
            if (!(d->probs[i] > 0))
                continue;
            c += d->probs[i];
            last = d->values[i];
            if (u < c)
                return last;
        }
        return last; /* u beyond a sum that rounds below 1 */
    }
    }
    return NAN;
}
