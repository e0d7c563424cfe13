/*
 * Benchmarks of the Monte Carlo engine (make bench):
 *
 *   cxroi_bench_sim run SCENARIO [-n N] [-t THREADS] [--seed S]
 *                       [--sampling monte_carlo|latin_hypercube] [--json FILE|-]
 *       loads SCENARIO and times cxroi_simulation_run() (sampling, model, statistics,
 *       tornado); prints one `key=value` line; with --json writes each initiative's NPV
 *       statistics (for the comparison with bench/numpy_peer.py).
 *
 *   cxroi_bench_sim draw SCENARIO [-n N] [--seed S]
 *       the floor of the sampling cost: N iterations of one cxroi_dist_sample() call per
 *       uncertain input (the same GSL samplers, the same generator as the engine),
 *       on one thread, with nothing else: no model, no statistics. Then the raw GSL
 *       calls the engine itself makes for the same draws (a block of draws per input:
 *       gsl_ran_gaussian_ziggurat() for a family drawn from a normal score,
 *       gsl_rng_uniform_pos() for the others), before any value is computed from them:
 *       the part of the engine's time that is GSL's alone.
 *
 * Defaults: N, seed and sampling from the scenario's `simulation:`; threads 1.
 * Prints figures; asserts nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cxroi.h"
#include "cxroi/simulation.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(void)
{
    fputs("usage: cxroi_bench_sim run|draw SCENARIO [-n N] [-t THREADS] [--seed S]\n"
          "                       [--sampling monte_carlo|latin_hypercube] [--json FILE|-]\n",
          stderr);
    exit(2);
}

typedef struct args {
    const char *mode;
    const char *scenario;
    size_t iterations; /* 0: the scenario's */
    unsigned threads;
    int has_seed;
    uint64_t seed;
    int has_sampling;
    cxroi_sampling sampling;
    const char *json;
} args;

static unsigned long long parse_ull(const char *s)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (!end || *end != '\0' || end == s)
        usage();
    return v;
}

static args parse_args(int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    a.threads = 1;
    if (argc < 3)
        usage();
    a.mode = argv[1];
    a.scenario = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(o, "-n"))
            a.iterations = (size_t)parse_ull(v);
        else if (!strcmp(o, "-t"))
            a.threads = (unsigned)parse_ull(v);
        else if (!strcmp(o, "--seed")) {
            a.has_seed = 1;
            a.seed = (uint64_t)parse_ull(v);
        } else if (!strcmp(o, "--sampling")) {
            a.has_sampling = 1;
            if (!strcmp(v, "monte_carlo"))
                a.sampling = CXROI_SAMPLING_MONTE_CARLO;
            else if (!strcmp(v, "latin_hypercube"))
                a.sampling = CXROI_SAMPLING_LATIN_HYPERCUBE;
            else
                usage();
        } else if (!strcmp(o, "--json"))
            a.json = v;
        else
            usage();
    }
    return a;
}

static cxroi_scenario *load(const char *path, double *seconds)
{
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    double t0 = now();
    cxroi_error e = cxroi_scenario_load(path, diag, &sc);
    *seconds = now() - t0;
    if (e != CXROI_OK) {
        cxroi_diag_print(diag, stderr);
        exit(1);
    }
    cxroi_diag_free(diag);
    return sc;
}

static void json_summary(FILE *f, const char *name, const cxroi_summary *s)
{
    fprintf(f,
            "\"%s\": {\"mean\": %.17g, \"sd\": %.17g, \"p5\": %.17g, \"p10\": %.17g, "
            "\"p50\": %.17g, \"p90\": %.17g, \"p95\": %.17g, \"stderr_mean\": %.17g}",
            name, s->mean, s->sd, s->p5, s->p10, s->p50, s->p90, s->p95, s->stderr_mean);
}

static void write_json(const char *path, const cxroi_scenario *sc, const cxroi_simulation *sim,
                       double seconds)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        perror(path);
        exit(3);
    }
    fprintf(f, "{\"iterations\": %zu, \"seed\": %" PRIu64 ", \"threads\": %u, \"seconds\": %.6f,\n"
               " \"initiatives\": [\n",
            sim->iterations, sim->seed, sim->threads, seconds);
    for (size_t i = 0; i < sim->n_initiatives; i++) {
        const cxroi_sim_initiative *r = &sim->initiatives[i];
        fprintf(f, "  {\"id\": \"%s\", ", sc->initiatives[i].id);
        json_summary(f, "npv", &r->npv);
        if (r->has_roi) {
            fputs(", ", f);
            json_summary(f, "roi", &r->roi);
        }
        fprintf(f, ", \"prob_npv_positive\": %.17g}%s\n", r->prob_npv_positive,
                i + 1 < sim->n_initiatives ? "," : "");
    }
    fputs(" ]}\n", f);
    if (f != stdout)
        fclose(f);
}

static int bench_run(const args *a)
{
    double t_load;
    cxroi_scenario *sc = load(a->scenario, &t_load);
    cxroi_sim_options opt;
    memset(&opt, 0, sizeof opt);
    opt.iterations = a->iterations ? a->iterations : sc->simulation.iterations;
    opt.seed = a->has_seed ? a->seed : sc->simulation.seed;
    opt.sampling = a->has_sampling ? a->sampling : sc->simulation.sampling;
    opt.threads = a->threads;
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_simulation *sim = NULL;
    double t0 = now();
    cxroi_error e = cxroi_simulation_run(sc, &opt, diag, &sim);
    double t = now() - t0;
    if (e != CXROI_OK) {
        cxroi_diag_print(diag, stderr);
        fprintf(stderr, "cxroi_bench_sim: %s\n", cxroi_strerror(e));
        exit(1);
    }
    size_t uncertain = sim->n_uncertain;
    printf("engine scenario=%s iterations=%zu threads=%u uncertain=%zu initiatives=%zu "
           "load_s=%.4f run_s=%.4f it_per_s=%.0f\n",
           a->scenario, sim->iterations, sim->threads, uncertain, sim->n_initiatives, t_load, t,
           (double)sim->iterations / t);
    if (a->json)
        write_json(a->json, sc, sim, t);
    cxroi_simulation_free(sim);
    cxroi_diag_free(diag);
    cxroi_scenario_free(sc);
    return 0;
}

/* Whether the engine draws a family from a normal score (src/sampler.c: normal,
 * lognormal, beta and PERT; the others from a uniform). */
static int drawn_from_normal_score(const cxroi_dist *d)
{
    return d->kind == CXROI_DIST_NORMAL || d->kind == CXROI_DIST_LOGNORMAL ||
           d->kind == CXROI_DIST_BETA || d->kind == CXROI_DIST_PERT;
}

/* The engine's raw GSL calls for n iterations, as it makes them: a block of
 * CXROI_SIM_BLOCK draws per input, the generator seeded once per block. */
static double raw_engine_draws(const cxroi_dist *const *d, size_t nu, size_t n, gsl_rng *rng,
                               double *block, double *checksum)
{
    double t0 = now();
    for (size_t first = 0, b = 0; first < n; first += CXROI_SIM_BLOCK, b++) {
        size_t len = n - first < CXROI_SIM_BLOCK ? n - first : CXROI_SIM_BLOCK;
        gsl_rng_set(rng, (unsigned long)(b + 1));
        for (size_t j = 0; j < nu; j++) {
            if (drawn_from_normal_score(d[j]))
                for (size_t k = 0; k < len; k++)
                    block[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            else
                for (size_t k = 0; k < len; k++)
                    block[k] = gsl_rng_uniform_pos(rng);
            *checksum += block[j % len];
        }
    }
    return now() - t0;
}

static int bench_draw(const args *a)
{
    double t_load;
    cxroi_scenario *sc = load(a->scenario, &t_load);
    size_t n = a->iterations ? a->iterations : sc->simulation.iterations;
    uint64_t seed = a->has_seed ? a->seed : sc->simulation.seed;
    /* The uncertain inputs, exactly those the engine draws. */
    const cxroi_dist **d = malloc((sc->n_params ? sc->n_params : 1) * sizeof *d);
    size_t *param = malloc((sc->n_params ? sc->n_params : 1) * sizeof *param);
    double *row = calloc(sc->n_params ? sc->n_params : 1, sizeof *row);
    /* The engine's generator, found by name among GSL's. */
    const gsl_rng_type *type = NULL;
    for (const gsl_rng_type **t = gsl_rng_types_setup(); *t; t++)
        if (strcmp((*t)->name, cxroi_simulation_generator()) == 0)
            type = *t;
    gsl_rng *rng = type ? gsl_rng_alloc(type) : NULL;
    if (!d || !param || !row || !rng) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    size_t nu = 0;
    for (size_t p = 0; p < sc->n_params; p++)
        if (cxroi_dist_is_uncertain(&sc->params[p].dist)) {
            d[nu] = &sc->params[p].dist;
            param[nu++] = p;
        }
    gsl_rng_set(rng, (unsigned long)(seed & 0xffffffffUL));
    double checksum = 0.0;
    double t0 = now();
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < nu; j++)
            row[param[j]] = cxroi_dist_sample(d[j], rng);
        checksum += row[param[nu ? nu - 1 : 0]];
    }
    double t = now() - t0;
    printf("draw scenario=%s iterations=%zu uncertain=%zu draws=%zu run_s=%.4f it_per_s=%.0f "
           "ns_per_draw=%.1f checksum=%.6g\n",
           a->scenario, n, nu, n * nu, t, (double)n / t, 1e9 * t / (double)(n * (nu ? nu : 1)),
           checksum);
    double *block = malloc(CXROI_SIM_BLOCK * sizeof *block);
    if (!block) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    size_t normal_scores = 0;
    for (size_t j = 0; j < nu; j++)
        normal_scores += (size_t)drawn_from_normal_score(d[j]);
    double raw_checksum = 0.0;
    double t_raw = raw_engine_draws(d, nu, n, rng, block, &raw_checksum);
    printf("draw raw_gsl iterations=%zu normal_scores=%zu uniforms=%zu run_s=%.4f "
           "ns_per_draw=%.1f checksum=%.6g\n",
           n, normal_scores, nu - normal_scores, t_raw,
           1e9 * t_raw / (double)(n * (nu ? nu : 1)), raw_checksum);
    free(block);
    /* Where the draw time goes: each family alone, over its inputs. */
    size_t reps = n < 200000 ? n : 200000;
    for (int kind = CXROI_DIST_UNIFORM; kind <= CXROI_DIST_DISCRETE; kind++) {
        size_t count = 0;
        for (size_t j = 0; j < nu; j++)
            count += d[j]->kind == (cxroi_dist_kind)kind;
        if (count == 0 || reps == 0)
            continue;
        double tk0 = now();
        for (size_t k = 0; k < reps; k++)
            for (size_t j = 0; j < nu; j++)
                if (d[j]->kind == (cxroi_dist_kind)kind)
                    row[param[j]] = cxroi_dist_sample(d[j], rng);
        double tk = now() - tk0;
        /* Truncated normals take another path in cxroi_dist_sample(): count them apart. */
        size_t truncated = 0;
        for (size_t j = 0; j < nu; j++)
            truncated += d[j]->kind == (cxroi_dist_kind)kind && (d[j]->has_min || d[j]->has_max);
        printf("draw family=%s inputs=%zu (%zu with min/max) ns_per_draw=%.1f share_of_draw_time=%.0f%%\n",
               cxroi_dist_kind_name((cxroi_dist_kind)kind), count, truncated,
               1e9 * tk / (double)(reps * count),
               100.0 * (tk / (double)reps) / (t / (double)n));
    }
    gsl_rng_free(rng);
    free(d);
    free(param);
    free(row);
    cxroi_scenario_free(sc);
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    args a = parse_args(argc, argv);
    if (!strcmp(a.mode, "run"))
        return bench_run(&a);
    if (!strcmp(a.mode, "draw"))
        return bench_draw(&a);
    usage();
    return 2;
}
