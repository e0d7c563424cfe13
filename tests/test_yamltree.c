/*
 * Tests of the yamltree module: located nodes from valid documents, and for every way a
 * file can be wrong or hostile, a located diagnostic and the right status, fast.
 *
 * Expected lines and columns are counted by hand from the literal inputs (1-based, as an
 * editor shows them); each is explained beside the assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "yamltree_internal.h"

#ifndef CXROI_TEST_DATA
#define CXROI_TEST_DATA "tests/data"
#endif

/* Hostile inputs are tested for a located error; their speed is measured in bench/ (unit
 * tests never assert on wall time). */

/* One fixture for every test: what a failed assertion would otherwise leak. */
typedef struct fixture {
    cxroi_diag *diag;
    cxroi_ydoc *doc;
    char *buf;      /* a generated input */
    char dir[64];   /* a temporary directory, "" when none */
    char path[128]; /* a file inside it, "" when none */
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    fx->diag = cxroi_diag_new();
    if (!fx->diag) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    cxroi_ydoc_free(fx->doc);
    cxroi_diag_free(fx->diag);
    free(fx->buf);
    if (fx->path[0])
        unlink(fx->path);
    if (fx->dir[0])
        rmdir(fx->dir);
    free(fx);
    return 0;
}

static cxroi_error load_n(fixture *fx, const char *text, size_t n, const cxroi_ylimits *lim)
{
    return cxroi_ydoc_load_string(text, n, "test.yaml", lim, fx->diag, &fx->doc);
}

static cxroi_error load(fixture *fx, const char *text)
{
    return load_n(fx, text, strlen(text), NULL);
}

/* Makes fx->dir and names fx->path inside it (the file itself is not created). */
static void make_temp_dir(fixture *fx, const char *file)
{
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/cxroi_yamltree_XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, file);
}

/* Writes n bytes to a fresh file made with mkstemp in the fixture's directory. */
static void write_temp_file(fixture *fx, const char *text, size_t n)
{
    make_temp_dir(fx, "scenario-XXXXXX");
    int fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        assert_true(w > 0);
        done += (size_t)w;
    }
    assert_int_equal(close(fd), 0);
}

/* The document failed: no tree, exactly one error at (line, column) containing `want`. */
static void assert_one_error(const fixture *fx, int line, int column, const char *want)
{
    assert_null(fx->doc);
    assert_int_equal(cxroi_diag_error_count(fx->diag), 1);
    const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
    assert_non_null(e);
    if (!strstr(e->message, want))
        fail_msg("message \"%s\" lacks \"%s\"", e->message, want);
    assert_int_equal(e->line, line);
    assert_int_equal(e->column, column);
}

/* A malloc'd string of n copies of unit (the caller frees it). */
static char *repeat_text(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *buf = malloc(u * n + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * u, unit, u);
    buf[u * n] = '\0';
    return buf;
}

static const cxroi_ynode *at(const cxroi_ynode *map, const char *key)
{
    const cxroi_ynode *v = cxroi_ynode_get(map, key);
    if (!v)
        fail_msg("key '%s' not found", key);
    return v;
}

static void assert_scalar(const cxroi_ynode *n, const char *text, bool plain, int line, int column)
{
    assert_non_null(n);
    assert_int_equal(n->type, CXROI_YNODE_SCALAR);
    assert_string_equal(n->value, text);
    assert_int_equal(n->length, strlen(text));
    assert_int_equal(n->plain, plain);
    assert_int_equal(n->line, line);
    assert_int_equal(n->column, column);
}

/* xorshift64: the same "random" bytes on every platform, unlike rand(). */
static uint64_t xorshift64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ----------------------------------------------------------------------------------- */
/* Valid documents                                                                     */

static void test_yamltree_map_marks_and_styles(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "name: \"Northwind Bank\"\n"
                              "discount_rate: 0.0735\n"
                              "note: 'it''s: fine'\n"
                              "  # comment inside\n"
                              "empty:\n"),
                     CXROI_OK);
    assert_int_equal(cxroi_diag_count(fx->diag), 0);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_non_null(root);
    assert_int_equal(root->type, CXROI_YNODE_MAP);
    assert_int_equal(root->count, 4);
    assert_int_equal(root->line, 1);
    assert_int_equal(root->column, 1);
    /* Keys in document order, each with its own mark. */
    assert_scalar(root->pairs[0].key, "name", true, 1, 1);
    assert_scalar(root->pairs[0].value, "Northwind Bank", false, 1, 7); /* the quote */
    assert_scalar(root->pairs[1].key, "discount_rate", true, 2, 1);
    assert_scalar(root->pairs[1].value, "0.0735", true, 2, 16);
    assert_scalar(root->pairs[2].value, "it's: fine", false, 3, 7);
    /* `empty:` has an empty plain value, which YAML reads as null. */
    const cxroi_ynode *empty = at(root, "empty");
    assert_int_equal(empty->length, 0);
    assert_true(cxroi_ynode_is_null(empty));
    assert_null(empty->tag);
    assert_null(root->pairs[0].value->tag);
}

static void test_yamltree_sequences_and_flow(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "touchpoints: [onboarding, \"mobile app\", branch]\n"
                              "simulation: {iterations: 20000, seed: 7}\n"
                              "segments:\n"
                              "  - id: mass\n"
                              "    survival: [1000, 869]\n"
                              "  - id: smb\n"
                              "empty_list: []\n"
                              "empty_map: {}\n"),
                     CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    const cxroi_ynode *tp = at(root, "touchpoints");
    assert_int_equal(tp->type, CXROI_YNODE_SEQ);
    assert_int_equal(tp->count, 3);
    assert_int_equal(tp->line, 1);
    assert_int_equal(tp->column, 14); /* "touchpoints: " is 13 characters */
    assert_scalar(tp->items[0], "onboarding", true, 1, 15);
    assert_scalar(tp->items[1], "mobile app", false, 1, 27);
    assert_scalar(tp->items[2], "branch", true, 1, 41);

    const cxroi_ynode *sim = at(root, "simulation");
    assert_int_equal(sim->type, CXROI_YNODE_MAP);
    assert_int_equal(sim->count, 2);
    assert_scalar(at(sim, "seed"), "7", true, 2, 39); /* "simulation: {" 13, then 25 */

    const cxroi_ynode *segs = at(root, "segments");
    assert_int_equal(segs->type, CXROI_YNODE_SEQ);
    assert_int_equal(segs->count, 2);
    assert_int_equal(segs->line, 4); /* a block sequence starts at its first '-' */
    assert_int_equal(segs->column, 3);
    const cxroi_ynode *mass = segs->items[0];
    assert_int_equal(mass->type, CXROI_YNODE_MAP);
    assert_int_equal(mass->line, 4);
    assert_int_equal(mass->column, 5);
    assert_scalar(at(mass, "id"), "mass", true, 4, 9);
    const cxroi_ynode *surv = at(mass, "survival");
    assert_int_equal(surv->count, 2);
    assert_scalar(surv->items[1], "869", true, 5, 22);
    assert_scalar(at(segs->items[1], "id"), "smb", true, 6, 9);

    const cxroi_ynode *el = at(root, "empty_list");
    assert_int_equal(el->type, CXROI_YNODE_SEQ);
    assert_int_equal(el->count, 0);
    assert_null(el->items);
    const cxroi_ynode *em = at(root, "empty_map");
    assert_int_equal(em->type, CXROI_YNODE_MAP);
    assert_int_equal(em->count, 0);
    assert_null(cxroi_ynode_get(em, "x"));
}

static void test_yamltree_tags(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "a: !!str 0.0735\n"
                              "b: !<tag:example.com,2027:x> y\n"
                              "c: !local z\n"
                              "d: !!null ''\n"
                              "e: !!int null\n"
                              "f: ~\n"
                              "g: 'null'\n"
                              "h: NULL\n"
                              "i: nil\n"),
                     CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    const cxroi_ynode *a = at(root, "a");
    assert_string_equal(a->tag, "tag:yaml.org,2002:str"); /* libyaml expands `!!` */
    assert_scalar(a, "0.0735", true, 1, 4);               /* the tag's column */
    assert_string_equal(at(root, "b")->tag, "tag:example.com,2027:x");
    assert_string_equal(at(root, "c")->tag, "!local");
    assert_string_equal(at(root, "d")->tag, "tag:yaml.org,2002:null");
    /* Null: plain spellings only, and no tag other than !!null. */
    assert_false(cxroi_ynode_is_null(at(root, "d"))); /* quoted */
    assert_false(cxroi_ynode_is_null(at(root, "e"))); /* tagged !!int */
    assert_true(cxroi_ynode_is_null(at(root, "f")));
    assert_false(cxroi_ynode_is_null(at(root, "g")));
    assert_true(cxroi_ynode_is_null(at(root, "h")));
    assert_false(cxroi_ynode_is_null(at(root, "i")));
    assert_false(cxroi_ynode_is_null(root)); /* a map */
    assert_false(cxroi_ynode_is_null(NULL));
    assert_null(cxroi_ynode_get(a, "x")); /* not a map */
    assert_null(cxroi_ynode_get(NULL, "x"));
}

static void test_yamltree_escaped_nul_keeps_length(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "k: \"a\\0b\\u00e9\"\n"), CXROI_OK);
    const cxroi_ynode *v = at(cxroi_ydoc_root(fx->doc), "k");
    /* a, NUL, b, then U+00E9 as two UTF-8 bytes. */
    assert_int_equal(v->length, 5);
    assert_memory_equal(v->value, "a\0b\xc3\xa9", 6);
}

static void test_yamltree_crlf_and_bom_marks(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "\xef\xbb\xbf"
                              "a: 1\r\nbb: 2\r\n"),
                     CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_scalar(root->pairs[0].key, "a", true, 1, 1); /* the BOM is not a column */
    assert_scalar(at(root, "bb"), "2", true, 2, 5);
}

static void test_yamltree_alias_shares_node(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "base: &b {margin: 0.35}\n"
                              "x: *b\n"
                              "y: [*b, *b]\n"
                              "s: &s text\n"
                              "t: *s\n"),
                     CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    const cxroi_ynode *base = at(root, "base");
    assert_ptr_equal(at(root, "x"), base);
    assert_ptr_equal(at(root, "y")->items[0], base);
    assert_ptr_equal(at(root, "y")->items[1], base);
    assert_ptr_equal(at(root, "t"), at(root, "s"));
    /* The shared node keeps the anchor's position. */
    assert_int_equal(base->line, 1);
    assert_int_equal(base->column, 7);
}

static void test_yamltree_anchor_redefined_latest_wins(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "a: &v one\nb: *v\nc: &v two\nd: *v\n"), CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_string_equal(at(root, "b")->value, "one");
    assert_string_equal(at(root, "d")->value, "two");
}

static void test_yamltree_empty_document(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, ""), CXROI_OK);
    assert_non_null(fx->doc);
    assert_null(cxroi_ydoc_root(fx->doc));
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    /* A lone `---` is an empty document too (libyaml gives an empty plain scalar). */
    assert_int_equal(load(fx, "---\n...\n"), CXROI_OK);
    assert_null(cxroi_ydoc_root(fx->doc));
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    /* An explicit `~` is a value, not an empty file. */
    assert_int_equal(load(fx, "~\n"), CXROI_OK);
    assert_true(cxroi_ynode_is_null(cxroi_ydoc_root(fx->doc)));
    assert_null(cxroi_ydoc_root(NULL));
    assert_int_equal(cxroi_diag_count(fx->diag), 0);
}

static void test_yamltree_comment_only_file(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "# cxroi scenario\n\n   # nothing yet\n"), CXROI_OK);
    assert_non_null(fx->doc);
    assert_null(cxroi_ydoc_root(fx->doc));
}

static void test_yamltree_load_file_from_data(void **state)
{
    fixture *fx = *state;
    assert_int_equal(cxroi_ydoc_load_file(CXROI_TEST_DATA "/yaml/marks.yaml", "marks.yaml", NULL,
                                          fx->diag, &fx->doc),
                     CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_int_equal(root->line, 2); /* line 1 is a comment */
    assert_scalar(at(root, "name"), "Northwind", false, 2, 7);
    assert_scalar(at(root, "discount_rate"), "0.0735", true, 4, 16);
    const cxroi_ynode *segs = at(root, "segments");
    assert_scalar(at(segs->items[0], "margin"), "x: y", false, 7, 13);
    assert_scalar(at(segs->items[1], "customers"), "40000", true, 8, 26);
}

static void test_yamltree_many_keys_no_false_duplicate(void **state)
{
    fixture *fx = *state;
    /* 5000 distinct keys exercise the hashed key index (used above 16 keys) and its
     * growth; keys k0..k4999 are distinct, so no duplicate may be reported. */
    const size_t n = 5000;
    fx->buf = malloc(n * 16 + 1);
    assert_non_null(fx->buf);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(fx->buf + len, "k%zu: %zu\n", i, i);
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_int_equal(root->count, n);
    assert_string_equal(at(root, "k4321")->value, "4321");
}

static void test_yamltree_many_anchors(void **state)
{
    fixture *fx = *state;
    /* 3000 anchors grow the anchor table many times; each alias must still find its own
     * anchor after every rehash. Item i is `&a<i> v<i>`, then `*a<i>` for all i. */
    const size_t n = 3000;
    fx->buf = malloc(n * 40 + 16);
    assert_non_null(fx->buf);
    size_t len = (size_t)sprintf(fx->buf, "defs:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(fx->buf + len, "  - &a%zu v%zu\n", i, i);
    len += (size_t)sprintf(fx->buf + len, "uses:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(fx->buf + len, "  - *a%zu\n", i);
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    const cxroi_ynode *defs = at(root, "defs");
    const cxroi_ynode *uses = at(root, "uses");
    assert_int_equal(uses->count, n);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(uses->items[i], defs->items[i]);
    assert_string_equal(uses->items[2718]->value, "v2718");
}

static void test_yamltree_collection_keys_kept(void **state)
{
    fixture *fx = *state;
    /* YAML allows a list as a key; the tree keeps it (the scenario loader rejects it).
     * 30,000 of them must load in linear time: such keys are not compared. */
    fx->buf = repeat_text("? [x]\n: 1\n", 30000);
    size_t len = strlen(fx->buf);
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_OK);
    const cxroi_ynode *root = cxroi_ydoc_root(fx->doc);
    assert_int_equal(root->count, 30000);
    assert_int_equal(root->pairs[29999].key->type, CXROI_YNODE_SEQ);
    assert_int_equal(root->pairs[29999].key->line, 59999); /* pair k starts on line 2k+1 */
    assert_null(cxroi_ynode_get(root, "x"));
}

static void test_yamltree_limits_boundaries_pass(void **state)
{
    fixture *fx = *state;
    /* Exactly at each limit is allowed: 3 levels, 5 nodes, 8 bytes. */
    cxroi_ylimits lim = {.max_bytes = 8, .max_depth = 3, .max_nodes = 5, .max_expanded = 5};
    assert_int_equal(load_n(fx, "[[[a]]]\n", 8, &lim), CXROI_OK); /* 3 seqs + 1 scalar */
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    assert_int_equal(load_n(fx, "[a, b, c, d]", 12, &(cxroi_ylimits){.max_nodes = 5}), CXROI_OK);
    assert_int_equal(cxroi_diag_count(fx->diag), 0);
}

static void test_yamltree_five_megabytes_is_fast(void **state)
{
    fixture *fx = *state;
    /* About 5 MB of scenario-shaped YAML: segments with maps, lists, quoted text. */
    const size_t cap = 5u * 1024 * 1024 + 512;
    fx->buf = malloc(cap);
    assert_non_null(fx->buf);
    size_t len = (size_t)sprintf(fx->buf, "segments:\n");
    size_t segments = 0;
    while (len + 256 < cap - 512) {
        len += (size_t)sprintf(fx->buf + len,
                               "  - id: seg%zu\n"
                               "    name: \"Segment %zu of the retail base\"\n"
                               "    customers: %zu\n"
                               "    margin: 0.3517\n"
                               "    survival: [1000, 869, 743, 653]\n",
                               segments, segments, 1000 + segments * 7);
        segments++;
    }
    assert_true(len > 5u * 1000 * 1000);
    write_temp_file(fx, fx->buf, len);
    assert_int_equal(cxroi_ydoc_load_file(fx->path, NULL, NULL, fx->diag, &fx->doc), CXROI_OK);
    const cxroi_ynode *segs = at(cxroi_ydoc_root(fx->doc), "segments");
    assert_int_equal(segs->count, segments);
}

/* ----------------------------------------------------------------------------------- */
/* Syntax errors                                                                       */

static void test_yamltree_syntax_error_location(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "horizon: 5\nmargin: 0.35: x\n"), CXROI_ERROR_SCENARIO);
    /* The second ':' on line 2 is at column 13 ("margin: 0.35" is 12 characters). */
    assert_one_error(fx, 2, 13, "mapping values are not allowed here (check the indentation");
    const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
    assert_string_equal(e->file, "test.yaml");
    assert_int_equal(e->severity, CXROI_SEVERITY_ERROR);
}

static void test_yamltree_tab_indentation(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "segments:\n\tid: mass\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 1, "a tab is used for indentation");
}

static void test_yamltree_tab_after_indented_line(void **state)
{
    fixture *fx = *state;
    /* libyaml words this one differently ("tab character that violates indentation"). */
    assert_int_equal(load(fx, "a:\n  b: 1\n\tc: 2\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 3, 1, "a tab is used for indentation");
}

/* libyaml's other common complaints, each rephrased with what to fix. */
typedef struct syntax_case {
    const char *text;
    int line;
    int column;
    const char *want;
} syntax_case;

static void test_yamltree_syntax_error_hints(void **state)
{
    fixture *fx = *state;
    static const syntax_case cases[] = {
        /* The quote opens at column 7 of line 2 and is never closed. */
        {"a: 1\nname: \"Northwind\nb: 2\n", 2, 7, "quoted string is never closed"},
        /* libyaml notices at the start of line 2 that the '[' of line 1 is open. */
        {"a: [1, 2\nb: 1\n", 2, 2, "the list '[' that starts at line 1, column 4"},
        {"a: {b: 1\n", 2, 1, "the mapping '{' that starts at line 1, column 4"},
        /* Line 2 has no ':'; the error points at that line. */
        {"a: b\nmargin\nd: e\n", 2, 1, "no ':' after its key"},
        /* A ':' without the space after it: the key and value are quoted back, without
         * the comment; nested, at the top level, and as the last line of the file. */
        {"s:\n  - id: m\n    margin:0.35   # note\n    r: 1\n", 3, 5,
         "put a space after ':' (write 'margin: 0.35')"},
        {"a: 1\nhorizon:5\nb: 2\n", 2, 1, "put a space after ':' (write 'horizon: 5')"},
        {"a:\n  b: 1\n  c:x\n", 3, 3, "put a space after ':' (write 'c: x')"},
        {"a: \"\\q\"\n", 1, 5, "unknown escape sequence"},
        {"a: @x\n", 1, 4, "cannot start with '@'"},
        {"a:\n  - x\n  y: 1\n", 3, 3, "'- ' items of the list that starts at line 2"},
        {"x: !e!foo y\n", 1, 4, "unknown tag"},
        {"a: [1,\n", 2, 1, "a value is missing here"},
        /* An unusual complaint falls back to libyaml's own words and context. */
        {"a: *\n", 1, 5, "while scanning an alias"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cxroi_diag_free(fx->diag);
        fx->diag = cxroi_diag_new();
        assert_non_null(fx->diag);
        assert_int_equal(load(fx, cases[i].text), CXROI_ERROR_SCENARIO);
        assert_one_error(fx, cases[i].line, cases[i].column, cases[i].want);
    }
}

static void test_yamltree_duplicate_key(void **state)
{
    fixture *fx = *state;
    /* `margin` first on line 12, again (quoted, still the same key) on line 14. */
    assert_int_equal(load(fx, "cxroi: 1\nname: x\n"
                              "segments:\n  - id: mass\n    customers: 1200000\n"
                              "    revenue_per_customer: 310\n    cost_to_serve: 40\n"
                              "    retention: 0.82\n  - id: smb\n    customers: 40000\n"
                              "    revenue_per_customer: 2600\n"
                              "    margin: 0.30\n" /* line 12 */
                              "    retention: 0.9\n"
                              "    \"margin\": 0.35\n"), /* line 14 */
                     CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 14, 5, "duplicate key 'margin' (first defined at line 12)");
}

static void test_yamltree_duplicate_key_in_large_map(void **state)
{
    fixture *fx = *state;
    /* 40 keys (past the 16 compared linearly), then k7 again on line 41. */
    fx->buf = malloc(1024);
    assert_non_null(fx->buf);
    size_t len = 0;
    for (int i = 0; i < 40; i++)
        len += (size_t)sprintf(fx->buf + len, "k%d: %d\n", i, i);
    len += (size_t)sprintf(fx->buf + len, "k7: again\n");
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 41, 1, "duplicate key 'k7' (first defined at line 8)");
}

static void test_yamltree_duplicate_key_flow_and_alias(void **state)
{
    fixture *fx = *state;
    /* An alias used as a key is reported at the alias ("- {key: 1, " is 11 characters,
     * so column 12), not at the anchor on line 1. */
    assert_int_equal(load(fx, "- &k key\n- {key: 1, *k : 2}\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 12, "duplicate key 'key' (first defined at line 2)");
}

/* Two common slips behind a duplicate key get a hint; other duplicates do not. */
static void test_yamltree_duplicate_key_hints(void **state)
{
    fixture *fx = *state;
    static const char dash[] = "; if this starts a new entry of a list, begin it with '- '";
    static const char comma[] = "; a comma separates entries in {...}: write numbers without";
    /* A list entry without its '- ' repeats the first key of the entry before. */
    assert_int_equal(load(fx, "s:\n  - id: a\n    n: 1\n    id: b\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 4, 5, "duplicate key 'id' (first defined at line 2); if this starts");
    /* Not the first key of the mapping, or at the top level: no such hint. */
    const char *plain[] = {"s:\n  - id: a\n    n: 1\n    n: 2\n", "id: a\nn: 1\nid: b\n"};
    for (size_t i = 0; i < 2; i++) {
        cxroi_diag_free(fx->diag);
        fx->diag = cxroi_diag_new();
        assert_int_equal(load(fx, plain[i]), CXROI_ERROR_SCENARIO);
        const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
        assert_non_null(e);
        assert_null(strstr(e->message, dash));
        assert_null(strstr(e->message, comma));
    }
    /* {min: 1,000, max: 2,000} splits into keys '000' twice: column 24 is the second. */
    cxroi_diag_free(fx->diag);
    fx->diag = cxroi_diag_new();
    assert_int_equal(load(fx, "x: {min: 1,000, max: 2,000}\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 1, 24, comma);
    /* The same digits as block keys are not a split number. */
    cxroi_diag_free(fx->diag);
    fx->diag = cxroi_diag_new();
    assert_int_equal(load(fx, "x:\n  2027: a\n  2028: b\n  2027: c\n"), CXROI_ERROR_SCENARIO);
    assert_null(strstr(cxroi_diag_get(fx->diag, 0)->message, comma));
}

static void test_yamltree_duplicate_key_long_is_shortened(void **state)
{
    fixture *fx = *state;
    fx->buf = malloc(512);
    assert_non_null(fx->buf);
    char key[201];
    memset(key, 'x', 200);
    key[200] = '\0';
    snprintf(fx->buf, 512, "%s: 1\n%s: 2\n", key, key);
    /* A 200-character key is shown cut to 63 bytes, ending in "...". */
    assert_int_equal(load(fx, fx->buf), CXROI_ERROR_SCENARIO);
    const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
    assert_non_null(e);
    assert_non_null(strstr(e->message, "xxx...' (first defined at line 1)"));
    assert_true(strlen(e->message) < 140);
}

static void test_yamltree_two_documents(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "---\nname: one\n---\nname: two\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 3, 1, "second YAML document starts here");
}

static void test_yamltree_two_documents_without_marker(void **state)
{
    fixture *fx = *state;
    /* After `...` libyaml wants an explicit `---`; content there is an error at its
     * first character (line 3), phrased as a second document would be. */
    assert_int_equal(load(fx, "a: 1\n...\nb: 2\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 3, 1, "after the end of the document");
}

static void test_yamltree_undefined_alias(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "a: 1\nb: [x, *nowhere]\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 8, "undefined alias '*nowhere'"); /* after "b: [x, " */
}

static void test_yamltree_alias_before_anchor_is_undefined(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "a: *later\nb: &later 1\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 1, 4, "undefined alias '*later'");
}

static void test_yamltree_recursive_alias(void **state)
{
    fixture *fx = *state;
    /* libyaml's event parser does not check anchors, so this reaches us as an alias to
     * a collection still open: it must not become a cycle. */
    assert_int_equal(load(fx, "top: &a\n  child: [1, *a]\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 14, "recursive alias '*a'");
}

/* ----------------------------------------------------------------------------------- */
/* Limits and hostile inputs                                                           */

/* "Billion laughs": level k is a list of ten aliases of level k-1. */
static size_t build_alias_bomb(fixture *fx)
{
    fx->buf = malloc(4096);
    assert_non_null(fx->buf);
    size_t len = (size_t)sprintf(fx->buf, "l0: &l0 lol\n");
    for (int k = 1; k <= 9; k++) {
        len += (size_t)sprintf(fx->buf + len, "l%d: &l%d [", k, k);
        for (int j = 0; j < 10; j++)
            len += (size_t)sprintf(fx->buf + len, "%s*l%d", j ? ", " : "", k - 1);
        len += (size_t)sprintf(fx->buf + len, "]\n");
    }
    return len;
}

static void test_yamltree_alias_bomb(void **state)
{
    fixture *fx = *state;
    size_t len = build_alias_bomb(fx);
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_ERROR_LIMIT);
    /*
     * Where it must stop, by hand. Level k expands to e_k = 1 + 10 e_{k-1}, e_0 = 1:
     * 1, 11, 111, ..., e_5 = 111111. Before line 7 ("l6: ...") the running count is
     * 1 (root map) + 6 keys + (1 + 11 + 111 + 1111 + 11111 + 111111) = 124473; the key
     * l6 and its list make 124475, and each *l5 adds 111111. After j aliases the count
     * is 124475 + 111111 j, over 1,000,000 first for j = 8. "l6: &l6 [" is 9
     * characters, so alias j (1-based) is at column 10 + 5 (j - 1) = 45.
     */
    assert_one_error(fx, 7, 45, "aliases expand to more than 1000000 nodes");
}

static void test_yamltree_alias_bomb_expanded_limit_exact(void **state)
{
    fixture *fx = *state;
    /* Root map 1 + key a + scalar 1 + key b + list 1 + 3 x *a (1 each) = 8 nodes. */
    const char *text = "a: &a 1\nb: [*a, *a, *a]\n";
    assert_int_equal(load_n(fx, text, strlen(text), &(cxroi_ylimits){.max_expanded = 8}), CXROI_OK);
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    /* One fewer: the third alias (column 13) is the 8th node. */
    assert_int_equal(load_n(fx, text, strlen(text), &(cxroi_ylimits){.max_expanded = 7}),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 2, 13, "aliases expand to more than 7 nodes");
}

static void test_yamltree_alias_to_collection_counts_its_size(void **state)
{
    fixture *fx = *state;
    /* base = map + 2 keys + 2 values = 5 nodes; the doc is 1 + (1 + 5) + (1 + 5) = 13. */
    const char *text = "a: &b {x: 1, y: 2}\nc: *b\n";
    assert_int_equal(load_n(fx, text, strlen(text), &(cxroi_ylimits){.max_expanded = 13}),
                     CXROI_OK);
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    assert_int_equal(load_n(fx, text, strlen(text), &(cxroi_ylimits){.max_expanded = 12}),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 2, 4, "aliases expand to more than 12 nodes");
}

/* n copies of `unit` then `tail`, loaded with default limits; returns the status. */
static cxroi_error load_repeated(fixture *fx, const char *unit, size_t n, const char *tail)
{
    size_t u = strlen(unit);
    size_t t = strlen(tail);
    fx->buf = malloc(u * n + t + 1);
    assert_non_null(fx->buf);
    for (size_t i = 0; i < n; i++)
        memcpy(fx->buf + i * u, unit, u);
    memcpy(fx->buf + u * n, tail, t + 1);
    cxroi_error err = load_n(fx, fx->buf, u * n + t, NULL);
    return err;
}

static void test_yamltree_deep_flow_sequences(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_repeated(fx, "[", 100000, "\n"), CXROI_ERROR_LIMIT);
    /* The 65th '[' crosses the default depth of 64. */
    assert_one_error(fx, 1, 65, "nested more than 64 levels");
}

static void test_yamltree_deep_block_sequences(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_repeated(fx, "- ", 100000, "x\n"), CXROI_ERROR_LIMIT);
    /* The 65th "- " starts at column 1 + 64 * 2. */
    assert_one_error(fx, 1, 129, "nested more than 64 levels");
}

static void test_yamltree_deep_flow_mappings(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_repeated(fx, "{a: ", 100000, "1\n"), CXROI_ERROR_LIMIT);
    /* The 65th "{a: " starts at column 1 + 64 * 4. */
    assert_one_error(fx, 1, 257, "nested more than 64 levels");
}

static void test_yamltree_depth_limit_custom(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_n(fx, "a:\n  b:\n    c: [1]\n", 19, &(cxroi_ylimits){.max_depth = 3}),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 3, 8, "nested more than 3 levels"); /* the '[' is the 4th */
}

static void test_yamltree_node_limit(void **state)
{
    fixture *fx = *state;
    /* The sequence is node 1 and item k node k + 1: the 5th item "e" (column 14) is
     * node 6, one past a limit of 5. */
    const char *text = "[a, b, c, d, e, f]";
    assert_int_equal(load_n(fx, text, strlen(text), &(cxroi_ylimits){.max_nodes = 5}),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 1, 14, "more than 5 values");
}

static void test_yamltree_string_too_large(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_n(fx, "a: 12345", 8, &(cxroi_ylimits){.max_bytes = 7}),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 1, 1, "file is 8 bytes; scenario files are limited to 7 bytes");
}

static void test_yamltree_binary_garbage(void **state)
{
    fixture *fx = *state;
    /* 64 KiB of pseudo-random bytes, fixed seed: almost surely invalid UTF-8 early on. */
    const size_t n = 65536;
    fx->buf = malloc(n);
    assert_non_null(fx->buf);
    uint64_t s = UINT64_C(0x9E3779B97F4A7C15);
    for (size_t i = 0; i < n; i++)
        fx->buf[i] = (char)(xorshift64(&s) >> 56);
    assert_int_equal(load_n(fx, fx->buf, n, NULL), CXROI_ERROR_SCENARIO);
    assert_null(fx->doc);
    assert_int_equal(cxroi_diag_error_count(fx->diag), 1);
    const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
    assert_true(e->line >= 1);
    assert_true(e->column >= 1);
    assert_non_null(strstr(e->message, "invalid YAML"));
}

static void test_yamltree_nul_byte(void **state)
{
    fixture *fx = *state;
    /* The NUL is the first character of line 2, after "é" counted as one column. */
    static const char text[] = "name: caf\xc3\xa9\n\0margin: 0.35\n";
    assert_int_equal(load_n(fx, text, sizeof(text) - 1, NULL), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 1, "NUL byte");
}

static void test_yamltree_nul_byte_deep_in_file(void **state)
{
    fixture *fx = *state;
    /* 20,000 valid lines then a NUL: libyaml checks the whole buffer, chunk by chunk.
     * "k12345: v\n" lines are 10 bytes; the NUL sits at column 4 of line 20,001. */
    const size_t lines = 20000;
    fx->buf = malloc(lines * 10 + 16);
    assert_non_null(fx->buf);
    size_t len = 0;
    for (size_t i = 0; i < lines; i++)
        len += (size_t)sprintf(fx->buf + len, "k%05zu: v\n", i);
    memcpy(fx->buf + len, "end\0: 1\n", 8);
    len += 8;
    assert_int_equal(load_n(fx, fx->buf, len, NULL), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 20001, 4, "NUL byte");
}

static void test_yamltree_control_character(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "a: b\x07\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 1, 5, "control character U+0007");
}

static void test_yamltree_invalid_utf8(void **state)
{
    fixture *fx = *state;
    /* Latin-1 "café": 0xE9 starts a 3-byte sequence that '\n' cannot continue. */
    assert_int_equal(load(fx, "a: 1\nname: caf\xe9\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 10, "not valid UTF-8 text here (byte 0xE9;");
    cxroi_diag_free(fx->diag);
    fx->diag = cxroi_diag_new();
    /* A byte that can never start a character. */
    assert_int_equal(load(fx, "a: \xff\n"), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 1, 4, "byte 0xFF");
}

/* Each malformed sequence is found by scanning the bytes, and reported at its first byte
 * with the column counted in characters: libyaml's own offset points after it. */
static void test_yamltree_invalid_utf8_exact_place(void **state)
{
    fixture *fx = *state;
    static const syntax_case cases[] = {
        /* Latin-1 "Café crème": 0xE9 then ' ' (not a continuation); "name: Caf" is 9
         * characters, so column 10, although libyaml stops at the space after it. */
        {"cxroi: 1\nname: Caf\xe9 cr\xe8me\nhorizon: 5\n", 2, 10, "(byte 0xE9;"},
        /* After two-byte and three-byte characters: "a: \xc3\xa9\xe2\x82\xac" is 5
         * characters in 8 bytes, so the bad byte is at column 6. */
        {"a: \xc3\xa9\xe2\x82\xac\x80z\n", 1, 6, "(byte 0x80;"},
        /* Overlong '/' (C0 AF), a UTF-16 surrogate (ED A0 80), above U+10FFFF (F4 90 80
         * 80), a sequence cut short by the end of the file. */
        {"a: 1\nb: \xc0\xaf\n", 2, 4, "(byte 0xC0;"},
        {"a: 1\nb: x\xed\xa0\x80\n", 2, 5, "(byte 0xED;"},
        {"b: \xf4\x90\x80\x80\n", 1, 4, "(byte 0xF4;"},
        {"a: 1\nb: \xe2\x82", 2, 4, "(byte 0xE2;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cxroi_diag_free(fx->diag);
        fx->diag = cxroi_diag_new();
        assert_non_null(fx->diag);
        assert_int_equal(load(fx, cases[i].text), CXROI_ERROR_SCENARIO);
        assert_one_error(fx, cases[i].line, cases[i].column, cases[i].want);
        assert_non_null(strstr(cxroi_diag_get(fx->diag, 0)->message, "not valid UTF-8"));
    }
}

static void test_yamltree_utf16_positions(void **state)
{
    fixture *fx = *state;
    /* UTF-16LE with its BOM is valid YAML: "a: 1\n" parses. */
    static const char ok[] = "\xff\xfe"
                             "a\0:\0 \0"
                             "1\0\n\0";
    assert_int_equal(load_n(fx, ok, sizeof(ok) - 1, NULL), CXROI_OK);
    assert_scalar(at(cxroi_ydoc_root(fx->doc), "a"), "1", true, 1, 4);
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    /* A tab indenting line 2, found by walking 2-byte units. */
    static const char tab[] = "\xff\xfe"
                              "a\0:\0\n\0"
                              "\t\0b\0:\0 \0"
                              "1\0\n\0";
    assert_int_equal(load_n(fx, tab, sizeof(tab) - 1, NULL), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 1, "a tab is used for indentation");
    cxroi_diag_free(fx->diag);
    fx->diag = cxroi_diag_new();
    /* A dangling odd byte after "a: 1\n": libyaml's own words, at line 2, column 1. */
    static const char odd[] = "\xff\xfe"
                              "a\0:\0 \0"
                              "1\0\n\0"
                              "b";
    assert_int_equal(load_n(fx, odd, sizeof(odd) - 1, NULL), CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 1, "invalid YAML: incomplete UTF-16 character");
}

static void test_yamltree_fifty_megabyte_file(void **state)
{
    fixture *fx = *state;
    make_temp_dir(fx, "big-XXXXXX");
    int fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    /* A sparse 50 MiB file: the size check must refuse it before reading a byte. */
    assert_int_equal(ftruncate(fd, 52428800), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(cxroi_ydoc_load_file(fx->path, "big.yaml", NULL, fx->diag, &fx->doc),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 1, 1,
                     "file is 52428800 bytes; scenario files are limited to "
                     "8388608 bytes");
    assert_string_equal(cxroi_diag_get(fx->diag, 0)->file, "big.yaml");
}

static void test_yamltree_file_size_boundary(void **state)
{
    fixture *fx = *state;
    write_temp_file(fx, "a: 12345", 8);
    /* 8 bytes load under a limit of 8 and are refused under 7, before parsing. */
    assert_int_equal(
        cxroi_ydoc_load_file(fx->path, NULL, &(cxroi_ylimits){.max_bytes = 8}, fx->diag, &fx->doc),
        CXROI_OK);
    assert_string_equal(at(cxroi_ydoc_root(fx->doc), "a")->value, "12345");
    cxroi_ydoc_free(fx->doc);
    fx->doc = NULL;
    assert_int_equal(
        cxroi_ydoc_load_file(fx->path, NULL, &(cxroi_ylimits){.max_bytes = 7}, fx->diag, &fx->doc),
        CXROI_ERROR_LIMIT);
    assert_one_error(fx, 1, 1, "file is 8 bytes; scenario files are limited to 7 bytes");
}

static void test_yamltree_nonexistent_file(void **state)
{
    fixture *fx = *state;
    make_temp_dir(fx, "");
    char path[160];
    snprintf(path, sizeof(path), "%s/missing.yaml", fx->dir);
    fx->path[0] = '\0';
    assert_int_equal(cxroi_ydoc_load_file(path, NULL, NULL, fx->diag, &fx->doc), CXROI_ERROR_IO);
    assert_one_error(fx, 0, 0, "cannot read: ");
    const cxroi_diag_entry *e = cxroi_diag_get(fx->diag, 0);
    assert_non_null(strstr(e->message, strerror(ENOENT)));
    assert_string_equal(e->file, path); /* no display name: the path */
}

static void test_yamltree_directory(void **state)
{
    fixture *fx = *state;
    make_temp_dir(fx, "");
    fx->path[0] = '\0';
    assert_int_equal(cxroi_ydoc_load_file(fx->dir, "scenarios/", NULL, fx->diag, &fx->doc),
                     CXROI_ERROR_IO);
    assert_one_error(fx, 0, 0, "cannot read: ");
    assert_non_null(strstr(cxroi_diag_get(fx->diag, 0)->message, strerror(EISDIR)));
}

static void test_yamltree_fifo_is_read_to_its_end(void **state)
{
    fixture *fx = *state;
    make_temp_dir(fx, "pipe");
    assert_int_equal(mkfifo(fx->path, 0600), 0);
    /* Hold a read end open so a write end can be opened without blocking and the data
     * stays in the pipe once the writer closes; the loader then reads it to EOF (no
     * writer left). No child process: nothing can race. */
    int keep = open(fx->path, O_RDONLY | O_NONBLOCK);
    assert_true(keep >= 0);
    int w = open(fx->path, O_WRONLY | O_NONBLOCK);
    assert_true(w >= 0);
    const char msg[] = "horizon: 5\n";
    assert_int_equal(write(w, msg, sizeof(msg) - 1), (ssize_t)(sizeof(msg) - 1));
    assert_int_equal(close(w), 0);
    cxroi_error err = cxroi_ydoc_load_file(fx->path, NULL, NULL, fx->diag, &fx->doc);
    close(keep);
    assert_int_equal(err, CXROI_OK);
    assert_scalar(at(cxroi_ydoc_root(fx->doc), "horizon"), "5", true, 1, 10);
}

static void test_yamltree_endless_device_is_cut_off(void **state)
{
    fixture *fx = *state;
    /* /dev/zero has no size: the cap applies while reading. */
    assert_int_equal(cxroi_ydoc_load_file("/dev/zero", NULL, &(cxroi_ylimits){.max_bytes = 100000},
                                          fx->diag, &fx->doc),
                     CXROI_ERROR_LIMIT);
    assert_one_error(fx, 1, 1, "file is more than 100000 bytes");
}

static void test_yamltree_file_errors_pass_through(void **state)
{
    fixture *fx = *state;
    const char text[] = "a: 1\na: 2\n";
    write_temp_file(fx, text, sizeof(text) - 1);
    assert_int_equal(cxroi_ydoc_load_file(fx->path, "dup.yaml", NULL, fx->diag, &fx->doc),
                     CXROI_ERROR_SCENARIO);
    assert_one_error(fx, 2, 1, "duplicate key 'a' (first defined at line 1)");
    assert_string_equal(cxroi_diag_get(fx->diag, 0)->file, "dup.yaml");
}

static void test_yamltree_bad_arguments(void **state)
{
    fixture *fx = *state;
    assert_int_equal(cxroi_ydoc_load_string("a: 1", 4, "x", NULL, fx->diag, NULL),
                     CXROI_ERROR_ARGUMENT);
    assert_int_equal(cxroi_ydoc_load_string(NULL, 4, "x", NULL, fx->diag, &fx->doc),
                     CXROI_ERROR_ARGUMENT);
    assert_null(fx->doc);
    assert_int_equal(cxroi_ydoc_load_file(NULL, NULL, NULL, fx->diag, &fx->doc),
                     CXROI_ERROR_ARGUMENT);
    /* A NULL diagnostics list is allowed: the status alone tells the failure. */
    assert_int_equal(cxroi_ydoc_load_string("[", 1, "x", NULL, NULL, &fx->doc),
                     CXROI_ERROR_SCENARIO);
    assert_null(fx->doc);
    cxroi_ydoc_free(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest valid[] = {
        T(test_yamltree_map_marks_and_styles),
        T(test_yamltree_sequences_and_flow),
        T(test_yamltree_tags),
        T(test_yamltree_escaped_nul_keeps_length),
        T(test_yamltree_crlf_and_bom_marks),
        T(test_yamltree_alias_shares_node),
        T(test_yamltree_anchor_redefined_latest_wins),
        T(test_yamltree_empty_document),
        T(test_yamltree_comment_only_file),
        T(test_yamltree_load_file_from_data),
        T(test_yamltree_many_keys_no_false_duplicate),
        T(test_yamltree_many_anchors),
        T(test_yamltree_collection_keys_kept),
        T(test_yamltree_limits_boundaries_pass),
        T(test_yamltree_five_megabytes_is_fast),
    };
    const struct CMUnitTest invalid[] = {
        T(test_yamltree_syntax_error_location),
        T(test_yamltree_tab_indentation),
        T(test_yamltree_tab_after_indented_line),
        T(test_yamltree_syntax_error_hints),
        T(test_yamltree_duplicate_key),
        T(test_yamltree_duplicate_key_in_large_map),
        T(test_yamltree_duplicate_key_flow_and_alias),
        T(test_yamltree_duplicate_key_long_is_shortened),
        T(test_yamltree_duplicate_key_hints),
        T(test_yamltree_two_documents),
        T(test_yamltree_two_documents_without_marker),
        T(test_yamltree_undefined_alias),
        T(test_yamltree_alias_before_anchor_is_undefined),
        T(test_yamltree_recursive_alias),
    };
    const struct CMUnitTest hostile[] = {
        T(test_yamltree_alias_bomb),
        T(test_yamltree_alias_bomb_expanded_limit_exact),
        T(test_yamltree_alias_to_collection_counts_its_size),
        T(test_yamltree_deep_flow_sequences),
        T(test_yamltree_deep_block_sequences),
        T(test_yamltree_deep_flow_mappings),
        T(test_yamltree_depth_limit_custom),
        T(test_yamltree_node_limit),
        T(test_yamltree_string_too_large),
        T(test_yamltree_binary_garbage),
        T(test_yamltree_nul_byte),
        T(test_yamltree_nul_byte_deep_in_file),
        T(test_yamltree_control_character),
        T(test_yamltree_invalid_utf8),
        T(test_yamltree_invalid_utf8_exact_place),
        T(test_yamltree_utf16_positions),
    };
    const struct CMUnitTest files[] = {
        T(test_yamltree_fifty_megabyte_file),      T(test_yamltree_file_size_boundary),
        T(test_yamltree_nonexistent_file),         T(test_yamltree_directory),
        T(test_yamltree_fifo_is_read_to_its_end),  T(test_yamltree_endless_device_is_cut_off),
        T(test_yamltree_file_errors_pass_through), T(test_yamltree_bad_arguments),
    };
#undef T
    int failed = 0;
    failed += cmocka_run_group_tests_name("yamltree valid documents", valid, NULL, NULL);
    failed += cmocka_run_group_tests_name("yamltree invalid documents", invalid, NULL, NULL);
    failed += cmocka_run_group_tests_name("yamltree limits and hostile input", hostile, NULL, NULL);
    failed += cmocka_run_group_tests_name("yamltree files", files, NULL, NULL);
    return failed ? 1 : 0;
}
