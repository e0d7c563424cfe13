/**
 * @file simulation.h
 * @brief The Monte Carlo engine: every uncertain input sampled (Monte Carlo or Latin
 *        hypercube, rank-correlated through a Gaussian copula), the model evaluated per
 *        iteration, and the distribution of each initiative's NPV and ROI summarised.
 *
 * Reproducible: iterations are drawn in blocks of CXROI_SIM_BLOCK, each block from its
 * own random stream derived from the seed and the block's index, so the same seed gives
 * bit-identical results whatever the number of threads.
 */
#ifndef CXROI_SIMULATION_H
#define CXROI_SIMULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"
#include "cxroi/scenario.h"

/** Iterations per block: the unit of random streams, Latin hypercube strata and work. */
#define CXROI_SIM_BLOCK 1024

/** Iterations whose sampled inputs are kept, by default, for the input-NPV rank
 *  correlations: the standard error of a rank correlation is then below 0.0065. */
#define CXROI_SIM_KEPT_INPUTS 25000

/** Settings of one simulation run. */
typedef struct cxroi_sim_options {
    size_t iterations;       /**< Number of iterations (the cap when precision is set). */
    uint64_t seed;           /**< Seed of every random stream. */
    cxroi_sampling sampling; /**< Monte Carlo or Latin hypercube. */
    unsigned threads;        /**< Worker threads; 0: all online cores. */
    size_t keep_inputs;      /**< Iterations whose inputs are kept; 0: CXROI_SIM_KEPT_INPUTS. */
    bool has_precision;      /**< Stop early at this relative precision. */
    double precision;        /**< 95 % half-width / |mean NPV| for every initiative. */
    /** Called from the calling thread about ten times a second (may be NULL). */
    void (*progress)(void *context, size_t done, size_t total);
    void *progress_context;
} cxroi_sim_options;

/** Summary statistics of a sample. Percentiles interpolate linearly between order
 *  statistics (Excel's PERCENTILE.INC, NumPy's default). */
typedef struct cxroi_summary {
    double mean;
    double sd;          /**< Sample standard deviation (n - 1). */
    double p5, p10, p50, p90, p95;
    double stderr_mean; /**< sd / sqrt(n). */
} cxroi_summary;

/** Points of an S-curve (cumulative distribution): the probabilities of CXROI_CURVE_P. */
#define CXROI_CURVE_POINTS 25

/** The S-curve's probabilities: 0, 1 %, 2.5 %, 5 %, 10 %, 15 %, ..., 95 %, 97.5 %, 99 %, 1. */
extern const double CXROI_CURVE_P[CXROI_CURVE_POINTS];

/** Bins of a histogram. */
#define CXROI_HISTOGRAM_BINS 30

/** The shape of a sample, for charts: its S-curve and its histogram. */
typedef struct cxroi_distribution {
    double curve[CXROI_CURVE_POINTS]; /**< Percentile CXROI_CURVE_P[q] (PERCENTILE.INC). */
    double bin_lo;    /**< Lower end of the first bin: P0.5 (widened by 1 % of its size, or
                           by 1, when P0.5 = P99.5). */
    double bin_width; /**< (P99.5 - P0.5) / CXROI_HISTOGRAM_BINS, equal bins; the first
                           and last bins also take what lies beyond them. */
    double share[CXROI_HISTOGRAM_BINS]; /**< Share of the sample in each bin. */
} cxroi_distribution;

/** One bar of a tornado chart: an input at its P10 and P90, all others at base. */
typedef struct cxroi_tornado_bar {
    size_t param;      /**< Parameter index. */
    double value_low;  /**< The input's P10. */
    double value_high; /**< The input's P90. */
    double npv_low;    /**< Deterministic NPV with the input at its P10. */
    double npv_high;   /**< ... at its P90. */
    double swing;      /**< |npv_high - npv_low|. */
} cxroi_tornado_bar;

/** Simulated results of one initiative. */
typedef struct cxroi_sim_initiative {
    cxroi_summary npv;
    cxroi_distribution npv_distribution; /**< S-curve and histogram of the NPV. */
    bool has_roi;           /**< false when PV costs are 0 in some iteration. */
    cxroi_summary roi;
    double prob_npv_positive;
    cxroi_tornado_bar *tornado; /**< Inputs that move this NPV, largest swing first. */
    size_t n_tornado;
    double *rank_correlation;   /**< Spearman rho of each uncertain input with NPV. */
    size_t clamped;             /**< Retention rates its effects clamped, all iterations. */
} cxroi_sim_initiative;

/** The results of a run. */
typedef struct cxroi_simulation {
    size_t iterations;           /**< Iterations done. */
    size_t iterations_cap;       /**< Iterations asked for. */
    bool precision_reached;      /**< With a precision: reached before the cap. */
    uint64_t seed;
    cxroi_sampling sampling;
    unsigned threads;            /**< Threads used. */
    size_t n_initiatives;
    double *npv;                 /**< NPV of initiative i in iteration k: npv[i * iterations_cap + k]. */
    double *pv_costs;            /**< PV costs, same layout. */
    cxroi_sim_initiative *initiatives;
    size_t *uncertain;           /**< Indices of the uncertain parameters. */
    size_t n_uncertain;
    size_t kept_inputs;          /**< Iterations whose inputs were kept (for correlations). */
    size_t inputs_stride;        /**< Row length of `inputs`. */
    double *inputs;              /**< inputs[j * inputs_stride + k]: uncertain input j, iteration k. */
    size_t clamped;              /**< Retention clamps over all iterations and initiatives. */
    size_t n_segments;           /**< Segments of the scenario (row length - 1 of benefit_pv). */
    /** Where the benefits come from, expected over the iterations: the mean PV of
     *  initiative i's benefits from segment s (terminal value included) is
     *  benefit_pv[i * (n_segments + 1) + s]; column n_segments holds the mean PV of its
     *  direct benefit (benefits.annual), which is no segment's. A row adds up to the
     *  initiative's mean PV benefits (mean NPV + mean PV costs) up to rounding. Summed per
     *  block, blocks in order: the same for any number of threads. */
    double *benefit_pv;
} cxroi_simulation;

/**
 * @brief Run the Monte Carlo simulation of @p scenario.
 * @param[in] scenario A loaded scenario.
 * @param[in] options Settings (iterations >= 1).
 * @param[in,out] diag Receives errors (e.g. correlations that cannot be honoured).
 * @param[out] out The results, to be freed with cxroi_simulation_free().
 * @return CXROI_OK; CXROI_ERROR_SCENARIO (correlations), CXROI_ERROR_MODEL (an iteration
 *         could not be evaluated), CXROI_ERROR_NOMEM, CXROI_ERROR_LIMIT (the run needs
 *         more memory than cxroi_simulation_memory_at_hand(): refused before anything is
 *         allocated, with an error in @p diag saying how much and how many iterations
 *         would fit), CXROI_ERROR_ARGUMENT.
 */
cxroi_error cxroi_simulation_run(const cxroi_scenario *scenario, const cxroi_sim_options *options,
                                 cxroi_diag *diag, cxroi_simulation **out);

/**
 * @brief The name of the GSL random number generator behind every stream ("taus2"), as
 *        gsl_rng_name() gives it.
 */
const char *cxroi_simulation_generator(void);

/** @brief Free a simulation. Accepts NULL. */
void cxroi_simulation_free(cxroi_simulation *sim);

/**
 * @brief Summary statistics of @p x (n >= 1 values; not modified).
 * @param[in] x The sample.
 * @param[in] n Its size.
 * @param[out] scratch Scratch of n doubles (left in an unspecified order).
 * @param[out] out The summary.
 */
void cxroi_summary_compute(const double *x, size_t n, double *scratch, cxroi_summary *out);

/**
 * @brief As cxroi_summary_compute(), with the S-curve and histogram of @p x as well (the
 *        percentiles of both from one selection).
 * @param[in] x The sample (not modified; no NaN).
 * @param[in] n Its size, >= 1.
 * @param[out] scratch Scratch of n doubles (left in an unspecified order).
 * @param[out] out The summary.
 * @param[out] distribution The S-curve and histogram; NULL: only the summary.
 */
void cxroi_summary_compute_distribution(const double *x, size_t n, double *scratch,
                                        cxroi_summary *out, cxroi_distribution *distribution);

/**
 * @brief Bytes a run of @p iterations needs for its stored samples, to check against
 *        the memory at hand before starting.
 */
size_t cxroi_simulation_memory(const cxroi_scenario *scenario, size_t iterations);

/**
 * @brief Peak bytes of a whole run on @p threads threads: the stored samples of
 *        cxroi_simulation_memory(), each statistics thread's scratch (two copies of an
 *        initiative's NPVs and the ranks of the kept iterations), each worker's block of
 *        sampled values and the portfolio's sums. What cxroi_simulation_run() checks
 *        against cxroi_simulation_memory_at_hand() before it allocates anything.
 * @param[in] threads Threads of the run, as cxroi_simulation_run() resolves them
 *            (0 counts as 1).
 * @return The estimate; SIZE_MAX when it does not fit a size_t.
 */
size_t cxroi_simulation_memory_peak(const cxroi_scenario *scenario, size_t iterations,
                                    unsigned threads);

/** Which limit cxroi_simulation_memory_at_hand() found tightest. */
typedef enum cxroi_memory_limit {
    CXROI_MEMORY_UNKNOWN,  /**< Nothing could be measured: SIZE_MAX is returned. */
    CXROI_MEMORY_PHYSICAL, /**< Available physical memory (Linux MemAvailable, else the
                                free pages of sysconf(_SC_AVPHYS_PAGES)). */
    CXROI_MEMORY_ADDRESS,  /**< Headroom under RLIMIT_AS (`ulimit -v`). */
    CXROI_MEMORY_DATA,     /**< Headroom under RLIMIT_DATA (`ulimit -d`). */
    CXROI_MEMORY_CGROUP    /**< Headroom under the memory limit of the process's control
                                group (a container), which MemAvailable does not see. */
} cxroi_memory_limit;

/**
 * @brief Bytes this process can still allocate: the least of the available physical
 *        memory, the headroom under its control group's memory limit (Linux) and, when
 *        they are set, the headroom under RLIMIT_AS and RLIMIT_DATA
 *        (the limit less what the process already maps), each of the last two less
 *        @p threads thread stacks and malloc arenas (reserved address space that is
 *        counted against those limits).
 * @param[in] threads Threads the run will start.
 * @param[out] limit Which limit was the tightest (may be NULL).
 * @return The bytes; SIZE_MAX when nothing could be measured.
 */
size_t cxroi_simulation_memory_at_hand(unsigned threads, cxroi_memory_limit *limit);

#endif /* CXROI_SIMULATION_H */
