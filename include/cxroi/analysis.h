/**
 * @file analysis.h
 * @brief The business case of a whole scenario: every initiative's deterministic case,
 *        and the baseline economics of every segment. Report writers read an analysis;
 *        they never recompute the model.
 *
 * Later stages (simulation, portfolio) extend this structure.
 */
#ifndef CXROI_ANALYSIS_H
#define CXROI_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"
#include "cxroi/model.h"
#include "cxroi/portfolio.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

/** Run-time options that override the scenario's settings (command line). */
typedef struct cxroi_analysis_options {
    size_t iterations;         /**< 0: the scenario's. */
    bool has_seed;
    uint64_t seed;
    bool has_sampling;
    cxroi_sampling sampling;
    unsigned threads;          /**< 0: all cores. */
    bool skip_simulation;      /**< Deterministic case only (`cxroi check`). */
    /** Progress of the simulation, called from the calling thread (may be NULL). */
    void (*progress)(void *context, size_t done, size_t total);
    void *progress_context;
} cxroi_analysis_options;

/** Results of a scenario. */
typedef struct cxroi_analysis {
    const cxroi_scenario *scenario;       /**< Not owned: must outlive the analysis. */
    double *base_values;                  /**< n_params deterministic values. */
    double discount_rate;                 /**< Base value of the discount rate. */
    size_t iterations;                    /**< Effective settings after options. */
    uint64_t seed;
    cxroi_sampling sampling;
    cxroi_deterministic *initiatives;     /**< One per scenario initiative. */
    cxroi_segment_economics *segments;    /**< One per scenario segment. */
    /** Aggregate retention by year (t = 0..H, [0] NaN) of each segment at the base values:
     *  retention_curves[(c * n_segments + s) * (H + 1) + t], c = 0 the baseline,
     *  c = 1 + i with initiative i (the baseline's curve where i does not act on s). */
    double *retention_curves;
    size_t clamped;                       /**< Retention clamps in the deterministic cases. */
    cxroi_simulation *simulation;         /**< The Monte Carlo results (NULL when skipped). */
    cxroi_portfolio *portfolio;           /**< Funding line, frontier and value matrix, from
                                               the simulation (NULL when it was skipped). */
} cxroi_analysis;

/**
 * @brief Compute the business case of @p scenario.
 * @param[in] scenario A loaded scenario.
 * @param[in] options Overrides (NULL: none).
 * @param[in,out] diag Receives model warnings and errors (may be NULL).
 * @param[out] out The analysis (free with cxroi_analysis_free()).
 * @return CXROI_OK, CXROI_ERROR_MODEL or CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_analysis_run(const cxroi_scenario *scenario,
                               const cxroi_analysis_options *options, cxroi_diag *diag,
                               cxroi_analysis **out);

/** @brief Free an analysis. Accepts NULL. */
void cxroi_analysis_free(cxroi_analysis *analysis);

#endif /* CXROI_ANALYSIS_H */
