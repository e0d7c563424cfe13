/* The Monte Carlo engine: blocks of iterations on worker threads, then statistics. */
#include "cxroi/simulation.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cxroi/model.h"
#include "model_internal.h"
#include "order_internal.h"
#include "pool_internal.h"
#include "sampler_internal.h"

/* With a precision target, the run is checked after every round of this many blocks;
 * rounds are fixed, so where a run stops does not depend on the threads. */
#define ROUND_BLOCKS 16

/* Iterations the model evaluates at once (its lanes): a block in slices this wide, so a
 * slice's customer arrays stay in the core's cache. */
#define CXROI_SIM_LANES 64

/* z of the two-sided 95 % interval. */
#define Z95 1.959963984540054

typedef struct shared {
    const cxroi_scenario *sc;
    const cxroi_sampler *sampler;
    cxroi_simulation *sim;
    atomic_size_t done; /* iterations finished in this run */
    pthread_mutex_t lock;
    cxroi_error error; /* the error of the earliest failing iteration */
    size_t error_iteration;
    size_t error_initiative; /* the initiative it failed at; CXROI_NONE: the baseline */
    /* Benefit attribution, summed per block so that the means do not depend on the
     * threads: block b's sums are block_pv[b * n_slots + slot[i] + e] for effect e of
     * initiative i, then slot[i] + n_effects for its direct benefit. */
    size_t n_slots;
    size_t *slot;
    double *block_pv;
} shared;

typedef struct worker {
    shared *sh;
    cxroi_sampler_workspace *sws;
    cxroi_model_workspace *mws; /* CXROI_SIM_LANES lanes */
    size_t *clamped;            /* per initiative: the rates its effects clamped here */
} worker;

static void record_error(shared *sh, cxroi_error e, size_t iteration, size_t initiative)
{
    pthread_mutex_lock(&sh->lock);
    if (sh->error == CXROI_OK || iteration < sh->error_iteration) {
        sh->error = e;
        sh->error_iteration = iteration;
        sh->error_initiative = initiative;
    }
    pthread_mutex_unlock(&sh->lock);
}

/* Evaluate `lanes` iterations of a block, from lane-major `values` (stride
 * CXROI_SIM_BLOCK), storing NPV and PV costs from iteration `it` on and adding the
 * benefit attribution to the block's sums in iteration order. On an error, *bad is the
 * lane that failed (not always the first that would) and *at the initiative it failed
 * at (CXROI_NONE: the customer base without initiatives). */
static cxroi_error run_lanes(worker *w, const double *values, size_t lanes, size_t it, double *acc,
                             size_t *bad, size_t *at)
{
    shared *sh = w->sh;
    const cxroi_scenario *sc = sh->sc;
    cxroi_simulation *sim = sh->sim;
    size_t cap = sim->iterations_cap, width = CXROI_SIM_LANES; /* the workspace's */
    *at = CXROI_NONE;
    cxroi_error e = cxroi_model_lanes_baseline(sc, values, CXROI_SIM_BLOCK, lanes, w->mws, bad);
    const double *attr = cxroi_model_lanes_attribution(w->mws);
    /* The workspace counts clamps over all its evaluations: each initiative's share is
     * what its evaluation added (whole numbers, so the total is the same on any threads). */
    size_t clamped = cxroi_model_workspace_clamped(w->mws);
    for (size_t i = 0; e == CXROI_OK && i < sc->n_initiatives; i++) {
        e = cxroi_model_lanes_initiative(sc, values, CXROI_SIM_BLOCK, i, NULL, w->mws, bad);
        if (e == CXROI_OK)
            e = cxroi_model_lanes_present_values(w->mws, &sim->npv[i * cap + it],
                                                 &sim->pv_costs[i * cap + it], bad);
        if (e != CXROI_OK) {
            *at = i;
            break;
        }
        size_t now = cxroi_model_workspace_clamped(w->mws);
        w->clamped[i] += now - clamped;
        clamped = now;
        /* Sums in iteration order within the block: reproducible. */
        const cxroi_initiative *in = &sc->initiatives[i];
        double *a = acc + sh->slot[i];
        for (size_t x = 0; x <= in->n_effects; x++) {
            size_t s = x < in->n_effects ? in->effects[x].segment : sc->n_segments;
            const double *row = attr + s * width;
            double sum = a[x];
            for (size_t k = 0; k < lanes; k++)
                sum += row[k];
            a[x] = sum;
        }
    }
    return e;
}

/* Evaluate iterations of one block and store their NPV and PV costs. */
static void run_block(worker *w, size_t block)
{
    shared *sh = w->sh;
    cxroi_simulation *sim = sh->sim;
    size_t first = block * CXROI_SIM_BLOCK;
    size_t n = sim->iterations_cap - first;
    if (n > CXROI_SIM_BLOCK)
        n = CXROI_SIM_BLOCK;
    const double *values = cxroi_sampler_fill_block(sh->sampler, w->sws, sh->sim->seed, block, n);
    double *acc = sh->block_pv + block * sh->n_slots;
    memset(acc, 0, sh->n_slots * sizeof(double));
    for (size_t k0 = 0; k0 < n; k0 += CXROI_SIM_LANES) {
        size_t lanes = n - k0 < CXROI_SIM_LANES ? n - k0 : CXROI_SIM_LANES, bad = 0, at;
        cxroi_error e = run_lanes(w, values + k0, lanes, first + k0, acc, &bad, &at);
        if (e != CXROI_OK) {
            /* The earliest failing iteration of these lanes, one at a time, and where it
             * fails. */
            size_t k = 0, at1 = at, bad1 = 0; /* the retries' own: they reset theirs */
            cxroi_error e1 = CXROI_OK;
            while (k < lanes && (e1 = run_lanes(w, values + k0 + k, 1, first + k0 + k, acc, &bad1,
                                                &at1)) == CXROI_OK)
                k++;
            /* the one-lane run's own error, iteration and initiative; the slice's when no
             * lane fails alone */
            if (k < lanes)
                record_error(sh, e1, first + k0 + k, at1);
            else
                record_error(sh, e, first + k0 + bad, at);
            return;
        }
    }
    if (first < sim->inputs_stride) {
        size_t kept = sim->inputs_stride - first < n ? sim->inputs_stride - first : n;
        for (size_t j = 0; j < sim->n_uncertain; j++)
            memcpy(sim->inputs + j * sim->inputs_stride + first,
                   values + sim->uncertain[j] * CXROI_SIM_BLOCK, kept * sizeof(double));
    }
    atomic_fetch_add(&sh->done, n);
}


static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

static double uncertain_inputs(const cxroi_scenario *sc)
{
    double uncertain = 0.0;
    for (size_t p = 0; p < sc->n_params; p++)
        uncertain += cxroi_dist_is_uncertain(&sc->params[p].dist);
    return uncertain;
}

/* Bytes the results keep for n iterations: NPV and PV costs per initiative and
 * iteration, the kept inputs, the per-block benefit sums and their means. In doubles, so
 * that no product of counts can wrap around. */
static double stored_bytes(const cxroi_scenario *sc, double n)
{
    double slots = (double)sc->n_initiatives;
    for (size_t i = 0; i < sc->n_initiatives; i++)
        slots += (double)sc->initiatives[i].n_effects;
    double kept = n < CXROI_SIM_KEPT_INPUTS ? n : CXROI_SIM_KEPT_INPUTS;
    double blocks = ceil(n / CXROI_SIM_BLOCK), ni = (double)sc->n_initiatives;
    double d = sizeof(double), ns = (double)sc->n_segments;
    return 2 * ni * n * d + uncertain_inputs(sc) * kept * d + slots * blocks * d +
           ni * (ns + 1) * d;
}

static size_t to_size(double bytes)
{
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

size_t cxroi_simulation_memory(const cxroi_scenario *sc, size_t iterations)
{
    /* The stored samples and one sorted copy for the statistics. */
    double n = (double)iterations;
    return to_size(stored_bytes(sc, n) + n * sizeof(double));
}

const char *cxroi_simulation_generator(void)
{
    return cxroi_sampler_generator();
}

void cxroi_simulation_free(cxroi_simulation *sim)
{
    if (!sim)
        return;
    if (sim->initiatives) {
        for (size_t i = 0; i < sim->n_initiatives; i++) {
            free(sim->initiatives[i].tornado);
            free(sim->initiatives[i].rank_correlation);
        }
    }
    free(sim->initiatives);
    free(sim->npv);
    free(sim->pv_costs);
    free(sim->uncertain);
    free(sim->inputs);
    free(sim->benefit_pv);
    free(sim);
}

const double CXROI_CURVE_P[CXROI_CURVE_POINTS] = {
    0.0,  0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3,  0.35,  0.4,  0.45, 0.5,
    0.55, 0.6,  0.65,  0.7,  0.75, 0.8,  0.85, 0.9,  0.95, 0.975, 0.99, 1.0};

/* Summary percentiles, then the S-curve's, then the histogram's range. */
#define SUMMARY_PERCENTILES 5
#define ALL_PERCENTILES (SUMMARY_PERCENTILES + CXROI_CURVE_POINTS + 2)

/* Sum of x[0..n): blocks of 1024 values, each summed in four interleaved partial sums,
 * then the block sums. Rounding error grows with the block size, not with n (as in
 * pairwise summation), and the four chains keep the adds in flight. */
static double sum_of(const double *x, size_t n)
{
    double total = 0.0;
    for (size_t start = 0; start < n; start += 1024) {
        size_t end = n - start < 1024 ? n : start + 1024, k = start;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (; k + 4 <= end; k += 4) {
            s0 += x[k];
            s1 += x[k + 1];
            s2 += x[k + 2];
            s3 += x[k + 3];
        }
        for (; k < end; k++)
            s0 += x[k];
        total += (s0 + s1) + (s2 + s3);
    }
    return total;
}

/*
 * Mean and sample standard deviation of x[0..n), n >= 1, by the corrected two-pass
 * algorithm (Chan, Golub & LeVeque 1983): mean = sum x / n, then
 * var = (sum d^2 - (sum d)^2 / n) / (n - 1) with d = x - mean, the second term removing
 * most of the first pass's rounding. GSL's gsl_stats_mean() updates a long double mean
 * with a division per value, which costs more than the simulation's draws of an
 * initiative; this agrees with it to about 1e-15 (tests/test_simulation.c).
 */
static void mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    /* A sample of one value (no uncertain input moves it) has that value as its mean,
     * exactly, and sd 0: a sum's rounding must not make the mean differ from P50. */
    size_t same = 1;
    while (same < n && x[same] == x[0]) /* a varying sample leaves at once */
        same++;
    if (same == n) {
        *mean = x[0];
        *sd = 0.0;
        return;
    }
    double m = sum_of(x, n) / (double)n;
    double total = 0.0, total_sq = 0.0;
    for (size_t start = 0; start < n; start += 1024) {
        size_t end = n - start < 1024 ? n : start + 1024, k = start;
        double d0 = 0.0, d1 = 0.0, q0 = 0.0, q1 = 0.0;
        for (; k + 2 <= end; k += 2) {
            double a = x[k] - m, b = x[k + 1] - m;
            d0 += a;
            d1 += b;
            q0 += a * a;
            q1 += b * b;
        }
        for (; k < end; k++) {
            double a = x[k] - m;
            d0 += a;
            q0 += a * a;
        }
        total += d0 + d1;
        total_sq += q0 + q1;
    }
    *mean = m;
    double var = n > 1 ? (total_sq - total * total / (double)n) / (double)(n - 1) : 0.0;
    *sd = var > 0.0 ? sqrt(var) : 0.0;
}

void cxroi_summary_compute_distribution(const double *x, size_t n, double *scratch,
                                        cxroi_summary *out, cxroi_distribution *distribution)
{
    mean_sd(x, n, &out->mean, &out->sd);
    out->stderr_mean = out->sd / sqrt((double)n);
    /* Percentiles as Excel's PERCENTILE.INC, from the order statistics they need (a
     * few linear passes over a copy, not a sort). */
    memcpy(scratch, x, n * sizeof(double));
    double p[ALL_PERCENTILES] = {0.05, 0.10, 0.50, 0.90, 0.95};
    size_t m = SUMMARY_PERCENTILES;
    if (distribution) {
        memcpy(p + m, CXROI_CURVE_P, sizeof CXROI_CURVE_P);
        p[ALL_PERCENTILES - 2] = 0.005;
        p[ALL_PERCENTILES - 1] = 0.995;
        m = ALL_PERCENTILES;
    }
    double q[ALL_PERCENTILES];
    cxroi_order_percentiles(scratch, n, p, m, q);
    out->p5 = q[0];
    out->p10 = q[1];
    out->p50 = q[2];
    out->p90 = q[3];
    out->p95 = q[4];
    if (!distribution)
        return;
    memcpy(distribution->curve, q + SUMMARY_PERCENTILES, sizeof distribution->curve);
    /* Bins over P0.5..P99.5 so that a few extreme draws do not flatten the chart; the
     * end bins take everything beyond. */
    double lo = q[ALL_PERCENTILES - 2], hi = q[ALL_PERCENTILES - 1];
    if (!(hi > lo)) {
        double w = fabs(lo) > 0 ? fabs(lo) * 0.01 : 1.0;
        lo -= w;
        hi += w;
    }
    double width = (hi - lo) / CXROI_HISTOGRAM_BINS;
    size_t counts[CXROI_HISTOGRAM_BINS] = {0};
    for (size_t k = 0; k < n; k++) {
        double b = floor((x[k] - lo) / width);
        size_t bin = b < 0 ? 0 : b >= CXROI_HISTOGRAM_BINS ? CXROI_HISTOGRAM_BINS - 1 : (size_t)b;
        counts[bin]++;
    }
    distribution->bin_lo = lo;
    distribution->bin_width = width;
    for (size_t b = 0; b < CXROI_HISTOGRAM_BINS; b++)
        distribution->share[b] = (double)counts[b] / (double)n;
}

void cxroi_summary_compute(const double *x, size_t n, double *scratch, cxroi_summary *out)
{
    cxroi_summary_compute_distribution(x, n, scratch, out, NULL);
}

/* Every initiative's mean NPV known to the relative precision asked (95 % half-width). */
static bool precise_enough(const cxroi_simulation *sim, size_t n, double precision)
{
    if (n < 2)
        return false;
    for (size_t i = 0; i < sim->n_initiatives; i++) {
        const double *x = sim->npv + i * sim->iterations_cap;
        double mean, sd;
        mean_sd(x, n, &mean, &sd);
        if (!(Z95 * sd / sqrt((double)n) <= precision * fabs(mean)))
            return false;
    }
    return true;
}

/* A round of blocks on the pool: every thread computes; the calling one (worker 0) also
 * reports progress, at most every PROGRESS_TICK seconds. */
#define PROGRESS_TICK 0.1

typedef struct round_ctx {
    shared *sh;
    worker *workers;
    size_t from;
    const cxroi_sim_options *opt;
    struct timespec reported; /* when worker 0 last reported */
} round_ctx;

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

static void round_block(void *arg, size_t k, size_t worker_id)
{
    round_ctx *c = arg;
    run_block(&c->workers[worker_id], c->from + k);
    if (worker_id != 0 || !c->opt->progress)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (seconds_between(&c->reported, &now) < PROGRESS_TICK)
        return;
    c->reported = now;
    c->opt->progress(c->opt->progress_context, atomic_load(&c->sh->done),
                     c->sh->sim->iterations_cap);
}

/* Run blocks [from, to) on the workers, then report the progress made. */
static cxroi_error run_round(shared *sh, worker *workers, unsigned threads, size_t from, size_t to,
                             const cxroi_sim_options *opt)
{
    round_ctx c = {sh, workers, from, opt, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &c.reported);
    cxroi_pool_for(threads, to - from, round_block, &c);
    if (opt->progress)
        opt->progress(opt->progress_context, atomic_load(&sh->done), sh->sim->iterations_cap);
    return sh->error;
}

/* Tornado: each uncertain input at its P10 and P90, every other input at base. */
static cxroi_error tornado(const cxroi_scenario *sc, cxroi_simulation *sim)
{
    size_t np = sc->n_params, h = (size_t)sc->horizon + 1, nu = sim->n_uncertain;
    double *values = malloc((np ? np : 1) * sizeof(double));
    double *buf = malloc(3 * h * sizeof(double));
    double *npv =
        malloc(2 * (nu ? nu : 1) * (sc->n_initiatives ? sc->n_initiatives : 1) * sizeof(double));
    double *ends = malloc(2 * (nu ? nu : 1) * sizeof(double)); /* each input's P10, P90 */
    cxroi_model_workspace *ws = cxroi_model_workspace_alloc(sc);
    cxroi_error err = CXROI_ERROR_NOMEM;
    if (!values || !buf || !npv || !ends || !ws)
        goto done;
    cxroi_flows flows = {buf, buf + h, buf + 2 * h, 0.0};
    cxroi_scenario_base_values(sc, values);
    for (size_t j = 0; j < nu; j++) {
        size_t p = sim->uncertain[j];
        double base = values[p], *lohi = ends + 2 * j;
        lohi[0] = cxroi_dist_quantile(&sc->params[p].dist, 0.10);
        lohi[1] = cxroi_dist_quantile(&sc->params[p].dist, 0.90);
        for (int end = 0; end < 2; end++) {
            values[p] = lohi[end];
            err = cxroi_model_baseline(sc, values, ws);
            for (size_t i = 0; err == CXROI_OK && i < sc->n_initiatives; i++) {
                double pvc;
                err = cxroi_model_initiative(sc, values, i, NULL, ws, &flows);
                if (err == CXROI_OK)
                    err = cxroi_model_present_values(&flows, sc->horizon, values[sc->discount_rate],
                                                     &npv[(i * nu + j) * 2 + (size_t)end], &pvc);
            }
            if (err != CXROI_OK)
                goto done;
        }
        values[p] = base;
    }
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        cxroi_sim_initiative *r = &sim->initiatives[i];
        r->tornado = calloc(nu ? nu : 1, sizeof(cxroi_tornado_bar));
        if (!r->tornado) {
            err = CXROI_ERROR_NOMEM;
            goto done;
        }
        for (size_t j = 0; j < nu; j++) {
            double lo = npv[(i * nu + j) * 2], hi = npv[(i * nu + j) * 2 + 1];
            double swing = fabs(hi - lo);
            /* An input that does not move this initiative's NPV has no bar. */
            if (!(swing > 1e-9 * (fabs(lo) + fabs(hi))) || swing == 0.0)
                continue;
            cxroi_tornado_bar bar = {sim->uncertain[j], ends[2 * j], ends[2 * j + 1], lo, hi,
                                     swing};
            /* Insertion by swing, largest first; ties keep parameter order. */
            size_t k = r->n_tornado;
            while (k > 0 && r->tornado[k - 1].swing < swing) {
                r->tornado[k] = r->tornado[k - 1];
                k--;
            }
            r->tornado[k] = bar;
            r->n_tornado++;
        }
    }
    err = CXROI_OK;
done:
    free(values);
    free(buf);
    free(npv);
    free(ends);
    cxroi_model_workspace_free(ws);
    return err;
}

/* ------------------------------------------------------------------------------------ */
/* Memory: what a run needs against what the process can still get. Estimated in doubles
 * so that no product of counts can wrap around. */

/* Address space each thread takes besides the heap: its stack (RLIMIT_STACK, glibc's
 * default size for a thread) and the malloc arena glibc reserves for a thread that
 * allocates (64 MiB on 64-bit systems). Counted only against RLIMIT_AS and RLIMIT_DATA,
 * which see reserved address space, not against physical memory. */
#define THREAD_ARENA_BYTES (64.0 * 1024 * 1024)
#define THREAD_STACK_DEFAULT (8.0 * 1024 * 1024)

static double bytes_peak(const cxroi_scenario *sc, double n, double threads)
{
    double uncertain = uncertain_inputs(sc);
    double kept = n < CXROI_SIM_KEPT_INPUTS ? n : CXROI_SIM_KEPT_INPUTS;
    /* the threads a run uses (cxroi_simulation_run() caps them as the pool does) */
    double t = threads < 1 ? 1 : fmin(threads, CXROI_POOL_MAX_THREADS);
    double d = sizeof(double);
    double stored = stored_bytes(sc, n);
    /* The statistics: per thread two n-long copies (percentiles, ROI) and the ranks of
     * the kept iterations; shared, the ranks of every kept input. The portfolio's two
     * n-long sums come after and fit in the same room. */
    double stats =
        t * (2 * n * d + kept * (2 * sizeof(cxroi_order_item) + d)) + uncertain * kept * d;
    /* Per worker: a block of sampled values and the model's workspace of
     * CXROI_SIM_LANES lanes. */
    double workers = t *
                     ((double)sc->n_params * CXROI_SIM_BLOCK +
                      (double)cxroi_model_workspace_doubles(sc, CXROI_SIM_LANES)) *
                     d;
    return stored + stats + workers;
}

size_t cxroi_simulation_memory_peak(const cxroi_scenario *scenario, size_t iterations,
                                    unsigned threads)
{
    return to_size(bytes_peak(scenario, (double)iterations, (double)threads));
}

/* Linux's estimate of the memory that can be allocated without swapping (free pages plus
 * the reclaimable page cache), which the free pages alone understate; -1 elsewhere. */
static double meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1.0;
    char line[256];
    double kb = -1.0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb >= 0.0 ? kb * 1024.0 : -1.0;
}

/* One number from a file of the kernel's (a cgroup's limit or usage); -1 when absent or
 * "max" (no limit). */
static double number_in(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1.0;
    double v = -1.0;
    if (fscanf(f, "%lf", &v) != 1)
        v = -1.0;
    fclose(f);
    return v;
}

/* Headroom under the memory limit of the control group the process runs in (a container,
 * a systemd slice), which MemAvailable does not see: cgroup v2, else v1. -1 when none. A
 * v1 group without a limit reports a huge number, which never wins the minimum. */
static double cgroup_room(void)
{
    double limit = number_in("/sys/fs/cgroup/memory.max");
    double used = number_in("/sys/fs/cgroup/memory.current");
    if (limit < 0.0) {
        limit = number_in("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        used = number_in("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    }
    if (limit < 0.0)
        return -1.0;
    return fmax(0.0, limit - fmax(0.0, used));
}

/* Address space and data (private writable) memory the process maps already, in bytes,
 * from /proc/self/statm; false elsewhere. */
static bool mapped_now(double page, double *size, double *data)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return false;
    double v[6];
    bool ok = fscanf(f, "%lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6;
    fclose(f);
    if (ok) {
        *size = v[0] * page;
        *data = v[5] * page;
    }
    return ok;
}

size_t cxroi_simulation_memory_at_hand(unsigned threads, cxroi_memory_limit *limit)
{
    cxroi_memory_limit kind = CXROI_MEMORY_UNKNOWN;
    double best = INFINITY;
    long page_size = sysconf(_SC_PAGESIZE);
    double page = page_size > 0 ? (double)page_size : 4096.0;
    double phys = meminfo_available();
    if (phys < 0.0) {
        long pages = sysconf(_SC_AVPHYS_PAGES);
        if (pages > 0)
            phys = (double)pages * page;
    }
    if (phys >= 0.0) {
        best = phys;
        kind = CXROI_MEMORY_PHYSICAL;
    }
    double group = cgroup_room();
    if (group >= 0.0 && group < best) {
        best = group;
        kind = CXROI_MEMORY_CGROUP;
    }
    struct rlimit rl;
    double stack = THREAD_STACK_DEFAULT;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        stack = (double)rl.rlim_cur;
    double per_thread = stack + THREAD_ARENA_BYTES;
    double t = threads < 1 ? 1 : threads;
    double size = 0.0, data = 0.0;
    if (!mapped_now(page, &size, &data))
        size = data = 0.0;
    static const struct {
        int resource;
        cxroi_memory_limit kind;
    } limits[] = {{RLIMIT_AS, CXROI_MEMORY_ADDRESS}, {RLIMIT_DATA, CXROI_MEMORY_DATA}};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (getrlimit(limits[i].resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
            continue;
        double used = limits[i].kind == CXROI_MEMORY_ADDRESS ? size : data;
        double room = fmax(0.0, (double)rl.rlim_cur - used - t * per_thread);
        if (room < best) {
            best = room;
            kind = limits[i].kind;
        }
    }
    if (limit)
        *limit = kind;
    return kind == CXROI_MEMORY_UNKNOWN ? SIZE_MAX : to_size(best);
}

/* "41.6 GB", "350 MB": decimal units, as memory is sold. */
static void format_bytes(double b, char *buf, size_t size)
{
    if (b >= 1e12)
        snprintf(buf, size, "%.1f TB", b / 1e12);
    else if (b >= 1e9)
        snprintf(buf, size, "%.1f GB", b / 1e9);
    else
        snprintf(buf, size, "%.0f MB", ceil(b / 1e6));
}

/* Refuse a run that would not fit, before anything is allocated: an out-of-memory kill
 * half-way through a long run (or a swapping machine) helps nobody. The message says
 * how many iterations would fit, rounded down to two significant digits. */
static cxroi_error check_memory(const cxroi_scenario *sc, size_t iterations, unsigned threads,
                                cxroi_diag *diag)
{
    cxroi_memory_limit kind;
    size_t have = cxroi_simulation_memory_at_hand(threads, &kind);
    double need = bytes_peak(sc, (double)iterations, (double)threads);
    if (have == SIZE_MAX || need <= (double)have)
        return CXROI_OK;
    size_t lo = 0, hi = iterations; /* the most iterations that fit, by bisection */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (bytes_peak(sc, (double)mid, (double)threads) <= (double)have)
            lo = mid;
        else
            hi = mid - 1;
    }
    double fit = (double)lo;
    if (fit >= 100) {
        double unit = pow(10.0, floor(log10(fit)) - 1);
        fit = floor(fit / unit) * unit;
    }
    char need_s[32], have_s[32];
    format_bytes(need, need_s, sizeof need_s);
    format_bytes((double)have, have_s, sizeof have_s);
    const char *where = kind == CXROI_MEMORY_ADDRESS  ? "the address-space limit (ulimit -v) leaves"
                        : kind == CXROI_MEMORY_DATA   ? "the data-size limit (ulimit -d) leaves"
                        : kind == CXROI_MEMORY_CGROUP ? "the memory limit of this container "
                                                        "(control group) leaves"
                                                      : "this machine has";
    if (lo == 0)
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, sc->file, 0, 0,
                       "the simulation of %zu iterations needs about %s of memory; %s %s "
                       "available, not enough for any simulation of this scenario: free "
                       "some memory or raise the limit",
                       iterations, need_s, where, have_s);
    else
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, sc->file, 0, 0,
                       "the simulation of %zu iterations needs about %s of memory; %s %s "
                       "available: lower the iterations (-n or simulation.iterations) to "
                       "%.0f or fewer",
                       iterations, need_s, where, have_s, fit);
    return CXROI_ERROR_LIMIT;
}

/* What the statistics share: the results, per-worker scratch, the inputs' ranks. */
typedef struct stats_ctx {
    cxroi_simulation *sim;
    size_t kept;
    double **scratch;             /* per worker: n doubles for percentiles */
    double **roi;                 /* per worker: n doubles */
    cxroi_order_item **rank_work; /* per worker: 2 kept items */
    double **npv_ranks;           /* per worker: kept doubles */
    double *input_ranks;          /* n_uncertain x kept, centred; NULL rows when unused */
    double *input_norm;           /* sqrt(sum of squared centred ranks) per input */
    bool *used;                   /* input j moves some initiative's NPV */
    bool failed;
} stats_ctx;

/* Ranks minus their mean (n + 1) / 2: Spearman's rho is then a plain cosine. */
static double centre_ranks(double *rank, size_t n)
{
    double mid = 0.5 * (double)(n + 1), sq = 0.0;
    for (size_t k = 0; k < n; k++) {
        rank[k] -= mid;
        sq += rank[k] * rank[k];
    }
    return sqrt(sq);
}

static void rank_input(void *arg, size_t j, size_t w)
{
    stats_ctx *c = arg;
    if (!c->used[j])
        return;
    double *row = c->input_ranks + j * c->kept;
    cxroi_order_ranks(c->sim->inputs + j * c->sim->inputs_stride, c->kept, c->rank_work[w], row);
    c->input_norm[j] = centre_ranks(row, c->kept);
}

static void summarise_initiative(void *arg, size_t i, size_t w)
{
    stats_ctx *c = arg;
    cxroi_simulation *sim = c->sim;
    size_t n = sim->iterations, cap = sim->iterations_cap, kept = c->kept;
    cxroi_sim_initiative *r = &sim->initiatives[i];
    const double *npv = sim->npv + i * cap, *pvc = sim->pv_costs + i * cap;
    double *roi = c->roi[w];
    cxroi_summary_compute_distribution(npv, n, c->scratch[w], &r->npv, &r->npv_distribution);
    size_t positive = 0;
    r->has_roi = true;
    for (size_t k = 0; k < n; k++) {
        positive += npv[k] > 0.0;
        if (pvc[k] > 0.0)
            roi[k] = npv[k] / pvc[k];
        else
            r->has_roi = false;
    }
    r->prob_npv_positive = (double)positive / (double)n;
    if (r->has_roi)
        cxroi_summary_compute(roi, n, c->scratch[w], &r->roi);
    r->rank_correlation = calloc(sim->n_uncertain ? sim->n_uncertain : 1, sizeof(double));
    if (!r->rank_correlation) {
        c->failed = true;
        return;
    }
    if (kept <= 2 || r->n_tornado == 0)
        return;
    double *nr = c->npv_ranks[w];
    cxroi_order_ranks(npv, kept, c->rank_work[w], nr);
    double npv_norm = centre_ranks(nr, kept);
    /* Only the inputs that move this NPV (its tornado bars); the others are 0 by
     * construction and would cost a pass each. */
    for (size_t b = 0; b < r->n_tornado; b++) {
        size_t j = 0;
        while (j < sim->n_uncertain && sim->uncertain[j] != r->tornado[b].param)
            j++;
        if (j == sim->n_uncertain || !(c->input_norm[j] > 0.0) || !(npv_norm > 0.0))
            continue;
        const double *xr = c->input_ranks + j * kept;
        double dot = 0.0;
        for (size_t k = 0; k < kept; k++)
            dot += xr[k] * nr[k];
        r->rank_correlation[j] = dot / (c->input_norm[j] * npv_norm);
    }
}

/*
 * Statistics of every initiative and the rank correlation of each input with each NPV
 * (Spearman's rho: the correlation of the ranks), spread over the threads: inputs are
 * ranked once each, NPVs once each, then only the pairs that matter are correlated.
 */
static cxroi_error summarise(cxroi_simulation *sim, unsigned threads)
{
    size_t n = sim->iterations, nu = sim->n_uncertain;
    size_t kept = sim->kept_inputs < n ? sim->kept_inputs : n;
    stats_ctx c = {0}; /* threads <= CXROI_POOL_MAX_THREADS (cxroi_simulation_run()) */
    c.sim = sim;
    c.kept = kept;
    cxroi_error err = CXROI_ERROR_NOMEM;
    c.scratch = calloc(threads, sizeof(double *));
    c.roi = calloc(threads, sizeof(double *));
    c.rank_work = calloc(threads, sizeof(cxroi_order_item *));
    c.npv_ranks = calloc(threads, sizeof(double *));
    c.input_ranks = malloc((nu ? nu : 1) * (kept ? kept : 1) * sizeof(double));
    c.input_norm = calloc(nu ? nu : 1, sizeof(double));
    c.used = calloc(nu ? nu : 1, sizeof(bool));
    if (!c.scratch || !c.roi || !c.rank_work || !c.npv_ranks || !c.input_ranks || !c.input_norm ||
        !c.used)
        goto done;
    for (unsigned t = 0; t < threads; t++) {
        c.scratch[t] = malloc(n * sizeof(double));
        c.roi[t] = malloc(n * sizeof(double));
        c.rank_work[t] = malloc(2 * (kept ? kept : 1) * sizeof(cxroi_order_item));
        c.npv_ranks[t] = malloc((kept ? kept : 1) * sizeof(double));
        if (!c.scratch[t] || !c.roi[t] || !c.rank_work[t] || !c.npv_ranks[t])
            goto done;
    }
    for (size_t i = 0; i < sim->n_initiatives; i++)
        for (size_t b = 0; b < sim->initiatives[i].n_tornado; b++)
            for (size_t j = 0; j < nu; j++)
                if (sim->uncertain[j] == sim->initiatives[i].tornado[b].param)
                    c.used[j] = true;
    if (kept > 2)
        cxroi_pool_for(threads, nu, rank_input, &c);
    cxroi_pool_for(threads, sim->n_initiatives, summarise_initiative, &c);
    err = c.failed ? CXROI_ERROR_NOMEM : CXROI_OK;
done:
    for (unsigned t = 0; t < threads; t++) {
        if (c.scratch)
            free(c.scratch[t]);
        if (c.roi)
            free(c.roi[t]);
        if (c.rank_work)
            free(c.rank_work[t]);
        if (c.npv_ranks)
            free(c.npv_ranks[t]);
    }
    free(c.scratch);
    free(c.roi);
    free(c.rank_work);
    free(c.npv_ranks);
    free(c.input_ranks);
    free(c.input_norm);
    free(c.used);
    return err;
}

cxroi_error cxroi_simulation_run(const cxroi_scenario *sc, const cxroi_sim_options *opt,
                                 cxroi_diag *diag, cxroi_simulation **out)
{
    *out = NULL;
    if (!sc || !opt || opt->iterations == 0)
        return CXROI_ERROR_ARGUMENT;
    /* No more threads than there are blocks, nor than the pool runs: the memory check
     * counts these, and the quantile tables are built on them too. */
    unsigned threads = opt->threads ? opt->threads : online_cores();
    size_t n_blocks = (opt->iterations + CXROI_SIM_BLOCK - 1) / CXROI_SIM_BLOCK;
    if (threads > n_blocks)
        threads = (unsigned)n_blocks;
    if (threads > CXROI_POOL_MAX_THREADS)
        threads = CXROI_POOL_MAX_THREADS;
    cxroi_error err = check_memory(sc, opt->iterations, threads, diag);
    if (err != CXROI_OK)
        return err;
    cxroi_sampler *sampler = NULL;
    err = cxroi_sampler_new(sc, opt->sampling, threads, diag, &sampler);
    if (err != CXROI_OK)
        return err;
    cxroi_simulation *sim = calloc(1, sizeof *sim);
    worker *workers = calloc(threads, sizeof(worker));
    shared sh;
    memset(&sh, 0, sizeof sh);
    pthread_mutex_init(&sh.lock, NULL);
    err = CXROI_ERROR_NOMEM;
    if (!sim || !workers)
        goto done;
    size_t cap = opt->iterations, ni = sc->n_initiatives;
    sim->iterations_cap = cap;
    sim->seed = opt->seed;
    sim->sampling = opt->sampling;
    sim->threads = threads;
    sim->n_initiatives = ni;
    sim->n_uncertain = cxroi_sampler_count(sampler);
    size_t keep = opt->keep_inputs ? opt->keep_inputs : CXROI_SIM_KEPT_INPUTS;
    sim->inputs_stride = cap < keep ? cap : keep;
    sim->kept_inputs = sim->inputs_stride;
    sim->npv = malloc((ni ? ni : 1) * cap * sizeof(double));
    sim->pv_costs = malloc((ni ? ni : 1) * cap * sizeof(double));
    sim->initiatives = calloc(ni ? ni : 1, sizeof(cxroi_sim_initiative));
    sim->uncertain = malloc((sim->n_uncertain ? sim->n_uncertain : 1) * sizeof(size_t));
    sim->inputs =
        malloc((sim->n_uncertain ? sim->n_uncertain : 1) * sim->inputs_stride * sizeof(double));
    if (!sim->npv || !sim->pv_costs || !sim->initiatives || !sim->uncertain || !sim->inputs)
        goto done;
    if (sim->n_uncertain)
        memcpy(sim->uncertain, cxroi_sampler_params(sampler), sim->n_uncertain * sizeof(size_t));
    sim->n_segments = sc->n_segments;
    sim->benefit_pv = calloc((ni ? ni : 1) * (sc->n_segments + 1), sizeof(double));
    sh.slot = malloc((ni ? ni : 1) * sizeof(size_t));
    if (!sim->benefit_pv || !sh.slot)
        goto done;
    for (size_t i = 0; i < ni; i++) {
        sh.slot[i] = sh.n_slots;
        sh.n_slots += sc->initiatives[i].n_effects + 1;
    }
    sh.block_pv = malloc((sh.n_slots ? sh.n_slots : 1) * n_blocks * sizeof(double));
    if (!sh.block_pv)
        goto done;

    sh.sc = sc;
    sh.sampler = sampler;
    sh.sim = sim;
    for (unsigned t = 0; t < threads; t++) {
        workers[t].sh = &sh;
        workers[t].sws = cxroi_sampler_workspace_alloc(sampler);
        workers[t].mws = cxroi_model_workspace_alloc_lanes(sc, CXROI_SIM_LANES);
        workers[t].clamped = calloc(ni ? ni : 1, sizeof(size_t));
        if (!workers[t].sws || !workers[t].mws || !workers[t].clamped)
            goto done;
    }

    size_t round = opt->has_precision ? ROUND_BLOCKS : n_blocks;
    size_t done_blocks = 0;
    while (done_blocks < n_blocks) {
        size_t to = done_blocks + round < n_blocks ? done_blocks + round : n_blocks;
        err = run_round(&sh, workers, threads, done_blocks, to, opt);
        if (err != CXROI_OK) {
            if (sh.error_initiative == CXROI_NONE) {
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, sc->file, 0, 0,
                               "iteration %zu of the simulation could not be evaluated: the "
                               "customer base without initiatives is not finite with that draw "
                               "of the inputs (%s); narrow the ranges of the segments' "
                               "uncertain inputs",
                               sh.error_iteration + 1, cxroi_strerror(err));
            } else {
                const cxroi_initiative *in = &sc->initiatives[sh.error_initiative];
                cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, in->mark.file, in->mark.line,
                               in->mark.column,
                               "initiatives.%s: iteration %zu of the simulation could not be "
                               "evaluated: %s (an extreme draw of the inputs); narrow the "
                               "ranges of the uncertain inputs it depends on",
                               in->id, sh.error_iteration + 1, cxroi_strerror(err));
            }
            goto done;
        }
        done_blocks = to;
        size_t n = done_blocks * CXROI_SIM_BLOCK < cap ? done_blocks * CXROI_SIM_BLOCK : cap;
        if (opt->has_precision && precise_enough(sim, n, opt->precision)) {
            sim->precision_reached = true;
            break;
        }
    }
    sim->iterations = done_blocks * CXROI_SIM_BLOCK < cap ? done_blocks * CXROI_SIM_BLOCK : cap;
    if (sim->kept_inputs > sim->iterations)
        sim->kept_inputs = sim->iterations;
    for (unsigned t = 0; t < threads; t++)
        for (size_t i = 0; i < ni; i++) {
            sim->initiatives[i].clamped += workers[t].clamped[i];
            sim->clamped += workers[t].clamped[i];
        }
    /* Mean PV of each initiative's benefits per segment: the block sums added in block
     * order, then divided by the iterations done. */
    for (size_t i = 0; i < ni; i++) {
        const cxroi_initiative *in = &sc->initiatives[i];
        double *row = sim->benefit_pv + i * (sc->n_segments + 1);
        for (size_t x = 0; x <= in->n_effects; x++) {
            double sum = 0.0;
            for (size_t b = 0; b < done_blocks; b++)
                sum += sh.block_pv[b * sh.n_slots + sh.slot[i] + x];
            size_t s = x < in->n_effects ? in->effects[x].segment : sc->n_segments;
            row[s] += sum / (double)sim->iterations;
        }
    }
    /* The tornado first: it tells which inputs move which NPV, so the statistics only
     * correlate those. */
    if ((err = tornado(sc, sim)) != CXROI_OK)
        goto done;
    err = summarise(sim, threads);
done:
    if (workers) {
        for (unsigned t = 0; t < threads; t++) {
            cxroi_sampler_workspace_free(workers[t].sws);
            cxroi_model_workspace_free(workers[t].mws);
            free(workers[t].clamped);
        }
    }
    free(workers);
    pthread_mutex_destroy(&sh.lock);
    free(sh.slot);
    free(sh.block_pv);
    cxroi_sampler_free(sampler);
    if (err != CXROI_OK) {
        cxroi_simulation_free(sim);
        return err;
    }
    *out = sim;
    return CXROI_OK;
}
