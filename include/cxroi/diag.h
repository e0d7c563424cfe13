/**
 * @file diag.h
 * @brief Diagnostics: a list of `FILE:LINE:COLUMN: severity: message` entries.
 *
 * The loader reports every problem of a scenario in one pass; each entry carries the
 * place (1-based line and column, as compilers print them) and a message naming the key
 * path, what was expected and what was found.
 */
#ifndef CXROI_DIAG_H
#define CXROI_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/** How serious a diagnostic is. */
typedef enum cxroi_severity {
    CXROI_SEVERITY_ERROR = 0, /**< The scenario cannot be used. */
    CXROI_SEVERITY_WARNING,   /**< The scenario is used, but something looks wrong. */
    CXROI_SEVERITY_NOTE       /**< Extra context for the previous entry. */
} cxroi_severity;

/** One diagnostic. `line` and `column` are 1-based; 0 means "the whole file". */
typedef struct cxroi_diag_entry {
    cxroi_severity severity;
    char *file;    /**< The file as the user named it. */
    int line;      /**< 1-based line, 0 when unknown. */
    int column;    /**< 1-based column, 0 when unknown. */
    char *message; /**< The message, without the location prefix. */
} cxroi_diag_entry;

/** A growing list of diagnostics. */
typedef struct cxroi_diag cxroi_diag;

/**
 * @brief Allocate an empty diagnostics list.
 * @return The list, to be released with cxroi_diag_free(); NULL when out of memory.
 */
cxroi_diag *cxroi_diag_new(void);

/** @brief Release a list and its entries. Accepts NULL. */
void cxroi_diag_free(cxroi_diag *diag);

/**
 * @brief Append a diagnostic; printf-style message.
 *
 * Does nothing when @p diag is NULL. When memory runs out the entry is dropped but the
 * error count still grows, so a failure is never lost.
 * @param[in,out] diag The list (may be NULL).
 * @param[in] severity Error, warning or note.
 * @param[in] file The file name (copied), may be NULL.
 * @param[in] line 1-based line, 0 when unknown.
 * @param[in] column 1-based column, 0 when unknown.
 * @param[in] fmt printf format of the message.
 */
void cxroi_diag_add(cxroi_diag *diag, cxroi_severity severity, const char *file, int line,
                    int column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/** @brief As cxroi_diag_add(), with a va_list. */
void cxroi_diag_vadd(cxroi_diag *diag, cxroi_severity severity, const char *file, int line,
                     int column, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 0)))
#endif
    ;

/** @brief Number of entries stored. */
size_t cxroi_diag_count(const cxroi_diag *diag);

/** @brief Number of errors reported (including any dropped for lack of memory). */
size_t cxroi_diag_error_count(const cxroi_diag *diag);

/** @brief Number of warnings stored. */
size_t cxroi_diag_warning_count(const cxroi_diag *diag);

/** @brief Entry @p index (0-based), or NULL when out of range. */
const cxroi_diag_entry *cxroi_diag_get(const cxroi_diag *diag, size_t index);

/**
 * @brief Sort entries by file, line and column (stable), so output follows the file.
 */
void cxroi_diag_sort(cxroi_diag *diag);

/**
 * @brief Print every entry as `FILE:LINE:COLUMN: error: MESSAGE`, one per line.
 * @param[in] diag The list (NULL prints nothing).
 * @param[in] out Where to print.
 */
void cxroi_diag_print(const cxroi_diag *diag, FILE *out);

#endif /* CXROI_DIAG_H */
