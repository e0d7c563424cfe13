/* File-name helpers. */
#include "path_internal.h"

#include <stdlib.h>
#include <string.h>

char *cxroi_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 1;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, slash ? path : ".", n);
        d[n] = '\0';
    }
    return d;
}
