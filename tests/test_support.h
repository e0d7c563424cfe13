/*
 * Helpers shared by the unit tests. Include after <cmocka.h> (and its prerequisites):
 * failures are cmocka assertions.
 */
#ifndef CXROI_TEST_SUPPORT_H
#define CXROI_TEST_SUPPORT_H

#include <stdio.h>
#include <string.h>

#include "cxroi/diag.h"
#include "cxroi/scenario.h"

/* The scenario in @p text (includes resolved from the working directory), named @p name
 * in messages; the test fails, with the loader's diagnostics, when it does not load. */
static inline cxroi_scenario *test_scenario_from_text(const char *text, const char *name)
{
    cxroi_diag *diag = cxroi_diag_new();
    cxroi_scenario *sc = NULL;
    cxroi_error e = cxroi_scenario_load_string(text, strlen(text), name, ".", diag, &sc);
    if (e != CXROI_OK)
        cxroi_diag_print(diag, stderr);
    cxroi_diag_free(diag);
    assert_int_equal(e, CXROI_OK);
    return sc;
}

#endif /* CXROI_TEST_SUPPORT_H */
