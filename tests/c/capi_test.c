/* The C ABI from C99: every function of include/wdc/wdc.h, its documented errors and every kind
 * of misuse the library promises to detect, the "out-parameters untouched on failure" rule,
 * training with progress and cancellation, save/load round trips, evaluation and WDC_E_BUSY.
 *
 * usage: capi_test FIXTURE_DIR TEMP_DIR
 *   FIXTURE_DIR holds what make_fixtures wrote (synth64.npz, garbage.bin, labels_only.npz);
 *   TEMP_DIR is a writable directory for the model files the test saves. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

/* A small network so that the training tests take seconds. */
#define TINY_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}"
#define H 52
#define W 52
#define NMAPS 4
#define SENTINEL 12345.0f

static const char *g_fixtures = ".";
static const char *g_tmp = ".";
static uint8_t g_maps[NMAPS * H * W];

static void path_join(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void fill(float *buffer, int64_t n, float value) {
  int64_t i;
  for (i = 0; i < n; ++i) buffer[i] = value;
}

static int all_equal(const float *buffer, int64_t n, float value) {
  int64_t i;
  for (i = 0; i < n; ++i)
    if (buffer[i] != value) return 0;
  return 1;
}

static int all_in_unit_interval(const float *buffer, int64_t n) {
  int64_t i;
  for (i = 0; i < n; ++i)
    if (!(buffer[i] >= 0.0f && buffer[i] <= 1.0f)) return 0;
  return 1;
}

static float max_abs_diff(const float *a, const float *b, int64_t n) {
  int64_t i;
  float worst = 0.0f;
  for (i = 0; i < n; ++i) {
    const float d = fabsf(a[i] - b[i]);
    if (!(d <= worst)) worst = d; /* NaN propagates as a difference */
  }
  return worst;
}

static int predictions_of(wdc_model *model, float *out) {
  return wdc_predict(model, g_maps, NMAPS, H, W, out, 8 * NMAPS) == WDC_OK;
}

/* A non-NULL pointer value that no wdc call may ever write into an out-parameter. */
static wdc_model *const MODEL_SENTINEL = (wdc_model *)&g_maps;
static char *const STRING_SENTINEL = (char *)&g_maps;

/* ---- library-level functions ---------------------------------------------------------------- */

static void test_version(void) {
  int major = -1, minor = -1, patch = -1, consumed = 0;
  const char *version = wdc_version();
  REQUIRE(version != NULL);
  CHECK(sscanf(version, "%d.%d.%d%n", &major, &minor, &patch, &consumed) == 3);
  CHECK(consumed == (int)strlen(version));
  CHECK(major >= 0 && minor >= 0 && patch >= 0);
  CHECK(wdc_abi_version() == WDC_ABI_VERSION);
}

static void test_status_names(void) {
  static const char *const expected[] = {
      "WDC_OK",           "WDC_E_INVALID_ARGUMENT", "WDC_E_IO",          "WDC_E_FORMAT",
      "WDC_E_CONFIG",     "WDC_E_UNSUPPORTED",      "WDC_E_CANCELLED",   "WDC_E_OUT_OF_MEMORY",
      "WDC_E_BUSY",       "WDC_E_MISUSE",           "WDC_E_INTERNAL",    "WDC_E_RUNTIME"};
  int32_t s;
  CHECK(WDC_OK == 0 && WDC_E_INVALID_ARGUMENT == 1 && WDC_E_INTERNAL == 10 &&
        WDC_E_RUNTIME == 11);
  for (s = 0; s <= 11; ++s) CHECK(strcmp(wdc_status_name(s), expected[s]) == 0);
  CHECK(strcmp(wdc_status_name(12), "WDC_E_UNKNOWN") == 0);
  CHECK(strcmp(wdc_status_name(-1), "WDC_E_UNKNOWN") == 0);
  CHECK(strcmp(wdc_status_name(INT32_MAX), "WDC_E_UNKNOWN") == 0);
  CHECK(strcmp(wdc_status_name(INT32_MIN), "WDC_E_UNKNOWN") == 0);
}

/* wdc_last_error: "" on a fresh thread, set by a failure, unchanged by later successes, and per
   thread. */
typedef struct {
  char before[256];
  char after[256];
  wdc_status status;
} error_probe;

static void *probe_thread(void *arg) {
  error_probe *probe = (error_probe *)arg;
  snprintf(probe->before, sizeof probe->before, "%s", wdc_last_error());
  probe->status = wdc_create("{ this is not json", NULL);
  snprintf(probe->after, sizeof probe->after, "%s", wdc_last_error());
  return NULL;
}

static void test_last_error(void) {
  error_probe probe;
  pthread_t thread;
  char message[512];
  wdc_model *model = NULL;

  memset(&probe, 0, sizeof probe);
  REQUIRE(pthread_create(&thread, NULL, probe_thread, &probe) == 0);
  pthread_join(thread, NULL);
  CHECK(strcmp(probe.before, "") == 0);
  CHECK(probe.status == WDC_E_INVALID_ARGUMENT);
  CHECK(strncmp(probe.after, "wdc_create: ", 12) == 0);

  CHECK(wdc_last_error() != NULL);
  CHECK_FAILS(wdc_load(NULL, NULL, &model), WDC_E_INVALID_ARGUMENT, "wdc_load");
  snprintf(message, sizeof message, "%s", wdc_last_error());
  CHECK(strstr(message, "path") != NULL);
  /* Another thread's failure does not change this thread's message. */
  REQUIRE(pthread_create(&thread, NULL, probe_thread, &probe) == 0);
  pthread_join(thread, NULL);
  CHECK(strcmp(wdc_last_error(), message) == 0);
  /* A successful call leaves the message unchanged. */
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  CHECK(wdc_num_labels(model) == 8);
  CHECK(strcmp(wdc_last_error(), message) == 0);
  wdc_free(model);
  CHECK(strcmp(wdc_last_error(), message) == 0);
  wdc_string_free(NULL);
}

/* ---- creating models ------------------------------------------------------------------------- */

static void test_create(void) {
  static const char *const labels[] = {"Center", "Donut",    "Edge_Loc", "Edge_Ring",
                                       "Loc",    "Near_Full", "Scratch", "Random"};
  wdc_model *model = NULL;
  int64_t height = -1, width = -1;
  char *info = NULL;
  int32_t i;

  REQUIRE_OK(wdc_create(NULL, &model));
  REQUIRE(model != NULL);
  CHECK(wdc_num_labels(model) == 8);
  for (i = 0; i < 8; ++i) {
    const char *name = wdc_label_name(model, i);
    CHECK(name != NULL && strcmp(name, labels[i]) == 0);
  }
  CHECK_OK(wdc_input_size(model, &height, &width));
  CHECK(height == 52 && width == 52);
  CHECK_OK(wdc_info(model, &info));
  CHECK(info != NULL && info[0] == '{' && strstr(info, "Edge_Ring") != NULL);
  wdc_string_free(info);
  wdc_free(model);

  model = NULL;
  CHECK_OK(wdc_create("", &model));
  CHECK(model != NULL);
  wdc_free(model);

  model = NULL;
  CHECK_OK(wdc_create("{}", &model));
  CHECK(model != NULL);
  wdc_free(model);

  model = NULL;
  CHECK_OK(wdc_create("{\"input\":{\"height\":40,\"width\":36},\"blocks\":[{\"channels\":4}],"
                      "\"labels\":[\"a\",\"b\",\"c\"]}",
                      &model));
  if (model != NULL) {
    CHECK(wdc_num_labels(model) == 3);
    CHECK(wdc_label_name(model, 2) != NULL && strcmp(wdc_label_name(model, 2), "c") == 0);
    CHECK(wdc_label_name(model, 3) == NULL);
    CHECK_OK(wdc_input_size(model, &height, &width));
    CHECK(height == 40 && width == 36);
    wdc_free(model);
  }
}

/* A number in a JSON text: the value after the first "key": (enough for wdc's flat reports). */
static double json_number(const char *json, const char *key) {
  char quoted[64];
  const char *at;
  snprintf(quoted, sizeof quoted, "\"%s\":", key);
  at = json == NULL ? NULL : strstr(json, quoted);
  return at == NULL ? -1.0 : atof(at + strlen(quoted));
}

/* A 52 x 52 wafer whose dies fail in a fixed scatter of 1 in 7 (real wafers have such a
   background; on a spotless one a real-trained model is unsure of a blob), plus the dies within
   `blob` of the middle and those at least `ring` from it (0: none). */
static void draw_wafer(uint8_t *map, double blob, double ring) {
  int r, c;
  for (r = 0; r < H; ++r)
    for (c = 0; c < W; ++c) {
      const double d = sqrt((r - 25.5) * (r - 25.5) + (c - 25.5) * (c - 25.5));
      const int fail = (r * 31 + c * 17) % 7 == 0 || d <= blob || (ring > 0 && d >= ring);
      map[r * W + c] = d > 25.5 ? 0 : fail ? 2 : 1;
    }
}

/* The model compiled into the library, trained on real MixedWM38 maps only, sees a drawn center
   blob as Center, a drawn edge ring as Edge_Ring and a wafer without either as nothing; on
   generated maps of all 38 types it is right far above chance (76% exact match on 1,000). */
static void test_load_builtin(void) {
  static const struct {
    double blob, ring;
    int label; /* the one label expected, -1 none */
  } cases[] = {{7, 0, 0 /* Center */}, {0, 23.3, 3 /* Edge_Ring */}, {0, 0, -1}};
  wdc_model *model = NULL, *other = MODEL_SENTINEL;
  uint8_t map[H * W];
  float p[8];
  char synth64[1024], *info = NULL, *report = NULL;
  int64_t height = -1, width = -1;
  size_t i;
  int32_t j;

  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  CHECK(wdc_num_labels(model) == 8);
  CHECK(wdc_label_name(model, 5) != NULL && strcmp(wdc_label_name(model, 5), "Near_Full") == 0);
  CHECK_OK(wdc_input_size(model, &height, &width));
  CHECK(height == 52 && width == 52);
  CHECK_OK(wdc_info(model, &info));
  CHECK(json_number(info, "best_epoch") >= 1 && strstr(info, "\"history\"") != NULL);
  wdc_string_free(info);

  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    int as_expected = 1;
    draw_wafer(map, cases[i].blob, cases[i].ring);
    CHECK_OK(wdc_predict(model, map, 1, H, W, p, 8));
    for (j = 0; j < 8; ++j) as_expected = as_expected && (p[j] > 0.5f) == (j == cases[i].label);
    CHECK(as_expected);
  }

  path_join(synth64, sizeof synth64, g_fixtures, "synth64.npz");
  CHECK_OK(wdc_evaluate(model, synth64, &report));
  CHECK(json_number(report, "exact_match") >= 0.6);
  CHECK(json_number(report, "hamming") >= 0.9);
  wdc_string_free(report);
  wdc_free(model);

  CHECK_OK(wdc_load_builtin("{\"threads\": 1}", &model));
  wdc_free(model);
  CHECK_FAILS(wdc_load_builtin(NULL, NULL), WDC_E_INVALID_ARGUMENT, "wdc_load_builtin");
  CHECK_FAILS(wdc_load_builtin("{\"thread\": 1}", &other), WDC_E_CONFIG, "wdc_load_builtin");
  CHECK(other == MODEL_SENTINEL);
}

static void test_create_with_options(void) {
  wdc_model *model = NULL, *plain = NULL;
  float a[8 * NMAPS], b[8 * NMAPS];
  wdc_status s;
  REQUIRE_OK(wdc_create_with_options(TINY_CONFIG, "{\"device\": \"cpu\", \"threads\": 1}",
                                     &model));
  CHECK(wdc_num_labels(model) == 8);
  CHECK(predictions_of(model, a));
  CHECK(all_in_unit_interval(a, 8 * NMAPS));
  wdc_free(model);
  model = NULL;
  CHECK_OK(wdc_create_with_options(NULL, NULL, &model));
  CHECK(wdc_num_labels(model) == 8);
  wdc_free(model);
  model = NULL;
  CHECK_OK(wdc_create_with_options(TINY_CONFIG, "", &model));
  wdc_free(model);
  /* The same seeded config gives the same weights with or without options. */
  model = NULL;
  CHECK_OK(wdc_create_with_options("{\"blocks\":[{\"channels\":8}],\"seed\":42}", "{}", &model));
  CHECK_OK(wdc_create("{\"blocks\":[{\"channels\":8}],\"seed\":42}", &plain));
  if (model != NULL && plain != NULL) {
    CHECK(predictions_of(model, a) && predictions_of(plain, b));
    CHECK(memcmp(a, b, sizeof a) == 0);
  }
  wdc_free(model);
  wdc_free(plain);

  model = MODEL_SENTINEL;
  CHECK_FAILS(wdc_create_with_options(TINY_CONFIG, NULL, NULL), WDC_E_INVALID_ARGUMENT,
              "wdc_create_with_options");
  CHECK_FAILS(wdc_create_with_options(TINY_CONFIG, "{\"device\": \"tpu\"}", &model),
              WDC_E_CONFIG, "wdc_create_with_options");
  CHECK_FAILS(wdc_create_with_options(TINY_CONFIG, "{\"threads\": -2}", &model), WDC_E_CONFIG,
              "wdc_create_with_options");
  CHECK_FAILS(wdc_create_with_options("{\"blocks\": 3}", NULL, &model), WDC_E_CONFIG,
              "wdc_create_with_options");
  CHECK(model == MODEL_SENTINEL);
  s = wdc_create_with_options(TINY_CONFIG, "{\"device\": \"cuda\"}", &model);
  CHECK(s == WDC_OK || s == WDC_E_UNSUPPORTED);
  if (s == WDC_OK) wdc_free(model);
  else CHECK(model == MODEL_SENTINEL);
}

/* "openblas_threads": every model sets OpenBLAS's own pool to it for the whole process, 0
   leaves the pool as it is. Asked of OpenBLAS itself where the process has it (the library
   LibTorch links, so dlopen returns the copy already loaded); skipped elsewhere. */
static void test_openblas_threads_option(void) {
  void *openblas = dlopen("libopenblas.so.0", RTLD_LAZY);
  int (*get)(void) = NULL;
  void (*set)(int) = NULL;
  wdc_model *model = NULL;
  int before;
  if (openblas == NULL) {
    printf("  skipped: this process has no libopenblas.so.0\n");
    return;
  }
  *(void **)(&get) = dlsym(openblas, "openblas_get_num_threads");
  *(void **)(&set) = dlsym(openblas, "openblas_set_num_threads");
  REQUIRE(get != NULL && set != NULL);
  set(2);
  before = get(); /* 2, or fewer where OpenBLAS caps it */
  REQUIRE_OK(wdc_create_with_options(TINY_CONFIG, "{\"openblas_threads\": 0}", &model));
  CHECK(get() == before);
  wdc_free(model);
  model = NULL;
  REQUIRE_OK(wdc_create_with_options(TINY_CONFIG, "{}", &model));
  CHECK(get() == 1);
  wdc_free(model);
  dlclose(openblas);
}

/* "precision": fp32 is the default and what info reports; "auto" takes bf16 exactly where
   "bf16" is accepted, and a bf16 model's probabilities, CAM and embeddings follow fp32's within
   bfloat16's rounding; anything else is refused with the handle untouched. */
static void test_precision_option(void) {
  static const char *const bad[] = {"{\"precision\": \"fp16\"}", "{\"precision\": 16}",
                                    "{\"precision\": \"BF16\"}", "{\"precision\": null}"};
  wdc_model *fp32 = NULL, *automatic = NULL, *bf16 = MODEL_SENTINEL;
  char *info = NULL;
  float p32[8 * NMAPS], p16[8 * NMAPS], cam32[H * W], cam16[H * W], e32[128], e16[128];
  int native;
  size_t i;
  wdc_status s;

  REQUIRE_OK(wdc_load_builtin(NULL, &fp32));
  CHECK_OK(wdc_info(fp32, &info));
  CHECK(info != NULL && strstr(info, "\"precision\":\"fp32\"") != NULL);
  wdc_string_free(info);
  REQUIRE_OK(wdc_load_builtin("{\"precision\": \"auto\"}", &automatic));
  CHECK_OK(wdc_info(automatic, &info));
  native = info != NULL && strstr(info, "\"precision\":\"bf16\"") != NULL;
  CHECK(info != NULL && (native || strstr(info, "\"precision\":\"fp32\"") != NULL));
  wdc_string_free(info);

  s = wdc_load_builtin("{\"precision\": \"bf16\"}", &bf16);
  if (!native) {
    printf("  bf16 not native here: %s\n", wdc_last_error());
    CHECK(s == WDC_E_UNSUPPORTED && strstr(wdc_last_error(), "bf16") != NULL);
    CHECK(bf16 == MODEL_SENTINEL);
  } else {
    CHECK(s == WDC_OK);
    REQUIRE(s == WDC_OK);
    REQUIRE(predictions_of(fp32, p32) && predictions_of(bf16, p16));
    CHECK(all_in_unit_interval(p16, 8 * NMAPS));
    CHECK(max_abs_diff(p32, p16, 8 * NMAPS) < 0.05f);
    CHECK(max_abs_diff(p32, p16, 8 * NMAPS) > 0.0f); /* it did run in another precision */
    CHECK_OK(wdc_cam(fp32, g_maps, H, W, 0, cam32, H * W));
    CHECK_OK(wdc_cam(bf16, g_maps, H, W, 0, cam16, H * W));
    CHECK(all_in_unit_interval(cam16, H * W));
    CHECK(max_abs_diff(cam32, cam16, H * W) < 0.1f);
    CHECK_OK(wdc_embed(fp32, g_maps, 1, H, W, e32, 128));
    CHECK_OK(wdc_embed(bf16, g_maps, 1, H, W, e16, 128));
    CHECK(max_abs_diff(e32, e16, 128) < 0.02f);
    wdc_free(bf16);
  }
  wdc_free(automatic);
  wdc_free(fp32);

  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    wdc_model *untouched = MODEL_SENTINEL;
    CHECK_FAILS(wdc_load_builtin(bad[i], &untouched), WDC_E_CONFIG, "wdc_load_builtin");
    CHECK(strstr(wdc_last_error(), "precision") != NULL);
    CHECK(untouched == MODEL_SENTINEL);
  }
}

static void test_create_misuse(void) {
  static const char *const bad_configs[] = {
      "{ not json",                            /* malformed */
      "[1, 2, 3]",                             /* not an object */
      "{\"blocks\": \"many\"}",                /* wrong type */
      "{\"blocks\": [{\"channels\": -4}]}",    /* out of range */
      "{\"no_such_key\": 1}",                  /* unknown key */
      "{\"input\": {\"height\": 0}}",          /* zero size */
      "{\"dropout\": 1.5}",                    /* out of range */
  };
  wdc_model *model = MODEL_SENTINEL;
  size_t i;
  CHECK_FAILS(wdc_create(NULL, NULL), WDC_E_INVALID_ARGUMENT, "wdc_create");
  CHECK_FAILS(wdc_create(TINY_CONFIG, NULL), WDC_E_INVALID_ARGUMENT, "wdc_create");
  for (i = 0; i < sizeof bad_configs / sizeof bad_configs[0]; ++i) {
    wdc_status s = wdc_create(bad_configs[i], &model);
    if (s != WDC_E_CONFIG)
      WDCT_FAIL_AT("wdc_create(%s) returned %s, expected WDC_E_CONFIG (%s)", bad_configs[i],
                   wdc_status_name(s), wdc_last_error());
    else
      wdct_passed++;
    CHECK(model == MODEL_SENTINEL);
    if (s == WDC_OK && model != MODEL_SENTINEL) wdc_free(model);
    model = MODEL_SENTINEL;
  }
}

/* ---- handle misuse --------------------------------------------------------------------------- */

/* Every function that takes a model must reject `model` with WDC_E_MISUSE, untouched outputs. */
static void check_rejects_handle(wdc_model *model) {
  float probabilities[8 * NMAPS];
  float cam[H * W];
  char *text = STRING_SENTINEL;
  int64_t height = -7, width = -7;
  wdc_model *out = MODEL_SENTINEL;

  fill(probabilities, 8 * NMAPS, SENTINEL);
  fill(cam, H * W, SENTINEL);
  CHECK_FAILS(wdc_predict(model, g_maps, NMAPS, H, W, probabilities, 8 * NMAPS), WDC_E_MISUSE,
              "wdc_predict");
  CHECK(all_equal(probabilities, 8 * NMAPS, SENTINEL));
  CHECK_FAILS(wdc_cam(model, g_maps, H, W, 0, cam, H * W), WDC_E_MISUSE, "wdc_cam");
  CHECK(all_equal(cam, H * W, SENTINEL));
  CHECK_FAILS(wdc_save(model, "never-written.wdcm"), WDC_E_MISUSE, "wdc_save");
  CHECK_FAILS(wdc_info(model, &text), WDC_E_MISUSE, "wdc_info");
  CHECK(text == STRING_SENTINEL);
  CHECK_FAILS(wdc_evaluate(model, "x.npz", &text), WDC_E_MISUSE, "wdc_evaluate");
  CHECK(text == STRING_SENTINEL);
  CHECK_FAILS(wdc_train(model, "{\"synthetic\": 8, \"epochs\": 1}", NULL, NULL, &text),
              WDC_E_MISUSE, "wdc_train");
  CHECK(text == STRING_SENTINEL);
  CHECK_FAILS(wdc_input_size(model, &height, &width), WDC_E_MISUSE, "wdc_input_size");
  CHECK(height == -7 && width == -7);
  CHECK(wdc_num_labels(model) == -1);
  CHECK(strncmp(wdc_last_error(), "wdc_num_labels: ", 16) == 0);
  CHECK(wdc_label_name(model, 0) == NULL);
  CHECK(strncmp(wdc_last_error(), "wdc_label_name: ", 16) == 0);
  (void)out;
}

static void test_handle_misuse(void) {
  wdc_model *model = NULL;
  wdc_model *freed = NULL;
  /* Never made by wdc_create/wdc_load: memory that looks nothing like a handle, and memory that
     starts with the bytes a live handle starts with would still not be in the table. */
  union {
    uint64_t words[16];
    unsigned char bytes[128];
  } junk;

  check_rejects_handle(NULL);
  CHECK(strstr(wdc_last_error(), "NULL") != NULL);

  REQUIRE_OK(wdc_create(TINY_CONFIG, &freed));
  wdc_free(freed);
  check_rejects_handle(freed);

  memset(&junk, 0xAB, sizeof junk);
  check_rejects_handle((wdc_model *)&junk);
  memset(&junk, 0, sizeof junk);
  check_rejects_handle((wdc_model *)&junk);

  /* wdc_free tolerates NULL, a double free and a foreign pointer, and says so. */
  wdc_free(NULL);
  wdc_free(freed);
  CHECK(strncmp(wdc_last_error(), "wdc_free: ", 10) == 0);
  memset(&junk, 0xCD, sizeof junk);
  wdc_free((wdc_model *)&junk);
  CHECK(strncmp(wdc_last_error(), "wdc_free: ", 10) == 0);
  CHECK(junk.bytes[0] == 0xCD && junk.bytes[127] == 0xCD); /* not written to */

  /* A live handle still works after all that. */
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  CHECK(wdc_num_labels(model) == 8);
  wdc_free(model);
}

/* ---- inference ------------------------------------------------------------------------------- */

static void test_predict(void) {
  wdc_model *model = NULL;
  float a[8 * NMAPS + 3], b[8 * NMAPS], one[8];
  uint8_t small[30 * 40];
  int64_t i;

  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  fill(a, 8 * NMAPS + 3, SENTINEL);
  CHECK_OK(wdc_predict(model, g_maps, NMAPS, H, W, a, 8 * NMAPS + 3));
  CHECK(all_in_unit_interval(a, 8 * NMAPS));
  CHECK(all_equal(a + 8 * NMAPS, 3, SENTINEL)); /* beyond count * num_labels: untouched */
  /* Deterministic, and a batch gives what its maps give one by one. */
  CHECK_OK(wdc_predict(model, g_maps, NMAPS, H, W, b, 8 * NMAPS));
  CHECK(memcmp(a, b, sizeof b) == 0);
  for (i = 0; i < NMAPS; ++i) {
    CHECK_OK(wdc_predict(model, g_maps + i * H * W, 1, H, W, one, 8));
    CHECK(max_abs_diff(one, a + i * 8, 8) <= 1e-5f);
  }
  /* Another map size is resized to the model's input. */
  wdct_make_map(small, 30, 40, 1, 3);
  CHECK_OK(wdc_predict(model, small, 1, 30, 40, one, 8));
  CHECK(all_in_unit_interval(one, 8));
  wdct_make_map(small, 1, 1, 1, 3);
  CHECK_OK(wdc_predict(model, small, 1, 1, 1, one, 8));
  CHECK(all_in_unit_interval(one, 8));
  /* Any byte value is a valid die value (>= 2 is a failed die). */
  memset(small, 0xFF, sizeof small);
  CHECK_OK(wdc_predict(model, small, 1, 30, 40, one, 8));
  CHECK(all_in_unit_interval(one, 8));
  wdc_free(model);
}

static void test_predict_misuse(void) {
  wdc_model *model = NULL;
  float probabilities[8 * NMAPS];
  const int64_t n = 8 * NMAPS;

  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  fill(probabilities, n, SENTINEL);
#define PREDICT_FAILS(maps, count, h, w, out, len)                                            \
  CHECK_FAILS(wdc_predict(model, maps, count, h, w, out, len), WDC_E_INVALID_ARGUMENT,       \
              "wdc_predict");                                                                 \
  CHECK(all_equal(probabilities, n, SENTINEL))

  PREDICT_FAILS(NULL, NMAPS, H, W, probabilities, n);
  PREDICT_FAILS(g_maps, NMAPS, H, W, NULL, n);
  PREDICT_FAILS(g_maps, 0, H, W, probabilities, n);
  PREDICT_FAILS(g_maps, -1, H, W, probabilities, n);
  PREDICT_FAILS(g_maps, INT64_MIN, H, W, probabilities, n);
  PREDICT_FAILS(g_maps, NMAPS, 0, W, probabilities, n);
  PREDICT_FAILS(g_maps, NMAPS, H, 0, probabilities, n);
  PREDICT_FAILS(g_maps, NMAPS, -52, -52, probabilities, n);
  /* Buffer one element short, zero and negative lengths. */
  PREDICT_FAILS(g_maps, NMAPS, H, W, probabilities, n - 1);
  PREDICT_FAILS(g_maps, NMAPS, H, W, probabilities, 0);
  PREDICT_FAILS(g_maps, NMAPS, H, W, probabilities, -1);
  CHECK(strstr(wdc_last_error(), "probabilities_len") != NULL);
  /* count * height * width overflows int64 (each factor alone is fine). */
  PREDICT_FAILS(g_maps, INT64_MAX / 4, 2, 3, probabilities, n);
  CHECK(strstr(wdc_last_error(), "overflow") != NULL);
  PREDICT_FAILS(g_maps, 2, INT64_C(1) << 32, INT64_C(1) << 32, probabilities, n);
  PREDICT_FAILS(g_maps, 1, INT64_MAX, INT64_MAX, probabilities, n);
  /* count * num_labels overflows though count * height * width does not. */
  PREDICT_FAILS(g_maps, INT64_MAX / 2, 1, 1, probabilities, INT64_MAX);
  CHECK(strstr(wdc_last_error(), "overflow") != NULL);
  /* Maps larger than 4096 x 4096 are refused. */
  PREDICT_FAILS(g_maps, 1, 4097, 1, probabilities, n);
  PREDICT_FAILS(g_maps, 1, 1, 4097, probabilities, n);
  /* A huge count with a buffer that cannot hold the result: rejected before reading maps. */
  PREDICT_FAILS(g_maps, INT64_C(1) << 40, H, W, probabilities, n);
#undef PREDICT_FAILS
  wdc_free(model);
}

static void test_cam(void) {
  wdc_model *model = NULL;
  float cam[H * W + 2], again[H * W];
  float odd[30 * 40];
  uint8_t small[30 * 40];
  int32_t label;

  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  for (label = 0; label < 8; ++label) {
    fill(cam, H * W + 2, SENTINEL);
    CHECK_OK(wdc_cam(model, g_maps, H, W, label, cam, H * W + 2));
    CHECK(all_in_unit_interval(cam, H * W));
    CHECK(all_equal(cam + H * W, 2, SENTINEL));
    CHECK_OK(wdc_cam(model, g_maps, H, W, label, again, H * W));
    CHECK(memcmp(cam, again, sizeof again) == 0);
  }
  /* At the map's own size. */
  wdct_make_map(small, 30, 40, 2, 5);
  CHECK_OK(wdc_cam(model, small, 30, 40, 3, odd, 30 * 40));
  CHECK(all_in_unit_interval(odd, 30 * 40));
  wdc_free(model);
}

static void test_cam_misuse(void) {
  wdc_model *model = NULL;
  float cam[H * W];
  const int64_t n = H * W;

  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  fill(cam, n, SENTINEL);
#define CAM_FAILS(map, h, w, label, out, len)                                                 \
  CHECK_FAILS(wdc_cam(model, map, h, w, label, out, len), WDC_E_INVALID_ARGUMENT, "wdc_cam"); \
  CHECK(all_equal(cam, n, SENTINEL))

  CAM_FAILS(NULL, H, W, 0, cam, n);
  CAM_FAILS(g_maps, H, W, 0, NULL, n);
  CAM_FAILS(g_maps, 0, W, 0, cam, n);
  CAM_FAILS(g_maps, H, -1, 0, cam, n);
  CAM_FAILS(g_maps, H, W, -1, cam, n);
  CHECK(strstr(wdc_last_error(), "label") != NULL);
  CAM_FAILS(g_maps, H, W, 8, cam, n);
  CAM_FAILS(g_maps, H, W, INT32_MAX, cam, n);
  CAM_FAILS(g_maps, H, W, INT32_MIN, cam, n);
  CAM_FAILS(g_maps, H, W, 0, cam, n - 1);
  CHECK(strstr(wdc_last_error(), "cam_len") != NULL);
  CAM_FAILS(g_maps, H, W, 0, cam, -5);
  CAM_FAILS(g_maps, 4097, 1, 0, cam, n);
  CAM_FAILS(g_maps, INT64_MAX / 2, 3, 0, cam, n);
  CHECK(strstr(wdc_last_error(), "overflow") != NULL);
#undef CAM_FAILS
  wdc_free(model);
}

static void test_info_and_labels_misuse(void) {
  wdc_model *model = NULL;
  int64_t height = -7, width = -7;
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  CHECK_FAILS(wdc_info(model, NULL), WDC_E_INVALID_ARGUMENT, "wdc_info");
  CHECK_FAILS(wdc_input_size(model, NULL, &width), WDC_E_INVALID_ARGUMENT, "wdc_input_size");
  CHECK(width == -7);
  CHECK_FAILS(wdc_input_size(model, &height, NULL), WDC_E_INVALID_ARGUMENT, "wdc_input_size");
  CHECK(height == -7);
  CHECK(wdc_label_name(model, -1) == NULL);
  CHECK(strncmp(wdc_last_error(), "wdc_label_name: ", 16) == 0);
  CHECK(wdc_label_name(model, 8) == NULL);
  CHECK(wdc_label_name(model, INT32_MAX) == NULL);
  CHECK(wdc_label_name(model, INT32_MIN) == NULL);
  /* Label names stay valid and unchanged while the model lives. */
  {
    const char *first = wdc_label_name(model, 0);
    char *info = NULL;
    CHECK_OK(wdc_info(model, &info));
    wdc_string_free(info);
    CHECK(first == wdc_label_name(model, 0));
  }
  wdc_free(model);
}

/* ---- files ----------------------------------------------------------------------------------- */

static void test_save_load(void) {
  wdc_model *model = NULL, *loaded = NULL, *one_thread = NULL;
  float before[8 * NMAPS], after[8 * NMAPS];
  float cam_before[H * W], cam_after[H * W];
  char path[1024], info_a_ok = 0;
  char *info_a = NULL, *info_b = NULL;

  path_join(path, sizeof path, g_tmp, "untrained.wdcm");
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  REQUIRE(predictions_of(model, before));
  CHECK_OK(wdc_cam(model, g_maps, H, W, 2, cam_before, H * W));
  REQUIRE_OK(wdc_save(model, path));
  /* Saving again over the file is fine (atomic replace). */
  CHECK_OK(wdc_save(model, path));

  REQUIRE_OK(wdc_load(path, NULL, &loaded));
  CHECK(wdc_num_labels(loaded) == 8);
  REQUIRE(predictions_of(loaded, after));
  CHECK(memcmp(before, after, sizeof before) == 0);
  CHECK_OK(wdc_cam(loaded, g_maps, H, W, 2, cam_after, H * W));
  CHECK(memcmp(cam_before, cam_after, sizeof cam_before) == 0);
  info_a_ok = wdc_info(model, &info_a) == WDC_OK && wdc_info(loaded, &info_b) == WDC_OK;
  CHECK(info_a_ok);
  wdc_string_free(info_a);
  wdc_string_free(info_b);

  CHECK_OK(wdc_load(path, "{\"device\": \"cpu\", \"threads\": 1}", &one_thread));
  if (one_thread != NULL) {
    CHECK(predictions_of(one_thread, after));
    CHECK(max_abs_diff(before, after, 8 * NMAPS) <= 1e-5f);
    wdc_free(one_thread);
  }
  one_thread = NULL;
  CHECK_OK(wdc_load(path, "", &one_thread));
  wdc_free(one_thread);
  one_thread = NULL;
  CHECK_OK(wdc_load(path, "{}", &one_thread));
  wdc_free(one_thread);
  one_thread = NULL;
  CHECK_OK(wdc_load(path, "{\"device\": \"auto\"}", &one_thread));
  wdc_free(one_thread);
  one_thread = NULL;
  {
    /* "cuda" works where there is a GPU and is WDC_E_UNSUPPORTED where there is none. */
    wdc_model *cuda = MODEL_SENTINEL;
    wdc_status s = wdc_load(path, "{\"device\": \"cuda\"}", &cuda);
    CHECK(s == WDC_OK || s == WDC_E_UNSUPPORTED);
    if (s == WDC_OK) {
      CHECK(predictions_of(cuda, after));
      CHECK(max_abs_diff(before, after, 8 * NMAPS) <= 1e-4f);
      wdc_free(cuda);
    } else {
      CHECK(cuda == MODEL_SENTINEL);
      CHECK(strncmp(wdc_last_error(), "wdc_load: ", 10) == 0);
    }
  }
  wdc_free(loaded);
  wdc_free(model);
}

static void test_load_misuse(void) {
  static const char *const bad_options[] = {
      "{",                             /* malformed */
      "\"cpu\"",                       /* not an object */
      "{\"device\": \"tpu\"}",         /* unknown device */
      "{\"device\": 1}",               /* wrong type */
      "{\"threads\": -1}",             /* out of range */
      "{\"threads\": 1.5}",            /* not an integer */
      "{\"threads\": \"4\"}",          /* wrong type */
      "{\"thread\": 4}",               /* unknown key (typo) */
  };
  wdc_model *model = MODEL_SENTINEL, *saved = NULL;
  char good[1024], missing[1024], garbage[1024], npz[1024], truncated[1024], dir_path[1024];
  size_t i;

  path_join(good, sizeof good, g_tmp, "for_load_misuse.wdcm");
  path_join(missing, sizeof missing, g_tmp, "no_such_model.wdcm");
  path_join(garbage, sizeof garbage, g_fixtures, "garbage.bin");
  path_join(npz, sizeof npz, g_fixtures, "synth64.npz");
  path_join(truncated, sizeof truncated, g_tmp, "truncated.wdcm");
  path_join(dir_path, sizeof dir_path, g_tmp, "");
  REQUIRE_OK(wdc_create(TINY_CONFIG, &saved));
  REQUIRE_OK(wdc_save(saved, good));
  wdc_free(saved);

  /* The first half of a valid model file. */
  {
    FILE *in = fopen(good, "rb"), *out = fopen(truncated, "wb");
    long size;
    char *bytes;
    REQUIRE(in != NULL && out != NULL);
    fseek(in, 0, SEEK_END);
    size = ftell(in);
    fseek(in, 0, SEEK_SET);
    bytes = (char *)malloc((size_t)size);
    REQUIRE(bytes != NULL);
    REQUIRE(fread(bytes, 1, (size_t)size, in) == (size_t)size);
    fwrite(bytes, 1, (size_t)size / 2, out);
    free(bytes);
    fclose(in);
    fclose(out);
  }

  CHECK_FAILS(wdc_load(NULL, NULL, &model), WDC_E_INVALID_ARGUMENT, "wdc_load");
  CHECK_FAILS(wdc_load("", NULL, &model), WDC_E_INVALID_ARGUMENT, "wdc_load");
  CHECK_FAILS(wdc_load(good, NULL, NULL), WDC_E_INVALID_ARGUMENT, "wdc_load");
  CHECK_FAILS(wdc_load(missing, NULL, &model), WDC_E_IO, "wdc_load");
  CHECK(strstr(wdc_last_error(), "no_such_model.wdcm") != NULL);
  {
    /* A directory: WDC_E_IO is right; the core reads it as an empty file today (WDC_E_FORMAT).
       Either way it must fail cleanly. */
    wdc_status s = wdc_load(dir_path, NULL, &model);
    CHECK(s == WDC_E_IO || s == WDC_E_FORMAT);
    CHECK(strncmp(wdc_last_error(), "wdc_load: ", 10) == 0);
  }
  CHECK_FAILS(wdc_load(garbage, NULL, &model), WDC_E_FORMAT, "wdc_load");
  CHECK_FAILS(wdc_load(npz, NULL, &model), WDC_E_FORMAT, "wdc_load");
  CHECK_FAILS(wdc_load(truncated, NULL, &model), WDC_E_FORMAT, "wdc_load");
  CHECK(model == MODEL_SENTINEL);
  for (i = 0; i < sizeof bad_options / sizeof bad_options[0]; ++i) {
    wdc_status s = wdc_load(good, bad_options[i], &model);
    if (s != WDC_E_CONFIG || strncmp(wdc_last_error(), "wdc_load: ", 10) != 0)
      WDCT_FAIL_AT("wdc_load(options %s) returned %s, expected WDC_E_CONFIG (%s)",
                   bad_options[i], wdc_status_name(s), wdc_last_error());
    else
      wdct_passed++;
    if (s == WDC_OK && model != MODEL_SENTINEL) wdc_free(model);
    model = MODEL_SENTINEL;
  }
}

static void test_save_misuse(void) {
  wdc_model *model = NULL;
  char unwritable[1024], existing[1024];
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  path_join(unwritable, sizeof unwritable, g_tmp, "no/such/directory/model.wdcm");
  path_join(existing, sizeof existing, g_tmp, "existing.wdcm");
  CHECK_FAILS(wdc_save(model, NULL), WDC_E_INVALID_ARGUMENT, "wdc_save");
  CHECK_FAILS(wdc_save(model, ""), WDC_E_INVALID_ARGUMENT, "wdc_save");
  CHECK_FAILS(wdc_save(model, unwritable), WDC_E_IO, "wdc_save");
  CHECK_FAILS(wdc_save(model, g_tmp), WDC_E_IO, "wdc_save"); /* a directory */
  /* Failed saves left nothing behind that stops a good one. */
  CHECK_OK(wdc_save(model, existing));
  {
    wdc_model *loaded = NULL;
    CHECK_OK(wdc_load(existing, NULL, &loaded));
    wdc_free(loaded);
  }
  wdc_free(model);
}

static void test_evaluate(void) {
  wdc_model *model = NULL;
  char npz[1024], missing[1024], garbage[1024], labels_only[1024];
  char *report = NULL, *untouched = STRING_SENTINEL;

  path_join(npz, sizeof npz, g_fixtures, "synth64.npz");
  path_join(missing, sizeof missing, g_fixtures, "no_such.npz");
  path_join(garbage, sizeof garbage, g_fixtures, "garbage.bin");
  path_join(labels_only, sizeof labels_only, g_fixtures, "labels_only.npz");
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  CHECK_OK(wdc_evaluate(model, npz, &report));
  CHECK(report != NULL && report[0] == '{');
  CHECK(report != NULL && strstr(report, "\"exact_match\"") != NULL &&
        strstr(report, "\"samples\":64") != NULL && strstr(report, "\"Scratch\"") != NULL);
  wdc_string_free(report);

  CHECK_FAILS(wdc_evaluate(model, NULL, &untouched), WDC_E_INVALID_ARGUMENT, "wdc_evaluate");
  CHECK_FAILS(wdc_evaluate(model, "", &untouched), WDC_E_INVALID_ARGUMENT, "wdc_evaluate");
  CHECK_FAILS(wdc_evaluate(model, npz, NULL), WDC_E_INVALID_ARGUMENT, "wdc_evaluate");
  CHECK_FAILS(wdc_evaluate(model, missing, &untouched), WDC_E_IO, "wdc_evaluate");
  CHECK(strstr(wdc_last_error(), "no_such.npz") != NULL);
  CHECK_FAILS(wdc_evaluate(model, garbage, &untouched), WDC_E_FORMAT, "wdc_evaluate");
  CHECK_FAILS(wdc_evaluate(model, labels_only, &untouched), WDC_E_FORMAT, "wdc_evaluate");
  CHECK(untouched == STRING_SENTINEL);
  wdc_free(model);
}

/* ---- training -------------------------------------------------------------------------------- */

typedef struct {
  int calls;
  int bad;             /* callbacks whose fields were inconsistent */
  int32_t last_epoch;
  int64_t last_step;
  int validations;     /* callbacks with val_exact_match >= 0 */
  int cancel_at_call;  /* return non-zero on this call (1-based), 0 = never */
  int calls_after_cancel;
  int32_t epochs;
} progress_log;

static int32_t log_progress(const wdc_progress *p, void *user) {
  progress_log *log = (progress_log *)user;
  if (log->cancel_at_call > 0 && log->calls >= log->cancel_at_call) log->calls_after_cancel++;
  log->calls++;
  if (p == NULL || p->struct_size != sizeof(wdc_progress) || p->reserved != 0 ||
      p->epochs != log->epochs || p->epoch < 1 || p->epoch > p->epochs ||
      p->epoch < log->last_epoch ||
      p->steps < 1 || p->step < 0 || p->step > p->steps || !(p->loss >= 0.0) ||
      !(p->val_exact_match == -1.0 || (p->val_exact_match >= 0.0 && p->val_exact_match <= 1.0)))
    log->bad++;
  if (p != NULL) {
    if (p->epoch == log->last_epoch && p->step < log->last_step) log->bad++;
    log->last_epoch = p->epoch;
    log->last_step = p->step;
    if (p->val_exact_match >= 0.0) log->validations++;
  }
  return log->cancel_at_call > 0 && log->calls >= log->cancel_at_call;
}

#define TRAIN_JSON(epochs)                                                                 \
  "{\"synthetic\": 96, \"val_fraction\": 0.25, \"epochs\": " #epochs ", \"batch_size\": 16, " \
  "\"seed\": 3, \"threads\": 2}"

static void test_train_evaluate_save_load(void) {
  wdc_model *model = NULL, *loaded = NULL;
  float before[8 * NMAPS], trained[8 * NMAPS], reloaded[8 * NMAPS];
  char *report = NULL, npz[1024], path[1024];
  progress_log log;

  path_join(npz, sizeof npz, g_fixtures, "synth64.npz");
  path_join(path, sizeof path, g_tmp, "trained.wdcm");
  memset(&log, 0, sizeof log);
  log.epochs = 2;
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  REQUIRE(predictions_of(model, before));
  REQUIRE_OK(wdc_train(model, TRAIN_JSON(2), log_progress, &log, &report));
  CHECK(report != NULL && report[0] == '{');
  wdc_string_free(report);
  CHECK(log.calls >= 2 * 5); /* 72 training maps / 16 = 5 batches per epoch, 2 epochs */
  CHECK(log.bad == 0);
  CHECK(log.last_epoch == 2);
  CHECK(log.validations >= 2);

  REQUIRE(predictions_of(model, trained));
  CHECK(memcmp(before, trained, sizeof before) != 0);
  CHECK(all_in_unit_interval(trained, 8 * NMAPS));

  report = NULL;
  CHECK_OK(wdc_evaluate(model, npz, &report));
  CHECK(report != NULL && report[0] == '{');
  wdc_string_free(report);

  /* save -> load -> identical predictions and CAMs. */
  REQUIRE_OK(wdc_save(model, path));
  REQUIRE_OK(wdc_load(path, NULL, &loaded));
  REQUIRE(predictions_of(loaded, reloaded));
  CHECK(memcmp(trained, reloaded, sizeof trained) == 0);
  {
    float a[H * W], b[H * W];
    CHECK_OK(wdc_cam(model, g_maps + H * W, H, W, 1, a, H * W));
    CHECK_OK(wdc_cam(loaded, g_maps + H * W, H, W, 1, b, H * W));
    CHECK(memcmp(a, b, sizeof a) == 0);
  }
  /* Training continues on a loaded model; the report may be dropped. */
  CHECK_OK(wdc_train(loaded, TRAIN_JSON(1), NULL, NULL, NULL));
  wdc_free(loaded);
  wdc_free(model);
}

static void test_train_misuse(void) {
  static const char *const bad_json[] = {
      "{ not json",
      "[]",
      "{\"epochs\": 1}",                                  /* no data */
      "{\"synthetic\": -5, \"epochs\": 1}",               /* out of range */
      "{\"synthetic\": 32, \"epochs\": 0}",               /* out of range */
      "{\"synthetic\": 32, \"epochs\": \"one\"}",         /* wrong type */
      "{\"synthetic\": 32, \"epochs\": 1, \"lr\": -1}",   /* out of range */
      "{\"synthetic\": 32, \"epochs\": 1, \"learning_rate\": 0.1}", /* unknown key */
  };
  wdc_model *model = NULL;
  float before[8 * NMAPS], after[8 * NMAPS];
  char *report = STRING_SENTINEL;
  char missing_json[1200], missing[1024], garbage_json[1200], garbage[1024];
  size_t i;

  path_join(missing, sizeof missing, g_fixtures, "no_such.npz");
  path_join(garbage, sizeof garbage, g_fixtures, "garbage.bin");
  snprintf(missing_json, sizeof missing_json, "{\"data\": \"%s\", \"epochs\": 1}", missing);
  snprintf(garbage_json, sizeof garbage_json, "{\"data\": \"%s\", \"epochs\": 1}", garbage);
  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  REQUIRE(predictions_of(model, before));

  CHECK_FAILS(wdc_train(model, NULL, NULL, NULL, &report), WDC_E_INVALID_ARGUMENT, "wdc_train");
  for (i = 0; i < sizeof bad_json / sizeof bad_json[0]; ++i) {
    wdc_status s = wdc_train(model, bad_json[i], NULL, NULL, &report);
    if (s != WDC_E_CONFIG || strncmp(wdc_last_error(), "wdc_train: ", 11) != 0)
      WDCT_FAIL_AT("wdc_train(%s) returned %s, expected WDC_E_CONFIG (%s)", bad_json[i],
                   wdc_status_name(s), wdc_last_error());
    else
      wdct_passed++;
  }
  CHECK_FAILS(wdc_train(model, missing_json, NULL, NULL, &report), WDC_E_IO, "wdc_train");
  CHECK_FAILS(wdc_train(model, garbage_json, NULL, NULL, &report), WDC_E_FORMAT, "wdc_train");
  CHECK(report == STRING_SENTINEL);
  /* Failed training leaves the model as it was. */
  REQUIRE(predictions_of(model, after));
  CHECK(memcmp(before, after, sizeof before) == 0);
  wdc_free(model);
}

static void test_cancel(void) {
  wdc_model *model = NULL;
  float before[8 * NMAPS], after[8 * NMAPS];
  char *report = STRING_SENTINEL;
  progress_log log;

  REQUIRE_OK(wdc_create(TINY_CONFIG, &model));
  REQUIRE(predictions_of(model, before));

  /* Cancelled in the first epoch: no epoch completed, so the model is as before. */
  memset(&log, 0, sizeof log);
  log.epochs = 3;
  log.cancel_at_call = 1;
  CHECK_FAILS(wdc_train(model, TRAIN_JSON(3), log_progress, &log, &report), WDC_E_CANCELLED,
              "wdc_train");
  CHECK(report == STRING_SENTINEL);
  CHECK(log.calls == 1);
  CHECK(log.calls_after_cancel == 0);
  REQUIRE(predictions_of(model, after));
  CHECK(memcmp(before, after, sizeof before) == 0);

  /* Cancelled in the second epoch: the model keeps what the first epoch learnt, and works. */
  memset(&log, 0, sizeof log);
  log.epochs = 3;
  log.cancel_at_call = 1000000;
  {
    /* First learn how many callbacks one epoch makes. */
    wdc_model *probe = NULL;
    REQUIRE_OK(wdc_create(TINY_CONFIG, &probe));
    log.epochs = 1;
    REQUIRE_OK(wdc_train(probe, TRAIN_JSON(1), log_progress, &log, NULL));
    wdc_free(probe);
  }
  {
    const int per_epoch = log.calls;
    memset(&log, 0, sizeof log);
    log.epochs = 3;
    log.cancel_at_call = per_epoch + 1;
    CHECK_FAILS(wdc_train(model, TRAIN_JSON(3), log_progress, &log, &report), WDC_E_CANCELLED,
                "wdc_train");
    CHECK(report == STRING_SENTINEL);
    CHECK(log.calls == per_epoch + 1);
    CHECK(log.last_epoch == 2);
    CHECK(log.calls_after_cancel == 0);
    REQUIRE(predictions_of(model, after));
    CHECK(memcmp(before, after, sizeof before) != 0);
    CHECK(all_in_unit_interval(after, 8 * NMAPS));
  }
  /* The model can be trained again after a cancellation. */
  CHECK_OK(wdc_train(model, TRAIN_JSON(1), NULL, NULL, NULL));
  wdc_free(model);
}

/* WDC_E_BUSY: while one thread trains, wdc_save and wdc_train on the same model fail at once. */
typedef struct {
  wdc_model *model;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int training;  /* set by the callback on its first call */
  int checked;   /* set by the main thread once it has made its calls */
  wdc_status status;
} busy_state;

static int32_t busy_progress(const wdc_progress *p, void *user) {
  busy_state *state = (busy_state *)user;
  (void)p;
  pthread_mutex_lock(&state->mutex);
  state->training = 1;
  pthread_cond_broadcast(&state->cond);
  while (!state->checked) pthread_cond_wait(&state->cond, &state->mutex);
  pthread_mutex_unlock(&state->mutex);
  return 1; /* cancel: the test has what it needs */
}

static void *busy_train(void *arg) {
  busy_state *state = (busy_state *)arg;
  state->status = wdc_train(state->model, TRAIN_JSON(2), busy_progress, state, NULL);
  return NULL;
}

static void test_busy(void) {
  busy_state state;
  pthread_t thread;
  char path[1024];
  char *report = STRING_SENTINEL;
  float probabilities[8 * NMAPS];

  memset(&state, 0, sizeof state);
  path_join(path, sizeof path, g_tmp, "busy.wdcm");
  pthread_mutex_init(&state.mutex, NULL);
  pthread_cond_init(&state.cond, NULL);
  REQUIRE_OK(wdc_create(TINY_CONFIG, &state.model));
  REQUIRE(pthread_create(&thread, NULL, busy_train, &state) == 0);
  pthread_mutex_lock(&state.mutex);
  while (!state.training) pthread_cond_wait(&state.cond, &state.mutex);
  pthread_mutex_unlock(&state.mutex);

  CHECK_FAILS(wdc_save(state.model, path), WDC_E_BUSY, "wdc_save");
  CHECK_FAILS(wdc_train(state.model, TRAIN_JSON(1), NULL, NULL, &report), WDC_E_BUSY,
              "wdc_train");
  CHECK(report == STRING_SENTINEL);
  fill(probabilities, 8 * NMAPS, SENTINEL);
  CHECK_FAILS(wdc_predict(state.model, g_maps, NMAPS, H, W, probabilities, 8 * NMAPS),
              WDC_E_BUSY, "wdc_predict");
  CHECK(all_equal(probabilities, 8 * NMAPS, SENTINEL));
  {
    float cam[H * W];
    int64_t height = 0, width = 0;
    char npz[1024];
    path_join(npz, sizeof npz, g_fixtures, "synth64.npz");
    fill(cam, H * W, SENTINEL);
    CHECK_FAILS(wdc_cam(state.model, g_maps, H, W, 0, cam, H * W), WDC_E_BUSY, "wdc_cam");
    CHECK(all_equal(cam, H * W, SENTINEL));
    CHECK_FAILS(wdc_info(state.model, &report), WDC_E_BUSY, "wdc_info");
    CHECK_FAILS(wdc_evaluate(state.model, npz, &report), WDC_E_BUSY, "wdc_evaluate");
    CHECK(report == STRING_SENTINEL);
    CHECK_OK(wdc_input_size(state.model, &height, &width));
  }
  /* Functions that do not touch the network still answer. */
  CHECK(wdc_num_labels(state.model) == 8);
  CHECK(wdc_label_name(state.model, 0) != NULL);

  pthread_mutex_lock(&state.mutex);
  state.checked = 1;
  pthread_cond_broadcast(&state.cond);
  pthread_mutex_unlock(&state.mutex);
  pthread_join(thread, NULL);
  CHECK(state.status == WDC_E_CANCELLED);
  /* Free again: save works now. */
  CHECK_OK(wdc_save(state.model, path));
  wdc_free(state.model);
  pthread_mutex_destroy(&state.mutex);
  pthread_cond_destroy(&state.cond);
}

int main(int argc, char **argv) {
  int i;
  if (argc >= 2) g_fixtures = argv[1];
  if (argc >= 3) g_tmp = argv[2];
  for (i = 0; i < NMAPS; ++i) wdct_make_map(g_maps + i * H * W, H, W, i, 11u + (uint32_t)i);

  RUN_TEST(test_version);
  RUN_TEST(test_status_names);
  RUN_TEST(test_last_error);
  RUN_TEST(test_create);
  RUN_TEST(test_create_with_options);
  RUN_TEST(test_openblas_threads_option);
  RUN_TEST(test_precision_option);
  RUN_TEST(test_create_misuse);
  RUN_TEST(test_handle_misuse);
  RUN_TEST(test_predict);
  RUN_TEST(test_predict_misuse);
  RUN_TEST(test_cam);
  RUN_TEST(test_cam_misuse);
  RUN_TEST(test_info_and_labels_misuse);
  RUN_TEST(test_save_load);
  RUN_TEST(test_load_builtin);
  RUN_TEST(test_load_misuse);
  RUN_TEST(test_save_misuse);
  RUN_TEST(test_evaluate);
  RUN_TEST(test_train_evaluate_save_load);
  RUN_TEST(test_train_misuse);
  RUN_TEST(test_cancel);
  RUN_TEST(test_busy);
  return wdct_finish();
}
