/* wdc_classify: classifies wafer maps with a wdc model through the C API and draws, in text,
 * where the network saw the most likely pattern (its class activation map).
 *
 *   wdc_classify [MODEL]                   classify a few maps generated in place
 *   wdc_classify MODEL MAPS HEIGHT WIDTH   classify the maps in the raw file MAPS: HEIGHT * WIDTH
 *                                          bytes per map, row-major, 0 off-wafer, 1 pass, 2 fail
 *   wdc_classify MODEL --write-demo MAPS   write the generated maps to MAPS (52 x 52 each) and
 *                                          classify them
 * MODEL is a model file (wdc train, wdc_save), or "-" or nothing for the trained MixedWM38 model
 * built into the library (wdc_load_builtin).
 *
 * Build against an installed wdc with CMake (see CMakeLists.txt) or with pkg-config:
 *   cc classify.c $(pkg-config --cflags --libs wdc) -o wdc_classify */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wdc/wdc.h>

#define DEMO_SIZE 52
#define DEMO_MAPS 4

/* Prints the failed call's status and message, frees what it is given and exits. */
static void die(const char *what, wdc_status status, wdc_model *model, void *buffer) {
  fprintf(stderr, "wdc_classify: %s failed: %s: %s\n", what, wdc_status_name(status),
          wdc_last_error());
  free(buffer);
  wdc_free(model);
  exit(1);
}

/* A 52 x 52 wafer with a center blob, an edge ring, a scratch or scattered failures. */
static void make_demo_map(uint8_t *map, int kind) {
  const double c = (DEMO_SIZE - 1) / 2.0, radius2 = 25.5 * 25.5;
  uint32_t state = 7u + (uint32_t)kind;
  int r, col;
  for (r = 0; r < DEMO_SIZE; ++r) {
    for (col = 0; col < DEMO_SIZE; ++col) {
      const double dr = r - c, dc = col - c, d2 = (dr * dr + dc * dc) / radius2;
      int fail;
      state = state * 1664525u + 1013904223u;
      if (d2 > 1.0) {
        map[r * DEMO_SIZE + col] = 0;
        continue;
      }
      fail = (state >> 24) < 6; /* ~2% background */
      switch (kind) {
        case 0: fail = fail || d2 < 0.06; break;                               /* center */
        case 1: fail = fail || d2 > 0.78; break;                               /* edge ring */
        case 2: fail = fail || (abs(r - col - 4) <= 1 && d2 < 0.5); break;    /* scratch */
        default: fail = fail || (state >> 24) < 60; break;                     /* random */
      }
      map[r * DEMO_SIZE + col] = (uint8_t)(fail ? 2 : 1);
    }
  }
}

/* The map drawn in at most 26 columns and 13 rows, each character the strongest CAM value in
   its cell, blank off the wafer. */
static void draw_cam(const uint8_t *map, const float *cam, int64_t height, int64_t width) {
  static const char shades[] = " .:-=+*#%@";
  const int64_t cols = width < 26 ? width : 26, rows = height < 13 ? height : 13;
  int64_t gr, gc, r, c;
  for (gr = 0; gr < rows; ++gr) {
    printf("    |");
    for (gc = 0; gc < cols; ++gc) {
      float strongest = 0.0f;
      int on_wafer = 0;
      for (r = gr * height / rows; r < (gr + 1) * height / rows; ++r)
        for (c = gc * width / cols; c < (gc + 1) * width / cols; ++c) {
          if (map[r * width + c] != 0) on_wafer = 1;
          if (cam[r * width + c] > strongest) strongest = cam[r * width + c];
        }
      putchar(on_wafer ? shades[1 + (int)(strongest * 8.999f)] : ' ');
    }
    printf("|\n");
  }
}

static uint8_t *read_maps(const char *path, int64_t height, int64_t width, int64_t *count) {
  FILE *file = fopen(path, "rb");
  long size;
  uint8_t *maps;
  if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0) {
    fprintf(stderr, "wdc_classify: cannot read %s\n", path);
    exit(1);
  }
  rewind(file);
  *count = (int64_t)size / (height * width);
  if (*count < 1 || (int64_t)size % (height * width) != 0) {
    fprintf(stderr, "wdc_classify: %s holds %ld bytes, not a multiple of %lld x %lld\n", path,
            size, (long long)height, (long long)width);
    exit(1);
  }
  maps = (uint8_t *)malloc((size_t)size);
  if (maps == NULL || fread(maps, 1, (size_t)size, file) != (size_t)size) {
    fprintf(stderr, "wdc_classify: cannot read %s\n", path);
    exit(1);
  }
  fclose(file);
  return maps;
}

int main(int argc, char **argv) {
  wdc_model *model = NULL;
  wdc_status status;
  uint8_t *maps = NULL;
  float *probabilities = NULL, *cam = NULL;
  int64_t count = DEMO_MAPS, height = DEMO_SIZE, width = DEMO_SIZE, in_h = 0, in_w = 0, i;
  int32_t labels, j;
  const int builtin = argc == 1 || strcmp(argv[1], "-") == 0;

  if (argc != 1 && argc != 2 && argc != 4 && argc != 5) {
    fprintf(stderr, "usage: %s [MODEL|-] [MAPS HEIGHT WIDTH | --write-demo MAPS]\n", argv[0]);
    return 2;
  }
  if (wdc_abi_version() != WDC_ABI_VERSION) {
    fprintf(stderr, "wdc_classify: built for ABI %d, running with %d\n", WDC_ABI_VERSION,
            (int)wdc_abi_version());
    return 1;
  }

  if (argc == 5) {
    height = atoll(argv[3]);
    width = atoll(argv[4]);
    if (height < 1 || width < 1 || height > 4096 || width > 4096) {
      fprintf(stderr, "wdc_classify: HEIGHT and WIDTH must be in [1, 4096]\n");
      return 2;
    }
    maps = read_maps(argv[2], height, width, &count);
  } else {
    maps = (uint8_t *)malloc(DEMO_MAPS * DEMO_SIZE * DEMO_SIZE);
    if (maps == NULL) return 1;
    for (i = 0; i < DEMO_MAPS; ++i) make_demo_map(maps + i * DEMO_SIZE * DEMO_SIZE, (int)i);
    if (argc == 4) {
      const size_t bytes = DEMO_MAPS * DEMO_SIZE * DEMO_SIZE;
      FILE *out = strcmp(argv[2], "--write-demo") == 0 ? fopen(argv[3], "wb") : NULL;
      if (out == NULL || fwrite(maps, 1, bytes, out) != bytes) {
        fprintf(stderr, "wdc_classify: cannot write %s\n", argv[3]);
        return 1;
      }
      fclose(out);
    }
  }

  if (builtin) {
    status = wdc_load_builtin("{\"device\": \"auto\"}", &model);
    if (status != WDC_OK) die("wdc_load_builtin", status, NULL, maps);
  } else {
    status = wdc_load(argv[1], "{\"device\": \"auto\"}", &model);
    if (status != WDC_OK) die("wdc_load", status, NULL, maps);
  }
  labels = wdc_num_labels(model);
  status = wdc_input_size(model, &in_h, &in_w);
  if (status != WDC_OK) die("wdc_input_size", status, model, maps);
  printf("model %s: wdc %s, %d labels, input %lld x %lld; %lld map(s) of %lld x %lld\n",
         builtin ? "built-in" : argv[1],
         wdc_version(), (int)labels, (long long)in_h, (long long)in_w, (long long)count,
         (long long)height, (long long)width);

  /* The caller owns every buffer; the library writes count * labels probabilities. */
  probabilities = (float *)malloc((size_t)(count * labels) * sizeof(float));
  cam = (float *)malloc((size_t)(height * width) * sizeof(float));
  if (probabilities == NULL || cam == NULL) return 1;
  status = wdc_predict(model, maps, count, height, width, probabilities, count * labels);
  if (status != WDC_OK) die("wdc_predict", status, model, maps);

  for (i = 0; i < count; ++i) {
    const float *p = probabilities + i * labels;
    const uint8_t *map = maps + i * height * width;
    int32_t best = 0, found = 0;
    printf("map %lld:", (long long)i);
    for (j = 0; j < labels; ++j) {
      if (p[j] >= 0.5f) {
        printf(" %s", wdc_label_name(model, j));
        found = 1;
      }
      if (p[j] > p[best]) best = j;
    }
    printf("%s\n   ", found ? "" : " no defect pattern");
    for (j = 0; j < labels; ++j) printf(" %s %.2f", wdc_label_name(model, j), p[j]);
    printf("\n    CAM of %s:\n", wdc_label_name(model, best));
    status = wdc_cam(model, map, height, width, best, cam, height * width);
    if (status != WDC_OK) die("wdc_cam", status, model, maps);
    draw_cam(map, cam, height, width);
  }

  free(cam);
  free(probabilities);
  free(maps);
  wdc_free(model);
  return 0;
}
