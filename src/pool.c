/* A loop spread over threads: indices handed out by an atomic counter. */
#include "pool_internal.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct pool_task {
    void (*fn)(void *ctx, size_t k, size_t worker);
    void *ctx;
    size_t count;
    atomic_size_t next;
} pool_task;

typedef struct pool_worker {
    pool_task *task;
    size_t id;
    pthread_t thread;
} pool_worker;

static void *pool_work(void *arg)
{
    pool_worker *w = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&w->task->next, 1);
        if (k >= w->task->count)
            break;
        w->task->fn(w->task->ctx, k, w->id);
    }
    return NULL;
}

void cxroi_pool_for(unsigned threads, size_t count, void (*fn)(void *ctx, size_t k, size_t worker),
                    void *ctx)
{
    pool_task task = {fn, ctx, count, 0};
    pool_worker workers[CXROI_POOL_MAX_THREADS];
    if (threads > CXROI_POOL_MAX_THREADS)
        threads = CXROI_POOL_MAX_THREADS;
    if (threads == 0)
        threads = 1;
    if (threads > count)
        threads = count > 0 ? (unsigned)count : 1u;
    size_t started = 1;
    for (size_t t = 0; t < threads; t++) {
        workers[t].task = &task;
        workers[t].id = t;
    }
    for (size_t t = 1; t < threads; t++) {
        if (pthread_create(&workers[t].thread, NULL, pool_work, &workers[t]) != 0)
            break;
        started++;
    }
    pool_work(&workers[0]);
    for (size_t t = 1; t < started; t++)
        pthread_join(workers[t].thread, NULL);
}
