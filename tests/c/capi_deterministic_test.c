/* Deterministic training through the C ABI (the training option "deterministic"): processes
 * started as other machines would choose their kernels, and with other thread counts, train one
 * model (the same "fingerprint" in wdc_info); a process whose OpenBLAS runs other kernels is
 * refused with WDC_E_UNSUPPORTED and told what to set. ATen and OpenBLAS choose their kernels
 * from the environment as the process starts, so each training is a fresh start of this program.
 * usage: capi_deterministic_test FIXTURE_DIR TEMP_DIR
 *        (internally: ... train THREADS OUT_FILE, in the environment its parent set) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char *kNetwork =
    "{\"blocks\": [{\"channels\": 8, \"stride\": 2}, {\"channels\": 16, \"stride\": 2}]}";

/* A training in this process; writes the model's fingerprint, or "refused: <message>". */
static int train_once(const char *threads, const char *out_path) {
  char options[256];
  wdc_model *model = NULL;
  char *report = NULL, *info = NULL;
  const char *at;
  FILE *f = fopen(out_path, "w");
  wdc_status status;
  if (!f || wdc_create(kNetwork, &model) != WDC_OK) return 1;
  snprintf(options, sizeof options,
           "{\"synthetic\": 96, \"epochs\": 1, \"batch_size\": 16, \"lr\": 0.05, \"seed\": 3, "
           "\"threads\": %s, \"deterministic\": true}",
           threads);
  status = wdc_train(model, options, NULL, NULL, &report);
  if (status == WDC_E_UNSUPPORTED) {
    fprintf(f, "refused: %s", wdc_last_error());
  } else if (status != WDC_OK || wdc_info(model, &info) != WDC_OK ||
             (at = strstr(info, "\"fingerprint\":\"")) == NULL) {
    fprintf(stderr, "training failed: %s\n", wdc_last_error());
    return 1;
  } else {
    fprintf(f, "%.16s", at + strlen("\"fingerprint\":\""));
  }
  wdc_string_free(report);
  wdc_string_free(info);
  wdc_free(model);
  return fclose(f) == 0 ? 0 : 1;
}

static const char *g_self, *g_fixtures, *g_dir;

/* Starts this program again to train with `threads` in the environment `env` (NULL-ended
 * "NAME=VALUE" pairs added to this one's); returns what it wrote. */
static const char *train_in_fresh_process(const char *name, const char *threads,
                                          const char *const *env) {
  static char result[4][1024];
  static int next = 0;
  char *text = result[next++ % 4], path[1024];
  pid_t child;
  int status = 0;
  FILE *f;
  size_t n;
  snprintf(path, sizeof path, "%s/%s.out", g_dir, name);
  fflush(NULL);
  child = fork();
  if (child == 0) {
    for (; *env; ++env) {
      char entry[128];
      char *eq;
      snprintf(entry, sizeof entry, "%s", *env);
      eq = strchr(entry, '=');
      *eq = '\0';
      setenv(entry, eq + 1, 1);
    }
    execl(g_self, g_self, g_fixtures, g_dir, "train", threads, path, (char *)NULL);
    _exit(127);
  }
  waitpid(child, &status, 0);
  text[0] = '\0';
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !(f = fopen(path, "r"))) return text;
  n = fread(text, 1, 1023, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

static const char *const kPinned[] = {"ATEN_CPU_CAPABILITY=avx2", "OPENBLAS_CORETYPE=Haswell",
                                      NULL};
/* Pinned, and oneDNN capped as a machine without AVX would cap it (deterministic training
 * does not use oneDNN). */
static const char *const kPinnedOldOneDnn[] = {"ATEN_CPU_CAPABILITY=avx2",
                                               "OPENBLAS_CORETYPE=Haswell",
                                               "ONEDNN_MAX_CPU_ISA=SSE41", "DNNL_MAX_CPU_ISA=SSE41",
                                               NULL};
static const char *const kOtherOpenBlas[] = {"ATEN_CPU_CAPABILITY=avx2",
                                             "OPENBLAS_CORETYPE=Sandybridge", NULL};

static void test_processes_with_other_kernels_and_threads_train_one_model(void) {
  const char *a = train_in_fresh_process("pinned_2_threads", "2", kPinned);
  const char *b = train_in_fresh_process("old_onednn_1_thread", "1", kPinnedOldOneDnn);
  CHECK(strlen(a) == 16);
  CHECK(strcmp(a, b) == 0);
}

static void test_other_openblas_kernels_are_refused_with_what_to_set(void) {
  const char *r = train_in_fresh_process("other_openblas", "1", kOtherOpenBlas);
  CHECK(strncmp(r, "refused: ", 9) == 0);
  CHECK(strstr(r, "OPENBLAS_CORETYPE=Haswell") != NULL);
  CHECK(strstr(r, "Sandybridge") != NULL);
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[3], "train") == 0) return train_once(argv[4], argv[5]);
  if (argc < 3) {
    fprintf(stderr, "usage: %s FIXTURE_DIR TEMP_DIR\n", argv[0]);
    return 2;
  }
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    fprintf(stderr, "skipped: deterministic training needs AVX2 and FMA\n");
    return 0;
  }
  g_self = "/proc/self/exe";
  g_fixtures = argv[1];
  g_dir = argv[2];
  mkdir(g_dir, 0755);
  RUN_TEST(test_processes_with_other_kernels_and_threads_train_one_model);
  RUN_TEST(test_other_openblas_kernels_are_refused_with_what_to_set);
  return wdct_finish();
}
