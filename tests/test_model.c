/* Tests of the deterministic model (src/model.c) against hand computations, brute-force
 * series and the calibration files of SPEC.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "cxroi/analysis.h"
#include "cxroi/finance.h"
#include "cxroi/model.h"
#include "cxroi/sbg.h"
#include "cxroi/scenario.h"

#ifndef CXROI_SHARED_DIR
#define CXROI_SHARED_DIR "../shared"
#endif

/* ------------------------------------------------------------------ scenario builder */

#define TB_MAX_PARAMS 64
#define TB_MAX_SEGMENTS 4
#define TB_MAX_INITIATIVES 4
#define TB_MAX_EFFECTS 4

/* A scenario assembled by hand: every input a FIXED parameter, values[i] its value. */
typedef struct tb {
    cxroi_scenario sc;
    cxroi_param params[TB_MAX_PARAMS];
    char paths[TB_MAX_PARAMS][48];
    double values[TB_MAX_PARAMS];
    cxroi_segment segments[TB_MAX_SEGMENTS];
    cxroi_initiative initiatives[TB_MAX_INITIATIVES];
    cxroi_effect effects[TB_MAX_INITIATIVES][TB_MAX_EFFECTS];
} tb;

static size_t tb_param(tb *b, const char *path, double v)
{
    size_t i = b->sc.n_params++;
    assert_true(i < TB_MAX_PARAMS);
    snprintf(b->paths[i], sizeof b->paths[i], "%s", path);
    b->params[i].path = b->paths[i];
    b->params[i].dist.kind = CXROI_DIST_FIXED;
    b->params[i].dist.value = v;
    b->values[i] = v;
    return i;
}

/* NAN means "not given" (CXROI_NONE). */
static size_t tb_opt(tb *b, const char *path, double v)
{
    return isnan(v) ? CXROI_NONE : tb_param(b, path, v);
}

static void tb_init(tb *b, int horizon, double rate, cxroi_terminal terminal)
{
    memset(b, 0, sizeof(*b));
    b->sc.name = "hand";
    b->sc.horizon = horizon;
    b->sc.terminal_value = terminal;
    b->sc.params = b->params;
    b->sc.segments = b->segments;
    b->sc.initiatives = b->initiatives;
    b->sc.discount_rate = tb_param(b, "discount_rate", rate);
}

static size_t tb_segment(tb *b, double n0, double revenue, double margin, double cts,
                         double acquisitions)
{
    size_t s = b->sc.n_segments++;
    assert_true(s < TB_MAX_SEGMENTS);
    cxroi_segment *seg = &b->segments[s];
    seg->id = "seg";
    seg->name = "seg";
    seg->customers = tb_param(b, "customers", n0);
    seg->revenue_per_customer = tb_param(b, "revenue_per_customer", revenue);
    seg->margin = tb_param(b, "margin", margin);
    seg->cost_to_serve = tb_opt(b, "cost_to_serve", cts);
    seg->acquisitions_per_year = tb_opt(b, "acquisitions_per_year", acquisitions);
    seg->retention = seg->sbg_alpha = seg->sbg_beta = CXROI_NONE;
    return s;
}

static size_t tb_segment_constant(tb *b, double n0, double revenue, double margin, double cts,
                                  double retention, double acquisitions)
{
    size_t s = tb_segment(b, n0, revenue, margin, cts, acquisitions);
    b->segments[s].retention_kind = CXROI_RETENTION_CONSTANT;
    b->segments[s].retention = tb_param(b, "retention", retention);
    return s;
}

static size_t tb_segment_sbg(tb *b, double n0, double revenue, double margin, double cts,
                             double alpha, double beta, int tenure, double acquisitions)
{
    size_t s = tb_segment(b, n0, revenue, margin, cts, acquisitions);
    b->segments[s].retention_kind = CXROI_RETENTION_SBG;
    b->segments[s].sbg_alpha = tb_param(b, "alpha", alpha);
    b->segments[s].sbg_beta = tb_param(b, "beta", beta);
    b->segments[s].tenure = tenure;
    return s;
}

static size_t tb_initiative(tb *b, int start, int ramp_years, double upfront, double annual,
                            double direct)
{
    size_t i = b->sc.n_initiatives++;
    assert_true(i < TB_MAX_INITIATIVES);
    cxroi_initiative *ini = &b->initiatives[i];
    ini->id = "ini";
    ini->name = "ini";
    ini->start = start;
    ini->ramp_years = ramp_years;
    ini->upfront = tb_opt(b, "upfront", upfront);
    ini->annual = tb_opt(b, "annual", annual);
    ini->benefit_annual = tb_opt(b, "benefits.annual", direct);
    ini->effects = b->effects[i];
    return i;
}

/* Effect fields, as offsets into cxroi_effect. */
enum { FX_RETENTION, FX_CHURN, FX_REVENUE, FX_CTS, FX_ACQ };

static void tb_effect(tb *b, size_t ini, size_t seg, int field, double v)
{
    cxroi_initiative *in = &b->initiatives[ini];
    cxroi_effect *e = NULL;
    for (size_t i = 0; i < in->n_effects; i++)
        if (in->effects[i].segment == seg)
            e = &in->effects[i];
    if (!e) {
        assert_true(in->n_effects < TB_MAX_EFFECTS);
        e = &in->effects[in->n_effects++];
        e->segment = seg;
        e->retention = e->churn = e->revenue = e->cost_to_serve = e->acquisitions = CXROI_NONE;
    }
    size_t p = tb_param(b, "effect", v);
    switch (field) {
    case FX_RETENTION:
        e->retention = p;
        break;
    case FX_CHURN:
        e->churn = p;
        break;
    case FX_REVENUE:
        e->revenue = p;
        break;
    case FX_CTS:
        e->cost_to_serve = p;
        break;
    default:
        e->acquisitions = p;
        break;
    }
}

/* Flows of initiative `ini` with the adjustment `adj`, into the arrays of `f`. */
typedef struct flows_buf {
    double b[CXROI_MAX_HORIZON + 1], c[CXROI_MAX_HORIZON + 1], cf[CXROI_MAX_HORIZON + 1];
    cxroi_flows f;
} flows_buf;

static cxroi_error tb_flows(tb *b, size_t ini, const cxroi_adjust *adj, flows_buf *out,
                            cxroi_model_workspace **keep)
{
    out->f = (cxroi_flows){out->b, out->c, out->cf, 0.0};
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b->sc);
    assert_non_null(w);
    cxroi_error e = cxroi_model_baseline(&b->sc, b->values, w);
    if (e == CXROI_OK)
        e = cxroi_model_initiative(&b->sc, b->values, ini, adj, w, &out->f);
    if (keep)
        *keep = w;
    else
        cxroi_model_workspace_free(w);
    return e;
}

/* |got - want| <= rel * |want| (or <= rel when want is 0). */
static void assert_close(double got, double want, double rel)
{
    double tol = rel * (want != 0.0 ? fabs(want) : 1.0);
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (rel tol %g)", got, want, rel);
}

/* Hand formulas below are a handful of + - * / on exact-ish decimals: each rounds to
 * 1 ulp, so 1e-12 relative leaves ~4 decades of margin while any modelling slip (a
 * wrong year, a missed ramp) moves results by far more than 1e-6. */
#define TOL_HAND 1e-12

/* ------------------------------------------------------------------ hand cases */

/* 1 segment, H = 2, revenue +7.35 % from year 1, d = 0.0915.
 * m = 240 * 0.35 - 12.5 = 71.5; m' = 240 * 1.0735 * 0.35 - 12.5 = 77.674 (m'-m = 6.174).
 * N_0 = 1000, N_1 = 1000 * 0.85 + 130 = 980; revenue does not change N' = N.
 * B_1 = N_0 (m'-m) = 6174; B_2 = N_1 (m'-m) = 6050.52. Costs: 5000 at t=0, 700 at 1, 2.
 * CF = [-5000, 5474, 5350.52]; NPV = CF_0 + CF_1/1.0915 + CF_2/1.0915^2. */
static void tb_revenue_case(tb *b)
{
    tb_init(b, 2, 0.0915, CXROI_TERMINAL_NONE);
    size_t s = tb_segment_constant(b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(b, 0, 0, 5000, 700, NAN);
    tb_effect(b, i, s, FX_REVENUE, 0.0735);
}

static void test_model_revenue_effect_alone(void **state)
{
    (void)state;
    tb b;
    tb_revenue_case(&b);
    flows_buf f;
    assert_int_equal(tb_flows(&b, 0, NULL, &f, NULL), CXROI_OK);
    double dm = 240 * 1.0735 * 0.35 - 12.5 - (240 * 0.35 - 12.5);
    assert_close(f.b[0], 0.0, TOL_HAND);
    assert_close(f.b[1], 1000 * dm, TOL_HAND);
    assert_close(f.b[2], 980 * dm, TOL_HAND);
    assert_close(f.b[1], 6174.0, 1e-9); /* the hand figure itself, rounding of dm aside */
    assert_close(f.c[0], 5000, 0);
    assert_close(f.c[1], 700, 0);
    assert_close(f.c[2], 700, 0);
    assert_close(f.cf[2], 980 * dm - 700, TOL_HAND);
    assert_close(f.f.terminal_value, 0.0, 0);

    cxroi_metrics m;
    assert_int_equal(cxroi_model_metrics(&f.f, 2, 0.0915, &m), CXROI_OK);
    double v = 1 / 1.0915;
    double npv = -5000 + (1000 * dm - 700) * v + (980 * dm - 700) * v * v;
    double pvc = 5000 + 700 * v + 700 * v * v;
    assert_close(m.npv, npv, TOL_HAND);
    assert_close(m.pv_costs, pvc, TOL_HAND);
    assert_close(m.pv_benefits, npv + pvc, TOL_HAND);
    assert_true(m.has_roi);
    assert_close(m.roi, npv / pvc, TOL_HAND);
    assert_close(m.bcr, (npv + pvc) / pvc, TOL_HAND);
    /* IRR: NPV at the IRR is 0 (to the 1e-12 of finance.h times the flows' scale). */
    assert_true(m.irr.exists);
    assert_close(cxroi_finance_npv(m.irr.rate, f.cf, 3), 0.0, 1e-7);
    /* Payback: cumulative -5000, 474 -> 0 + 5000 / 5474 years. */
    assert_true(m.has_payback);
    assert_close(m.payback_years, 5000.0 / (1000 * dm - 700), TOL_HAND);
    assert_true(m.has_discounted_payback);
    assert_close(m.discounted_payback_years, 5000.0 / ((1000 * dm - 700) * v), TOL_HAND);
}

/* Retention +0.0235 with start 1 and ramp 2 over H = 4, r = 0.85, A = 130, N_0 = 1000.
 * g = [0, 0, 0.5, 1, 1]. N_1 = 980, N_2 = 963, N_3 = 948.55 (baseline).
 * N'_1 = N_1 (g_1 = 0); N'_2 = 980 * (0.85 + 0.01175) + 130, diff_2 = 980 * 0.01175;
 * N'_3 - N_3 = diff_2 * (0.85 + 0.0235) + N_2 * 0.0235 (g_3 = 1).
 * m = 71.5 unchanged: B_1 = B_2 = 0, B_3 = diff_2 m, B_4 = diff_3 m.
 * Costs: upfront 3200 at t = 1, annual 450 at t = 2..4, nothing at t = 0. */
static void test_model_ramp_and_start_delay(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 4, 0.0915, CXROI_TERMINAL_NONE);
    size_t s = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(&b, 1, 2, 3200, 450, NAN);
    tb_effect(&b, i, s, FX_RETENTION, 0.0235);
    flows_buf f;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_OK);
    double diff2 = 980 * 0.01175;
    double diff3 = diff2 * (0.85 + 0.0235) + 963 * 0.0235;
    double exp_b[5] = {0, 0, 0, diff2 * 71.5, diff3 * 71.5};
    double exp_c[5] = {0, 3200, 450, 450, 450};
    for (int t = 0; t <= 4; t++) {
        assert_close(f.b[t], exp_b[t], TOL_HAND);
        assert_close(f.c[t], exp_c[t], 0);
        assert_close(f.cf[t], exp_b[t] - exp_c[t], TOL_HAND);
    }
}

/* Churn -12 % on r = 0.85 is 1 - 0.15 * 0.88 = 0.868, the same as retention +0.018:
 * both give B_2 = N_0 * 0.018 * m = 1000 * 0.018 * 71.5 = 1287 (B_1 = 0). */
static void test_model_churn_matches_retention(void **state)
{
    (void)state;
    tb a, c;
    tb_init(&a, 2, 0.0915, CXROI_TERMINAL_NONE);
    tb_init(&c, 2, 0.0915, CXROI_TERMINAL_NONE);
    size_t sa = tb_segment_constant(&a, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t sc = tb_segment_constant(&c, 1000, 240, 0.35, 12.5, 0.85, 130);
    tb_effect(&a, tb_initiative(&a, 0, 0, NAN, NAN, NAN), sa, FX_CHURN, -0.12);
    tb_effect(&c, tb_initiative(&c, 0, 0, NAN, NAN, NAN), sc, FX_RETENTION, 0.018);
    flows_buf fa, fc;
    assert_int_equal(tb_flows(&a, 0, NULL, &fa, NULL), CXROI_OK);
    assert_int_equal(tb_flows(&c, 0, NULL, &fc, NULL), CXROI_OK);
    assert_close(fa.b[1], 0.0, 0);
    assert_close(fa.b[2], 1287.0, 1e-9); /* 1 - 0.15*0.88 rounds differently than 0.868 */
    assert_close(fc.b[2], 1287.0, 1e-9);
    assert_close(fa.c[0], 0.0, 0); /* no costs given: all zero */
}

/* Cost to serve -8.25 %: m' - m = 12.5 * 0.0825 = 1.03125, B_1 = 1031.25, B_2 = 980 *
 * 1.03125. Acquisitions +7.35 %: B_1 = 0, N'_1 - N_1 = 130 * 0.0735 = 9.555, B_2 = 9.555 m. */
static void test_model_cost_to_serve_and_acquisitions(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 2, 0.0915, CXROI_TERMINAL_NONE);
    size_t s = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(&b, 0, 0, NAN, NAN, NAN);
    size_t j = tb_initiative(&b, 0, 0, NAN, NAN, NAN);
    tb_effect(&b, i, s, FX_CTS, -0.0825);
    tb_effect(&b, j, s, FX_ACQ, 0.0735);
    flows_buf f;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_OK);
    assert_close(f.b[1], 1031.25, TOL_HAND);
    assert_close(f.b[2], 980 * 1.03125, TOL_HAND);
    assert_int_equal(tb_flows(&b, j, NULL, &f, NULL), CXROI_OK);
    assert_close(f.b[1], 0.0, 0);
    assert_close(f.b[2], 9.555 * 71.5, TOL_HAND);
}

/* r = 0.97 + 0.0735 = 1.0435 clamps to 1 in each of years 1..3: 3 clamps; N'_1 = 1000 +
 * 130 so B_2 = (1000 - 970) * m = 30 * 71.5. Churn +1500 % on r = 0.9: 1 - 0.1 * 16 < 0
 * clamps to 0 in years 1..3 (3 more): N'_1 = 130, B_2 = (130 - 1030) * m. */
static void test_model_clamps_counted(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 3, 0.0915, CXROI_TERMINAL_NONE);
    size_t s = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.97, 130);
    size_t t = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.9, 130);
    size_t i = tb_initiative(&b, 0, 0, NAN, NAN, NAN);
    size_t j = tb_initiative(&b, 0, 0, NAN, NAN, NAN);
    tb_effect(&b, i, s, FX_RETENTION, 0.0735);
    tb_effect(&b, j, t, FX_CHURN, 15.0);
    flows_buf f;
    cxroi_model_workspace *w = NULL;
    assert_int_equal(tb_flows(&b, i, NULL, &f, &w), CXROI_OK);
    assert_int_equal(cxroi_model_workspace_clamped(w), 3);
    assert_close(f.b[2], 30 * 71.5, TOL_HAND);
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, j, NULL, w, &f.f), CXROI_OK);
    assert_int_equal(cxroi_model_workspace_clamped(w), 6);
    assert_close(f.b[2], (130.0 - 1030.0) * 71.5, TOL_HAND);
    cxroi_model_workspace_free(w);
    assert_int_equal(cxroi_model_workspace_clamped(NULL), 0);
}

/* Risk adjustment {benefits 0.15, costs 0.0525} on a direct-benefit initiative with start 2
 * over H = 4 (kind other): benefits 1830 * 0.85 in years 3, 4; costs 2600 * 1.0525 at t = 2
 * and 410 * 1.0525 at t = 3, 4; nothing before t = 2. */
static void test_model_costs_timing_and_risk_adjustment(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 4, 0.0735, CXROI_TERMINAL_NONE);
    tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(&b, 2, 0, 2600, 410, 1830);
    b.initiatives[i].kind = CXROI_INITIATIVE_OTHER;
    b.initiatives[i].has_risk_adjustment = true;
    b.initiatives[i].risk_benefits = 0.15;
    b.initiatives[i].risk_costs = 0.0525;
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    assert_non_null(w);
    cxroi_deterministic d;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, i, w, &d), CXROI_OK);
    double eb[5] = {0, 0, 0, 1830, 1830}, ec[5] = {0, 0, 2600, 410, 410};
    double v = 1 / 1.0735, f = 1, npv = 0, ra = 0, pvc = 0;
    for (int t = 0; t <= 4; t++, f *= v) {
        assert_close(d.benefits[t], eb[t], 0);
        assert_close(d.costs[t], ec[t], 0);
        npv += (eb[t] - ec[t]) * f;
        ra += (eb[t] * 0.85 - ec[t] * 1.0525) * f;
        pvc += ec[t] * f;
    }
    assert_close(d.base.npv, npv, TOL_HAND);
    assert_close(d.risk_adjusted.npv, ra, TOL_HAND);
    assert_close(d.risk_adjusted.pv_costs, pvc * 1.0525, TOL_HAND);
    /* NPV(k) = k PVB - PVC is linear (direct benefit only): k* = PVC / PVB. */
    assert_true(d.has_break_even);
    assert_close(d.break_even_multiplier, pvc / (npv + pvc), 1e-10);
    cxroi_deterministic_clear(&d);
    assert_null(d.benefits);
    cxroi_deterministic_clear(NULL);
    cxroi_model_workspace_free(w);
}

/* Break-even of the revenue case: NPV(k) = k PVB - PVC (revenue leaves N' = N, no clamp)
 * with PVB = 1000 dm v + 980 dm v^2 and PVC = 5000 + 700 v + 700 v^2. Brent stops at a
 * bracket 1e-13 wide relatively, hence 1e-10. */
static void test_model_break_even_linear(void **state)
{
    (void)state;
    tb b;
    tb_revenue_case(&b);
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    assert_non_null(w);
    cxroi_deterministic d;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    double dm = 240 * 1.0735 * 0.35 - 12.5 - (240 * 0.35 - 12.5);
    double v = 1 / 1.0915;
    double k = (5000 + 700 * v + 700 * v * v) / (1000 * dm * v + 980 * dm * v * v);
    assert_true(d.has_break_even);
    assert_close(d.break_even_multiplier, k, 1e-10);
    /* No risk adjustment: the risk-adjusted case is the base case. */
    assert_close(d.risk_adjusted.npv, d.base.npv, 0);
    cxroi_deterministic_clear(&d);

    /* A harmful effect never pays back. */
    b.values[b.initiatives[0].effects[0].revenue] = -0.0735;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_false(d.has_break_even);
    assert_true(d.base.npv < 0);
    cxroi_deterministic_clear(&d);

    /* No costs: nothing to pay back, k = 0; ROI undefined. */
    b.initiatives[0].upfront = b.initiatives[0].annual = CXROI_NONE;
    b.values[b.initiatives[0].effects[0].revenue] = 0.0735;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_true(d.has_break_even);
    assert_close(d.break_even_multiplier, 0.0, 0);
    assert_false(d.base.has_roi);
    assert_close(d.base.pv_costs, 0.0, 0);
    cxroi_deterministic_clear(&d);
    cxroi_model_workspace_free(w);
}

/* No costs and no effect: NPV(k) = 0 for every k, so no multiple "breaks even" (null,
 * not 0.00x), and with every cash flow 0 there is nothing to pay back (null, not 0
 * years). No costs and a harmful effect: no break-even either. */
static void test_model_nothing_to_recover(void **state)
{
    (void)state;
    tb b;
    tb_revenue_case(&b);
    b.initiatives[0].upfront = b.initiatives[0].annual = CXROI_NONE;
    size_t eff = b.initiatives[0].effects[0].revenue;
    b.values[eff] = 0.0;
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    assert_non_null(w);
    cxroi_deterministic d;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_close(d.base.npv, 0.0, 0);
    assert_false(d.has_break_even);
    assert_false(d.base.has_payback);
    assert_false(d.base.has_discounted_payback);
    assert_true(d.base.nothing_to_pay_back);
    assert_false(d.base.has_roi);
    cxroi_deterministic_clear(&d);

    b.values[eff] = -0.0735;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_true(d.base.npv < 0);
    assert_false(d.has_break_even);
    /* Losses from year 1 never recover: no payback, for the usual reason. */
    assert_false(d.base.has_payback);
    assert_false(d.base.nothing_to_pay_back);
    cxroi_deterministic_clear(&d);

    /* A benefit with no cost pays back at once (payback 0: the cumulative flow is never
     * negative), and any fraction of it breaks even (k = 0). */
    b.values[eff] = 0.0735;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_true(d.has_break_even);
    assert_close(d.break_even_multiplier, 0.0, 0);
    assert_true(d.base.has_payback);
    assert_close(d.base.payback_years, 0.0, 0);
    cxroi_deterministic_clear(&d);
    cxroi_model_workspace_free(w);
}

/* Break-even needing k > 1, found after the doubling scan: costs 4x the revenue case's
 * benefits (PVC = 4.6 PVB by construction), so k* = 4.6 lies in [4, 8]. */
static void test_model_break_even_beyond_one(void **state)
{
    (void)state;
    tb b;
    tb_revenue_case(&b);
    double dm = 240 * 1.0735 * 0.35 - 12.5 - (240 * 0.35 - 12.5);
    double v = 1 / 1.0915;
    b.initiatives[0].annual = CXROI_NONE;
    b.values[b.initiatives[0].upfront] = 4.6 * (1000 * dm * v + 980 * dm * v * v);
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    cxroi_deterministic d;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_OK);
    assert_true(d.has_break_even);
    assert_close(d.break_even_multiplier, 4.6, 1e-10);
    cxroi_deterministic_clear(&d);
    cxroi_model_workspace_free(w);
}

/* ------------------------------------------------------------------ sBG */

/* r(a) = (beta + a) / (alpha + beta + a): r(0) = 1.182 / 1.886, r(3) = 4.182 / 4.886. */
static void test_model_sbg_retention_formula(void **state)
{
    (void)state;
    assert_close(cxroi_sbg_retention(0.704, 1.182, 0), 1.182 / 1.886, 1e-15);
    assert_close(cxroi_sbg_retention(0.704, 1.182, 3), 4.182 / 4.886, 1e-15);
    tb b;
    tb_init(&b, 2, 0.1, CXROI_TERMINAL_NONE);
    size_t s = tb_segment_sbg(&b, 1000, 120, 0.5, NAN, 0.704, 1.182, 3, 300);
    cxroi_segment_economics e;
    cxroi_model_segment_economics(&b.sc, b.values, s, &e);
    assert_close(e.retention, 4.182 / 4.886, 1e-15);
    assert_close(e.contribution_per_customer, 60, 0);
    assert_close(e.contribution_total, 60000, 0);
    assert_close(e.cost_to_serve, 0, 0);
    assert_false(e.loss_making);
    size_t c = tb_segment_constant(&b, 500, 10, 0.3, 4.0735, 0.8, 0);
    cxroi_model_segment_economics(&b.sc, b.values, c, &e);
    assert_close(e.retention, 0.8, 0);
    assert_true(e.loss_making);
    assert_close(e.contribution_total, 500 * (3 - 4.0735), TOL_HAND);
    cxroi_model_segment_economics(&b.sc, b.values, 99, &e); /* out of range: zeroed */
    assert_close(e.customers, 0, 0);
}

/* Brute force: V(a) = sum_k P_k x^(k+1), P_k = prod_{j<k} r(a + j). The term ratio is
 * r(a+k) x < x, so the tail after the last term T is below T x / (1 - x); summing until
 * that bound is under 1e-16 of the sum makes the series exact to ~1e-15 plus rounding
 * (~1e-16 per term over at most ~40/d terms, i.e. < 1e-12 for d >= 0.003). */
static double residual_series(double alpha, double beta, double age, double d)
{
    long double x = 1.0L / (1.0L + d), term = x, sum = 0;
    for (long k = 0;; k++) {
        sum += term;
        term *= (long double)(beta + age + k) / (alpha + beta + age + k) * x;
        if (term * x / (1 - x) < 1e-16L * sum)
            return (double)sum;
    }
}

static void test_model_sbg_residual_value_closed_form(void **state)
{
    (void)state;
    const double alphas[] = {0.0735, 0.704, 1.0, 2.0, 3.7};
    const double betas[] = {0.0213, 1.182, 14.3};
    const double ages[] = {0, 1, 2, 5, 17, 60};
    /* Below and above MODEL_HYPERG_MIN_RATE (0.01), GSL and series paths. */
    const double rates[] = {0.003, 0.0099, 0.01, 0.0735, 0.1, 0.42, 3.5};
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++)
        for (size_t j = 0; j < sizeof betas / sizeof *betas; j++)
            for (size_t a = 0; a < sizeof ages / sizeof *ages; a++)
                for (size_t r = 0; r < sizeof rates / sizeof *rates; r++) {
                    double got =
                        cxroi_model_sbg_residual_value(alphas[i], betas[j], ages[a], rates[r]);
                    double want = residual_series(alphas[i], betas[j], ages[a], rates[r]);
                    /* GSL 2F1 measured to 3e-14; series as above: 1e-11 leaves margin. */
                    assert_close(got, want, 1e-11);
                }
    /* d = 0, alpha = 2, beta = 1, a = 0: S(k) = 2 / ((k+1)(k+2)), telescoping sum = 2. */
    assert_close(cxroi_model_sbg_residual_value(2.0, 1.0, 0, 0.0), 2.0, 1e-15);
    assert_true(isinf(cxroi_model_sbg_residual_value(0.704, 1.182, 0, 0.0)));
    assert_true(isinf(cxroi_model_sbg_residual_value(2.0, 1.182, 0, -0.01)));
    assert_true(isnan(cxroi_model_sbg_residual_value(-1.0, 1.182, 0, 0.1)));
    assert_true(isnan(cxroi_model_sbg_residual_value(0.704, 0.0, 0, 0.1)));
    assert_true(isnan(cxroi_model_sbg_residual_value(0.704, 1.182, -1, 0.1)));
    assert_true(isnan(cxroi_model_sbg_residual_value(0.704, 1.182, 0, -1.0)));
    assert_true(isnan(cxroi_model_sbg_residual_value(NAN, 1.182, 0, 0.1)));
}

/* sBG by hand, H = 2, tenure 1, churn -15 %, d = 0.0735, customer equity.
 * Year 1: base (age 1) retains r(1); year 2: base r(2), year-1 recruits (age 0) r(0).
 * r'(a) = 1 - (1 - r(a)) * 0.85.  N_0 = 1000, A = 300, m = 60.
 * B_1 = 0; B_2 = (N'_1 - N_1) m = 1000 (r'(1) - r(1)) m.
 * At H: base (age 3) diff 1000 (r'(1) r'(2) - r(1) r(2)); year-1 cohort (age 1) diff
 * 300 (r'(0) - r(0)); year-2 cohort (age 0) diff 0. TV = sum diff m V(age). */
static void test_model_sbg_hand(void **state)
{
    (void)state;
    const double al = 0.704, be = 1.182, d = 0.0735;
    tb b;
    tb_init(&b, 2, d, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_sbg(&b, 1000, 120, 0.5, NAN, al, be, 1, 300);
    size_t i = tb_initiative(&b, 0, 0, 1500, NAN, NAN);
    tb_effect(&b, i, s, FX_CHURN, -0.15);
    flows_buf f;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_OK);
    double r0 = be / (al + be), r1 = (be + 1) / (al + be + 1), r2 = (be + 2) / (al + be + 2);
    double q0 = 1 - (1 - r0) * 0.85, q1 = 1 - (1 - r1) * 0.85, q2 = 1 - (1 - r2) * 0.85;
    assert_close(f.b[1], 0.0, 0);
    assert_close(f.b[2], 1000 * (q1 - r1) * 60, TOL_HAND);
    double tv = 1000 * (q1 * q2 - r1 * r2) * 60 * residual_series(al, be, 3, d) +
                300 * (q0 - r0) * 60 * residual_series(al, be, 1, d);
    assert_close(f.f.terminal_value, tv, 1e-11);
}

/* Constant retention, customer equity: TV = (N'_H - N_H) m / (1 + d - r). H = 2, r = 0.85,
 * retention +0.0235: N'_2 - N_2 = 1000 * 0.0235 * (0.8735 + 0.85) + 130 * 0.0235 (year-1
 * recruits retained with r' in year 2); TV = diff * 71.5 / (1.0915 - 0.85). */
static void test_model_terminal_value_constant(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 2, 0.0915, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(&b, 0, 0, 5000, NAN, NAN);
    tb_effect(&b, i, s, FX_RETENTION, 0.0235);
    flows_buf f;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_OK);
    double diff = 1000 * 0.0235 * (0.8735 + 0.85) + 130 * 0.0235;
    assert_close(f.f.terminal_value, diff * 71.5 / (1.0915 - 0.85), TOL_HAND);
    /* NPV includes TV / (1+d)^H; payback ignores it. */
    cxroi_metrics m;
    assert_int_equal(cxroi_model_metrics(&f.f, 2, 0.0915, &m), CXROI_OK);
    double v = 1 / 1.0915;
    assert_close(m.npv, -5000 + f.cf[1] * v + (f.cf[2] + f.f.terminal_value) * v * v, TOL_HAND);
    assert_close(m.terminal_value, f.f.terminal_value, 0);
    /* Risk adjustment scales the terminal value with benefits. */
    cxroi_adjust adj = {1.0, 0.85, 1.0};
    flows_buf g;
    assert_int_equal(tb_flows(&b, i, &adj, &g, NULL), CXROI_OK);
    assert_close(g.f.terminal_value, 0.85 * f.f.terminal_value, TOL_HAND);
    /* Retention 1 with d = 0: a customer is worth m / 0, infinite -> model error. */
    b.values[b.segments[s].retention] = 1.0;
    b.values[b.initiatives[i].effects[0].retention] = -0.0235;
    b.values[b.sc.discount_rate] = 0.0;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_ERROR_MODEL);
}

/* ------------------------------------------------------------------ analysis errors */

/* Run the analysis of a hand-built scenario; return its status and the diagnostics'
 * messages joined by newlines in @p messages. */
static cxroi_error tb_analysis(tb *b, char *messages, size_t size)
{
    cxroi_diag *diag = cxroi_diag_new();
    assert_non_null(diag);
    cxroi_analysis *a = NULL;
    cxroi_error err = cxroi_analysis_run(&b->sc, NULL, diag, &a);
    assert_true(err == CXROI_OK ? a != NULL : a == NULL);
    messages[0] = '\0';
    for (size_t i = 0; i < cxroi_diag_count(diag); i++) {
        size_t n = strlen(messages);
        snprintf(messages + n, size - n, "%s\n", cxroi_diag_get(diag, i)->message);
    }
    cxroi_analysis_free(a);
    cxroi_diag_free(diag);
    return err;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' not in:\n%s", needle, text);
}

/* Customer equity of a constant-retention customer: m / (1 + d - r), finite only for
 * r < 1 + d. At d = -0.2, r = 0.8 the sum of 0.8^k / 0.8^(k+1) diverges: the error names
 * the segment, both numbers and the fix, instead of "a result is not finite" at the
 * initiative. r = 0.7935 < 0.8 is fine. */
static void test_model_analysis_infinite_equity_constant(void **state)
{
    (void)state;
    tb b;
    char msg[2048];
    tb_init(&b, 3, -0.2, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_constant(&b, 1000, 310, 0.35, 12.5, 0.8, NAN);
    b.segments[s].id = "mass";
    size_t i = tb_initiative(&b, 0, 0, 1000, NAN, NAN);
    tb_effect(&b, i, s, FX_RETENTION, 0.0135);
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_ERROR_MODEL);
    assert_has(msg, "segments.mass: the customer equity of a customer is infinite: "
                    "retention 0.8 is not below 1 + discount rate (0.8)");
    assert_has(msg, "use a higher discount_rate or terminal_value: none");
    assert_null(strstr(msg, "initiatives."));
    b.values[b.segments[s].retention] = 0.7935;
    b.params[b.segments[s].retention].dist.value = 0.7935;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_OK);
    /* Without terminal value the same retention is harmless. */
    b.values[b.segments[s].retention] = b.params[b.segments[s].retention].dist.value = 0.8;
    b.sc.terminal_value = CXROI_TERMINAL_NONE;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_OK);
}

/* sBG: S(a+k)/S(a) falls like k^-alpha, so sum_k S(a+k)/S(a) / (1+d)^(k+1) diverges for
 * d < 0 whatever alpha, and for d = 0 when alpha <= 1 (sum_k k^-alpha); d = 0 with
 * alpha = 1.5 converges (Gauss: (alpha+beta+a-1)/(alpha-1)). */
static void test_model_analysis_infinite_equity_sbg(void **state)
{
    (void)state;
    tb b;
    char msg[2048];
    tb_init(&b, 3, -0.0535, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_sbg(&b, 1000, 120, 0.5, 3.25, 1.5, 1.182, 2, NAN);
    b.segments[s].id = "smb";
    size_t i = tb_initiative(&b, 0, 0, 1000, NAN, NAN);
    tb_effect(&b, i, s, FX_CHURN, -0.0735);
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_ERROR_MODEL);
    assert_has(msg, "segments.smb: the customer equity of a customer is infinite: with sBG "
                    "retention (alpha 1.5)");
    assert_has(msg, "discount_rate is -0.0535; use a positive discount_rate or "
                    "terminal_value: none");
    b.values[b.sc.discount_rate] = b.params[b.sc.discount_rate].dist.value = 0.0;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_OK);
    b.values[b.segments[s].sbg_alpha] = b.params[b.segments[s].sbg_alpha].dist.value = 0.704;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_ERROR_MODEL);
    assert_has(msg, "alpha 0.704");
}

/* Any other non-finite result names the quantity: a revenue effect of 1e308 makes the
 * year-1 benefit infinite; upfront costs of 1e-320 (a subnormal) make ROI = NPV / PV
 * costs overflow while NPV itself is finite. */
static void test_model_analysis_names_overflow(void **state)
{
    (void)state;
    tb b;
    char msg[2048];
    tb_revenue_case(&b);
    b.initiatives[0].id = "cx";
    size_t eff = b.initiatives[0].effects[0].revenue;
    b.values[eff] = b.params[eff].dist.value = 1e308;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_ERROR_MODEL);
    assert_has(msg, "initiatives.cx: the business case cannot be evaluated at the base "
                    "values: the benefit of year 1 overflows");
    b.values[eff] = b.params[eff].dist.value = 0.0735;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_OK);
    b.initiatives[0].annual = CXROI_NONE;
    size_t up = b.initiatives[0].upfront;
    b.values[up] = b.params[up].dist.value = 1e-320;
    assert_int_equal(tb_analysis(&b, msg, sizeof msg), CXROI_ERROR_MODEL);
    assert_has(msg, "initiatives.cx: the business case cannot be evaluated at the base "
                    "values: the ROI (NPV / PV costs) overflows");
}

/* ------------------------------------------------------------------ errors */

static void test_model_errors(void **state)
{
    (void)state;
    tb b;
    tb_revenue_case(&b);
    flows_buf f;
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    assert_non_null(w);
    f.f = (cxroi_flows){f.b, f.c, f.cf, 0.0};
    /* Initiative before any baseline. */
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 0, NULL, w, &f.f),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_OK);
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 7, NULL, w, &f.f),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 0, NULL, w, NULL),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_baseline(NULL, b.values, w), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_baseline(&b.sc, NULL, w), CXROI_ERROR_ARGUMENT);
    /* A workspace sized for another horizon. */
    b.sc.horizon = 3;
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_ERROR_ARGUMENT);
    b.sc.horizon = 2;
    /* Non-finite inputs and out-of-domain values: model errors, never NaN results. */
    size_t rev = b.segments[0].revenue_per_customer, ret = b.segments[0].retention;
    b.values[rev] = NAN;
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_ERROR_MODEL);
    b.values[rev] = 240;
    b.values[ret] = 1.0735;
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_ERROR_MODEL);
    b.values[ret] = 0.85;
    b.values[b.sc.discount_rate] = -1.0;
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_ERROR_MODEL);
    b.values[b.sc.discount_rate] = 0.0915;
    b.values[b.segments[0].customers] = -5;
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_ERROR_MODEL);
    b.values[b.segments[0].customers] = 1000;
    /* An effect so large the contribution overflows to infinity. */
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_OK);
    size_t eff = b.initiatives[0].effects[0].revenue;
    b.values[eff] = 1e308;
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 0, NULL, w, &f.f), CXROI_ERROR_MODEL);
    cxroi_deterministic d;
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_ERROR_MODEL);
    assert_null(d.benefits);
    b.values[eff] = NAN;
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 0, NULL, w, &f.f), CXROI_ERROR_MODEL);
    b.values[eff] = 0.0735;
    /* Retention and churn on one segment. */
    tb_effect(&b, 0, 0, FX_CHURN, -0.1);
    tb_effect(&b, 0, 0, FX_RETENTION, 0.01);
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, 0, NULL, w, &f.f),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, &d), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, 0, w, NULL), CXROI_ERROR_ARGUMENT);
    /* Metrics: bad horizon, bad rate, non-finite flows. */
    cxroi_metrics m;
    f.b[0] = f.b[1] = f.b[2] = f.c[0] = f.c[1] = f.c[2] = 0;
    f.cf[0] = -1;
    f.cf[1] = 0.5;
    f.cf[2] = 0.75;
    assert_int_equal(cxroi_model_metrics(&f.f, 0, 0.1, &m), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_metrics(&f.f, CXROI_MAX_HORIZON + 1, 0.1, &m),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_metrics(&f.f, 2, -1.5, &m), CXROI_ERROR_MODEL);
    assert_int_equal(cxroi_model_metrics(&f.f, 2, 0.1, &m), CXROI_OK);
    f.cf[1] = INFINITY;
    assert_int_equal(cxroi_model_metrics(&f.f, 2, 0.1, &m), CXROI_ERROR_MODEL);
    double npv, pvc;
    assert_int_equal(cxroi_model_present_values(NULL, 2, 0.1, &npv, &pvc), CXROI_ERROR_ARGUMENT);
    cxroi_model_workspace_free(w);
    cxroi_model_workspace_free(NULL);
    assert_null(cxroi_model_workspace_alloc(NULL));
    b.sc.horizon = 0;
    assert_null(cxroi_model_workspace_alloc(&b.sc));
}

/* Same inputs, same workspace: bit-identical flows (the Monte Carlo engine relies on it). */
static void test_model_repeatable(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 5, 0.0915, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_sbg(&b, 1000, 120, 0.5, 3.25, 0.704, 1.182, 2, 300);
    size_t t = tb_segment_constant(&b, 1000, 240, 0.35, 12.5, 0.85, 130);
    size_t i = tb_initiative(&b, 1, 3, 5000, 700, 250);
    tb_effect(&b, i, s, FX_RETENTION, 0.0235);
    tb_effect(&b, i, t, FX_CHURN, -0.0735);
    tb_effect(&b, i, t, FX_REVENUE, 0.031);
    flows_buf f1, f2;
    cxroi_model_workspace *w = NULL;
    assert_int_equal(tb_flows(&b, i, NULL, &f1, &w), CXROI_OK);
    f2.f = (cxroi_flows){f2.b, f2.c, f2.cf, 0.0};
    assert_int_equal(cxroi_model_baseline(&b.sc, b.values, w), CXROI_OK);
    assert_int_equal(cxroi_model_initiative(&b.sc, b.values, i, NULL, w, &f2.f), CXROI_OK);
    assert_memory_equal(f1.cf, f2.cf, 6 * sizeof(double));
    assert_true(f1.f.terminal_value == f2.f.terminal_value);
    /* Two effects on two segments add up: each alone, summed, equals both together. */
    cxroi_model_workspace_free(w);
}

/* ------------------------------------------------------------------ calibration files */

static json_t *load_expected(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s", CXROI_SHARED_DIR, name);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s: %s", path, err.text);
    return j;
}

/* Compares one `deterministic` object of an expected file with the engine's result.
 * The expected files were computed independently in double precision; 1e-9 relative
 * is the agreement SPEC promises (values near 0 compared on the scale of the array). */
static void compare_deterministic(const json_t *want, const cxroi_deterministic *d, int horizon)
{
    static const struct {
        const char *key;
        size_t offset;
    } scalars[] = {
        {"npv", offsetof(cxroi_metrics, npv)},
        {"pv_costs", offsetof(cxroi_metrics, pv_costs)},
        {"pv_benefits", offsetof(cxroi_metrics, pv_benefits)},
        {"roi", offsetof(cxroi_metrics, roi)},
        {"bcr", offsetof(cxroi_metrics, bcr)},
        {"terminal_value", offsetof(cxroi_metrics, terminal_value)},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
        const json_t *v = json_object_get(want, scalars[i].key);
        assert_non_null(v);
        double got = *(const double *)((const char *)&d->base + scalars[i].offset);
        assert_close(got, json_number_value(v), 1e-9);
    }
    assert_true(d->base.irr.exists);
    assert_close(d->base.irr.rate, json_number_value(json_object_get(want, "irr")), 1e-9);
    assert_true(d->base.has_mirr);
    assert_close(d->base.mirr, json_number_value(json_object_get(want, "mirr")), 1e-9);
    const json_t *pb = json_object_get(want, "payback_years");
    assert_int_equal(d->base.has_payback, !json_is_null(pb));
    if (d->base.has_payback)
        assert_close(d->base.payback_years, json_number_value(pb), 1e-9);
    const json_t *dpb = json_object_get(want, "discounted_payback_years");
    assert_int_equal(d->base.has_discounted_payback, !json_is_null(dpb));
    if (d->base.has_discounted_payback)
        assert_close(d->base.discounted_payback_years, json_number_value(dpb), 1e-9);
    const char *arrays[] = {"cash_flows", "benefits", "costs"};
    const double *mine[] = {d->cash_flows, d->benefits, d->costs};
    for (size_t a = 0; a < 3; a++) {
        const json_t *arr = json_object_get(want, arrays[a]);
        assert_int_equal(json_array_size(arr), (size_t)horizon + 1);
        double scale = 0;
        for (int t = 0; t <= horizon; t++)
            scale = fmax(scale, fabs(json_number_value(json_array_get(arr, (size_t)t))));
        for (int t = 0; t <= horizon; t++) {
            double w = json_number_value(json_array_get(arr, (size_t)t));
            assert_true(fabs(mine[a][t] - w) <= 1e-9 * fmax(fabs(w), 1e-6 * scale));
        }
    }
}

static void check_file_against_scenario(const cxroi_scenario *sc, const double *values,
                                        const char *expected)
{
    json_t *root = load_expected(expected);
    json_t *inis = json_object_get(root, "initiatives");
    assert_int_equal(json_array_size(inis), sc->n_initiatives);
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(sc);
    assert_non_null(w);
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        const json_t *ini = json_array_get(inis, i);
        assert_string_equal(json_string_value(json_object_get(ini, "id")), sc->initiatives[i].id);
        cxroi_deterministic d;
        assert_int_equal(cxroi_model_deterministic(sc, values, i, w, &d), CXROI_OK);
        compare_deterministic(json_object_get(ini, "deterministic"), &d, sc->horizon);
        cxroi_deterministic_clear(&d);
    }
    cxroi_model_workspace_free(w);
    json_decref(root);
}

/* r1 built by hand from r1-constant.yaml (the triangular upfront enters at its mean,
 * (20000 + 30000 + 55000) / 3 = 35000), independent of the loader. */
static void test_model_reference_r1_by_hand(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 4, 0.08, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_constant(&b, 10000, 200, 0.4, 20, 0.8, 1500);
    size_t i = tb_initiative(&b, 0, 2, 50000, 10000, NAN);
    b.initiatives[i].id = "ramped";
    tb_effect(&b, i, s, FX_RETENTION, 0.03);
    tb_effect(&b, i, s, FX_REVENUE, 0.02);
    tb_effect(&b, i, s, FX_CTS, -0.1);
    tb_effect(&b, i, s, FX_ACQ, 0.05);
    size_t j = tb_initiative(&b, 1, 0, 35000, NAN, 5000);
    b.initiatives[j].id = "delayed";
    tb_effect(&b, j, s, FX_CHURN, -0.2);
    check_file_against_scenario(&b.sc, b.values, "r1-constant.expected.json");
    /* Break-even multipliers from tests/reference/spec_model.py (independent Python,
     * bisection to the last bit): Brent's 1e-13 bracket, hence 1e-10. */
    const double k_ref[2] = {0.26467245283389007, 0.1619714229809313};
    cxroi_model_workspace *w = cxroi_model_workspace_alloc(&b.sc);
    assert_non_null(w);
    for (size_t n = 0; n < 2; n++) {
        cxroi_deterministic d;
        assert_int_equal(cxroi_model_deterministic(&b.sc, b.values, n, w, &d), CXROI_OK);
        assert_true(d.has_break_even);
        assert_close(d.break_even_multiplier, k_ref[n], 1e-10);
        cxroi_deterministic_clear(&d);
    }
    cxroi_model_workspace_free(w);
    /* The worked check of the brief: B_1 = 18000, B_2 = 46125 (ramped). */
    flows_buf f;
    assert_int_equal(tb_flows(&b, i, NULL, &f, NULL), CXROI_OK);
    assert_close(f.b[1], 18000, 1e-12);
    assert_close(f.b[2], 46125, 1e-12);
}

/* r2 built by hand from r2-sbg.yaml: fixes the cohort-age convention (see baseline_sbg in
 * src/model.c); the terminal value 28533.396873488004 checks the DERL closed form. */
static void test_model_reference_r2_by_hand(void **state)
{
    (void)state;
    tb b;
    tb_init(&b, 3, 0.1, CXROI_TERMINAL_CUSTOMER_EQUITY);
    size_t s = tb_segment_sbg(&b, 1000, 120, 0.5, NAN, 0.704, 1.182, 2, 300);
    size_t i = tb_initiative(&b, 0, 0, 5000, NAN, NAN);
    b.initiatives[i].id = "save";
    tb_effect(&b, i, s, FX_CHURN, -0.15);
    check_file_against_scenario(&b.sc, b.values, "r2-sbg.expected.json");
}

/* The same through the loader: cxroi_scenario_load + cxroi_scenario_base_values. */
static void check_reference_file(const char *yaml, const char *expected)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s", CXROI_SHARED_DIR, yaml);
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load(path, NULL, &sc), CXROI_OK);
    double *values = calloc(sc->n_params ? sc->n_params : 1, sizeof(double));
    assert_non_null(values);
    cxroi_scenario_base_values(sc, values);
    check_file_against_scenario(sc, values, expected);
    free(values);
    cxroi_scenario_free(sc);
}

static void test_model_reference_r1_loaded(void **state)
{
    (void)state;
    check_reference_file("r1-constant.yaml", "r1-constant.expected.json");
}

static void test_model_reference_r2_loaded(void **state)
{
    (void)state;
    check_reference_file("r2-sbg.yaml", "r2-sbg.expected.json");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_revenue_effect_alone),
        cmocka_unit_test(test_model_ramp_and_start_delay),
        cmocka_unit_test(test_model_churn_matches_retention),
        cmocka_unit_test(test_model_cost_to_serve_and_acquisitions),
        cmocka_unit_test(test_model_clamps_counted),
        cmocka_unit_test(test_model_costs_timing_and_risk_adjustment),
        cmocka_unit_test(test_model_break_even_linear),
        cmocka_unit_test(test_model_break_even_beyond_one),
        cmocka_unit_test(test_model_nothing_to_recover),
        cmocka_unit_test(test_model_analysis_infinite_equity_constant),
        cmocka_unit_test(test_model_analysis_infinite_equity_sbg),
        cmocka_unit_test(test_model_analysis_names_overflow),
        cmocka_unit_test(test_model_sbg_retention_formula),
        cmocka_unit_test(test_model_sbg_residual_value_closed_form),
        cmocka_unit_test(test_model_sbg_hand),
        cmocka_unit_test(test_model_terminal_value_constant),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_model_repeatable),
        cmocka_unit_test(test_model_reference_r1_by_hand),
        cmocka_unit_test(test_model_reference_r2_by_hand),
        cmocka_unit_test(test_model_reference_r1_loaded),
        cmocka_unit_test(test_model_reference_r2_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
