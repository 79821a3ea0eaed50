/* Helper of the crash-safety test (tests/cli/crash_safety_test.sh): loads MODEL and saves it to
 * OUT over and over until killed, printing the number of completed saves, so that the test can
 * SIGKILL it in the middle of a save.
 *
 * usage: save_loop MODEL OUT */
#include <stdio.h>

#include "wdc/wdc.h"

int main(int argc, char **argv) {
  wdc_model *model = NULL;
  long saves = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL OUT\n", argv[0]);
    return 2;
  }
  if (wdc_load(argv[1], "{\"threads\": 1}", &model) != WDC_OK) {
    fprintf(stderr, "%s\n", wdc_last_error());
    return 1;
  }
  for (;;) {
    if (wdc_save(model, argv[2]) != WDC_OK) {
      fprintf(stderr, "%s\n", wdc_last_error());
      wdc_free(model);
      return 1;
    }
    printf("%ld\n", ++saves);
    fflush(stdout);
  }
}
