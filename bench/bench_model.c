/*
 * Benchmarks of the deterministic engine and the loader: how many whole-scenario model
 * evaluations (baseline + every initiative's cash flows and NPV) run per second, and how
 * fast hostile files are refused. Prints figures; asserts nothing.
 *
 * Usage: cxroi_bench [SCENARIO ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cxroi.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Evaluate the whole scenario `reps` times at its base values; returns seconds. */
static double time_model(const cxroi_scenario *sc, size_t reps, double *checksum)
{
    cxroi_model_workspace *ws = cxroi_model_workspace_alloc(sc);
    double *values = malloc(sc->n_params * sizeof *values);
    size_t h = (size_t)sc->horizon + 1;
    double *buf = malloc(3 * h * sizeof *buf);
    if (!ws || !values || !buf) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    cxroi_scenario_base_values(sc, values);
    cxroi_flows flows = {buf, buf + h, buf + 2 * h, 0.0};
    double sum = 0.0;
    double t0 = now();
    for (size_t r = 0; r < reps; r++) {
        /* Nudge one value so the compiler cannot hoist the work out of the loop. */
        values[sc->discount_rate] += 1e-15;
        if (cxroi_model_baseline(sc, values, ws) != CXROI_OK)
            exit(1);
        for (size_t i = 0; i < sc->n_initiatives; i++) {
            double npv, pv_costs;
            if (cxroi_model_initiative(sc, values, i, NULL, ws, &flows) != CXROI_OK ||
                cxroi_model_present_values(&flows, sc->horizon, values[sc->discount_rate], &npv,
                                           &pv_costs) != CXROI_OK)
                exit(1);
            sum += npv;
        }
    }
    double t = now() - t0;
    *checksum = sum;
    cxroi_model_workspace_free(ws);
    free(values);
    free(buf);
    return t;
}

static void bench_scenario(const char *path)
{
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    double t0 = now();
    cxroi_error e = cxroi_scenario_load(path, diag, &sc);
    double t_load = now() - t0;
    if (e != CXROI_OK) {
        cxroi_diag_print(diag, stderr);
        exit(1);
    }
    /* Aim for about half a second of work. */
    size_t reps = 1000;
    double checksum = 0.0;
    double t = time_model(sc, reps, &checksum);
    if (t < 0.5)
        reps = (size_t)((double)reps * 0.5 / (t > 1e-6 ? t : 1e-6));
    t = time_model(sc, reps, &checksum);
    printf("%-34s load %7.2f ms  %3zu segments %3zu initiatives  H=%2d  "
           "%10.0f scenario evaluations/s  (%.2f us each)\n",
           path, 1e3 * t_load, sc->n_segments, sc->n_initiatives, sc->horizon,
           (double)reps / t, 1e6 * t / (double)reps);
    (void)checksum;
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
}

/* A hostile document from memory: how long until the loader refuses it. */
static void bench_hostile(const char *label, const char *text, size_t n)
{
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    double t0 = now();
    cxroi_error e = cxroi_scenario_load_string(text, n, label, ".", diag, &sc);
    double t = now() - t0;
    const cxroi_diag_entry *first = cxroi_diag_get(diag, 0);
    printf("%-34s refused in %8.3f ms: %s\n", label, 1e3 * t,
           e == CXROI_OK ? "ACCEPTED (unexpected)" : (first ? first->message : cxroi_strerror(e)));
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    printf("== deterministic model ==\n");
    for (int i = 1; i < argc; i++)
        bench_scenario(argv[i]);

    printf("\n== hostile inputs ==\n");
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    bench_hostile("100,000-deep nesting", deep, 2 * depth);
    free(deep);

    char bomb[2048];
    size_t used = (size_t)snprintf(bomb, sizeof bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int level = 1; level < 10; level++)
        used += (size_t)snprintf(bomb + used, sizeof bomb - used,
                                 "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                                 level, level, level - 1, level - 1, level - 1, level - 1,
                                 level - 1, level - 1, level - 1, level - 1, level - 1, level - 1);
    bench_hostile("alias bomb (10^10 nodes)", bomb, used);

    size_t big = 50u << 20;
    char *huge = malloc(big);
    for (size_t i = 0; i < big; i++)
        huge[i] = "segments: []\n"[i % 13];
    bench_hostile("50 MB document", huge, big);
    srand(7);
    for (size_t i = 0; i < 1u << 20; i++)
        huge[i] = (char)(rand() & 0xff);
    bench_hostile("1 MB of binary garbage", huge, 1u << 20);
    free(huge);
    return 0;
}
