/* Tests of the report writers: the money formatter, the JSON writer and the terminal
 * summary, on a hand-built analysis (no loader, no model: the writers only read). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cxroi/report.h"

/* ------------------------------------------------------------------------------------ */
/* Money */

static void check_money(double value, const char *currency, const char *expected)
{
    char buf[64];
    size_t n = cxroi_report_format_money(buf, sizeof buf, value, currency);
    assert_string_equal(buf, expected);
    assert_int_equal(n, strlen(expected));
}

static void test_report_money_separators(void **state)
{
    (void)state;
    check_money(1234567.0, "EUR", "EUR 1,234,567");
    check_money(999.0, "EUR", "EUR 999");
    check_money(1000.0, "GBP", "GBP 1,000");
    check_money(100000.0, NULL, "100,000");
    check_money(7350.0735, "", "7,350");
    check_money(0.0, "USD", "USD 0");
}

/* A probability shows >99.9 or <0.1 only strictly between the bounds and 0 or 1: 1 and 0
 * mean no iteration said otherwise. */
static void test_report_probability_bound(void **state)
{
    (void)state;
    assert_int_equal(cxroi_report_probability_bound(0.99995), 1);
    assert_int_equal(cxroi_report_probability_bound(0.9991), 1);
    assert_int_equal(cxroi_report_probability_bound(0.999), 0);
    assert_int_equal(cxroi_report_probability_bound(1.0), 0);
    assert_int_equal(cxroi_report_probability_bound(0.0003), -1);
    assert_int_equal(cxroi_report_probability_bound(0.001), 0);
    assert_int_equal(cxroi_report_probability_bound(0.0), 0);
    assert_int_equal(cxroi_report_probability_bound(0.4735), 0);
}

static void test_report_money_negative(void **state)
{
    (void)state;
    check_money(-1234.4, "EUR", "EUR -1,234");
    check_money(-12345678.9, NULL, "-12,345,679");
    check_money(-999999.5, NULL, "-1,000,000"); /* half away from zero carries a digit */
    /* -0.3 rounds to -0: no sign on a zero amount. */
    check_money(-0.3, "EUR", "EUR 0");
    check_money(-0.0, NULL, "0");
}

static void test_report_money_rounding(void **state)
{
    (void)state;
    /* Halves go away from zero (round()); 0.5, 2.5 and 1234567.5 are exact in binary. */
    check_money(0.5, NULL, "1");
    check_money(2.5, NULL, "3");
    check_money(1234567.5, "EUR", "EUR 1,234,568");
    check_money(1234567.4999, "EUR", "EUR 1,234,567");
    check_money(0.0735, NULL, "0");
}

static void test_report_money_huge(void **state)
{
    (void)state;
    check_money(1e21, NULL, "1,000,000,000,000,000,000,000");
    /* 123456789012345678 is not a double: the nearest one is 123456789012345680
     * (spacing 16 at this magnitude), which is what must print. */
    check_money(123456789012345678.0, "EUR", "EUR 123,456,789,012,345,680");

    /* DBL_MAX: 309 integer digits and 102 separators. */
    char big[512];
    size_t n = cxroi_report_format_money(big, sizeof big, 1.7976931348623157e308, NULL);
    assert_int_equal(n, 309 + 102);
    assert_int_equal(strlen(big), n);
    assert_memory_equal(big, "179,769,313,486,231,570,814,527,423,731,704,356,798,070", 55);
}

static void test_report_money_non_finite(void **state)
{
    (void)state;
    check_money(NAN, "EUR", "n/a");
    check_money(INFINITY, NULL, "n/a");
    check_money(-INFINITY, NULL, "n/a");
}

static void test_report_money_truncation(void **state)
{
    (void)state;
    char buf[8];
    /* As snprintf(): the full length is returned, the copy is cut and terminated. */
    size_t n = cxroi_report_format_money(buf, sizeof buf, 1234567.0, "EUR");
    assert_int_equal(n, strlen("EUR 1,234,567"));
    assert_string_equal(buf, "EUR 1,2");
    assert_int_equal(cxroi_report_format_money(NULL, 0, -5.0, NULL), 2);
}

/* ------------------------------------------------------------------------------------ */
/* A hand-built analysis: horizon 3, two initiatives, two segments. */

enum { H = 3, N = H + 1 };

typedef struct fixture {
    cxroi_scenario scenario;
    cxroi_initiative initiatives[2];
    cxroi_segment segments[2];
    cxroi_analysis analysis;
    cxroi_deterministic det[2];
    cxroi_segment_economics econ[2];
    double base_values[3];
    double flows[2][3][N];
    cxroi_diag *diag;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    cxroi_scenario *s = &f->scenario;
    s->file = "cases/r\xe9sum\xe9.yaml"; /* Latin-1 bytes: not UTF-8 */
    s->name = "Bank \"quoted\" \\ case\nline two \xe2\x82\xac"; /* ends with the euro sign */
    memcpy(s->currency, "EUR", 4);
    s->horizon = H;
    s->discount_rate = 0;
    s->terminal_value = CXROI_TERMINAL_CUSTOMER_EQUITY;
    s->initiatives = f->initiatives;
    s->n_initiatives = 2;
    s->segments = f->segments;
    s->n_segments = 2;

    f->initiatives[0] = (cxroi_initiative){.id = "onboarding",
                                           .name = "Digital onboarding revamp with a "
                                                   "very long name that will not fit",
                                           .kind = CXROI_INITIATIVE_CX,
                                           .upfront = 1,
                                           .annual = CXROI_NONE,
                                           .benefit_annual = CXROI_NONE,
                                           .has_risk_adjustment = true,
                                           .risk_benefits = 0.15,
                                           .risk_costs = 0.05};
    f->initiatives[1] = (cxroi_initiative){.id = "warehouse",
                                           .name = NULL, /* falls back to the id */
                                           .kind = CXROI_INITIATIVE_OTHER,
                                           .upfront = CXROI_NONE,
                                           .annual = CXROI_NONE,
                                           .benefit_annual = 2};
    f->segments[0] = (cxroi_segment){.id = "mass", .name = "Mass retail"};
    f->segments[1] = (cxroi_segment){.id = "smb", .name = NULL};

    /* Values with 17 significant digits that a shorter format would not round-trip. */
    f->base_values[0] = 0.0735;
    f->base_values[1] = 1987654.3210987654;
    f->base_values[2] = 1.0 / 3.0;

    cxroi_analysis *a = &f->analysis;
    a->scenario = s;
    a->base_values = f->base_values;
    a->discount_rate = 0.0735;
    a->iterations = 20000;
    a->seed = 7;
    a->sampling = CXROI_SAMPLING_LATIN_HYPERCUBE;
    a->initiatives = f->det;
    a->segments = f->econ;
    a->clamped = 3;

    for (int i = 0; i < 2; i++) {
        f->det[i].benefits = f->flows[i][0];
        f->det[i].costs = f->flows[i][1];
        f->det[i].cash_flows = f->flows[i][2];
        for (int t = 0; t < N; t++) {
            f->flows[i][0][t] = t == 0 ? 0.0 : 0.1 + 0.2 * t; /* 0.30000000000000004, ... */
            f->flows[i][1][t] = t == 0 ? 1987654.3210987654 : 0.0;
            f->flows[i][2][t] = f->flows[i][0][t] - f->flows[i][1][t];
        }
    }
    /* Initiative 0: everything exists, IRR flagged as multiple. */
    cxroi_metrics *m = &f->det[0].base;
    *m = (cxroi_metrics){.npv = 123456.78901234567,
                         .pv_benefits = 2111111.1111111111,
                         .pv_costs = 1987654.3210987654,
                         .terminal_value = 0.1 + 0.2,
                         .has_roi = true,
                         .roi = 0.062111801242236024,
                         .bcr = 1.062111801242236,
                         .irr = {.exists = true, .rate = 0.12345678901234568,
                                 .multiple = true, .n_roots = 2},
                         .has_mirr = true,
                         .mirr = 0.098765432109876543,
                         .has_payback = true,
                         .payback_years = 2.7182818284590451,
                         .has_discounted_payback = true,
                         .discounted_payback_years = 2.9};
    f->det[0].risk_adjusted = *m;
    f->det[0].risk_adjusted.npv = -4567.125;
    f->det[0].has_break_even = true;
    f->det[0].break_even_multiplier = 0.61803398874989490;

    /* Initiative 1: nothing optional exists, and a non-finite NPV. */
    f->det[1].base = (cxroi_metrics){.npv = NAN, .pv_benefits = 5.0, .pv_costs = 0.0};
    f->det[1].risk_adjusted = f->det[1].base;
    f->det[1].has_break_even = false;

    f->econ[0] = (cxroi_segment_economics){.customers = 1200000,
                                           .revenue_per_customer = 310,
                                           .margin = 0.35,
                                           .cost_to_serve = 40,
                                           .acquisitions_per_year = 150000,
                                           .retention = 0.82,
                                           .contribution_per_customer = 68.5,
                                           .contribution_total = 82200000,
                                           .loss_making = false};
    f->econ[1] = (cxroi_segment_economics){.customers = 40000,
                                           .revenue_per_customer = 100,
                                           .margin = 0.3,
                                           .cost_to_serve = 45,
                                           .retention = 0.9,
                                           .contribution_per_customer = -15,
                                           .contribution_total = -600000,
                                           .loss_making = true};

    f->diag = cxroi_diag_new();
    if (!f->diag)
        return -1;
    cxroi_diag_add(f->diag, CXROI_SEVERITY_WARNING, "s.yaml", 12, 5, "retention clamped");
    cxroi_diag_add(f->diag, CXROI_SEVERITY_NOTE, "s.yaml", 12, 5, "a note, not a warning");
    cxroi_diag_add(f->diag, CXROI_SEVERITY_WARNING, "s.yaml", 0, 0, "whole-file warning");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cxroi_diag_free(f->diag);
    free(f);
    return 0;
}

static json_t *parse(const fixture *f)
{
    char *text = cxroi_report_json_string(&f->analysis, f->diag);
    assert_non_null(text);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    if (!root)
        fail_msg("invalid JSON at %d:%d: %s", error.line, error.column, error.text);
    free(text);
    return root;
}

/* Bit-exact: the 17-digit format must give back the very same double. */
static void assert_real(json_t *obj, const char *key, double expected)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_real(v))
        fail_msg("'%s' is not a real", key);
    double got = json_real_value(v);
    if (memcmp(&got, &expected, sizeof got) != 0)
        fail_msg("'%s': %.17g != %.17g", key, got, expected);
}

static void assert_json_null(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_null(v))
        fail_msg("'%s' should be null", key);
}

static void test_report_json_top_level(void **state)
{
    fixture *f = *state;
    json_t *root = parse(f);
    assert_string_equal(json_string_value(json_object_get(root, "scenario")),
                        f->scenario.name); /* quotes, backslash, newline, UTF-8 survive */
    /* The invalid UTF-8 of the file name is replaced, not fatal. */
    assert_string_equal(json_string_value(json_object_get(root, "file")), "cases/r?sum?.yaml");
    assert_string_equal(json_string_value(json_object_get(root, "currency")), "EUR");
    assert_int_equal(json_integer_value(json_object_get(root, "horizon")), H);
    assert_real(root, "discount_rate", 0.0735);
    assert_string_equal(json_string_value(json_object_get(root, "terminal_value")),
                        "customer_equity");
    assert_int_equal(json_integer_value(json_object_get(root, "iterations")), 20000);
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 7);
    assert_string_equal(json_string_value(json_object_get(root, "sampling")),
                        "latin_hypercube");
    /* Later issues add these; until then they must be absent, not faked. */
    assert_null(json_object_get(root, "portfolio"));
    assert_null(json_object_get(root, "simulation"));
    json_decref(root);
}

static void test_report_json_deterministic_keys(void **state)
{
    fixture *f = *state;
    json_t *root = parse(f);
    json_t *inits = json_object_get(root, "initiatives");
    assert_int_equal(json_array_size(inits), 2);
    static const char *const keys[] = {
        "npv",      "irr",           "irr_multiple",  "mirr",
        "roi",      "bcr",           "payback_years", "discounted_payback_years",
        "pv_benefits", "pv_costs",   "terminal_value", "cash_flows",
        "benefits", "costs"};
    for (size_t i = 0; i < 2; i++) {
        json_t *d = json_object_get(json_array_get(inits, i), "deterministic");
        assert_true(json_is_object(d));
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!json_object_get(d, keys[k]))
                fail_msg("initiative %zu lacks deterministic.%s", i, keys[k]);
        assert_int_equal(json_array_size(json_object_get(d, "cash_flows")), N);
        assert_int_equal(json_array_size(json_object_get(d, "benefits")), N);
        assert_int_equal(json_array_size(json_object_get(d, "costs")), N);
    }
    json_decref(root);
}

static void test_report_json_round_trip(void **state)
{
    fixture *f = *state;
    json_t *root = parse(f);
    json_t *in = json_array_get(json_object_get(root, "initiatives"), 0);
    assert_string_equal(json_string_value(json_object_get(in, "kind")), "cx");
    assert_real(in, "upfront", 1987654.3210987654);
    json_t *d = json_object_get(in, "deterministic");
    const cxroi_metrics *m = &f->det[0].base;
    assert_real(d, "npv", m->npv);
    assert_real(d, "irr", m->irr.rate);
    assert_true(json_is_true(json_object_get(d, "irr_multiple")));
    assert_real(d, "mirr", m->mirr);
    assert_real(d, "roi", m->roi);
    assert_real(d, "bcr", m->bcr);
    assert_real(d, "payback_years", m->payback_years);
    assert_real(d, "discounted_payback_years", m->discounted_payback_years);
    assert_real(d, "terminal_value", 0.1 + 0.2);
    json_t *b = json_object_get(d, "benefits");
    for (size_t t = 0; t < N; t++) {
        double got = json_real_value(json_array_get(b, t));
        assert_memory_equal(&got, &f->flows[0][0][t], sizeof got);
    }
    assert_real(in, "break_even_effect_multiplier", 0.61803398874989490);

    json_t *r = json_object_get(in, "risk_adjusted");
    assert_real(r, "npv", -4567.125);
    assert_real(r, "pv_costs", m->pv_costs);
    json_t *adj = json_object_get(in, "risk_adjustment");
    assert_real(adj, "benefits", 0.15);
    assert_real(adj, "costs", 0.05);
    json_decref(root);
}

static void test_report_json_nulls(void **state)
{
    fixture *f = *state;
    json_t *root = parse(f);
    json_t *in = json_array_get(json_object_get(root, "initiatives"), 1);
    assert_string_equal(json_string_value(json_object_get(in, "name")), "warehouse");
    assert_string_equal(json_string_value(json_object_get(in, "kind")), "other");
    assert_real(in, "upfront", 0.0);
    json_t *d = json_object_get(in, "deterministic");
    /* No IRR, no MIRR, no costs (ROI, BCR), no payback: null, never a sentinel. */
    assert_json_null(d, "irr");
    assert_true(json_is_false(json_object_get(d, "irr_multiple")));
    assert_json_null(d, "mirr");
    assert_json_null(d, "roi");
    assert_json_null(d, "bcr");
    assert_json_null(d, "payback_years");
    assert_json_null(d, "discounted_payback_years");
    assert_json_null(d, "npv"); /* NaN */
    assert_json_null(in, "break_even_effect_multiplier");
    assert_json_null(in, "risk_adjustment");
    json_t *r = json_object_get(in, "risk_adjusted");
    assert_json_null(r, "irr");
    assert_json_null(r, "roi");
    json_decref(root);
}

static void test_report_json_segments_and_warnings(void **state)
{
    fixture *f = *state;
    json_t *root = parse(f);
    json_t *segs = json_object_get(root, "segments");
    assert_int_equal(json_array_size(segs), 2);
    json_t *s0 = json_array_get(segs, 0), *s1 = json_array_get(segs, 1);
    assert_string_equal(json_string_value(json_object_get(s0, "name")), "Mass retail");
    assert_string_equal(json_string_value(json_object_get(s1, "name")), "smb");
    assert_real(s0, "contribution_per_customer", 68.5);
    assert_real(s0, "acquisitions_per_year", 150000);
    assert_true(json_is_false(json_object_get(s0, "loss_making")));
    assert_true(json_is_true(json_object_get(s1, "loss_making")));
    assert_real(s1, "contribution_total", -600000);

    /* Warnings only: the note is left out; a whole-file warning has no line. */
    json_t *w = json_object_get(root, "warnings");
    assert_int_equal(json_array_size(w), 2);
    json_t *w0 = json_array_get(w, 0), *w1 = json_array_get(w, 1);
    assert_int_equal(json_integer_value(json_object_get(w0, "line")), 12);
    assert_int_equal(json_integer_value(json_object_get(w0, "column")), 5);
    assert_string_equal(json_string_value(json_object_get(w0, "message")),
                        "retention clamped");
    assert_json_null(w1, "line");
    assert_json_null(w1, "column");
    json_decref(root);
}

static void test_report_json_seed_above_int64(void **state)
{
    fixture *f = *state;
    f->analysis.seed = UINT64_MAX;
    f->analysis.sampling = CXROI_SAMPLING_MONTE_CARLO;
    json_t *root = parse(f);
    /* Not wrapped to a negative integer: a real, 2^64 after rounding. */
    assert_real(root, "seed", 18446744073709551616.0);
    assert_string_equal(json_string_value(json_object_get(root, "sampling")), "monte_carlo");
    json_decref(root);
}

static void test_report_json_write_error(void **state)
{
    fixture *f = *state;
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    assert_int_equal(cxroi_report_json_write(&f->analysis, f->diag, full), CXROI_ERROR_IO);
    fclose(full);

    FILE *ok = tmpfile();
    assert_non_null(ok);
    assert_int_equal(cxroi_report_json_write(&f->analysis, NULL, ok), CXROI_OK);
    /* The file is one JSON document followed by a newline. */
    rewind(ok);
    json_error_t error;
    json_t *root = json_loadf(ok, 0, &error);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "warnings")), 0);
    json_decref(root);
    fclose(ok);
}

/* ------------------------------------------------------------------------------------ */
/* Terminal summary */

static char *render(const fixture *f)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    assert_int_equal(cxroi_report_text_write(&f->analysis, out), CXROI_OK);
    fclose(out);
    return buf;
}

static size_t columns(const char *line, size_t bytes)
{
    size_t w = 0;
    for (size_t i = 0; i < bytes; i++)
        w += ((unsigned char)line[i] & 0xC0) != 0x80;
    return w;
}

static void test_report_text_fits_100_columns(void **state)
{
    fixture *f = *state;
    char *text = render(f);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (columns(p, n) > 100)
            fail_msg("line wider than 100 columns: %.*s", (int)n, p);
        p += n + (nl != NULL);
    }
    free(text);
}

static void test_report_text_content(void **state)
{
    fixture *f = *state;
    char *text = render(f);
    /* Money with separators; the long name cut with "..."; the name's fallback. */
    assert_non_null(strstr(text, "1,987,654"));
    assert_non_null(strstr(text, "123,457"));
    assert_non_null(strstr(text, "-4,567"));
    assert_non_null(strstr(text, "Digital onboarding revamp"));
    assert_non_null(strstr(text, "..."));
    assert_null(strstr(text, "will not fit"));
    assert_non_null(strstr(text, "warehouse"));
    /* ROI 6.2 %, IRR 12.3 % flagged, payback 2.72 years, break-even 0.62x. */
    assert_non_null(strstr(text, "6.2"));
    assert_non_null(strstr(text, "12.3*"));
    assert_non_null(strstr(text, "2.72"));
    assert_non_null(strstr(text, "0.62x"));
    /* Footnotes for every flag of the fixture. */
    assert_non_null(strstr(text, "change sign more than once"));
    assert_non_null(strstr(text, "clamped to [0, 1] 3 times"));
    assert_non_null(strstr(text, "Payback n/a"));
    assert_non_null(strstr(text, "IRR n/a"));
    assert_non_null(strstr(text, "ROI n/a"));
    assert_non_null(strstr(text, "Break-even n/a"));
    assert_non_null(strstr(text, "terminal value"));
    /* Header and the loss-making segment. */
    assert_non_null(strstr(text, "Discount rate   7.35 %"));
    assert_non_null(strstr(text, "Horizon         3 years"));
    assert_non_null(strstr(text, "-15 !"));
    assert_non_null(strstr(text, "Loss-making"));
    free(text);
}

static void assert_fits_100_columns(const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (columns(p, n) > 100)
            fail_msg("line wider than 100 columns: %.*s", (int)n, p);
        p += n + (nl != NULL);
    }
}

/* The break-even footnote's example is the table's own first value (0.618 -> 0.62x,
 * 62 %), not a made-up one. */
static void test_report_text_break_even_example(void **state)
{
    fixture *f = *state;
    char *text = render(f);
    assert_non_null(strstr(text, "(0.62x: 62 % of them pays back)"));
    free(text);
    f->det[0].break_even_multiplier = 1.8912; /* shown as 1.89x: 189 % */
    text = render(f);
    assert_non_null(strstr(text, "1.89x"));
    assert_non_null(strstr(text, "(1.89x: 189 % of them pays back)"));
    assert_null(strstr(text, "0.60x"));
    free(text);
}

/* Amounts wider than a column (a result of 1.79e303, a segment worth 3.5e29 a year) are
 * abbreviated, never cut: "1,791,582,997,..." would read as another number. 1.5e12 and
 * -2.5e12 become "1.50 tn" and "-2.50 tn"; 999,999,999,999 still fits in full. */
static void test_report_text_huge_amounts(void **state)
{
    fixture *f = *state;
    f->det[0].base.npv = 1.7915829971e303;
    f->det[0].risk_adjusted.npv = -2.5e12;
    f->base_values[1] = 1.5e12; /* the upfront cost of initiative 0 */
    f->econ[0].contribution_total = 3.5e29;
    f->econ[1].contribution_total = 999999999999.0;
    char *text = render(f);
    assert_non_null(strstr(text, "1.79e+303"));
    assert_null(strstr(text, "1,791,582"));
    assert_non_null(strstr(text, "-2.50 tn"));
    assert_non_null(strstr(text, "1.50 tn"));
    assert_non_null(strstr(text, "3.50e+29"));
    assert_non_null(strstr(text, "999,999,999,999"));
    assert_non_null(strstr(text, "abbreviated: 1.79 tn = 1.79 trillion,"));
    assert_fits_100_columns(text);
    free(text);
    /* Without huge amounts, no abbreviation footnote. */
    f->det[0].base.npv = 123456.78901234567;
    f->det[0].risk_adjusted.npv = -4567.125;
    f->base_values[1] = 1987654.3210987654;
    f->econ[0].contribution_total = 82200000;
    f->econ[1].contribution_total = -600000;
    text = render(f);
    assert_null(strstr(text, "abbreviated"));
    free(text);
}

/* No costs: a break-even of exactly 0 ("any fraction pays back") has its footnote; a
 * tiny but real one reads "<0.01x", not "0.00x"; no break-even without costs says there
 * is nothing to break even; all-zero cash flows say there is nothing to pay back rather
 * than "not within the horizon". */
static void test_report_text_nothing_to_recover(void **state)
{
    fixture *f = *state;
    f->det[0].break_even_multiplier = 0.0;
    for (int t = 0; t < N; t++)
        f->flows[1][0][t] = f->flows[1][1][t] = f->flows[1][2][t] = 0.0;
    /* as cxroi_model_metrics() marks such flows */
    f->det[1].base.nothing_to_pay_back = f->det[1].risk_adjusted.nothing_to_pay_back = true;
    char *text = render(f);
    assert_non_null(strstr(text, "0.00x"));
    assert_non_null(strstr(text, "no costs to recover; any fraction of the effects pays back"));
    assert_non_null(strstr(text, "there is nothing to break even"));
    assert_non_null(strstr(text, "there is nothing to pay back"));
    assert_null(strstr(text, "do not pay back within")); /* initiative 0 pays back */
    /* No real break-even in the table: the footnote has no example. */
    assert_non_null(strstr(text, "at which NPV = 0.\n"));
    free(text);
    f->det[0].break_even_multiplier = 0.003;
    text = render(f);
    assert_non_null(strstr(text, "<0.01x"));
    assert_null(strstr(text, "0.00x"));
    free(text);
}

static void test_report_text_write_error(void **state)
{
    fixture *f = *state;
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    assert_int_equal(cxroi_report_text_write(&f->analysis, full), CXROI_ERROR_IO);
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest money[] = {
        cmocka_unit_test(test_report_money_separators),
        cmocka_unit_test(test_report_money_negative),
        cmocka_unit_test(test_report_money_rounding),
        cmocka_unit_test(test_report_money_huge),
        cmocka_unit_test(test_report_money_non_finite),
        cmocka_unit_test(test_report_probability_bound),
        cmocka_unit_test(test_report_money_truncation),
    };
    const struct CMUnitTest writers[] = {
        cmocka_unit_test_setup_teardown(test_report_json_top_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_deterministic_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_segments_and_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_seed_above_int64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_fits_100_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_break_even_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_huge_amounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_nothing_to_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_write_error, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("money", money, NULL, NULL);
    failed += cmocka_run_group_tests_name("writers", writers, NULL, NULL);
    return failed;
}
