/* The deterministic model of SPEC.md: customers, contribution, cash flows and metrics. */
#include "cxroi/model.h"
#include "cxroi/sbg.h"
#include "clones_internal.h"
#include "model_internal.h"

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

/*
 * Lanes. The model is evaluated for `lanes` vectors of values at once (the Monte Carlo
 * engine's iterations; one for the deterministic case). Every per-value quantity is an
 * array with one element per lane, year-major: x[t * W + k] for year t and lane k, W
 * the workspace's width. The innermost loop of every computation runs over the lanes,
 * with no branch that depends on a lane, so the compiler vectorises it; each lane goes
 * through exactly the operations, in the order, the single evaluation does, so a lane's
 * result does not depend on its neighbours or on the number of lanes.
 */

/* The lanes' entry points are cloned for AVX2 (clones_internal.h); the helpers are
 * inlined into each clone. */
#define LANES_CLONES CXROI_CLONES
#if defined(__GNUC__)
#define LANES_INLINE static inline __attribute__((always_inline))
#else
#define LANES_INLINE static inline
#endif

/* Baseline of one segment, per lane. */
typedef struct model_segment {
    bool sbg;
    double tenure;
    /* Columns of the values (or of the workspace's zeros): N_0, revenue, margin, cost to
     * serve, acquisitions, constant retention; valid during one evaluation. */
    const double *customers, *revenue, *margin, *cost_to_serve, *acquisitions, *retention;
    double *m;           /* revenue * margin - cost_to_serve [W] */
    double *r_lo, *r_hi; /* sBG: the lowest and highest of r_base and r_age [W] */
    double *n;           /* N_t, t = 0..H (all cohorts) [(H+1) W] */
    double *r_base;      /* sBG: retention of the existing base in year t, t = 1..H */
    double *r_age;       /* sBG: r(a) = (beta + a) / (alpha + beta + a), a = 0..H-1 */
    double *n_h;         /* Cohort sizes at H: [0] the existing base, [j] acquired in year j */
    double *value_h;     /* Value at H of one customer of each cohort (m * residual value) */
    /* The two residual values that need the hypergeometric function, for the alpha,
     * beta and discount rate (per lane) and the tenure they were computed at: in a
     * simulation these are usually fixed, and 2F1 would otherwise dominate the cost of
     * an iteration. */
    double *cached_alpha, *cached_beta, *cached_d, *cached_v_base, *cached_v_top;
    double cached_tenure;
    /* sBG: the N_0, A, alpha and beta (and the tenure) n, n_h and the rates were last
     * computed for, per lane: when a slice's are the same (fixed inputs) they are kept. */
    double *key_customers, *key_acquisitions, *key_alpha, *key_beta;
    double key_tenure;
    /* The last initiative evaluated: N'_t and the customers of N'_{t-1} still there at t
     * (valid when `touched`: the initiative acts on this segment). */
    double *n_with;
    double *retained_with;
    bool touched;
} model_segment;

struct cxroi_model_workspace {
    int horizon;
    size_t n_segments;
    size_t width;    /* W: the most lanes one evaluation takes */
    size_t lanes;    /* lanes of the current baseline */
    double *clamped; /* retention rates clamped, per lane [W] */
    bool has_baseline;
    bool has_initiative; /* an initiative was evaluated on the current baseline */
    model_segment *segments;
    double *zeros;    /* W zeros: the column of an absent parameter */
    double *nans;     /* W NaNs: the column of an absent retention */
    double *cohorts;  /* Scratch: cohort sizes with the initiative [(H+1) W] */
    double *young;    /* Scratch: the young cohorts' history h'_u (young()) [(H+1) W] */
    double *young_sum, *young_clamps; /* Scratch: their survivors, clamps a year [W] */
    double *total;    /* Scratch: customers with the initiative [W] */
    double *discount; /* 1/(1+d)^t, t = 0..H, of the current baseline [(H+1) W] */
    double *effect;   /* Scratch: one effect's five changes times k [5 W] */
    double *seg_pv;   /* Scratch: a segment's PV of benefits [W] */
    double *seg_tv;   /* Scratch: a segment's terminal value [W] */
    double *step;     /* Scratch: a year's change of the retention rates [W] */
    double *m_with;   /* Scratch: contribution per customer with the initiative [W] */
    double *a_with;   /* Scratch: acquisitions per year with the initiative [W] */
    /* The last initiative: benefits B_t per year [(H+1) W], terminal value [W], the PV
     * of its benefits per segment then direct [(n_segments + 1) W]. */
    double *benefits, *tv, *attr;
    /* Its costs, from the values' columns (valid with them): upfront at cost_start,
     * annual after, times cost_factor. */
    int cost_start;
    const double *cost_upfront, *cost_annual;
    double cost_factor;
    double *benefit_pv; /* Lane 0's attribution, contiguous (n_segments + 1) */
    double *values;     /* The single evaluation's own copy of its values (n_params), so
                           the caller's array need not outlive cxroi_model_baseline() */
    size_t n_params;
    double *block; /* Every array above */
};

static double value_of(const double *values, size_t param, double absent)
{
    return param == CXROI_NONE ? absent : values[param];
}

/* The column of parameter @p param in lane-major values (stride between parameters). */
static const double *column(const double *values, size_t stride, size_t param, const double *absent)
{
    return param == CXROI_NONE ? absent : values + param * stride;
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
bool cxroi_model_sbg_value_finite(double alpha, double rate)
{
    return rate > 0.0 || (rate == 0.0 && alpha > 1.0);
}

double cxroi_model_sbg_residual_value(double alpha, double beta, double age, double rate)
{
    if (!(isfinite(alpha) && isfinite(beta) && isfinite(age) && isfinite(rate)) || !(alpha > 0.0) ||
        !(beta > 0.0) || !(age >= 0.0) || !(rate > -1.0))
        return NAN;
    double b = beta + age, c = alpha + beta + age;
    if (!cxroi_model_sbg_value_finite(alpha, rate))
        return INFINITY;
    if (rate == 0.0)
        return (c - 1.0) / (alpha - 1.0);
    double x = 1.0 / (1.0 + rate);
    if (rate < MODEL_HYPERG_MIN_RATE)
        return x * hyperg_1_b_c_series(b, c, x);
    gsl_sf_result r;
    if (gsl_sf_hyperg_2F1_e(1.0, b, c, x, &r) != GSL_SUCCESS || !isfinite(r.val))
        return x * hyperg_1_b_c_series(b, c, x);
    return x * r.val;
}

size_t cxroi_model_workspace_doubles(const cxroi_scenario *scenario, size_t width)
{
    /* Per segment: n, r_base, r_age, n_h, value_h, n_with, retained_with ((H+1) W
     * each), m, r_lo, r_hi, the five cached values and the four keys (W each). Shared: cohorts,
     * young, discount, benefits ((H+1) W each); zeros, nans, total, seg_pv, seg_tv, step,
     * m_with, a_with, tv, clamped, young_sum, young_clamps (W each), effect (5 W), attr
     * ((n_seg + 1) W), benefit_pv (n_seg + 1) and the single evaluation's values
     * (n_params). */
    size_t len = (size_t)scenario->horizon + 1, n_seg = scenario->n_segments;
    size_t per_seg = 7 * len * width + 12 * width;
    return per_seg * n_seg + 4 * len * width + 17 * width + (n_seg + 1) * (width + 1) +
           scenario->n_params;
}

cxroi_model_workspace *cxroi_model_workspace_alloc_lanes(const cxroi_scenario *scenario,
                                                         size_t width)
{
    if (!scenario || scenario->horizon < 1 || scenario->horizon > CXROI_MAX_HORIZON || width < 1 ||
        width > CXROI_MODEL_MAX_LANES)
        return NULL;
    cxroi_model_workspace *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    size_t len = (size_t)scenario->horizon + 1;
    size_t n_seg = scenario->n_segments;
    w->horizon = scenario->horizon;
    w->n_segments = n_seg;
    w->width = width;
    w->n_params = scenario->n_params;
    w->block = calloc(cxroi_model_workspace_doubles(scenario, width), sizeof(double));
    w->segments = calloc(n_seg ? n_seg : 1, sizeof(*w->segments));
    if (!w->block || !w->segments) {
        cxroi_model_workspace_free(w);
        return NULL;
    }
    double *p = w->block;
    for (size_t s = 0; s < n_seg; s++) {
        model_segment *seg = &w->segments[s];
        double **rows[] = {&seg->n,       &seg->r_base, &seg->r_age,        &seg->n_h,
                           &seg->value_h, &seg->n_with, &seg->retained_with};
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++, p += len * width)
            *rows[r] = p;
        double **lanes[] = {&seg->m,
                            &seg->r_lo,
                            &seg->r_hi,
                            &seg->cached_alpha,
                            &seg->cached_beta,
                            &seg->cached_d,
                            &seg->cached_v_base,
                            &seg->cached_v_top,
                            &seg->key_customers,
                            &seg->key_acquisitions,
                            &seg->key_alpha,
                            &seg->key_beta};
        for (size_t r = 0; r < sizeof lanes / sizeof lanes[0]; r++, p += width)
            *lanes[r] = p;
        for (size_t k = 0; k < width; k++) /* nothing cached */
            seg->cached_alpha[k] = seg->cached_beta[k] = seg->cached_d[k] = seg->key_alpha[k] = NAN;
        seg->key_tenure = seg->cached_tenure = NAN;
    }
    double **rows[] = {&w->cohorts, &w->young, &w->discount, &w->benefits};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++, p += len * width)
        *rows[r] = p;
    double **lanes[] = {&w->zeros,  &w->nans, &w->total,     &w->seg_pv,
                        &w->seg_tv, &w->step, &w->m_with,    &w->a_with,
                        &w->tv,     &w->clamped, &w->young_sum, &w->young_clamps};
    for (size_t r = 0; r < sizeof lanes / sizeof lanes[0]; r++, p += width)
        *lanes[r] = p;
    w->effect = p;
    p += 5 * width;
    w->attr = p;
    p += (n_seg + 1) * width;
    w->benefit_pv = p;
    p += n_seg + 1;
    w->values = p;
    for (size_t k = 0; k < width; k++)
        w->nans[k] = NAN;
    return w;
}

cxroi_model_workspace *cxroi_model_workspace_alloc(const cxroi_scenario *scenario)
{
    return cxroi_model_workspace_alloc_lanes(scenario, 1);
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
    if (!workspace)
        return 0;
    double sum = 0.0;
    for (size_t k = 0; k < workspace->width; k++)
        sum += workspace->clamped[k];
    return (size_t)sum;
}

cxroi_error cxroi_model_workspace_retention(const cxroi_model_workspace *workspace, size_t segment,
                                            bool with_initiative, double *retention)
{
    if (!workspace || !retention || segment >= workspace->n_segments || !workspace->has_baseline)
        return CXROI_ERROR_ARGUMENT;
    const model_segment *seg = &workspace->segments[segment];
    int horizon = workspace->horizon;
    size_t w = workspace->width;
    retention[0] = NAN;
    for (int t = 1; t <= horizon; t++) {
        /* Year t's aggregate retention (lane 0): the share of the customers alive at its
         * start still there at its end. Baseline: N_t - A_t of N_{t-1}. */
        size_t now = (size_t)t * w, before = now - w;
        double kept, start;
        if (with_initiative && seg->touched) {
            kept = seg->retained_with[now];
            start = seg->n_with[before];
        } else {
            kept = seg->n[now] - seg->acquisitions[0];
            start = seg->n[before];
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
           scenario->n_segments == w->n_segments && scenario->n_params <= w->n_params;
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

/* The first lane k < lanes whose flag is set, or `lanes`. */
static size_t first_set(const unsigned char *flag, size_t lanes)
{
    size_t k = 0;
    while (k < lanes && !flag[k])
        k++;
    return k;
}

/* Baseline of a constant-retention segment: N_t = N_{t-1} r + A. */
LANES_INLINE void baseline_constant(model_segment *seg, int horizon, size_t w, size_t lanes)
{
    double *restrict n = seg->n;
    const double *restrict r = seg->retention, *restrict a = seg->acquisitions;
    for (size_t k = 0; k < lanes; k++)
        n[k] = seg->customers[k];
    for (int t = 1; t <= horizon; t++) {
        double *restrict now = n + (size_t)t * w;
        const double *restrict before = now - w;
        for (size_t k = 0; k < lanes; k++)
            now[k] = before[k] * r[k] + a[k];
    }
    /* n no longer holds an sBG baseline: the keys of sbg_baseline_kept() must not say so
     * when a workspace serves another scenario whose segment is sBG. */
    seg->key_tenure = NAN;
}

/* Baseline of an sBG segment. Ages (checked against reference r2): the existing base
 * has age `tenure` during year 1 (it has survived `tenure` renewals) and retains
 * r(tenure) at the end of year 1, r(tenure + 1) at the end of year 2, ...; the
 * acquisitions of year j join at the end of year j with age 0 and retain r(0) at the
 * end of year j + 1, r(1) at the end of year j + 2: during year t the cohort of year j
 * has age t - 1 - j. At H the base has age tenure + H and the cohort of year j age
 * H - j, the number of renewals each has survived.
 *
 * Every year's acquisitions are the same A, so the cohort of year j at t is the cohort
 * of year 1 at t - j + 1: one cohort's history h_u = A r(0) ... r(u - 1) gives them all,
 * and N_t = ((h_1 + h_2 + ... + h_(t-1)) + base_t) + A, the survivors summed from the
 * youngest up, then the base, then the year's acquisitions. segment_flows() sums in this
 * order too, so an initiative that leaves the rates and A alone gives N' = N bit for
 * bit. n_h gets the cohorts at H: [0] the base, [j] h_(H-j). `c` is scratch (2 W). */
LANES_INLINE void baseline_sbg(model_segment *seg, int horizon, size_t w, size_t lanes, double *c)
{
    double *restrict n = seg->n, *restrict nh = seg->n_h;
    double *restrict base = c, *restrict survivors = c + w;
    const double *restrict a = seg->acquisitions;
    for (size_t k = 0; k < lanes; k++) {
        n[k] = base[k] = seg->customers[k];
        survivors[k] = 0.0;
        nh[(size_t)horizon * w + k] = a[k]; /* h_0: the cohort of year H at H */
    }
    for (int t = 1; t <= horizon; t++) {
        if (t >= 2) { /* h_(t-1) = h_(t-2) r(t - 2), in n_h's row H - t + 1 */
            double *restrict h = nh + (size_t)(horizon - t + 1) * w;
            const double *restrict h_before = h + w;
            const double *restrict ra = seg->r_age + (size_t)(t - 2) * w;
            for (size_t k = 0; k < lanes; k++)
                survivors[k] += h[k] = h_before[k] * ra[k];
        }
        double *restrict total = n + (size_t)t * w;
        const double *restrict rb = seg->r_base + (size_t)t * w;
        for (size_t k = 0; k < lanes; k++)
            total[k] = (survivors[k] + (base[k] *= rb[k])) + a[k];
    }
    memcpy(nh, base, lanes * sizeof(double));
}

/* Retention rates r(a) of an sBG segment for every lane: the base's r(tenure + t - 1)
 * in year t and r(a) by age; and each lane's lowest and highest of them. */
LANES_INLINE void sbg_rates(model_segment *seg, const double *restrict alpha,
                            const double *restrict beta, int horizon, size_t w, size_t lanes)
{
    double *restrict lo = seg->r_lo, *restrict hi = seg->r_hi;
    for (int t = 1; t <= horizon; t++) {
        double *restrict base = seg->r_base + (size_t)t * w;
        double *restrict age = seg->r_age + (size_t)(t - 1) * w;
        double a_base = seg->tenure + t - 1, a_age = t - 1;
        for (size_t k = 0; k < lanes; k++) {
            base[k] = cxroi_sbg_retention(alpha[k], beta[k], a_base);
            age[k] = cxroi_sbg_retention(alpha[k], beta[k], a_age);
            /* Rates of a valid alpha and beta: never NaN, so plain comparisons. */
            double l = t == 1 ? base[k] : lo[k], h = t == 1 ? base[k] : hi[k];
            l = base[k] < l ? base[k] : l;
            l = age[k] < l ? age[k] : l;
            h = base[k] > h ? base[k] : h;
            h = age[k] > h ? age[k] : h;
            lo[k] = l;
            hi[k] = h;
        }
    }
    memcpy(seg->r_base, seg->r_base + w, lanes * sizeof(double));
}

/*
 * Whether an sBG segment's rates and customers (sbg_rates(), baseline_sbg()) of the last
 * baseline hold for these values: every lane's N_0, A, alpha and beta, and the tenure,
 * as they were computed for. Otherwise the keys are set to these values, to be computed.
 * In a simulation whose sBG inputs are fixed, every slice after the first keeps them.
 */
LANES_INLINE bool sbg_baseline_kept(model_segment *seg, const double *restrict alpha,
                                    const double *restrict beta, size_t lanes)
{
    const double *restrict n0 = seg->customers, *restrict a = seg->acquisitions;
    bool same = seg->key_tenure == seg->tenure;
    for (size_t k = 0; k < lanes && same; k++)
        same = n0[k] == seg->key_customers[k] && a[k] == seg->key_acquisitions[k] &&
               alpha[k] == seg->key_alpha[k] && beta[k] == seg->key_beta[k];
    if (same)
        return true;
    for (size_t k = 0; k < lanes; k++) {
        seg->key_customers[k] = n0[k];
        seg->key_acquisitions[k] = a[k];
        seg->key_alpha[k] = alpha[k];
        seg->key_beta[k] = beta[k];
    }
    seg->key_tenure = seg->tenure;
    return false;
}

/* Value at H of one customer of each cohort of an sBG segment (customer equity). Base
 * cohort: age tenure + H. Year j's cohort: age H - j, i.e. ages H-1 .. 0. Only V(H-1)
 * needs the hypergeometric function: the others follow from V(a) = x (1 + r(a) V(a+1))
 * (the first renewal peeled off the sum), run downward, where each step multiplies an
 * earlier error by x r(a) < 1: stable, about one rounding per step. */
LANES_INLINE void sbg_values(model_segment *seg, const double *alpha, const double *beta,
                             const double *d, int horizon, size_t w, size_t lanes, double *v)
{
    /* The cached residual values depend on the tenure too (the base's age tenure + H):
     * a workspace used for a scenario with another tenure drops all of them. */
    if (!(seg->cached_tenure == seg->tenure)) {
        for (size_t k = 0; k < w; k++)
            seg->cached_alpha[k] = NAN;
        seg->cached_tenure = seg->tenure;
    }
    for (size_t k = 0; k < lanes; k++) {
        if (!(alpha[k] == seg->cached_alpha[k] && beta[k] == seg->cached_beta[k] &&
              d[k] == seg->cached_d[k])) {
            seg->cached_v_base[k] =
                cxroi_model_sbg_residual_value(alpha[k], beta[k], seg->tenure + horizon, d[k]);
            seg->cached_v_top[k] =
                cxroi_model_sbg_residual_value(alpha[k], beta[k], horizon - 1, d[k]);
            seg->cached_alpha[k] = alpha[k];
            seg->cached_beta[k] = beta[k];
            seg->cached_d[k] = d[k];
        }
    }
    const double *restrict m = seg->m;
    for (size_t k = 0; k < lanes; k++) {
        v[k] = seg->cached_v_top[k];
        seg->value_h[k] = m[k] * seg->cached_v_base[k];
        seg->value_h[w + k] = m[k] * v[k];
    }
    for (int j = 2; j <= horizon; j++) {
        const double *restrict r = seg->r_age + (size_t)(horizon - j) * w; /* age H - j */
        double *restrict out = seg->value_h + (size_t)j * w;
        for (size_t k = 0; k < lanes; k++) {
            v[k] = 1.0 / (1.0 + d[k]) * (1.0 + r[k] * v[k]);
            out[k] = m[k] * v[k];
        }
    }
}

LANES_CLONES cxroi_error cxroi_model_lanes_baseline(const cxroi_scenario *scenario,
                                                    const double *values, size_t stride,
                                                    size_t lanes, cxroi_model_workspace *workspace,
                                                    size_t *bad_lane)
{
    if (bad_lane)
        *bad_lane = 0;
    if (!fits(scenario, workspace) || !values || lanes < 1 || lanes > workspace->width ||
        stride < lanes)
        return CXROI_ERROR_ARGUMENT;
    cxroi_model_workspace *w = workspace;
    w->has_baseline = false;
    w->has_initiative = false;
    w->lanes = lanes;
    int horizon = scenario->horizon;
    size_t width = w->width, len = (size_t)horizon + 1;
    unsigned char bad[CXROI_MODEL_MAX_LANES] = {0};
    const double *d = values + scenario->discount_rate * stride;
    bool equity = scenario->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    /* Discount factors 1/(1+d)^t as the running product cxroi_model_present_values()
     * uses, so the attribution of benefits to segments reconciles with PV benefits. */
    for (size_t k = 0; k < lanes; k++) {
        bad[k] |= !isfinite(d[k]) || !(d[k] > -1.0);
        double v_d = 1.0 / (1.0 + d[k]), f_d = 1.0;
        for (int t = 0; t <= horizon; t++) {
            w->discount[(size_t)t * width + k] = f_d;
            if (t < horizon)
                f_d *= v_d;
        }
    }
    for (size_t s = 0; s < scenario->n_segments; s++) {
        const cxroi_segment *spec = &scenario->segments[s];
        model_segment *seg = &w->segments[s];
        const double *zero = w->zeros;
        seg->customers = column(values, stride, spec->customers, zero);
        seg->revenue = column(values, stride, spec->revenue_per_customer, zero);
        seg->margin = column(values, stride, spec->margin, zero);
        seg->cost_to_serve = column(values, stride, spec->cost_to_serve, zero);
        seg->acquisitions = column(values, stride, spec->acquisitions_per_year, zero);
        seg->retention = column(values, stride, spec->retention, w->nans);
        seg->sbg = spec->retention_kind != CXROI_RETENTION_CONSTANT;
        seg->tenure = spec->tenure;
        for (size_t k = 0; k < lanes; k++) {
            /* m = revenue * margin - cost_to_serve */
            double m = seg->m[k] = seg->revenue[k] * seg->margin[k] - seg->cost_to_serve[k];
            double n0 = seg->customers[k], a = seg->acquisitions[k];
            bad[k] |= !isfinite(m) || !isfinite(n0) || !isfinite(a) || n0 < 0.0 || a < 0.0;
        }
        if (!seg->sbg) {
            const double *r = seg->retention;
            for (size_t k = 0; k < lanes; k++)
                bad[k] |= !(r[k] >= 0.0 && r[k] <= 1.0);
            baseline_constant(seg, horizon, width, lanes);
            /* A customer alive at H is worth m sum_k r^k/(1+d)^(k+1) = m / (1 + d - r),
             * infinite when r >= 1 + d (kept: only an error if an initiative uses it). */
            if (equity) {
                for (size_t k = 0; k < lanes; k++) {
                    double den = 1.0 + d[k] - r[k];
                    seg->value_h[k] = den > 0.0 ? seg->m[k] / den : INFINITY;
                }
            }
        } else {
            const double *alpha = column(values, stride, spec->sbg_alpha, w->nans);
            const double *beta = column(values, stride, spec->sbg_beta, w->nans);
            bool bad_tenure = spec->tenure < 0;
            for (size_t k = 0; k < lanes; k++)
                bad[k] |=
                    !(alpha[k] > 0.0 && beta[k] > 0.0 && isfinite(alpha[k]) && isfinite(beta[k])) ||
                    bad_tenure;
            size_t k0 = first_set(bad, lanes);
            if (k0 < lanes) {
                /* Rates from a bad alpha or beta would only spread NaNs: stop here. */
                if (bad_lane)
                    *bad_lane = k0;
                return CXROI_ERROR_MODEL;
            }
            if (!sbg_baseline_kept(seg, alpha, beta, lanes)) {
                sbg_rates(seg, alpha, beta, horizon, width, lanes);
                baseline_sbg(seg, horizon, width, lanes, w->cohorts);
            }
            if (equity)
                sbg_values(seg, alpha, beta, d, horizon, width, lanes, w->total);
        }
        double check[CXROI_MODEL_MAX_LANES] = {0};
        for (size_t t = 0; t < len; t++) {
            const double *restrict n = seg->n + t * width;
            for (size_t k = 0; k < lanes; k++)
                check[k] += n[k] * 0.0;
        }
        for (size_t k = 0; k < lanes; k++)
            bad[k] |= check[k] != 0.0;
    }
    size_t k0 = first_set(bad, lanes);
    if (k0 < lanes) {
        if (bad_lane)
            *bad_lane = k0;
        return CXROI_ERROR_MODEL;
    }
    w->has_baseline = true;
    return CXROI_OK;
}

cxroi_error cxroi_model_baseline(const cxroi_scenario *scenario, const double *values,
                                 cxroi_model_workspace *workspace)
{
    /* The baseline keeps pointers to its values' columns (read again by the initiative
     * and the retention curves): one evaluation points them at its own copy. */
    if (!fits(scenario, workspace) || !values)
        return CXROI_ERROR_ARGUMENT;
    memcpy(workspace->values, values, scenario->n_params * sizeof(double));
    return cxroi_model_lanes_baseline(scenario, workspace->values, 1, 1, workspace, NULL);
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

/* The effects on one segment, already multiplied by the effect scale k, per lane. */
typedef struct model_effect {
    bool has_retention, has_churn;
    const double *retention, *churn, *revenue, *cost_to_serve, *acquisitions;
} model_effect;

/*
 * A year's change of the retention rates, per lane: step = dRet g (retention effect) or
 * 1 + dChurn g (churn effect), so that the rate with the initiative is r + step or
 * 1 - (1 - r) step (rate_with()), the same operations as r + dRet g and
 * 1 - (1 - r)(1 + dChurn g) written out. Computed once per year for all the cohorts.
 */
LANES_INLINE void year_steps(const model_effect *e, double g, size_t lanes, double *restrict step)
{
    if (e->has_retention) {
        const double *restrict dr = e->retention;
        for (size_t k = 0; k < lanes; k++)
            step[k] = dr[k] * g;
    } else {
        const double *restrict dc = e->churn;
        for (size_t k = 0; k < lanes; k++)
            step[k] = 1.0 + dc[k] * g;
    }
}

/* Retention with the initiative, unclamped, from the year's step. */
LANES_INLINE double rate_with(bool retention, double r, double step)
{
    return retention ? r + step : 1.0 - (1.0 - r) * step;
}

/* x clamped to [0, 1]; *count counts the rates that were outside (a double, so that
 * the loops around it vectorise without 64-bit integer compares; exact to 2^53). */
LANES_INLINE double clamp01(double x, double *count)
{
    *count += (x < 0.0 ? 1.0 : 0.0) + (x > 1.0 ? 1.0 : 0.0);
    x = x > 0.0 ? x : 0.0; /* the forms of the max and min instructions */
    return x < 1.0 ? x : 1.0;
}

/* Whether an effect changes the retention rates in a year of ramp g. With g = 0 the
 * rate is r itself (1 - (1 - r) is not always r in floating point). */
LANES_INLINE bool changes_rates(const model_effect *e, double g)
{
    return g != 0.0 && (e->has_retention || e->has_churn);
}

/*
 * Customers of one year through the year's retention with the initiative, lane by lane:
 * out[k] = in[k] * r'[k] with r' = clamp(rate_with(r, step), 0, 1); step is NULL when
 * the effect leaves the rates alone this year (r' = r). clamped[k] counts the rates
 * clamped in lane k.
 */
LANES_INLINE void survive(bool retention, const double *restrict step, const double *restrict r,
                          const double *restrict in, double *restrict out, double *restrict clamped,
                          size_t lanes)
{
    if (!step) {
        for (size_t k = 0; k < lanes; k++)
            out[k] = in[k] * r[k];
    } else {
        for (size_t k = 0; k < lanes; k++)
            out[k] = in[k] * clamp01(rate_with(retention, r[k], step[k]), &clamped[k]);
    }
}

/*
 * Whether no lane can have a rate clamped this year, given each lane's lowest and
 * highest baseline rate: the rate with the initiative is a linear function of r
 * rounded monotonically, so its extremes are at lo and hi.
 */
LANES_INLINE bool rates_in_range(bool retention, const double *restrict step,
                                 const double *restrict lo, const double *restrict hi, size_t lanes)
{
    double out = 0.0; /* a double flag per lane, summed: the loop vectorises */
    for (size_t k = 0; k < lanes; k++) {
        double a = rate_with(retention, lo[k], step[k]);
        double b = rate_with(retention, hi[k], step[k]);
        bool inside = a >= 0.0 && a <= 1.0 && b >= 0.0 && b <= 1.0;
        out += inside ? 0.0 : 1.0;
    }
    return out == 0.0;
}

/* As survive() on a cohort in place, adding the survivors to total[k]; with
 * `in_range` (rates_in_range() said so) the clamp is left out, as it would change
 * nothing. */
LANES_INLINE void survive_add(bool retention, const double *restrict step, const double *restrict r,
                              double *restrict cohort, double *restrict total,
                              double *restrict clamped, bool in_range, size_t lanes)
{
    if (!step) {
        for (size_t k = 0; k < lanes; k++)
            total[k] += cohort[k] *= r[k];
    } else if (in_range) {
        for (size_t k = 0; k < lanes; k++)
            total[k] += cohort[k] *= rate_with(retention, r[k], step[k]);
    } else {
        for (size_t k = 0; k < lanes; k++)
            total[k] += cohort[k] *= clamp01(rate_with(retention, r[k], step[k]), &clamped[k]);
    }
}

/*
 * Contribution per customer with the initiative in a year of ramp g, per lane:
 * m' = revenue (1 + dRev g) margin - cts (1 + dCts g). Most years share a ramp (g = 1
 * once it is complete, 0 before the start), so segment_flows() computes it again only
 * when g changes.
 */
LANES_INLINE void contribution_with(const model_segment *seg, const model_effect *e, double g,
                                    size_t lanes, double *restrict m_with, double *restrict a_with)
{
    const double *restrict rev = seg->revenue, *restrict mar = seg->margin;
    const double *restrict cts = seg->cost_to_serve, *restrict acq = seg->acquisitions;
    const double *restrict de = e->revenue, *restrict dc = e->cost_to_serve;
    const double *restrict da = e->acquisitions;
    for (size_t k = 0; k < lanes; k++) {
        m_with[k] = rev[k] * (1.0 + de[k] * g) * mar[k] - cts[k] * (1.0 + dc[k] * g);
        a_with[k] = acq[k] * (1.0 + da[k] * g); /* A' = A (1 + dAcq g) */
    }
}

/*
 * The benefit of year t from one segment, per lane: N'_{t-1} m'_t - N_{t-1} m, added to
 * benefits and, discounted, to the segment's PV.
 */
LANES_INLINE void year_increment(const model_segment *seg, const double *restrict m_with,
                                 const double *restrict n_with_before,
                                 const double *restrict n_before, const double *restrict disc,
                                 size_t lanes, double *restrict benefits, double *restrict pv)
{
    const double *restrict m = seg->m;
    for (size_t k = 0; k < lanes; k++) {
        double inc = n_with_before[k] * m_with[k] - n_before[k] * m[k];
        benefits[k] += inc;
        pv[k] += inc * disc[k];
    }
}

/*
 * The first year from which the ramp stays at its last value (1 <= year <= H; 1 when
 * H < 1). From then on every year's acquisitions A' and every year's change of the rates
 * are the same, so the cohorts of that year and later ("young") follow one history:
 * the cohort of year j at t is the cohort of year `steady` at t - j + steady.
 */
static int steady_year(const double *ramp_g, int horizon)
{
    int year = horizon < 1 ? 1 : horizon;
    while (year > 1 && ramp_g[year - 1] == ramp_g[horizon])
        year--;
    return year;
}

/*
 * Year t of the young cohorts of an sBG segment (those of years >= steady): the history
 * of the first, h'_u = h'_(u-1) r'(u - 1) with h'_0 = A' (w->young's row u), grows by
 * h'_(t - steady), and w->young_sum, the survivors h'_1 + ... + h'_(t - steady) summed
 * from the youngest up, by it. Each young cohort survives the rate of its age, the one
 * the first had at that age, so this year's clamped rates are the first's clamped rates
 * at ages 0 .. t - 1 - steady: w->young_clamps counts them, and the lanes' counts grow
 * by it, as if every cohort had been followed on its own.
 */
LANES_INLINE void young(const model_segment *seg, bool retention, const double *restrict step,
                        int t, int steady, bool in_range, cxroi_model_workspace *w)
{
    if (t <= steady)
        return;
    size_t width = w->width, lanes = w->lanes, u = (size_t)(t - steady);
    const double *restrict r = seg->r_age + (u - 1) * width;
    const double *restrict before = w->young + (u - 1) * width;
    double *restrict h = w->young + u * width;
    double *restrict sum = w->young_sum, *restrict clamps = w->young_clamps;
    if (!step) {
        for (size_t k = 0; k < lanes; k++)
            sum[k] += h[k] = before[k] * r[k];
    } else if (in_range) {
        for (size_t k = 0; k < lanes; k++)
            sum[k] += h[k] = before[k] * rate_with(retention, r[k], step[k]);
    } else {
        for (size_t k = 0; k < lanes; k++)
            sum[k] += h[k] = before[k] * clamp01(rate_with(retention, r[k], step[k]), &clamps[k]);
    }
    for (size_t k = 0; k < lanes; k++)
        w->clamped[k] += clamps[k];
}

/* Adds sum_t (N'_{t-1} m'_t - N_{t-1} m) of one segment to the benefits of year t and
 * leaves in w->seg_tv the segment's terminal value (N'_H - N_H) * value at H (0 without
 * customer equity) and in w->seg_pv its own part, sum_t (N'_{t-1} m'_t - N_{t-1} m) /
 * (1+d)^t, for the value matrix (the same increments, so the parts add up to the
 * benefits). */
LANES_INLINE void segment_flows(const double *ramp_g, model_segment *seg, const model_effect *e,
                                int horizon, bool equity, cxroi_model_workspace *w)
{
    size_t width = w->width, lanes = w->lanes;
    const double *n = seg->n;
    double *n_with = seg->n_with, *retained = seg->retained_with;
    double *restrict pv = w->seg_pv, *restrict tv = w->seg_tv;
    const double *a_with = w->a_with; /* rewritten by contribution_with() */
    seg->touched = true;
    for (size_t k = 0; k < lanes; k++) {
        n_with[k] = retained[k] = n[k];
        pv[k] = tv[k] = 0.0;
    }
    double m_with_g = NAN; /* the ramp w->m_with was computed for */
    /* sBG: row 0 the base, row j the cohort of year j < `steady`; later ones: young() */
    double *c = w->cohorts;
    int steady = seg->sbg ? steady_year(ramp_g, horizon) : 0;
    if (seg->sbg)
        for (size_t k = 0; k < lanes; k++) {
            c[k] = n[k];
            w->young_sum[k] = w->young_clamps[k] = 0.0;
        }
    for (int t = 1; t <= horizon; t++) {
        size_t now = (size_t)t * width, before = now - width;
        double g = ramp_g[t];
        if (!(g == m_with_g)) {
            contribution_with(seg, e, g, lanes, w->m_with, w->a_with);
            m_with_g = g;
        }
        year_increment(seg, w->m_with, n_with + before, n + before, w->discount + now, lanes,
                       w->benefits + now, pv);
        const double *step = NULL;
        if (changes_rates(e, g)) {
            year_steps(e, g, lanes, w->step);
            step = w->step;
        }
        double *restrict nw = n_with + now;
        if (!seg->sbg) {
            /* N'_t = N'_{t-1} r'_t + A'_t, year t's ramp for both */
            double *restrict kept = retained + now;
            survive(e->has_retention, step, seg->retention, n_with + before, kept, w->clamped,
                    lanes);
            for (size_t k = 0; k < lanes; k++)
                nw[k] = kept[k] + a_with[k];
            continue;
        }
        /* Same cohort ages and order of sums as baseline_sbg(), each rate changed by the
         * effect: the young cohorts' survivors, then the others from the youngest up,
         * then the base; then the year's acquisitions. */
        double *restrict total = retained + now;
        bool in_range = step && rates_in_range(e->has_retention, step, seg->r_lo, seg->r_hi, lanes);
        young(seg, e->has_retention, step, t, steady, in_range, w);
        memcpy(total, w->young_sum, lanes * sizeof(double));
        for (int j = (t < steady ? t : steady) - 1; j >= 1; j--)
            survive_add(e->has_retention, step, seg->r_age + (size_t)(t - 1 - j) * width,
                        c + (size_t)j * width, total, w->clamped, in_range, lanes);
        survive_add(e->has_retention, step, seg->r_base + now, c, total, w->clamped, in_range,
                    lanes);
        if (t <= steady) /* the cohort of year t: kept apart, or the young ones' first */
            memcpy(t < steady ? c + now : w->young, a_with, lanes * sizeof(double));
        for (size_t k = 0; k < lanes; k++)
            nw[k] = total[k] + a_with[k];
    }
    if (!equity)
        return;
    if (!seg->sbg) {
        const double *restrict nh = n_with + (size_t)horizon * width;
        const double *restrict base = n + (size_t)horizon * width, *restrict v = seg->value_h;
        for (size_t k = 0; k < lanes; k++) {
            double diff = nh[k] - base[k];
            tv[k] = diff != 0.0 ? diff * v[k] : 0.0;
        }
        return;
    }
    for (int j = 0; j <= horizon; j++) {
        /* the cohort of year j at H: kept apart, or the young ones' h'_(H-j) */
        const double *restrict cj =
            j < steady ? c + (size_t)j * width : w->young + (size_t)(horizon - j) * width;
        const double *restrict nh = seg->n_h + (size_t)j * width;
        const double *restrict v = seg->value_h + (size_t)j * width;
        for (size_t k = 0; k < lanes; k++) {
            double diff = cj[k] - nh[k];
            tv[k] += diff != 0.0 ? diff * v[k] : 0.0;
        }
    }
}

/* What the last initiative pays in year t, per lane, before the cost factor: upfront at
 * t = start, annual costs in start+1..H (not ramped), nothing before. */
static inline const double *paid_in_year(const cxroi_model_workspace *w, int t)
{
    return t == w->cost_start ? w->cost_upfront : t > w->cost_start ? w->cost_annual : w->zeros;
}

/* A year's cost: what is paid times the cost factor (risk adjustment; x * 1 = x, so
 * without one the product changes nothing). 0.0 + paid makes a -0 paid a 0 cost. */
static inline double cost_of(double paid, double cost_factor)
{
    return (0.0 + paid) * cost_factor;
}

LANES_CLONES cxroi_error cxroi_model_lanes_initiative(const cxroi_scenario *scenario,
                                                      const double *values, size_t stride,
                                                      size_t initiative, const cxroi_adjust *adjust,
                                                      cxroi_model_workspace *workspace,
                                                      size_t *bad_lane)
{
    if (bad_lane)
        *bad_lane = 0;
    if (!fits(scenario, workspace) || !values || initiative >= scenario->n_initiatives ||
        !workspace->has_baseline || stride < workspace->lanes)
        return CXROI_ERROR_ARGUMENT;
    if (!adjust)
        adjust = &CXROI_ADJUST_NONE;
    cxroi_model_workspace *w = workspace;
    const cxroi_initiative *ini = &scenario->initiatives[initiative];
    int horizon = scenario->horizon;
    size_t width = w->width, lanes = w->lanes, len = (size_t)horizon + 1;
    double ks = adjust->effect_scale;
    bool equity = scenario->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    for (size_t t = 0; t < len; t++)
        for (size_t k = 0; k < lanes; k++)
            w->benefits[t * width + k] = 0.0;

    /* The ramp g_t, once per evaluation rather than per segment and year. */
    double ramp_g[CXROI_MAX_HORIZON + 1];
    for (int t = 0; t <= horizon; t++)
        ramp_g[t] = ramp(ini, t);
    size_t n_seg = scenario->n_segments;
    double *restrict tv = w->tv;
    for (size_t k = 0; k < lanes; k++)
        tv[k] = 0.0;
    for (size_t s = 0; s <= n_seg; s++)
        for (size_t k = 0; k < lanes; k++)
            w->attr[s * width + k] = 0.0;
    for (size_t s = 0; s < n_seg; s++)
        w->segments[s].touched = false;
    const double *disc_h = w->discount + (size_t)horizon * width;
    for (size_t i = 0; i < ini->n_effects; i++) {
        const cxroi_effect *spec = &ini->effects[i];
        if (spec->segment >= scenario->n_segments ||
            (spec->retention != CXROI_NONE && spec->churn != CXROI_NONE))
            return CXROI_ERROR_ARGUMENT;
        /* The five changes times k, each in its own row of w->effect. */
        size_t params[5] = {spec->retention, spec->churn, spec->revenue, spec->cost_to_serve,
                            spec->acquisitions};
        const double *row[5];
        for (size_t f = 0; f < 5; f++) {
            const double *restrict in = column(values, stride, params[f], w->zeros);
            row[f] = in;
            if (ks == 1.0) /* k x = x: the Monte Carlo case reads the values as they are */
                continue;
            double *restrict out = w->effect + f * width;
            for (size_t k = 0; k < lanes; k++)
                out[k] = ks * in[k];
            row[f] = out;
        }
        model_effect e = {spec->retention != CXROI_NONE,
                          spec->churn != CXROI_NONE,
                          row[0],
                          row[1],
                          row[2],
                          row[3],
                          row[4]};
        segment_flows(ramp_g, &w->segments[spec->segment], &e, horizon, equity, w);
        /* The segment's terminal value is its own too, discounted from H. */
        double *restrict attr = w->attr + spec->segment * width;
        const double *restrict pv = w->seg_pv, *restrict seg_tv = w->seg_tv;
        for (size_t k = 0; k < lanes; k++) {
            tv[k] += seg_tv[k];
            attr[k] += pv[k] + seg_tv[k] * disc_h[k];
        }
    }

    /* Direct benefit: benefits.annual * k * g_t; then benefits (and the terminal value)
     * * benefit_factor, costs * cost_factor (risk adjustment). Upfront at t = start,
     * annual costs in start+1..H, not ramped. */
    const double *restrict direct = column(values, stride, ini->benefit_annual, w->zeros);
    const double *restrict upfront = column(values, stride, ini->upfront, w->zeros);
    const double *restrict annual = column(values, stride, ini->annual, w->zeros);
    double *direct_pv = w->attr + n_seg * width; /* also scaled through w->attr below */
    double bf = adjust->benefit_factor, cf = adjust->cost_factor;
    for (int t = 0; t <= horizon; t++) {
        double g = ramp_g[t];
        double *restrict ben = w->benefits + (size_t)t * width;
        const double *restrict disc = w->discount + (size_t)t * width;
        if (g != 0.0) {
            for (size_t k = 0; k < lanes; k++) {
                double b = ks * direct[k] * g;
                ben[k] += b;
                direct_pv[k] += b * disc[k];
            }
        }
        if (bf != 1.0) /* x * 1 = x: without a risk adjustment nothing to scale */
            for (size_t k = 0; k < lanes; k++)
                ben[k] *= bf;
    }
    /* The costs are not stored year by year: present values (and the single evaluation's
     * flows) read them from the columns (paid_in_year(), cost_of()). */
    w->has_initiative = true;
    w->cost_start = ini->start;
    w->cost_upfront = upfront;
    w->cost_annual = annual;
    w->cost_factor = cf;
    /* The terminal value and the attribution (segment s's PV of benefits, then the
     * direct benefit's) after the risk adjustment, like the benefits they come from.
     * Flows that are not finite make the NPV or the PV costs not finite:
     * cxroi_model_lanes_present_values() reports them. */
    if (bf != 1.0) {
        for (size_t k = 0; k < lanes; k++)
            tv[k] *= bf;
        for (size_t s = 0; s <= n_seg; s++)
            for (size_t k = 0; k < lanes; k++)
                w->attr[s * width + k] *= bf;
    }
    return CXROI_OK;
}

LANES_CLONES cxroi_error cxroi_model_lanes_present_values(const cxroi_model_workspace *workspace,
                                                          double *npv, double *pv_costs,
                                                          size_t *bad_lane)
{
    if (bad_lane)
        *bad_lane = 0;
    if (!workspace || !workspace->has_initiative || !npv || !pv_costs)
        return CXROI_ERROR_ARGUMENT;
    const cxroi_model_workspace *w = workspace;
    size_t width = w->width, lanes = w->lanes;
    int horizon = w->horizon;
    /* NPV = sum_t CF_t/(1+d)^t + TV/(1+d)^H; PV costs = sum_t costs_t/(1+d)^t, with the
     * operations of cxroi_model_present_values() lane by lane. Its running product of
     * discount factors is the baseline's w->discount, made by the same operations. */
    for (size_t k = 0; k < lanes; k++)
        npv[k] = pv_costs[k] = 0.0;
    double cf = w->cost_factor;
    for (int t = 0; t <= horizon; t++) {
        const double *restrict ben = w->benefits + (size_t)t * width;
        const double *restrict paid = paid_in_year(w, t);
        const double *restrict f = w->discount + (size_t)t * width;
        for (size_t k = 0; k < lanes; k++) {
            double cost = cost_of(paid[k], cf);
            npv[k] += (ben[k] - cost) * f[k];
            pv_costs[k] += cost * f[k];
        }
    }
    const double *restrict f = w->discount + (size_t)horizon * width;
    unsigned char bad[CXROI_MODEL_MAX_LANES];
    for (size_t k = 0; k < lanes; k++) {
        npv[k] += w->tv[k] * f[k];
        bad[k] = !isfinite(npv[k]) || !isfinite(pv_costs[k]);
    }
    size_t k0 = first_set(bad, lanes);
    if (k0 < lanes) {
        if (bad_lane)
            *bad_lane = k0;
        return CXROI_ERROR_MODEL;
    }
    return CXROI_OK;
}

const double *cxroi_model_lanes_attribution(const cxroi_model_workspace *workspace)
{
    return workspace ? workspace->attr : NULL;
}

cxroi_error cxroi_model_initiative(const cxroi_scenario *scenario, const double *values,
                                   size_t initiative, const cxroi_adjust *adjust,
                                   cxroi_model_workspace *workspace, cxroi_flows *out)
{
    if (!fits(scenario, workspace) || !values || !out || !out->benefits || !out->costs ||
        !out->cash_flows || initiative >= scenario->n_initiatives || !workspace->has_baseline ||
        workspace->lanes != 1)
        return CXROI_ERROR_ARGUMENT;
    cxroi_error err =
        cxroi_model_lanes_initiative(scenario, values, 1, initiative, adjust, workspace, NULL);
    if (err != CXROI_OK && err != CXROI_ERROR_MODEL)
        return err;
    /* Flows that overflowed are copied too: the caller may tell which year did. */
    const cxroi_model_workspace *w = workspace;
    size_t len = (size_t)scenario->horizon + 1;
    for (size_t t = 0; t < len; t++) {
        out->benefits[t] = w->benefits[t * w->width];
        out->costs[t] = cost_of(paid_in_year(w, (int)t)[0], w->cost_factor);
        out->cash_flows[t] = out->benefits[t] - out->costs[t];
    }
    out->terminal_value = w->tv[0];
    for (size_t s = 0; s <= scenario->n_segments; s++)
        w->benefit_pv[s] = w->attr[s * w->width];
    if (err == CXROI_OK && (!all_finite(out->cash_flows, len) || !all_finite(out->benefits, len) ||
                            !all_finite(out->costs, len) || !isfinite(out->terminal_value)))
        err = CXROI_ERROR_MODEL;
    return err;
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
    out->nothing_to_pay_back = all_zero;
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
    size_t clamped_before = cxroi_model_workspace_clamped(workspace);
    err = cxroi_model_initiative(scenario, values, initiative, NULL, workspace, &flows);
    out->base_clamped = cxroi_model_workspace_clamped(workspace) - clamped_before;
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
        out->retention = cxroi_sbg_retention(value_of(values, spec->sbg_alpha, NAN),
                                             value_of(values, spec->sbg_beta, NAN), spec->tenure);
    out->contribution_per_customer = out->revenue_per_customer * out->margin - out->cost_to_serve;
    out->contribution_total = out->customers * out->contribution_per_customer;
    out->loss_making = out->contribution_per_customer < 0.0;
}
