/*
 * clones (internal): hot loops compiled for the processor they run on.
 *
 * On x86-64 with GCC a function marked CXROI_CLONES is compiled twice, for AVX2 (four
 * doubles per instruction, gathers) and for the baseline SSE2 (two), and the dynamic
 * loader picks the clone the processor supports. Floating-point contraction is off
 * (CMakeLists.txt), so both clones round the same operations the same way: results do
 * not depend on the clone. Elsewhere the macro is empty.
 */
#ifndef CXROI_CLONES_INTERNAL_H
#define CXROI_CLONES_INTERNAL_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CXROI_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CXROI_CLONES
#endif

#endif /* CXROI_CLONES_INTERNAL_H */
