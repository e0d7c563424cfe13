/* Tests of the model's lanes (model_internal.h): many iterations at once must give, lane by
 * lane, exactly the numbers of one evaluation at a time. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cxroi/diag.h"
#include "cxroi/model.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"
#include "model_internal.h"
#include "sampler_internal.h"
#include "test_support.h"

/* Every path of the lanes: constant and sBG segments (alpha and beta drawn per
 * iteration, so lanes differ in their rates), retention and churn effects wide enough
 * that some draws clamp the rate at 0 or 1 and others not, delay, ramp, direct benefit,
 * customer equity and a drawn discount rate. */
static const char SCENARIO[] =
    "cxroi: 1\n"
    "name: lanes\n"
    "horizon: 12\n"
    "discount_rate: {dist: uniform, min: 0.03, max: 0.15}\n"
    "terminal_value: customer_equity\n"
    "segments:\n"
    "  - id: steady\n"
    "    customers: {dist: normal, mean: 50000, sd: 5000, min: 1000}\n"
    "    revenue_per_customer: {dist: lognormal, mean: 400, sd: 40}\n"
    "    margin: 0.4\n"
    "    cost_to_serve: {dist: triangular, min: 20, mode: 30, max: 45}\n"
    "    retention: {dist: pert, min: 0.7, mode: 0.85, max: 0.97}\n"
    "    acquisitions_per_year: 6000\n"
    "  - id: young\n"
    "    customers: 80000\n"
    "    revenue_per_customer: 250\n"
    "    margin: 0.35\n"
    "    cost_to_serve: 15\n"
    "    retention_curve:\n"
    "      sbg: {alpha: {dist: uniform, min: 0.6, max: 1.6}, beta: {dist: uniform, min: 1, max: "
    "4}}\n"
    "      tenure: 2\n"
    "    acquisitions_per_year: {dist: uniform, min: 5000, max: 15000}\n"
    "  - id: loyal\n"
    "    customers: 30000\n"
    "    revenue_per_customer: 900\n"
    "    margin: 0.3\n"
    "    cost_to_serve: 60\n"
    "    retention_curve: {sbg: {alpha: 2.5, beta: 9}, tenure: 6}\n"
    "    acquisitions_per_year: 2000\n"
    "initiatives:\n"
    "  - id: bold\n"
    "    start: 1\n"
    "    ramp_years: 3\n"
    "    costs: {upfront: {dist: uniform, min: 1.0e6, max: 3.0e6}, annual: 2.0e5}\n"
    "    effects:\n"
    "      young: {retention: {dist: uniform, min: -0.6, max: 0.6}, revenue: 0.05}\n"
    "      steady: {churn: {dist: normal, mean: -0.3, sd: 0.8, min: -1, max: 3}}\n"
    "  - id: gentle\n"
    "    start: 0\n"
    "    ramp_years: 0\n"
    "    costs: {upfront: 5.0e5}\n"
    "    benefits: {annual: {dist: triangular, min: 1.0e4, mode: 5.0e4, max: 1.5e5}}\n"
    "    effects:\n"
    "      loyal: {churn: {dist: uniform, min: -0.4, max: 0.1}, cost_to_serve: -0.05,\n"
    "              acquisitions: {dist: uniform, min: 0, max: 0.2}}\n"
    "      young: {revenue: {dist: normal, mean: 0.02, sd: 0.01}}\n";

typedef struct fixture {
    cxroi_scenario *sc;
    cxroi_sampler *sampler;
    cxroi_sampler_workspace *sws;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    cxroi_diag *diag = cxroi_diag_new();
    if (!f || !diag)
        return -1;
    if (cxroi_scenario_load_string(SCENARIO, sizeof SCENARIO - 1, "lanes.yaml", ".", diag,
                                   &f->sc) != CXROI_OK ||
        cxroi_sampler_new(f->sc, CXROI_SAMPLING_MONTE_CARLO, 2, diag, &f->sampler) != CXROI_OK) {
        cxroi_diag_print(diag, stdout);
        return -1;
    }
    f->sws = cxroi_sampler_workspace_alloc(f->sampler);
    cxroi_diag_free(diag);
    *state = f;
    return f->sws ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cxroi_sampler_workspace_free(f->sws);
    cxroi_sampler_free(f->sampler);
    cxroi_scenario_free(f->sc);
    free(f);
    return 0;
}

/* One evaluation of iteration k of a lane-major block, through the single-value API. */
static void single(const cxroi_scenario *sc, const double *block, size_t k, size_t initiative,
                   cxroi_model_workspace *ws, double *npv, double *pvc, double *attr)
{
    double values[64], flows_buf[3 * (CXROI_MAX_HORIZON + 1)];
    assert_true(sc->n_params <= 64);
    for (size_t p = 0; p < sc->n_params; p++)
        values[p] = block[p * CXROI_SIM_BLOCK + k];
    size_t h = (size_t)sc->horizon + 1;
    cxroi_flows flows = {flows_buf, flows_buf + h, flows_buf + 2 * h, 0.0};
    assert_int_equal(cxroi_model_baseline(sc, values, ws), CXROI_OK);
    assert_int_equal(cxroi_model_initiative(sc, values, initiative, NULL, ws, &flows), CXROI_OK);
    assert_int_equal(
        cxroi_model_present_values(&flows, sc->horizon, values[sc->discount_rate], npv, pvc),
        CXROI_OK);
    memcpy(attr, cxroi_model_workspace_benefit_pv(ws), (sc->n_segments + 1) * sizeof(double));
}

/* Bit for bit: NPV, PV costs and the benefit attribution of every lane, at several
 * widths (including ones that do not divide the block), equal one evaluation's. */
static void test_lanes_equal_single_evaluations(void **state)
{
    fixture *f = *state;
    const cxroi_scenario *sc = f->sc;
    cxroi_model_workspace *one = cxroi_model_workspace_alloc(sc);
    assert_non_null(one);
    size_t widths[] = {1, 7, 64, CXROI_MODEL_MAX_LANES};
    size_t clamped_lanes = 0;
    for (size_t b = 0; b < 3; b++) {
        const double *block = cxroi_sampler_fill_block(f->sampler, f->sws, 11, b, CXROI_SIM_BLOCK);
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
            size_t width = widths[wi];
            cxroi_model_workspace *ws = cxroi_model_workspace_alloc_lanes(sc, width);
            assert_non_null(ws);
            for (size_t k0 = 0; k0 < CXROI_SIM_BLOCK; k0 += width) {
                size_t lanes = CXROI_SIM_BLOCK - k0 < width ? CXROI_SIM_BLOCK - k0 : width;
                size_t bad = 99;
                assert_int_equal(
                    cxroi_model_lanes_baseline(sc, block + k0, CXROI_SIM_BLOCK, lanes, ws, &bad),
                    CXROI_OK);
                for (size_t i = 0; i < sc->n_initiatives; i++) {
                    double npv[CXROI_MODEL_MAX_LANES], pvc[CXROI_MODEL_MAX_LANES];
                    assert_int_equal(cxroi_model_lanes_initiative(sc, block + k0, CXROI_SIM_BLOCK,
                                                                  i, NULL, ws, &bad),
                                     CXROI_OK);
                    assert_int_equal(cxroi_model_lanes_present_values(ws, npv, pvc, &bad),
                                     CXROI_OK);
                    const double *attr = cxroi_model_lanes_attribution(ws);
                    for (size_t k = 0; k < lanes; k++) {
                        double n1, c1, a1[8];
                        size_t before = cxroi_model_workspace_clamped(one);
                        single(sc, block, k0 + k, i, one, &n1, &c1, a1);
                        clamped_lanes += cxroi_model_workspace_clamped(one) > before;
                        assert_memory_equal(&npv[k], &n1, sizeof n1);
                        assert_memory_equal(&pvc[k], &c1, sizeof c1);
                        for (size_t s = 0; s <= sc->n_segments; s++)
                            assert_memory_equal(&attr[s * width + k], &a1[s], sizeof a1[s]);
                    }
                }
            }
            cxroi_model_workspace_free(ws);
        }
    }
    /* The draws exercise both the clamped and the unclamped paths. */
    assert_true(clamped_lanes > 0);
    assert_true(clamped_lanes < 3 * 4 * CXROI_SIM_BLOCK * sc->n_initiatives);
    cxroi_model_workspace_free(one);
}

/* The lanes count the clamped rates as one evaluation at a time does. */
static void test_lanes_count_clamped_rates(void **state)
{
    fixture *f = *state;
    const cxroi_scenario *sc = f->sc;
    cxroi_model_workspace *one = cxroi_model_workspace_alloc(sc);
    cxroi_model_workspace *ws = cxroi_model_workspace_alloc_lanes(sc, 128);
    assert_non_null(one);
    assert_non_null(ws);
    const double *block = cxroi_sampler_fill_block(f->sampler, f->sws, 5, 0, CXROI_SIM_BLOCK);
    for (size_t k0 = 0; k0 < CXROI_SIM_BLOCK; k0 += 128) {
        assert_int_equal(cxroi_model_lanes_baseline(sc, block + k0, CXROI_SIM_BLOCK, 128, ws, NULL),
                         CXROI_OK);
        for (size_t i = 0; i < sc->n_initiatives; i++)
            assert_int_equal(
                cxroi_model_lanes_initiative(sc, block + k0, CXROI_SIM_BLOCK, i, NULL, ws, NULL),
                CXROI_OK);
    }
    for (size_t k = 0; k < CXROI_SIM_BLOCK; k++)
        for (size_t i = 0; i < sc->n_initiatives; i++) {
            double npv, pvc, attr[8];
            single(sc, block, k, i, one, &npv, &pvc, attr);
        }
    assert_true(cxroi_model_workspace_clamped(one) > 0);
    assert_int_equal(cxroi_model_workspace_clamped(ws), cxroi_model_workspace_clamped(one));
    cxroi_model_workspace_free(one);
    cxroi_model_workspace_free(ws);
}

/* A lane out of the model's domain is named: the first bad lane, not another. */
static void test_lanes_name_the_bad_lane(void **state)
{
    fixture *f = *state;
    const cxroi_scenario *sc = f->sc;
    size_t np = sc->n_params;
    double *block = malloc(np * CXROI_SIM_BLOCK * sizeof(double));
    assert_non_null(block);
    memcpy(block, cxroi_sampler_fill_block(f->sampler, f->sws, 3, 0, CXROI_SIM_BLOCK),
           np * CXROI_SIM_BLOCK * sizeof(double));
    size_t rate = sc->discount_rate;
    size_t cust = cxroi_scenario_find_param(sc, "segments.steady.customers");
    assert_true(cust != CXROI_NONE);
    block[rate * CXROI_SIM_BLOCK + 41] = -1.5;   /* discount rate <= -1 */
    block[cust * CXROI_SIM_BLOCK + 40 + 9] = -3; /* negative customers, later lane */
    cxroi_model_workspace *ws = cxroi_model_workspace_alloc_lanes(sc, 32);
    assert_non_null(ws);
    size_t bad = 0;
    assert_int_equal(cxroi_model_lanes_baseline(sc, block + 32, CXROI_SIM_BLOCK, 32, ws, &bad),
                     CXROI_ERROR_MODEL);
    assert_int_equal(bad, 9);
    assert_int_equal(cxroi_model_lanes_baseline(sc, block + 0, CXROI_SIM_BLOCK, 32, ws, &bad),
                     CXROI_OK);
    /* Arguments: more lanes than the workspace takes, or a stride below the lanes. */
    assert_int_equal(cxroi_model_lanes_baseline(sc, block, CXROI_SIM_BLOCK, 33, ws, &bad),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_model_lanes_baseline(sc, block, 16, 32, ws, &bad), CXROI_ERROR_ARGUMENT);
    assert_null(cxroi_model_workspace_alloc_lanes(sc, 0));
    assert_null(cxroi_model_workspace_alloc_lanes(sc, CXROI_MODEL_MAX_LANES + 1));
    cxroi_model_workspace_free(ws);
    free(block);
}

/* One evaluation keeps its own copy of the values: the caller may reuse its array after
 * cxroi_model_baseline() and the retention curves and flows do not change. */
static void test_lanes_single_evaluation_copies_its_values(void **state)
{
    fixture *f = *state;
    const cxroi_scenario *sc = f->sc;
    double values[64], flows_buf[3 * (CXROI_MAX_HORIZON + 1)],
        flows_again[3 * (CXROI_MAX_HORIZON + 1)];
    assert_true(sc->n_params <= 64);
    cxroi_scenario_base_values(sc, values);
    size_t h = (size_t)sc->horizon + 1;
    cxroi_model_workspace *ws = cxroi_model_workspace_alloc(sc);
    assert_non_null(ws);
    assert_int_equal(cxroi_model_baseline(sc, values, ws), CXROI_OK);
    double before[CXROI_MAX_HORIZON + 1], after[CXROI_MAX_HORIZON + 1];
    assert_int_equal(cxroi_model_workspace_retention(ws, 0, false, before), CXROI_OK);
    cxroi_flows flows = {flows_buf, flows_buf + h, flows_buf + 2 * h, 0.0};
    assert_int_equal(cxroi_model_initiative(sc, values, 0, NULL, ws, &flows), CXROI_OK);
    /* The caller's array reused for something else: acquisitions and revenue zeroed. */
    double saved[64];
    memcpy(saved, values, sizeof saved);
    for (size_t p = 0; p < sc->n_params; p++)
        values[p] = 0.0;
    assert_int_equal(cxroi_model_workspace_retention(ws, 0, false, after), CXROI_OK);
    for (size_t t = 1; t < h; t++)
        assert_true(after[t] == before[t]);
    /* The initiative reads its own effects and costs from the values it is given. */
    cxroi_flows again = {flows_again, flows_again + h, flows_again + 2 * h, 0.0};
    assert_int_equal(cxroi_model_initiative(sc, saved, 0, NULL, ws, &again), CXROI_OK);
    assert_memory_equal(flows_buf, flows_again, 3 * h * sizeof(double));
    assert_true(flows.terminal_value == again.terminal_value);
    cxroi_model_workspace_free(ws);
}

/* SCENARIO with its line `from` replaced by `to`. */
static cxroi_scenario *scenario_with(const char *from, const char *to)
{
    const char *at = strstr(SCENARIO, from);
    assert_non_null(at);
    char text[sizeof SCENARIO + 64];
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - SCENARIO), SCENARIO, to, at + strlen(from));
    return test_scenario_from_text(text, "other.yaml");
}

/* Initiative 1 of `last` on a workspace that evaluated the baselines of `before[0..n)`
 * first, against a fresh workspace: the same flows, bit for bit. */
static void assert_reuse_changes_nothing(const cxroi_scenario *const *before, size_t n,
                                         const cxroi_scenario *last)
{
    cxroi_model_workspace *reused = cxroi_model_workspace_alloc(last);
    cxroi_model_workspace *fresh = cxroi_model_workspace_alloc(last);
    assert_non_null(reused);
    assert_non_null(fresh);
    double values[64];
    size_t h = (size_t)last->horizon + 1;
    double a[3 * (CXROI_MAX_HORIZON + 1)], b[3 * (CXROI_MAX_HORIZON + 1)];
    cxroi_flows fa = {a, a + h, a + 2 * h, 0.0}, fb = {b, b + h, b + 2 * h, 0.0};
    for (size_t i = 0; i < n; i++) {
        cxroi_scenario_base_values(before[i], values);
        assert_int_equal(cxroi_model_baseline(before[i], values, reused), CXROI_OK);
    }
    cxroi_scenario_base_values(last, values);
    assert_int_equal(cxroi_model_baseline(last, values, reused), CXROI_OK);
    assert_int_equal(cxroi_model_initiative(last, values, 1, NULL, reused, &fa), CXROI_OK);
    assert_int_equal(cxroi_model_baseline(last, values, fresh), CXROI_OK);
    assert_int_equal(cxroi_model_initiative(last, values, 1, NULL, fresh, &fb), CXROI_OK);
    assert_memory_equal(a, b, 3 * h * sizeof(double));
    assert_true(fa.terminal_value == fb.terminal_value);
    cxroi_model_workspace_free(reused);
    cxroi_model_workspace_free(fresh);
}

static const char SBG_LINE[] = "    retention_curve: {sbg: {alpha: 2.5, beta: 9}, tenure: 6}\n";

/* An sBG baseline kept from the last evaluation is used only for the same inputs: a
 * workspace evaluated on one scenario, then on another that differs only in an sBG
 * segment's tenure (its alpha, beta, N_0 and A fixed, so every key but the tenure
 * matches), gives what a fresh workspace gives. */
static void test_lanes_kept_baseline_follows_the_tenure(void **state)
{
    fixture *f = *state;
    cxroi_scenario *other =
        scenario_with(SBG_LINE, "    retention_curve: {sbg: {alpha: 2.5, beta: 9}, tenure: 1}\n");
    const cxroi_scenario *before[] = {f->sc};
    assert_reuse_changes_nothing(before, 1, other);
    cxroi_scenario_free(other);
}

/* Nor after the segment was a constant-retention one in between, whose baseline took
 * the place of the kept one: sBG, then constant, then the same sBG inputs again. */
static void test_lanes_kept_baseline_dropped_by_a_constant_segment(void **state)
{
    fixture *f = *state;
    cxroi_scenario *constant = scenario_with(SBG_LINE, "    retention: 0.8127\n");
    const cxroi_scenario *before[] = {f->sc, constant};
    assert_reuse_changes_nothing(before, 2, f->sc);
    cxroi_scenario_free(constant);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_equal_single_evaluations),
        cmocka_unit_test(test_lanes_count_clamped_rates),
        cmocka_unit_test(test_lanes_name_the_bad_lane),
        cmocka_unit_test(test_lanes_single_evaluation_copies_its_values),
        cmocka_unit_test(test_lanes_kept_baseline_follows_the_tenure),
        cmocka_unit_test(test_lanes_kept_baseline_dropped_by_a_constant_segment),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
