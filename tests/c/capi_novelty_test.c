/* Novelty through the C ABI, from C99. A small model trained on generated maps must:
 * - calibrate: the stored threshold is the smallest that flags at most novelty_share of the
 *   validation maps (counted here from wdc_novelty: at most floor(share * n) above it, and
 *   more than that at or above it), and wdc_fit_novelty recalibrates to another share;
 * - score as documented: 1 - the cosine similarity to the k-th nearest training map, recomputed
 *   here from wdc_embed_dataset when the bank holds every training map;
 * - agree across doors: wdc_classify's "novelty" and "unknown" are wdc_novelty's values and
 *   their comparison with wdc_novelty_threshold; a saved and loaded model scores the same;
 *   wdc_load's "novelty_threshold" replaces the calibrated threshold;
 * - refuse: a model without statistics (wdc_novelty, wdc_novelty_threshold: WDC_E_UNSUPPORTED,
 *   a "novelty_threshold" load option: WDC_E_INVALID_ARGUMENT), bad options (WDC_E_CONFIG), a
 *   short buffer; out-parameters untouched;
 * - ship: the built-in model has statistics (a threshold, novelty in [0, 2]).
 *
 * usage: capi_novelty_test FIXTURE_DIR TEMP_DIR (as capi_test) */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "wdc/wdc.h"

#define TINY_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":16,\"stride\":2}]}"
#define SIDE 52
#define TRAIN_MAPS 240
#define VAL_MAPS 200
#define K 3

static const char *g_tmp = ".";

static int compare_floats(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Maps above and at-or-above `threshold` among `n` scores. */
static void count_flagged(const float *scores, int64_t n, float threshold, int64_t *above,
                          int64_t *at_or_above) {
  int64_t i;
  *above = *at_or_above = 0;
  for (i = 0; i < n; ++i) {
    *above += scores[i] > threshold;
    *at_or_above += scores[i] >= threshold;
  }
}

/* The value of `key` in the index-th object of a wdc_classify array (keys come sorted), or NAN. */
static double field_of(const char *json, int64_t index, const char *key) {
  char needle[64];
  const char *p;
  snprintf(needle, sizeof needle, "{\"index\":%lld,", (long long)index);
  p = strstr(json, needle);
  if (p == NULL) return NAN;
  snprintf(needle, sizeof needle, "\"%s\":", key);
  p = strstr(p, needle);
  if (p == NULL) return NAN;
  p += strlen(needle);
  if (strncmp(p, "true", 4) == 0) return 1;
  if (strncmp(p, "false", 5) == 0) return 0;
  if (strncmp(p, "null", 4) == 0) return NAN;
  return strtod(p, NULL);
}

static wdc_dataset *g_train, *g_val;
static uint8_t g_val_maps[VAL_MAPS * SIDE * SIDE];

static void test_calibration_and_scores(void) {
  wdc_model *model = NULL, *loaded = NULL, *strict = NULL;
  char *report = NULL, *result = NULL;
  char path[1024];
  float threshold = -1, scores[VAL_MAPS], again[VAL_MAPS], sorted[VAL_MAPS];
  int64_t above, at_or_above, dim, i, j;
  float *train_e, *val_e;
  REQUIRE_OK(wdc_create_with_options(TINY_CONFIG, "{\"threads\":2}", &model));
  REQUIRE_OK(wdc_train_dataset(model,
                               "{\"epochs\":1,\"lr\":0.05,\"novelty_k\":3,\"novelty_bank\":1000,"
                               "\"novelty_share\":0.05}",
                               g_train, g_val, NULL, NULL, &report));
  wdc_string_free(report);
  REQUIRE_OK(wdc_novelty_threshold(model, &threshold));
  REQUIRE_OK(wdc_novelty(model, g_val_maps, VAL_MAPS, SIDE, SIDE, scores, VAL_MAPS));

  /* Calibration: at most floor(0.05 * 200) = 10 validation maps above the threshold, and the
     threshold is one of their scores, so an eleventh is at it. */
  count_flagged(scores, VAL_MAPS, threshold, &above, &at_or_above);
  CHECK(above <= 10);
  CHECK(at_or_above >= 11);
  memcpy(sorted, scores, sizeof scores);
  qsort(sorted, VAL_MAPS, sizeof(float), compare_floats);
  CHECK(threshold == sorted[VAL_MAPS - 11]);

  /* The score: 1 - the K-th largest dot product with the training maps' embeddings. */
  dim = wdc_embedding_size(model);
  train_e = malloc((size_t)(TRAIN_MAPS * dim) * sizeof(float));
  val_e = malloc((size_t)(VAL_MAPS * dim) * sizeof(float));
  REQUIRE(train_e != NULL && val_e != NULL);
  REQUIRE_OK(wdc_embed_dataset(model, g_train, 0, TRAIN_MAPS, train_e, TRAIN_MAPS * dim));
  REQUIRE_OK(wdc_embed(model, g_val_maps, VAL_MAPS, SIDE, SIDE, val_e, VAL_MAPS * dim));
  for (i = 0; i < VAL_MAPS; ++i) {
    float similarity[TRAIN_MAPS];
    for (j = 0; j < TRAIN_MAPS; ++j) {
      double s = 0;
      int64_t d;
      for (d = 0; d < dim; ++d) s += (double)val_e[i * dim + d] * train_e[j * dim + d];
      similarity[j] = (float)s;
    }
    qsort(similarity, TRAIN_MAPS, sizeof(float), compare_floats);
    CHECK(fabs((1.0 - similarity[TRAIN_MAPS - K]) - scores[i]) < 1e-4);
  }
  free(train_e);
  free(val_e);

  /* wdc_classify carries the same novelty, and unknown = novelty > threshold. */
  REQUIRE_OK(wdc_classify(model, g_val_maps, VAL_MAPS, SIDE, SIDE, &result));
  for (i = 0; i < VAL_MAPS; ++i) {
    CHECK(fabs(field_of(result, i, "novelty") - scores[i]) < 1e-6);
    CHECK(field_of(result, i, "unknown") == (scores[i] > threshold));
  }
  wdc_string_free(result);

  /* Saved and loaded: the same scores and threshold; a load option replaces the threshold. */
  snprintf(path, sizeof path, "%s/novelty.wdcm", g_tmp);
  REQUIRE_OK(wdc_save(model, path));
  REQUIRE_OK(wdc_load(path, "{\"threads\":2}", &loaded));
  REQUIRE_OK(wdc_novelty(loaded, g_val_maps, VAL_MAPS, SIDE, SIDE, again, VAL_MAPS));
  CHECK(memcmp(scores, again, sizeof scores) == 0);
  {
    float loaded_threshold = -1;
    CHECK_OK(wdc_novelty_threshold(loaded, &loaded_threshold));
    CHECK(loaded_threshold == threshold);
  }
  REQUIRE_OK(wdc_load(path, "{\"novelty_threshold\":0}", &strict));
  REQUIRE_OK(wdc_classify(strict, g_val_maps, 4, SIDE, SIDE, &result));
  for (i = 0; i < 4; ++i) CHECK(field_of(result, i, "unknown") == (scores[i] > 0));
  wdc_string_free(result);

  /* Recalibrated to flag a fifth: at most 40 of 200 above. */
  REQUIRE_OK(wdc_fit_novelty(model, g_train, g_val, "{\"k\":3,\"share\":0.2}", &result));
  CHECK(strstr(result, "\"calibration_maps\":200") != NULL);
  CHECK(strstr(result, "\"bank\":240") != NULL);
  wdc_string_free(result);
  REQUIRE_OK(wdc_novelty_threshold(model, &threshold));
  count_flagged(scores, VAL_MAPS, threshold, &above, &at_or_above);
  CHECK(above <= 40 && at_or_above >= 41);
  /* A bank smaller than the training set keeps that many maps. */
  REQUIRE_OK(wdc_fit_novelty(model, g_train, g_val, "{\"bank\":50}", &result));
  CHECK(strstr(result, "\"bank\":50") != NULL);
  wdc_string_free(result);

  wdc_free(strict);
  wdc_free(loaded);
  wdc_free(model);
}

static void test_refusals(void) {
  wdc_model *fresh = NULL, *untouched_model = (wdc_model *)&g_val_maps;
  char *result = NULL, *untouched_text = (char *)&g_val_maps;
  float threshold = 7, out[4] = {7, 7, 7, 7};
  REQUIRE_OK(wdc_create_with_options(TINY_CONFIG, "{\"threads\":2}", &fresh));
  CHECK_FAILS(wdc_novelty(fresh, g_val_maps, 4, SIDE, SIDE, out, 4), WDC_E_UNSUPPORTED,
              "wdc_novelty");
  CHECK_FAILS(wdc_novelty_threshold(fresh, &threshold), WDC_E_UNSUPPORTED,
              "wdc_novelty_threshold");
  CHECK(threshold == 7 && out[0] == 7);
  /* Without statistics wdc_classify still answers: novelty null, unknown false. */
  REQUIRE_OK(wdc_classify(fresh, g_val_maps, 1, SIDE, SIDE, &result));
  CHECK(strstr(result, "\"novelty\":null") != NULL);
  CHECK(strstr(result, "\"unknown\":false") != NULL);
  wdc_string_free(result);
  {
    char path[1024];
    snprintf(path, sizeof path, "%s/no_novelty.wdcm", g_tmp);
    REQUIRE_OK(wdc_save(fresh, path));
    CHECK_FAILS(wdc_load(path, "{\"novelty_threshold\":0.2}", &untouched_model),
                WDC_E_INVALID_ARGUMENT, "wdc_load");
  }
  CHECK_FAILS(wdc_load_builtin("{\"novelty_threshold\":\"high\"}", &untouched_model), WDC_E_CONFIG,
              "wdc_load_builtin");
  CHECK(untouched_model == (wdc_model *)&g_val_maps);

  CHECK_FAILS(wdc_fit_novelty(fresh, g_train, g_val, "{\"k\":0}", &untouched_text), WDC_E_CONFIG,
              "wdc_fit_novelty");
  CHECK_FAILS(wdc_fit_novelty(fresh, g_train, g_val, "{\"share\":0.9}", &untouched_text),
              WDC_E_CONFIG,
              "wdc_fit_novelty");
  CHECK_FAILS(wdc_fit_novelty(fresh, g_train, g_val, "{\"bank\":2,\"k\":5}", &untouched_text),
              WDC_E_CONFIG,
              "wdc_fit_novelty");
  CHECK_FAILS(wdc_fit_novelty(fresh, g_train, g_val, "{\"depth\":1}", &untouched_text),
              WDC_E_CONFIG,
              "wdc_fit_novelty");
  CHECK_FAILS(wdc_fit_novelty(fresh, NULL, g_val, NULL, &untouched_text), WDC_E_MISUSE,
              "wdc_fit_novelty");
  CHECK(untouched_text == (char *)&g_val_maps);
  /* Statistics fitted on an untrained network are still statistics: then it scores. */
  REQUIRE_OK(wdc_fit_novelty(fresh, g_train, g_val, NULL, NULL));
  CHECK_FAILS(wdc_novelty(fresh, g_val_maps, 4, SIDE, SIDE, out, 3), WDC_E_INVALID_ARGUMENT,
              "wdc_novelty");
  CHECK(out[0] == 7);
  CHECK_OK(wdc_novelty(fresh, g_val_maps, 4, SIDE, SIDE, out, 4));
  CHECK(out[0] >= 0 && out[0] <= 2);
  wdc_free(fresh);
}

static void test_builtin_model_has_statistics(void) {
  wdc_model *model = NULL;
  float threshold = -1, novelty[4] = {-1, -1, -1, -1};
  REQUIRE_OK(wdc_load_builtin("{\"threads\":2}", &model));
  CHECK_OK(wdc_novelty_threshold(model, &threshold));
  CHECK(threshold > 0 && threshold < 2);
  CHECK_OK(wdc_novelty(model, g_val_maps, 4, SIDE, SIDE, novelty, 4));
  CHECK(novelty[0] >= 0 && novelty[3] >= 0 && novelty[3] <= 2);
  wdc_free(model);
}

static void make_data(void) {
  REQUIRE_OK(wdc_dataset_synthesize(TRAIN_MAPS, 1, &g_train));
  REQUIRE_OK(wdc_dataset_synthesize(VAL_MAPS, 2, &g_val));
  REQUIRE_OK(wdc_dataset_maps(g_val, 0, VAL_MAPS, g_val_maps, sizeof g_val_maps));
}

int main(int argc, char **argv) {
  if (argc >= 3) g_tmp = argv[2];
  RUN_TEST(make_data);
  RUN_TEST(test_calibration_and_scores);
  RUN_TEST(test_refusals);
  RUN_TEST(test_builtin_model_has_statistics);
  wdc_dataset_free(g_train);
  wdc_dataset_free(g_val);
  return wdct_finish();
}
