/**
 * @file scenario.h
 * @brief The scenario: segments, touchpoints, initiatives and their uncertain inputs,
 *        loaded and validated from a YAML file (schema `cxroi: 1`, SPEC.md).
 *
 * Every numeric model input is a *parameter* (cxroi_param): a distribution (a fixed
 * number being the degenerate case) with its key path, e.g.
 * `segments.mass.retention` or `initiatives.onboarding.costs.upfront`. Model structures
 * refer to parameters by index, so one vector of values (the base case, one Monte Carlo
 * iteration, a tornado end) evaluates the whole model. Baseline inputs (segment
 * economics, the discount rate) are parameters of their own, shared by every initiative.
 */
#ifndef CXROI_SCENARIO_H
#define CXROI_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxroi/diag.h"
#include "cxroi/dist.h"
#include "cxroi/error.h"

/** "No parameter": an optional input that was not given. */
#define CXROI_NONE ((size_t)-1)

/** Largest horizon accepted, in years. */
#define CXROI_MAX_HORIZON 50

/** Most Monte Carlo iterations a scenario or the command line may ask for. */
#define CXROI_MAX_ITERATIONS 100000000ULL

/** Largest seed: 2^53 - 1, exact in a double, so that JSON readers see the very seed used. */
#define CXROI_MAX_SEED 9007199254740991ULL

/** A place in a scenario file (1-based). `file` points into cxroi_scenario.files. */
typedef struct cxroi_mark {
    const char *file;
    int line;
    int column;
} cxroi_mark;

/** One uncertain (or fixed) model input. */
typedef struct cxroi_param {
    char *path;       /**< Key path, e.g. "segments.mass.retention". */
    cxroi_dist dist;  /**< Its distribution; FIXED for a plain number. */
    cxroi_mark mark;  /**< Where its value is written. */
} cxroi_param;

/** How a segment's customers are retained. */
typedef enum cxroi_retention_kind {
    CXROI_RETENTION_CONSTANT = 0, /**< `retention`: one annual rate. */
    CXROI_RETENTION_SBG,          /**< `retention_curve: {sbg: {alpha, beta}, tenure}`. */
    CXROI_RETENTION_SURVIVAL      /**< `survival: [...]`: sBG fitted by maximum likelihood. */
} cxroi_retention_kind;

/** A customer segment and its baseline economics (all parameter indices). */
typedef struct cxroi_segment {
    char *id;
    char *name;                   /**< Defaults to the id. */
    cxroi_mark mark;
    size_t customers;             /**< N_0. */
    size_t revenue_per_customer;  /**< Per year. */
    size_t margin;                /**< Contribution margin on revenue, 0..1. */
    size_t cost_to_serve;         /**< Per customer per year (default fixed 0). */
    size_t acquisitions_per_year; /**< New customers per year (default fixed 0). */
    cxroi_retention_kind retention_kind;
    size_t retention;             /**< CONSTANT: annual retention rate, 0..1. */
    size_t sbg_alpha, sbg_beta;   /**< SBG and SURVIVAL (filled by the fit): sBG parameters. */
    int tenure;                   /**< Age in years of the existing base (default 0). */
    double *survival;             /**< SURVIVAL: the cohort counts or fractions as written. */
    size_t n_survival;
} cxroi_segment;

/** An initiative's effects on one segment; each field a parameter index or CXROI_NONE. */
typedef struct cxroi_effect {
    size_t segment;       /**< Index into cxroi_scenario.segments. */
    cxroi_mark mark;
    size_t retention;     /**< Absolute change of the retention rate. */
    size_t churn;         /**< Relative change of the churn rate (1 - retention). */
    size_t revenue;       /**< Relative change of revenue per customer. */
    size_t cost_to_serve; /**< Relative change of cost to serve. */
    size_t acquisitions;  /**< Relative change of acquisitions per year. */
} cxroi_effect;

/** What an initiative is. */
typedef enum cxroi_initiative_kind {
    CXROI_INITIATIVE_CX = 0, /**< A CX initiative acting through segments. */
    CXROI_INITIATIVE_OTHER   /**< Any other capital request (`kind: other`). */
} cxroi_initiative_kind;

/** A proposed initiative. */
typedef struct cxroi_initiative {
    char *id;
    char *name;                 /**< Defaults to the id. */
    cxroi_mark mark;
    cxroi_initiative_kind kind;
    int start;                  /**< Years of delay before the investment. */
    int ramp_years;             /**< Years to reach full strength. */
    size_t upfront;             /**< costs.upfront, or CXROI_NONE. */
    size_t annual;              /**< costs.annual, or CXROI_NONE. */
    size_t benefit_annual;      /**< benefits.annual (direct benefit), or CXROI_NONE. */
    cxroi_effect *effects;      /**< One per segment it acts on. */
    size_t n_effects;
    double *touchpoint_weights; /**< n_touchpoints weights summing to 1; all 0 when none. */
    bool has_risk_adjustment;
    double risk_benefits;       /**< Fraction by which benefits are lowered (0..1). */
    double risk_costs;          /**< Fraction by which costs are raised (>= 0). */
} cxroi_initiative;

/** A rank (Spearman) correlation between two parameters. */
typedef struct cxroi_correlation {
    size_t a, b;     /**< Parameter indices. */
    double rho;      /**< In [-1, 1]. */
    cxroi_mark mark;
} cxroi_correlation;

/** A group of initiative indices (must_fund, exclusive). */
typedef struct cxroi_group {
    size_t *members;
    size_t count;
    cxroi_mark mark;
} cxroi_group;

/** Funding constraints. */
typedef struct cxroi_portfolio_spec {
    bool has_budget;
    double budget; /**< Cap on the sum of base upfront costs (see cxroi_budget_cap()). */
    bool has_max_loss_probability;
    double max_loss_probability;  /**< P(portfolio NPV < 0) at most this. */
    cxroi_group must_fund;        /**< Initiatives that must be funded. */
    cxroi_group *exclusive;       /**< Groups of which at most one is funded. */
    size_t n_exclusive;
} cxroi_portfolio_spec;

/** Sampling scheme of the simulation. */
typedef enum cxroi_sampling {
    CXROI_SAMPLING_MONTE_CARLO = 0,
    CXROI_SAMPLING_LATIN_HYPERCUBE
} cxroi_sampling;

/** @brief The YAML (and command-line) name of a sampling scheme: "monte_carlo" or
 *         "latin_hypercube". */
const char *cxroi_sampling_name(cxroi_sampling sampling);

/**
 * @brief A sampling scheme as reports write it.
 * @param[in] sampling The scheme.
 * @return "Monte Carlo" or "Latin hypercube" (static storage).
 */
const char *cxroi_sampling_title(cxroi_sampling sampling);

/**
 * @brief The most a set's upfront costs may sum to within @p budget: the budget plus a
 *        slack of 1e-12 of it, so that decimal amounts that add up on paper
 *        (0.1 + 0.2 <= 0.3) fit.
 * @param[in] budget portfolio.budget.
 * @return The cap.
 */
double cxroi_budget_cap(double budget);

/** @brief Look up a sampling scheme by its name; true and sets @p sampling when known. */
bool cxroi_sampling_from_name(const char *name, cxroi_sampling *sampling);

/** Simulation settings. */
typedef struct cxroi_simulation_spec {
    size_t iterations;    /**< Default 10000; the cap when precision is set. */
    uint64_t seed;        /**< Default 1. */
    cxroi_sampling sampling; /**< Default latin_hypercube. */
    bool has_precision;
    double precision;     /**< Relative half-width (95 %) on every initiative's mean NPV. */
} cxroi_simulation_spec;

/** What is added at the horizon. */
typedef enum cxroi_terminal {
    CXROI_TERMINAL_NONE = 0,
    CXROI_TERMINAL_CUSTOMER_EQUITY
} cxroi_terminal;

/** A loaded, validated scenario. Everything is owned by it. */
typedef struct cxroi_scenario {
    char *file;                 /**< The top-level file as named by the user. */
    char *name;                 /**< `name`, or the file's base name. */
    char currency[4];           /**< ISO 4217 code, e.g. "EUR". */
    int horizon;                /**< Operating years H, 1..50. */
    size_t discount_rate;       /**< Parameter index; annual, > -1. */
    cxroi_terminal terminal_value;
    cxroi_simulation_spec simulation;
    cxroi_segment *segments;
    size_t n_segments;
    char **touchpoints;
    size_t n_touchpoints;
    cxroi_initiative *initiatives;
    size_t n_initiatives;
    cxroi_param *params;
    size_t n_params;
    cxroi_correlation *correlations;
    size_t n_correlations;
    cxroi_portfolio_spec portfolio;
    char **files;               /**< Every file read (top first, then includes). */
    size_t n_files;
} cxroi_scenario;

/**
 * @brief Load and validate a scenario file, following its `include`s.
 *
 * Every problem is reported to @p diag as `FILE:LINE:COLUMN` with the key path, what
 * was expected and what was found, all in one pass; unknown keys get a "did you mean".
 * @param[in] path The file.
 * @param[in,out] diag Collects errors and warnings (may be NULL).
 * @param[out] out The scenario on success (free with cxroi_scenario_free()), else NULL.
 * @return CXROI_OK; CXROI_ERROR_IO when the file cannot be read; CXROI_ERROR_SCENARIO
 *         when it is invalid; CXROI_ERROR_LIMIT for hostile sizes; CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_scenario_load(const char *path, cxroi_diag *diag, cxroi_scenario **out);

/**
 * @brief As cxroi_scenario_load() from memory. `name` is the file name used in
 *        diagnostics; includes are resolved relative to `base_dir` (NULL: current dir).
 */
cxroi_error cxroi_scenario_load_string(const char *text, size_t length, const char *name,
                                       const char *base_dir, cxroi_diag *diag,
                                       cxroi_scenario **out);

/** @brief Free a scenario. Accepts NULL. */
void cxroi_scenario_free(cxroi_scenario *scenario);

/** @brief Index of the parameter with key path @p path, or CXROI_NONE. */
size_t cxroi_scenario_find_param(const cxroi_scenario *scenario, const char *path);

/** @brief Index of segment @p id, or CXROI_NONE. */
size_t cxroi_scenario_find_segment(const cxroi_scenario *scenario, const char *id);

/** @brief Index of initiative @p id, or CXROI_NONE. */
size_t cxroi_scenario_find_initiative(const cxroi_scenario *scenario, const char *id);

/** @brief Whether initiative @p initiative has effects on segment @p segment. */
bool cxroi_scenario_acts_on(const cxroi_scenario *scenario, size_t initiative, size_t segment);

/**
 * @brief Fill @p values (n_params doubles) with every parameter's deterministic value:
 *        its `base:` when given, else its mean.
 */
void cxroi_scenario_base_values(const cxroi_scenario *scenario, double *values);

#endif /* CXROI_SCENARIO_H */
