/**
 * @file model.h
 * @brief The deterministic model of SPEC.md: customers, contribution, benefits, costs
 *        and cash flows of an initiative for one vector of parameter values, and the
 *        capital-budgeting metrics of those cash flows.
 *
 * One evaluation = cxroi_model_baseline() (the customer base without any initiative,
 * shared by all initiatives of the iteration) then cxroi_model_initiative() per
 * initiative. Neither allocates: the workspace holds every buffer, so the Monte Carlo
 * engine can call them in its hot loop, one workspace per thread.
 */
#ifndef CXROI_MODEL_H
#define CXROI_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/error.h"
#include "cxroi/finance.h"
#include "cxroi/scenario.h"

/** What-if multipliers applied on top of the scenario's values. */
typedef struct cxroi_adjust {
    double effect_scale;   /**< k: multiplies every effect and direct benefit (1: as written). */
    double benefit_factor; /**< Multiplies benefits and terminal value (1 - risk_benefits). */
    double cost_factor;    /**< Multiplies costs (1 + risk_costs). */
} cxroi_adjust;

/** The identity adjustment. */
extern const cxroi_adjust CXROI_ADJUST_NONE;

/** Scratch memory for evaluating one scenario; one per thread. */
typedef struct cxroi_model_workspace cxroi_model_workspace;

/**
 * @brief Allocate a workspace sized for @p scenario.
 * @return The workspace (free with cxroi_model_workspace_free()), NULL when out of memory.
 */
cxroi_model_workspace *cxroi_model_workspace_alloc(const cxroi_scenario *scenario);

/** @brief Free a workspace. Accepts NULL. */
void cxroi_model_workspace_free(cxroi_model_workspace *workspace);

/**
 * @brief Number of times a retention rate was clamped to [0, 1] since the workspace was
 *        allocated (effects that would push retention past 0 or 1).
 */
size_t cxroi_model_workspace_clamped(const cxroi_model_workspace *workspace);

/**
 * @brief Where the benefits of the last cxroi_model_initiative() call on @p workspace
 *        come from: n_segments + 1 present values at the baseline's discount rate.
 *
 * Element s (s < n_segments) is the PV of the part of the benefits that comes from
 * segment s, its terminal value included:
 * sum_t (N'_{t-1} m'_t - N_{t-1} m) / (1+d)^t + (N'_H - N_H) V_H / (1+d)^H; element
 * n_segments is the PV of the direct benefit (benefits.annual g_t). All are multiplied by
 * the adjustment's benefit factor, so together they add up to PV benefits (NPV + PV
 * costs) up to rounding. Valid until the next call on the workspace.
 * @return The workspace's array (not to be freed), NULL when @p workspace is NULL.
 */
const double *cxroi_model_workspace_benefit_pv(const cxroi_model_workspace *workspace);

/**
 * @brief The customer base without any initiative for parameter values @p values.
 *
 * N_0 = customers; N_t = N_{t-1} r_t + A_t (per cohort for sBG segments); baseline
 * contribution per customer m = revenue * margin - cost_to_serve.
 * @param[in] scenario The scenario.
 * @param[in] values One value per parameter (scenario->n_params).
 * @param[in,out] workspace Receives the baseline.
 * @return CXROI_OK, or CXROI_ERROR_MODEL when a value is out of its domain or a result
 *         is not finite.
 */
cxroi_error cxroi_model_baseline(const cxroi_scenario *scenario, const double *values,
                                 cxroi_model_workspace *workspace);

/** One initiative's yearly flows, t = 0..H; arrays are the caller's (H+1 doubles each). */
typedef struct cxroi_flows {
    double *benefits;      /**< B_t. */
    double *costs;         /**< Upfront at t = start, annual in start+1..H. */
    double *cash_flows;    /**< CF_t = B_t - costs_t (operating: no terminal value). */
    double terminal_value; /**< Customer equity added at t = H (undiscounted); 0 if none. */
} cxroi_flows;

/**
 * @brief Cash flows of initiative @p initiative against the baseline in @p workspace.
 * @pre cxroi_model_baseline() was called with the same @p values.
 * @param[in] adjust What-if multipliers (NULL: none).
 * @return CXROI_OK or CXROI_ERROR_MODEL (non-finite result).
 */
cxroi_error cxroi_model_initiative(const cxroi_scenario *scenario, const double *values,
                                   size_t initiative, const cxroi_adjust *adjust,
                                   cxroi_model_workspace *workspace, cxroi_flows *out);

/** Capital-budgeting metrics of one set of flows. */
typedef struct cxroi_metrics {
    double npv;            /**< sum_t CF_t/(1+d)^t + TV/(1+d)^H. */
    double pv_benefits;    /**< NPV + PV costs. */
    double pv_costs;       /**< sum_t costs_t/(1+d)^t. */
    double terminal_value; /**< As in cxroi_flows. */
    bool has_roi;          /**< false when PV costs are 0 (ROI undefined). */
    double roi;            /**< NPV / PV costs. */
    double bcr;            /**< PV benefits / PV costs (valid when has_roi). */
    cxroi_irr irr;         /**< Of CF with TV added at H. */
    bool has_mirr;
    double mirr;           /**< Finance and reinvestment rate = discount rate; TV included. */
    bool has_payback;
    double payback_years;  /**< Operating flows only; has_payback false: not within the
                                horizon, or nothing to pay back (every flow is 0). */
    bool has_discounted_payback;
    double discounted_payback_years;
    bool nothing_to_pay_back; /**< Every operating flow is 0 (so no payback either). */
} cxroi_metrics;

/**
 * @brief Metrics of @p flows over years 0..@p horizon at discount rate @p rate.
 * @return CXROI_OK, or CXROI_ERROR_MODEL when a result is not finite.
 */
cxroi_error cxroi_model_metrics(const cxroi_flows *flows, int horizon, double rate,
                                cxroi_metrics *out);

/**
 * @brief NPV and PV costs of @p flows only: the cheap part of cxroi_model_metrics() for
 *        the Monte Carlo loop (no IRR scan, no allocation, no pow()).
 *
 * NPV = sum_t CF_t/(1+d)^t + TV/(1+d)^H; PV costs = sum_t costs_t/(1+d)^t.
 * @param[in] flows Flows over years 0..@p horizon.
 * @param[in] horizon H.
 * @param[in] rate Discount rate d, > -1.
 * @param[out] npv The NPV.
 * @param[out] pv_costs The present value of the costs.
 * @return CXROI_OK; CXROI_ERROR_MODEL when @p rate <= -1 or a result is not finite;
 *         CXROI_ERROR_ARGUMENT for NULL pointers or a negative horizon.
 */
cxroi_error cxroi_model_present_values(const cxroi_flows *flows, int horizon, double rate,
                                       double *npv, double *pv_costs);

/**
 * @brief Discounted expected residual lifetime of an sBG customer who has survived
 *        @p age renewals, per unit of yearly contribution (Fader & Hardie 2010):
 *        V(a) = sum_{k>=0} [S(a+k)/S(a)] / (1+d)^(k+1) = x 2F1(1, beta+a; alpha+beta+a; x),
 *        x = 1/(1+d).
 *
 * The first year's contribution is booked one year ahead, so a customer alive at the
 * horizon is worth m * V(a) there.
 * @return V(a); +INFINITY when the sum diverges (d < 0, or d = 0 with alpha <= 1); NAN
 *         when alpha or beta <= 0, @p age < 0, @p rate <= -1 or an input is not finite.
 */
double cxroi_model_sbg_residual_value(double alpha, double beta, double age, double rate);

/**
 * @brief Whether cxroi_model_sbg_residual_value() is finite for @p alpha and @p rate:
 *        the discount rate above 0, or equal to 0 with alpha > 1 (S(a+k)/S(a) falls like
 *        k^-alpha, which no growing (1+d)^-k beats).
 * @param[in] alpha The sBG alpha (> 0).
 * @param[in] rate The discount rate d.
 * @return true when V(a) is finite.
 */
bool cxroi_model_sbg_value_finite(double alpha, double rate);

/** Below this positive discount rate V(a)'s series needs more than about 400,000 terms
 *  (ln(1e17) / d: minutes at 1e-9); the analysis refuses such rates. */
#define CXROI_MODEL_SBG_MIN_RATE 1e-4

/** Everything deterministic about one initiative. Arrays owned (H+1 each). */
typedef struct cxroi_deterministic {
    double *benefits;
    double *costs;
    double *cash_flows;
    cxroi_metrics base;          /**< The deterministic (base) case. */
    cxroi_metrics risk_adjusted; /**< With risk_adjustment; equal to base when none. */
    bool has_break_even;
    double break_even_multiplier; /**< k on all effects where NPV = 0. */
    size_t base_clamped; /**< Retention rates clamped in the base case alone (the break-even
                              search's far multipliers may clamp where the scenario does not). */
} cxroi_deterministic;

/**
 * @brief The deterministic business case of one initiative at parameter values @p values
 *        (normally from cxroi_scenario_base_values()).
 *
 * Computes the base case, the risk-adjusted case and the break-even effect multiplier
 * (GSL Brent root finder on NPV(k) = 0). The base case is evaluated last: afterwards
 * @p workspace holds it (cxroi_model_workspace_retention()).
 * @param[out] out Filled on success; release with cxroi_deterministic_clear().
 * @return CXROI_OK, CXROI_ERROR_MODEL or CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_model_deterministic(const cxroi_scenario *scenario, const double *values,
                                      size_t initiative, cxroi_model_workspace *workspace,
                                      cxroi_deterministic *out);

/** @brief Free the arrays of @p d and zero it. Accepts NULL. */
void cxroi_deterministic_clear(cxroi_deterministic *d);

/**
 * @brief The aggregate retention curve of segment @p segment: for each year t = 1..H,
 *        the share of the customers alive at its start who are still there at its end
 *        (for sBG segments the mix of cohorts makes it rise with the base's age).
 *
 * With @p with_initiative, the curve under the last initiative evaluated with
 * cxroi_model_initiative() (the baseline's when that initiative does not act on the
 * segment); otherwise the baseline's.
 * @param[out] retention H+1 values; retention[0] is NaN (no year 0) and so is a year
 *             that starts with no customers.
 * @return CXROI_OK, or CXROI_ERROR_ARGUMENT (no baseline yet, bad segment).
 */
cxroi_error cxroi_model_workspace_retention(const cxroi_model_workspace *workspace,
                                            size_t segment, bool with_initiative,
                                            double *retention);

/** Baseline economics of a segment at given values. */
typedef struct cxroi_segment_economics {
    double customers;
    double revenue_per_customer;
    double margin;
    double cost_to_serve;
    double acquisitions_per_year;
    double retention;                 /**< First-year retention of the existing base. */
    double contribution_per_customer; /**< revenue * margin - cost_to_serve. */
    double contribution_total;        /**< customers * contribution per customer. */
    bool loss_making;                 /**< contribution_per_customer < 0. */
} cxroi_segment_economics;

/** @brief Baseline economics of segment @p segment at parameter values @p values. */
void cxroi_model_segment_economics(const cxroi_scenario *scenario, const double *values,
                                   size_t segment, cxroi_segment_economics *out);

#endif /* CXROI_MODEL_H */
