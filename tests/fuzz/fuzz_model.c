/* libFuzzer target: arbitrary bytes -> scenario -> model.
 *
 * Inputs the loader rejects end there; a scenario it accepts goes through the
 * deterministic analysis (every initiative's cash flows, metrics, IRR, break-even, the
 * segments' economics) and a tiny Monte Carlo run (64 iterations, one thread, the
 * scenario's sampling, correlations and seed). The work per input is bounded by
 * construction: the loader caps the horizon at CXROI_MAX_HORIZON and the counts of
 * segments, initiatives and parameters, the simulation's iteration count is ours, not
 * the file's, and libFuzzer's -max_len bounds the file.
 *
 * Besides the sanitizers, the target checks the promise of issue 7: a NaN or an infinity
 * is an error, never a number in a result. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "cxroi/analysis.h"
#include "cxroi/diag.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

#ifndef CXROI_FUZZ_INCLUDE_DIR
#define CXROI_FUZZ_INCLUDE_DIR "."
#endif

/* Iterations of the Monte Carlo run: enough for every statistic (percentiles, rank
 * correlations, the tornado) to be computed, few enough for thousands of inputs a second. */
#define FUZZ_ITERATIONS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gsl_set_error_handler_off();
    return 0;
}

static void fail(const char *what, size_t index, double value)
{
    fprintf(stderr, "fuzz_model: %s [%zu] is %g: a non-finite number reached a result\n", what,
            index, value);
    abort();
}

/* Every number a report would print for a deterministic case must be finite. */
static void check_metrics(const cxroi_metrics *m, size_t i)
{
    if (!isfinite(m->npv))
        fail("npv", i, m->npv);
    if (!isfinite(m->pv_costs))
        fail("pv_costs", i, m->pv_costs);
    if (!isfinite(m->pv_benefits))
        fail("pv_benefits", i, m->pv_benefits);
    if (m->has_roi && !isfinite(m->roi))
        fail("roi", i, m->roi);
    if (m->has_payback && !isfinite(m->payback_years))
        fail("payback_years", i, m->payback_years);
}

static void run_analysis(const cxroi_scenario *sc, cxroi_diag *diag)
{
    cxroi_analysis_options opt = {0};
    opt.skip_simulation = true;
    opt.threads = 1;
    cxroi_analysis *a = NULL;
    cxroi_error e = cxroi_analysis_run(sc, &opt, diag, &a);
    if (e == CXROI_OK) {
        for (size_t i = 0; i < sc->n_initiatives; i++) {
            check_metrics(&a->initiatives[i].base, i);
            check_metrics(&a->initiatives[i].risk_adjusted, i);
        }
    }
    cxroi_analysis_free(a);
}

static void run_simulation(const cxroi_scenario *sc, cxroi_diag *diag)
{
    cxroi_sim_options opt = {0};
    opt.iterations = FUZZ_ITERATIONS;
    opt.seed = sc->simulation.seed;
    opt.sampling = sc->simulation.sampling;
    opt.threads = 1;
    opt.keep_inputs = FUZZ_ITERATIONS;
    cxroi_simulation *sim = NULL;
    cxroi_error e = cxroi_simulation_run(sc, &opt, diag, &sim);
    if (e == CXROI_OK) {
        for (size_t i = 0; i < sim->n_initiatives; i++) {
            for (size_t k = 0; k < sim->iterations; k++) {
                double v = sim->npv[i * sim->iterations_cap + k];
                if (!isfinite(v))
                    fail("simulated npv", i, v);
            }
            if (!isfinite(sim->initiatives[i].npv.mean))
                fail("mean npv", i, sim->initiatives[i].npv.mean);
        }
    }
    cxroi_simulation_free(sim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cxroi_diag *diag = cxroi_diag_new();
    if (!diag)
        return 0;
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load_string((const char *)data, size, "fuzz.yaml",
                                               CXROI_FUZZ_INCLUDE_DIR, diag, &sc);
    if (e == CXROI_OK) {
        if (sc->horizon < 1 || sc->horizon > CXROI_MAX_HORIZON)
            abort(); /* the bound this target relies on */
        run_analysis(sc, diag);
        run_simulation(sc, diag);
    }
    char *text = NULL;
    size_t text_size = 0;
    FILE *out = open_memstream(&text, &text_size);
    if (out) {
        cxroi_diag_print(diag, out);
        fclose(out);
    }
    free(text);
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
    return 0;
}
