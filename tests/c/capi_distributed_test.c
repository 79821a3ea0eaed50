/* Data-parallel training through the C ABI: two processes call wdc_train with the options
 * world_size 2, rank 0/1 and a dist_url on loopback (docs/DISTRIBUTED.md); both must succeed,
 * report their rank, and end with the same weights (the same probabilities, bit for bit).
 * usage: capi_distributed_test FIXTURE_DIR TEMP_DIR */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MAPS 16
#define SIDE 52
#define LABELS 8
#define NO_GLOO 77 /* a child's exit status: this build has no Gloo */

static const char *kNetwork =
    "{\"blocks\": [{\"channels\": 8, \"stride\": 2}, {\"channels\": 16, \"stride\": 2}]}";

/* A loopback port nothing listens on now (the kernel's pick). */
static int free_port(void) {
  struct sockaddr_in address;
  socklen_t size = sizeof address;
  int port = 0;
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&address, sizeof address) == 0 &&
      getsockname(s, (struct sockaddr *)&address, &size) == 0)
    port = ntohs(address.sin_port);
  close(s);
  return port;
}

/* One rank: trains, then writes the report and the probabilities of MAPS generated maps. */
static int run_rank(int rank, int port, const char *dir) {
  char options[512], path[1024];
  wdc_model *model = NULL;
  wdc_dataset *maps_set = NULL;
  static uint8_t maps[MAPS * SIDE * SIDE];
  static float probabilities[MAPS * LABELS];
  char *report = NULL;
  FILE *f;
  snprintf(options, sizeof options,
           "{\"synthetic\": 96, \"epochs\": 2, \"batch_size\": 8, \"lr\": 0.05, \"seed\": 3, "
           "\"threads\": 1, \"world_size\": 2, \"rank\": %d, "
           "\"dist_url\": \"tcp://127.0.0.1:%d\", \"dist_timeout\": 60}",
           rank, port);
  if (wdc_create(kNetwork, &model) != WDC_OK) return 1;
  if (wdc_train(model, options, NULL, NULL, &report) != WDC_OK) {
    fprintf(stderr, "rank %d: %s\n", rank, wdc_last_error());
    return strstr(wdc_last_error(), "has no Gloo") ? NO_GLOO : 1;
  }
  if (wdc_dataset_synthesize(MAPS, 9, &maps_set) != WDC_OK ||
      wdc_dataset_maps(maps_set, 0, MAPS, maps, sizeof maps) != WDC_OK ||
      wdc_predict(model, maps, MAPS, SIDE, SIDE, probabilities, MAPS * LABELS) != WDC_OK)
    return 1;
  snprintf(path, sizeof path, "%s/rank%d.report", dir, rank);
  f = fopen(path, "w");
  if (!f || fputs(report, f) < 0 || fclose(f) != 0) return 1;
  snprintf(path, sizeof path, "%s/rank%d.probabilities", dir, rank);
  f = fopen(path, "wb");
  if (!f || fwrite(probabilities, sizeof probabilities, 1, f) != 1 || fclose(f) != 0) return 1;
  wdc_string_free(report);
  wdc_dataset_free(maps_set);
  wdc_free(model);
  return 0;
}

static long read_file(const char *dir, const char *name, char *buffer, long size) {
  char path[1024];
  FILE *f;
  long n;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) return -1;
  n = (long)fread(buffer, 1, (size_t)size - 1, f);
  buffer[n] = '\0';
  fclose(f);
  return n;
}

static const char *g_dir;

static void test_two_processes_train_one_model(void) {
  static char a[MAPS * LABELS * 4 + 1], b[MAPS * LABELS * 4 + 1], report[65536];
  const int port = free_port();
  pid_t children[2];
  int rank, status[2];
  REQUIRE(port > 0);
  fflush(NULL);
  for (rank = 0; rank < 2; ++rank) {
    children[rank] = fork();
    if (children[rank] == 0) _exit(run_rank(rank, port, g_dir));
    REQUIRE(children[rank] > 0);
  }
  for (rank = 0; rank < 2; ++rank) waitpid(children[rank], &status[rank], 0);
  if (WIFEXITED(status[0]) && WEXITSTATUS(status[0]) == NO_GLOO) {
    fprintf(stderr, "skipped: this build has no Gloo\n");
    return;
  }
  for (rank = 0; rank < 2; ++rank) CHECK(WIFEXITED(status[rank]) && WEXITSTATUS(status[rank]) == 0);
  REQUIRE(read_file(g_dir, "rank1.report", report, sizeof report) > 0);
  CHECK(strstr(report, "\"world_size\":2") != NULL);
  CHECK(strstr(report, "\"rank\":1") != NULL);
  REQUIRE(read_file(g_dir, "rank0.probabilities", a, sizeof a) == MAPS * LABELS * 4);
  REQUIRE(read_file(g_dir, "rank1.probabilities", b, sizeof b) == MAPS * LABELS * 4);
  CHECK(memcmp(a, b, MAPS * LABELS * 4) == 0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FIXTURE_DIR TEMP_DIR\n", argv[0]);
    return 2;
  }
  g_dir = argv[2];
  mkdir(g_dir, 0755);
  RUN_TEST(test_two_processes_train_one_model);
  return wdct_finish();
}
