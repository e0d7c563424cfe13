/*
 * yamltree: a YAML document as a tree of nodes with their source positions, built from
 * libyaml's event stream with hard limits, so hostile files (alias bombs, deep nesting,
 * huge or binary files) fail fast with a located error instead of exhausting memory.
 * Private to the library: the scenario loader is its only client.
 */
#ifndef CXROI_YAMLTREE_INTERNAL_H
#define CXROI_YAMLTREE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "cxroi/diag.h"
#include "cxroi/error.h"

typedef enum cxroi_ynode_type {
    CXROI_YNODE_SCALAR = 0,
    CXROI_YNODE_MAP,
    CXROI_YNODE_SEQ
} cxroi_ynode_type;

typedef struct cxroi_ynode cxroi_ynode;

/* One key: value pair of a mapping, in document order. */
typedef struct cxroi_ypair {
    cxroi_ynode *key;
    cxroi_ynode *value;
} cxroi_ypair;

/*
 * A node. An alias is resolved to the anchored node itself (shared, not copied), so the
 * tree is a DAG; the loader's limits on the expanded size keep walks bounded.
 */
struct cxroi_ynode {
    cxroi_ynode_type type;
    int line;          /* 1-based line of the node's first character */
    int column;        /* 1-based column */
    /* SCALAR */
    char *value;       /* NUL-terminated; may contain NULs only if length says so */
    size_t length;     /* bytes in value, excluding the terminating NUL */
    bool plain;        /* written without quotes (so `null`, `~`, numbers are special) */
    char *tag;         /* explicit tag such as "tag:yaml.org,2002:str", or NULL */
    /* MAP */
    cxroi_ypair *pairs;
    /* SEQ */
    cxroi_ynode **items;
    size_t count;      /* number of pairs (MAP) or items (SEQ) */
};

/* Limits on what a document may hold; 0 in a field means the default. */
typedef struct cxroi_ylimits {
    size_t max_bytes;        /* default 8 MiB: larger files are refused before parsing */
    size_t max_depth;        /* default 64 nested collections */
    size_t max_nodes;        /* default 1,000,000 nodes as parsed */
    size_t max_expanded;     /* default 1,000,000 nodes counting every alias expansion */
} cxroi_ylimits;

typedef struct cxroi_ydoc cxroi_ydoc;

/*
 * Parse the file at `path` (named `display_name` in diagnostics, `path` when NULL).
 * Returns CXROI_OK and *out (NULL root for an empty document); CXROI_ERROR_IO when the
 * file cannot be read (diagnostic at line 0: "cannot read: <strerror>");
 * CXROI_ERROR_SCENARIO for a YAML syntax error, several documents, a duplicate key,
 * an undefined alias, or invalid UTF-8 (diagnostic with libyaml's mark + 1);
 * CXROI_ERROR_LIMIT when a limit is exceeded (located diagnostic naming the limit).
 * On failure *out is NULL. `limits` may be NULL.
 */
cxroi_error cxroi_ydoc_load_file(const char *path, const char *display_name,
                                 const cxroi_ylimits *limits, cxroi_diag *diag,
                                 cxroi_ydoc **out);

/* The same from memory; `name` is used in diagnostics. */
cxroi_error cxroi_ydoc_load_string(const char *text, size_t length, const char *name,
                                   const cxroi_ylimits *limits, cxroi_diag *diag,
                                   cxroi_ydoc **out);

/* The root node, NULL for an empty document. */
const cxroi_ynode *cxroi_ydoc_root(const cxroi_ydoc *doc);

/* Free the document and every node. Accepts NULL. */
void cxroi_ydoc_free(cxroi_ydoc *doc);

/* Value of key `key` in a MAP node, or NULL (also when `map` is not a MAP). */
const cxroi_ynode *cxroi_ynode_get(const cxroi_ynode *map, const char *key);

/* true when the node is a plain scalar spelling YAML's null (`~`, `null`, `Null`, `NULL`, empty). */
bool cxroi_ynode_is_null(const cxroi_ynode *node);

#endif /* CXROI_YAMLTREE_INTERNAL_H */
