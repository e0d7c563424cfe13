/* cxroi: the command line program. Everything but GSL's global setting is in cli.c. */
#include <gsl/gsl_errno.h>

#include "cli_internal.h"

int main(int argc, char **argv)
{
    /* GSL aborts on error by default; the library checks and maps every GSL status. */
    gsl_set_error_handler_off();
    return cxroi_cli_main(argc, argv);
}
