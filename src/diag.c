/* Diagnostics list: FILE:LINE:COLUMN: severity: message. */
#include "cxroi/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CXROI_DIAG_MAX_MESSAGE 1024

struct cxroi_diag {
    cxroi_diag_entry *entries;
    size_t count;
    size_t capacity;
    size_t errors;   /* counted even when an entry could not be stored */
    size_t warnings;
};

cxroi_diag *cxroi_diag_new(void)
{
    return calloc(1, sizeof(cxroi_diag));
}

void cxroi_diag_free(cxroi_diag *diag)
{
    if (!diag)
        return;
    for (size_t i = 0; i < diag->count; i++) {
        free(diag->entries[i].file);
        free(diag->entries[i].message);
    }
    free(diag->entries);
    free(diag);
}

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

void cxroi_diag_add(cxroi_diag *diag, cxroi_severity severity, const char *file, int line,
                    int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cxroi_diag_vadd(diag, severity, file, line, column, fmt, ap);
    va_end(ap);
}

void cxroi_diag_vadd(cxroi_diag *diag, cxroi_severity severity, const char *file, int line,
                     int column, const char *fmt, va_list ap)
{
    if (!diag)
        return;
    if (severity == CXROI_SEVERITY_ERROR)
        diag->errors++;
    else if (severity == CXROI_SEVERITY_WARNING)
        diag->warnings++;

    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    /* A hostile file can put megabytes into a key that a message quotes: keep the
     * message readable (and bounded) by cutting it. */
    if (len > CXROI_DIAG_MAX_MESSAGE)
        len = CXROI_DIAG_MAX_MESSAGE;
    char *message = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (message)
        vsnprintf(message, (size_t)len + 1, fmt, ap2);
    va_end(ap2);
    if (!message)
        return;

    if (diag->count == diag->capacity) {
        size_t cap = diag->capacity ? diag->capacity * 2 : 16;
        cxroi_diag_entry *grown = realloc(diag->entries, cap * sizeof(*grown));
        if (!grown) {
            free(message);
            return;
        }
        diag->entries = grown;
        diag->capacity = cap;
    }
    cxroi_diag_entry *e = &diag->entries[diag->count];
    e->severity = severity;
    e->file = dup_or_null(file);
    e->line = line;
    e->column = column;
    e->message = message;
    diag->count++;
}

size_t cxroi_diag_count(const cxroi_diag *diag)
{
    return diag ? diag->count : 0;
}

size_t cxroi_diag_error_count(const cxroi_diag *diag)
{
    return diag ? diag->errors : 0;
}

size_t cxroi_diag_warning_count(const cxroi_diag *diag)
{
    return diag ? diag->warnings : 0;
}

const cxroi_diag_entry *cxroi_diag_get(const cxroi_diag *diag, size_t index)
{
    if (!diag || index >= diag->count)
        return NULL;
    return &diag->entries[index];
}

static int entry_before(const cxroi_diag_entry *a, const cxroi_diag_entry *b)
{
    int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
    if (c != 0)
        return c < 0;
    if (a->line != b->line)
        return a->line < b->line;
    return a->column < b->column;
}

void cxroi_diag_sort(cxroi_diag *diag)
{
    if (!diag)
        return;
    /* Insertion sort: stable, and lists are short (a few hundred entries at most). Notes
     * stay attached to the entry before them by moving with it. */
    for (size_t i = 1; i < diag->count; i++) {
        if (diag->entries[i].severity == CXROI_SEVERITY_NOTE)
            continue;
        size_t end = i + 1;
        while (end < diag->count && diag->entries[end].severity == CXROI_SEVERITY_NOTE)
            end++;
        size_t j = i;
        while (j > 0) {
            size_t head = j - 1;
            while (head > 0 && diag->entries[head].severity == CXROI_SEVERITY_NOTE)
                head--;
            if (!entry_before(&diag->entries[i], &diag->entries[head]))
                break;
            j = head;
        }
        if (j == i) {
            i = end - 1;
            continue;
        }
        size_t moved = end - i;
        cxroi_diag_entry *tmp = malloc(moved * sizeof(*tmp));
        if (!tmp)
            return;
        memcpy(tmp, &diag->entries[i], moved * sizeof(*tmp));
        memmove(&diag->entries[j + moved], &diag->entries[j], (i - j) * sizeof(*tmp));
        memcpy(&diag->entries[j], tmp, moved * sizeof(*tmp));
        free(tmp);
        i = end - 1;
    }
}

static const char *severity_name(cxroi_severity s)
{
    switch (s) {
    case CXROI_SEVERITY_ERROR:
        return "error";
    case CXROI_SEVERITY_WARNING:
        return "warning";
    case CXROI_SEVERITY_NOTE:
        return "note";
    }
    return "error";
}

void cxroi_diag_print(const cxroi_diag *diag, FILE *out)
{
    if (!diag)
        return;
    for (size_t i = 0; i < diag->count; i++) {
        const cxroi_diag_entry *e = &diag->entries[i];
        const char *file = e->file ? e->file : "<input>";
        if (e->line > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", file, e->line, e->column > 0 ? e->column : 1,
                    severity_name(e->severity), e->message);
        else
            fprintf(out, "%s: %s: %s\n", file, severity_name(e->severity), e->message);
    }
}
