/*
 * yamltree: libyaml's event stream folded into a tree of located nodes.
 *
 * Why events and not yaml_parser_load(): the document API expands nothing but keeps no
 * limits either, accepts recursive aliases (it registers an anchor before the node's
 * children) and gives no hook to stop a 100,000-level nesting early. Here every event is
 * checked as it arrives, so a hostile file fails at the first event that crosses a limit.
 *
 * Memory: nodes, their arrays and their strings live in an arena owned by the ydoc;
 * parse-time state (collection stack, anchor table, duplicate-key index) is freed at the
 * end of the load whatever happens.
 */
#include "yamltree_internal.h"
#include "utf8_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define YT_DEFAULT_MAX_BYTES ((size_t)8 * 1024 * 1024)
#define YT_DEFAULT_MAX_DEPTH ((size_t)64)
#define YT_DEFAULT_MAX_NODES ((size_t)1000000)
#define YT_DEFAULT_MAX_EXPANDED ((size_t)1000000)

#define YT_CHUNK_SIZE ((size_t)64 * 1024)
/* Keys of a mapping are compared linearly up to this count, through a hash index above. */
#define YT_LINEAR_KEYS 16

/* ------------------------------------------------------------------------------------ */
/* Arena                                                                                 */

typedef struct yt_chunk {
    struct yt_chunk *next;
    size_t size;
    size_t used;
    max_align_t data[]; /* max_align_t elements keep every block suitably aligned */
} yt_chunk;

typedef struct yt_arena {
    yt_chunk *head; /* the chunk being filled; dedicated large blocks sit behind it */
} yt_arena;

static void arena_free(yt_arena *arena)
{
    yt_chunk *c = arena->head;
    while (c) {
        yt_chunk *next = c->next;
        free(c);
        c = next;
    }
    arena->head = NULL;
}

static yt_chunk *chunk_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(yt_chunk))
        return NULL;
    yt_chunk *c = malloc(sizeof(yt_chunk) + size);
    if (c) {
        c->next = NULL;
        c->size = size;
        c->used = 0;
    }
    return c;
}

/* Returns n bytes aligned for any type, or NULL when memory runs out. */
static void *arena_alloc(yt_arena *arena, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) / align * align;

    /* A block larger than a quarter chunk gets a chunk of its own, linked behind the
     * current one, so the current chunk's free tail is not wasted. */
    if (n > YT_CHUNK_SIZE / 4) {
        yt_chunk *big = chunk_new(n);
        if (!big)
            return NULL;
        big->used = n;
        if (arena->head) {
            big->next = arena->head->next;
            arena->head->next = big;
        } else {
            arena->head = big;
        }
        return big->data;
    }
    yt_chunk *c = arena->head;
    if (!c || c->size - c->used < n) {
        c = chunk_new(YT_CHUNK_SIZE);
        if (!c)
            return NULL;
        c->next = arena->head;
        arena->head = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

static char *arena_strndup(yt_arena *arena, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *copy = arena_alloc(arena, n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* ------------------------------------------------------------------------------------ */
/* The document                                                                          */

struct cxroi_ydoc {
    yt_arena arena;
    cxroi_ynode *root;
};

/* FNV-1a, 64 bit: a fixed, seedless hash. Flooding it needs many keys, and the node and
 * byte limits cap those. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* ------------------------------------------------------------------------------------ */
/* Anchor table: open addressing, latest definition of a name wins (as YAML says).       */

typedef struct yt_anchor {
    const char *name; /* NULL for an empty slot; copy in the scratch arena */
    size_t name_len;
    uint64_t hash;
    cxroi_ynode *node;
    size_t expanded; /* nodes the anchored node stands for once every alias is expanded */
    bool open;       /* the collection is still being parsed: an alias to it would recurse */
} yt_anchor;

typedef struct yt_anchors {
    yt_anchor *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
} yt_anchors;

static yt_anchor *anchors_find(const yt_anchors *t, const char *name, size_t len, uint64_t h)
{
    if (t->capacity == 0)
        return NULL;
    size_t mask = t->capacity - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        yt_anchor *a = &t->slots[i];
        if (!a->name)
            return NULL;
        if (a->hash == h && a->name_len == len && memcmp(a->name, name, len) == 0)
            return a;
    }
}

static bool anchors_grow(yt_anchors *t)
{
    size_t cap = t->capacity ? t->capacity * 2 : 64;
    yt_anchor *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < t->capacity; i++) {
        if (!t->slots[i].name)
            continue;
        size_t j = (size_t)t->slots[i].hash & (cap - 1);
        while (slots[j].name)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->capacity = cap;
    return true;
}

/* Defines (or redefines) anchor `name`; returns the entry or NULL when out of memory. */
static yt_anchor *anchors_define(yt_anchors *t, yt_arena *scratch, const char *name)
{
    size_t len = strlen(name);
    uint64_t h = hash_bytes(name, len);
    yt_anchor *a = anchors_find(t, name, len, h);
    if (a)
        return a;
    /* Keep the load factor at or under 1/2 so probes stay short. */
    if ((t->count + 1) * 2 > t->capacity && !anchors_grow(t))
        return NULL;
    const char *copy = arena_strndup(scratch, name, len);
    if (!copy)
        return NULL;
    size_t mask = t->capacity - 1;
    size_t i = (size_t)h & mask;
    while (t->slots[i].name)
        i = (i + 1) & mask;
    a = &t->slots[i];
    a->name = copy;
    a->name_len = len;
    a->hash = h;
    t->count++;
    return a;
}

/* ------------------------------------------------------------------------------------ */
/* Collection stack                                                                      */

/* A child as parsed: the node (shared when it came from an alias) and where it was
 * written, which for an alias is the alias itself, not the anchored node. */
typedef struct yt_child {
    cxroi_ynode *node;
    int line;
    int column;
} yt_child;

/* Duplicate-key index slot: valid only when gen equals the frame's current generation,
 * so a new mapping reuses the table without clearing it. */
typedef struct yt_keyslot {
    size_t gen;
    size_t pair; /* index of the pair whose key hashed here */
} yt_keyslot;

typedef struct yt_frame {
    cxroi_ynode *node;
    const char *anchor;    /* anchor of this collection (scratch copy), or NULL */
    size_t expanded_start; /* the running expanded count before this node */
    /* Children so far; a mapping stores key, value, key, value... */
    yt_child *children;
    size_t len;
    size_t cap;
    /* Duplicate-key index, kept (with the buffer above) for the next collection at this
     * depth so a document allocates little after its first few collections. */
    yt_keyslot *index;
    size_t index_cap; /* power of two, or 0 */
    size_t gen;
    bool indexed; /* the current mapping's keys are in the index */
    bool flow;    /* written in flow style, `{...}` or `[...]` */
} yt_frame;

typedef struct yt_ctx {
    const char *name; /* file name in diagnostics */
    const unsigned char *text;
    size_t length;
    cxroi_ylimits limits;
    cxroi_diag *diag;
    cxroi_ydoc *doc;
    yt_arena scratch;
    yt_anchors anchors;
    yt_frame *frames;
    size_t depth;      /* open collections */
    size_t frames_cap; /* frames allocated (each may hold reusable buffers) */
    size_t parsed;     /* nodes and aliases seen */
    size_t expanded;   /* nodes counting each alias as a copy of its target */
    size_t documents;
} yt_ctx;

static int mark_int(size_t zero_based)
{
    return zero_based >= (size_t)INT_MAX ? INT_MAX : (int)zero_based + 1;
}

static cxroi_error nomem(yt_ctx *ctx)
{
    cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, 0, 0,
                   "out of memory while reading the file");
    return CXROI_ERROR_NOMEM;
}

/*
 * Writes a short, printable rendering of s[0..n) into out (size >= 8): control bytes
 * become '?', and long text is cut with "...". Keys quoted in messages must not be able
 * to corrupt a terminal or flood the output.
 */
static void excerpt(char *out, size_t size, const char *s, size_t n)
{
    size_t room = size - 1;
    size_t k = 0;
    bool cut = n > room;
    size_t keep = cut ? room - 3 : n;
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut) {
        /* Do not end inside a UTF-8 sequence: drop continuation bytes and their lead. */
        while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)out[k - 1] >= 0xC0)
            k--;
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* ------------------------------------------------------------------------------------ */
/* libyaml errors, phrased for the person who wrote the file                             */

/*
 * Walking the raw input to turn a byte offset into a mark and back: libyaml's reader
 * errors carry only an offset, and its marks count characters, not bytes. The input is
 * UTF-8 (BOM optional) or, after a UTF-16 byte-order mark, UTF-16 as libyaml accepts.
 */
typedef enum yt_encoding { YT_UTF8, YT_UTF16LE, YT_UTF16BE } yt_encoding;

static unsigned text_unit(const yt_ctx *ctx, yt_encoding enc, size_t i)
{
    const unsigned char *t = ctx->text;
    if (enc == YT_UTF16LE)
        return (unsigned)t[i] | (unsigned)t[i + 1] << 8;
    if (enc == YT_UTF16BE)
        return (unsigned)t[i] << 8 | (unsigned)t[i + 1];
    return t[i];
}

/* The text's encoding from its byte-order mark, and the mark's length in *bom (when
 * not NULL). */
static yt_encoding text_encoding(const yt_ctx *ctx, size_t *bom)
{
    const unsigned char *t = ctx->text;
    size_t n = ctx->length, mark = 0;
    yt_encoding enc = YT_UTF8;
    if (n >= 2 && t[0] == 0xFF && t[1] == 0xFE) {
        mark = 2;
        enc = YT_UTF16LE;
    } else if (n >= 2 && t[0] == 0xFE && t[1] == 0xFF) {
        mark = 2;
        enc = YT_UTF16BE;
    } else if (n >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) {
        mark = 3;
    }
    if (bom)
        *bom = mark;
    return enc;
}

/* A UTF-8 continuation byte or a UTF-16 low surrogate: not the start of a character. */
static bool unit_continues(yt_encoding enc, unsigned u)
{
    return enc == YT_UTF8 ? (u & 0xC0) == 0x80 : u >= 0xDC00 && u <= 0xDFFF;
}

/*
 * Walks characters from the start of the text until the byte offset reaches `limit` or
 * the 0-based position (`line`, `column`) is reached, whichever comes first; returns the
 * byte offset and stores the 0-based position there.
 */
static size_t text_walk(const yt_ctx *ctx, size_t limit, size_t line, size_t column,
                        size_t *at_line, size_t *at_column)
{
    size_t n = ctx->length, i;
    yt_encoding enc = text_encoding(ctx, &i);
    size_t w = enc == YT_UTF8 ? 1 : 2;
    size_t ln = 0;
    size_t col = 0;
    while (i + w <= n && i < limit && !(ln == line && col == column)) {
        unsigned u = text_unit(ctx, enc, i);
        i += w;
        while (i + w <= n && unit_continues(enc, text_unit(ctx, enc, i)))
            i += w;
        /* Line breaks as libyaml counts them: LF, CR LF, or a lone CR. */
        if (u == '\n' || (u == '\r' && !(i + w <= n && text_unit(ctx, enc, i) == '\n'))) {
            ln++;
            col = 0;
        } else {
            col++;
        }
    }
    *at_line = ln;
    *at_column = col;
    return i;
}

/* The first character at the 0-based mark, as a code unit ('\t', 'A', ...), or 0. */
static unsigned char_at_mark(const yt_ctx *ctx, const yaml_mark_t *mark)
{
    size_t ln;
    size_t col;
    size_t i = text_walk(ctx, SIZE_MAX, mark->line, mark->column, &ln, &col);
    if (ln != mark->line || col != mark->column)
        return 0;
    size_t n = ctx->length;
    yt_encoding enc = text_encoding(ctx, NULL);
    size_t w = enc == YT_UTF8 ? 1 : 2;
    return i + w <= n ? text_unit(ctx, enc, i) : 0;
}

/* 1-based line and column of a byte offset in the text. */
static void mark_of_offset(const yt_ctx *ctx, size_t offset, int *line, int *column)
{
    size_t ln;
    size_t col;
    (void)text_walk(ctx, offset, SIZE_MAX, SIZE_MAX, &ln, &col);
    *line = mark_int(ln);
    *column = mark_int(col);
}

/*
 * Byte offset of the first byte that does not start a well-formed UTF-8 sequence, or
 * SIZE_MAX when the text is valid UTF-8 (or UTF-16, which libyaml checks itself).
 * libyaml's own offset for such errors points past the sequence, often at the next
 * line break, so the place is found here.
 */
static size_t first_invalid_utf8(const yt_ctx *ctx)
{
    const unsigned char *t = ctx->text;
    size_t n = ctx->length;
    if (text_encoding(ctx, NULL) != YT_UTF8)
        return SIZE_MAX;
    for (size_t i = 0; i < n;) {
        size_t len = cxroi_utf8_decode(t + i, n - i, NULL);
        if (len == 0)
            return i;
        i += len;
    }
    return SIZE_MAX;
}

static cxroi_error report_reader_error(yt_ctx *ctx, const yaml_parser_t *p)
{
    int line;
    int column;
    const char *problem = p->problem ? p->problem : "unreadable input";
    size_t bad = SIZE_MAX;
    if (strstr(problem, "UTF-8") || strcmp(problem, "invalid Unicode character") == 0)
        bad = first_invalid_utf8(ctx);
    mark_of_offset(ctx, bad != SIZE_MAX ? bad : p->problem_offset, &line, &column);
    if (strcmp(problem, "control characters are not allowed") == 0) {
        if (p->problem_value == 0)
            cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                           "invalid YAML: the file contains a NUL byte here (is it a "
                           "binary file?); scenario files must be UTF-8 text");
        else
            cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                           "invalid YAML: control character U+%04X is not allowed; "
                           "scenario files must be plain UTF-8 text",
                           (unsigned)p->problem_value);
    } else if (bad != SIZE_MAX) {
        unsigned byte = ctx->text[bad];
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                       "invalid YAML: the file is not valid UTF-8 text here (byte 0x%02X; "
                       "was it saved as Latin-1 or Windows-1252?); save it as UTF-8",
                       byte);
    } else if (strstr(problem, "UTF-8")) {
        /* Not found by the scan (defensive): libyaml gives the offending octet, or -1 for
         * a sequence cut short: then show the byte at its offset. */
        unsigned byte = p->problem_value >= 0 && p->problem_value <= 0xFF
                            ? (unsigned)p->problem_value
                        : p->problem_offset < ctx->length ? ctx->text[p->problem_offset]
                                                          : 0u;
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                       "invalid YAML: the file is not valid UTF-8 text here (byte 0x%02X; "
                       "was it saved as Latin-1 or Windows-1252?); save it as UTF-8",
                       byte);
    } else {
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column, "invalid YAML: %s",
                       problem);
    }
    return CXROI_ERROR_SCENARIO;
}

/*
 * `margin:0.30` is one plain scalar to YAML (a ':' starts a value only before a space),
 * so libyaml then misses the ':' of a key. When the line that starts at the 0-based
 * mark holds a ':' followed by a non-space, writes "write 'KEY: VALUE'" into out and
 * returns true. UTF-8 input only: a UTF-16 file keeps the general message.
 */
static bool missing_space_after_colon(const yt_ctx *ctx, const yaml_mark_t *mark, char *out,
                                      size_t size)
{
    const unsigned char *t = ctx->text;
    size_t n = ctx->length;
    if (text_encoding(ctx, NULL) != YT_UTF8)
        return false;
    size_t ln;
    size_t col;
    size_t start = text_walk(ctx, SIZE_MAX, mark->line, mark->column, &ln, &col);
    if (ln != mark->line || col != mark->column || start >= n)
        return false;
    size_t end = start;
    while (end < n && t[end] != '\n' && t[end] != '\r')
        end++;
    /* A comment is not part of the value; trailing blanks neither. */
    for (size_t i = start + 1; i < end; i++) {
        if (t[i] == '#' && (t[i - 1] == ' ' || t[i - 1] == '\t')) {
            end = i;
            break;
        }
    }
    while (end > start && (t[end - 1] == ' ' || t[end - 1] == '\t'))
        end--;
    size_t colon = start + 1;
    while (colon + 1 < end && !(t[colon] == ':' && t[colon + 1] != ' ' && t[colon + 1] != '\t'))
        colon++;
    if (colon + 1 >= end)
        return false;
    char key[48];
    char value[48];
    excerpt(key, sizeof key, (const char *)t + start, colon - start);
    excerpt(value, sizeof value, (const char *)t + colon + 1, end - colon - 1);
    snprintf(out, size, "write '%s: %s'", key, value);
    return true;
}

static cxroi_error report_syntax_error(yt_ctx *ctx, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "syntax error";
    const char *context = p->context;
    int line = mark_int(p->problem_mark.line);
    int column = mark_int(p->problem_mark.column);
    int cline = mark_int(p->context_mark.line);
    int ccol = mark_int(p->context_mark.column);
    char where[96] = "";
    char fix[128];
    if (context && (cline != line || ccol != column))
        snprintf(where, sizeof(where), " that starts at line %d, column %d", cline, ccol);

#define YT_SAYS(pr) (strcmp(problem, (pr)) == 0)
#define YT_ERR(l, c, ...)                                                                          \
    cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, (l), (c), __VA_ARGS__)

    if (YT_SAYS("mapping values are not allowed in this context")) {
        YT_ERR(line, column,
               "invalid YAML: mapping values are not allowed here (check the "
               "indentation and that a space follows each ':'; put a value "
               "that contains ': ' in quotes)");
    } else if (YT_SAYS("found a tab character that violates indentation")) {
        YT_ERR(line, column,
               "invalid YAML: a tab is used for indentation here; indent "
               "with spaces only");
    } else if (YT_SAYS("found character that cannot start any token")) {
        unsigned c = char_at_mark(ctx, &p->problem_mark);
        if (c == '\t')
            YT_ERR(line, column,
                   "invalid YAML: a tab is used for indentation here; "
                   "indent with spaces only");
        else if (c >= 0x21 && c < 0x7f)
            YT_ERR(line, column,
                   "invalid YAML: a value cannot start with '%c' (put the "
                   "value in quotes)",
                   (int)c);
        else
            YT_ERR(line, column,
                   "invalid YAML: a value cannot start with this "
                   "character (put the value in quotes)");
    } else if (YT_SAYS("found unexpected end of stream") && context &&
               strstr(context, "quoted scalar")) {
        YT_ERR(cline, ccol,
               "invalid YAML: this quoted string is never closed (add the "
               "closing quote)");
    } else if (YT_SAYS("found unknown escape character")) {
        YT_ERR(line, column,
               "invalid YAML: unknown escape sequence in a double-quoted "
               "string (write \\\\ for a backslash, or use single quotes)");
    } else if (YT_SAYS("did not find expected ',' or ']'")) {
        YT_ERR(line, column,
               "invalid YAML: expected ',' or ']' here: the list '['%s is "
               "not closed, or a ',' is missing between its items",
               where);
    } else if (YT_SAYS("did not find expected ',' or '}'")) {
        YT_ERR(line, column,
               "invalid YAML: expected ',' or '}' here: the mapping '{'%s "
               "is not closed, or a ',' is missing between its entries",
               where);
    } else if (YT_SAYS("did not find expected key")) {
        YT_ERR(line, column,
               "invalid YAML: this line does not line up with the keys of "
               "the mapping%s (check the indentation)",
               where);
    } else if (YT_SAYS("did not find expected '-' indicator")) {
        YT_ERR(line, column,
               "invalid YAML: this line does not line up with the '- ' "
               "items of the list%s (check the indentation)",
               where);
    } else if (YT_SAYS("could not find expected ':'") && context &&
               missing_space_after_colon(ctx, &p->context_mark, fix, sizeof fix)) {
        YT_ERR(cline, ccol, "invalid YAML: put a space after ':' (%s)", fix);
    } else if (YT_SAYS("could not find expected ':'")) {
        YT_ERR(cline, ccol,
               "invalid YAML: this line has no ':' after its key (write "
               "'key: value', or check the indentation of the line before)");
    } else if (YT_SAYS("block sequence entries are not allowed in this context")) {
        YT_ERR(line, column,
               "invalid YAML: a '- ' list item is not allowed here (check "
               "the indentation)");
    } else if (YT_SAYS("did not find expected node content")) {
        YT_ERR(line, column, "invalid YAML: a value is missing here");
    } else if (YT_SAYS("did not find expected <document start>")) {
        YT_ERR(line, column,
               "invalid YAML: there is more after the end of the document "
               "('...'); a scenario file holds one document (remove the "
               "'...' line or what follows it)");
    } else if (YT_SAYS("found undefined tag handle")) {
        YT_ERR(line, column,
               "invalid YAML: unknown tag (remove the '!...' before the "
               "value, or put the value in quotes)");
    } else if (context) {
        YT_ERR(line, column, "invalid YAML: %s (%s%s)", problem, context, where);
    } else {
        YT_ERR(line, column, "invalid YAML: %s", problem);
    }
#undef YT_ERR
#undef YT_SAYS
    return CXROI_ERROR_SCENARIO;
}

static cxroi_error report_libyaml_error(yt_ctx *ctx, const yaml_parser_t *p)
{
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return nomem(ctx);
    case YAML_READER_ERROR:
        return report_reader_error(ctx, p);
    default:
        return report_syntax_error(ctx, p);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Building                                                                              */

typedef enum yt_limit { YT_LIMIT_NODES, YT_LIMIT_EXPANDED, YT_LIMIT_DEPTH } yt_limit;

static cxroi_error limit_error(yt_ctx *ctx, const yaml_mark_t *mark, yt_limit which)
{
    int line = mark_int(mark->line);
    int column = mark_int(mark->column);
    switch (which) {
    case YT_LIMIT_NODES:
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                       "the document has more than %zu values; scenario files are "
                       "limited to that many",
                       ctx->limits.max_nodes);
        break;
    case YT_LIMIT_EXPANDED:
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                       "aliases expand to more than %zu nodes; anchors and aliases "
                       "cannot be nested this deeply",
                       ctx->limits.max_expanded);
        break;
    case YT_LIMIT_DEPTH:
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, line, column,
                       "collections are nested more than %zu levels deep here; a "
                       "scenario needs only a few levels (is a '[', '{' or '- ' "
                       "repeated by mistake?)",
                       ctx->limits.max_depth);
        break;
    }
    return CXROI_ERROR_LIMIT;
}

/* Counts a node (or alias) as parsed and as `weight` expanded nodes; fails past a limit.
 * Without aliases the expanded count equals the parsed count, so a plain document that
 * is too large is reported as such, not as an alias problem. */
static cxroi_error count_node(yt_ctx *ctx, const yaml_mark_t *mark, size_t weight, bool alias)
{
    ctx->parsed++;
    if (ctx->parsed > ctx->limits.max_nodes)
        return limit_error(ctx, mark, YT_LIMIT_NODES);
    /* weight <= max_expanded (it is an earlier, checked total), so no overflow here. */
    if (weight > ctx->limits.max_expanded - ctx->expanded)
        return limit_error(ctx, mark, alias ? YT_LIMIT_EXPANDED : YT_LIMIT_NODES);
    ctx->expanded += weight;
    return CXROI_OK;
}

static cxroi_ynode *node_new(yt_ctx *ctx, cxroi_ynode_type type, const yaml_mark_t *mark,
                             const yaml_char_t *tag)
{
    cxroi_ynode *n = arena_alloc(&ctx->doc->arena, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->line = mark_int(mark->line);
    n->column = mark_int(mark->column);
    if (tag) {
        n->tag = arena_strndup(&ctx->doc->arena, (const char *)tag, strlen((const char *)tag));
        if (!n->tag)
            return NULL;
    }
    return n;
}

static bool keys_equal(const cxroi_ynode *a, const cxroi_ynode *b)
{
    if (a == b)
        return true;
    return a->type == CXROI_YNODE_SCALAR && b->type == CXROI_YNODE_SCALAR &&
           a->length == b->length && memcmp(a->value, b->value, a->length) == 0;
}

/* Index slot for the key of pair `pair`, inserting it unless an equal key is there;
 * returns the pair index of the earlier equal key, or SIZE_MAX. */
static size_t index_insert(yt_frame *f, size_t pair)
{
    const cxroi_ynode *key = f->children[2 * pair].node;
    size_t mask = f->index_cap - 1;
    uint64_t h = hash_bytes(key->value, key->length);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        yt_keyslot *s = &f->index[i];
        if (s->gen != f->gen) {
            s->gen = f->gen;
            s->pair = pair;
            return SIZE_MAX;
        }
        if (keys_equal(f->children[2 * s->pair].node, key))
            return s->pair;
    }
}

/* Rebuilds the index of the current mapping from its first `pairs` keys, with room for
 * one more key at a load factor of at most 1/2. */
static bool index_rebuild(yt_frame *f, size_t pairs)
{
    size_t cap = f->index_cap ? f->index_cap : 64;
    while (cap < 2 * (pairs + 1))
        cap *= 2;
    if (cap != f->index_cap) {
        yt_keyslot *slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return false;
        free(f->index);
        f->index = slots;
        f->index_cap = cap;
        f->gen = 0;
    }
    f->gen++; /* invalidates every slot at once */
    for (size_t i = 0; i < pairs; i++)
        if (f->children[2 * i].node->type == CXROI_YNODE_SCALAR)
            (void)index_insert(f, i);
    f->indexed = true;
    return true;
}

/*
 * Finds an earlier key equal to the key just appended (the last child). Scalar keys are
 * compared by text whatever their quoting: `margin` and "margin" are one key to a reader.
 * Collection keys are not compared: the scenario loader rejects them anyway, and a
 * linear scan for them would make a map of many such keys quadratic.
 * Returns the earlier child, or NULL; *oom is set when the index cannot grow.
 */
static const yt_child *find_duplicate_key(yt_frame *f, bool *oom)
{
    size_t pair = f->len / 2;
    const cxroi_ynode *key = f->children[f->len - 1].node;
    *oom = false;
    if (key->type != CXROI_YNODE_SCALAR)
        return NULL;
    if (!f->indexed && pair < YT_LINEAR_KEYS) {
        for (size_t i = 0; i < pair; i++)
            if (keys_equal(f->children[2 * i].node, key))
                return &f->children[2 * i];
        return NULL;
    }
    if (!f->indexed || 2 * (pair + 1) > f->index_cap) {
        if (!index_rebuild(f, pair)) {
            *oom = true;
            return NULL;
        }
    }
    size_t earlier = index_insert(f, pair);
    return earlier == SIZE_MAX ? NULL : &f->children[2 * earlier];
}

/* Attaches a finished node (or an alias's target) to the open collection, or as root. */
static cxroi_error add_child(yt_ctx *ctx, cxroi_ynode *node, int line, int column)
{
    if (ctx->depth == 0) {
        ctx->doc->root = node;
        return CXROI_OK;
    }
    yt_frame *f = &ctx->frames[ctx->depth - 1];
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        yt_child *grown = realloc(f->children, cap * sizeof(*grown));
        if (!grown)
            return nomem(ctx);
        f->children = grown;
        f->cap = cap;
    }
    yt_child *c = &f->children[f->len++];
    c->node = node;
    c->line = line;
    c->column = column;
    if (f->node->type == CXROI_YNODE_MAP && f->len % 2 == 1) {
        bool oom;
        const yt_child *first = find_duplicate_key(f, &oom);
        if (oom)
            return nomem(ctx);
        if (first) {
            char key[64];
            excerpt(key, sizeof(key), node->value, node->length);
            /* Two slips behind most duplicates: `{min: 1,000, max: 2,000}` splits at
             * each comma into keys '000'; a list entry without its '- ' repeats the
             * first key of the entry before (`id`), as the block continues it (not
             * at the top level, which is never a list entry). */
            bool digits = node->plain && node->length > 0;
            for (size_t i = 0; digits && i < node->length; i++)
                digits = node->value[i] >= '0' && node->value[i] <= '9';
            const char *hint = "";
            if (digits && f->flow)
                hint = "; a comma separates entries in {...}: write numbers without a "
                       "thousands separator";
            else if (!f->flow && first == &f->children[0] && ctx->depth > 1)
                hint = "; if this starts a new entry of a list, begin it with '- '";
            cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, c->line, c->column,
                           "duplicate key '%s' (first defined at line %d)%s", key, first->line,
                           hint);
            return CXROI_ERROR_SCENARIO;
        }
    }
    return CXROI_OK;
}

static cxroi_error on_scalar(yt_ctx *ctx, const yaml_event_t *ev)
{
    cxroi_error err = count_node(ctx, &ev->start_mark, 1, false);
    if (err)
        return err;
    cxroi_ynode *n = node_new(ctx, CXROI_YNODE_SCALAR, &ev->start_mark, ev->data.scalar.tag);
    if (!n)
        return nomem(ctx);
    n->value = arena_strndup(&ctx->doc->arena, (const char *)ev->data.scalar.value,
                             ev->data.scalar.length);
    if (!n->value)
        return nomem(ctx);
    n->length = ev->data.scalar.length;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (ev->data.scalar.anchor) {
        yt_anchor *a =
            anchors_define(&ctx->anchors, &ctx->scratch, (const char *)ev->data.scalar.anchor);
        if (!a)
            return nomem(ctx);
        a->node = n;
        a->expanded = 1;
        a->open = false;
    }
    /* A document that is only `---` arrives as one empty plain scalar: no root. */
    if (ctx->depth == 0 && n->plain && n->length == 0 && !n->tag && !ev->data.scalar.anchor)
        return CXROI_OK;
    return add_child(ctx, n, n->line, n->column);
}

static cxroi_error on_collection_start(yt_ctx *ctx, const yaml_event_t *ev, cxroi_ynode_type type)
{
    const yaml_char_t *anchor =
        type == CXROI_YNODE_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        type == CXROI_YNODE_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    /* Stop at the collection that crosses the limit: libyaml has read only this far, so
     * a 100,000-level file costs as much as a 65-level one. */
    if (ctx->depth >= ctx->limits.max_depth)
        return limit_error(ctx, &ev->start_mark, YT_LIMIT_DEPTH);
    size_t before = ctx->expanded;
    cxroi_error err = count_node(ctx, &ev->start_mark, 1, false);
    if (err)
        return err;
    cxroi_ynode *n = node_new(ctx, type, &ev->start_mark, tag);
    if (!n)
        return nomem(ctx);

    if (ctx->depth == ctx->frames_cap) {
        size_t cap = ctx->frames_cap ? ctx->frames_cap * 2 : 16;
        yt_frame *grown = realloc(ctx->frames, cap * sizeof(*grown));
        if (!grown)
            return nomem(ctx);
        memset(grown + ctx->frames_cap, 0, (cap - ctx->frames_cap) * sizeof(*grown));
        ctx->frames = grown;
        ctx->frames_cap = cap;
    }
    yt_frame *f = &ctx->frames[ctx->depth];
    f->node = n;
    f->anchor = NULL;
    f->expanded_start = before;
    f->len = 0;
    f->indexed = false;
    f->flow = type == CXROI_YNODE_MAP ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                                      : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    if (anchor) {
        /* Defined now, marked open: an alias to it from inside would make a cycle. */
        yt_anchor *a = anchors_define(&ctx->anchors, &ctx->scratch, (const char *)anchor);
        if (!a)
            return nomem(ctx);
        a->node = n;
        a->expanded = 0;
        a->open = true;
        f->anchor = a->name;
    }
    ctx->depth++;
    return CXROI_OK;
}

static cxroi_error on_collection_end(yt_ctx *ctx)
{
    if (ctx->depth == 0)
        return CXROI_OK; /* libyaml balances its events; defensive only */
    yt_frame *f = &ctx->frames[ctx->depth - 1];
    cxroi_ynode *n = f->node;
    if (n->type == CXROI_YNODE_MAP) {
        n->count = f->len / 2;
        if (n->count) {
            n->pairs = arena_alloc(&ctx->doc->arena, n->count * sizeof(*n->pairs));
            if (!n->pairs)
                return nomem(ctx);
            for (size_t i = 0; i < n->count; i++) {
                n->pairs[i].key = f->children[2 * i].node;
                n->pairs[i].value = f->children[2 * i + 1].node;
            }
        }
    } else {
        n->count = f->len;
        if (n->count) {
            n->items = arena_alloc(&ctx->doc->arena, n->count * sizeof(*n->items));
            if (!n->items)
                return nomem(ctx);
            for (size_t i = 0; i < n->count; i++)
                n->items[i] = f->children[i].node;
        }
    }
    if (f->anchor) {
        size_t len = strlen(f->anchor);
        yt_anchor *a = anchors_find(&ctx->anchors, f->anchor, len, hash_bytes(f->anchor, len));
        /* A later redefinition of the name inside this collection owns the entry now. */
        if (a && a->node == n) {
            /* expanded(node) = 1 + sum of the children's expanded sizes: everything the
             * running count gained since the node started. Computed once per anchor, so
             * the whole check is linear in the events, whatever the DAG's fan-out. */
            a->expanded = ctx->expanded - f->expanded_start;
            a->open = false;
        }
    }
    ctx->depth--;
    return add_child(ctx, n, n->line, n->column);
}

static cxroi_error on_alias(yt_ctx *ctx, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    size_t len = strlen(name);
    yt_anchor *a = anchors_find(&ctx->anchors, name, len, hash_bytes(name, len));
    char shown[64];
    excerpt(shown, sizeof(shown), name, len);
    if (!a) {
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, mark_int(ev->start_mark.line),
                       mark_int(ev->start_mark.column),
                       "undefined alias '*%s': no anchor '&%s' comes before it (an anchor "
                       "must be defined before its aliases)",
                       shown, shown);
        return CXROI_ERROR_SCENARIO;
    }
    if (a->open) {
        cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, mark_int(ev->start_mark.line),
                       mark_int(ev->start_mark.column),
                       "recursive alias '*%s': it is inside the collection anchored '&%s' "
                       "at line %d, which would then contain itself",
                       shown, shown, a->node->line);
        return CXROI_ERROR_SCENARIO;
    }
    cxroi_error err = count_node(ctx, &ev->start_mark, a->expanded, true);
    if (err)
        return err;
    return add_child(ctx, a->node, mark_int(ev->start_mark.line), mark_int(ev->start_mark.column));
}

static cxroi_error on_document_start(yt_ctx *ctx, const yaml_event_t *ev)
{
    if (ctx->documents++ == 0)
        return CXROI_OK;
    cxroi_diag_add(ctx->diag, CXROI_SEVERITY_ERROR, ctx->name, mark_int(ev->start_mark.line),
                   mark_int(ev->start_mark.column),
                   "a second YAML document starts here; a scenario file holds one "
                   "document (remove this '---' line or split the file)");
    return CXROI_ERROR_SCENARIO;
}

static void ctx_release(yt_ctx *ctx)
{
    for (size_t i = 0; i < ctx->frames_cap; i++) {
        free(ctx->frames[i].children);
        free(ctx->frames[i].index);
    }
    free(ctx->frames);
    free(ctx->anchors.slots);
    arena_free(&ctx->scratch);
}

static void limits_resolve(const cxroi_ylimits *in, cxroi_ylimits *out)
{
    out->max_bytes = in && in->max_bytes ? in->max_bytes : YT_DEFAULT_MAX_BYTES;
    out->max_depth = in && in->max_depth ? in->max_depth : YT_DEFAULT_MAX_DEPTH;
    out->max_nodes = in && in->max_nodes ? in->max_nodes : YT_DEFAULT_MAX_NODES;
    out->max_expanded = in && in->max_expanded ? in->max_expanded : YT_DEFAULT_MAX_EXPANDED;
}

static cxroi_error size_error(cxroi_diag *diag, const char *name, size_t size, size_t max,
                              bool exact)
{
    if (exact)
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, name, 1, 1,
                       "file is %zu bytes; scenario files are limited to %zu bytes", size, max);
    else
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, name, 1, 1,
                       "file is more than %zu bytes; scenario files are limited to %zu "
                       "bytes",
                       max, max);
    return CXROI_ERROR_LIMIT;
}

cxroi_error cxroi_ydoc_load_string(const char *text, size_t length, const char *name,
                                   const cxroi_ylimits *limits, cxroi_diag *diag, cxroi_ydoc **out)
{
    if (out)
        *out = NULL;
    if (!out || (!text && length > 0))
        return CXROI_ERROR_ARGUMENT;
    yt_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.name = name;
    ctx.text = (const unsigned char *)(text ? text : "");
    ctx.length = length;
    ctx.diag = diag;
    limits_resolve(limits, &ctx.limits);
    if (length > ctx.limits.max_bytes)
        return size_error(diag, name, length, ctx.limits.max_bytes, true);

    ctx.doc = calloc(1, sizeof(*ctx.doc));
    if (!ctx.doc)
        return nomem(&ctx);

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(ctx.doc);
        return nomem(&ctx);
    }
    yaml_parser_set_input_string(&parser, ctx.text, ctx.length);

    cxroi_error err = CXROI_OK;
    bool done = false;
    while (!done && err == CXROI_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            err = report_libyaml_error(&ctx, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            err = on_document_start(&ctx, &ev);
            break;
        case YAML_SCALAR_EVENT:
            err = on_scalar(&ctx, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            err = on_collection_start(&ctx, &ev, CXROI_YNODE_SEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            err = on_collection_start(&ctx, &ev, CXROI_YNODE_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            err = on_collection_end(&ctx);
            break;
        case YAML_ALIAS_EVENT:
            err = on_alias(&ctx, &ev);
            break;
        default: /* stream start, document end, no event */
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    ctx_release(&ctx);
    if (err != CXROI_OK) {
        cxroi_ydoc_free(ctx.doc);
        return err;
    }
    *out = ctx.doc;
    return CXROI_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Reading the file                                                                      */

static cxroi_error io_error(cxroi_diag *diag, const char *name, int errnum)
{
    char buf[128];
    /* XSI strerror_r (we build with _POSIX_C_SOURCE=200809L): thread-safe. */
    if (strerror_r(errnum, buf, sizeof(buf)) != 0)
        snprintf(buf, sizeof(buf), "error %d", errnum);
    cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, name, 0, 0, "cannot read: %s", buf);
    return CXROI_ERROR_IO;
}

/*
 * Reads the whole of fd into a malloc'd buffer, refusing more than max bytes. `hint` is
 * the expected size (0 when unknown, as for a pipe). Reading one byte past max tells a
 * file that grew, or an endless device, from one that fits.
 */
static cxroi_error read_all(int fd, size_t hint, size_t max, const char *name, cxroi_diag *diag,
                            char **text, size_t *length)
{
    if (max > SIZE_MAX - 1)
        max = SIZE_MAX - 1;
    /* hint <= max (the caller checked), so hint + 1 cannot wrap; never 0 bytes. */
    size_t cap = hint > 0 && hint <= max ? hint + 1 : 4096;
    if (cap > max)
        cap = max + 1;
    char *buf = malloc(cap);
    if (!buf)
        return CXROI_ERROR_NOMEM;
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return size_error(diag, name, 0, max, false);
            }
            size_t grown_cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
            char *grown = realloc(buf, grown_cap);
            if (!grown) {
                free(buf);
                return CXROI_ERROR_NOMEM;
            }
            buf = grown;
            cap = grown_cap;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return io_error(diag, name, e);
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > max) {
        free(buf);
        return size_error(diag, name, 0, max, false);
    }
    *text = buf;
    *length = n;
    return CXROI_OK;
}

cxroi_error cxroi_ydoc_load_file(const char *path, const char *display_name,
                                 const cxroi_ylimits *limits, cxroi_diag *diag, cxroi_ydoc **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return CXROI_ERROR_ARGUMENT;
    const char *name = display_name ? display_name : path;
    cxroi_ylimits lim;
    limits_resolve(limits, &lim);

    /* O_NONBLOCK so opening a FIFO that has no writer yet cannot hang us; it is cleared
     * before reading so a pipe with a writer is read to its end. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return io_error(diag, name, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return io_error(diag, name, e);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return io_error(diag, name, EISDIR);
    }
    size_t hint = 0;
    if (S_ISREG(st.st_mode)) {
        /* Refuse before reading: a 50 MB file costs one fstat, not 50 MB of memory. */
        if (st.st_size > 0 && (uintmax_t)st.st_size > (uintmax_t)lim.max_bytes) {
            close(fd);
            return size_error(diag, name, (size_t)st.st_size, lim.max_bytes, true);
        }
        hint = (size_t)st.st_size;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return io_error(diag, name, e);
    }
    char *text = NULL;
    size_t length = 0;
    cxroi_error err = read_all(fd, hint, lim.max_bytes, name, diag, &text, &length);
    close(fd);
    if (err == CXROI_ERROR_NOMEM)
        cxroi_diag_add(diag, CXROI_SEVERITY_ERROR, name, 0, 0,
                       "out of memory while reading the file");
    if (err)
        return err;
    err = cxroi_ydoc_load_string(text, length, name, &lim, diag, out);
    free(text);
    return err;
}

/* ------------------------------------------------------------------------------------ */
/* Access                                                                                */

const cxroi_ynode *cxroi_ydoc_root(const cxroi_ydoc *doc)
{
    return doc ? doc->root : NULL;
}

void cxroi_ydoc_free(cxroi_ydoc *doc)
{
    if (!doc)
        return;
    arena_free(&doc->arena);
    free(doc);
}

const cxroi_ynode *cxroi_ynode_get(const cxroi_ynode *map, const char *key)
{
    if (!map || !key || map->type != CXROI_YNODE_MAP)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->count; i++) {
        const cxroi_ynode *k = map->pairs[i].key;
        if (k->type == CXROI_YNODE_SCALAR && k->length == len && memcmp(k->value, key, len) == 0)
            return map->pairs[i].value;
    }
    return NULL;
}

bool cxroi_ynode_is_null(const cxroi_ynode *node)
{
    if (!node || node->type != CXROI_YNODE_SCALAR || !node->plain)
        return false;
    /* An explicit tag other than !!null makes the text a value of that type. */
    if (node->tag && strcmp(node->tag, "tag:yaml.org,2002:null") != 0)
        return false;
    static const char *const spellings[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
        if (node->length == strlen(spellings[i]) && strcmp(node->value, spellings[i]) == 0)
            return true;
    return false;
}
