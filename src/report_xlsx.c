/* The Excel report: a live model of the deterministic case (formulas on named input cells,
 * the engine's values cached in every formula cell) with the risk ranges beside it. */
#include "cxroi/report_xlsx.h"

#include "cxroi/atomic.h"
#include "cxroi/model.h"
#include "cxroi/portfolio.h"
#include "cxroi/report.h"
#include "cxroi/sbg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#ifndef CXROI_VERSION_STRING
#define CXROI_VERSION_STRING "unknown"
#endif

/* Excel refuses formulas longer than 8192 characters. */
#define FORMULA_MAX 8192
/* Bins of the NPV histograms. */
#define HIST_BINS CXROI_HISTOGRAM_BINS
/* Bars of a tornado chart at most (the largest swings). */
#define TORNADO_MAX 12
/* The sBG residual value V(a) = sum_k [S(a+k)/S(a)] x^(k+1) is written as a SUMPRODUCT over
 * k = 0..K-1. Its tail after K terms is below x^K (1+d)/d relatively; K is chosen so
 * x^K = e^-40 at half the scenario's discount rate, which keeps it far below 1e-15 when a
 * reader lowers the rate by half, and the sum exact to rounding at the rate as written. */
#define SBG_SERIES_EXPONENT 40.0
/* More terms than this (discount rates below about 8e-5) and the series is written as the
 * engine's number with a note instead. */
#define SBG_SERIES_MAX_TERMS 1000000

/* Sheet names; the order of creation is the order of the tabs. */
static const char SHEET_SUMMARY[] = "Summary";
static const char SHEET_ASSUMPTIONS[] = "Assumptions";
static const char SHEET_CASH[] = "Cash flows";
static const char SHEET_SIM[] = "Simulation";
static const char SHEET_SENS[] = "Sensitivity";
static const char SHEET_MATRIX[] = "Value matrix";
static const char SHEET_RETENTION[] = "Retention";
static const char SHEET_PORTFOLIO[] = "Portfolio";
static const char SHEET_SAMPLES[] = "Samples";

/* Columns of the Cash flows sheet: labels, a per-row constant, then the years 0..H. */
enum { CF_LABEL = 0, CF_CONST = 1, CF_YEAR0 = 2 };

/* Where a segment's baseline lives on the Cash flows sheet, and its values. */
typedef struct seg_base {
    bool sbg;
    double m;          /* contribution per customer */
    double *n;         /* N_t, t = 0..H */
    double *coh;       /* sBG: cohort j at t: coh[j * (H+1) + t] */
    double *v;         /* customer equity per unit of contribution: [0] constant; per cohort */
    lxw_row_t m_row;   /* m in column CF_CONST */
    lxw_row_t n_row;   /* N_t */
    lxw_row_t coh_row; /* sBG: first cohort row (V at H in column CF_CONST) */
    lxw_row_t v_row;   /* constant retention with equity: V in column CF_CONST */
} seg_base;

/* Where an initiative's customers in one segment are on the Cash flows sheet: the
 * retention row r'_t (constant retention) or the first cohort row (sBG), and N'_t. */
typedef struct ret_pos {
    bool set;
    bool cohorts;
    lxw_row_t r_row, coh_row, np_row;
} ret_pos;

/* Where an initiative's metrics are on the Cash flows sheet. */
typedef struct ini_pos {
    lxw_row_t npv, pv_costs, pv_benefits, roi, bcr, irr, mirr, payback, dpayback, risk_npv,
        break_even, tv;
} ini_pos;

typedef struct xw {
    const cxroi_analysis *a;
    const cxroi_scenario *s;
    const cxroi_diag *diag;
    const cxroi_portfolio *portfolio;
    cxroi_xlsx_options opt;
    lxw_workbook *wb;
    lxw_worksheet *ws_summary, *ws_assump, *ws_cash, *ws_sim, *ws_sens, *ws_matrix, *ws_ret,
        *ws_port;
    int H;
    double d;
    lxw_error lerr; /* first libxlsxwriter error */
    bool nomem;
    bool fmt_error; /* a formula did not fit FORMULA_MAX */
    char **names;   /* defined name per parameter */
    char **ini_names; /* per initiative: base of the structural names "initiatives.ID" */
    seg_base *seg;
    ini_pos *pos;
    ret_pos *rpos;      /* per initiative i and segment k: rpos[i * n_segments + k] */
    lxw_row_t year_row; /* row of the year numbers on Cash flows */
    lxw_row_t df_row;   /* discount factors */
    lxw_format *f_title, *f_subtitle, *f_header, *f_header_num, *f_bold, *f_note, *f_section,
        *f_money, *f_money_bold, *f_money2, *f_pct, *f_pct_bold, *f_pct2, *f_num, *f_count,
        *f_years, *f_factor, *f_in_money, *f_in_money2, *f_in_pct, *f_in_count, *f_in_num,
        *f_in_int, *f_loss, *f_good, *f_ratio, *f_general, *f_hidden, *f_multiple, *f_pct_high,
        *f_pct_low, *f_pct_high_bold, *f_pct_low_bold, *f_center, *f_year;
} xw;

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                       */

static void chk(xw *x, lxw_error e)
{
    if (e != LXW_NO_ERROR && x->lerr == LXW_NO_ERROR)
        x->lerr = e;
}

static char *dupstr(xw *x, const char *s)
{
    char *p = malloc(strlen(s) + 1);
    if (!p)
        x->nomem = true;
    else
        strcpy(p, s);
    return p;
}

size_t cxroi_report_xlsx_name(char *buf, size_t size, const char *key_path)
{
    size_t n = strlen(key_path);
    for (size_t i = 0; size > 0 && i < n && i + 1 < size; i++) {
        char c = key_path[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (c == '.' && i > 0);
        buf[i] = ok ? c : '_';
        buf[i + 1] = '\0';
    }
    if (size > 0 && n == 0)
        buf[0] = '\0';
    return n;
}

/* A formula being built; `over` when it outgrew Excel's limit. */
typedef struct fb {
    char s[FORMULA_MAX];
    size_t n;
    bool over;
} fb;

static void fb_reset(fb *f)
{
    f->n = 0;
    f->s[0] = '\0';
    f->over = false;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fb_add(fb *f, const char *fmt, ...)
{
    if (f->over)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(f->s + f->n, sizeof f->s - f->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof f->s - f->n) {
        f->over = true;
        f->s[f->n] = '\0';
        return;
    }
    f->n += (size_t)k;
}

/* "C12" relative, or with $ where asked. */
static const char *ref(char *buf, lxw_row_t r, lxw_col_t c, bool row_abs, bool col_abs)
{
    lxw_rowcol_to_cell_abs(buf, r, c, row_abs, col_abs);
    return buf;
}

/* "'Cash flows'!$C$12" */
static const char *xref(char *buf, size_t size, const char *sheet, lxw_row_t r, lxw_col_t c)
{
    char cell[32];
    lxw_rowcol_to_cell_abs(cell, r, c, 1, 1);
    snprintf(buf, size, "'%s'!%s", sheet, cell);
    return buf;
}

static void wnum(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f)
{
    if (isfinite(v))
        chk(x, worksheet_write_number(ws, r, c, v, f));
    else
        chk(x, worksheet_write_string(ws, r, c, "n/a", f));
}

static void wstr(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
{
    chk(x, worksheet_write_string(ws, r, c, s, f));
}

/* A section's band: `label` in the first column and the band's colour across the
 * columns before `cols`. */
static void section_band(xw *x, lxw_worksheet *ws, lxw_row_t row, const char *label,
                         lxw_col_t cols)
{
    wstr(x, ws, row, 0, label, x->f_section);
    for (lxw_col_t c = 1; c < cols; c++)
        wstr(x, ws, row, c, "", x->f_section);
}

/* A table's header: heads[0..n) across row `row`, two lines high for wrapped titles. */
static void header_row(xw *x, lxw_worksheet *ws, lxw_row_t row, const char *const *heads,
                       lxw_col_t n)
{
    for (lxw_col_t c = 0; c < n; c++)
        wstr(x, ws, row, c, heads[c], x->f_header);
    chk(x, worksheet_set_row(ws, row, 32, NULL));
}

/* A formula with its cached numeric result. */
static void wf(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const fb *f, lxw_format *fmt,
               double cached)
{
    if (f->over) {
        x->fmt_error = true;
        return;
    }
    if (isfinite(cached))
        chk(x, worksheet_write_formula_num(ws, r, c, f->s, fmt, cached));
    else
        chk(x, worksheet_write_formula_str(ws, r, c, f->s, fmt, "n/a"));
}

/* A formula with its cached text result. */
static void wfs(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const fb *f, lxw_format *fmt,
                const char *cached)
{
    if (f->over) {
        x->fmt_error = true;
        return;
    }
    chk(x, worksheet_write_formula_str(ws, r, c, f->s, fmt, cached));
}

static double base_of(const xw *x, size_t param, double absent)
{
    return param == CXROI_NONE ? absent : x->a->base_values[param];
}

/* The name of a parameter for a formula, or "0" when the input is absent. */
static const char *nm(const xw *x, size_t param)
{
    return param == CXROI_NONE ? "0" : x->names[param];
}

static double clamp01(double v)
{
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* ---------------------------------------------------------------------------------- */
/* Formats                                                                             */

/* The currency format: a symbol before the amount for the common currencies, the ISO
 * code after it otherwise; negatives in red, so a loss is seen at a glance. */
static void money_format(const char *currency, int decimals, char *buf, size_t size)
{
    static const struct {
        const char *code, *symbol;
    } symbols[] = {{"EUR", "\xE2\x82\xAC"}, {"USD", "$"}, {"GBP", "\xC2\xA3"},
                   {"JPY", "\xC2\xA5"},     {"CNY", "\xC2\xA5"}, {"INR", "\xE2\x82\xB9"}};
    const char *num = decimals ? "#,##0.00" : "#,##0";
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (strcmp(currency, symbols[i].code) == 0) {
            snprintf(buf, size, "\"%s\"%s;[Red]-\"%s\"%s", symbols[i].symbol, num,
                     symbols[i].symbol, num);
            return;
        }
    }
    if (currency[0])
        snprintf(buf, size, "%s \"%s\";[Red]-%s \"%s\"", num, currency, num, currency);
    else
        snprintf(buf, size, "%s;[Red]-%s", num, num);
}

static lxw_format *fmt_new(xw *x, const char *num, bool bold, bool input)
{
    lxw_format *f = workbook_add_format(x->wb);
    if (!f) {
        x->nomem = true;
        return NULL;
    }
    if (num)
        format_set_num_format(f, num);
    if (bold)
        format_set_bold(f);
    if (input) {
        /* The modelling convention: inputs in blue on pale yellow. */
        format_set_font_color(f, 0x0000CC);
        format_set_bg_color(f, 0xFFF8CC);
        format_set_border(f, LXW_BORDER_HAIR);
    }
    return f;
}

static void make_formats(xw *x)
{
    char money[96], money2[96];
    money_format(x->s->currency, 0, money, sizeof money);
    money_format(x->s->currency, 2, money2, sizeof money2);
    x->f_title = fmt_new(x, NULL, true, false);
    x->f_subtitle = fmt_new(x, NULL, false, false);
    x->f_header = fmt_new(x, NULL, true, false);
    x->f_header_num = fmt_new(x, "0", true, false);
    x->f_bold = fmt_new(x, NULL, true, false);
    x->f_note = fmt_new(x, NULL, false, false);
    x->f_section = fmt_new(x, NULL, true, false);
    x->f_money = fmt_new(x, money, false, false);
    x->f_money_bold = fmt_new(x, money, true, false);
    x->f_money2 = fmt_new(x, money2, false, false);
    x->f_pct = fmt_new(x, "0.0%", false, false);
    x->f_pct_bold = fmt_new(x, "0.0%", true, false);
    x->f_pct2 = fmt_new(x, "0.00%", false, false);
    x->f_num = fmt_new(x, "0.0000", false, false);
    x->f_count = fmt_new(x, "#,##0", false, false);
    x->f_years = fmt_new(x, "0.00", false, false);
    x->f_factor = fmt_new(x, "0.000000", false, false);
    x->f_ratio = fmt_new(x, "0.00", false, false);
    x->f_multiple = fmt_new(x, "0.00\"x\"", false, false);
    /* A probability that one decimal would round to certainty keeps its value but shows
     * what the terminal shows (cxroi_report_probability_bound()). */
    x->f_pct_high = fmt_new(x, "\">99.9%\"", false, false);
    x->f_pct_low = fmt_new(x, "\"<0.1%\"", false, false);
    x->f_pct_high_bold = fmt_new(x, "\">99.9%\"", true, false);
    x->f_pct_low_bold = fmt_new(x, "\"<0.1%\"", true, false);
    x->f_general = fmt_new(x, "#,##0.####", false, false);
    x->f_hidden = fmt_new(x, "#,##0", false, false);
    x->f_year = fmt_new(x, "0", false, false);
    x->f_in_money = fmt_new(x, money, false, true);
    x->f_in_money2 = fmt_new(x, money2, false, true);
    x->f_in_pct = fmt_new(x, "0.00%", false, true);
    x->f_in_count = fmt_new(x, "#,##0", false, true);
    x->f_in_num = fmt_new(x, "0.000000", false, true);
    x->f_in_int = fmt_new(x, "0", false, true);
    x->f_loss = fmt_new(x, NULL, true, false);
    x->f_good = fmt_new(x, NULL, false, false);
    x->f_center = fmt_new(x, NULL, false, false);
    if (x->nomem)
        return;
    format_set_font_size(x->f_title, 14);
    format_set_font_color(x->f_subtitle, 0x555555);
    format_set_italic(x->f_subtitle);
    lxw_format *headers[] = {x->f_header, x->f_header_num};
    for (size_t i = 0; i < 2; i++) {
        format_set_bg_color(headers[i], 0x1F3864);
        format_set_font_color(headers[i], 0xFFFFFF);
        format_set_text_wrap(headers[i]);
        format_set_align(headers[i], LXW_ALIGN_VERTICAL_CENTER);
    }
    format_set_align(x->f_header_num, LXW_ALIGN_RIGHT);
    format_set_italic(x->f_note);
    format_set_font_color(x->f_note, 0x555555);
    format_set_bg_color(x->f_section, 0xD9E1F2);
    format_set_top(x->f_money_bold, LXW_BORDER_THIN);
    format_set_bg_color(x->f_loss, 0xF4CCCC);
    format_set_font_color(x->f_loss, 0x9C0006);
    format_set_font_color(x->f_good, 0x006100);
    /* Funded yes/no centred, apart from the multiplier before them; "none", "n/a" and
     * "not within horizon" right-aligned like the numbers of their columns. */
    format_set_align(x->f_good, LXW_ALIGN_CENTER);
    format_set_align(x->f_center, LXW_ALIGN_CENTER);
    format_set_align(x->f_pct, LXW_ALIGN_RIGHT);
    format_set_align(x->f_years, LXW_ALIGN_RIGHT);
    format_set_align(x->f_multiple, LXW_ALIGN_RIGHT);
    format_set_font_color(x->f_hidden, 0x808080);
    format_set_align(x->f_year, LXW_ALIGN_LEFT);
    format_set_indent(x->f_year, 1);
}

/* The format of a probability: 0.0 %, or ">99.9%" / "<0.1%" where one decimal would
 * show certainty that no run proved. */
static lxw_format *prob_format(const xw *x, double p, bool bold)
{
    int bound = cxroi_report_probability_bound(p);
    if (bound > 0)
        return bold ? x->f_pct_high_bold : x->f_pct_high;
    if (bound < 0)
        return bold ? x->f_pct_low_bold : x->f_pct_low;
    return bold ? x->f_pct_bold : x->f_pct;
}

/* Print set-up shared by every sheet: landscape A4 (Excel picks Letter where that is the
 * paper), one page wide, the header rows repeated, the sheet and page in the footer. */
static void print_setup(xw *x, lxw_worksheet *ws, lxw_row_t repeat_first, lxw_row_t repeat_last,
                        bool repeat)
{
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_set_margins(ws, 0.4, 0.4, 0.6, 0.6);
    if (repeat)
        chk(x, worksheet_repeat_rows(ws, repeat_first, repeat_last));
    /* '&' starts a code in headers: the scenario's name has its own doubled. */
    char name[120];
    size_t k = 0;
    for (const char *p = x->s->name; *p && k + 3 < sizeof name; p++) {
        if (*p == '&')
            name[k++] = '&';
        name[k++] = *p;
    }
    name[k] = '\0';
    char header[200];
    snprintf(header, sizeof header, "&L%s&Rcxroi %s", name, CXROI_VERSION_STRING);
    chk(x, worksheet_set_header(ws, header));
    chk(x, worksheet_set_footer(ws, "&L&A&RPage &P of &N"));
}

/* ---------------------------------------------------------------------------------- */
/* Assumptions                                                                         */

/* What an input measures, by its key: how it is shown. */
typedef enum value_kind { VK_PCT, VK_MONEY, VK_MONEY2, VK_COUNT, VK_NUM } value_kind;

static value_kind kind_of(const char *path)
{
    const char *last = strrchr(path, '.');
    last = last ? last + 1 : path;
    if (strstr(path, ".effects.") || strstr(path, "risk_adjustment"))
        return VK_PCT;
    if (strcmp(last, "upfront") == 0 || strcmp(last, "annual") == 0)
        return VK_MONEY;
    if (strcmp(last, "revenue_per_customer") == 0 || strcmp(last, "cost_to_serve") == 0)
        return VK_MONEY2;
    if (strcmp(last, "margin") == 0 || strcmp(last, "retention") == 0 ||
        strcmp(last, "discount_rate") == 0)
        return VK_PCT;
    if (strcmp(last, "customers") == 0 || strcmp(last, "acquisitions_per_year") == 0)
        return VK_COUNT;
    return VK_NUM;
}

/* An input's format where it is entered (Assumptions): money, a rate, a count or a
 * plain number, in the input style. */
static lxw_format *input_format(xw *x, const char *path)
{
    lxw_format *const by_kind[] = {x->f_in_pct, x->f_in_money, x->f_in_money2, x->f_in_count,
                                   x->f_in_num};
    return by_kind[kind_of(path)];
}

/* The same where a value of the input is shown as a result (Sensitivity). */
static lxw_format *value_format(xw *x, const char *path)
{
    lxw_format *const by_kind[] = {x->f_pct2, x->f_money, x->f_money2, x->f_count, x->f_num};
    return by_kind[kind_of(path)];
}

/* Define @p name as the absolute cell (row, col) of the Assumptions sheet. */
static void define(xw *x, const char *name, lxw_row_t row, lxw_col_t col)
{
    char target[64], cell[32];
    lxw_rowcol_to_cell_abs(cell, row, col, 1, 1);
    snprintf(target, sizeof target, "=%s!%s", SHEET_ASSUMPTIONS, cell);
    chk(x, workbook_define_name(x->wb, name, target));
}

/* A unique defined name for @p path (two key paths differing only in characters Excel
 * does not allow in names would otherwise collide). */
static char *unique_name(xw *x, const char *path, char **taken, size_t n_taken)
{
    char base[300], name[320];
    cxroi_report_xlsx_name(base, sizeof base, path);
    snprintf(name, sizeof name, "%s", base);
    for (int k = 2;; k++) {
        bool clash = false;
        for (size_t i = 0; i < n_taken && !clash; i++)
            clash = taken[i] && strcmp(taken[i], name) == 0;
        if (!clash)
            break;
        snprintf(name, sizeof name, "%s_%d", base, k);
    }
    return dupstr(x, name);
}

enum { AS_PATH = 0, AS_NAME, AS_DIST, AS_BASE, AS_P10, AS_P90, AS_WHERE };

static void structural_row(xw *x, lxw_row_t row, const char *path, const char *what, double value,
                           lxw_format *f)
{
    lxw_worksheet *ws = x->ws_assump;
    char name[300];
    cxroi_report_xlsx_name(name, sizeof name, path);
    wstr(x, ws, row, AS_PATH, path, NULL);
    wstr(x, ws, row, AS_NAME, name, NULL);
    wstr(x, ws, row, AS_DIST, what, NULL);
    wnum(x, ws, row, AS_BASE, value, f);
    define(x, name, row, AS_BASE);
}

static void sheet_assumptions(xw *x)
{
    lxw_worksheet *ws = x->ws_assump;
    const cxroi_scenario *s = x->s;
    wstr(x, ws, 0, 0, "Assumptions: every input of the model", x->f_title);
    wstr(x, ws, 1, 0,
         "Base values (blue on yellow) are the deterministic case; each is a named cell that the "
         "formulas on 'Cash flows' use. Change one and every deterministic figure recomputes. "
         "P10 and P90 are the input's own percentiles (the ends of the tornado bars).",
         x->f_subtitle);
    static const char *const heads[] = {"Input (key path)",   "Name in formulas", "Distribution",
                                        "Base value",         "P10",              "P90",
                                        "Where it is written"};
    for (lxw_col_t c = 0; c < 7; c++)
        wstr(x, ws, 3, c, heads[c], x->f_header);
    x->names = calloc(s->n_params ? s->n_params : 1, sizeof *x->names);
    if (!x->names) {
        x->nomem = true;
        return;
    }
    lxw_row_t row = 4;
    for (size_t p = 0; p < s->n_params; p++, row++) {
        const cxroi_param *par = &s->params[p];
        x->names[p] = unique_name(x, par->path, x->names, p);
        if (!x->names[p])
            return;
        char desc[512];
        cxroi_dist_describe(&par->dist, desc, sizeof desc);
        lxw_format *f = input_format(x, par->path);
        wstr(x, ws, row, AS_PATH, par->path, NULL);
        wstr(x, ws, row, AS_NAME, x->names[p], NULL);
        wstr(x, ws, row, AS_DIST, desc, NULL);
        wnum(x, ws, row, AS_BASE, x->a->base_values[p], f);
        if (cxroi_dist_is_uncertain(&par->dist)) {
            lxw_format *plain = f == x->f_in_money    ? x->f_money
                                : f == x->f_in_money2 ? x->f_money2
                                : f == x->f_in_pct    ? x->f_pct2
                                : f == x->f_in_count  ? x->f_count
                                                      : x->f_num;
            wnum(x, ws, row, AS_P10, cxroi_dist_quantile(&par->dist, 0.1), plain);
            wnum(x, ws, row, AS_P90, cxroi_dist_quantile(&par->dist, 0.9), plain);
        }
        if (par->mark.file) {
            char where[400];
            snprintf(where, sizeof where, "%s:%d:%d", par->mark.file, par->mark.line,
                     par->mark.column);
            wstr(x, ws, row, AS_WHERE, where, NULL);
        }
        define(x, x->names[p], row, AS_BASE);
    }
    /* Structural inputs: whole years and the risk adjustment. Named too, so a reader can
     * delay an initiative or change its ramp and see the cash flows move. */
    row++;
    wstr(x, ws, row++, 0, "Timing, risk adjustment and cohort ages", x->f_section);
    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_initiative *in = &s->initiatives[i];
        char path[200];
        snprintf(path, sizeof path, "initiatives.%s.start", in->id);
        structural_row(x, row++, path, "years of delay before the investment (whole years)",
                       in->start, x->f_in_int);
        snprintf(path, sizeof path, "initiatives.%s.ramp_years", in->id);
        structural_row(x, row++, path, "years to full strength (whole years; 0: at once)",
                       in->ramp_years, x->f_in_int);
        snprintf(path, sizeof path, "initiatives.%s.risk_adjustment.benefits", in->id);
        structural_row(x, row++, path, "risk-adjusted case: benefits lowered by", in->risk_benefits,
                       x->f_in_pct);
        snprintf(path, sizeof path, "initiatives.%s.risk_adjustment.costs", in->id);
        structural_row(x, row++, path, "risk-adjusted case: costs raised by", in->risk_costs,
                       x->f_in_pct);
    }
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *seg = &s->segments[k];
        if (seg->retention_kind != CXROI_RETENTION_SBG)
            continue;
        char path[200];
        snprintf(path, sizeof path, "segments.%s.retention_curve.tenure", seg->id);
        structural_row(x, row++, path, "age in years of the existing base (whole years)",
                       seg->tenure, x->f_in_int);
    }
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *seg = &s->segments[k];
        if (seg->retention_kind == CXROI_RETENTION_SURVIVAL && seg->sbg_alpha != CXROI_NONE) {
            char line[200];
            snprintf(line, sizeof line,
                     "segments.%s.survival: alpha and beta above are the maximum-likelihood "
                     "fit of the survival curve (sBG, Fader & Hardie 2007).",
                     seg->id);
            wstr(x, ws, row++, 0, line, x->f_note);
        }
    }
    chk(x, worksheet_set_column(ws, AS_PATH, AS_PATH, 52, NULL));
    chk(x, worksheet_set_column(ws, AS_NAME, AS_NAME, 44, NULL));
    chk(x, worksheet_set_column(ws, AS_DIST, AS_DIST, 50, NULL));
    chk(x, worksheet_set_column(ws, AS_BASE, AS_P90, 15, NULL));
    chk(x, worksheet_set_column(ws, AS_WHERE, AS_WHERE, 36, NULL));
    worksheet_freeze_panes(ws, 4, 1);
    chk(x, worksheet_autofilter(ws, 3, 0, 3 + (lxw_row_t)s->n_params, AS_WHERE));
    print_setup(x, ws, 3, 3, true);
}

/* ---------------------------------------------------------------------------------- */
/* Cash flows: the model as formulas                                                   */

static char *struct_name(xw *x, const char *prefix, const char *id)
{
    char path[300], name[300];
    snprintf(path, sizeof path, "%s.%s", prefix, id);
    cxroi_report_xlsx_name(name, sizeof name, path);
    return dupstr(x, name);
}

/* Year column of year t, and "C$5": the year number a formula reads. */
static lxw_col_t ycol(int t)
{
    return (lxw_col_t)(CF_YEAR0 + t);
}

static const char *year_ref(const xw *x, char *buf, int t)
{
    return ref(buf, x->year_row, ycol(t), true, false);
}

/* sBG: V(a) = sum_{k>=0} [S(a+k)/S(a)] x^(k+1), x = 1/(1+d), with
 * S(a+k)/S(a) = Gamma(b+k) Gamma(c) / (Gamma(b) Gamma(c+k)), b = beta + a, c = alpha + b,
 * summed over the row numbers of a fixed range (k = ROW() - 1). @p age is a formula term. */
static void sbg_value_formula(fb *f, const char *alpha, const char *beta, const char *age,
                              long terms)
{
    char k[64];
    snprintf(k, sizeof k, "(ROW($A$1:$A$%ld)-1)", terms);
    fb_add(f,
           "=SUMPRODUCT(EXP(GAMMALN(%s+%s+%s)-GAMMALN(%s+%s)+GAMMALN(%s+%s+%s)"
           "-GAMMALN(%s+%s+%s+%s)-(%s+1)*LN(1+discount_rate)))",
           beta, age, k, beta, age, alpha, beta, age, alpha, beta, age, k, k);
}

static long sbg_terms(double d)
{
    if (!(d > 0.0))
        return -1;
    double k = ceil(SBG_SERIES_EXPONENT / log1p(0.5 * d));
    return k > SBG_SERIES_MAX_TERMS ? -1 : (long)k + 1;
}

/* The tenure of segment `seg` in a formula: the defined name of an sBG segment's
 * retention_curve.tenure (an input the reader may change); 0 for a survival curve, whose
 * fit starts its base at age 0 (the model's tenure there). */
static void tenure_formula(const cxroi_segment *seg, char *out, size_t size)
{
    if (seg->retention_kind != CXROI_RETENTION_SBG) {
        snprintf(out, size, "0");
        return;
    }
    char path[300];
    snprintf(path, sizeof path, "segments.%s.retention_curve.tenure", seg->id);
    cxroi_report_xlsx_name(out, size, path);
}

/* The baseline of every segment: customers without any initiative, contribution per
 * customer, and with customer equity the value at H of a customer. */
static lxw_row_t cash_baseline(xw *x, lxw_row_t row)
{
    lxw_worksheet *ws = x->ws_cash;
    const cxroi_scenario *s = x->s;
    int H = x->H;
    size_t len = (size_t)H + 1;
    bool equity = s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    char c1[32], c2[32];
    fb f;
    wstr(x, ws, row++, CF_LABEL, "Baseline: the customer base without any initiative",
         x->f_section);
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *spec = &s->segments[k];
        seg_base *b = &x->seg[k];
        const char *cust = nm(x, spec->customers), *rev = nm(x, spec->revenue_per_customer),
                   *margin = nm(x, spec->margin), *cts = nm(x, spec->cost_to_serve),
                   *acq = nm(x, spec->acquisitions_per_year);
        double v_cust = base_of(x, spec->customers, 0.0), v_rev = base_of(x, spec->revenue_per_customer, 0.0),
               v_margin = base_of(x, spec->margin, 0.0), v_cts = base_of(x, spec->cost_to_serve, 0.0),
               v_acq = base_of(x, spec->acquisitions_per_year, 0.0);
        char label[300];
        snprintf(label, sizeof label, "%s (%s)", spec->name, spec->id);
        wstr(x, ws, row++, CF_LABEL, label, x->f_bold);
        /* m = revenue * margin - cost_to_serve */
        b->m = v_rev * v_margin - v_cts;
        b->m_row = row;
        wstr(x, ws, row, CF_LABEL, "  Contribution per customer m = revenue x margin - cost to serve",
             NULL);
        fb_reset(&f);
        fb_add(&f, "=%s*%s-%s", rev, margin, cts);
        wf(x, ws, row++, CF_CONST, &f, x->f_money2, b->m);
        b->sbg = spec->retention_kind != CXROI_RETENTION_CONSTANT;
        double d = x->d;
        if (!b->sbg) {
            const char *r = nm(x, spec->retention);
            double v_r = base_of(x, spec->retention, 0.0);
            b->n_row = row;
            wstr(x, ws, row, CF_LABEL, "  Customers N_t = N_{t-1} x retention + acquisitions", NULL);
            for (int t = 0; t <= H; t++) {
                fb_reset(&f);
                if (t == 0) {
                    b->n[0] = v_cust;
                    fb_add(&f, "=%s", cust);
                } else {
                    b->n[t] = b->n[t - 1] * v_r + v_acq;
                    fb_add(&f, "=%s*%s+%s", ref(c1, row, ycol(t - 1), false, false), r, acq);
                }
                wf(x, ws, row, ycol(t), &f, x->f_count, b->n[t]);
            }
            row++;
            if (equity) {
                /* A customer alive at H is worth m sum_k r^k/(1+d)^(k+1) = m/(1+d-r):
                 * V = 1/(1+d-r) per unit of contribution. */
                b->v[0] = 1.0 / (1.0 + d - v_r);
                b->v_row = row;
                wstr(x, ws, row, CF_LABEL,
                     "  Customer equity factor at H: V = 1 / (1 + d - r), value = m x V", NULL);
                fb_reset(&f);
                fb_add(&f, "=1/(1+discount_rate-%s)", r);
                wf(x, ws, row++, CF_CONST, &f, x->f_num, b->v[0]);
            }
            continue;
        }
        /* sBG: each cohort keeps its own age; r(a) = (beta + a) / (alpha + beta + a). The
         * existing base has age tenure + t - 1 during year t, the cohort acquired in year j
         * age t - 1 - j. */
        const char *alpha = nm(x, spec->sbg_alpha), *beta = nm(x, spec->sbg_beta);
        double va = base_of(x, spec->sbg_alpha, NAN), vb = base_of(x, spec->sbg_beta, NAN);
        char tenure[320];
        tenure_formula(spec, tenure, sizeof tenure);
        b->coh_row = row;
        for (int j = 0; j <= H; j++) {
            lxw_row_t r = row + (lxw_row_t)j;
            if (j == 0)
                snprintf(label, sizeof label, "  Cohort: existing base (age %s at the start)%s",
                         spec->retention_kind == CXROI_RETENTION_SBG ? "tenure" : "0",
                         equity ? "; B: V at H" : "");
            else
                snprintf(label, sizeof label, "  Cohort: acquired in year %d", j);
            wstr(x, ws, r, CF_LABEL, label, NULL);
            for (int t = j; t <= H; t++) {
                double *c = &b->coh[(size_t)j * len + (size_t)t];
                fb_reset(&f);
                if (t == j) {
                    *c = j == 0 ? v_cust : v_acq;
                    fb_add(&f, "=%s", j == 0 ? cust : acq);
                } else {
                    char age[340];
                    double a_num;
                    if (j == 0) {
                        snprintf(age, sizeof age, "(%s+%d)", tenure, t - 1);
                        a_num = spec->tenure + t - 1;
                    } else {
                        snprintf(age, sizeof age, "%d", t - 1 - j);
                        a_num = t - 1 - j;
                    }
                    *c = c[-1] * cxroi_sbg_retention(va, vb, a_num);
                    fb_add(&f, "=%s*((%s+%s)/(%s+%s+%s))", ref(c1, r, ycol(t - 1), false, false),
                           beta, age, alpha, beta, age);
                }
                wf(x, ws, r, ycol(t), &f, x->f_count, *c);
            }
            chk(x, worksheet_set_row_opt(ws, r, LXW_DEF_ROW_HEIGHT, NULL,
                                         &(lxw_row_col_options){.hidden = 0, .level = 1,
                                                                .collapsed = 0}));
        }
        row += (lxw_row_t)len;
        b->n_row = row;
        wstr(x, ws, row, CF_LABEL, "  Customers N_t (all cohorts)", NULL);
        for (int t = 0; t <= H; t++) {
            double sum = 0.0;
            for (int j = 0; j <= t; j++)
                sum += b->coh[(size_t)j * len + (size_t)t];
            b->n[t] = sum;
            fb_reset(&f);
            fb_add(&f, "=SUM(%s:%s)", ref(c1, b->coh_row, ycol(t), false, false),
                   ref(c2, b->coh_row + (lxw_row_t)H, ycol(t), false, false));
            wf(x, ws, row, ycol(t), &f, x->f_count, b->n[t]);
        }
        row++;
        if (equity) {
            /* V at H per cohort in the constant column: the base at age tenure + H and the
             * cohort of year 1 at age H - 1 from the series; the younger cohorts by
             * V(a) = (1 + r(a) V(a+1)) / (1 + d), the first renewal peeled off the sum. */
            long terms = sbg_terms(d);
            for (int j = 0; j <= H; j++) {
                lxw_row_t r = b->coh_row + (lxw_row_t)j;
                double age_num = j == 0 ? spec->tenure + H : H - j;
                fb_reset(&f);
                if (j == 0 || j == 1) {
                    b->v[j] = cxroi_model_sbg_residual_value(va, vb, age_num, d);
                    char age[340];
                    if (j == 0)
                        snprintf(age, sizeof age, "(%s+%d)", tenure, H);
                    else
                        snprintf(age, sizeof age, "%d", H - 1);
                    if (terms > 0) {
                        sbg_value_formula(&f, alpha, beta, age, terms);
                        wf(x, ws, r, CF_CONST, &f, x->f_num, b->v[j]);
                    } else {
                        wnum(x, ws, r, CF_CONST, b->v[j], x->f_num);
                        chk(x, worksheet_write_comment(
                                   ws, r, CF_CONST,
                                   "The engine's value (Gauss hypergeometric function): at "
                                   "this discount rate the series needs more rows than a "
                                   "sheet has."));
                    }
                } else {
                    double ra = cxroi_sbg_retention(va, vb, age_num);
                    b->v[j] = (1.0 + ra * b->v[j - 1]) / (1.0 + d);
                    fb_add(&f, "=(1+((%s+%d)/(%s+%s+%d))*%s)/(1+discount_rate)", beta, H - j,
                           alpha, beta, H - j, ref(c1, r - 1, CF_CONST, false, false));
                    wf(x, ws, r, CF_CONST, &f, x->f_num, b->v[j]);
                }
            }
        }
    }
    return row + 1;
}

/* One initiative's block; returns the next free row. */
static lxw_row_t cash_initiative(xw *x, size_t i, lxw_row_t row)
{
    lxw_worksheet *ws = x->ws_cash;
    const cxroi_scenario *s = x->s;
    const cxroi_initiative *in = &s->initiatives[i];
    const cxroi_deterministic *det = &x->a->initiatives[i];
    ini_pos *pos = &x->pos[i];
    int H = x->H;
    size_t len = (size_t)H + 1;
    bool equity = s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY;
    const char *ini = x->ini_names[i];
    char c1[32], c2[32], c3[32], y[32], label[400];
    fb f;
    snprintf(label, sizeof label, "Initiative: %s (%s)%s", in->name, in->id,
             in->kind == CXROI_INITIATIVE_OTHER ? ", not a CX initiative" : "");
    section_band(x, ws, row++, label, ycol(H) + 1);

    /* g_t = 0 for t <= start; min(1, (t - start) / ramp_years); 1 when ramp_years = 0. */
    double g[CXROI_MAX_HORIZON + 1];
    lxw_row_t g_row = row;
    wstr(x, ws, row, CF_LABEL, "Ramp g_t (share of the full effect)", NULL);
    for (int t = 0; t <= H; t++) {
        g[t] = t <= in->start ? 0.0
               : in->ramp_years <= 0
                   ? 1.0
                   : fmin(1.0, (double)(t - in->start) / (double)in->ramp_years);
        fb_reset(&f);
        year_ref(x, y, t);
        fb_add(&f, "=IF(%s<=%s.start,0,IF(%s.ramp_years<=0,1,MIN(1,(%s-%s.start)/%s.ramp_years)))",
               y, ini, ini, y, ini, ini);
        wf(x, ws, row, ycol(t), &f, x->f_pct, g[t]);
    }
    row++;

    /* The rows the benefit and terminal-value sums add up: at most one of each per effect. */
    lxw_row_t *benefit_rows = malloc(2 * (in->n_effects ? in->n_effects : 1) * sizeof(lxw_row_t));
    lxw_row_t *tv_rows = benefit_rows ? benefit_rows + in->n_effects : NULL;
    size_t n_benefit_rows = 0, n_tv = 0;
    if (!benefit_rows) {
        x->nomem = true;
        return row;
    }
    for (size_t e = 0; e < in->n_effects; e++) {
        const cxroi_effect *eff = &in->effects[e];
        const cxroi_segment *spec = &s->segments[eff->segment];
        const seg_base *b = &x->seg[eff->segment];
        const char *rev = nm(x, spec->revenue_per_customer), *margin = nm(x, spec->margin),
                   *cts = nm(x, spec->cost_to_serve), *acq = nm(x, spec->acquisitions_per_year);
        double v_rev = base_of(x, spec->revenue_per_customer, 0.0),
               v_margin = base_of(x, spec->margin, 0.0), v_cts = base_of(x, spec->cost_to_serve, 0.0),
               v_acq = base_of(x, spec->acquisitions_per_year, 0.0);
        double d_ret = base_of(x, eff->retention, 0.0), d_churn = base_of(x, eff->churn, 0.0),
               d_rev = base_of(x, eff->revenue, 0.0), d_cts = base_of(x, eff->cost_to_serve, 0.0),
               d_acq = base_of(x, eff->acquisitions, 0.0);
        snprintf(label, sizeof label, "%s (%s)", spec->name, spec->id);
        wstr(x, ws, row++, CF_LABEL, label, x->f_bold);

        /* retention' = clamp(r + dRet g, 0, 1), or 1 - (1 - r)(1 + dChurn g) clamped; with
         * g = 0 the rate itself, as the engine does (1 - (1 - r) is not always r). */
        char rprime[1200];
#define RETENTION_WITH(r_text, g_text)                                                          \
    do {                                                                                        \
        if (eff->retention != CXROI_NONE)                                                       \
            snprintf(rprime, sizeof rprime, "IF(%s=0,%s,MIN(1,MAX(0,%s+%s*%s)))", g_text,       \
                     r_text, r_text, nm(x, eff->retention), g_text);                            \
        else if (eff->churn != CXROI_NONE)                                                      \
            snprintf(rprime, sizeof rprime, "IF(%s=0,%s,MIN(1,MAX(0,1-(1-%s)*(1+%s*%s))))",     \
                     g_text, r_text, r_text, nm(x, eff->churn), g_text);                        \
        else                                                                                    \
            snprintf(rprime, sizeof rprime, "%s", r_text);                                      \
    } while (0)
        double np[CXROI_MAX_HORIZON + 1];
        lxw_row_t np_row;
        double tv_mirror = 0.0;
        if (!b->sbg) {
            const char *r = nm(x, spec->retention);
            double v_r = base_of(x, spec->retention, 0.0);
            lxw_row_t r_row = row++;
            wstr(x, ws, r_row, CF_LABEL, "  Retention with the initiative r'_t", NULL);
            np_row = row++;
            wstr(x, ws, np_row, CF_LABEL,
                 "  Customers with the initiative N'_t = N'_{t-1} r'_t + A (1 + dAcq g_t)", NULL);
            for (int t = 0; t <= H; t++) {
                if (t == 0) {
                    np[0] = b->n[0];
                    fb_reset(&f);
                    fb_add(&f, "=%s", ref(c1, b->n_row, ycol(0), false, false));
                    wf(x, ws, np_row, ycol(0), &f, x->f_count, np[0]);
                    continue;
                }
                char gt[32];
                ref(gt, g_row, ycol(t), false, false);
                double rp = v_r;
                if (g[t] != 0.0) {
                    if (eff->retention != CXROI_NONE)
                        rp = clamp01(v_r + d_ret * g[t]);
                    else if (eff->churn != CXROI_NONE)
                        rp = clamp01(1.0 - (1.0 - v_r) * (1.0 + d_churn * g[t]));
                }
                RETENTION_WITH(r, gt);
                fb_reset(&f);
                fb_add(&f, "=%s", rprime);
                wf(x, ws, r_row, ycol(t), &f, x->f_pct2, rp);
                np[t] = np[t - 1] * rp + v_acq * (1.0 + d_acq * g[t]);
                fb_reset(&f);
                fb_add(&f, "=%s*%s+%s*(1+%s*%s)", ref(c1, np_row, ycol(t - 1), false, false),
                       ref(c2, r_row, ycol(t), false, false), acq, nm(x, eff->acquisitions), gt);
                wf(x, ws, np_row, ycol(t), &f, x->f_count, np[t]);
            }
            if (equity)
                tv_mirror = (np[H] - b->n[H]) * b->m * b->v[0];
            x->rpos[i * s->n_segments + eff->segment] =
                (ret_pos){.set = true, .cohorts = false, .r_row = r_row, .np_row = np_row};
        } else {
            const char *alpha = nm(x, spec->sbg_alpha), *beta = nm(x, spec->sbg_beta);
            double va = base_of(x, spec->sbg_alpha, NAN), vb = base_of(x, spec->sbg_beta, NAN);
            char tenure[320];
            tenure_formula(spec, tenure, sizeof tenure);
            lxw_row_t coh_row = row;
            double tv = 0.0;
            for (int t = 0; t <= H; t++)
                np[t] = 0.0;
            for (int j = 0; j <= H; j++) {
                lxw_row_t r = coh_row + (lxw_row_t)j;
                if (j == 0)
                    snprintf(label, sizeof label, "  With the initiative: existing base");
                else
                    snprintf(label, sizeof label, "  With the initiative: acquired in year %d", j);
                wstr(x, ws, r, CF_LABEL, label, NULL);
                double c = 0.0;
                for (int t = j; t <= H; t++) {
                    char gt[32];
                    ref(gt, g_row, ycol(t), false, false);
                    fb_reset(&f);
                    if (t == j) {
                        if (j == 0) {
                            c = b->n[0];
                            fb_add(&f, "=%s", ref(c1, b->coh_row, ycol(0), false, false));
                        } else {
                            c = v_acq * (1.0 + d_acq * g[t]);
                            fb_add(&f, "=%s*(1+%s*%s)", acq, nm(x, eff->acquisitions), gt);
                        }
                    } else {
                        char age[340], rtext[1000];
                        double a_num;
                        if (j == 0) {
                            snprintf(age, sizeof age, "(%s+%d)", tenure, t - 1);
                            a_num = spec->tenure + t - 1;
                        } else {
                            snprintf(age, sizeof age, "%d", t - 1 - j);
                            a_num = t - 1 - j;
                        }
                        double rb = cxroi_sbg_retention(va, vb, a_num), rp = rb;
                        if (g[t] != 0.0) {
                            if (eff->retention != CXROI_NONE)
                                rp = clamp01(rb + d_ret * g[t]);
                            else if (eff->churn != CXROI_NONE)
                                rp = clamp01(1.0 - (1.0 - rb) * (1.0 + d_churn * g[t]));
                        }
                        c *= rp;
                        snprintf(rtext, sizeof rtext, "((%s+%s)/(%s+%s+%s))", beta, age, alpha,
                                 beta, age);
                        RETENTION_WITH(rtext, gt);
                        fb_add(&f, "=%s*%s", ref(c1, r, ycol(t - 1), false, false), rprime);
                    }
                    np[t] += c;
                    wf(x, ws, r, ycol(t), &f, x->f_count, c);
                }
                if (equity)
                    tv += (c - b->coh[(size_t)j * len + (size_t)H]) * b->v[j];
                chk(x, worksheet_set_row_opt(ws, r, LXW_DEF_ROW_HEIGHT, NULL,
                                             &(lxw_row_col_options){.hidden = 0, .level = 1,
                                                                    .collapsed = 0}));
            }
            row += (lxw_row_t)len;
            np_row = row++;
            wstr(x, ws, np_row, CF_LABEL, "  Customers with the initiative N'_t (all cohorts)",
                 NULL);
            for (int t = 0; t <= H; t++) {
                fb_reset(&f);
                fb_add(&f, "=SUM(%s:%s)", ref(c1, coh_row, ycol(t), false, false),
                       ref(c2, coh_row + (lxw_row_t)H, ycol(t), false, false));
                wf(x, ws, np_row, ycol(t), &f, x->f_count, np[t]);
            }
            tv_mirror = tv * b->m;
            x->rpos[i * s->n_segments + eff->segment] =
                (ret_pos){.set = true, .cohorts = true, .coh_row = coh_row, .np_row = np_row};
            if (equity) {
                /* TV = m sum_j (N'_{j,H} - N_{j,H}) V_j over the cohorts. */
                lxw_row_t tv_row = row++;
                wstr(x, ws, tv_row, CF_LABEL,
                     "  Customer equity at H: m x sum over cohorts of extra customers x V", NULL);
                char r1[32], r2[32], r3[32], r4[32], r5[32], r6[32];
                fb_reset(&f);
                fb_add(&f, "=%s*SUMPRODUCT(%s:%s-%s:%s,%s:%s)",
                       ref(c3, b->m_row, CF_CONST, false, false),
                       ref(r1, coh_row, ycol(H), false, false),
                       ref(r2, coh_row + (lxw_row_t)H, ycol(H), false, false),
                       ref(r3, b->coh_row, ycol(H), false, false),
                       ref(r4, b->coh_row + (lxw_row_t)H, ycol(H), false, false),
                       ref(r5, b->coh_row, CF_CONST, false, false),
                       ref(r6, b->coh_row + (lxw_row_t)H, CF_CONST, false, false));
                wf(x, ws, tv_row, ycol(H), &f, x->f_money, tv_mirror);
                tv_rows[n_tv++] = tv_row;
            }
        }
        /* Customers without the initiative, beside the ones with it. */
        lxw_row_t n_row = row++;
        wstr(x, ws, n_row, CF_LABEL, "  Customers without the initiative N_t (baseline)", NULL);
        for (int t = 0; t <= H; t++) {
            fb_reset(&f);
            fb_add(&f, "=%s", ref(c1, b->n_row, ycol(t), false, false));
            wf(x, ws, n_row, ycol(t), &f, x->f_count, b->n[t]);
        }
        /* m'_t = revenue (1 + dRev g) margin - cts (1 + dCts g) */
        lxw_row_t m_row = row++;
        wstr(x, ws, m_row, CF_LABEL,
             "  Contribution per customer m'_t = rev (1 + dRev g) margin - cts (1 + dCts g)", NULL);
        lxw_row_t b_row = row++;
        wstr(x, ws, b_row, CF_LABEL, "  Benefit N'_{t-1} m'_t - N_{t-1} m", NULL);
        for (int t = 1; t <= H; t++) {
            char gt[32];
            ref(gt, g_row, ycol(t), false, false);
            double mp = v_rev * (1.0 + d_rev * g[t]) * v_margin - v_cts * (1.0 + d_cts * g[t]);
            fb_reset(&f);
            fb_add(&f, "=%s*(1+%s*%s)*%s-%s*(1+%s*%s)", rev, nm(x, eff->revenue), gt, margin, cts,
                   nm(x, eff->cost_to_serve), gt);
            wf(x, ws, m_row, ycol(t), &f, x->f_money2, mp);
            double ben = np[t - 1] * mp - b->n[t - 1] * b->m;
            fb_reset(&f);
            fb_add(&f, "=%s*%s-%s*%s", ref(c1, np_row, ycol(t - 1), false, false),
                   ref(c2, m_row, ycol(t), false, false), ref(c3, b->n_row, ycol(t - 1), false, false),
                   ref(y, b->m_row, CF_CONST, false, false));
            wf(x, ws, b_row, ycol(t), &f, x->f_money, ben);
        }
        benefit_rows[n_benefit_rows++] = b_row;
        if (equity && !b->sbg) {
            lxw_row_t tv_row = row++;
            wstr(x, ws, tv_row, CF_LABEL,
                 "  Customer equity at H: (N'_H - N_H) x m x V", NULL);
            fb_reset(&f);
            fb_add(&f, "=(%s-%s)*%s*%s", ref(c1, np_row, ycol(H), false, false),
                   ref(c2, b->n_row, ycol(H), false, false),
                   ref(c3, b->m_row, CF_CONST, false, false),
                   ref(y, b->v_row, CF_CONST, false, false));
            wf(x, ws, tv_row, ycol(H), &f, x->f_money, tv_mirror);
            tv_rows[n_tv++] = tv_row;
        }
#undef RETENTION_WITH
    }

    lxw_row_t direct_row = 0;
    bool direct = in->benefit_annual != CXROI_NONE;
    if (direct) {
        direct_row = row++;
        wstr(x, ws, direct_row, CF_LABEL, "Direct benefit: benefits.annual x g_t", NULL);
        double v = base_of(x, in->benefit_annual, 0.0);
        for (int t = 0; t <= H; t++) {
            fb_reset(&f);
            fb_add(&f, "=%s*%s", nm(x, in->benefit_annual), ref(c1, g_row, ycol(t), false, false));
            wf(x, ws, direct_row, ycol(t), &f, x->f_money, v * g[t]);
        }
    }
    /* B_t = sum of the segments' benefits + the direct benefit. */
    lxw_row_t ben_row = row++;
    wstr(x, ws, ben_row, CF_LABEL, "Benefits B_t", x->f_bold);
    for (int t = 0; t <= H; t++) {
        fb_reset(&f);
        fb_add(&f, "=0");
        for (size_t k = 0; k < n_benefit_rows; k++)
            fb_add(&f, "+%s", ref(c1, benefit_rows[k], ycol(t), false, false));
        if (direct)
            fb_add(&f, "+%s", ref(c1, direct_row, ycol(t), false, false));
        wf(x, ws, ben_row, ycol(t), &f, x->f_money_bold, det->benefits[t]);
    }
    /* Upfront at t = start, annual in start+1..H, not ramped. */
    lxw_row_t cost_row = row++;
    wstr(x, ws, cost_row, CF_LABEL, "Costs: upfront at t = start, annual after", x->f_bold);
    for (int t = 0; t <= H; t++) {
        fb_reset(&f);
        year_ref(x, y, t);
        fb_add(&f, "=IF(%s=%s.start,%s,IF(%s>%s.start,%s,0))", y, ini, nm(x, in->upfront), y, ini,
               nm(x, in->annual));
        wf(x, ws, cost_row, ycol(t), &f, x->f_money_bold, det->costs[t]);
    }
    lxw_row_t cf_row = row++;
    wstr(x, ws, cf_row, CF_LABEL, "Net cash flow CF_t = B_t - costs_t", x->f_bold);
    for (int t = 0; t <= H; t++) {
        fb_reset(&f);
        fb_add(&f, "=%s-%s", ref(c1, ben_row, ycol(t), false, false),
               ref(c2, cost_row, ycol(t), false, false));
        wf(x, ws, cf_row, ycol(t), &f, x->f_money_bold, det->cash_flows[t]);
    }
    double tv = det->base.terminal_value;
    pos->tv = row++;
    wstr(x, ws, pos->tv, CF_LABEL, "Terminal value (customer equity, at H)", NULL);
    fb_reset(&f);
    fb_add(&f, "=0");
    for (size_t k = 0; k < n_tv; k++)
        fb_add(&f, "+%s", ref(c1, tv_rows[k], ycol(H), false, false));
    free(benefit_rows); /* and tv_rows with it */
    wf(x, ws, pos->tv, ycol(H), &f, x->f_money, tv);
    /* IRR and MIRR see the terminal value as one more inflow at H, as NPV does. */
    double cfi[CXROI_MAX_HORIZON + 1];
    lxw_row_t cfi_row = row++;
    wstr(x, ws, cfi_row, CF_LABEL, "Cash flow with the terminal value", NULL);
    for (int t = 0; t <= H; t++) {
        cfi[t] = det->cash_flows[t] + (t == H ? tv : 0.0);
        fb_reset(&f);
        fb_add(&f, "=%s", ref(c1, cf_row, ycol(t), false, false));
        if (t == H)
            fb_add(&f, "+%s", ref(c2, pos->tv, ycol(H), false, false));
        wf(x, ws, cfi_row, ycol(t), &f, x->f_money, cfi[t]);
    }
    lxw_row_t pv_row = row++;
    wstr(x, ws, pv_row, CF_LABEL, "Present value CF_t / (1 + d)^t", NULL);
    for (int t = 0; t <= H; t++) {
        fb_reset(&f);
        fb_add(&f, "=%s*%s", ref(c1, cfi_row, ycol(t), false, false),
               ref(c2, x->df_row, ycol(t), true, false));
        wf(x, ws, pv_row, ycol(t), &f, x->f_money, cfi[t] / pow(1.0 + x->d, t));
    }
    /* Cumulative flows for the payback: operating flows only. */
    lxw_row_t cum_row = row++, dcum_row = row++, pb_row = row++, dpb_row = row++;
    wstr(x, ws, cum_row, CF_LABEL, "Cumulative cash flow", NULL);
    wstr(x, ws, dcum_row, CF_LABEL, "Cumulative discounted cash flow", NULL);
    wstr(x, ws, pb_row, CF_LABEL, "  Payback crossing: (t-1) + -C_{t-1} / (C_t - C_{t-1})", NULL);
    wstr(x, ws, dpb_row, CF_LABEL, "  Discounted payback crossing", NULL);
    double cum = 0.0, dcum = 0.0, pcum = 0.0, pdcum = 0.0;
    for (int t = 0; t <= H; t++) {
        pcum = cum;
        pdcum = dcum;
        cum += det->cash_flows[t];
        dcum += det->cash_flows[t] / pow(1.0 + x->d, t);
        fb_reset(&f);
        if (t == 0)
            fb_add(&f, "=%s", ref(c1, cf_row, ycol(0), false, false));
        else
            fb_add(&f, "=%s+%s", ref(c1, cum_row, ycol(t - 1), false, false),
                   ref(c2, cf_row, ycol(t), false, false));
        wf(x, ws, cum_row, ycol(t), &f, x->f_money, cum);
        fb_reset(&f);
        if (t == 0)
            fb_add(&f, "=%s*%s", ref(c1, cf_row, ycol(0), false, false),
                   ref(c2, x->df_row, ycol(0), true, false));
        else
            fb_add(&f, "=%s+%s*%s", ref(c1, dcum_row, ycol(t - 1), false, false),
                   ref(c2, cf_row, ycol(t), false, false), ref(c3, x->df_row, ycol(t), true, false));
        wf(x, ws, dcum_row, ycol(t), &f, x->f_money, dcum);
        if (t == 0)
            continue;
        /* The year the cumulative flow turns from below 0 to 0 or more, interpolated; the
         * first such year is the smallest value of the row. */
        for (int k = 0; k < 2; k++) {
            lxw_row_t cr = k ? dcum_row : cum_row, wr = k ? dpb_row : pb_row;
            double prev = k ? pdcum : pcum, cur = k ? dcum : cum;
            fb_reset(&f);
            ref(c1, cr, ycol(t - 1), false, false);
            ref(c2, cr, ycol(t), false, false);
            fb_add(&f, "=IF(AND(%s<0,%s>=0),%d+(-%s)/(%s-%s),\"\")", c1, c2, t - 1, c1, c2, c1);
            if (prev < 0.0 && cur >= 0.0)
                wf(x, ws, wr, ycol(t), &f, x->f_years, (double)(t - 1) + -prev / (cur - prev));
            else
                wfs(x, ws, wr, ycol(t), &f, x->f_years, "");
        }
    }
    for (lxw_row_t r = pb_row; r <= dpb_row; r++)
        chk(x, worksheet_set_row_opt(ws, r, LXW_DEF_ROW_HEIGHT, NULL,
                                     &(lxw_row_col_options){.hidden = 0, .level = 1, .collapsed = 0}));

    /* The metrics, as formulas on the rows above. */
    const cxroi_metrics *m = &det->base;
    char cf_range[64], cfi_range[64], cost_range[64], df_range[64], cum_range[64], dcum_range[64],
        pb_range[64], dpb_range[64];
#define RANGE_OF(buf, r, first)                                                                  \
    snprintf(buf, sizeof buf, "%s:%s", ref(c1, r, ycol(first), false, false),                    \
             ref(c2, r, ycol(H), false, false))
    RANGE_OF(cf_range, cf_row, 0);
    RANGE_OF(cfi_range, cfi_row, 0);
    RANGE_OF(cost_range, cost_row, 0);
    RANGE_OF(cum_range, cum_row, 0);
    RANGE_OF(dcum_range, dcum_row, 0);
    RANGE_OF(pb_range, pb_row, 1);
    RANGE_OF(dpb_range, dpb_row, 1);
    snprintf(df_range, sizeof df_range, "%s:%s", ref(c1, x->df_row, ycol(0), true, false),
             ref(c2, x->df_row, ycol(H), true, false));
#undef RANGE_OF
    row++;
    struct {
        lxw_row_t *at;
        const char *label;
    } rows[] = {{&pos->npv, "NPV (deterministic) = sum of present values"},
                {&pos->pv_costs, "PV costs"},
                {&pos->pv_benefits, "PV benefits = NPV + PV costs"},
                {&pos->roi, "ROI = NPV / PV costs"},
                {&pos->bcr, "Benefit-cost ratio = PV benefits / PV costs"},
                {&pos->irr, "IRR (Excel's IRR, started at cxroi's root)"},
                {&pos->mirr, "MIRR (finance and reinvestment rate = discount rate)"},
                {&pos->payback, "Payback (years, operating flows)"},
                {&pos->dpayback, "Discounted payback (years)"},
                {&pos->risk_npv, "Risk-adjusted NPV = (1 - rb) PV benefits - (1 + rc) PV costs"},
                {&pos->break_even, "Break-even effect multiplier k (NPV(k) = 0)"}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        *rows[k].at = row;
        wstr(x, ws, row++, CF_LABEL, rows[k].label, k == 0 ? x->f_bold : NULL);
    }
    char npv_c[32], pvc_c[32], pvb_c[32];
    ref(npv_c, pos->npv, CF_CONST, false, false);
    ref(pvc_c, pos->pv_costs, CF_CONST, false, false);
    ref(pvb_c, pos->pv_benefits, CF_CONST, false, false);
    fb_reset(&f);
    fb_add(&f, "=SUM(%s:%s)", ref(c1, pv_row, ycol(0), false, false),
           ref(c2, pv_row, ycol(H), false, false));
    wf(x, ws, pos->npv, CF_CONST, &f, x->f_money_bold, m->npv);
    fb_reset(&f);
    fb_add(&f, "=SUMPRODUCT(%s,%s)", cost_range, df_range);
    wf(x, ws, pos->pv_costs, CF_CONST, &f, x->f_money, m->pv_costs);
    fb_reset(&f);
    fb_add(&f, "=%s+%s", npv_c, pvc_c);
    wf(x, ws, pos->pv_benefits, CF_CONST, &f, x->f_money, m->pv_benefits);
    fb_reset(&f);
    fb_add(&f, "=IF(%s=0,\"n/a\",%s/%s)", pvc_c, npv_c, pvc_c);
    if (m->has_roi)
        wf(x, ws, pos->roi, CF_CONST, &f, x->f_pct, m->roi);
    else
        wfs(x, ws, pos->roi, CF_CONST, &f, x->f_pct, "n/a");
    fb_reset(&f);
    fb_add(&f, "=IF(%s=0,\"n/a\",%s/%s)", pvc_c, pvb_c, pvc_c);
    if (m->has_roi)
        wf(x, ws, pos->bcr, CF_CONST, &f, x->f_ratio, m->bcr);
    else
        wfs(x, ws, pos->bcr, CF_CONST, &f, x->f_ratio, "n/a");
    /* Excel's IRR is Newton's method from a guess: started at the discount rate it may
     * miss a root far from it, or pick another of several. cxroi's root is the guess, so
     * the spreadsheet lands on the same root, and still finds the new one nearby when a
     * reader changes an input. */
    fb_reset(&f);
    if (m->irr.exists)
        fb_add(&f, "=IFERROR(IRR(%s,%.17g),\"none\")", cfi_range, m->irr.rate);
    else
        fb_add(&f, "=IFERROR(IRR(%s,discount_rate),\"none\")", cfi_range);
    if (m->irr.exists)
        wf(x, ws, pos->irr, CF_CONST, &f, x->f_pct2, m->irr.rate);
    else
        wfs(x, ws, pos->irr, CF_CONST, &f, x->f_pct2, "none");
    if (m->irr.multiple)
        chk(x, worksheet_write_comment(ws, pos->irr, CF_CONST,
                                       "The cash flows change sign more than once: there may be "
                                       "several IRRs. cxroi reports the one nearest the discount "
                                       "rate."));
    fb_reset(&f);
    fb_add(&f, "=IFERROR(MIRR(%s,discount_rate,discount_rate),\"n/a\")", cfi_range);
    if (m->has_mirr)
        wf(x, ws, pos->mirr, CF_CONST, &f, x->f_pct2, m->mirr);
    else
        wfs(x, ws, pos->mirr, CF_CONST, &f, x->f_pct2, "n/a");
    /* Payback: nothing to pay back when every flow is 0; 0 when the cumulative flow never
     * goes below 0; else the first crossing, or "not within horizon". */
    for (int k = 0; k < 2; k++) {
        bool has = k ? m->has_discounted_payback : m->has_payback;
        double v = k ? m->discounted_payback_years : m->payback_years;
        fb_reset(&f);
        fb_add(&f,
               "=IF(SUMPRODUCT(ABS(%s))=0,\"n/a\",IF(MIN(%s)>=0,0,IF(COUNT(%s)>0,MIN(%s),"
               "\"not within horizon\")))",
               cf_range, k ? dcum_range : cum_range, k ? dpb_range : pb_range,
               k ? dpb_range : pb_range);
        lxw_row_t r = k ? pos->dpayback : pos->payback;
        if (has)
            wf(x, ws, r, CF_CONST, &f, x->f_years, v);
        else
            wfs(x, ws, r, CF_CONST, &f, x->f_years,
                det->base.nothing_to_pay_back ? "n/a" : "not within horizon");
    }
    fb_reset(&f);
    fb_add(&f, "=(1-%s.risk_adjustment.benefits)*%s-(1+%s.risk_adjustment.costs)*%s", ini, pvb_c,
           ini, pvc_c);
    wf(x, ws, pos->risk_npv, CF_CONST, &f, x->f_money, det->risk_adjusted.npv);
    if (det->has_break_even) {
        wnum(x, ws, pos->break_even, CF_CONST, det->break_even_multiplier, x->f_multiple);
        chk(x, worksheet_write_comment(
                   ws, pos->break_even, CF_CONST,
                   "Computed by cxroi: the root of NPV(k) = 0 with every effect and direct "
                   "benefit multiplied by k (GSL Brent solver). A number, not a formula: no "
                   "spreadsheet function solves for it (Excel's Goal Seek does)."));
    } else {
        wstr(x, ws, pos->break_even, CF_CONST, "none", NULL);
    }
    return row + 1;
}

static void sheet_cash(xw *x)
{
    lxw_worksheet *ws = x->ws_cash;
    int H = x->H;
    char y[32];
    fb f;
    wstr(x, ws, 0, 0, "Cash flows: the deterministic case as live formulas", x->f_title);
    wstr(x, ws, 1, 0,
         "Every figure below is a formula on the named inputs of 'Assumptions' (the values "
         "shown are cxroi's own results). Flows are booked at the end of each year; year 0 is "
         "today. Grouped rows (+) show cohorts and payback workings.",
         x->f_subtitle);
    x->year_row = 3;
    wstr(x, ws, 3, CF_LABEL, "Year", x->f_header);
    wstr(x, ws, 3, CF_CONST, "Constant", x->f_header);
    for (int t = 0; t <= H; t++)
        wnum(x, ws, 3, ycol(t), t, x->f_header_num);
    x->df_row = 4;
    wstr(x, ws, 4, CF_LABEL, "Discount factor 1 / (1 + discount_rate)^t", NULL);
    for (int t = 0; t <= H; t++) {
        fb_reset(&f);
        fb_add(&f, "=1/(1+discount_rate)^%s", year_ref(x, y, t));
        wf(x, ws, 4, ycol(t), &f, x->f_factor, 1.0 / pow(1.0 + x->d, t));
    }
    lxw_row_t row = cash_baseline(x, 6);
    /* Each initiative starts a printed page (Excel takes at most 1023 breaks). */
    size_t n = x->s->n_initiatives;
    lxw_row_t *breaks = calloc(n + 1, sizeof *breaks);
    if (!breaks) {
        x->nomem = true;
        return;
    }
    for (size_t i = 0; i < n && !x->nomem; i++) {
        if (i < 1023)
            breaks[i] = row;
        row = cash_initiative(x, i, row);
    }
    if (n > 0 && !x->nomem)
        chk(x, worksheet_set_h_pagebreaks(ws, breaks));
    free(breaks);
    chk(x, worksheet_set_column(ws, CF_LABEL, CF_LABEL, 66, NULL));
    chk(x, worksheet_set_column(ws, CF_CONST, CF_CONST, 16, NULL));
    chk(x, worksheet_set_column(ws, ycol(0), ycol(H), 15, NULL));
    worksheet_freeze_panes(ws, 4, 2);
    worksheet_outline_settings(ws, LXW_TRUE, LXW_FALSE, LXW_TRUE, LXW_FALSE);
    print_setup(x, ws, 3, 3, true);
}

/* ---------------------------------------------------------------------------------- */
/* Summary                                                                             */

enum {
    SU_NAME = 0,
    SU_UPFRONT,
    SU_NPV,
    SU_RISK,
    SU_P10,
    SU_P50,
    SU_P90,
    SU_PPOS,
    SU_ROI,
    SU_IRR,
    SU_PAYBACK,
    SU_BREAK_EVEN,
    SU_FUNDED,
    SU_COLS
};

/* A cell that shows a Cash flows metric: a formula on it, cached with its value. */
static void link_metric(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lxw_row_t src,
                        lxw_format *fmt, bool has, double v, const char *missing)
{
    char target[64];
    fb f;
    fb_reset(&f);
    fb_add(&f, "=%s", xref(target, sizeof target, SHEET_CASH, src, CF_CONST));
    if (has)
        wf(x, ws, r, c, &f, fmt, v);
    else
        wfs(x, ws, r, c, &f, fmt, missing);
}

static bool is_funded(const xw *x, size_t i)
{
    return x->portfolio && x->portfolio->funded && x->portfolio->funded[i];
}

static void sheet_summary(xw *x)
{
    lxw_worksheet *ws = x->ws_summary;
    const cxroi_scenario *s = x->s;
    const cxroi_analysis *a = x->a;
    const cxroi_simulation *sim = a->simulation;
    char buf[512];
    fb f;
    wstr(x, ws, 0, 0, s->name, x->f_title);
    snprintf(buf, sizeof buf,
             "Business case of %zu initiative%s, by cxroi %s. Deterministic figures are live "
             "formulas (see 'Cash flows'); ranges come from the Monte Carlo simulation.",
             s->n_initiatives, s->n_initiatives == 1 ? "" : "s", CXROI_VERSION_STRING);
    wstr(x, ws, 1, 0, buf, x->f_subtitle);
    lxw_row_t r = 3;
    wstr(x, ws, r, 0, "Scenario file", x->f_bold);
    wstr(x, ws, r++, 1, s->file ? s->file : "", NULL);
    char date[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    wstr(x, ws, r, 0, "Date", x->f_bold);
    wstr(x, ws, r++, 1, date, NULL);
    wstr(x, ws, r, 0, "Currency", x->f_bold);
    wstr(x, ws, r++, 1, s->currency, NULL);
    wstr(x, ws, r, 0, "Horizon (operating years)", x->f_bold);
    wnum(x, ws, r++, 1, s->horizon, NULL);
    wstr(x, ws, r, 0, "Discount rate", x->f_bold);
    fb_reset(&f);
    fb_add(&f, "=discount_rate");
    wf(x, ws, r++, 1, &f, x->f_pct2, x->d);
    wstr(x, ws, r, 0, "Terminal value", x->f_bold);
    wstr(x, ws, r++, 1,
         s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY ? "customer equity at the horizon"
                                                             : "none",
         NULL);
    wstr(x, ws, r, 0, "Iterations", x->f_bold);
    wnum(x, ws, r++, 1, sim ? (double)sim->iterations : 0.0, x->f_count);
    wstr(x, ws, r, 0, "Seed", x->f_bold);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->seed);
    wstr(x, ws, r++, 1, buf, NULL);
    wstr(x, ws, r, 0, "Sampling", x->f_bold);
    wstr(x, ws, r++, 1, cxroi_sampling_title(a->sampling), NULL);
    wstr(x, ws, r, 0, "Budget (sum of upfront costs funded)", x->f_bold);
    if (s->portfolio.has_budget)
        wnum(x, ws, r++, 1, s->portfolio.budget, x->f_money);
    else
        wstr(x, ws, r++, 1, "none", NULL);

    lxw_row_t head = r + 1;
    static const char *const heads[SU_COLS] = {
        "Initiative",   "Upfront cost", "NPV (deterministic)", "NPV (risk-adjusted)",
        "NPV P10",      "NPV P50",      "NPV P90",             "P(NPV > 0)",
        "ROI",          "IRR",          "Payback (years)",     "Break-even multiplier",
        "Funded"};
    header_row(x, ws, head, heads, SU_COLS);
    lxw_row_t first = head + 1;
    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_initiative *in = &s->initiatives[i];
        const cxroi_deterministic *det = &a->initiatives[i];
        const ini_pos *p = &x->pos[i];
        lxw_row_t row = first + (lxw_row_t)i;
        wstr(x, ws, row, SU_NAME, in->name, NULL);
        fb_reset(&f);
        fb_add(&f, "=%s", nm(x, in->upfront));
        wf(x, ws, row, SU_UPFRONT, &f, x->f_money, base_of(x, in->upfront, 0.0));
        link_metric(x, ws, row, SU_NPV, p->npv, x->f_money_bold, true, det->base.npv, "");
        link_metric(x, ws, row, SU_RISK, p->risk_npv, x->f_money, true, det->risk_adjusted.npv, "");
        if (sim) {
            const cxroi_sim_initiative *si = &sim->initiatives[i];
            wnum(x, ws, row, SU_P10, si->npv.p10, x->f_money);
            wnum(x, ws, row, SU_P50, si->npv.p50, x->f_money);
            wnum(x, ws, row, SU_P90, si->npv.p90, x->f_money);
            wnum(x, ws, row, SU_PPOS, si->prob_npv_positive,
                 prob_format(x, si->prob_npv_positive, false));
        }
        link_metric(x, ws, row, SU_ROI, p->roi, x->f_pct, det->base.has_roi, det->base.roi, "n/a");
        link_metric(x, ws, row, SU_IRR, p->irr, x->f_pct, det->base.irr.exists, det->base.irr.rate,
                    "none");
        link_metric(x, ws, row, SU_PAYBACK, p->payback, x->f_years, det->base.has_payback,
                    det->base.payback_years,
                    det->base.nothing_to_pay_back ? "n/a" : "not within horizon");
        link_metric(x, ws, row, SU_BREAK_EVEN, p->break_even, x->f_multiple, det->has_break_even,
                    det->break_even_multiplier, "none");
        wstr(x, ws, row, SU_FUNDED, x->portfolio ? (is_funded(x, i) ? "yes" : "no") : "-",
             is_funded(x, i) ? x->f_good : x->f_center);
    }
    lxw_row_t prow = first + (lxw_row_t)s->n_initiatives;
    wstr(x, ws, prow, SU_NAME, "Portfolio (funded set)", x->f_bold);
    if (x->portfolio) {
        const cxroi_portfolio *pf = x->portfolio;
        lxw_col_t cols[3] = {SU_UPFRONT, SU_NPV, SU_RISK};
        for (int k = 0; k < 3; k++) {
            fb_reset(&f);
            fb_add(&f, "=0");
            double v = 0.0;
            for (size_t i = 0; i < s->n_initiatives; i++) {
                if (!is_funded(x, i))
                    continue;
                char c1[32];
                fb_add(&f, "+%s", ref(c1, first + (lxw_row_t)i, cols[k], false, false));
                const cxroi_deterministic *det = &a->initiatives[i];
                v += k == 0 ? base_of(x, s->initiatives[i].upfront, 0.0)
                     : k == 1 ? det->base.npv
                              : det->risk_adjusted.npv;
            }
            wf(x, ws, prow, cols[k], &f, x->f_money_bold, v);
        }
        wnum(x, ws, prow, SU_P10, pf->npv.p10, x->f_money_bold);
        wnum(x, ws, prow, SU_P50, pf->npv.p50, x->f_money_bold);
        wnum(x, ws, prow, SU_P90, pf->npv.p90, x->f_money_bold);
        wnum(x, ws, prow, SU_PPOS, pf->prob_npv_positive,
             prob_format(x, pf->prob_npv_positive, true));
    } else {
        wstr(x, ws, prow, SU_UPFRONT, "portfolio not computed in this run", x->f_note);
    }
    /* What the table's figures include, as the terminal summary says under its own. */
    lxw_row_t nr = prow + 2;
    if (s->terminal_value == CXROI_TERMINAL_CUSTOMER_EQUITY)
        wstr(x, ws, nr++, 0,
             "NPV, ROI and IRR include the terminal value (the customer equity of the extra "
             "customers alive at the horizon); the payback does not: a high IRR can come with "
             "no payback within the horizon.",
             x->f_note);
    if (x->portfolio)
        wstr(x, ws, nr++, 0,
             "Funded: the set with the largest expected (simulated) NPV within the budget and "
             "constraints ('Portfolio'). Its row here adds the funded initiatives' "
             "deterministic NPVs; 'Portfolio' shows the set's expected NPV.",
             x->f_note);
    bool risk = false;
    for (size_t i = 0; i < s->n_initiatives; i++)
        risk |= s->initiatives[i].has_risk_adjustment;
    if (risk)
        wstr(x, ws, nr++, 0,
             "NPV (risk-adjusted): the deterministic case with each initiative's benefits and "
             "costs adjusted for risk; it does not decide the funding.",
             x->f_note);
    wstr(x, ws, nr++, 0,
         "Break-even multiplier: the multiple of the expected effects at which NPV = 0, found "
         "by cxroi; unlike the NPVs it is not recalculated when an assumption changes.",
         x->f_note);
    lxw_row_t chart_row = nr + 1;

    /* NPV ranges: horizontal stacked bars, P10 to the median in one colour, the median to
     * P90 in another, so the median is where the colours meet. Stacked bars pile positive
     * and negative values separately from 0, so each range is cut at 0 into a part above
     * (invisible base max(P10,0), then max(P50,0) - max(P10,0), max(P90,0) - max(P50,0))
     * and a part below (min(P90,0), then min(P50,0) - min(P90,0), min(P10,0) -
     * min(P50,0)); a range that straddles 0 is then still one bar. The six columns are
     * formulas on the table, right of the print area. */
    if (sim && s->n_initiatives > 0) {
        lxw_col_t c0 = SU_COLS + 1;
        static const char *const dh[6] = {"base above 0", "P10 to median, above 0",
                                          "median to P90, above 0", "base below 0",
                                          "median to P90, below 0", "P10 to median, below 0"};
        for (int k = 0; k < 6; k++)
            wstr(x, ws, head, (lxw_col_t)(c0 + k), dh[k], x->f_note);
        /* hidden: working columns of the chart, which still plots them */
        lxw_row_col_options hidden = {.hidden = LXW_TRUE};
        chk(x, worksheet_set_column_opt(ws, c0, (lxw_col_t)(c0 + 5), 22, NULL, &hidden));
        for (size_t i = 0; i < s->n_initiatives; i++) {
            const cxroi_summary *q = &sim->initiatives[i].npv;
            lxw_row_t row = first + (lxw_row_t)i;
            char p10[32], p50[32], p90[32];
            ref(p10, row, SU_P10, false, false);
            ref(p50, row, SU_P50, false, false);
            ref(p90, row, SU_P90, false, false);
            double v[6] = {fmax(q->p10, 0.0),
                           fmax(q->p50, 0.0) - fmax(q->p10, 0.0),
                           fmax(q->p90, 0.0) - fmax(q->p50, 0.0),
                           fmin(q->p90, 0.0),
                           fmin(q->p50, 0.0) - fmin(q->p90, 0.0),
                           fmin(q->p10, 0.0) - fmin(q->p50, 0.0)};
            const char *args[6][2] = {{p10, NULL}, {p50, p10}, {p90, p50},
                                      {p90, NULL}, {p50, p90}, {p10, p50}};
            for (int k = 0; k < 6; k++) {
                char text[96];
                if (args[k][1])
                    snprintf(text, sizeof text, k < 3 ? "=MAX(%s,0)-MAX(%s,0)" : "=MIN(%s,0)-MIN(%s,0)",
                             args[k][0], args[k][1]);
                else
                    snprintf(text, sizeof text, k < 3 ? "=MAX(%s,0)" : "=MIN(%s,0)", args[k][0]);
                fb_reset(&f);
                fb_add(&f, "%s", text);
                wf(x, ws, row, (lxw_col_t)(c0 + k), &f, x->f_hidden, v[k]);
            }
        }
        lxw_chart *ch = workbook_add_chart(x->wb, LXW_CHART_BAR_STACKED);
        if (!ch) {
            x->nomem = true;
            return;
        }
        static const char *const names[6] = {"", "P10 to median", "median to P90",
                                             "", "median to P90 ", "P10 to median "};
        static const lxw_color_t colours[6] = {0, 0x9DC3E6, 0x1F4E79, 0, 0x1F4E79, 0x9DC3E6};
        for (int k = 0; k < 6; k++) {
            lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
            if (!se) {
                x->nomem = true;
                return;
            }
            lxw_col_t col = (lxw_col_t)(c0 + k);
            chart_series_set_categories(se, SHEET_SUMMARY, first, SU_NAME, prow - 1, SU_NAME);
            chart_series_set_values(se, SHEET_SUMMARY, first, col, prow - 1, col);
            if (names[k][0])
                chart_series_set_name(se, names[k]);
            lxw_chart_fill fill = {.color = colours[k], .none = colours[k] == 0};
            chart_series_set_fill(se, &fill);
            lxw_chart_line none = {.none = LXW_TRUE};
            chart_series_set_line(se, &none);
        }
        chart_set_series_gap(ch, 60);
        chart_axis_set_reverse(ch->y_axis);
        chart_axis_set_label_position(ch->y_axis, LXW_CHART_AXIS_LABEL_POSITION_LOW);
        chart_axis_set_num_format(ch->x_axis, "#,##0.0,,");
        char axis[64];
        snprintf(axis, sizeof axis, "NPV, %s millions", s->currency);
        chart_axis_set_name(ch->x_axis, axis);
        chart_title_set_name(ch, "NPV range per initiative: light P10 to median, dark median "
                                 "to P90");
        chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
        chart_show_hidden_data(ch);
        lxw_chart_options o = {.x_scale = 2.2, .y_scale = 1.5, .x_offset = 4, .y_offset = 8};
        chk(x, worksheet_insert_chart_opt(ws, chart_row, 0, ch, &o));
    }
    /* Warnings of the run, so the report carries its own caveats. */
    lxw_row_t wr = chart_row + 24;
    size_t nw = 0;
    for (size_t k = 0; x->diag && k < cxroi_diag_count(x->diag); k++) {
        const cxroi_diag_entry *e = cxroi_diag_get(x->diag, k);
        if (!e || e->severity == CXROI_SEVERITY_ERROR)
            continue;
        if (nw++ == 0)
            wstr(x, ws, wr++, 0, "Warnings of this run", x->f_bold);
        snprintf(buf, sizeof buf, "%s: %s", e->severity == CXROI_SEVERITY_NOTE ? "note" : "warning",
                 e->message);
        wstr(x, ws, wr++, 0, buf, x->f_note);
    }
    chk(x, worksheet_set_column(ws, SU_NAME, SU_NAME, 46, NULL));
    chk(x, worksheet_set_column(ws, SU_UPFRONT, SU_P90, 16, NULL));
    chk(x, worksheet_set_column(ws, SU_PPOS, SU_IRR, 11, NULL));
    chk(x, worksheet_set_column(ws, SU_PAYBACK, SU_PAYBACK, 18, NULL));
    chk(x, worksheet_set_column(ws, SU_BREAK_EVEN, SU_FUNDED, 12, NULL));
    worksheet_freeze_panes(ws, 2, 0);
    print_setup(x, ws, head, head, true);
    chk(x, worksheet_print_area(ws, 0, 0, wr, SU_FUNDED));
    worksheet_activate(ws);
}

/* ---------------------------------------------------------------------------------- */
/* Simulation                                                                          */

#define SCURVE_N CXROI_CURVE_POINTS

static void summary_row(xw *x, lxw_worksheet *ws, lxw_row_t r, const char *name,
                        const cxroi_summary *npv, double ppos, const cxroi_summary *roi,
                        lxw_format *bold)
{
    wstr(x, ws, r, 0, name, bold);
    double v[] = {npv->mean, npv->sd, npv->p5, npv->p10, npv->p50, npv->p90, npv->p95};
    for (int c = 0; c < 7; c++)
        wnum(x, ws, r, (lxw_col_t)(1 + c), v[c], x->f_money);
    wnum(x, ws, r, 8, ppos, prob_format(x, ppos, bold != NULL));
    wnum(x, ws, r, 9, npv->stderr_mean, x->f_money);
    if (roi) {
        wnum(x, ws, r, 10, roi->p10, x->f_pct);
        wnum(x, ws, r, 11, roi->p50, x->f_pct);
        wnum(x, ws, r, 12, roi->p90, x->f_pct);
    }
}

static void sheet_simulation(xw *x)
{
    lxw_worksheet *ws = x->ws_sim;
    const cxroi_scenario *s = x->s;
    const cxroi_simulation *sim = x->a->simulation;
    char buf[400];
    wstr(x, ws, 0, 0, "Simulation: the distribution of NPV", x->f_title);
    if (!sim) {
        wstr(x, ws, 1, 0, "No simulation was run.", x->f_subtitle);
        print_setup(x, ws, 0, 0, false);
        return;
    }
    char count[32];
    cxroi_report_format_money(count, sizeof count, (double)sim->iterations, NULL);
    snprintf(buf, sizeof buf,
             "%s iterations (%s sampling, seed %llu)%s. Percentiles interpolate between order "
             "statistics as Excel's PERCENTILE.INC does.",
             count, cxroi_sampling_title(sim->sampling), (unsigned long long)sim->seed,
             sim->precision_reached ? ", stopped early at the precision asked for" : "");
    wstr(x, ws, 1, 0, buf, x->f_subtitle);
    static const char *const heads[] = {"",          "Mean NPV",  "SD",      "P5",
                                        "P10",       "P50",       "P90",     "P95",
                                        "P(NPV > 0)", "Std error of the mean", "ROI P10",
                                        "ROI P50",   "ROI P90"};
    header_row(x, ws, 3, heads, 13);
    lxw_row_t r = 4;
    for (size_t i = 0; i < s->n_initiatives; i++, r++) {
        const cxroi_sim_initiative *si = &sim->initiatives[i];
        summary_row(x, ws, r, s->initiatives[i].name, &si->npv, si->prob_npv_positive,
                    si->has_roi ? &si->roi : NULL, NULL);
    }
    size_t n_series = s->n_initiatives + (x->portfolio ? 1 : 0);
    if (x->portfolio)
        summary_row(x, ws, r++, "Portfolio (funded set)", &x->portfolio->npv,
                    x->portfolio->prob_npv_positive, NULL, x->f_bold);
    size_t n = sim->iterations;
    /* Per series, on a printed page of its own: a block of the histogram's bins (A:C), the
     * S-curve's points (E:F) and the two charts beside them, one above the other, from the
     * shapes the simulation and the portfolio computed. */
    r += 1;
    wstr(x, ws, r++, 0,
         "Each histogram spans P0.5 to P99.5 of its NPVs; its first and last bins also hold "
         "the iterations below and above them.",
         x->f_note);
    r += 1;
    lxw_row_t *breaks = calloc(n_series + 1, sizeof *breaks);
    if (!breaks) {
        x->nomem = true;
        return;
    }
    for (size_t k = 0; k < n_series && n > 0; k++) {
        breaks[k] = r; /* at most 1001: libxlsxwriter keeps Excel's first 1023 */
        const char *name = k < s->n_initiatives ? s->initiatives[k].name : "Portfolio (funded set)";
        const cxroi_distribution *dist = k < s->n_initiatives
                                             ? &sim->initiatives[k].npv_distribution
                                             : &x->portfolio->npv_distribution;
        section_band(x, ws, r, name, 13);
        lxw_row_t h = r + 1;
        wstr(x, ws, h, 0, "NPV from", x->f_header);
        wstr(x, ws, h, 1, "NPV to", x->f_header);
        wstr(x, ws, h, 2, "Share of iterations", x->f_header);
        wstr(x, ws, h, 4, "Probability", x->f_header);
        wstr(x, ws, h, 5, "NPV at most", x->f_header);
        for (int b = 0; b < HIST_BINS; b++) {
            double from = dist->bin_lo + b * dist->bin_width;
            wnum(x, ws, h + 1 + (lxw_row_t)b, 0, from, x->f_money);
            wnum(x, ws, h + 1 + (lxw_row_t)b, 1, dist->bin_lo + (b + 1) * dist->bin_width,
                 x->f_money);
            wnum(x, ws, h + 1 + (lxw_row_t)b, 2, dist->share[b], x->f_pct);
        }
        for (size_t q = 0; q < SCURVE_N; q++) {
            wnum(x, ws, h + 1 + (lxw_row_t)q, 4, CXROI_CURVE_P[q], x->f_pct);
            wnum(x, ws, h + 1 + (lxw_row_t)q, 5, dist->curve[q], x->f_money);
        }
        lxw_chart *hist = workbook_add_chart(x->wb, LXW_CHART_COLUMN);
        lxw_chart *curve = workbook_add_chart(x->wb, LXW_CHART_SCATTER_STRAIGHT);
        if (!hist || !curve) {
            x->nomem = true;
            break;
        }
        lxw_chart_series *se = chart_add_series(hist, NULL, NULL);
        if (!se) {
            x->nomem = true;
            break;
        }
        chart_series_set_categories(se, SHEET_SIM, h + 1, 1, h + HIST_BINS, 1);
        chart_series_set_values(se, SHEET_SIM, h + 1, 2, h + HIST_BINS, 2);
        lxw_chart_fill fill = {.color = 0x2E75B6};
        chart_series_set_fill(se, &fill);
        chart_set_series_gap(hist, 5);
        snprintf(buf, sizeof buf, "%s: NPV histogram", name);
        chart_title_set_name(hist, buf);
        char axis[80];
        snprintf(axis, sizeof axis, "NPV, %s millions (upper end of the bin)", s->currency);
        chart_axis_set_name(hist->x_axis, axis);
        chart_axis_set_num_format(hist->x_axis, "#,##0.0,,");
        chart_axis_set_interval_unit(hist->x_axis, 5);
        /* slanted, so that labels such as -12.5 neither collide nor wrap at the sign */
        lxw_chart_font slanted = {.rotation = -45};
        chart_axis_set_num_font(hist->x_axis, &slanted);
        chart_axis_set_name(hist->y_axis, "Share of iterations");
        chart_axis_set_num_format(hist->y_axis, "0%");
        chart_legend_set_position(hist, LXW_CHART_LEGEND_NONE);
        se = chart_add_series(curve, NULL, NULL);
        if (!se) {
            x->nomem = true;
            break;
        }
        chart_series_set_categories(se, SHEET_SIM, h + 1, 5, h + (lxw_row_t)SCURVE_N, 5);
        chart_series_set_values(se, SHEET_SIM, h + 1, 4, h + (lxw_row_t)SCURVE_N, 4);
        lxw_chart_line line = {.color = 0xC00000, .width = 2.0};
        chart_series_set_line(se, &line);
        snprintf(buf, sizeof buf, "%s: S-curve (cumulative probability)", name);
        chart_title_set_name(curve, buf);
        snprintf(axis, sizeof axis, "NPV, %s millions", s->currency);
        chart_axis_set_name(curve->x_axis, axis);
        chart_axis_set_num_format(curve->x_axis, "#,##0.0,,");
        chart_axis_set_name(curve->y_axis, "P(NPV at most x)");
        chart_axis_set_num_format(curve->y_axis, "0%");
        chart_axis_set_min(curve->y_axis, 0.0);
        chart_axis_set_max(curve->y_axis, 1.0);
        chart_axis_set_crossing_min(curve->x_axis); /* the % labels at the left, not at 0 */
        chart_legend_set_position(curve, LXW_CHART_LEGEND_NONE);
        /* 17 rows of 20 px each: the S-curve starts where the histogram ends */
        lxw_chart_options o = {.x_scale = 1.3, .y_scale = 1.15, .x_offset = 4, .y_offset = 4};
        chk(x, worksheet_insert_chart_opt(ws, h, 7, hist, &o));
        chk(x, worksheet_insert_chart_opt(ws, h + 17, 7, curve, &o));
        r = h + (HIST_BINS > 34 ? HIST_BINS : 34) + 2;
    }
    if (n_series > 0 && n > 0 && !x->nomem)
        chk(x, worksheet_set_h_pagebreaks(ws, breaks));
    free(breaks);
    chk(x, worksheet_set_column(ws, 0, 0, 34, NULL));
    chk(x, worksheet_set_column(ws, 1, 1, 13, NULL));
    chk(x, worksheet_set_column(ws, 2, 2, 19, NULL));  /* "Share of iterations" */
    chk(x, worksheet_set_column(ws, 3, 12, 13, NULL)); /* (ranges must not overlap) */
    worksheet_freeze_panes(ws, 4, 1);
    /* No repeated rows: the summary's header would sit over the histograms' tables. */
    print_setup(x, ws, 0, 0, false);
}

/* ---------------------------------------------------------------------------------- */
/* Sensitivity                                                                         */

static void sheet_sensitivity(xw *x)
{
    lxw_worksheet *ws = x->ws_sens;
    const cxroi_scenario *s = x->s;
    const cxroi_simulation *sim = x->a->simulation;
    char buf[400];
    wstr(x, ws, 0, 0, "Sensitivity: what moves each NPV", x->f_title);
    wstr(x, ws, 1, 0,
         "Each uncertain input at its P10 and at its P90, all others at their base values; "
         "bars run from the NPV at one end to the NPV at the other, around the deterministic NPV.",
         x->f_subtitle);
    static const char *const heads[] = {"Input",          "Input at P10", "Input at P90",
                                        "NPV, input at P10", "NPV, input at P90", "Swing"};
    lxw_row_t r = 3;
    for (size_t i = 0; i < s->n_initiatives; i++) {
        const cxroi_sim_initiative *si = sim ? &sim->initiatives[i] : NULL;
        double base = x->a->initiatives[i].base.npv;
        snprintf(buf, sizeof buf, "%s: deterministic NPV", s->initiatives[i].name);
        wstr(x, ws, r, 0, buf, x->f_section);
        char target[64];
        fb f;
        fb_reset(&f);
        fb_add(&f, "=%s", xref(target, sizeof target, SHEET_CASH, x->pos[i].npv, CF_CONST));
        wf(x, ws, r, 1, &f, x->f_money_bold, base);
        for (lxw_col_t c = 2; c < 6; c++)
            wstr(x, ws, r, c, "", x->f_section);
        lxw_row_t h = r + 1;
        for (lxw_col_t c = 0; c < 6; c++)
            wstr(x, ws, h, c, heads[c], x->f_header);
        size_t nb = si ? si->n_tornado : 0;
        if (nb > TORNADO_MAX)
            nb = TORNADO_MAX;
        for (size_t b = 0; b < nb; b++) {
            const cxroi_tornado_bar *bar = &si->tornado[b];
            lxw_row_t row = h + 1 + (lxw_row_t)b;
            const char *path = s->params[bar->param].path;
            lxw_format *unit = value_format(x, path);
            wstr(x, ws, row, 0, cxroi_report_input_label(path, s->initiatives[i].id), NULL);
            wnum(x, ws, row, 1, bar->value_low, unit);
            wnum(x, ws, row, 2, bar->value_high, unit);
            wnum(x, ws, row, 3, bar->npv_low, x->f_money);
            wnum(x, ws, row, 4, bar->npv_high, x->f_money);
            wnum(x, ws, row, 5, bar->swing, x->f_money);
        }
        if (nb == 0)
            wstr(x, ws, h + 1, 0, "No uncertain input moves this NPV.", x->f_note);
        lxw_row_t block = 18;
        if (nb > 0) {
            /* A bar chart whose value axis is crossed at the base NPV: each bar grows from
             * the base to the NPV at the input's P10 (one colour) or P90 (the other). */
            lxw_chart *ch = workbook_add_chart(x->wb, LXW_CHART_BAR);
            if (!ch) {
                x->nomem = true;
                return;
            }
            static const char *const sn[2] = {"Input at P10", "Input at P90"};
            static const lxw_color_t colours[2] = {0xC55A11, 0x2E75B6};
            for (int k = 0; k < 2; k++) {
                lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
                if (!se) {
                    x->nomem = true;
                    return;
                }
                chart_series_set_categories(se, SHEET_SENS, h + 1, 0, h + (lxw_row_t)nb, 0);
                chart_series_set_values(se, SHEET_SENS, h + 1, (lxw_col_t)(3 + k), h + (lxw_row_t)nb,
                                        (lxw_col_t)(3 + k));
                chart_series_set_name(se, sn[k]);
                lxw_chart_fill fill = {.color = colours[k]};
                chart_series_set_fill(se, &fill);
            }
            chart_set_series_overlap(ch, 100);
            chart_set_series_gap(ch, 40);
            chart_axis_set_reverse(ch->y_axis);
            chart_axis_set_crossing(ch->x_axis, base);
            chart_axis_set_num_format(ch->x_axis, "#,##0");
            chart_axis_set_name(ch->x_axis, "NPV");
            chart_axis_set_label_position(ch->y_axis, LXW_CHART_AXIS_LABEL_POSITION_LOW);
            snprintf(buf, sizeof buf, "%s: tornado around the base NPV", s->initiatives[i].name);
            chart_title_set_name(ch, buf);
            chart_legend_set_position(ch, LXW_CHART_LEGEND_BOTTOM);
            lxw_chart_options o = {.x_scale = 1.6, .y_scale = 1.2, .x_offset = 4, .y_offset = 4};
            chk(x, worksheet_insert_chart_opt(ws, h, 7, ch, &o));
        }
        if ((lxw_row_t)nb + 3 > block)
            block = (lxw_row_t)nb + 3;
        r = h + block + 1;
    }
    chk(x, worksheet_set_column(ws, 0, 0, 52, NULL));
    chk(x, worksheet_set_column(ws, 1, 5, 16, NULL));
    worksheet_freeze_panes(ws, 3, 0);
    print_setup(x, ws, 0, 1, true);
}

/* ---------------------------------------------------------------------------------- */
/* Value matrix                                                                        */

static void sheet_matrix(xw *x)
{
    lxw_worksheet *ws = x->ws_matrix;
    const cxroi_scenario *s = x->s;
    const cxroi_portfolio *pf = x->portfolio;
    wstr(x, ws, 0, 0, "Value matrix: where the value is generated", x->f_title);
    wstr(x, ws, 1, 0,
         "Each segment's baseline profitability (live formulas on 'Assumptions'; loss-making "
         "segments in red), and the expected present value generated per segment and "
         "touchpoint by all initiatives, as a heat map.",
         x->f_subtitle);
    enum { VM_SEG = 0, VM_CUST, VM_CONTRIB, VM_TOTAL, VM_RET, VM_STATUS, VM_TP0 };
    static const char *const heads[] = {"Segment", "Customers", "Contribution per customer",
                                        "Total contribution per year", "Retention (first year)",
                                        "Baseline"};
    lxw_row_t h = 3;
    for (lxw_col_t c = 0; c < VM_TP0; c++)
        wstr(x, ws, h, c, heads[c], x->f_header);
    size_t nt = s->n_touchpoints;
    for (size_t t = 0; t < nt; t++)
        wstr(x, ws, h, (lxw_col_t)(VM_TP0 + t), s->touchpoints[t], x->f_header);
    lxw_col_t c_untag = (lxw_col_t)(VM_TP0 + nt), c_total = c_untag + 1;
    wstr(x, ws, h, c_untag, "Initiatives without touchpoints", x->f_header);
    wstr(x, ws, h, c_total, "PV generated, total", x->f_header);
    chk(x, worksheet_set_row(ws, h, 45, NULL));
    fb f;
    char c1[32], c2[32];
    bool has_matrix = pf && pf->matrix.pv && pf->matrix.n_segments == s->n_segments &&
                      pf->matrix.n_touchpoints == nt;
    double most = 0.0; /* the largest |value| the heat map colours: its scale's ends */
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *spec = &s->segments[k];
        const cxroi_segment_economics *e = &x->a->segments[k];
        lxw_row_t r = h + 1 + (lxw_row_t)k;
        wstr(x, ws, r, VM_SEG, spec->name, NULL);
        fb_reset(&f);
        fb_add(&f, "=%s", nm(x, spec->customers));
        wf(x, ws, r, VM_CUST, &f, x->f_count, e->customers);
        fb_reset(&f);
        fb_add(&f, "=%s*%s-%s", nm(x, spec->revenue_per_customer), nm(x, spec->margin),
               nm(x, spec->cost_to_serve));
        wf(x, ws, r, VM_CONTRIB, &f, x->f_money2, e->contribution_per_customer);
        fb_reset(&f);
        fb_add(&f, "=%s*%s", ref(c1, r, VM_CUST, false, false), ref(c2, r, VM_CONTRIB, false, false));
        wf(x, ws, r, VM_TOTAL, &f, x->f_money, e->contribution_total);
        wnum(x, ws, r, VM_RET, e->retention, x->f_pct);
        fb_reset(&f);
        fb_add(&f, "=IF(%s<0,\"loss-making\",\"profitable\")", ref(c1, r, VM_CONTRIB, false, false));
        wfs(x, ws, r, VM_STATUS, &f, x->f_center, e->loss_making ? "loss-making" : "profitable");
        if (has_matrix) {
            for (size_t t = 0; t < nt; t++)
                if (!(pf->matrix.untapped && pf->matrix.untapped[k * nt + t])) {
                    wnum(x, ws, r, (lxw_col_t)(VM_TP0 + t), pf->matrix.pv[k * nt + t],
                         x->f_money);
                    most = fmax(most, fabs(pf->matrix.pv[k * nt + t]));
                }
            if (pf->matrix.untagged) {
                wnum(x, ws, r, c_untag, pf->matrix.untagged[k], x->f_money);
                if (nt == 0) /* the column the heat map colours when there are no others */
                    most = fmax(most, fabs(pf->matrix.untagged[k]));
            }
            if (pf->matrix.segment_total)
                wnum(x, ws, r, c_total, pf->matrix.segment_total[k], x->f_money_bold);
        }
    }
    lxw_row_t last = h + (lxw_row_t)s->n_segments;
    if (pf && pf->matrix.direct != 0.0) {
        wstr(x, ws, last + 1, VM_SEG, "Direct benefits (no segment, e.g. kind: other)", x->f_note);
        wnum(x, ws, last + 1, c_total, pf->matrix.direct, x->f_money);
    }
    if (!pf)
        wstr(x, ws, last + 3, 0,
             "The segment x touchpoint values come from the portfolio stage, which did not run.",
             x->f_note);
    else
        wstr(x, ws, last + 3, 0,
             "Expected present value over the iterations; an initiative's value is spread over "
             "its touchpoints by its weights. Green: value created, red: value destroyed, the "
             "deeper the more. Empty cells: no initiative addresses that touchpoint for that "
             "segment.",
             x->f_note);
    if (s->n_segments > 0) {
        /* Loss-making segments: the whole row in red. */
        char rule[64];
        snprintf(rule, sizeof rule, "=%s<0", ref(c1, h + 1, VM_CONTRIB, false, true));
        lxw_conditional_format loss = {.type = LXW_CONDITIONAL_TYPE_FORMULA,
                                       .value_string = rule,
                                       .format = x->f_loss};
        chk(x, worksheet_conditional_format_range(ws, h + 1, VM_SEG, last, VM_STATUS, &loss));
        /* The heat map: white at 0, green for value created, red for value destroyed, on
         * one scale symmetric about 0 (a colour by rank would paint the smallest gain red,
         * the colour of a loss). */
        lxw_conditional_format heat = {.type = LXW_CONDITIONAL_3_COLOR_SCALE,
                                       .min_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER,
                                       .min_value = -most,
                                       .min_color = 0xF8696B,
                                       .mid_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER,
                                       .mid_value = 0.0,
                                       .mid_color = 0xFFFFFF,
                                       .max_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER,
                                       .max_value = most,
                                       .max_color = 0x63BE7B};
        /* The touchpoints; the untagged column alone when there are none. */
        lxw_col_t heat_first = nt > 0 ? VM_TP0 : c_untag, heat_last = nt > 0 ? c_untag - 1 : c_untag;
        if (isfinite(most) && most > 0.0)
            chk(x,
                worksheet_conditional_format_range(ws, h + 1, heat_first, last, heat_last, &heat));
    }
    chk(x, worksheet_set_column(ws, VM_SEG, VM_SEG, 32, NULL));
    chk(x, worksheet_set_column(ws, VM_CUST, VM_STATUS, 15, NULL));
    chk(x, worksheet_set_column(ws, VM_TP0, c_total, 15, NULL));
    worksheet_freeze_panes(ws, h + 1, 1);
    print_setup(x, ws, h, h, true);
}

/* ---------------------------------------------------------------------------------- */
/* Retention                                                                           */

/* "'Cash flows'!$C$12:$C$14" */
static const char *xrange(char *buf, size_t size, const char *sheet, lxw_row_t r1, lxw_col_t c1,
                          lxw_row_t r2, lxw_col_t c2)
{
    char a[32], b[32];
    lxw_rowcol_to_cell_abs(a, r1, c1, 1, 1);
    lxw_rowcol_to_cell_abs(b, r2, c2, 1, 1);
    snprintf(buf, size, "'%s'!%s:%s", sheet, a, b);
    return buf;
}

/* A retention rate as a formula, or "n/a" when the year starts with no customers (the
 * engine's NaN); @p f holds the formula, guarded by its own IF. */
static void ret_cell(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const fb *f,
                     double cached)
{
    if (isfinite(cached))
        wf(x, ws, r, c, f, x->f_pct2, cached);
    else
        wfs(x, ws, r, c, f, x->f_pct2, "n/a");
}


/* sBG survival S(t) = B(alpha, beta + t) / B(alpha, beta), through GAMMALN; @p t a formula
 * term. Geometric (constant retention r): S(t) = r^t. */
static void survival_formula(fb *f, const cxroi_segment *spec, const xw *x, const char *t)
{
    if (spec->retention_kind == CXROI_RETENTION_CONSTANT) {
        fb_add(f, "%s^%s", nm(x, spec->retention), t);
        return;
    }
    const char *a = nm(x, spec->sbg_alpha), *b = nm(x, spec->sbg_beta);
    fb_add(f, "EXP(GAMMALN(%s+%s)+GAMMALN(%s+%s)-GAMMALN(%s)-GAMMALN(%s+%s+%s))", b, t, a, b, b, a,
           b, t);
}

static double survival_value(const cxroi_segment *spec, const xw *x, int t)
{
    if (spec->retention_kind == CXROI_RETENTION_CONSTANT)
        return pow(base_of(x, spec->retention, NAN), t);
    return cxroi_sbg_survival(base_of(x, spec->sbg_alpha, NAN), base_of(x, spec->sbg_beta, NAN),
                              t);
}

/* The survival curve a segment was fitted to, beside the fitted model's, and the
 * log-likelihood: how well the model fits. Returns the next free row. */
static lxw_row_t retention_fit(xw *x, const cxroi_segment *spec, lxw_row_t row,
                               lxw_row_t ll_row)
{
    lxw_worksheet *ws = x->ws_ret;
    size_t n = spec->n_survival;
    char c1[32], c2[32], c3[32], c4[32], c5[32], c6[32], t[16];
    fb f;
    static const char *const heads[] = {"Years since acquisition", "Survival as written",
                                        "Observed share surviving", "Fitted model"};
    for (lxw_col_t c = 0; c < 4; c++)
        wstr(x, ws, row, c, heads[c], c ? x->f_header_num : x->f_header);
    chk(x, worksheet_set_row(ws, row, 32, NULL));
    lxw_row_t first = ++row;
    double n0 = spec->survival[0];
    for (size_t k = 0; k < n; k++, row++) {
        wnum(x, ws, row, 0, (double)k, x->f_year);
        wnum(x, ws, row, 1, spec->survival[k], x->f_general);
        fb_reset(&f);
        fb_add(&f, "=%s/%s", ref(c1, row, 1, false, false), ref(c2, first, 1, true, false));
        wf(x, ws, row, 2, &f, x->f_pct2, spec->survival[k] / n0);
        fb_reset(&f);
        fb_add(&f, "=");
        survival_formula(&f, spec, x, ref(t, row, 0, false, false));
        wf(x, ws, row, 3, &f, x->f_pct2, survival_value(spec, x, (int)k));
    }
    lxw_row_t last = row - 1;
    /* LL = sum_t (n_{t-1} - n_t) ln(S(t-1) - S(t)) + n_T ln S(T): each customer lost in
     * year t contributes P(T = t), each still there at the end S(T). */
    double ll = 0.0;
    for (size_t k = 1; k < n; k++)
        ll += (spec->survival[k - 1] - spec->survival[k]) *
              log(survival_value(spec, x, (int)k - 1) - survival_value(spec, x, (int)k));
    ll += spec->survival[n - 1] * log(survival_value(spec, x, (int)n - 1));
    fb_reset(&f);
    fb_add(&f, "=SUMPRODUCT((%s:%s-%s:%s)*LN(%s:%s-", ref(c1, first, 1, false, false),
           ref(c2, last - 1, 1, false, false), ref(c3, first + 1, 1, false, false),
           ref(c4, last, 1, false, false), ref(c5, first, 3, false, false),
           ref(c6, last - 1, 3, false, false));
    fb_add(&f, "%s:%s))+%s*LN(%s)", ref(c1, first + 1, 3, false, false),
           ref(c2, last, 3, false, false), ref(c3, last, 1, false, false),
           ref(c4, last, 3, false, false));
    wf(x, ws, ll_row, 1, &f, x->f_ratio, ll);
    return row;
}

/* Column widths of the Retention sheet (characters). */
#define RET_LABEL_WIDTH 36
#define RET_COL_WIDTH 16

/* Width in points of a column @p chars characters wide (Excel's default font: 7 pixels a
 * character and 5 of padding; 0.75 point a pixel). */
static double column_points(double chars)
{
    return (chars * 7.0 + 5.0) * 0.75;
}

/* Per segment: its retention model, the aggregate retention by year without and with each
 * initiative acting on it (live formulas on the customers of 'Cash flows'), and a chart. */
static void sheet_retention(xw *x)
{
    lxw_worksheet *ws = x->ws_ret;
    const cxroi_scenario *s = x->s;
    const double *curves = x->a->retention_curves;
    int H = x->H;
    size_t len = (size_t)H + 1, ns = s->n_segments;
    char label[400];
    fb f;
    wstr(x, ws, 0, 0, "Retention: the share of each year's opening customers still there at its end",
         x->f_title);
    wstr(x, ws, 1, 0,
         "Retention in year t = customers kept from the year before / customers at its start "
         "N_{t-1}, computed from the customers on 'Cash flows' (live formulas). With sBG cohorts "
         "it rises as the base ages, the least loyal leaving first; new customers pull it back "
         "down.",
         x->f_subtitle);
    if (!curves) {
        wstr(x, ws, 3, 0, "The analysis holds no retention curves.", x->f_note);
        print_setup(x, ws, 0, 0, false);
        return;
    }
    /* The table's columns: year, baseline, one per initiative acting on the segment; the
     * chart to their right, at the same column for every segment. */
    size_t most = 0;
    bool any_fit = false;
    for (size_t k = 0; k < ns; k++) {
        size_t m = 0;
        for (size_t i = 0; i < s->n_initiatives; i++)
            m += cxroi_scenario_acts_on(s, i, k);
        most = m > most ? m : most;
        any_fit |= s->segments[k].survival && s->segments[k].n_survival >= 2;
    }
    lxw_col_t table_cols = (lxw_col_t)(2 + most);
    if (any_fit && table_cols < 4)
        table_cols = 4;
    lxw_col_t chart_col = table_cols + 1;
    /* The chart: 600 x 288 pixels, under fifteen 20-pixel rows and ten 64-pixel columns;
     * small enough that two segments share a printed page. */
    const lxw_row_t chart_rows = 15;
    const lxw_col_t chart_cols = 10;
    static const lxw_color_t palette[] = {0x2E75B6, 0xC55A11, 0x70AD47, 0x7030A0,
                                          0xBF8F00, 0x00B0F0, 0xC00000, 0x548235};
    lxw_row_t *breaks = calloc(ns + 1, sizeof *breaks);
    size_t *acting = calloc(s->n_initiatives + 1, sizeof *acting);
    if (!breaks || !acting) {
        free(breaks);
        free(acting);
        x->nomem = true;
        return;
    }
    /* Printed pages: a segment's block is never cut across two. Fit to width scales the
     * sheet by the printable width (A4 landscape, 0.4 in side margins: 784 points) over
     * the sheet's; a page then holds the printable height (0.6 in top and bottom:
     * 508 points) over that scale, of which 97 % is counted for rounding (Excel's rows are
     * 15 points; LibreOffice's are shorter, so it fits the blocks with room to spare). */
    double width = column_points(RET_LABEL_WIDTH) +
                   (double)(table_cols - 1) * column_points(RET_COL_WIDTH) + column_points(3) +
                   (double)chart_cols * column_points(8.43);
    double scale = width > 784.0 ? 784.0 / width : 1.0;
    double page = 0.97 * 508.0 / scale, used = 3 * 15.0;
    size_t n_breaks = 0;
    lxw_row_t row = 3;
    for (size_t k = 0; k < ns && !x->nomem; k++) {
        const cxroi_segment *spec = &s->segments[k];
        lxw_row_t top = row;
        double tall = 0.0; /* points of the block's rows taller than the default 15 */
        bool fitted = spec->survival && spec->n_survival >= 2;
        const char *model =
            spec->retention_kind == CXROI_RETENTION_SBG
                ? "sBG cohorts: a cohort of age a renews with r(a) = (beta + a) / (alpha + beta + a)"
            : spec->retention_kind == CXROI_RETENTION_SURVIVAL
                ? "sBG cohorts fitted by maximum likelihood to a survival curve (Fader & Hardie 2007)"
            : fitted ? "constant retention, the best fit of a survival curve that shows no rise "
                       "with age"
                     : "constant retention: the same share renews every year";
        snprintf(label, sizeof label, "%s (%s): %s", spec->name, spec->id, model);
        section_band(x, ws, row++, label, chart_col + chart_cols);
        lxw_row_t chart_top = row;
        /* The model's parameters, linked to their named cells on Assumptions. */
        lxw_row_t ll_row = 0;
        if (spec->retention_kind == CXROI_RETENTION_CONSTANT) {
            wstr(x, ws, row, 0, "Annual retention r", NULL);
            fb_reset(&f);
            fb_add(&f, "=%s", nm(x, spec->retention));
            wf(x, ws, row++, 1, &f, x->f_pct2, base_of(x, spec->retention, NAN));
        } else {
            wstr(x, ws, row, 0, "alpha", NULL);
            fb_reset(&f);
            fb_add(&f, "=%s", nm(x, spec->sbg_alpha));
            wf(x, ws, row++, 1, &f, x->f_num, base_of(x, spec->sbg_alpha, NAN));
            wstr(x, ws, row, 0, "beta", NULL);
            fb_reset(&f);
            fb_add(&f, "=%s", nm(x, spec->sbg_beta));
            wf(x, ws, row++, 1, &f, x->f_num, base_of(x, spec->sbg_beta, NAN));
            wstr(x, ws, row, 0, "Age of the base at the start (tenure, years)", NULL);
            if (spec->retention_kind == CXROI_RETENTION_SBG) {
                char name[320];
                tenure_formula(spec, name, sizeof name);
                fb_reset(&f);
                fb_add(&f, "=%s", name);
                wf(x, ws, row++, 1, &f, x->f_count, spec->tenure);
            } else {
                wnum(x, ws, row++, 1, 0.0, x->f_count);
            }
        }
        if (fitted) {
            ll_row = row;
            wstr(x, ws, row++, 0, "Log-likelihood of the survival curve below", NULL);
        }
        row++;
        /* The table: years down, baseline and each initiative across. */
        lxw_row_t head = row++;
        wstr(x, ws, head, 0, "Year", x->f_header);
        wstr(x, ws, head, 1, "Baseline", x->f_header_num);
        lxw_col_t col = 2;
        size_t n_acting = 0;
        for (size_t i = 0; i < s->n_initiatives; i++)
            if (cxroi_scenario_acts_on(s, i, k) && x->rpos[i * ns + k].set)
                acting[n_acting++] = i;
        size_t longest = 0;
        for (size_t a = 0; a < n_acting; a++) {
            const char *name = s->initiatives[acting[a]].name;
            wstr(x, ws, head, col + (lxw_col_t)a, name, x->f_header_num);
            longest = strlen(name) > longest ? strlen(name) : longest;
        }
        /* Wrapped bold names: about RET_COL_WIDTH - 6 characters a line (a word that does
         * not fit moves whole to the next), 15 points each. */
        size_t lines = (longest + RET_COL_WIDTH - 7) / (RET_COL_WIDTH - 6);
        double head_height = 15.0 * (double)(lines < 2 ? 2 : lines > 6 ? 6 : lines);
        chk(x, worksheet_set_row(ws, head, head_height, NULL));
        tall += head_height - 15.0;
        lxw_row_t first = row;
        const seg_base *b = &x->seg[k];
        char xr[96], xn[64], xm[64];
        for (int t = 1; t <= H; t++, row++) {
            wnum(x, ws, row, 0, t, x->f_year);
            /* Baseline: constant retention keeps N_t - A of N_{t-1}; sBG the cohorts
             * acquired before year t, summed. */
            fb_reset(&f);
            xref(xn, sizeof xn, SHEET_CASH, b->n_row, ycol(t - 1));
            if (b->sbg)
                fb_add(&f, "=IF(%s>0,SUM(%s)/%s,\"n/a\")", xn,
                       xrange(xr, sizeof xr, SHEET_CASH, b->coh_row, ycol(t),
                              b->coh_row + (lxw_row_t)(t - 1), ycol(t)),
                       xn);
            else
                fb_add(&f, "=IF(%s>0,(%s-%s)/%s,\"n/a\")", xn,
                       xref(xm, sizeof xm, SHEET_CASH, b->n_row, ycol(t)),
                       nm(x, spec->acquisitions_per_year), xn);
            ret_cell(x, ws, row, 1, &f, curves[k * len + (size_t)t]);
            /* With initiative i: r'_t itself (N'_{t-1} r'_t of N'_{t-1}), or the older
             * cohorts' customers with the initiative over N'_{t-1}. */
            for (size_t a = 0; a < n_acting; a++) {
                size_t i = acting[a];
                const ret_pos *p = &x->rpos[i * ns + k];
                fb_reset(&f);
                xref(xn, sizeof xn, SHEET_CASH, p->np_row, ycol(t - 1));
                if (p->cohorts)
                    fb_add(&f, "=IF(%s>0,SUM(%s)/%s,\"n/a\")", xn,
                           xrange(xr, sizeof xr, SHEET_CASH, p->coh_row, ycol(t),
                                  p->coh_row + (lxw_row_t)(t - 1), ycol(t)),
                           xn);
                else
                    fb_add(&f, "=IF(%s>0,%s,\"n/a\")", xn,
                           xref(xm, sizeof xm, SHEET_CASH, p->r_row, ycol(t)));
                ret_cell(x, ws, row, col + (lxw_col_t)a,
                         &f, curves[((i + 1) * ns + k) * len + (size_t)t]);
            }
        }
        lxw_row_t last = row - 1;
        if (fitted) {
            row++;
            row = retention_fit(x, spec, row, ll_row);
            tall += 32.0 - 15.0; /* its header */
        }
        /* Retention by year, baseline against each initiative. */
        lxw_chart *ch = workbook_add_chart(x->wb, LXW_CHART_LINE);
        if (!ch) {
            x->nomem = true;
            break;
        }
        for (size_t a = 0; a <= n_acting; a++) {
            lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
            if (!se) {
                x->nomem = true;
                break;
            }
            lxw_col_t c = (lxw_col_t)(1 + a);
            chart_series_set_categories(se, SHEET_RETENTION, first, 0, last, 0);
            chart_series_set_values(se, SHEET_RETENTION, first, c, last, c);
            chart_series_set_name_range(se, SHEET_RETENTION, head, c);
            lxw_chart_line line = {.color = a == 0 ? 0x404040 : palette[(a - 1) % 8],
                                   .width = a == 0 ? 2.75 : 2.0,
                                   .dash_type = a == 0 ? LXW_CHART_LINE_DASH_DASH
                                                       : LXW_CHART_LINE_DASH_SOLID};
            chart_series_set_line(se, &line);
            chart_series_set_marker_type(se, H <= 15 ? LXW_CHART_MARKER_CIRCLE
                                                     : LXW_CHART_MARKER_NONE);
            if (H <= 15) {
                chart_series_set_marker_size(se, 5);
                lxw_chart_fill mf = {.color = line.color};
                lxw_chart_line ml = {.color = line.color};
                chart_series_set_marker_fill(se, &mf);
                chart_series_set_marker_line(se, &ml);
            }
        }
        if (x->nomem)
            break;
        snprintf(label, sizeof label, "Retention by year: %s", spec->name);
        chart_title_set_name(ch, label);
        lxw_chart_font tf = {.size = 11, .bold = true};
        chart_title_set_name_font(ch, &tf);
        chart_axis_set_name(ch->x_axis, "Year");
        chart_axis_set_num_format(ch->y_axis, "0%");
        chart_axis_set_name(ch->y_axis, "Retention");
        chart_axis_major_gridlines_set_visible(ch->y_axis, LXW_TRUE);
        lxw_chart_line grid = {.color = 0xD9D9D9};
        chart_axis_major_gridlines_set_line(ch->y_axis, &grid);
        chart_legend_set_position(ch, LXW_CHART_LEGEND_BOTTOM);
        lxw_chart_options o = {.x_scale = 600.0 / 480.0, .y_scale = 1.0, .x_offset = 4,
                               .y_offset = 4};
        chk(x, worksheet_insert_chart_opt(ws, chart_top, chart_col, ch, &o));
        lxw_row_t bottom = chart_top + chart_rows;
        double block = fmax(15.0 * (double)(row - top) + tall, 15.0 * (double)(bottom - top));
        row = (row > bottom ? row : bottom) + 1;
        block += 15.0; /* the gap before the next block */
        if (k > 0 && used + block > page && n_breaks < 1023) {
            breaks[n_breaks++] = top;
            used = 0.0;
        }
        used += block;
    }
    if (n_breaks > 0 && !x->nomem)
        chk(x, worksheet_set_h_pagebreaks(ws, breaks));
    free(breaks);
    free(acting);
    chk(x, worksheet_set_column(ws, 0, 0, RET_LABEL_WIDTH, NULL));
    chk(x, worksheet_set_column(ws, 1, table_cols - 1, RET_COL_WIDTH, NULL));
    chk(x, worksheet_set_column(ws, table_cols, table_cols, 3, NULL));
    /* Rows of 15 points in every spreadsheet (LibreOffice's own default is shorter), so
     * that the charts, anchored to cells, keep their height and the page breaks above
     * hold. */
    worksheet_set_default_row(ws, 15.0, LXW_FALSE);
    worksheet_freeze_panes(ws, 3, 0);
    print_setup(x, ws, 0, 0, false);
}

/* ---------------------------------------------------------------------------------- */
/* Portfolio                                                                           */

typedef struct rank_item {
    size_t index;
    double key;
} rank_item;

static int cmp_rank(const void *pa, const void *pb)
{
    const rank_item *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static void sheet_portfolio(xw *x)
{
    lxw_worksheet *ws = x->ws_port;
    const cxroi_scenario *s = x->s;
    const cxroi_portfolio *pf = x->portfolio;
    const cxroi_simulation *sim = x->a->simulation;
    size_t n = s->n_initiatives;
    char buf[400];
    wstr(x, ws, 0, 0, "Portfolio: the funding line", x->f_title);
    wstr(x, ws, 1, 0,
         pf ? "Initiatives ranked by expected NPV per unit of upfront cost, funded ones first; "
              "the funded set is the one with the largest expected NPV within the budget "
              "(exact search, not greedy)."
            : "Initiatives ranked by expected NPV per unit of upfront cost. The portfolio stage "
              "did not run: no funded set is marked.",
         x->f_subtitle);
    lxw_row_t r = 3;
    wstr(x, ws, r, 0, "Budget (sum of upfront costs)", x->f_bold);
    if (s->portfolio.has_budget)
        wnum(x, ws, r, 1, s->portfolio.budget, x->f_money);
    else
        wstr(x, ws, r, 1, "none", NULL);
    lxw_row_t budget_row = r++;
    if (pf) {
        wstr(x, ws, r, 0, "Funded upfront", x->f_bold);
        wnum(x, ws, r++, 1, pf->upfront, x->f_money);
        wstr(x, ws, r, 0, "Expected NPV of the funded set", x->f_bold);
        wnum(x, ws, r++, 1, pf->npv.mean, x->f_money);
        wstr(x, ws, r, 0, "P(NPV > 0) of the funded set", x->f_bold);
        wnum(x, ws, r++, 1, pf->prob_npv_positive, prob_format(x, pf->prob_npv_positive, false));
        if (!pf->feasible)
            wstr(x, ws, r++, 0, "No set of initiatives satisfies the constraints.", x->f_loss);
    }
    r++;
    enum { PO_RANK = 0, PO_NAME, PO_UP, PO_CUM, PO_NPV, PO_PPOS, PO_RATIO, PO_FUNDED, PO_BUDGET };
    static const char *const heads[] = {"Rank", "Initiative", "Upfront cost (base)",
                                        "Cumulative upfront", "Expected NPV", "P(NPV > 0)",
                                        "Expected NPV per unit upfront", "Funded", "Budget"};
    lxw_row_t h = r;
    header_row(x, ws, h, heads, PO_BUDGET + 1);
    rank_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items) {
        x->nomem = true;
        return;
    }
    if (pf && pf->ranking) { /* the portfolio's own ranking, funded ones first */
        for (size_t i = 0; i < n; i++)
            items[i].index = pf->ranking[i];
    } else { /* no portfolio stage: by expected NPV per unit of upfront cost alone */
        for (size_t i = 0; i < n; i++) {
            items[i].index = i;
            double up = base_of(x, s->initiatives[i].upfront, 0.0);
            double mean = sim ? sim->initiatives[i].npv.mean : x->a->initiatives[i].base.npv;
            items[i].key = up > 0.0 ? mean / up : (mean > 0 ? INFINITY : -INFINITY);
        }
        qsort(items, n, sizeof *items, cmp_rank);
    }
    double cum = 0.0;
    fb f;
    char c1[32], c2[32];
    for (size_t k = 0; k < n; k++) {
        size_t i = items[k].index;
        lxw_row_t row = h + 1 + (lxw_row_t)k;
        double up = base_of(x, s->initiatives[i].upfront, 0.0);
        double mean = sim ? sim->initiatives[i].npv.mean : x->a->initiatives[i].base.npv;
        cum += up;
        wnum(x, ws, row, PO_RANK, (double)(k + 1), NULL);
        wstr(x, ws, row, PO_NAME, s->initiatives[i].name, NULL);
        fb_reset(&f);
        fb_add(&f, "=%s", nm(x, s->initiatives[i].upfront));
        wf(x, ws, row, PO_UP, &f, x->f_money, up);
        fb_reset(&f);
        if (k == 0)
            fb_add(&f, "=%s", ref(c1, row, PO_UP, false, false));
        else
            fb_add(&f, "=%s+%s", ref(c1, row - 1, PO_CUM, false, false),
                   ref(c2, row, PO_UP, false, false));
        wf(x, ws, row, PO_CUM, &f, x->f_money, cum);
        wnum(x, ws, row, PO_NPV, mean, x->f_money);
        if (sim)
            wnum(x, ws, row, PO_PPOS, sim->initiatives[i].prob_npv_positive,
                 prob_format(x, sim->initiatives[i].prob_npv_positive, false));
        if (up > 0.0)
            wnum(x, ws, row, PO_RATIO, mean / up, x->f_ratio);
        wstr(x, ws, row, PO_FUNDED, pf ? (is_funded(x, i) ? "yes" : "no") : "-",
             is_funded(x, i) ? x->f_good : x->f_center);
        if (s->portfolio.has_budget) {
            fb_reset(&f);
            fb_add(&f, "=%s", ref(c1, budget_row, 1, true, true));
            wf(x, ws, row, PO_BUDGET, &f, x->f_money, s->portfolio.budget);
        }
    }
    free(items);
    lxw_row_t last = h + (lxw_row_t)n;
    if (n > 0) {
        /* Cumulative upfront as columns, the budget as a line across them: the funding
         * line of the ranked list. */
        lxw_chart *ch = workbook_add_chart(x->wb, LXW_CHART_LINE);
        if (!ch) {
            x->nomem = true;
            return;
        }
        lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
        if (!se) {
            x->nomem = true;
            return;
        }
        chart_series_set_categories(se, SHEET_PORTFOLIO, h + 1, PO_NAME, last, PO_NAME);
        chart_series_set_values(se, SHEET_PORTFOLIO, h + 1, PO_CUM, last, PO_CUM);
        chart_series_set_name(se, "Cumulative upfront");
        lxw_chart_line cl = {.color = 0x2E75B6, .width = 2.5};
        chart_series_set_line(se, &cl);
        chart_series_set_marker_type(se, LXW_CHART_MARKER_CIRCLE);
        chart_series_set_marker_size(se, 8);
        if (s->portfolio.has_budget) {
            lxw_chart_series *bl = chart_add_series(ch, NULL, NULL);
            if (!bl) {
                x->nomem = true;
                return;
            }
            chart_series_set_categories(bl, SHEET_PORTFOLIO, h + 1, PO_NAME, last, PO_NAME);
            chart_series_set_values(bl, SHEET_PORTFOLIO, h + 1, PO_BUDGET, last, PO_BUDGET);
            chart_series_set_name(bl, "Budget (the funding line)");
            lxw_chart_line bline = {.color = 0xC00000, .width = 2.25,
                                    .dash_type = LXW_CHART_LINE_DASH_DASH};
            chart_series_set_line(bl, &bline);
            chart_series_set_marker_type(bl, LXW_CHART_MARKER_NONE);
        }
        chart_title_set_name(ch, "Cumulative upfront spend in rank order, and the budget");
        chart_axis_set_num_format(ch->y_axis, "#,##0");
        chart_axis_set_name(ch->y_axis, "Upfront cost");
        chart_legend_set_position(ch, LXW_CHART_LEGEND_BOTTOM);
        lxw_chart_options o = {.x_scale = 2.0, .y_scale = 1.4, .x_offset = 4, .y_offset = 8};
        chk(x, worksheet_insert_chart_opt(ws, last + 2, 0, ch, &o));
    }
    lxw_row_t fr = last + 25;
    if (pf && pf->n_frontier > 0 && pf->frontier) {
        wstr(x, ws, fr++, 0, "Efficient frontier: the best set at each budget", x->f_section);
        static const char *const fh[] = {"Budget", "Upfront of the set", "Expected NPV",
                                         "P(NPV > 0)", "Initiatives funded"};
        for (lxw_col_t c = 0; c < 5; c++)
            wstr(x, ws, fr, c, fh[c], x->f_header);
        fr++;
        for (size_t p = 0; p < pf->n_frontier; p++, fr++) {
            const cxroi_frontier_point *pt = &pf->frontier[p];
            wnum(x, ws, fr, 0, pt->budget, x->f_money);
            wnum(x, ws, fr, 1, pt->upfront, x->f_money);
            wnum(x, ws, fr, 2, pt->npv_mean, x->f_money);
            wnum(x, ws, fr, 3, pt->prob_npv_positive, prob_format(x, pt->prob_npv_positive, false));
            size_t k = 0;
            buf[0] = '\0';
            for (size_t i = 0; i < n && pt->funded; i++) {
                if (!pt->funded[i])
                    continue;
                int w = snprintf(buf + k, sizeof buf - k, "%s%s", k ? ", " : "",
                                 s->initiatives[i].id);
                if (w < 0 || (size_t)w >= sizeof buf - k)
                    break;
                k += (size_t)w;
            }
            wstr(x, ws, fr, 4, buf, NULL);
        }
    }
    chk(x, worksheet_set_column(ws, PO_RANK, PO_RANK, 30, NULL));
    chk(x, worksheet_set_column(ws, PO_NAME, PO_NAME, 44, NULL));
    chk(x, worksheet_set_column(ws, PO_UP, PO_BUDGET, 16, NULL));
    worksheet_freeze_panes(ws, 2, 0);
    print_setup(x, ws, h, h, true);
}

/* ---------------------------------------------------------------------------------- */
/* Samples                                                                             */

static void sheet_samples(xw *x, lxw_worksheet *ws)
{
    const cxroi_scenario *s = x->s;
    const cxroi_simulation *sim = x->a->simulation;
    size_t rows = sim->iterations, cap = sim->iterations_cap;
    size_t limit = x->opt.max_samples ? x->opt.max_samples : CXROI_XLSX_MAX_SAMPLE_ROWS;
    if (limit > CXROI_XLSX_MAX_SAMPLE_ROWS)
        limit = CXROI_XLSX_MAX_SAMPLE_ROWS;
    if (rows > limit)
        rows = limit;
    bool port = x->portfolio != NULL;
    wstr(x, ws, 0, 0, "Iteration", x->f_header);
    for (size_t i = 0; i < s->n_initiatives; i++)
        wstr(x, ws, 0, (lxw_col_t)(1 + i), s->initiatives[i].id, x->f_header);
    if (port)
        wstr(x, ws, 0, (lxw_col_t)(1 + s->n_initiatives), "portfolio", x->f_header);
    for (size_t k = 0; k < rows && x->lerr == LXW_NO_ERROR; k++) {
        lxw_row_t r = (lxw_row_t)(k + 1);
        chk(x, worksheet_write_number(ws, r, 0, (double)(k + 1), NULL));
        double total = 0.0;
        for (size_t i = 0; i < s->n_initiatives; i++) {
            double v = sim->npv[i * cap + k];
            if (is_funded(x, i))
                total += v;
            chk(x, worksheet_write_number(ws, r, (lxw_col_t)(1 + i), v, x->f_money));
        }
        if (port)
            chk(x, worksheet_write_number(ws, r, (lxw_col_t)(1 + s->n_initiatives), total,
                                          x->f_money));
    }
    chk(x, worksheet_set_column(ws, 0, (lxw_col_t)(1 + s->n_initiatives), 18, NULL));
}

/* ---------------------------------------------------------------------------------- */
/* The workbook                                                                        */

static const cxroi_portfolio *portfolio_of(const cxroi_analysis *a)
{
    const cxroi_portfolio *p = a->portfolio;
    return p && p->n_initiatives == a->scenario->n_initiatives ? p : NULL;
}

static void xw_free(xw *x)
{
    if (x->names)
        for (size_t p = 0; p < x->s->n_params; p++)
            free(x->names[p]);
    free(x->names);
    if (x->ini_names)
        for (size_t i = 0; i < x->s->n_initiatives; i++)
            free(x->ini_names[i]);
    free(x->ini_names);
    if (x->seg)
        for (size_t k = 0; k < x->s->n_segments; k++) {
            free(x->seg[k].n);
            free(x->seg[k].coh);
            free(x->seg[k].v);
        }
    free(x->seg);
    free(x->pos);
    free(x->rpos);
}

static bool xw_alloc(xw *x)
{
    const cxroi_scenario *s = x->s;
    size_t len = (size_t)x->H + 1;
    x->ini_names = calloc(s->n_initiatives ? s->n_initiatives : 1, sizeof *x->ini_names);
    x->seg = calloc(s->n_segments ? s->n_segments : 1, sizeof *x->seg);
    x->pos = calloc(s->n_initiatives ? s->n_initiatives : 1, sizeof *x->pos);
    size_t n_pos = s->n_initiatives * s->n_segments;
    x->rpos = calloc(n_pos ? n_pos : 1, sizeof *x->rpos);
    if (!x->ini_names || !x->seg || !x->pos || !x->rpos)
        return false;
    for (size_t i = 0; i < s->n_initiatives; i++)
        if (!(x->ini_names[i] = struct_name(x, "initiatives", s->initiatives[i].id)))
            return false;
    for (size_t k = 0; k < s->n_segments; k++) {
        x->seg[k].n = calloc(len, sizeof(double));
        x->seg[k].coh = calloc(len * len, sizeof(double));
        x->seg[k].v = calloc(len, sizeof(double));
        if (!x->seg[k].n || !x->seg[k].coh || !x->seg[k].v)
            return false;
    }
    return true;
}

/* errno for a libxlsxwriter failure: its file errors keep the system's errno. */
static cxroi_error map_lxw(lxw_error e)
{
    switch (e) {
    case LXW_NO_ERROR:
        return CXROI_OK;
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        errno = ENOMEM;
        return CXROI_ERROR_NOMEM;
    default: /* creating, reading or zipping the file: an I/O error */
        if (errno == 0)
            errno = EIO;
        return CXROI_ERROR_IO;
    }
}

cxroi_error cxroi_report_xlsx_write(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                    const char *path, const cxroi_xlsx_options *options)
{
    if (!analysis || !analysis->scenario || !path || !*path)
        return CXROI_ERROR_ARGUMENT;
    xw x = {0};
    x.a = analysis;
    x.s = analysis->scenario;
    x.diag = diag;
    x.portfolio = portfolio_of(analysis);
    if (options)
        x.opt = *options;
    x.H = x.s->horizon;
    x.d = analysis->discount_rate;
    if (x.H < 1 || x.H > CXROI_MAX_HORIZON || !analysis->initiatives || !analysis->base_values)
        return CXROI_ERROR_ARGUMENT;
    if (!xw_alloc(&x)) {
        xw_free(&x);
        return CXROI_ERROR_NOMEM;
    }
    errno = 0;
    x.wb = workbook_new(path);
    if (!x.wb) {
        int e = errno ? errno : EIO;
        xw_free(&x);
        errno = e;
        return CXROI_ERROR_IO;
    }
    make_formats(&x);
    x.ws_summary = workbook_add_worksheet(x.wb, SHEET_SUMMARY);
    x.ws_assump = workbook_add_worksheet(x.wb, SHEET_ASSUMPTIONS);
    x.ws_cash = workbook_add_worksheet(x.wb, SHEET_CASH);
    x.ws_sim = workbook_add_worksheet(x.wb, SHEET_SIM);
    x.ws_sens = workbook_add_worksheet(x.wb, SHEET_SENS);
    x.ws_matrix = workbook_add_worksheet(x.wb, SHEET_MATRIX);
    x.ws_ret = workbook_add_worksheet(x.wb, SHEET_RETENTION);
    x.ws_port = workbook_add_worksheet(x.wb, SHEET_PORTFOLIO);
    lxw_worksheet *ws_samples = NULL;
    bool samples = x.opt.samples && analysis->simulation && analysis->simulation->iterations > 0;
    if (samples)
        ws_samples = workbook_add_worksheet(x.wb, SHEET_SAMPLES);
    if (!x.ws_summary || !x.ws_assump || !x.ws_cash || !x.ws_sim || !x.ws_sens || !x.ws_matrix ||
        !x.ws_ret || !x.ws_port || (samples && !ws_samples))
        x.nomem = true;
    char title[300];
    snprintf(title, sizeof title, "%s: business case", x.s->name);
    char comments[200];
    snprintf(comments, sizeof comments, "Written by cxroi %s", CXROI_VERSION_STRING);
    lxw_doc_properties props = {.title = title,
                                .subject = "CX investment business case: NPV, IRR, ROI, "
                                           "risk ranges and funding line",
                                .author = "cxroi",
                                .category = "Business case",
                                .keywords = "cxroi, customer lifetime value, NPV, Monte Carlo",
                                .comments = comments};
    if (!x.nomem) {
        chk(&x, workbook_set_properties(x.wb, &props));
        chk(&x, workbook_set_custom_property_string(x.wb, "cxroi version", CXROI_VERSION_STRING));
        chk(&x, workbook_set_custom_property_string(x.wb, "Currency", x.s->currency));
        sheet_assumptions(&x);
    }
    if (!x.nomem)
        sheet_cash(&x);
    if (!x.nomem)
        sheet_summary(&x);
    if (!x.nomem)
        sheet_simulation(&x);
    if (!x.nomem)
        sheet_sensitivity(&x);
    if (!x.nomem)
        sheet_matrix(&x);
    if (!x.nomem)
        sheet_retention(&x);
    if (!x.nomem)
        sheet_portfolio(&x);
    if (!x.nomem && samples)
        sheet_samples(&x, ws_samples);
    errno = 0;
    lxw_error closed = workbook_close(x.wb); /* frees the workbook in every case */
    int e = errno;
    cxroi_error err = CXROI_OK;
    if (x.nomem) {
        err = CXROI_ERROR_NOMEM;
        e = ENOMEM;
    } else if (x.fmt_error) {
        err = CXROI_ERROR_LIMIT;
        e = E2BIG;
    } else if (x.lerr != LXW_NO_ERROR) {
        errno = 0;
        err = map_lxw(x.lerr);
        e = errno;
    } else if (closed != LXW_NO_ERROR) {
        errno = e;
        err = map_lxw(closed);
        e = errno;
    }
    xw_free(&x);
    if (err != CXROI_OK)
        unlink(path); /* never leave a half-written workbook behind */
    errno = err == CXROI_OK ? 0 : e;
    return err;
}

/* Copy the file @p from to @p out. */
static cxroi_error copy_to(const char *from, FILE *out)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return CXROI_ERROR_IO;
    char buf[65536];
    size_t n;
    cxroi_error err = CXROI_OK;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            err = CXROI_ERROR_IO;
            break;
        }
    }
    if (err == CXROI_OK && ferror(in))
        err = CXROI_ERROR_IO;
    int e = errno;
    fclose(in);
    errno = e;
    return err;
}

cxroi_error cxroi_report_xlsx_save(const cxroi_analysis *analysis, const cxroi_diag *diag,
                                   const char *path, const cxroi_xlsx_options *options)
{
    if (!analysis || !path || !*path)
        return CXROI_ERROR_ARGUMENT;
    cxroi_atomic_file *f = NULL;
    cxroi_error err = cxroi_atomic_open(path, 0, &f);
    if (err != CXROI_OK)
        return err;
    const char *temp = cxroi_atomic_temp_path(f);
    if (temp) {
        err = cxroi_report_xlsx_write(analysis, diag, temp, options);
        if (err != CXROI_OK) {
            cxroi_atomic_abort(f);
            return err;
        }
        return cxroi_atomic_commit(f);
    }
    /* Not a regular file: a complete workbook first, in the temporary directory, then
     * its bytes through (a zip cannot be written to a pipe as it is built). */
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    char tpl[4096];
    int k = snprintf(tpl, sizeof tpl, "%s/cxroi-report-XXXXXX", tmpdir);
    if (k < 0 || (size_t)k >= sizeof tpl) {
        cxroi_atomic_abort(f);
        errno = ENAMETOOLONG;
        return CXROI_ERROR_IO;
    }
    int fd = mkstemp(tpl);
    if (fd < 0) {
        cxroi_atomic_abort(f);
        return CXROI_ERROR_IO;
    }
    /* A signal from here on removes the scratch workbook too. */
    int slot = cxroi_atomic_register(tpl);
    close(fd);
    err = cxroi_report_xlsx_write(analysis, diag, tpl, options);
    if (err == CXROI_OK) {
        FILE *out = cxroi_atomic_stream(f);
        err = out ? copy_to(tpl, out) : CXROI_ERROR_NOMEM;
    }
    int e = errno;
    unlink(tpl);
    cxroi_atomic_unregister(slot);
    errno = e;
    if (err != CXROI_OK) {
        cxroi_atomic_abort(f);
        return err;
    }
    return cxroi_atomic_commit(f);
}
