/* Tests of the Excel report writer: the workbook's parts, the defined names, and the
 * atomic write (a failed write keeps the old report, non-regular targets are written
 * through). The formulas themselves are checked end to end by tests/xlsx_check.py, which
 * has LibreOffice recalculate every one of them. */
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

#include "cxroi/analysis.h"
#include "cxroi/report_xlsx.h"
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
    char path[512];
    snprintf(path, sizeof path, "%s/r.xlsx", f->dir);
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, path, NULL), CXROI_OK);
    size_t n = 0;
    char *data = slurp(path, &n);
    assert_non_null(data);
    assert_memory_equal(data, "PK\x03\x04", 4);
    /* Seven sheets; charts: the NPV ranges, a histogram and an S-curve per initiative and
     * for the portfolio, a tornado per initiative with an uncertain input, the funding
     * line: the example has 6 initiatives, so at least 1 + 2 * 6 + 1 = 14. */
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 7);
    assert_true(zip_entries(data, n, "xl/charts/chart") >= 14);
    assert_int_equal(zip_entries(data, n, "docProps/custom.xml"), 1);
    free(data);
    assert_int_equal(temp_files(f), 0); /* no temporary file left */
}

static void test_xlsx_samples_sheet(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/s.xlsx", f->dir);
    cxroi_xlsx_options o = {.samples = true, .max_samples = 100};
    assert_int_equal(cxroi_report_xlsx_save(f->analysis, NULL, path, &o), CXROI_OK);
    size_t n = 0;
    char *data = slurp(path, &n);
    assert_non_null(data);
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 8);
    free(data);
}

static void test_xlsx_replaces_existing_report(void **state)
{
    fixture *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/old.xlsx", f->dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs("OLD REPORT\n", out);
    fclose(out);
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
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs("OLD REPORT\n", out);
    fclose(out);
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
    assert_int_equal(zip_entries(data, n, "xl/worksheets/sheet"), 7);
    free(data);
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
    };
    const struct CMUnitTest example[] = {
        cmocka_unit_test(test_xlsx_sheets_and_charts),
        cmocka_unit_test(test_xlsx_samples_sheet),
    };
    int failed = cmocka_run_group_tests_name("xlsx_constant", constant, setup_constant, teardown);
    failed += cmocka_run_group_tests_name("xlsx_example", example, setup_example, teardown);
    return failed;
}
