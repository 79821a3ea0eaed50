/* Per-call latency of wdc_predict on one map, through the C ABI as an MES calls it: median,
   p90, p99, p99.9 and max over many calls after a warm-up, from one caller and from several
   callers sharing one handle.

     build/bench/predict_latency [--calls=N] [--warmup=N] [--callers=N] [--batch=N]
                                 [--classify] [--options=JSON] [--model=PATH]

   Default: the shipped model (wdc_load_builtin), 10000 calls after 50 warm-up calls, one
   caller, then 4 concurrent callers (each makes --calls/4 calls), one map per call (--batch maps
   per call otherwise). The maps are synthetic 52x52 wafers, the same every call, so that only
   the library varies. --classify times wdc_classify (decisions and novelty, as JSON) instead. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wdc/wdc.h"

enum { kSide = 52, kMaxBatch = 256, kMaxLabels = 64 };

typedef struct {
  wdc_model *model;
  const uint8_t *maps;
  int batch;
  int classify;
  int calls;
  double *ms; /* calls entries */
  int failed;
} caller;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One timed call: wdc_predict, or wdc_classify with its JSON released. */
static wdc_status call(const caller *c, float *probabilities, int64_t len) {
  char *json = NULL;
  wdc_status status;
  if (!c->classify)
    return wdc_predict(c->model, c->maps, c->batch, kSide, kSide, probabilities, len);
  status = wdc_classify(c->model, c->maps, c->batch, kSide, kSide, &json);
  wdc_string_free(json);
  return status;
}

static void *run_caller(void *arg) {
  caller *c = arg;
  static _Thread_local float probabilities[kMaxBatch * kMaxLabels];
  const int64_t len = (int64_t)c->batch * wdc_num_labels(c->model);
  for (int i = 0; i < c->calls; ++i) {
    const double start = now_ms();
    if (call(c, probabilities, len) != WDC_OK) {
      c->failed = 1;
      return NULL;
    }
    c->ms[i] = now_ms() - start;
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double at(const double *sorted, int n, double q) {
  int i = (int)(q * n);
  return sorted[i < n ? i : n - 1];
}

/* Runs `callers` threads of `calls / callers` calls each on one handle; prints one line. */
static int measure(const caller *how, int calls, int callers) {
  const int each = calls / callers, n = each * callers;
  double *ms = malloc(sizeof(double) * (size_t)n);
  caller *c = calloc((size_t)callers, sizeof(caller));
  pthread_t *threads = calloc((size_t)callers, sizeof(pthread_t));
  int over10 = 0, failed = 0;
  double wall;
  if (!ms || !c || !threads) return 1;
  wall = now_ms();
  for (int i = 0; i < callers; ++i) {
    c[i] = *how;
    c[i].calls = each;
    c[i].ms = ms + (size_t)i * each;
    pthread_create(&threads[i], NULL, run_caller, &c[i]);
  }
  for (int i = 0; i < callers; ++i) {
    pthread_join(threads[i], NULL);
    failed |= c[i].failed;
  }
  wall = now_ms() - wall;
  if (failed) {
    fprintf(stderr, "the call failed: %s\n", wdc_last_error());
    return 1;
  }
  qsort(ms, (size_t)n, sizeof(double), by_value);
  for (int i = 0; i < n; ++i) over10 += ms[i] > 10.0;
  printf("%7d %7d %8.3f %8.3f %8.3f %8.3f %8.3f %7d %9.0f\n", callers, n, at(ms, n, 0.5),
         at(ms, n, 0.9), at(ms, n, 0.99), at(ms, n, 0.999), ms[n - 1], over10, n / wall * 1e3);
  free(ms);
  free(c);
  free(threads);
  return 0;
}

static const char *flag(const char *arg, const char *name) {
  const size_t len = strlen(name);
  return strncmp(arg, name, len) == 0 && arg[len] == '=' ? arg + len + 1 : NULL;
}

int main(int argc, char **argv) {
  int calls = 10000, warmup = 50, callers = 4, batch = 1, classify = 0;
  const char *options = "{}", *path = NULL, *v;
  static uint8_t maps[kMaxBatch * kSide * kSide];
  wdc_model *model = NULL;
  wdc_dataset *synth = NULL;
  wdc_status status;
  caller how;
  for (int i = 1; i < argc; ++i) {
    if ((v = flag(argv[i], "--calls"))) calls = atoi(v);
    else if ((v = flag(argv[i], "--warmup"))) warmup = atoi(v);
    else if ((v = flag(argv[i], "--callers"))) callers = atoi(v);
    else if ((v = flag(argv[i], "--batch"))) batch = atoi(v);
    else if (strcmp(argv[i], "--classify") == 0) classify = 1;
    else if ((v = flag(argv[i], "--options"))) options = v;
    else if ((v = flag(argv[i], "--model"))) path = v;
    else {
      fprintf(stderr, "usage: %s [--calls=N] [--warmup=N] [--callers=N] [--batch=N] [--classify] "
                      "[--options=JSON] [--model=PATH]\n", argv[0]);
      return 2;
    }
  }
  if (calls < 1 || warmup < 0 || callers < 1 || batch < 1 || batch > kMaxBatch) {
    fprintf(stderr, "--calls and --callers must be >= 1, --batch 1..%d, --warmup >= 0\n",
            kMaxBatch);
    return 2;
  }
  status = path ? wdc_load(path, options, &model) : wdc_load_builtin(options, &model);
  if (status == WDC_OK) status = wdc_dataset_synthesize(batch, 7, &synth);
  if (status == WDC_OK)
    status = wdc_dataset_maps(synth, 0, batch, maps, (int64_t)batch * kSide * kSide);
  if (status == WDC_OK && wdc_num_labels(model) > kMaxLabels) {
    fprintf(stderr, "the model has more than %d labels\n", kMaxLabels);
    return 1;
  }
  if (status != WDC_OK) {
    fprintf(stderr, "%s\n", wdc_last_error());
    return 1;
  }
  {
    static float probabilities[kMaxBatch * kMaxLabels];
    how = (caller){model, maps, batch, classify, warmup, NULL, 0};
    for (int i = 0; i < warmup; ++i)
      if (call(&how, probabilities, (int64_t)batch * wdc_num_labels(model)) != WDC_OK) {
        fprintf(stderr, "the call failed: %s\n", wdc_last_error());
        return 1;
      }
  }
  printf("%s, %d %dx%d map(s) per call, options %s, times in ms\n",
         classify ? "wdc_classify" : "wdc_predict", batch, kSide, kSide, options);
  printf("%7s %7s %8s %8s %8s %8s %8s %7s %9s\n", "callers", "calls", "median", "p90", "p99",
         "p99.9", "max", ">10ms", "calls/s");
  if (measure(&how, calls, 1)) return 1;
  if (callers > 1 && measure(&how, calls, callers)) return 1;
  wdc_dataset_free(synth);
  wdc_free(model);
  return 0;
}
