/**
 * @file report.h
 * @brief Report writers: the machine-readable JSON results (SPEC.md "JSON results") and
 *        the terminal summary table. Writers read an analysis; they never recompute the
 *        model.
 */
#ifndef CXROI_REPORT_H
#define CXROI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "cxroi/analysis.h"
#include "cxroi/diag.h"
#include "cxroi/error.h"

/**
 * @brief Format an amount of money rounded to whole units, with thousands separators
 *        and an optional currency prefix, independent of the locale.
 *
 * Examples: `EUR 1,234,568` (1234567.5), `EUR -1,234` (-1234.4), `0` (-0.3, no currency);
 * a non-finite value gives `n/a`. Halves round away from zero.
 * @param[out] buf Destination (may be NULL when @p size is 0).
 * @param[in] size Size of @p buf in bytes; the result is always NUL-terminated when
 *            @p size > 0, truncated if needed.
 * @param[in] value The amount.
 * @param[in] currency ISO 4217 code printed before the amount, or NULL / "" for none.
 * @return The length the full result has (as snprintf()): the result was truncated when
 *         it is >= @p size.
 */
size_t cxroi_report_format_money(char *buf, size_t size, double value, const char *currency);

/**
 * @brief Where a probability shown to one decimal of a percent would mislead.
 *
 * 100 % and 0 % are kept for "no iteration says otherwise".
 * @param[in] p A probability.
 * @return +1 for 0.999 < p < 1 (shown as ">99.9 %", not 100.0 %), -1 for 0 < p < 0.001
 *         ("<0.1 %", not 0.0 %), 0 otherwise.
 */
int cxroi_report_probability_bound(double p);

/**
 * @brief An input's key path as shown under initiative @p id's heading: its own inputs
 *        without the "initiatives.<id>." every one of them would repeat.
 * @param[in] path The input's key path.
 * @param[in] id The initiative's id.
 * @return A pointer into @p path: past the prefix when it is there, else @p path.
 */
const char *cxroi_report_input_label(const char *path, const char *id);

/**
 * @brief The JSON results of @p analysis as a string (UTF-8, 2-space indent, numbers with
 *        17 significant digits so that every double round-trips, a value that does not
 *        exist as `null`).
 * @param[in] analysis The analysis.
 * @param[in] diag Its diagnostics: the warnings are listed under `warnings` (may be NULL).
 * @return A string to release with free(), or NULL when out of memory.
 */
char *cxroi_report_json_string(const cxroi_analysis *analysis, const cxroi_diag *diag);

/**
 * @brief Write the JSON results of @p analysis to @p out, followed by a newline.
 * @return CXROI_OK; CXROI_ERROR_IO when writing fails (errno set); CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_report_json_write(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                    FILE *out);

/**
 * @brief Write the terminal summary of @p analysis to @p out: a header (scenario,
 *        horizon, discount rate), one row per initiative (upfront cost, NPV, ROI, IRR,
 *        payback, break-even multiplier, risk-adjusted NPV), the segments' baseline
 *        economics, and footnotes for flags. At most 100 columns wide.
 * @return CXROI_OK; CXROI_ERROR_IO when writing fails; CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_report_text_write(const cxroi_analysis *analysis, FILE *out);

#endif /* CXROI_REPORT_H */
