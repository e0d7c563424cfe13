/* Sampling of uncertain inputs: Monte Carlo, Latin hypercube, Gaussian-copula ranks. */

/* GSL's inline versions of gsl_rng_uniform_pos() and friends (its documented
 * HAVE_INLINE switch): a draw then costs one call of the generator, not two. */
#define HAVE_INLINE 1

#include "sampler_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "clones_internal.h"
#include "pool_internal.h"
#include "cxroi/simulation.h"

/* The random number generator of every block's stream: L'Ecuyer's maximally
 * equidistributed combined Tausworthe generator (period 2^88), which GSL's manual ranks
 * among the fastest of simulation quality; with GSL's ziggurat it draws a normal
 * score in half the time MT19937 takes (measured: 6.1 ns against 12.6 ns). */
#define CXROI_SAMPLER_GENERATOR gsl_rng_taus2

/* Quantile tables span normal scores |z| <= TABLE_Z (Phi(-8.2) ~ 1.2e-16: the whole
 * double-precision range of u) on TABLE_NODES equally spaced nodes. */
#define TABLE_Z 8.2
#define TABLE_NODES 2049

/* How an input turns randomness into a value. */
typedef enum draw_kind {
    DRAW_TABLE,     /* x = T(z), z a normal score: beta, PERT, truncated normal */
    DRAW_NORMAL,    /* x = mean + sd z */
    DRAW_LOGNORMAL, /* x = exp(mu + sigma z) */
    DRAW_UNIFORM    /* x = Q(u), u uniform: uniform, triangular, discrete (closed forms) */
} draw_kind;

typedef struct uinput {
    size_t param;
    const cxroi_dist *dist;
    double lo, hi; /* every draw is clamped to [lo, hi] */
    draw_kind draw;
    double a, b;      /* NORMAL: mean, sd; LOGNORMAL: mu, sigma */
    double *table; /* TABLE: the spline's cubic on each interval, 4 coefficients each */
    int corr;         /* index among the correlated inputs, -1 if independent */
} uinput;

struct cxroi_sampler {
    cxroi_sampling sampling;
    size_t n_params;
    double *base; /* deterministic values; fixed parameters keep them */
    uinput *inputs;
    size_t n_inputs;
    size_t *params; /* parameter index of each uncertain input */
    size_t n_corr;
    size_t *corr_inputs; /* input index of each correlated input */
    double *chol;        /* lower Cholesky factor of the copula's Pearson matrix */
    double table_z[TABLE_NODES];
};

struct cxroi_sampler_workspace {
    gsl_rng *rng;
    double *values; /* the block's values, lane-major: n_params x CXROI_SIM_BLOCK */
    double *u;      /* LHS uniforms, n_inputs x CXROI_SIM_BLOCK */
    size_t *perm;
    double *z, *zc; /* normal scores of the correlated inputs, before/after L:
                       n_corr x CXROI_SIM_BLOCK each */
};

/* splitmix64: a well-mixed 64-bit hash, to give every block its own stream. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/*
 * The value at normal score z of a tabulated input: the cubic of the interval around z,
 * found by index on the evenly spaced grid (no search), evaluated by Horner's rule from
 * its four coefficients, which share one 32-byte line of the table (one memory access).
 */
static inline double table_value(const uinput *in, double z)
{
    /* Without branches on the data: t is clamped to the table (a NaN score to its
     * start); at the top end u = 1 gives the last node's value, up to rounding (the
     * draw is clamped to the input's range anyway). */
    double t = (z + TABLE_Z) * ((double)(TABLE_NODES - 1) / (2.0 * TABLE_Z));
    t = t > 0.0 ? t : 0.0;
    t = t < (double)(TABLE_NODES - 1) ? t : (double)(TABLE_NODES - 1);
    int i = (int)t;
    i = i < TABLE_NODES - 2 ? i : TABLE_NODES - 2;
    double u = t - (double)i;
    const double *c = in->table + 4 * i;
    return c[0] + u * (c[1] + u * (c[2] + u * c[3]));
}

/* x[k] clamped to the input's range, in place. */
static void clamp_all(const uinput *in, double *x, size_t n)
{
    double lo = in->lo, hi = in->hi;
    for (size_t k = 0; k < n; k++)
        x[k] = clamp(x[k], lo, hi);
}

/* The values of an input at normal scores z[0..n) (any draw kind), into x (which may
 * be z). Draw kinds with a closed form run as plain loops over the scores. */
CXROI_CLONES static void values_at_scores(const uinput *in, const double *z, size_t n, double *x)
{
    switch (in->draw) {
    case DRAW_TABLE:
        for (size_t k = 0; k < n; k++)
            x[k] = table_value(in, z[k]);
        break;
    case DRAW_NORMAL:
        for (size_t k = 0; k < n; k++)
            x[k] = in->a + in->b * z[k];
        break;
    case DRAW_LOGNORMAL:
        for (size_t k = 0; k < n; k++)
            x[k] = exp(in->a + in->b * z[k]);
        break;
    default:
        for (size_t k = 0; k < n; k++)
            x[k] = gsl_cdf_ugaussian_P(z[k]);
        cxroi_dist_quantiles(in->dist, x, x, n);
        break;
    }
    clamp_all(in, x, n);
}

/* The values of an input at probabilities u[0..n) in (0, 1), into x (which may be u). */
static void values_at_u(const uinput *in, const double *u, size_t n, double *x)
{
    if (in->draw == DRAW_UNIFORM) {
        cxroi_dist_quantiles(in->dist, u, x, n);
        clamp_all(in, x, n);
        return;
    }
    for (size_t k = 0; k < n; k++)
        x[k] = gsl_cdf_ugaussian_Pinv(u[k]);
    values_at_scores(in, x, n, x);
}

const char *cxroi_sampler_generator(void)
{
    return CXROI_SAMPLER_GENERATOR->name;
}

double cxroi_sampler_quantile(const cxroi_sampler *s, size_t j, double p)
{
    double x;
    values_at_u(&s->inputs[j], &p, 1, &x);
    return x;
}

size_t cxroi_sampler_count(const cxroi_sampler *s)
{
    return s->n_inputs;
}

const size_t *cxroi_sampler_params(const cxroi_sampler *s)
{
    return s->params;
}

void cxroi_sampler_free(cxroi_sampler *s)
{
    if (!s)
        return;
    for (size_t j = 0; j < s->n_inputs; j++) {
        free(s->inputs[j].table);
    }
    free(s->inputs);
    free(s->params);
    free(s->corr_inputs);
    free(s->chol);
    free(s->base);
    free(s);
}

/*
 * Tabulate Q(Phi(z)) for an input whose quantile is expensive (beta, PERT: GSL's beta
 * quantile costs microseconds; truncated normal: two error functions): Q(Phi(z)) is
 * smooth in z, and a cubic Hermite spline on 2049 nodes (Steffen's monotone slopes)
 * reproduces it closely (the tests bound the error) for a few nanoseconds per draw.
 */
static cxroi_error build_table(const cxroi_sampler *s, uinput *in)
{
    double *x = malloc(TABLE_NODES * sizeof(double));
    double *dx = malloc(TABLE_NODES * sizeof(double));
    in->table = aligned_alloc(32, 4 * (TABLE_NODES - 1) * sizeof(double));
    gsl_interp *interp = gsl_interp_alloc(gsl_interp_steffen, TABLE_NODES);
    cxroi_error err = CXROI_ERROR_NOMEM;
    if (!x || !dx || !in->table || !interp)
        goto done;
    for (size_t i = 0; i < TABLE_NODES; i++)
        x[i] = cxroi_dist_quantile(in->dist, gsl_cdf_ugaussian_P(s->table_z[i]));
    /* Rounding in the quantile can leave tiny decreases: keep the nodes monotone. */
    for (size_t i = 1; i < TABLE_NODES; i++)
        if (x[i] < x[i - 1])
            x[i] = x[i - 1];
    err = CXROI_ERROR_MODEL;
    if (gsl_interp_init(interp, s->table_z, x, TABLE_NODES) != GSL_SUCCESS)
        goto done;
    /* Slopes per unit of u = (z - z_i) / h, then the Hermite cubic through (0, x_i) and
     * (1, x_(i+1)) with those slopes, in powers of u. */
    double h = 2.0 * TABLE_Z / (double)(TABLE_NODES - 1);
    for (size_t i = 0; i < TABLE_NODES; i++)
        dx[i] = h * gsl_interp_eval_deriv(interp, s->table_z, x, s->table_z[i], NULL);
    for (size_t i = 0; i + 1 < TABLE_NODES; i++) {
        double *c = in->table + 4 * i, rise = x[i + 1] - x[i];
        c[0] = x[i];
        c[1] = dx[i];
        c[2] = 3.0 * rise - 2.0 * dx[i] - dx[i + 1];
        c[3] = dx[i] + dx[i + 1] - 2.0 * rise;
    }
    err = CXROI_OK;
done:
    gsl_interp_free(interp);
    free(x);
    free(dx);
    return err;
}

/* Pearson correlation of the copula's normal scores for a Spearman rho. */
static double pearson_of_spearman(double rho)
{
    return 2.0 * sin(3.14159265358979323846 * rho / 6.0);
}

static cxroi_error build_copula(cxroi_sampler *s, const cxroi_scenario *sc, cxroi_diag *diag)
{
    if (sc->n_correlations == 0)
        return CXROI_OK;
    s->corr_inputs = malloc(2 * sc->n_correlations * sizeof(size_t));
    if (!s->corr_inputs)
        return CXROI_ERROR_NOMEM;
    /* The correlated inputs, in parameter order, so the factor does not depend on the
     * order the correlations are written in. */
    for (size_t j = 0; j < s->n_inputs; j++) {
        for (size_t c = 0; c < sc->n_correlations; c++) {
            if (sc->correlations[c].a == s->inputs[j].param ||
                sc->correlations[c].b == s->inputs[j].param) {
                s->inputs[j].corr = (int)s->n_corr;
                s->corr_inputs[s->n_corr++] = j;
                break;
            }
        }
    }
    size_t m = s->n_corr;
    gsl_matrix *a = gsl_matrix_alloc(m, m);
    s->chol = calloc(m * m, sizeof(double));
    if (!a || !s->chol) {
        gsl_matrix_free(a);
        return CXROI_ERROR_NOMEM;
    }
    gsl_matrix_set_identity(a);
    for (size_t c = 0; c < sc->n_correlations; c++) {
        int ia = -1, ib = -1;
        for (size_t k = 0; k < m; k++) {
            size_t p = s->inputs[s->corr_inputs[k]].param;
            if (p == sc->correlations[c].a)
                ia = (int)k;
            if (p == sc->correlations[c].b)
                ib = (int)k;
        }
        if (ia < 0 || ib < 0)
            continue; /* the loader only accepts uncertain inputs */
        double r = pearson_of_spearman(sc->correlations[c].rho);
        gsl_matrix_set(a, (size_t)ia, (size_t)ib, r);
        gsl_matrix_set(a, (size_t)ib, (size_t)ia, r);
    }
    int status = gsl_linalg_cholesky_decomp1(a);
    if (status != GSL_SUCCESS) {
        const cxroi_correlation *c0 = &sc->correlations[0];
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, c0->mark.file, c0->mark.line, c0->mark.column,
                       "correlations: the rank correlations cannot be honoured together (their "
                       "normal-score matrix is not positive definite); weaken them");
        gsl_matrix_free(a);
        return CXROI_ERROR_SCENARIO;
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j <= i; j++)
            s->chol[i * m + j] = gsl_matrix_get(a, i, j);
    gsl_matrix_free(a);
    return CXROI_OK;
}

/* The quantile tables, one input per call of the pool; each call writes only its own
 * input and its own status. */
typedef struct tables_ctx {
    const cxroi_sampler *s;
    cxroi_error *status; /* per input */
} tables_ctx;

static void build_one_table(void *arg, size_t j, size_t worker)
{
    (void)worker;
    tables_ctx *c = arg;
    uinput *in = &c->s->inputs[j];
    c->status[j] = in->draw == DRAW_TABLE ? build_table(c->s, in) : CXROI_OK;
}

cxroi_error cxroi_sampler_new(const cxroi_scenario *sc, cxroi_sampling sampling, unsigned threads,
                              cxroi_diag *diag, cxroi_sampler **out)
{
    *out = NULL;
    cxroi_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return CXROI_ERROR_NOMEM;
    s->sampling = sampling;
    s->n_params = sc->n_params;
    for (size_t i = 0; i < TABLE_NODES; i++)
        s->table_z[i] = -TABLE_Z + 2.0 * TABLE_Z * (double)i / (double)(TABLE_NODES - 1);
    s->base = malloc((sc->n_params ? sc->n_params : 1) * sizeof(double));
    s->inputs = calloc(sc->n_params ? sc->n_params : 1, sizeof(uinput));
    s->params = calloc(sc->n_params ? sc->n_params : 1, sizeof(size_t));
    cxroi_error err = CXROI_ERROR_NOMEM;
    if (!s->base || !s->inputs || !s->params)
        goto fail;
    cxroi_scenario_base_values(sc, s->base);
    for (size_t p = 0; p < sc->n_params; p++) {
        const cxroi_dist *d = &sc->params[p].dist;
        if (!cxroi_dist_is_uncertain(d))
            continue;
        uinput *in = &s->inputs[s->n_inputs];
        in->param = p;
        in->dist = d;
        in->corr = -1;
        cxroi_dist_draw_range(d, &in->lo, &in->hi); /* the loader checked it */
        switch (d->kind) {
        case CXROI_DIST_NORMAL:
            in->draw = d->has_min || d->has_max ? DRAW_TABLE : DRAW_NORMAL;
            in->a = d->mean;
            in->b = d->sd;
            break;
        case CXROI_DIST_LOGNORMAL:
            in->draw = DRAW_LOGNORMAL;
            cxroi_dist_lognormal_log_params(d, &in->a, &in->b);
            break;
        case CXROI_DIST_PERT:
        case CXROI_DIST_BETA:
            in->draw = DRAW_TABLE;
            break;
        default:
            in->draw = DRAW_UNIFORM;
            break;
        }
        s->params[s->n_inputs++] = p;
    }
    cxroi_error *status = malloc((s->n_inputs ? s->n_inputs : 1) * sizeof(cxroi_error));
    if (!status) {
        err = CXROI_ERROR_NOMEM;
        goto fail;
    }
    tables_ctx tc = {s, status};
    cxroi_pool_for(threads, s->n_inputs, build_one_table, &tc);
    err = CXROI_OK;
    for (size_t j = 0; j < s->n_inputs && err == CXROI_OK; j++)
        err = status[j];
    free(status);
    if (err != CXROI_OK)
        goto fail;
    if ((err = build_copula(s, sc, diag)) != CXROI_OK)
        goto fail;
    *out = s;
    return CXROI_OK;
fail:
    cxroi_sampler_free(s);
    return err;
}

cxroi_sampler_workspace *cxroi_sampler_workspace_alloc(const cxroi_sampler *s)
{
    cxroi_sampler_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->rng = gsl_rng_alloc(CXROI_SAMPLER_GENERATOR);
    ws->values = malloc((s->n_params ? s->n_params : 1) * CXROI_SIM_BLOCK * sizeof(double));
    ws->u = malloc((s->n_inputs ? s->n_inputs : 1) * CXROI_SIM_BLOCK * sizeof(double));
    ws->perm = malloc(CXROI_SIM_BLOCK * sizeof(size_t));
    ws->z = malloc((s->n_corr ? s->n_corr : 1) * CXROI_SIM_BLOCK * sizeof(double));
    ws->zc = malloc((s->n_corr ? s->n_corr : 1) * CXROI_SIM_BLOCK * sizeof(double));
    if (!ws->rng || !ws->values || !ws->u || !ws->perm || !ws->z || !ws->zc) {
        cxroi_sampler_workspace_free(ws);
        return NULL;
    }
    /* Fixed parameters keep their value in every lane: written once, never drawn. */
    for (size_t p = 0; p < s->n_params; p++)
        for (size_t k = 0; k < CXROI_SIM_BLOCK; k++)
            ws->values[p * CXROI_SIM_BLOCK + k] = s->base[p];
    return ws;
}

void cxroi_sampler_workspace_free(cxroi_sampler_workspace *ws)
{
    if (!ws)
        return;
    gsl_rng_free(ws->rng);
    free(ws->values);
    free(ws->u);
    free(ws->perm);
    free(ws->z);
    free(ws->zc);
    free(ws);
}

/* z' = L z for the correlated inputs' normal scores, n iterations at once: z and zc
 * hold n_corr rows of CXROI_SIM_BLOCK. */
static void correlate(const cxroi_sampler *s, const double *z, double *zc, size_t n)
{
    size_t m = s->n_corr;
    for (size_t i = 0; i < m; i++) {
        double *restrict out = zc + i * CXROI_SIM_BLOCK;
        for (size_t k = 0; k < n; k++)
            out[k] = 0.0;
        for (size_t j = 0; j <= i; j++) {
            double l = s->chol[i * m + j];
            const double *restrict in = z + j * CXROI_SIM_BLOCK;
            for (size_t k = 0; k < n; k++)
                out[k] += l * in[k];
        }
    }
}

/* The correlated inputs from their normal scores z (n_corr rows): z' = L z, then each
 * input's values at its row of z'. */
static void fill_correlated(const cxroi_sampler *s, cxroi_sampler_workspace *ws, size_t n,
                            double *values)
{
    correlate(s, ws->z, ws->zc, n);
    for (size_t c = 0; c < s->n_corr; c++) {
        const uinput *in = &s->inputs[s->corr_inputs[c]];
        values_at_scores(in, ws->zc + c * CXROI_SIM_BLOCK, n, values + in->param * CXROI_SIM_BLOCK);
    }
}

const double *cxroi_sampler_fill_block(const cxroi_sampler *s, cxroi_sampler_workspace *ws,
                                       uint64_t seed, size_t block, size_t n)
{
    double *values = ws->values;
    /* GSL seeds take 32 bits: fold the block's 64-bit stream key into them. */
    uint64_t key = mix64(seed ^ mix64((uint64_t)block + 1));
    gsl_rng_set(ws->rng, (unsigned long)((key ^ (key >> 32)) & 0xffffffffUL));
    const size_t B = CXROI_SIM_BLOCK;
    if (s->n_inputs == 0)
        return values;

    if (s->sampling == CXROI_SAMPLING_MONTE_CARLO) {
        /* Input by input, the block's n draws of each: normal-score families from GSL's
         * ziggurat, the others from uniforms; then the correlated inputs' scores. */
        for (size_t j = 0; j < s->n_inputs; j++) {
            const uinput *in = &s->inputs[j];
            if (in->corr >= 0)
                continue;
            double *x = values + in->param * B;
            if (in->draw == DRAW_UNIFORM) {
                for (size_t k = 0; k < n; k++)
                    x[k] = gsl_rng_uniform_pos(ws->rng);
                values_at_u(in, x, n, x);
            } else {
                for (size_t k = 0; k < n; k++)
                    x[k] = gsl_ran_gaussian_ziggurat(ws->rng, 1.0);
                values_at_scores(in, x, n, x);
            }
        }
        if (s->n_corr > 0) {
            for (size_t c = 0; c < s->n_corr; c++)
                for (size_t k = 0; k < n; k++)
                    ws->z[c * B + k] = gsl_ran_gaussian_ziggurat(ws->rng, 1.0);
            fill_correlated(s, ws, n, values);
        }
        return values;
    }

    /* Latin hypercube: input j's n draws fall one in each of the n equal-probability
     * strata of the block, in a random order: u = (perm(k) + U(0,1)) / n. */
    for (size_t j = 0; j < s->n_inputs; j++) {
        for (size_t k = 0; k < n; k++)
            ws->perm[k] = k;
        gsl_ran_shuffle(ws->rng, ws->perm, n, sizeof(size_t));
        double *u = ws->u + j * B;
        for (size_t k = 0; k < n; k++)
            u[k] = ((double)ws->perm[k] + gsl_rng_uniform_pos(ws->rng)) / (double)n;
    }
    for (size_t j = 0; j < s->n_inputs; j++) {
        const uinput *in = &s->inputs[j];
        if (in->corr < 0)
            values_at_u(in, ws->u + j * B, n, values + in->param * B);
    }
    if (s->n_corr > 0) {
        for (size_t c = 0; c < s->n_corr; c++)
            for (size_t k = 0; k < n; k++)
                ws->z[c * B + k] = gsl_cdf_ugaussian_Pinv(ws->u[s->corr_inputs[c] * B + k]);
        fill_correlated(s, ws, n, values);
    }
    return values;
}
