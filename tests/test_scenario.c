/*
 * Tests of the scenario loader (src/scenario.c).
 *
 * - Invalid inputs are data: tests/data/invalid/<case>.yaml beside <case>.expected, the
 *   exact diagnostics the loader must print for it (all of them, in file order). The
 *   runner changes into tests/data/invalid so file names in the messages are base names
 *   (and include/... for the fixtures under include/, which are not cases themselves).
 * - Valid inputs: the calibration scenarios of /shared/reference, every examples/ scenario,
 *   and the edge forms of tests/data/valid/ (number spellings, touchpoints, includes,
 *   every distribution family, `base:` overrides, a fitted survival curve).
 * - Hostile files (alias bomb, deep nesting, huge, binary) are written at run time into a
 *   temporary directory: each must fail with a located error.
 * - cxroi_scenario_load_string().
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "cxroi/scenario.h"

#ifndef CXROI_TEST_DATA
#define CXROI_TEST_DATA "tests/data"
#endif
#ifndef CXROI_SHARED_DIR
#define CXROI_SHARED_DIR "../shared"
#endif
#ifndef CXROI_SOURCE_DIR
#define CXROI_SOURCE_DIR "."
#endif

/* The brief asks for at least this many invalid cases; fewer means files went missing. */
#define MIN_INVALID_CASES 45

/* Tolerance for numbers the loader copies from the file or computes in closed form: they
 * must come through exactly up to the last bits of a double (strtod is exact to 0.5 ulp;
 * closed-form means add a few roundings), so 1e-9 relative is loose enough and still
 * catches any wrong field. */
#define EXACT_REL 1e-9

static void assert_close(double expected, double actual, double rel)
{
    double tol = rel * (expected < 0 ? -expected : expected);
    if (tol < 1e-300)
        tol = rel;
    if (!(actual >= expected - tol && actual <= expected + tol))
        fail_msg("expected %.17g, got %.17g (relative tolerance %g)", expected, actual, rel);
}

/* ---------------------------------------------------------------------------------- */
/* Helpers                                                                             */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Everything cxroi_diag_print() writes, as one malloc'd string. */
static char *diag_text(const cxroi_diag *diag)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    assert_non_null(mem);
    cxroi_diag_print(diag, mem);
    fclose(mem);
    return text;
}

/* Split text into lines (in place); returns the count. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p && n < max) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/*
 * Print a line diff of expected and actual (longest common subsequence), '-' for lines
 * only expected, '+' for lines only printed: what a reader needs to fix one or the other.
 */
static void print_diff(const char *name, const char *expected, const char *actual)
{
    enum { MAXL = 64 };
    char *e = strdup(expected), *a = strdup(actual);
    char *el[MAXL], *al[MAXL];
    size_t ne = split_lines(e, el, MAXL), na = split_lines(a, al, MAXL);
    static size_t lcs[MAXL + 1][MAXL + 1]; /* test code only: single-threaded */
    for (size_t i = ne + 1; i-- > 0;)
        for (size_t j = na + 1; j-- > 0;) {
            if (i == ne || j == na)
                lcs[i][j] = 0;
            else if (strcmp(el[i], al[j]) == 0)
                lcs[i][j] = lcs[i + 1][j + 1] + 1;
            else
                lcs[i][j] = lcs[i + 1][j] > lcs[i][j + 1] ? lcs[i + 1][j] : lcs[i][j + 1];
        }
    print_error("--- %s.expected\n+++ diagnostics printed by the loader\n", name);
    size_t i = 0, j = 0;
    while (i < ne || j < na) {
        if (i < ne && j < na && strcmp(el[i], al[j]) == 0) {
            print_error("  %s\n", el[i]);
            i++;
            j++;
        } else if (j < na && (i == ne || lcs[i][j + 1] >= lcs[i + 1][j])) {
            print_error("+ %s\n", al[j++]);
        } else {
            print_error("- %s\n", el[i++]);
        }
    }
    free(e);
    free(a);
}

/*
 * Every expected line must be located and well formed: FILE:LINE:COLUMN: severity: text,
 * with LINE and COLUMN >= 1, and at least one error. Guards the .expected files
 * themselves against a hand edit that drops a location.
 */
static int check_expected_format(const char *name, const char *expected)
{
    char *copy = strdup(expected);
    char *lines[64];
    size_t n = split_lines(copy, lines, 64);
    int bad = 0, errors = 0;
    for (size_t k = 0; k < n; k++) {
        int line = 0, column = 0;
        char severity[16] = "";
        const char *colon = strstr(lines[k], ".yaml:");
        if (!colon || sscanf(colon, ".yaml:%d:%d: %15[a-z]: ", &line, &column, severity) != 3 ||
            line < 1 || column < 1 ||
            (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0)) {
            print_error("%s.expected line %zu is not FILE:LINE:COLUMN: error: ...: %s\n", name,
                        k + 1, lines[k]);
            bad++;
        }
        errors += strcmp(severity, "error") == 0;
    }
    if (errors == 0) {
        print_error("%s.expected holds no error\n", name);
        bad++;
    }
    free(copy);
    return bad;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---------------------------------------------------------------------------------- */
/* Invalid inputs, data-driven                                                         */

static void test_scenario_invalid_cases(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *dir = CXROI_TEST_DATA "/invalid";
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[1024] = {NULL};
    size_t n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL && n < 1024) {
        size_t len = strlen(ent->d_name);
        if (len > 5 && strcmp(ent->d_name + len - 5, ".yaml") == 0) {
            names[n] = strdup(ent->d_name);
            assert_non_null(names[n]);
            names[n][len - 5] = '\0';
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    assert_int_equal(chdir(dir), 0);

    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        char file[512], expected_path[512];
        snprintf(file, sizeof file, "%s.yaml", names[i]);
        snprintf(expected_path, sizeof expected_path, "%s.expected", names[i]);
        char *expected = read_text(expected_path);
        if (!expected) {
            print_error("%s: no %s beside it\n", file, expected_path);
            failures++;
            free(names[i]);
            continue;
        }
        failures += check_expected_format(names[i], expected);

        cxroi_diag *diag = cxroi_diag_new();
        assert_non_null(diag);
        cxroi_scenario *sc = (cxroi_scenario *)(uintptr_t)0x1; /* must be reset to NULL */
        cxroi_error e = cxroi_scenario_load(file, diag, &sc);
        char *actual = diag_text(diag);
        if (strcmp(expected, actual) != 0) {
            print_diff(names[i], expected, actual);
            failures++;
        }
        if (e != CXROI_ERROR_SCENARIO) {
            print_error("%s: expected CXROI_ERROR_SCENARIO, got %d (%s)\n", file, (int)e,
                        cxroi_strerror(e));
            failures++;
        }
        if (sc != NULL) {
            print_error("%s: the scenario out-pointer is not NULL after a failed load\n", file);
            failures++;
            if (e == CXROI_OK)
                cxroi_scenario_free(sc);
        }
        if (cxroi_diag_error_count(diag) == 0) {
            print_error("%s: no error counted\n", file);
            failures++;
        }
        free(actual);
        free(expected);
        cxroi_diag_free(diag);
        free(names[i]);
    }
    assert_int_equal(chdir(cwd), 0);
    if (n < MIN_INVALID_CASES)
        fail_msg("only %zu invalid cases found in %s (expected at least %d)", n, dir,
                 MIN_INVALID_CASES);
    if (failures)
        fail_msg("%d mismatches among %zu invalid cases (diffs above)", failures, n);
}

/* Without a diagnostics list the loader still fails, and still clears the out-pointer. */
static void test_scenario_invalid_without_diag(void **state)
{
    (void)state;
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load(CXROI_TEST_DATA "/invalid/multi-errors.yaml", NULL, &sc);
    assert_int_equal(e, CXROI_ERROR_SCENARIO);
    assert_null(sc);
}

/* A file that is not there, or a directory: an I/O error for the whole file (line 0). */
static void test_scenario_unreadable_is_io_error(void **state)
{
    (void)state;
    const char *paths[] = {CXROI_TEST_DATA "/invalid/no-such-file.yaml", CXROI_TEST_DATA};
    for (size_t i = 0; i < 2; i++) {
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_scenario *sc = NULL;
        assert_int_equal(cxroi_scenario_load(paths[i], diag, &sc), CXROI_ERROR_IO);
        assert_null(sc);
        assert_int_equal(cxroi_diag_count(diag), 1);
        const cxroi_diag_entry *entry = cxroi_diag_get(diag, 0);
        assert_string_equal(entry->file, paths[i]);
        assert_int_equal(entry->line, 0);
        assert_non_null(strstr(entry->message, "cannot read"));
        cxroi_diag_free(diag);
    }
}

/* ---------------------------------------------------------------------------------- */
/* Valid inputs                                                                        */

static cxroi_scenario *load_ok(const char *path)
{
    cxroi_diag *diag = cxroi_diag_new();
    assert_non_null(diag);
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load(path, diag, &sc);
    if (e != CXROI_OK || cxroi_diag_error_count(diag) != 0) {
        cxroi_diag_print(diag, stderr);
        cxroi_diag_free(diag);
        fail_msg("%s: expected to load, got %s", path, cxroi_strerror(e));
    }
    cxroi_diag_free(diag);
    assert_non_null(sc);
    return sc;
}

/* The parameter at `path`, which must exist. */
static const cxroi_param *param(const cxroi_scenario *sc, const char *path)
{
    size_t i = cxroi_scenario_find_param(sc, path);
    if (i == CXROI_NONE)
        fail_msg("no parameter '%s'", path);
    return &sc->params[i];
}

/* The deterministic value of parameter index i. */
static double base_of(const cxroi_scenario *sc, size_t i)
{
    assert_true(i < sc->n_params);
    double *values = calloc(sc->n_params, sizeof *values);
    assert_non_null(values);
    cxroi_scenario_base_values(sc, values);
    double v = values[i];
    free(values);
    return v;
}

static void assert_fixed(const cxroi_scenario *sc, size_t index, double value)
{
    assert_true(index != CXROI_NONE);
    assert_int_equal(sc->params[index].dist.kind, CXROI_DIST_FIXED);
    assert_close(value, sc->params[index].dist.value, EXACT_REL);
    assert_close(value, base_of(sc, index), EXACT_REL);
}

/* r1: constant retention; every field as written in the file. */
static void test_scenario_reference_r1(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_SHARED_DIR "/reference/r1-constant.yaml");
    assert_string_equal(sc->name, "Calibration case r1 (constant retention)");
    assert_string_equal(sc->currency, "EUR");
    assert_int_equal(sc->horizon, 4);
    assert_int_equal(sc->terminal_value, CXROI_TERMINAL_CUSTOMER_EQUITY);
    assert_fixed(sc, sc->discount_rate, 0.08);
    assert_string_equal(sc->params[sc->discount_rate].path, "discount_rate");
    /* Defaults of SPEC.md/scenario.h when `simulation` is absent. */
    assert_int_equal(sc->simulation.iterations, 10000);
    assert_int_equal(sc->simulation.seed, 1);
    assert_int_equal(sc->simulation.sampling, CXROI_SAMPLING_LATIN_HYPERCUBE);
    assert_false(sc->simulation.has_precision);

    assert_int_equal(sc->n_segments, 1);
    const cxroi_segment *s = &sc->segments[0];
    assert_string_equal(s->id, "retail");
    assert_string_equal(s->name, "retail"); /* defaults to the id */
    assert_int_equal(s->retention_kind, CXROI_RETENTION_CONSTANT);
    assert_fixed(sc, s->customers, 10000);
    assert_fixed(sc, s->revenue_per_customer, 200);
    assert_fixed(sc, s->margin, 0.4);
    assert_fixed(sc, s->cost_to_serve, 20);
    assert_fixed(sc, s->retention, 0.8);
    assert_fixed(sc, s->acquisitions_per_year, 1500);
    assert_int_equal(s->tenure, 0);
    assert_int_equal(s->mark.line, 8); /* "  - id: retail": the id's value */
    assert_int_equal(s->mark.column, 9);

    assert_int_equal(sc->n_initiatives, 2);
    const cxroi_initiative *in = &sc->initiatives[0];
    assert_string_equal(in->id, "ramped");
    assert_string_equal(in->name, "Ramped retention and spend");
    assert_int_equal(in->kind, CXROI_INITIATIVE_CX);
    assert_int_equal(in->start, 0);
    assert_int_equal(in->ramp_years, 2);
    assert_fixed(sc, in->upfront, 50000);
    assert_fixed(sc, in->annual, 10000);
    assert_true(in->benefit_annual == CXROI_NONE);
    assert_false(in->has_risk_adjustment);
    assert_int_equal(in->n_effects, 1);
    const cxroi_effect *ef = &in->effects[0];
    assert_int_equal(ef->segment, 0);
    assert_fixed(sc, ef->retention, 0.03);
    assert_true(ef->churn == CXROI_NONE);
    assert_fixed(sc, ef->revenue, 0.02);
    assert_fixed(sc, ef->cost_to_serve, -0.1);
    assert_fixed(sc, ef->acquisitions, 0.05);
    assert_string_equal(sc->params[ef->retention].path,
                        "initiatives.ramped.effects.retail.retention");

    in = &sc->initiatives[1];
    assert_string_equal(in->id, "delayed");
    assert_int_equal(in->start, 1);
    assert_int_equal(in->ramp_years, 0);
    assert_true(in->annual == CXROI_NONE);
    const cxroi_param *up = param(sc, "initiatives.delayed.costs.upfront");
    assert_true(up == &sc->params[in->upfront]);
    assert_int_equal(up->dist.kind, CXROI_DIST_TRIANGULAR);
    assert_close(20000, up->dist.min, EXACT_REL);
    assert_close(30000, up->dist.mode, EXACT_REL);
    assert_close(55000, up->dist.max, EXACT_REL);
    assert_true(cxroi_dist_is_uncertain(&up->dist));
    /* Triangular mean (min + mode + max) / 3 = (20000 + 30000 + 55000) / 3 = 35000. */
    assert_close(35000, base_of(sc, in->upfront), EXACT_REL);
    assert_int_equal(up->mark.line, 29);
    assert_int_equal(in->n_effects, 1);
    assert_true(in->effects[0].retention == CXROI_NONE);
    assert_fixed(sc, in->effects[0].churn, -0.2);
    assert_true(in->effects[0].revenue == CXROI_NONE);
    assert_fixed(sc, in->benefit_annual, 5000);

    assert_int_equal(sc->n_touchpoints, 0);
    assert_int_equal(sc->n_correlations, 0);
    assert_false(sc->portfolio.has_budget);
    assert_int_equal(sc->n_files, 1);
    assert_true(cxroi_scenario_find_segment(sc, "retail") == 0);
    assert_true(cxroi_scenario_find_segment(sc, "Retail") == CXROI_NONE);
    assert_true(cxroi_scenario_find_initiative(sc, "delayed") == 1);
    assert_true(cxroi_scenario_find_initiative(sc, "nope") == CXROI_NONE);
    assert_true(cxroi_scenario_find_param(sc, "initiatives.delayed.costs") == CXROI_NONE);
    cxroi_scenario_free(sc);
}

/* r2: an sBG retention curve with tenure. */
static void test_scenario_reference_r2(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_SHARED_DIR "/reference/r2-sbg.yaml");
    assert_string_equal(sc->currency, "USD");
    assert_int_equal(sc->horizon, 3);
    assert_fixed(sc, sc->discount_rate, 0.1);
    assert_int_equal(sc->terminal_value, CXROI_TERMINAL_CUSTOMER_EQUITY);
    assert_int_equal(sc->n_segments, 1);
    const cxroi_segment *s = &sc->segments[0];
    assert_string_equal(s->id, "subs");
    assert_int_equal(s->retention_kind, CXROI_RETENTION_SBG);
    assert_true(s->retention == CXROI_NONE);
    assert_fixed(sc, s->sbg_alpha, 0.704);
    assert_fixed(sc, s->sbg_beta, 1.182);
    assert_string_equal(sc->params[s->sbg_alpha].path, "segments.subs.retention_curve.sbg.alpha");
    assert_int_equal(s->tenure, 2);
    assert_fixed(sc, s->customers, 1000);
    assert_fixed(sc, s->revenue_per_customer, 120);
    assert_fixed(sc, s->margin, 0.5);
    assert_fixed(sc, s->cost_to_serve, 0);
    assert_fixed(sc, s->acquisitions_per_year, 300);
    assert_int_equal(sc->n_initiatives, 1);
    const cxroi_initiative *in = &sc->initiatives[0];
    assert_string_equal(in->id, "save");
    assert_string_equal(in->name, "Save desk");
    assert_fixed(sc, in->upfront, 5000);
    assert_true(in->annual == CXROI_NONE);
    assert_int_equal(in->n_effects, 1);
    assert_fixed(sc, in->effects[0].churn, -0.15);
    assert_true(in->effects[0].retention == CXROI_NONE);
    cxroi_scenario_free(sc);
}

/* Every bundled example loads with no error (warnings are allowed but printed). */
static void test_scenario_examples_load(void **state)
{
    (void)state;
    const char *dir = CXROI_SOURCE_DIR "/examples";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    int loaded = 0, failures = 0;
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len <= 5 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_scenario *sc = NULL;
        cxroi_error e = cxroi_scenario_load(path, diag, &sc);
        if (e != CXROI_OK || cxroi_diag_error_count(diag) > 0) {
            print_error("%s does not load: %s\n", path, cxroi_strerror(e));
            failures++;
        } else {
            assert_true(sc->n_initiatives > 0);
            assert_true(sc->n_segments > 0 || sc->initiatives[0].kind == CXROI_INITIATIVE_OTHER);
        }
        cxroi_diag_print(diag, stderr);
        cxroi_scenario_free(sc);
        cxroi_diag_free(diag);
        loaded++;
    }
    closedir(d);
    assert_true(loaded > 0);
    assert_int_equal(failures, 0);
}

/* Every scenario in tests/data/valid (not the fragments under include/) loads cleanly. */
static void test_scenario_valid_files_load(void **state)
{
    (void)state;
    const char *dir = CXROI_TEST_DATA "/valid";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    int loaded = 0;
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len <= 5 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_scenario *sc = NULL;
        cxroi_error e = cxroi_scenario_load(path, diag, &sc);
        cxroi_diag_print(diag, stderr);
        assert_int_equal(e, CXROI_OK);
        assert_int_equal(cxroi_diag_count(diag), 0); /* not even a warning */
        cxroi_scenario_free(sc);
        cxroi_diag_free(diag);
        loaded++;
    }
    closedir(d);
    assert_int_equal(loaded, 4);
}

/* Number spellings: 2.0e6, 1e6, -0.05, 350_000, .5, +12500. */
static void test_scenario_number_spellings(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_TEST_DATA "/valid/numbers.yaml");
    assert_string_equal(sc->name, "numbers"); /* the file's base name without .yaml */
    assert_string_equal(sc->currency, "EUR"); /* default */
    assert_int_equal(sc->horizon, 7);
    assert_fixed(sc, sc->discount_rate, 0.0735);
    const cxroi_segment *s = &sc->segments[0];
    assert_fixed(sc, s->customers, 350000);
    assert_fixed(sc, s->revenue_per_customer, 1000);
    assert_fixed(sc, s->margin, 0.5);
    assert_fixed(sc, s->cost_to_serve, 41.25);
    assert_fixed(sc, s->retention, 0.8265);
    assert_fixed(sc, s->acquisitions_per_year, 12500);
    const cxroi_initiative *in = &sc->initiatives[0];
    assert_fixed(sc, in->upfront, 2.0e6);
    assert_fixed(sc, in->annual, 1e6);
    assert_fixed(sc, in->effects[0].revenue, -0.05);
    assert_fixed(sc, in->effects[0].cost_to_serve, -0.0375);
    assert_true(in->effects[0].retention == CXROI_NONE);
    cxroi_scenario_free(sc);
}

/* Touchpoints as a list are equal weights; as a map the weights as written; none: zeros. */
static void test_scenario_touchpoint_weights(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_TEST_DATA "/valid/touchpoints.yaml");
    assert_int_equal(sc->n_touchpoints, 4);
    assert_string_equal(sc->touchpoints[0], "onboarding");
    assert_string_equal(sc->touchpoints[3], "contact_centre");
    /* [onboarding, mobile_app, contact_centre]: 1/3 each, branch 0. */
    const double listed[] = {1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0};
    /* {branch: 0.35, onboarding: 0.65}, in the order of the top-level list. */
    const double weighted[] = {0.65, 0.0, 0.35, 0.0};
    for (size_t t = 0; t < 4; t++) {
        assert_close(listed[t], sc->initiatives[0].touchpoint_weights[t], EXACT_REL);
        assert_close(weighted[t], sc->initiatives[1].touchpoint_weights[t], EXACT_REL);
        assert_true(sc->initiatives[2].touchpoint_weights[t] == 0.0);
    }
    assert_fixed(sc, sc->initiatives[1].effects[0].churn, -0.085);
    assert_int_equal(sc->initiatives[2].n_effects, 0);
    assert_fixed(sc, sc->initiatives[2].benefit_annual, 4700);
    cxroi_scenario_free(sc);
}

/*
 * An included model file: its segments and touchpoints join the scenario, marks name the
 * file they come from, and its survival curve is fitted. Fader & Hardie (2007, "How to
 * project customer retention", J. Interactive Marketing 21(1), table 1 and p. 81) fit the
 * "regular" cohort 1000, 869, 743, 653, 593, 551, 517, 491 with alpha = 0.668 and
 * beta = 3.806. They print 3 decimals (rounding error up to 5e-4) and the minimiser
 * stops near, not at, the optimum, so 1e-3 is the tolerance.
 */
static void test_scenario_include_and_survival_fit(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_TEST_DATA "/valid/include.yaml");
    assert_string_equal(sc->name, "Include test");
    assert_string_equal(sc->currency, "GBP");
    assert_int_equal(sc->n_files, 2);
    assert_string_equal(sc->files[1], CXROI_TEST_DATA "/valid/include/model-fragment.yaml");
    /* The top file's segments come first, then the included file's. */
    assert_int_equal(sc->n_segments, 2);
    assert_string_equal(sc->segments[0].id, "mass");
    const cxroi_segment *smb = &sc->segments[1];
    assert_string_equal(smb->id, "smb");
    assert_string_equal(smb->name, "Small business");
    assert_ptr_equal(smb->mark.file, sc->files[1]);
    assert_int_equal(smb->mark.line, 4);
    assert_string_equal(param(sc, "segments.smb.customers")->mark.file, sc->files[1]);
    assert_int_equal(smb->retention_kind, CXROI_RETENTION_SURVIVAL);
    assert_int_equal(smb->n_survival, 8);
    assert_true(smb->survival[0] == 1000 && smb->survival[7] == 491);
    assert_true(smb->retention == CXROI_NONE);
    assert_int_equal(sc->params[smb->sbg_alpha].dist.kind, CXROI_DIST_FIXED);
    assert_close(0.668, base_of(sc, smb->sbg_alpha), 1e-3 / 0.668);
    assert_close(3.806, base_of(sc, smb->sbg_beta), 1e-3 / 3.806);
    /* Touchpoints from the included file; the initiative refers to one of them. */
    assert_int_equal(sc->n_touchpoints, 2);
    assert_string_equal(sc->touchpoints[1], "mobile_app");
    const cxroi_initiative *in = &sc->initiatives[0];
    assert_true(in->touchpoint_weights[0] == 0.0 && in->touchpoint_weights[1] == 1.0);
    assert_int_equal(in->n_effects, 2);
    assert_int_equal(in->effects[1].segment, 1);
    assert_fixed(sc, in->effects[1].churn, -0.0625);
    cxroi_scenario_free(sc);
}

/* Every family, its parameters as written, and each deterministic value (mean or base). */
static void test_scenario_distribution_families(void **state)
{
    (void)state;
    cxroi_scenario *sc = load_ok(CXROI_TEST_DATA "/valid/distributions.yaml");
    const cxroi_dist *d;

    d = &sc->params[sc->discount_rate].dist;
    assert_int_equal(d->kind, CXROI_DIST_UNIFORM);
    /* (0.065 + 0.0935) / 2 = 0.07925 */
    assert_close(0.07925, base_of(sc, sc->discount_rate), EXACT_REL);

    const cxroi_segment *s = &sc->segments[0];
    d = &sc->params[s->customers].dist;
    assert_int_equal(d->kind, CXROI_DIST_NORMAL);
    assert_close(120000, d->mean, EXACT_REL);
    assert_close(8500, d->sd, EXACT_REL);
    assert_false(d->has_min || d->has_max);
    assert_close(120000, base_of(sc, s->customers), EXACT_REL);

    d = &sc->params[s->revenue_per_customer].dist;
    assert_int_equal(d->kind, CXROI_DIST_LOGNORMAL);
    assert_close(42, d->sd, EXACT_REL);
    assert_close(310, base_of(sc, s->revenue_per_customer), EXACT_REL); /* mean as given */

    d = &sc->params[s->margin].dist;
    assert_int_equal(d->kind, CXROI_DIST_BETA);
    assert_false(d->has_min);
    /* alpha / (alpha + beta) = 3.5 / 10 */
    assert_close(0.35, base_of(sc, s->margin), EXACT_REL);

    d = &sc->params[s->cost_to_serve].dist;
    assert_int_equal(d->kind, CXROI_DIST_BETA);
    assert_true(d->has_min && d->has_max);
    /* 30 + (55 - 30) * 2 / (2 + 3) = 40 */
    assert_close(40, base_of(sc, s->cost_to_serve), EXACT_REL);

    d = &sc->params[s->retention].dist;
    assert_int_equal(d->kind, CXROI_DIST_NORMAL);
    assert_true(d->has_min && d->has_max);
    assert_close(0.7, d->min, EXACT_REL);
    assert_close(0.95, d->max, EXACT_REL);
    /* Truncated normal mean mu + sd (phi(a) - phi(b)) / (Phi(b) - Phi(a)), a = -2.4,
     * b = 2.6: 0.8204463171217194 (Python 3 math.exp/math.erf). */
    assert_close(0.8204463171217194, base_of(sc, s->retention), EXACT_REL);

    const cxroi_initiative *in = &sc->initiatives[0];
    assert_int_equal(in->start, 1);
    assert_int_equal(in->ramp_years, 2);
    d = &sc->params[in->upfront].dist;
    assert_int_equal(d->kind, CXROI_DIST_PERT);
    assert_close(6, d->lambda, EXACT_REL);
    /* (min + lambda mode + max) / (lambda + 2) = (1.8e6 + 12e6 + 2.8e6) / 8 = 2.075e6 */
    assert_close(2.075e6, base_of(sc, in->upfront), EXACT_REL);
    d = &sc->params[in->annual].dist;
    assert_int_equal(d->kind, CXROI_DIST_TRIANGULAR);
    assert_true(d->has_base);
    /* base: 365e3 overrides the mean (300e3 + 350e3 + 500e3) / 3 = 383333.33 */
    assert_close(365e3, base_of(sc, in->annual), EXACT_REL);
    d = &sc->params[in->effects[0].retention].dist;
    assert_int_equal(d->kind, CXROI_DIST_DISCRETE);
    assert_int_equal(d->n_values, 3);
    assert_close(0.02, d->values[2], EXACT_REL);
    assert_close(0.5, d->probs[1], EXACT_REL);
    /* 0.25 * 0.005 + 0.5 * 0.0125 + 0.25 * 0.02 = 0.0125 */
    assert_close(0.0125, base_of(sc, in->effects[0].retention), EXACT_REL);
    d = &sc->params[in->effects[0].revenue].dist;
    assert_close(4, d->lambda, EXACT_REL); /* the default */
    /* (0.01 + 4 * 0.02 + 0.045) / 6 = 0.0225 */
    assert_close(0.0225, base_of(sc, in->effects[0].revenue), EXACT_REL);
    assert_true(in->has_risk_adjustment);
    assert_close(0.15, in->risk_benefits, EXACT_REL);
    assert_close(0.05, in->risk_costs, EXACT_REL);

    const cxroi_initiative *wh = &sc->initiatives[1];
    assert_int_equal(wh->kind, CXROI_INITIATIVE_OTHER);
    assert_int_equal(wh->n_effects, 0);
    d = &sc->params[wh->benefit_annual].dist;
    assert_int_equal(d->kind, CXROI_DIST_NORMAL);
    assert_close(875e3, base_of(sc, wh->benefit_annual), EXACT_REL);

    assert_int_equal(sc->simulation.iterations, 5000);
    assert_int_equal(sc->simulation.seed, 20270);
    assert_int_equal(sc->simulation.sampling, CXROI_SAMPLING_MONTE_CARLO);
    assert_true(sc->simulation.has_precision);
    assert_close(0.0125, sc->simulation.precision, EXACT_REL);
    assert_int_equal(sc->terminal_value, CXROI_TERMINAL_NONE);

    assert_int_equal(sc->n_correlations, 2);
    assert_int_equal(sc->correlations[0].a, in->upfront);
    assert_int_equal(sc->correlations[0].b, in->annual);
    assert_close(0.6, sc->correlations[0].rho, EXACT_REL);
    assert_int_equal(sc->correlations[1].a, s->retention);
    assert_int_equal(sc->correlations[1].b, in->effects[0].revenue);
    assert_close(-0.35, sc->correlations[1].rho, EXACT_REL);

    assert_true(sc->portfolio.has_budget);
    assert_close(4.0e6, sc->portfolio.budget, EXACT_REL);
    assert_true(sc->portfolio.has_max_loss_probability);
    assert_close(0.2, sc->portfolio.max_loss_probability, EXACT_REL);
    assert_int_equal(sc->portfolio.must_fund.count, 1);
    assert_int_equal(sc->portfolio.must_fund.members[0], 0);
    assert_int_equal(sc->portfolio.n_exclusive, 1);
    assert_int_equal(sc->portfolio.exclusive[0].count, 2);
    assert_int_equal(sc->portfolio.exclusive[0].members[1], 1);
    cxroi_scenario_free(sc);
}

/* ---------------------------------------------------------------------------------- */
/* Hostile files                                                                       */

typedef struct hostile_fixture {
    char dir[64];
} hostile_fixture;

static int hostile_setup(void **state)
{
    hostile_fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/cxroi-test-scenario-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int hostile_teardown(void **state)
{
    hostile_fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (ent->d_name[0] == '.')
                continue;
            char path[352];
            snprintf(path, sizeof path, "%s/%s", fx->dir, ent->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Load `path`; it must fail with `expected`, a NULL scenario and a located error. */
static void expect_hostile_failure(const char *path, cxroi_error expected)
{
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load(path, diag, &sc);
    if (e != expected) {
        cxroi_diag_print(diag, stderr);
        fail_msg("%s: expected %s, got %s", path, cxroi_strerror(expected), cxroi_strerror(e));
    }
    assert_null(sc);
    assert_true(cxroi_diag_error_count(diag) >= 1);
    const cxroi_diag_entry *entry = cxroi_diag_get(diag, 0);
    assert_non_null(entry);
    assert_string_equal(entry->file, path);
    assert_true(entry->line >= 1);
    assert_true(entry->column >= 1);
    cxroi_diag_free(diag);
}

static FILE *open_in(const hostile_fixture *fx, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    return f;
}

/* "Billion laughs": 12 levels of 10 aliases each would expand to 10^12 nodes. */
static void test_scenario_hostile_alias_bomb(void **state)
{
    char path[256];
    FILE *f = open_in(*state, "bomb.yaml", path, sizeof path);
    fprintf(f, "cxroi: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 12; i++) {
        fprintf(f, "a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++)
            fprintf(f, "%s*a%d", k ? ", " : "", i - 1);
        fprintf(f, "]\n");
    }
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_LIMIT);
}

/* 100,000 nested flow lists, and as many nested flow mappings. */
static void test_scenario_hostile_deep_nesting(void **state)
{
    char path[256];
    FILE *f = open_in(*state, "deep-list.yaml", path, sizeof path);
    fprintf(f, "cxroi: 1\nsegments: ");
    for (int i = 0; i < 100000; i++)
        fputc('[', f);
    for (int i = 0; i < 100000; i++)
        fputc(']', f);
    fputc('\n', f);
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_LIMIT);

    f = open_in(*state, "deep-map.yaml", path, sizeof path);
    fprintf(f, "cxroi: 1\nsegments: ");
    for (int i = 0; i < 100000; i++)
        fputs("{a: ", f);
    fputc('1', f);
    for (int i = 0; i < 100000; i++)
        fputc('}', f);
    fputc('\n', f);
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_LIMIT);
}

/* A 50 MB file of valid YAML (comments) is refused by its size. */
static void test_scenario_hostile_huge_file(void **state)
{
    char path[256];
    FILE *f = open_in(*state, "huge.yaml", path, sizeof path);
    fprintf(f, "cxroi: 1\n");
    char line[101];
    memset(line, 'x', sizeof line);
    line[0] = '#';
    line[99] = '\n';
    line[100] = '\0';
    for (int i = 0; i < 50 * 1024 * 1024 / 100; i++)
        fputs(line, f);
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_LIMIT);
}

/* Binary garbage (a fixed pseudo-random byte stream) and a file with a NUL byte. */
static void test_scenario_hostile_binary(void **state)
{
    char path[256];
    FILE *f = open_in(*state, "garbage.yaml", path, sizeof path);
    uint32_t x = 20270u; /* xorshift32: the same bytes every run */
    for (int i = 0; i < 65536; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fputc((int)(x & 0xff), f);
    }
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_SCENARIO);

    f = open_in(*state, "nul.yaml", path, sizeof path);
    fwrite("cxroi: 1\nhorizon: 5\0\n", 1, 21, f);
    fclose(f);
    expect_hostile_failure(path, CXROI_ERROR_SCENARIO);
}

/* ---------------------------------------------------------------------------------- */
/* load_string                                                                         */

static const char INLINE_SCENARIO[] = "cxroi: 1\n"
                                      "horizon: 4\n"
                                      "discount_rate: 0.0815\n"
                                      "include: [include/model-fragment.yaml]\n"
                                      "initiatives:\n"
                                      "  - id: desk\n"
                                      "    costs: {upfront: 12500}\n"
                                      "    effects: {smb: {retention: 0.0175}}\n";

static void test_scenario_load_string_valid(void **state)
{
    (void)state;
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    /* Includes resolve against base_dir, not the current directory. */
    cxroi_error e = cxroi_scenario_load_string(INLINE_SCENARIO, strlen(INLINE_SCENARIO),
                                               "inline.yaml", CXROI_TEST_DATA "/valid", diag, &sc);
    cxroi_diag_print(diag, stderr);
    assert_int_equal(e, CXROI_OK);
    assert_int_equal(cxroi_diag_count(diag), 0);
    assert_string_equal(sc->file, "inline.yaml");
    assert_string_equal(sc->name, "inline");
    assert_int_equal(sc->horizon, 4);
    assert_int_equal(sc->n_segments, 1);
    assert_string_equal(sc->segments[0].id, "smb");
    assert_fixed(sc, sc->initiatives[0].effects[0].retention, 0.0175);
    assert_string_equal(param(sc, "initiatives.desk.costs.upfront")->mark.file, "inline.yaml");
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
}

/* Only `length` bytes are read: what follows in the buffer is not part of the text. */
static void test_scenario_load_string_uses_length(void **state)
{
    (void)state;
    const char text[] = "cxroi: 1\n"
                        "horizon: 3\n"
                        "discount_rate: 0.0735\n"
                        "initiatives: [{id: it, kind: other, costs: {upfront: 5}, "
                        "benefits: {annual: 2.5}}]\n"
                        "horizon: 99 this is not YAML: [\n";
    size_t length = strstr(text, "horizon: 99") - text;
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load_string(text, length, "cut.yaml", NULL, diag, &sc),
                     CXROI_OK);
    assert_int_equal(sc->horizon, 3);
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
}

static void test_scenario_load_string_errors(void **state)
{
    (void)state;
    const char text[] = "cxroi: 1\nhorizon: 0\ndiscount_rate: 9%\n";
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = (cxroi_scenario *)(uintptr_t)0x1;
    assert_int_equal(cxroi_scenario_load_string(text, strlen(text), "mem.yaml", NULL, diag, &sc),
                     CXROI_ERROR_SCENARIO);
    assert_null(sc);
    char *printed = diag_text(diag);
    assert_string_equal(printed,
                        "mem.yaml:2:10: error: horizon: expected a whole number from 1 to 50, "
                        "found 0\n"
                        "mem.yaml:3:16: error: discount_rate: expected a rate > -1 (e.g. 0.09 "
                        "for 9 %), found '9%'; write percentages as fractions: 0.09\n");
    free(printed);
    cxroi_diag_free(diag);

    /* No name: diagnostics say <string>; syntax errors come through located. */
    const char bad[] = "cxroi: 1\nsegments: [\n";
    diag = cxroi_diag_new();
    assert_int_equal(cxroi_scenario_load_string(bad, strlen(bad), NULL, NULL, diag, &sc),
                     CXROI_ERROR_SCENARIO);
    assert_null(sc);
    const cxroi_diag_entry *entry = cxroi_diag_get(diag, 0);
    assert_non_null(entry);
    assert_string_equal(entry->file, "<string>");
    assert_true(entry->line >= 2);
    cxroi_diag_free(diag);

    /* An empty string is an empty scenario. */
    diag = cxroi_diag_new();
    assert_int_equal(cxroi_scenario_load_string("", 0, "blank.yaml", NULL, diag, &sc),
                     CXROI_ERROR_SCENARIO);
    assert_null(sc);
    assert_int_equal(cxroi_diag_error_count(diag), 1);
    cxroi_diag_free(diag);
}

/* A buffer above the size limit is refused before parsing, as a file would be. */
/* A truncated normal whose bounds keep almost none of its probability (min 0.5 for a
 * mean of -0.06, sd 0.025: 22 sd out, a sign slip) loads with a warning; bounds that
 * keep most of it (min at 2 sd below the mean: 97.7 %), or 1.5 % of it, give none, nor
 * do narrow bounds around the mean. */
static void test_scenario_far_truncation_warns(void **state)
{
    (void)state;
    const char *heads[] = {"{dist: normal, mean: -0.06, sd: 0.025, min: 0.5, max: 0.6}",
                           "{dist: normal, mean: -0.06, sd: 0.025, min: -0.11}",
                           "{dist: normal, mean: -0.06, sd: 0.025, min: -0.006}",
                           /* 0.08 % of the mass, but around the mean: draws spread */
                           "{dist: normal, mean: -0.06, sd: 1, min: -0.061, max: -0.059}"};
    for (int k = 0; k < 4; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "cxroi: 1\nhorizon: 5\ndiscount_rate: 0.0735\n"
                 "segments:\n"
                 "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,\n"
                 "     retention: 0.82, cost_to_serve: 40}\n"
                 "initiatives:\n"
                 "  - id: app\n"
                 "    costs: {upfront: 1000}\n"
                 "    effects: {mass: {cost_to_serve: %s}}\n",
                 heads[k]);
        cxroi_diag *diag = cxroi_diag_new();
        cxroi_scenario *sc = NULL;
        assert_int_equal(cxroi_scenario_load_string(text, strlen(text), "t.yaml", NULL, diag, &sc),
                         CXROI_OK);
        char *printed = diag_text(diag);
        if (k == 0)
            assert_string_equal(
                printed, "t.yaml:10:37: warning: initiatives.app.effects.mass.cost_to_serve: "
                         "normal(mean -0.06, sd 0.025, min 0.5, max 0.6) keeps only 2e-111 of "
                         "the normal's probability between its min and max, so every draw sits "
                         "near a bound; check the bounds' signs and the mean\n");
        else
            assert_string_equal(printed, "");
        free(printed);
        cxroi_diag_free(diag);
        cxroi_scenario_free(sc);
    }
}

/*
 * Values that are valid but look like percentages load, with a warning each, and the
 * value as written (a warning never changes the model). Hyphenated ids are accepted (the
 * documented identifier is a letter, then letters, digits, '_' or '-'); exactly 1e15 is
 * the largest amount accepted; an underflow (1e-400) reads as 0.
 */
static void test_scenario_warnings_and_edges_load(void **state)
{
    (void)state;
    const char text[] = "cxroi: 1\n"
                        "horizon: 5\n"
                        "discount_rate: 8\n"
                        "segments:\n"
                        "  - {id: Mass-Market, customers: 1e15, revenue_per_customer: 310,\n"
                        "     margin: 0.35, retention: 0.82, cost_to_serve: 1e-400}\n"
                        "touchpoints: [Chat-Bot]\n"
                        "initiatives:\n"
                        "  - id: app-2\n"
                        "    touchpoints: [Chat-Bot]\n"
                        "    costs: {upfront: -0}\n"
                        "    effects:\n"
                        "      Mass-Market: {revenue: 5, churn: 1.0735, acquisitions: 1}\n";
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load_string(text, strlen(text), "w.yaml", NULL, diag, &sc),
                     CXROI_OK);
    assert_non_null(sc);
    char *printed = diag_text(diag);
    /* 1.0735 is 107.35 %: %g keeps 6 significant digits. acquisitions: 1 (+100 %) is
     * not above 1, so no warning. */
    assert_string_equal(printed,
                        "w.yaml:3:16: warning: discount_rate: 8 is 800 % a year; did you "
                        "mean 0.08?\n"
                        "w.yaml:13:30: warning: initiatives.app-2.effects.Mass-Market.revenue: "
                        "a relative change of 5 means +500 %; did you mean 0.05?\n"
                        "w.yaml:13:40: warning: initiatives.app-2.effects.Mass-Market.churn: a "
                        "relative change of 1.0735 means +107.35 %; did you mean 0.010735?\n");
    free(printed);
    assert_int_equal(cxroi_diag_error_count(diag), 0);
    assert_int_equal(cxroi_diag_warning_count(diag), 3);
    assert_fixed(sc, sc->discount_rate, 8.0);
    assert_string_equal(sc->segments[0].id, "Mass-Market");
    assert_string_equal(sc->touchpoints[0], "Chat-Bot");
    assert_string_equal(sc->initiatives[0].id, "app-2");
    assert_fixed(sc, sc->segments[0].customers, 1e15);
    assert_fixed(sc, sc->initiatives[0].effects[0].revenue, 5.0);
    /* 1e-400 is below the smallest subnormal double: exactly 0. */
    size_t cts = sc->segments[0].cost_to_serve;
    assert_true(sc->params[cts].dist.value == 0.0);
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);

    /* One step above 1e15 (the next double up) is refused, with the magnitude named. */
    const char big[] = "cxroi: 1\nhorizon: 5\ndiscount_rate: 0.0735\nsegments:\n"
                       "  - {id: m, customers: 1.0000000000000002e15, revenue_per_customer: 1,\n"
                       "     margin: 0.35, retention: 0.82}\n"
                       "initiatives: [{id: a, costs: {upfront: 1}}]\n";
    diag = cxroi_diag_new();
    assert_int_equal(cxroi_scenario_load_string(big, strlen(big), "b.yaml", NULL, diag, &sc),
                     CXROI_ERROR_SCENARIO);
    assert_null(sc);
    const cxroi_diag_entry *e = cxroi_diag_get(diag, 0);
    assert_non_null(e);
    assert_string_equal(e->message, "segments.m.customers: expected a number >= 0, found "
                                    "1e+15, which is larger than 1e15; cxroi works with "
                                    "amounts up to 1e15");
    cxroi_diag_free(diag);
}

static void test_scenario_load_string_limit(void **state)
{
    (void)state;
    size_t n = 9u * 1024u * 1024u; /* the limit is 8 MiB (yamltree_internal.h) */
    char *text = malloc(n);
    assert_non_null(text);
    memset(text, '#', n);
    memcpy(text, "cxroi: 1\n", 9);
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load_string(text, n, "big.yaml", NULL, diag, &sc),
                     CXROI_ERROR_LIMIT);
    assert_null(sc);
    assert_int_equal(cxroi_diag_get(diag, 0)->line, 1);
    cxroi_diag_free(diag);
    free(text);
}

/* cxroi_scenario_free accepts NULL. */
static void test_scenario_free_null(void **state)
{
    (void)state;
    cxroi_scenario_free(NULL);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest invalid[] = {
        cmocka_unit_test(test_scenario_invalid_cases),
        cmocka_unit_test(test_scenario_invalid_without_diag),
        cmocka_unit_test(test_scenario_unreadable_is_io_error),
    };
    const struct CMUnitTest valid[] = {
        cmocka_unit_test(test_scenario_reference_r1),
        cmocka_unit_test(test_scenario_reference_r2),
        cmocka_unit_test(test_scenario_examples_load),
        cmocka_unit_test(test_scenario_valid_files_load),
        cmocka_unit_test(test_scenario_number_spellings),
        cmocka_unit_test(test_scenario_touchpoint_weights),
        cmocka_unit_test(test_scenario_include_and_survival_fit),
        cmocka_unit_test(test_scenario_distribution_families),
        cmocka_unit_test(test_scenario_free_null),
    };
    const struct CMUnitTest hostile[] = {
        cmocka_unit_test(test_scenario_hostile_alias_bomb),
        cmocka_unit_test(test_scenario_hostile_deep_nesting),
        cmocka_unit_test(test_scenario_hostile_huge_file),
        cmocka_unit_test(test_scenario_hostile_binary),
    };
    const struct CMUnitTest strings[] = {
        cmocka_unit_test(test_scenario_load_string_valid),
        cmocka_unit_test(test_scenario_load_string_uses_length),
        cmocka_unit_test(test_scenario_load_string_errors),
        cmocka_unit_test(test_scenario_load_string_limit),
        cmocka_unit_test(test_scenario_warnings_and_edges_load),
        cmocka_unit_test(test_scenario_far_truncation_warns),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("scenario_invalid", invalid, NULL, NULL);
    failed += cmocka_run_group_tests_name("scenario_valid", valid, NULL, NULL);
    failed +=
        cmocka_run_group_tests_name("scenario_hostile", hostile, hostile_setup, hostile_teardown);
    failed += cmocka_run_group_tests_name("scenario_load_string", strings, NULL, NULL);
    return failed ? 1 : 0;
}
