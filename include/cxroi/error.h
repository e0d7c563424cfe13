/**
 * @file error.h
 * @brief Status codes returned by every cxroi function that can fail.
 */
#ifndef CXROI_ERROR_H
#define CXROI_ERROR_H

/** Status of a cxroi call. Results travel in trailing out-parameters. */
typedef enum cxroi_error {
    CXROI_OK = 0,            /**< Success. */
    CXROI_ERROR_NOMEM,       /**< An allocation failed. */
    CXROI_ERROR_IO,          /**< A file could not be read or written. */
    CXROI_ERROR_SCENARIO,    /**< The scenario is invalid; details are in the diagnostics. */
    CXROI_ERROR_MODEL,       /**< The model could not be evaluated (non-finite result, ...). */
    CXROI_ERROR_LIMIT,       /**< An input exceeds a resource limit (size, depth, count). */
    CXROI_ERROR_ARGUMENT,    /**< A function was called with an invalid argument. */
    CXROI_ERROR_NO_SOLUTION  /**< A root or optimum does not exist (no IRR, no break-even). */
} cxroi_error;

/**
 * @brief A one-line English description of a status code.
 * @param[in] error The status.
 * @return A static string; never NULL.
 */
const char *cxroi_strerror(cxroi_error error);

#endif /* CXROI_ERROR_H */
