/* The terminal summary: one aligned table of initiatives, one of segments, footnotes.
 * Formatting never depends on the locale, so the output is the same on every machine. */
#include "cxroi/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The table must fit a 100-column terminal. */
enum { PAGE_WIDTH = 100, GAP = 2, CELL = 40, MIN_NAME = 12 };

/* Copy @p s into @p buf as snprintf() would; returns strlen(s). */
static size_t emit(char *buf, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(buf, s, c);
        buf[c] = '\0';
    }
    return n;
}

size_t cxroi_report_format_money(char *buf, size_t size, double value, const char *currency)
{
    if (!isfinite(value))
        return emit(buf, size, "n/a");
    /* round() takes halves away from zero, as accountants do; -0.3 rounds to -0.0, which
     * compares equal to 0 and so prints without a sign. */
    double r = round(value);
    char digits[320]; /* DBL_MAX has 309 integer digits */
    snprintf(digits, sizeof digits, "%.0f", fabs(r));
    size_t nd = strlen(digits);

    char out[480]; /* currency, sign, 309 digits and 102 separators */
    size_t pos = 0;
    if (currency && *currency) {
        size_t nc = strnlen(currency, 16);
        memcpy(out, currency, nc);
        pos = nc;
        out[pos++] = ' ';
    }
    if (r < 0)
        out[pos++] = '-';
    for (size_t i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[pos++] = ',';
        out[pos++] = digits[i];
    }
    out[pos] = '\0';
    return emit(buf, size, out);
}

/* Display width of UTF-8 text: one column per code point (continuation bytes 10xxxxxx
 * do not start a character). Wide CJK characters are rare in scenario names. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* Write @p s in a field of @p width columns, cutting it (on a character boundary, with
 * "...") when it is wider. */
static void put_field(FILE *out, const char *s, size_t width, bool right)
{
    size_t w = display_width(s);
    if (w > width) {
        size_t keep = width > 3 ? width - 3 : 0, chars = 0;
        const char *p = s;
        while (*p) {
            if (((unsigned char)*p & 0xC0) != 0x80) {
                if (chars == keep)
                    break;
                chars++;
            }
            p++;
        }
        fprintf(out, "%.*s%.*s", (int)(p - s), s, (int)(width - keep), "...");
        return;
    }
    if (right)
        fprintf(out, "%*s%s", (int)(width - w), "", s);
    else
        fprintf(out, "%s%*s", s, (int)(width - w), "");
}

static void put_rule(FILE *out, size_t width)
{
    for (size_t i = 0; i < width; i++)
        fputc('-', out);
    fputc('\n', out);
}

/* Percentages with one decimal (the unit is in the column head); absurd magnitudes in exponent form so that the column
 * stays narrow. */
static void format_percent(char *buf, size_t size, double x)
{
    double p = 100.0 * x;
    if (!isfinite(p))
        snprintf(buf, size, "n/a");
    else if (fabs(p) >= 1e6)
        snprintf(buf, size, "%.2e", p);
    else
        snprintf(buf, size, "%.1f", p == 0.0 ? 0.0 : p);
}

const char *cxroi_report_input_label(const char *path, const char *id)
{
    static const char head[] = "initiatives.";
    size_t nh = sizeof head - 1, ni = strlen(id);
    if (strncmp(path, head, nh) == 0 && strncmp(path + nh, id, ni) == 0 && path[nh + ni] == '.')
        return path + nh + ni + 1;
    return path;
}

int cxroi_report_probability_bound(double p)
{
    return p > 0.999 && p < 1.0 ? 1 : p > 0.0 && p < 0.001 ? -1 : 0;
}

/* A probability in percent: 100.0 and 0.0 only when no iteration says otherwise. */
static void format_probability(char *buf, size_t size, double p)
{
    int bound = cxroi_report_probability_bound(p);
    if (bound > 0)
        snprintf(buf, size, ">99.9");
    else if (bound < 0)
        snprintf(buf, size, "<0.1");
    else
        format_percent(buf, size, p);
}

/* Widest amount a cell shows digit by digit: -999,999,999,999 (16 columns). */
enum { MONEY_WIDTH = 16 };

/* An amount for a table cell: every digit when it fits MONEY_WIDTH columns; else a
 * compact form that cannot be misread as another number (cutting digits would turn
 * 1.79e303 into "1,791,582,997,..."): "1.79 tn" (trillions) below a thousand trillion,
 * then "1.79e+303". Returns true when the compact form was used. */
static bool format_money_cell(char *buf, size_t size, double value)
{
    size_t n = cxroi_report_format_money(buf, size, value, NULL);
    if (n <= MONEY_WIDTH && n < size)
        return false;
    if (fabs(value) < 999.995e12)
        snprintf(buf, size, "%.2f tn", value / 1e12);
    else
        snprintf(buf, size, "%.2e", value);
    return true;
}

/* Columns of the initiative table after the name. */
enum { C_UPFRONT, C_NPV, C_ROI, C_IRR, C_PAYBACK, C_BREAK_EVEN, C_RISK_NPV, N_COLS };

static const char *const HEAD1[N_COLS] = {"Upfront", "NPV",        "ROI",      "IRR",
                                          "Payback", "Break-even", "Risk-adj."};

typedef char cell[CELL];

/* The flags that need a footnote below the table. */
typedef struct notes {
    bool irr_multiple, irr_none, roi_none, payback_none, payback_nothing, break_even_none,
        break_even_nothing, break_even_zero, risk_adjusted, compact;
    double break_even_example; /* the first break-even shown, 0 when none */
} notes;

static void initiative_cells(const cxroi_analysis *a, size_t i, cell *row, notes *n,
                             bool mark_multiple)
{
    const cxroi_initiative *in = &a->scenario->initiatives[i];
    const cxroi_deterministic *d = &a->initiatives[i];
    const cxroi_metrics *m = &d->base;
    double upfront = in->upfront == CXROI_NONE ? 0.0 : a->base_values[in->upfront];

    n->compact |= format_money_cell(row[C_UPFRONT], CELL, upfront);
    n->compact |= format_money_cell(row[C_NPV], CELL, m->npv);
    if (m->has_roi) {
        format_percent(row[C_ROI], CELL, m->roi);
    } else {
        snprintf(row[C_ROI], CELL, "n/a");
        n->roi_none = true;
    }
    if (m->irr.exists) {
        char pct[CELL - 2];
        format_percent(pct, sizeof pct, m->irr.rate);
        /* A trailing mark column keeps the digits aligned whether or not a row is
         * flagged. */
        snprintf(row[C_IRR], CELL, "%s%s", pct,
                 mark_multiple ? (m->irr.multiple ? "*" : " ") : "");
        n->irr_multiple |= m->irr.multiple;
    } else {
        snprintf(row[C_IRR], CELL, "n/a%s", mark_multiple ? " " : "");
        n->irr_none = true;
    }
    if (m->has_payback) {
        snprintf(row[C_PAYBACK], CELL, "%.2f", m->payback_years);
    } else {
        snprintf(row[C_PAYBACK], CELL, "n/a");
        /* nothing to pay back deserves another footnote than "not within the horizon" */
        if (m->nothing_to_pay_back)
            n->payback_nothing = true;
        else
            n->payback_none = true;
    }
    if (d->has_break_even && isfinite(d->break_even_multiplier)) {
        double k = d->break_even_multiplier;
        /* "0.00x" is kept for "no costs at all"; a tiny but real multiple says so. */
        if (k > 0.0 && k < 0.005)
            snprintf(row[C_BREAK_EVEN], CELL, "<0.01x");
        else
            snprintf(row[C_BREAK_EVEN], CELL, "%.2fx", k);
        if (k == 0.0)
            n->break_even_zero = true;
        else if (n->break_even_example == 0.0 && k >= 0.005 && k < 1e4)
            n->break_even_example = k;
    } else {
        snprintf(row[C_BREAK_EVEN], CELL, "n/a");
        /* Without costs the model finds no break-even only when the effects add no
         * value (SPEC: k where NPV = 0; here NPV(k) <= 0 for every k). */
        if (m->pv_costs == 0.0)
            n->break_even_nothing = true;
        else
            n->break_even_none = true;
    }
    n->compact |= format_money_cell(row[C_RISK_NPV], CELL, d->risk_adjusted.npv);
    n->risk_adjusted |= in->has_risk_adjustment;
}

static const char *initiative_name(const cxroi_initiative *in)
{
    return in->name && *in->name ? in->name : in->id;
}

/* A table: a name column, then right-aligned columns under a two-line head (what, then
 * the unit). Columns fit their content; names are cut to keep within PAGE_WIDTH. */
typedef struct table {
    const char *name_head;    /* head of the name column, e.g. "Initiative" */
    const char *const *names; /* one per row */
    size_t n_rows, n_cols;
    const char *const *head;  /* n_cols */
    const char *const *unit;  /* n_cols */
    const cell *cells;        /* n_rows x n_cols */
    size_t rule_after;        /* rows before the labelled rule (0 .. n_rows) */
    const char *rule_label;   /* e.g. the funding line; NULL: no rule */
} table;

enum { MAX_TABLE_COLS = 16 };

static void print_table(FILE *out, const table *t)
{
    size_t width[MAX_TABLE_COLS] = {0};
    if (t->n_cols > MAX_TABLE_COLS)
        return; /* the tables of this file have at most 8 columns */
    size_t name_width = display_width(t->name_head);
    for (size_t c = 0; c < t->n_cols; c++) {
        width[c] = strlen(t->head[c]) > strlen(t->unit[c]) ? strlen(t->head[c]) : strlen(t->unit[c]);
        for (size_t r = 0; r < t->n_rows; r++)
            if (strlen(t->cells[r * t->n_cols + c]) > width[c])
                width[c] = strlen(t->cells[r * t->n_cols + c]);
    }
    for (size_t r = 0; r < t->n_rows; r++)
        if (display_width(t->names[r]) > name_width)
            name_width = display_width(t->names[r]);
    size_t others = 0;
    for (size_t c = 0; c < t->n_cols; c++)
        others += GAP + width[c];
    size_t room = others + MIN_NAME < PAGE_WIDTH ? PAGE_WIDTH - others : MIN_NAME;
    if (name_width > room)
        name_width = room;
    for (int line = 0; line < 2; line++) {
        put_field(out, line == 0 ? "" : t->name_head, name_width, false);
        for (size_t c = 0; c < t->n_cols; c++) {
            fprintf(out, "%*s", GAP, "");
            put_field(out, line == 0 ? t->head[c] : t->unit[c], width[c], true);
        }
        fputc('\n', out);
    }
    put_rule(out, name_width + others);
    for (size_t r = 0; r <= t->n_rows; r++) {
        /* "==== label ====" across the table, also above the first row (nothing funded)
         * or below the last (everything funded) */
        if (r == t->rule_after && t->rule_label) {
            size_t total = name_width + others, lw = display_width(t->rule_label) + 2;
            size_t left = lw + 4 < total ? 4 : 0;
            for (size_t k = 0; k < left; k++)
                fputc('=', out);
            fprintf(out, " %s ", t->rule_label);
            for (size_t k = left + lw; k < total; k++)
                fputc('=', out);
            fputc('\n', out);
        }
        if (r == t->n_rows)
            break;
        put_field(out, t->names[r], name_width, false);
        for (size_t c = 0; c < t->n_cols; c++) {
            fprintf(out, "%*s", GAP, "");
            put_field(out, t->cells[r * t->n_cols + c], width[c], true);
        }
        fputc('\n', out);
    }
    put_rule(out, name_width + others);
}

/* The initiatives' display names, for a table (the array is the caller's to free). */
static const char **initiative_names(const cxroi_scenario *s)
{
    const char **names = malloc((s->n_initiatives ? s->n_initiatives : 1) * sizeof(char *));
    for (size_t i = 0; names && i < s->n_initiatives; i++)
        names[i] = initiative_name(&s->initiatives[i]);
    return names;
}

/* The footnote of a table whose amounts were abbreviated (`compact`). */
static void compact_note(FILE *out, bool compact)
{
    if (compact)
        fprintf(out, "Amounts too wide for a column are abbreviated: 1.79 tn = 1.79 "
                     "trillion, 1.79e+15 = 1.79 x 10^15.\n");
}

static cxroi_error initiatives_table(const cxroi_analysis *a, FILE *out)
{
    const cxroi_scenario *s = a->scenario;
    size_t n = s->n_initiatives;
    cell *cells = calloc(n ? n * N_COLS : 1, sizeof(cell));
    if (!cells)
        return CXROI_ERROR_NOMEM;

    bool mark_multiple = false;
    for (size_t i = 0; i < n; i++)
        mark_multiple |= a->initiatives[i].base.irr.exists && a->initiatives[i].base.irr.multiple;

    notes fl = {0};
    for (size_t i = 0; i < n; i++)
        initiative_cells(a, i, &cells[i * N_COLS], &fl, mark_multiple);
    const char **names = initiative_names(s);
    if (!names) {
        free(cells);
        return CXROI_ERROR_NOMEM;
    }
    char risk_unit[CELL];
    snprintf(risk_unit, sizeof risk_unit, "NPV %s", s->currency);
    const char *unit[N_COLS] = {s->currency, s->currency, "%",    "%", "years",
                                "x effects", risk_unit};
    table t = {"Initiative", names, n, N_COLS, HEAD1, unit, cells, 0, NULL};
    print_table(out, &t);
    free(names);
    free(cells);

    /* The example is the table's own first break-even, so it can be checked on the spot. */
    if (fl.break_even_example > 0.0) {
        double k = round(fl.break_even_example * 100.0) / 100.0;
        fprintf(out,
                "Break-even: the multiple of the expected effects at which NPV = 0 "
                "(%.2fx: %.0f %% of them pays back).\n",
                k, k * 100.0);
    } else {
        fprintf(out, "Break-even: the multiple of the expected effects at which NPV = 0.\n");
    }
    if (fl.break_even_zero)
        fprintf(out, "Break-even 0.00x: no costs to recover; any fraction of the effects "
                     "pays back.\n");
    if (s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY)
        fprintf(out, "NPV, ROI and IRR include the terminal value (customer equity at year "
                     "%d); payback does not.\n",
                s->horizon);
    if (fl.risk_adjusted)
        fprintf(out, "Risk-adj. NPV: benefits lowered and costs raised by the initiative's "
                     "risk_adjustment.\n");
    else
        fprintf(out, "Risk-adj. NPV equals NPV: no initiative sets risk_adjustment.\n");
    if (fl.payback_none)
        fprintf(out, "Payback n/a: the cash flows do not pay back within the %d-year "
                     "horizon.\n",
                s->horizon);
    if (fl.payback_nothing)
        fprintf(out, "Payback n/a: every cash flow is 0; there is nothing to pay back.\n");
    if (fl.irr_none)
        fprintf(out, "IRR n/a: no rate makes the NPV zero (the cash flows never change "
                     "sign).\n");
    if (fl.roi_none)
        fprintf(out, "ROI n/a: the initiative has no costs.\n");
    if (fl.break_even_none)
        fprintf(out, "Break-even n/a: no multiple of the effects brings the NPV to zero.\n");
    if (fl.break_even_nothing)
        fprintf(out, "Break-even n/a: no costs to recover and effects that add no value; "
                     "there is nothing to break even.\n");
    compact_note(out, fl.compact);
    if (fl.irr_multiple)
        fprintf(out, "* The cash flows change sign more than once: several rates give NPV "
                     "= 0; the one nearest\n  the discount rate is shown.\n");
    if (a->clamped > 0)
        fprintf(out, "Retention was clamped to [0, 1] %zu time%s in the deterministic cases "
                     "(see the warnings).\n",
                a->clamped, a->clamped == 1 ? "" : "s");
    return CXROI_OK;
}

/* Columns of the risk table after the name. */
enum { R_P10, R_P50, R_P90, R_MEAN, R_POSITIVE, R_ROI_P10, R_ROI_P90, N_RCOLS };

static const char *const RHEAD1[N_RCOLS] = {"NPV P10", "NPV P50", "NPV P90", "Mean NPV",
                                            "P(NPV>0)", "ROI P10", "ROI P90"};

/* The simulated ranges beside the deterministic table: P10/P50/P90 of NPV, its mean,
 * the probability of a positive NPV and the ROI range; then each initiative's largest
 * tornado bar, the input to challenge first. */
static cxroi_error risk_table(const cxroi_analysis *a, FILE *out)
{
    const cxroi_scenario *s = a->scenario;
    const cxroi_simulation *sim = a->simulation;
    size_t n = s->n_initiatives;
    cell *cells = calloc(n ? n * N_RCOLS : 1, sizeof(cell));
    if (!cells)
        return CXROI_ERROR_NOMEM;
    bool compact = false;
    for (size_t i = 0; i < n; i++) {
        const cxroi_sim_initiative *r = &sim->initiatives[i];
        cell *row = &cells[i * N_RCOLS];
        compact |= format_money_cell(row[R_P10], CELL, r->npv.p10);
        compact |= format_money_cell(row[R_P50], CELL, r->npv.p50);
        compact |= format_money_cell(row[R_P90], CELL, r->npv.p90);
        compact |= format_money_cell(row[R_MEAN], CELL, r->npv.mean);
        format_probability(row[R_POSITIVE], CELL, r->prob_npv_positive);
        if (r->has_roi) {
            format_percent(row[R_ROI_P10], CELL, r->roi.p10);
            format_percent(row[R_ROI_P90], CELL, r->roi.p90);
        } else {
            snprintf(row[R_ROI_P10], CELL, "n/a");
            snprintf(row[R_ROI_P90], CELL, "n/a");
        }
    }
    const char **names = initiative_names(s);
    if (!names) {
        free(cells);
        return CXROI_ERROR_NOMEM;
    }
    char iterations[CELL];
    cxroi_report_format_money(iterations, sizeof iterations, (double)sim->iterations, NULL);
    fprintf(out, "Risk ranges: %s Monte Carlo iterations (%s sampling, seed %llu)%s\n\n",
            iterations, cxroi_sampling_title(sim->sampling), (unsigned long long)sim->seed,
            sim->precision_reached ? ", stopped at the requested precision" : "");
    const char *unit[N_RCOLS] = {s->currency, s->currency, s->currency, s->currency,
                                 "%",         "%",         "%"};
    table t = {"Initiative", names, n, N_RCOLS, RHEAD1, unit, cells, 0, NULL};
    print_table(out, &t);
    free(names);
    free(cells);
    fprintf(out, "P10/P90: 10 %% of the iterations fall below / above. P(NPV>0): the share of "
                 "iterations that pay back.\n");
    compact_note(out, compact);
    fprintf(out, "\nLargest driver of each NPV (input at its P10 and P90, all else at base):\n");
    for (size_t i = 0; i < n; i++) {
        const cxroi_sim_initiative *r = &sim->initiatives[i];
        char name[CELL];
        snprintf(name, sizeof name, "%s", s->initiatives[i].id);
        if (r->n_tornado == 0) {
            fprintf(out, "  %-24s no uncertain input moves its NPV\n", name);
            continue;
        }
        char lo[CELL], hi[CELL];
        format_money_cell(lo, CELL, r->tornado[0].npv_low);
        format_money_cell(hi, CELL, r->tornado[0].npv_high);
        const char *path =
            cxroi_report_input_label(s->params[r->tornado[0].param].path, s->initiatives[i].id);
        fprintf(out, "  %s: %s, NPV %s to %s\n", name, path, lo, hi);
    }
    return CXROI_OK;
}

/* Columns of the segment table after the name. */
enum { S_CUSTOMERS, S_REVENUE, S_MARGIN, S_CONTRIB, S_TOTAL, S_RETENTION, N_SCOLS };

static const char *const SHEAD1[N_SCOLS] = {"Customers", "Revenue", "Margin",
                                            "Contribution", "Contribution", "Retention"};

static cxroi_error segments_table(const cxroi_analysis *a, FILE *out)
{
    const cxroi_scenario *s = a->scenario;
    size_t n = s->n_segments;
    if (n == 0)
        return CXROI_OK;
    cell *cells = calloc(n * N_SCOLS, sizeof(cell));
    if (!cells)
        return CXROI_ERROR_NOMEM;
    const char *unit[N_SCOLS] = {"at t = 0", "per cust.", "%", "per cust.", "per year",
                                 "year 1 %"};

    bool any_loss = false, compact = false;
    const char **names = malloc(n * sizeof(char *));
    if (!names) {
        free(cells);
        return CXROI_ERROR_NOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const cxroi_segment_economics *e = &a->segments[k];
        cell *row = &cells[k * N_SCOLS];
        compact |= format_money_cell(row[S_CUSTOMERS], CELL, e->customers);
        compact |= format_money_cell(row[S_REVENUE], CELL, e->revenue_per_customer);
        format_percent(row[S_MARGIN], CELL, e->margin);
        /* A loss-making segment is marked beside its contribution. */
        char money[CELL - 2];
        compact |= format_money_cell(money, sizeof money, e->contribution_per_customer);
        snprintf(row[S_CONTRIB], CELL, "%s%s", money, e->loss_making ? " !" : "");
        any_loss |= e->loss_making;
        compact |= format_money_cell(row[S_TOTAL], CELL, e->contribution_total);
        format_percent(row[S_RETENTION], CELL, e->retention);
        const cxroi_segment *seg = &s->segments[k];
        names[k] = seg->name && *seg->name ? seg->name : seg->id;
    }
    table t = {"Segment", names, n, N_SCOLS, SHEAD1, unit, cells, 0, NULL};
    print_table(out, &t);
    free(names);
    free(cells);
    fprintf(out, "Baseline economics, without any initiative; contribution = revenue x "
                 "margin - cost to serve.\n");
    if (any_loss)
        fprintf(out, "! Loss-making segment: each customer costs more to serve than it "
                     "contributes.\n");
    compact_note(out, compact);
    return CXROI_OK;
}

/* Columns of the portfolio table after the name. */
enum { P_UPFRONT, P_CUMULATIVE, P_MEAN, P_RATIO, P_FUNDED, N_PCOLS };

static const char *const PHEAD1[N_PCOLS] = {"Upfront", "Cumulative", "Mean NPV",
                                            "NPV per", "Funded"};

/* The funding line: initiatives ranked (funded first, then by expected NPV per unit of
 * upfront cost) with the cumulative upfront spend, a rule where the funding stops, the
 * funded set's NPV range and the marginal value of more budget. */
static cxroi_error portfolio_table(const cxroi_analysis *a, FILE *out)
{
    const cxroi_scenario *s = a->scenario;
    const cxroi_portfolio *p = a->portfolio;
    size_t n = p->n_initiatives;
    if (n == 0)
        return CXROI_OK;
    cell *cells = calloc(n * N_PCOLS, sizeof(cell));
    const char **names = malloc(n * sizeof(char *));
    if (!cells || !names) {
        free(cells);
        free(names);
        return CXROI_ERROR_NOMEM;
    }
    bool compact = false;
    double cumulative = 0.0;
    for (size_t r = 0; r < n; r++) {
        size_t i = p->ranking[r];
        cell *row = &cells[r * N_PCOLS];
        names[r] = initiative_name(&s->initiatives[i]);
        cumulative += p->upfront_cost[i];
        compact |= format_money_cell(row[P_UPFRONT], CELL, p->upfront_cost[i]);
        compact |= format_money_cell(row[P_CUMULATIVE], CELL, cumulative);
        compact |= format_money_cell(row[P_MEAN], CELL, p->npv_expected[i]);
        if (p->upfront_cost[i] > 0.0)
            snprintf(row[P_RATIO], CELL, "%.2f", p->npv_expected[i] / p->upfront_cost[i]);
        else
            snprintf(row[P_RATIO], CELL, "n/a");
        snprintf(row[P_FUNDED], CELL, "%s", p->funded[i] ? "yes" : "no");
    }
    char budget[CELL], label[2 * CELL + 32];
    if (p->has_budget) {
        cxroi_report_format_money(budget, sizeof budget, p->budget, s->currency);
        snprintf(label, sizeof label, "funding line: budget %s", budget);
    } else {
        snprintf(label, sizeof label, "funding line: no budget, every positive NPV");
    }
    const char *unit[N_PCOLS] = {s->currency, "upfront", s->currency, "upfront", ""};
    table t = {"Initiative (ranked)", names, n, N_PCOLS, PHEAD1, unit, cells, p->n_funded,
               label};
    fprintf(out, "Portfolio: the set with the largest expected NPV within the constraints "
                 "(exact search)\n\n");
    print_table(out, &t);
    free(names);
    free(cells);
    if (!p->feasible) {
        fprintf(out, "No set meets the portfolio constraints: nothing is funded (see the "
                     "warnings).\n");
        return CXROI_OK;
    }
    char up[CELL], mean[CELL], p10[CELL], p90[CELL], pos[CELL];
    cxroi_report_format_money(up, sizeof up, p->upfront, s->currency);
    cxroi_report_format_money(mean, sizeof mean, p->npv.mean, s->currency);
    cxroi_report_format_money(p10, sizeof p10, p->npv.p10, NULL);
    cxroi_report_format_money(p90, sizeof p90, p->npv.p90, NULL);
    format_probability(pos, sizeof pos, p->prob_npv_positive);
    fprintf(out, "Funded: %zu of %zu, upfront %s, expected NPV %s%s.\n", p->n_funded, n, up,
            mean, p->optimal ? "" : "\n(best found: the search hit its work limit)");
    fprintf(out, "Over the same iterations: NPV P10 %s, P90 %s; P(NPV>0) %s %%.\n", p10, p90,
            pos);
    if (p->has_marginal) {
        char next[CELL], gain[CELL];
        cxroi_report_format_money(next, sizeof next, p->next_budget, s->currency);
        cxroi_report_format_money(gain, sizeof gain,
                                  p->marginal_value * (p->next_budget - p->budget), s->currency);
        fprintf(out, "Marginal value of budget: %.3g of expected NPV per extra unit (a budget "
                     "of %s\nadds %s).\n",
                p->marginal_value, next, gain);
    }
    compact_note(out, compact);
    return CXROI_OK;
}

/* Prints @p word after the @p *col columns already on the line, wrapping to a new line
 * indented by @p indent when it would pass PAGE_WIDTH. */
static void put_wrapped(FILE *out, const char *word, size_t indent, size_t *col)
{
    size_t w = display_width(word);
    if (*col > indent && *col + 1 + w > PAGE_WIDTH) {
        fprintf(out, "\n%*s", (int)indent, "");
        *col = indent;
    }
    if (*col > indent) {
        fputc(' ', out);
        (*col)++;
    }
    fputs(word, out);
    *col += w;
}

/* The value matrix, one segment per line: total value generated, the touchpoints that
 * generate it (largest first), the untagged part, the untapped touchpoints. */
static cxroi_error value_matrix_lines(const cxroi_analysis *a, FILE *out)
{
    const cxroi_scenario *s = a->scenario;
    const cxroi_value_matrix *m = &a->portfolio->matrix;
    if (m->n_segments == 0)
        return CXROI_OK;
    size_t nt = m->n_touchpoints;
    size_t *order = malloc((nt ? nt : 1) * sizeof(size_t));
    if (!order)
        return CXROI_ERROR_NOMEM;
    fprintf(out, "Value generated by the initiatives, by segment and touchpoint\n"
                 "(PV expected over the iterations, %s):\n",
            s->currency);
    enum { INDENT = 4 };
    for (size_t k = 0; k < m->n_segments; k++) {
        const cxroi_segment *seg = &s->segments[k];
        const double *row = m->pv + k * nt;
        char total[CELL], word[2 * CELL + 8];
        cxroi_report_format_money(total, sizeof total, m->segment_total[k], NULL);
        fprintf(out, "  %s%s: %s", seg->name && *seg->name ? seg->name : seg->id,
                a->segments[k].loss_making ? " (loss-making !)" : "", total);
        size_t col = INDENT + 60; /* force the touchpoints onto their own lines */
        for (size_t t = 0; t < nt; t++)
            order[t] = t;
        for (size_t t = 1; t < nt; t++) /* insertion sort, largest first */
            for (size_t u = t; u > 0 && row[order[u]] > row[order[u - 1]]; u--) {
                size_t tmp = order[u];
                order[u] = order[u - 1];
                order[u - 1] = tmp;
            }
        bool any = false;
        for (size_t t = 0; t < nt; t++) {
            if (row[order[t]] == 0.0)
                continue;
            char v[CELL];
            cxroi_report_format_money(v, sizeof v, row[order[t]], NULL);
            snprintf(word, sizeof word, "%s %s%s", s->touchpoints[order[t]], v, ";");
            if (!any) {
                fprintf(out, "\n%*s", INDENT, "");
                col = INDENT;
            }
            put_wrapped(out, word, INDENT, &col);
            any = true;
        }
        if (m->untagged[k] != 0.0) {
            char v[CELL];
            cxroi_report_format_money(v, sizeof v, m->untagged[k], NULL);
            snprintf(word, sizeof word, "(no touchpoint) %s;", v);
            if (!any) {
                fprintf(out, "\n%*s", INDENT, "");
                col = INDENT;
            }
            put_wrapped(out, word, INDENT, &col);
            any = true;
        }
        bool first = true;
        for (size_t t = 0; t < nt; t++) {
            if (!m->untapped[k * nt + t])
                continue;
            if (first) {
                fprintf(out, "\n%*s", INDENT, "");
                col = INDENT;
                put_wrapped(out, "untapped:", INDENT, &col);
                first = false;
            }
            put_wrapped(out, s->touchpoints[t], INDENT, &col);
        }
        fputc('\n', out);
    }
    free(order);
    if (m->direct != 0.0) {
        char v[CELL];
        cxroi_report_format_money(v, sizeof v, m->direct, s->currency);
        fprintf(out, "Direct benefits (benefits.annual, e.g. kind: other) are no segment's "
                     "value:\nPV %s, outside the matrix.\n",
                v);
    }
    fprintf(out, "Every proposed initiative counts, funded or not. Untapped: no initiative "
                 "acts on the\nsegment through that touchpoint.\n");
    return CXROI_OK;
}

cxroi_error cxroi_report_text_write(const cxroi_analysis *analysis, FILE *out)
{
    const cxroi_analysis *a = analysis;
    const cxroi_scenario *s = a->scenario;
    errno = 0;
    fprintf(out, "%s\n", s->name ? s->name : "(unnamed scenario)");
    fprintf(out, "  Scenario file   %s\n", s->file ? s->file : "-");
    fprintf(out, "  Horizon         %d year%s (cash flows at the end of years 0..%d)\n",
            s->horizon, s->horizon == 1 ? "" : "s", s->horizon);
    char rate[CELL];
    snprintf(rate, sizeof rate, "%.4g %%", 100.0 * a->discount_rate);
    fprintf(out, "  Discount rate   %s a year\n", rate);
    fprintf(out, "  Terminal value  %s\n",
            s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY
                ? "customer equity of the extra customers alive at the horizon"
                : "none");
    fprintf(out, "  Amounts         %s, deterministic case (every input at its base value)\n\n",
            s->currency);

    cxroi_error err = initiatives_table(a, out);
    if (err == CXROI_OK && a->simulation) {
        fputc('\n', out);
        err = risk_table(a, out);
    }
    if (err == CXROI_OK) {
        fputc('\n', out);
        err = segments_table(a, out);
    }
    if (err == CXROI_OK && a->portfolio) {
        fputc('\n', out);
        err = portfolio_table(a, out);
        if (err == CXROI_OK && a->portfolio->matrix.n_segments > 0) {
            fputc('\n', out);
            err = value_matrix_lines(a, out);
        }
    }
    if (err == CXROI_OK && (fflush(out) != 0 || ferror(out))) {
        if (errno == 0)
            errno = EIO;
        err = CXROI_ERROR_IO;
    }
    return err;
}
