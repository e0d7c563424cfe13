/*
 * Scenario loader: YAML (schema `cxroi: 1`, SPEC.md) -> validated cxroi_scenario.
 *
 * The loader walks the yamltree of the top file and of every included file, reports
 * every problem it finds (never only the first) with the key path, what was expected and
 * what was found, and turns every numeric model input into a parameter. Sections are
 * read in dependency order across all files: segments and touchpoints first (initiatives
 * refer to them), then initiatives, then correlations and the portfolio (they refer to
 * parameters and initiatives).
 */
#include "cxroi/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "cxroi/sbg.h"
#include "path_internal.h"
#include "suggest_internal.h"
#include "utf8_internal.h"
#include "yamltree_internal.h"

/* Limits that keep a hostile file from turning into a huge model. */
#define MAX_SEGMENTS 1000
#define MAX_INITIATIVES 1000
#define MAX_TOUCHPOINTS 1000
#define MAX_INCLUDES 64
#define MAX_DISCRETE 10000
#define MAX_SURVIVAL 1000
/* Survival points of all segments together. Each curve is fitted by maximum likelihood
 * (five Nelder-Mead starts, each likelihood evaluation O(points) log-beta calls): about
 * half a second per 1,000 points, so a file of many long curves would load for minutes. */
#define MAX_SURVIVAL_TOTAL 1000
/* Correlations: entries, and distinct inputs in the correlation matrix (checked by
 * Cholesky decomposition, O(n^3), and factored again by the sampler). */
#define MAX_CORRELATIONS 1000
#define MAX_CORRELATED_INPUTS 200

/* One file's parsed document. */
typedef struct loaded_file {
    cxroi_ydoc *doc;
    const char *name; /* points into scenario->files */
} loaded_file;

typedef struct loader {
    cxroi_scenario *sc;
    cxroi_diag *diag;
    const char *file; /* the file being read, for marks */
    loaded_file files[MAX_INCLUDES + 1];
    size_t n_files;
    size_t cap_params, cap_segments, cap_initiatives, cap_touchpoints, cap_correlations;
    bool nomem;
    /* marks of touchpoints, for duplicate reports */
    cxroi_mark *touchpoint_marks;
    /* paths of inputs that were invalid, so references to them add no second error */
    char **failed;
    size_t n_failed;
    /* A segment or initiative entry was dropped before its id was known: references to
     * unknown ids may well mean it, so they add no second error. */
    bool lost_segment, lost_initiative;
    /* An included file could not be read or parsed: whatever it defines (segments,
     * touchpoints, initiatives, inputs) is unknown, so references to unknown names add
     * no second error; the include's own error says what to fix. */
    bool lost_include;
    /* Survival points read so far, against MAX_SURVIVAL_TOTAL. */
    size_t survival_points;
} loader;

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                       */

static char *xstrdup(loader *L, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (!copy) {
        L->nomem = true;
        return NULL;
    }
    memcpy(copy, s, n);
    return copy;
}

/* Grow *array (of elem bytes) so it can hold one more than *count. */
static bool grow(loader *L, void **array, size_t *cap, size_t count, size_t elem)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*array, ncap * elem);
    if (!p) {
        L->nomem = true;
        return false;
    }
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *array = p;
    *cap = ncap;
    return true;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
error_at(loader *L, const cxroi_ynode *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cxroi_diag_vadd(L->diag, CXROI_SEVERITY_ERROR, L->file, node ? node->line : 1,
                    node ? node->column : 1, fmt, ap);
    va_end(ap);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
warning_at(loader *L, const cxroi_ynode *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cxroi_diag_vadd(L->diag, CXROI_SEVERITY_WARNING, L->file, node ? node->line : 1,
                    node ? node->column : 1, fmt, ap);
    va_end(ap);
}

static cxroi_mark mark_of(const loader *L, const cxroi_ynode *node)
{
    cxroi_mark m = {L->file, node ? node->line : 1, node ? node->column : 1};
    return m;
}

/*
 * Copies at most `max_chars` characters of s[0..n) into out (size bytes, NUL-terminated),
 * whole characters only. Valid UTF-8 is kept as written (a name in the file's own
 * language, a currency sign); control characters, bidirectional overrides (which could
 * reorder the terminal line) and invalid bytes become '?'. Returns true when cut short.
 */
static bool printable_text(const char *s, size_t n, char *out, size_t size, size_t max_chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = 0, chars = 0, i = 0;
    while (i < n) {
        unsigned long cp = 0;
        size_t len = cxroi_utf8_decode(u + i, n - i, &cp);
        bool shown = len > 0 && cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F) &&
                     !(cp >= 0x202A && cp <= 0x202E) && !(cp >= 0x2066 && cp <= 0x2069);
        size_t width = shown ? len : 1;
        if (chars == max_chars || k + width >= size)
            break;
        if (shown)
            memcpy(out + k, u + i, len);
        else
            out[k] = '?';
        k += width;
        i += len ? len : 1;
        chars++;
    }
    out[k] = '\0';
    return i < n;
}

/* What a node is, in words, for "found ..." messages. */
static void describe_node(const cxroi_ynode *node, char *buf, size_t size)
{
    if (!node) {
        snprintf(buf, size, "nothing");
    } else if (node->type == CXROI_YNODE_MAP) {
        snprintf(buf, size, "a mapping");
    } else if (node->type == CXROI_YNODE_SEQ) {
        snprintf(buf, size, "a list");
    } else if (cxroi_ynode_is_null(node)) {
        snprintf(buf, size, "nothing (an empty value)");
    } else {
        /* At most 40 characters (and 80 bytes, so callers' 128-byte buffers hold the
         * whole message part) of the scalar. */
        char text[81];
        bool cut = printable_text(node->value, node->length, text, sizeof text, 40);
        snprintf(buf, size, node->plain ? "'%s'%s" : "the quoted string \"%s\"%s", text,
                 cut ? "..." : "");
    }
}

/* Format the list of candidates as "a, b or c". */
static void join_words(const char *const *words, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
        int w = snprintf(buf + used, size - used, "%s'%s'", sep, words[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static bool is_scalar(const cxroi_ynode *n)
{
    return n && n->type == CXROI_YNODE_SCALAR;
}

static const char *scalar_text(const cxroi_ynode *n)
{
    return is_scalar(n) ? n->value : "";
}

/* Which of `names` the scalar `node` spells, or -1 after reporting what was found (with
 * the closest name as a hint). */
static int read_choice(loader *L, const cxroi_ynode *node, const char *path,
                       const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_scalar(node) && strcmp(node->value, names[i]) == 0)
            return (int)i;
    char found[128], list[256];
    describe_node(node, found, sizeof found);
    join_words(names, n, list, sizeof list);
    const char *hint = is_scalar(node) ? cxroi_suggest(node->value, names, n) : NULL;
    error_at(L, node, "%s: expected %s, found %s%s%s%s", path, list, found,
             hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
    return -1;
}

static bool all_digits(const cxroi_ynode *n)
{
    if (!is_scalar(n) || !n->plain || n->length == 0)
        return false;
    for (size_t i = 0; i < n->length; i++)
        if (!isdigit((unsigned char)n->value[i]))
            return false;
    return true;
}

/* Pair i of `map` is a group of digits with no value on the line of the value before
 * it: what is left of `key: 10,000` written inside {...} once YAML split it. */
static bool thousands_split(const cxroi_ynode *map, size_t i)
{
    const cxroi_ynode *k = map->pairs[i].key;
    return i > 0 && all_digits(k) && cxroi_ynode_is_null(map->pairs[i].value) &&
           map->pairs[i - 1].value && map->pairs[i - 1].value->line == k->line;
}

/* The number that pairs i, i+1, ... were split from ("10" "000" -> "10000"), or false
 * when the value before them is not a number's first group. */
static bool rejoin_number(const cxroi_ynode *map, size_t i, char *out, size_t size)
{
    const cxroi_ynode *first = map->pairs[i - 1].value;
    if (!all_digits(first) || first->length > 3)
        return false;
    size_t used = (size_t)snprintf(out, size, "%s", first->value);
    for (size_t j = i; j < map->count && thousands_split(map, j) && used < size; j++)
        used += (size_t)snprintf(out + used, size - used, "%s", map->pairs[j].key->value);
    return used < size;
}

/*
 * Check that every key of `map` is one of `allowed`; report each unknown key with a
 * "did you mean" hint. `where` is the key path of the map, for the message.
 */
static void check_keys(loader *L, const cxroi_ynode *map, const char *where,
                       const char *const *allowed, size_t n_allowed)
{
    for (size_t i = 0; i < map->count; i++) {
        const cxroi_ynode *key = map->pairs[i].key;
        if (!is_scalar(key)) {
            error_at(L, key, "%s: expected a plain key, found %s", where,
                     key->type == CXROI_YNODE_MAP ? "a mapping" : "a list");
            continue;
        }
        bool known = false;
        for (size_t j = 0; j < n_allowed; j++)
            if (strcmp(key->value, allowed[j]) == 0)
                known = true;
        if (known)
            continue;
        if (thousands_split(map, i)) {
            /* `{iterations: 10,000}`: YAML splits the flow mapping at the comma. */
            char number[128];
            if (i > 0 && thousands_split(map, i - 1))
                continue; /* the same number, reported at its first group */
            if (rejoin_number(map, i, number, sizeof number))
                error_at(L, key,
                         "unknown key '%s' in %s; a comma separates entries in {...}: write %s "
                         "without a thousands separator",
                         key->value, where, number);
            else
                error_at(L, key,
                         "unknown key '%s' in %s; a comma separates entries in {...}: write "
                         "numbers without a thousands separator",
                         key->value, where);
            continue;
        }
        const char *hint = cxroi_suggest(key->value, allowed, n_allowed);
        if (hint) {
            error_at(L, key, "unknown key '%s' in %s; did you mean '%s'?", key->value, where, hint);
        } else {
            char list[512];
            join_words(allowed, n_allowed, list, sizeof list);
            error_at(L, key, "unknown key '%s' in %s; expected one of %s", key->value, where, list);
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Numbers                                                                             */

/* The largest magnitude of any number in a scenario: money and counts beyond this are
 * typing slips (1e300), and sums of them would lose all precision or overflow. */
#define MAX_MAGNITUDE 1e15

typedef enum number_parse { NUMBER_OK = 0, NUMBER_BAD, NUMBER_OVERFLOW } number_parse;

/*
 * Parse the text of a plain YAML number as people write it: 350000, -0.05, 2.0e6, 1e6,
 * .5, +3, 1_000_000 (YAML 1.1 digit separators). Hex, octal, infinities and NaN are not
 * numbers a business case needs and are rejected by the caller with a hint; so is a
 * leading zero (008), which YAML 1.1 reads as octal and a person as 8 or 0.08.
 * NUMBER_OVERFLOW when the value is beyond the range of a double (1e400); an underflow
 * (1e-400) is 0.
 */
static number_parse parse_decimal(const char *s, double *out)
{
    char buf[128];
    size_t j = 0;
    const char *p = s;
    if (*p == '+' || *p == '-')
        buf[j++] = *p++;
    if (p[0] == '0' && (isdigit((unsigned char)p[1]) || p[1] == '_'))
        return NUMBER_BAD;
    size_t digits = 0;
    bool dot = false, exp = false;
    for (; *p; p++) {
        if (j >= sizeof buf - 1)
            return NUMBER_BAD;
        if (isdigit((unsigned char)*p)) {
            buf[j++] = *p;
            digits++;
        } else if (*p == '_' && digits > 0 && !exp) {
            continue;
        } else if (*p == '.' && !dot && !exp) {
            dot = true;
            buf[j++] = *p;
        } else if ((*p == 'e' || *p == 'E') && digits > 0 && !exp) {
            exp = true;
            buf[j++] = *p;
            if (p[1] == '+' || p[1] == '-')
                buf[j++] = *++p;
            if (!isdigit((unsigned char)p[1]))
                return NUMBER_BAD;
        } else {
            return NUMBER_BAD;
        }
    }
    if (digits == 0)
        return NUMBER_BAD;
    buf[j] = '\0';
    errno = 0;
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return NUMBER_BAD;
    if (errno == ERANGE && isinf(v))
        return NUMBER_OVERFLOW;
    *out = v;
    return NUMBER_OK;
}

/* A number as people write it in prose or a spreadsheet, and the YAML spelling of it. */
typedef struct number_fix {
    char text[128];     /* the number as YAML wants it, e.g. "1200000" or "0.08" */
    bool percent;       /* written with a trailing '%' */
    bool separators;    /* written with thousands separators (',', '.', spaces) */
    bool decimal_comma; /* written with a decimal comma */
} number_fix;

/*
 * Recognise 30%, 30 %, 1,200,000, 50 000 (also with a no-break space), 0,08, 12,5,
 * 1.200.000,50 and 1,200.50, and fill `fx` with the plain spelling. A comma is a
 * thousands separator only when every group after it has exactly 3 digits and the
 * first group does not start with 0; otherwise a single comma is a decimal comma.
 * Returns false when the text is none of these, or the fixed text is still no number.
 */
static bool normalize_number(const char *v, number_fix *fx)
{
    memset(fx, 0, sizeof *fx);
    /* Work on a copy where a no-break space (U+00A0) or a narrow one (U+202F), as
     * French number formats use, is an ASCII space. */
    char s[128] = {0};
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (n >= sizeof s - 1)
            return false;
        if (p[0] == 0xC2 && p[1] == 0xA0) {
            p += 1;
            s[n++] = ' ';
        } else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF) {
            p += 2;
            s[n++] = ' ';
        } else {
            s[n++] = (char)*p;
        }
    }
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n > 0 && s[n - 1] == '%') {
        fx->percent = true;
        n--;
        while (n > 0 && s[n - 1] == ' ')
            n--;
    }
    s[n] = '\0';
    /* sign, then digit runs r0 sep1 r1 ... sepk rk, then an optional exponent. */
    const char *p = s;
    char sign[2] = "";
    if (*p == '+' || *p == '-') {
        sign[0] = *p++;
    }
    const char *run[16];
    size_t run_len[16];
    char sep[16];
    size_t k = 0;
    for (;;) {
        const char *r = p;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == r)
            return false;
        run[k] = r;
        run_len[k] = (size_t)(p - r);
        if ((*p == ',' || *p == '.' || *p == ' ') && isdigit((unsigned char)p[1]) && k < 15) {
            sep[++k] = *p++;
            continue;
        }
        break;
    }
    const char *exponent = p; /* must be empty or e[+-]digits */
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p != '\0')
        return false;
    /* The decimal mark: the last separator, when it is ',' or '.' and differs from the
     * group separator before it (or a lone comma that cannot be a thousands group). */
    size_t groups = k; /* runs r1..r_groups are thousands groups */
    char group = k > 0 ? sep[1] : 0;
    bool decimal = false;
    if (k == 1 && sep[1] == '.') {
        groups = 0;
        decimal = true;
        group = 0;
    } else if (k == 1 && sep[1] == ',') {
        if (run[0][0] == '0' || run_len[1] != 3) {
            groups = 0;
            decimal = true;
            group = 0;
            fx->decimal_comma = true;
        }
    } else if (k >= 2 && sep[k] != sep[1] && sep[k] != ' ') {
        groups = k - 1;
        decimal = true;
        fx->decimal_comma = sep[k] == ',';
    }
    for (size_t i = 2; i <= groups; i++)
        if (sep[i] != group)
            return false;
    if (groups > 0) {
        if (run_len[0] > 3 || (run[0][0] == '0' && run_len[0] > 1))
            return false;
        for (size_t i = 1; i <= groups; i++)
            if (run_len[i] != 3)
                return false;
        fx->separators = true;
    }
    if (!fx->percent && !fx->separators && !fx->decimal_comma)
        return false;
    size_t used = (size_t)snprintf(fx->text, sizeof fx->text, "%s", sign);
    for (size_t i = 0; i <= k && used < sizeof fx->text; i++) {
        const char *mark = decimal && i == k ? "." : "";
        used += (size_t)snprintf(fx->text + used, sizeof fx->text - used, "%s%.*s", mark,
                                 (int)run_len[i], run[i]);
    }
    if (used < sizeof fx->text)
        snprintf(fx->text + used, sizeof fx->text - used, "%s", exponent);
    double check;
    return parse_decimal(fx->text, &check) == NUMBER_OK;
}

/*
 * "008" is 8 to a person and 8 (octal 010 aside) to YAML 1.1: neither is likely what was
 * meant by a rate. Writes "8 or 0.08" (or "0.5" for "00.5") into out, or returns false
 * when the text is not a number with a leading zero.
 */
static bool leading_zero_fix(const char *v, char *out, size_t size)
{
    const char *p = v;
    char sign[2] = "";
    if (*p == '+' || *p == '-')
        sign[0] = *p++;
    if (!(p[0] == '0' && isdigit((unsigned char)p[1])))
        return false;
    const char *q = p;
    while (*q == '0' && isdigit((unsigned char)q[1]))
        q++;
    double x;
    char plain[128];
    snprintf(plain, sizeof plain, "%s%s", sign, q);
    if (parse_decimal(plain, &x) != NUMBER_OK)
        return false;
    if (strchr(p, '.') || strchr(p, 'e') || strchr(p, 'E') || x == 0.0)
        snprintf(out, size, "%s", plain);
    else
        snprintf(out, size, "%s or %s0.%s", plain, sign, p + 1);
    return true;
}

typedef struct domain {
    double lo, hi;
    bool lo_open, hi_open;
    const char *text; /* "a number from 0 to 1" */
    double percent;   /* > 0: a fraction, and values from this one to 100 look like
                       * percentages (see percent_hint()) */
} domain;

static bool in_domain(const domain *d, double v)
{
    if (!isfinite(v))
        return false;
    if (d->lo_open ? !(v > d->lo) : !(v >= d->lo))
        return false;
    if (d->hi_open ? !(v < d->hi) : !(v <= d->hi))
        return false;
    return true;
}

/* Drops `prefix` from the front of *p (and the spaces after it); true when it was there. */
static bool strip_prefix(char **p, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(*p, prefix, n) != 0)
        return false;
    *p += n;
    while (**p == ' ')
        (*p)++;
    return true;
}

/* Drops `suffix` from the end of p (and the spaces before it); true when it was there. */
static bool strip_suffix(char *p, const char *suffix)
{
    size_t n = strlen(p), k = strlen(suffix);
    if (n < k || strcmp(p + n - k, suffix) != 0)
        return false;
    p[n - k] = '\0';
    while (n > k && p[n - k - 1] == ' ')
        p[--n - k] = '\0';
    return true;
}

/* The scenario's currency code at either end (EUR 250000, 250000 EUR); another
 * word of three capitals (TBC 100) is not taken for one. */
static bool strip_code(char **p, const char *code)
{
    char *s = *p;
    size_t n = strlen(s);
    if (!code || strlen(code) != 3 || n <= 4)
        return false;
    if (strncmp(s, code, 3) == 0 && s[3] == ' ') {
        *p = s + 4;
        return true;
    }
    if (s[n - 4] == ' ' && strcmp(s + n - 3, code) == 0) {
        s[n - 4] = '\0';
        return true;
    }
    return false;
}

/*
 * An amount as slides write it: with a currency sign or the scenario's currency code
 * (€310, $1200, 250000 EUR) or a magnitude (2.5m, 300k, 1.2bn), or both. Writes the
 * plain number into *x and out (and whether a currency was there) or returns false when
 * the text is none of these.
 */
static bool amount_fix(const char *v, const char *code, double *x, char *out, size_t size,
                       bool *currency)
{
    char buf[128];
    if (strlen(v) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", v);
    char *p = buf;
    static const char *const SIGNS[] = {"\xe2\x82\xac" /* € */, "\xc2\xa3" /* £ */,
                                        "\xc2\xa5" /* ¥ */, "$"};
    *currency = false;
    for (size_t i = 0; i < sizeof SIGNS / sizeof SIGNS[0]; i++)
        *currency |= strip_prefix(&p, SIGNS[i]) || strip_suffix(p, SIGNS[i]);
    *currency |= strip_code(&p, code);
    static const struct {
        const char *suffix;
        double scale;
    } SCALES[] = {{"bn", 1e9}, {"BN", 1e9}, {"mn", 1e6}, {"k", 1e3}, {"K", 1e3},
                  {"m", 1e6},  {"M", 1e6},  {"b", 1e9},  {"B", 1e9}};
    double scale = 1.0;
    for (size_t i = 0; i < sizeof SCALES / sizeof SCALES[0] && scale == 1.0; i++)
        if (strip_suffix(p, SCALES[i].suffix))
            scale = SCALES[i].scale;
    if (!*currency && scale == 1.0)
        return false;
    number_fix fx;
    if (parse_decimal(p, x) != NUMBER_OK) {
        if (!normalize_number(p, &fx) || fx.percent || parse_decimal(fx.text, x) != NUMBER_OK)
            return false;
    }
    *x *= scale;
    snprintf(out, size, "%.15g", *x);
    return true;
}

/*
 * "; write percentages as fractions: 0.3" for a value that looks like a percentage where
 * a fraction is expected, else "". `from` is where percentages start: 2 for shares and
 * rates, whose values just above 1 (1.35) are more likely slips than a 1.35 % margin;
 * 1 for a change of retention, where 1.5 is almost surely "1.5 points".
 */
static const char *percent_hint(double v, double from, char *buf, size_t size)
{
    if (!(fabs(v) > 1.0 && fabs(v) >= from && fabs(v) <= 100.0))
        return "";
    snprintf(buf, size, "; write percentages as fractions: %g", v / 100.0);
    return buf;
}

/*
 * Read a number from `node`, any magnitude. On failure report "PATH: expected WHAT,
 * found ..." (with a hint for common mistakes) and return false. `dom`, when known,
 * keeps the hints to values the key takes ('60m' for a horizon is no amount).
 */
static bool get_number_any(loader *L, const cxroi_ynode *node, const char *path, const char *what,
                           const domain *dom, double *out)
{
    char found[128];
    if (is_scalar(node) && node->plain && !cxroi_ynode_is_null(node)) {
        const char *v = node->value;
        number_parse r = parse_decimal(v, out);
        if (r == NUMBER_OK)
            return true;
        if (r == NUMBER_OVERFLOW) {
            error_at(L, node,
                     "%s: expected %s, found '%s', which is %s than %s1e15; cxroi works "
                     "with amounts up to 1e15",
                     path, what, v, v[0] == '-' ? "smaller" : "larger", v[0] == '-' ? "-" : "");
            return false;
        }
        if (strcasecmp(v, ".inf") == 0 || strcasecmp(v, "-.inf") == 0 ||
            strcasecmp(v, "+.inf") == 0 || strcasecmp(v, ".nan") == 0 ||
            strcasecmp(v, "inf") == 0 || strcasecmp(v, "nan") == 0 ||
            strcasecmp(v, "infinity") == 0) {
            error_at(L, node, "%s: expected %s, found '%s'; every value must be a finite number",
                     path, what, v);
            return false;
        }
        char fixed[160];
        if (leading_zero_fix(v, fixed, sizeof fixed)) {
            error_at(L, node, "%s: expected %s, found '%s'; write %s", path, what, v, fixed);
            return false;
        }
        bool currency;
        double amount;
        if (amount_fix(v, L->sc->currency, &amount, fixed, sizeof fixed, &currency) &&
            fabs(amount) <= MAX_MAGNITUDE && (!dom || in_domain(dom, amount))) {
            error_at(L, node, "%s: expected %s, found '%s'; write %s%s", path, what, v, fixed,
                     currency ? " (every amount is a plain number in the scenario's currency)"
                              : "");
            return false;
        }
        number_fix fx;
        if (normalize_number(v, &fx)) {
            double x = 0.0;
            (void)parse_decimal(fx.text, &x);
            if (fx.percent)
                error_at(L, node, "%s: expected %s, found '%s'; write percentages as fractions: %g",
                         path, what, v, x / 100.0);
            else if (fx.decimal_comma && fx.separators)
                error_at(L, node,
                         "%s: expected %s, found '%s'; write a decimal point and no "
                         "thousands separators: %s",
                         path, what, v, fx.text);
            else if (fx.decimal_comma)
                error_at(L, node,
                         "%s: expected %s, found '%s'; write a decimal point, not a "
                         "comma: %s",
                         path, what, v, fx.text);
            else
                error_at(L, node,
                         "%s: expected %s, found '%s'; write numbers without thousands "
                         "separators: %s",
                         path, what, v, fx.text);
            return false;
        }
    }
    if (node->type == CXROI_YNODE_MAP && cxroi_ynode_get(node, "dist")) {
        error_at(L, node,
                 "%s: expected %s, found a distribution; %s takes one number: it cannot be "
                 "uncertain",
                 path, what, path);
        return false;
    }
    describe_node(node, found, sizeof found);
    if (is_scalar(node) && !node->plain) {
        double v;
        if (parse_decimal(node->value, &v) == NUMBER_OK) {
            error_at(L, node, "%s: expected %s, found %s; remove the quotes", path, what, found);
            return false;
        }
    }
    error_at(L, node, "%s: expected %s, found %s", path, what, found);
    return false;
}

/* "larger than 1e15; ..." when |v| > MAX_MAGNITUDE, for a message's tail. */
static bool too_large(double v, char *buf, size_t size)
{
    if (!(fabs(v) > MAX_MAGNITUDE))
        return false;
    snprintf(buf, size, "%s than %s1e15; cxroi works with amounts up to 1e15",
             v < 0 ? "smaller" : "larger", v < 0 ? "-" : "");
    return true;
}

/* Read a number of at most MAX_MAGNITUDE in absolute value; see get_number_any(). */
static bool get_number(loader *L, const cxroi_ynode *node, const char *path, const char *what,
                       const domain *dom, double *out)
{
    if (!get_number_any(L, node, path, what, dom, out))
        return false;
    char tail[128];
    if (too_large(*out, tail, sizeof tail)) {
        error_at(L, node, "%s: expected %s, found %g, which is %s", path, what, *out, tail);
        return false;
    }
    return true;
}

/* An integer in [lo, hi]. */
static bool get_int(loader *L, const cxroi_ynode *node, const char *path, long long lo,
                    long long hi, long long *out)
{
    char what[128];
    if (hi == LLONG_MAX)
        snprintf(what, sizeof what, "a whole number >= %lld", lo);
    else
        snprintf(what, sizeof what, "a whole number from %lld to %lld", lo, hi);
    if (node && node->type == CXROI_YNODE_MAP && cxroi_ynode_get(node, "dist")) {
        error_at(L, node,
                 "%s: expected %s, found a distribution; %s is structural and cannot "
                 "be uncertain",
                 path, what, path);
        return false;
    }
    double v;
    const domain whole = {(double)lo, (double)hi, false, false, what, 0.0};
    if (!get_number_any(L, node, path, what, &whole, &v))
        return false;
    if (v != floor(v) || v < (double)lo || v > (double)hi) {
        error_at(L, node, "%s: expected %s, found %s", path, what, node->value);
        return false;
    }
    *out = (long long)v;
    return true;
}

/* ---------------------------------------------------------------------------------- */
/* Domains of model inputs                                                             */

static const domain D_UNIT = {0.0, 1.0, false, false, "a number from 0 to 1", 2.0};
static const domain D_NONNEG = {0.0, INFINITY, false, true, "a number >= 0", 0.0};
static const domain D_POSITIVE = {0.0, INFINITY, true, true, "a number > 0", 0.0};
static const domain D_RATE = {-1.0, INFINITY, true, true, "a rate > -1 (e.g. 0.09 for 9 %)", false};
static const domain D_RELATIVE = {
    -1.0, INFINITY, false, true, "a relative change >= -1 (e.g. -0.05 for -5 %)", 0.0};
static const domain D_ABS_RETENTION = {
    -1.0, 1.0, false, false, "an absolute change of retention from -1 to 1 (e.g. 0.015)", 1.0};
static const domain D_ANY = {-INFINITY, INFINITY, true, true, "a number", 0.0};

/* A plain number within `dom`, into *out; false after reporting what was found instead
 * (with a hint when it looks like a percentage of a fraction). */
static bool get_number_in(loader *L, const cxroi_ynode *node, const char *path,
                          const domain *dom, double *out)
{
    double v;
    if (!get_number(L, node, path, dom->text, dom, &v))
        return false;
    if (!in_domain(dom, v)) {
        char hint[96];
        error_at(L, node, "%s: expected %s, found %s%s", path, dom->text, node->value,
                 dom->percent > 0.0 ? percent_hint(v, dom->percent, hint, sizeof hint) : "");
        return false;
    }
    *out = v;
    return true;
}

/* ---------------------------------------------------------------------------------- */
/* Distributions                                                                       */

static const char *const DIST_NAMES[] = {"uniform",   "triangular", "pert",    "normal",
                                         "lognormal", "beta",       "discrete"};

/* Keys each family accepts (besides `dist` and `base`). */
static const char *const KEYS_UNIFORM[] = {"dist", "min", "max", "base"};
static const char *const KEYS_TRIANGULAR[] = {"dist", "min", "mode", "max", "base"};
static const char *const KEYS_PERT[] = {"dist", "min", "mode", "max", "lambda", "base"};
static const char *const KEYS_NORMAL[] = {"dist", "mean", "sd", "min", "max", "base"};
static const char *const KEYS_LOGNORMAL[] = {"dist", "mean", "sd", "base"};
static const char *const KEYS_BETA[] = {"dist", "alpha", "beta", "min", "max", "base"};
static const char *const KEYS_DISCRETE[] = {"dist", "values", "probs", "base"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Read a required or optional number field of a distribution map. */
static bool dist_field(loader *L, const cxroi_ynode *map, const char *path, const char *key,
                       bool required, const char *family, const char *signature, double *out,
                       bool *present)
{
    const cxroi_ynode *v = cxroi_ynode_get(map, key);
    if (present)
        *present = v != NULL;
    if (!v) {
        if (required) {
            error_at(L, map, "%s: missing '%s'; a %s distribution needs %s", path, key, family,
                     signature);
            return false;
        }
        return true;
    }
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    return get_number(L, v, sub, "a number", NULL, out);
}

static bool number_list(loader *L, const cxroi_ynode *node, const char *path, double **out,
                        size_t *n, size_t max)
{
    if (!node || node->type != CXROI_YNODE_SEQ) {
        char found[128];
        describe_node(node, found, sizeof found);
        error_at(L, node, "%s: expected a list of numbers such as [1, 2, 3], found %s", path,
                 found);
        return false;
    }
    if (node->count == 0) {
        error_at(L, node, "%s: expected a list of numbers, found an empty list", path);
        return false;
    }
    if (node->count > max) {
        error_at(L, node, "%s: the list has %zu entries; at most %zu are allowed", path,
                 node->count, max);
        return false;
    }
    double *a = calloc(node->count, sizeof *a);
    if (!a) {
        L->nomem = true;
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < node->count; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (!get_number(L, node->items[i], sub, "a number", NULL, &a[i]))
            ok = false;
    }
    if (!ok) {
        free(a);
        return false;
    }
    *out = a;
    *n = node->count;
    return true;
}

/*
 * Read a model input: a plain number or a distribution map. On success `d` is set (and
 * owns its discrete arrays). Checks the distribution's parameters, its base value and
 * that it stays within `dom` (for unbounded families: between its 1e-6 and 1 - 1e-6
 * quantiles, so a normal cost far from zero is fine but a retention of normal(0.95, 0.05)
 * is not).
 */
static bool read_dist(loader *L, const cxroi_ynode *node, const char *path, const domain *dom,
                      cxroi_dist *d)
{
    cxroi_dist_init_fixed(d, 0.0);
    if (node && node->type == CXROI_YNODE_MAP) {
        const cxroi_ynode *kind_node = cxroi_ynode_get(node, "dist");
        if (!kind_node) {
            /* A map without `dist`: maybe a misspelt `dist` key. */
            for (size_t i = 0; i < node->count; i++) {
                const cxroi_ynode *k = node->pairs[i].key;
                static const char *const dist_key[] = {"dist"};
                if (is_scalar(k) && cxroi_suggest(k->value, dist_key, 1)) {
                    error_at(L, k, "unknown key '%s' in %s; did you mean 'dist'?", k->value, path);
                    return false;
                }
            }
            error_at(L, node,
                     "%s: expected %s or a distribution such as {dist: pert, min: 1, mode: 2, "
                     "max: 4}, found a mapping without 'dist'",
                     path, dom->text);
            return false;
        }
        cxroi_dist_kind kind;
        if (!is_scalar(kind_node) || !cxroi_dist_kind_from_name(kind_node->value, &kind) ||
            kind == CXROI_DIST_FIXED) {
            char found[128], list[256];
            describe_node(kind_node, found, sizeof found);
            join_words(DIST_NAMES, COUNT(DIST_NAMES), list, sizeof list);
            const char *hint = is_scalar(kind_node)
                                   ? cxroi_suggest(kind_node->value, DIST_NAMES, COUNT(DIST_NAMES))
                                   : NULL;
            if (hint)
                error_at(L, kind_node, "%s.dist: unknown distribution %s; did you mean '%s'?", path,
                         found, hint);
            else
                error_at(L, kind_node, "%s.dist: expected one of %s, found %s", path, list, found);
            return false;
        }
        d->kind = kind;
        bool ok = true;
        const char *family = DIST_NAMES[kind - 1];
        switch (kind) {
        case CXROI_DIST_UNIFORM:
            check_keys(L, node, path, KEYS_UNIFORM, COUNT(KEYS_UNIFORM));
            ok &= dist_field(L, node, path, "min", true, family, "min, max", &d->min, NULL);
            ok &= dist_field(L, node, path, "max", true, family, "min, max", &d->max, NULL);
            break;
        case CXROI_DIST_TRIANGULAR:
            check_keys(L, node, path, KEYS_TRIANGULAR, COUNT(KEYS_TRIANGULAR));
            ok &= dist_field(L, node, path, "min", true, family, "min, mode, max", &d->min, NULL);
            ok &= dist_field(L, node, path, "mode", true, family, "min, mode, max", &d->mode, NULL);
            ok &= dist_field(L, node, path, "max", true, family, "min, mode, max", &d->max, NULL);
            break;
        case CXROI_DIST_PERT:
            check_keys(L, node, path, KEYS_PERT, COUNT(KEYS_PERT));
            d->lambda = 4.0;
            ok &= dist_field(L, node, path, "min", true, family, "min, mode, max", &d->min, NULL);
            ok &= dist_field(L, node, path, "mode", true, family, "min, mode, max", &d->mode, NULL);
            ok &= dist_field(L, node, path, "max", true, family, "min, mode, max", &d->max, NULL);
            ok &= dist_field(L, node, path, "lambda", false, family, "", &d->lambda, NULL);
            break;
        case CXROI_DIST_NORMAL:
            check_keys(L, node, path, KEYS_NORMAL, COUNT(KEYS_NORMAL));
            ok &= dist_field(L, node, path, "mean", true, family, "mean, sd", &d->mean, NULL);
            ok &= dist_field(L, node, path, "sd", true, family, "mean, sd", &d->sd, NULL);
            ok &= dist_field(L, node, path, "min", false, family, "", &d->min, &d->has_min);
            ok &= dist_field(L, node, path, "max", false, family, "", &d->max, &d->has_max);
            break;
        case CXROI_DIST_LOGNORMAL:
            check_keys(L, node, path, KEYS_LOGNORMAL, COUNT(KEYS_LOGNORMAL));
            ok &= dist_field(L, node, path, "mean", true, family, "mean, sd of the variable",
                             &d->mean, NULL);
            ok &= dist_field(L, node, path, "sd", true, family, "mean, sd of the variable", &d->sd,
                             NULL);
            break;
        case CXROI_DIST_BETA:
            check_keys(L, node, path, KEYS_BETA, COUNT(KEYS_BETA));
            ok &= dist_field(L, node, path, "alpha", true, family, "alpha, beta", &d->alpha, NULL);
            ok &= dist_field(L, node, path, "beta", true, family, "alpha, beta", &d->beta, NULL);
            ok &= dist_field(L, node, path, "min", false, family, "", &d->min, &d->has_min);
            ok &= dist_field(L, node, path, "max", false, family, "", &d->max, &d->has_max);
            if (ok && d->has_min != d->has_max) {
                error_at(L, node,
                         "%s: a beta distribution is scaled with both 'min' and 'max', "
                         "found only '%s'",
                         path, d->has_min ? "min" : "max");
                ok = false;
            }
            if (!d->has_min) {
                d->min = 0.0;
                d->max = 1.0;
            }
            break;
        case CXROI_DIST_DISCRETE: {
            check_keys(L, node, path, KEYS_DISCRETE, COUNT(KEYS_DISCRETE));
            const cxroi_ynode *vals = cxroi_ynode_get(node, "values");
            const cxroi_ynode *probs = cxroi_ynode_get(node, "probs");
            char sub[512];
            if (!vals || !probs) {
                error_at(L, node, "%s: missing '%s'; a discrete distribution needs values, probs",
                         path, vals ? "probs" : "values");
                ok = false;
                break;
            }
            size_t nv = 0, np = 0;
            snprintf(sub, sizeof sub, "%s.values", path);
            ok &= number_list(L, vals, sub, &d->values, &nv, MAX_DISCRETE);
            snprintf(sub, sizeof sub, "%s.probs", path);
            ok &= number_list(L, probs, sub, &d->probs, &np, MAX_DISCRETE);
            d->n_values = nv;
            if (ok && nv != np) {
                error_at(L, probs,
                         "%s.probs: expected %zu probabilities (one per value), found %zu", path,
                         nv, np);
                ok = false;
            }
            break;
        }
        case CXROI_DIST_FIXED:
            break;
        }
        const cxroi_ynode *base = cxroi_ynode_get(node, "base");
        if (base) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s.base", path);
            ok &= get_number(L, base, sub, "a number", NULL, &d->base);
            d->has_base = true;
        }
        if (!ok) {
            cxroi_dist_clear(d);
            return false;
        }
        const char *field = NULL;
        char msg[512];
        if (!cxroi_dist_check(d, &field, msg, sizeof msg)) {
            const cxroi_ynode *at = field ? cxroi_ynode_get(node, field) : NULL;
            if (field && strcmp(field, "base") == 0 && isfinite(d->base)) {
                /* "support" is statisticians' jargon: say it as the range of values. */
                double lo, hi;
                cxroi_dist_support(d, &lo, &hi);
                snprintf(msg, sizeof msg,
                         "expected a value the distribution can take, from %g to %g, found %g", lo,
                         hi, d->base);
            }
            error_at(L, at ? at : node, "%s%s%s: %s", path, field ? "." : "", field ? field : "",
                     msg);
            cxroi_dist_clear(d);
            return false;
        }
        /* Stay within the input's domain, and within amounts cxroi can add up. */
        double lo, hi;
        cxroi_dist_draw_range(d, &lo, &hi);
        char desc[512], tail[128];
        if (too_large(fabs(lo) > fabs(hi) ? lo : hi, tail, sizeof tail)) {
            cxroi_dist_describe(d, desc, sizeof desc);
            error_at(L, node, "%s: expected %s, found %s, which ranges from %g to %g: %s", path,
                     dom->text, desc, lo, hi, tail);
            cxroi_dist_clear(d);
            return false;
        }
        if (!in_domain(dom, lo) || !in_domain(dom, hi)) {
            cxroi_dist_describe(d, desc, sizeof desc);
            /* pert(80, 85, 90) for a retention rate: percentages, not a range too wide. */
            bool percent = dom->percent > 0.0 && hi >= 2.0 && hi <= 100.0 && lo >= 100.0 * dom->lo;
            if (percent)
                error_at(L, node,
                         "%s: expected %s, found %s, which ranges from %g to %g; write "
                         "percentages as fractions: %g to %g",
                         path, dom->text, desc, lo, hi, lo / 100.0, hi / 100.0);
            else
                error_at(L, node,
                         "%s: expected %s, found %s, which ranges from %g to %g; narrow it or "
                         "truncate it with min/max",
                         path, dom->text, desc, lo, hi);
            cxroi_dist_clear(d);
            return false;
        }
        /* A truncation far out in one tail holds almost nothing: every draw sits at the
         * bound (min 0.5 for a mean of -0.06: a sign slip, most likely). Narrow bounds
         * around the mean keep little probability too, but draws spread over them. */
        double mass = cxroi_dist_truncated_mass(d);
        bool mean_outside = (d->has_min && d->mean < d->min) || (d->has_max && d->mean > d->max);
        if (mass < 0.01 && mean_outside) {
            cxroi_dist_describe(d, desc, sizeof desc);
            warning_at(L, node,
                       "%s: %s keeps only %.2g of the normal's probability between its min "
                       "and max, so every draw sits near a bound; check the bounds' signs and "
                       "the mean",
                       path, desc, mass);
        }
        if (d->has_base && !in_domain(dom, d->base)) {
            error_at(L, base, "%s.base: expected %s, found %g", path, dom->text, d->base);
            cxroi_dist_clear(d);
            return false;
        }
        return true;
    }
    if (node && node->type == CXROI_YNODE_SEQ) {
        error_at(L, node, "%s: expected %s or a distribution {dist: ...}, found a list", path,
                 dom->text);
        return false;
    }
    double v;
    if (!get_number_in(L, node, path, dom, &v))
        return false;
    cxroi_dist_init_fixed(d, v);
    return true;
}

/* Register a parameter; returns its index or CXROI_NONE (error already reported). */
static size_t add_param(loader *L, const cxroi_ynode *node, const char *path, const domain *dom)
{
    cxroi_dist d;
    if (!read_dist(L, node, path, dom, &d)) {
        char **f = realloc(L->failed, (L->n_failed + 1) * sizeof *f);
        if (f) {
            L->failed = f;
            if ((f[L->n_failed] = xstrdup(L, path)) != NULL)
                L->n_failed++;
        }
        return CXROI_NONE;
    }
    cxroi_scenario *sc = L->sc;
    if (!grow(L, (void **)&sc->params, &L->cap_params, sc->n_params, sizeof *sc->params)) {
        cxroi_dist_clear(&d);
        return CXROI_NONE;
    }
    cxroi_param *p = &sc->params[sc->n_params];
    p->path = xstrdup(L, path);
    if (!p->path) {
        cxroi_dist_clear(&d);
        return CXROI_NONE;
    }
    p->dist = d;
    p->mark = mark_of(L, node);
    return sc->n_params++;
}

/* A fixed parameter created by the loader itself (defaults, fitted values). */
static size_t add_fixed_param(loader *L, const cxroi_ynode *node, const char *path, double v)
{
    cxroi_scenario *sc = L->sc;
    if (!grow(L, (void **)&sc->params, &L->cap_params, sc->n_params, sizeof *sc->params))
        return CXROI_NONE;
    cxroi_param *p = &sc->params[sc->n_params];
    p->path = xstrdup(L, path);
    if (!p->path)
        return CXROI_NONE;
    cxroi_dist_init_fixed(&p->dist, v);
    p->mark = mark_of(L, node);
    return sc->n_params++;
}

/* ---------------------------------------------------------------------------------- */
/* Identifiers                                                                         */

static bool valid_id(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return false;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return false;
    return n <= 64;
}

/*
 * Why the text of a scalar is not an identifier, as a message tail such as "; an
 * identifier cannot contain spaces: write call_centre". Quoting is not the problem
 * (a quoted identifier is fine), so the text is shown as such.
 */
static void id_problem(const cxroi_ynode *node, char *buf, size_t size)
{
    const char *v = node->value;
    bool starts = isalpha((unsigned char)v[0]) != 0;
    bool space = false, other_ascii = false, non_ascii = false, nul = false;
    char bad = 0;
    for (size_t i = 0; i < node->length; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == ' ' || c == '\t')
            space = true;
        else if (c == 0)
            nul = true;
        else if (c >= 0x80)
            non_ascii = true;
        else if (!isalnum(c) && c != '_' && c != '-' && !other_ascii) {
            other_ascii = true;
            bad = (char)c;
        }
    }
    if (nul || node->length == 0) {
        buf[0] = '\0';
        return;
    }
    if (space && starts && !other_ascii && !non_ascii) {
        /* "call centre" -> "call_centre", when that is a valid identifier. */
        char fixed[80] = {0};
        size_t k = 0;
        for (size_t i = 0; i < node->length && k < sizeof fixed - 1; i++) {
            bool blank = v[i] == ' ' || v[i] == '\t';
            if (blank && k > 0 && fixed[k - 1] == '_')
                continue;
            fixed[k++] = blank ? '_' : v[i];
        }
        fixed[k] = '\0';
        if (valid_id(fixed)) {
            snprintf(buf, size, "; an identifier cannot contain spaces: write %s", fixed);
            return;
        }
    }
    const char *parts[4];
    size_t n = 0;
    char other[48];
    if (!starts)
        parts[n++] = "starts with a letter";
    if (space)
        parts[n++] = "cannot contain spaces";
    if (other_ascii) {
        snprintf(other, sizeof other, "cannot contain '%c'", bad);
        parts[n++] = other;
    }
    if (non_ascii)
        parts[n++] = "uses ASCII letters only";
    if (n == 0) {
        snprintf(buf, size, "; an identifier has at most 64 characters, found %zu", node->length);
        return;
    }
    size_t used = (size_t)snprintf(buf, size, "; an identifier");
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i == 0 ? " " : (i + 1 == n ? " and " : ", "), parts[i]);
}

static bool get_id(loader *L, const cxroi_ynode *node, const char *path, char **out)
{
    if (!is_scalar(node) || cxroi_ynode_is_null(node) || !valid_id(node->value) ||
        node->length != strlen(node->value)) {
        char found[128], why[160] = "";
        if (is_scalar(node) && !cxroi_ynode_is_null(node)) {
            char text[81];
            bool cut = printable_text(node->value, node->length, text, sizeof text, 40);
            snprintf(found, sizeof found, "'%s'%s", text, cut ? "..." : "");
            id_problem(node, why, sizeof why);
        } else {
            describe_node(node, found, sizeof found);
        }
        error_at(L, node,
                 "%s: expected an identifier (a letter, then letters, digits, '_' or '-', at "
                 "most 64), found %s%s",
                 path, found, why);
        return false;
    }
    *out = xstrdup(L, node->value);
    return *out != NULL;
}

static bool get_text(loader *L, const cxroi_ynode *node, const char *path, char **out)
{
    if (!is_scalar(node) || cxroi_ynode_is_null(node) || node->length != strlen(node->value)) {
        char found[128];
        describe_node(node, found, sizeof found);
        error_at(L, node, "%s: expected text, found %s", path, found);
        return false;
    }
    *out = xstrdup(L, node->value);
    return *out != NULL;
}

/* A MAP node or an error. */
static bool expect_map(loader *L, const cxroi_ynode *node, const char *path, const char *example)
{
    if (node && node->type == CXROI_YNODE_MAP)
        return true;
    char found[128];
    describe_node(node, found, sizeof found);
    /* `- id:mass` is the text "id:mass" to YAML: a ':' makes a key only before a space. */
    const char *colon = is_scalar(node) && node->plain ? strchr(node->value, ':') : NULL;
    for (size_t i = 0; colon && i < node->length; i++)
        if (!(node->value[i] > ' ' && node->value[i] < 0x7f))
            colon = NULL; /* printable ASCII only: the text is quoted back verbatim */
    if (colon && colon > node->value && colon[1] != '\0' && node->length < 80 &&
        !strchr(colon + 1, ':')) {
        error_at(L, node,
                 "%s: expected a mapping%s%s, found %s; put a space after ':' (write '%.*s: "
                 "%s')",
                 path, example ? " such as " : "", example ? example : "", found,
                 (int)(colon - node->value), node->value, colon + 1);
        return false;
    }
    error_at(L, node, "%s: expected a mapping%s%s, found %s", path, example ? " such as " : "",
             example ? example : "", found);
    return false;
}

static bool expect_seq(loader *L, const cxroi_ynode *node, const char *path, const char *example)
{
    if (node && node->type == CXROI_YNODE_SEQ)
        return true;
    char found[128];
    describe_node(node, found, sizeof found);
    error_at(L, node, "%s: expected a list%s%s, found %s", path, example ? " such as " : "",
             example ? example : "", found);
    return false;
}

/* ---------------------------------------------------------------------------------- */
/* Segments                                                                            */

static const char *const SEGMENT_KEYS[] = {"id",        "name",
                                           "customers", "revenue_per_customer",
                                           "margin",    "cost_to_serve",
                                           "retention", "retention_curve",
                                           "survival",  "acquisitions_per_year"};

/* An id already defined (at `twin`, NULL when it is new): reported where it is
 * `done` ("defined", "listed") again, naming the first place; true when it was. */
static bool defined_twice(loader *L, const cxroi_ynode *idn, const char *path, const char *kind,
                          const char *id, const char *done, const cxroi_mark *twin)
{
    if (!twin)
        return false;
    error_at(L, idn, "%s: %s '%s' is %s twice: here and at %s:%d:%d", path, kind, id, done,
             twin->file, twin->line, twin->column);
    return true;
}

static void read_segment(loader *L, const cxroi_ynode *node, size_t index)
{
    char where[160], path[256];
    snprintf(where, sizeof where, "segments[%zu]", index);
    if (!expect_map(L, node, where, "{id: mass, customers: 1200000, ...}")) {
        L->lost_segment = true;
        return;
    }
    const cxroi_ynode *idn = cxroi_ynode_get(node, "id");
    char *id = NULL;
    if (!idn) {
        error_at(L, node,
                 "%s: missing 'id' (a short name such as 'mass' that initiatives "
                 "refer to)",
                 where);
        check_keys(L, node, where, SEGMENT_KEYS, COUNT(SEGMENT_KEYS));
        L->lost_segment = true;
        return;
    }
    snprintf(path, sizeof path, "%s.id", where);
    if (!get_id(L, idn, path, &id)) {
        check_keys(L, node, where, SEGMENT_KEYS, COUNT(SEGMENT_KEYS));
        L->lost_segment = true;
        return;
    }
    cxroi_scenario *sc = L->sc;
    size_t twin = cxroi_scenario_find_segment(sc, id);
    if (defined_twice(L, idn, path, "segment", id, "defined",
                      twin != CXROI_NONE ? &sc->segments[twin].mark : NULL)) {
        free(id);
        return;
    }
    if (sc->n_segments >= MAX_SEGMENTS) {
        error_at(L, node, "too many segments: at most %d are allowed", MAX_SEGMENTS);
        free(id);
        return;
    }
    if (!grow(L, (void **)&sc->segments, &L->cap_segments, sc->n_segments, sizeof *sc->segments)) {
        free(id);
        return;
    }
    cxroi_segment *s = &sc->segments[sc->n_segments++];
    s->id = id;
    s->mark = mark_of(L, idn);
    s->customers = s->revenue_per_customer = s->margin = s->cost_to_serve = CXROI_NONE;
    s->acquisitions_per_year = s->retention = s->sbg_alpha = s->sbg_beta = CXROI_NONE;
    snprintf(where, sizeof where, "segments.%s", id);
    check_keys(L, node, where, SEGMENT_KEYS, COUNT(SEGMENT_KEYS));

    const cxroi_ynode *name = cxroi_ynode_get(node, "name");
    snprintf(path, sizeof path, "%s.name", where);
    if (name)
        get_text(L, name, path, &s->name);
    if (!s->name)
        s->name = xstrdup(L, id);

    struct {
        const char *key;
        size_t *slot;
        const domain *dom;
        bool required;
        const char *help;
    } fields[] = {
        {"customers", &s->customers, &D_NONNEG, true, "the number of customers today"},
        {"revenue_per_customer", &s->revenue_per_customer, &D_NONNEG, true,
         "yearly revenue per customer"},
        {"margin", &s->margin, &D_UNIT, true, "contribution margin on revenue, 0..1"},
        {"cost_to_serve", &s->cost_to_serve, &D_NONNEG, false, NULL},
        {"acquisitions_per_year", &s->acquisitions_per_year, &D_NONNEG, false, NULL},
    };
    for (size_t f = 0; f < COUNT(fields); f++) {
        const cxroi_ynode *v = cxroi_ynode_get(node, fields[f].key);
        snprintf(path, sizeof path, "%s.%s", where, fields[f].key);
        if (v)
            *fields[f].slot = add_param(L, v, path, fields[f].dom);
        else if (fields[f].required)
            error_at(L, idn, "%s: missing '%s' (%s)", where, fields[f].key, fields[f].help);
        else
            *fields[f].slot = add_fixed_param(L, idn, path, 0.0);
    }

    const cxroi_ynode *ret = cxroi_ynode_get(node, "retention");
    const cxroi_ynode *curve = cxroi_ynode_get(node, "retention_curve");
    const cxroi_ynode *surv = cxroi_ynode_get(node, "survival");
    int given = (ret != NULL) + (curve != NULL) + (surv != NULL);
    if (given == 0) {
        error_at(L, idn,
                 "%s: missing retention: give 'retention' (an annual rate such as 0.85), "
                 "'retention_curve' ({sbg: {alpha, beta}, tenure}) or 'survival' "
                 "(cohort counts)",
                 where);
        return;
    }
    if (given > 1) {
        const cxroi_ynode *second = surv ? surv : curve;
        const char *first_key = ret ? "retention" : "retention_curve";
        const char *second_key = surv ? "survival" : "retention_curve";
        error_at(L, second,
                 "%s: expected only one of 'retention', 'retention_curve' and "
                 "'survival', found both '%s' and '%s'",
                 where, first_key, second_key);
        return;
    }
    if (ret) {
        s->retention_kind = CXROI_RETENTION_CONSTANT;
        snprintf(path, sizeof path, "%s.retention", where);
        s->retention = add_param(L, ret, path, &D_UNIT);
        return;
    }
    if (curve) {
        s->retention_kind = CXROI_RETENTION_SBG;
        snprintf(path, sizeof path, "%s.retention_curve", where);
        if (!expect_map(L, curve, path, "{sbg: {alpha: 0.7, beta: 1.2}, tenure: 3}"))
            return;
        static const char *const CURVE_KEYS[] = {"sbg", "tenure"};
        check_keys(L, curve, path, CURVE_KEYS, COUNT(CURVE_KEYS));
        const cxroi_ynode *sbg = cxroi_ynode_get(curve, "sbg");
        const cxroi_ynode *tenure = cxroi_ynode_get(curve, "tenure");
        if (tenure) {
            char tp[300];
            snprintf(tp, sizeof tp, "%s.tenure", path);
            long long t = 0;
            if (get_int(L, tenure, tp, 0, 1000, &t))
                s->tenure = (int)t;
        }
        if (!sbg) {
            error_at(L, curve, "%s: missing 'sbg' ({alpha: ..., beta: ...})", path);
            return;
        }
        char sp[300];
        snprintf(sp, sizeof sp, "%s.sbg", path);
        if (!expect_map(L, sbg, sp, "{alpha: 0.7, beta: 1.2}"))
            return;
        static const char *const SBG_KEYS[] = {"alpha", "beta"};
        check_keys(L, sbg, sp, SBG_KEYS, COUNT(SBG_KEYS));
        const cxroi_ynode *a = cxroi_ynode_get(sbg, "alpha");
        const cxroi_ynode *b = cxroi_ynode_get(sbg, "beta");
        char kp[320];
        if (!a || !b) {
            error_at(L, sbg, "%s: missing '%s' (the sBG model needs alpha and beta > 0)", sp,
                     a ? "beta" : "alpha");
            return;
        }
        snprintf(kp, sizeof kp, "%s.alpha", sp);
        s->sbg_alpha = add_param(L, a, kp, &D_POSITIVE);
        snprintf(kp, sizeof kp, "%s.beta", sp);
        s->sbg_beta = add_param(L, b, kp, &D_POSITIVE);
        return;
    }
    /* survival: cohort counts (or fractions); sBG fitted by maximum likelihood. */
    s->retention_kind = CXROI_RETENTION_SURVIVAL;
    snprintf(path, sizeof path, "%s.survival", where);
    if (!number_list(L, surv, path, &s->survival, &s->n_survival, MAX_SURVIVAL))
        return;
    L->survival_points += s->n_survival;
    if (L->survival_points > MAX_SURVIVAL_TOTAL) {
        error_at(L, surv,
                 "%s: too many survival points: the curves of all segments hold %zu so "
                 "far; at most %d are allowed in a scenario (each curve is fitted by "
                 "maximum likelihood)",
                 path, L->survival_points, MAX_SURVIVAL_TOTAL);
        return;
    }
    /* The fit refuses unusable curves too, but here each bad point can be shown where it
     * is written, in the words of a cohort table, and all of them at once. */
    bool usable = true;
    if (s->n_survival < 3) {
        error_at(L, surv,
                 "%s: expected at least 3 cohort counts (the cohort at the start, then "
                 "its size after each of at least 2 years), found %zu",
                 path, s->n_survival);
        usable = false;
    }
    for (size_t i = 0; i < s->n_survival; i++) {
        char ip[340];
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        const cxroi_ynode *item = surv->items[i];
        if (!(s->survival[i] > 0.0)) {
            error_at(L, item,
                     "%s: expected a count > 0 (a cohort that has shrunk to nothing "
                     "cannot be fitted; drop that year and the ones after it), found %s",
                     ip, item->value);
            usable = false;
            break; /* the years after a zero are moot */
        } else if (i > 0 && s->survival[i] > s->survival[i - 1]) {
            error_at(L, item,
                     "%s: a cohort cannot grow: expected at most %s (the year before), "
                     "found %s",
                     ip, surv->items[i - 1]->value, item->value);
            usable = false;
        }
    }
    if (!usable)
        return;
    cxroi_sbg_fit fit;
    char msg[256];
    cxroi_error e = cxroi_sbg_fit_survival(s->survival, s->n_survival, &fit, msg, sizeof msg);
    if (e != CXROI_OK) {
        error_at(L, surv, "%s: cannot fit a retention curve: %s", path, msg);
        return;
    }
    char kp[320];
    if (fit.geometric) {
        /* No heterogeneity to fit: the best model is one constant retention rate. */
        warning_at(L, surv,
                   "%s: retention does not rise with the cohort's age, so the sBG model "
                   "reduces to constant retention; using the best fit, retention %.6g",
                   path, fit.retention);
        s->retention_kind = CXROI_RETENTION_CONSTANT;
        snprintf(kp, sizeof kp, "%s.retention", path);
        s->retention = add_fixed_param(L, surv, kp, fit.retention);
        return;
    }
    snprintf(kp, sizeof kp, "%s.alpha", path);
    s->sbg_alpha = add_fixed_param(L, surv, kp, fit.alpha);
    snprintf(kp, sizeof kp, "%s.beta", path);
    s->sbg_beta = add_fixed_param(L, surv, kp, fit.beta);
}

/* ---------------------------------------------------------------------------------- */
/* Touchpoints                                                                         */

static size_t touchpoint_index(const cxroi_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_touchpoints; i++)
        if (strcmp(sc->touchpoints[i], name) == 0)
            return i;
    return CXROI_NONE;
}

static void read_touchpoints(loader *L, const cxroi_ynode *node)
{
    if (!expect_seq(L, node, "touchpoints", "[onboarding, mobile_app, branch]"))
        return;
    cxroi_scenario *sc = L->sc;
    for (size_t i = 0; i < node->count; i++) {
        const cxroi_ynode *item = node->items[i];
        char path[64];
        snprintf(path, sizeof path, "touchpoints[%zu]", i);
        char *id = NULL;
        if (!get_id(L, item, path, &id))
            continue;
        size_t twin = touchpoint_index(sc, id);
        if (defined_twice(L, item, path, "touchpoint", id, "listed",
                          twin != CXROI_NONE ? &L->touchpoint_marks[twin] : NULL)) {
            free(id);
            continue;
        }
        if (sc->n_touchpoints >= MAX_TOUCHPOINTS) {
            error_at(L, item, "too many touchpoints: at most %d are allowed", MAX_TOUCHPOINTS);
            free(id);
            continue;
        }
        size_t cap = L->cap_touchpoints;
        if (!grow(L, (void **)&sc->touchpoints, &L->cap_touchpoints, sc->n_touchpoints,
                  sizeof *sc->touchpoints)) {
            free(id);
            return;
        }
        if (cap != L->cap_touchpoints) {
            cxroi_mark *m = realloc(L->touchpoint_marks, L->cap_touchpoints * sizeof *m);
            if (!m) {
                L->nomem = true;
                free(id);
                return;
            }
            L->touchpoint_marks = m;
        }
        L->touchpoint_marks[sc->n_touchpoints] = mark_of(L, item);
        sc->touchpoints[sc->n_touchpoints++] = id;
    }
}

/* ---------------------------------------------------------------------------------- */
/* Initiatives                                                                         */

static const char *const INITIATIVE_KEYS[] = {"id",       "name",           "kind",  "touchpoints",
                                              "start",    "ramp_years",     "costs", "effects",
                                              "benefits", "risk_adjustment"};
static const char *const EFFECT_KEYS[] = {"retention", "churn", "revenue", "cost_to_serve",
                                          "acquisitions"};

static void unknown_reference(loader *L, const cxroi_ynode *node, const char *path,
                              const char *what, const char *name, char *const *known, size_t n,
                              const char *fix)
{
    if (L->lost_include)
        return; /* probably defined in the file that could not be loaded */
    const char *hint = cxroi_suggest(name, (const char *const *)known, n);
    if (hint)
        error_at(L, node, "%s: unknown %s '%s'; did you mean '%s'?", path, what, name, hint);
    else if (n == 0)
        error_at(L, node, "%s: unknown %s '%s'; %s", path, what, name, fix);
    else {
        char list[512];
        join_words((const char *const *)known, n < 12 ? n : 12, list, sizeof list);
        error_at(L, node, "%s: unknown %s '%s'; expected one of %s%s", path, what, name, list,
                 n > 12 ? ", ..." : "");
    }
}

static void read_touchpoint_weights(loader *L, cxroi_initiative *in, const cxroi_ynode *node,
                                    const char *where)
{
    cxroi_scenario *sc = L->sc;
    char path[300];
    snprintf(path, sizeof path, "%s.touchpoints", where);
    if (sc->n_touchpoints > 0) {
        in->touchpoint_weights = calloc(sc->n_touchpoints, sizeof(double));
        if (!in->touchpoint_weights) {
            L->nomem = true;
            return;
        }
    }
    const char *fix = "declare the touchpoints in the top-level 'touchpoints' list";
    if (node->type == CXROI_YNODE_SEQ) {
        size_t valid = 0;
        for (size_t i = 0; i < node->count; i++) {
            const cxroi_ynode *item = node->items[i];
            char ip[352];
            snprintf(ip, sizeof ip, "%s[%zu]", path, i);
            if (!is_scalar(item) || cxroi_ynode_is_null(item)) {
                char found[128];
                describe_node(item, found, sizeof found);
                error_at(L, item, "%s: expected a touchpoint name, found %s", ip, found);
                continue;
            }
            size_t t = touchpoint_index(sc, item->value);
            if (t == CXROI_NONE) {
                unknown_reference(L, item, ip, "touchpoint", item->value, sc->touchpoints,
                                  sc->n_touchpoints, fix);
                continue;
            }
            if (in->touchpoint_weights[t] > 0) {
                error_at(L, item, "%s: touchpoint '%s' is listed twice", ip, item->value);
                continue;
            }
            in->touchpoint_weights[t] = 1.0;
            valid++;
        }
        if (valid > 0)
            for (size_t t = 0; t < sc->n_touchpoints; t++)
                in->touchpoint_weights[t] /= (double)valid;
        return;
    }
    if (node->type != CXROI_YNODE_MAP) {
        char found[128];
        describe_node(node, found, sizeof found);
        error_at(L, node,
                 "%s: expected a list of touchpoints or weights such as {onboarding: "
                 "0.7, mobile_app: 0.3}, found %s",
                 path, found);
        return;
    }
    double sum = 0.0;
    bool ok = true;
    for (size_t i = 0; i < node->count; i++) {
        const cxroi_ynode *k = node->pairs[i].key;
        const cxroi_ynode *v = node->pairs[i].value;
        if (!is_scalar(k))
            continue;
        char ip[352];
        snprintf(ip, sizeof ip, "%s.%s", path, k->value);
        size_t t = touchpoint_index(sc, k->value);
        if (t == CXROI_NONE) {
            unknown_reference(L, k, path, "touchpoint", k->value, sc->touchpoints,
                              sc->n_touchpoints, fix);
            ok = false;
            continue;
        }
        double w;
        static const domain D_WEIGHT = {0.0, 1.0, false, false, "a weight from 0 to 1", 2.0};
        if (!get_number_in(L, v, ip, &D_WEIGHT, &w)) {
            ok = false;
            continue;
        }
        in->touchpoint_weights[t] = w;
        sum += w;
    }
    if (ok && node->count > 0 && fabs(sum - 1.0) > 1e-6) {
        error_at(L, node, "%s: the weights must add up to 1, found a total of %g", path, sum);
    }
}

static void read_effects(loader *L, cxroi_initiative *in, const cxroi_ynode *node,
                         const char *where)
{
    cxroi_scenario *sc = L->sc;
    char path[300];
    snprintf(path, sizeof path, "%s.effects", where);
    if (!expect_map(L, node, path, "{mass: {retention: 0.01, revenue: 0.02}}"))
        return;
    if (node->count == 0)
        return;
    in->effects = calloc(node->count, sizeof *in->effects);
    if (!in->effects) {
        L->nomem = true;
        return;
    }
    const char *fix = "define the segment in 'segments' first";
    for (size_t i = 0; i < node->count; i++) {
        const cxroi_ynode *k = node->pairs[i].key;
        const cxroi_ynode *v = node->pairs[i].value;
        if (!is_scalar(k))
            continue;
        size_t seg = cxroi_scenario_find_segment(sc, k->value);
        bool effect_key = false;
        for (size_t j = 0; j < COUNT(EFFECT_KEYS); j++)
            effect_key |= strcmp(k->value, EFFECT_KEYS[j]) == 0;
        if (seg == CXROI_NONE && effect_key) {
            /* `effects: {churn: -0.1}`: the segment level is missing. */
            char value[64];
            if (is_scalar(v) && !cxroi_ynode_is_null(v))
                printable_text(v->value, v->length, value, sizeof value, 24);
            else
                snprintf(value, sizeof value, "...");
            error_at(L, k,
                     "%s: '%s' is not a segment; effects are given per segment: effects: "
                     "{SEGMENT_ID: {%s: %s}}",
                     path, k->value, k->value, value);
            continue;
        }
        if (seg == CXROI_NONE && L->lost_segment)
            continue; /* probably the segment already reported as unusable */
        if (seg == CXROI_NONE) {
            char *ids[MAX_SEGMENTS];
            for (size_t s = 0; s < sc->n_segments; s++)
                ids[s] = sc->segments[s].id;
            unknown_reference(L, k, path, "segment", k->value, ids, sc->n_segments, fix);
            continue;
        }
        char sp[400];
        snprintf(sp, sizeof sp, "%s.%s", path, k->value);
        if (!expect_map(L, v, sp, "{retention: 0.01, revenue: 0.02}"))
            continue;
        check_keys(L, v, sp, EFFECT_KEYS, COUNT(EFFECT_KEYS));
        cxroi_effect *e = &in->effects[in->n_effects++];
        e->segment = seg;
        e->mark = mark_of(L, k);
        e->retention = e->churn = e->revenue = e->cost_to_serve = e->acquisitions = CXROI_NONE;
        const cxroi_ynode *r = cxroi_ynode_get(v, "retention");
        const cxroi_ynode *c = cxroi_ynode_get(v, "churn");
        if (r && c) {
            error_at(L, c,
                     "%s: give either 'retention' (absolute change) or 'churn' (relative "
                     "change of the churn rate), not both",
                     sp);
        }
        struct {
            const char *key;
            size_t *slot;
            const domain *dom;
        } fields[] = {
            {"retention", &e->retention, &D_ABS_RETENTION},
            {"churn", &e->churn, &D_RELATIVE},
            {"revenue", &e->revenue, &D_RELATIVE},
            {"cost_to_serve", &e->cost_to_serve, &D_RELATIVE},
            {"acquisitions", &e->acquisitions, &D_RELATIVE},
        };
        for (size_t f = 0; f < COUNT(fields); f++) {
            const cxroi_ynode *fv = cxroi_ynode_get(v, fields[f].key);
            if (!fv || (fields[f].slot == &e->churn && r))
                continue;
            char fp[480];
            snprintf(fp, sizeof fp, "%s.%s", sp, fields[f].key);
            *fields[f].slot = add_param(L, fv, fp, fields[f].dom);
            /* revenue: 5 is valid (+500 %) but far more often "5 %" written as 5. */
            if (fields[f].dom == &D_RELATIVE && *fields[f].slot != CXROI_NONE) {
                double x = cxroi_dist_base(&sc->params[*fields[f].slot].dist);
                if (x > 1.0)
                    warning_at(L, fv, "%s: a relative change of %g means %+g %%; did you mean %g?",
                               fp, x, x * 100.0, x / 100.0);
            }
        }
    }
}

static void read_initiative(loader *L, const cxroi_ynode *node, size_t index)
{
    cxroi_scenario *sc = L->sc;
    char where[160], path[300];
    snprintf(where, sizeof where, "initiatives[%zu]", index);
    if (!expect_map(L, node, where, "{id: onboarding, costs: {upfront: 2.0e6}, effects: ...}")) {
        L->lost_initiative = true;
        return;
    }
    const cxroi_ynode *idn = cxroi_ynode_get(node, "id");
    char *id = NULL;
    if (!idn) {
        error_at(L, node, "%s: missing 'id' (a short name such as 'onboarding')", where);
        check_keys(L, node, where, INITIATIVE_KEYS, COUNT(INITIATIVE_KEYS));
        L->lost_initiative = true;
        return;
    }
    snprintf(path, sizeof path, "%s.id", where);
    if (!get_id(L, idn, path, &id)) {
        check_keys(L, node, where, INITIATIVE_KEYS, COUNT(INITIATIVE_KEYS));
        L->lost_initiative = true;
        return;
    }
    size_t twin = cxroi_scenario_find_initiative(sc, id);
    if (defined_twice(L, idn, path, "initiative", id, "defined",
                      twin != CXROI_NONE ? &sc->initiatives[twin].mark : NULL)) {
        free(id);
        return;
    }
    if (sc->n_initiatives >= MAX_INITIATIVES) {
        error_at(L, node, "too many initiatives: at most %d are allowed", MAX_INITIATIVES);
        free(id);
        return;
    }
    if (!grow(L, (void **)&sc->initiatives, &L->cap_initiatives, sc->n_initiatives,
              sizeof *sc->initiatives)) {
        free(id);
        return;
    }
    cxroi_initiative *in = &sc->initiatives[sc->n_initiatives++];
    in->id = id;
    in->mark = mark_of(L, idn);
    in->upfront = in->annual = in->benefit_annual = CXROI_NONE;
    snprintf(where, sizeof where, "initiatives.%s", id);
    check_keys(L, node, where, INITIATIVE_KEYS, COUNT(INITIATIVE_KEYS));

    const cxroi_ynode *name = cxroi_ynode_get(node, "name");
    snprintf(path, sizeof path, "%s.name", where);
    if (name)
        get_text(L, name, path, &in->name);
    if (!in->name)
        in->name = xstrdup(L, id);

    const cxroi_ynode *kind = cxroi_ynode_get(node, "kind");
    if (kind) {
        static const char *const KINDS[] = {"cx", "other"}; /* CXROI_INITIATIVE_CX, _OTHER */
        char kp[340];
        snprintf(kp, sizeof kp, "%s.kind", where);
        int k = read_choice(L, kind, kp, KINDS, 2);
        if (k >= 0)
            in->kind = k == 0 ? CXROI_INITIATIVE_CX : CXROI_INITIATIVE_OTHER;
    }

    long long v = 0;
    const cxroi_ynode *start = cxroi_ynode_get(node, "start");
    snprintf(path, sizeof path, "%s.start", where);
    if (start && get_int(L, start, path, 0, CXROI_MAX_HORIZON, &v)) {
        in->start = (int)v;
        /* The horizon is read before any initiative; 0 means it was invalid. */
        if (sc->horizon > 0 && in->start > sc->horizon)
            error_at(L, start,
                     "%s: expected a delay from 0 to the horizon (%d years), found %d; "
                     "shorten the delay or lengthen the horizon",
                     path, sc->horizon, in->start);
    }
    const cxroi_ynode *ramp = cxroi_ynode_get(node, "ramp_years");
    snprintf(path, sizeof path, "%s.ramp_years", where);
    if (ramp && get_int(L, ramp, path, 0, CXROI_MAX_HORIZON, &v))
        in->ramp_years = (int)v;

    const cxroi_ynode *costs = cxroi_ynode_get(node, "costs");
    if (costs) {
        snprintf(path, sizeof path, "%s.costs", where);
        if (expect_map(L, costs, path, "{upfront: 2.0e6, annual: 350e3}")) {
            static const char *const COST_KEYS[] = {"upfront", "annual"};
            check_keys(L, costs, path, COST_KEYS, COUNT(COST_KEYS));
            const cxroi_ynode *u = cxroi_ynode_get(costs, "upfront");
            const cxroi_ynode *a = cxroi_ynode_get(costs, "annual");
            char cp[340];
            snprintf(cp, sizeof cp, "%s.upfront", path);
            if (u)
                in->upfront = add_param(L, u, cp, &D_NONNEG);
            snprintf(cp, sizeof cp, "%s.annual", path);
            if (a)
                in->annual = add_param(L, a, cp, &D_NONNEG);
        }
    }
    const cxroi_ynode *benefits = cxroi_ynode_get(node, "benefits");
    if (benefits) {
        snprintf(path, sizeof path, "%s.benefits", where);
        if (expect_map(L, benefits, path, "{annual: 900e3}")) {
            static const char *const BENEFIT_KEYS[] = {"annual"};
            check_keys(L, benefits, path, BENEFIT_KEYS, COUNT(BENEFIT_KEYS));
            const cxroi_ynode *a = cxroi_ynode_get(benefits, "annual");
            char bp[340];
            snprintf(bp, sizeof bp, "%s.annual", path);
            if (a)
                in->benefit_annual = add_param(L, a, bp, &D_ANY);
            else
                error_at(L, benefits, "%s: missing 'annual' (the yearly direct benefit)", path);
        }
    }
    const cxroi_ynode *effects = cxroi_ynode_get(node, "effects");
    bool no_effects = !effects || (effects->type == CXROI_YNODE_MAP && effects->count == 0);
    if (in->kind == CXROI_INITIATIVE_CX && no_effects && !benefits)
        warning_at(L, idn, "%s has neither 'effects' nor 'benefits': it can only cost money",
                   where);
    if (effects) {
        if (in->kind == CXROI_INITIATIVE_OTHER)
            error_at(L, effects,
                     "%s.effects: a 'kind: other' initiative acts through "
                     "'benefits', not through customer effects; remove 'kind: "
                     "other' or the effects",
                     where);
        else
            read_effects(L, in, effects, where);
    }
    const cxroi_ynode *tps = cxroi_ynode_get(node, "touchpoints");
    if (tps)
        read_touchpoint_weights(L, in, tps, where);
    else if (sc->n_touchpoints > 0 && !L->nomem) {
        in->touchpoint_weights = calloc(sc->n_touchpoints, sizeof(double));
        if (!in->touchpoint_weights)
            L->nomem = true;
    }
    const cxroi_ynode *risk = cxroi_ynode_get(node, "risk_adjustment");
    if (risk) {
        snprintf(path, sizeof path, "%s.risk_adjustment", where);
        if (expect_map(L, risk, path, "{benefits: 0.15, costs: 0.05}")) {
            static const char *const RISK_KEYS[] = {"benefits", "costs"};
            check_keys(L, risk, path, RISK_KEYS, COUNT(RISK_KEYS));
            in->has_risk_adjustment = true;
            const cxroi_ynode *b = cxroi_ynode_get(risk, "benefits");
            const cxroi_ynode *c = cxroi_ynode_get(risk, "costs");
            char rp[340];
            double x;
            snprintf(rp, sizeof rp, "%s.benefits", path);
            static const domain D_RISK_BENEFITS = {0.0, 1.0, false, false, "", 0.0};
            static const domain D_RISK_COSTS = {0.0, 10.0, false, false, "", 0.0};
            /* the domains keep the number hints to values these take; the messages below
             * say more than a domain's text */
            if (b && get_number(L, b, rp, "a fraction from 0 to 1", &D_RISK_BENEFITS, &x)) {
                char hint[96];
                if (x >= 0.0 && x <= 1.0)
                    in->risk_benefits = x;
                else
                    error_at(L, b,
                             "%s: expected a fraction from 0 to 1 (0.15 lowers benefits by "
                             "15 %%), found %s%s",
                             rp, b->value, percent_hint(x, 2.0, hint, sizeof hint));
            }
            snprintf(rp, sizeof rp, "%s.costs", path);
            if (c && get_number(L, c, rp, "a fraction >= 0", &D_RISK_COSTS, &x)) {
                if (x >= 0.0 && x <= 10.0)
                    in->risk_costs = x;
                else
                    error_at(L, c,
                             "%s: expected a fraction from 0 to 10 (0.05 raises costs by "
                             "5 %%), found %s",
                             rp, c->value);
            }
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Top level: settings, correlations, portfolio                                        */

static const char *const TOP_KEYS[] = {
    "cxroi",          "name",         "currency", "horizon",  "discount_rate",
    "terminal_value", "simulation",   "include",  "segments", "touchpoints",
    "initiatives",    "correlations", "portfolio"};
static const char *const INCLUDED_KEYS[] = {"segments", "touchpoints", "initiatives"};

static void read_simulation(loader *L, const cxroi_ynode *node)
{
    if (!expect_map(L, node, "simulation",
                    "{iterations: 20000, seed: 7, sampling: "
                    "latin_hypercube}"))
        return;
    static const char *const KEYS[] = {"iterations", "seed", "sampling", "precision"};
    check_keys(L, node, "simulation", KEYS, COUNT(KEYS));
    cxroi_simulation_spec *sim = &L->sc->simulation;
    long long v;
    const cxroi_ynode *it = cxroi_ynode_get(node, "iterations");
    if (it && get_int(L, it, "simulation.iterations", 1, (long long)CXROI_MAX_ITERATIONS, &v))
        sim->iterations = (size_t)v;
    const cxroi_ynode *seed = cxroi_ynode_get(node, "seed");
    if (seed && get_int(L, seed, "simulation.seed", 0, (long long)CXROI_MAX_SEED, &v))
        sim->seed = (uint64_t)v;
    const cxroi_ynode *sampling = cxroi_ynode_get(node, "sampling");
    if (sampling) {
        const char *const NAMES[] = {cxroi_sampling_name(CXROI_SAMPLING_MONTE_CARLO),
                                     cxroi_sampling_name(CXROI_SAMPLING_LATIN_HYPERCUBE)};
        int k = read_choice(L, sampling, "simulation.sampling", NAMES, 2);
        if (k >= 0)
            sim->sampling = (cxroi_sampling)k;
    }
    const cxroi_ynode *prec = cxroi_ynode_get(node, "precision");
    double p;
    static const domain D_PRECISION = {0.0, 1.0, true, true, "", 0.0};
    if (prec && get_number(L, prec, "simulation.precision", "a relative precision such as 0.01",
                           &D_PRECISION, &p)) {
        if (p > 0.0 && p < 1.0) {
            sim->has_precision = true;
            sim->precision = p;
        } else {
            error_at(L, prec,
                     "simulation.precision: expected a relative precision between 0 "
                     "and 1 (0.01 = 1 %%), found %s",
                     prec->value);
        }
    }
}

/*
 * How far key path `a` is from `b`, segment by segment ("segments.mas.retension" is 2
 * from "segments.mass.retention"): each segment must be a plausible misspelling of the
 * other's (1 edit up to 4 letters, 2 up to 8, else 3), so a long path with a slip in
 * each of two ids still matches, while two short ids never match by length alone.
 * SIZE_MAX when the paths have different shapes or a segment is too far.
 */
static size_t path_distance(const char *a, const char *b)
{
    size_t total = 0;
    for (;;) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        char sa[64], sb[64];
        if (la >= sizeof sa || lb >= sizeof sb)
            return SIZE_MAX;
        memcpy(sa, a, la);
        sa[la] = '\0';
        memcpy(sb, b, lb);
        sb[lb] = '\0';
        size_t d = cxroi_edit_distance(sa, sb);
        size_t len = la > lb ? la : lb;
        if (d > cxroi_suggest_max_edits(len))
            return SIZE_MAX;
        total += d;
        if ((a[la] == '.') != (b[lb] == '.'))
            return SIZE_MAX;
        if (a[la] != '.')
            return total;
        a += la + 1;
        b += lb + 1;
    }
}

/* The parameter path closest to `name`, uncertain ones first on a tie, or NULL. Every
 * input counts: a path to a fixed number is a typo worth fixing before the next error
 * ("a fixed number, not a distribution") can tell the rest. */
static const char *suggest_path(const cxroi_scenario *sc, const char *name)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    bool best_uncertain = false;
    for (size_t i = 0; i < sc->n_params; i++) {
        size_t d = path_distance(name, sc->params[i].path);
        if (d == SIZE_MAX) {
            /* A slip across a dot ("costs_upfront") changes the shape: whole string. */
            d = cxroi_edit_distance(name, sc->params[i].path);
            if (d > 2)
                continue;
        }
        bool uncertain = cxroi_dist_is_uncertain(&sc->params[i].dist);
        if (d < best_d || (d == best_d && uncertain && !best_uncertain)) {
            best = sc->params[i].path;
            best_d = d;
            best_uncertain = uncertain;
        }
    }
    return best;
}

static size_t correlation_param(loader *L, const cxroi_ynode *node, const char *path)
{
    cxroi_scenario *sc = L->sc;
    if (!is_scalar(node) || cxroi_ynode_is_null(node)) {
        char found[128];
        describe_node(node, found, sizeof found);
        error_at(L, node,
                 "%s: expected the key path of a distribution such as "
                 "initiatives.onboarding.costs.upfront, found %s",
                 path, found);
        return CXROI_NONE;
    }
    size_t p = cxroi_scenario_find_param(sc, node->value);
    for (size_t i = 0; p == CXROI_NONE && i < L->n_failed; i++)
        if (strcmp(L->failed[i], node->value) == 0)
            return CXROI_NONE; /* already reported where it is defined */
    if (p == CXROI_NONE && L->lost_include)
        return CXROI_NONE; /* probably an input of the file that could not be loaded */
    if (p == CXROI_NONE) {
        const char *best = suggest_path(sc, node->value);
        if (best)
            error_at(L, node, "%s: no input '%s' in the scenario; did you mean '%s'?", path,
                     node->value, best);
        else
            error_at(L, node,
                     "%s: no input '%s' in the scenario; paths look like "
                     "initiatives.<id>.costs.upfront or segments.<id>.retention",
                     path, node->value);
        return CXROI_NONE;
    }
    if (!cxroi_dist_is_uncertain(&sc->params[p].dist)) {
        error_at(L, node,
                 "%s: '%s' is a fixed number, not a distribution; only uncertain "
                 "inputs can be correlated",
                 path, node->value);
        return CXROI_NONE;
    }
    return p;
}

static void read_correlations(loader *L, const cxroi_ynode *node)
{
    cxroi_scenario *sc = L->sc;
    if (!expect_seq(L, node, "correlations", "[{between: [a, b], rho: 0.6}]"))
        return;
    if (node->count > MAX_CORRELATIONS) {
        error_at(L, node, "correlations: the list has %zu entries; at most %d are allowed",
                 node->count, MAX_CORRELATIONS);
        return;
    }
    for (size_t i = 0; i < node->count; i++) {
        const cxroi_ynode *item = node->items[i];
        char path[64];
        snprintf(path, sizeof path, "correlations[%zu]", i);
        if (!expect_map(L, item, path, "{between: [a, b], rho: 0.6}"))
            continue;
        static const char *const KEYS[] = {"between", "rho"};
        check_keys(L, item, path, KEYS, COUNT(KEYS));
        const cxroi_ynode *between = cxroi_ynode_get(item, "between");
        const cxroi_ynode *rho = cxroi_ynode_get(item, "rho");
        char sub[96];
        if (!between || !rho) {
            error_at(L, item, "%s: missing '%s'", path, between ? "rho" : "between");
            continue;
        }
        snprintf(sub, sizeof sub, "%s.between", path);
        if (!expect_seq(L, between, sub,
                        "[initiatives.a.costs.upfront, initiatives.a.costs.annual]"))
            continue;
        if (between->count != 2) {
            error_at(L, between, "%s: expected exactly 2 inputs, found %zu", sub, between->count);
            continue;
        }
        char p0[112], p1[112];
        snprintf(p0, sizeof p0, "%s[0]", sub);
        snprintf(p1, sizeof p1, "%s[1]", sub);
        size_t a = correlation_param(L, between->items[0], p0);
        size_t b = correlation_param(L, between->items[1], p1);
        double r;
        snprintf(sub, sizeof sub, "%s.rho", path);
        static const domain D_RHO = {-1.0, 1.0, false, false, "a rank correlation from -1 to 1",
                                     2.0};
        bool rho_ok = get_number_in(L, rho, sub, &D_RHO, &r);
        if (a == CXROI_NONE || b == CXROI_NONE || !rho_ok)
            continue;
        if (a == b) {
            error_at(L, between, "%s: an input cannot be correlated with itself ('%s')", path,
                     sc->params[a].path);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < sc->n_correlations; j++) {
            const cxroi_correlation *c = &sc->correlations[j];
            if ((c->a == a && c->b == b) || (c->a == b && c->b == a)) {
                error_at(L, item,
                         "%s: the correlation of '%s' and '%s' is already given at "
                         "line %d",
                         path, sc->params[a].path, sc->params[b].path, c->mark.line);
                dup = true;
            }
        }
        if (dup)
            continue;
        if (!grow(L, (void **)&sc->correlations, &L->cap_correlations, sc->n_correlations,
                  sizeof *sc->correlations))
            return;
        cxroi_correlation *c = &sc->correlations[sc->n_correlations++];
        c->a = a;
        c->b = b;
        c->rho = r;
        c->mark = mark_of(L, item);
    }
}

/*
 * Is the leading k x k block of `m` strictly positive definite? 1 when it is, 0 when
 * not, -1 when out of memory. Strictly: a tiny margin on the Cholesky diagonal keeps
 * |rho| = 1 pairs out, since the sampler needs an invertible matrix.
 */
static int leading_block_definite(const gsl_matrix *m, size_t k)
{
    gsl_matrix *sub = gsl_matrix_alloc(k, k);
    if (!sub)
        return -1;
    gsl_matrix_const_view view = gsl_matrix_const_submatrix(m, 0, 0, k, k);
    gsl_matrix_memcpy(sub, &view.matrix);
    int status = gsl_linalg_cholesky_decomp1(sub);
    if (status == GSL_SUCCESS) {
        for (size_t d = 0; d < k; d++)
            if (gsl_matrix_get(sub, d, d) < 1e-6)
                status = GSL_EDOM;
    }
    gsl_matrix_free(sub);
    return status == GSL_SUCCESS;
}

/*
 * The correlation matrix of the inputs named in `correlations` must be positive definite
 * (a valid correlation matrix the sampler can factor). Checked with GSL's Cholesky
 * decomposition; the smallest leading block that fails names the inputs involved.
 */
static void check_correlation_matrix(loader *L, const cxroi_ynode *node)
{
    cxroi_scenario *sc = L->sc;
    if (sc->n_correlations == 0)
        return;
    size_t *idx = malloc(2 * sc->n_correlations * sizeof *idx);
    if (!idx) {
        L->nomem = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < sc->n_correlations; i++) {
        size_t ab[2] = {sc->correlations[i].a, sc->correlations[i].b};
        for (int k = 0; k < 2; k++) {
            bool seen = false;
            for (size_t j = 0; j < n; j++)
                seen |= idx[j] == ab[k];
            if (!seen)
                idx[n++] = ab[k];
        }
    }
    if (n > MAX_CORRELATED_INPUTS) {
        error_at(L, node,
                 "correlations: %zu different inputs are correlated; at most %d are allowed", n,
                 MAX_CORRELATED_INPUTS);
        free(idx);
        return;
    }
    gsl_matrix *m = gsl_matrix_alloc(n, n);
    if (!m) {
        free(idx);
        L->nomem = true;
        return;
    }
    gsl_matrix_set_identity(m);
    for (size_t i = 0; i < sc->n_correlations; i++) {
        size_t a = 0, b = 0;
        for (size_t j = 0; j < n; j++) {
            if (idx[j] == sc->correlations[i].a)
                a = j;
            if (idx[j] == sc->correlations[i].b)
                b = j;
        }
        gsl_matrix_set(m, a, b, sc->correlations[i].rho);
        gsl_matrix_set(m, b, a, sc->correlations[i].rho);
    }
    /* Find the smallest leading block that is not positive definite. The Cholesky factor
     * of a leading block is the leading block of the whole factor, so once a block fails
     * every larger one does: bisect on k (O(n^3 log n), not O(n^4) block by block). */
    size_t failing = 0;
    int whole = leading_block_definite(m, n);
    if (whole < 0)
        L->nomem = true;
    else if (whole == 0) {
        size_t lo = 1, hi = n; /* block lo holds (1 x 1 is [1]); block hi fails */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            int ok = leading_block_definite(m, mid);
            if (ok < 0) {
                L->nomem = true;
                break;
            }
            if (ok)
                lo = mid;
            else
                hi = mid;
        }
        if (!L->nomem)
            failing = hi;
    }
    if (failing > 0) {
        char names[1024];
        size_t used = 0;
        names[0] = '\0';
        for (size_t j = 0; j < failing && used < sizeof names - 1; j++) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", j ? ", " : "",
                             sc->params[idx[j]].path);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        if (used >= sizeof names)
            used = sizeof names - 1;
        /* Point at the last correlation among those inputs: the one that tipped the set
         * over, and the line to change first. */
        cxroi_mark at = mark_of(L, node);
        for (size_t i = 0; i < sc->n_correlations; i++) {
            bool ina = false, inb = false;
            for (size_t j = 0; j < failing; j++) {
                ina |= idx[j] == sc->correlations[i].a;
                inb |= idx[j] == sc->correlations[i].b;
            }
            if (ina && inb)
                at = sc->correlations[i].mark;
        }
        cxroi_diag_add(L->diag, CXROI_SEVERITY_ERROR, at.file, at.line, at.column,
                       "correlations: the rank correlations between %s are inconsistent (the "
                       "matrix is not positive definite); weaken them so they can hold together",
                       names);
    }
    gsl_matrix_free(m);
    free(idx);
}

static bool read_group(loader *L, const cxroi_ynode *node, const char *path, cxroi_group *g)
{
    cxroi_scenario *sc = L->sc;
    g->mark = mark_of(L, node);
    if (!expect_seq(L, node, path, "[onboarding, warehouse]"))
        return false;
    g->members = calloc(node->count ? node->count : 1, sizeof *g->members);
    if (!g->members) {
        L->nomem = true;
        return false;
    }
    for (size_t i = 0; i < node->count; i++) {
        const cxroi_ynode *item = node->items[i];
        char ip[128];
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        if (!is_scalar(item) || cxroi_ynode_is_null(item)) {
            char found[128];
            describe_node(item, found, sizeof found);
            error_at(L, item, "%s: expected an initiative id, found %s", ip, found);
            continue;
        }
        size_t k = cxroi_scenario_find_initiative(sc, item->value);
        if (k == CXROI_NONE && L->lost_initiative)
            continue; /* probably the initiative already reported as unusable */
        if (k == CXROI_NONE) {
            char *ids[MAX_INITIATIVES];
            for (size_t j = 0; j < sc->n_initiatives; j++)
                ids[j] = sc->initiatives[j].id;
            unknown_reference(L, item, ip, "initiative", item->value, ids, sc->n_initiatives,
                              "define it in 'initiatives'");
            continue;
        }
        g->members[g->count++] = k;
    }
    return true;
}

/* A budget below every initiative's base upfront cost funds nothing: almost surely a
 * unit slip (thousands for millions), worth a warning before a run shows an empty
 * portfolio. */
static void warn_budget_funds_nothing(loader *L, const cxroi_ynode *at, double budget)
{
    const cxroi_scenario *sc = L->sc;
    size_t cheapest = CXROI_NONE;
    double least = INFINITY;
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        size_t u = sc->initiatives[i].upfront;
        double cost = u == CXROI_NONE ? 0.0 : cxroi_dist_base(&sc->params[u].dist);
        if (cost < least) {
            least = cost;
            cheapest = i;
        }
    }
    /* After an error (budget: 7,500 in {...} reads as 7) it would only distract. */
    if (cheapest == CXROI_NONE || !(least > cxroi_budget_cap(budget)) ||
        cxroi_diag_error_count(L->diag) > 0)
        return;
    warning_at(L, at,
               "portfolio.budget: %.15g is below the smallest upfront cost of any initiative "
               "(%.15g, '%s'): nothing can be funded; raise the budget, or remove it to fund "
               "every initiative with a positive expected NPV",
               budget, least, sc->initiatives[cheapest].id);
}

static void read_portfolio(loader *L, const cxroi_ynode *node)
{
    cxroi_scenario *sc = L->sc;
    if (!expect_map(L, node, "portfolio", "{budget: 4.0e6}"))
        return;
    static const char *const KEYS[] = {"budget", "max_loss_probability", "must_fund", "exclusive"};
    check_keys(L, node, "portfolio", KEYS, COUNT(KEYS));
    cxroi_portfolio_spec *p = &sc->portfolio;
    const cxroi_ynode *budget = cxroi_ynode_get(node, "budget");
    double v;
    static const domain D_BUDGET = {0.0, INFINITY, false, true, "a budget >= 0", 0.0};
    static const domain D_PROBABILITY = {0.0, 1.0, false, false, "a probability from 0 to 1", 0.0};
    if (budget && get_number_in(L, budget, "portfolio.budget", &D_BUDGET, &v)) {
        p->has_budget = true;
        p->budget = v;
        warn_budget_funds_nothing(L, budget, v);
    }
    const cxroi_ynode *mlp = cxroi_ynode_get(node, "max_loss_probability");
    if (mlp && get_number_in(L, mlp, "portfolio.max_loss_probability", &D_PROBABILITY, &v)) {
        p->has_max_loss_probability = true;
        p->max_loss_probability = v;
    }
    const cxroi_ynode *must = cxroi_ynode_get(node, "must_fund");
    if (must)
        read_group(L, must, "portfolio.must_fund", &p->must_fund);
    const cxroi_ynode *excl = cxroi_ynode_get(node, "exclusive");
    if (excl && expect_seq(L, excl, "portfolio.exclusive", "[[a, b], [c, d]]")) {
        p->exclusive = calloc(excl->count ? excl->count : 1, sizeof *p->exclusive);
        if (!p->exclusive) {
            L->nomem = true;
            return;
        }
        for (size_t i = 0; i < excl->count; i++) {
            char gp[64];
            snprintf(gp, sizeof gp, "portfolio.exclusive[%zu]", i);
            if (read_group(L, excl->items[i], gp, &p->exclusive[p->n_exclusive]))
                p->n_exclusive++;
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Files and includes                                                                  */

static const char *add_file_name(loader *L, const char *name)
{
    cxroi_scenario *sc = L->sc;
    char **files = realloc(sc->files, (sc->n_files + 1) * sizeof *files);
    if (!files) {
        L->nomem = true;
        return NULL;
    }
    sc->files = files;
    files[sc->n_files] = xstrdup(L, name);
    if (!files[sc->n_files])
        return NULL;
    return files[sc->n_files++];
}

static void read_includes(loader *L, const cxroi_ynode *node, const char *base_dir)
{
    const cxroi_ynode *single[1];
    const cxroi_ynode *const *items;
    size_t count;
    if (is_scalar(node) && !cxroi_ynode_is_null(node)) {
        single[0] = node;
        items = single;
        count = 1;
    } else if (node->type == CXROI_YNODE_SEQ) {
        items = (const cxroi_ynode *const *)node->items;
        count = node->count;
    } else {
        char found[128];
        describe_node(node, found, sizeof found);
        error_at(L, node,
                 "include: expected a list of file paths such as "
                 "[../models/retail-banking.yaml], found %s",
                 found);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const cxroi_ynode *item = items[i];
        char ip[64];
        snprintf(ip, sizeof ip, "include[%zu]", i);
        if (!is_scalar(item) || cxroi_ynode_is_null(item) || item->length == 0) {
            char found[128];
            describe_node(item, found, sizeof found);
            error_at(L, item, "%s: expected a file path, found %s", ip, found);
            continue;
        }
        if (L->n_files > MAX_INCLUDES) {
            error_at(L, item, "%s: too many included files (at most %d)", ip, MAX_INCLUDES);
            return;
        }
        char full[4096];
        if (item->value[0] == '/' || !base_dir || strcmp(base_dir, ".") == 0)
            snprintf(full, sizeof full, "%s", item->value);
        else
            snprintf(full, sizeof full, "%s/%s", base_dir, item->value);
        /* Compare with every file named so far, including those that failed to parse,
         * so a broken file included twice is reported once. */
        if (strcmp(L->sc->files[0], full) == 0) {
            error_at(L, item, "%s: a scenario cannot include itself ('%s')", ip, item->value);
            continue;
        }
        bool dup = false;
        for (size_t f = 1; f < L->sc->n_files; f++)
            if (strcmp(L->sc->files[f], full) == 0)
                dup = true;
        if (dup) {
            error_at(L, item, "%s: '%s' is included twice", ip, item->value);
            continue;
        }
        const char *name = add_file_name(L, full);
        if (!name)
            return;
        cxroi_diag *probe = cxroi_diag_new();
        cxroi_ydoc *doc = NULL;
        cxroi_error e = cxroi_ydoc_load_file(full, name, NULL, probe, &doc);
        if (e == CXROI_ERROR_IO) {
            const cxroi_diag_entry *entry = cxroi_diag_get(probe, 0);
            const char *why = entry ? entry->message : "unreadable";
            if (strncmp(why, "cannot read: ", 13) == 0)
                why += 13;
            /* A scenario copied away from its models: say where the path is taken from. */
            bool missing = access(full, F_OK) != 0 && errno == ENOENT;
            error_at(L, item, "%s: cannot read the included file '%s': %s%s", ip, full, why,
                     missing && item->value[0] != '/'
                         ? "; an include path is relative to the folder of the file that "
                           "includes it"
                         : "");
            cxroi_diag_free(probe);
            L->lost_include = true;
            continue;
        }
        /* Syntax errors of the included file are reported where they are. */
        for (size_t k = 0; k < cxroi_diag_count(probe); k++) {
            const cxroi_diag_entry *entry = cxroi_diag_get(probe, k);
            cxroi_diag_add(L->diag, entry->severity, entry->file, entry->line, entry->column, "%s",
                           entry->message);
        }
        cxroi_diag_free(probe);
        if (e == CXROI_ERROR_NOMEM)
            L->nomem = true;
        if (e != CXROI_OK) {
            L->lost_include = true;
            continue;
        }
        L->files[L->n_files].doc = doc;
        L->files[L->n_files].name = name;
        L->n_files++;
    }
}

/* Check the top-level keys of an included file. */
static bool check_included_root(loader *L, const cxroi_ynode *root)
{
    if (!root) {
        warning_at(L, NULL, "the included file is empty");
        return false;
    }
    if (root->type != CXROI_YNODE_MAP) {
        error_at(L, root,
                 "an included file must be a mapping with 'segments', 'touchpoints' "
                 "and/or 'initiatives'");
        return false;
    }
    for (size_t i = 0; i < root->count; i++) {
        const cxroi_ynode *k = root->pairs[i].key;
        if (!is_scalar(k))
            continue;
        bool ok = false;
        for (size_t j = 0; j < COUNT(INCLUDED_KEYS); j++)
            ok |= strcmp(k->value, INCLUDED_KEYS[j]) == 0;
        if (ok)
            continue;
        bool top = false;
        for (size_t j = 0; j < COUNT(TOP_KEYS); j++)
            top |= strcmp(k->value, TOP_KEYS[j]) == 0;
        if (top) {
            error_at(L, k,
                     "'%s' cannot be set in an included file; included files hold only "
                     "'segments', 'touchpoints' and 'initiatives' (set it in the main "
                     "scenario)",
                     k->value);
        } else {
            const char *hint = cxroi_suggest(k->value, INCLUDED_KEYS, COUNT(INCLUDED_KEYS));
            error_at(L, k, "unknown key '%s' in the included file; %s%s%s", k->value,
                     hint ? "did you mean '"
                          : "expected 'segments', 'touchpoints' or "
                            "'initiatives'",
                     hint ? hint : "", hint ? "'?" : "");
        }
    }
    return true;
}

static void read_settings(loader *L, const cxroi_ynode *root)
{
    cxroi_scenario *sc = L->sc;
    check_keys(L, root, "the scenario", TOP_KEYS, COUNT(TOP_KEYS));

    const cxroi_ynode *schema = cxroi_ynode_get(root, "cxroi");
    double v;
    if (!schema) {
        error_at(L, root, "missing 'cxroi: 1' (the schema version) at the top of the scenario");
    } else if (!is_scalar(schema) || !schema->plain ||
               parse_decimal(schema->value, &v) != NUMBER_OK || v != 1.0) {
        char found[128];
        describe_node(schema, found, sizeof found);
        error_at(L, schema, "cxroi: expected schema version 1, found %s", found);
    }

    const cxroi_ynode *name = cxroi_ynode_get(root, "name");
    if (name)
        get_text(L, name, "name", &sc->name);

    const cxroi_ynode *cur = cxroi_ynode_get(root, "currency");
    strcpy(sc->currency, "EUR");
    if (cur) {
        const char *c = scalar_text(cur);
        bool ok = is_scalar(cur) && strlen(c) == 3 && cur->length == 3;
        for (int i = 0; ok && i < 3; i++)
            ok = isupper((unsigned char)c[i]);
        if (ok) {
            memcpy(sc->currency, c, 4);
        } else {
            char found[128];
            describe_node(cur, found, sizeof found);
            error_at(L, cur,
                     "currency: expected an ISO 4217 code of three capital letters such "
                     "as EUR, USD or GBP, found %s",
                     found);
        }
    }

    const cxroi_ynode *h = cxroi_ynode_get(root, "horizon");
    long long hv;
    if (!h)
        error_at(L, root, "missing 'horizon' (the number of operating years, 1 to %d)",
                 CXROI_MAX_HORIZON);
    else if (get_int(L, h, "horizon", 1, CXROI_MAX_HORIZON, &hv))
        sc->horizon = (int)hv;

    const cxroi_ynode *d = cxroi_ynode_get(root, "discount_rate");
    if (!d)
        error_at(L, root,
                 "missing 'discount_rate' (the annual rate used to discount cash "
                 "flows, e.g. 0.09)");
    else
        sc->discount_rate = add_param(L, d, "discount_rate", &D_RATE);
    if (sc->discount_rate != CXROI_NONE) {
        /* 8 is a valid rate (800 %), but far more often a percentage written as such. */
        double r = cxroi_dist_base(&sc->params[sc->discount_rate].dist);
        if (r > 1.0)
            warning_at(L, d, "discount_rate: %g is %g %% a year; did you mean %g?", r, r * 100.0,
                       r / 100.0);
    }

    const cxroi_ynode *tv = cxroi_ynode_get(root, "terminal_value");
    if (tv) {
        static const char *const NAMES[] = {"none", "customer_equity"};
        int k = read_choice(L, tv, "terminal_value", NAMES, 2);
        if (k >= 0)
            sc->terminal_value = k == 0 ? CXROI_TERMINAL_NONE : CXROI_TERMINAL_CUSTOMER_EQUITY;
    }

    const cxroi_ynode *sim = cxroi_ynode_get(root, "simulation");
    if (sim)
        read_simulation(L, sim);
}

/* ---------------------------------------------------------------------------------- */
/* Public API                                                                          */

static void free_group(cxroi_group *g)
{
    free(g->members);
    g->members = NULL;
    g->count = 0;
}

void cxroi_scenario_free(cxroi_scenario *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->n_segments; i++) {
        free(sc->segments[i].id);
        free(sc->segments[i].name);
        free(sc->segments[i].survival);
    }
    free(sc->segments);
    for (size_t i = 0; i < sc->n_touchpoints; i++)
        free(sc->touchpoints[i]);
    free(sc->touchpoints);
    for (size_t i = 0; i < sc->n_initiatives; i++) {
        free(sc->initiatives[i].id);
        free(sc->initiatives[i].name);
        free(sc->initiatives[i].effects);
        free(sc->initiatives[i].touchpoint_weights);
    }
    free(sc->initiatives);
    for (size_t i = 0; i < sc->n_params; i++) {
        free(sc->params[i].path);
        cxroi_dist_clear(&sc->params[i].dist);
    }
    free(sc->params);
    free(sc->correlations);
    free_group(&sc->portfolio.must_fund);
    for (size_t i = 0; i < sc->portfolio.n_exclusive; i++)
        free_group(&sc->portfolio.exclusive[i]);
    free(sc->portfolio.exclusive);
    for (size_t i = 0; i < sc->n_files; i++)
        free(sc->files[i]);
    free(sc->files);
    free(sc->file);
    free(sc->name);
    free(sc);
}

/* Default scenario name: the file's base name without .yaml/.yml. */
static char *default_name(loader *L, const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char *name = xstrdup(L, base);
    if (!name)
        return NULL;
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".yaml") == 0)
        name[n - 5] = '\0';
    else if (n > 4 && strcmp(name + n - 4, ".yml") == 0)
        name[n - 4] = '\0';
    return name;
}

/* Walk one section (segments / initiatives) of every loaded file in order. */
static void for_each_section(loader *L, const char *key,
                             void (*read_item)(loader *, const cxroi_ynode *, size_t))
{
    size_t index = 0;
    for (size_t f = 0; f < L->n_files; f++) {
        const cxroi_ynode *root = cxroi_ydoc_root(L->files[f].doc);
        if (!root || root->type != CXROI_YNODE_MAP)
            continue;
        const cxroi_ynode *sec = cxroi_ynode_get(root, key);
        if (!sec)
            continue;
        L->file = L->files[f].name;
        if (sec->type != CXROI_YNODE_SEQ) {
            char found[128];
            describe_node(sec, found, sizeof found);
            error_at(L, sec, "%s: expected a list (each entry starting with '- id: ...'), found %s",
                     key, found);
            if (strcmp(key, "segments") == 0)
                L->lost_segment = true;
            else
                L->lost_initiative = true;
            continue;
        }
        for (size_t i = 0; i < sec->count && !L->nomem; i++)
            read_item(L, sec->items[i], index++);
    }
}

/* After all sections: cross-checks that need the whole scenario. */
static void check_scenario(loader *L, const cxroi_ynode *root)
{
    cxroi_scenario *sc = L->sc;
    L->file = L->files[0].name;
    if (sc->n_initiatives == 0 && cxroi_diag_error_count(L->diag) == 0)
        error_at(L, root,
                 "the scenario has no initiatives; add an 'initiatives' list (see "
                 "'cxroi init' for a starter)");
}

static cxroi_error load(loader *L, cxroi_ydoc *top_doc, const char *base_dir)
{
    cxroi_scenario *sc = L->sc;
    L->files[0].doc = top_doc;
    L->files[0].name = sc->files[0];
    L->n_files = 1;
    L->file = sc->files[0];
    sc->discount_rate = CXROI_NONE;
    sc->simulation.iterations = 10000;
    sc->simulation.seed = 1;
    sc->simulation.sampling = CXROI_SAMPLING_LATIN_HYPERCUBE;

    const cxroi_ynode *root = cxroi_ydoc_root(top_doc);
    if (!root) {
        error_at(L, NULL,
                 "the scenario is empty; start from 'cxroi init' to get a commented "
                 "example");
        return CXROI_ERROR_SCENARIO;
    }
    if (root->type != CXROI_YNODE_MAP) {
        error_at(L, root,
                 "expected a scenario (a mapping of keys such as 'cxroi: 1', "
                 "'horizon: 5', ...), found %s",
                 root->type == CXROI_YNODE_SEQ ? "a list" : "a single value");
        return CXROI_ERROR_SCENARIO;
    }
    read_settings(L, root);
    const cxroi_ynode *inc = cxroi_ynode_get(root, "include");
    if (inc)
        read_includes(L, inc, base_dir);
    for (size_t f = 1; f < L->n_files; f++) {
        L->file = L->files[f].name;
        check_included_root(L, cxroi_ydoc_root(L->files[f].doc));
    }
    /* Segments and touchpoints of every file before the initiatives that use them. */
    for_each_section(L, "segments", read_segment);
    for (size_t f = 0; f < L->n_files; f++) {
        const cxroi_ynode *r = cxroi_ydoc_root(L->files[f].doc);
        const cxroi_ynode *tp =
            r && r->type == CXROI_YNODE_MAP ? cxroi_ynode_get(r, "touchpoints") : NULL;
        if (tp) {
            L->file = L->files[f].name;
            read_touchpoints(L, tp);
        }
    }
    for_each_section(L, "initiatives", read_initiative);
    L->file = L->files[0].name;
    const cxroi_ynode *corr = cxroi_ynode_get(root, "correlations");
    if (corr) {
        read_correlations(L, corr);
        check_correlation_matrix(L, corr);
    }
    const cxroi_ynode *port = cxroi_ynode_get(root, "portfolio");
    if (port)
        read_portfolio(L, port);
    check_scenario(L, root);
    if (!sc->name)
        sc->name = default_name(L, sc->file);
    if (L->nomem)
        return CXROI_ERROR_NOMEM;
    return cxroi_diag_error_count(L->diag) ? CXROI_ERROR_SCENARIO : CXROI_OK;
}

static cxroi_error finish(loader *L, cxroi_ydoc *top, cxroi_error e, cxroi_scenario **out)
{
    for (size_t f = 1; f < L->n_files; f++)
        cxroi_ydoc_free(L->files[f].doc);
    cxroi_ydoc_free(top);
    free(L->touchpoint_marks);
    for (size_t i = 0; i < L->n_failed; i++)
        free(L->failed[i]);
    free(L->failed);
    cxroi_diag_sort(L->diag);
    if (e != CXROI_OK) {
        cxroi_scenario_free(L->sc);
        *out = NULL;
        return e;
    }
    *out = L->sc;
    return CXROI_OK;
}

static cxroi_error load_doc(const char *name, cxroi_ydoc *doc, const char *base_dir,
                            cxroi_diag *diag, cxroi_scenario **out)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.diag = diag;
    L.sc = calloc(1, sizeof *L.sc);
    if (!L.sc) {
        cxroi_ydoc_free(doc);
        return CXROI_ERROR_NOMEM;
    }
    L.sc->file = xstrdup(&L, name);
    if (!L.sc->file || !add_file_name(&L, name))
        return finish(&L, doc, CXROI_ERROR_NOMEM, out);
    /* A diag is needed to count errors even when the caller passes none. */
    cxroi_diag *own = NULL;
    if (!L.diag) {
        own = cxroi_diag_new();
        if (!own)
            return finish(&L, doc, CXROI_ERROR_NOMEM, out);
        L.diag = own;
    }
    cxroi_error e = load(&L, doc, base_dir);
    e = finish(&L, doc, e, out);
    cxroi_diag_free(own);
    return e;
}

cxroi_error cxroi_scenario_load(const char *path, cxroi_diag *diag, cxroi_scenario **out)
{
    *out = NULL;
    cxroi_ydoc *doc = NULL;
    cxroi_error e = cxroi_ydoc_load_file(path, path, NULL, diag, &doc);
    if (e != CXROI_OK)
        return e;
    char *dir = cxroi_path_dir(path);
    if (!dir) {
        cxroi_ydoc_free(doc);
        return CXROI_ERROR_NOMEM;
    }
    e = load_doc(path, doc, dir, diag, out);
    free(dir);
    return e;
}

cxroi_error cxroi_scenario_load_string(const char *text, size_t length, const char *name,
                                       const char *base_dir, cxroi_diag *diag, cxroi_scenario **out)
{
    *out = NULL;
    cxroi_ydoc *doc = NULL;
    if (!name)
        name = "<string>";
    cxroi_error e = cxroi_ydoc_load_string(text, length, name, NULL, diag, &doc);
    if (e != CXROI_OK)
        return e;
    return load_doc(name, doc, base_dir ? base_dir : ".", diag, out);
}

size_t cxroi_scenario_find_param(const cxroi_scenario *sc, const char *path)
{
    for (size_t i = 0; i < sc->n_params; i++)
        if (strcmp(sc->params[i].path, path) == 0)
            return i;
    return CXROI_NONE;
}

size_t cxroi_scenario_find_segment(const cxroi_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_segments; i++)
        if (strcmp(sc->segments[i].id, id) == 0)
            return i;
    return CXROI_NONE;
}

const char *cxroi_sampling_name(cxroi_sampling sampling)
{
    return sampling == CXROI_SAMPLING_MONTE_CARLO ? "monte_carlo" : "latin_hypercube";
}

double cxroi_budget_cap(double budget)
{
    return budget + 1e-12 * fabs(budget);
}

const char *cxroi_sampling_title(cxroi_sampling sampling)
{
    return sampling == CXROI_SAMPLING_MONTE_CARLO ? "Monte Carlo" : "Latin hypercube";
}

bool cxroi_sampling_from_name(const char *name, cxroi_sampling *sampling)
{
    for (int k = CXROI_SAMPLING_MONTE_CARLO; k <= CXROI_SAMPLING_LATIN_HYPERCUBE; k++)
        if (name && strcmp(name, cxroi_sampling_name((cxroi_sampling)k)) == 0) {
            *sampling = (cxroi_sampling)k;
            return true;
        }
    return false;
}

bool cxroi_scenario_acts_on(const cxroi_scenario *sc, size_t initiative, size_t segment)
{
    const cxroi_initiative *in = &sc->initiatives[initiative];
    for (size_t e = 0; e < in->n_effects; e++)
        if (in->effects[e].segment == segment)
            return true;
    return false;
}

size_t cxroi_scenario_find_initiative(const cxroi_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_initiatives; i++)
        if (strcmp(sc->initiatives[i].id, id) == 0)
            return i;
    return CXROI_NONE;
}

void cxroi_scenario_base_values(const cxroi_scenario *sc, double *values)
{
    for (size_t i = 0; i < sc->n_params; i++)
        values[i] = cxroi_dist_base(&sc->params[i].dist);
}
