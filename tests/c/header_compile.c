/* Compiles include/wdc/wdc.h as C89, C99 and C++ (this file is copied to a .cpp for that) with
 * -Wall -Wextra -pedantic -Werror, and links every declared function against libwdc.
 * It must stay valid C89 and C++98: no // comments, declarations first, no designated
 * initialisers. */
#include "wdc/wdc.h"
#include "wdc/wdc.h" /* include guard */

#include <stdio.h>

typedef struct wdc_functions {
  const char *(*version)(void);
  int32_t (*abi_version)(void);
  const char *(*status_name)(wdc_status);
  const char *(*last_error)(void);
  void (*string_free)(char *);
  wdc_status (*create)(const char *, wdc_model **);
  wdc_status (*create_with_options)(const char *, const char *, wdc_model **);
  wdc_status (*load)(const char *, const char *, wdc_model **);
  wdc_status (*save)(wdc_model *, const char *);
  void (*free_model)(wdc_model *);
  int32_t (*num_labels)(const wdc_model *);
  const char *(*label_name)(const wdc_model *, int32_t);
  wdc_status (*input_size)(const wdc_model *, int64_t *, int64_t *);
  wdc_status (*info)(const wdc_model *, char **);
  wdc_status (*predict)(wdc_model *, const uint8_t *, int64_t, int64_t, int64_t, float *,
                        int64_t);
  wdc_status (*cam)(wdc_model *, const uint8_t *, int64_t, int64_t, int32_t, float *, int64_t);
  wdc_status (*evaluate)(wdc_model *, const char *, char **);
  wdc_status (*train)(wdc_model *, const char *, wdc_progress_fn, void *, char **);
} wdc_functions;

static const wdc_functions functions = {
    wdc_version,    wdc_abi_version, wdc_status_name, wdc_last_error,
    wdc_string_free, wdc_create,     wdc_create_with_options, wdc_load,
    wdc_save,       wdc_free,        wdc_num_labels,  wdc_label_name,
    wdc_input_size, wdc_info,        wdc_predict,     wdc_cam,
    wdc_evaluate,   wdc_train};

static int32_t on_progress(const wdc_progress *progress, void *user) {
  (void)user;
  return progress->epoch > progress->epochs;
}

int main(void) {
  wdc_progress progress;
  wdc_progress_fn callback = on_progress;
  wdc_status codes[11];
  int i, failures = 0;
  codes[0] = WDC_OK;
  codes[1] = WDC_E_INVALID_ARGUMENT;
  codes[2] = WDC_E_IO;
  codes[3] = WDC_E_FORMAT;
  codes[4] = WDC_E_CONFIG;
  codes[5] = WDC_E_UNSUPPORTED;
  codes[6] = WDC_E_CANCELLED;
  codes[7] = WDC_E_OUT_OF_MEMORY;
  codes[8] = WDC_E_BUSY;
  codes[9] = WDC_E_MISUSE;
  codes[10] = WDC_E_INTERNAL;
  for (i = 0; i < 11; ++i)
    if (codes[i] != i) failures++;
  progress.struct_size = (uint32_t)sizeof progress;
  progress.epoch = 1;
  progress.epochs = 1;
  progress.reserved = 0;
  progress.step = 0;
  progress.steps = 1;
  progress.loss = 0.0;
  progress.val_exact_match = -1.0;
  if (callback(&progress, NULL) != 0) failures++;
  if (functions.abi_version() != WDC_ABI_VERSION) failures++;
  printf("wdc %s, ABI %d: header compiles and links\n", functions.version(),
         (int)functions.abi_version());
  return failures;
}
