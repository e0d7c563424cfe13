/* UTF-8 well-formedness, shared by the YAML layer and the loader's messages. */
#ifndef CXROI_UTF8_INTERNAL_H
#define CXROI_UTF8_INTERNAL_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence that starts s[0..n), or 0 when none starts
 * there (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
 * When `cp` is not NULL it receives the code point. */
size_t cxroi_utf8_decode(const unsigned char *s, size_t n, unsigned long *cp);

#endif /* CXROI_UTF8_INTERNAL_H */
