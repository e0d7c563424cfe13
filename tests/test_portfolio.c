/*
 * The funding line, the efficient frontier and the value matrix.
 *
 * Selection is checked against exhaustive enumeration (every subset of up to 14
 * initiatives) on 200 seeded random instances, against a dynamic programme over integer
 * costs for 40 initiatives, and on hand-built cases where a greedy choice or a search
 * that drops negative-NPV initiatives would be wrong. The value matrix is checked
 * against hand computations on a scenario with fixed inputs, and against each
 * initiative's mean PV benefits on an uncertain one.
 *
 * Tolerances: expected NPVs are sums of up to 40 doubles of magnitude <= 1e4 (random
 * instances) or 1e7 (scenarios), added in different orders by the search and by the
 * checks; each order is within n eps sum|v| of the exact sum, so values are compared to
 * 1e-9 (1 + sum|v|), many orders of magnitude above rounding and far below any
 * difference between two distinct random sets.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "cxroi/analysis.h"
#include "cxroi/model.h"
#include "cxroi/portfolio.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"
#include "test_support.h"

#define MAX_BRUTE 14
#define SAMPLES 64

/* ---------------------------------------------------------------------------------- */
/* Exhaustive reference                                                                */

static double abs_sum(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += fabs(v[i]);
    return s;
}

/* Does @p set meet every constraint of @p p? Written independently of the solver: the
 * budget with the documented 1e-12 relative slack, the loss probability as the fraction
 * of iterations whose index-order sum is below 0. */
static bool meets(const cxroi_portfolio_problem *p, const bool *set)
{
    double cost = 0.0;
    for (size_t i = 0; i < p->n; i++)
        if (set[i])
            cost += p->upfront[i];
    if (p->has_budget && cost > p->budget + 1e-12 * p->budget)
        return false;
    for (size_t j = 0; j < p->n_must_fund; j++)
        if (!set[p->must_fund[j]])
            return false;
    for (size_t g = 0; g < p->n_exclusive; g++) {
        size_t count = 0;
        for (size_t a = 0; a < p->exclusive[g].count; a++) {
            bool dup = false;
            for (size_t b = 0; b < a; b++)
                dup |= p->exclusive[g].members[b] == p->exclusive[g].members[a];
            count += !dup && set[p->exclusive[g].members[a]];
        }
        if (count > 1)
            return false;
    }
    if (p->has_max_loss_probability) {
        size_t losses = 0;
        for (size_t k = 0; k < p->n_samples; k++) {
            double s = 0.0;
            for (size_t i = 0; i < p->n; i++)
                if (set[i])
                    s += p->npv_samples[i * p->stride + k];
            losses += s < 0.0;
        }
        if ((double)losses / (double)p->n_samples > p->max_loss_probability)
            return false;
    }
    return true;
}

static double value_of_set(const cxroi_portfolio_problem *p, const bool *set)
{
    double v = 0.0;
    for (size_t i = 0; i < p->n; i++)
        if (set[i])
            v += p->npv_expected[i];
    return v;
}

/* The best value over all 2^n subsets; *feasible false when none meets the constraints. */
static double brute_force(const cxroi_portfolio_problem *p, bool *feasible)
{
    assert_true(p->n <= MAX_BRUTE);
    bool set[MAX_BRUTE];
    double best = -INFINITY;
    *feasible = false;
    for (unsigned long mask = 0; mask < (1ul << p->n); mask++) {
        for (size_t i = 0; i < p->n; i++)
            set[i] = (mask >> i) & 1u;
        if (!meets(p, set))
            continue;
        double v = value_of_set(p, set);
        if (!*feasible || v > best)
            best = v;
        *feasible = true;
    }
    return best;
}

/* Ratio greedy: by decreasing value per unit cost, fund what still fits. */
static double greedy(const cxroi_portfolio_problem *p)
{
    bool used[MAX_BRUTE] = {false};
    double room = p->budget, v = 0.0;
    for (;;) {
        size_t pick = p->n;
        for (size_t i = 0; i < p->n; i++)
            if (!used[i] && p->npv_expected[i] > 0.0 && p->upfront[i] <= room &&
                (pick == p->n || p->npv_expected[i] / p->upfront[i] >
                                     p->npv_expected[pick] / p->upfront[pick]))
                pick = i;
        if (pick == p->n)
            return v;
        used[pick] = true;
        room -= p->upfront[pick];
        v += p->npv_expected[pick];
    }
}

/* ---------------------------------------------------------------------------------- */
/* Random instances                                                                    */

typedef struct instance {
    double value[40], cost[40];
    double samples[40 * SAMPLES];
    size_t must[2];
    size_t members[2][3];
    cxroi_group groups[2];
    cxroi_portfolio_problem p;
} instance;

/* n initiatives with integer costs 1..100 (exact sums), expected NPVs of both signs
 * and varied NPV per unit cost, NPV samples with a common factor (correlated), and with
 * random probability a budget, a must-fund, exclusive groups and a loss limit. */
static void random_instance(gsl_rng *rng, size_t n, bool constraints, instance *x)
{
    memset(x, 0, sizeof(*x));
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        x->cost[i] = (double)(1 + gsl_rng_uniform_int(rng, 100));
        x->value[i] = x->cost[i] * (0.2 + 1.3 * gsl_rng_uniform(rng)) -
                      15.0 * gsl_rng_uniform(rng);
        total += x->cost[i];
    }
    double common[SAMPLES];
    for (size_t k = 0; k < SAMPLES; k++)
        common[k] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < n; i++) {
        double sd = x->cost[i] * (0.3 + gsl_rng_uniform(rng));
        for (size_t k = 0; k < SAMPLES; k++)
            x->samples[i * SAMPLES + k] =
                x->value[i] + sd * (0.6 * common[k] + 0.8 * gsl_ran_gaussian(rng, 1.0));
    }
    cxroi_portfolio_problem *p = &x->p;
    p->n = n;
    p->npv_expected = x->value;
    p->upfront = x->cost;
    p->npv_samples = x->samples;
    p->stride = SAMPLES;
    p->n_samples = SAMPLES;
    p->has_budget = !constraints || gsl_rng_uniform(rng) < 0.85;
    p->budget = floor(total * (0.1 + 0.8 * gsl_rng_uniform(rng)));
    if (!constraints)
        return;
    if (gsl_rng_uniform(rng) < 0.2) {
        x->must[0] = gsl_rng_uniform_int(rng, n);
        p->must_fund = x->must;
        p->n_must_fund = 1;
    }
    if (n >= 3 && gsl_rng_uniform(rng) < 0.35) {
        size_t groups = 1 + gsl_rng_uniform_int(rng, 2);
        for (size_t g = 0; g < groups; g++) {
            size_t count = 2 + gsl_rng_uniform_int(rng, 2);
            for (size_t a = 0; a < count; a++)
                x->members[g][a] = gsl_rng_uniform_int(rng, n);
            x->groups[g].members = x->members[g];
            x->groups[g].count = count;
        }
        p->exclusive = x->groups;
        p->n_exclusive = groups;
    }
    if (gsl_rng_uniform(rng) < 0.35) {
        p->has_max_loss_probability = true;
        p->max_loss_probability = 0.05 + 0.3 * gsl_rng_uniform(rng);
    }
}

static void test_portfolio_select_matches_brute_force(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 73501);
    instance x;
    size_t greedy_wrong = 0, with_loss = 0, infeasible = 0;
    for (int r = 0; r < 200; r++) {
        size_t n = 1 + gsl_rng_uniform_int(rng, MAX_BRUTE);
        bool constraints = r % 2 == 1;
        random_instance(rng, n, constraints, &x);
        bool funded[MAX_BRUTE];
        cxroi_portfolio_selection sel;
        assert_int_equal(cxroi_portfolio_select(&x.p, NULL, funded, &sel), CXROI_OK);
        bool feasible;
        double best = brute_force(&x.p, &feasible);
        assert_int_equal(sel.feasible, feasible);
        with_loss += x.p.has_max_loss_probability;
        if (!feasible) {
            infeasible++;
            for (size_t i = 0; i < n; i++)
                assert_false(funded[i]);
            continue;
        }
        double tol = 1e-9 * (1.0 + abs_sum(x.value, n));
        assert_true(sel.optimal);
        assert_true(meets(&x.p, funded));
        assert_true(fabs(sel.value - best) <= tol);
        assert_true(fabs(value_of_set(&x.p, funded) - best) <= tol);
        if (!constraints && greedy(&x.p) < best - tol)
            greedy_wrong++;
    }
    /* The instances exercise what they are meant to: cases a ratio greedy gets wrong,
     * loss limits, and infeasible constraints (counts for this seed). */
    assert_true(greedy_wrong >= 5);
    assert_true(with_loss >= 20);
    assert_true(infeasible >= 1);
    gsl_rng_free(rng);
}

/* Exact 0/1 knapsack by dynamic programming over integer capacities 0..budget. */
static double knapsack_dp(const instance *x, size_t n, size_t budget)
{
    double *best = calloc(budget + 1, sizeof(double));
    assert_non_null(best);
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)x->cost[i];
        if (!(x->value[i] > 0.0))
            continue;
        for (size_t b = budget + 1; b-- > c;)
            if (best[b - c] + x->value[i] > best[b])
                best[b] = best[b - c] + x->value[i];
    }
    double v = best[budget];
    free(best);
    return v;
}

static void test_portfolio_select_forty_initiatives(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4021);
    instance x;
    for (int r = 0; r < 10; r++) {
        random_instance(rng, 40, false, &x);
        bool funded[40];
        cxroi_portfolio_selection sel;
        assert_int_equal(cxroi_portfolio_select(&x.p, NULL, funded, &sel), CXROI_OK);
        assert_true(sel.feasible && sel.optimal);
        assert_true(meets(&x.p, funded));
        double dp = knapsack_dp(&x, 40, (size_t)x.p.budget);
        assert_true(fabs(sel.value - dp) <= 1e-9 * (1.0 + abs_sum(x.value, 40)));
    }
    /* Strongly correlated values (NPV = cost + 10.735), the classic hard case for
     * branch and bound: it must still complete and prove its answer. */
    for (size_t i = 0; i < 40; i++)
        x.value[i] = x.cost[i] + 10.735;
    bool funded[40];
    cxroi_portfolio_selection sel;
    assert_int_equal(cxroi_portfolio_select(&x.p, NULL, funded, &sel), CXROI_OK);
    assert_true(sel.feasible && sel.optimal);
    assert_true(fabs(sel.value - knapsack_dp(&x, 40, (size_t)x.p.budget)) <=
                1e-9 * (1.0 + abs_sum(x.value, 40)));
    /* A search cut short by its work limit: still a set that meets every constraint,
     * flagged as not proved optimal. */
    x.p.max_work = 50.0;
    assert_int_equal(cxroi_portfolio_select(&x.p, NULL, funded, &sel), CXROI_OK);
    assert_true(sel.feasible);
    assert_false(sel.optimal);
    assert_true(meets(&x.p, funded));
    x.p.max_work = 0.0;
    /* 40 initiatives with a loss limit, exclusive groups and a must-fund. */
    gsl_rng_set(rng, 917);
    random_instance(rng, 40, true, &x);
    x.p.has_max_loss_probability = true;
    x.p.max_loss_probability = 0.0735;
    assert_int_equal(cxroi_portfolio_select(&x.p, NULL, funded, &sel), CXROI_OK);
    if (sel.feasible)
        assert_true(meets(&x.p, funded));
    gsl_rng_free(rng);
}

/* Budget 10: A (cost 10, NPV 12) beats B + C (cost 5 + 5, NPV 6.5 + 5.1 = 11.6), which a
 * greedy by NPV per unit cost takes (B 1.3, A 1.2, C 1.02: B, then A no longer fits). */
static void test_portfolio_select_beats_greedy(void **state)
{
    (void)state;
    double value[3] = {12.0, 6.5, 5.1}, cost[3] = {10.0, 5.0, 5.0};
    cxroi_portfolio_problem p = {.n = 3, .npv_expected = value, .upfront = cost,
                                 .has_budget = true, .budget = 10.0};
    bool funded[3];
    cxroi_portfolio_selection sel;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_true(funded[0] && !funded[1] && !funded[2]);
    assert_true(sel.feasible && sel.optimal);
    assert_float_equal(sel.value, 12.0, 0.0);
    assert_float_equal(greedy(&p), 11.6, 1e-12);

    /* No budget: every initiative of positive expected NPV, nothing else. */
    double v2[4] = {3.0735, -0.5, 0.0, 7.1}, c2[4] = {4.0, 1.0, 0.0, 2.5};
    cxroi_portfolio_problem q = {.n = 4, .npv_expected = v2, .upfront = c2};
    bool f2[4];
    assert_int_equal(cxroi_portfolio_select(&q, NULL, f2, &sel), CXROI_OK);
    assert_true(f2[0] && !f2[1] && !f2[2] && f2[3]);
    assert_float_equal(sel.value, 3.0735 + 7.1, 1e-12);
}

/* must_fund and exclusive groups. */
static void test_portfolio_select_constraints(void **state)
{
    (void)state;
    double value[4] = {9.1, 8.7, -2.35, 4.2}, cost[4] = {3.0, 2.0, 1.0, 2.0};
    size_t must[1] = {2};
    size_t group[2] = {0, 1};
    cxroi_group excl = {group, 2, {0}};
    cxroi_portfolio_problem p = {.n = 4, .npv_expected = value, .upfront = cost,
                                 .has_budget = true, .budget = 6.0, .must_fund = must,
                                 .n_must_fund = 1, .exclusive = &excl, .n_exclusive = 1};
    bool funded[4];
    cxroi_portfolio_selection sel;
    /* Budget 6 with C (cost 1) forced: 5 left; A and B exclude each other: A + D
     * (cost 5, 13.3) beats B + D (cost 4, 12.9). */
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_true(funded[0] && !funded[1] && funded[2] && funded[3]);
    assert_float_equal(sel.value, 9.1 - 2.35 + 4.2, 1e-12);

    /* Must-fund beyond the budget: infeasible, nothing funded. */
    p.budget = 0.5;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_false(sel.feasible);
    for (size_t i = 0; i < 4; i++)
        assert_false(funded[i]);
    /* Two must-funds in one exclusive group: infeasible. */
    size_t both[2] = {0, 1};
    p.budget = 100.0;
    p.must_fund = both;
    p.n_must_fund = 2;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_false(sel.feasible);
}

/* The loss limit is evaluated on the iterations, and an initiative of negative expected
 * NPV that hedges another can be worth funding. A wins 20 in iterations 0..5 and loses 5
 * in 6..9 (mean 10, P(loss) 0.4); H loses 7 then gains 8.5 (mean -0.8); B earns 2
 * always. A + H is never below 0 (13, 3.5); A + B is -3 in 4 of 10 iterations. */
static void test_portfolio_select_loss_limit(void **state)
{
    (void)state;
    double samples[3 * 10];
    for (size_t k = 0; k < 10; k++) {
        samples[0 * 10 + k] = k < 6 ? 20.0 : -5.0;
        samples[1 * 10 + k] = k < 6 ? -7.0 : 8.5;
        samples[2 * 10 + k] = 2.0;
    }
    double value[3] = {10.0, -0.8, 2.0}, cost[3] = {1.0, 1.0, 1.0};
    cxroi_portfolio_problem p = {.n = 3, .npv_expected = value, .upfront = cost,
                                 .has_budget = true, .budget = 2.0,
                                 .has_max_loss_probability = true, .max_loss_probability = 0.1,
                                 .npv_samples = samples, .stride = 10, .n_samples = 10};
    bool funded[3];
    cxroi_portfolio_selection sel;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_true(funded[0] && funded[1] && !funded[2]);
    assert_float_equal(sel.value, 9.2, 1e-12);
    /* Exactly at the limit is allowed: P(loss) of {A, B} is 0.4. */
    p.max_loss_probability = 0.4;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_true(funded[0] && !funded[1] && funded[2]);
    /* Without the limit, A + B (12). */
    p.has_max_loss_probability = false;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_true(funded[0] && !funded[1] && funded[2]);
    /* A must be funded and no loss at all is allowed, budget 1: infeasible. */
    size_t must[1] = {0};
    p.has_max_loss_probability = true;
    p.max_loss_probability = 0.0;
    p.budget = 1.0;
    p.must_fund = must;
    p.n_must_fund = 1;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_OK);
    assert_false(sel.feasible);
}

static void test_portfolio_select_bad_arguments(void **state)
{
    (void)state;
    double value[2] = {1.0, 2.0}, cost[2] = {1.0, 1.0};
    bool funded[2];
    cxroi_portfolio_selection sel;
    cxroi_portfolio_problem p = {.n = 2, .npv_expected = value, .upfront = cost};
    assert_int_equal(cxroi_portfolio_select(NULL, NULL, funded, &sel), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_portfolio_select(&p, NULL, NULL, &sel), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, NULL), CXROI_ERROR_ARGUMENT);
    size_t bad[1] = {2};
    p.must_fund = bad;
    p.n_must_fund = 1;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_ERROR_ARGUMENT);
    p.n_must_fund = 0;
    cxroi_group g = {bad, 1, {0}};
    p.exclusive = &g;
    p.n_exclusive = 1;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_ERROR_ARGUMENT);
    p.n_exclusive = 0;
    p.has_max_loss_probability = true; /* no samples */
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_ERROR_ARGUMENT);
    p.npv_expected = NULL;
    assert_int_equal(cxroi_portfolio_select(&p, NULL, funded, &sel), CXROI_ERROR_ARGUMENT);
    cxroi_portfolio *out = NULL;
    assert_int_equal(cxroi_portfolio_run(NULL, NULL, NULL, NULL, &out), CXROI_ERROR_ARGUMENT);
    assert_null(out);
    assert_int_equal(cxroi_portfolio_run(NULL, NULL, NULL, NULL, NULL), CXROI_ERROR_ARGUMENT);
    cxroi_portfolio_free(NULL);
}

/* ---------------------------------------------------------------------------------- */
/* Scenarios                                                                           */

static cxroi_scenario *load(const char *text)
{
    return test_scenario_from_text(text, "port.yaml");
}

static cxroi_analysis *analyse(const cxroi_scenario *sc, unsigned threads, cxroi_diag *diag)
{
    cxroi_analysis_options opt = {0};
    opt.threads = threads;
    cxroi_analysis *a = NULL;
    cxroi_error e = cxroi_analysis_run(sc, &opt, diag, &a);
    if (e != CXROI_OK)
        cxroi_diag_print(diag, stderr);
    assert_int_equal(e, CXROI_OK);
    assert_non_null(a->portfolio);
    return a;
}

/* Fixed inputs only: every iteration is the deterministic case. Segment `loss` makes a
 * loss (80 x 0.3 - 31.7 = -7.7 per customer). */
static const char FIXED[] =
    "cxroi: 1\n"
    "horizon: 4\n"
    "discount_rate: 0.0735\n"
    "terminal_value: customer_equity\n"
    "simulation: {iterations: 2, seed: 3}\n"
    "segments:\n"
    "  - {id: mass, customers: 12000, revenue_per_customer: 310, margin: 0.35,\n"
    "     cost_to_serve: 40, retention: 0.82, acquisitions_per_year: 1500}\n"
    "  - id: affluent\n"
    "    customers: 900\n"
    "    revenue_per_customer: 1900\n"
    "    margin: 0.42\n"
    "    cost_to_serve: 115\n"
    "    retention_curve: {sbg: {alpha: 0.704, beta: 1.182}, tenure: 3}\n"
    "  - {id: loss, customers: 5000, revenue_per_customer: 80, margin: 0.3,\n"
    "     cost_to_serve: 31.7, retention: 0.7}\n"
    "touchpoints: [onboarding, mobile_app, branch]\n"
    "initiatives:\n"
    "  - id: onb\n"
    "    touchpoints: {onboarding: 0.7, mobile_app: 0.3}\n"
    "    ramp_years: 2\n"
    "    costs: {upfront: 150000, annual: 20000}\n"
    "    effects:\n"
    "      mass: {retention: 0.015, revenue: 0.02}\n"
    "      affluent: {churn: -0.1, cost_to_serve: -0.05}\n"
    "  - id: branch\n"
    "    touchpoints: [branch]\n"
    "    start: 1\n"
    "    costs: {upfront: 90000}\n"
    "    effects:\n"
    "      loss: {cost_to_serve: -0.0735}\n"
    "  - id: untag\n"
    "    costs: {upfront: 50000}\n"
    "    effects:\n"
    "      mass: {revenue: 0.0135}\n"
    "  - id: wh\n"
    "    kind: other\n"
    "    costs: {upfront: 310000}\n"
    "    benefits: {annual: 73500}\n"
    "portfolio: {budget: 400000}\n";

enum { ONB, BRANCH, UNTAG, WH };
enum { MASS, AFFLUENT, LOSS };
enum { T_ONB, T_APP, T_BRANCH };

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * (1.0 + fabs(want)))) {
        print_error("got %.17g, want %.17g (rel %g)\n", got, want, rel);
        fail();
    }
}

/* The matrix on fixed inputs, against hand computations. */
static void test_portfolio_matrix_deterministic(void **state)
{
    (void)state;
    cxroi_scenario *sc = load(FIXED);
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_analysis *a = analyse(sc, 1, diag);
    const cxroi_simulation *sim = a->simulation;
    const cxroi_value_matrix *m = &a->portfolio->matrix;
    size_t ns = 3, nt = 3;
    assert_int_equal(m->n_segments, ns);
    assert_int_equal(m->n_touchpoints, nt);
    const double *bpv = sim->benefit_pv;
    /* 1. Each initiative's benefits split into segments + direct add up to its
     *    deterministic PV benefits (1e-10: a few roundings per year on 1e6-sized sums). */
    for (size_t i = 0; i < 4; i++) {
        double sum = 0.0;
        for (size_t s = 0; s <= ns; s++)
            sum += bpv[i * (ns + 1) + s];
        assert_rel(sum, a->initiatives[i].base.pv_benefits, 1e-10);
    }
    /* 2. Hand computation: `branch` lowers the cost to serve of `loss` by 7.35 % from
     *    year 2 (start 1, no ramp); customers N_t = 5000 0.7^t are unchanged, so the
     *    benefit of year t is N_{t-1} 31.7 0.0735 and there is no terminal value:
     *    PV = sum_{t=2..4} 5000 0.7^(t-1) 31.7 0.0735 / 1.0735^t. */
    double want = 0.0;
    for (int t = 2; t <= 4; t++)
        want += 5000.0 * pow(0.7, t - 1) * 31.7 * 0.0735 / pow(1.0735, t);
    assert_rel(bpv[BRANCH * (ns + 1) + LOSS], want, 1e-12);
    assert_rel(m->pv[LOSS * nt + T_BRANCH], want, 1e-12);
    /* 3. `wh` (kind: other) is direct benefit only: 73500 a year for years 1..4, the
     *    annuity 73500 (1 - 1.0735^-4) / 0.0735; no segment value. */
    double annuity = 73500.0 * (1.0 - pow(1.0735, -4)) / 0.0735;
    assert_rel(bpv[WH * (ns + 1) + ns], annuity, 1e-12);
    for (size_t s = 0; s < ns; s++)
        assert_true(bpv[WH * (ns + 1) + s] == 0.0);
    assert_rel(m->direct, annuity, 1e-12);
    /* 4. Spread by weight: onboarding 0.7, mobile_app 0.3; the untagged initiative goes
     *    to `untagged`. */
    double onb_mass = bpv[ONB * (ns + 1) + MASS], onb_aff = bpv[ONB * (ns + 1) + AFFLUENT];
    assert_true(onb_mass > 0.0 && onb_aff > 0.0);
    assert_rel(m->pv[MASS * nt + T_ONB], 0.7 * onb_mass, 1e-15);
    assert_rel(m->pv[MASS * nt + T_APP], 0.3 * onb_mass, 1e-15);
    assert_rel(m->pv[AFFLUENT * nt + T_APP], 0.3 * onb_aff, 1e-15);
    assert_true(m->pv[MASS * nt + T_BRANCH] == 0.0);
    assert_rel(m->untagged[MASS], bpv[UNTAG * (ns + 1) + MASS], 1e-15);
    assert_true(m->untagged[AFFLUENT] == 0.0 && m->untagged[LOSS] == 0.0);
    /* 5. Rows reconcile: sum over touchpoints + untagged = the initiatives' PV of
     *    segment benefits. */
    for (size_t s = 0; s < ns; s++) {
        double row = m->untagged[s], total = 0.0;
        for (size_t t = 0; t < nt; t++)
            row += m->pv[s * nt + t];
        for (size_t i = 0; i < 4; i++)
            total += bpv[i * (ns + 1) + s];
        assert_rel(row, total, 1e-12);
        assert_rel(m->segment_total[s], total, 1e-12);
    }
    /* 6. Untapped: no initiative addresses branch for mass or affluent, or onboarding /
     *    mobile_app for loss; the untagged initiative taps nothing. */
    assert_true(m->untapped[MASS * nt + T_BRANCH]);
    assert_false(m->untapped[MASS * nt + T_ONB]);
    assert_false(m->untapped[AFFLUENT * nt + T_APP]);
    assert_true(m->untapped[AFFLUENT * nt + T_BRANCH]);
    assert_true(m->untapped[LOSS * nt + T_ONB]);
    assert_false(m->untapped[LOSS * nt + T_BRANCH]);
    assert_true(a->segments[LOSS].loss_making);
    assert_false(a->segments[MASS].loss_making);

    /* The funding line at budget 400,000: the exact optimum among the four, checked by
     * enumeration over the same expected NPVs. */
    const cxroi_portfolio *P = a->portfolio;
    cxroi_portfolio_problem prob = {.n = 4, .npv_expected = P->npv_expected,
                                    .upfront = P->upfront_cost, .has_budget = true,
                                    .budget = 400000.0};
    bool feasible;
    double best = brute_force(&prob, &feasible);
    assert_true(feasible && P->feasible && P->optimal);
    assert_rel(value_of_set(&prob, P->funded), best, 1e-12);
    assert_true(P->upfront <= 400000.0);
    assert_rel(P->npv.mean, best, 1e-12);
    cxroi_analysis_free(a);
    cxroi_diag_free(diag);
    cxroi_scenario_free(sc);
}

/* Uncertain inputs: correlated draws, shared baseline inputs, constraints. */
static const char UNCERTAIN[] =
    "cxroi: 1\n"
    "horizon: 5\n"
    "discount_rate: 0.0835\n"
    "terminal_value: customer_equity\n"
    "simulation: {iterations: 3000, seed: 11, sampling: monte_carlo}\n"
    "segments:\n"
    "  - {id: mass, customers: 120000, revenue_per_customer: {dist: normal, mean: 310, sd: 21},\n"
    "     margin: 0.35, cost_to_serve: 40, retention: {dist: uniform, min: 0.78, max: 0.86},\n"
    "     acquisitions_per_year: 15000}\n"
    "  - id: smb\n"
    "    customers: 4000\n"
    "    revenue_per_customer: 2600\n"
    "    margin: 0.3\n"
    "    survival: [1000, 869, 743, 653, 593, 551, 517, 491]\n"
    "touchpoints: [onboarding, mobile_app, branch, contact_centre]\n"
    "initiatives:\n"
    "  - id: a\n"
    "    touchpoints: {onboarding: 0.6, mobile_app: 0.4}\n"
    "    ramp_years: 2\n"
    "    costs: {upfront: {dist: pert, min: 1.8e6, mode: 2.0e6, max: 2.8e6}, annual: 150e3}\n"
    "    effects:\n"
    "      mass: {retention: {dist: pert, min: 0.0, mode: 0.012, max: 0.03}}\n"
    "      smb: {churn: {dist: triangular, min: -0.15, mode: -0.08, max: 0.02}}\n"
    "  - id: b\n"
    "    touchpoints: [branch]\n"
    "    costs: {upfront: 1.1e6}\n"
    "    effects:\n"
    "      mass: {revenue: {dist: normal, mean: 0.011, sd: 0.006}}\n"
    "  - id: c\n"
    "    touchpoints: [contact_centre, mobile_app]\n"
    "    start: 1\n"
    "    costs: {upfront: 0.7e6, annual: {dist: uniform, min: 50e3, max: 120e3}}\n"
    "    effects:\n"
    "      smb: {cost_to_serve: -0.2, revenue: {dist: uniform, min: -0.01, max: 0.03}}\n"
    "  - id: d\n"
    "    costs: {upfront: 0.9e6}\n"
    "    effects:\n"
    "      mass: {acquisitions: {dist: triangular, min: -0.05, mode: 0.04, max: 0.12}}\n"
    "  - id: w\n"
    "    kind: other\n"
    "    costs: {upfront: 1.6e6}\n"
    "    benefits: {annual: {dist: normal, mean: 420e3, sd: 160e3}}\n"
    "correlations:\n"
    "  - {between: [initiatives.a.costs.upfront, initiatives.w.benefits.annual], rho: -0.5}\n"
    "portfolio:\n"
    "  budget: 3.9e6\n"
    "  exclusive: [[b, d]]\n";

static void test_portfolio_matrix_expected_values(void **state)
{
    (void)state;
    cxroi_scenario *sc = load(UNCERTAIN);
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_analysis *a = analyse(sc, 3, diag);
    const cxroi_simulation *sim = a->simulation;
    size_t ns = sc->n_segments, n = sim->iterations, cap = sim->iterations_cap;
    assert_int_equal(n, 3000);
    /* Every row of the attribution adds up to the initiative's mean PV benefits over the
     * same iterations: mean NPV + mean PV costs (1e-9: 3000-term means of 1e6-sized
     * values, summed in different orders). */
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        double sum = 0.0;
        for (size_t s = 0; s <= ns; s++)
            sum += sim->benefit_pv[i * (ns + 1) + s];
        double want = gsl_stats_mean(sim->npv + i * cap, 1, n) +
                      gsl_stats_mean(sim->pv_costs + i * cap, 1, n);
        assert_rel(sum, want, 1e-9);
    }
    /* The attribution does not depend on the number of threads. */
    cxroi_sim_options opt = {0};
    opt.iterations = 3000;
    opt.seed = 11;
    opt.sampling = CXROI_SAMPLING_MONTE_CARLO;
    opt.threads = 1;
    cxroi_simulation *one = NULL;
    assert_int_equal(cxroi_simulation_run(sc, &opt, NULL, &one), CXROI_OK);
    assert_int_equal(memcmp(one->benefit_pv, sim->benefit_pv,
                            sc->n_initiatives * (ns + 1) * sizeof(double)),
                     0);
    cxroi_simulation_free(one);

    /* The funded set: exact under the budget and the exclusive group, and its NPV
     * distribution is the sum of its members' NPVs iteration by iteration. */
    const cxroi_portfolio *P = a->portfolio;
    cxroi_portfolio_problem prob = {.n = sc->n_initiatives, .npv_expected = P->npv_expected,
                                    .upfront = P->upfront_cost, .has_budget = true,
                                    .budget = 3.9e6, .exclusive = sc->portfolio.exclusive,
                                    .n_exclusive = sc->portfolio.n_exclusive};
    bool feasible;
    double best = brute_force(&prob, &feasible);
    assert_true(P->feasible && P->optimal);
    assert_true(meets(&prob, P->funded));
    assert_rel(value_of_set(&prob, P->funded), best, 1e-12);
    double *sum = calloc(n, sizeof(double));
    assert_non_null(sum);
    size_t positive = 0;
    for (size_t i = 0; i < sc->n_initiatives; i++)
        if (P->funded[i])
            for (size_t k = 0; k < n; k++)
                sum[k] += sim->npv[i * cap + k];
    for (size_t k = 0; k < n; k++)
        positive += sum[k] > 0.0;
    assert_rel(P->npv.mean, gsl_stats_mean(sum, 1, n), 1e-12);
    assert_rel(P->npv.sd, gsl_stats_sd(sum, 1, n), 1e-9);
    assert_float_equal(P->prob_npv_positive, (double)positive / (double)n, 0.0);
    free(sum);

    /* The frontier: budgets rise from the cheapest initiative to the sum of all,
     * expected NPV never falls, each point fits its budget and is the exact optimum
     * there; the ranking puts the funded first. */
    assert_true(P->n_frontier >= 2);
    double lo = INFINITY, hi = 0.0;
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        lo = fmin(lo, P->upfront_cost[i]);
        hi += P->upfront_cost[i];
    }
    assert_rel(P->frontier[0].budget, lo, 1e-15);
    assert_rel(P->frontier[P->n_frontier - 1].budget, hi, 1e-12);
    for (size_t j = 0; j < P->n_frontier; j++) {
        const cxroi_frontier_point *pt = &P->frontier[j];
        assert_true(pt->upfront <= pt->budget * (1.0 + 1e-12));
        prob.budget = pt->budget;
        assert_rel(pt->npv_mean, brute_force(&prob, &feasible), 1e-12);
        if (j > 0) {
            assert_true(pt->budget > P->frontier[j - 1].budget);
            assert_true(pt->npv_mean >= P->frontier[j - 1].npv_mean);
        }
    }
    if (P->has_marginal) {
        assert_true(P->next_budget > 3.9e6);
        assert_true(P->marginal_value > 0.0);
    }
    for (size_t r = 1; r < sc->n_initiatives; r++)
        assert_true(P->funded[P->ranking[r - 1]] >= P->funded[P->ranking[r]]);
    cxroi_analysis_free(a);
    cxroi_diag_free(diag);
    cxroi_scenario_free(sc);
}

/* A frontier over random scenarios' worth of points: monotone whatever the constraints
 * (loss limit included), checked on the generic solver with warm starts as the
 * frontier uses them. */
static void test_portfolio_frontier_monotone_with_loss_limit(void **state)
{
    (void)state;
    char text[sizeof UNCERTAIN + 200];
    /* Same scenario, a loss limit and a must-fund. */
    const char *cut = strstr(UNCERTAIN, "portfolio:");
    assert_non_null(cut);
    snprintf(text, sizeof text, "%.*sportfolio:\n  budget: 3.9e6\n  must_fund: [c]\n"
                                "  max_loss_probability: 0.0735\n",
             (int)(cut - UNCERTAIN), UNCERTAIN);
    cxroi_scenario *sc = load(text);
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_analysis *a = analyse(sc, 2, diag);
    const cxroi_portfolio *P = a->portfolio;
    if (P->feasible) {
        assert_true(P->funded[2]);
        assert_true(P->prob_npv_negative <= 0.0735);
    }
    for (size_t j = 0; j < P->n_frontier; j++) {
        assert_true(P->frontier[j].funded[2]);
        if (j > 0)
            assert_true(P->frontier[j].npv_mean >= P->frontier[j - 1].npv_mean);
    }
    cxroi_analysis_free(a);
    cxroi_diag_free(diag);
    cxroi_scenario_free(sc);
}

/*
 * Every frontier point's P(NPV > 0) is the share of iterations where its members' NPVs,
 * added in index order, are positive: the funded set's figure for the same set, 0 for
 * the point that funds nothing (c has no upfront cost, so budget 0 is a point). Sums
 * carried from one point to the next by adding and taking away members leave rounding
 * residue there instead (a review found 0.166 for the empty set).
 */
static void test_portfolio_frontier_probabilities(void **state)
{
    (void)state;
    cxroi_scenario *sc = load("cxroi: 1\n"
                              "name: frontier\n"
                              "horizon: 5\n"
                              "discount_rate: 0.0735\n"
                              "simulation: {iterations: 20000, seed: 7, sampling: monte_carlo}\n"
                              "segments:\n"
                              "  - {id: mass, customers: 100000, revenue_per_customer: 310,\n"
                              "     margin: 0.35, cost_to_serve: 40, retention: 0.82}\n"
                              "initiatives:\n"
                              "  - id: a\n"
                              "    costs: {upfront: 1.0e6}\n"
                              "    effects: {mass: {retention: {dist: uniform, min: 0.0, max: 0.2}}}\n"
                              "  - id: b\n"
                              "    costs: {upfront: 2.0e6}\n"
                              "    effects: {mass: {revenue: {dist: uniform, min: -0.01, max: 0.6}}}\n"
                              "  - id: c\n"
                              "    kind: other\n"
                              "    costs: {annual: {dist: uniform, min: 1.0e5, max: 2.0e5}}\n"
                              "portfolio: {budget: 1.0e7}\n");
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_analysis *a = analyse(sc, 2, diag);
    const cxroi_portfolio *P = a->portfolio;
    const cxroi_simulation *sim = a->simulation;
    size_t n = sim->iterations, empty_points = 0;
    for (size_t j = 0; j < P->n_frontier; j++) {
        const cxroi_frontier_point *pt = &P->frontier[j];
        size_t positive = 0, members = 0;
        for (size_t k = 0; k < n; k++) {
            double sum = 0.0;
            for (size_t i = 0; i < sim->n_initiatives; i++)
                if (pt->funded[i])
                    sum += sim->npv[i * sim->iterations_cap + k];
            positive += sum > 0.0;
        }
        for (size_t i = 0; i < sim->n_initiatives; i++)
            members += pt->funded[i];
        empty_points += members == 0;
        assert_true(pt->prob_npv_positive == (double)positive / (double)n);
        if (memcmp(pt->funded, P->funded, sim->n_initiatives * sizeof(bool)) == 0)
            assert_true(pt->prob_npv_positive == P->prob_npv_positive);
    }
    assert_int_equal(empty_points, 1);
    cxroi_analysis_free(a);
    cxroi_diag_free(diag);
    cxroi_scenario_free(sc);
}

/* Infeasible constraints: a warning where they are written, nothing funded, no crash. */
static void test_portfolio_infeasible_warns(void **state)
{
    (void)state;
    const char *cases[3][2] = {
        {"portfolio:\n  budget: 100000\n  must_fund: [wh]\n", "must_fund"},
        {"portfolio:\n  must_fund: [onb, branch]\n  exclusive: [[onb, branch]]\n",
         "exclusive"},
        {"portfolio:\n  budget: 400000\n  must_fund: [branch, wh]\n"
         "  max_loss_probability: 0\n",
         "max_loss_probability"},
    };
    /* `branch` and `wh` both lose money (PV benefits about 15,000 against 90,000
     * upfront; an annuity of about 246,600 against 310,000) and use the whole budget, so
     * the only sets with both lose in every iteration. */
    for (size_t c = 0; c < 3; c++) {
        char text[sizeof FIXED + 200];
        const char *cut = strstr(FIXED, "portfolio:");
        snprintf(text, sizeof text, "%.*s%s", (int)(cut - FIXED), FIXED, cases[c][0]);
        cxroi_scenario *sc = load(text);
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_analysis *a = analyse(sc, 1, diag);
        const cxroi_portfolio *P = a->portfolio;
        assert_false(P->feasible);
        assert_int_equal(P->n_funded, 0);
        assert_true(P->upfront == 0.0 && P->npv.mean == 0.0);
        bool found = false;
        for (size_t k = 0; k < cxroi_diag_count(diag); k++) {
            const cxroi_diag_entry *e = cxroi_diag_get(diag, k);
            if (e->severity == CXROI_SEVERITY_WARNING && strstr(e->message, cases[c][1]) &&
                strstr(e->message, "no set is funded")) {
                found = true;
                assert_true(e->line > 0);
            }
        }
        if (!found)
            cxroi_diag_print(diag, stderr);
        assert_true(found);
        cxroi_analysis_free(a);
        cxroi_diag_free(diag);
        cxroi_scenario_free(sc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portfolio_select_matches_brute_force),
        cmocka_unit_test(test_portfolio_select_forty_initiatives),
        cmocka_unit_test(test_portfolio_select_beats_greedy),
        cmocka_unit_test(test_portfolio_select_constraints),
        cmocka_unit_test(test_portfolio_select_loss_limit),
        cmocka_unit_test(test_portfolio_select_bad_arguments),
        cmocka_unit_test(test_portfolio_matrix_deterministic),
        cmocka_unit_test(test_portfolio_matrix_expected_values),
        cmocka_unit_test(test_portfolio_frontier_monotone_with_loss_limit),
        cmocka_unit_test(test_portfolio_frontier_probabilities),
        cmocka_unit_test(test_portfolio_infeasible_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
