/* Every bad input and misuse in docs/RELIABILITY.md's table, tried through the C ABI: each case
 * states the status it must give, and the program fails when one gives another. Its output is
 * the table itself, so the document cannot drift from what the library does:
 *
 *   reliability_cases FIXTURES TEMP NPZ_FIXTURES --check docs/RELIABILITY.md   (CTest)
 *   reliability_cases FIXTURES TEMP NPZ_FIXTURES --write docs/RELIABILITY.md   (after a change)
 *
 * FIXTURES holds synth64.npz and garbage.bin (tests/c fixtures);
 * NPZ_FIXTURES is tests/fixtures/npz. Paths in messages are shown as <fixtures>, <tmp>, <npz>. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wdc/wdc.h"

#define BEGIN_MARK "<!-- reliability-cases:begin -->\n"
#define END_MARK "<!-- reliability-cases:end -->\n"
#define H 52
#define W 52
#define LABELS 8

static const char *g_fixtures, *g_tmp, *g_npz;
static char *g_table = NULL;
static size_t g_table_len = 0, g_table_cap = 0;
static int g_cases = 0, g_wrong = 0;

static void append(const char *text) {
  const size_t n = strlen(text);
  if (g_table_len + n + 1 > g_table_cap) {
    g_table_cap = (g_table_len + n + 1) * 2;
    g_table = (char *)realloc(g_table, g_table_cap);
    if (g_table == NULL) abort();
  }
  memcpy(g_table + g_table_len, text, n + 1);
  g_table_len += n;
}

/* Appends `message` with the run's directories replaced by placeholders and '|' escaped. */
static void append_message(const char *message) {
  const char *prefixes[3];
  const char *names[3] = {"<fixtures>", "<tmp>", "<npz>"};
  char one[2] = {0, 0};
  prefixes[0] = g_fixtures;
  prefixes[1] = g_tmp;
  prefixes[2] = g_npz;
  while (*message) {
    int replaced = 0, i;
    for (i = 0; i < 3 && !replaced; ++i) {
      const size_t n = strlen(prefixes[i]);
      if (n > 0 && strncmp(message, prefixes[i], n) == 0) {
        append(names[i]);
        message += n;
        replaced = 1;
      }
    }
    if (replaced) continue;
    if (*message == '|') append("\\");
    one[0] = *message == '\n' ? ' ' : *message;
    append(one);
    ++message;
  }
}

static void row(const char *area, const char *what, const char *result, const char *message) {
  char number[32];
  snprintf(number, sizeof number, "| %d | ", ++g_cases);
  append(number);
  append(area);
  append(" | ");
  append(what);
  append(" | `");
  append(result);
  append("` | ");
  append_message(message);
  append(" |\n");
}

/* A call that returns a status: it must be `expected`; the row shows the thread's message. */
static void status_case(const char *area, const char *what, wdc_status expected,
                        wdc_status got) {
  const char *message = got == WDC_OK ? "" : wdc_last_error();
  if (got != expected) {
    g_wrong++;
    fprintf(stderr, "case %d (%s: %s): got %s, expected %s: %s\n", g_cases + 1, area, what,
            wdc_status_name(got), wdc_status_name(expected), message);
  }
  row(area, what, wdc_status_name(got), message);
}

/* A call with another kind of result (e.g. -1, NULL): `ok` says whether it was the documented
   one; `result` is what the table shows. */
static void value_case(const char *area, const char *what, int ok, const char *result) {
  if (!ok) {
    g_wrong++;
    fprintf(stderr, "case %d (%s: %s): unexpected result %s\n", g_cases + 1, area, what, result);
  }
  row(area, what, result, wdc_last_error());
}

static const char *path_in(const char *dir, const char *name) {
  static char buffers[4][1024];
  static int next = 0;
  char *out = buffers[next++ % 4];
  snprintf(out, 1024, "%s/%s", dir, name);
  return out;
}

/* Writes `size` bytes of `source`, with byte `flip` inverted when flip >= 0, to `dest`. */
static int copy_damaged(const char *source, const char *dest, long size, long flip) {
  FILE *in = fopen(source, "rb"), *out = fopen(dest, "wb");
  long i;
  int c = 0;
  if (in == NULL || out == NULL) return 0;
  for (i = 0; (size < 0 || i < size) && (c = fgetc(in)) != EOF; ++i)
    fputc(i == flip ? (c ^ 0xff) : c, out);
  fclose(in);
  return fclose(out) == 0;
}

/* An untrained model of a fixed small network: its file's size is the same on every run, so
   the messages that quote sizes are too. */
#define MODEL_CONFIG "{\"blocks\": [{\"channels\": 8, \"stride\": 2}, {\"channels\": 8}]}"
static char g_model[1024];

static int save_model(void) {
  wdc_model *m = NULL;
  int ok;
  snprintf(g_model, sizeof g_model, "%s", path_in(g_tmp, "model.wdcm"));
  if (wdc_create(MODEL_CONFIG, &m) != WDC_OK) return 0;
  ok = wdc_save(m, g_model) == WDC_OK;
  wdc_free(m);
  return ok;
}

static void file_cases(void) {
  wdc_model *m = NULL;
  const char *model = g_model;
  copy_damaged(model, path_in(g_tmp, "truncated.wdcm"), 1000, -1);
  copy_damaged(model, path_in(g_tmp, "flipped.wdcm"), -1, 5000);
  copy_damaged(model, path_in(g_tmp, "empty.wdcm"), 0, -1);
  status_case("files", "wdc_load of a path that does not exist", WDC_E_IO,
              wdc_load(path_in(g_tmp, "missing.wdcm"), NULL, &m));
  status_case("files", "wdc_load of a directory", WDC_E_IO, wdc_load(g_tmp, NULL, &m));
  status_case("files", "wdc_load of /dev/zero (endless)", WDC_E_IO,
              wdc_load("/dev/zero", NULL, &m));
  status_case("files", "wdc_load of an empty file", WDC_E_FORMAT,
              wdc_load(path_in(g_tmp, "empty.wdcm"), NULL, &m));
  status_case("files", "wdc_load of random bytes", WDC_E_FORMAT,
              wdc_load(path_in(g_fixtures, "garbage.bin"), NULL, &m));
  status_case("files", "wdc_load of an npz file", WDC_E_FORMAT,
              wdc_load(path_in(g_fixtures, "synth64.npz"), NULL, &m));
  status_case("files", "wdc_load of a model cut after 1000 bytes", WDC_E_FORMAT,
              wdc_load(path_in(g_tmp, "truncated.wdcm"), NULL, &m));
  status_case("files", "wdc_load of a model with one byte flipped", WDC_E_FORMAT,
              wdc_load(path_in(g_tmp, "flipped.wdcm"), NULL, &m));
  status_case("files", "wdc_load of a model larger than max_file_bytes 1024", WDC_E_FORMAT,
              wdc_load(model, "{\"max_file_bytes\": 1024}", &m));
  status_case("files", "wdc_load of a model with more than max_parameters 1000", WDC_E_CONFIG,
              wdc_load(model, "{\"max_parameters\": 1000}", &m));

  if (wdc_load(model, "{\"threads\": 1}", &m) != WDC_OK) return;
  {
    static const struct {
      const char *file, *what;
    } bad_npz[] = {
        {"not_a_zip.npz", "wdc_evaluate of an npz that is not a zip archive"},
        {"bad_missing_arr1.npz", "wdc_evaluate of an npz without labels (arr_1)"},
        {"bad_negative_map.npz", "wdc_evaluate of maps with negative values"},
        {"bad_map_fraction.npz", "wdc_evaluate of float maps holding 1.5"},
        {"bad_map_rank.npz", "wdc_evaluate of maps of the wrong rank"},
        {"bad_n_mismatch.npz", "wdc_evaluate of 3 maps with 2 label vectors"},
        {"bad_label_value.npz", "wdc_evaluate of a label value 2"},
    };
    size_t i;
    char *report = NULL;
    status_case("files", "wdc_evaluate of a path that does not exist", WDC_E_IO,
                wdc_evaluate(m, path_in(g_tmp, "missing.npz"), &report));
    status_case("files", "wdc_evaluate of random bytes", WDC_E_FORMAT,
                wdc_evaluate(m, path_in(g_fixtures, "garbage.bin"), &report));
    for (i = 0; i < sizeof bad_npz / sizeof bad_npz[0]; ++i)
      status_case("files", bad_npz[i].what, WDC_E_FORMAT,
                  wdc_evaluate(m, path_in(g_npz, bad_npz[i].file), &report));
    {
      /* The named and ragged layouts of docs/DATA.md, read by wdc_dataset_load. */
      static const struct {
        const char *file, *what;
      } bad_ragged[] = {
          {"bad_ragged_sum.npz", "wdc_dataset_load of map shapes that need more values than present"},
          {"bad_ragged_zero_side.npz", "wdc_dataset_load of a map with a side of 0"},
          {"bad_ragged_negative_side.npz", "wdc_dataset_load of a map of -6 x -3"},
          {"bad_ragged_overflow.npz", "wdc_dataset_load of map sides of 2^40 and 2^62"},
          {"bad_ragged_shapes_rank.npz", "wdc_dataset_load of shapes that are not (N, 2)"},
          {"bad_ragged_count.npz", "wdc_dataset_load of 2 shapes for 3 maps"},
          {"bad_ragged_map_rank.npz", "wdc_dataset_load of ragged maps that are not 1-D"},
          {"bad_class_range.npz", "wdc_dataset_load of class 3 with 3 label names"},
          {"bad_class_negative.npz", "wdc_dataset_load of class -1"},
          {"bad_names_count.npz", "wdc_dataset_load of 2 label columns and 3 names"},
          {"bad_names_dtype.npz", "wdc_dataset_load of label names that are integers"},
          {"bad_names_repeat.npz", "wdc_dataset_load of a repeated label name"},
          {"bad_label_fraction.npz", "wdc_dataset_load of a class index 0.5"},
      };
      wdc_dataset *set = NULL;
      for (i = 0; i < sizeof bad_ragged / sizeof bad_ragged[0]; ++i)
        status_case("files", bad_ragged[i].what, WDC_E_FORMAT,
                    wdc_dataset_load(path_in(g_npz, bad_ragged[i].file), NULL, &set));
      {
        /* Map indexes (`wdc embed`'s npz), read by wdc_index_load. */
        static const struct {
          const char *file, *what;
        } bad_index[] = {
            {"bad_index_rows.npz", "wdc_index_load of 2 embeddings for 3 labels"},
            {"bad_index_nan.npz", "wdc_index_load of an embedding value that is NaN"},
            {"bad_index_rank.npz", "wdc_index_load of embeddings that are not (N, D)"},
            {"bad_index_no_model.npz", "wdc_index_load of an index without its model's fingerprint"},
            {"bad_index_models.npz", "wdc_index_load of two model fingerprints"},
            {"bad_index_class.npz", "wdc_index_load of class 5 with 3 label names"},
            {"wafer_ragged.npz", "wdc_index_load of a data file (maps, no embeddings)"},
        };
        wdc_index *index = NULL;
        for (i = 0; i < sizeof bad_index / sizeof bad_index[0]; ++i)
          status_case("files", bad_index[i].what, WDC_E_FORMAT,
                      wdc_index_load(path_in(g_npz, bad_index[i].file), NULL, &index));
        if (wdc_index_load(path_in(g_npz, "index_small.npz"), NULL, &index) == WDC_OK) {
          char *found = NULL;
          const uint8_t map[4] = {1, 1, 1, 2};
          status_case("files", "wdc_similar with an index made by another model",
                      WDC_E_INVALID_ARGUMENT, wdc_similar(m, index, map, 1, 2, 2, 3, &found));
          wdc_index_free(index);
        }
      }
      status_case("files", "wdc_evaluate of WM-811K-like classes with a MixedWM38 model",
                  WDC_E_INVALID_ARGUMENT,
                  wdc_evaluate(m, path_in(g_npz, "wafer_ragged.npz"), &report));
    }
    {
      wdc_model *small = NULL;
      if (wdc_load(model, "{\"max_file_bytes\": 65536}", &small) == WDC_OK) {
        status_case("files", "wdc_evaluate of a 692 KB array with max_file_bytes 65536",
                    WDC_E_FORMAT, wdc_evaluate(small, path_in(g_fixtures, "synth64.npz"), &report));
        wdc_free(small);
      }
    }
    status_case("files", "wdc_save into a directory that does not exist", WDC_E_IO,
                wdc_save(m, path_in(g_tmp, "no/such/dir/model.wdcm")));
    status_case("files", "wdc_save onto a directory", WDC_E_IO, wdc_save(m, g_tmp));
  }
  wdc_free(m);
}

static void config_cases(void) {
  static const struct {
    const char *config, *options, *what;
    wdc_status expected;
  } cases[] = {
      {"{\"blocks\": [", NULL, "config: invalid JSON", WDC_E_CONFIG},
      {"[1, 2]", NULL, "config: an array instead of an object", WDC_E_CONFIG},
      {"{\"dropout\": 1e999}", NULL, "config: a number beyond double's range", WDC_E_CONFIG},
      {"{\"blokcs\": []}", NULL, "config: a misspelt key", WDC_E_CONFIG},
      {"{\"blocks\": []}", NULL, "config: no blocks", WDC_E_CONFIG},
      {"{\"blocks\": [{\"channels\": 0}]}", NULL, "config: 0 channels", WDC_E_CONFIG},
      {"{\"blocks\": [{\"kernel\": 4}]}", NULL, "config: an even kernel", WDC_E_CONFIG},
      {"{\"blocks\": [{\"channels\": \"32\"}]}", NULL, "config: channels as a string",
       WDC_E_CONFIG},
      {"{\"input\": {\"encoding\": \"rgb\"}}", NULL, "config: an unknown encoding", WDC_E_CONFIG},
      {"{\"input\": {\"fail_fraction\": 1}}", NULL, "config: fail_fraction as a number",
       WDC_E_CONFIG},
      {"{\"ensemble\": [{}]}", NULL, "config: an ensemble of one member", WDC_E_CONFIG},
      {"{\"blocks\": [{}], \"ensemble\": [{}, {}]}", NULL,
       "config: an ensemble with blocks of its own", WDC_E_CONFIG},
      {"{\"ensemble\": [{}, {\"labels\": [\"a\"]}]}", NULL, "config: a member with labels",
       WDC_E_CONFIG},
      {"{\"dropout\": 1}", NULL, "config: dropout 1", WDC_E_CONFIG},
      {"{\"labels\": []}", NULL, "config: no labels", WDC_E_CONFIG},
      {"{\"blocks\": [{\"channels\": 4096, \"kernel\": 11}, {\"channels\": 4096, \"kernel\": 11}]}",
       NULL, "config: 2 billion parameters (max_parameters)", WDC_E_CONFIG},
      {NULL, "{\"device\": \"tpu\"}", "options: an unknown device", WDC_E_CONFIG},
      {NULL, "{\"threads\": -1}", "options: threads -1", WDC_E_CONFIG},
      {NULL, "{\"max_batch\": 0}", "options: max_batch 0", WDC_E_CONFIG},
      {NULL, "{\"max_map_side\": \"big\"}", "options: a limit as a string", WDC_E_CONFIG},
      {NULL, "{\"max_maps\": 4}", "options: an unknown limit", WDC_E_CONFIG},
      {NULL, "{\"buffer_cache\": 1}", "options: buffer_cache as a number", WDC_E_CONFIG},
      {NULL, "{\"openblas_threads\": -1}", "options: openblas_threads -1", WDC_E_CONFIG},
      {NULL, "{\"precision\": \"fp16\"}", "options: an unknown precision", WDC_E_CONFIG},
      {NULL, "{\"device\": \"cuda\"}", "options: device cuda on a machine without CUDA",
       WDC_E_UNSUPPORTED},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    wdc_model *m = NULL;
    const wdc_status status = wdc_create_with_options(cases[i].config, cases[i].options, &m);
    if (status == WDC_OK && cases[i].expected == WDC_E_UNSUPPORTED) {
      wdc_free(m); /* a machine with a GPU: the case does not apply */
      row("configs", cases[i].what, "WDC_OK", "(this machine has CUDA)");
      continue;
    }
    status_case("configs", cases[i].what, cases[i].expected, status);
    if (status == WDC_OK) wdc_free(m);
  }
  {
    /* bf16 without native bfloat16: oneDNN capped below it stands in for such a CPU, so that
       the row reads the same on every machine. */
    wdc_model *m = NULL;
    wdc_status status;
    setenv("ONEDNN_MAX_CPU_ISA", "avx2", 1);
    status = wdc_create_with_options(NULL, "{\"precision\": \"bf16\"}", &m);
    unsetenv("ONEDNN_MAX_CPU_ISA");
    status_case("configs", "options: precision bf16 without native bfloat16 (oneDNN capped at AVX2)",
                WDC_E_UNSUPPORTED, status);
    if (status == WDC_OK) wdc_free(m);
  }
}

static void training_option_cases(wdc_model *m) {
  static const struct {
    const char *options, *what;
    wdc_status expected;
  } cases[] = {
      {"{\"epochs\": 1}", "train: no data source", WDC_E_CONFIG},
      {"{\"data\": \"a.npz\", \"synthetic\": 10}", "train: two data sources", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"epochs\": 0}", "train: 0 epochs", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"lr\": -1e999}", "train: a number beyond double's range",
       WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"lr\": \"fast\"}", "train: lr as a string", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"resume\": true}", "train: resume without a checkpoint",
       WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"schedule\": \"step\"}", "train: an unknown schedule", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"epoch\": 3}", "train: a misspelt key", WDC_E_CONFIG},
      {"{\"synthetic\": 1000000}", "train: 1,000,000 generated maps (max_file_bytes)",
       WDC_E_CONFIG},
      {"{\"data\": \"/nonexistent/train.npz\"}", "train: a data file that does not exist",
       WDC_E_IO},
      {"{\"synthetic\": 10, \"world_size\": 2}", "train: 2 ranks without dist_url",
       WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"world_size\": 2, \"rank\": 2, \"dist_url\": \"tcp://127.0.0.1:1\"}",
       "train: rank 2 of 2", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"world_size\": 2, \"dist_url\": \"tcp://127.0.0.1:99999\"}",
       "train: dist_url port 99999", WDC_E_CONFIG},
      {"{\"synthetic\": 10, \"world_size\": 2, \"rank\": 1, \"dist_url\": "
       "\"tcp://127.0.0.1:9\", \"dist_timeout\": 1}",
       "train: a rendezvous nobody serves (dist_timeout 1 s)", WDC_E_RUNTIME},
      {"{\"synthetic\": 10, \"deterministic\": 1}", "train: deterministic as a number",
       WDC_E_CONFIG},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    status_case("configs", cases[i].what, cases[i].expected,
                wdc_train(m, cases[i].options, NULL, NULL, NULL));
}

static void cross_validation_cases(wdc_model *m) {
  static const struct {
    const char *options, *what;
    wdc_status expected;
  } cases[] = {
      {"{\"folds\": 1}", "cross-validate: 1 fold", WDC_E_CONFIG},
      {"{\"folds\": 101}", "cross-validate: 101 folds", WDC_E_CONFIG},
      {"{\"folds\": \"5\"}", "cross-validate: folds as a string", WDC_E_CONFIG},
      {"{\"keep_probabilities\": 1}", "cross-validate: keep_probabilities as a number",
       WDC_E_CONFIG},
      {"{\"resume\": true}", "cross-validate: resume without a checkpoint", WDC_E_CONFIG},
      {"{\"checkpoint\": \"\"}", "cross-validate: an empty checkpoint prefix", WDC_E_CONFIG},
      {"{\"data\": \"train.npz\"}", "cross-validate: a data file in the options", WDC_E_CONFIG},
      {"{\"folds\": 13}", "cross-validate: 13 folds of 12 maps", WDC_E_INVALID_ARGUMENT},
  };
  static const uint8_t map[4] = {1, 2, 2, 1};
  static const int64_t shape[2] = {2, 2};
  static const uint8_t one_class[2] = {1, 0};
  /* Files a resumed run finds: a fold file of another run (its digest), a damaged one, and a
     run file of another run. */
  static const struct {
    const char *prefix, *suffix, *text, *what;
    wdc_status expected;
  } fold_files[] = {
      {"other", ".fold1.json",
       "{\"format\": \"wdc cross-validation fold\", \"version\": 1, "
       "\"digest\": \"0000000000000000\", \"fold\": 1}",
       "cross-validate --resume: a fold file another cross-validation wrote", WDC_E_CONFIG},
      {"damaged", ".fold1.json",
       "{\"format\": \"wdc cross-validation fold\", \"version\": 1, \"dig",
       "cross-validate --resume: a damaged fold file", WDC_E_FORMAT},
      {"other_run", ".cv",
       "{\"format\": \"wdc cross-validation run\", \"version\": 1, "
       "\"digest\": \"0000000000000000\"}",
       "cross-validate --resume: a run file another cross-validation wrote", WDC_E_CONFIG},
  };
  wdc_dataset *data = NULL, *other = NULL;
  char *report = NULL, options[1200];
  FILE *file;
  size_t i;
  if (wdc_dataset_synthesize(12, 1, &data) != WDC_OK ||
      wdc_dataset_create_ragged(map, 4, shape, 1, one_class, 2,
                                "{\"labels\": [\"A\", \"B\"], \"single_label\": true}",
                                &other) != WDC_OK) {
    fprintf(stderr, "cross_validation_cases: could not make the data sets: %s\n",
            wdc_last_error());
    ++g_wrong;
    return;
  }
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    status_case("configs", cases[i].what, cases[i].expected,
                wdc_cross_validate(m, cases[i].options, data, NULL, NULL, NULL, &report));
  status_case("data sets", "wdc_cross_validate pooling data sets of other labels",
              WDC_E_INVALID_ARGUMENT,
              wdc_cross_validate(m, "{\"folds\": 2}", data, other, NULL, NULL, &report));
  for (i = 0; i < sizeof fold_files / sizeof fold_files[0]; ++i) {
    char name[64];
    snprintf(name, sizeof name, "%s%s", fold_files[i].prefix, fold_files[i].suffix);
    file = fopen(path_in(g_tmp, name), "w");
    if (file == NULL || fputs(fold_files[i].text, file) < 0 || fclose(file) != 0) {
      fprintf(stderr, "cross_validation_cases: cannot write %s\n", path_in(g_tmp, name));
      ++g_wrong;
      continue;
    }
    snprintf(options, sizeof options, "{\"folds\": 2, \"checkpoint\": \"%s\", \"resume\": true}",
             path_in(g_tmp, fold_files[i].prefix));
    status_case("files", fold_files[i].what, fold_files[i].expected,
                wdc_cross_validate(m, options, data, NULL, NULL, NULL, &report));
  }
  wdc_dataset_free(data);
  wdc_dataset_free(other);
}

static void buffer_cases(wdc_model *m) {
  static uint8_t maps[3 * H * W];
  static float out[3 * LABELS + H * W];
  status_case("buffers", "predict: maps NULL", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, NULL, 1, H, W, out, LABELS));
  status_case("buffers", "predict: count 0", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 0, H, W, out, LABELS));
  status_case("buffers", "predict: height -1", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 1, -1, W, out, LABELS));
  status_case("buffers", "predict: a 5000x5000 map (max_map_side)", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 1, 5000, 5000, out, LABELS));
  status_case("buffers", "predict: 3 maps with max_batch 2", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 3, H, W, out, 3 * LABELS));
  status_case("buffers", "predict: count*height*width overflows int64", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, INT64_MAX / 2, 4, 4, out, LABELS));
  status_case("buffers", "predict: probabilities NULL", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 1, H, W, NULL, LABELS));
  status_case("buffers", "predict: probabilities one float short", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 2, H, W, out, 2 * LABELS - 1));
  status_case("buffers", "predict: probabilities_len negative", WDC_E_INVALID_ARGUMENT,
              wdc_predict(m, maps, 1, H, W, out, -8));
  status_case("buffers", "cam: label -1", WDC_E_INVALID_ARGUMENT,
              wdc_cam(m, maps, H, W, -1, out, H * W));
  status_case("buffers", "cam: label 8 of 8", WDC_E_INVALID_ARGUMENT,
              wdc_cam(m, maps, H, W, 8, out, H * W));
  status_case("buffers", "cam: cam_len one float short", WDC_E_INVALID_ARGUMENT,
              wdc_cam(m, maps, H, W, 0, out, H * W - 1));
  status_case("buffers", "info: info_json NULL", WDC_E_INVALID_ARGUMENT, wdc_info(m, NULL));
  status_case("buffers", "train: train_json NULL", WDC_E_INVALID_ARGUMENT,
              wdc_train(m, NULL, NULL, NULL, NULL));
  status_case("buffers", "load: path \"\"", WDC_E_INVALID_ARGUMENT, wdc_load("", NULL, NULL));
}

static void handle_cases(void) {
  static uint8_t map[H * W];
  static float out[LABELS];
  struct {
    uint64_t words[8];
  } not_a_model = {{0}};
  wdc_model *freed = NULL;
  char result[32];
  int32_t n;
  status_case("handles", "predict on NULL", WDC_E_MISUSE,
              wdc_predict(NULL, map, 1, H, W, out, LABELS));
  status_case("handles", "predict on a pointer to something else", WDC_E_MISUSE,
              wdc_predict((wdc_model *)&not_a_model, map, 1, H, W, out, LABELS));
  if (wdc_create("{\"blocks\": [{\"channels\": 4, \"stride\": 4}]}", &freed) != WDC_OK) return;
  wdc_free(freed);
  status_case("handles", "predict on a freed handle", WDC_E_MISUSE,
              wdc_predict(freed, map, 1, H, W, out, LABELS));
  status_case("handles", "save on a freed handle", WDC_E_MISUSE,
              wdc_save(freed, path_in(g_tmp, "freed.wdcm")));
  wdc_free(freed);
  value_case("handles", "wdc_free twice", strstr(wdc_last_error(), "wdc_free") != NULL,
             "no effect");
  n = wdc_num_labels(freed);
  snprintf(result, sizeof result, "returns %d", (int)n);
  value_case("handles", "wdc_num_labels on a freed handle", n == -1, result);
  value_case("handles", "wdc_label_name on a freed handle", wdc_label_name(freed, 0) == NULL,
             "returns NULL");
  status_case("handles", "wdc_create with out NULL", WDC_E_INVALID_ARGUMENT,
              wdc_create(NULL, NULL));
}

/* ---- calls during training: the trainer holds the model, everyone else gets WDC_E_BUSY ------ */

typedef struct {
  wdc_model *model;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int training, others_done;
  wdc_status result;
} busy_state;

static int32_t hold_training(const wdc_progress *progress, void *user) {
  busy_state *s = (busy_state *)user;
  (void)progress;
  pthread_mutex_lock(&s->lock);
  s->training = 1;
  pthread_cond_broadcast(&s->changed);
  while (!s->others_done) pthread_cond_wait(&s->changed, &s->lock);
  pthread_mutex_unlock(&s->lock);
  return 1; /* cancel */
}

/* Data sets, decisions, pictures, reports and config files: the functions the CLI is built on. */
static void dataset_cases(wdc_model *m) {
  static uint8_t maps[2 * H * W];
  static uint8_t labels[2 * LABELS];
  static float cam[H * W];
  wdc_dataset *d = NULL, *parts[3] = {NULL, NULL, NULL};
  char *text = NULL, *other = NULL;
  uint8_t out[H * W];
  char config[1024];
  FILE *f;

  status_case("data sets", "wdc_dataset_load of an npz whose arr_1 has a label 2", WDC_E_FORMAT,
              wdc_dataset_load(path_in(g_npz, "bad_label_value.npz"), NULL, &d));
  status_case("data sets", "wdc_dataset_load of an npz without arr_1", WDC_E_FORMAT,
              wdc_dataset_load(path_in(g_npz, "bad_missing_arr1.npz"), NULL, &d));
  status_case("data sets", "wdc_dataset_load of a file that is not a zip", WDC_E_FORMAT,
              wdc_dataset_load(path_in(g_npz, "not_a_zip.npz"), NULL, &d));
  status_case("data sets", "wdc_dataset_load with options {\"max_file_bytes\": 0}", WDC_E_CONFIG,
              wdc_dataset_load(path_in(g_fixtures, "synth64.npz"), "{\"max_file_bytes\": 0}",
                               &d));
  labels[3] = 7;
  status_case("data sets", "wdc_dataset_create with a label value 7", WDC_E_INVALID_ARGUMENT,
              wdc_dataset_create(maps, 2, H, W, labels, 2 * LABELS, &d));
  labels[3] = 0;
  status_case("data sets", "wdc_dataset_create with labels_len one short",
              WDC_E_INVALID_ARGUMENT, wdc_dataset_create(maps, 2, H, W, labels, 15, &d));
  status_case("data sets", "wdc_dataset_create of 2^62 maps", WDC_E_INVALID_ARGUMENT,
              wdc_dataset_create(maps, (int64_t)1 << 62, H, W, NULL, 0, &d));
  {
    /* Two maps of 2 x 3 and 3 x 2 in caller buffers (wdc_dataset_create_ragged). */
    int64_t shapes[4] = {2, 3, 3, 2};
    const uint8_t classes[4] = {1, 0, 0, 1};
    status_case("data sets", "wdc_dataset_create_ragged with shapes adding up to more than maps_len",
                WDC_E_INVALID_ARGUMENT,
                wdc_dataset_create_ragged(maps, 11, shapes, 2, NULL, 0, NULL, &d));
    shapes[2] = 0;
    status_case("data sets", "wdc_dataset_create_ragged with a side of 0", WDC_E_INVALID_ARGUMENT,
                wdc_dataset_create_ragged(maps, 12, shapes, 2, NULL, 0, NULL, &d));
    shapes[2] = (int64_t)1 << 40;
    status_case("data sets", "wdc_dataset_create_ragged with a side of 2^40",
                WDC_E_INVALID_ARGUMENT,
                wdc_dataset_create_ragged(maps, 12, shapes, 2, NULL, 0, NULL, &d));
    shapes[2] = 3;
    status_case("data sets", "wdc_dataset_create_ragged with a repeated label name",
                WDC_E_INVALID_ARGUMENT,
                wdc_dataset_create_ragged(maps, 12, shapes, 2, classes, 4,
                                          "{\"labels\": [\"a\", \"a\"]}", &d));
    status_case("data sets", "wdc_dataset_create_ragged of a single-label map with two classes",
                WDC_E_INVALID_ARGUMENT,
                wdc_dataset_create_ragged(maps, 12, shapes, 2, (const uint8_t *)"\1\1\0\1", 4,
                                          "{\"labels\": [\"a\", \"b\"], \"single_label\": true}",
                                          &d));
    status_case("data sets", "wdc_dataset_create_ragged with an unknown option",
                WDC_E_CONFIG,
                wdc_dataset_create_ragged(maps, 12, shapes, 2, NULL, 0, "{\"classes\": 2}", &d));
  }
  status_case("data sets", "wdc_dataset_synthesize of 10000001 maps", WDC_E_INVALID_ARGUMENT,
              wdc_dataset_synthesize(10000001, 0, &d));
  status_case("data sets", "wdc_dataset_maps of a NULL data set", WDC_E_MISUSE,
              wdc_dataset_maps(d, 0, 1, out, sizeof out));
  if (wdc_dataset_create(maps, 2, H, W, labels, 2 * LABELS, &d) != WDC_OK) {
    g_wrong++;
    fprintf(stderr, "cannot create a data set: %s\n", wdc_last_error());
    return;
  }
  status_case("data sets", "wdc_dataset_maps of maps [1, 3) of 2", WDC_E_INVALID_ARGUMENT,
              wdc_dataset_maps(d, 1, 2, out, sizeof out));
  status_case("data sets", "wdc_dataset_split with val 0.6 and test 0.6", WDC_E_CONFIG,
              wdc_dataset_split(d, "{\"val\": 0.6, \"test\": 0.6}", &parts[0], &parts[1],
                                &parts[2]));
  status_case("data sets", "wdc_dataset_save into a directory that does not exist", WDC_E_IO,
              wdc_dataset_save(d, path_in(g_tmp, "no/such/dir.npz"), NULL));
  status_case("data sets", "wdc_classify_dataset of maps [0, 3) of 2", WDC_E_INVALID_ARGUMENT,
              wdc_classify_dataset(m, d, 0, 3, &text));
  status_case("data sets", "wdc_evaluate_dataset with a model handle as the data set",
              WDC_E_MISUSE, wdc_evaluate_dataset(m, (const wdc_dataset *)m, &text));
  status_case("data sets", "wdc_report into a path that is a file", WDC_E_INVALID_ARGUMENT,
              wdc_report(m, d, path_in(g_fixtures, "garbage.bin"), NULL, &text));
  status_case("data sets", "wdc_report with per_type 1000", WDC_E_CONFIG,
              wdc_report(m, d, path_in(g_tmp, "report"), "{\"per_type\": 1000}", &text));
  wdc_dataset_free(d);
  status_case("decisions", "wdc_evaluate_maps with a label value 2", WDC_E_INVALID_ARGUMENT,
              wdc_evaluate_maps(m, maps, 1, H, W, (const uint8_t *)"\2\0\0\0\0\0\0\0", 8,
                                &text));
  status_case("decisions", "wdc_thresholds into a buffer of 7", WDC_E_INVALID_ARGUMENT,
              wdc_thresholds(m, cam, 7));
  value_case("decisions", "wdc_label_index of \"Nope\"", wdc_label_index(m, "Nope") == -1,
             "-1");
  status_case("pictures", "wdc_write_map_png with scale 0", WDC_E_CONFIG,
              wdc_write_map_png(path_in(g_tmp, "x.png"), maps, H, W, cam, H * W,
                                "{\"scale\": 0}"));
  status_case("pictures", "wdc_write_map_png with cam_len one short", WDC_E_INVALID_ARGUMENT,
              wdc_write_map_png(path_in(g_tmp, "x.png"), maps, H, W, cam, H * W - 1, NULL));
  snprintf(config, sizeof config, "%s", path_in(g_tmp, "bad_config.json"));
  f = fopen(config, "wb");
  if (f != NULL) {
    fputs("{\"network\": {}, \"train\": []}", f);
    fclose(f);
  }
  status_case("config files", "wdc_config_read of {\"network\": {}, \"train\": []}", WDC_E_CONFIG,
              wdc_config_read(config, &text, &other));
  status_case("config files", "wdc_config_read of a file that does not exist", WDC_E_IO,
              wdc_config_read(path_in(g_tmp, "missing.json"), &text, &other));
}

static void *train_thread(void *arg) {
  busy_state *s = (busy_state *)arg;
  s->result = wdc_train(s->model, "{\"synthetic\": 64, \"epochs\": 1, \"threads\": 1}",
                        hold_training, s, NULL);
  return NULL;
}

/* ---- novelty ---------------------------------------------------------------------------------- */

/* CRC-32 as zlib computes it (the model file's checksum), bit by bit: small files only. */
static uint32_t crc32_of(const unsigned char *bytes, size_t n) {
  uint32_t crc = 0xffffffffu;
  size_t i;
  int bit;
  for (i = 0; i < n; ++i) {
    crc ^= bytes[i];
    for (bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

static void put_u64(unsigned char *p, uint64_t v) {
  int i;
  for (i = 0; i < 8; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

/* Copies the model file `source` to `dest` with the first `from` in its metadata section replaced
   by `to` (up to the next ',' or '}' when `from` ends in ':'), lengths and checksum mended, so
   that only the metadata is wrong. Returns 0 when anything fails. */
static int rewrite_metadata(const char *source, const char *dest, const char *from,
                            const char *to) {
  FILE *f = fopen(source, "rb");
  unsigned char *in = NULL, *out = NULL;
  long size;
  uint64_t config_len, meta_len;
  const unsigned char *meta, *hit, *end;
  size_t before, after, cut, out_size;
  int ok = 0;
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 40) goto done;
  rewind(f);
  in = (unsigned char *)malloc((size_t)size + 1);
  if (in == NULL || fread(in, 1, (size_t)size, f) != (size_t)size) goto done;
  in[size] = 0;
  config_len = get_u64(in + 24);
  meta_len = get_u64(in + 32 + config_len);
  meta = in + 40 + config_len;
  end = meta + meta_len;
  for (hit = meta; hit + strlen(from) <= end && memcmp(hit, from, strlen(from)) != 0; ++hit) {
  }
  if (hit + strlen(from) > end) goto done;
  before = (size_t)(hit - in);
  cut = strlen(from);
  if (from[cut - 1] == ':')
    while (hit + cut < end && hit[cut] != ',' && hit[cut] != '}') ++cut;
  after = (size_t)size - before - cut;
  out_size = before + strlen(to) + after;
  out = (unsigned char *)malloc(out_size);
  if (out == NULL) goto done;
  memcpy(out, in, before);
  memcpy(out + before, to, strlen(to));
  memcpy(out + before + strlen(to), hit + cut, after);
  put_u64(out + 32 + config_len, meta_len - cut + strlen(to));
  put_u64(out + 16, out_size - 24);
  {
    const uint32_t crc = crc32_of(out + 24, out_size - 24);
    int i;
    for (i = 0; i < 4; ++i) out[12 + i] = (unsigned char)(crc >> (8 * i));
  }
  fclose(f);
  f = fopen(dest, "wb");
  ok = f != NULL && fwrite(out, 1, out_size, f) == out_size;
done:
  if (f != NULL) fclose(f);
  free(in);
  free(out);
  return ok;
}

static void novelty_cases(void) {
  wdc_model *m = NULL, *novel = NULL;
  wdc_dataset *train = NULL, *val = NULL;
  char *text = NULL;
  float out[2];
  uint8_t map[H * W];
  char path[1024]; /* path_in's buffers are reused: keep a copy */
  static const struct {
    const char *file, *from, *to, *what;
  } bad[] = {
      {"novelty_bank.wdcm", "\"bank\":", "\"bank\":100000000",
       "wdc_load of a model whose novelty bank is said to hold more maps than its weights do"},
      {"novelty_method.wdcm", "\"method\":\"knn\"", "\"method\":\"lof\"",
       "wdc_load of a model with an unknown novelty method"},
      {"novelty_k.wdcm", "\"k\":", "\"k\":0", "wdc_load of a model whose novelty k is 0"},
      {"novelty_threshold.wdcm", "\"threshold\":", "\"threshold\":null",
       "wdc_load of a model whose novelty threshold is not a number"},
      {"novelty_missing.wdcm", "\"novelty\":{", "\"novelty_\":{",
       "wdc_load of a model whose weights hold a novelty bank its metadata does not describe"},
  };
  size_t i;
  snprintf(path, sizeof path, "%s", path_in(g_tmp, "novelty.wdcm"));
  memset(map, 1, sizeof map);
  if (wdc_dataset_synthesize(40, 1, &train) != WDC_OK ||
      wdc_dataset_synthesize(20, 2, &val) != WDC_OK || wdc_create(MODEL_CONFIG, &m) != WDC_OK ||
      wdc_train_dataset(m, "{\"epochs\": 1, \"threads\": 1, \"novelty_k\": 2, \"novelty_bank\": 8}",
                        train, val, NULL, NULL, &text) != WDC_OK ||
      wdc_save(m, path) != WDC_OK) {
    fprintf(stderr, "cannot train the novelty test model: %s\n", wdc_last_error());
    g_wrong++;
    goto done;
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    const char *dest = path_in(g_tmp, bad[i].file);
    if (!rewrite_metadata(path, dest, bad[i].from, bad[i].to)) {
      fprintf(stderr, "cannot write %s\n", dest);
      g_wrong++;
      continue;
    }
    status_case("novelty", bad[i].what, WDC_E_FORMAT, wdc_load(dest, NULL, &novel));
  }
  status_case("novelty", "wdc_load with \"novelty_threshold\": \"high\"", WDC_E_CONFIG,
              wdc_load(path, "{\"novelty_threshold\": \"high\"}", &novel));
  status_case("novelty", "wdc_load of an untrained model (no statistics) with a novelty_threshold",
              WDC_E_INVALID_ARGUMENT, wdc_load(g_model, "{\"novelty_threshold\": 0.1}", &novel));
  {
    wdc_model *fresh = NULL;
    if (wdc_create(MODEL_CONFIG, &fresh) == WDC_OK) {
      status_case("novelty", "wdc_novelty of an untrained model", WDC_E_UNSUPPORTED,
                  wdc_novelty(fresh, map, 1, H, W, out, 1));
      wdc_free(fresh);
    }
  }
  status_case("novelty", "wdc_novelty with novelty_len 1 for 2 maps", WDC_E_INVALID_ARGUMENT,
              wdc_novelty(m, map, 2, H, W, out, 1));
  status_case("novelty", "wdc_fit_novelty with \"share\": 0.9", WDC_E_CONFIG,
              wdc_fit_novelty(m, train, val, "{\"share\": 0.9}", NULL));
  status_case("novelty", "wdc_fit_novelty with 40 training maps and \"k\": 50",
              WDC_E_INVALID_ARGUMENT, wdc_fit_novelty(m, train, val, "{\"k\": 50}", NULL));
done:
  wdc_string_free(text);
  wdc_free(m);
  wdc_dataset_free(train);
  wdc_dataset_free(val);
}

static void thread_cases(wdc_model *m) {
  static uint8_t map[H * W];
  static float out[H * W];
  busy_state s;
  pthread_t trainer;
  char *text = NULL;
  memset(&s, 0, sizeof s);
  s.model = m;
  pthread_mutex_init(&s.lock, NULL);
  pthread_cond_init(&s.changed, NULL);
  if (pthread_create(&trainer, NULL, train_thread, &s) != 0) return;
  pthread_mutex_lock(&s.lock);
  while (!s.training) pthread_cond_wait(&s.changed, &s.lock);
  pthread_mutex_unlock(&s.lock);

  status_case("threads", "predict while another thread trains the model", WDC_E_BUSY,
              wdc_predict(m, map, 1, H, W, out, LABELS));
  status_case("threads", "cam while another thread trains the model", WDC_E_BUSY,
              wdc_cam(m, map, H, W, 0, out, H * W));
  status_case("threads", "info while another thread trains the model", WDC_E_BUSY,
              wdc_info(m, &text));
  status_case("threads", "save while another thread trains the model", WDC_E_BUSY,
              wdc_save(m, path_in(g_tmp, "busy.wdcm")));
  status_case("threads", "evaluate while another thread trains the model", WDC_E_BUSY,
              wdc_evaluate(m, path_in(g_fixtures, "synth64.npz"), &text));
  status_case("threads", "a second train while another thread trains the model", WDC_E_BUSY,
              wdc_train(m, "{\"synthetic\": 10}", NULL, NULL, NULL));

  pthread_mutex_lock(&s.lock);
  s.others_done = 1;
  pthread_cond_broadcast(&s.changed);
  pthread_mutex_unlock(&s.lock);
  pthread_join(trainer, NULL);
  /* The trainer's message is thread-local to it; the table shows the status alone. */
  row("threads", "train cancelled by its progress callback", wdc_status_name(s.result), "");
  if (s.result != WDC_E_CANCELLED) {
    g_wrong++;
    fprintf(stderr, "cancelled training gave %s\n", wdc_status_name(s.result));
  }
  status_case("threads", "predict after the cancelled training", WDC_OK,
              wdc_predict(m, map, 1, H, W, out, LABELS));
}

/* ---- the document ------------------------------------------------------------------------- */

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  long size;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0) {
    rewind(f);
    text = (char *)malloc((size_t)size + 1);
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
      text[size] = '\0';
    } else {
      free(text);
      text = NULL;
    }
  }
  fclose(f);
  return text;
}

/* --check: 0 when the document's block equals the table; --write: replaces the block. */
static int sync_document(const char *mode, const char *path) {
  char *doc = read_file(path), *begin = NULL, *end = NULL;
  int result = 1;
  if (doc == NULL || (begin = strstr(doc, BEGIN_MARK)) == NULL ||
      (end = strstr(begin, END_MARK)) == NULL) {
    fprintf(stderr, "%s: cannot read it or find the %s ... %s markers\n", path, BEGIN_MARK,
            END_MARK);
  } else if (begin += strlen(BEGIN_MARK), strcmp(mode, "--check") == 0) {
    const size_t old_len = (size_t)(end - begin);
    if (old_len == g_table_len && memcmp(begin, g_table, old_len) == 0)
      result = 0;
    else
      fprintf(stderr,
              "%s is out of date: its table differs from what the library does now.\n"
              "Regenerate it with: %s --write %s (see the command in the document).\n"
              "Now:\n%s",
              path, "reliability_cases FIXTURES TEMP NPZ_FIXTURES", path, g_table);
  } else {
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
      fwrite(doc, 1, (size_t)(begin - doc), f);
      fwrite(g_table, 1, g_table_len, f);
      fputs(end, f);
      result = fclose(f) == 0 ? 0 : 1;
    }
  }
  free(doc);
  return result;
}

int main(int argc, char **argv) {
  wdc_model *m = NULL;
  int status;
  if (argc != 6 || (strcmp(argv[4], "--check") != 0 && strcmp(argv[4], "--write") != 0)) {
    fprintf(stderr, "usage: %s FIXTURES TEMP NPZ_FIXTURES --check|--write DOC.md\n", argv[0]);
    return 2;
  }
  g_fixtures = argv[1];
  g_tmp = argv[2];
  g_npz = argv[3];
  append("| # | area | what was tried | result | message |\n|---|---|---|---|---|\n");
  if (!save_model() || wdc_load(g_model, "{\"threads\": 1, \"max_batch\": 2}", &m) != WDC_OK) {
    fprintf(stderr, "cannot create and load the test model: %s\n", wdc_last_error());
    return 1;
  }
  file_cases();
  config_cases();
  training_option_cases(m);
  cross_validation_cases(m);
  buffer_cases(m);
  handle_cases();
  dataset_cases(m);
  novelty_cases();
  thread_cases(m);
  wdc_free(m);
  fprintf(stderr, "%d cases, %d with another result than expected\n", g_cases, g_wrong);
  status = g_wrong > 0 ? 1 : sync_document(argv[4], argv[5]);
  free(g_table);
  return status;
}
