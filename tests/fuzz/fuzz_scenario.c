/* libFuzzer target: arbitrary bytes -> the scenario loader.
 *
 * Everything the loader does with a hostile file is exercised: YAML parsing and its
 * limits, schema validation, distributions, correlations, includes (resolved in
 * tests/fuzz/include so a few relative names lead somewhere), diagnostics sorted and
 * printed. ASan, UBSan and LeakSanitizer turn any memory error, undefined behaviour or
 * leak into a crash; the assertions below turn a broken contract into one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "cxroi/diag.h"
#include "cxroi/scenario.h"

#ifndef CXROI_FUZZ_INCLUDE_DIR
#define CXROI_FUZZ_INCLUDE_DIR "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* As main() does: a GSL domain error is a status to map, never an abort. */
    gsl_set_error_handler_off();
    return 0;
}

/* The loader's contract, checked on every input: a scenario exactly on CXROI_OK, an
 * error counted whenever it fails for a bad file. */
static void check_contract(cxroi_error e, const cxroi_scenario *sc, const cxroi_diag *diag)
{
    if ((e == CXROI_OK) != (sc != NULL)) {
        fprintf(stderr, "fuzz_scenario: status %d with scenario %p\n", (int)e, (const void *)sc);
        abort();
    }
    if ((e == CXROI_ERROR_SCENARIO || e == CXROI_ERROR_LIMIT) &&
        cxroi_diag_error_count(diag) == 0) {
        fprintf(stderr, "fuzz_scenario: status %d without any error diagnostic\n", (int)e);
        abort();
    }
    if (e == CXROI_OK && cxroi_diag_error_count(diag) != 0) {
        fprintf(stderr, "fuzz_scenario: loaded although %zu errors were reported\n",
                cxroi_diag_error_count(diag));
        abort();
    }
    if (e == CXROI_OK && (sc->horizon < 1 || sc->horizon > CXROI_MAX_HORIZON)) {
        fprintf(stderr, "fuzz_scenario: horizon %d accepted\n", sc->horizon);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cxroi_diag *diag = cxroi_diag_new();
    if (!diag)
        return 0;
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load_string((const char *)data, size, "fuzz.yaml",
                                               CXROI_FUZZ_INCLUDE_DIR, diag, &sc);
    check_contract(e, sc, diag);
    if (sc) {
        /* Touch what callers read: the base values of every parameter. */
        double *values = malloc((sc->n_params ? sc->n_params : 1) * sizeof(double));
        if (values) {
            cxroi_scenario_base_values(sc, values);
            free(values);
        }
    }
    /* Sorting and printing walk every entry: messages and marks must be well formed. */
    char *text = NULL;
    size_t text_size = 0;
    FILE *out = open_memstream(&text, &text_size);
    if (out) {
        cxroi_diag_sort(diag);
        cxroi_diag_print(diag, out);
        fclose(out);
    }
    free(text);
    cxroi_scenario_free(sc);
    cxroi_diag_free(diag);
    return 0;
}
