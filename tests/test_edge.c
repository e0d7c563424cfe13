/* Numeric edge cases of the whole pipeline (issue 7): each scenario goes through the
 * loader (cxroi_scenario_load_string) and the analysis (cxroi_analysis_run), and where
 * it matters through the JSON writer, and is checked against a value derived by hand in
 * the comment beside it. What each case is defined to give is documented in
 * docs/scenario-reference.md, "Edge cases".
 *
 * Tolerances: a closed form (geometric series) against the model's year-by-year sums
 * agrees to a few ulps per term; 1e-12 relative allows 50 terms of rounding with a wide
 * margin. Values that are exact in binary (zero benefits, -upfront) are compared with
 * 1e-9 absolute on amounts of thousands, which only rounding of a sum of zeros passes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "cxroi/analysis.h"
#include "cxroi/diag.h"
#include "cxroi/report.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

/* ------------------------------------------------------------------------------------ */
/* Helpers */

/* One run: the scenario, its diagnostics and (when it got that far) its analysis. */
typedef struct edge_run {
    cxroi_scenario *scenario;
    cxroi_diag *diag;
    cxroi_analysis *analysis;
    cxroi_error load_error;
    cxroi_error analysis_error;
} edge_run;

static char text_buf[8192];

/* Format the scenario text into text_buf. */
static const char *yaml(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static const char *yaml(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text_buf, sizeof text_buf, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof text_buf);
    return text_buf;
}

/* Load @p text and, when it loads, analyse it (deterministic only unless @p simulate,
 * then 2000 iterations: enough to see clamps and null ROIs, fast under ASan). */
static void run(const char *text, bool simulate, edge_run *r)
{
    memset(r, 0, sizeof *r);
    r->diag = cxroi_diag_new();
    assert_non_null(r->diag);
    r->load_error =
        cxroi_scenario_load_string(text, strlen(text), "edge.yaml", NULL, r->diag, &r->scenario);
    r->analysis_error = CXROI_ERROR_ARGUMENT;
    if (r->load_error != CXROI_OK)
        return;
    cxroi_analysis_options opt = {0};
    opt.skip_simulation = !simulate;
    opt.iterations = 2000;
    opt.threads = 2;
    r->analysis_error = cxroi_analysis_run(r->scenario, &opt, r->diag, &r->analysis);
}

static void run_free(edge_run *r)
{
    cxroi_analysis_free(r->analysis);
    cxroi_scenario_free(r->scenario);
    cxroi_diag_free(r->diag);
    memset(r, 0, sizeof *r);
}

/* Load and analyse, failing the test with the diagnostics when either step fails. */
static const cxroi_metrics *run_ok(const char *text, bool simulate, edge_run *r)
{
    run(text, simulate, r);
    if (r->load_error != CXROI_OK || r->analysis_error != CXROI_OK) {
        cxroi_diag_print(r->diag, stderr);
        fail_msg("the scenario failed: load %d, analysis %d\n%s", r->load_error, r->analysis_error,
                 text);
    }
    return &r->analysis->initiatives[0].base;
}

/* Does any diagnostic of severity @p sev contain @p needle? */
static bool diag_has(const cxroi_diag *d, cxroi_severity sev, const char *needle)
{
    for (size_t i = 0; i < cxroi_diag_count(d); i++) {
        const cxroi_diag_entry *e = cxroi_diag_get(d, i);
        if (e->severity == sev && strstr(e->message, needle))
            return true;
    }
    return false;
}

static void assert_diag(const cxroi_diag *d, cxroi_severity sev, const char *needle)
{
    if (!diag_has(d, sev, needle)) {
        cxroi_diag_print(d, stderr);
        fail_msg("no diagnostic of severity %d contains '%s'", (int)sev, needle);
    }
}

/* The analysis's JSON, parsed. */
static json_t *json_of(const edge_run *r)
{
    char *text = cxroi_report_json_string(r->analysis, r->diag);
    assert_non_null(text);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    if (!root)
        fail_msg("invalid JSON at %d:%d: %s", error.line, error.column, error.text);
    free(text);
    return root;
}

static json_t *json_deterministic(json_t *root)
{
    json_t *in = json_array_get(json_object_get(root, "initiatives"), 0);
    assert_non_null(in);
    json_t *d = json_object_get(in, "deterministic");
    assert_non_null(d);
    return d;
}

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, rel);
}

static void assert_abs(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (absolute tolerance %g)", got, want, tol);
}

/* The one-segment, one-initiative scenario most cases vary. Segment "mass": N0
 * customers, revenue 287.5, margin 0.36, cost to serve 12.25, so the contribution per
 * customer is m = 287.5 * 0.36 - 12.25 = 91.25; no acquisitions. */
#define M_CONTRIB (287.5 * 0.36 - 12.25)

static const char *one_segment(int horizon, double rate, double customers, double retention,
                               int start, double upfront, const char *effect)
{
    return yaml("cxroi: 1\n"
                "name: Edge\n"
                "currency: EUR\n"
                "horizon: %d\n"
                "discount_rate: %.17g\n"
                "segments:\n"
                "  - {id: mass, customers: %.17g, revenue_per_customer: 287.5, margin: 0.36,"
                " cost_to_serve: 12.25, retention: %.17g}\n"
                "initiatives:\n"
                "  - id: a\n"
                "    start: %d\n"
                "    costs: {upfront: %.17g}\n"
                "    effects:\n"
                "      mass: {%s}\n",
                horizon, rate, customers, retention, start, upfront, effect);
}

/* Sum_{k=0}^{n-1} q^k in closed form: (1 - q^n) / (1 - q), or n when q = 1. */
static double geometric(double q, int n)
{
    return q == 1.0 ? (double)n : (1.0 - pow(q, n)) / (1.0 - q);
}

/* NPV of a retention effect on a constant-retention segment without acquisitions:
 * N_t = N0 r^t, N'_t = N0 r'^t, B_t = (N'_{t-1} - N_{t-1}) m (year 1: 0), so
 * sum_{t=1}^{H} B_t / (1+d)^t = N0 m / (1+d) sum_{k=0}^{H-1} [(r'/(1+d))^k - (r/(1+d))^k],
 * two geometric series; the upfront cost U at t = 0. Independent of the model's
 * year-by-year recursion. */
static double npv_retention_closed(double n0, double m, double r, double r_new, double d, int h,
                                   double upfront)
{
    double g = 1.0 + d;
    return -upfront + n0 * m / g * (geometric(r_new / g, h) - geometric(r / g, h));
}

/* ------------------------------------------------------------------------------------ */
/* Retention at its bounds */

/* Retention 1.0: nobody leaves, so a retention effect has nothing to act on: retention
 * 1 + 0.0123 is clamped to 1 in each of the H = 5 operating years (5 clamps, a warning),
 * the benefit is 0 and NPV = -U = -5000, ROI = NPV / PV costs = -1, BCR = 0, no IRR
 * (a lone negative flow never changes sign). */
static void test_edge_retention_one(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 1.0, 0, 5000, "retention: 0.0123"), true, &r);
    assert_abs(m->npv, -5000.0, 1e-9);
    assert_abs(m->pv_benefits, 0.0, 1e-9);
    assert_true(m->has_roi);
    assert_abs(m->roi, -1.0, 1e-15);
    assert_abs(m->bcr, 0.0, 1e-15);
    assert_false(m->irr.exists);
    assert_false(m->has_payback);
    assert_int_equal(r.analysis->clamped, 5);
    assert_diag(r.diag, CXROI_SEVERITY_WARNING, "clamped to [0, 1] 5 times in the deterministic");
    /* Every one of the 2000 iterations clamps the same 5 years (the inputs are fixed). */
    assert_int_equal(r.analysis->simulation->clamped, 5 * 2000);
    json_t *root = json_of(&r);
    json_t *warnings = json_object_get(root, "warnings");
    assert_int_equal(json_array_size(warnings), 2);
    json_t *d = json_deterministic(root);
    assert_true(json_is_null(json_object_get(d, "irr")));
    assert_true(json_is_null(json_object_get(d, "payback_years")));
    json_decref(root);
    run_free(&r);

    /* With a revenue effect instead, retention 1 keeps the whole base every year:
     * B_t = N0 * revenue * margin * dRev = 1234 * 287.5 * 0.36 * 0.0735 in each of t = 1..5
     * (year 1 too: N'_0 = N0 earn the higher revenue), so
     * NPV = -5000 + B * sum_{t=1}^{5} 1.0735^-t = -5000 + B (1 - 1.0735^-5) / 0.0735. */
    m = run_ok(one_segment(5, 0.0735, 1234, 1.0, 0, 5000, "revenue: 0.0735"), false, &r);
    double b = 1234 * 287.5 * 0.36 * 0.0735;
    assert_rel(m->npv, -5000.0 + b * (1.0 - pow(1.0735, -5)) / 0.0735, 1e-12);
    assert_int_equal(r.analysis->clamped, 0);
    run_free(&r);
}

/* Retention 0.0: the whole base leaves after one year. With +0.0123 retention, N'_t =
 * N0 0.0123^t against N_t = 0 for t >= 1: B_1 = 0, B_t = N0 0.0123^(t-1) m, the closed
 * form with r = 0 (geometric(0, H) = 1: only the k = 0 term of the baseline series). No
 * clamp: 0.0123 is inside [0, 1]. */
static void test_edge_retention_zero(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 0.0, 0, 500, "retention: 0.0123"), false, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.0, 0.0123, 0.0735, 5, 500), 1e-12);
    assert_int_equal(r.analysis->clamped, 0);
    run_free(&r);

    /* Retention 0 and an effect that lowers it: 0 - 0.0211 is clamped to 0 in every
     * operating year (5 clamps); the customers are the baseline's, B_t = 0, NPV = -U. */
    m = run_ok(one_segment(5, 0.0735, 1234, 0.0, 0, 500, "retention: -0.0211"), false, &r);
    assert_abs(m->npv, -500.0, 1e-9);
    assert_int_equal(r.analysis->clamped, 5);
    assert_diag(r.diag, CXROI_SEVERITY_WARNING, "clamped to [0, 1] 5 times");
    run_free(&r);
}

/* Effects past 0 or 1 through churn: churn -1 (the loader's lower bound) makes churn 0,
 * retention 1 exactly (no clamp); from retention 0.82, a relative churn change of +5
 * gives 1 - 0.18 * 6 = -0.08, clamped to 0 in each of the 5 years. */
static void test_edge_churn_clamped(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 0.82, 0, 500, "churn: -1"), false, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 1.0, 0.0735, 5, 500), 1e-12);
    assert_int_equal(r.analysis->clamped, 0);
    run_free(&r);

    m = run_ok(one_segment(5, 0.0735, 1234, 0.82, 0, 500, "churn: 5"), false, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 0.0, 0.0735, 5, 500), 1e-12);
    assert_int_equal(r.analysis->clamped, 5);
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Discount rate */

/* sBG retention r(a) = (beta + a) / (alpha + beta + a) of a customer of age a. */
static double sbg_rate(double alpha, double beta, double age)
{
    return (beta + age) / (alpha + beta + age);
}

/* Customers at t of an sBG segment followed cohort by cohort, the definition: the base
 * (age tenure during year 1) and the acquisitions A (1 + dAcq g_j) of each year j (age
 * 0 during year j + 1), each surviving in year s the rate of its age plus dRet g_s,
 * clamped to [0, 1]; *clamps counts the clamped rates. */
static double sbg_customers(int t, double n0, double a, double alpha, double beta, int tenure,
                            double d_ret, double d_acq, const double *g, long *clamps)
{
    double total = 0.0;
    for (int j = 0; j <= t; j++) {
        double c = j == 0 ? n0 : a * (1.0 + d_acq * g[j]);
        for (int s = j + 1; s <= t; s++) {
            double age = j == 0 ? tenure + s - 1 : s - 1 - j;
            double rate = sbg_rate(alpha, beta, age) + d_ret * g[s];
            if (rate > 1.0 || rate < 0.0) {
                rate = rate > 1.0 ? 1.0 : 0.0;
                ++*clamps;
            }
            c *= rate;
        }
        total += c;
    }
    return total;
}

/* One sBG case of test_edge_sbg_cohorts_clamped(): NPV and clamp count of the model
 * against the cohorts followed one by one; returns the clamp count. */
static long check_sbg_cohorts(int start, int ramp_years, double d_ret)
{
    const int h = 11, tenure = 2;
    const double n0 = 25310, a = 4170, alpha = 1.3, beta = 9.7, d = 0.0735;
    const double d_acq = 0.0433, upfront = 1.5e5, m = M_CONTRIB;
    const char *text = yaml("cxroi: 1\n"
                            "name: Edge sBG\n"
                            "currency: EUR\n"
                            "horizon: %d\n"
                            "discount_rate: %.17g\n"
                            "segments:\n"
                            "  - {id: mass, customers: %.17g, revenue_per_customer: 287.5,"
                            " margin: 0.36, cost_to_serve: 12.25, acquisitions_per_year: %.17g,"
                            " retention_curve: {sbg: {alpha: %.17g, beta: %.17g}, tenure: %d}}\n"
                            "initiatives:\n"
                            "  - id: a\n"
                            "    start: %d\n"
                            "    ramp_years: %d\n"
                            "    costs: {upfront: %.17g}\n"
                            "    effects:\n"
                            "      mass: {retention: %.17g, acquisitions: %.17g}\n",
                            h, d, n0, a, alpha, beta, tenure, start, ramp_years, upfront, d_ret,
                            d_acq);
    double g[12];
    for (int t = 0; t <= h; t++) /* the ramp: 0 until start, then up over ramp_years */
        g[t] = t <= start ? 0.0
               : ramp_years <= 0 ? 1.0
                                 : fmin(1.0, (double)(t - start) / (double)ramp_years);
    long unused = 0, none = 0;
    double npv = start <= h ? -upfront / pow(1.0 + d, start) : 0.0;
    for (int t = 1; t <= h; t++) {
        double with = sbg_customers(t - 1, n0, a, alpha, beta, tenure, d_ret, d_acq, g, &unused);
        double base = sbg_customers(t - 1, n0, a, alpha, beta, tenure, 0.0, 0.0, g, &none);
        npv += (with - base) * m / pow(1.0 + d, t);
    }
    assert_int_equal(none, 0);
    /* The clamps of years 1..H, each cohort-year once (the model's year loop runs to H
     * for the customers at H). */
    long clamps = 0;
    sbg_customers(h, n0, a, alpha, beta, tenure, d_ret, d_acq, g, &clamps);

    edge_run r;
    const cxroi_metrics *got = run_ok(text, true, &r);
    assert_rel(got->npv, npv, 1e-12);
    assert_int_equal(r.analysis->clamped, (size_t)clamps);
    /* Fixed inputs: every one of the 2000 iterations clamps the same rates. */
    assert_int_equal(r.analysis->simulation->clamped, (size_t)clamps * 2000);
    run_free(&r);
    return clamps;
}

/* An sBG segment with acquisitions and a ramp (start 1, 2 years: g = 0, 0.5, 1, 1, ...):
 * a retention effect of +0.0815 pushes the rates of ages 5 and older past 1 once the
 * ramp is complete (r(5) = 14.7 / 16 = 0.91875), for the base (tenure 2) and for the
 * cohorts acquired before and after the ramp. NPV and clamp count against the cohorts
 * followed one by one: the model follows one young cohort for all those acquired once
 * the ramp is complete, which must count every clamp and lose no customer. Then an
 * effect too small to clamp (the rates' range check skips the clamp), and an initiative
 * that starts at the horizon (no year changes the rates). */
static void test_edge_sbg_cohorts_clamped(void **state)
{
    (void)state;
    assert_true(check_sbg_cohorts(1, 2, 0.0815) > 10); /* clamps in many cohort-years */
    assert_int_equal(check_sbg_cohorts(0, 3, 0.0123), 0);
    assert_int_equal(check_sbg_cohorts(11, 1, 0.0815), 0);
}

/* d = 0: NPV is the plain sum of the flows; the closed form with 1 + d = 1. */
static void test_edge_discount_zero(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(7, 0.0, 1234, 0.82, 0, 5000, "retention: 0.0123"), false, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 0.8323, 0.0, 7, 5000), 1e-12);
    double sum = 0.0;
    for (int t = 0; t <= 7; t++)
        sum += r.analysis->initiatives[0].cash_flows[t];
    assert_rel(m->npv, sum, 1e-12);
    run_free(&r);
}

/* d close to -1 (-0.95): the loader accepts any d > -1. Each later flow is multiplied by
 * 1/0.05^t = 20^t, so NPV is dominated by the last year; the same closed form holds
 * (r'/(1+d) = 16.6 > 1: the series grows, still finite). IRR does not depend on d. */
static void test_edge_discount_near_minus_one(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, -0.95, 1234, 0.82, 0, 5000, "retention: 0.0123"), false, &r);
    double want = npv_retention_closed(1234, M_CONTRIB, 0.82, 0.8323, -0.95, 5, 5000);
    assert_rel(m->npv, want, 1e-12);
    assert_true(isfinite(m->roi));
    double irr_far = m->irr.rate;
    assert_true(m->irr.exists);
    run_free(&r);
    m = run_ok(one_segment(5, 0.0735, 1234, 0.82, 0, 5000, "retention: 0.0123"), false, &r);
    assert_true(m->irr.exists);
    /* The same flows, one sign change, one root: found to Brent's 1e-12. */
    assert_abs(m->irr.rate, irr_far, 1e-10);
    run_free(&r);
}

/* Customer equity at H is worth m / (1 + d - r) per extra customer: finite only for
 * r < 1 + d. With d = -0.95 and r = 0.82, 1 + d - r = -0.77 < 0: the value of a customer
 * never stops growing. That is a model error naming the segment and the fix, not a
 * negative or infinite number in a report. */
static void test_edge_discount_near_minus_one_customer_equity(void **state)
{
    (void)state;
    char text[8192];
    snprintf(text, sizeof text, "%sterminal_value: customer_equity\n",
             one_segment(5, -0.95, 1234, 0.82, 0, 5000, "retention: 0.0123"));
    edge_run r;
    run(text, false, &r);
    assert_int_equal(r.load_error, CXROI_OK);
    assert_int_equal(r.analysis_error, CXROI_ERROR_MODEL);
    assert_null(r.analysis);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR,
                "segments.mass: the customer equity of a customer "
                "is infinite");
    run_free(&r);

    /* d = 0 with retention 1 - 0.0123 = 0.9877 after the effect, baseline 0.82: the
     * extra customers at H = 5, N0 (0.8323^5 - 0.82^5), are worth m / (1 - 0.82) each
     * (baseline retention after H); NPV = the closed form + that terminal value. */
    snprintf(text, sizeof text, "%sterminal_value: customer_equity\n",
             one_segment(5, 0.0, 1234, 0.82, 0, 5000, "retention: 0.0123"));
    const cxroi_metrics *m = run_ok(text, false, &r);
    double tv = 1234 * (pow(0.8323, 5) - pow(0.82, 5)) * M_CONTRIB / (1.0 - 0.82);
    assert_rel(m->terminal_value, tv, 1e-12);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 0.8323, 0.0, 5, 5000) + tv,
               1e-12);
    run_free(&r);

    /* d = 0 and baseline retention 1: 1 + d - r = 0, infinite too. */
    snprintf(text, sizeof text, "%sterminal_value: customer_equity\n",
             one_segment(5, 0.0, 1234, 1.0, 0, 5000, "revenue: 0.0123"));
    run(text, false, &r);
    assert_int_equal(r.analysis_error, CXROI_ERROR_MODEL);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "use a higher discount_rate or terminal_value: none");
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Horizon and start */

/* H = 1: flows at t = 0 and 1 only. A retention effect acts from year 2 on (B_1 = 0,
 * the base at the start of year 1 is N0 either way), so NPV = -U; a revenue effect pays
 * B_1 = N0 revenue margin dRev at t = 1. */
static void test_edge_horizon_one(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(1, 0.0735, 1234, 0.82, 0, 5000, "retention: 0.0123"), false, &r);
    assert_abs(m->npv, -5000.0, 1e-9);
    assert_false(m->irr.exists);
    run_free(&r);

    m = run_ok(one_segment(1, 0.0735, 1234, 0.82, 0, 5000, "revenue: 0.0735"), false, &r);
    double b = 1234 * 287.5 * 0.36 * 0.0735;
    assert_rel(m->npv, -5000.0 + b / 1.0735, 1e-12);
    /* One period: IRR = B / U - 1 (-U + B/(1+i) = 0). */
    assert_true(m->irr.exists);
    assert_rel(m->irr.rate, b / 5000.0 - 1.0, 1e-10);
    /* Payback within year 1: U / B of the year. */
    assert_true(m->has_payback);
    assert_rel(m->payback_years, 5000.0 / b, 1e-12);
    run_free(&r);
}

/* H = 50, the loader's maximum: 50 years of the closed form. */
static void test_edge_horizon_fifty(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(50, 0.0735, 1234, 0.82, 0, 5000, "retention: 0.0123"), true, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 0.8323, 0.0735, 50, 5000),
               1e-12);
    json_t *root = json_of(&r);
    assert_int_equal(json_array_size(json_object_get(json_deterministic(root), "cash_flows")), 51);
    json_decref(root);
    run_free(&r);
}

/* start = H: the upfront cost falls at t = H, annual costs would run in H+1..H (none),
 * the ramp g_t = 0 for t <= start keeps every effect off. NPV = -U / (1+d)^H,
 * ROI = -1, no IRR, no payback. */
static void test_edge_start_equals_horizon(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 0.82, 5, 5000, "retention: 0.0123"), false, &r);
    assert_rel(m->npv, -5000.0 / pow(1.0735, 5), 1e-14);
    assert_rel(m->roi, -1.0, 1e-15);
    assert_false(m->irr.exists);
    assert_false(m->has_payback);
    for (int t = 0; t < 5; t++)
        assert_abs(r.analysis->initiatives[0].cash_flows[t], 0.0, 0.0);
    run_free(&r);
}

/* start > H: nothing of the initiative falls within the horizon: refused by the loader
 * or the analysis, never a free initiative with NPV 0 and ROI null. */
static void test_edge_start_after_horizon(void **state)
{
    (void)state;
    edge_run r;
    run(one_segment(5, 0.0735, 1234, 0.82, 6, 5000, "retention: 0.0123"), false, &r);
    assert_int_equal(r.load_error, CXROI_ERROR_SCENARIO);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "expected a delay from 0 to the horizon");
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Sizes */

/* Zero customers and no acquisitions: no base for any effect to act on; B_t = 0,
 * NPV = -U, in the deterministic case and in every iteration. */
static void test_edge_zero_customers(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 0, 0.82, 0, 5000, "retention: 0.0123"), true, &r);
    assert_abs(m->npv, -5000.0, 1e-9);
    assert_abs(r.analysis->segments[0].contribution_total, 0.0, 0.0);
    assert_abs(r.analysis->simulation->initiatives[0].npv.mean, -5000.0, 1e-9);
    assert_abs(r.analysis->simulation->initiatives[0].npv.sd, 0.0, 1e-9);
    run_free(&r);
}

/* 1e15 customers (the loader's cap): the closed form scales linearly, no overflow. */
static void test_edge_huge_customers(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1e15, 0.82, 0, 5000, "retention: 0.0123"), true, &r);
    assert_rel(m->npv, npv_retention_closed(1e15, M_CONTRIB, 0.82, 0.8323, 0.0735, 5, 5000), 1e-12);
    assert_true(isfinite(m->irr.rate));
    run_free(&r);

    /* Above the cap: refused with the reason. */
    run(one_segment(5, 0.0735, 2e15, 0.82, 0, 5000, "retention: 0.0123"), false, &r);
    assert_int_equal(r.load_error, CXROI_ERROR_SCENARIO);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "larger than 1e15");
    run_free(&r);
}

/* Every amount at the cap at once, over 50 years at a rate just above -1: the flows,
 * about 1e15 customers x 1e15 contribution, and their discounting by 1e-6^-50 overflow
 * a double. A model error that says so, never an infinity in a report. */
static void test_edge_overflow_is_an_error(void **state)
{
    (void)state;
    edge_run r;
    run("cxroi: 1\n"
        "name: Overflow\n"
        "currency: EUR\n"
        "horizon: 50\n"
        "discount_rate: -0.999999\n"
        "segments:\n"
        "  - {id: mass, customers: 1e15, revenue_per_customer: 1e15, margin: 1,"
        " retention: 1, acquisitions_per_year: 1e15}\n"
        "initiatives:\n"
        "  - id: a\n"
        "    costs: {upfront: 1e15}\n"
        "    effects:\n"
        "      mass: {revenue: 1e13}\n",
        false, &r);
    assert_int_equal(r.load_error, CXROI_OK);
    assert_int_equal(r.analysis_error, CXROI_ERROR_MODEL);
    assert_null(r.analysis);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR,
                "initiatives.a: the business case cannot be "
                "evaluated at the base values");
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "overflows");
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* IRR, ROI */

/* Flows that never change sign (costs only): no IRR, null in the JSON, no MIRR. */
static void test_edge_irr_no_root(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 0.82, 0, 5000, "retention: -0.0123"), false, &r);
    assert_true(m->npv < -5000.0);
    assert_false(m->irr.exists);
    assert_false(m->irr.multiple);
    assert_false(m->has_mirr);
    json_t *root = json_of(&r);
    json_t *d = json_deterministic(root);
    assert_true(json_is_null(json_object_get(d, "irr")));
    assert_true(json_is_null(json_object_get(d, "mirr")));
    assert_true(json_is_false(json_object_get(d, "irr_multiple")));
    json_decref(root);
    run_free(&r);
}

/* Two sign changes. Revenue +0.5 (m' = 1.5 m: the cost to serve is 0 here) and retention
 * 0.9 - 0.5 = 0.4 over H = 2: with X = N0 m,
 *   CF_0 = -U, CF_1 = N0 (m' - m) = 0.5 X, CF_2 = N0 (0.4 m' - 0.9 m) = -0.3 X.
 * With y = 1/(1+i), -U + 0.5 X y - 0.3 X y^2 = 0 has roots y1 + y2 = 5/3, y1 y2 = U/(0.3X).
 * Choosing y1 = 1/1.1 (i = 10 %) fixes y2 = 5/3 - 1/1.1 and U = 0.3 X y1 y2; the other
 * root is i2 = 1/y2 - 1 = 0.32. The IRR reported is the root nearest the discount rate
 * and is flagged as one of several. */
static void test_edge_irr_several_roots(void **state)
{
    (void)state;
    double n0 = 1234, m = 287.5 * 0.36, x = n0 * m;
    double y1 = 1.0 / 1.1, y2 = 5.0 / 3.0 - y1;
    double upfront = 0.3 * x * y1 * y2;
    double i2 = 1.0 / y2 - 1.0;
    assert_abs(i2, 0.32, 1e-12); /* the derivation above */
    double rates[2] = {0.0735, 0.25}, want[2] = {0.1, i2};
    for (int c = 0; c < 2; c++) {
        edge_run r;
        const cxroi_metrics *mt =
            run_ok(yaml("cxroi: 1\n"
                        "name: Two roots\n"
                        "currency: EUR\n"
                        "horizon: 2\n"
                        "discount_rate: %.17g\n"
                        "segments:\n"
                        "  - {id: mass, customers: 1234, revenue_per_customer: 287.5,"
                        " margin: 0.36, retention: 0.9}\n"
                        "initiatives:\n"
                        "  - id: a\n"
                        "    costs: {upfront: %.17g}\n"
                        "    effects:\n"
                        "      mass: {revenue: 0.5, retention: -0.5}\n",
                        rates[c], upfront),
                   false, &r);
        assert_true(mt->irr.exists);
        assert_true(mt->irr.multiple);
        assert_int_equal(mt->irr.n_roots, 2);
        /* Brent to 1e-12 on a well-conditioned quadratic. */
        assert_abs(mt->irr.rate, want[c], 1e-9);
        json_t *root = json_of(&r);
        json_t *d = json_deterministic(root);
        assert_true(json_is_true(json_object_get(d, "irr_multiple")));
        assert_abs(json_real_value(json_object_get(d, "irr")), want[c], 1e-9);
        json_decref(root);
        run_free(&r);
    }
}

/* No cost at all: ROI = NPV / PV costs and BCR are undefined (null), never inf or NaN,
 * in the deterministic case and in the simulation; the NPV is the closed form with
 * U = 0. Nothing is invested, so the cumulative flow is 0 at t = 0: payback 0 years. */
static void test_edge_zero_cost(void **state)
{
    (void)state;
    edge_run r;
    const cxroi_metrics *m =
        run_ok(one_segment(5, 0.0735, 1234, 0.82, 0, 0, "retention: 0.0123"), true, &r);
    assert_rel(m->npv, npv_retention_closed(1234, M_CONTRIB, 0.82, 0.8323, 0.0735, 5, 0), 1e-12);
    assert_false(m->has_roi);
    assert_abs(m->pv_costs, 0.0, 0.0);
    assert_false(r.analysis->simulation->initiatives[0].has_roi);
    assert_true(m->has_payback);
    assert_abs(m->payback_years, 0.0, 0.0);
    json_t *root = json_of(&r);
    json_t *d = json_deterministic(root);
    assert_true(json_is_null(json_object_get(d, "roi")));
    assert_true(json_is_null(json_object_get(d, "bcr")));
    json_t *sim =
        json_object_get(json_array_get(json_object_get(root, "initiatives"), 0), "simulation");
    assert_true(json_is_null(json_object_get(sim, "roi")));
    json_decref(root);
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* NaN and infinity */

/* Every way of writing a non-finite number, in every kind of place a number goes: a
 * scenario error naming the key, never a value that reaches the model. */
static void test_edge_non_finite_inputs(void **state)
{
    (void)state;
    static const char *const spellings[] = {".nan",  ".NaN",   ".inf", "-.inf", ".Inf",
                                            "1e400", "-1e400", "nan",  "inf",   "Infinity"};
    /* The text before and after the bad value. */
#define HEAD "cxroi: 1\nname: X\ncurrency: EUR\nhorizon: 5\n"
#define SEGMENT                                                                                    \
    "segments:\n  - {id: s, customers: 10, revenue_per_customer: 5, margin: 0.3,"                  \
    " retention: 0.8}\n"
#define INITIATIVE                                                                                 \
    "initiatives:\n  - {id: a, costs: {upfront: 1}, effects: {s: {retention: 0.01}}}\n"
    static const char *const places[][2] = {
        /* a top-level rate */
        {HEAD "discount_rate: ", "\n" SEGMENT INITIATIVE},
        /* a segment's economics */
        {HEAD "discount_rate: 0.07\nsegments:\n  - {id: s, customers: 10, "
              "revenue_per_customer: ",
         ", margin: 0.3, retention: 0.8}\n" INITIATIVE},
        /* a distribution's parameter */
        {HEAD "discount_rate: 0.07\n" SEGMENT
              "initiatives:\n  - {id: a, costs: {upfront: {dist: pert, min: 1, mode: 2, max: ",
         "}}, effects: {s: {retention: 0.01}}}\n"},
        /* an effect */
        {HEAD "discount_rate: 0.07\n" SEGMENT
              "initiatives:\n  - {id: a, costs: {upfront: 1}, effects: {s: {retention: ",
         "}}}\n"},
        /* a survival curve */
        {HEAD "discount_rate: 0.07\nsegments:\n  - {id: s, customers: 10, "
              "revenue_per_customer: 5, margin: 0.3, survival: [1000, 800, ",
         ", 600]}\n"
         "initiatives:\n  - {id: a, costs: {upfront: 1}, effects: {s: {churn: -0.01}}}\n"},
        /* the budget */
        {HEAD "discount_rate: 0.07\n" SEGMENT INITIATIVE "portfolio: {budget: ", "}\n"},
    };
#undef HEAD
#undef SEGMENT
#undef INITIATIVE
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
        for (size_t s = 0; s < sizeof spellings / sizeof spellings[0]; s++) {
            char text[2048];
            snprintf(text, sizeof text, "%s%s%s", places[p][0], spellings[s], places[p][1]);
            edge_run r;
            run(text, false, &r);
            if (r.load_error != CXROI_ERROR_SCENARIO)
                fail_msg("'%s' in place %zu: load gave %d, not a scenario error", spellings[s], p,
                         r.load_error);
            assert_null(r.scenario);
            assert_true(cxroi_diag_error_count(r.diag) >= 1);
            run_free(&r);
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* Resource limits: refused before any work */

/* A scenario of @p n_segments segments and @p n_initiatives initiatives (each acting on
 * the first segment, with an uncertain cost), built in a buffer the caller frees. */
static char *many(size_t n_segments, size_t n_initiatives)
{
    size_t cap = 256 + 160 * (n_segments + n_initiatives);
    char *t = malloc(cap);
    assert_non_null(t);
    size_t n = (size_t)snprintf(t, cap,
                                "cxroi: 1\nname: Many\ncurrency: EUR\nhorizon: 3\n"
                                "discount_rate: 0.0735\nsegments:\n");
    for (size_t k = 0; k < n_segments; k++)
        n += (size_t)snprintf(t + n, cap - n,
                              "  - {id: s%zu, customers: 10, revenue_per_customer: 5,"
                              " margin: 0.3, retention: 0.8}\n",
                              k);
    n += (size_t)snprintf(t + n, cap - n, "initiatives:\n");
    for (size_t i = 0; i < n_initiatives; i++)
        n += (size_t)snprintf(t + n, cap - n,
                              "  - {id: i%zu, costs: {upfront: {dist: uniform, min: 1, max: 2}},"
                              " effects: {s0: {retention: 0.01}}}\n",
                              i);
    assert_true(n < cap);
    return t;
}

/* The loader's caps: 1000 segments and 1000 initiatives load; one more of either is a
 * scenario error that says so, before anything is evaluated. */
static void test_edge_too_many(void **state)
{
    (void)state;
    static const struct {
        size_t segments, initiatives;
        const char *message;
    } cases[] = {{1000, 1000, NULL},
                 {1001, 1, "too many segments: at most 1000"},
                 {1, 1001, "too many initiatives: at most 1000"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *text = many(cases[c].segments, cases[c].initiatives);
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_scenario *sc = NULL;
        cxroi_error err =
            cxroi_scenario_load_string(text, strlen(text), "many.yaml", NULL, diag, &sc);
        if (!cases[c].message) {
            assert_int_equal(err, CXROI_OK);
            assert_int_equal(sc->n_segments, 1000);
            assert_int_equal(sc->n_initiatives, 1000);
        } else {
            assert_int_not_equal(err, CXROI_OK);
            assert_null(sc);
            assert_diag(diag, CXROI_SEVERITY_ERROR, cases[c].message);
        }
        cxroi_scenario_free(sc);
        cxroi_diag_free(diag);
        free(text);
    }
}

/* A scenario file over the parser's 8 MiB: refused, not parsed. */
static void test_edge_file_too_large(void **state)
{
    (void)state;
    size_t size = (size_t)9 << 20;
    char *text = malloc(size + 1);
    assert_non_null(text);
    const char *head = "cxroi: 1\n# ";
    memcpy(text, head, strlen(head));
    memset(text + strlen(head), 'x', size - strlen(head));
    text[size] = '\0';
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    assert_int_not_equal(cxroi_scenario_load_string(text, size, "big.yaml", NULL, diag, &sc),
                         CXROI_OK);
    assert_null(sc);
    assert_true(cxroi_diag_error_count(diag) >= 1);
    cxroi_diag_free(diag);
    free(text);
}

/* The peak estimate grows with the iterations and the threads, and covers the stored
 * samples of cxroi_simulation_memory() less its one statistics copy (counted per thread
 * in the peak): with 7 initiatives, 1e6 iterations, the stored NPVs and PV costs alone
 * are 2 x 7 x 1e6 x 8 = 112 MB and each statistics thread adds two 8 MB copies. */
static void test_edge_memory_estimate(void **state)
{
    (void)state;
    char *text = many(2, 7);
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load_string(text, strlen(text), "m.yaml", NULL, diag, &sc),
                     CXROI_OK);
    size_t one = cxroi_simulation_memory_peak(sc, 1000000, 1);
    size_t two = cxroi_simulation_memory_peak(sc, 1000000, 2);
    assert_true(one >= 112000000 + 16000000);
    assert_true(two - one >= 16000000);
    assert_true(cxroi_simulation_memory_peak(sc, 2000000, 1) > one);
    assert_true(one >= cxroi_simulation_memory(sc, 1000000));
    cxroi_memory_limit kind;
    size_t have = cxroi_simulation_memory_at_hand(2, &kind);
    assert_true(have > 0);
    assert_true(kind != CXROI_MEMORY_UNKNOWN || have == SIZE_MAX);
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
    free(text);
}

/* More than the machine has: 1000 initiatives x 1e8 iterations need 1.6 TB for the NPVs
 * and PV costs alone. The simulation refuses before allocating, with CXROI_ERROR_LIMIT
 * and an error saying how much it needs and how many iterations would fit; the analysis
 * fails with it and gives no results. */
static void test_edge_memory_refused(void **state)
{
    (void)state;
    char *text = many(1, 1000);
    edge_run r;
    memset(&r, 0, sizeof r);
    r.diag = cxroi_diag_new();
    assert_int_equal(
        cxroi_scenario_load_string(text, strlen(text), "m.yaml", NULL, r.diag, &r.scenario),
        CXROI_OK);
    free(text);
    size_t need = cxroi_simulation_memory_peak(r.scenario, 100000000, 2);
    if (need <= cxroi_simulation_memory_at_hand(2, NULL)) {
        run_free(&r);
        print_message("this machine has more than %zu bytes to spare: skipped\n", need);
        skip();
    }
    cxroi_analysis_options opt = {0};
    opt.iterations = 100000000;
    opt.threads = 2;
    r.analysis_error = cxroi_analysis_run(r.scenario, &opt, r.diag, &r.analysis);
    assert_int_equal(r.analysis_error, CXROI_ERROR_LIMIT);
    assert_null(r.analysis);
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "the simulation of 100000000 iterations needs about");
    assert_diag(r.diag, CXROI_SEVERITY_ERROR, "or fewer");
    run_free(&r);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_retention_one),
        cmocka_unit_test(test_edge_retention_zero),
        cmocka_unit_test(test_edge_churn_clamped),
        cmocka_unit_test(test_edge_sbg_cohorts_clamped),
        cmocka_unit_test(test_edge_discount_zero),
        cmocka_unit_test(test_edge_discount_near_minus_one),
        cmocka_unit_test(test_edge_discount_near_minus_one_customer_equity),
        cmocka_unit_test(test_edge_horizon_one),
        cmocka_unit_test(test_edge_horizon_fifty),
        cmocka_unit_test(test_edge_start_equals_horizon),
        cmocka_unit_test(test_edge_start_after_horizon),
        cmocka_unit_test(test_edge_zero_customers),
        cmocka_unit_test(test_edge_huge_customers),
        cmocka_unit_test(test_edge_overflow_is_an_error),
        cmocka_unit_test(test_edge_irr_no_root),
        cmocka_unit_test(test_edge_irr_several_roots),
        cmocka_unit_test(test_edge_zero_cost),
        cmocka_unit_test(test_edge_non_finite_inputs),
        cmocka_unit_test(test_edge_too_many),
        cmocka_unit_test(test_edge_file_too_large),
        cmocka_unit_test(test_edge_memory_estimate),
        cmocka_unit_test(test_edge_memory_refused),
    };
    return cmocka_run_group_tests_name("edge", tests, NULL, NULL);
}
