/* The analysis: every initiative's deterministic business case and every segment's
 * baseline economics, at the scenario's base values. */
#include "cxroi/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void cxroi_analysis_free(cxroi_analysis *analysis)
{
    if (!analysis)
        return;
    if (analysis->initiatives && analysis->scenario) {
        for (size_t i = 0; i < analysis->scenario->n_initiatives; i++)
            cxroi_deterministic_clear(&analysis->initiatives[i]);
    }
    free(analysis->initiatives);
    cxroi_portfolio_free(analysis->portfolio);
    cxroi_simulation_free(analysis->simulation);
    free(analysis->segments);
    free(analysis->retention_curves);
    free(analysis->base_values);
    free(analysis);
}

/* Run the Monte Carlo simulation with the effective settings; warn about clamps. */
static cxroi_error simulate(const cxroi_scenario *s, cxroi_analysis *a,
                            const cxroi_analysis_options *options, cxroi_diag *diag)
{
    cxroi_sim_options opt = {0};
    opt.iterations = a->iterations;
    opt.seed = a->seed;
    opt.sampling = a->sampling;
    opt.threads = options ? options->threads : 0;
    opt.has_precision = s->simulation.has_precision;
    opt.precision = s->simulation.precision;
    if (options) {
        opt.progress = options->progress;
        opt.progress_context = options->progress_context;
    }
    cxroi_error err = cxroi_simulation_run(s, &opt, diag, &a->simulation);
    if (err != CXROI_OK)
        return err;
    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_initiative *in = &s->initiatives[i];
        size_t clamps = a->simulation->initiatives[i].clamped;
        if (clamps > 0)
            cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, in->mark.file, in->mark.line,
                           in->mark.column,
                           "initiatives.%s: retention was clamped to [0, 1] %zu time%s over "
                           "the %zu iterations of the simulation: some draws of its effects "
                           "push retention past 0 or 1",
                           in->id, clamps, clamps == 1 ? "" : "s", a->simulation->iterations);
    }
    return CXROI_OK;
}

/* Is segment @p k the target of any initiative's effects? Only those segments' customer
 * equity enters a result (the extra customers of the others are 0). */
static bool segment_has_effects(const cxroi_scenario *s, size_t k)
{
    for (size_t i = 0; i < s->n_initiatives; i++)
        if (cxroi_scenario_acts_on(s, i, k))
            return true;
    return false;
}

/* The mark of the first of two parameters that is uncertain (the one whose range to
 * narrow), else of the first. */
static const cxroi_mark *uncertain_mark(const cxroi_scenario *s, size_t a, size_t b)
{
    if (!cxroi_dist_is_uncertain(&s->params[a].dist) && cxroi_dist_is_uncertain(&s->params[b].dist))
        return &s->params[b].mark;
    return &s->params[a].mark;
}

/* With terminal_value: customer_equity a customer alive at H is worth
 * m sum_{k>=0} [S(a+k)/S(a)] / (1+d)^(k+1). The sum is finite only when survival decays
 * faster than the discount factor grows:
 *   constant retention r: sum_k r^k / (1+d)^(k+1) = 1 / (1 + d - r), needs r < 1 + d;
 *   sBG: S(a+k)/S(a) falls like k^-alpha, a power, which no growing (1+d)^-k (d < 0)
 *        can beat; d = 0 leaves sum_k k^-alpha, finite only for alpha > 1; d > 0 always.
 * The model would only say "not finite" at the first initiative it meets; the cause is
 * the segment's retention against the discount rate, so it is reported there, with the
 * fix. The base case first, then the worst case over the range the simulation draws
 * the inputs in (cxroi_dist_draw_range()): the highest retention, or the lowest alpha,
 * against the lowest discount rate; without it a scenario whose base case is fine would
 * pass `check` and stop `run` at the first such draw. Returns false when an error was
 * reported. */
static bool check_customer_equity(const cxroi_scenario *s, const double *values, cxroi_diag *diag)
{
    if (s->terminal_value != CXROI_TERMINAL_CUSTOMER_EQUITY)
        return true;
    double d = values[s->discount_rate], d_lo, d_hi;
    cxroi_dist_draw_range(&s->params[s->discount_rate].dist, &d_lo, &d_hi);
    bool ok = true;
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *seg = &s->segments[k];
        if (!segment_has_effects(s, k))
            continue;
        if (seg->retention_kind == CXROI_RETENTION_CONSTANT) {
            double r = values[seg->retention], r_lo, r_hi;
            cxroi_dist_draw_range(&s->params[seg->retention].dist, &r_lo, &r_hi);
            if (!(1.0 + d - r > 0.0)) {
                const cxroi_mark *at = &s->params[seg->retention].mark;
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, at->file, at->line, at->column,
                               "segments.%s: the customer equity of a customer is infinite: "
                               "retention %.6g is not below 1 + discount rate (%.6g), so the "
                               "discounted value of a customer never stops growing; use a "
                               "higher discount_rate or terminal_value: none",
                               seg->id, r, 1.0 + d);
            } else if (!(1.0 + d_lo - r_hi > 0.0)) {
                const cxroi_mark *at = uncertain_mark(s, seg->retention, s->discount_rate);
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, at->file, at->line, at->column,
                               "segments.%s: the customer equity of a customer is infinite in "
                               "some iterations of the simulation: retention can be drawn up "
                               "to %.6g and discount_rate down to %.6g, and retention must "
                               "stay below 1 + discount rate; narrow their ranges (a "
                               "retention always below %.6g) or use terminal_value: none",
                               seg->id, r_hi, d_lo, 1.0 + d_lo);
            } else {
                continue;
            }
        } else {
            double alpha = values[seg->sbg_alpha], a_lo, a_hi;
            cxroi_dist_draw_range(&s->params[seg->sbg_alpha].dist, &a_lo, &a_hi);
            /* decided in closed form: the value's series needs ~ln(1e17 / d) / d terms at
             * a tiny d > 0 */
            if (!cxroi_model_sbg_value_finite(alpha, d)) {
                const cxroi_mark *at = &seg->mark;
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, at->file, at->line, at->column,
                               "segments.%s: the customer equity of a customer is infinite: "
                               "with sBG retention (alpha %.6g) the discounted expected "
                               "residual lifetime converges only for a discount rate above 0, "
                               "or equal to 0 when alpha > 1, and discount_rate is %.6g; use "
                               "a positive discount_rate or terminal_value: none",
                               seg->id, alpha, d);
            } else if (!cxroi_model_sbg_value_finite(a_lo, d_lo)) {
                /* one of the two is uncertain, or the base case would have failed */
                const cxroi_mark *at = uncertain_mark(s, s->discount_rate, seg->sbg_alpha);
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, at->file, at->line, at->column,
                               "segments.%s: the customer equity of a customer is infinite in "
                               "some iterations of the simulation: with sBG retention the "
                               "discounted expected residual lifetime converges only for a "
                               "discount rate above 0, or equal to 0 when alpha > 1, and "
                               "discount_rate can be drawn down to %.6g (alpha down to %.6g); "
                               "%s, or use terminal_value: none",
                               seg->id, d_lo, a_lo,
                               d_lo < 0.0 ? "keep discount_rate above 0"
                                          : "keep alpha above 1 or discount_rate above 0");
            } else if ((d > 0.0 && d < CXROI_MODEL_SBG_MIN_RATE) ||
                       (d_lo < CXROI_MODEL_SBG_MIN_RATE && d_hi > 0.0 && d_lo < d_hi)) {
                const cxroi_mark *at = &s->params[s->discount_rate].mark;
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, at->file, at->line, at->column,
                               "segments.%s: with sBG retention, customer equity at a discount "
                               "rate between 0 and %g is a series too long to sum (about "
                               "40 / d terms: 40 million at 1e-6), and discount_rate %s %.6g; "
                               "use 0 (summed in closed form) or a rate of at least %g",
                               seg->id, CXROI_MODEL_SBG_MIN_RATE,
                               d_lo < d_hi ? "can be drawn down to" : "is", d_lo < d_hi ? d_lo : d,
                               CXROI_MODEL_SBG_MIN_RATE);
            } else {
                continue;
            }
        }
        ok = false;
    }
    return ok;
}

/* Which quantity of metrics @p m is not finite, after cxroi_model_metrics() failed
 * (it zeroes the structure first, so what it did not reach is 0). */
static const char *metrics_culprit(const cxroi_metrics *m)
{
    if (!isfinite(m->npv) || !isfinite(m->pv_costs))
        return "the NPV overflows";
    if (!isfinite(m->pv_benefits))
        return "the present value of the benefits overflows";
    if (m->has_roi && (!isfinite(m->roi) || !isfinite(m->bcr)))
        return "the ROI (NPV / PV costs) overflows: the PV costs are too small beside the NPV";
    if (m->irr.exists && !isfinite(m->irr.rate))
        return "the IRR is not finite";
    if (m->has_mirr && !isfinite(m->mirr))
        return "the MIRR overflows";
    return "the IRR of the cash flows cannot be computed";
}

/* After cxroi_model_deterministic() failed with CXROI_ERROR_MODEL: evaluate the same
 * steps one at a time and name the first quantity that is not finite. */
static void explain_initiative_failure(const cxroi_scenario *s, const double *values, size_t i,
                                       cxroi_model_workspace *ws, double *scratch, cxroi_diag *diag)
{
    const cxroi_initiative *in = &s->initiatives[i];
    size_t n = (size_t)s->horizon + 1;
    cxroi_flows flows = {scratch, scratch + n, scratch + 2 * n, 0.0};
    char why[160] = "the break-even search (every effect scaled by up to a million) gives a "
                    "result that is not finite";
    cxroi_adjust risk = {1.0, 1.0 - in->risk_benefits, 1.0 + in->risk_costs};
    const cxroi_adjust *cases[2] = {&CXROI_ADJUST_NONE, in->has_risk_adjustment ? &risk : NULL};
    for (int c = 0; c < 2 && cases[c]; c++) {
        const char *which = c == 0 ? "" : " in the risk-adjusted case";
        if (cxroi_model_baseline(s, values, ws) != CXROI_OK) {
            snprintf(why, sizeof why, "the customer base without the initiative overflows");
            break;
        }
        cxroi_error err = cxroi_model_initiative(s, values, i, cases[c], ws, &flows);
        if (err == CXROI_ERROR_MODEL) {
            int year = -1;
            const char *what = "benefit";
            for (size_t t = 0; t < n && year < 0; t++) {
                if (!isfinite(flows.benefits[t]))
                    year = (int)t;
                else if (!isfinite(flows.costs[t]))
                    year = (int)t, what = "cost";
            }
            if (year >= 0)
                snprintf(why, sizeof why, "the %s of year %d overflows%s", what, year, which);
            else
                snprintf(why, sizeof why,
                         "the terminal value (customer equity of the extra customers at year "
                         "%d) overflows%s",
                         s->horizon, which);
            break;
        }
        /* Finite flows can still overflow once discounted: at d near -1 the factor
         * (1+d)^-t grows without bound (1e-6^-50 = 1e300). cxroi_model_metrics() stops
         * there before it fills anything, so that case is told apart first. */
        double d = values[s->discount_rate], npv, pv_costs;
        if (err == CXROI_OK &&
            cxroi_model_present_values(&flows, s->horizon, d, &npv, &pv_costs) != CXROI_OK) {
            snprintf(why, sizeof why,
                     "the NPV overflows: the flows discounted at %.6g (a factor of up to "
                     "%.3g in year %d) exceed the range of a double%s",
                     d, pow(1.0 + d, -(double)s->horizon), s->horizon, which);
            break;
        }
        cxroi_metrics m;
        if (err == CXROI_OK && cxroi_model_metrics(&flows, s->horizon, d, &m) != CXROI_OK) {
            snprintf(why, sizeof why, "%s%s", metrics_culprit(&m), which);
            break;
        }
    }
    cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, in->mark.file, in->mark.line, in->mark.column,
                   "initiatives.%s: the business case cannot be evaluated at the base values: "
                   "%s",
                   in->id, why);
}

cxroi_error cxroi_analysis_run(const cxroi_scenario *scenario,
                               const cxroi_analysis_options *options, cxroi_diag *diag,
                               cxroi_analysis **out)
{
    *out = NULL;
    const cxroi_scenario *s = scenario;
    cxroi_error err = CXROI_ERROR_NOMEM;
    cxroi_model_workspace *ws = NULL;
    double *scratch = NULL;
    cxroi_analysis *a = calloc(1, sizeof(*a));
    if (!a)
        return CXROI_ERROR_NOMEM;
    a->scenario = s;
    a->base_values = calloc(s->n_params ? s->n_params : 1, sizeof(double));
    a->initiatives = calloc(s->n_initiatives ? s->n_initiatives : 1, sizeof(*a->initiatives));
    a->segments = calloc(s->n_segments ? s->n_segments : 1, sizeof(*a->segments));
    scratch = malloc(3 * ((size_t)s->horizon + 1) * sizeof(double));
    ws = cxroi_model_workspace_alloc(s);
    if (!a->base_values || !a->initiatives || !a->segments || !scratch || !ws)
        goto done;

    /* Command-line options override the scenario's simulation settings. */
    a->iterations = options && options->iterations ? options->iterations
                                                    : s->simulation.iterations;
    a->seed = options && options->has_seed ? options->seed : s->simulation.seed;
    a->sampling = options && options->has_sampling ? options->sampling : s->simulation.sampling;

    cxroi_scenario_base_values(s, a->base_values);
    a->discount_rate = a->base_values[s->discount_rate];

    for (size_t k = 0; k < s->n_segments; k++)
        cxroi_model_segment_economics(s, a->base_values, k, &a->segments[k]);

    if (!check_customer_equity(s, a->base_values, diag)) {
        err = CXROI_ERROR_MODEL;
        goto done;
    }
    err = cxroi_model_baseline(s, a->base_values, ws);
    if (err != CXROI_OK) {
        if (err == CXROI_ERROR_MODEL)
            cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, s->file, 0, 0,
                           "the customer base without initiatives cannot be evaluated at "
                           "the base values: an input is out of its domain or a result is "
                           "not finite");
        goto done;
    }

    size_t len = (size_t)s->horizon + 1;
    a->retention_curves =
        malloc((s->n_initiatives + 1) * (s->n_segments ? s->n_segments : 1) * len * sizeof(double));
    if (!a->retention_curves) {
        err = CXROI_ERROR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < s->n_segments; k++)
        cxroi_model_workspace_retention(ws, k, false, a->retention_curves + k * len);
    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_initiative *in = &s->initiatives[i];
        err = cxroi_model_deterministic(s, a->base_values, i, ws, &a->initiatives[i]);
        if (err != CXROI_OK) {
            if (err == CXROI_ERROR_MODEL)
                explain_initiative_failure(s, a->base_values, i, ws, scratch, diag);
            goto done;
        }
        /* The base case was evaluated last: its retention curves, segment by segment. */
        for (size_t k = 0; k < s->n_segments; k++)
            cxroi_model_workspace_retention(ws, k, true,
                                            a->retention_curves +
                                                ((i + 1) * s->n_segments + k) * len);
        size_t clamps = a->initiatives[i].base_clamped;
        a->clamped += clamps;
        if (clamps > 0)
            cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, in->mark.file, in->mark.line,
                           in->mark.column,
                           "initiatives.%s: retention was clamped to [0, 1] %zu time%s in "
                           "the deterministic case: its effects push retention past 0 or 1",
                           in->id, clamps, clamps == 1 ? "" : "s");
    }
    err = CXROI_OK;
    if (!(options && options->skip_simulation) && a->iterations > 0)
        err = simulate(s, a, options, diag);
    /* The funding line needs every initiative's NPV per iteration. */
    if (err == CXROI_OK && a->simulation)
        err = cxroi_portfolio_run(s, a->base_values, a->simulation, diag, &a->portfolio);

done:
    free(scratch);
    cxroi_model_workspace_free(ws);
    if (err != CXROI_OK) {
        cxroi_analysis_free(a);
        return err;
    }
    *out = a;
    return CXROI_OK;
}
