/**
 * @file sbg.h
 * @brief The shifted-beta-geometric (sBG) retention model of Fader & Hardie (2007):
 *        survival, retention by age, and the maximum-likelihood fit of a survival curve.
 *
 * A cohort's members each have a constant churn probability theta ~ Beta(alpha, beta);
 * the cohort's retention rises with age as the least loyal leave first:
 * r(a) = (beta + a) / (alpha + beta + a) for the renewal at age a (a = 0 is the first),
 * and S(t) = B(alpha, beta + t) / B(alpha, beta) is the share still active after t renewals.
 */
#ifndef CXROI_SBG_H
#define CXROI_SBG_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/error.h"

/**
 * @brief Retention of a cohort at age @p age: (beta + age) / (alpha + beta + age).
 *
 * Inline, so that the model's loops over many iterations vectorise through it.
 */
static inline double cxroi_sbg_retention(double alpha, double beta, double age)
{
    return (beta + age) / (alpha + beta + age);
}

/** @brief Survival after @p t periods: B(alpha, beta + t) / B(alpha, beta). */
double cxroi_sbg_survival(double alpha, double beta, double t);

/** Result of fitting an sBG model to a survival curve. */
typedef struct cxroi_sbg_fit {
    double alpha, beta;       /**< Maximum-likelihood estimates. */
    double alpha_se, beta_se; /**< Standard errors from the observed information matrix. */
    double log_likelihood;    /**< At the optimum (counts as given; fractions scaled to 1). */
    bool geometric;           /**< Retention does not rise with age: the maximum is the
                                   sBG's limit alpha, beta -> inf, constant retention;
                                   alpha, beta and their errors are NaN. */
    double retention;         /**< With geometric: the constant retention that fits best. */
    size_t iterations;        /**< Minimiser iterations used. */
} cxroi_sbg_fit;

/**
 * @brief Fit alpha and beta by maximum likelihood to survival counts (or fractions)
 *        n_0 > 0, n_1, ..., n_T (non-increasing), with GSL's minimiser on log-parameters.
 *
 * Likelihood: sum_t (n_{t-1} - n_t) ln P(T = t) + n_T ln S(T), with
 * P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta).
 * @param[in] survival The curve (n values, n >= 3).
 * @param[in] n Number of values.
 * @param[out] out The fit.
 * @param[out] msg On failure, why (e.g. "survival must not increase: 500 follows 480").
 * @param[in] msg_size Size of @p msg.
 * When the curve shows no rising retention the best fit is constant retention: the
 * result says so (`geometric`) rather than returning a point where the minimiser stopped.
 * @return CXROI_OK; CXROI_ERROR_ARGUMENT for an unusable curve.
 */
cxroi_error cxroi_sbg_fit_survival(const double *survival, size_t n, cxroi_sbg_fit *out,
                                   char *msg, size_t msg_size);

#endif /* CXROI_SBG_H */
