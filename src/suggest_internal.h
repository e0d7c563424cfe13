/* "Did you mean" hints, shared by the scenario loader and the command line. */
#ifndef CXROI_SUGGEST_INTERNAL_H
#define CXROI_SUGGEST_INTERNAL_H

#include <stddef.h>

/* Case-insensitive optimal-string-alignment distance (an adjacent swap is one edit);
 * 99 for strings over 63 characters. */
size_t cxroi_edit_distance(const char *a, const char *b);

/* Edits a plausible misspelling of a word of `len` letters may have: 1 up to 4 letters,
 * 2 up to 8, else 3. */
size_t cxroi_suggest_max_edits(size_t len);

/* The candidate closest to `word` when it is a plausible misspelling (1 edit for words
 * of up to 4 letters, 2 up to 8, else 3; or a shared prefix of 5+ letters), else NULL. */
const char *cxroi_suggest(const char *word, const char *const *candidates, size_t n);

#endif /* CXROI_SUGGEST_INTERNAL_H */
