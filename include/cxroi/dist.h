/**
 * @file dist.h
 * @brief Probability distributions of uncertain inputs: moments, quantiles, checks.
 *
 * Every model input of a scenario is a cxroi_dist: a fixed number is the kind
 * CXROI_DIST_FIXED. The deterministic case uses cxroi_dist_base(): the `base:` value
 * when given, else the distribution's mean.
 */
#ifndef CXROI_DIST_H
#define CXROI_DIST_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

/** The distribution families of SPEC.md. */
typedef enum cxroi_dist_kind {
    CXROI_DIST_FIXED = 0,   /**< A plain number: `value`. */
    CXROI_DIST_UNIFORM,     /**< `min`, `max`. */
    CXROI_DIST_TRIANGULAR,  /**< `min`, `mode`, `max`. */
    CXROI_DIST_PERT,        /**< `min`, `mode`, `max`, `lambda` (default 4): scaled beta. */
    CXROI_DIST_NORMAL,      /**< `mean`, `sd`, optional truncation `min`/`max`. */
    CXROI_DIST_LOGNORMAL,   /**< `mean`, `sd` of the variable itself (not of its log). */
    CXROI_DIST_BETA,        /**< `alpha`, `beta`, optional scale to [`min`, `max`]. */
    CXROI_DIST_DISCRETE     /**< `values` with probabilities `probs` (summing to 1). */
} cxroi_dist_kind;

/** A distribution. Only the fields of its kind are meaningful. */
typedef struct cxroi_dist {
    cxroi_dist_kind kind;
    double value;          /**< FIXED: the number. */
    double min, mode, max; /**< UNIFORM/TRIANGULAR/PERT bounds; NORMAL truncation; BETA scale. */
    double lambda;         /**< PERT shape, 4 by default. */
    double mean, sd;       /**< NORMAL (before truncation) and LOGNORMAL (of the variable). */
    double alpha, beta;    /**< BETA shape parameters. */
    bool has_min, has_max; /**< NORMAL truncation bounds / BETA scale given. */
    double *values;        /**< DISCRETE outcomes (owned; freed by cxroi_dist_clear()). */
    double *probs;         /**< DISCRETE probabilities (owned). */
    size_t n_values;       /**< DISCRETE number of outcomes. */
    bool has_base;         /**< `base:` given. */
    double base;           /**< The deterministic case's value when has_base. */
} cxroi_dist;

/** @brief Initialise @p d as the fixed number @p value (no allocation). */
void cxroi_dist_init_fixed(cxroi_dist *d, double value);

/**
 * @brief Initialise @p d as an empty distribution of @p kind (no allocation): every
 *        number 0, no truncation, no base, and the defaults of SPEC.md (PERT lambda 4).
 *
 * The loader then sets the fields it reads and calls cxroi_dist_check().
 */
void cxroi_dist_init(cxroi_dist *d, cxroi_dist_kind kind);

/** @brief Release what @p d owns (discrete arrays) and reset it to FIXED 0. Accepts NULL. */
void cxroi_dist_clear(cxroi_dist *d);

/**
 * @brief Deep copy @p src into @p dst (which must not own anything).
 * @return 0 on success, -1 when out of memory (dst is then FIXED 0).
 */
int cxroi_dist_copy(cxroi_dist *dst, const cxroi_dist *src);

/** @brief The YAML name of a kind ("pert", ...); "fixed" for CXROI_DIST_FIXED. */
const char *cxroi_dist_kind_name(cxroi_dist_kind kind);

/**
 * @brief Look up a kind by its YAML name (`uniform`, `triangular`, `pert`, `normal`,
 *        `lognormal`, `beta`, `discrete`).
 * @return true and sets @p kind when known, false otherwise.
 */
bool cxroi_dist_kind_from_name(const char *name, cxroi_dist_kind *kind);

/** @brief true unless the distribution is a fixed number (or a degenerate one). */
bool cxroi_dist_is_uncertain(const cxroi_dist *d);

/**
 * @brief Mean of the distribution (closed form; truncated normal included).
 * @pre cxroi_dist_check() accepted @p d.
 */
double cxroi_dist_mean(const cxroi_dist *d);

/** @brief Standard deviation (closed form). @pre cxroi_dist_check() accepted @p d. */
double cxroi_dist_sd(const cxroi_dist *d);

/** @brief The deterministic case's value: `base` when given, else the mean. */
double cxroi_dist_base(const cxroi_dist *d);

/**
 * @brief Quantile (inverse CDF) at probability @p p in [0, 1].
 *
 * For p = 0 and p = 1 this is the lower and upper end of the support (possibly
 * -inf/+inf). Discrete: the smallest value whose cumulative probability reaches p.
 * @pre cxroi_dist_check() accepted @p d.
 */
double cxroi_dist_quantile(const cxroi_dist *d, double p);

/**
 * @brief cxroi_dist_quantile() at @p n probabilities: x[k] = Q(p[k]), the support and the
 *        distribution's kind looked up once (the sampler's batch of draws).
 * @param[in] d The distribution (accepted by cxroi_dist_check()).
 * @param[in] p n probabilities; at 0 and 1 the ends of the support, NaN outside [0, 1].
 * @param[out] x n quantiles; may be @p p itself (each element is read before written).
 * @param[in] n The batch's size.
 */
void cxroi_dist_quantiles(const cxroi_dist *d, const double *p, double *x, size_t n);

/**
 * @brief The support [lo, hi] of the distribution (infinite ends allowed).
 */
void cxroi_dist_support(const cxroi_dist *d, double *lo, double *hi);

/**
 * @brief The probability a normal's untruncated form gives to its [min, max]. A tiny mass
 *        with the mean outside [min, max] means bounds far out in one tail, where every
 *        draw sits at a bound (a sign slip, most often).
 * @param[in] d A distribution accepted by cxroi_dist_check().
 * @return The mass in (0, 1]; 1 for an untruncated normal and for every other family.
 */
double cxroi_dist_truncated_mass(const cxroi_dist *d);

/** Probability cut from each infinite tail of a distribution in a simulation. */
#define CXROI_DIST_TAIL 1e-6

/**
 * @brief The range [lo, hi] a simulation draws the input in: the support, with an
 *        infinite end replaced by the CXROI_DIST_TAIL or 1 - CXROI_DIST_TAIL quantile
 *        (a revenue is never drawn negative; 2e-6 of probability mass is the price).
 *
 * Every draw is clamped to it, and the loader checks it against the input's domain.
 * @param[in] d A distribution accepted by cxroi_dist_check().
 * @param[out] lo The lowest value drawn.
 * @param[out] hi The highest value drawn.
 */
void cxroi_dist_draw_range(const cxroi_dist *d, double *lo, double *hi);

/**
 * @brief Validate the parameters of @p d.
 *
 * Checks, among others: every number finite; min < max; min <= mode <= max; sd > 0;
 * alpha, beta, lambda > 0; lognormal mean > 0; truncation bounds ordered and holding
 * probability mass; discrete probs in [0, 1] summing to 1 (within 1e-9) and values
 * non-empty; base within the support.
 * @param[in] d The distribution.
 * @param[out] field When invalid, the YAML key most to blame ("mode", "sd", "probs",
 *             "base", ...), for the error's location. May be NULL.
 * @param[out] msg When invalid, what was expected and what was found, e.g.
 *             "expected mode between min (10) and max (20), found 25". May be NULL.
 * @param[in] msg_size Size of @p msg.
 * @return true when valid.
 */
bool cxroi_dist_check(const cxroi_dist *d, const char **field, char *msg, size_t msg_size);

/**
 * @brief Describe @p d in words for a report, e.g. "PERT(min 1800000, mode 2000000,
 *        max 2800000)" or "fixed 0.35": numbers to 10 significant digits, so that an
 *        amount below ten billion reads as written, not as 1.8e+06.
 * @return The number of characters that would have been written (snprintf semantics).
 */
int cxroi_dist_describe(const cxroi_dist *d, char *buf, size_t size);

/* ---- Parameters for formula writers (Excel BETA.INV, LOGNORM.INV, ...) ---------- */

/**
 * @brief The shape of the beta behind a PERT: alpha = 1 + lambda (mode - min) / (max - min),
 *        beta = 1 + lambda (max - mode) / (max - min).
 * @pre @p d is a PERT accepted by cxroi_dist_check().
 */
void cxroi_dist_pert_shape(const cxroi_dist *d, double *alpha, double *beta);

/**
 * @brief The parameters of the log of a lognormal given by its own mean m and sd s:
 *        sigma^2 = ln(1 + s^2 / m^2), mu = ln(m) - sigma^2 / 2.
 * @pre @p d is a LOGNORMAL accepted by cxroi_dist_check().
 */
void cxroi_dist_lognormal_log_params(const cxroi_dist *d, double *mu, double *sigma);

/* ---- Sampling (issue 3) ------------------------------------------------------------ */

/**
 * @brief Draw one value of @p d with GSL's generators.
 *
 * Uniform: gsl_ran_flat; PERT and beta: gsl_ran_beta, scaled; normal: gsl_ran_gaussian_ziggurat
 * (truncated normal: inverse transform of one uniform, exact even in a far tail);
 * lognormal: gsl_ran_lognormal; triangular and discrete: inverse transform of one uniform;
 * fixed: the value, nothing drawn. Never allocates; the number of numbers taken from
 * @p r depends on the family (beta and gamma samplers use rejection), so reproducibility
 * needs a fixed generator state, not a fixed count of draws.
 * @param[in] d A distribution accepted by cxroi_dist_check().
 * @param[in] r The generator (its state advances; one generator per thread).
 * @return The draw.
 */
double cxroi_dist_sample(const cxroi_dist *d, const gsl_rng *r);

#endif /* CXROI_DIST_H */
