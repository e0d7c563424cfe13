/* Tests of the Excel report writer: the workbook's parts, the defined names, the
 * Retention sheet's contents, and the atomic write (a failed write keeps the old report,
 * non-regular targets are written through). The formulas themselves are checked end to
 * end by tests/xlsx_check.py, which has LibreOffice recalculate every one of them.
 * Parts of the workbook are read with zlib (libxlsxwriter's own dependency, linked
 * through its pkg-config entry). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>
#include <zlib.h>

#include "cxroi/analysis.h"
#include "cxroi/report_xlsx.h"
#include "cxroi/sbg.h"
#include "cxroi/scenario.h"

typedef struct fixture {
    char dir[256];
    cxroi_scenario *scenario;
    cxroi_analysis *analysis;
} fixture;

/* Load and analyse @p file (few iterations: the writer's behaviour, not the statistics,
 * is under test). */
static fixture *fixture_new(const char *file)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cxroi-test-xlsx-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CXROI_SOURCE_DIR, file);
    assert_int_equal(cxroi_scenario_load(path, NULL, &f->scenario), CXROI_OK);
    cxroi_analysis_options o = {.iterations = 600, .has_seed = true, .seed = 735, .threads = 1};
    assert_int_equal(cxroi_analysis_run(f->scenario, &o, NULL, &f->analysis), CXROI_OK);
    return f;
}

static int setup_constant(void **state)
{
    *state = fixture_new("tests/data/shared/reference/r1-constant.yaml");
    return 0;
}

static int setup_example(void **state)
{
    *state = fixture_new("examples/retail-banking.yaml");
    return 0;
}

/* Every retention model side by side: constant; sBG with a tenure; a survival curve fitted
 * by maximum likelihood (Fader & Hardie's "high end" cohort, whose published estimates are
 * alpha 0.668, beta 3.806); a survival curve with no rise in retention (exactly geometric,
 * 0.8 a year), which the fit turns into constant retention. Initiatives act on some
 * segments through retention, churn or acquisitions, one on none. */
static const char RETENTION_YAML[] =
    "cxroi: 1\n"
    "name: Retention report check\n"
    "currency: EUR\n"
    "horizon: 7\n"
    "discount_rate: 0.0735\n"
    "terminal_value: customer_equity\n"
    "segments:\n"
    "  - {id: mass, name: Mass retail, customers: 120000, revenue_per_customer: 310,\n"
    "     margin: 0.35, cost_to_serve: 40, retention: 0.82, acquisitions_per_year: 15000}\n"
    "  - {id: affluent, customers: 9000, revenue_per_customer: 1900, margin: 0.42,\n"
    "     retention_curve: {sbg: {alpha: 0.704, beta: 1.182}, tenure: 3},\n"
    "     acquisitions_per_year: 1200}\n"
    "  - {id: smb, name: Small business, customers: 4000, revenue_per_customer: 2600,\n"
    "     margin: 0.3, survival: [1000, 869, 743, 653, 593, 551, 517, 491],\n"
    "     acquisitions_per_year: 350}\n"
    "  - {id: flat, customers: 2500, revenue_per_customer: 800, margin: 0.25,\n"
    "     survival: [1000, 800, 640, 512, 409.6]}\n"
    "initiatives:\n"
    "  - id: onboarding\n"
    "    name: Digital onboarding revamp\n"
    "    ramp_years: 2\n"
    "    costs: {upfront: {dist: pert, min: 1.8e6, mode: 2.0e6, max: 2.8e6}, annual: 350e3}\n"
    "    effects:\n"
    "      mass: {retention: {dist: pert, min: 0.005, mode: 0.015, max: 0.03}, revenue: 0.02}\n"
    "      affluent: {churn: -0.10}\n"
    "      smb: {churn: -0.0735}\n"
    "  - id: app\n"
    "    name: Mobile app\n"
    "    start: 1\n"
    "    costs: {upfront: 900e3}\n"
    "    effects:\n"
    "      smb: {acquisitions: 0.12}\n"
    "      affluent: {retention: 0.0135}\n"
    "  - id: warehouse\n"
    "    kind: other\n"
    "    costs: {upfront: 3.1e6}\n"
    "    benefits: {annual: {dist: normal, mean: 900e3, sd: 150e3}}\n";

static int setup_retention(void **state)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "/tmp/cxroi-test-xlsx-yaml-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/retention.yaml", dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(RETENTION_YAML, out);
    assert_int_equal(fclose(out), 0);
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cxroi-test-xlsx-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(cxroi_scenario_load(path, NULL, &f->scenario), CXROI_OK);
    cxroi_analysis_options o = {.iterations = 300, .has_seed = true, .seed = 735, .threads = 1};
    assert_int_equal(cxroi_analysis_run(f->scenario, &o, NULL, &f->analysis), CXROI_OK);
    unlink(path);
    rmdir(dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[600];
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    cxroi_analysis_free(f->analysis);
    cxroi_scenario_free(f->scenario);
    free(f);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - 1 - n, in)) > 0) {
        n += got;
        if (n == cap - 1) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(in);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Number of zip entries whose name starts with @p prefix, read from the central
 * directory (signature PK\1\2; name length at offset 28, the name at offset 46). */
static int zip_entries(const char *data, size_t n, const char *prefix)
{
    int count = 0;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i + 46 < n; i++) {
        if (memcmp(data + i, "PK\x01\x02", 4) != 0)
            continue;
        size_t name_len = (unsigned char)data[i + 28] | (size_t)(unsigned char)data[i + 29] << 8;
        if (i + 46 + name_len <= n && name_len >= plen && memcmp(data + i + 46, prefix, plen) == 0)
            count++;
    }
    return count;
}

/* The uncompressed bytes of the zip member @p name (NULL when absent): its central
 * directory entry (PK\1\2) gives the method (offset 10), the compressed and uncompressed
 * sizes (20, 24) and the local header's offset (42); the data follow the local header
 * (PK\3\4) after 30 bytes, the name and the extra field (lengths at 26 and 28). */
static uint32_t le32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static size_t le16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return u[0] | (size_t)u[1] << 8;
}

static char *zip_member(const char *data, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i + 46 < n; i++) {
        if (memcmp(data + i, "PK\x01\x02", 4) != 0 || le16(data + i + 28) != len ||
            i + 46 + len > n || memcmp(data + i + 46, name, len) != 0)
            continue;
        size_t method = le16(data + i + 10);
        size_t csize = le32(data + i + 20), usize = le32(data + i + 24);
        size_t local = le32(data + i + 42);
        assert_true(local + 30 <= n);
        assert_memory_equal(data + local, "PK\x03\x04", 4);
        size_t start = local + 30 + le16(data + local + 26) + le16(data + local + 28);
        assert_true(start + csize <= n);
        char *out = malloc(usize + 1);
        assert_non_null(out);
        if (method == 0) {
            memcpy(out, data + start, usize);
        } else {
            assert_int_equal(method, 8); /* deflate */
            z_stream z = {0};
            assert_int_equal(inflateInit2(&z, -MAX_WBITS), Z_OK);
            z.next_in = (Bytef *)(data + start);
            z.avail_in = (uInt)csize;
            z.next_out = (Bytef *)out;
            z.avail_out = (uInt)usize;
            assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
            assert_int_equal(z.total_out, usize);
            inflateEnd(&z);
        }
        out[usize] = '\0';
        return out;
    }
    return NULL;
}

/* The cached values of the formula cells of a sheet's XML (<c ...><f>..</f><v>X</v>),
 * numbers only; *n receives how many. */
static double *cached_numbers(const char *xml, size_t *n)
{
    size_t cap = 64;
    double *v = malloc(cap * sizeof *v);
    assert_non_null(v);
    *n = 0;
    for (const char *p = strstr(xml, "</f><v>"); p; p = strstr(p + 1, "</f><v>")) {
        /* A text result is in a cell of type "str": skip it. */
        const char *cell = p;
        while (cell > xml && strncmp(cell, "<c ", 3) != 0)
            cell--;
        const char *type = strstr(cell, " t=\"str\"");
        if (type && type < p)
            continue;
        if (*n == cap) {
            double *bigger = realloc(v, (cap *= 2) * sizeof *v);
            assert_non_null(bigger);
            v = bigger;
        }
        v[(*n)++] = strtod(p + 7, NULL);
    }
    return v;
}

/* Is @p want among @p v[0..n) to @p rtol relatively? */
static bool among(const double *v, size_t n, double want, double rtol)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i] - want) <= rtol * fabs(want))
            return true;
    return false;
}

static int count_of(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        k++;
    return k;
}

/* The report of the fixture's analysis saved as @p name in its directory (with
 * @p options, may be NULL), read back whole: *n its size. */
static char *saved_report(const fixture *f, const char *name, const cxroi_xlsx_options *options,
                          size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, path, options), CXROI_OK);
    char *data = slurp(path, n);
    assert_non_null(data);
    return data;
}

/* Temporary files left in the fixture's directory (atomic.h names them ".<name>.XXXXXX"). */
static int temp_files(const fixture *f)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------------------ */

static void test_xlsx_name(void **state)
{
    (void)state;
    char buf[64];
    /* '-' is allowed in ids but is subtraction in a formula. */
    assert_int_equal(cxroi_report_xlsx_name(buf, sizeof buf, "initiatives.sme-rm.costs.upfront"),
                     32);
    assert_string_equal(buf, "initiatives.sme_rm.costs.upfront");
    cxroi_report_xlsx_name(buf, sizeof buf, "segments.mass.retention");
    assert_string_equal(buf, "segments.mass.retention");
    /* A name cannot start with '.'; a space or a bracket is never allowed. */
    cxroi_report_xlsx_name(buf, sizeof buf, ".a b[0]");
    assert_string_equal(buf, "_a_b_0_");
    /* Truncated to the buffer, length of the whole reported (snprintf semantics). */
    assert_int_equal(cxroi_report_xlsx_name(buf, 5, "discount_rate"), 13);
    assert_string_equal(buf, "disc");
    assert_int_equal(cxroi_report_xlsx_name(buf, sizeof buf, ""), 0);
    assert_string_equal(buf, "");
}

static void test_xlsx_sheets_and_charts(void **state)
{
    fixture *f = *state;
    size_t n = 0;
    char *data = saved_report(f, "r.xlsx", NULL, &n);
    assert_memory_equal(data, "PK\x03\x04", 4);
    /* SPEC.md's seven sheets and Retention; charts: the NPV ranges, a histogram and an
     * S-curve per initiative and for the portfolio, a tornado per initiative with an
     * uncertain input, the funding line, a retention chart per segment: the example has 6
     * initiatives and 4 segments, so at least 1 + 2 * 6 + 1 + 4 = 18. */
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 8);
    assert_true(zip_entries(data, n, "xl/charts/chart") >= 18);
    assert_int_equal(zip_entries(data, n, "docProps/custom.xml"), 1);
    free(data);
    assert_int_equal(temp_files(f), 0); /* no temporary file left */
}

/* What a CFO reads off the printed workbook (found in a review through LibreOffice):
 * Simulation prints one initiative (and the funded set) per page with no repeated
 * header rows; the Summary says what NPV, ROI and IRR include; the break-even multiplier
 * reads 0.87x; the Value matrix's heat map is white at 0, not coloured by rank; the
 * Summary's chart columns are hidden. (Probabilities near certainty: test_report.) */
static void test_xlsx_printed_presentation(void **state)
{
    fixture *f = *state;
    const cxroi_analysis *a = f->analysis;
    size_t n = 0;
    char *data = saved_report(f, "p.xlsx", NULL, &n);
    char *wb = zip_member(data, n, "xl/workbook.xml");
    char *summary = zip_member(data, n, "xl/worksheets/sheet1.xml");
    char *sim = zip_member(data, n, "xl/worksheets/sheet4.xml");
    char *matrix = zip_member(data, n, "xl/worksheets/sheet6.xml");
    char *styles = zip_member(data, n, "xl/styles.xml");
    char *strings = zip_member(data, n, "xl/sharedStrings.xml");
    assert_non_null(wb);
    assert_non_null(summary);
    assert_non_null(sim);
    assert_non_null(matrix);
    assert_non_null(styles);
    assert_non_null(strings);
    char breaks[64];
    snprintf(breaks, sizeof breaks, "<rowBreaks count=\"%zu\"",
             f->scenario->n_initiatives + (a->portfolio ? 1 : 0));
    assert_non_null(strstr(sim, breaks));
    /* print titles (repeated rows) of the Simulation sheet, the fourth (index 3) */
    assert_null(strstr(wb, "name=\"_xlnm.Print_Titles\" localSheetId=\"3\""));
    assert_non_null(strstr(strings, "NPV, ROI and IRR include the terminal value"));
    assert_non_null(strstr(strings, "Break-even multiplier: the multiple of the expected"));
    assert_non_null(strstr(styles, "formatCode=\"0.00&quot;x&quot;\""));
    assert_non_null(strstr(matrix, "<cfvo type=\"num\" val=\"0\"/>"));
    assert_null(strstr(matrix, "<cfvo type=\"min\""));
    assert_non_null(strstr(summary, "hidden=\"1\""));
    /* the range chart plots its hidden working columns (Excel skips hidden cells unless
     * told otherwise: plotVisOnly) */
    char *chart = zip_member(data, n, "xl/charts/chart1.xml");
    assert_non_null(chart);
    assert_non_null(strstr(chart, "P10 to median"));
    assert_null(strstr(chart, "plotVisOnly val=\"1\""));
    free(chart);
    /* column ranges that do not overlap (LibreOffice drops a second, overlapping one) */
    assert_non_null(strstr(sim, "<col min=\"2\" max=\"2\""));
    assert_non_null(strstr(sim, "<col min=\"3\" max=\"3\""));
    assert_non_null(strstr(sim, "<col min=\"4\" max=\"13\""));
    free(wb);
    free(summary);
    free(sim);
    free(matrix);
    free(styles);
    free(strings);
    free(data);
}

static void test_xlsx_samples_sheet(void **state)
{
    fixture *f = *state;
    cxroi_xlsx_options o = {.samples = true, .max_samples = 100};
    size_t n = 0;
    char *data = saved_report(f, "s.xlsx", &o, &n);
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 9);
    free(data);
}

/* A stand-in for a report written earlier, which a new report must replace whole or
 * leave as it is. */
static void write_old_report(const char *path)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs("OLD REPORT\n", out);
    assert_int_equal(fclose(out), 0);
}

static void test_xlsx_replaces_existing_report(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/old.xlsx", f->dir);
    write_old_report(path);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, path, NULL), CXROI_OK);
    char *data = slurp(path, NULL);
    assert_non_null(data);
    assert_memory_equal(data, "PK", 2);
    free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* the old report's permissions kept */
    assert_int_equal(temp_files(f), 0);
}

/* A write that fails part-way (the file-size limit: SIGXFSZ ignored, so writes fail with
 * EFBIG) leaves the old report as it was and no temporary file. Run in a child, whose
 * limit does not bind the test runner. */
static void test_xlsx_failed_write_keeps_old_report(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/keep.xlsx", f->dir);
    write_old_report(path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        /* 4 KiB: the workbook is about 100 KiB, its first part alone more than this. */
        struct rlimit rl = {4096, 4096};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(90);
        errno = 0;
        cxroi_error err = cxroi_report_xlsx_save(f->analysis, NULL, path, NULL);
        _exit(err == CXROI_ERROR_IO ? (errno == EFBIG ? 0 : 10) : 20 + (int)err);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    /* 0: CXROI_ERROR_IO with errno EFBIG. libxlsxwriter may report the failure of its own
     * temporary files without the system's errno (10): the report is kept either way. */
    assert_true(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10);
    char *data = slurp(path, NULL);
    assert_non_null(data);
    assert_string_equal(data, "OLD REPORT\n");
    free(data);
    assert_int_equal(temp_files(f), 0);
}

static void test_xlsx_unwritable_path(void **state)
{
    fixture *f = *state;
    errno = 0;
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, "/nonexistent-cxroi-dir/r.xlsx",
                                            NULL),
                     CXROI_ERROR_IO);
    assert_int_equal(errno, ENOENT);
    /* A directory is not a report. */
    errno = 0;
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, f->dir, NULL), CXROI_ERROR_IO);
    assert_int_equal(errno, EISDIR);
    /* The non-atomic writer fails too, and leaves nothing. */
    assert_int_equal(cxroi_report_xlsx_write(f->analysis, NULL, "/nonexistent-cxroi-dir/r.xlsx",
                                             NULL),
                     CXROI_ERROR_IO);
}

static void test_xlsx_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(cxroi_report_xlsx_save(NULL, NULL, "x.xlsx", NULL), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, "", NULL), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, NULL, NULL), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_report_xlsx_write(NULL, NULL, "x.xlsx", NULL), CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_report_xlsx_write(f->analysis, NULL, "", NULL), CXROI_ERROR_ARGUMENT);
}

/* A named pipe is not a regular file: the workbook goes through it, whole, and the pipe
 * is still a pipe afterwards (never renamed over). */
static void test_xlsx_pipe_written_through(void **state)
{
    fixture *f = *state;
    char fifo[512], copy[512];
    snprintf(fifo, sizeof fifo, "%s/pipe", f->dir);
    snprintf(copy, sizeof copy, "%s/copy.xlsx", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the reader: copy the pipe to a file */
        int in = open(fifo, O_RDONLY);
        int out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0)
            _exit(1);
        char buf[4096];
        ssize_t got;
        while ((got = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)got) != got)
                _exit(2);
        _exit(close(out) == 0 ? 0 : 3);
    }
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, fifo, NULL), CXROI_OK);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    size_t n = 0;
    char *data = slurp(copy, &n);
    assert_non_null(data);
    assert_memory_equal(data, "PK\x03\x04", 4);
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 8);
    free(data);
}

/* Charts anchored on sheet @p sheet_part ("sheet7.xml") of the workbook in @p data. */
static int sheet_charts(const char *data, size_t n, const char *sheet_part)
{
    char rels_name[128];
    snprintf(rels_name, sizeof rels_name, "xl/worksheets/_rels/%s.rels", sheet_part);
    char *rels = zip_member(data, n, rels_name);
    if (!rels)
        return 0;
    static const char target[] = "Target=\"../drawings/";
    const char *t = strstr(rels, target);
    int charts = 0;
    if (t) {
        char drawing[128];
        t += strlen(target);
        const char *end = strchr(t, '"');
        assert_non_null(end);
        snprintf(drawing, sizeof drawing, "xl/drawings/%.*s", (int)(end - t), t);
        char *xml = zip_member(data, n, drawing);
        assert_non_null(xml);
        charts = count_of(xml, "<c:chart ");
        free(xml);
    }
    free(rels);
    return charts;
}

static bool initiative_acts_on(const cxroi_scenario *s, size_t i, size_t k)
{
    for (size_t e = 0; e < s->initiatives[i].n_effects; e++)
        if (s->initiatives[i].effects[e].segment == k)
            return true;
    return false;
}

/* The Retention sheet sits between Value matrix and Portfolio; it shows every retention
 * rate of the analysis (baseline, and with each initiative acting on the segment) as
 * formulas on 'Cash flows' whose cached values are the engine's; the fitted segments'
 * log-likelihoods; and one chart per segment. */
static void test_xlsx_retention_sheet(void **state)
{
    fixture *f = *state;
    const cxroi_scenario *s = f->scenario;
    const cxroi_analysis *a = f->analysis;
    size_t n = 0;
    char *data = saved_report(f, "ret.xlsx", NULL, &n);
    char *wb = zip_member(data, n, "xl/workbook.xml");
    assert_non_null(wb);
    const char *vm = strstr(wb, "<sheet name=\"Value matrix\""),
               *ret = strstr(wb, "<sheet name=\"Retention\" sheetId=\"7\""),
               *pf = strstr(wb, "<sheet name=\"Portfolio\"");
    assert_non_null(vm);
    assert_non_null(ret);
    assert_non_null(pf);
    assert_true(vm < ret && ret < pf);
    free(wb);
    char *xml = zip_member(data, n, "xl/worksheets/sheet7.xml");
    assert_non_null(xml);
    size_t nv = 0;
    double *v = cached_numbers(xml, &nv);
    /* libxlsxwriter writes numbers with 16 significant digits: 1e-15 relative holds the
     * engine's double to its last written digit. */
    const double rtol = 1e-15;
    size_t len = (size_t)s->horizon + 1, series = 0;
    for (size_t k = 0; k < s->n_segments; k++) {
        for (size_t t = 1; t < len; t++)
            assert_true(among(v, nv, a->retention_curves[k * len + t], rtol));
        series++;
        for (size_t i = 0; i < s->n_initiatives; i++) {
            if (!initiative_acts_on(s, i, k))
                continue;
            series++;
            for (size_t t = 1; t < len; t++)
                assert_true(among(
                    v, nv, a->retention_curves[((i + 1) * s->n_segments + k) * len + t], rtol));
        }
    }
    /* 4 baselines, mass 1 + affluent 2 + smb 2 initiatives: 9 series of 7 years, each a
     * formula on the customers of 'Cash flows'. */
    assert_int_equal(series, 9);
    assert_int_equal(count_of(xml, "<f>IF('Cash flows'!"), 9 * 7);
    /* The fits: the log-likelihood the sheet computes from the fitted parameters is the
     * fitting module's own maximum (1e-12: the sheet's mirror takes S(t-1) - S(t) where
     * the fit takes P(T = t) directly, which loses up to S/P ~ 20 units of rounding). */
    int fitted = 0;
    for (size_t k = 0; k < s->n_segments; k++) {
        const cxroi_segment *seg = &s->segments[k];
        if (!seg->survival)
            continue;
        cxroi_sbg_fit fit;
        char msg[200];
        assert_int_equal(cxroi_sbg_fit_survival(seg->survival, seg->n_survival, &fit, msg,
                                                sizeof msg),
                         CXROI_OK);
        assert_true(fit.log_likelihood < 0.0);
        assert_true(among(v, nv, fit.log_likelihood, 1e-12));
        fitted++;
    }
    assert_int_equal(fitted, 2); /* smb (sBG) and flat (geometric) */
    /* The retention parameters are links to their named inputs. */
    assert_int_equal(count_of(xml, "<f>segments.mass.retention</f>"), 1);
    assert_int_equal(count_of(xml, "<f>segments.affluent.retention_curve.sbg.alpha</f>"), 1);
    assert_int_equal(count_of(xml, "<f>segments.affluent.retention_curve.tenure</f>"), 1);
    assert_int_equal(sheet_charts(data, n, "sheet7.xml"), (int)s->n_segments);
    free(v);
    free(xml);
    free(data);
}

/* An analysis without retention curves (as a caller may build one) still gives a
 * workbook: the Retention sheet says so and has no chart. */
static void test_xlsx_retention_without_curves(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/none.xlsx", f->dir);
    double *curves = f->analysis->retention_curves;
    f->analysis->retention_curves = NULL;
    cxroi_error err = cxroi_report_xlsx_save(f->analysis, NULL, path, NULL);
    f->analysis->retention_curves = curves;
    assert_int_equal(err, CXROI_OK);
    size_t n = 0;
    char *data = slurp(path, &n);
    assert_non_null(data);
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 8);
    assert_int_equal(sheet_charts(data, n, "sheet7.xml"), 0);
    char *strings = zip_member(data, n, "xl/sharedStrings.xml");
    assert_non_null(strings);
    assert_non_null(strstr(strings, "The analysis holds no retention curves."));
    free(strings);
    free(data);
}

/* An initiative acting on more segments than the writer once had room for (64): the
 * Cash flows sheet sums one benefit row per segment, and the workbook is written. */
static void test_xlsx_initiative_on_many_segments(void **state)
{
    fixture *f = *state;
    enum { SEGMENTS = 70 };
    size_t cap = 200 * SEGMENTS + 1024, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len,
                            "cxroi: 1\nname: Wide\ncurrency: EUR\nhorizon: 4\n"
                            "discount_rate: 0.0735\nterminal_value: customer_equity\n"
                            "segments:\n");
    for (int k = 0; k < SEGMENTS; k++)
        len += (size_t)snprintf(text + len, cap - len,
                                "  - {id: s%02d, customers: %d, revenue_per_customer: 287.5, "
                                "margin: 0.36, retention: 0.8%02d}\n",
                                k, 1000 + 37 * k, k);
    len += (size_t)snprintf(text + len, cap - len,
                            "initiatives:\n  - id: wide\n    costs: {upfront: 250000}\n"
                            "    effects:\n");
    for (int k = 0; k < SEGMENTS; k++)
        len += (size_t)snprintf(text + len, cap - len, "      s%02d: {retention: 0.0125}\n", k);
    assert_true(len < cap);
    cxroi_scenario *sc = NULL;
    assert_int_equal(cxroi_scenario_load_string(text, len, "wide.yaml", ".", NULL, &sc), CXROI_OK);
    free(text);
    cxroi_analysis *a = NULL;
    cxroi_analysis_options o = {.iterations = 100, .has_seed = true, .seed = 735, .threads = 1};
    assert_int_equal(cxroi_analysis_run(sc, &o, NULL, &a), CXROI_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/wide.xlsx", f->dir);
    assert_int_equal(cxroi_report_xlsx_save(a, NULL, path, NULL), CXROI_OK);
    size_t n = 0;
    char *data = slurp(path, &n);
    assert_non_null(data);
    char *cash = zip_member(data, n, "xl/worksheets/sheet3.xml"); /* Cash flows */
    assert_non_null(cash);
    /* Year 0's B_t (column C) adds every segment's benefit row: 70 terms. */
    const char *sum = strstr(cash, "<f>0+C");
    assert_non_null(sum);
    int terms = 0;
    for (const char *c = sum + 3; *c && *c != '<'; c++)
        terms += *c == '+';
    assert_int_equal(terms, SEGMENTS);
    free(cash);
    free(data);
    cxroi_analysis_free(a);
    cxroi_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest constant[] = {
        cmocka_unit_test(test_xlsx_name),
        cmocka_unit_test(test_xlsx_replaces_existing_report),
        cmocka_unit_test(test_xlsx_failed_write_keeps_old_report),
        cmocka_unit_test(test_xlsx_unwritable_path),
        cmocka_unit_test(test_xlsx_arguments),
        cmocka_unit_test(test_xlsx_pipe_written_through),
        cmocka_unit_test(test_xlsx_initiative_on_many_segments),
    };
    const struct CMUnitTest example[] = {
        cmocka_unit_test(test_xlsx_sheets_and_charts),
        cmocka_unit_test(test_xlsx_samples_sheet),
        cmocka_unit_test(test_xlsx_printed_presentation),
    };
    const struct CMUnitTest retention[] = {
        cmocka_unit_test(test_xlsx_retention_sheet),
        cmocka_unit_test(test_xlsx_retention_without_curves),
    };
    int failed = cmocka_run_group_tests_name("xlsx_constant", constant, setup_constant, teardown);
    failed += cmocka_run_group_tests_name("xlsx_example", example, setup_example, teardown);
    failed +=
        cmocka_run_group_tests_name("xlsx_retention", retention, setup_retention, teardown);
    return failed;
}
