/* The funding line (exact branch and bound), the efficient frontier and the value
 * matrix. */
#include "cxroi/portfolio.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clones_internal.h"
#include "pool_internal.h"

/* Distinct subset sums collected for the frontier before falling back to a grid. */
#define SUBSET_SUMS_MAX (4 * CXROI_PORTFOLIO_MAX_FRONTIER)

/* ---------------------------------------------------------------------------------- */
/* The exact search                                                                    */

typedef struct solver {
    const cxroi_portfolio_problem *p;
    double cap;           /* effective budget: budget (1 + slack), or +inf */
    bool loss;            /* a loss constraint applies */
    size_t max_losses;    /* largest L with L / n_samples <= max_loss_probability */
    size_t *order;        /* open initiatives in search order */
    size_t m;
    size_t *adj_start;    /* exclusive conflicts as adjacency lists: adj[adj_start[i]..] */
    size_t *adj;
    unsigned *blocked;    /* number of funded initiatives that exclude i */
    bool *in;             /* the current set */
    bool *best;           /* the best set found */
    double best_value;
    bool have_best;
    double work;
    double max_work;
    bool stopped;
    size_t *members;      /* scratch: the members of a set, in index order */
} solver;

static void include(solver *S, size_t i)
{
    S->in[i] = true;
    for (size_t a = S->adj_start[i]; a < S->adj_start[i + 1]; a++)
        S->blocked[S->adj[a]]++;
}

static void exclude(solver *S, size_t i)
{
    S->in[i] = false;
    for (size_t a = S->adj_start[i]; a < S->adj_start[i + 1]; a++)
        S->blocked[S->adj[a]]--;
}

/* Losses of a set over the iterations: its NPV in iteration k is the sum of its members'
 * NPVs, added in index order (as the reported distribution is), and a loss is a sum
 * below 0. Stops as soon as the count exceeds @p limit. */
static size_t count_losses(const cxroi_portfolio_problem *p, const bool *set, size_t limit,
                           size_t *members, double *work)
{
    size_t losses = 0, k, count = 0;
    for (size_t i = 0; i < p->n; i++)
        if (set[i])
            members[count++] = i;
    for (k = 0; k < p->n_samples && losses <= limit; k++) {
        double sum = 0.0;
        for (size_t j = 0; j < count; j++)
            sum += p->npv_samples[members[j] * p->stride + k];
        losses += sum < 0.0;
    }
    *work += (double)k * (double)(count ? count : 1) + (double)p->n;
    return losses;
}

/* Expected NPV of a set (initiatives' values added in index order) and, when cost is
 * not NULL, its upfront cost. */
static double set_value(const cxroi_portfolio_problem *p, const bool *set, double *cost)
{
    double v = 0.0, c = 0.0;
    for (size_t i = 0; i < p->n; i++)
        if (set[i]) {
            v += p->npv_expected[i];
            c += p->upfront[i];
        }
    if (cost)
        *cost = c;
    return v;
}

/* `set` is the best so far, worth `value`. */
static void keep_best(solver *S, const bool *set, double value)
{
    memcpy(S->best, set, S->p->n * sizeof(bool));
    S->best_value = value;
    S->have_best = true;
}

/* The current set improves on the best: keep it if it meets the loss constraint. */
static void consider(solver *S, double value)
{
    if (S->loss &&
        count_losses(S->p, S->in, S->max_losses, S->members, &S->work) > S->max_losses)
        return;
    keep_best(S, S->in, value);
}

/* Upper bound on the value of any set below this node: the fractional knapsack over the
 * open initiatives of positive value (taken in decreasing value per unit cost, the last
 * one in part). Dropping the exclusive groups and the loss constraint can only raise it,
 * and initiatives already excluded by a group are skipped, which keeps it valid. */
static double bound(const solver *S, size_t depth, double value, double cost)
{
    const cxroi_portfolio_problem *p = S->p;
    double room = S->cap - cost, b = value;
    for (size_t d = depth; d < S->m; d++) {
        size_t i = S->order[d];
        if (!(p->npv_expected[i] > 0.0))
            break; /* the positive ones come first */
        if (S->blocked[i])
            continue;
        if (p->upfront[i] <= room) {
            room -= p->upfront[i];
            b += p->npv_expected[i];
        } else {
            b += p->npv_expected[i] * (room / p->upfront[i]);
            break;
        }
    }
    return b;
}

/* Depth-first: fund order[depth] first, then leave it out. Every set met is a
 * candidate exactly once, at the node where its last member was added. */
static void search(solver *S, size_t depth, double value, double cost)
{
    if (S->stopped)
        return;
    S->work += 1.0;
    if (S->work > S->max_work) {
        S->stopped = true;
        return;
    }
    if (depth == S->m)
        return;
    if (S->have_best && bound(S, depth, value, cost) <= S->best_value)
        return;
    const cxroi_portfolio_problem *p = S->p;
    size_t i = S->order[depth];
    if (!S->blocked[i] && cost + p->upfront[i] <= S->cap) {
        include(S, i);
        double v = value + p->npv_expected[i];
        if (!S->have_best || v > S->best_value)
            consider(S, v);
        search(S, depth + 1, v, cost + p->upfront[i]);
        exclude(S, i);
    }
    search(S, depth + 1, value, cost);
}

/* With a loss limit the value bound ignores what most prunes, so good first sets
 * matter: one pass in search order adds each initiative that fits. With
 * @p keep_feasible, an initiative stays only if the set keeps the loss limit; without,
 * every prefix of the pass is a candidate (a single initiative may lose too often while
 * a diversified set does not). The search then only has to beat the best of them;
 * should it stop at its work limit, that is what remains. */
static void greedy_start(solver *S, double value, double cost, bool keep_feasible)
{
    const cxroi_portfolio_problem *p = S->p;
    size_t added = 0;
    for (size_t d = 0; d < S->m; d++) {
        size_t i = S->order[d];
        if (!(p->npv_expected[i] > 0.0) || S->blocked[i] || !(cost + p->upfront[i] <= S->cap))
            continue;
        include(S, i);
        bool ok = count_losses(p, S->in, S->max_losses, S->members, &S->work) <= S->max_losses;
        if (keep_feasible && !ok) {
            exclude(S, i);
            continue;
        }
        value += p->npv_expected[i];
        cost += p->upfront[i];
        added++;
        if (ok && (!S->have_best || value > S->best_value))
            keep_best(S, S->in, value);
    }
    /* Repair the full pass: while it breaks the loss limit, drop the initiative whose
     * removal leaves the fewest losses (within half the work limit). */
    bool *must = NULL;
    if (!keep_feasible && added > 0 && (must = calloc(p->n, sizeof(bool))) != NULL) {
        for (size_t j = 0; j < p->n_must_fund; j++)
            must[p->must_fund[j]] = true;
        size_t left = added;
        while (left > 0 && S->work < 0.5 * S->max_work) {
            size_t losses = count_losses(p, S->in, S->max_losses, S->members, &S->work);
            if (losses <= S->max_losses) {
                if (!S->have_best || value > S->best_value)
                    keep_best(S, S->in, value);
                break;
            }
            size_t drop = p->n, fewest = SIZE_MAX;
            for (size_t i = 0; i < p->n; i++) {
                if (!S->in[i] || must[i])
                    continue;
                S->in[i] = false;
                size_t l = count_losses(p, S->in, p->n_samples, S->members, &S->work);
                S->in[i] = true;
                if (l < fewest) {
                    fewest = l;
                    drop = i;
                }
            }
            if (drop == p->n)
                break;
            exclude(S, drop);
            value -= p->npv_expected[drop];
            left--;
        }
        added = left;
    }
    free(must);
    for (size_t d = S->m; added > 0 && d-- > 0;)
        if (S->in[S->order[d]]) {
            exclude(S, S->order[d]);
            added--;
        }
}

/* An item to sort: by group (ascending), then key (descending), then index. The search
 * order and the funding chart's ranking are both this. */
typedef struct keyed {
    int group;
    double key;
    size_t index;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static double ratio(double value, double cost)
{
    if (cost > 0.0)
        return value / cost;
    return value > 0.0 ? INFINITY : value < 0.0 ? -INFINITY : 0.0;
}

static bool valid_problem(const cxroi_portfolio_problem *p)
{
    if (!p || (p->n > 0 && (!p->npv_expected || !p->upfront)))
        return false;
    if (p->has_max_loss_probability && p->n > 0 && (!p->npv_samples || p->n_samples == 0))
        return false;
    if (p->n_must_fund > 0 && !p->must_fund)
        return false;
    if (p->n_exclusive > 0 && !p->exclusive)
        return false;
    for (size_t j = 0; j < p->n_must_fund; j++)
        if (p->must_fund[j] >= p->n)
            return false;
    for (size_t g = 0; g < p->n_exclusive; g++) {
        if (p->exclusive[g].count > 0 && !p->exclusive[g].members)
            return false;
        for (size_t j = 0; j < p->exclusive[g].count; j++)
            if (p->exclusive[g].members[j] >= p->n)
                return false;
    }
    return true;
}

static void solver_free(solver *S)
{
    free(S->order);
    free(S->adj_start);
    free(S->adj);
    free(S->blocked);
    free(S->in);
    free(S->best);
    free(S->members);
}

/* Exclusive groups as a conflict list per initiative (both directions, a pair listed
 * once per group it shares; duplicates within a group ignored). */
static bool build_conflicts(solver *S)
{
    const cxroi_portfolio_problem *p = S->p;
    size_t n = p->n, total = 0;
    S->adj_start = calloc(n + 1, sizeof(size_t));
    if (!S->adj_start)
        return false;
    for (size_t g = 0; g < p->n_exclusive; g++) {
        const cxroi_group *G = &p->exclusive[g];
        for (size_t a = 0; a < G->count; a++)
            for (size_t b = 0; b < G->count; b++)
                if (G->members[a] != G->members[b]) {
                    S->adj_start[G->members[a] + 1]++;
                    total++;
                }
    }
    for (size_t i = 0; i < n; i++)
        S->adj_start[i + 1] += S->adj_start[i];
    S->adj = malloc((total ? total : 1) * sizeof(size_t));
    size_t *fill = calloc(n ? n : 1, sizeof(size_t));
    if (!S->adj || !fill) {
        free(fill);
        return false;
    }
    for (size_t g = 0; g < p->n_exclusive; g++) {
        const cxroi_group *G = &p->exclusive[g];
        for (size_t a = 0; a < G->count; a++)
            for (size_t b = 0; b < G->count; b++)
                if (G->members[a] != G->members[b]) {
                    size_t i = G->members[a];
                    S->adj[S->adj_start[i] + fill[i]++] = G->members[b];
                }
    }
    free(fill);
    return true;
}

/* Largest L with L / n <= x, the division done as P(loss) is computed. */
static size_t allowed_losses(double x, size_t n)
{
    double f = floor(x * (double)n);
    size_t l = f > 0.0 ? (size_t)f : 0;
    if (l > n)
        l = n;
    while (l < n && (double)(l + 1) / (double)n <= x)
        l++;
    while (l > 0 && (double)l / (double)n > x)
        l--;
    return l;
}

cxroi_error cxroi_portfolio_select(const cxroi_portfolio_problem *problem, const bool *start,
                                   bool *funded, cxroi_portfolio_selection *out)
{
    if (!out || !valid_problem(problem) || (problem->n > 0 && !funded))
        return CXROI_ERROR_ARGUMENT;
    const cxroi_portfolio_problem *p = problem;
    size_t n = p->n;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        funded[i] = false;
    solver S = {0};
    S.p = p;
    S.cap = p->has_budget ? cxroi_budget_cap(p->budget) : INFINITY;
    S.loss = p->has_max_loss_probability;
    S.max_work = p->max_work > 0.0 ? p->max_work : CXROI_PORTFOLIO_MAX_WORK;
    if (S.loss)
        S.max_losses = allowed_losses(p->max_loss_probability, p->n_samples);
    cxroi_error err = CXROI_ERROR_NOMEM;
    keyed *keys = malloc((n ? n : 1) * sizeof(keyed));
    S.order = malloc((n ? n : 1) * sizeof(size_t));
    S.blocked = calloc(n ? n : 1, sizeof(unsigned));
    S.in = calloc(n ? n : 1, sizeof(bool));
    S.best = calloc(n ? n : 1, sizeof(bool));
    S.members = malloc((n ? n : 1) * sizeof(size_t));
    if (!keys || !S.order || !S.blocked || !S.in || !S.best || !S.members ||
        !build_conflicts(&S))
        goto done;

    /* Must-fund initiatives are in from the start; they must fit and not exclude each
     * other. */
    double value = 0.0, cost = 0.0;
    bool feasible = true;
    for (size_t j = 0; j < p->n_must_fund; j++) {
        size_t i = p->must_fund[j];
        if (S.in[i])
            continue;
        if (S.blocked[i])
            feasible = false;
        include(&S, i);
        value += p->npv_expected[i];
        cost += p->upfront[i];
    }
    if (!(cost <= S.cap))
        feasible = false;
    err = CXROI_OK;
    if (!feasible) {
        out->optimal = false;
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (S.in[i] || S.blocked[i] || !(cost + p->upfront[i] <= S.cap))
            continue;
        bool positive = p->npv_expected[i] > 0.0;
        if (!positive && !S.loss)
            continue; /* never raises the value, and nothing else to gain from it */
        /* Search order: positive expected NPV first, by decreasing NPV per unit of cost
         * (free ones first), which makes the bound tight; then the others by NPV. */
        keys[m].group = positive ? 0 : 1;
        keys[m].key = positive ? ratio(p->npv_expected[i], p->upfront[i]) : p->npv_expected[i];
        keys[m].index = i;
        m++;
    }
    qsort(keys, m, sizeof(keyed), compare_keyed);
    for (size_t d = 0; d < m; d++)
        S.order[d] = keys[d].index;
    S.m = m;

    /* The must-fund set alone is the first candidate. */
    consider(&S, value);
    if (S.loss) {
        greedy_start(&S, value, cost, true);
        greedy_start(&S, value, cost, false);
    }
    /* A known feasible set (the previous frontier point) raises the bar at once. */
    if (start) {
        double sc, sv = set_value(p, start, &sc);
        bool ok = true;
        for (size_t j = 0; j < p->n_must_fund; j++)
            ok &= start[p->must_fund[j]];
        /* exclusivity of the start set */
        for (size_t i = 0; ok && i < n; i++)
            for (size_t a = S.adj_start[i]; start[i] && a < S.adj_start[i + 1]; a++)
                ok &= !start[S.adj[a]];
        if (ok && sc <= S.cap && (!S.have_best || sv > S.best_value) &&
            (!S.loss ||
             count_losses(p, start, S.max_losses, S.members, &S.work) <= S.max_losses))
            keep_best(&S, start, sv);
    }
    search(&S, 0, value, cost);
    out->work = S.work;
    if (S.have_best) {
        out->feasible = true;
        out->optimal = !S.stopped;
        out->value = S.best_value;
        memcpy(funded, S.best, n * sizeof(bool));
    }
done:
    free(keys);
    solver_free(&S);
    return err;
}

/* ---------------------------------------------------------------------------------- */
/* Distribution of a set, frontier, ranking, value matrix                              */

/* NPV of the funded set in each iteration: the members' NPVs added in index order (so
 * shared inputs and correlations carry through); summary and P(NPV > 0), P(NPV < 0). */
static void set_distribution(const cxroi_simulation *sim, const bool *funded, double *sums,
                             double *scratch, cxroi_summary *summary,
                             cxroi_distribution *distribution, double *prob_pos, double *prob_neg)
{
    size_t n = sim->iterations, cap = sim->iterations_cap, pos = 0, neg = 0;
    for (size_t k = 0; k < n; k++)
        sums[k] = 0.0;
    for (size_t i = 0; i < sim->n_initiatives; i++)
        if (funded[i])
            for (size_t k = 0; k < n; k++)
                sums[k] += sim->npv[i * cap + k];
    for (size_t k = 0; k < n; k++) {
        pos += sums[k] > 0.0;
        neg += sums[k] < 0.0;
    }
    if (summary)
        cxroi_summary_compute_distribution(sums, n, scratch, summary, distribution);
    *prob_pos = (double)pos / (double)n;
    if (prob_neg)
        *prob_neg = (double)neg / (double)n;
}

/* Iterations a tile of frontier_probabilities() sums at once (on the stack, in L1). */
#define FRONTIER_TILE 2048

/* What the frontier's tiles share: the NPVs, the points, a row of counts per worker. */
typedef struct frontier_ctx {
    const cxroi_simulation *sim;
    const cxroi_portfolio *P;
    size_t *positive; /* positive[w * n_frontier + j]: point j's count on worker w */
} frontier_ctx;

/*
 * One tile of iterations for every frontier point: in each iteration the point's
 * members' NPVs added in index order, as set_distribution() adds them (so a point equal
 * to the funded set gets the same figure), for all the points while the tile is in the
 * cache: every member's NPVs are read from memory once per tile, not once per point.
 */
CXROI_CLONES static void frontier_tile(void *arg, size_t tile_index, size_t worker)
{
    const frontier_ctx *c = arg;
    const cxroi_simulation *sim = c->sim;
    const cxroi_portfolio *P = c->P;
    size_t n = sim->iterations, cap = sim->iterations_cap, ni = sim->n_initiatives;
    size_t t0 = tile_index * FRONTIER_TILE;
    size_t len = n - t0 < FRONTIER_TILE ? n - t0 : FRONTIER_TILE;
    size_t *positive = c->positive + worker * P->n_frontier;
    double tile[FRONTIER_TILE];
    for (size_t j = 0; j < P->n_frontier; j++) {
        const bool *funded = P->frontier[j].funded;
        size_t i = 0;
        while (i < ni && !funded[i])
            i++;
        if (i == ni) /* funds nothing: NPV 0, never positive */
            continue;
        /* The first member's NPVs as they are: 0 + x = x, but for the sign of a zero,
         * which no comparison with 0 sees. */
        memcpy(tile, sim->npv + i * cap + t0, len * sizeof(double));
        for (i++; i < ni; i++) {
            if (!funded[i])
                continue;
            const double *npv = sim->npv + i * cap + t0;
            for (size_t k = 0; k < len; k++)
                tile[k] += npv[k];
        }
        size_t count = 0;
        for (size_t k = 0; k < len; k++)
            count += tile[k] > 0.0;
        positive[j] += count;
    }
}

/* P(NPV > 0) of every frontier point, the tiles spread over the simulation's threads:
 * whole counts, so the figures do not depend on how the tiles were shared. */
static cxroi_error frontier_probabilities(const cxroi_simulation *sim, cxroi_portfolio *P)
{
    unsigned threads = sim->threads ? sim->threads : 1;
    if (threads > CXROI_POOL_MAX_THREADS)
        threads = CXROI_POOL_MAX_THREADS;
    frontier_ctx c = {sim, P, calloc((size_t)threads * (P->n_frontier ? P->n_frontier : 1),
                                     sizeof(size_t))};
    if (!c.positive)
        return CXROI_ERROR_NOMEM;
    size_t n = sim->iterations;
    cxroi_pool_for(threads, (n + FRONTIER_TILE - 1) / FRONTIER_TILE, frontier_tile, &c);
    for (size_t j = 0; j < P->n_frontier; j++) {
        size_t positive = 0;
        for (unsigned w = 0; w < threads; w++)
            positive += c.positive[w * P->n_frontier + j];
        P->frontier[j].prob_npv_positive = (double)positive / (double)n;
    }
    free(c.positive);
    return CXROI_OK;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* Distinct subset sums of the costs, sorted, in @p out (capacity SUBSET_SUMS_MAX);
 * returns their number, or 0 when there are more than that (use a grid). Each step
 * merges S and S + c, both sorted, dropping duplicates. */
static size_t subset_sums(const double *cost, size_t n, double *out, double *tmp)
{
    size_t count = 1;
    out[0] = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t a = 0, b = 0, k = 0;
        while (a < count || b < count) {
            double x;
            if (b >= count || (a < count && out[a] <= out[b] + cost[i]))
                x = out[a++];
            else
                x = out[b++] + cost[i];
            if (k > 0 && tmp[k - 1] == x)
                continue;
            if (k == SUBSET_SUMS_MAX)
                return 0;
            tmp[k++] = x;
        }
        memcpy(out, tmp, k * sizeof(double));
        count = k;
    }
    return count;
}

/* Budgets of the frontier: every distinct spend level from the cheapest initiative to
 * the sum of all when there are at most CXROI_PORTFOLIO_MAX_FRONTIER of them; else an
 * even grid between the two with the scenario's budget added. Returns the count. */
static size_t frontier_budgets(const cxroi_portfolio_problem *p, double *levels, double *tmp)
{
    if (p->n == 0)
        return 0;
    double lo = INFINITY, hi = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        lo = p->upfront[i] < lo ? p->upfront[i] : lo;
        hi += p->upfront[i];
    }
    size_t count = subset_sums(p->upfront, p->n, levels, tmp), k = 0;
    if (count > 0) {
        for (size_t j = 0; j < count; j++)
            if (levels[j] >= lo && k < CXROI_PORTFOLIO_MAX_FRONTIER + 1)
                levels[k++] = levels[j];
        if (k <= CXROI_PORTFOLIO_MAX_FRONTIER)
            return k;
    }
    size_t g = CXROI_PORTFOLIO_MAX_FRONTIER - 1;
    for (k = 0; k < g; k++)
        levels[k] = k + 1 == g ? hi : lo + (hi - lo) * (double)k / (double)(g - 1);
    if (p->has_budget && p->budget > lo && p->budget < hi)
        levels[k++] = p->budget;
    qsort(levels, k, sizeof(double), compare_double);
    size_t u = 0;
    for (size_t j = 0; j < k; j++)
        if (u == 0 || levels[j] > levels[u - 1])
            levels[u++] = levels[j];
    return u;
}

static bool same_set(const bool *a, const bool *b, size_t n)
{
    return memcmp(a, b, n * sizeof(bool)) == 0;
}


/* The optimal set at each frontier budget, each search started from the previous
 * point's set (feasible at any larger budget), so the expected NPV cannot fall. */
static cxroi_error build_frontier(const cxroi_portfolio_problem *base, const cxroi_simulation *sim,
                                  cxroi_portfolio *P, bool *all_optimal)
{
    size_t n = base->n;
    cxroi_error err = CXROI_ERROR_NOMEM;
    double *levels = malloc(SUBSET_SUMS_MAX * sizeof(double));
    double *tmp = malloc(SUBSET_SUMS_MAX * sizeof(double));
    bool *set = malloc((n ? n : 1) * sizeof(bool));
    P->frontier = calloc(CXROI_PORTFOLIO_MAX_FRONTIER + 1, sizeof(cxroi_frontier_point));
    if (!levels || !tmp || !set || !P->frontier)
        goto done;
    size_t count = frontier_budgets(base, levels, tmp);
    /* One more search's worth of work, shared out over the points still to do. */
    double remaining = CXROI_PORTFOLIO_MAX_WORK;
    for (size_t j = 0; j < count; j++) {
        cxroi_portfolio_problem q = *base;
        q.has_budget = true;
        q.budget = levels[j];
        q.max_work = fmax(remaining / (double)(count - j), 1e5);
        /* the previous point, whose set starts this search */
        const cxroi_frontier_point *prev = P->n_frontier ? &P->frontier[P->n_frontier - 1] : NULL;
        cxroi_portfolio_selection sel;
        err = cxroi_portfolio_select(&q, prev ? prev->funded : NULL, set, &sel);
        if (err != CXROI_OK)
            goto done;
        remaining = fmax(remaining - sel.work, 0.0);
        if (!sel.feasible)
            continue; /* below the must-fund spend, or nothing meets the loss limit */
        *all_optimal &= sel.optimal;
        double cost, value = set_value(base, set, &cost);
        /* Two sets within a rounding of each other may compare differently in another
         * summation order: never report a step down. */
        if (prev && value < prev->npv_mean) {
            memcpy(set, prev->funded, n * sizeof(bool));
            value = prev->npv_mean;
            cost = prev->upfront;
        }
        if (prev && same_set(set, prev->funded, n) && j + 1 < count)
            continue;
        cxroi_frontier_point *pt = &P->frontier[P->n_frontier];
        pt->funded = malloc((n ? n : 1) * sizeof(bool));
        if (!pt->funded) {
            err = CXROI_ERROR_NOMEM;
            goto done;
        }
        P->n_frontier++;
        memcpy(pt->funded, set, n * sizeof(bool));
        pt->budget = levels[j];
        pt->npv_mean = value;
        pt->upfront = cost;
        if (prev)
            pt->marginal_value = (pt->npv_mean - prev->npv_mean) / (pt->budget - prev->budget);
    }
    err = frontier_probabilities(sim, P);
done:
    free(levels);
    free(tmp);
    free(set);
    return err;
}

/* pv[s][t] = sum over tagged initiatives i of benefit_pv[i][s] w_i[t]; an initiative
 * without touchpoints adds its segment value to untagged[s] instead; direct benefits
 * are no segment's and go to `direct`. All initiatives count, funded or not: the matrix
 * shows where the proposals generate value. */
static cxroi_error build_matrix(const cxroi_scenario *sc, const cxroi_simulation *sim,
                                cxroi_value_matrix *M)
{
    size_t ns = sc->n_segments, nt = sc->n_touchpoints;
    M->n_segments = ns;
    M->n_touchpoints = nt;
    size_t cells = ns * nt > 0 ? ns * nt : 1;
    M->pv = calloc(cells, sizeof(double));
    M->untapped = malloc(cells * sizeof(bool));
    M->segment_total = calloc(ns ? ns : 1, sizeof(double));
    M->untagged = calloc(ns ? ns : 1, sizeof(double));
    if (!M->pv || !M->untapped || !M->segment_total || !M->untagged)
        return CXROI_ERROR_NOMEM;
    for (size_t c = 0; c < ns * nt; c++)
        M->untapped[c] = true;
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        const cxroi_initiative *in = &sc->initiatives[i];
        const double *row = sim->benefit_pv + i * (ns + 1);
        bool tagged = false;
        for (size_t t = 0; t < nt; t++)
            tagged |= in->touchpoint_weights && in->touchpoint_weights[t] > 0.0;
        for (size_t s = 0; s < ns; s++) {
            M->segment_total[s] += row[s];
            if (!tagged) {
                M->untagged[s] += row[s];
                continue;
            }
            for (size_t t = 0; t < nt; t++)
                M->pv[s * nt + t] += row[s] * in->touchpoint_weights[t];
        }
        M->direct += row[ns];
        for (size_t e = 0; tagged && e < in->n_effects; e++)
            for (size_t t = 0; t < nt; t++)
                if (in->touchpoint_weights[t] > 0.0 && in->effects[e].segment < ns)
                    M->untapped[in->effects[e].segment * nt + t] = false;
    }
    return CXROI_OK;
}

void cxroi_portfolio_free(cxroi_portfolio *portfolio)
{
    if (!portfolio)
        return;
    free(portfolio->funded);
    free(portfolio->ranking);
    free(portfolio->npv_expected);
    free(portfolio->upfront_cost);
    if (portfolio->frontier)
        for (size_t j = 0; j < portfolio->n_frontier; j++)
            free(portfolio->frontier[j].funded);
    free(portfolio->frontier);
    free(portfolio->matrix.pv);
    free(portfolio->matrix.segment_total);
    free(portfolio->matrix.untagged);
    free(portfolio->matrix.untapped);
    free(portfolio);
}

/* Why no set meets the constraints, said where the constraint is written. */
static void warn_infeasible(const cxroi_scenario *sc, const cxroi_portfolio_problem *p,
                            cxroi_diag *diag)
{
    const cxroi_portfolio_spec *spec = &sc->portfolio;
    double must_cost = 0.0;
    bool *seen = calloc(p->n ? p->n : 1, sizeof(bool));
    for (size_t j = 0; seen && j < p->n_must_fund; j++)
        if (!seen[p->must_fund[j]]) {
            seen[p->must_fund[j]] = true;
            must_cost += p->upfront[p->must_fund[j]];
        }
    /* Two must-fund initiatives in one exclusive group. */
    for (size_t g = 0; seen && g < spec->n_exclusive; g++) {
        const cxroi_group *G = &spec->exclusive[g];
        size_t hits = 0, first = 0, second = 0;
        for (size_t a = 0; a < G->count; a++) {
            size_t i = G->members[a];
            if (!seen[i] || (hits > 0 && i == first))
                continue;
            if (hits == 0)
                first = i;
            else if (hits == 1)
                second = i;
            hits++;
        }
        if (hits >= 2) {
            cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, G->mark.file, G->mark.line,
                           G->mark.column,
                           "portfolio.exclusive[%zu]: must_fund holds both '%s' and '%s', "
                           "which this group allows only one of: no set is funded",
                           g, sc->initiatives[first].id, sc->initiatives[second].id);
            free(seen);
            return;
        }
    }
    free(seen);
    const cxroi_mark *m = &spec->must_fund.mark;
    if (p->has_budget && must_cost > cxroi_budget_cap(p->budget)) {
        cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, m->file ? m->file : sc->file, m->line,
                       m->column,
                       "portfolio.must_fund: the must-fund initiatives cost %.17g upfront, "
                       "more than portfolio.budget %.17g: no set is funded",
                       must_cost, p->budget);
        return;
    }
    if (p->n_must_fund > 0)
        cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, m->file ? m->file : sc->file, m->line,
                       m->column,
                       "portfolio.max_loss_probability: no set that funds portfolio.must_fund "
                       "keeps P(portfolio NPV < 0) at most %.6g over the %zu iterations: no "
                       "set is funded",
                       p->max_loss_probability, p->n_samples);
    else
        cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, sc->file, 0, 0,
                       "portfolio: no set meets the constraints: no set is funded");
}

cxroi_error cxroi_portfolio_run(const cxroi_scenario *scenario, const double *base_values,
                                const cxroi_simulation *sim, cxroi_diag *diag,
                                cxroi_portfolio **out)
{
    if (!out)
        return CXROI_ERROR_ARGUMENT;
    *out = NULL;
    if (!scenario || !base_values || !sim || sim->n_initiatives != scenario->n_initiatives ||
        sim->iterations == 0 || !sim->benefit_pv || sim->n_segments != scenario->n_segments)
        return CXROI_ERROR_ARGUMENT;
    const cxroi_scenario *sc = scenario;
    const cxroi_portfolio_spec *spec = &sc->portfolio;
    size_t n = sc->n_initiatives, iters = sim->iterations;
    cxroi_error err = CXROI_ERROR_NOMEM;
    double *sums = malloc(iters * sizeof(double));
    double *scratch = malloc(iters * sizeof(double));
    keyed *items = malloc((n ? n : 1) * sizeof(keyed));
    cxroi_portfolio *P = calloc(1, sizeof(*P));
    if (!sums || !scratch || !items || !P)
        goto done;
    P->n_initiatives = n;
    P->has_budget = spec->has_budget;
    P->budget = spec->budget;
    P->funded = calloc(n ? n : 1, sizeof(bool));
    P->ranking = malloc((n ? n : 1) * sizeof(size_t));
    P->npv_expected = malloc((n ? n : 1) * sizeof(double));
    P->upfront_cost = malloc((n ? n : 1) * sizeof(double));
    if (!P->funded || !P->ranking || !P->npv_expected || !P->upfront_cost)
        goto done;
    for (size_t i = 0; i < n; i++) {
        size_t u = sc->initiatives[i].upfront;
        P->upfront_cost[i] = u == CXROI_NONE ? 0.0 : base_values[u];
        P->npv_expected[i] = sim->initiatives[i].npv.mean;
    }
    cxroi_portfolio_problem prob = {
        .n = n,
        .npv_expected = P->npv_expected,
        .upfront = P->upfront_cost,
        .has_budget = spec->has_budget,
        .budget = spec->budget,
        .has_max_loss_probability = spec->has_max_loss_probability,
        .max_loss_probability = spec->max_loss_probability,
        .npv_samples = sim->npv,
        .stride = sim->iterations_cap,
        .n_samples = iters,
        .must_fund = spec->must_fund.members,
        .n_must_fund = spec->must_fund.count,
        .exclusive = spec->exclusive,
        .n_exclusive = spec->n_exclusive,
    };
    cxroi_portfolio_selection sel;
    err = cxroi_portfolio_select(&prob, NULL, P->funded, &sel);
    if (err != CXROI_OK)
        goto done;
    P->feasible = sel.feasible;
    P->optimal = sel.optimal;
    if (!sel.feasible)
        warn_infeasible(sc, &prob, diag);
    for (size_t i = 0; i < n; i++)
        P->n_funded += P->funded[i];
    double funded_value = set_value(&prob, P->funded, &P->upfront);
    set_distribution(sim, P->funded, sums, scratch, &P->npv, &P->npv_distribution,
                     &P->prob_npv_positive, &P->prob_npv_negative);

    bool all_optimal = true;
    err = build_frontier(&prob, sim, P, &all_optimal);
    if (err != CXROI_OK)
        goto done;
    if (!sel.optimal && sel.feasible)
        all_optimal = false;
    if (!all_optimal)
        cxroi_diag_add(diag, CXROI_SEVERITY_WARNING, sc->file, 0, 0,
                       "portfolio: the exact search stopped at its work limit (%.3g steps) "
                       "before proving the best set; the sets reported are the best found",
                       CXROI_PORTFOLIO_MAX_WORK);
    /* Marginal value of budget: the next frontier point above the budget that adds
     * expected NPV, and the NPV it adds per extra unit of budget. */
    if (spec->has_budget && sel.feasible) {
        for (size_t j = 0; j < P->n_frontier; j++) {
            const cxroi_frontier_point *pt = &P->frontier[j];
            if (pt->budget > spec->budget && pt->npv_mean > funded_value) {
                P->has_marginal = true;
                P->next_budget = pt->budget;
                P->marginal_value = (pt->npv_mean - funded_value) / (pt->budget - spec->budget);
                break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        /* Funded first, then by decreasing expected NPV per unit of upfront cost. */
        items[i].group = P->funded[i] ? 0 : 1;
        items[i].key = ratio(P->npv_expected[i], P->upfront_cost[i]);
        items[i].index = i;
    }
    qsort(items, n, sizeof(keyed), compare_keyed);
    for (size_t i = 0; i < n; i++)
        P->ranking[i] = items[i].index;
    err = build_matrix(sc, sim, &P->matrix);
done:
    free(sums);
    free(scratch);
    free(items);
    if (err != CXROI_OK) {
        cxroi_portfolio_free(P);
        return err;
    }
    *out = P;
    return CXROI_OK;
}
