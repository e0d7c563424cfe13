/* The deterministic model of SPEC.md: customers, contribution, cash flows and metrics. */
#include "cxroi/model.h"
#include "cxroi/sbg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_hyperg.h>

const cxroi_adjust CXROI_ADJUST_NONE = {1.0, 1.0, 1.0};

/* Below this discount rate x = 1/(1+d) exceeds 0.990099 and GSL 2.7's 2F1 switches to
 * its 1 - x transformation, which returns wrong values without an error status when
 * alpha is (near) an integer (measured: 2F1(1, 7.05; 8.05; 1/1.001) off by 1e14).
 * Above it GSL agrees with a long-double series to 3e-14 on a grid of alpha in
 * [0.01, 200], beta in [0.001, 5000], age 0..300, d in [0.0098, 50]. */
#define MODEL_HYPERG_MIN_RATE 0.01
/* The series stops when its tail bound is below this fraction of the sum. */
#define MODEL_SERIES_EPSREL 1e-17
/* Break-even search: k = 1, 2, 4, ... then this last point. */
#define MODEL_BREAK_EVEN_MAX 1e6
/* Brent stops when the bracket on k is this narrow relatively: NPV(k) is then 0 to
 * about 1e-13 of the NPV's scale, far inside the 1e-9 agreement the model promises. */
#define MODEL_BREAK_EVEN_EPSREL 1e-13
#define MODEL_BREAK_EVEN_MAX_ITER 200

/* Baseline of one segment for one vector of values. */
typedef struct model_segment {
    bool sbg;
    double customers; /* N_0 */
    double revenue;
    double margin;
    double cost_to_serve;
    double acquisitions;
    double m;         /* revenue * margin - cost_to_serve */
    double retention; /* constant retention r */
    double *n;        /* N_t, t = 0..H (all cohorts) */
    double *r_base;   /* sBG: retention of the existing base in year t, t = 1..H */
    double *r_age;    /* sBG: r(a) = (beta + a) / (alpha + beta + a), a = 0..H-1 */
    double *n_h;      /* Cohort sizes at H: [0] the existing base, [j] acquired in year j */
    double *value_h;  /* Value at H of one customer of each cohort (m * residual value) */
    /* The two residual values that need the hypergeometric function, for the alpha,
     * beta and discount rate they were computed at: in a simulation these are usually
     * fixed, and 2F1 would otherwise dominate the cost of an iteration. */
    double cached_alpha, cached_beta, cached_d;
    double cached_v_base, cached_v_top;
    /* The last initiative evaluated: N'_t and the customers of N'_{t-1} still there at t
     * (valid when `touched`: the initiative acts on this segment). */
    double *n_with;
    double *retained_with;
    bool touched;
} model_segment;

struct cxroi_model_workspace {
    int horizon;
    size_t n_segments;
    size_t clamped;
    bool has_baseline;
    model_segment *segments;
    double *cohorts; /* Scratch: cohort sizes with the initiative, H+1 */
    double *discount;   /* 1/(1+d)^t, t = 0..H, of the current baseline */
    double *benefit_pv; /* Last initiative: PV of its benefits per segment, then direct */
    double *block;   /* All per-segment arrays */
};

static double value_of(const double *values, size_t param, double absent)
{
    return param == CXROI_NONE ? absent : values[param];
}

/* sum_{k>=0} (b)_k / (c)_k x^k summed term by term. The term ratio
 * (b + k) / (c + k) x is below x (c > b), so the tail after a term t is below
 * t / (1 - x): stop once that is below MODEL_SERIES_EPSREL of the sum. */
static double hyperg_1_b_c_series(double b, double c, double x)
{
    double sum = 0.0, term = 1.0, k = 0.0;
    while (term > MODEL_SERIES_EPSREL * (1.0 - x) * sum || k == 0.0) {
        sum += term;
        term *= (b + k) / (c + k) * x;
        k += 1.0;
    }
    return sum;
}

/* Discounted expected residual lifetime (Fader & Hardie 2010), per unit of contribution:
 *   V(a) = sum_{k>=0} [S(a+k)/S(a)] / (1+d)^(k+1).
 * S(a+k)/S(a) = B(alpha, beta+a+k)/B(alpha, beta+a) = (beta+a)_k / (alpha+beta+a)_k
 * (Pochhammer symbols, from Gamma(z+k) = (z)_k Gamma(z)), and (1)_k = k!, so with
 * x = 1/(1+d):  V(a) = x 2F1(1, beta+a; alpha+beta+a; x).
 * d = 0: Gauss's sum 2F1(1,b;c;1) = (c-1)/(c-1-b) = (alpha+beta+a-1)/(alpha-1), finite
 * only for alpha > 1. d < 0: every term grows, the value is infinite. */
double cxroi_model_sbg_residual_value(double alpha, double beta, double age, double rate)
{
    if (!(isfinite(alpha) && isfinite(beta) && isfinite(age) && isfinite(rate)) || !(alpha > 0.0) ||
        !(beta > 0.0) || !(age >= 0.0) || !(rate > -1.0))
        return NAN;
    double b = beta + age, c = alpha + beta + age;
    if (rate < 0.0)
        return INFINITY;
    if (rate == 0.0)
        return alpha > 1.0 ? (c - 1.0) / (alpha - 1.0) : INFINITY;
    double x = 1.0 / (1.0 + rate);
    if (rate < MODEL_HYPERG_MIN_RATE)
        return x * hyperg_1_b_c_series(b, c, x);
    gsl_sf_result r;
    if (gsl_sf_hyperg_2F1_e(1.0, b, c, x, &r) != GSL_SUCCESS || !isfinite(r.val))
        return x * hyperg_1_b_c_series(b, c, x);
    return x * r.val;
}

cxroi_model_workspace *cxroi_model_workspace_alloc(const cxroi_scenario *scenario)
{
    if (!scenario || scenario->horizon < 1 || scenario->horizon > CXROI_MAX_HORIZON)
        return NULL;
    cxroi_model_workspace *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    size_t len = (size_t)scenario->horizon + 1;
    size_t n_seg = scenario->n_segments;
    w->horizon = scenario->horizon;
    w->n_segments = n_seg;
    /* Per segment: n, r_base, r_age, n_h, value_h, n_with, retained_with (H+1 each);
     * plus the scratch cohorts, the discount factors (H+1) and the benefit attribution
     * (n_seg + 1). */
    w->block = calloc(7 * len * n_seg + 2 * len + n_seg + 1, sizeof(double));
    w->segments = calloc(n_seg ? n_seg : 1, sizeof(*w->segments));
    if (!w->block || !w->segments) {
        cxroi_model_workspace_free(w);
        return NULL;
    }
    double *p = w->block;
    for (size_t s = 0; s < n_seg; s++) {
        model_segment *seg = &w->segments[s];
        seg->n = p;
        seg->r_base = p + len;
        seg->r_age = p + 2 * len;
        seg->n_h = p + 3 * len;
        seg->value_h = p + 4 * len;
        seg->n_with = p + 5 * len;
        seg->retained_with = p + 6 * len;
        seg->cached_alpha = seg->cached_beta = seg->cached_d = NAN; /* nothing cached */
        p += 7 * len;
    }
    w->cohorts = p;
    w->discount = p + len;
    w->benefit_pv = p + 2 * len;
    return w;
}

void cxroi_model_workspace_free(cxroi_model_workspace *workspace)
{
    if (!workspace)
        return;
    free(workspace->block);
    free(workspace->segments);
    free(workspace);
}

size_t cxroi_model_workspace_clamped(const cxroi_model_workspace *workspace)
{
    return workspace ? workspace->clamped : 0;
}

cxroi_error cxroi_model_workspace_retention(const cxroi_model_workspace *workspace,
                                            size_t segment, bool with_initiative,
                                            double *retention)
{
    if (!workspace || !retention || segment >= workspace->n_segments || !workspace->has_baseline)
        return CXROI_ERROR_ARGUMENT;
    const model_segment *seg = &workspace->segments[segment];
    int horizon = workspace->horizon;
    retention[0] = NAN;
    for (int t = 1; t <= horizon; t++) {
        /* Year t's aggregate retention: the share of the customers alive at its start
         * still there at its end. Baseline: N_t - A_t of N_{t-1}. */
        double kept, start;
        if (with_initiative && seg->touched) {
            kept = seg->retained_with[t];
            start = seg->n_with[t - 1];
        } else {
            kept = seg->n[t] - seg->acquisitions;
            start = seg->n[t - 1];
        }
        retention[t] = start > 0.0 ? kept / start : NAN;
    }
    return CXROI_OK;
}

const double *cxroi_model_workspace_benefit_pv(const cxroi_model_workspace *workspace)
{
    return workspace ? workspace->benefit_pv : NULL;
}

static bool fits(const cxroi_scenario *scenario, const cxroi_model_workspace *w)
{
    return scenario && w && scenario->horizon == w->horizon &&
           scenario->n_segments == w->n_segments;
}

/* Sum of finite checks; one test on the sum catches any NaN or infinity (inf - inf and
 * inf * 0 are NaN, NaN propagates), so a hot loop needs no branch per value. */
static bool all_finite(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * 0.0;
    return s == 0.0;
}

/* Baseline of a constant-retention segment: N_t = N_{t-1} r + A. */
static void baseline_constant(model_segment *seg, int horizon)
{
    double *n = seg->n;
    n[0] = seg->customers;
    for (int t = 1; t <= horizon; t++)
        n[t] = n[t - 1] * seg->retention + seg->acquisitions;
    seg->n_h[0] = n[horizon];
}

/* Baseline of an sBG segment, cohort by cohort. Ages (checked against reference r2):
 * the existing base has age `tenure` during year 1 (it has survived `tenure` renewals)
 * and retains r(tenure) at the end of year 1, r(tenure + 1) at the end of year 2, ...;
 * the acquisitions of year j join at the end of year j with age 0 and retain r(0) at
 * the end of year j + 1, r(1) at the end of year j + 2: during year t the cohort of
 * year j has age t - 1 - j. At H the base has age tenure + H and the cohort of year j
 * age H - j, the number of renewals each has survived. The initiative loop repeats
 * exactly these operations in this order, so an initiative without effects gives
 * N' = N bit for bit. */
static void baseline_sbg(model_segment *seg, int horizon, double *c)
{
    double *n = seg->n;
    n[0] = seg->customers;
    c[0] = seg->customers;
    for (int t = 1; t <= horizon; t++) {
        double total = c[0] *= seg->r_base[t];
        for (int j = 1; j < t; j++)
            total += c[j] *= seg->r_age[t - 1 - j];
        total += c[t] = seg->acquisitions;
        n[t] = total;
    }
    memcpy(seg->n_h, c, ((size_t)horizon + 1) * sizeof(double));
}

cxroi_error cxroi_model_baseline(const cxroi_scenario *scenario, const double *values,
                                 cxroi_model_workspace *workspace)
{
    if (!fits(scenario, workspace) || !values)
        return CXROI_ERROR_ARGUMENT;
    cxroi_model_workspace *w = workspace;
    w->has_baseline = false;
    int horizon = scenario->horizon;
    double d = values[scenario->discount_rate];
    if (!isfinite(d) || !(d > -1.0))
        return CXROI_ERROR_MODEL;
    bool equity = scenario->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    /* Discount factors 1/(1+d)^t as the running product cxroi_model_present_values()
     * uses, so the attribution of benefits to segments reconciles with PV benefits. */
    double v_d = 1.0 / (1.0 + d), f_d = 1.0;
    for (int t = 0; t <= horizon; t++) {
        w->discount[t] = f_d;
        if (t < horizon)
            f_d *= v_d;
    }
    for (size_t s = 0; s < scenario->n_segments; s++) {
        const cxroi_segment *spec = &scenario->segments[s];
        model_segment *seg = &w->segments[s];
        seg->customers = value_of(values, spec->customers, 0.0);
        seg->revenue = value_of(values, spec->revenue_per_customer, 0.0);
        seg->margin = value_of(values, spec->margin, 0.0);
        seg->cost_to_serve = value_of(values, spec->cost_to_serve, 0.0);
        seg->acquisitions = value_of(values, spec->acquisitions_per_year, 0.0);
        /* m = revenue * margin - cost_to_serve */
        seg->m = seg->revenue * seg->margin - seg->cost_to_serve;
        if (!isfinite(seg->m) || !isfinite(seg->customers) || !isfinite(seg->acquisitions) ||
            seg->customers < 0.0 || seg->acquisitions < 0.0)
            return CXROI_ERROR_MODEL;
        seg->sbg = spec->retention_kind != CXROI_RETENTION_CONSTANT;
        if (!seg->sbg) {
            seg->retention = value_of(values, spec->retention, NAN);
            if (!(seg->retention >= 0.0 && seg->retention <= 1.0))
                return CXROI_ERROR_MODEL;
            baseline_constant(seg, horizon);
            /* A customer alive at H is worth m sum_k r^k/(1+d)^(k+1) = m / (1 + d - r),
             * infinite when r >= 1 + d (kept: only an error if an initiative uses it). */
            if (equity) {
                double den = 1.0 + d - seg->retention;
                seg->value_h[0] = den > 0.0 ? seg->m / den : INFINITY;
            }
        } else {
            double alpha = value_of(values, spec->sbg_alpha, NAN);
            double beta = value_of(values, spec->sbg_beta, NAN);
            if (!(alpha > 0.0 && beta > 0.0 && isfinite(alpha) && isfinite(beta)) ||
                spec->tenure < 0)
                return CXROI_ERROR_MODEL;
            double tenure = spec->tenure;
            for (int t = 1; t <= horizon; t++) {
                seg->r_base[t] = cxroi_sbg_retention(alpha, beta, tenure + t - 1);
                seg->r_age[t - 1] = cxroi_sbg_retention(alpha, beta, t - 1);
            }
            seg->r_base[0] = seg->r_base[1];
            baseline_sbg(seg, horizon, w->cohorts);
            if (equity) {
                /* Base cohort: age tenure + H. Year j's cohort: age H - j, i.e. ages
                 * H-1 .. 0. Only V(H-1) needs the hypergeometric function: the others
                 * follow from V(a) = x (1 + r(a) V(a+1)) (the first renewal peeled off
                 * the sum), run downward, where each step multiplies an earlier error by
                 * x r(a) < 1: stable, about one rounding per step. */
                if (!(alpha == seg->cached_alpha && beta == seg->cached_beta &&
                      d == seg->cached_d)) {
                    seg->cached_v_base =
                        cxroi_model_sbg_residual_value(alpha, beta, tenure + horizon, d);
                    seg->cached_v_top = cxroi_model_sbg_residual_value(alpha, beta, horizon - 1, d);
                    seg->cached_alpha = alpha;
                    seg->cached_beta = beta;
                    seg->cached_d = d;
                }
                seg->value_h[0] = seg->m * seg->cached_v_base;
                double v = seg->cached_v_top;
                double x = 1.0 / (1.0 + d);
                seg->value_h[1] = seg->m * v;
                for (int j = 2; j <= horizon; j++) {
                    v = x * (1.0 + seg->r_age[horizon - j] * v); /* age horizon - j */
                    seg->value_h[j] = seg->m * v;
                }
            }
        }
        if (!all_finite(seg->n, (size_t)horizon + 1))
            return CXROI_ERROR_MODEL;
    }
    w->has_baseline = true;
    return CXROI_OK;
}

/* Ramp g_t = 0 for t <= start; min(1, (t - start) / ramp_years); 1 when ramp_years = 0. */
static double ramp(const cxroi_initiative *ini, int t)
{
    if (t <= ini->start)
        return 0.0;
    if (ini->ramp_years <= 0)
        return 1.0;
    double g = (double)(t - ini->start) / (double)ini->ramp_years;
    return g < 1.0 ? g : 1.0;
}

/* The effects on one segment, already multiplied by the effect scale k. */
typedef struct model_effect {
    bool has_retention, has_churn;
    double retention, churn, revenue, cost_to_serve, acquisitions;
} model_effect;

/* retention' = clamp(r + dRet g, 0, 1), or 1 - (1 - r)(1 + dChurn g) clamped. With g = 0
 * the rate is r itself (1 - (1 - r) is not always r in floating point). */
static double retention_with(const model_effect *e, double r, double g, size_t *clamped)
{
    if (g == 0.0)
        return r;
    double x;
    if (e->has_retention)
        x = r + e->retention * g;
    else if (e->has_churn)
        x = 1.0 - (1.0 - r) * (1.0 + e->churn * g);
    else
        return r;
    if (x < 0.0) {
        ++*clamped;
        return 0.0;
    }
    if (x > 1.0) {
        ++*clamped;
        return 1.0;
    }
    return x;
}

/* Contribution per customer with the initiative in a year of ramp g:
 * m' = revenue (1 + dRev g) margin - cts (1 + dCts g). */
static double contribution_with(const model_segment *seg, const model_effect *e, double g)
{
    return seg->revenue * (1.0 + e->revenue * g) * seg->margin -
           seg->cost_to_serve * (1.0 + e->cost_to_serve * g);
}

/* Adds sum_t (N'_{t-1} m'_t - N_{t-1} m) of one segment to benefits[t] and returns the
 * segment's terminal value (N'_H - N_H) * value at H (0 without customer equity).
 * *pv receives the segment's own part, sum_t (N'_{t-1} m'_t - N_{t-1} m) / (1+d)^t, for
 * the value matrix (the same increments, so the parts add up to the benefits). */
static double segment_flows(const double *ramp_g, model_segment *seg,
                            const model_effect *e, int horizon, bool equity,
                            cxroi_model_workspace *w, double *benefits, double *pv)
{
    const double *n = seg->n, *disc = w->discount;
    double *n_with = seg->n_with, *retained = seg->retained_with;
    double tv = 0.0, sum = 0.0;
    seg->touched = true;
    n_with[0] = n[0];
    retained[0] = n[0];
    if (!seg->sbg) {
        double np = n[0];
        for (int t = 1; t <= horizon; t++) {
            double g = ramp_g[t];
            double inc = np * contribution_with(seg, e, g) - n[t - 1] * seg->m;
            benefits[t] += inc;
            sum += inc * disc[t];
            /* N'_t = N'_{t-1} r'_t + A'_t, year t's ramp for both */
            retained[t] = np * retention_with(e, seg->retention, g, &w->clamped);
            np = n_with[t] = retained[t] + seg->acquisitions * (1.0 + e->acquisitions * g);
        }
        double diff = np - n[horizon];
        if (equity && diff != 0.0)
            tv = diff * seg->value_h[0];
        *pv = sum;
        return tv;
    }
    double *c = w->cohorts;
    c[0] = n[0];
    double total = n[0];
    for (int t = 1; t <= horizon; t++) {
        double g = ramp_g[t];
        double inc = total * contribution_with(seg, e, g) - n[t - 1] * seg->m;
        benefits[t] += inc;
        sum += inc * disc[t];
        /* Same cohort ages as baseline_sbg(), each rate changed by the effect. */
        total = c[0] *= retention_with(e, seg->r_base[t], g, &w->clamped);
        for (int j = 1; j < t; j++)
            total += c[j] *= retention_with(e, seg->r_age[t - 1 - j], g, &w->clamped);
        retained[t] = total;
        total += c[t] = seg->acquisitions * (1.0 + e->acquisitions * g);
        n_with[t] = total;
    }
    if (equity) {
        for (int j = 0; j <= horizon; j++) {
            double diff = c[j] - seg->n_h[j];
            if (diff != 0.0)
                tv += diff * seg->value_h[j];
        }
    }
    *pv = sum;
    return tv;
}

cxroi_error cxroi_model_initiative(const cxroi_scenario *scenario, const double *values,
                                   size_t initiative, const cxroi_adjust *adjust,
                                   cxroi_model_workspace *workspace, cxroi_flows *out)
{
    if (!fits(scenario, workspace) || !values || !out || !out->benefits || !out->costs ||
        !out->cash_flows || initiative >= scenario->n_initiatives || !workspace->has_baseline)
        return CXROI_ERROR_ARGUMENT;
    if (!adjust)
        adjust = &CXROI_ADJUST_NONE;
    const cxroi_initiative *ini = &scenario->initiatives[initiative];
    int horizon = scenario->horizon;
    size_t len = (size_t)horizon + 1;
    double k = adjust->effect_scale;
    bool equity = scenario->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    double *benefits = out->benefits, *costs = out->costs, *cf = out->cash_flows;
    for (size_t t = 0; t < len; t++)
        benefits[t] = costs[t] = 0.0;

    /* The ramp g_t, once per evaluation rather than per segment and year. */
    double ramp_g[CXROI_MAX_HORIZON + 1];
    for (int t = 0; t <= horizon; t++)
        ramp_g[t] = ramp(ini, t);
    double tv = 0.0;
    double *attr = workspace->benefit_pv;
    size_t n_seg = scenario->n_segments;
    for (size_t s = 0; s <= n_seg; s++)
        attr[s] = 0.0;
    for (size_t s = 0; s < n_seg; s++)
        workspace->segments[s].touched = false;
    for (size_t i = 0; i < ini->n_effects; i++) {
        const cxroi_effect *spec = &ini->effects[i];
        if (spec->segment >= scenario->n_segments ||
            (spec->retention != CXROI_NONE && spec->churn != CXROI_NONE))
            return CXROI_ERROR_ARGUMENT;
        model_effect e = {
            .has_retention = spec->retention != CXROI_NONE,
            .has_churn = spec->churn != CXROI_NONE,
            .retention = k * value_of(values, spec->retention, 0.0),
            .churn = k * value_of(values, spec->churn, 0.0),
            .revenue = k * value_of(values, spec->revenue, 0.0),
            .cost_to_serve = k * value_of(values, spec->cost_to_serve, 0.0),
            .acquisitions = k * value_of(values, spec->acquisitions, 0.0),
        };
        double seg_pv = 0.0;
        double seg_tv = segment_flows(ramp_g, &workspace->segments[spec->segment], &e, horizon,
                                      equity, workspace, benefits, &seg_pv);
        tv += seg_tv;
        /* The segment's terminal value is its own too, discounted from H. */
        attr[spec->segment] += seg_pv + seg_tv * workspace->discount[horizon];
    }

    /* Direct benefit: benefits.annual * k * g_t; then benefits (and the terminal value)
     * * benefit_factor, costs * cost_factor (risk adjustment). */
    double direct = k * value_of(values, ini->benefit_annual, 0.0);
    double upfront = value_of(values, ini->upfront, 0.0);
    double annual = value_of(values, ini->annual, 0.0);
    double direct_pv = 0.0;
    for (int t = 0; t <= horizon; t++) {
        double g = ramp_g[t];
        if (g != 0.0) {
            benefits[t] += direct * g;
            direct_pv += direct * g * workspace->discount[t];
        }
        benefits[t] *= adjust->benefit_factor;
        /* Upfront at t = start, annual costs in start+1..H, not ramped. */
        double cost = 0.0;
        if (t == ini->start)
            cost += upfront;
        else if (t > ini->start)
            cost += annual;
        costs[t] = cost * adjust->cost_factor;
        cf[t] = benefits[t] - costs[t];
    }
    out->terminal_value = tv * adjust->benefit_factor;
    /* Attribution: segment s's PV of benefits, then the direct benefit's, both after the
     * risk adjustment like the benefits they come from. */
    attr[n_seg] = direct_pv;
    for (size_t s = 0; s <= n_seg; s++)
        attr[s] *= adjust->benefit_factor;
    if (!all_finite(cf, len) || !all_finite(benefits, len) || !all_finite(costs, len) ||
        !isfinite(out->terminal_value))
        return CXROI_ERROR_MODEL;
    return CXROI_OK;
}

cxroi_error cxroi_model_present_values(const cxroi_flows *flows, int horizon, double rate,
                                       double *npv, double *pv_costs)
{
    if (!flows || !flows->cash_flows || !flows->costs || horizon < 0 || !npv || !pv_costs)
        return CXROI_ERROR_ARGUMENT;
    if (!(rate > -1.0) || !isfinite(rate))
        return CXROI_ERROR_MODEL;
    /* NPV = sum_t CF_t/(1+d)^t + TV/(1+d)^H; PV costs = sum_t costs_t/(1+d)^t. The
     * discount factor is a running product: no pow() in the Monte Carlo loop. */
    double v = 1.0 / (1.0 + rate), f = 1.0, sum = 0.0, pvc = 0.0;
    for (int t = 0; t <= horizon; t++) {
        sum += flows->cash_flows[t] * f;
        pvc += flows->costs[t] * f;
        if (t < horizon)
            f *= v;
    }
    sum += flows->terminal_value * f;
    if (!isfinite(sum) || !isfinite(pvc))
        return CXROI_ERROR_MODEL;
    *npv = sum;
    *pv_costs = pvc;
    return CXROI_OK;
}

cxroi_error cxroi_model_metrics(const cxroi_flows *flows, int horizon, double rate,
                                cxroi_metrics *out)
{
    if (!out || horizon < 1 || horizon > CXROI_MAX_HORIZON)
        return CXROI_ERROR_ARGUMENT;
    memset(out, 0, sizeof(*out));
    cxroi_error err = cxroi_model_present_values(flows, horizon, rate, &out->npv, &out->pv_costs);
    if (err != CXROI_OK)
        return err;
    size_t len = (size_t)horizon + 1;
    out->terminal_value = flows->terminal_value;
    out->pv_benefits = out->npv + out->pv_costs;
    /* ROI = NPV / PV costs, BCR = PV benefits / PV costs: undefined without costs. */
    out->has_roi = out->pv_costs != 0.0;
    if (out->has_roi) {
        out->roi = out->npv / out->pv_costs;
        out->bcr = out->pv_benefits / out->pv_costs;
    }
    /* IRR and MIRR see the terminal value as one more inflow at H, like NPV does. */
    double cf[CXROI_MAX_HORIZON + 1];
    memcpy(cf, flows->cash_flows, len * sizeof(double));
    cf[horizon] += flows->terminal_value;
    if (cxroi_finance_irr(cf, len, rate, &out->irr) != 0)
        return CXROI_ERROR_MODEL;
    out->has_mirr = cxroi_finance_mirr(cf, len, rate, rate, &out->mirr);
    /* Payback on the operating flows only (SPEC: the terminal value is not cash). When
     * every operating flow is 0 there is nothing to pay back: no payback period (finance
     * would say 0, which reads as "pays back at once"). */
    bool all_zero = true;
    for (size_t t = 0; t < len; t++)
        all_zero &= flows->cash_flows[t] == 0.0;
    out->has_payback =
        !all_zero && cxroi_finance_payback(flows->cash_flows, len, 0.0, &out->payback_years);
    out->has_discounted_payback =
        !all_zero &&
        cxroi_finance_payback(flows->cash_flows, len, rate, &out->discounted_payback_years);
    if (!isfinite(out->roi) || !isfinite(out->bcr) || !isfinite(out->pv_benefits) ||
        (out->irr.exists && !isfinite(out->irr.rate)) || (out->has_mirr && !isfinite(out->mirr)))
        return CXROI_ERROR_MODEL;
    if (!out->has_payback)
        out->payback_years = 0.0;
    if (!out->has_discounted_payback)
        out->discounted_payback_years = 0.0;
    return CXROI_OK;
}

/* NPV(k) for the break-even search, GSL's gsl_function signature. */
typedef struct break_even_ctx {
    const cxroi_scenario *scenario;
    const double *values;
    size_t initiative;
    cxroi_model_workspace *workspace;
    cxroi_flows *flows;
    double rate;
    cxroi_error err;
} break_even_ctx;

static double break_even_npv(double k, void *params)
{
    break_even_ctx *ctx = params;
    cxroi_adjust adjust = {k, 1.0, 1.0};
    double npv = 0.0, pvc = 0.0;
    cxroi_error err = cxroi_model_initiative(ctx->scenario, ctx->values, ctx->initiative, &adjust,
                                             ctx->workspace, ctx->flows);
    if (err == CXROI_OK)
        err = cxroi_model_present_values(ctx->flows, ctx->scenario->horizon, ctx->rate, &npv, &pvc);
    /* GSL must never see a non-finite value (its handler may abort): report 0, which
     * ends the iteration, and let the caller see the error. */
    if (err != CXROI_OK) {
        if (ctx->err == CXROI_OK)
            ctx->err = err;
        return 0.0;
    }
    return npv;
}

/* Break-even: the k with NPV(k) = 0. NPV(0) = -PV costs (no effect, no benefit). Scan
 * k = 1, 2, 4, ... up to 1e6 for the first grid point with NPV >= 0, then Brent between
 * it and the previous point. NPV(k) need not be monotone (clamped retention, negative
 * effects), so the scan keeps the smallest bracketed sign change on this grid.
 * With no costs (NPV(0) = 0) there is nothing to recover: when the expected effects add
 * value (NPV(1) > 0) any positive fraction of them pays back, k = 0; when they add none
 * (NPV(k) = 0 for every k) or destroy value, no fraction "breaks even" in any useful
 * sense, and there is no break-even. */
static cxroi_error break_even(break_even_ctx *ctx, bool *found, double *k_out)
{
    *found = false;
    *k_out = 0.0;
    double npv0 = break_even_npv(0.0, ctx);
    if (ctx->err != CXROI_OK)
        return ctx->err;
    if (npv0 >= 0.0) {
        double npv1 = break_even_npv(1.0, ctx);
        if (ctx->err != CXROI_OK)
            return ctx->err;
        *found = npv1 > 0.0;
        return CXROI_OK;
    }
    double lo = 0.0, hi = 0.0, npv_hi = npv0;
    for (double k = 1.0;; k = k * 2.0 < MODEL_BREAK_EVEN_MAX ? k * 2.0 : MODEL_BREAK_EVEN_MAX) {
        npv_hi = break_even_npv(k, ctx);
        if (ctx->err != CXROI_OK)
            return ctx->err;
        hi = k;
        if (npv_hi >= 0.0)
            break;
        lo = k;
        if (k >= MODEL_BREAK_EVEN_MAX)
            return CXROI_OK;
    }
    if (npv_hi == 0.0) {
        *found = true;
        *k_out = hi;
        return CXROI_OK;
    }
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver)
        return CXROI_ERROR_NOMEM;
    gsl_function f = {break_even_npv, ctx};
    cxroi_error err = CXROI_OK;
    if (gsl_root_fsolver_set(solver, &f, lo, hi) != GSL_SUCCESS) {
        err = ctx->err != CXROI_OK ? ctx->err : CXROI_ERROR_MODEL;
        goto done;
    }
    int status = GSL_CONTINUE;
    for (int i = 0; i < MODEL_BREAK_EVEN_MAX_ITER && status == GSL_CONTINUE; i++) {
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS || ctx->err != CXROI_OK) {
            err = ctx->err != CXROI_OK ? ctx->err : CXROI_ERROR_MODEL;
            goto done;
        }
        status =
            gsl_root_test_interval(gsl_root_fsolver_x_lower(solver),
                                   gsl_root_fsolver_x_upper(solver), 0.0, MODEL_BREAK_EVEN_EPSREL);
    }
    /* After MAX_ITER steps the bracket is still a valid (if wider) enclosure: keep it. */
    *found = true;
    *k_out = gsl_root_fsolver_root(solver);
done:
    gsl_root_fsolver_free(solver);
    return err;
}

void cxroi_deterministic_clear(cxroi_deterministic *d)
{
    if (!d)
        return;
    free(d->benefits);
    free(d->costs);
    free(d->cash_flows);
    memset(d, 0, sizeof(*d));
}

cxroi_error cxroi_model_deterministic(const cxroi_scenario *scenario, const double *values,
                                      size_t initiative, cxroi_model_workspace *workspace,
                                      cxroi_deterministic *out)
{
    if (!out)
        return CXROI_ERROR_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (!fits(scenario, workspace) || !values || initiative >= scenario->n_initiatives)
        return CXROI_ERROR_ARGUMENT;
    cxroi_error err = cxroi_model_baseline(scenario, values, workspace);
    if (err != CXROI_OK)
        return err;
    size_t len = (size_t)scenario->horizon + 1;
    out->benefits = malloc(len * sizeof(double));
    out->costs = malloc(len * sizeof(double));
    out->cash_flows = malloc(len * sizeof(double));
    if (!out->benefits || !out->costs || !out->cash_flows) {
        err = CXROI_ERROR_NOMEM;
        goto fail;
    }
    cxroi_flows flows = {out->benefits, out->costs, out->cash_flows, 0.0};
    double rate = values[scenario->discount_rate];
    const cxroi_initiative *ini = &scenario->initiatives[initiative];

    break_even_ctx ctx = {scenario, values, initiative, workspace, &flows, rate, CXROI_OK};
    err = break_even(&ctx, &out->has_break_even, &out->break_even_multiplier);
    if (err != CXROI_OK)
        goto fail;

    /* Risk-adjusted case (Forrester TEI): benefits * (1 - risk_benefits), costs *
     * (1 + risk_costs). Computed before the base case so the arrays end with base flows. */
    if (ini->has_risk_adjustment) {
        cxroi_adjust risk = {1.0, 1.0 - ini->risk_benefits, 1.0 + ini->risk_costs};
        err = cxroi_model_initiative(scenario, values, initiative, &risk, workspace, &flows);
        if (err == CXROI_OK)
            err = cxroi_model_metrics(&flows, scenario->horizon, rate, &out->risk_adjusted);
        if (err != CXROI_OK)
            goto fail;
    }
    err = cxroi_model_initiative(scenario, values, initiative, NULL, workspace, &flows);
    if (err == CXROI_OK)
        err = cxroi_model_metrics(&flows, scenario->horizon, rate, &out->base);
    if (err != CXROI_OK)
        goto fail;
    if (!ini->has_risk_adjustment)
        out->risk_adjusted = out->base;
    return CXROI_OK;
fail:
    cxroi_deterministic_clear(out);
    return err;
}

void cxroi_model_segment_economics(const cxroi_scenario *scenario, const double *values,
                                   size_t segment, cxroi_segment_economics *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!scenario || !values || segment >= scenario->n_segments)
        return;
    const cxroi_segment *spec = &scenario->segments[segment];
    out->customers = value_of(values, spec->customers, 0.0);
    out->revenue_per_customer = value_of(values, spec->revenue_per_customer, 0.0);
    out->margin = value_of(values, spec->margin, 0.0);
    out->cost_to_serve = value_of(values, spec->cost_to_serve, 0.0);
    out->acquisitions_per_year = value_of(values, spec->acquisitions_per_year, 0.0);
    if (spec->retention_kind == CXROI_RETENTION_CONSTANT)
        out->retention = value_of(values, spec->retention, NAN);
    else /* the existing base, of age `tenure`, in its first year */
        out->retention =
            cxroi_sbg_retention(value_of(values, spec->sbg_alpha, NAN),
                                      value_of(values, spec->sbg_beta, NAN), spec->tenure);
    out->contribution_per_customer = out->revenue_per_customer * out->margin - out->cost_to_serve;
    out->contribution_total = out->customers * out->contribution_per_customer;
    out->loss_making = out->contribution_per_customer < 0.0;
}
