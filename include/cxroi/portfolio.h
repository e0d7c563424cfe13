/**
 * @file portfolio.h
 * @brief The funding line: the set of initiatives whose base upfront costs fit the
 *        budget with the largest expected NPV (exact), its NPV distribution from the
 *        same Monte Carlo iterations, the efficient frontier over budgets, and the
 *        segment x touchpoint value-generation matrix.
 */
#ifndef CXROI_PORTFOLIO_H
#define CXROI_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

/** One point of the efficient frontier. */
typedef struct cxroi_frontier_point {
    double budget;            /**< The budget of this point. */
    bool *funded;             /**< n_initiatives flags: the optimal set at this budget. */
    double upfront;           /**< Sum of the funded base upfront costs. */
    double npv_mean;          /**< Expected NPV of the set. */
    double prob_npv_positive; /**< P(set NPV > 0) over the iterations. */
} cxroi_frontier_point;

/** The value-generation matrix: PV of value generated per segment and touchpoint. */
typedef struct cxroi_value_matrix {
    size_t n_segments, n_touchpoints;
    double *pv;               /**< pv[s * n_touchpoints + t], expected over iterations. */
    double *segment_total;    /**< PV generated per segment (all touchpoints, incl. untagged). */
    double *untagged;         /**< Per segment: value of initiatives without touchpoints. */
    bool *untapped;           /**< pv[s][t] == 0: no initiative addresses t for s. */
} cxroi_value_matrix;

/** Portfolio results. */
typedef struct cxroi_portfolio {
    bool has_budget;
    double budget;
    size_t n_initiatives;
    bool *funded;             /**< The optimal set (n_initiatives flags). */
    size_t *ranking;          /**< Initiatives by expected NPV per unit of upfront cost,
                                   funded ones first (the order of the funding chart). */
    double upfront;           /**< Sum of the funded base upfront costs. */
    cxroi_summary npv;        /**< The funded set's NPV over the same iterations. */
    double prob_npv_positive;
    bool feasible;            /**< false when the constraints admit no set. */
    cxroi_frontier_point *frontier;
    size_t n_frontier;
    cxroi_value_matrix matrix;
} cxroi_portfolio;

/**
 * @brief Choose the funded set and compute the frontier and the value matrix.
 * @param[in] scenario The scenario (budget and constraints in scenario->portfolio).
 * @param[in] base_values The deterministic values (for base upfront costs).
 * @param[in] sim The simulation (expected NPVs, per-iteration NPVs).
 * @param[in,out] diag Receives warnings (e.g. no set satisfies the constraints).
 * @param[out] out The results (free with cxroi_portfolio_free()).
 * @return CXROI_OK, CXROI_ERROR_NOMEM or CXROI_ERROR_LIMIT (too many initiatives for an
 *         exact search).
 */
cxroi_error cxroi_portfolio_run(const cxroi_scenario *scenario, const double *base_values,
                                const cxroi_simulation *sim, cxroi_diag *diag,
                                cxroi_portfolio **out);

/** @brief Free portfolio results. Accepts NULL. */
void cxroi_portfolio_free(cxroi_portfolio *portfolio);

#endif /* CXROI_PORTFOLIO_H */
