/* Embeddings and similar-map search through the C ABI, from C99: embeddings of unit length that
 * agree between maps in memory and a data set; an index whose answers are the largest dot
 * products of those embeddings (recomputed here), in order, the query itself first; save and
 * load giving the same answers; refusal of another model's index, of k < 1, of short buffers,
 * of a data file as an index and of freed handles, each leaving out-parameters untouched.
 *
 * usage: capi_similar_test FIXTURE_DIR TEMP_DIR (as capi_test) */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

#define TINY_CONFIG "{\"blocks\":[{\"channels\":8,\"stride\":2}]}"
#define H 52
#define W 52
#define N 10

static const char *g_fixtures = ".";
static const char *g_tmp = ".";
static uint8_t g_maps[N * H * W];
static uint8_t g_labels[N * 8];

/* The neighbours of query `query` in wdc_similar's JSON: up to `max` indices and similarities,
   returns how many were found. Keys come sorted ("index", "labels", "similarity"). */
static int neighbours_of(const char *json, int query, int64_t *index, double *similarity,
                         int max) {
  char key[64];
  const char *p, *end;
  int n = 0;
  snprintf(key, sizeof key, "{\"index\":%d,\"neighbours\":[", query);
  p = strstr(json, key);
  if (p == NULL) return -1;
  p += strlen(key);
  end = strstr(p, "]}");
  while (n < max && (p = strstr(p, "{\"index\":")) != NULL && p < end) {
    index[n] = strtoll(p + strlen("{\"index\":"), NULL, 10);
    p = strstr(p, "\"similarity\":");
    if (p == NULL) return -1;
    similarity[n] = strtod(p + strlen("\"similarity\":"), NULL);
    ++n;
  }
  return n;
}

static double dot(const float *a, const float *b, int64_t n) {
  double s = 0;
  int64_t i;
  for (i = 0; i < n; ++i) s += (double)a[i] * b[i];
  return s;
}

static void test_embeddings(void) {
  wdc_model *model = NULL;
  wdc_dataset *data = NULL;
  int64_t size, i;
  float *from_maps, *from_set;
  float untouched[4] = {7, 7, 7, 7};
  REQUIRE_OK(wdc_load_builtin("{\"threads\":2}", &model));
  size = wdc_embedding_size(model);
  CHECK(size == 128); /* the built-in network's last block has 128 channels */
  CHECK(wdc_embedding_size(NULL) == -1);
  from_maps = malloc((size_t)(N * size) * sizeof(float));
  from_set = malloc((size_t)(N * size) * sizeof(float));
  REQUIRE(from_maps != NULL && from_set != NULL);
  CHECK_OK(wdc_embed(model, g_maps, N, H, W, from_maps, N * size));
  CHECK_OK(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8, &data));
  CHECK_OK(wdc_embed_dataset(model, data, 0, N, from_set, N * size));
  for (i = 0; i < N; ++i) {
    CHECK(fabs(dot(from_maps + i * size, from_maps + i * size, size) - 1.0) < 1e-4);
    CHECK(fabs(dot(from_maps + i * size, from_set + i * size, size) - 1.0) < 1e-5);
  }
  /* A part of the data set is embedded as the same maps alone. */
  CHECK_OK(wdc_embed_dataset(model, data, 3, 2, from_set, 2 * size));
  CHECK(fabs(dot(from_maps + 3 * size, from_set, size) - 1.0) < 1e-5);

  CHECK_FAILS(wdc_embed(model, g_maps, N, H, W, untouched, N * size - 1),
              WDC_E_INVALID_ARGUMENT, "wdc_embed");
  CHECK_FAILS(wdc_embed(model, NULL, 1, H, W, untouched, 4), WDC_E_INVALID_ARGUMENT, "wdc_embed");
  CHECK_FAILS(wdc_embed_dataset(model, data, N - 1, 2, untouched, 4), WDC_E_INVALID_ARGUMENT,
              "wdc_embed_dataset");
  CHECK(untouched[0] == 7 && untouched[3] == 7);
  wdc_dataset_free(data);
  wdc_free(model);
  free(from_maps);
  free(from_set);
}

static void test_index_answers_the_largest_dot_products(void) {
  wdc_model *model = NULL, *other = NULL;
  wdc_dataset *data = NULL;
  wdc_index *index = NULL, *loaded = NULL, *untouched = (wdc_index *)&g_maps;
  char *result = NULL, *again = NULL, *text = (char *)&g_labels;
  char path[1024];
  int64_t size, q, j, got_index[N + 3];
  double got_similarity[N + 3];
  float *e;
  REQUIRE_OK(wdc_load_builtin("{\"threads\":2}", &model));
  REQUIRE_OK(wdc_dataset_create(g_maps, N, H, W, g_labels, N * 8, &data));
  REQUIRE_OK(wdc_index_build(model, data, &index));
  CHECK(wdc_index_count(index) == N);
  size = wdc_embedding_size(model);
  e = malloc((size_t)(N * size) * sizeof(float));
  REQUIRE(e != NULL);
  REQUIRE_OK(wdc_embed(model, g_maps, N, H, W, e, N * size));

  REQUIRE_OK(wdc_similar(model, index, g_maps, N, H, W, 4, &result));
  for (q = 0; q < N; ++q) {
    const int n = neighbours_of(result, (int)q, got_index, got_similarity, N + 3);
    CHECK(n == 4);
    if (n != 4) continue;
    /* Itself first (a map may have a twin: then at the same similarity). */
    CHECK(got_similarity[0] > 0.999);
    CHECK(got_index[0] == q || fabs(got_similarity[0] - got_similarity[1]) < 1e-6);
    for (j = 0; j < n; ++j) {
      int64_t other_index;
      int better = 0;
      CHECK(fabs(got_similarity[j] - dot(e + q * size, e + got_index[j] * size, size)) < 1e-4);
      if (j > 0) CHECK(got_similarity[j] <= got_similarity[j - 1]);
      /* No map left out is more similar than the last one kept. */
      for (other_index = 0; other_index < N; ++other_index)
        better += dot(e + q * size, e + other_index * size, size) > got_similarity[n - 1] + 1e-4;
      CHECK(better <= n);
    }
  }
  /* k beyond the index gives every map. */
  {
    char *all = NULL;
    REQUIRE_OK(wdc_similar(model, index, g_maps, 1, H, W, N + 3, &all));
    CHECK(neighbours_of(all, 0, got_index, got_similarity, N + 3) == N);
    wdc_string_free(all);
  }
  /* The same from the data set, and after a save and load. */
  snprintf(path, sizeof path, "%s/index.npz", g_tmp);
  CHECK_OK(wdc_index_save(index, path));
  REQUIRE_OK(wdc_index_load(path, "{\"max_file_bytes\": 100000000}", &loaded));
  CHECK(wdc_index_count(loaded) == N);
  REQUIRE_OK(wdc_similar_dataset(model, loaded, data, 0, N, 4, &again));
  CHECK(strcmp(result, again) == 0);
  wdc_string_free(again);

  /* Refusals leave out-parameters as they were. */
  REQUIRE_OK(wdc_create(TINY_CONFIG, &other));
  CHECK_FAILS(wdc_similar(other, index, g_maps, 1, H, W, 3, &text), WDC_E_INVALID_ARGUMENT,
              "wdc_similar");
  CHECK(strstr(wdc_last_error(), "another model") != NULL);
  CHECK_FAILS(wdc_similar(model, index, g_maps, 1, H, W, 0, &text), WDC_E_INVALID_ARGUMENT,
              "wdc_similar");
  CHECK_FAILS(wdc_similar_dataset(model, index, data, 0, N + 1, 3, &text),
              WDC_E_INVALID_ARGUMENT, "wdc_similar_dataset");
  CHECK(text == (char *)&g_labels);
  snprintf(path, sizeof path, "%s/synth64.npz", g_fixtures);
  CHECK_FAILS(wdc_index_load(path, NULL, &untouched), WDC_E_FORMAT, "wdc_index_load");
  snprintf(path, sizeof path, "%s/no_such_index.npz", g_tmp);
  CHECK_FAILS(wdc_index_load(path, NULL, &untouched), WDC_E_IO, "wdc_index_load");
  CHECK_FAILS(wdc_index_load(path, "{\"max_bytes\": 1}", &untouched), WDC_E_CONFIG,
              "wdc_index_load");
  CHECK(untouched == (wdc_index *)&g_maps);

  wdc_index_free(loaded);
  CHECK(wdc_index_count(loaded) == -1);
  CHECK_FAILS(wdc_similar(model, loaded, g_maps, 1, H, W, 3, &text), WDC_E_MISUSE,
              "wdc_similar");
  wdc_index_free(NULL);
  wdc_index_free(index);
  wdc_string_free(result);
  wdc_free(other);
  wdc_dataset_free(data);
  wdc_free(model);
  free(e);
}

int main(int argc, char **argv) {
  int i;
  if (argc >= 2) g_fixtures = argv[1];
  if (argc >= 3) g_tmp = argv[2];
  for (i = 0; i < N; ++i) {
    wdct_make_map(g_maps + i * H * W, H, W, i % WDCT_PATTERNS, 11u + (uint32_t)i);
    if (i > 0 && i <= 8) g_labels[i * 8 + (i - 1)] = 1;
  }
  RUN_TEST(test_embeddings);
  RUN_TEST(test_index_answers_the_largest_dot_products);
  return wdct_finish();
}
