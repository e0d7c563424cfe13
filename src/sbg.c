/* The shifted-beta-geometric retention model (Fader & Hardie 2007) and its ML fit. */
#include "cxroi/sbg.h"

#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

double cxroi_sbg_retention(double alpha, double beta, double age)
{
    return (beta + age) / (alpha + beta + age);
}

double cxroi_sbg_survival(double alpha, double beta, double t)
{
    /* S(t) = B(alpha, beta + t) / B(alpha, beta), in logs to stay finite for large t. */
    return exp(gsl_sf_lnbeta(alpha, beta + t) - gsl_sf_lnbeta(alpha, beta));
}

typedef struct curve {
    const double *n;
    size_t count;
} curve;

/*
 * Log-likelihood of the curve: the n_{t-1} - n_t customers lost in period t each
 * contribute ln P(T = t) = ln B(alpha + 1, beta + t - 1) - ln B(alpha, beta); the n_T
 * still active contribute ln S(T).
 */
static double log_likelihood(double alpha, double beta, const curve *c)
{
    double lnb = gsl_sf_lnbeta(alpha, beta);
    double ll = 0.0;
    size_t T = c->count - 1;
    for (size_t t = 1; t <= T; t++) {
        double lost = c->n[t - 1] - c->n[t];
        if (lost > 0.0)
            ll += lost * (gsl_sf_lnbeta(alpha + 1.0, beta + (double)t - 1.0) - lnb);
    }
    ll += c->n[T] * (gsl_sf_lnbeta(alpha, beta + (double)T) - lnb);
    return ll;
}

/* The minimiser works on (ln alpha, ln beta) so both stay positive without constraints. */
static double neg_ll(const gsl_vector *x, void *params)
{
    double a = exp(gsl_vector_get(x, 0));
    double b = exp(gsl_vector_get(x, 1));
    if (!isfinite(a) || !isfinite(b) || a <= 0.0 || b <= 0.0 || a > 1e8 || b > 1e8)
        return GSL_POSINF;
    double ll = log_likelihood(a, b, params);
    return isfinite(ll) ? -ll : GSL_POSINF;
}

/* One Nelder-Mead run from (a0, b0); returns the status and the optimum. */
static int minimise(const curve *c, double a0, double b0, double *a, double *b, double *ll,
                    size_t *iters)
{
    gsl_multimin_function f = {neg_ll, 2, (void *)c};
    gsl_vector *x = gsl_vector_alloc(2);
    gsl_vector *step = gsl_vector_alloc(2);
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 2);
    if (!x || !step || !s) {
        gsl_vector_free(x);
        gsl_vector_free(step);
        gsl_multimin_fminimizer_free(s);
        return GSL_ENOMEM;
    }
    gsl_vector_set(x, 0, log(a0));
    gsl_vector_set(x, 1, log(b0));
    gsl_vector_set_all(step, 0.5);
    int status = gsl_multimin_fminimizer_set(s, &f, x, step);
    size_t it = 0;
    while (status == GSL_SUCCESS && it < 5000) {
        it++;
        status = gsl_multimin_fminimizer_iterate(s);
        if (status != GSL_SUCCESS)
            break;
        status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-10);
        if (status == GSL_SUCCESS)
            break;
        if (status == GSL_CONTINUE)
            status = GSL_SUCCESS;
    }
    if (status == GSL_SUCCESS && it >= 5000)
        status = GSL_EMAXITER;
    *a = exp(gsl_vector_get(s->x, 0));
    *b = exp(gsl_vector_get(s->x, 1));
    *ll = -s->fval;
    *iters = it;
    gsl_vector_free(x);
    gsl_vector_free(step);
    gsl_multimin_fminimizer_free(s);
    return status;
}

/*
 * Standard errors from the observed information: the inverse of the Hessian of -LL in
 * (alpha, beta), by central differences with steps relative to each parameter.
 */
static void standard_errors(const curve *c, double a, double b, double *se_a, double *se_b)
{
    double ha = 1e-4 * a, hb = 1e-4 * b;
    double f0 = -log_likelihood(a, b, c);
    double faa = (-log_likelihood(a + ha, b, c) - 2.0 * f0 - log_likelihood(a - ha, b, c)) / (ha * ha);
    double fbb = (-log_likelihood(a, b + hb, c) - 2.0 * f0 - log_likelihood(a, b - hb, c)) / (hb * hb);
    double fab = (-log_likelihood(a + ha, b + hb, c) + log_likelihood(a + ha, b - hb, c) +
                  log_likelihood(a - ha, b + hb, c) - log_likelihood(a - ha, b - hb, c)) /
                 (4.0 * ha * hb);
    double det = faa * fbb - fab * fab;
    if (det > 0.0 && faa > 0.0) {
        *se_a = sqrt(fbb / det);
        *se_b = sqrt(faa / det);
    } else {
        *se_a = *se_b = NAN;
    }
}

cxroi_error cxroi_sbg_fit_survival(const double *survival, size_t n, cxroi_sbg_fit *out,
                                   char *msg, size_t msg_size)
{
    if (n < 3) {
        snprintf(msg, msg_size, "expected at least 3 points (the cohort at the start and 2 "
                                "later years), found %zu", n);
        return CXROI_ERROR_ARGUMENT;
    }
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(survival[t]) || survival[t] <= 0.0) {
            snprintf(msg, msg_size, "every point must be a positive number, found %g at "
                                    "position %zu", survival[t], t);
            return CXROI_ERROR_ARGUMENT;
        }
        if (t > 0 && survival[t] > survival[t - 1]) {
            snprintf(msg, msg_size, "a cohort cannot grow: %g follows %g at position %zu",
                     survival[t], survival[t - 1], t);
            return CXROI_ERROR_ARGUMENT;
        }
    }
    if (survival[n - 1] == survival[0]) {
        snprintf(msg, msg_size, "nobody churned (all points equal %g): retention is 1 and no "
                                "curve can be fitted", survival[0]);
        return CXROI_ERROR_ARGUMENT;
    }
    curve c = {survival, n};
    /* Several starting points guard against the flat likelihood surfaces of short curves. */
    static const double starts[][2] = {{1.0, 1.0}, {0.5, 2.0}, {2.0, 8.0}, {0.2, 0.5}, {5.0, 20.0}};
    double best_ll = -INFINITY, best_a = NAN, best_b = NAN;
    size_t best_it = 0;
    int best_status = GSL_FAILURE;
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        double a, b, ll;
        size_t it;
        int status = minimise(&c, starts[k][0], starts[k][1], &a, &b, &ll, &it);
        if (status == GSL_SUCCESS && isfinite(ll) && ll > best_ll) {
            best_ll = ll;
            best_a = a;
            best_b = b;
            best_it = it;
            best_status = status;
        }
    }
    if (best_status != GSL_SUCCESS || best_a > 1e7 || best_b > 1e7) {
        snprintf(msg, msg_size, "the maximum-likelihood fit did not converge (the curve looks "
                                "like constant retention: use 'retention' instead)");
        return CXROI_ERROR_NO_SOLUTION;
    }
    out->alpha = best_a;
    out->beta = best_b;
    out->log_likelihood = best_ll;
    out->iterations = best_it;
    standard_errors(&c, best_a, best_b, &out->alpha_se, &out->beta_se);
    return CXROI_OK;
}
