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

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_atomic_commit_publishes),  T(test_atomic_keeps_existing_mode),
        T(test_atomic_abort_leaves_target), T(test_atomic_write_by_name),
        T(test_atomic_no_replace),        T(test_atomic_file_size_limit),
        T(test_atomic_not_regular_file),  T(test_atomic_open_errors),
    };
#undef T
    return cmocka_run_group_tests_name("atomic", tests, NULL, NULL);
}
