/* Tests of the atomic output file: publish on success only, never a half-written or
 * destroyed target, never a rename over something that is not a regular file. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cxroi/atomic.h"

typedef struct fixture {
    char dir[64];
    char target[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/cxroi-test-atomic-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->target, sizeof f->target, "%s/report.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void put(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    assert_int_equal(fclose(out), 0);
}

static void assert_file(const char *path, const char *expected)
{
    char buf[256] = "";
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    buf[n] = '\0';
    fclose(in);
    assert_string_equal(buf, expected);
}

/* Number of entries in the directory: 1 means the target alone, no temporary debris. */
static size_t entries(const fixture *f)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_atomic_commit_publishes(void **state)
{
    fixture *f = *state;
    mode_t old_mask = umask(022);
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
    /* The temporary file is hidden beside the target until the commit. */
    const char *temp = cxroi_atomic_temp_path(a);
    assert_non_null(temp);
    assert_int_equal(strncmp(temp, f->dir, strlen(f->dir)), 0);
    assert_non_null(strstr(temp, "/.report.json."));
    assert_int_equal(access(f->target, F_OK), -1);
    fputs("{\"npv\": 0.0735}\n", cxroi_atomic_stream(a));
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    umask(old_mask);
    assert_file(f->target, "{\"npv\": 0.0735}\n");
    assert_int_equal(entries(f), 1);
    /* 0666 less the umask 022, as fopen() would have created it. */
    struct stat st;
    assert_int_equal(stat(f->target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_atomic_keeps_existing_mode(void **state)
{
    fixture *f = *state;
    put(f->target, "OLD\n");
    assert_int_equal(chmod(f->target, 0640), 0);
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
    fputs("NEW\n", cxroi_atomic_stream(a));
    assert_file(f->target, "OLD\n"); /* not yet */
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    assert_file(f->target, "NEW\n");
    struct stat st;
    assert_int_equal(stat(f->target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(entries(f), 1);
}

static void test_atomic_abort_leaves_target(void **state)
{
    fixture *f = *state;
    put(f->target, "OLD\n");
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
    fputs("half a rep", cxroi_atomic_stream(a));
    errno = 1234;
    cxroi_atomic_abort(a);
    assert_int_equal(errno, 1234); /* preserved for the caller's message */
    assert_file(f->target, "OLD\n");
    assert_int_equal(entries(f), 1);
    cxroi_atomic_abort(NULL);
}

static void test_atomic_write_by_name(void **state)
{
    fixture *f = *state;
    /* The Excel writer opens the temporary file by name and writes it itself. */
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
    put(cxroi_atomic_temp_path(a), "written by name\n");
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    assert_file(f->target, "written by name\n");
    assert_int_equal(entries(f), 1);
}

static void test_atomic_no_replace(void **state)
{
    fixture *f = *state;
    put(f->target, "MINE\n");
    cxroi_atomic_file *a = (cxroi_atomic_file *)f; /* any non-NULL: open must reset it */
    assert_int_equal(cxroi_atomic_open(f->target, CXROI_ATOMIC_NO_REPLACE, &a),
                     CXROI_ERROR_IO);
    assert_int_equal(errno, EEXIST);
    assert_null(a);
    assert_int_equal(unlink(f->target), 0);

    /* Someone creates the target between open and commit: theirs wins, ours is dropped. */
    assert_int_equal(cxroi_atomic_open(f->target, CXROI_ATOMIC_NO_REPLACE, &a), CXROI_OK);
    fputs("OURS\n", cxroi_atomic_stream(a));
    put(f->target, "THEIRS\n");
    assert_int_equal(cxroi_atomic_commit(a), CXROI_ERROR_IO);
    assert_int_equal(errno, EEXIST);
    assert_file(f->target, "THEIRS\n");
    assert_int_equal(entries(f), 1);

    /* And when nobody does, it is published. */
    assert_int_equal(unlink(f->target), 0);
    assert_int_equal(cxroi_atomic_open(f->target, CXROI_ATOMIC_NO_REPLACE, &a), CXROI_OK);
    fputs("OURS\n", cxroi_atomic_stream(a));
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    assert_file(f->target, "OURS\n");
    assert_int_equal(entries(f), 1);
}

static void test_atomic_file_size_limit(void **state)
{
    fixture *f = *state;
    put(f->target, "OLD\n");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* In a child: the limit must not hit the test runner's own output. Writes past
         * 1 KiB fail with EFBIG since SIGXFSZ is ignored. */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {1024, 1024};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        cxroi_atomic_file *a;
        if (cxroi_atomic_open(f->target, 0, &a) != CXROI_OK)
            _exit(11);
        FILE *out = cxroi_atomic_stream(a);
        for (int i = 0; i < 1000; i++)
            fputs("0123456789abcdef", out); /* 16000 bytes */
        if (cxroi_atomic_commit(a) != CXROI_ERROR_IO)
            _exit(12);
        _exit(errno == EFBIG ? 0 : 13);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_file(f->target, "OLD\n");
    assert_int_equal(entries(f), 1);
}

static void test_atomic_not_regular_file(void **state)
{
    (void)state;
    /* A device is written straight through: no temporary file, never renamed over. */
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open("/dev/null", 0, &a), CXROI_OK);
    assert_null(cxroi_atomic_temp_path(a));
    fputs("discarded\n", cxroi_atomic_stream(a));
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode));
    assert_int_equal(before.st_ino, after.st_ino);

    /* A failing device reports the error. */
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(cxroi_atomic_open("/dev/full", 0, &a), CXROI_OK);
        fputs("no room\n", cxroi_atomic_stream(a));
        assert_int_equal(cxroi_atomic_commit(a), CXROI_ERROR_IO);
        assert_int_equal(errno, ENOSPC);
    }
}

static void test_atomic_open_errors(void **state)
{
    fixture *f = *state;
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->dir, 0, &a), CXROI_ERROR_IO);
    assert_int_equal(errno, EISDIR);
    char path[192];
    snprintf(path, sizeof path, "%s/missing/report.json", f->dir);
    assert_int_equal(cxroi_atomic_open(path, 0, &a), CXROI_ERROR_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(cxroi_atomic_open("", 0, &a), CXROI_ERROR_IO);
    assert_int_equal(errno, ENOENT);
    put(f->target, "x");
    snprintf(path, sizeof path, "%s/sub.json", f->target);
    assert_int_equal(cxroi_atomic_open(path, 0, &a), CXROI_ERROR_IO);
    assert_int_equal(errno, ENOTDIR);
    assert_null(a);
    assert_int_equal(entries(f), 1);
}

/* The table of pending temporary files: a slot per file from open to commit or abort,
 * freed after; -1 when the path is too long or the table is full (the file is then
 * still written atomically, only not removed on a signal). */
static void test_atomic_register_table(void **state)
{
    fixture *f = *state;
    /* Each open takes a slot and gives it back: far more than the table holds, one
     * after the other, all register (the one after the last must too). */
    for (int i = 0; i < 3 * CXROI_ATOMIC_MAX_PENDING; i++) {
        cxroi_atomic_file *a;
        assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
        if (i % 2)
            cxroi_atomic_abort(a);
        else
            assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    }
    int slot = cxroi_atomic_register("/nonexistent/x");
    assert_true(slot >= 0);
    cxroi_atomic_unregister(slot);

    /* Full: every slot taken, the next registration fails, the file still commits. */
    int slots[CXROI_ATOMIC_MAX_PENDING];
    for (int i = 0; i < CXROI_ATOMIC_MAX_PENDING; i++) {
        slots[i] = cxroi_atomic_register("/nonexistent/y");
        assert_true(slots[i] >= 0);
    }
    assert_int_equal(cxroi_atomic_register("/nonexistent/z"), -1);
    cxroi_atomic_file *a;
    assert_int_equal(cxroi_atomic_open(f->target, 0, &a), CXROI_OK);
    fputs("UNREGISTERED\n", cxroi_atomic_stream(a));
    assert_int_equal(cxroi_atomic_commit(a), CXROI_OK);
    assert_file(f->target, "UNREGISTERED\n");
    for (int i = 0; i < CXROI_ATOMIC_MAX_PENDING; i++)
        cxroi_atomic_unregister(slots[i]);

    /* Too long a path; a bad slot is ignored. */
    char *longest = malloc(CXROI_ATOMIC_PATH_MAX + 1);
    assert_non_null(longest);
    memset(longest, 'a', CXROI_ATOMIC_PATH_MAX);
    longest[CXROI_ATOMIC_PATH_MAX] = '\0';
    assert_int_equal(cxroi_atomic_register(longest), -1);
    longest[CXROI_ATOMIC_PATH_MAX - 1] = '\0'; /* the longest that fits */
    slot = cxroi_atomic_register(longest);
    assert_true(slot >= 0);
    cxroi_atomic_unregister(slot);
    free(longest);
    assert_int_equal(cxroi_atomic_register(NULL), -1);
    cxroi_atomic_unregister(-1);
    cxroi_atomic_unregister(CXROI_ATOMIC_MAX_PENDING);
    assert_int_equal(entries(f), 1);
}

static void remove_and_die(int sig)
{
    cxroi_atomic_remove_pending();
    raise(sig);
}

/* A process killed while it writes: its handler calls cxroi_atomic_remove_pending(),
 * which removes the temporary files of both writers in progress and nothing else (not
 * the targets, not a file already committed, not a file that was written and aborted);
 * the old target survives. In a child, which dies of the signal as the handler
 * re-raises it with the default action. */
static void test_atomic_remove_pending_on_signal(void **state)
{
    fixture *f = *state;
    put(f->target, "OLD\n");
    char second[192], done[192];
    snprintf(second, sizeof second, "%s/report.xlsx", f->dir);
    snprintf(done, sizeof done, "%s/done.json", f->dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = remove_and_die;
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        if (sigaction(SIGTERM, &sa, NULL) != 0)
            _exit(10);
        cxroi_atomic_file *a, *b, *c;
        if (cxroi_atomic_open(done, 0, &c) != CXROI_OK)
            _exit(11);
        fputs("DONE\n", cxroi_atomic_stream(c));
        if (cxroi_atomic_commit(c) != CXROI_OK)
            _exit(12);
        if (cxroi_atomic_open(f->target, 0, &a) != CXROI_OK ||
            cxroi_atomic_open(second, 0, &b) != CXROI_OK)
            _exit(13);
        fputs("HALF", cxroi_atomic_stream(a));
        fflush(cxroi_atomic_stream(a));
        fputs("HALF", cxroi_atomic_stream(b));
        fflush(cxroi_atomic_stream(b));
        raise(SIGTERM);
        _exit(14); /* not reached */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
        fail_msg("the child exited with %d", WEXITSTATUS(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_file(f->target, "OLD\n");
    assert_file(done, "DONE\n");
    assert_int_equal(entries(f), 2); /* report.json and done.json: no temporary file */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_atomic_commit_publishes),    T(test_atomic_keeps_existing_mode),
        T(test_atomic_abort_leaves_target), T(test_atomic_write_by_name),
        T(test_atomic_no_replace),          T(test_atomic_file_size_limit),
        T(test_atomic_not_regular_file),    T(test_atomic_open_errors),
        T(test_atomic_register_table),      T(test_atomic_remove_pending_on_signal),
    };
#undef T
    return cmocka_run_group_tests_name("atomic", tests, NULL, NULL);
}
