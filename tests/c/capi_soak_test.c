/* Resource safety through the C ABI, for MES hosts that run for months:
 *   load_predict_free_cycles  10,000 times wdc_load + wdc_predict + wdc_free; resident memory
 *                             after the last cycle stays within a few MiB of what it was after
 *                             the first 1,000 (a leak of 512 bytes per cycle would show);
 *   concurrent_soak           8 threads share one handle for 100,000 single-map predictions
 *                             in all; every result equals the serial one bit for bit, and
 *                             resident memory stays flat after the first tenth.
 * The sanitizer build runs it with SCALE (third argument) < 1: fewer calls, and no resident-memory
 * check (AddressSanitizer's quarantine holds freed memory); LeakSanitizer is the check there.
 *
 * usage: capi_soak_test FIXTURE_DIR TEMP_DIR [SCALE] */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

#define SMALL_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}"
#define H 52
#define W 52
#define LABELS 8
#define THREADS 8
#define DISTINCT_MAPS 64
#define RSS_SLACK_KIB (6 * 1024)

static double g_scale = 1.0;
static const char *g_temp_dir = ".";
static char g_model_path[1024];
static uint8_t g_maps[DISTINCT_MAPS][H * W];
static float g_serial[DISTINCT_MAPS][LABELS];
static wdc_model *g_shared = NULL;

/* Resident set size of this process in KiB, from /proc/self/statm. */
static long rss_kib(void) {
  long pages_total = 0, pages_resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return -1;
  if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
  fclose(f);
  return pages_resident < 0 ? -1 : pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long scaled(long count) {
  long n = (long)((double)count * g_scale);
  return n < 10 ? 10 : n;
}

/* The model file the cycles load, and the serial predictions every later result must equal. */
static void setup(void) {
  wdc_model *model = NULL;
  int i;
  snprintf(g_model_path, sizeof g_model_path, "%s/soak.wdcm", g_temp_dir);
  REQUIRE_OK(wdc_create_with_options(SMALL_CONFIG, "{\"threads\": 1}", &model));
  REQUIRE_OK(wdc_save(model, g_model_path));
  for (i = 0; i < DISTINCT_MAPS; ++i) {
    wdct_make_map(g_maps[i], H, W, i % WDCT_PATTERNS, (uint32_t)i);
    REQUIRE_OK(wdc_predict(model, g_maps[i], 1, H, W, g_serial[i], LABELS));
  }
  wdc_free(model);
}

static void load_predict_free_cycles(void) {
  const long cycles = scaled(10000), warm = cycles / 10;
  long i, rss_warm = 0, rss_end;
  int mismatches = 0;
  for (i = 0; i < cycles; ++i) {
    wdc_model *model = NULL;
    float p[LABELS];
    const int m = (int)(i % DISTINCT_MAPS);
    REQUIRE_OK(wdc_load(g_model_path, "{\"threads\": 1}", &model));
    if (wdc_predict(model, g_maps[m], 1, H, W, p, LABELS) != WDC_OK ||
        memcmp(p, g_serial[m], sizeof p) != 0)
      mismatches++;
    wdc_free(model);
    if (i + 1 == warm) rss_warm = rss_kib();
  }
  rss_end = rss_kib();
  fprintf(stderr, "  %ld cycles: resident %ld KiB after %ld, %ld KiB at the end\n", cycles,
          rss_warm, warm, rss_end);
  CHECK(mismatches == 0);
  if (g_scale >= 1.0) CHECK(rss_warm > 0 && rss_end - rss_warm < RSS_SLACK_KIB);
}

typedef struct {
  int index;
  long predictions;
  long mismatches;
  long errors;
} soak_job;

static void *soak_thread(void *arg) {
  soak_job *job = (soak_job *)arg;
  long i;
  for (i = 0; i < job->predictions; ++i) {
    float p[LABELS];
    const int m = (int)((i * THREADS + job->index) % DISTINCT_MAPS);
    if (wdc_predict(g_shared, g_maps[m], 1, H, W, p, LABELS) != WDC_OK)
      job->errors++;
    else if (memcmp(p, g_serial[m], sizeof p) != 0)
      job->mismatches++;
  }
  return NULL;
}

/* Runs THREADS threads doing `total` predictions together; returns the failures. */
static long soak_round(long total) {
  pthread_t threads[THREADS];
  soak_job jobs[THREADS];
  long failures = 0;
  int t;
  for (t = 0; t < THREADS; ++t) {
    jobs[t].index = t;
    jobs[t].predictions = total / THREADS;
    jobs[t].mismatches = jobs[t].errors = 0;
    if (pthread_create(&threads[t], NULL, soak_thread, &jobs[t]) != 0) return -1;
  }
  for (t = 0; t < THREADS; ++t) {
    pthread_join(threads[t], NULL);
    failures += jobs[t].mismatches + jobs[t].errors;
  }
  return failures;
}

static void concurrent_soak(void) {
  const long total = scaled(100000);
  long first, rest, rss_warm, rss_end;
  REQUIRE_OK(wdc_load(g_model_path, "{\"threads\": 1}", &g_shared));
  first = soak_round(total / 10);
  rss_warm = rss_kib();
  rest = soak_round(total - total / 10);
  rss_end = rss_kib();
  fprintf(stderr, "  %ld predictions on %d threads: resident %ld KiB after the first tenth, "
          "%ld KiB at the end\n", total, THREADS, rss_warm, rss_end);
  CHECK(first == 0);
  CHECK(rest == 0);
  if (g_scale >= 1.0) CHECK(rss_warm > 0 && rss_end - rss_warm < RSS_SLACK_KIB);
  wdc_free(g_shared);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FIXTURE_DIR TEMP_DIR [SCALE]\n", argv[0]);
    return 2;
  }
  g_temp_dir = argv[2];
  if (argc >= 4) g_scale = atof(argv[3]);
  RUN_TEST(setup);
  if (wdct_failed == 0) {
    RUN_TEST(load_predict_free_cycles);
    RUN_TEST(concurrent_soak);
  }
  return wdct_finish();
}
