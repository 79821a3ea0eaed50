/* wdc_cross_validate from C99: k-fold cross-validation of a recipe on maps in memory. A recipe
 * that can learn the maps scores well on folds it never saw; every map is held out exactly once;
 * the progress callback sees every fold with the appended fold fields; the model handed in is
 * only a template (its predictions do not change); bad options, too few maps, mismatched label
 * sets and cancellation fail with their documented status and leave the report untouched; a run
 * interrupted in its second fold resumes from its fold files without training the first fold
 * again, and fold files of another run or damaged ones are refused.
 *
 * usage: capi_cross_validate_test FIXTURE_DIR TEMP_DIR (as capi_test) */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "maps.h"
#include "wdc/wdc.h"

#define SIDE 20
#define COUNT 36
#define CLASSES 3
#define FOLDS 3
#define CONFIG                                                           \
  "{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"},"     \
  "\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}"
#define OPTIONS                                                                         \
  "{\"folds\": 3, \"epochs\": 8, \"lr\": 0.05, \"batch_size\": 4, \"val_fraction\": 0, " \
  "\"threads\": 1}"

static char *const STRING_SENTINEL = (char *)"untouched";
static const char *g_tmp = ".";

/* Progress as the callback saw it. */
typedef struct {
  int calls, bad_struct, folds_seen[FOLDS + 1], last_fold, out_of_order, total_folds;
  int cancel_after;   /* > 0: cancel on this call */
  int cancel_at_fold; /* > 0: cancel on the first call of this fold */
} progress_log;

static int32_t record_progress(const wdc_progress *p, void *user) {
  progress_log *log = (progress_log *)user;
  ++log->calls;
  if (p->struct_size < sizeof(wdc_progress)) {
    ++log->bad_struct;
  } else {
    if (p->fold >= 1 && p->fold <= FOLDS) log->folds_seen[p->fold] = 1;
    if (p->fold < log->last_fold) ++log->out_of_order;
    log->last_fold = p->fold;
    log->total_folds = p->folds;
  }
  return (log->cancel_after > 0 && log->calls >= log->cancel_after) ||
         (log->cancel_at_fold > 0 && p->fold == log->cancel_at_fold);
}

/* Three classes the tiny network can tell apart: a center blob, an edge ring, no pattern. */
static wdc_dataset *make_set(int count, uint32_t seed, const char *options) {
  static uint8_t maps[COUNT * SIDE * SIDE];
  static uint8_t labels[COUNT * CLASSES];
  static int64_t shapes[COUNT * 2];
  const int patterns[CLASSES] = {1, 2, 4};
  wdc_dataset *out = NULL;
  int i;
  memset(labels, 0, sizeof labels);
  for (i = 0; i < count; ++i) {
    wdct_make_map(maps + i * SIDE * SIDE, SIDE, SIDE, patterns[i % CLASSES], seed + (uint32_t)i);
    labels[i * CLASSES + i % CLASSES] = 1;
    shapes[2 * i] = shapes[2 * i + 1] = SIDE;
  }
  if (wdc_dataset_create_ragged(maps, (int64_t)count * SIDE * SIDE, shapes, count, labels,
                                (int64_t)count * CLASSES, options, &out) != WDC_OK)
    return NULL;
  return out;
}

/* The integer after each occurrence of `key` in `text`, summed; *n receives how many. */
static long long sum_after(const char *text, const char *key, int *n) {
  long long sum = 0;
  const char *p = text;
  *n = 0;
  while ((p = strstr(p, key)) != NULL) {
    p += strlen(key);
    sum += strtoll(p, NULL, 10);
    ++*n;
  }
  return sum;
}

static void test_cross_validation_holds_out_every_map_once(void) {
  const char *names = "{\"labels\": [\"Center\", \"Ring\", \"None\"], \"single_label\": true}";
  wdc_dataset *data = make_set(COUNT - 9, 1, names);
  wdc_dataset *val = make_set(9, 500, names);
  wdc_model *model = NULL;
  progress_log log;
  char *report = NULL;
  float before[2 * 8], after[2 * 8]; /* the config names no labels: MixedWM38's 8 */
  uint8_t two[2 * SIDE * SIDE];
  double accuracy = 0;
  const char *at;
  int n = 0;
  REQUIRE(data != NULL && val != NULL);
  REQUIRE_OK(wdc_create(CONFIG, &model));
  wdct_make_map(two, SIDE, SIDE, 1, 77);
  wdct_make_map(two + SIDE * SIDE, SIDE, SIDE, 2, 78);
  REQUIRE_OK(wdc_predict(model, two, 2, SIDE, SIDE, before, (int64_t)(sizeof before / 4)));

  memset(&log, 0, sizeof log);
  REQUIRE_OK(wdc_cross_validate(model, OPTIONS, data, val, record_progress, &log, &report));
  CHECK(strstr(report, "\"folds\":3") != NULL);
  CHECK(strstr(report, "\"samples\":36") != NULL);
  CHECK(strstr(report, "\"task\":\"single_label\"") != NULL);
  CHECK(strstr(report, "\"thresholds\":\"0.5\"") != NULL);
  CHECK(sum_after(report, "\"held_out_samples\":", &n) == COUNT);
  CHECK(n == FOLDS);
  /* Trained on 24 maps, each fold's model is right about the 12 it never saw. */
  at = strstr(report, "\"out_of_fold\":");
  REQUIRE(at != NULL);
  at = strstr(at, "\"accuracy\":");
  REQUIRE(at != NULL);
  accuracy = strtod(at + strlen("\"accuracy\":"), NULL);
  CHECK(accuracy >= 0.9);
  if (accuracy < 0.9) fprintf(stderr, "out-of-fold accuracy %.4f\n", accuracy);
  CHECK(log.calls > 0 && log.bad_struct == 0 && log.out_of_order == 0);
  CHECK(log.folds_seen[1] && log.folds_seen[2] && log.folds_seen[3]);
  CHECK(log.total_folds == FOLDS);
  wdc_string_free(report);

  /* The model handed in is a template: untouched. */
  REQUIRE_OK(wdc_predict(model, two, 2, SIDE, SIDE, after, (int64_t)(sizeof after / 4)));
  CHECK(memcmp(before, after, sizeof before) == 0);

  /* Cancelled in the second fold: WDC_E_CANCELLED, no report. */
  memset(&log, 0, sizeof log);
  log.cancel_after = 40;
  report = STRING_SENTINEL;
  CHECK_FAILS(wdc_cross_validate(model, OPTIONS, data, val, record_progress, &log, &report),
              WDC_E_CANCELLED, "wdc_cross_validate");
  CHECK(report == STRING_SENTINEL);
  CHECK(log.calls == 40);

  wdc_free(model);
  wdc_dataset_free(data);
  wdc_dataset_free(val);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* The text of `report` from `key` up to (not including) `next`, in a static buffer. */
static const char *section(const char *report, const char *key, const char *next) {
  static char text[2][65536];
  static int which = 0;
  const char *from = strstr(report, key), *to = from ? strstr(from, next) : NULL;
  char *out = text[which ^= 1];
  size_t n = from && to ? (size_t)(to - from) : 0;
  if (n >= sizeof text[0]) n = sizeof text[0] - 1;
  memcpy(out, from ? from : "", n);
  out[n] = '\0';
  return out;
}

static void test_interrupted_run_resumes_from_its_fold_files(void) {
  const char *names = "{\"labels\": [\"Center\", \"Ring\", \"None\"], \"single_label\": true}";
  wdc_dataset *data = make_set(COUNT - 9, 1, names);
  wdc_dataset *val = make_set(9, 500, names);
  wdc_model *model = NULL;
  progress_log log;
  char prefix[512], path[600], options[1024], resume[1024], other_seed[1024];
  char *first = NULL, *again = NULL, *report = STRING_SENTINEL;
  const char *at;
  FILE *damaged;
  int n = 0;
  REQUIRE(data != NULL && val != NULL);
  REQUIRE_OK(wdc_create(CONFIG, &model));
  snprintf(prefix, sizeof prefix, "%s/cv", g_tmp);
  snprintf(options, sizeof options,
           "{\"folds\": 3, \"epochs\": 8, \"lr\": 0.05, \"batch_size\": 4, \"val_fraction\": 0, "
           "\"threads\": 1, \"keep_probabilities\": true, \"checkpoint\": \"%s\"}",
           prefix);
  snprintf(resume, sizeof resume, "%.*s, \"resume\": true}", (int)strlen(options) - 1, options);
  snprintf(other_seed, sizeof other_seed, "%.*s, \"seed\": 5}", (int)strlen(resume) - 1, resume);
  snprintf(path, sizeof path, "%s.cv", prefix); /* leftovers of an earlier run of this test */
  remove(path);
  for (n = 1; n <= FOLDS; ++n) {
    snprintf(path, sizeof path, "%s.fold%d.json", prefix, n);
    remove(path);
    snprintf(path, sizeof path, "%s.fold%d.ckpt", prefix, n);
    remove(path);
  }

  /* Interrupted as the second fold starts: the first fold's file is kept, its checkpoint gone. */
  memset(&log, 0, sizeof log);
  log.cancel_at_fold = 2;
  CHECK_FAILS(wdc_cross_validate(model, options, data, val, record_progress, &log, &report),
              WDC_E_CANCELLED, "wdc_cross_validate");
  CHECK(report == STRING_SENTINEL);
  snprintf(path, sizeof path, "%s.fold1.json", prefix);
  CHECK(file_exists(path));
  snprintf(path, sizeof path, "%s.fold1.ckpt", prefix);
  CHECK(!file_exists(path));
  snprintf(path, sizeof path, "%s.fold2.json", prefix);
  CHECK(!file_exists(path));
  snprintf(path, sizeof path, "%s.cv", prefix); /* the run file: whose checkpoints these are */
  CHECK(file_exists(path));

  /* Resumed: the first fold is read, not trained; the others train; all three are scored. */
  memset(&log, 0, sizeof log);
  REQUIRE_OK(wdc_cross_validate(model, resume, data, val, record_progress, &log, &first));
  CHECK(!log.folds_seen[1] && log.folds_seen[2] && log.folds_seen[3]);
  CHECK(sum_after(first, "\"from_file\":true", &n) == 0 && n == 1);
  CHECK(sum_after(first, "\"held_out_samples\":", &n) == COUNT && n == FOLDS);
  at = strstr(section(first, "\"out_of_fold\":", "\"probabilities\":"), "\"accuracy\":");
  CHECK(at != NULL && strtod(at + strlen("\"accuracy\":"), NULL) >= 0.9);

  /* Resumed once more, every fold comes from its file: nothing trains, the same scores. */
  memset(&log, 0, sizeof log);
  REQUIRE_OK(wdc_cross_validate(model, resume, data, val, record_progress, &log, &again));
  CHECK(log.calls == 0);
  sum_after(again, "\"from_file\":true", &n);
  CHECK(n == FOLDS);
  /* (The report's keys are in alphabetical order: out_of_fold, probabilities, samples, seconds.) */
  CHECK(strcmp(section(first, "\"out_of_fold\":", "\"probabilities\":"),
               section(again, "\"out_of_fold\":", "\"probabilities\":")) == 0);
  CHECK(strcmp(section(first, "\"probabilities\":", "\"seconds\":"),
               section(again, "\"probabilities\":", "\"seconds\":")) == 0);
  CHECK(strlen(section(first, "\"probabilities\":", "\"seconds\":")) > 100);

  /* Another run's files (another seed cuts other folds) and a damaged file are refused. */
  report = STRING_SENTINEL;
  CHECK_FAILS(wdc_cross_validate(model, other_seed, data, val, NULL, NULL, &report), WDC_E_CONFIG,
              "wdc_cross_validate");
  snprintf(path, sizeof path, "%s.fold2.json", prefix);
  damaged = fopen(path, "w");
  REQUIRE(damaged != NULL);
  fputs("{\"format\": \"wdc cross-validation fold\", \"version\": 1, \"digest\": ", damaged);
  fclose(damaged);
  CHECK_FAILS(wdc_cross_validate(model, resume, data, val, NULL, NULL, &report), WDC_E_FORMAT,
              "wdc_cross_validate");
  CHECK(report == STRING_SENTINEL);

  /* A training checkpoint is continued only when the run file says it is this run's: without
     the run file, fold 2's (here a garbage one) is not read and the fold trains afresh. */
  snprintf(path, sizeof path, "%s.cv", prefix);
  CHECK(remove(path) == 0);
  snprintf(path, sizeof path, "%s.fold2.json", prefix);
  remove(path);
  snprintf(path, sizeof path, "%s.fold2.ckpt", prefix);
  damaged = fopen(path, "w");
  REQUIRE(damaged != NULL);
  fputs("not a checkpoint", damaged);
  fclose(damaged);
  memset(&log, 0, sizeof log);
  REQUIRE_OK(wdc_cross_validate(model, resume, data, val, record_progress, &log, &report));
  CHECK(!log.folds_seen[1] && log.folds_seen[2] && !log.folds_seen[3]);
  wdc_string_free(report);

  wdc_string_free(first);
  wdc_string_free(again);
  wdc_free(model);
  wdc_dataset_free(data);
  wdc_dataset_free(val);
}

static void test_refusals_leave_the_report_untouched(void) {
  const char *names = "{\"labels\": [\"Center\", \"Ring\", \"None\"], \"single_label\": true}";
  wdc_dataset *data = make_set(COUNT, 1, names);
  wdc_dataset *other = make_set(6, 2, "{\"labels\": [\"A\", \"B\", \"C\"], \"single_label\": true}");
  wdc_dataset *two = make_set(2, 3, names);
  wdc_dataset *freed = make_set(3, 4, names);
  wdc_model *model = NULL;
  char *report = STRING_SENTINEL;
  static const char *const bad_options[] = {
      "{\"folds\": 1}",          "{\"folds\": 101}",         "{\"folds\": \"3\"}",
      "{\"checkpoint\": \"\"}",  "{\"resume\": true}",       "{\"data\": \"x.npz\"}",
      "{\"checkpoint\": 3}",   "{\"checkpoint\": \"x\", \"resume\": 1}",
      "{\"val\": \"x.npz\"}",    "{\"world_size\": 2}",      "{\"epochs\": 0}",
      "{\"no_such_option\": 1}", "[3]",                      "{\"folds\": 3"};
  size_t i;
  REQUIRE(data != NULL && other != NULL && two != NULL && freed != NULL);
  REQUIRE_OK(wdc_create(CONFIG, &model));
  for (i = 0; i < sizeof bad_options / sizeof *bad_options; ++i) {
    CHECK_FAILS(wdc_cross_validate(model, bad_options[i], data, NULL, NULL, NULL, &report),
                WDC_E_CONFIG, "wdc_cross_validate");
  }
  CHECK_FAILS(wdc_cross_validate(model, "{\"folds\": 3}", two, NULL, NULL, NULL, &report),
              WDC_E_INVALID_ARGUMENT, "wdc_cross_validate");
  CHECK_FAILS(wdc_cross_validate(model, "{\"folds\": 3}", data, other, NULL, NULL, &report),
              WDC_E_INVALID_ARGUMENT, "wdc_cross_validate");
  CHECK_FAILS(wdc_cross_validate(NULL, "{\"folds\": 3}", data, NULL, NULL, NULL, &report),
              WDC_E_MISUSE, "wdc_cross_validate");
  CHECK_FAILS(wdc_cross_validate(model, "{\"folds\": 3}", NULL, NULL, NULL, NULL, &report),
              WDC_E_MISUSE, "wdc_cross_validate");
  wdc_dataset_free(freed);
  CHECK_FAILS(wdc_cross_validate(model, "{\"folds\": 3}", data, freed, NULL, NULL, &report),
              WDC_E_MISUSE, "wdc_cross_validate");
  CHECK(report == STRING_SENTINEL);
  wdc_free(model);
  wdc_dataset_free(data);
  wdc_dataset_free(other);
  wdc_dataset_free(two);
}

int main(int argc, char **argv) {
  if (argc >= 3) g_tmp = argv[2];
  RUN_TEST(test_cross_validation_holds_out_every_map_once);
  RUN_TEST(test_interrupted_run_resumes_from_its_fold_files);
  RUN_TEST(test_refusals_leave_the_report_untouched);
  return wdct_finish();
}
