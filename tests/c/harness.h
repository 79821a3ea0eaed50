/* A tiny test harness for the C ABI tests: checks count as they pass or fail, a failing check
 * prints where and why (with wdc_last_error()), and wdct_finish() prints "N passed, N failed" as
 * the last line and gives the exit status. Header-only; C99. */
#ifndef WDC_TESTS_C_HARNESS_H
#define WDC_TESTS_C_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wdc/wdc.h"

static int wdct_passed = 0;
static int wdct_failed = 0;
static const char *wdct_current = "";

#define WDCT_FAIL_AT(...)                                                \
  do {                                                                   \
    wdct_failed++;                                                       \
    fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, wdct_current);  \
    fprintf(stderr, __VA_ARGS__);                                        \
    fputc('\n', stderr);                                                 \
  } while (0)

/* A condition that must hold. */
#define CHECK(cond)                                     \
  do {                                                  \
    if (cond)                                           \
      wdct_passed++;                                    \
    else                                                \
      WDCT_FAIL_AT("CHECK(%s) failed", #cond);          \
  } while (0)

/* A call that must return `expected`. */
#define CHECK_STATUS(call, expected)                                                          \
  do {                                                                                        \
    wdc_status wdct_s_ = (call);                                                              \
    if (wdct_s_ == (expected))                                                                \
      wdct_passed++;                                                                          \
    else                                                                                      \
      WDCT_FAIL_AT("%s returned %s, expected %s (last error: \"%s\")", #call,                 \
                   wdc_status_name(wdct_s_), wdc_status_name(expected), wdc_last_error());    \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, WDC_OK)

/* A call that must fail with `expected` and leave a message naming the function `fn`. */
#define CHECK_FAILS(call, expected, fn)                                                       \
  do {                                                                                        \
    wdc_status wdct_s_ = (call);                                                              \
    if (wdct_s_ != (expected))                                                                \
      WDCT_FAIL_AT("%s returned %s, expected %s (last error: \"%s\")", #call,                 \
                   wdc_status_name(wdct_s_), wdc_status_name(expected), wdc_last_error());    \
    else if (strncmp(wdc_last_error(), fn ": ", strlen(fn ": ")) != 0 ||                      \
             strlen(wdc_last_error()) <= strlen(fn ": "))                                     \
      WDCT_FAIL_AT("%s: message \"%s\" does not start with \"%s: \" and a reason", #call,     \
                   wdc_last_error(), fn);                                                     \
    else                                                                                      \
      wdct_passed++;                                                                          \
  } while (0)

/* A call that must succeed, else the current test function returns. */
#define REQUIRE_OK(call)                                                                      \
  do {                                                                                        \
    wdc_status wdct_s_ = (call);                                                              \
    if (wdct_s_ != WDC_OK) {                                                                  \
      WDCT_FAIL_AT("%s returned %s (last error: \"%s\"); giving up on this test", #call,      \
                   wdc_status_name(wdct_s_), wdc_last_error());                               \
      return;                                                                                 \
    }                                                                                         \
    wdct_passed++;                                                                            \
  } while (0)

#define REQUIRE(cond)                                                 \
  do {                                                                \
    if (!(cond)) {                                                    \
      WDCT_FAIL_AT("REQUIRE(%s) failed; giving up on this test", #cond); \
      return;                                                         \
    }                                                                 \
    wdct_passed++;                                                    \
  } while (0)

#define RUN_TEST(fn)                                 \
  do {                                               \
    wdct_current = #fn;                              \
    fprintf(stderr, "[ RUN      ] %s\n", #fn);       \
    fn();                                            \
    fprintf(stderr, "[     DONE ] %s\n", #fn);       \
  } while (0)

static int wdct_finish(void) {
  fflush(stderr);
  printf("%d passed, %d failed\n", wdct_passed, wdct_failed);
  return wdct_failed == 0 ? 0 : 1;
}

#endif /* WDC_TESTS_C_HARNESS_H */
