/*
 * The `cxroi` command line: argument parsing and dispatch to run, check and init.
 * Private to the program; it lives in the library only so that the tests and main.c
 * share one build of it (and so that it sees CXROI_DATA_DIR).
 */
#ifndef CXROI_CLI_INTERNAL_H
#define CXROI_CLI_INTERNAL_H

/* Exit statuses of SPEC.md "Command line". */
enum {
    CXROI_EXIT_OK = 0,      /* success */
    CXROI_EXIT_INVALID = 1, /* invalid scenario or model error */
    CXROI_EXIT_USAGE = 2,   /* usage error */
    CXROI_EXIT_IO = 3       /* I/O error */
};

/*
 * Run the command line `argv[0..argc-1]`, printing to stdout and stderr.
 * Returns the process exit status (CXROI_EXIT_*).
 */
int cxroi_cli_main(int argc, char **argv);

#endif /* CXROI_CLI_INTERNAL_H */
