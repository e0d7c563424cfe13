/* "Did you mean" hints for misspelt keys, names and commands. */
#include "suggest_internal.h"

#include <ctype.h>
#include <string.h>

/*
 * Edit distance for "did you mean" hints: Levenshtein plus the swap of two adjacent
 * letters as one edit (optimal string alignment), since "pret" for "pert" is one slip of
 * the fingers, not two. Case-insensitive; small strings only.
 */
size_t cxroi_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        int ai = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ai == bj ? 0 : 1);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* The closest of `candidates` to `word`, or NULL when none is close. */
size_t cxroi_suggest_max_edits(size_t len)
{
    return len <= 4 ? 1 : (len <= 8 ? 2 : 3);
}

const char *cxroi_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = cxroi_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    if (best && best_d <= cxroi_suggest_max_edits(strlen(word)))
        return best;
    /* A longer or shorter spelling such as "retention_rate" or "triangle" for
     * "retention" or "triangular" also deserves a hint: a shared prefix of 5+ letters. */
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (word[k] && word[k] == candidates[i][k])
            k++;
        if (k >= 5)
            return candidates[i];
    }
    return NULL;
}
