/*
 * pool (internal): a loop spread over threads, for the engine's parallel steps (the
 * statistics, the quantile tables, the portfolio frontier).
 */
#ifndef CXROI_POOL_INTERNAL_H
#define CXROI_POOL_INTERNAL_H

#include <stddef.h>

/* The most threads cxroi_pool_for() uses; a larger count is reduced to it. */
#define CXROI_POOL_MAX_THREADS 64

/*
 * Runs fn(ctx, k, worker) for k = 0..count-1 on up to `threads` threads, the calling
 * one included (worker 0), handing out the indices one at a time in ascending order;
 * worker is the thread's index below `threads`, for per-thread scratch. Returns when
 * every call has returned. A thread that cannot be started leaves its share to the
 * others, so the calls are made whatever happens; fn must not depend on which worker
 * makes a call for its result.
 */
void cxroi_pool_for(unsigned threads, size_t count, void (*fn)(void *ctx, size_t k, size_t worker),
                    void *ctx);

#endif /* CXROI_POOL_INTERNAL_H */
