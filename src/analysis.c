/* The analysis: every initiative's deterministic business case and every segment's
 * baseline economics, at the scenario's base values. */
#include "cxroi/analysis.h"

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
    free(analysis->segments);
    free(analysis->base_values);
    free(analysis);
}

/* Clamps of the base case alone. The deterministic case also evaluates the model while
 * it searches the break-even multiplier, at multipliers far from 1 that may clamp where
 * the scenario as written does not; those would only confuse the user. */
static cxroi_error count_base_clamps(const cxroi_scenario *s, const double *values, size_t i,
                                     cxroi_model_workspace *ws, double *scratch, size_t *clamps)
{
    size_t n = (size_t)s->horizon + 1;
    cxroi_flows flows = {scratch, scratch + n, scratch + 2 * n, 0.0};
    size_t before = cxroi_model_workspace_clamped(ws);
    cxroi_error err = cxroi_model_initiative(s, values, i, &CXROI_ADJUST_NONE, ws, &flows);
    *clamps = cxroi_model_workspace_clamped(ws) - before;
    return err;
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

    err = cxroi_model_baseline(s, a->base_values, ws);
    if (err != CXROI_OK) {
        if (err == CXROI_ERROR_MODEL)
            cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, s->file, 0, 0,
                           "the customer base without initiatives cannot be evaluated at "
                           "the base values: an input is out of its domain or a result is "
                           "not finite");
        goto done;
    }

    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_initiative *in = &s->initiatives[i];
        size_t clamps = 0;
        err = count_base_clamps(s, a->base_values, i, ws, scratch, &clamps);
        if (err == CXROI_OK)
            err = cxroi_model_deterministic(s, a->base_values, i, ws, &a->initiatives[i]);
        if (err != CXROI_OK) {
            if (err == CXROI_ERROR_MODEL)
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, in->mark.file, in->mark.line,
                               in->mark.column,
                               "initiatives.%s: the business case cannot be evaluated at "
                               "the base values: a result is not finite",
                               in->id);
            goto done;
        }
        a->clamped += clamps;
        if (clamps > 0)
            cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, in->mark.file, in->mark.line,
                           in->mark.column,
                           "initiatives.%s: retention was clamped to [0, 1] %zu time%s in "
                           "the deterministic case: its effects push retention past 0 or 1",
                           in->id, clamps, clamps == 1 ? "" : "s");
    }
    err = CXROI_OK;

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
