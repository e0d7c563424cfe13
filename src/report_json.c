/* JSON results (SPEC.md "JSON results"), built with jansson so that every string is
 * escaped by the library, never by hand. */
#include "cxroi/report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 17 significant digits: the shortest precision at which every IEEE double survives a
 * text round trip (DBL_DECIMAL_DIG). */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(17))

/* jansson refuses NaN and infinities; a number that does not exist is null. */
static json_t *number(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *maybe(bool exists, double x)
{
    return exists ? number(x) : json_null();
}

/* Names come from YAML (valid UTF-8) but the file name comes from the command line and
 * may be any bytes: replace what jansson rejects rather than failing the whole report. */
static json_t *string(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *array_of(const double *x, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, number(x[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* A new object for a builder; out of memory poisons the build through *ok. */
static json_t *new_object(bool *ok)
{
    json_t *o = json_object();
    if (!o)
        *ok = false;
    return o;
}

/* Every json_object_set_new() of a builder goes through here, so a single failure
 * (out of memory) poisons the object and is caught once at the end. */
static void set(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

static json_t *metrics_object(const cxroi_metrics *m, bool full, bool *ok)
{
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "npv", number(m->npv), ok);
    set(o, "irr", maybe(m->irr.exists, m->irr.rate), ok);
    if (full) {
        set(o, "irr_multiple", json_boolean(m->irr.exists && m->irr.multiple), ok);
        set(o, "mirr", maybe(m->has_mirr, m->mirr), ok);
    }
    set(o, "roi", maybe(m->has_roi, m->roi), ok);
    set(o, "bcr", maybe(m->has_roi, m->bcr), ok);
    if (full) {
        set(o, "payback_years", maybe(m->has_payback, m->payback_years), ok);
        set(o, "discounted_payback_years",
            maybe(m->has_discounted_payback, m->discounted_payback_years), ok);
    }
    set(o, "pv_benefits", number(m->pv_benefits), ok);
    set(o, "pv_costs", number(m->pv_costs), ok);
    if (full)
        set(o, "terminal_value", number(m->terminal_value), ok);
    return o;
}

static json_t *summary_object(const cxroi_summary *m, bool *ok)
{
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "mean", number(m->mean), ok);
    set(o, "sd", number(m->sd), ok);
    set(o, "p5", number(m->p5), ok);
    set(o, "p10", number(m->p10), ok);
    set(o, "p50", number(m->p50), ok);
    set(o, "p90", number(m->p90), ok);
    set(o, "p95", number(m->p95), ok);
    return o;
}

/* The initiative's Monte Carlo results: NPV and ROI ranges and P(NPV > 0). */
static json_t *simulation_object(const cxroi_analysis *a, size_t i, bool *ok)
{
    const cxroi_sim_initiative *r = &a->simulation->initiatives[i];
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "npv", summary_object(&r->npv, ok), ok);
    set(o, "roi", r->has_roi ? summary_object(&r->roi, ok) : json_null(), ok);
    set(o, "prob_npv_positive", number(r->prob_npv_positive), ok);
    set(o, "npv_mean_stderr", number(r->npv.stderr_mean), ok);
    return o;
}

/* Tornado bars, largest swing first, and each uncertain input's rank correlation with
 * the NPV. */
static json_t *sensitivity_array(const cxroi_analysis *a, size_t i, bool *ok)
{
    const cxroi_sim_initiative *r = &a->simulation->initiatives[i];
    json_t *arr = json_array();
    if (!arr) {
        *ok = false;
        return NULL;
    }
    for (size_t b = 0; b < r->n_tornado; b++) {
        const cxroi_tornado_bar *bar = &r->tornado[b];
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) != 0) {
            *ok = false;
            break;
        }
        set(o, "input", string(a->scenario->params[bar->param].path), ok);
        set(o, "input_low", number(bar->value_low), ok);
        set(o, "input_high", number(bar->value_high), ok);
        set(o, "npv_low", number(bar->npv_low), ok);
        set(o, "npv_high", number(bar->npv_high), ok);
        set(o, "swing", number(bar->swing), ok);
        for (size_t j = 0; j < a->simulation->n_uncertain; j++)
            if (a->simulation->uncertain[j] == bar->param)
                set(o, "rank_correlation", number(r->rank_correlation[j]), ok);
    }
    return arr;
}

static json_t *initiative_object(const cxroi_analysis *a, size_t i, bool *ok)
{
    const cxroi_initiative *in = &a->scenario->initiatives[i];
    const cxroi_deterministic *d = &a->initiatives[i];
    size_t n = (size_t)a->scenario->horizon + 1;
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "id", string(in->id), ok);
    set(o, "name", string(in->name ? in->name : in->id), ok);
    set(o, "kind", json_string(in->kind == CXROI_INITIATIVE_OTHER ? "other" : "cx"), ok);
    set(o, "upfront",
        number(in->upfront == CXROI_NONE ? 0.0 : a->base_values[in->upfront]), ok);

    json_t *det = metrics_object(&d->base, true, ok);
    if (det) {
        set(det, "cash_flows", array_of(d->cash_flows, n), ok);
        set(det, "benefits", array_of(d->benefits, n), ok);
        set(det, "costs", array_of(d->costs, n), ok);
    }
    set(o, "deterministic", det, ok);
    set(o, "risk_adjusted", metrics_object(&d->risk_adjusted, false, ok), ok);
    if (in->has_risk_adjustment) {
        json_t *r = json_object();
        if (r) {
            set(r, "benefits", number(in->risk_benefits), ok);
            set(r, "costs", number(in->risk_costs), ok);
        }
        set(o, "risk_adjustment", r, ok);
    } else {
        set(o, "risk_adjustment", json_null(), ok);
    }
    set(o, "break_even_effect_multiplier",
        maybe(d->has_break_even, d->break_even_multiplier), ok);
    if (a->simulation) {
        set(o, "simulation", simulation_object(a, i, ok), ok);
        set(o, "sensitivity", sensitivity_array(a, i, ok), ok);
    }
    return o;
}

/* The segment's aggregate retention in years 1..H: baseline, and with each initiative
 * that acts on it (deterministic case). */
static json_t *retention_curve_object(const cxroi_analysis *a, size_t k, bool *ok)
{
    const cxroi_scenario *s = a->scenario;
    size_t h = (size_t)s->horizon, len = h + 1;
    json_t *o = json_object(), *with = json_array();
    if (!o || !with) {
        json_decref(o);
        json_decref(with);
        *ok = false;
        return NULL;
    }
    set(o, "baseline", array_of(a->retention_curves + k * len + 1, h), ok);
    for (size_t i = 0; i < s->n_initiatives; i++) {
        if (!cxroi_scenario_acts_on(s, i, k))
            continue;
        json_t *entry = json_object();
        if (!entry || json_array_append_new(with, entry) != 0) {
            *ok = false;
            break;
        }
        set(entry, "initiative", string(s->initiatives[i].id), ok);
        set(entry, "retention",
            array_of(a->retention_curves + ((i + 1) * s->n_segments + k) * len + 1, h), ok);
    }
    set(o, "with_initiatives", with, ok);
    return o;
}

static json_t *segment_object(const cxroi_analysis *a, size_t k, bool *ok)
{
    const cxroi_segment *seg = &a->scenario->segments[k];
    const cxroi_segment_economics *e = &a->segments[k];
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "id", string(seg->id), ok);
    set(o, "name", string(seg->name ? seg->name : seg->id), ok);
    set(o, "customers", number(e->customers), ok);
    set(o, "revenue_per_customer", number(e->revenue_per_customer), ok);
    set(o, "margin", number(e->margin), ok);
    set(o, "cost_to_serve", number(e->cost_to_serve), ok);
    set(o, "acquisitions_per_year", number(e->acquisitions_per_year), ok);
    set(o, "retention", number(e->retention), ok);
    set(o, "contribution_per_customer", number(e->contribution_per_customer), ok);
    set(o, "contribution_total", number(e->contribution_total), ok);
    set(o, "loss_making", json_boolean(e->loss_making), ok);
    static const char *const kinds[] = {"constant", "sbg", "survival"};
    set(o, "retention_model", json_string(kinds[seg->retention_kind]), ok);
    if (seg->retention_kind != CXROI_RETENTION_CONSTANT) {
        json_t *sbg = json_object();
        if (sbg) {
            set(sbg, "alpha", number(a->base_values[seg->sbg_alpha]), ok);
            set(sbg, "beta", number(a->base_values[seg->sbg_beta]), ok);
            set(sbg, "tenure", json_integer(seg->tenure), ok);
        }
        set(o, "sbg", sbg, ok);
    }
    if (a->retention_curves)
        set(o, "retention_curve", retention_curve_object(a, k, ok), ok);
    return o;
}

/* Ids of the initiatives flagged in @p funded. */
static json_t *funded_ids(const cxroi_scenario *s, const bool *funded, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < s->n_initiatives; i++)
        if (funded[i] && json_array_append_new(arr, string(s->initiatives[i].id)) != 0)
            *ok = false;
    return arr;
}

/* The funding line: the optimal set, its NPV distribution over the same iterations, the
 * efficient frontier and the marginal value of budget. */
static json_t *portfolio_object(const cxroi_analysis *a, bool *ok)
{
    const cxroi_portfolio *p = a->portfolio;
    const cxroi_scenario *s = a->scenario;
    const cxroi_portfolio_spec *spec = &s->portfolio;
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "budget", maybe(p->has_budget, p->budget), ok);
    set(o, "max_loss_probability",
        maybe(spec->has_max_loss_probability, spec->max_loss_probability), ok);
    json_t *must = json_array();
    for (size_t j = 0; must && j < spec->must_fund.count; j++)
        if (json_array_append_new(must, string(s->initiatives[spec->must_fund.members[j]].id)))
            *ok = false;
    set(o, "must_fund", must, ok);
    json_t *excl = json_array();
    for (size_t g = 0; excl && g < spec->n_exclusive; g++) {
        json_t *grp = json_array();
        for (size_t j = 0; grp && j < spec->exclusive[g].count; j++)
            if (json_array_append_new(grp,
                                      string(s->initiatives[spec->exclusive[g].members[j]].id)))
                *ok = false;
        if (!grp || json_array_append_new(excl, grp) != 0)
            *ok = false;
    }
    set(o, "exclusive", excl, ok);
    set(o, "feasible", json_boolean(p->feasible), ok);
    set(o, "optimal", json_boolean(p->optimal), ok);
    set(o, "funded", funded_ids(s, p->funded, ok), ok);
    set(o, "upfront", number(p->upfront), ok);
    set(o, "npv", summary_object(&p->npv, ok), ok);
    set(o, "prob_npv_positive", number(p->prob_npv_positive), ok);
    set(o, "prob_npv_negative", number(p->prob_npv_negative), ok);
    json_t *marginal = json_null();
    if (p->has_marginal) {
        marginal = json_object();
        if (marginal) {
            set(marginal, "per_unit", number(p->marginal_value), ok);
            set(marginal, "next_budget", number(p->next_budget), ok);
        }
    }
    set(o, "marginal_value_of_budget", marginal, ok);
    json_t *ranking = json_array();
    double cumulative = 0.0;
    for (size_t r = 0; ranking && r < p->n_initiatives; r++) {
        size_t i = p->ranking[r];
        json_t *row = json_object();
        if (!row || json_array_append_new(ranking, row) != 0) {
            *ok = false;
            break;
        }
        cumulative += p->upfront_cost[i];
        set(row, "id", string(s->initiatives[i].id), ok);
        set(row, "funded", json_boolean(p->funded[i]), ok);
        set(row, "upfront", number(p->upfront_cost[i]), ok);
        set(row, "cumulative_upfront", number(cumulative), ok);
        set(row, "npv_mean", number(p->npv_expected[i]), ok);
    }
    set(o, "ranking", ranking, ok);
    json_t *frontier = json_array();
    for (size_t j = 0; frontier && j < p->n_frontier; j++) {
        const cxroi_frontier_point *pt = &p->frontier[j];
        json_t *row = json_object();
        if (!row || json_array_append_new(frontier, row) != 0) {
            *ok = false;
            break;
        }
        set(row, "budget", number(pt->budget), ok);
        set(row, "funded", funded_ids(s, pt->funded, ok), ok);
        set(row, "upfront", number(pt->upfront), ok);
        set(row, "npv_mean", number(pt->npv_mean), ok);
        set(row, "prob_npv_positive", number(pt->prob_npv_positive), ok);
        set(row, "marginal_value", number(pt->marginal_value), ok);
    }
    set(o, "frontier", frontier, ok);
    return o;
}

/* Segment x touchpoint PV of the value the initiatives generate, expected over the
 * iterations, with each segment's baseline profitability beside its row. */
static json_t *value_matrix_object(const cxroi_analysis *a, bool *ok)
{
    const cxroi_value_matrix *m = &a->portfolio->matrix;
    const cxroi_scenario *s = a->scenario;
    json_t *o = json_object();
    json_t *segs = json_array(), *tps = json_array(), *pv = json_array(),
           *untapped = json_array(), *segments = json_array();
    if (!o || !segs || !tps || !pv || !untapped || !segments) {
        json_decref(o);
        json_decref(segs);
        json_decref(tps);
        json_decref(pv);
        json_decref(untapped);
        json_decref(segments);
        *ok = false;
        return NULL;
    }
    for (size_t t = 0; t < m->n_touchpoints; t++)
        if (json_array_append_new(tps, string(s->touchpoints[t])) != 0)
            *ok = false;
    for (size_t k = 0; k < m->n_segments; k++) {
        const cxroi_segment_economics *e = &a->segments[k];
        if (json_array_append_new(segs, string(s->segments[k].id)) != 0)
            *ok = false;
        json_t *row = array_of(m->pv + k * m->n_touchpoints, m->n_touchpoints);
        if (!row || json_array_append_new(pv, row) != 0)
            *ok = false;
        json_t *flags = json_array();
        for (size_t t = 0; flags && t < m->n_touchpoints; t++)
            if (json_array_append_new(flags,
                                      json_boolean(m->untapped[k * m->n_touchpoints + t])))
                *ok = false;
        if (!flags || json_array_append_new(untapped, flags) != 0)
            *ok = false;
        json_t *so = json_object();
        if (!so || json_array_append_new(segments, so) != 0) {
            *ok = false;
            continue;
        }
        set(so, "id", string(s->segments[k].id), ok);
        set(so, "pv_total", number(m->segment_total[k]), ok);
        set(so, "pv_untagged", number(m->untagged[k]), ok);
        set(so, "contribution_per_customer", number(e->contribution_per_customer), ok);
        set(so, "contribution_total", number(e->contribution_total), ok);
        set(so, "loss_making", json_boolean(e->loss_making), ok);
    }
    set(o, "segments", segs, ok);
    set(o, "touchpoints", tps, ok);
    set(o, "pv", pv, ok);
    set(o, "untagged", array_of(m->untagged, m->n_segments), ok);
    set(o, "segment_total", array_of(m->segment_total, m->n_segments), ok);
    set(o, "untapped", untapped, ok);
    set(o, "direct_benefits_pv", number(m->direct), ok);
    set(o, "segment_economics", segments, ok);
    return o;
}

static json_t *warning_object(const cxroi_diag_entry *e, bool *ok)
{
    json_t *o = new_object(ok);
    if (!o)
        return NULL;
    set(o, "file", string(e->file), ok);
    set(o, "line", e->line > 0 ? json_integer(e->line) : json_null(), ok);
    set(o, "column", e->line > 0 && e->column > 0 ? json_integer(e->column) : json_null(),
        ok);
    set(o, "message", string(e->message), ok);
    return o;
}

static json_t *build(const cxroi_analysis *a, const cxroi_diag *diag)
{
    const cxroi_scenario *s = a->scenario;
    bool ok = true;
    json_t *root = json_object();
    if (!root)
        return NULL;
    set(root, "scenario", string(s->name), &ok);
    set(root, "file", string(s->file), &ok);
    set(root, "currency", string(s->currency), &ok);
    set(root, "horizon", json_integer(s->horizon), &ok);
    set(root, "discount_rate", number(a->discount_rate), &ok);
    set(root, "terminal_value",
        json_string(s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY ? "customer_equity"
                                                                         : "none"),
        &ok);
    /* The iterations done: fewer than asked when a precision target stopped the run. */
    size_t done = a->simulation ? a->simulation->iterations : a->iterations;
    set(root, "iterations", json_integer((json_int_t)done), &ok);
    if (a->simulation) {
        set(root, "iterations_requested", json_integer((json_int_t)a->iterations), &ok);
        set(root, "precision",
            maybe(a->scenario->simulation.has_precision, a->scenario->simulation.precision), &ok);
        set(root, "precision_reached", json_boolean(a->simulation->precision_reached), &ok);
    }
    /* json_int_t is signed 64-bit: a seed above INT64_MAX is written as a (rounded)
     * real rather than wrapped to a negative number. */
    set(root, "seed",
        a->seed <= (uint64_t)INT64_MAX ? json_integer((json_int_t)a->seed)
                                       : json_real((double)a->seed),
        &ok);
    set(root, "sampling",
        json_string(cxroi_sampling_name(a->sampling)),
        &ok);

    json_t *inits = json_array();
    for (size_t i = 0; inits && i < s->n_initiatives; i++) {
        json_t *o = initiative_object(a, i, &ok);
        if (!o || json_array_append_new(inits, o) != 0)
            ok = false;
    }
    set(root, "initiatives", inits, &ok);

    json_t *segs = json_array();
    for (size_t k = 0; segs && k < s->n_segments; k++) {
        json_t *o = segment_object(a, k, &ok);
        if (!o || json_array_append_new(segs, o) != 0)
            ok = false;
    }
    set(root, "segments", segs, &ok);

    if (a->portfolio) {
        set(root, "portfolio", portfolio_object(a, &ok), &ok);
        set(root, "value_matrix", value_matrix_object(a, &ok), &ok);
    }

    json_t *warnings = json_array();
    for (size_t w = 0; warnings && w < cxroi_diag_count(diag); w++) {
        const cxroi_diag_entry *e = cxroi_diag_get(diag, w);
        if (e->severity != CXROI_SEVERITY_WARNING)
            continue;
        json_t *o = warning_object(e, &ok);
        if (!o || json_array_append_new(warnings, o) != 0)
            ok = false;
    }
    set(root, "warnings", warnings, &ok);

    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

char *cxroi_report_json_string(const cxroi_analysis *analysis, const cxroi_diag *diag)
{
    json_t *root = build(analysis, diag);
    if (!root)
        return NULL;
    char *text = json_dumps(root, JSON_FLAGS);
    json_decref(root);
    return text;
}

cxroi_error cxroi_report_json_write(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                    FILE *out)
{
    char *text = cxroi_report_json_string(analysis, diag);
    if (!text)
        return CXROI_ERROR_NOMEM;
    errno = 0;
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, out) == n && fputc('\n', out) != EOF && fflush(out) == 0;
    free(text);
    if (!ok && errno == 0)
        errno = EIO;
    return ok ? CXROI_OK : CXROI_ERROR_IO;
}
