/* Status codes: one line of English each. */
#include "cxroi/error.h"

const char *cxroi_strerror(cxroi_error error)
{
    switch (error) {
    case CXROI_OK:
        return "success";
    case CXROI_ERROR_NOMEM:
        return "out of memory";
    case CXROI_ERROR_IO:
        return "input/output error";
    case CXROI_ERROR_SCENARIO:
        return "invalid scenario";
    case CXROI_ERROR_MODEL:
        return "the model could not be evaluated";
    case CXROI_ERROR_LIMIT:
        return "a resource limit was exceeded";
    case CXROI_ERROR_ARGUMENT:
        return "invalid argument";
    case CXROI_ERROR_NO_SOLUTION:
        return "no solution exists";
    }
    return "unknown error";
}
