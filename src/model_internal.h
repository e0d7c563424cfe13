/*
 * model (internal): the deterministic model of model.h evaluated for many vectors of
 * values at once, for the Monte Carlo engine. The values are lane-major: parameter p of lane k
 * is values[p * stride + k]. Each lane goes through the operations of a single
 * evaluation in the same order (cxroi_model_baseline() and cxroi_model_initiative() are
 * these functions with one lane), so a lane's results are bit for bit those of a single
 * evaluation of its values.
 */
#ifndef CXROI_MODEL_INTERNAL_H
#define CXROI_MODEL_INTERNAL_H

#include <stddef.h>

#include "cxroi/model.h"

/* The most lanes a workspace takes. */
#define CXROI_MODEL_MAX_LANES 256

/* A workspace for up to `width` lanes (1..CXROI_MODEL_MAX_LANES); NULL when out of
 * memory or `width` is out of range. Free with cxroi_model_workspace_free(). */
cxroi_model_workspace *cxroi_model_workspace_alloc_lanes(const cxroi_scenario *scenario,
                                                         size_t width);

/* The doubles such a workspace holds (its one block), for memory estimates. */
size_t cxroi_model_workspace_doubles(const cxroi_scenario *scenario, size_t width);

/* The baseline of `lanes` vectors of values (lanes <= width <= stride). The workspace
 * keeps pointers into `values`: they must stay valid and unchanged while this baseline
 * is used (cxroi_model_baseline() copies its values instead). On CXROI_ERROR_MODEL,
 * *bad_lane (when not NULL) is a lane out of the model's domain: the first one of the
 * segment that failed, not always the first of all (the simulation finds that one by
 * evaluating the lanes one at a time). */
cxroi_error cxroi_model_lanes_baseline(const cxroi_scenario *scenario, const double *values,
                                       size_t stride, size_t lanes,
                                       cxroi_model_workspace *workspace, size_t *bad_lane);

/* Benefits, costs, terminal value and benefit attribution of one initiative in every
 * lane of the baseline (same values, which must stay valid until the present values:
 * the costs are read from their columns). Returns CXROI_OK, or CXROI_ERROR_ARGUMENT
 * (*bad_lane is then 0): flows that overflow are not checked here, they make
 * cxroi_model_lanes_present_values() fail. */
cxroi_error cxroi_model_lanes_initiative(const cxroi_scenario *scenario, const double *values,
                                         size_t stride, size_t initiative,
                                         const cxroi_adjust *adjust,
                                         cxroi_model_workspace *workspace, size_t *bad_lane);

/* NPV and PV costs of the last initiative in each lane, as cxroi_model_present_values()
 * (CXROI_ERROR_ARGUMENT when no initiative was evaluated on the current baseline).
 * On CXROI_ERROR_MODEL (a result not finite), *bad_lane (when not NULL) is the first
 * such lane. */
cxroi_error cxroi_model_lanes_present_values(const cxroi_model_workspace *workspace, double *npv,
                                             double *pv_costs, size_t *bad_lane);

/* The last initiative's PV of benefits per segment, then of its direct benefit, per lane:
 * element s * width + k (as cxroi_model_workspace_benefit_pv() for lane k). */
const double *cxroi_model_lanes_attribution(const cxroi_model_workspace *workspace);

#endif /* CXROI_MODEL_INTERNAL_H */
