/**
 * @file portfolio.h
 * @brief The funding line: the set of initiatives whose base upfront costs fit the
 *        budget with the largest expected NPV (exact), its NPV distribution from the
 *        same Monte Carlo iterations, the efficient frontier over budgets, and the
 *        segment x touchpoint value-generation matrix.
 *
 * Method: exact depth-first branch and bound. Initiatives are taken in decreasing order
 * of expected NPV per unit of base upfront cost; a subtree is cut when the linear
 * relaxation (the fractional knapsack over the initiatives still open, which ignores
 * the exclusive groups and the loss constraint and so can only overstate) cannot beat
 * the best set found. Every set met on the way is a candidate; the loss constraint
 * P(set NPV < 0) <= max_loss_probability, which is not additive over initiatives, is
 * checked on the stored iterations only for a candidate that would improve on the best,
 * so the answer is the exact optimum of the expected NPVs under every constraint. With a
 * loss constraint, initiatives of non-positive expected NPV stay in the search (one may
 * hedge another); without it they are never funded unless in must_fund. The loss
 * constraint makes the problem a chance-constrained knapsack, which the value bound
 * barely prunes: the search then starts from the best of three quick sets (a greedy
 * pass that keeps the limit, the prefixes of an unconstrained greedy pass, and that pass
 * repaired by dropping the initiative whose removal leaves the fewest losses). A search
 * that exceeds its work limit (CXROI_PORTFOLIO_MAX_WORK steps) stops with the best set
 * found, flagged (`optimal` false) and warned about.
 *
 * The frontier solves the same problem at each budget level, each search started from
 * the previous level's set, so its expected NPV never falls.
 */
#ifndef CXROI_PORTFOLIO_H
#define CXROI_PORTFOLIO_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

/** Most frontier points computed. */
#define CXROI_PORTFOLIO_MAX_FRONTIER 200

/** Work limit of one exact search, in steps: nodes visited plus member-iterations read
 *  by loss checks (about a second). Without a loss limit 40 initiatives need far fewer;
 *  with one, the problem (a chance-constrained knapsack) can need exponentially many.
 *  The frontier's searches share one more such budget. */
#define CXROI_PORTFOLIO_MAX_WORK 5e8

/** One point of the efficient frontier. */
typedef struct cxroi_frontier_point {
    double budget;            /**< The budget of this point. */
    bool *funded;             /**< n_initiatives flags: the optimal set at this budget. */
    double upfront;           /**< Sum of the funded base upfront costs. */
    double npv_mean;          /**< Expected NPV of the set. */
    double prob_npv_positive; /**< P(set NPV > 0) over the iterations. */
    double marginal_value;    /**< (npv_mean - previous point's) / (budget - previous
                                   budget): expected NPV per extra unit of budget on the
                                   step up to this point; 0 for the first point. */
} cxroi_frontier_point;

/** The value-generation matrix: PV of value generated per segment and touchpoint. */
typedef struct cxroi_value_matrix {
    size_t n_segments, n_touchpoints;
    double *pv;               /**< pv[s * n_touchpoints + t], expected over iterations. */
    double *segment_total;    /**< PV generated per segment (all touchpoints, incl. untagged). */
    double *untagged;         /**< Per segment: value of initiatives without touchpoints. */
    bool *untapped;           /**< untapped[s * n_touchpoints + t]: no initiative has both
                                   an effect on segment s and a weight on touchpoint t. */
    double direct;            /**< PV of direct benefits (benefits.annual, e.g. of `kind:
                                   other` requests), expected: no segment's value, so
                                   outside the matrix; reported beside it. */
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
    cxroi_distribution npv_distribution; /**< Its S-curve and histogram. */
    double prob_npv_positive;
    bool feasible;            /**< false when the constraints admit no set (nothing funded). */
    bool optimal;             /**< The search proved the set optimal (false only when it
                                   hit CXROI_PORTFOLIO_MAX_WORK, or when infeasible). */
    size_t n_funded;          /**< Number of funded initiatives. */
    double *npv_expected;     /**< Per initiative: the expected NPV the selection used. */
    double *upfront_cost;     /**< Per initiative: its base upfront cost. */
    double prob_npv_negative; /**< P(set NPV < 0): what max_loss_probability bounds. */
    bool has_marginal;        /**< A budget is set and a larger budget funds more value. */
    double marginal_value;    /**< Expected NPV gained per extra unit of budget up to the
                                   next frontier point above the budget. */
    double next_budget;       /**< That point's budget (the next spend level that pays). */
    cxroi_frontier_point *frontier; /**< Points where the optimal set changes, by
                                         increasing budget, and the last one (budget =
                                         sum of all upfront costs); npv_mean never
                                         decreases along it. */
    size_t n_frontier;
    cxroi_value_matrix matrix;
} cxroi_portfolio;

/** A selection problem on its own, without a scenario (what cxroi_portfolio_run() solves). */
typedef struct cxroi_portfolio_problem {
    size_t n;                    /**< Number of initiatives. */
    const double *npv_expected;  /**< n expected NPVs: the objective is their sum. */
    const double *upfront;       /**< n upfront costs, >= 0. */
    bool has_budget;             /**< false: no cap on the upfront costs. */
    double budget;               /**< Cap on the sum of the funded upfront costs. */
    bool has_max_loss_probability;
    double max_loss_probability; /**< P(sum of the funded NPVs < 0) at most this. */
    const double *npv_samples;   /**< NPV of initiative i in iteration k:
                                      npv_samples[i * stride + k]; needed with a loss
                                      constraint, else may be NULL. */
    size_t stride;
    size_t n_samples;            /**< Iterations used (>= 1 with a loss constraint). */
    const size_t *must_fund;     /**< Indices that must be funded. */
    size_t n_must_fund;
    const cxroi_group *exclusive;/**< Groups of which at most one is funded. */
    size_t n_exclusive;
    double max_work;             /**< Work limit in steps; 0: CXROI_PORTFOLIO_MAX_WORK. */
} cxroi_portfolio_problem;

/** What cxroi_portfolio_select() found. */
typedef struct cxroi_portfolio_selection {
    bool feasible;  /**< Some set meets every constraint. */
    bool optimal;   /**< Proved optimal (the search finished within its work limit). */
    double value;   /**< Sum of the funded expected NPVs (0 when infeasible). */
    double work;    /**< Steps the search took (nodes plus iterations read). */
} cxroi_portfolio_selection;

/**
 * @brief The exact optimum of one selection problem (the branch and bound above).
 *
 * Budget comparisons allow a relative slack of 1e-12, so that amounts that fit on paper
 * (0.1 + 0.2 against 0.3) fit here despite rounding.
 * @param[in] problem The problem.
 * @param[in] start A set known to be feasible, to start from (may be NULL).
 * @param[out] funded n flags: the optimal set (all false when infeasible).
 * @param[out] out What was found.
 * @return CXROI_OK; CXROI_ERROR_ARGUMENT (NULL arrays, an index out of range, a loss
 *         constraint without samples); CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_portfolio_select(const cxroi_portfolio_problem *problem, const bool *start,
                                   bool *funded, cxroi_portfolio_selection *out);

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
