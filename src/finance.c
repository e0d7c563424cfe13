/* Capital-budgeting functions: NPV, IRR, MIRR, payback. */
#include "cxroi/finance.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

/* Rates are scanned in x = 1/(1+r), where NPV(r) = P(x) = sum_t CF_t x^t is a polynomial:
 * r in (-1, +inf) maps onto x in (0, +inf). A scan is bounded to x in [1e-12, 1e12], r in
 * [-1 + 1e-12, ~1e12], beyond any rate a business case can mean; a lone root (one sign
 * change) needs no scan and is searched up to x in [1e-300, 1e300]. */
#define FINANCE_X_MIN 1e-12
#define FINANCE_X_MAX 1e12
#define FINANCE_X_MIN_LONE 1e-300
#define FINANCE_X_MAX_LONE 1e300
/* Grid cells per unit of ln x; a cell is then 0.4 % wide in (1 + r), so two roots of NPV
 * share a cell only when their (1 + r) differ by less than that; such a pair is still
 * found through the extremum of P between them (see scan_cell_extremum). */
#define FINANCE_CELLS_PER_LN 256.0
#define FINANCE_MIN_CELLS 64
/* Brent stops when the bracket is this narrow relative to x: r = 1/x - 1 is then exact
 * to 1e-14 * (1 + r), well inside the 1e-12 the header promises. */
#define FINANCE_X_EPSREL 1e-14
#define FINANCE_MAX_ITER 200

double cxroi_finance_npv(double rate, const double *cf, size_t n)
{
    if (n == 0)
        return 0.0;
    if (!(rate > -1.0))
        return NAN; /* outside the domain: (1 + rate)^t is 0 or changes sign */
    /* NPV = sum_t CF_t / (1+r)^t = CF_0 + x (CF_1 + x (CF_2 + ...)), x = 1/(1+r): Horner
     * takes n multiplications and no pow(). */
    double x = 1.0 / (1.0 + rate);
    double sum = cf[n - 1];
    for (size_t t = n - 1; t-- > 0;)
        sum = sum * x + cf[t];
    return sum;
}

size_t cxroi_finance_sign_changes(const double *cf, size_t n)
{
    size_t changes = 0;
    int previous = 0;
    for (size_t t = 0; t < n; t++) {
        int sign = (cf[t] > 0.0) - (cf[t] < 0.0); /* 0 for zeros (and NaN): skipped */
        if (sign == 0)
            continue;
        if (previous != 0 && sign != previous)
            changes++;
        previous = sign;
    }
    return changes;
}

/* The polynomial R(x) = sum_{k=0}^{d} a_k x^k with a_k = CF_{first+k} * scale, where first
 * is the first non-zero flow: P(x) = x^first R(x), so R has the same positive roots as NPV
 * and a non-zero constant term. scale = 1 / max|CF| keeps sums of huge flows finite. */
typedef struct finance_poly {
    const double *a;
    size_t d;
    double scale;
} finance_poly;

/* What poly_eval computes: the value of R, its slope R', or the bound sum_k |a_k| x^k on
 * the magnitude of R's terms, which scales the rounding error of an evaluated R. */
enum { POLY_VALUE, POLY_SLOPE, POLY_MAGNITUDE };

/* R(x) / max(1, x)^d (value and magnitude) or R'(x) / max(1, x)^(d-1) (slope). Dividing
 * by a positive factor keeps the sign and roots but never overflows: for x > 1 the sum is
 * evaluated in y = 1/x < 1 as sum_k a_k y^(d-k). Every form is continuous in x. */
static double poly_eval(const finance_poly *p, double x, int what)
{
    size_t lo = what == POLY_SLOPE ? 1 : 0;
    if (p->d < lo)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i + lo <= p->d; i++) {
        /* x <= 1: Horner from the top coefficient; x > 1: from the bottom one, in 1/x. */
        size_t k = x <= 1.0 ? p->d - i : lo + i;
        double a = p->a[k] * p->scale;
        if (what == POLY_SLOPE)
            a *= (double)k;
        else if (what == POLY_MAGNITUDE)
            a = fabs(a);
        sum = sum * (x <= 1.0 ? x : 1.0 / x) + a;
    }
    return sum;
}

static double poly_value(double x, void *params)
{
    return poly_eval(params, x, POLY_VALUE);
}

static double poly_slope(double x, void *params)
{
    return poly_eval(params, x, POLY_SLOPE);
}

static int sign_of(double v)
{
    return (v > 0.0) - (v < 0.0);
}

/* Brent on [lo, hi], where f(lo) and f(hi) have opposite signs. Returns 0 and the root,
 * or -1 when GSL reports an error (it cannot for a finite, sign-changing function). */
static int brent(gsl_root_fsolver *solver, gsl_function *f, double lo, double hi, double *root)
{
    if (gsl_root_fsolver_set(solver, f, lo, hi) != GSL_SUCCESS)
        return -1;
    for (int iter = 0; iter < FINANCE_MAX_ITER; iter++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
            return -1;
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                   gsl_root_fsolver_x_upper(solver), 0.0,
                                   FINANCE_X_EPSREL) == GSL_SUCCESS)
            break;
    }
    *root = gsl_root_fsolver_root(solver);
    return 0;
}

/* The running answer: how many roots, and the one nearest the reference rate. */
typedef struct finance_roots {
    size_t count;
    double nearest;
    double reference;
} finance_roots;

static void roots_add(finance_roots *roots, double x)
{
    double rate = 1.0 / x - 1.0;
    if (roots->count == 0 ||
        fabs(rate - roots->reference) < fabs(roots->nearest - roots->reference))
        roots->nearest = rate;
    roots->count++;
}

/* A cell [a, b] whose ends have the same sign may still hold two roots close together. By
 * Rolle's theorem R' then vanishes between them, so when R' changes sign across the cell
 * the extremum m is located and, if R(m) has the other sign, the cell holds [a, m] and
 * [m, b] brackets. */
static int scan_cell_extremum(gsl_root_fsolver *solver, finance_poly *p, double a, double b,
                              double slope_a, double slope_b, int sign_ab, finance_roots *roots)
{
    if (sign_of(slope_a) * sign_of(slope_b) >= 0)
        return 0;
    gsl_function slope = {poly_slope, p};
    double m;
    if (brent(solver, &slope, a, b, &m) != 0)
        return -1;
    double rm = poly_eval(p, m, POLY_VALUE);
    /* A tangent (double) root: R touches 0 at m without crossing. Horner's rounding error
     * is below 2 (d+1) eps sum_k |a_k| m^k, so an |R(m)| under twice that is 0 as far as
     * the flows can tell. */
    double noise = 4.0 * (double)(p->d + 1) * DBL_EPSILON * poly_eval(p, m, POLY_MAGNITUDE);
    if (fabs(rm) <= noise) {
        roots_add(roots, m);
        return 0;
    }
    if (sign_of(rm) == sign_ab)
        return 0;
    gsl_function value = {poly_value, p};
    double x;
    if (brent(solver, &value, a, m, &x) != 0)
        return -1;
    roots_add(roots, x);
    if (brent(solver, &value, m, b, &x) != 0)
        return -1;
    roots_add(roots, x);
    return 0;
}

int cxroi_finance_irr(const double *cf, size_t n, double reference_rate, cxroi_irr *out)
{
    if (out == NULL || cf == NULL || n < 2 || !isfinite(reference_rate))
        return -1;
    double biggest = 0.0;
    size_t first = n, last = 0;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(cf[t]))
            return -1;
        if (cf[t] != 0.0) {
            if (first == n)
                first = t;
            last = t;
            biggest = fmax(biggest, fabs(cf[t]));
        }
    }
    *out = (cxroi_irr){.exists = false, .rate = NAN, .multiple = false, .n_roots = 0};
    size_t changes = cxroi_finance_sign_changes(cf, n);
    out->multiple = changes > 1;
    if (changes == 0) /* Descartes: no positive root of P, so no IRR */
        return 0;

    finance_poly p = {cf + first, last - first, 1.0 / biggest};
    /* Cauchy's bounds put every root of R within
     * |a_0| / (|a_0| + max_{k>0} |a_k|) <= |x| <= 1 + max_{k<d} |a_k| / |a_d|;
     * widened by 2 so no root sits on the edge of the scan. */
    double a0 = fabs(p.a[0]), ad = fabs(p.a[p.d]), max_hi = 0.0, max_lo = 0.0;
    for (size_t k = 0; k <= p.d; k++) {
        if (k > 0)
            max_lo = fmax(max_lo, fabs(p.a[k]));
        if (k < p.d)
            max_hi = fmax(max_hi, fabs(p.a[k]));
    }
    double x_lo = fmax(changes == 1 ? FINANCE_X_MIN_LONE : FINANCE_X_MIN, 0.5 * a0 / (a0 + max_lo));
    double x_hi =
        fmin(changes == 1 ? FINANCE_X_MAX_LONE : FINANCE_X_MAX, 2.0 * (1.0 + max_hi / ad));

    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (solver == NULL)
        return -1;
    gsl_function value = {poly_value, &p};
    finance_roots roots = {0, NAN, reference_rate};
    int status = 0;
    double r_lo = poly_eval(&p, x_lo, POLY_VALUE), r_hi = poly_eval(&p, x_hi, POLY_VALUE);

    if (changes == 1) {
        /* Descartes' rule: one sign change, exactly one positive root (the conventional
         * investment), and the bounds bracket it: no scan needed. The ends can only fail
         * to bracket it when the root lies beyond the clamped range. */
        double root;
        if (sign_of(r_lo) * sign_of(r_hi) < 0) {
            status = brent(solver, &value, x_lo, x_hi, &root);
            if (status == 0)
                roots_add(&roots, root);
        }
    } else {
        /* Scan a grid uniform in ln x, so every rate scale (-99 %, 5 %, 500 %, 1e6 %)
         * gets the same relative resolution. Descartes bounds the number of positive
         * roots by the number of sign changes: the scan stops once that many are found. */
        double span = log(x_hi / x_lo);
        size_t cells = (size_t)ceil(span * FINANCE_CELLS_PER_LN);
        if (cells < FINANCE_MIN_CELLS)
            cells = FINANCE_MIN_CELLS;
        double x_prev = x_lo, r_prev = r_lo, s_prev = poly_eval(&p, x_lo, POLY_SLOPE);
        if (r_prev == 0.0)
            roots_add(&roots, x_lo);
        for (size_t i = 1; i <= cells && status == 0 && roots.count < changes; i++) {
            double x = i == cells ? x_hi : x_lo * exp(span * (double)i / (double)cells);
            double r = i == cells ? r_hi : poly_eval(&p, x, POLY_VALUE);
            double s = poly_eval(&p, x, POLY_SLOPE);
            if (r == 0.0) {
                roots_add(&roots, x); /* exactly on a node: no bracket needed */
            } else if (r_prev != 0.0 && sign_of(r) != sign_of(r_prev)) {
                double root;
                status = brent(solver, &value, x_prev, x, &root);
                if (status == 0)
                    roots_add(&roots, root);
            } else if (r_prev != 0.0) {
                status = scan_cell_extremum(solver, &p, x_prev, x, s_prev, s, sign_of(r), &roots);
            }
            x_prev = x;
            r_prev = r;
            s_prev = s;
        }
    }
    gsl_root_fsolver_free(solver);
    if (status != 0)
        return -1;
    out->n_roots = roots.count;
    out->exists = roots.count > 0;
    if (out->exists)
        out->rate = roots.nearest;
    return 0;
}

bool cxroi_finance_mirr(const double *cf, size_t n, double finance_rate, double reinvest_rate,
                        double *mirr)
{
    if (cf == NULL || mirr == NULL || n < 2 || !(finance_rate > -1.0) || !(reinvest_rate > -1.0) ||
        !isfinite(finance_rate) || !isfinite(reinvest_rate))
        return false;
    /* As Excel: negative flows are financed, so discounted to t = 0 at finance_rate;
     * positive flows are reinvested, so compounded to t = n-1 at reinvest_rate.
     * MIRR = (FV+ / -PV-)^(1/(n-1)) - 1. Both sums by Horner: FV+ = sum CF+_t (1+rr)^(n-1-t),
     * PV- = sum CF-_t / (1+fr)^t. Leading zeros count as periods, as in Excel. */
    double grow = 1.0 + reinvest_rate, discount = 1.0 / (1.0 + finance_rate);
    double fv_positive = 0.0, pv_negative = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (!isfinite(cf[t]))
            return false;
        fv_positive = fv_positive * grow + (cf[t] > 0.0 ? cf[t] : 0.0);
        size_t k = n - 1 - t; /* walk PV- from the last flow back */
        pv_negative = pv_negative * discount + (cf[k] < 0.0 ? cf[k] : 0.0);
    }
    if (!(fv_positive > 0.0) || !(pv_negative < 0.0))
        return false; /* Excel's #DIV/0! */
    double value = pow(fv_positive / -pv_negative, 1.0 / (double)(n - 1)) - 1.0;
    if (!isfinite(value))
        return false;
    *mirr = value;
    return true;
}

bool cxroi_finance_payback(const double *cf, size_t n, double rate, double *years)
{
    if (years == NULL || (n > 0 && cf == NULL) || !(rate > -1.0) || !isfinite(rate))
        return false;
    /* C_t = sum_{k<=t} CF_k / (1+rate)^k; the discount factor is carried along the loop. */
    double factor = 1.0, discount = 1.0 / (1.0 + rate);
    double cumulative = 0.0;
    bool underwater = false;
    for (size_t t = 0; t < n; t++, factor *= discount) {
        if (!isfinite(cf[t]))
            return false;
        double previous = cumulative;
        if (cf[t] != 0.0) /* 0 * inf would turn an overflowed factor into NaN */
            cumulative += cf[t] * factor;
        /* Near rate -1, (1+rate)^-t overflows: +inf still compares right, but inf - inf is
         * NaN, an undecidable C_t, so "not recovered" rather than a NaN payback. */
        if (isnan(cumulative))
            return false;
        if (cumulative < 0.0) {
            underwater = true;
        } else if (underwater) {
            /* Recovered during year t: linear within it, (t-1) + (-C_{t-1})/(C_t - C_{t-1}).
             * previous < 0 <= cumulative, so the fraction is in (0, 1]. */
            *years = (double)(t - 1) + -previous / (cumulative - previous);
            return true;
        }
    }
    if (underwater)
        return false;
    *years = 0.0;
    return true;
}
