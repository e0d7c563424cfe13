/* Tests of the `cxroi` program itself: every exit status, the JSON on stdout against the
 * calibration cases, init, and the atomic JSON writer under failing writes. Each case
 * runs the built binary (CXROI_EXE) in a fresh temporary directory. */
/* setgroups() and getpwnam() for running a child as an unprivileged user. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#ifndef CXROI_EXE
#define CXROI_EXE "build/cxroi"
#endif
#ifndef CXROI_SOURCE_DIR
#define CXROI_SOURCE_DIR "."
#endif
#ifndef CXROI_SHARED_DIR
#define CXROI_SHARED_DIR "../shared"
#endif

typedef struct fixture {
    char root[64];  /* the temporary directory */
    char work[96];  /* the program's working directory */
    char out[96];   /* its captured stdout */
    char err[96];   /* its captured stderr */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    strcpy(f->root, "/tmp/cxroi-test-cli-XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    snprintf(f->work, sizeof f->work, "%s/work", f->root);
    snprintf(f->out, sizeof f->out, "%s/stdout", f->root);
    snprintf(f->err, sizeof f->err, "%s/stderr", f->root);
    if (mkdir(f->work, 0777) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", f->root, f->root);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* How to run the program. */
typedef struct how {
    const char *data_dir;   /* CXROI_DATA_DIR; NULL: the source tree */
    const char *stdout_to;  /* instead of the capture file, e.g. /dev/full */
    rlim_t fsize_limit;     /* RLIMIT_FSIZE in bytes; 0: none */
    const char *cwd;        /* working directory; NULL: f->work */
    rlim_t as_limit;        /* RLIMIT_AS in bytes; 0: none */
    const struct passwd *user; /* run as this user (we are root); NULL: as we are */
    bool sigxfsz_default;      /* with fsize_limit: leave SIGXFSZ's default action (kill) */
} how;

/* Start `cxroi ARGS...` (NULL-terminated) in f->work; return its process id. */
static pid_t spawn_how(const fixture *f, const how *h, const char *const *args)
{
    const char *argv[32] = {CXROI_EXE};
    size_t n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(h && h->stdout_to ? h->stdout_to : f->out,
                       O_WRONLY | O_CREAT | O_TRUNC, 0666);
        int err = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (out < 0 || err < 0 || chdir(h && h->cwd ? h->cwd : f->work) != 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0)
            _exit(126);
        setenv("CXROI_DATA_DIR", h && h->data_dir ? h->data_dir : CXROI_SOURCE_DIR, 1);
        if (h && h->fsize_limit) {
            /* Writes past the limit fail with EFBIG instead of killing the process; with
             * the default action it is the program's to ignore it. */
            signal(SIGXFSZ, h->sigxfsz_default ? SIG_DFL : SIG_IGN);
            struct rlimit rl = {h->fsize_limit, h->fsize_limit};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (h && h->as_limit) {
            struct rlimit rl = {h->as_limit, h->as_limit};
            if (setrlimit(RLIMIT_AS, &rl) != 0)
                _exit(126);
        }
        if (h && h->user &&
            (setgroups(0, NULL) != 0 || setgid(h->user->pw_gid) != 0 ||
             setuid(h->user->pw_uid) != 0))
            _exit(126);
        execv(CXROI_EXE, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Run `cxroi ARGS...` (NULL-terminated) in f->work; return its exit status, or -1 when it
 * died of a signal (never expected). */
static int run_how(const fixture *f, const how *h, const char *const *args)
{
    pid_t pid = spawn_how(f, h, args);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(f, ...) run_how((f), NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_HOW(f, h, ...) run_how((f), (h), (const char *const[]){__VA_ARGS__, NULL})

static char *slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    char *buf = NULL;
    size_t size = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > size) {
            size = (size + 4096) * 2;
            char *grown = realloc(buf, size);
            assert_non_null(grown);
            buf = grown;
        }
        size_t got = fread(buf + len, 1, size - len - 1, in);
        len += got;
        if (got == 0)
            break;
    }
    fclose(in);
    buf[len] = '\0';
    return buf;
}

static void assert_contains(const char *path, const char *needle)
{
    char *text = slurp(path);
    assert_non_null(text);
    if (!strstr(text, needle))
        fail_msg("%s does not contain '%s'; it holds:\n%s", path, needle, text);
    free(text);
}

static void write_file(const fixture *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->work, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    assert_int_equal(fclose(out), 0);
}

static char *work_file(const fixture *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->work, name);
    return slurp(path);
}

/* The names in f->work, sorted and joined by spaces: to catch temporary debris. */
static void assert_work_holds(const fixture *f, const char *expected)
{
    DIR *d = opendir(f->work);
    assert_non_null(d);
    char *names[32];
    size_t n = 0;
    struct dirent *e;
    /* Excel reports, which every successful `run` writes, are checked by
     * test_cli_excel_report; the other tests look at everything else. */
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".xlsx") == 0)
            continue;
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && n < 32)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    char list[1024] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(list, i ? " " : "");
        strncat(list, names[i], 100);
        free(names[i]);
    }
    assert_string_equal(list, expected);
}

static const char *example(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/examples/%s", CXROI_SOURCE_DIR, name);
    return path;
}

static json_t *load_json_text(const char *path);

/* ------------------------------------------------------------------------------------ */
/* Usage errors: exit 2 with a hint */

static void test_cli_no_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_how(f, NULL, (const char *const[]){NULL}), 2);
    assert_contains(f->err, "Usage: cxroi");
}

static void test_cli_unknown_command(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "frobnicate"), 2);
    assert_contains(f->err, "unknown command 'frobnicate'");
    assert_contains(f->err, "see 'cxroi --help'");
    assert_int_equal(RUN(f, "chekc", "x.yaml"), 2);
    assert_contains(f->err, "did you mean 'check'?");
    assert_int_equal(RUN(f, "--frobnicate"), 2);
}

static void test_cli_bad_options(void **state)
{
    fixture *f = *state;
    const char *s = example("retail-banking.yaml");
    assert_int_equal(RUN(f, "run", s, "--jsn", "x.json"), 2);
    assert_contains(f->err, "did you mean '--json'?");
    assert_contains(f->err, "see 'cxroi --help'");
    assert_int_equal(RUN(f, "run", s, "-n", "12x"), 2);
    assert_contains(f->err, "whole number");
    assert_int_equal(RUN(f, "run", s, "-n", "0"), 2);
    assert_int_equal(RUN(f, "run", s, "-n", "-5"), 2);
    assert_int_equal(RUN(f, "run", s, "--seed", "1e3"), 2);
    assert_int_equal(RUN(f, "run", s, "--seed", "18446744073709551616"), 2); /* 2^64 */
    assert_int_equal(RUN(f, "run", s, "--threads", "many"), 2);
    assert_int_equal(RUN(f, "run", s, "--sampling", "sobol"), 2);
    assert_int_equal(RUN(f, "run", s, "--json"), 2);
    assert_contains(f->err, "needs a value");
    assert_int_equal(RUN(f, "run", s, "--quiet=yes"), 2);
    assert_int_equal(RUN(f, "run", s, s), 2);
    assert_int_equal(RUN(f, "check"), 2);
    assert_int_equal(RUN(f, "check", s, s), 2);
    assert_int_equal(RUN(f, "init", "a.yaml", "b.yaml"), 2);
    assert_int_equal(RUN(f, "init", "--model"), 2);
    /* The loader's limits: 1e8 iterations, seeds exact in a double (2^53 - 1). */
    assert_int_equal(RUN(f, "run", s, "-n", "100000001"), 2);
    assert_contains(f->err, "from 1 to 100000000");
    assert_int_equal(RUN(f, "run", s, "--seed", "9007199254740992"), 2);
    assert_contains(f->err, "from 0 to 9007199254740991");
    assert_int_equal(RUN(f, "run", s, "--seed", "9007199254740991", "-q"), 0);
    /* An empty file name is a usage error wherever a file is named. */
    assert_int_equal(RUN(f, "run", ""), 2);
    assert_int_equal(RUN(f, "run", s, "--json", ""), 2);
    assert_int_equal(RUN(f, "run", s, "-o", ""), 2);
    assert_int_equal(RUN(f, "check", ""), 2);
    assert_contains(f->err, "file name is empty");
    assert_int_equal(RUN(f, "init", ""), 2);
    assert_contains(f->err, "file name is empty");
    assert_int_equal(RUN(f, "fit", "--survival", "1000,631,468", "--json", ""), 2);
    /* Unknown letters in a bundle, and "-json" for "--json". */
    assert_int_equal(RUN(f, "run", s, "-qx"), 2);
    assert_contains(f->err, "unknown option '-x' in '-qx'");
    assert_int_equal(RUN(f, "run", s, "-json", "x.json"), 2);
    assert_contains(f->err, "did you mean '--json'?");
    assert_work_holds(f, ""); /* nothing written by a refused command */
}

/* Short flags bundle as with getopt: -qn 5 is -q -n 5, -qn5 too. */
static void test_cli_bundled_short_options(void **state)
{
    fixture *f = *state;
    const char *s = example("retail-banking.yaml");
    assert_int_equal(RUN(f, "run", s, "-qn", "5", "--json", "a.json"), 0);
    assert_int_equal(RUN(f, "run", s, "-qn5", "--json", "b.json"), 0);
    char *out = slurp(f->out);
    assert_string_equal(out, ""); /* -q took effect */
    free(out);
    char path[256];
    snprintf(path, sizeof path, "%s/b.json", f->work);
    json_t *root = load_json_text(path);
    assert_int_equal(json_integer_value(json_object_get(root, "iterations")), 5);
    json_decref(root);
    assert_int_equal(RUN(f, "run", s, "-nq"), 2); /* -n takes "q" as its value */
    assert_contains(f->err, "got 'q'");
    assert_int_equal(RUN(f, "run", s, "-q", "-n"), 2);
    assert_contains(f->err, "option '-n' needs a value");
}

/* The simulation options take effect and are echoed in the JSON; the same seed gives
 * identical JSON whatever --threads is, and another seed different ranges. */
static void test_cli_simulation_options(void **state)
{
    fixture *f = *state;
    const char *s = example("telecom.yaml");
    assert_int_equal(RUN(f, "run", s, "-n", "5000", "--seed", "3", "--sampling", "monte_carlo",
                         "--threads", "1", "--json", "one.json", "-q"),
                     0);
    assert_int_equal(RUN(f, "run", s, "-n", "5000", "--seed", "3", "--sampling", "monte_carlo",
                         "--threads", "2", "--json", "two.json", "-q"),
                     0);
    char p1[600], p2[600], p3[600];
    snprintf(p1, sizeof p1, "%s/one.json", f->work);
    snprintf(p2, sizeof p2, "%s/two.json", f->work);
    snprintf(p3, sizeof p3, "%s/other.json", f->work);
    char *one = slurp(p1), *two = slurp(p2);
    assert_non_null(one);
    assert_non_null(two);
    assert_string_equal(one, two);
    free(two);
    json_t *root = load_json_text(p1);
    assert_int_equal(json_integer_value(json_object_get(root, "iterations")), 5000);
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 3);
    assert_string_equal(json_string_value(json_object_get(root, "sampling")), "monte_carlo");
    json_t *sim = json_object_get(json_array_get(json_object_get(root, "initiatives"), 0),
                                  "simulation");
    assert_non_null(json_object_get(json_object_get(sim, "npv"), "p90"));
    json_decref(root);
    assert_int_equal(RUN(f, "run", s, "-n", "5000", "--seed", "4", "--sampling", "monte_carlo",
                         "--json", "other.json", "-q"),
                     0);
    char *other = slurp(p3);
    assert_non_null(other);
    assert_true(strcmp(one, other) != 0);
    free(one);
    free(other);
}

/* --version and --help take no stray arguments; `help COMMAND` shows the usage. */
static void test_cli_version_help_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "--version", "extra"), 2);
    assert_contains(f->err, "unexpected argument 'extra'");
    assert_int_equal(RUN(f, "help", "run"), 0);
    assert_contains(f->out, "Usage: cxroi");
    assert_int_equal(RUN(f, "--help", "bogus"), 2);
    assert_int_equal(RUN(f, "help", "run", "check"), 2);
}

/* The JSON must never overwrite the scenario or a file it includes: by name, as
 * ./name, through a symbolic link or a hard link. */
static void test_cli_json_never_overwrites_scenario(void **state)
{
    fixture *f = *state;
    static const char parts[] =
        "segments:\n"
        "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,"
        " retention: 0.82}\n";
    static const char top[] = "cxroi: 1\n"
                              "name: Self\n"
                              "currency: EUR\n"
                              "horizon: 3\n"
                              "discount_rate: 0.0735\n"
                              "include: [parts.yaml]\n"
                              "initiatives:\n"
                              "  - id: a\n"
                              "    costs: {upfront: 1000}\n"
                              "    effects: {mass: {retention: 0.0135}}\n";
    write_file(f, "self.yaml", top);
    write_file(f, "parts.yaml", parts);
    char target[256], link_path[256];
    snprintf(target, sizeof target, "%s/self.yaml", f->work);
    snprintf(link_path, sizeof link_path, "%s/link.yaml", f->work);
    assert_int_equal(symlink("self.yaml", link_path), 0);
    snprintf(link_path, sizeof link_path, "%s/hard.yaml", f->work);
    assert_int_equal(link(target, link_path), 0);

    static const char *const names[] = {"self.yaml", "./self.yaml", "link.yaml", "hard.yaml",
                                        "../work/self.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_int_equal(RUN(f, "run", "self.yaml", "--json", names[i], "-q"), 2);
        assert_contains(f->err, "is the scenario file itself");
    }
    assert_int_equal(RUN(f, "run", "self.yaml", "--json", "parts.yaml", "-q"), 2);
    assert_contains(f->err, "'parts.yaml', which the scenario includes");
    assert_int_equal(RUN(f, "run", "self.yaml", "-o", "self.yaml", "-q"), 2);
    char *kept = work_file(f, "self.yaml");
    assert_string_equal(kept, top);
    free(kept);
    kept = work_file(f, "parts.yaml");
    assert_string_equal(kept, parts);
    free(kept);
    /* Another name is fine. */
    assert_int_equal(RUN(f, "run", "self.yaml", "--json", "out.json", "-q"), 0);
    assert_work_holds(f, "hard.yaml link.yaml out.json parts.yaml self.yaml");
}

static void test_cli_help_and_version(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "--help"), 0);
    assert_contains(f->out, "run [SCENARIO]");
    assert_contains(f->out, "Exit status");
    assert_contains(f->out, "fit --survival");
    assert_int_equal(RUN(f, "help"), 0);
    assert_contains(f->out, "Usage: cxroi");
    assert_int_equal(RUN(f, "run", "--help"), 0);
    assert_contains(f->out, "--sampling");
    assert_int_equal(RUN(f, "--version"), 0);
    assert_contains(f->out, "cxroi ");
}

/*
 * cxroi fit on Fader & Hardie's (2007) "high end" cohort: the published estimates are
 * alpha = 0.668, beta = 3.806 (three decimals, so 5e-4), LL = -1611.2.
 */
static void test_cli_fit_survival(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "fit", "--survival", "1000,869,743,653,593,551,517,491", "--json",
                         "-", "--quiet"),
                     0);
    json_error_t jerr;
    json_t *root = json_load_file(f->out, 0, &jerr);
    assert_non_null(root);
    assert_float_equal(json_real_value(json_object_get(root, "alpha")), 0.668, 5e-4);
    assert_float_equal(json_real_value(json_object_get(root, "beta")), 3.806, 5e-4);
    assert_float_equal(json_real_value(json_object_get(root, "log_likelihood")), -1611.2, 0.05);
    assert_int_equal(json_array_size(json_object_get(root, "fitted")), 8);
    /* 7 observed years plus 5 projected by default */
    assert_int_equal(json_array_size(json_object_get(root, "projection")), 12);
    json_decref(root);
    assert_int_equal(RUN(f, "fit", "--survival", "1000,631,468"), 0);
    assert_contains(f->out, "alpha");
    assert_contains(f->out, "retention_curve");
    assert_contains(f->out, "     1       631.0       631.0");
    /* the same curve as fractions of a cohort of 1 keeps its digits */
    assert_int_equal(RUN(f, "fit", "--survival", "1,0.631,0.468"), 0);
    assert_contains(f->out, "     1      0.6310      0.6310");
    /* unusable curves: 1; malformed arguments: 2 */
    assert_int_equal(RUN(f, "fit", "--survival", "1000,1100,900"), 1);
    assert_contains(f->err, "cannot grow");
    assert_int_equal(RUN(f, "fit", "--survival", "1000,800"), 1);
    /* retention falling with age (0.869 then 0.855) has no sBG optimum (alpha, beta ->
     * inf): the best fit is constant retention, survivors over customers at risk,
     * (869 + 743) / (1000 + 869) = 0.86249 */
    assert_int_equal(RUN(f, "fit", "--survival", "1000,869,743", "--json", "-", "-q"), 0);
    json_t *geo = json_load_file(f->out, 0, &jerr);
    assert_non_null(geo);
    assert_string_equal(json_string_value(json_object_get(geo, "model")), "constant");
    assert_true(json_is_null(json_object_get(geo, "alpha")));
    assert_float_equal(json_real_value(json_object_get(geo, "retention")), 1612.0 / 1869.0, 1e-12);
    json_decref(geo);
    assert_int_equal(RUN(f, "fit", "--survival", "1000,869,743"), 0);
    assert_contains(f->out, "retention: 0.8625");
    assert_int_equal(RUN(f, "fit", "--survival", "1000,abc,3"), 2);
    assert_contains(f->err, "entry 2 is 'abc'");
    assert_int_equal(RUN(f, "fit", "--survival", "100%,87%,76%"), 2);
    assert_contains(f->err, "entry 1 is '100%': write the counts or fractions without %");
    assert_int_equal(RUN(f, "fit"), 2);
    assert_contains(f->err, "missing --survival");
}

/* ------------------------------------------------------------------------------------ */
/* Scenario errors: 3 unreadable, 1 invalid */

static void test_cli_missing_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "run", "no-such-file.yaml"), 3);
    assert_contains(f->err, "no-such-file.yaml");
    assert_int_equal(RUN(f, "check", "no-such-file.yaml"), 3);
    /* The bundled default, when the data directory is wrong, is an I/O error too. */
    how h = {.data_dir = "/nonexistent-cxroi-data"};
    assert_int_equal(RUN_HOW(f, &h, "run"), 3);
}

static void test_cli_invalid_scenario(void **state)
{
    fixture *f = *state;
    write_file(f, "bad.yaml",
               "cxroi: 1\n"
               "name: Broken\n"
               "currency: EUR\n"
               "horizon: 5\n"
               "discount_rate: 0.0735\n"
               "segments:\n"
               "  - id: mass\n"
               "    customers: 1000\n"
               "    revenue_per_customer: 310\n"
               "    margin: 1.35\n"
               "    retention: 0.82\n"
               "initiatives:\n"
               "  - id: x\n"
               "    costs: {upfront: 1000}\n"
               "    effects: {mass: {retention: 0.01}}\n");
    assert_int_equal(RUN(f, "check", "bad.yaml"), 1);
    /* FILE:LINE:COLUMN: error: MESSAGE, pointing at the margin (line 10). */
    char *err = slurp(f->err);
    int line = 0, column = 0;
    char *at = strstr(err, "bad.yaml:");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "bad.yaml:%d:%d: error: ", &line, &column), 2);
    assert_int_equal(line, 10);
    assert_true(column >= 1);
    assert_non_null(strstr(at, ": error: "));
    free(err);
    assert_int_equal(RUN(f, "run", "bad.yaml", "--json", "out.json"), 1);
    assert_contains(f->err, "bad.yaml:10:");
    assert_work_holds(f, "bad.yaml"); /* no JSON for an invalid scenario */
}

static void test_cli_check_examples(void **state)
{
    fixture *f = *state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/examples", CXROI_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t checked = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        int status = RUN(f, "check", example(e->d_name));
        if (status != 0) {
            char *err = slurp(f->err);
            fail_msg("cxroi check %s: exit %d\n%s", e->d_name, status, err);
        }
        assert_contains(f->out, ": ok:");
        checked++;
    }
    closedir(d);
    assert_true(checked >= 1);
}

/* ------------------------------------------------------------------------------------ */
/* JSON results */

static json_t *load_json_text(const char *path)
{
    json_error_t error;
    json_t *root = json_load_file(path, 0, &error);
    if (!root)
        fail_msg("%s: invalid JSON at line %d: %s", path, error.line, error.text);
    return root;
}

static const char *const DETERMINISTIC_KEYS[] = {
    "npv",         "irr",      "irr_multiple",   "mirr",       "roi",
    "bcr",         "payback_years", "discounted_payback_years", "pv_benefits",
    "pv_costs",    "terminal_value", "cash_flows", "benefits",  "costs"};

static void assert_spec_keys(json_t *root)
{
    static const char *const top[] = {"scenario", "file",       "currency", "horizon",
                                      "discount_rate", "terminal_value", "iterations",
                                      "seed",     "sampling",   "initiatives", "segments",
                                      "warnings"};
    for (size_t k = 0; k < sizeof top / sizeof top[0]; k++)
        if (!json_object_get(root, top[k]))
            fail_msg("no '%s' in the JSON", top[k]);
    size_t h = (size_t)json_integer_value(json_object_get(root, "horizon"));
    json_t *inits = json_object_get(root, "initiatives");
    assert_true(json_array_size(inits) >= 1);
    size_t i;
    json_t *in;
    json_array_foreach(inits, i, in) {
        const char *const per[] = {"id", "name", "kind", "deterministic", "risk_adjusted",
                                   "break_even_effect_multiplier"};
        for (size_t k = 0; k < sizeof per / sizeof per[0]; k++)
            if (!json_object_get(in, per[k]))
                fail_msg("initiative %zu has no '%s'", i, per[k]);
        json_t *d = json_object_get(in, "deterministic");
        for (size_t k = 0; k < sizeof DETERMINISTIC_KEYS / sizeof DETERMINISTIC_KEYS[0]; k++)
            if (!json_object_get(d, DETERMINISTIC_KEYS[k]))
                fail_msg("initiative %zu has no deterministic.%s", i, DETERMINISTIC_KEYS[k]);
        assert_int_equal(json_array_size(json_object_get(d, "cash_flows")), h + 1);
    }
}

/* SPEC.md's `portfolio` and `value_matrix`: the funded set within the budget, its NPV
 * statistics, the frontier, and a matrix with one row per segment and one column per
 * touchpoint. */
static void test_cli_json_portfolio(void **state)
{
    fixture *f = *state;
    const char *s = example("retail-banking.yaml");
    assert_int_equal(RUN(f, "run", s, "-n", "2000", "--json", "p.json", "-q"), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/p.json", f->work);
    json_t *root = load_json_text(path);
    json_t *p = json_object_get(root, "portfolio");
    assert_true(json_is_object(p));
    static const char *const keys[] = {"budget", "funded", "upfront", "npv",
                                       "prob_npv_positive", "frontier", "ranking",
                                       "marginal_value_of_budget", "feasible", "optimal"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!json_object_get(p, keys[k]))
            fail_msg("no portfolio.%s in the JSON", keys[k]);
    static const char *const stats[] = {"mean", "sd", "p5", "p10", "p50", "p90", "p95"};
    for (size_t k = 0; k < sizeof stats / sizeof stats[0]; k++)
        assert_true(json_is_number(json_object_get(json_object_get(p, "npv"), stats[k])));
    double budget = json_number_value(json_object_get(p, "budget"));
    assert_true(json_number_value(json_object_get(p, "upfront")) <= budget);
    json_t *funded = json_object_get(p, "funded"), *id;
    assert_true(json_array_size(funded) >= 1);
    size_t i;
    json_array_foreach(funded, i, id) assert_true(json_is_string(id));
    json_t *frontier = json_object_get(p, "frontier"), *pt;
    assert_true(json_array_size(frontier) >= 2);
    double last = -INFINITY;
    json_array_foreach(frontier, i, pt) {
        assert_true(json_is_number(json_object_get(pt, "budget")));
        assert_true(json_is_array(json_object_get(pt, "funded")));
        assert_true(json_is_number(json_object_get(pt, "prob_npv_positive")));
        double npv = json_number_value(json_object_get(pt, "npv_mean"));
        assert_true(npv >= last); /* the frontier never loses expected NPV */
        last = npv;
    }
    json_t *m = json_object_get(root, "value_matrix");
    assert_true(json_is_object(m));
    size_t ns = json_array_size(json_object_get(root, "segments"));
    size_t nt = json_array_size(json_object_get(m, "touchpoints"));
    assert_true(ns >= 1 && nt >= 1);
    assert_int_equal(json_array_size(json_object_get(m, "segments")), ns);
    json_t *pv = json_object_get(m, "pv"), *row;
    assert_int_equal(json_array_size(pv), ns);
    json_array_foreach(pv, i, row) assert_int_equal(json_array_size(row), nt);
    assert_int_equal(json_array_size(json_object_get(m, "untapped")), ns);
    assert_int_equal(json_array_size(json_object_get(m, "segment_economics")), ns);
    assert_true(json_is_number(json_object_get(m, "direct_benefits_pv")));
    json_decref(root);
}

/* Every figure of a calibration case (SPEC.md: reference/<case>.expected.json). The
 * tolerance, 1e-9 relative (absolute near 0), allows for different summation orders and
 * the 1e-12 convergence of the IRR and break-even root finders; a modelling error moves
 * these figures by far more. */
static void assert_close(double got, double want, const char *what)
{
    double tol = 1e-9 * fmax(1.0, fabs(want));
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: %.17g, expected %.17g", what, got, want);
}

static void compare_value(json_t *got, json_t *want, const char *what)
{
    if (json_is_null(want)) {
        if (!json_is_null(got))
            fail_msg("%s should be null", what);
    } else if (json_is_array(want)) {
        assert_int_equal(json_array_size(got), json_array_size(want));
        for (size_t t = 0; t < json_array_size(want); t++)
            assert_close(json_number_value(json_array_get(got, t)),
                         json_number_value(json_array_get(want, t)), what);
    } else if (json_is_number(want)) {
        if (!json_is_number(got))
            fail_msg("%s should be a number", what);
        assert_close(json_number_value(got), json_number_value(want), what);
    }
}

static void check_reference(const fixture *f, const char *name)
{
    char yaml[512], expected[512];
    snprintf(yaml, sizeof yaml, "%s/reference/%s.yaml", CXROI_SHARED_DIR, name);
    snprintf(expected, sizeof expected, "%s/reference/%s.expected.json", CXROI_SHARED_DIR,
             name);
    if (access(yaml, R_OK) != 0)
        skip();
    assert_int_equal(RUN(f, "run", yaml, "--json", "-"), 0);
    json_t *got = load_json_text(f->out); /* stdout holds nothing but the JSON */
    json_t *want = load_json_text(expected);
    assert_spec_keys(got);
    json_t *wi = json_object_get(want, "initiatives");
    json_t *gi = json_object_get(got, "initiatives");
    assert_int_equal(json_array_size(gi), json_array_size(wi));
    for (size_t i = 0; i < json_array_size(wi); i++) {
        json_t *w = json_array_get(wi, i), *g = json_array_get(gi, i);
        assert_string_equal(json_string_value(json_object_get(g, "id")),
                            json_string_value(json_object_get(w, "id")));
        json_t *wd = json_object_get(w, "deterministic");
        json_t *gd = json_object_get(g, "deterministic");
        const char *key;
        json_t *value;
        json_object_foreach(wd, key, value) {
            char what[128];
            snprintf(what, sizeof what, "%s %s.%s", name,
                     json_string_value(json_object_get(w, "id")), key);
            compare_value(json_object_get(gd, key), value, what);
        }
    }
    json_decref(got);
    json_decref(want);
    /* The summary went to stderr. */
    assert_contains(f->err, "Initiative");
}

static void test_cli_json_reference_r1(void **state)
{
    check_reference(*state, "r1-constant");
}

static void test_cli_json_reference_r2(void **state)
{
    check_reference(*state, "r2-sbg");
}

/*
 * Retention curves of an sBG segment (r2: alpha 0.704, beta 1.182, tenure 2, 1000
 * customers, 300 acquired a year). Year 1 has only the base, at age 2:
 * r = (1.182 + 2) / (0.704 + 1.182 + 2) = 3.182 / 3.886; with the save desk's churn
 * -0.15: 1 - (1 - r) 0.85. Year 2 mixes in year 1's acquisitions at age 0, which retain
 * 1.182 / 1.886, so the aggregate falls below year 1's, then rises as the base ages.
 */
static void test_cli_json_retention_curve(void **state)
{
    fixture *f = *state;
    char yaml[512];
    snprintf(yaml, sizeof yaml, "%s/reference/r2-sbg.yaml", CXROI_SHARED_DIR);
    assert_int_equal(RUN(f, "run", yaml, "--json", "-", "-q", "-n", "100"), 0);
    json_t *root = load_json_text(f->out);
    json_t *seg = json_array_get(json_object_get(root, "segments"), 0);
    assert_string_equal(json_string_value(json_object_get(seg, "retention_model")), "sbg");
    json_t *curve = json_object_get(seg, "retention_curve");
    json_t *base = json_object_get(curve, "baseline");
    assert_int_equal(json_array_size(base), 3);
    double r1 = 3.182 / 3.886;
    assert_float_equal(json_real_value(json_array_get(base, 0)), r1, 1e-12);
    double n1 = 1000 * r1 + 300, r2 = (1000 * r1 * (4.182 / 4.886) + 300 * (1.182 / 1.886)) / n1;
    assert_float_equal(json_real_value(json_array_get(base, 1)), r2, 1e-12);
    json_t *with = json_array_get(json_object_get(curve, "with_initiatives"), 0);
    assert_string_equal(json_string_value(json_object_get(with, "initiative")), "save");
    assert_float_equal(json_real_value(json_array_get(json_object_get(with, "retention"), 0)),
                       1.0 - (1.0 - r1) * 0.85, 1e-12);
    json_decref(root);
}

static void test_cli_json_null_irr(void **state)
{
    fixture *f = *state;
    /* Costs only: the cash flows never change sign, so there is no IRR, no payback and
     * (no benefit at any multiple) no break-even. */
    write_file(f, "costs.yaml",
               "cxroi: 1\n"
               "name: Costs only\n"
               "currency: EUR\n"
               "horizon: 3\n"
               "discount_rate: 0.0735\n"
               "segments:\n"
               "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,"
               " retention: 0.82}\n"
               "initiatives:\n"
               "  - id: sunk\n"
               "    kind: other\n"
               "    costs: {upfront: 12345.67}\n"
               "    benefits: {annual: 0}\n");
    assert_int_equal(RUN(f, "run", "costs.yaml", "--json", "-", "--quiet"), 0);
    json_t *root = load_json_text(f->out);
    assert_spec_keys(root);
    json_t *d = json_object_get(json_array_get(json_object_get(root, "initiatives"), 0),
                                "deterministic");
    assert_true(json_is_null(json_object_get(d, "irr")));
    assert_true(json_is_null(json_object_get(d, "payback_years")));
    /* NPV = -12345.67 exactly: the only cash flow is at t = 0. */
    assert_close(json_number_value(json_object_get(d, "npv")), -12345.67, "npv");
    json_decref(root);
    /* --quiet: no summary anywhere. */
    char *err = slurp(f->err);
    assert_null(strstr(err, "Initiative"));
    free(err);
}

static void test_cli_clamp_warning(void **state)
{
    fixture *f = *state;
    /* 0.98 + 0.05 > 1 in each of the 3 operating years: three clamps, one warning. */
    write_file(f, "clamp.yaml",
               "cxroi: 1\n"
               "name: Clamp\n"
               "currency: EUR\n"
               "horizon: 3\n"
               "discount_rate: 0.0735\n"
               "segments:\n"
               "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,"
               " retention: 0.98}\n"
               "initiatives:\n"
               "  - id: big\n"
               "    costs: {upfront: 1000}\n"
               "    effects: {mass: {retention: 0.05}}\n");
    assert_int_equal(RUN(f, "run", "clamp.yaml", "--json", "-"), 0);
    assert_contains(f->err, "clamp.yaml:9:");
    assert_contains(f->err, "warning: initiatives.big: retention was clamped");
    assert_contains(f->err, "clamped to [0, 1] 3 times"); /* the summary's footnote */
    /* the simulation's clamps at the initiative too: 3 a year in each of 10,000 draws */
    assert_contains(f->err, "clamp.yaml:9:9: warning: initiatives.big: retention was clamped to "
                            "[0, 1] 30000 times over the 10000 iterations of the simulation");
    json_t *root = load_json_text(f->out);
    json_t *w = json_object_get(root, "warnings");
    assert_int_equal(json_array_size(w), 2);
    for (size_t k = 0; k < 2; k++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(w, k), "line")), 9);
    json_decref(root);
}

static void test_cli_run_summary_and_overrides(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "run"), 0); /* the bundled default */
    assert_contains(f->out, "Initiative");
    assert_contains(f->out, "Break-even");
    assert_int_equal(RUN(f, "run", example("retail-banking.yaml"), "--json", "o.json", "-n",
                         "1234", "--seed", "99", "--sampling", "monte_carlo", "--threads",
                         "3", "-q"),
                     0);
    char path[256];
    snprintf(path, sizeof path, "%s/o.json", f->work);
    json_t *root = load_json_text(path);
    assert_spec_keys(root);
    assert_int_equal(json_integer_value(json_object_get(root, "iterations")), 1234);
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 99);
    assert_string_equal(json_string_value(json_object_get(root, "sampling")), "monte_carlo");
    json_decref(root);
    char *out = slurp(f->out);
    assert_string_equal(out, ""); /* --quiet */
    free(out);
    assert_work_holds(f, "o.json"); /* no temporary debris */
}

/* Whether a file exists in the fixture's work directory. */
static bool work_has(const fixture *f, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", f->work, name);
    return access(path, F_OK) == 0;
}

/* The Excel report: named as SPEC says, never written by a failed run, never written
 * half, and an unwritable target is an I/O error. (Its content: test_xlsx and the
 * LibreOffice recalculation test.) */
static void test_cli_excel_report(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "run", example("telecom.yaml"), "-q", "-n", "2000"), 0);
    assert_true(work_has(f, "telecom.xlsx"));
    assert_int_equal(RUN(f, "run", "-q", "-n", "2000"), 0);
    assert_true(work_has(f, "cxroi-report.xlsx"));
    assert_int_equal(RUN(f, "run", example("telecom.yaml"), "-q", "-n", "2000", "-o", "r.xlsx"),
                     0);
    assert_true(work_has(f, "r.xlsx"));
    /* xlsx files are zip archives: "PK\3\4" */
    char path[600];
    snprintf(path, sizeof path, "%s/r.xlsx", f->work);
    char *bytes = slurp(path);
    assert_non_null(bytes);
    assert_memory_equal(bytes, "PK\x03\x04", 4);
    free(bytes);
    char *err = slurp(f->err);
    assert_null(strstr(err, "warning"));
    free(err);
    /* another extension: written all the same, with a warning */
    assert_int_equal(RUN(f, "run", example("telecom.yaml"), "-q", "-n", "2000", "-o", "r.csv"), 0);
    assert_true(work_has(f, "r.csv"));
    assert_contains(f->err, "cxroi run: warning: -o r.csv: the report is an Excel workbook "
                            "whatever its name; name it .xlsx");
    /* an invalid scenario writes no report */
    write_file(f, "broken.yaml", "cxroi: 1\nhorizon: 0\n");
    assert_int_equal(RUN(f, "run", "broken.yaml", "-q"), 1);
    assert_false(work_has(f, "broken.xlsx"));
    assert_int_equal(RUN(f, "run", example("telecom.yaml"), "-q", "-n", "2000", "-o",
                         "/nonexistent-dir/r.xlsx"),
                     3);
}

static void test_cli_stdout_write_error(void **state)
{
    fixture *f = *state;
    how h = {.stdout_to = "/dev/full"};
    if (access("/dev/full", W_OK) != 0)
        skip();
    const char *s = example("retail-banking.yaml");
    char expect[128];
    snprintf(expect, sizeof expect, "cannot write to standard output: %s", strerror(ENOSPC));
    assert_int_equal(RUN_HOW(f, &h, "run", s), 3);
    assert_contains(f->err, strerror(ENOSPC));
    assert_int_equal(RUN_HOW(f, &h, "run", s, "--json", "-"), 3);
    assert_contains(f->err, expect);
    /* Every command says why it fails, not only its exit status. */
    assert_int_equal(RUN_HOW(f, &h, "check", s), 3);
    assert_contains(f->err, "cxroi check: ");
    assert_contains(f->err, expect);
    assert_int_equal(RUN_HOW(f, &h, "--version"), 3);
    assert_contains(f->err, expect);
    assert_int_equal(RUN_HOW(f, &h, "--help"), 3);
    assert_contains(f->err, expect);
    assert_int_equal(RUN_HOW(f, &h, "fit", "--survival", "1000,631,468"), 3);
    assert_contains(f->err, "cxroi fit: cannot write to standard output");
    assert_int_equal(RUN_HOW(f, &h, "init", "new.yaml"), 3);
    assert_contains(f->err, expect);
}

/* The bundled default, run from the source tree, names its file as a path relative to
 * it, as the README shows ("examples/retail-banking.yaml", not an absolute path). */
static void test_cli_default_scenario_relative_path(void **state)
{
    fixture *f = *state;
    how h = {.cwd = CXROI_SOURCE_DIR};
    assert_int_equal(RUN_HOW(f, &h, "run", "-q", "--json", "-"), 0);
    json_t *root = load_json_text(f->out);
    assert_string_equal(json_string_value(json_object_get(root, "file")),
                        "examples/retail-banking.yaml");
    json_decref(root);
    assert_int_equal(RUN_HOW(f, &h, "run"), 0);
    assert_contains(f->out, "  Scenario file   examples/retail-banking.yaml\n");
    /* From elsewhere the path stays as found (it is outside the working directory). */
    assert_int_equal(RUN(f, "run"), 0);
    assert_contains(f->out, "examples/retail-banking.yaml");
}

/* Customer equity that cannot be finite is reported at the segment's retention, with
 * the cause and the fix, and exit 1. */
static void test_cli_infinite_customer_equity(void **state)
{
    fixture *f = *state;
    write_file(f, "ce.yaml",
               "cxroi: 1\n"
               "name: CE\n"
               "currency: EUR\n"
               "horizon: 3\n"
               "discount_rate: -0.2\n"
               "terminal_value: customer_equity\n"
               "segments:\n"
               "  - id: mass\n"
               "    customers: 1000\n"
               "    revenue_per_customer: 310\n"
               "    margin: 0.35\n"
               "    retention: 0.8\n"
               "initiatives:\n"
               "  - id: a\n"
               "    costs: {upfront: 1000}\n"
               "    effects: {mass: {retention: 0.0135}}\n");
    assert_int_equal(RUN(f, "check", "ce.yaml"), 1);
    assert_contains(f->err, "ce.yaml:12:16: error: segments.mass: the customer equity of a "
                            "customer is infinite: retention 0.8 is not below 1 + discount "
                            "rate (0.8)");
    assert_contains(f->err, "terminal_value: none");
    char *err = slurp(f->err);
    assert_null(strstr(err, "initiatives.a"));
    free(err);
}

/* The same over the range the simulation draws: a base case that is fine but draws that
 * are not must fail `check`, located at the uncertain input, instead of stopping `run`
 * at the first such iteration with no location. A range that stays fine passes. */
static void test_cli_infinite_customer_equity_in_some_draws(void **state)
{
    fixture *f = *state;
    static const char *const head = "cxroi: 1\n"
                                    "name: CE\n"
                                    "currency: EUR\n"
                                    "horizon: 3\n";
    static const char *const body = "terminal_value: customer_equity\n"
                                    "segments:\n"
                                    "  - id: mass\n"
                                    "    customers: 1000\n"
                                    "    revenue_per_customer: 310\n"
                                    "    margin: 0.35\n"
                                    "    retention: {dist: uniform, min: 0.81, max: 0.9735}\n"
                                    "  - id: smb\n"
                                    "    customers: 500\n"
                                    "    revenue_per_customer: 120\n"
                                    "    margin: 0.5\n"
                                    "    retention_curve: {sbg: {alpha: ";
    static const char *const tail =
        ", beta: 1.182}}\n"
        "initiatives:\n"
        "  - id: a\n"
        "    costs: {upfront: 1000}\n"
        "    effects: {mass: {retention: 0.0135}, smb: {churn: -0.05}}\n";
    char text[2048];
    /* d from -0.05: the base 0.07 is fine; 0.9735 < 1 - 0.05 is not in every draw. */
    snprintf(text, sizeof text, "%s%s%s%s%s", head,
             "discount_rate: {dist: uniform, min: -0.05, max: 0.19}\n", body, "1.5", tail);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 1);
    assert_contains(f->err, "ce.yaml:12:16: error: segments.mass: the customer equity of a "
                            "customer is infinite in some iterations of the simulation: "
                            "retention can be drawn up to 0.9735 and discount_rate down to "
                            "-0.05, and retention must stay below 1 + discount rate; narrow "
                            "their ranges (a retention always below 0.95) or use "
                            "terminal_value: none");
    assert_contains(f->err, "ce.yaml:5:16: error: segments.smb: the customer equity of a "
                            "customer is infinite in some iterations of the simulation: with "
                            "sBG retention");
    assert_contains(f->err, "discount_rate can be drawn down to -0.05 (alpha down to 1.5); "
                            "keep discount_rate above 0, or use terminal_value: none");
    /* A discount rate of 0 with alpha drawn below 1: reported at alpha. */
    const char *alpha = "{dist: uniform, min: 0.704, max: 2.5}";
    snprintf(text, sizeof text, "%s%s%s%s%s", head, "discount_rate: 0\n", body, alpha, tail);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 1);
    assert_contains(f->err, "ce.yaml:17:36: error: segments.smb: the customer equity of a "
                            "customer is infinite in some iterations");
    assert_contains(f->err, "keep alpha above 1 or discount_rate above 0, or use "
                            "terminal_value: none");
    /* Ranges that keep every draw finite pass. */
    snprintf(text, sizeof text, "%s%s%s%s%s", head,
             "discount_rate: {dist: uniform, min: 0.03, max: 0.19}\n", body, alpha, tail);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 0);
    /* A discount rate drawn down to a tiny positive number: finite, but the sBG value's
     * series would need ~ln(1e17) / d terms (minutes at 1e-10): refused at once, with
     * the rate to use. */
    snprintf(text, sizeof text, "%s%s%s%s%s", head,
             "discount_rate: {dist: uniform, min: 1.0e-10, max: 0.19}\n", body, alpha, tail);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 1);
    assert_contains(f->err, "ce.yaml:5:16: error: segments.smb: with sBG retention, customer "
                            "equity at a discount rate between 0 and 0.0001 is a series too "
                            "long to sum");
    assert_contains(f->err, "discount_rate can be drawn down to 1e-10; use 0 (summed in closed "
                            "form) or a rate of at least 0.0001");
    /* From 0.0001 up it is summed. */
    snprintf(text, sizeof text, "%s%s%s%s%s", head,
             "discount_rate: {dist: uniform, min: 1.0e-4, max: 0.19}\n", body, alpha, tail);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 0);
    /* Retention drawn up to exactly 1 + the lowest discount rate (0): infinite. */
    snprintf(text, sizeof text,
             "%sdiscount_rate: {dist: uniform, min: 0, max: 0.1}\n"
             "terminal_value: customer_equity\n"
             "segments:\n"
             "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,\n"
             "     retention: {dist: uniform, min: 0.9, max: 1}}\n"
             "initiatives:\n"
             "  - {id: a, costs: {upfront: 1000}, effects: {mass: {revenue: 0.02}}}\n",
             head);
    write_file(f, "ce.yaml", text);
    assert_int_equal(RUN(f, "check", "ce.yaml"), 1);
    assert_contains(f->err, "retention can be drawn up to 1 and discount_rate down to 0");
}

/* No costs and no effect: NPV is 0 at every multiple, so there is no break-even and,
 * with every cash flow 0, nothing to pay back: null in JSON, n/a with a reason in the
 * table. */
static void test_cli_nothing_to_recover(void **state)
{
    fixture *f = *state;
    write_file(f, "zero.yaml",
               "cxroi: 1\n"
               "name: Zero\n"
               "currency: EUR\n"
               "horizon: 3\n"
               "discount_rate: 0.0735\n"
               "segments:\n"
               "  - {id: mass, customers: 1000, revenue_per_customer: 310, margin: 0.35,"
               " retention: 0.82}\n"
               "initiatives:\n"
               "  - id: idle\n"
               "    kind: other\n"
               "    costs: {upfront: 0}\n"
               "    benefits: {annual: 0}\n");
    assert_int_equal(RUN(f, "run", "zero.yaml", "--json", "-"), 0);
    json_t *root = load_json_text(f->out);
    json_t *in = json_array_get(json_object_get(root, "initiatives"), 0);
    json_t *d = json_object_get(in, "deterministic");
    assert_true(json_is_null(json_object_get(in, "break_even_effect_multiplier")));
    assert_true(json_is_null(json_object_get(d, "payback_years")));
    assert_true(json_is_null(json_object_get(d, "discounted_payback_years")));
    json_decref(root);
    assert_contains(f->err, "there is nothing to break even");
    assert_contains(f->err, "there is nothing to pay back");
    char *err = slurp(f->err);
    assert_null(strstr(err, "0.00x"));
    free(err);
}

/* A budget below every upfront cost: `check` warns at the budget (a unit slip, most
 * likely), and the table draws the funding line above the first row; a budget that
 * funds every initiative draws it below the last. */
static void test_cli_budget_funds_nothing(void **state)
{
    fixture *f = *state;
    static const char *const text = "cxroi: 1\n"
                                    "name: Budget\n"
                                    "currency: EUR\n"
                                    "horizon: 3\n"
                                    "discount_rate: 0.0735\n"
                                    "segments:\n"
                                    "  - {id: mass, customers: 1000, revenue_per_customer: 310,"
                                    " margin: 0.35, retention: 0.82}\n"
                                    "initiatives:\n"
                                    "  - id: app\n"
                                    "    costs: {upfront: 2500}\n"
                                    "    effects: {mass: {retention: 0.0135}}\n"
                                    "  - id: web\n"
                                    "    costs: {upfront: 1250}\n"
                                    "    effects: {mass: {revenue: 0.0235}}\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%sportfolio: {budget: %s}\n", text, "1249");
    write_file(f, "budget.yaml", yaml);
    assert_int_equal(RUN(f, "check", "budget.yaml"), 0);
    assert_contains(f->err, "budget.yaml:15:21: warning: portfolio.budget: 1249 is below the "
                            "smallest upfront cost of any initiative (1250, 'web'): nothing "
                            "can be funded; raise the budget, or remove it");
    assert_int_equal(RUN(f, "run", "budget.yaml", "-n", "2000"), 0);
    assert_contains(f->out, "-----\n==== funding line: budget EUR 1,249 ====");
    assert_contains(f->out, "Funded: 0 of 2");
    /* Enough for both: no warning, the line below the last row. */
    snprintf(yaml, sizeof yaml, "%sportfolio: {budget: %s}\n", text, "3750");
    write_file(f, "budget.yaml", yaml);
    assert_int_equal(RUN(f, "run", "budget.yaml", "-n", "2000"), 0);
    char *err = slurp(f->err);
    assert_null(strstr(err, "portfolio.budget"));
    free(err);
    assert_contains(f->out, "yes\n==== funding line: budget EUR 3,750 ====");
    assert_contains(f->out, "Funded: 2 of 2");
}

/* ------------------------------------------------------------------------------------ */
/* Atomic JSON output */

static void test_cli_json_unwritable(void **state)
{
    fixture *f = *state;
    const char *s = example("retail-banking.yaml");
    write_file(f, "plain", "OLD\n");
    /* A path through a regular file (ENOTDIR), a directory, a missing directory. */
    assert_int_equal(RUN(f, "run", s, "--json", "plain/out.json", "-q"), 3);
    assert_contains(f->err, "cannot write 'plain/out.json'");
    assert_int_equal(RUN(f, "run", s, "--json", ".", "-q"), 3);
    assert_int_equal(RUN(f, "run", s, "--json", "missing/out.json", "-q"), 3);
    char *old = work_file(f, "plain");
    assert_string_equal(old, "OLD\n");
    free(old);
    assert_work_holds(f, "plain");

    /* A read-only directory: only meaningful when permissions apply to us (not root). */
    if (geteuid() != 0) {
        char ro[256];
        snprintf(ro, sizeof ro, "%s/ro", f->work);
        assert_int_equal(mkdir(ro, 0755), 0);
        write_file(f, "ro/out.json", "OLD\n");
        assert_int_equal(chmod(ro, 0555), 0);
        assert_int_equal(RUN(f, "run", s, "--json", "ro/out.json", "-q"), 3);
        assert_contains(f->err, "cannot create a temporary file in ro: ");
        old = work_file(f, "ro/out.json");
        assert_string_equal(old, "OLD\n");
        free(old);
        assert_int_equal(chmod(ro, 0755), 0);
    }
}

/* A file that exists where no temporary file can be created beside it (/proc): the
 * message is about the temporary file, not "No such file or directory" about a file that
 * is there. */
static void test_cli_json_no_temporary_file(void **state)
{
    fixture *f = *state;
    if (access("/proc/version", R_OK) != 0)
        skip();
    assert_int_equal(RUN(f, "run", example("retail-banking.yaml"), "--json", "/proc/version", "-q"),
                     3);
    assert_contains(f->err, "cannot write '/proc/version': cannot create a temporary file in "
                            "/proc: ");
}

static void test_cli_json_file_size_limit(void **state)
{
    fixture *f = *state;
    write_file(f, "out.json", "OLD\n");
    /* 2 KiB: less than the JSON of the bundled example (about 10 KiB), more than the
     * captured stderr needs. */
    how h = {.fsize_limit = 2048};
    assert_int_equal(RUN_HOW(f, &h, "run", example("retail-banking.yaml"), "--json",
                             "out.json", "-q"),
                     3);
    assert_contains(f->err, "out.json");
    assert_contains(f->err, strerror(EFBIG));
    char *old = work_file(f, "out.json");
    assert_string_equal(old, "OLD\n"); /* untouched */
    free(old);
    assert_work_holds(f, "out.json"); /* the temporary file was removed */

    /* Without the limit the same run replaces it. */
    assert_int_equal(RUN(f, "run", example("retail-banking.yaml"), "--json", "out.json", "-q"),
                     0);
    char *fresh = work_file(f, "out.json");
    assert_non_null(strstr(fresh, "\"initiatives\""));
    free(fresh);
    assert_work_holds(f, "out.json");
}

static void test_cli_json_not_regular_file(void **state)
{
    fixture *f = *state;
    /* /dev/null is a character device: written straight through, never renamed over. */
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    assert_int_equal(RUN(f, "run", example("retail-banking.yaml"), "--json", "/dev/null", "-q"),
                     0);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode));
    assert_int_equal(before.st_ino, after.st_ino);
    assert_work_holds(f, "");
}

/* ------------------------------------------------------------------------------------ */
/* Nothing lost: signals, read-only directories, full disks, memory */

/* AddressSanitizer reserves terabytes of address space at start-up: under it no program
 * runs with an RLIMIT_AS a test can afford. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Put @p size bytes that no run could produce into f->work/@p name, and return them. */
static char *plant(const fixture *f, const char *name, size_t size)
{
    char *bytes = malloc(size + 1);
    assert_non_null(bytes);
    for (size_t i = 0; i < size; i++)
        bytes[i] = (char)('A' + (i * 7919u) % 26);
    bytes[size] = '\0';
    write_file(f, name, bytes);
    return bytes;
}

static void assert_unchanged(const fixture *f, const char *name, const char *bytes)
{
    char *now = work_file(f, name);
    assert_non_null(now);
    assert_string_equal(now, bytes);
    free(now);
}

/* Does f->work hold a hidden temporary file of the atomic writer (".NAME.XXXXXX")? */
static bool has_temporary(const fixture *f, const char *name)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, ".%s.", name);
    DIR *d = opendir(f->work);
    assert_non_null(d);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        found |= strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return found;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Wait for @p pid; it must have died of @p sig (not exited: the run was meant to be
 * interrupted long before its end). */
static void assert_killed_by(pid_t pid, int sig)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    if (!WIFSIGNALED(status))
        fail_msg("the run was not interrupted: it %s %d",
                 WIFEXITED(status) ? "exited with" : "stopped by",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WSTOPSIG(status));
    assert_int_equal(WTERMSIG(status), sig);
}

/* SIGINT during a long simulation (20 million iterations, minutes of work): the run dies
 * of the signal, the report and JSON of an earlier run are byte for byte what they were,
 * and nothing else appears. */
static void test_cli_signal_while_simulating(void **state)
{
    fixture *f = *state;
    char *report = plant(f, "report.xlsx", 3000), *json = plant(f, "out.json", 1000);
    pid_t pid =
        spawn_how(f, NULL,
                  (const char *const[]){"run", example("retail-banking.yaml"), "-n", "20000000",
                                        "-o", "report.xlsx", "--json", "out.json", "-q", NULL});
    sleep_ms(1500); /* loading takes milliseconds; the simulation is under way */
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_killed_by(pid, SIGINT);
    assert_unchanged(f, "report.xlsx", report);
    assert_unchanged(f, "out.json", json);
    assert_work_holds(f, "out.json");
    assert_false(has_temporary(f, "report.xlsx"));
    free(report);
    free(json);
}

/* SIGTERM while the Excel report is being written: a Samples sheet of 300,000 rows takes
 * seconds to write, and the writer's temporary file exists from its first byte to the
 * rename, so the signal is sent once it appears. The handler removes it, the old report
 * stays. */
static void test_cli_signal_while_writing(void **state)
{
    fixture *f = *state;
    char *report = plant(f, "report.xlsx", 3000);
    pid_t pid =
        spawn_how(f, NULL,
                  (const char *const[]){"run", example("retail-banking.yaml"), "-n", "300000",
                                        "--samples", "-o", "report.xlsx", "-q", NULL});
    /* Up to 10 minutes for the simulation (sanitizer builds are slow); the temporary
     * file appears at the start of the write. */
    bool writing = false;
    for (int i = 0; i < 60000 && !writing; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("the run ended before it wrote the report (status %d)", status);
        writing = has_temporary(f, "report.xlsx");
        if (!writing)
            sleep_ms(10);
    }
    assert_true(writing);
    sleep_ms(200); /* well inside the write */
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_killed_by(pid, SIGTERM);
    assert_unchanged(f, "report.xlsx", report);
    assert_false(has_temporary(f, "report.xlsx"));
    assert_work_holds(f, "");
    free(report);
}

/* A directory the program may not write to: exit 3 with the reason, the old outputs
 * intact, no debris. Root ignores permissions, so as root the program runs as the
 * unprivileged user `nobody`; without one the test is skipped. */
static void test_cli_read_only_directory(void **state)
{
    fixture *f = *state;
    how h = {0};
    char ro[256];
    snprintf(ro, sizeof ro, "%s/ro", f->work);
    assert_int_equal(mkdir(ro, 0755), 0);
    char *json = plant(f, "ro/out.json", 500), *report = plant(f, "ro/report.xlsx", 700);
    if (geteuid() == 0) {
        h.user = getpwnam("nobody");
        if (!h.user) {
            print_message("no user 'nobody' to drop root privileges to: skipped\n");
            skip();
        }
        /* nobody may pass through the fixture's directories (mkdtemp makes them 0700)
         * but write nowhere in them. */
        assert_int_equal(chmod(f->root, 0755), 0);
        assert_int_equal(chmod(f->work, 0755), 0);
    } else {
        assert_int_equal(chmod(ro, 0555), 0);
    }
    const char *s = example("retail-banking.yaml");
    assert_int_equal(
        RUN_HOW(f, &h, "run", s, "--json", "ro/out.json", "-o", "ro/report.xlsx", "-q"), 3);
    assert_contains(f->err, "cannot write 'ro/out.json': cannot create a temporary file in ro: ");
    assert_contains(f->err, strerror(EACCES));
    /* The report alone. */
    assert_int_equal(RUN_HOW(f, &h, "run", s, "-o", "ro/report.xlsx", "-q"), 3);
    assert_contains(f->err, "cannot write the Excel report 'ro/report.xlsx': cannot create a "
                            "temporary file in ro: ");
    assert_unchanged(f, "ro/out.json", json);
    assert_unchanged(f, "ro/report.xlsx", report);
    DIR *d = opendir(ro);
    assert_non_null(d);
    size_t entries = 0;
    while (readdir(d))
        entries++;
    closedir(d);
    assert_int_equal(entries, 4); /* ".", "..", out.json, report.xlsx */
    assert_int_equal(chmod(ro, 0755), 0);
    free(json);
    free(report);
}

/* A full disk for the Excel report: 16 KiB of file size (`ulimit -f 16`), where the
 * example's workbook is about 100 KB; SIGXFSZ left at its default action (kill), which
 * the program itself ignores so that the write fails with EFBIG: exit 3, the reason, the
 * old report intact, no temporary file. */
static void test_cli_xlsx_file_size_limit(void **state)
{
    fixture *f = *state;
    char *report = plant(f, "report.xlsx", 1500);
    how h = {.fsize_limit = 16 * 1024, .sigxfsz_default = true};
    assert_int_equal(
        RUN_HOW(f, &h, "run", example("retail-banking.yaml"), "-o", "report.xlsx", "-q"), 3);
    assert_contains(f->err, "cannot write the Excel report 'report.xlsx': ");
    assert_contains(f->err, strerror(EFBIG));
    assert_unchanged(f, "report.xlsx", report);
    assert_false(has_temporary(f, "report.xlsx"));
    assert_work_holds(f, "");

    /* JSON too, with SIGXFSZ at its default action (test_cli_json_file_size_limit has it
     * ignored by the parent): 2 KiB, the example's JSON being about 30 KB. */
    char *json = plant(f, "out.json", 700);
    h.fsize_limit = 2048;
    assert_int_equal(RUN_HOW(f, &h, "run", example("retail-banking.yaml"), "--json", "out.json",
                             "-o", "report.xlsx", "-q"),
                     3);
    assert_contains(f->err, "cannot write 'out.json': ");
    assert_contains(f->err, strerror(EFBIG));
    assert_unchanged(f, "out.json", json);
    assert_unchanged(f, "report.xlsx", report);
    assert_work_holds(f, "out.json");
    assert_false(has_temporary(f, "report.xlsx"));
    free(report);
    free(json);
}

/* More iterations than the memory at hand: refused before the simulation starts, exit 1
 * (a model error: the scenario asks for what cannot be done), with how much is needed,
 * how much there is and how many iterations would fit. An address-space limit of 1 GiB
 * against the example's 20 million iterations, which need about 2.6 GB (2 x 6 initiatives
 * x 2e7 x 8 bytes stored plus the statistics' copies); the default 20,000 iterations
 * still run under it. */
static void test_cli_memory_limit(void **state)
{
    fixture *f = *state;
    if (UNDER_ASAN) {
        print_message("AddressSanitizer cannot run under an address-space limit: skipped\n");
        skip();
    }
    how h = {.as_limit = (rlim_t)1 << 30};
    assert_int_equal(RUN_HOW(f, &h, "run", example("retail-banking.yaml"), "-n", "20000000",
                             "--json", "out.json", "-o", "report.xlsx", "-q"),
                     1);
    assert_contains(f->err, "the simulation of 20000000 iterations needs about 2.");
    assert_contains(f->err, "the address-space limit (ulimit -v) leaves");
    assert_contains(f->err, "lower the iterations (-n or simulation.iterations) to ");
    assert_work_holds(f, "");
    assert_int_equal(RUN_HOW(f, &h, "run", example("retail-banking.yaml"), "--json", "out.json",
                             "-o", "report.xlsx", "-q"),
                     0);
}

/* Physical memory: 1000 initiatives (the loader's cap) of 1e8 iterations (the cap of -n)
 * need 1000 x 2 x 1e8 x 8 bytes = 1.6 TB, more than any machine this runs on; refused at
 * once, whatever the sanitizers. */
static void test_cli_memory_physical(void **state)
{
    fixture *f = *state;
    size_t cap = 1 << 16;
    char *text = malloc(cap * 16);
    assert_non_null(text);
    int n = snprintf(text, cap * 16,
                     "cxroi: 1\nname: Many\ncurrency: EUR\nhorizon: 3\ndiscount_rate: 0.0735\n"
                     "segments:\n  - {id: s, customers: 10, revenue_per_customer: 5,"
                     " margin: 0.3, retention: 0.8}\ninitiatives:\n");
    for (int i = 0; i < 1000; i++)
        n += snprintf(text + n, cap * 16 - (size_t)n,
                      "  - {id: i%d, costs: {upfront: {dist: uniform, min: 1, max: 2}},"
                      " effects: {s: {retention: 0.01}}}\n",
                      i);
    write_file(f, "many.yaml", text);
    free(text);
    assert_int_equal(RUN(f, "run", "many.yaml", "-n", "100000000", "-q"), 1);
    assert_contains(f->err, "the simulation of 100000000 iterations needs about 1");
    assert_contains(f->err, " TB");
    assert_work_holds(f, "many.yaml");
}

/* ------------------------------------------------------------------------------------ */
/* init */

static void test_cli_init(void **state)
{
    fixture *f = *state;
    assert_int_equal(RUN(f, "init"), 0);
    assert_contains(f->out, "scenario.yaml");
    assert_int_equal(RUN(f, "check", "scenario.yaml"), 0);
    assert_int_equal(RUN(f, "run", "scenario.yaml", "-q"), 0);

    /* Refuses to overwrite: exit 3, the file unchanged. */
    write_file(f, "mine.yaml", "my own work\n");
    assert_int_equal(RUN(f, "init", "mine.yaml"), 3);
    assert_contains(f->err, "already exists");
    char *mine = work_file(f, "mine.yaml");
    assert_string_equal(mine, "my own work\n");
    free(mine);
    assert_int_equal(RUN(f, "init"), 3);
    /* A directory is named as one. */
    char dir[256];
    snprintf(dir, sizeof dir, "%s/jd", f->work);
    assert_int_equal(mkdir(dir, 0777), 0);
    assert_int_equal(RUN(f, "init", "jd"), 3);
    assert_contains(f->err, "'jd' is a directory");
    assert_work_holds(f, "jd mine.yaml scenario.yaml");
    /* The hint repeats the program as it was invoked. */
    assert_int_equal(RUN(f, "init", "jd/s.yaml"), 0);
    assert_contains(f->out, "`" CXROI_EXE " check jd/s.yaml`");
}

static void test_cli_init_models(void **state)
{
    fixture *f = *state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", CXROI_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t tried = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0 ||
            strcmp(e->d_name, "starter.yaml") == 0)
            continue;
        char name[256], file[300];
        snprintf(name, sizeof name, "%.*s", (int)(n - 5), e->d_name);
        snprintf(file, sizeof file, "from-%s.yaml", name);
        assert_int_equal(RUN(f, "init", "--model", name, file), 0);
        int status = RUN(f, "check", file);
        if (status != 0) {
            char *err = slurp(f->err);
            fail_msg("init --model %s gives a scenario check rejects:\n%s", name, err);
        }
        tried++;
    }
    closedir(d);
    assert_true(tried >= 1);

    assert_int_equal(RUN(f, "init", "--model", "no-such-model", "x.yaml"), 2);
    assert_contains(f->err, "unknown model 'no-such-model'");
    assert_contains(f->err, "available models:");
    assert_int_equal(RUN(f, "init", "--model", "../examples/telecom", "y.yaml"), 2);
    char *listing = slurp(f->err);
    assert_null(strstr(listing, "starter")); /* the template is not a model */
    free(listing);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_cli_no_arguments),
        T(test_cli_unknown_command),
        T(test_cli_bad_options),
        T(test_cli_help_and_version),
        T(test_cli_bundled_short_options),
        T(test_cli_simulation_options),
        T(test_cli_version_help_arguments),
        T(test_cli_json_never_overwrites_scenario),
        T(test_cli_default_scenario_relative_path),
        T(test_cli_infinite_customer_equity),
        T(test_cli_infinite_customer_equity_in_some_draws),
        T(test_cli_nothing_to_recover),
        T(test_cli_budget_funds_nothing),
        T(test_cli_json_no_temporary_file),
        T(test_cli_fit_survival),
        T(test_cli_missing_file),
        T(test_cli_invalid_scenario),
        T(test_cli_check_examples),
        T(test_cli_json_reference_r1),
        T(test_cli_json_reference_r2),
        T(test_cli_json_retention_curve),
        T(test_cli_json_null_irr),
        T(test_cli_json_portfolio),
        T(test_cli_clamp_warning),
        T(test_cli_run_summary_and_overrides),
        T(test_cli_excel_report),
        T(test_cli_stdout_write_error),
        T(test_cli_json_unwritable),
        T(test_cli_json_file_size_limit),
        T(test_cli_json_not_regular_file),
        T(test_cli_signal_while_simulating),
        T(test_cli_signal_while_writing),
        T(test_cli_read_only_directory),
        T(test_cli_xlsx_file_size_limit),
        T(test_cli_memory_limit),
        T(test_cli_memory_physical),
        T(test_cli_init),
        T(test_cli_init_models),
    };
#undef T
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
