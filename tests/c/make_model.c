/* Writes a small trained model through the C ABI, for the installed-package test of
 * examples/c: usage `make_model PATH [EPOCHS]`. */
#include <stdio.h>
#include <stdlib.h>

#include "wdc/wdc.h"

int main(int argc, char **argv) {
  wdc_model *model = NULL;
  char train_json[256];
  const int epochs = argc >= 3 ? atoi(argv[2]) : 1;
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH [EPOCHS]\n", argv[0]);
    return 2;
  }
  snprintf(train_json, sizeof train_json,
           "{\"synthetic\": 128, \"val_fraction\": 0.25, \"epochs\": %d, \"batch_size\": 16, "
           "\"seed\": 1}",
           epochs);
  if (wdc_create("{\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":8,\"stride\":2}]}",
                 &model) != WDC_OK ||
      wdc_train(model, train_json, NULL, NULL, NULL) != WDC_OK ||
      wdc_save(model, argv[1]) != WDC_OK) {
    fprintf(stderr, "make_model: %s\n", wdc_last_error());
    wdc_free(model);
    return 1;
  }
  wdc_free(model);
  return 0;
}
