/*
 * path (internal): file-name helpers shared by the loader, the CLI and the atomic writer.
 */
#ifndef CXROI_PATH_INTERNAL_H
#define CXROI_PATH_INTERNAL_H

/*
 * The directory part of @p path, newly allocated (free() it): "a/b" for "a/b/c", "/" for
 * "/c", "." when there is no slash. NULL when out of memory.
 */
char *cxroi_path_dir(const char *path);

#endif /* CXROI_PATH_INTERNAL_H */
