/* Concurrency through the C ABI: 8 threads predict, compute CAMs, read info and evaluate on one
 * model handle at once, and every result must equal (bit for bit) what the same call gave when
 * run alone. A second phase adds a thread that saves the model in a loop: the readers may then
 * get WDC_E_BUSY (and retry), but never a wrong result or a crash, and every save is loadable.
 * Last, two models with dropout train at once on two threads and must end with the weights each
 * gets when trained alone: no random stream is shared between models.
 *
 * usage: capi_threads_test FIXTURE_DIR TEMP_DIR */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

#define TINY_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}"
#define THREADS 8
#define ITERATIONS 24
#define BATCH 6
#define H 52
#define W 52
#define LABELS 8

typedef struct {
  uint8_t maps[BATCH * H * W];
  float probabilities[BATCH * LABELS]; /* serial reference */
  float cams[LABELS][H * W];           /* serial reference, map 0 */
} thread_data;

static wdc_model *g_model = NULL;
static thread_data g_data[THREADS];
static char *g_info = NULL;
static char *g_report = NULL;
static char g_npz[1024];
static pthread_barrier_t g_start;
static volatile int g_saving = 0; /* phase 2: a saver runs, readers retry on WDC_E_BUSY */

typedef struct {
  int index;
  int mismatches;
  int errors;
  int busy;
  int calls;
} thread_result;

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs `call` until it returns something other than WDC_E_BUSY (only tolerated in phase 2). */
#define CALL(result, status_var, call)                                  \
  do {                                                                  \
    for (;;) {                                                          \
      status_var = (call);                                              \
      (result)->calls++;                                                \
      if (status_var == WDC_E_BUSY && g_saving) {                       \
        struct timespec wait_ = {0, 200000L};                           \
        (result)->busy++;                                               \
        nanosleep(&wait_, NULL);                                        \
        continue;                                                       \
      }                                                                 \
      break;                                                            \
    }                                                                   \
    if (status_var != WDC_OK) {                                         \
      (result)->errors++;                                               \
      fprintf(stderr, "thread %d: %s: %s (%s)\n", (result)->index, #call, \
              wdc_status_name(status_var), wdc_last_error());           \
    }                                                                   \
  } while (0)

static void *reader(void *arg) {
  thread_result *result = (thread_result *)arg;
  const thread_data *data = &g_data[result->index];
  float probabilities[BATCH * LABELS];
  float cam[H * W];
  int i;
  wdc_status s;

  pthread_barrier_wait(&g_start);
  for (i = 0; i < ITERATIONS; ++i) {
    const int32_t label = (int32_t)((i + result->index) % LABELS);
    CALL(result, s, wdc_predict(g_model, data->maps, BATCH, H, W, probabilities,
                                BATCH * LABELS));
    if (s == WDC_OK && memcmp(probabilities, data->probabilities, sizeof probabilities) != 0)
      result->mismatches++;
    CALL(result, s, wdc_cam(g_model, data->maps, H, W, label, cam, H * W));
    if (s == WDC_OK && memcmp(cam, data->cams[label], sizeof cam) != 0) result->mismatches++;
    if (i % 4 == 0) {
      char *info = NULL;
      CALL(result, s, wdc_info(g_model, &info));
      if (s == WDC_OK && strcmp(info, g_info) != 0) result->mismatches++;
      wdc_string_free(info);
    }
    if (i == result->index % ITERATIONS && result->index % 2 == 0) {
      char *report = NULL;
      CALL(result, s, wdc_evaluate(g_model, g_npz, &report));
      if (s == WDC_OK && strcmp(report, g_report) != 0) {
        result->mismatches++;
        fprintf(stderr, "thread %d: evaluate report differs:\n%s\nvs serial\n%s\n",
                result->index, report, g_report);
      }
      wdc_string_free(report);
    }
    if (g_saving) {
      /* Leave the saver gaps in which no reader holds the model. */
      struct timespec pause;
      pause.tv_sec = 0;
      pause.tv_nsec = 3000000L;
      nanosleep(&pause, NULL);
    }
  }
  return NULL;
}

typedef struct {
  const char *dir;
  int saves;
  int busy;
  int errors;
  volatile int stop;
} saver_state;

static void *saver(void *arg) {
  saver_state *state = (saver_state *)arg;
  char path[1200];
  snprintf(path, sizeof path, "%s/threads_saved.wdcm", state->dir);
  pthread_barrier_wait(&g_start);
  while (!state->stop) {
    wdc_status s = wdc_save(g_model, path);
    if (s == WDC_OK) {
      state->saves++;
    } else if (s == WDC_E_BUSY) {
      state->busy++;
    } else {
      state->errors++;
      fprintf(stderr, "saver: %s (%s)\n", wdc_status_name(s), wdc_last_error());
    }
  }
  return NULL;
}

static void run_readers(const char *phase, saver_state *saving) {
  pthread_t threads[THREADS], saver_thread;
  thread_result results[THREADS];
  int t, mismatches = 0, errors = 0, busy = 0, calls = 0;
  const int parties = THREADS + (saving != NULL ? 1 : 0);
  double start;

  REQUIRE(pthread_barrier_init(&g_start, NULL, (unsigned)parties) == 0);
  g_saving = saving != NULL;
  start = now_seconds();
  for (t = 0; t < THREADS; ++t) {
    memset(&results[t], 0, sizeof results[t]);
    results[t].index = t;
    REQUIRE(pthread_create(&threads[t], NULL, reader, &results[t]) == 0);
  }
  if (saving != NULL) REQUIRE(pthread_create(&saver_thread, NULL, saver, saving) == 0);
  for (t = 0; t < THREADS; ++t) {
    pthread_join(threads[t], NULL);
    mismatches += results[t].mismatches;
    errors += results[t].errors;
    busy += results[t].busy;
    calls += results[t].calls;
  }
  if (saving != NULL) {
    saving->stop = 1;
    pthread_join(saver_thread, NULL);
  }
  pthread_barrier_destroy(&g_start);
  g_saving = 0;
  fprintf(stderr, "%s: %d threads, %d calls in %.2f s: %d mismatches, %d errors, %d busy\n",
          phase, THREADS, calls, now_seconds() - start, mismatches, errors, busy);
  CHECK(mismatches == 0);
  CHECK(errors == 0);
  if (saving == NULL) CHECK(busy == 0);
}

static void test_concurrent_readers(void) {
  run_readers("readers", NULL);
}

static void test_readers_with_saver(const char *dir) {
  saver_state state;
  wdc_model *loaded = NULL;
  char path[1200];
  memset(&state, 0, sizeof state);
  state.dir = dir;
  run_readers("readers + saver", &state);
  fprintf(stderr, "saver: %d saves, %d busy\n", state.saves, state.busy);
  CHECK(state.errors == 0);
  CHECK(state.saves > 0);
  if (state.saves > 0) {
    /* What was saved while others predicted is a complete model with the same results. */
    float probabilities[BATCH * LABELS];
    snprintf(path, sizeof path, "%s/threads_saved.wdcm", dir);
    REQUIRE_OK(wdc_load(path, NULL, &loaded));
    CHECK_OK(wdc_predict(loaded, g_data[0].maps, BATCH, H, W, probabilities, BATCH * LABELS));
    CHECK(memcmp(probabilities, g_data[0].probabilities, sizeof probabilities) == 0);
    wdc_free(loaded);
  }
}

/* The serial references, one call at a time. */
static void compute_references(void) {
  int t, k;
  int32_t label;
  double start = now_seconds();
  for (t = 0; t < THREADS; ++t) {
    thread_data *data = &g_data[t];
    for (k = 0; k < BATCH; ++k)
      wdct_make_map(data->maps + k * H * W, H, W, (t + k) % WDCT_PATTERNS,
                    (uint32_t)(100 * t + k));
    REQUIRE_OK(wdc_predict(g_model, data->maps, BATCH, H, W, data->probabilities,
                           BATCH * LABELS));
    for (label = 0; label < LABELS; ++label)
      REQUIRE_OK(wdc_cam(g_model, data->maps, H, W, label, data->cams[label], H * W));
  }
  REQUIRE_OK(wdc_info(g_model, &g_info));
  REQUIRE_OK(wdc_evaluate(g_model, g_npz, &g_report));
  fprintf(stderr, "serial references: %.2f s\n", now_seconds() - start);
}

/* ---- two models training at once -------------------------------------------------------------- */

/* Dropout and augmentation: the random draws of training. Different seeds per model, so a
   shared stream would show in both. */
#define DROPOUT_CONFIG(seed)                                                                    \
  "{\"input\":{\"encoding\":\"onehot\"},\"blocks\":[{\"channels\":8,\"stride\":2},"          \
  "{\"channels\":8,\"stride\":2}],\"dropout\":0.5,\"seed\":" #seed "}"
#define DROPOUT_TRAIN(seed)                                                                     \
  "{\"synthetic\": 96, \"val_fraction\": 0.25, \"epochs\": 2, \"batch_size\": 16, "           \
  "\"augment\": true, \"threads\": 1, \"seed\": " #seed "}"

typedef struct {
  const char *config, *train;
  float probabilities[BATCH * LABELS];
  wdc_status status;
} training_run;

static void *train_one(void *arg) {
  training_run *run = (training_run *)arg;
  wdc_model *model = NULL;
  run->status = wdc_create(run->config, &model);
  if (run->status == WDC_OK) {
    pthread_barrier_wait(&g_start);
    run->status = wdc_train(model, run->train, NULL, NULL, NULL);
  } else {
    pthread_barrier_wait(&g_start);
  }
  if (run->status == WDC_OK)
    run->status = wdc_predict(model, g_data[0].maps, BATCH, H, W, run->probabilities,
                              BATCH * LABELS);
  wdc_free(model);
  return NULL;
}

static void test_concurrent_training_equals_serial(void) {
  training_run alone[2] = {{DROPOUT_CONFIG(1), DROPOUT_TRAIN(11), {0}, 0},
                           {DROPOUT_CONFIG(2), DROPOUT_TRAIN(22), {0}, 0}};
  training_run together[2] = {{DROPOUT_CONFIG(1), DROPOUT_TRAIN(11), {0}, 0},
                              {DROPOUT_CONFIG(2), DROPOUT_TRAIN(22), {0}, 0}};
  pthread_t threads[2];
  int i;
  pthread_barrier_init(&g_start, NULL, 1);
  for (i = 0; i < 2; ++i) train_one(&alone[i]); /* one after the other */
  pthread_barrier_destroy(&g_start);
  pthread_barrier_init(&g_start, NULL, 2);
  for (i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, train_one, &together[i]);
  for (i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&g_start);
  for (i = 0; i < 2; ++i) {
    CHECK(alone[i].status == WDC_OK && together[i].status == WDC_OK);
    CHECK(memcmp(alone[i].probabilities, together[i].probabilities,
                 sizeof alone[i].probabilities) == 0);
  }
  /* The two models differ (different seeds): the comparison above is not of constants. */
  CHECK(memcmp(alone[0].probabilities, alone[1].probabilities, sizeof alone[0].probabilities) != 0);
}

int main(int argc, char **argv) {
  const char *fixtures = argc >= 2 ? argv[1] : ".";
  const char *tmp = argc >= 3 ? argv[2] : ".";
  snprintf(g_npz, sizeof g_npz, "%s/synth64.npz", fixtures);

  wdct_current = "setup";
  if (wdc_create(TINY_CONFIG, &g_model) != WDC_OK) {
    fprintf(stderr, "wdc_create: %s\n", wdc_last_error());
    wdct_failed++;
    return wdct_finish();
  }
  /* Trained weights, so that outputs are not near-constant. */
  CHECK_OK(wdc_train(g_model,
                     "{\"synthetic\": 64, \"val_fraction\": 0.25, \"epochs\": 1, "
                     "\"batch_size\": 16, \"seed\": 5}",
                     NULL, NULL, NULL));
  RUN_TEST(compute_references);
  if (g_info != NULL && g_report != NULL) {
    RUN_TEST(test_concurrent_readers);
    wdct_current = "test_readers_with_saver";
    fprintf(stderr, "[ RUN      ] test_readers_with_saver\n");
    test_readers_with_saver(tmp);
  }
  RUN_TEST(test_concurrent_training_equals_serial);
  wdc_string_free(g_info);
  wdc_string_free(g_report);
  wdc_free(g_model);
  return wdct_finish();
}
