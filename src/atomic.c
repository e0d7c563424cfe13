/* Atomic output files: temporary file + fsync + rename, or straight through for
 * targets that are not regular files. */
#include "cxroi/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_internal.h"

struct cxroi_atomic_file {
    char *path;   /* the target */
    char *temp;   /* the temporary file; NULL when written straight through */
    int fd;       /* owned until stream wraps it */
    FILE *stream; /* lazily fdopen()ed; then owns fd */
    int flags;
    int slot; /* in the table of pending temporary files; -1: none */
};

/* ------------------------------------------------------------------------------------ */
/* Pending temporary files, for removal from a signal handler.
 *
 * A slot is FREE, FILLING (its owner is copying a path in), ARMED (the handler may remove
 * it) or FIRED (the handler removed it; never reused). Every transition is one
 * compare-and-swap, so the handler, which only acts on ARMED slots and claims each one
 * before touching its path, never reads a path being written, and an owner never reuses
 * a slot the handler is working on. C11 allows lock-free atomics in signal handlers;
 * atomic_int is lock-free wherever cxroi builds, which is checked at compile time. */

#if ATOMIC_INT_LOCK_FREE != 2
#error "cxroi_atomic_remove_pending() needs a lock-free atomic_int"
#endif

enum { SLOT_FREE, SLOT_FILLING, SLOT_ARMED, SLOT_FIRED };

static atomic_int slot_state[CXROI_ATOMIC_MAX_PENDING];
static char slot_path[CXROI_ATOMIC_MAX_PENDING][CXROI_ATOMIC_PATH_MAX];

int cxroi_atomic_register(const char *path)
{
    size_t n = path ? strlen(path) : CXROI_ATOMIC_PATH_MAX;
    if (n >= CXROI_ATOMIC_PATH_MAX)
        return -1;
    for (int i = 0; i < CXROI_ATOMIC_MAX_PENDING; i++) {
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expected, SLOT_FILLING))
            continue;
        memcpy(slot_path[i], path, n + 1);
        atomic_store(&slot_state[i], SLOT_ARMED);
        return i;
    }
    return -1;
}

void cxroi_atomic_unregister(int slot)
{
    if (slot < 0 || slot >= CXROI_ATOMIC_MAX_PENDING)
        return;
    int expected = SLOT_ARMED;
    /* Fails only when the handler fired: the process is about to die; leave it. */
    atomic_compare_exchange_strong(&slot_state[slot], &expected, SLOT_FREE);
}

void cxroi_atomic_remove_pending(void)
{
    int e = errno;
    for (int i = 0; i < CXROI_ATOMIC_MAX_PENDING; i++) {
        int expected = SLOT_ARMED;
        if (atomic_compare_exchange_strong(&slot_state[i], &expected, SLOT_FIRED))
            (void)unlink(slot_path[i]);
    }
    errno = e;
}

/* ------------------------------------------------------------------------------------ */

/* How many fresh names to try when another process takes ours between mkstemp() and the
 * exclusive re-creation below (practically never more than once). */
enum { TEMP_ATTEMPTS = 16 };

/* Called once the temporary file is renamed or removed (see cxroi_atomic_unregister()). */
static void release(cxroi_atomic_file *f)
{
    cxroi_atomic_unregister(f->slot);
    free(f->path);
    free(f->temp);
    free(f);
}

/* "<dir>/.<base>.XXXXXX" beside the target, so rename() stays within one file system. */
static char *temp_template(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t n = dir_len + 1 + strlen(base) + sizeof(".XXXXXX");
    char *t = malloc(n);
    if (!t)
        return NULL;
    memcpy(t, path, dir_len);
    snprintf(t + dir_len, n - dir_len, ".%s.XXXXXX", base);
    return t;
}

/* mkstemp() creates mode 0600. A report should get the permissions a plain fopen()
 * would give (0666 less the umask), and reading the umask is not thread-safe, so the
 * name mkstemp() reserved is re-created with O_EXCL and mode 0666: the kernel applies
 * the umask. An existing target's permissions are kept instead. */
static int create_temp(cxroi_atomic_file *f, const struct stat *target, bool target_exists)
{
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        free(f->temp);
        f->temp = temp_template(f->path);
        if (!f->temp) {
            errno = ENOMEM;
            return -1;
        }
        int fd = mkstemp(f->temp);
        if (fd < 0)
            return -1;
        if (target_exists) {
            if (fchmod(fd, target->st_mode & 07777) != 0) {
                int e = errno;
                close(fd);
                unlink(f->temp);
                errno = e;
                return -1;
            }
            f->fd = fd;
            return 0;
        }
        close(fd);
        unlink(f->temp);
        fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            f->fd = fd;
            return 0;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

cxroi_error cxroi_atomic_open(const char *path, int flags, cxroi_atomic_file **out)
{
    *out = NULL;
    if (!path || !*path) {
        errno = ENOENT;
        return CXROI_ERROR_IO;
    }
    cxroi_atomic_file *f = calloc(1, sizeof(*f));
    if (!f)
        return CXROI_ERROR_NOMEM;
    f->fd = -1;
    f->slot = -1;
    f->flags = flags;
    f->path = malloc(strlen(path) + 1);
    if (!f->path) {
        free(f);
        return CXROI_ERROR_NOMEM;
    }
    strcpy(f->path, path);

    /* lstat(): a symbolic link (e.g. /dev/stdout) is not a regular file, so it is written
     * through, never replaced. */
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        goto fail;
    if (exists && (flags & CXROI_ATOMIC_NO_REPLACE)) {
        errno = EEXIST;
        goto fail;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            goto fail;
        }
        f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (f->fd < 0)
            goto fail;
        *out = f;
        return CXROI_OK;
    }
    /* A signal between the creation of the temporary file and its registration would
     * leave it behind, so both happen with signals blocked in this thread: a signal
     * sent meanwhile waits until the file is registered (in a single-threaded writer,
     * as the command line is when it writes, it cannot go to another thread). */
    sigset_t all, old;
    sigfillset(&all);
    bool masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    int rc = create_temp(f, &st, exists);
    if (rc == 0)
        f->slot = cxroi_atomic_register(f->temp);
    if (masked) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
    }
    if (rc != 0)
        goto fail;
    *out = f;
    return CXROI_OK;

fail:;
    int e = errno;
    release(f);
    errno = e;
    return e == ENOMEM ? CXROI_ERROR_NOMEM : CXROI_ERROR_IO;
}

FILE *cxroi_atomic_stream(cxroi_atomic_file *file)
{
    if (!file->stream && file->fd >= 0) {
        file->stream = fdopen(file->fd, "w");
        if (file->stream)
            file->fd = -1;
    }
    return file->stream;
}

const char *cxroi_atomic_temp_path(const cxroi_atomic_file *file)
{
    return file->temp;
}

/* Make the rename itself durable; a file system that cannot fsync a directory is no
 * reason to fail a report that is already complete. */
static void sync_directory(const char *path)
{
    char *dir = cxroi_path_dir(path);
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Publish the temporary file under the target name. NO_REPLACE uses link(), which fails
 * with EEXIST instead of replacing; on file systems without hard links it falls back to
 * a check followed by rename(). */
static int publish(cxroi_atomic_file *f)
{
    if (!(f->flags & CXROI_ATOMIC_NO_REPLACE))
        return rename(f->temp, f->path);
    if (link(f->temp, f->path) == 0) {
        unlink(f->temp);
        return 0;
    }
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    struct stat st;
    if (lstat(f->path, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(f->temp, f->path);
}

cxroi_error cxroi_atomic_commit(cxroi_atomic_file *file)
{
    int err = 0;
    if (file->stream) {
        errno = 0;
        if (fflush(file->stream) != 0 || ferror(file->stream))
            err = errno ? errno : EIO;
        if (!err && file->temp && fsync(fileno(file->stream)) != 0)
            err = errno;
        errno = 0;
        if (fclose(file->stream) != 0 && !err)
            err = errno ? errno : EIO;
        file->stream = NULL;
    } else if (file->fd >= 0) {
        if (file->temp && fsync(file->fd) != 0)
            err = errno;
        if (close(file->fd) != 0 && !err)
            err = errno;
        file->fd = -1;
    }
    if (!err && file->temp) {
        if (publish(file) != 0)
            err = errno;
        else
            sync_directory(file->path);
    }
    if (err && file->temp)
        unlink(file->temp);
    release(file);
    errno = err;
    return err ? CXROI_ERROR_IO : CXROI_OK;
}

void cxroi_atomic_abort(cxroi_atomic_file *file)
{
    if (!file)
        return;
    int e = errno;
    if (file->stream)
        fclose(file->stream);
    else if (file->fd >= 0)
        close(file->fd);
    if (file->temp)
        unlink(file->temp);
    release(file);
    errno = e;
}
