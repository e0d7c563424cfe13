/**
 * @file report_xlsx.h
 * @brief The Excel report for CFO review (SPEC.md "Excel report"): a workbook whose
 *        deterministic case is a live model of formulas on named input cells, with the
 *        engine's values cached in every formula cell, and the risk ranges beside it.
 *
 * Sheets: Summary, Assumptions, Cash flows, Simulation, Sensitivity, Value matrix,
 * Retention (each segment's retention model, its aggregate retention by year without and
 * with each initiative acting on it as formulas on Cash flows, a chart per segment, and
 * for a fitted survival curve the observed against the fitted survival and the
 * log-likelihood), Portfolio (and Samples on request). The writer reads an analysis;
 * the Cash flows formulas restate SPEC.md's model so that a spreadsheet recomputes every
 * deterministic figure when an input changes. The only module that includes xlsxwriter.h.
 *
 * @code
 * if (cxroi_report_xlsx_save(analysis, diag, "report.xlsx", NULL) != CXROI_OK)
 *     return perror("report.xlsx"), 3;   // the old report.xlsx, if any, is untouched
 * @endcode
 */
#ifndef CXROI_REPORT_XLSX_H
#define CXROI_REPORT_XLSX_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/analysis.h"
#include "cxroi/diag.h"
#include "cxroi/error.h"

/** Options of the Excel report. */
typedef struct cxroi_xlsx_options {
    /** Add a Samples sheet with every iteration's NPV per initiative (and the portfolio),
     *  so that anyone can recompute the statistics in Excel. */
    bool samples;
    /** Rows of the Samples sheet at most (0: all iterations, up to Excel's 1,048,575). */
    size_t max_samples;
} cxroi_xlsx_options;

/** Excel's last row index (1,048,576 rows), the header taking one. */
#define CXROI_XLSX_MAX_SAMPLE_ROWS 1048575u

/**
 * @brief Write the workbook of @p analysis to the file @p path as it is (not atomic:
 *        libxlsxwriter creates the file by name). Use cxroi_report_xlsx_save() for a
 *        report a user asked for.
 * @param[in] analysis The analysis (its scenario must still be alive).
 * @param[in] diag Its diagnostics: warnings are listed on the Summary sheet (may be NULL).
 * @param[in] path The file to create or truncate.
 * @param[in] options NULL: defaults (no Samples sheet).
 * @return CXROI_OK; CXROI_ERROR_IO when the file cannot be written (errno set when the
 *         system said why); CXROI_ERROR_NOMEM; CXROI_ERROR_ARGUMENT for NULL pointers.
 */
cxroi_error cxroi_report_xlsx_write(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                    const char *path, const cxroi_xlsx_options *options);

/**
 * @brief Write the workbook atomically (atomic.h): to a temporary file beside a regular
 *        or missing @p path, renamed over it only once complete; a target that is not a
 *        regular file (`/dev/stdout`, a pipe) is written straight through, from a
 *        complete workbook in the system's temporary directory.
 *
 * On failure an existing @p path is untouched and no temporary file is left behind.
 * @return As cxroi_report_xlsx_write(); errno tells why an I/O error happened (EACCES,
 *         ENOENT, EFBIG, ENOSPC, ...).
 */
cxroi_error cxroi_report_xlsx_save(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                   const char *path, const cxroi_xlsx_options *options);

/**
 * @brief The name under which input @p key_path is defined in the workbook (Excel names
 *        allow letters, digits, '_' and '.'; anything else becomes '_').
 * @param[out] buf Destination; always NUL-terminated when @p size > 0.
 * @param[in] size Size of @p buf.
 * @return The length of the full name (snprintf semantics).
 */
size_t cxroi_report_xlsx_name(char *buf, size_t size, const char *key_path);

#endif /* CXROI_REPORT_XLSX_H */
