/**
 * @file atomic.h
 * @brief Write an output file atomically: a failed write never leaves a half-written
 *        file and never destroys the file that was there before.
 *
 * A regular file (or a path that does not exist yet) is written to a temporary file in
 * the same directory (created with mkstemp()), flushed to disk with fsync() and renamed
 * over the target only when every write succeeded. A target that exists and is not a
 * regular file (`/dev/stdout`, a named pipe, a terminal) is written straight through:
 * it is never renamed over.
 *
 * @code
 * cxroi_atomic_file *f;
 * if (cxroi_atomic_open("out.json", 0, &f) != CXROI_OK)
 *     return perror("out.json"), 3;
 * fputs("{}\n", cxroi_atomic_stream(f));
 * if (cxroi_atomic_commit(f) != CXROI_OK)   // f is released either way
 *     return perror("out.json"), 3;
 * @endcode
 */
#ifndef CXROI_ATOMIC_H
#define CXROI_ATOMIC_H

#include <stdio.h>

#include "cxroi/error.h"

/** An output file being written. */
typedef struct cxroi_atomic_file cxroi_atomic_file;

/** Flags of cxroi_atomic_open(). */
enum {
    /** Fail with EEXIST (at open and again at commit) when the target already exists. */
    CXROI_ATOMIC_NO_REPLACE = 1
};

/**
 * @brief Start writing @p path.
 *
 * For a regular or missing target, creates the temporary file `.<name>.XXXXXX` beside it
 * (permissions: those of the existing target, else 0666 less the umask).
 * @param[in] path The target file.
 * @param[in] flags 0 or CXROI_ATOMIC_NO_REPLACE.
 * @param[out] out The handle, to be finished by cxroi_atomic_commit() or
 *             cxroi_atomic_abort(); NULL on failure.
 * @return CXROI_OK; CXROI_ERROR_IO with errno set (e.g. EACCES, ENOENT, EEXIST);
 *         CXROI_ERROR_NOMEM.
 */
cxroi_error cxroi_atomic_open(const char *path, int flags, cxroi_atomic_file **out);

/**
 * @brief The stream to write to (owned by @p file: do not fclose it).
 * @return The stream, or NULL when out of memory or the descriptor cannot be wrapped.
 */
FILE *cxroi_atomic_stream(cxroi_atomic_file *file);

/**
 * @brief Path of the temporary file, for writers that open files by name (the Excel
 *        writer). Whatever they write there is what cxroi_atomic_commit() publishes.
 * @return The temporary path, or NULL when the target is written straight through (then
 *         write to the target path itself).
 */
const char *cxroi_atomic_temp_path(const cxroi_atomic_file *file);

/**
 * @brief Finish: flush, fsync and rename the temporary file over the target (or, for a
 *        straight-through target, flush and close).
 *
 * Releases @p file in every case. On failure the temporary file is removed, the old
 * target is untouched, and errno tells why (EFBIG, ENOSPC, EEXIST, ...).
 * @return CXROI_OK or CXROI_ERROR_IO.
 */
cxroi_error cxroi_atomic_commit(cxroi_atomic_file *file);

/**
 * @brief Give up: remove the temporary file and release @p file; the target is untouched.
 *        Accepts NULL. Preserves errno.
 */
void cxroi_atomic_abort(cxroi_atomic_file *file);

/**
 * @name Temporary files removed on a fatal signal
 *
 * A process killed while it writes (SIGINT, SIGTERM, ...) runs no cleanup code, so the
 * temporary file of cxroi_atomic_open() would stay behind. Every such file is therefore
 * registered, from its creation until it is renamed or removed, in a process-wide table
 * of fixed size; a program's signal handler calls cxroi_atomic_remove_pending(), which
 * only unlinks, and then re-raises the signal. The table is the one piece of static
 * state of the library: signals are process-wide. It is lock-free (C11 atomics), so
 * safe from any thread and from a signal handler.
 *
 * A path longer than CXROI_ATOMIC_PATH_MAX - 1 bytes, or one more file while
 * CXROI_ATOMIC_MAX_PENDING are pending, is still written atomically but not removed by a
 * signal. Relative paths are resolved at removal: a program that changes its working
 * directory while a file is pending must register absolute paths.
 * @{
 */

/** Temporary files that can be registered at once. */
#define CXROI_ATOMIC_MAX_PENDING 16

/** Longest registered path, in bytes with the terminating NUL (Linux's PATH_MAX). */
#define CXROI_ATOMIC_PATH_MAX 4096

/**
 * @brief Register @p path (a temporary file the caller just created) for removal by
 *        cxroi_atomic_remove_pending(). cxroi_atomic_open() does this for its own files;
 *        other writers of temporary files may too.
 * @return A slot number for cxroi_atomic_unregister(), or -1 when the path is too long
 *         or the table is full (the file is then not removed on a signal).
 */
int cxroi_atomic_register(const char *path);

/**
 * @brief Forget slot @p slot (from cxroi_atomic_register(); -1 is accepted and ignored).
 *        Call it after the file was renamed or removed, never before: a signal in
 *        between then finds a name that is gone, which is harmless, instead of a file
 *        that is left behind.
 */
void cxroi_atomic_unregister(int slot);

/**
 * @brief Remove every registered temporary file. Async-signal-safe (unlink() and
 *        lock-free atomics only): meant for a handler of SIGINT, SIGTERM, SIGHUP, which
 *        then re-raises the signal with its default action. A slot removed here is
 *        never reused, so a writer racing with the handler cannot lose its file to it.
 *        Preserves errno.
 */
void cxroi_atomic_remove_pending(void);

/** @} */

#endif /* CXROI_ATOMIC_H */
