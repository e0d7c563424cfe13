/* The shifted-beta-geometric retention model (Fader & Hardie 2007) and its ML fit. */
#include "cxroi/sbg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_vector.h>

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

/* Log-likelihood of the geometric (constant retention r) model of the same curve: a
 * loss in period t has probability (1 - r) r^(t-1), survival to T r^T. */
static double geometric_log_likelihood(double r, const curve *c)
{
    double ll = 0.0;
    size_t T = c->count - 1;
    for (size_t t = 1; t <= T; t++) {
        double lost = c->n[t - 1] - c->n[t];
        if (lost > 0.0)
            ll += lost * (log1p(-r) + (double)(t - 1) * log(r));
    }
    return ll + c->n[T] * (double)T * log(r);
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
 * Gradient g and Hessian h (h[0] = d2/da2, h[1] = d2/dadb, h[2] = d2/db2) of the
 * log-likelihood, from d lnB(a,b)/da = psi(a) - psi(a+b) and its trigamma derivatives:
 * for a loss in period t, ln P = lnB(a+1, b+t-1) - lnB(a, b); for the survivors,
 * ln S(T) = lnB(a, b+T) - lnB(a, b).
 */
static void derivatives(double a, double b, const curve *c, double g[2], double h[3])
{
    double psi_ab = gsl_sf_psi(a + b), tri_ab = gsl_sf_psi_1(a + b);
    double psi_a = gsl_sf_psi(a), psi_b = gsl_sf_psi(b);
    double tri_a = gsl_sf_psi_1(a), tri_b = gsl_sf_psi_1(b);
    double psi_a1 = gsl_sf_psi(a + 1.0), tri_a1 = gsl_sf_psi_1(a + 1.0);
    g[0] = g[1] = h[0] = h[1] = h[2] = 0.0;
    size_t T = c->count - 1;
    for (size_t t = 1; t <= T; t++) {
        double lost = c->n[t - 1] - c->n[t];
        if (lost <= 0.0)
            continue;
        double abt = a + b + (double)t, bt1 = b + (double)t - 1.0;
        double psi_abt = gsl_sf_psi(abt), tri_abt = gsl_sf_psi_1(abt);
        g[0] += lost * (psi_a1 - psi_abt - psi_a + psi_ab);
        g[1] += lost * (gsl_sf_psi(bt1) - psi_abt - psi_b + psi_ab);
        h[0] += lost * (tri_a1 - tri_abt - tri_a + tri_ab);
        h[1] += lost * (tri_ab - tri_abt);
        h[2] += lost * (gsl_sf_psi_1(bt1) - tri_abt - tri_b + tri_ab);
    }
    double nT = c->n[T], abT = a + b + (double)T, bT = b + (double)T;
    double psi_abT = gsl_sf_psi(abT), tri_abT = gsl_sf_psi_1(abT);
    g[0] += nT * (psi_ab - psi_abT);
    g[1] += nT * (gsl_sf_psi(bT) - psi_abT - psi_b + psi_ab);
    h[0] += nT * (tri_ab - tri_abT);
    h[1] += nT * (tri_ab - tri_abT);
    h[2] += nT * (gsl_sf_psi_1(bT) - tri_abT - tri_b + tri_ab);
}

/*
 * Polish the simplex optimum with Newton steps on the score (the gradient), which the
 * analytic derivatives make quadratically convergent: the simplex alone stops where the
 * likelihood is flat to rounding, leaving ~1e-8 of slack in the parameters.
 */
static void newton_polish(const curve *c, double *a, double *b)
{
    for (int it = 0; it < 30; it++) {
        double g[2], h[3];
        derivatives(*a, *b, c, g, h);
        double det = h[0] * h[2] - h[1] * h[1];
        /* At a maximum the Hessian is negative definite; otherwise keep the simplex's. */
        if (!(det > 0.0 && h[0] < 0.0))
            return;
        double da = (h[2] * g[0] - h[1] * g[1]) / det;
        double db = (h[0] * g[1] - h[1] * g[0]) / det;
        double na = *a - da, nb = *b - db;
        if (!(na > 0.0 && nb > 0.0) || !isfinite(na) || !isfinite(nb))
            return;
        *a = na;
        *b = nb;
        if (fabs(da) <= 1e-15 * na && fabs(db) <= 1e-15 * nb)
            return;
    }
}

/* Standard errors: the square roots of the inverse observed information (-Hessian). */
static void standard_errors(const curve *c, double a, double b, double *se_a, double *se_b)
{
    double g[2], h[3];
    derivatives(a, b, c, g, h);
    double det = h[0] * h[2] - h[1] * h[1];
    if (det > 0.0 && h[0] < 0.0) {
        *se_a = sqrt(-h[2] / det);
        *se_b = sqrt(-h[0] / det);
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
    size_t best_it = 0; /* best_ll stays -inf when no start converged */
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        double a, b, ll;
        size_t it;
        int status = minimise(&c, starts[k][0], starts[k][1], &a, &b, &ll, &it);
        if (status == GSL_SUCCESS && isfinite(ll) && ll > best_ll) {
            best_ll = ll;
            best_a = a;
            best_b = b;
            best_it = it;
        }
    }
    memset(out, 0, sizeof *out);
    /*
     * As alpha, beta -> inf with beta / (alpha + beta) fixed, the sBG tends to the
     * geometric model of one constant retention r. When retention does not rise with age
     * the likelihood's supremum lies there, and the minimiser only stops somewhere along
     * the way. Compare with the geometric model's own maximum, r = sum_{t>=1} n_t /
     * sum_{t<T} n_t (survivors over customers at risk): when it fits as well, report it.
     */
    double at_risk = 0.0, survived = 0.0;
    for (size_t t = 1; t < n; t++) {
        at_risk += survival[t - 1];
        survived += survival[t];
    }
    double r = survived / at_risk;
    double ll_geo = geometric_log_likelihood(r, &c);
    if (!(best_ll > ll_geo + 1e-9 * fabs(ll_geo)) ||
        best_a + best_b > 1e4) {
        out->geometric = true;
        out->retention = r;
        out->alpha = out->beta = out->alpha_se = out->beta_se = NAN;
        out->log_likelihood = ll_geo;
        out->iterations = best_it;
        return CXROI_OK;
    }
    newton_polish(&c, &best_a, &best_b);
    out->alpha = best_a;
    out->beta = best_b;
    out->log_likelihood = log_likelihood(best_a, best_b, &c);
    out->iterations = best_it;
    standard_errors(&c, best_a, best_b, &out->alpha_se, &out->beta_se);
    return CXROI_OK;
}
