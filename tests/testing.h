/* A minimal test harness: CHECK records a failure and goes on; TEST_MAIN prints the tally. */
#ifndef BRTC_TESTING_H
#define BRTC_TESTING_H

#include <stdio.h>
#include <string.h>

/* One tally per program: a helper file that checks too (tests/pc/pc_pair.c) counts in the
 * same one as main's TEST_REPORT. Each file's definition is weak, so the linker keeps one. */
__attribute__((weak)) int brtc_test_failures;
__attribute__((weak)) int brtc_test_checks;

#define CHECK(cond)                                                              \
  do {                                                                           \
    brtc_test_checks++;                                                          \
    if (!(cond)) {                                                               \
      brtc_test_failures++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                    \
  do {                                                                                        \
    long long brtc_a_ = (long long)(a), brtc_b_ = (long long)(b);                             \
    brtc_test_checks++;                                                                       \
    if (brtc_a_ != brtc_b_) {                                                                 \
      brtc_test_failures++;                                                                   \
      fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %s (%lld != %lld)\n", __FILE__,       \
              __LINE__, #a, #b, brtc_a_, brtc_b_);                                            \
    }                                                                                         \
  } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

/* Run one test function and say so. */
#define RUN(fn)                             \
  do {                                      \
    int before_ = brtc_test_failures;       \
    fn();                                   \
    fprintf(stderr, "%s %s\n", brtc_test_failures == before_ ? "ok  " : "FAIL", #fn); \
  } while (0)

#define TEST_REPORT()                                                                       \
  (fprintf(stderr, "%d checks, %d failed\n", brtc_test_checks, brtc_test_failures),         \
   brtc_test_failures == 0 ? 0 : 1)

#endif
