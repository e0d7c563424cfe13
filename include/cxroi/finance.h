/**
 * @file finance.h
 * @brief Capital-budgeting functions on a vector of yearly cash flows CF_0..CF_{n-1}.
 *
 * Conventions: CF_t is booked at the end of year t, CF_0 today (undiscounted). These
 * differ from Excel's NPV(), which discounts its first value by one period:
 * cxroi_finance_npv(r, cf, n) == cf[0] + NPV(r, cf[1..n-1]) in Excel.
 */
#ifndef CXROI_FINANCE_H
#define CXROI_FINANCE_H

#include <stdbool.h>
#include <stddef.h>

/**
 * @brief Net present value: NPV = sum_t CF_t / (1 + rate)^t, t = 0..n-1.
 * @param[in] rate Discount rate per period, > -1.
 * @param[in] cf Cash flows (n values).
 * @param[in] n Number of cash flows (0 gives 0).
 * @return The NPV; NaN when @p rate <= -1 or is not a number.
 */
double cxroi_finance_npv(double rate, const double *cf, size_t n);

/** @brief Number of sign changes in @p cf, ignoring zeros (Descartes' rule bound). */
size_t cxroi_finance_sign_changes(const double *cf, size_t n);

/** The internal rate of return of a cash-flow vector. */
typedef struct cxroi_irr {
    bool exists;     /**< false when NPV has no root in (-1, +inf) (e.g. no sign change). */
    double rate;     /**< The root (nearest to the reference rate when several). */
    bool multiple;   /**< The cash flows change sign more than once: IRR may be ambiguous. */
    size_t n_roots;  /**< Number of distinct roots found in the scanned range. */
} cxroi_irr;

/**
 * @brief Internal rate of return: the rate where NPV = 0.
 *
 * Scans NPV over rates from just above -1 to a large rate to bracket every sign change
 * of NPV, refines each bracket with GSL's Brent solver to 1e-12, and returns the root
 * nearest @p reference_rate. When the cash flows change sign more than once the result
 * is flagged as multiple.
 * @param[in] cf Cash flows (n values).
 * @param[in] n Number of cash flows.
 * @param[in] reference_rate The discount rate, used to choose among several roots.
 * @param[out] out The result; out->exists is false when there is no root.
 * With several sign changes only rates in [-1 + 1e-12, about 1e12] are searched.
 * @return 0 on success (including "no root"), -1 on invalid input (n < 2, NULL,
 *         a non-finite flow or reference rate).
 */
int cxroi_finance_irr(const double *cf, size_t n, double reference_rate, cxroi_irr *out);

/**
 * @brief Modified IRR, as Excel's MIRR(values, finance_rate, reinvest_rate).
 *
 * MIRR = (FV of positive flows at reinvest_rate / -PV of negative flows at
 * finance_rate)^(1/(n-1)) - 1.
 * @return true and sets @p mirr; false when there is no negative or no positive flow
 *         (Excel's #DIV/0!), n < 2, a non-finite flow, or a rate <= -1.
 */
bool cxroi_finance_mirr(const double *cf, size_t n, double finance_rate, double reinvest_rate,
                        double *mirr);

/**
 * @brief Payback period in years, linearly interpolated within the year.
 *
 * Cumulative (optionally discounted) cash flow C_t = sum_{k<=t} CF_k / (1+rate)^k.
 * If C never goes below 0 the payback is 0. Otherwise, from the first year C is
 * negative, the first year t where C_t >= 0 gives (t - 1) + (-C_{t-1}) / (C_t - C_{t-1}).
 * @param[in] cf Cash flows (n values).
 * @param[in] n Number of cash flows.
 * @param[in] rate 0 for simple payback; the discount rate for discounted payback.
 * @param[out] years The payback period.
 * @return true when the cumulative flow recovers within the n values, else false
 *         ("not within horizon").
 */
bool cxroi_finance_payback(const double *cf, size_t n, double rate, double *years);

#endif /* CXROI_FINANCE_H */
