/* The C ABI's data sets and everything the CLI does through them, from C99: npz files, generated
 * and caller-made data sets read back byte for byte, splits, decisions (thresholds, labels by
 * name, classification), evaluation and training on maps in memory against the same maps in
 * files, PNG pictures, the HTML report and config files; each function's misuse and its
 * untouched out-parameters.
 *
 * usage: capi_dataset_test FIXTURE_DIR TEMP_DIR (as capi_test) */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

#define TINY_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}"
#define H 52
#define W 52
#define N 6

static const char *g_fixtures = ".";
static const char *g_tmp = ".";
static uint8_t g_maps[N * H * W];
static uint8_t g_labels[N * 8];
static wdc_dataset *const DATASET_SENTINEL = (wdc_dataset *)&g_maps;
static char *const STRING_SENTINEL = (char *)&g_labels;

static void path_join(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

/* The number of times `needle` occurs in `text`. */
static int occurrences(const char *text, const char *needle) {
  int n = 0;
  const char *p = text;
  while ((p = strstr(p, needle)) != NULL) {
    ++n;
    p += strlen(needle);
  }
  return n;
}

static int read_file_prefix(const char *path, unsigned char *buffer, size_t size) {
  FILE *f = fopen(path, "rb");
  size_t got;
  if (f == NULL) return 0;
  got = fread(buffer, 1, size, f);
  fclose(f);
  return got == size;
}

static uint32_t big_endian32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- data sets -------------------------------------------------------------------------------- */

static void test_create_and_read_back(void) {
  wdc_dataset *data = NULL, *untouched = DATASET_SENTINEL;
  uint8_t maps[N * H * W], labels[N * 8];
  uint8_t bad_labels[N * 8];
  int64_t height = 0, width = 0;
  char *info = NULL;

  REQUIRE_OK(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8, &data));
  CHECK(wdc_dataset_count(data) == N);
  CHECK(wdc_dataset_num_labels(data) == 8);
  CHECK(wdc_dataset_label_name(data, 6) != NULL &&
        strcmp(wdc_dataset_label_name(data, 6), "Scratch") == 0);
  CHECK(wdc_dataset_label_name(data, 8) == NULL);
  CHECK_OK(wdc_dataset_map_size(data, N - 1, &height, &width));
  CHECK(height == H && width == W);
  /* Maps 1..4 come back as given; labels too. */
  memset(maps, 7, sizeof maps);
  CHECK_OK(wdc_dataset_maps(data, 1, 4, maps, 4 * H * W));
  CHECK(memcmp(maps, g_maps + H * W, 4 * H * W) == 0);
  CHECK(maps[4 * H * W] == 7); /* nothing beyond the copy */
  CHECK_OK(wdc_dataset_labels(data, 0, N, labels, N * 8));
  CHECK(memcmp(labels, g_labels, sizeof labels) == 0);
  /* The info counts the types of the labels given: map i has pattern type C(i+1)'s labels. */
  CHECK_OK(wdc_dataset_info(data, &info));
  CHECK(info != NULL && strstr(info, "\"count\":6") != NULL && strstr(info, "\"C1\":1") != NULL &&
        strstr(info, "\"untyped\":0") != NULL);
  wdc_string_free(info);

  /* Errors: the range, the buffers, label values; out-parameters untouched. */
  CHECK_FAILS(wdc_dataset_maps(data, N - 1, 2, maps, sizeof maps), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_maps");
  CHECK_FAILS(wdc_dataset_maps(data, -1, 1, maps, sizeof maps), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_maps");
  CHECK_FAILS(wdc_dataset_maps(data, 0, 2, maps, 2 * H * W - 1), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_maps");
  CHECK_FAILS(wdc_dataset_labels(data, 0, 1, NULL, 8), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_labels");
  CHECK_FAILS(wdc_dataset_map_size(data, N, &height, &width), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_map_size");
  memcpy(bad_labels, g_labels, sizeof bad_labels);
  bad_labels[13] = 2;
  CHECK_FAILS(wdc_dataset_create(g_maps, N, H, W, bad_labels, N * 8, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create");
  CHECK(strstr(wdc_last_error(), "labels[13]") != NULL);
  CHECK_FAILS(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8 - 1, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create");
  CHECK_FAILS(wdc_dataset_create(g_maps, 0, H, W, NULL, 0, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_create");
  CHECK_FAILS(wdc_dataset_create(g_maps, INT64_MAX, H, W, NULL, 0, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create");
  CHECK(untouched == DATASET_SENTINEL);
  wdc_dataset_free(data);

  /* A freed handle is not live. */
  CHECK(wdc_dataset_count(data) == -1);
  CHECK_FAILS(wdc_dataset_maps(data, 0, 1, maps, sizeof maps), WDC_E_MISUSE, "wdc_dataset_maps");
  wdc_dataset_free(data); /* ignored, says so */
  CHECK(strstr(wdc_last_error(), "not a live") != NULL);
  CHECK_FAILS(wdc_dataset_maps((const wdc_dataset *)g_maps, 0, 1, maps, sizeof maps),
              WDC_E_MISUSE, "wdc_dataset_maps");
}

static void test_save_load_synthesize(void) {
  wdc_dataset *made = NULL, *loaded = NULL, *again = NULL, *untouched = DATASET_SENTINEL;
  char path[1024], missing[1024], garbage[1024];
  uint8_t a[10 * H * W], b[10 * H * W], la[80], lb[80];

  path_join(path, sizeof path, g_tmp, "made.npz");
  path_join(missing, sizeof missing, g_tmp, "no_such.npz");
  path_join(garbage, sizeof garbage, g_fixtures, "garbage.bin");
  REQUIRE_OK(wdc_dataset_synthesize(10, 42, &made));
  REQUIRE_OK(wdc_dataset_synthesize(10, 42, &again));
  CHECK_OK(wdc_dataset_save(made, path, "{\"compressed\": false}"));
  REQUIRE_OK(wdc_dataset_load(path, NULL, &loaded));
  CHECK(wdc_dataset_count(loaded) == 10);
  /* The same seed gives the same maps; the file holds them exactly. */
  CHECK_OK(wdc_dataset_maps(again, 0, 10, a, sizeof a));
  CHECK_OK(wdc_dataset_maps(loaded, 0, 10, b, sizeof b));
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK_OK(wdc_dataset_labels(again, 0, 10, la, sizeof la));
  CHECK_OK(wdc_dataset_labels(loaded, 0, 10, lb, sizeof lb));
  CHECK(memcmp(la, lb, sizeof la) == 0);

  CHECK_FAILS(wdc_dataset_load(missing, NULL, &untouched), WDC_E_IO, "wdc_dataset_load");
  CHECK_FAILS(wdc_dataset_load(garbage, NULL, &untouched), WDC_E_FORMAT, "wdc_dataset_load");
  CHECK_FAILS(wdc_dataset_load(path, "{\"max_file_bytes\": 100}", &untouched), WDC_E_FORMAT,
              "wdc_dataset_load");
  CHECK_FAILS(wdc_dataset_load(path, "{\"max_bytes\": 100}", &untouched), WDC_E_CONFIG,
              "wdc_dataset_load");
  CHECK_FAILS(wdc_dataset_load("", NULL, &untouched), WDC_E_INVALID_ARGUMENT, "wdc_dataset_load");
  CHECK_FAILS(wdc_dataset_synthesize(0, 1, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_synthesize");
  CHECK_FAILS(wdc_dataset_save(made, path, "{\"compressed\": 1}"), WDC_E_CONFIG,
              "wdc_dataset_save");
  CHECK_FAILS(wdc_dataset_save(made, "/no/such/dir/x.npz", NULL), WDC_E_IO, "wdc_dataset_save");
  CHECK(untouched == DATASET_SENTINEL);
  wdc_dataset_free(made);
  wdc_dataset_free(again);
  wdc_dataset_free(loaded);
}

static void test_split(void) {
  wdc_dataset *all = NULL, *parts[3] = {NULL, NULL, NULL};
  wdc_dataset *t = DATASET_SENTINEL, *v = DATASET_SENTINEL, *s = DATASET_SENTINEL;
  int64_t total = 0;
  int i;

  REQUIRE_OK(wdc_dataset_synthesize(400, 5, &all));
  REQUIRE_OK(wdc_dataset_split(all, "{\"val\": 0.2, \"test\": 0.1, \"seed\": 9}", &parts[0],
                               &parts[1], &parts[2]));
  for (i = 0; i < 3; ++i) total += wdc_dataset_count(parts[i]);
  CHECK(total == 400);
  /* Stratified by type: each part is near its share (rounding per type moves a few maps). */
  CHECK(wdc_dataset_count(parts[1]) >= 70 && wdc_dataset_count(parts[1]) <= 90);
  CHECK(wdc_dataset_count(parts[2]) >= 30 && wdc_dataset_count(parts[2]) <= 50);
  CHECK_FAILS(wdc_dataset_split(all, "{\"val\": 0.7, \"test\": 0.4}", &t, &v, &s), WDC_E_CONFIG,
              "wdc_dataset_split");
  CHECK_FAILS(wdc_dataset_split(all, "{\"train\": 0.7}", &t, &v, &s), WDC_E_CONFIG,
              "wdc_dataset_split");
  CHECK_FAILS(wdc_dataset_split(all, NULL, &t, NULL, &s), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_split");
  CHECK(t == DATASET_SENTINEL && v == DATASET_SENTINEL && s == DATASET_SENTINEL);
  for (i = 0; i < 3; ++i) wdc_dataset_free(parts[i]);
  wdc_dataset_free(all);
}

/* Maps of three sizes, one class each (a fab's own data): made from buffers, saved in the ragged
   layout, read back, trained on (the model takes the data's class names and task), classified
   and evaluated in one call each. */
static void test_ragged_single_label(void) {
  enum { COUNT = 12 };
  static const int64_t sides[3][2] = {{20, 24}, {31, 31}, {40, 26}};
  int64_t shapes[COUNT * 2], total = 0, h = 0, w = 0, offset = 0;
  uint8_t maps[COUNT * 40 * 31], labels[COUNT * 2], back[COUNT * 40 * 31];
  wdc_dataset *set = NULL, *loaded = NULL, *untouched = DATASET_SENTINEL;
  wdc_model *model = NULL;
  char path[1024], *info = NULL, *result = NULL, *report = NULL;
  int i, k;

  for (i = 0; i < COUNT; ++i) {
    const int64_t rows = sides[i % 3][0], cols = sides[i % 3][1];
    shapes[2 * i] = rows;
    shapes[2 * i + 1] = cols;
    /* Class 1 "Full": every die failed; class 0 "Clean": every die passed. */
    for (k = 0; k < rows * cols; ++k) maps[total + k] = (uint8_t)(i % 2 ? 2 : 1);
    labels[2 * i] = (uint8_t)(i % 2 == 0);
    labels[2 * i + 1] = (uint8_t)(i % 2 == 1);
    total += rows * cols;
  }
  REQUIRE_OK(wdc_dataset_create_ragged(maps, total, shapes, COUNT, labels, sizeof labels,
                                       "{\"labels\": [\"Clean\", \"Full\"], \"single_label\": true}",
                                       &set));
  CHECK(wdc_dataset_num_labels(set) == 2);
  CHECK(strcmp(wdc_dataset_label_name(set, 1), "Full") == 0);
  CHECK_OK(wdc_dataset_map_size(set, 2, &h, &w));
  CHECK(h == 40 && w == 26);
  REQUIRE_OK(wdc_dataset_info(set, &info));
  CHECK(strstr(info, "\"mixed_sizes\":true") != NULL);
  CHECK(strstr(info, "\"single_label\":true") != NULL);
  wdc_string_free(info);

  path_join(path, sizeof path, g_tmp, "ragged.npz");
  CHECK_OK(wdc_dataset_save(set, path, NULL));
  REQUIRE_OK(wdc_dataset_load(path, NULL, &loaded));
  CHECK(wdc_dataset_count(loaded) == COUNT);
  CHECK_OK(wdc_dataset_maps(loaded, 0, COUNT, back, total));
  CHECK(memcmp(back, maps, (size_t)total) == 0);
  /* Maps 4 and 5 alone: 31 x 31 and 40 x 26 values, one after the other. */
  offset = 20 * 24 + 31 * 31 + 40 * 26 + 20 * 24;
  CHECK_OK(wdc_dataset_maps(loaded, 4, 2, back, 31 * 31 + 40 * 26));
  CHECK(memcmp(back, maps + offset, 31 * 31 + 40 * 26) == 0);
  CHECK_FAILS(wdc_dataset_maps(loaded, 4, 2, back, 31 * 31), WDC_E_INVALID_ARGUMENT,
              "wdc_dataset_maps");

  REQUIRE_OK(wdc_create("{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"},"
                        "\"blocks\":[{\"channels\":8,\"stride\":2}]}",
                        &model));
  CHECK_OK(wdc_train_dataset(model, "{\"epochs\": 6, \"lr\": 0.1, \"batch_size\": 4}", loaded,
                             loaded, NULL, NULL, NULL));
  CHECK(wdc_num_labels(model) == 2);
  CHECK(strcmp(wdc_label_name(model, 0), "Clean") == 0);
  REQUIRE_OK(wdc_classify_dataset(model, loaded, 0, COUNT, &result));
  CHECK(occurrences(result, "\"correct\":true") == COUNT);
  wdc_string_free(result);
  REQUIRE_OK(wdc_evaluate_dataset(model, loaded, &report));
  CHECK(strstr(report, "\"task\":\"single_label\"") != NULL);
  CHECK(strstr(report, "\"accuracy\":1.0") != NULL);
  CHECK(strstr(report, "\"confusion\":[[6,0],[0,6]]") != NULL);
  wdc_string_free(report);

  /* Fine-tuning: a new model started from this one's weights with lr 0 is as right as it. */
  {
    wdc_model *tuned = NULL;
    char model_path[1024], options[1200];
    path_join(model_path, sizeof model_path, g_tmp, "ragged.wdcm");
    CHECK_OK(wdc_save(model, model_path));
    snprintf(options, sizeof options,
             "{\"epochs\": 1, \"lr\": 0, \"momentum\": 0, \"init\": \"%s\"}", model_path);
    REQUIRE_OK(wdc_create("{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"},"
                          "\"blocks\":[{\"channels\":8,\"stride\":2}]}",
                          &tuned));
    CHECK_OK(wdc_train_dataset(tuned, options, loaded, loaded, NULL, NULL, NULL));
    REQUIRE_OK(wdc_classify_dataset(tuned, loaded, 0, COUNT, &result));
    CHECK(occurrences(result, "\"correct\":true") == COUNT);
    wdc_string_free(result);
    /* Another network cannot lend its weights; the model stays as it was. */
    CHECK_FAILS(wdc_train_dataset(tuned, "{\"epochs\": 1, \"init\": \"builtin\"}", loaded, NULL,
                                  NULL, NULL, NULL),
                WDC_E_INVALID_ARGUMENT, "wdc_train_dataset");
    CHECK(wdc_num_labels(tuned) == 2);
    wdc_free(tuned);
  }

  /* Shapes that do not add up, a zero side, a class row of two ones. */
  shapes[1] = 25;
  CHECK_FAILS(wdc_dataset_create_ragged(maps, total, shapes, COUNT, labels, sizeof labels, NULL,
                                        &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create_ragged");
  shapes[1] = 24;
  shapes[0] = 0;
  CHECK_FAILS(wdc_dataset_create_ragged(maps, total, shapes, COUNT, labels, sizeof labels, NULL,
                                        &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create_ragged");
  shapes[0] = 20;
  labels[0] = 1;
  labels[1] = 1;
  CHECK_FAILS(wdc_dataset_create_ragged(maps, total, shapes, COUNT, labels, sizeof labels,
                                        "{\"labels\": [\"a\", \"b\"], \"single_label\": true}",
                                        &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_dataset_create_ragged");
  CHECK_FAILS(wdc_dataset_create_ragged(maps, total, shapes, COUNT, labels, sizeof labels,
                                        "{\"classes\": 2}", &untouched),
              WDC_E_CONFIG, "wdc_dataset_create_ragged");
  CHECK(untouched == DATASET_SENTINEL);
  wdc_free(model);
  wdc_dataset_free(loaded);
  wdc_dataset_free(set);
}

/* ---- decisions -------------------------------------------------------------------------------- */

static void test_thresholds_and_label_index(void) {
  wdc_model *model = NULL;
  float thresholds[9];
  int i, all_half = 1;

  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  thresholds[8] = -1.0f;
  CHECK_OK(wdc_thresholds(model, thresholds, 9));
  CHECK(thresholds[8] == -1.0f);
  for (i = 0; i < 8; ++i) {
    CHECK(thresholds[i] > 0.0f && thresholds[i] < 1.0f);
    all_half = all_half && thresholds[i] == 0.5f;
  }
  CHECK(!all_half); /* the shipped model's thresholds were tuned on validation maps */
  CHECK_FAILS(wdc_thresholds(model, thresholds, 7), WDC_E_INVALID_ARGUMENT, "wdc_thresholds");

  CHECK(wdc_label_index(model, "Loc") == 4);
  CHECK(wdc_label_index(model, "edge_ring") == 3);
  CHECK(wdc_label_index(model, "EL") == 2);
  CHECK(wdc_label_index(model, "7") == 7);
  CHECK(wdc_label_index(model, "8") == -1);
  CHECK(strstr(wdc_last_error(), "out of range") != NULL);
  CHECK(wdc_label_index(model, "Foo") == -1);
  CHECK(strstr(wdc_last_error(), "unknown label 'Foo'") != NULL &&
        strstr(wdc_last_error(), "Near_Full") != NULL);
  CHECK(wdc_label_index(model, NULL) == -1);
  wdc_free(model);
  CHECK(wdc_label_index(model, "Loc") == -1);
}

static void test_classify_matches_predict(void) {
  wdc_model *model = NULL;
  wdc_dataset *data = NULL;
  float probabilities[N * 8], thresholds[8];
  char *result = NULL, *from_data = NULL, *untouched = STRING_SENTINEL;
  char expected[64];
  int i, present = 0;

  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  REQUIRE_OK(wdc_predict(model, g_maps, N, H, W, probabilities, N * 8));
  REQUIRE_OK(wdc_thresholds(model, thresholds, 8));
  REQUIRE_OK(wdc_classify(model, g_maps, N, H, W, &result));
  CHECK(occurrences(result, "\"index\"") == N && occurrences(result, "\"type\"") == N);
  /* The labels it names are those at or above their thresholds. */
  for (i = 0; i < N * 8; ++i) present += probabilities[i] >= thresholds[i % 8];
  CHECK(occurrences(result, "\"labels\":[]") + present >= N);
  snprintf(expected, sizeof expected, "\"index\":%d", N - 1);
  CHECK(strstr(result, expected) != NULL);

  /* The same maps in a data set: the same probabilities, plus the truth. */
  REQUIRE_OK(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8, &data));
  REQUIRE_OK(wdc_classify_dataset(model, data, 0, N, &from_data));
  CHECK(occurrences(from_data, "\"true_type\"") == N && occurrences(from_data, "\"correct\"") == N);
  CHECK(strstr(from_data, "\"true_type\":{\"id\":\"C1\",\"name\":\"Normal\"}") != NULL);
  {
    /* Every probabilities array of the data set's answer appears in the buffers' answer. */
    const char *p = from_data;
    int same = 0;
    while ((p = strstr(p, "\"probabilities\":[")) != NULL) {
      const char *end = strchr(p, ']');
      char chunk[512];
      size_t n = (size_t)(end - p) + 1;
      if (n < sizeof chunk) {
        memcpy(chunk, p, n);
        chunk[n] = '\0';
        same += strstr(result, chunk) != NULL;
      }
      p = end;
    }
    CHECK(same == N);
  }
  wdc_string_free(result);
  wdc_string_free(from_data);

  CHECK_FAILS(wdc_classify_dataset(model, data, 2, N, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_classify_dataset");
  CHECK_FAILS(wdc_classify(model, g_maps, 0, H, W, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_classify");
  CHECK_FAILS(wdc_classify(model, NULL, 1, H, W, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_classify");
  CHECK(untouched == STRING_SENTINEL);
  wdc_dataset_free(data);
  wdc_free(model);
}

static void test_evaluate_maps_equals_file(void) {
  wdc_model *model = NULL;
  wdc_dataset *data = NULL;
  char path[1024];
  char *from_buffers = NULL, *from_file = NULL, *from_dataset = NULL;
  char *untouched = STRING_SENTINEL;
  uint8_t bad[N * 8];

  path_join(path, sizeof path, g_tmp, "eval.npz");
  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  REQUIRE_OK(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8, &data));
  REQUIRE_OK(wdc_dataset_save(data, path, NULL));
  REQUIRE_OK(wdc_evaluate_maps(model, g_maps, N, H, W, g_labels, N * 8, &from_buffers));
  REQUIRE_OK(wdc_evaluate(model, path, &from_file));
  REQUIRE_OK(wdc_evaluate_dataset(model, data, &from_dataset));
  CHECK(strcmp(from_buffers, from_file) == 0);
  CHECK(strcmp(from_dataset, from_file) == 0);
  CHECK(strstr(from_file, "\"samples\":6") != NULL);
  wdc_string_free(from_buffers);
  wdc_string_free(from_file);
  wdc_string_free(from_dataset);

  memcpy(bad, g_labels, sizeof bad);
  bad[0] = 3;
  CHECK_FAILS(wdc_evaluate_maps(model, g_maps, N, H, W, bad, N * 8, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_evaluate_maps");
  CHECK_FAILS(wdc_evaluate_maps(model, g_maps, N, H, W, g_labels, N * 8 - 1, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_evaluate_maps");
  CHECK_FAILS(wdc_evaluate_dataset(model, (const wdc_dataset *)model, &untouched), WDC_E_MISUSE,
              "wdc_evaluate_dataset");
  CHECK(untouched == STRING_SENTINEL);
  wdc_dataset_free(data);
  wdc_free(model);
}

static int32_t count_calls(const wdc_progress *progress, void *user) {
  (void)progress;
  ++*(int *)user;
  return 0;
}

/* Training on data sets in memory gives the model training on the same maps in files gives. */
static void test_train_dataset_equals_files(void) {
  wdc_model *from_files = NULL, *from_memory = NULL;
  wdc_dataset *all = NULL, *parts[3] = {NULL, NULL, NULL};
  char train_path[1024], val_path[1024], options[4096];
  char *report = NULL, *untouched = STRING_SENTINEL;
  float a[N * 8], b[N * 8];
  int calls = 0;
  const char *common = "\"epochs\": 1, \"batch_size\": 16, \"seed\": 3, \"threads\": 1";

  path_join(train_path, sizeof train_path, g_tmp, "train.npz");
  path_join(val_path, sizeof val_path, g_tmp, "val.npz");
  REQUIRE_OK(wdc_dataset_synthesize(120, 8, &all));
  REQUIRE_OK(wdc_dataset_split(all, "{\"val\": 0.25, \"test\": 0}", &parts[0], &parts[1],
                               &parts[2]));
  REQUIRE_OK(wdc_dataset_save(parts[0], train_path, NULL));
  REQUIRE_OK(wdc_dataset_save(parts[1], val_path, NULL));
  REQUIRE_OK(wdc_create(TINY_CONFIG, &from_files));
  REQUIRE_OK(wdc_create(TINY_CONFIG, &from_memory));
  snprintf(options, sizeof options, "{\"data\": \"%s\", \"val\": \"%s\", %s}", train_path,
           val_path, common);
  REQUIRE_OK(wdc_train(from_files, options, NULL, NULL, NULL));
  snprintf(options, sizeof options, "{%s}", common);
  REQUIRE_OK(wdc_train_dataset(from_memory, options, parts[0], parts[1], count_calls, &calls,
                               &report));
  CHECK(calls > 0);
  snprintf(options, sizeof options, "\"val_samples\":%lld",
           (long long)wdc_dataset_count(parts[1]));
  CHECK(strstr(report, options) != NULL);
  wdc_string_free(report);
  REQUIRE_OK(wdc_predict(from_files, g_maps, N, H, W, a, N * 8));
  REQUIRE_OK(wdc_predict(from_memory, g_maps, N, H, W, b, N * 8));
  CHECK(memcmp(a, b, sizeof a) == 0);

  /* Without val, val_fraction of the data is held out, as wdc_dataset_split holds it out. */
  {
    wdc_dataset *halves[3] = {NULL, NULL, NULL};
    char expected[64];
    REQUIRE_OK(wdc_dataset_split(all, "{\"val\": 0.5, \"test\": 0, \"seed\": 0}", &halves[0],
                                 &halves[1], &halves[2]));
    snprintf(expected, sizeof expected, "\"val_samples\":%lld",
             (long long)wdc_dataset_count(halves[1]));
    CHECK_OK(wdc_train_dataset(from_memory, "{\"epochs\": 1, \"val_fraction\": 0.5}", all, NULL,
                               NULL, NULL, &report));
    CHECK(report != NULL && strstr(report, expected) != NULL);
    wdc_string_free(report);
    wdc_dataset_free(halves[0]);
    wdc_dataset_free(halves[1]);
    wdc_dataset_free(halves[2]);
  }

  snprintf(options, sizeof options, "{\"data\": \"%s\", %s}", train_path, common);
  CHECK_FAILS(wdc_train_dataset(from_memory, options, parts[0], NULL, NULL, NULL, &untouched),
              WDC_E_CONFIG, "wdc_train_dataset");
  CHECK(strstr(wdc_last_error(), "in memory") != NULL);
  CHECK_FAILS(wdc_train_dataset(from_memory, "{\"val_fraction\": 0.2}", parts[0], parts[1], NULL,
                                NULL, &untouched),
              WDC_E_CONFIG, "wdc_train_dataset");
  CHECK_FAILS(wdc_train_dataset(from_memory, "{}", parts[2], NULL, NULL, NULL, &untouched),
              WDC_E_INVALID_ARGUMENT, "wdc_train_dataset"); /* the empty test part */
  CHECK_FAILS(wdc_train_dataset(from_memory, "{}", NULL, NULL, NULL, NULL, &untouched),
              WDC_E_MISUSE, "wdc_train_dataset");
  CHECK(untouched == STRING_SENTINEL);
  wdc_free(from_files);
  wdc_free(from_memory);
  wdc_dataset_free(all);
  wdc_dataset_free(parts[0]);
  wdc_dataset_free(parts[1]);
  wdc_dataset_free(parts[2]);
}

/* ---- pictures, reports, config files ---------------------------------------------------------- */

static void test_write_map_png(void) {
  wdc_model *model = NULL;
  float cam[H * W];
  char path[1024];
  unsigned char header[24];

  path_join(path, sizeof path, g_tmp, "cam.png");
  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  REQUIRE_OK(wdc_cam(model, g_maps, H, W, 1, cam, H * W));
  CHECK_OK(wdc_write_map_png(path, g_maps, H, W, cam, H * W, "{\"scale\": 3, \"alpha\": 0.7}"));
  REQUIRE(read_file_prefix(path, header, sizeof header));
  CHECK(memcmp(header, "\x89PNG\r\n\x1a\n", 8) == 0);
  CHECK(big_endian32(header + 16) == 3 * W && big_endian32(header + 20) == 3 * H);
  CHECK_OK(wdc_write_map_png(path, g_maps, H, W, NULL, 0, NULL)); /* the map alone, scale 8 */
  REQUIRE(read_file_prefix(path, header, sizeof header));
  CHECK(big_endian32(header + 16) == 8 * W);

  CHECK_FAILS(wdc_write_map_png(path, g_maps, H, W, cam, H * W - 1, NULL), WDC_E_INVALID_ARGUMENT,
              "wdc_write_map_png");
  CHECK_FAILS(wdc_write_map_png(path, g_maps, H, W, NULL, 5, NULL), WDC_E_INVALID_ARGUMENT,
              "wdc_write_map_png");
  CHECK_FAILS(wdc_write_map_png(path, g_maps, H, W, cam, H * W, "{\"scale\": 65}"), WDC_E_CONFIG,
              "wdc_write_map_png");
  CHECK_FAILS(wdc_write_map_png(path, g_maps, H, W, cam, H * W, "{\"colour\": 1}"), WDC_E_CONFIG,
              "wdc_write_map_png");
  CHECK_FAILS(wdc_write_map_png("/no/such/dir/c.png", g_maps, H, W, cam, H * W, NULL), WDC_E_IO,
              "wdc_write_map_png");
  wdc_free(model);
}

static void test_report(void) {
  wdc_model *model = NULL, *tiny = NULL;
  wdc_dataset *data = NULL;
  char dir[1024], page[1100], file_not_dir[1024];
  char *result = NULL, *untouched = STRING_SENTINEL;
  unsigned char start[15];

  path_join(dir, sizeof dir, g_tmp, "report");
  path_join(page, sizeof page, dir, "index.html");
  path_join(file_not_dir, sizeof file_not_dir, g_tmp, "eval.npz");
  REQUIRE_OK(wdc_load_builtin(NULL, &model));
  REQUIRE_OK(wdc_dataset_synthesize(40, 3, &data));
  REQUIRE_OK(wdc_report(model, data, dir, "{\"per_type\": 1, \"model_name\": \"built-in\"}",
                        &result));
  CHECK(strstr(result, "\"samples\":40") != NULL && strstr(result, "index.html") != NULL);
  REQUIRE(read_file_prefix(page, start, sizeof start));
  CHECK(memcmp(start, "<!DOCTYPE html>", 15) == 0);
  wdc_string_free(result);
  CHECK_OK(wdc_report(model, data, dir, NULL, NULL)); /* result_json is optional */

  CHECK_FAILS(wdc_report(model, data, file_not_dir, NULL, &untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_report");
  CHECK_FAILS(wdc_report(model, data, dir, "{\"per_type\": 101}", &untouched), WDC_E_CONFIG,
              "wdc_report");
  REQUIRE_OK(wdc_create("{\"labels\":[\"a\",\"b\"]}", &tiny));
  CHECK_FAILS(wdc_report(tiny, data, dir, NULL, &untouched), WDC_E_INVALID_ARGUMENT, "wdc_report");
  CHECK(untouched == STRING_SENTINEL);
  wdc_dataset_free(data);
  wdc_free(tiny);
  wdc_free(model);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

static void test_config_read(void) {
  char path[1024], missing[1024];
  char *network = NULL, *train = NULL;
  char *n_untouched = STRING_SENTINEL, *t_untouched = STRING_SENTINEL;
  wdc_model *model = NULL;

  path_join(path, sizeof path, g_tmp, "config.json");
  path_join(missing, sizeof missing, g_tmp, "no_such.json");
  write_text(path, "{\"_note\": \"x\", \"network\": " TINY_CONFIG ", \"train\": {\"epochs\": 2}}");
  REQUIRE_OK(wdc_config_read(path, &network, &train));
  CHECK(strstr(network, "\"blocks\"") != NULL);
  CHECK(strcmp(train, "{\"epochs\":2}") == 0);
  CHECK_OK(wdc_create(network, &model)); /* the text wdc_create takes */
  wdc_free(model);
  wdc_string_free(network);
  wdc_string_free(train);

  write_text(path, "{\"train\": {}}");
  REQUIRE_OK(wdc_config_read(path, &network, &train));
  CHECK(strcmp(network, "") == 0 && strcmp(train, "{}") == 0);
  wdc_string_free(network);
  wdc_string_free(train);

  write_text(path, "{\"trian\": {}}");
  CHECK_FAILS(wdc_config_read(path, &n_untouched, &t_untouched), WDC_E_CONFIG, "wdc_config_read");
  CHECK(strstr(wdc_last_error(), "trian") != NULL);
  write_text(path, "{\"network\": [1]");
  CHECK_FAILS(wdc_config_read(path, &n_untouched, &t_untouched), WDC_E_CONFIG, "wdc_config_read");
  CHECK_FAILS(wdc_config_read(missing, &n_untouched, &t_untouched), WDC_E_IO, "wdc_config_read");
  CHECK_FAILS(wdc_config_read(path, NULL, &t_untouched), WDC_E_INVALID_ARGUMENT,
              "wdc_config_read");
  CHECK(n_untouched == STRING_SENTINEL && t_untouched == STRING_SENTINEL);
}

int main(int argc, char **argv) {
  int i;
  if (argc >= 2) g_fixtures = argv[1];
  if (argc >= 3) g_tmp = argv[2];
  /* Map i gets a pattern and the labels of pattern type C(i+1) (Normal, Center, Donut, ...). */
  for (i = 0; i < N; ++i) {
    wdct_make_map(g_maps + i * H * W, H, W, i % WDCT_PATTERNS, 5u + (uint32_t)i);
    if (i > 0 && i <= 8) g_labels[i * 8 + (i - 1)] = 1;
  }

  RUN_TEST(test_create_and_read_back);
  RUN_TEST(test_save_load_synthesize);
  RUN_TEST(test_split);
  RUN_TEST(test_ragged_single_label);
  RUN_TEST(test_thresholds_and_label_index);
  RUN_TEST(test_classify_matches_predict);
  RUN_TEST(test_evaluate_maps_equals_file);
  RUN_TEST(test_train_dataset_equals_files);
  RUN_TEST(test_write_map_png);
  RUN_TEST(test_report);
  RUN_TEST(test_config_read);
  return wdct_finish();
}
