/*
 * sampler: draws the uncertain inputs of a scenario, block by block.
 *
 * Each block of CXROI_SIM_BLOCK iterations has its own random stream (GSL's taus2 seeded
 * from the run's seed and the block's index), so a block's draws do not depend on which
 * thread draws it or on the other blocks. Monte Carlo draws independent inputs straight
 * from GSL's samplers; Latin hypercube stratifies each input over the block. Correlated
 * inputs go through a Gaussian copula: normal scores z, z' = L z with L the Cholesky
 * factor of the Pearson matrix 2 sin(pi rho_s / 6) (which has exactly the requested
 * Spearman correlations), u = Phi(z'), x = Q(u): marginals are unchanged.
 */
#ifndef CXROI_SAMPLER_INTERNAL_H
#define CXROI_SAMPLER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"
#include "cxroi/scenario.h"

typedef struct cxroi_sampler cxroi_sampler;
typedef struct cxroi_sampler_workspace cxroi_sampler_workspace;

/* Prepare the sampling of `scenario`: uncertain inputs, quantile tables (built on up to
 * `threads` threads; the tables do not depend on it), the copula's Cholesky factor.
 * Errors (correlations that cannot be honoured) go to `diag`. */
cxroi_error cxroi_sampler_new(const cxroi_scenario *scenario, cxroi_sampling sampling,
                              unsigned threads, cxroi_diag *diag, cxroi_sampler **out);
void cxroi_sampler_free(cxroi_sampler *sampler);

/* The name of the GSL generator of every block's stream (gsl_rng_name()). */
const char *cxroi_sampler_generator(void);

/* The uncertain parameters, in the order of their index. */
size_t cxroi_sampler_count(const cxroi_sampler *sampler);
const size_t *cxroi_sampler_params(const cxroi_sampler *sampler);

/* Quantile of uncertain input j (0-based among the uncertain) at p in (0, 1), through
 * the same function the sampler uses. */
double cxroi_sampler_quantile(const cxroi_sampler *sampler, size_t j, double p);

/* Per-thread scratch: the random stream and the block's draws. */
cxroi_sampler_workspace *cxroi_sampler_workspace_alloc(const cxroi_sampler *sampler);
void cxroi_sampler_workspace_free(cxroi_sampler_workspace *ws);

/*
 * Draw the inputs of iterations block * CXROI_SIM_BLOCK .. + n - 1 (n <= CXROI_SIM_BLOCK)
 * and return them lane-major: parameter p of the block's iteration k is
 * values[p * CXROI_SIM_BLOCK + k]; fixed parameters at their value, uncertain ones drawn.
 * The array is the workspace's, valid until its next fill. Deterministic in (seed,
 * block, n).
 */
const double *cxroi_sampler_fill_block(const cxroi_sampler *sampler, cxroi_sampler_workspace *ws,
                                      uint64_t seed, size_t block, size_t n);

#endif /* CXROI_SAMPLER_INTERNAL_H */
