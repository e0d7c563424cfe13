/**
 * @file cxroi.h
 * @brief cxroi: customer-experience investments as CFO-grade business cases.
 *
 * The umbrella header: include it to use the whole library. Data flows one way:
 * scenario (load, validate) -> model (deterministic cash flows) -> analysis ->
 * report writers (terminal, JSON).
 *
 * @code
 * cxroi_diag *diag = cxroi_diag_new();
 * cxroi_scenario *s;
 * cxroi_analysis *a;
 * if (cxroi_scenario_load("scenario.yaml", diag, &s) == CXROI_OK) {
 *     if (cxroi_analysis_run(s, NULL, diag, &a) == CXROI_OK) {
 *         cxroi_report_text_write(a, stdout);
 *         cxroi_analysis_free(a);
 *     }
 *     cxroi_scenario_free(s);
 * }
 * cxroi_diag_print(diag, stderr);
 * cxroi_diag_free(diag);
 * @endcode
 */
#ifndef CXROI_H
#define CXROI_H

#include "cxroi/analysis.h"
#include "cxroi/atomic.h"
#include "cxroi/diag.h"
#include "cxroi/dist.h"
#include "cxroi/error.h"
#include "cxroi/finance.h"
#include "cxroi/model.h"
#include "cxroi/portfolio.h"
#include "cxroi/report.h"
#include "cxroi/report_xlsx.h"
#include "cxroi/sbg.h"
#include "cxroi/scenario.h"
#include "cxroi/simulation.h"

#endif /* CXROI_H */
