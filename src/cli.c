/* The `cxroi` command line (SPEC.md "Command line"): parse, dispatch, map every failure
 * to its exit status. The work itself is the library's. */
/* realpath() is an X/Open function, not in the POSIX base the build selects. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "cli_internal.h"
#include "path_internal.h"
#include "suggest_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cxroi.h"
#include "cxroi/report_xlsx.h"

#include <jansson.h>

#ifndef CXROI_VERSION_STRING
#define CXROI_VERSION_STRING "0.0.0-dev"
#endif

/* Scenario and template files are small; anything larger is not one of ours. */
#define TEMPLATE_MAX_BYTES (4u << 20)

/* Limit of --threads: beyond it a typo is likelier than intent. (-n and --seed take
 * the loader's limits, CXROI_MAX_ITERATIONS and CXROI_MAX_SEED.) */
#define MAX_THREADS 4096ull

static const char USAGE[] =
    "Usage: cxroi COMMAND [OPTIONS]\n"
    "\n"
    "Turn customer-experience initiatives into CFO-grade business cases: a YAML scenario\n"
    "-> customer-lifetime-value model -> NPV, IRR, ROI, payback and break-even.\n"
    "\n"
    "Commands:\n"
    "  run [SCENARIO]          compute the business case, print a summary table and write\n"
    "                          the Excel report; with no SCENARIO, the bundled example\n"
    "                          retail-banking.yaml (report: cxroi-report.xlsx)\n"
    "  check SCENARIO          validate a scenario; every error is printed\n"
    "  init [FILE]             write a commented starter scenario (default scenario.yaml)\n"
    "  fit --survival N0,N1,...  fit sBG retention (alpha, beta) to a cohort's survival\n"
    "  help                    show this help\n"
    "\n"
    "Options of run:\n"
    "  --json FILE|-           write the results as JSON to FILE (- : standard output,\n"
    "                          the summary then goes to standard error)\n"
    "  -o, --output FILE.xlsx  the Excel report (default: the scenario's name with .xlsx,\n"
    "                          in the current directory)\n"
    "  --samples               add a sheet with every iteration's NPVs to the report\n"
    "  -n, --iterations N      Monte Carlo iterations (overrides the scenario)\n"
    "  --seed N                random seed (overrides the scenario)\n"
    "  --threads N             worker threads, 0 for all cores\n"
    "  --sampling KIND         monte_carlo or latin_hypercube\n"
    "  -q, --quiet             no summary table and no progress bar\n"
    "\n"
    "Options of init:\n"
    "  --model NAME            start from the segments of models/NAME.yaml\n"
    "\n"
    "  -h, --help              show this help\n"
    "  --version               show the version\n"
    "\n"
    "Errors are printed as FILE:LINE:COLUMN: error: MESSAGE.\n"
    "Exit status: 0 success, 1 invalid scenario or model error, 2 usage error,\n"
    "3 input/output error.\n";

/* ------------------------------------------------------------------------------------ */
/* Messages */

static void usage_error(const char *command, const char *hint, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "cxroi COMMAND: MESSAGE (did you mean 'HINT'?)" and where to look. */
static void usage_error(const char *command, const char *hint, const char *fmt, ...)
{
    fprintf(stderr, "cxroi%s%s: ", command ? " " : "", command ? command : "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (hint)
        fprintf(stderr, " (did you mean '%s'?)", hint);
    fputs("\nsee 'cxroi --help'\n", stderr);
}

/* ------------------------------------------------------------------------------------ */
/* Option parsing: long options as --name VALUE or --name=VALUE, short ones as -n VALUE
 * or -nVALUE, flags bundled as in getopt (-qn 5 is -q -n 5), positional arguments
 * anywhere, "--" ends the options. */

typedef struct option_spec {
    const char *long_name; /* without "--" */
    char short_name;       /* 0: none */
    bool has_value;
} option_spec;

typedef struct arg_cursor {
    int argc;
    char **argv;
    int next;
    bool options_done;
    const char *cluster; /* the argument of a bundle of short options being read */
    const char *bundle;  /* its next option letter, NULL when none is left */
} arg_cursor;

enum { ARG_END, ARG_POSITIONAL, ARG_OPTION, ARG_ERROR };

/* The short option at @p p, a letter inside the argument c->cluster. A flag followed by
 * more letters leaves them in c->bundle for the next call; an option with a value takes
 * the rest of the argument, or else the next argument. */
static int short_option(arg_cursor *c, const char *command, const option_spec *specs,
                        size_t n_specs, const char *p, size_t *index, const char **value)
{
    c->bundle = NULL;
    size_t found = n_specs;
    for (size_t i = 0; i < n_specs; i++)
        if (specs[i].short_name && specs[i].short_name == *p)
            found = i;
    if (found == n_specs) {
        if (p == c->cluster + 1) {
            /* "-json" for "--json" is a common slip: point at the long option. */
            const char *guess = NULL;
            for (size_t i = 0; i < n_specs && !guess; i++)
                if (strcmp(specs[i].long_name, c->cluster + 1) == 0)
                    guess = specs[i].long_name;
            char hint[48];
            if (guess)
                snprintf(hint, sizeof hint, "--%s", guess);
            usage_error(command, guess ? hint : NULL, "unknown option '%s'", c->cluster);
        } else {
            usage_error(command, NULL, "unknown option '-%c' in '%s'", *p, c->cluster);
        }
        return ARG_ERROR;
    }
    *index = found;
    if (!specs[found].has_value) {
        if (p[1] != '\0')
            c->bundle = p + 1;
        return ARG_OPTION;
    }
    if (p[1] != '\0') {
        *value = p + 1;
    } else if (c->next < c->argc) {
        *value = c->argv[c->next++];
    } else {
        usage_error(command, NULL, "option '-%c' needs a value", *p);
        return ARG_ERROR;
    }
    return ARG_OPTION;
}

/* Next argument: a positional (value set), an option (index and value set) or an error
 * (already printed). */
static int next_arg(arg_cursor *c, const char *command, const option_spec *specs,
                    size_t n_specs, size_t *index, const char **value)
{
    *value = NULL;
    if (c->bundle)
        return short_option(c, command, specs, n_specs, c->bundle, index, value);
    if (c->next >= c->argc)
        return ARG_END;
    const char *a = c->argv[c->next++];
    if (c->options_done || a[0] != '-' || strcmp(a, "-") == 0) {
        *value = a;
        return ARG_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
        c->options_done = true;
        return next_arg(c, command, specs, n_specs, index, value);
    }
    if (a[1] != '-') {
        c->cluster = a;
        return short_option(c, command, specs, n_specs, a + 1, index, value);
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    size_t found = n_specs;
    for (size_t i = 0; i < n_specs; i++)
        if (strlen(specs[i].long_name) == len && strncmp(specs[i].long_name, name, len) == 0)
            found = i;
    if (found == n_specs) {
        const char *names[16];
        char buf[40];
        size_t n = 0;
        for (size_t i = 0; i < n_specs && n < 16; i++)
            names[n++] = specs[i].long_name;
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 32 ? len : 32), name);
        const char *guess = cxroi_suggest(buf, names, n);
        char hint[48];
        if (guess)
            snprintf(hint, sizeof hint, "--%s", guess);
        usage_error(command, guess ? hint : NULL, "unknown option '%s'", a);
        return ARG_ERROR;
    }
    *index = found;
    if (!specs[found].has_value) {
        if (eq) {
            usage_error(command, NULL, "option '--%s' takes no value", specs[found].long_name);
            return ARG_ERROR;
        }
        return ARG_OPTION;
    }
    if (eq) {
        *value = eq + 1;
    } else if (c->next < c->argc) {
        *value = c->argv[c->next++];
    } else {
        usage_error(command, NULL, "option '%s' needs a value", a);
        return ARG_ERROR;
    }
    return ARG_OPTION;
}

/* A whole number in [min, max], digits only (no sign, no spaces, no exponent). */
static bool parse_count(const char *command, const char *option, const char *s, uint64_t min,
                        uint64_t max, uint64_t *out)
{
    bool ok = *s != '\0';
    for (const char *p = s; *p; p++)
        ok = ok && *p >= '0' && *p <= '9';
    unsigned long long v = 0;
    if (ok) {
        errno = 0;
        v = strtoull(s, NULL, 10);
        ok = errno == 0 && v >= min && v <= max;
    }
    if (!ok) {
        fprintf(stderr,
                "cxroi %s: %s expects a whole number from %llu to %llu, got '%s'\n"
                "see 'cxroi --help'\n",
                command, option, (unsigned long long)min, (unsigned long long)max, s);
        return false;
    }
    *out = v;
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Files */

static const char *data_dir(void)
{
    const char *env = getenv("CXROI_DATA_DIR");
    if (env && *env)
        return env;
#ifdef CXROI_DATA_DIR
    return CXROI_DATA_DIR;
#else
    return ".";
#endif
}

/* dir + "/" + a + b, or NULL when out of memory. */
static char *path_join(const char *dir, const char *a, const char *b)
{
    size_t n = strlen(dir) + strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, a, b);
    return p;
}

/* The whole of a small file, NUL-terminated; NULL with errno set on failure. */
static char *read_text(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= TEMPLATE_MAX_BYTES) {
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    int e = errno;
    fclose(f);
    if (!buf) {
        errno = e ? e : EIO;
        return NULL;
    }
    buf[n] = '\0';
    *length = n;
    return buf;
}

/* Flush standard output; on failure say so (a full disk, a closed pipe) and return the
 * I/O exit status. */
static int flush_stdout(const char *command)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return CXROI_EXIT_OK;
    fprintf(stderr, "cxroi%s%s: cannot write to standard output: %s\n", command ? " " : "",
            command ? command : "", strerror(errno ? errno : EIO));
    return CXROI_EXIT_IO;
}

/* Why cxroi_atomic_open(@p path) failed, printed after "cannot write 'PATH': ". A
 * regular or missing target in an existing directory fails only when the temporary file
 * beside it cannot be created (/proc, a read-only directory): saying "No such file or
 * directory" about a file that exists would send the user looking in the wrong place. */
static void explain_open_failure(FILE *err_out, const char *path, int e)
{
    struct stat st;
    bool target_ok = lstat(path, &st) == 0 ? S_ISREG(st.st_mode) : errno == ENOENT;
    char *dir = cxroi_path_dir(path);
    struct stat ds;
    if (target_ok && dir && stat(dir, &ds) == 0 && S_ISDIR(ds.st_mode)) {
        if (strcmp(dir, ".") == 0)
            fprintf(err_out, "cannot create a temporary file in the current directory: %s\n",
                    strerror(e));
        else
            fprintf(err_out, "cannot create a temporary file in %s: %s\n", dir, strerror(e));
    } else {
        fprintf(err_out, "%s\n", strerror(e));
    }
    free(dir);
}

/* Write through @p fn to @p path atomically; "-" is standard output. */
typedef cxroi_error (*write_fn)(const void *ctx, FILE *out);

static int write_output(const char *command, const char *path, int flags, write_fn fn,
                        const void *ctx)
{
    if (strcmp(path, "-") == 0) {
        errno = 0;
        cxroi_error err = fn(ctx, stdout);
        if (err == CXROI_OK && fflush(stdout) != 0)
            err = CXROI_ERROR_IO;
        if (err != CXROI_OK) {
            fprintf(stderr, "cxroi %s: cannot write to standard output: %s\n", command,
                    err == CXROI_ERROR_IO ? strerror(errno ? errno : EIO)
                                          : cxroi_strerror(err));
            return CXROI_EXIT_IO;
        }
        return CXROI_EXIT_OK;
    }
    cxroi_atomic_file *f = NULL;
    cxroi_error err = cxroi_atomic_open(path, flags, &f);
    bool opened = err == CXROI_OK;
    if (opened) {
        FILE *out = cxroi_atomic_stream(f);
        err = out ? fn(ctx, out) : CXROI_ERROR_NOMEM;
        if (err != CXROI_OK)
            cxroi_atomic_abort(f);
        else
            err = cxroi_atomic_commit(f);
    }
    if (err == CXROI_OK)
        return CXROI_EXIT_OK;
    int e = errno ? errno : EIO;
    if (e == EEXIST && (flags & CXROI_ATOMIC_NO_REPLACE)) {
        fprintf(stderr, "cxroi %s: '%s' already exists; not overwriting it (remove it or "
                        "name another file)\n",
                command, path);
    } else if (err != CXROI_ERROR_IO) {
        fprintf(stderr, "cxroi %s: cannot write '%s': %s\n", command, path, cxroi_strerror(err));
    } else {
        fprintf(stderr, "cxroi %s: cannot write '%s': ", command, path);
        if (opened)
            fprintf(stderr, "%s\n", strerror(e));
        else
            explain_open_failure(stderr, path, e);
    }
    return CXROI_EXIT_IO;
}

/* ------------------------------------------------------------------------------------ */
/* Loading */

/* Load @p path; on failure print the diagnostics and return the exit status. */
static int load_scenario(const char *path, cxroi_diag *diag, cxroi_scenario **out)
{
    cxroi_error err = cxroi_scenario_load(path, diag, out);
    if (err == CXROI_OK)
        return CXROI_EXIT_OK;
    cxroi_diag_sort(diag);
    cxroi_diag_print(diag, stderr);
    if (cxroi_diag_count(diag) == 0)
        fprintf(stderr, "%s: error: %s\n", path, cxroi_strerror(err));
    if (err == CXROI_ERROR_IO)
        return CXROI_EXIT_IO;
    size_t n = cxroi_diag_error_count(diag);
    if (n > 1)
        fprintf(stderr, "%zu errors in %s\n", n, path);
    return CXROI_EXIT_INVALID;
}

static int analyse(const cxroi_scenario *scenario, const cxroi_analysis_options *options,
                   cxroi_diag *diag, cxroi_analysis **out)
{
    cxroi_error err = cxroi_analysis_run(scenario, options, diag, out);
    if (err == CXROI_OK)
        return CXROI_EXIT_OK;
    cxroi_diag_print(diag, stderr);
    if (cxroi_diag_error_count(diag) == 0)
        fprintf(stderr, "%s: error: %s\n", scenario->file, cxroi_strerror(err));
    return CXROI_EXIT_INVALID;
}

/* ------------------------------------------------------------------------------------ */
/* Progress bar */

/* A progress bar with ETA on standard error, drawn only when it is a terminal and the
 * run has taken over a second (short runs stay silent). */
typedef struct progress_bar {
    struct timespec start;
    bool drawn;
} progress_bar;

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + 1e-9 * (double)(now.tv_nsec - t0->tv_nsec);
}

static void progress_draw(void *context, size_t done, size_t total)
{
    progress_bar *bar = context;
    double elapsed = seconds_since(&bar->start);
    if (elapsed < 1.0 || total == 0)
        return;
    double frac = (double)done / (double)total;
    int filled = (int)(frac * 30.0);
    char cells[31];
    for (int i = 0; i < 30; i++)
        cells[i] = i < filled ? '#' : '.';
    cells[30] = '\0';
    char eta[32] = "";
    if (done > 0 && done < total)
        snprintf(eta, sizeof eta, ", about %.0f s left", elapsed * (1.0 - frac) / frac);
    fprintf(stderr, "\r  simulating [%s] %3.0f %% of %zu iterations%s   ", cells, 100.0 * frac,
            total, eta);
    fflush(stderr);
    bar->drawn = true;
}

static void progress_end(progress_bar *bar)
{
    if (bar->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* ------------------------------------------------------------------------------------ */
/* run */

typedef struct json_ctx {
    const cxroi_analysis *analysis;
    const cxroi_diag *diag;
} json_ctx;

static cxroi_error write_json(const void *ctx, FILE *out)
{
    const json_ctx *j = ctx;
    return cxroi_report_json_write(j->analysis, j->diag, out);
}

/* @p path relative to the current directory when it lies inside it ("examples/x.yaml"
 * rather than "/home/me/cxroi/examples/x.yaml"), else @p path itself; NULL when out of
 * memory. getcwd() gives the physical directory, so the path is tried resolved by
 * realpath() first, then as written (a data directory reached through a symbolic link). */
static char *relative_to_cwd(const char *path)
{
    char *full = realpath(path, NULL);
    char *cwd = getcwd(NULL, 0);
    const char *rel = path;
    if (cwd) {
        size_t n = strcmp(cwd, "/") == 0 ? 0 : strlen(cwd);
        const char *tries[2] = {full, path};
        for (int i = 0; i < 2 && rel == path; i++)
            if (tries[i] && strncmp(tries[i], cwd, n) == 0 && tries[i][n] == '/' &&
                tries[i][n + 1] != '\0')
                rel = tries[i] + n + 1;
    }
    char *out = strdup(rel);
    free(full);
    free(cwd);
    return out;
}

/* Would writing @p target (the argument of @p option) destroy a file the scenario was read
 * from? Compared by device and inode, so "./s.yaml", "dir/../s.yaml", hard and symbolic
 * links are all caught; a target that does not exist cannot be one. Prints the refusal. */
static bool overwrites_input(const cxroi_scenario *s, const char *option, const char *target)
{
    struct stat t, f;
    if (!target || strcmp(target, "-") == 0 || stat(target, &t) != 0)
        return false;
    for (size_t i = 0; i < s->n_files; i++) {
        if (stat(s->files[i], &f) != 0 || f.st_dev != t.st_dev || f.st_ino != t.st_ino)
            continue;
        if (i == 0)
            usage_error("run", NULL,
                        "%s '%s' is the scenario file itself; writing there would destroy "
                        "it (name another file)",
                        option, target);
        else
            usage_error("run", NULL,
                        "%s '%s' is '%s', which the scenario includes; writing there would "
                        "destroy it (name another file)",
                        option, target, s->files[i]);
        return true;
    }
    return false;
}

/* The report's name when -o is not given (SPEC "Command line"): cxroi-report.xlsx for the
 * bundled example, else the scenario's file name without .yaml (or .yml), with .xlsx, in
 * the current directory. NULL when out of memory. */
static char *default_report_path(const char *scenario_path)
{
    if (!scenario_path)
        return strdup("cxroi-report.xlsx");
    const char *slash = strrchr(scenario_path, '/');
    const char *base = slash ? slash + 1 : scenario_path;
    size_t n = strlen(base);
    static const char *const exts[] = {".yaml", ".yml", ".YAML", ".YML"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(base + n - e, exts[i]) == 0) {
            n -= e;
            break;
        }
    }
    if (n == 0)
        return strdup("cxroi-report.xlsx");
    char *out = malloc(n + sizeof ".xlsx");
    if (out) {
        memcpy(out, base, n);
        memcpy(out + n, ".xlsx", sizeof ".xlsx");
    }
    return out;
}

/* Write the Excel report atomically: a failure leaves any existing report untouched and
 * exits 3 with the reason. */
static int write_report(const cxroi_analysis *analysis, const cxroi_diag *diag,
                        const char *path, const cxroi_xlsx_options *options, bool quiet)
{
    errno = 0;
    cxroi_error err = cxroi_report_xlsx_save(analysis, diag, path, options);
    if (err == CXROI_OK) {
        if (!quiet && isatty(STDERR_FILENO))
            fprintf(stderr, "cxroi run: Excel report written to '%s'\n", path);
        return CXROI_EXIT_OK;
    }
    int e = errno ? errno : EIO;
    fprintf(stderr, "cxroi run: cannot write the Excel report '%s': ", path);
    if (err == CXROI_ERROR_IO && (e == EACCES || e == EPERM || e == EROFS))
        explain_open_failure(stderr, path, e);
    else if (err == CXROI_ERROR_IO)
        fprintf(stderr, "%s\n", strerror(e));
    else
        fprintf(stderr, "%s\n", cxroi_strerror(err));
    return CXROI_EXIT_IO;
}

static int cmd_run(int argc, char **argv)
{
    static const option_spec specs[] = {
        {"json", 0, true},       {"output", 'o', true},   {"iterations", 'n', true},
        {"seed", 0, true},       {"threads", 0, true},    {"sampling", 0, true},
        {"quiet", 'q', false},   {"help", 'h', false},    {"samples", 0, false},
    };
    enum { O_JSON, O_OUTPUT, O_ITERATIONS, O_SEED, O_THREADS, O_SAMPLING, O_QUIET, O_HELP,
           O_SAMPLES };
    arg_cursor c = {argc, argv, 0, false, NULL, NULL};
    cxroi_analysis_options options = {0};
    const char *scenario_path = NULL, *json_path = NULL, *report_path = NULL;
    bool quiet = false;
    cxroi_xlsx_options xlsx_options = {0};
    size_t index;
    const char *value;
    int kind;
    while ((kind = next_arg(&c, "run", specs, sizeof specs / sizeof specs[0], &index, &value)) !=
           ARG_END) {
        if (kind == ARG_ERROR)
            return CXROI_EXIT_USAGE;
        if (kind == ARG_POSITIONAL) {
            if (scenario_path) {
                usage_error("run", NULL, "unexpected argument '%s': run takes one SCENARIO",
                            value);
                return CXROI_EXIT_USAGE;
            }
            scenario_path = value;
            continue;
        }
        uint64_t v;
        switch (index) {
        case O_JSON:
            json_path = value;
            break;
        case O_OUTPUT:
            report_path = value;
            break;
        case O_ITERATIONS:
            if (!parse_count("run", "-n/--iterations", value, 1, CXROI_MAX_ITERATIONS, &v))
                return CXROI_EXIT_USAGE;
            options.iterations = (size_t)v;
            break;
        case O_SEED:
            if (!parse_count("run", "--seed", value, 0, CXROI_MAX_SEED, &v))
                return CXROI_EXIT_USAGE;
            options.has_seed = true;
            options.seed = v;
            break;
        case O_THREADS:
            if (!parse_count("run", "--threads", value, 0, MAX_THREADS, &v))
                return CXROI_EXIT_USAGE;
            options.threads = (unsigned)v;
            break;
        case O_SAMPLING:
            options.has_sampling = true;
            if (!cxroi_sampling_from_name(value, &options.sampling)) {
                const char *const kinds[] = {cxroi_sampling_name(CXROI_SAMPLING_MONTE_CARLO),
                                             cxroi_sampling_name(CXROI_SAMPLING_LATIN_HYPERCUBE)};
                usage_error("run", cxroi_suggest(value, kinds, 2),
                            "--sampling expects monte_carlo or latin_hypercube, got '%s'",
                            value);
                return CXROI_EXIT_USAGE;
            }
            break;
        case O_QUIET:
            quiet = true;
            break;
        case O_SAMPLES:
            xlsx_options.samples = true;
            break;
        default: /* O_HELP */
            fputs(USAGE, stdout);
            return flush_stdout("run");
        }
    }
    if (json_path && *json_path == '\0') {
        usage_error("run", NULL, "--json needs a file name or '-'");
        return CXROI_EXIT_USAGE;
    }
    if (report_path && *report_path == '\0') {
        usage_error("run", NULL, "-o/--output needs a file name");
        return CXROI_EXIT_USAGE;
    }
    if (report_path) {
        /* report.csv gets a workbook all the same: say so, as nothing would open it. */
        const char *base = strrchr(report_path, '/');
        const char *dot = strrchr(base ? base : report_path, '.');
        if (dot && dot[1] != '\0' && strcasecmp(dot, ".xlsx") != 0)
            fprintf(stderr,
                    "cxroi run: warning: -o %s: the report is an Excel workbook whatever its "
                    "name; name it .xlsx so that spreadsheets open it\n",
                    report_path);
    }
    if (scenario_path && *scenario_path == '\0') {
        usage_error("run", NULL, "the scenario file name is empty");
        return CXROI_EXIT_USAGE;
    }

    char *default_path = NULL, *default_report = NULL;
    if (!report_path) {
        default_report = default_report_path(scenario_path);
        if (!default_report) {
            fputs("cxroi run: out of memory\n", stderr);
            return CXROI_EXIT_INVALID;
        }
        report_path = default_report;
    }
    if (!scenario_path) {
        char *bundled = path_join(data_dir(), "examples/retail-banking.yaml", "");
        default_path = bundled ? relative_to_cwd(bundled) : NULL;
        free(bundled);
        if (!default_path) {
            fputs("cxroi run: out of memory\n", stderr);
            return CXROI_EXIT_INVALID;
        }
        scenario_path = default_path;
    }

    int status;
    cxroi_scenario *scenario = NULL;
    cxroi_analysis *analysis = NULL;
    cxroi_diag *diag = cxroi_diag_new();
    if (!diag) {
        fputs("cxroi run: out of memory\n", stderr);
        status = CXROI_EXIT_INVALID;
        goto done;
    }
    status = load_scenario(scenario_path, diag, &scenario);
    if (status != CXROI_EXIT_OK)
        goto done;
    if (overwrites_input(scenario, "--json", json_path) ||
        overwrites_input(scenario, "-o", report_path)) {
        status = CXROI_EXIT_USAGE;
        goto done;
    }
    progress_bar bar = {{0, 0}, false};
    if (!quiet && isatty(STDERR_FILENO)) {
        clock_gettime(CLOCK_MONOTONIC, &bar.start);
        options.progress = progress_draw;
        options.progress_context = &bar;
    }
    status = analyse(scenario, &options, diag, &analysis);
    progress_end(&bar);
    if (status != CXROI_EXIT_OK)
        goto done;
    cxroi_diag_sort(diag);
    cxroi_diag_print(diag, stderr); /* the warnings */

    bool json_on_stdout = json_path && strcmp(json_path, "-") == 0;
    if (json_path) {
        json_ctx ctx = {analysis, diag};
        status = write_output("run", json_path, 0, write_json, &ctx);
        if (status != CXROI_EXIT_OK)
            goto done;
    }
    status = write_report(analysis, diag, report_path, &xlsx_options, quiet);
    if (status != CXROI_EXIT_OK)
        goto done;
    if (!quiet) {
        FILE *out = json_on_stdout ? stderr : stdout;
        cxroi_error err = cxroi_report_text_write(analysis, out);
        if (err != CXROI_OK) {
            fprintf(stderr, "cxroi run: cannot write the summary: %s\n",
                    err == CXROI_ERROR_IO ? strerror(errno ? errno : EIO)
                                          : cxroi_strerror(err));
            status = CXROI_EXIT_IO;
        }
    }

done:
    cxroi_analysis_free(analysis);
    cxroi_scenario_free(scenario);
    cxroi_diag_free(diag);
    free(default_path);
    free(default_report);
    return status;
}

/* ------------------------------------------------------------------------------------ */
/* check */

static int cmd_check(int argc, char **argv)
{
    static const option_spec specs[] = {{"help", 'h', false}};
    arg_cursor c = {argc, argv, 0, false, NULL, NULL};
    const char *path = NULL;
    size_t index;
    const char *value;
    int kind;
    while ((kind = next_arg(&c, "check", specs, 1, &index, &value)) != ARG_END) {
        if (kind == ARG_ERROR)
            return CXROI_EXIT_USAGE;
        if (kind == ARG_OPTION) {
            fputs(USAGE, stdout);
            return flush_stdout("check");
        }
        if (path) {
            usage_error("check", NULL, "unexpected argument '%s': check takes one SCENARIO",
                        value);
            return CXROI_EXIT_USAGE;
        }
        path = value;
    }
    if (!path) {
        usage_error("check", NULL, "missing SCENARIO: cxroi check FILE.yaml");
        return CXROI_EXIT_USAGE;
    }
    if (*path == '\0') {
        usage_error("check", NULL, "the scenario file name is empty");
        return CXROI_EXIT_USAGE;
    }
    cxroi_diag *diag = cxroi_diag_new();
    if (!diag) {
        fputs("cxroi check: out of memory\n", stderr);
        return CXROI_EXIT_INVALID;
    }
    cxroi_scenario *scenario = NULL;
    cxroi_analysis *analysis = NULL;
    /* The model is evaluated too: a scenario that loads but cannot be evaluated would
     * fail `run`, so `check` must not pass it. */
    int status = load_scenario(path, diag, &scenario);
    cxroi_analysis_options deterministic_only = {0};
    deterministic_only.skip_simulation = true;
    if (status == CXROI_EXIT_OK)
        status = analyse(scenario, &deterministic_only, diag, &analysis);
    if (status == CXROI_EXIT_OK) {
        cxroi_diag_sort(diag);
        cxroi_diag_print(diag, stderr);
        size_t uncertain = 0;
        for (size_t i = 0; i < scenario->n_params; i++)
            uncertain += cxroi_dist_is_uncertain(&scenario->params[i].dist);
        printf("%s: ok: %zu segment%s, %zu initiative%s, %zu uncertain input%s", path,
               scenario->n_segments, scenario->n_segments == 1 ? "" : "s",
               scenario->n_initiatives, scenario->n_initiatives == 1 ? "" : "s", uncertain,
               uncertain == 1 ? "" : "s");
        size_t w = cxroi_diag_warning_count(diag);
        if (w > 0)
            printf(", %zu warning%s", w, w == 1 ? "" : "s");
        putchar('\n');
        status = flush_stdout("check");
    }
    cxroi_analysis_free(analysis);
    cxroi_scenario_free(scenario);
    cxroi_diag_free(diag);
    return status;
}

/* ------------------------------------------------------------------------------------ */
/* init */

/* A model name is a file name in models/: no path separators, no hidden files. */
static bool model_name_ok(const char *name)
{
    if (!*name || *name == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the models/ *.yaml building blocks (the starter template excluded). */
static void list_models(FILE *out, const char *models_dir)
{
    DIR *d = opendir(models_dir);
    char *names[64] = {NULL};
    size_t n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 64) {
            size_t len = strlen(e->d_name);
            if (len <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".yaml") != 0 ||
                strcmp(e->d_name, "starter.yaml") == 0)
                continue;
            names[n] = malloc(len - 4);
            if (!names[n])
                break;
            memcpy(names[n], e->d_name, len - 5);
            names[n][len - 5] = '\0';
            n++;
        }
        closedir(d);
    }
    qsort(names, n, sizeof names[0], compare_names);
    fputs("available models:", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s %s", i ? "," : "", names[i]);
        free(names[i]);
    }
    fputs(n ? "\n" : " none found\n", out);
}

/* A growing string. */
typedef struct text {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->s, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_puts(text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* Does @p line (not NUL-terminated, @p n bytes) set top-level key @p key? */
static bool is_top_key(const char *line, size_t n, const char *key)
{
    size_t k = strlen(key);
    return n > k && strncmp(line, key, k) == 0 && line[k] == ':';
}

static const char *const HEADER_KEYS[] = {"cxroi",         "name",           "currency",
                                          "horizon",       "discount_rate",  "terminal_value",
                                          "simulation",    "include"};
enum { N_HEADER_KEYS = sizeof HEADER_KEYS / sizeof HEADER_KEYS[0] };

/* Copy a model file's content, leaving out any top-level key the header sets (with its
 * indented continuation lines), so the starter never defines a key twice. */
static void add_model_body(text *t, const char *body, bool *has_initiatives,
                           char *first_segment, size_t seg_size)
{
    bool skipping = false, in_segments = false;
    const char *p = body;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        bool top = n > 0 && p[0] != ' ' && p[0] != '\t' && p[0] != '#' && p[0] != '\n' &&
                   p[0] != '\r';
        if (top) {
            skipping = false;
            for (size_t k = 0; k < N_HEADER_KEYS; k++)
                skipping |= is_top_key(p, n, HEADER_KEYS[k]);
            *has_initiatives |= is_top_key(p, n, "initiatives");
            in_segments = is_top_key(p, n, "segments");
        } else if (in_segments && !*first_segment) {
            /* The first "- id: X" under segments names the segment of the example
             * initiative. */
            const char *q = p;
            while (q < p + n && (*q == ' ' || *q == '\t'))
                q++;
            if (q + 6 < p + n && strncmp(q, "- id:", 5) == 0) {
                q += 5;
                while (*q == ' ')
                    q++;
                size_t len = 0;
                while (q + len < p + n && q[len] != '\n' && q[len] != '\r' && q[len] != ' ' &&
                       q[len] != '#' && len + 1 < seg_size)
                    len++;
                memcpy(first_segment, q, len);
                first_segment[len] = '\0';
            }
        }
        if (!skipping)
            text_add(t, p, n);
        p += n;
    }
    if (t->len > 0 && t->s[t->len - 1] != '\n')
        text_puts(t, "\n");
}

/* The header values of examples/NAME.yaml (currency above all: the model's amounts are
 * in it), else neutral defaults. */
static void add_header_value(text *t, const char *example, const char *key,
                             const char *fallback)
{
    const char *p = example;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (is_top_key(p, n, key)) {
            text_add(t, p, n);
            if (p[n - 1] != '\n')
                text_puts(t, "\n");
            return;
        }
        p += n;
    }
    text_puts(t, fallback);
}

static char *build_model_starter(const char *name, const char *model, const char *example,
                                 const char *target)
{
    text t = {0};
    char line[512];
    snprintf(line, sizeof line,
             "# %s: a cxroi starter scenario built from the '%s' model\n"
             "# (written by `cxroi init --model %s`).\n",
             target, name, name);
    text_puts(&t, line);
    text_puts(&t,
              "#\n"
              "# The segments and touchpoints below are copied from models/");
    text_puts(&t, name);
    text_puts(&t, ".yaml: illustrative\n"
                  "# benchmarks, not your data. Replace every number with your own, then "
                  "describe\n"
                  "# your initiatives (an example is at the end).\n");
    snprintf(line, sizeof line,
             "#   cxroi check %s   validate it: every error is printed with its line\n"
             "#   cxroi run %s     compute the business case\n\n",
             target, target);
    text_puts(&t, line);
    text_puts(&t, "cxroi: 1\n");
    snprintf(line, sizeof line, "name: %s starter scenario\n", name);
    text_puts(&t, line);
    add_header_value(&t, example, "currency", "currency: EUR\n");
    add_header_value(&t, example, "horizon", "horizon: 5\n");
    add_header_value(&t, example, "discount_rate", "discount_rate: 0.09\n");
    add_header_value(&t, example, "terminal_value", "terminal_value: none\n");
    text_puts(&t, "simulation: {iterations: 10000, seed: 1, sampling: latin_hypercube}\n\n");
    snprintf(line, sizeof line, "# ---- from models/%s.yaml ----\n", name);
    text_puts(&t, line);

    bool has_initiatives = false;
    char segment[128] = "";
    add_model_body(&t, model, &has_initiatives, segment, sizeof segment);
    if (!has_initiatives) {
        text_puts(&t, "\n# ---- your initiatives ----\n"
                      "initiatives:\n"
                      "  - id: example\n"
                      "    name: Example initiative (replace me)\n"
                      "    ramp_years: 1                # full effect after one year\n"
                      "    costs:\n"
                      "      upfront: {dist: pert, min: 400e3, mode: 500e3, max: 750e3}\n"
                      "      annual: 60e3\n");
        if (*segment) {
            snprintf(line, sizeof line,
                     "    effects:\n"
                     "      %s:\n"
                     "        retention: {dist: triangular, min: 0.002, mode: 0.005, "
                     "max: 0.01}   # absolute change\n",
                     segment);
            text_puts(&t, line);
        } else {
            text_puts(&t, "    kind: other\n"
                          "    benefits: {annual: {dist: normal, mean: 150e3, sd: 30e3}}\n");
        }
    }
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

typedef struct text_ctx {
    const char *text;
    size_t length;
} text_ctx;

static cxroi_error write_text(const void *ctx, FILE *out)
{
    const text_ctx *t = ctx;
    errno = 0;
    return fwrite(t->text, 1, t->length, out) == t->length ? CXROI_OK : CXROI_ERROR_IO;
}

static int cmd_init(const char *program, int argc, char **argv)
{
    static const option_spec specs[] = {{"model", 'm', true}, {"help", 'h', false}};
    arg_cursor c = {argc, argv, 0, false, NULL, NULL};
    const char *target = NULL, *model = NULL;
    size_t index;
    const char *value;
    int kind;
    while ((kind = next_arg(&c, "init", specs, 2, &index, &value)) != ARG_END) {
        if (kind == ARG_ERROR)
            return CXROI_EXIT_USAGE;
        if (kind == ARG_OPTION && index == 1) {
            fputs(USAGE, stdout);
            return flush_stdout("init");
        }
        if (kind == ARG_OPTION) {
            model = value;
        } else if (target) {
            usage_error("init", NULL, "unexpected argument '%s': init takes one FILE", value);
            return CXROI_EXIT_USAGE;
        } else {
            target = value;
        }
    }
    if (!target)
        target = "scenario.yaml";
    if (*target == '\0') {
        usage_error("init", NULL, "the file name is empty");
        return CXROI_EXIT_USAGE;
    }
    if (model && strcmp(model, "starter") == 0)
        model = NULL;

    int status = CXROI_EXIT_IO;
    char *models_dir = path_join(data_dir(), "models", "");
    char *model_path = NULL, *example_path = NULL, *model_text = NULL, *example_text = NULL;
    char *content = NULL, *base_dir = NULL;
    cxroi_diag *diag = cxroi_diag_new();
    if (!models_dir || !diag)
        goto nomem;

    struct stat st;
    if (strcmp(target, "-") != 0 && stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "cxroi init: '%s' is a directory; name the file to write, e.g. "
                "'%s%sscenario.yaml'\n",
                target, target, target[strlen(target) - 1] == '/' ? "" : "/");
        goto done;
    }
    if (strcmp(target, "-") != 0 && lstat(target, &st) == 0) {
        fprintf(stderr, "cxroi init: '%s' already exists; not overwriting it (remove it or "
                        "name another file)\n",
                target);
        goto done;
    }

    size_t length = 0;
    if (!model) {
        model_path = path_join(models_dir, "starter.yaml", "");
        if (!model_path)
            goto nomem;
        content = read_text(model_path, &length);
        if (!content) {
            fprintf(stderr, "cxroi init: cannot read the starter template '%s': %s\n",
                    model_path, strerror(errno));
            goto done;
        }
    } else {
        model_path = path_join(models_dir, model, ".yaml");
        if (!model_path)
            goto nomem;
        size_t n;
        model_text = model_name_ok(model) ? read_text(model_path, &n) : NULL;
        if (!model_text) {
            if (model_name_ok(model) && errno != ENOENT) {
                fprintf(stderr, "cxroi init: cannot read '%s': %s\n", model_path,
                        strerror(errno));
                goto done;
            }
            fprintf(stderr, "cxroi init: unknown model '%s'\n", model);
            list_models(stderr, models_dir);
            fputs("see 'cxroi --help'\n", stderr);
            status = CXROI_EXIT_USAGE;
            goto done;
        }
        size_t len = strlen(model) + sizeof("examples/.yaml");
        char *rel = malloc(len);
        if (!rel)
            goto nomem;
        snprintf(rel, len, "examples/%s.yaml", model);
        example_path = path_join(data_dir(), rel, "");
        free(rel);
        if (!example_path)
            goto nomem;
        example_text = read_text(example_path, &n); /* optional */
        content = build_model_starter(model, model_text, example_text, target);
        if (!content)
            goto nomem;
        length = strlen(content);
    }

    /* Never hand the user a starter that `check` would reject. */
    base_dir = cxroi_path_dir(target);
    if (!base_dir)
        goto nomem;
    cxroi_scenario *probe = NULL;
    cxroi_error err =
        cxroi_scenario_load_string(content, length, target, base_dir, diag, &probe);
    cxroi_scenario_free(probe);
    if (err != CXROI_OK) {
        cxroi_diag_print(diag, stderr);
        fprintf(stderr, "cxroi init: the template '%s' is not a valid scenario (%s); "
                        "nothing written\n",
                model_path, cxroi_strerror(err));
        status = CXROI_EXIT_INVALID;
        goto done;
    }

    text_ctx ctx = {content, length};
    status = write_output("init", target, CXROI_ATOMIC_NO_REPLACE, write_text, &ctx);
    if (status == CXROI_EXIT_OK && strcmp(target, "-") != 0) {
        printf("wrote %s%s%s%s\n", target, model ? " (from the '" : "", model ? model : "",
               model ? "' model)" : "");
        /* As the user invoked it ("./build/cxroi"), so the hint works as typed. */
        printf("next: edit it, then `%s check %s` and `%s run %s`\n", program, target, program,
               target);
        status = flush_stdout("init");
    }
    goto done;

nomem:
    fputs("cxroi init: out of memory\n", stderr);
    status = CXROI_EXIT_INVALID;
done:
    cxroi_diag_free(diag);
    free(models_dir);
    free(model_path);
    free(example_path);
    free(model_text);
    free(example_text);
    free(content);
    free(base_dir);
    return status;
}


/* ------------------------------------------------------------------------------------ */
/* fit */

#define FIT_MAX_POINTS 1000

typedef struct fit_ctx {
    const double *observed;
    size_t n;
    const cxroi_sbg_fit *fit;
    size_t years; /* projected years beyond the data */
} fit_ctx;

/* Survival and retention of the fitted model: sBG, or its constant-retention limit. */
static double fit_survival(const cxroi_sbg_fit *f, double t)
{
    return f->geometric ? pow(f->retention, t) : cxroi_sbg_survival(f->alpha, f->beta, t);
}

static double fit_retention(const cxroi_sbg_fit *f, double age)
{
    return f->geometric ? f->retention : cxroi_sbg_retention(f->alpha, f->beta, age);
}

static json_t *fit_json(const fit_ctx *c)
{
    json_t *root = json_object();
    json_t *observed = json_array(), *fitted = json_array(), *projection = json_array();
    if (!root || !observed || !fitted || !projection) {
        json_decref(root);
        json_decref(observed);
        json_decref(fitted);
        json_decref(projection);
        return NULL;
    }
    const cxroi_sbg_fit *f = c->fit;
    json_object_set_new(root, "model", json_string(f->geometric ? "constant" : "sBG"));
    json_object_set_new(root, "alpha", f->geometric ? json_null() : json_real(f->alpha));
    json_object_set_new(root, "beta", f->geometric ? json_null() : json_real(f->beta));
    json_object_set_new(root, "retention", f->geometric ? json_real(f->retention) : json_null());
    json_object_set_new(root, "alpha_se", isfinite(f->alpha_se) ? json_real(f->alpha_se) : json_null());
    json_object_set_new(root, "beta_se", isfinite(f->beta_se) ? json_real(f->beta_se) : json_null());
    json_object_set_new(root, "log_likelihood", json_real(f->log_likelihood));
    /* Observed vs fitted survival, scaled to the cohort's starting size. */
    for (size_t t = 0; t < c->n; t++) {
        json_array_append_new(observed, json_real(c->observed[t]));
        json_array_append_new(fitted, json_real(c->observed[0] * fit_survival(f, (double)t)));
    }
    json_object_set_new(root, "observed", observed);
    json_object_set_new(root, "fitted", fitted);
    /* Retention of year t is the renewal at age t - 1: S(t) / S(t-1). */
    for (size_t t = 1; t < c->n + c->years; t++) {
        json_t *row = json_object();
        if (!row)
            break;
        json_object_set_new(row, "year", json_integer((json_int_t)t));
        json_object_set_new(row, "survival", json_real(fit_survival(f, (double)t)));
        json_object_set_new(row, "retention", json_real(fit_retention(f, (double)(t - 1))));
        json_object_set_new(row, "projected", json_boolean(t >= c->n));
        json_array_append_new(projection, row);
    }
    json_object_set_new(root, "projection", projection);
    return root;
}

static cxroi_error write_fit_json(const void *ctx, FILE *out)
{
    json_t *root = fit_json(ctx);
    if (!root)
        return CXROI_ERROR_NOMEM;
    int rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF)
        return CXROI_ERROR_IO;
    return CXROI_OK;
}

static cxroi_error write_fit_text(const void *ctx, FILE *out)
{
    const fit_ctx *c = ctx;
    const cxroi_sbg_fit *f = c->fit;
    if (f->geometric) {
        fprintf(out, "Retention fitted by maximum likelihood: constant retention\n\n"
                     "  Retention does not rise with the cohort's age, so the sBG model reduces\n"
                     "  to its limit alpha, beta -> infinity: one constant retention rate.\n\n");
        fprintf(out, "  retention        %10.4f\n", f->retention);
        fprintf(out, "  log-likelihood   %10.4f\n\n", f->log_likelihood);
    } else {
        fprintf(out, "Shifted-beta-geometric (sBG) retention fitted by maximum likelihood\n\n");
        fprintf(out, "  alpha            %10.4f   (standard error %.4f)\n", f->alpha, f->alpha_se);
        fprintf(out, "  beta             %10.4f   (standard error %.4f)\n", f->beta, f->beta_se);
        fprintf(out, "  log-likelihood   %10.4f\n", f->log_likelihood);
        fprintf(out, "  mean churn       %10.4f   (alpha / (alpha + beta), in the first year)\n\n",
                f->alpha / (f->alpha + f->beta));
    }
    fprintf(out, "  Year    Observed      Fitted   Survival %%   Retention %%\n");
    fprintf(out, "  ----  ----------  ----------  -----------  ------------\n");
    /* Counts keep one decimal; shares of a cohort of 1 (1, 0.869, ...) need four. */
    int dec = c->observed[0] >= 1000.0 ? 1 : c->observed[0] >= 10.0 ? 2 : 4;
    for (size_t t = 0; t < c->n + c->years; t++) {
        double s = fit_survival(f, (double)t);
        char obs[32];
        if (t < c->n)
            snprintf(obs, sizeof obs, "%10.*f", dec, c->observed[t]);
        else
            snprintf(obs, sizeof obs, "%10s", "projected");
        char ret[32];
        if (t == 0)
            snprintf(ret, sizeof ret, "%12s", "");
        else
            snprintf(ret, sizeof ret, "%12.2f", 100.0 * fit_retention(f, (double)t - 1.0));
        fprintf(out, "  %4zu  %s  %10.*f  %11.2f  %s\n", t, obs, dec, c->observed[0] * s, 100.0 * s,
                ret);
    }
    if (f->geometric)
        fprintf(out, "\nUse it in a scenario as: retention: %.4f\n", f->retention);
    else
        fprintf(out, "\nRetention of year t = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - "
                     "1).\nUse it in a scenario as: retention_curve: {sbg: {alpha: %.4f, beta: "
                     "%.4f}}\n",
                f->alpha, f->beta);
    return ferror(out) ? CXROI_ERROR_IO : CXROI_OK;
}

/* Parse "1000,869,743" into numbers; on a bad entry say which. */
static bool parse_survival(const char *s, double *out, size_t *n)
{
    *n = 0;
    const char *p = s;
    while (*p) {
        if (*n >= FIT_MAX_POINTS) {
            usage_error("fit", NULL, "--survival has more than %d points", FIT_MAX_POINTS);
            return false;
        }
        char *end = NULL;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v) || (*end != ',' && *end != '\0')) {
            size_t len = strcspn(p, ",");
            /* "100%,87%": a percentage sign is the likeliest slip of all. */
            bool percent = end != p && *end == '%';
            usage_error("fit", NULL,
                        "--survival expects comma-separated numbers such as "
                        "1000,631,468,382; entry %zu is '%.*s'%s",
                        *n + 1, (int)(len < 40 ? len : 40), p,
                        percent ? ": write the counts or fractions without %, e.g. "
                                  "1,0.87,0.76 or 100,87,76"
                                : "");
            return false;
        }
        out[(*n)++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0') {
            usage_error("fit", NULL, "--survival ends with a comma");
            return false;
        }
    }
    return true;
}

static int cmd_fit(int argc, char **argv)
{
    static const option_spec specs[] = {
        {"survival", 's', true}, {"json", 0, true}, {"years", 0, true},
        {"quiet", 'q', false},   {"help", 'h', false}};
    enum { O_SURVIVAL, O_JSON, O_YEARS, O_QUIET, O_HELP };
    arg_cursor c = {argc, argv, 0, false, NULL, NULL};
    const char *survival = NULL, *json = NULL, *value = NULL;
    bool quiet = false;
    uint64_t years = 5;
    size_t index = 0;
    for (;;) {
        int kind = next_arg(&c, "fit", specs, sizeof specs / sizeof specs[0], &index, &value);
        if (kind == ARG_END)
            break;
        if (kind == ARG_ERROR)
            return CXROI_EXIT_USAGE;
        if (kind == ARG_POSITIONAL) {
            usage_error("fit", NULL, "unexpected argument '%s'; give the curve with --survival",
                        value);
            return CXROI_EXIT_USAGE;
        }
        if (index == O_SURVIVAL)
            survival = value;
        else if (index == O_JSON)
            json = value;
        else if (index == O_YEARS && !parse_count("fit", "--years", value, 0, 100, &years))
            return CXROI_EXIT_USAGE;
        else if (index == O_QUIET)
            quiet = true;
        else if (index == O_HELP) {
            fputs("Usage: cxroi fit --survival N0,N1,N2,... [--years N] [--json FILE|-] [--quiet]\n"
                  "Fit the shifted-beta-geometric retention model (Fader & Hardie 2007) to a\n"
                  "cohort's survival counts or fractions by maximum likelihood; print alpha,\n"
                  "beta, the log-likelihood, fitted vs observed survival and N projected years\n"
                  "(default 5).\n",
                  stdout);
            return flush_stdout("fit");
        }
    }
    if (!survival) {
        usage_error("fit", NULL, "missing --survival, e.g. cxroi fit --survival 1000,631,468,382");
        return CXROI_EXIT_USAGE;
    }
    if (json && *json == '\0') {
        usage_error("fit", NULL, "--json needs a file name or '-'");
        return CXROI_EXIT_USAGE;
    }
    double *points = malloc(FIT_MAX_POINTS * sizeof *points);
    if (!points) {
        fputs("cxroi fit: out of memory\n", stderr);
        return CXROI_EXIT_INVALID;
    }
    size_t n = 0;
    if (!parse_survival(survival, points, &n)) {
        free(points);
        return CXROI_EXIT_USAGE;
    }
    cxroi_sbg_fit fit;
    char msg[256];
    cxroi_error err = cxroi_sbg_fit_survival(points, n, &fit, msg, sizeof msg);
    if (err != CXROI_OK) {
        fprintf(stderr, "cxroi fit: error: cannot fit the survival curve: %s\n", msg);
        free(points);
        return CXROI_EXIT_INVALID;
    }
    fit_ctx ctx = {points, n, &fit, (size_t)years};
    int status = CXROI_EXIT_OK;
    bool json_to_stdout = json && strcmp(json, "-") == 0;
    if (json)
        status = write_output("fit", json, 0, write_fit_json, &ctx);
    if (status == CXROI_EXIT_OK && !quiet) {
        FILE *out = json_to_stdout ? stderr : stdout;
        errno = 0;
        if (write_fit_text(&ctx, out) != CXROI_OK || fflush(out) != 0) {
            fprintf(stderr, "cxroi fit: cannot write to standard %s: %s\n",
                    out == stdout ? "output" : "error", strerror(errno ? errno : EIO));
            status = CXROI_EXIT_IO;
        }
    }
    free(points);
    return status;
}

/* ------------------------------------------------------------------------------------ */
/* Signals: a run killed while it writes leaves no temporary file behind (atomic.h keeps
 * the table of pending ones); the old output is never touched until the rename. */

/* Remove the pending temporary files, then die of the same signal as if it had not been
 * caught (the shell sees "Terminated", a parent sees WIFSIGNALED). SA_RESETHAND restored
 * the default action on entry and SA_NODEFER lets the re-raised signal through at once;
 * only async-signal-safe calls here. */
static void on_fatal_signal(int sig)
{
    cxroi_atomic_remove_pending();
    raise(sig);
    _exit(128 + sig); /* not reached unless the signal is blocked */
}

/* The signals whose default action ends the process and that a user or a system sends
 * to stop a program (SIGKILL cannot be caught: a `kill -9` mid-write leaves one hidden
 * `.NAME.XXXXXX` beside the output, never a damaged output). A signal ignored when the
 * program starts (nohup, a shell's background job) stays ignored. SIGXFSZ, sent when a
 * write passes the file-size limit (`ulimit -f`), is ignored instead: the write then
 * fails with EFBIG and the run ends with exit 3 and a message, like a full disk. */
static void install_signal_handlers(void)
{
    static const int fatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(fatal[i], &sa, NULL);
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    sigemptyset(&ignore.sa_mask);
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, NULL);
}

/* ------------------------------------------------------------------------------------ */

int cxroi_cli_main(int argc, char **argv)
{
    install_signal_handlers();
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CXROI_EXIT_USAGE;
    }
    const char *command = argv[1];
    int rest_argc = argc - 2;
    char **rest = argv + 2;
    static const char *const commands[] = {"run", "check", "init", "fit", "help"};
    if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "help") == 0) {
        /* `cxroi help run` is a natural thing to type: the usage covers every command. */
        bool known = false;
        for (size_t i = 0; argc == 3 && i < 5; i++)
            known |= strcmp(argv[2], commands[i]) == 0;
        if (argc > 3 || (argc == 3 && !known)) {
            usage_error(NULL, NULL, "unexpected argument '%s' after '%s'", argv[2], command);
            return CXROI_EXIT_USAGE;
        }
        fputs(USAGE, stdout);
        return flush_stdout(NULL);
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
        if (argc > 2) {
            usage_error(NULL, NULL, "unexpected argument '%s': %s takes none", argv[2], command);
            return CXROI_EXIT_USAGE;
        }
        printf("cxroi %s\n", CXROI_VERSION_STRING);
        return flush_stdout(NULL);
    }
    if (strcmp(command, "run") == 0)
        return cmd_run(rest_argc, rest);
    if (strcmp(command, "check") == 0)
        return cmd_check(rest_argc, rest);
    if (strcmp(command, "init") == 0)
        return cmd_init(argv[0] && strchr(argv[0], '/') ? argv[0] : "cxroi", rest_argc, rest);
    if (strcmp(command, "fit") == 0)
        return cmd_fit(rest_argc, rest);
    if (command[0] == '-')
        usage_error(NULL, NULL, "unknown option '%s'; a command comes first: run, check or init",
                    command);
    else
        usage_error(NULL, cxroi_suggest(command, commands, 5), "unknown command '%s'", command);
    return CXROI_EXIT_USAGE;
}
