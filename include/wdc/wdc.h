/*
 * wdc.h: the C ABI of wdc, the wafer-map defect classifier (libwdc.so.1).
 *
 * This is the only public header. It is plain C (C89 and later, and C++), uses only the
 * fixed-width types of <stdint.h>, and passes no bool, long, enum or struct by value, so every
 * language with a C FFI can bind it. The C++ core behind it is not part of the interface.
 *
 * CONVENTIONS (read these once; each function below only states its exceptions to them)
 *
 * Errors.  Every function that can fail returns a wdc_status: WDC_OK (0) on success, otherwise
 *   one of the WDC_E_* values. On failure
 *     - wdc_last_error() returns a message for the failure (UTF-8, never NULL), kept per thread;
 *     - every out-parameter and every caller buffer is left exactly as it was (the library
 *       computes into its own memory and copies only once nothing can fail any more);
 *     - nothing is leaked.
 *   A successful call leaves the thread's message unchanged (it is not cleared), so read
 *   wdc_last_error() only after a call has returned a status other than WDC_OK. No C++ exception
 *   ever leaves the library.
 *
 * Misuse.  A NULL, freed or foreign model handle gives WDC_E_MISUSE (the library keeps a table
 *   of live handles and a magic value in each, and never dereferences a pointer that is not in
 *   the table). NULL pointers, non-positive sizes, sizes whose products overflow, buffers too
 *   short and indices out of range give WDC_E_INVALID_ARGUMENT. Malformed JSON, unknown keys and
 *   invalid values in a JSON text give WDC_E_CONFIG. These are detected before any work is done.
 *   What the library cannot detect, and what remains undefined behaviour: a buffer shorter than
 *   the length passed with it, a string without its terminating NUL, and calling wdc_free on a
 *   handle while another thread is still inside a call on it.
 *
 * Ownership.  The caller allocates every input and output buffer and passes its length in
 *   elements. A string returned through a `char **` out-parameter is allocated by the library and
 *   must be released with wdc_string_free. A `const char *` returned by value belongs to the
 *   library; how long it stays valid is stated per function. The library keeps no pointer to a
 *   caller's buffer or string after a call returns.
 *
 * Threading.  Any function may be called from any thread. Shared across the process: the tables
 *   of live handles (internally locked); LibTorch's OpenMP runtime (each call sets its calling
 *   thread's thread count to its model's "threads", and concurrent calls run their teams side
 *   by side); and the cache of large CPU buffers that the first model created or loaded installs
 *   as LibTorch's CPU allocator (freed blocks of 1 MiB and more are kept for reuse, so repeated
 *   calls do not page-fault fresh memory; "buffer_cache": false in the options of that first
 *   wdc_load, wdc_load_builtin or wdc_create_with_options leaves LibTorch's allocator alone);
 *   and the size of OpenBLAS's own thread pool, where the process's BLAS is OpenBLAS (LibTorch
 *   computes some matrix products there, outside its OpenMP threads): every model sets it to
 *   its "openblas_threads" option, 1 by default, so that the pool does not compete with the
 *   library's threads; 0 leaves it as it is (for a host whose own BLAS calls need the pool).
 *   Each model draws its training's random numbers from generators of its own, so models trained
 *   at the same time in one process (with the same "threads") end as each would alone; creating
 *   a model initialises its weights from LibTorch's global generator under a lock of the
 *   library's (a host that draws from that generator at the same moment changes them).
 *   On one model handle,
 *   wdc_predict, wdc_cam, wdc_evaluate, wdc_info, wdc_num_labels, wdc_label_name and
 *   wdc_input_size may run concurrently from any number of threads, and give the same results as
 *   when run one after another. wdc_train and wdc_save need the model to themselves: called while
 *   another thread is inside wdc_predict, wdc_cam, wdc_evaluate, wdc_info, wdc_train or wdc_save
 *   on the same model, they fail at once with WDC_E_BUSY (they do not wait); likewise those six
 *   fail with WDC_E_BUSY on a model that wdc_train or wdc_save is using (wdc_num_labels,
 *   wdc_label_name and wdc_input_size still answer). wdc_free must not run concurrently with any
 *   other call on the same model.
 *
 * Strings.  All strings are NUL-terminated UTF-8. Paths are passed to the operating system as
 *   they are. Options and reports are JSON objects (RFC 8259), so the ABI does not change when
 *   options grow.
 *
 * Wafer maps.  A map is `height * width` bytes in row-major order: 0 off the wafer, 1 a die that
 *   passed, 2 (or any larger value) a die that failed, as in the MixedWM38 dataset. height and
 *   width are each in [1, max_map_side] (4096 unless wdc_load's options say otherwise). Maps
 *   of a size other than the model's input (see wdc_input_size) are resized by nearest
 *   neighbour.
 *
 * Versioning.  WDC_ABI_VERSION is the number in the library's SONAME (libwdc.so.1). Functions
 *   and status codes are only ever added, structs that the library fills only grow at their end
 *   (their first field is their size), and an existing function never changes meaning without a
 *   new ABI version. A program may check at run time that wdc_abi_version() == WDC_ABI_VERSION.
 */
#ifndef WDC_WDC_H
#define WDC_WDC_H

#include <stdint.h>

/* The ABI version this header describes; equal to wdc_abi_version() of a matching library. */
#define WDC_ABI_VERSION 1

/* WDC_API marks the library's exported functions. */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(WDC_BUILDING_LIBRARY)
#    define WDC_API __declspec(dllexport)
#  else
#    define WDC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define WDC_API __attribute__((visibility("default")))
#else
#  define WDC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes --------------------------------------------------------------------------- */

/* The result of a call: WDC_OK or one of the WDC_E_* values below (more may be added). */
typedef int32_t wdc_status;

#define WDC_OK 0
/* An argument is invalid: a NULL pointer, a size <= 0, sizes whose product overflows, a buffer
   shorter than the result, a label index out of range. */
#define WDC_E_INVALID_ARGUMENT 1
/* A file could not be opened, read, written or renamed (missing file, permissions, disk full). */
#define WDC_E_IO 2
/* A file was read but its content is not what it should be (a corrupt, truncated or foreign
   model file, a model file of another format version, an npz without the expected arrays). */
#define WDC_E_FORMAT 3
/* A JSON text (network config, options, training options) is malformed, has an unknown key or a
   value of the wrong type or range. */
#define WDC_E_CONFIG 4
/* The request is valid but this build, machine or model cannot do it (for example
   "device":"cuda" without a GPU, or evaluating labels in memory, which are MixedWM38's 8, with a
   model of other labels). */
#define WDC_E_UNSUPPORTED 5
/* The progress callback asked wdc_train to stop. */
#define WDC_E_CANCELLED 6
/* Memory ran out; the model is unchanged unless stated otherwise. */
#define WDC_E_OUT_OF_MEMORY 7
/* The model is in use by another thread in a way that excludes this call (see Threading). */
#define WDC_E_BUSY 8
/* The library was used wrongly: a NULL, freed or never-created model handle. */
#define WDC_E_MISUSE 9
/* A bug in wdc: please report it with the message of wdc_last_error(). */
#define WDC_E_INTERNAL 10
/* The device or the runtime under the library failed while doing valid work: a CUDA error (a
   kernel fault, a lost device), or an error raised inside LibTorch that is not a lack of memory.
   The model is unchanged unless stated otherwise; the message names what failed. */
#define WDC_E_RUNTIME 11

/* ---- Library --------------------------------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH". Static storage; never NULL. Thread-safe. */
WDC_API const char *wdc_version(void);

/* The ABI version the library was built with (WDC_ABI_VERSION of its header). Thread-safe. */
WDC_API int32_t wdc_abi_version(void);

/* The name of a status, e.g. "WDC_OK", "WDC_E_IO"; "WDC_E_UNKNOWN" for a value that is not a
   status. Static storage; never NULL. Thread-safe. */
WDC_API const char *wdc_status_name(wdc_status status);

/* The message of this thread's most recent failed call, or "" if no call has failed on this
   thread. Successful calls do not change it. Never NULL. The string belongs to the library and
   stays valid until the next failed call on this thread or the thread's exit; copy it to keep
   it. Calls on other threads never change it. */
WDC_API const char *wdc_last_error(void);

/* Releases a string that the library returned through a `char **` out-parameter. NULL is
   allowed and does nothing. Never fails. Thread-safe. */
WDC_API void wdc_string_free(char *string);

/* ---- Models ---------------------------------------------------------------------------------- */

/* A classifier: the network, its label names, decision thresholds and training history.
   Opaque; created by wdc_create or wdc_load, released by wdc_free. */
typedef struct wdc_model wdc_model;

/* Creates an untrained model (randomly initialised weights) from a network config.
   config_json: a JSON object, e.g. {"input":{"height":52,"width":52,"encoding":"raw"},
     "blocks":[{"channels":32,"kernel":3,"stride":2,"modulated":false}, ...], "dropout":0.0,
     "labels":[8 names]}; every key is optional. NULL or "" gives the default network.
   out: receives the new handle, which the caller owns and releases with wdc_free; untouched on
     failure.
   Errors: WDC_E_INVALID_ARGUMENT (out is NULL), WDC_E_CONFIG, WDC_E_OUT_OF_MEMORY.
   Threading: any thread; the new model is not shared until the caller shares it. */
WDC_API wdc_status wdc_create(const char *config_json, wdc_model **out);

/* wdc_create with run-time options: options_json as for wdc_load ("device", "threads"), NULL or
   "" for the defaults, so that a new model can be trained on a GPU. wdc_create(c, out) is
   wdc_create_with_options(c, NULL, out).
   Errors: those of wdc_create, and WDC_E_CONFIG (options_json), WDC_E_UNSUPPORTED (device not
     available). Threading: any thread. */
WDC_API wdc_status wdc_create_with_options(const char *config_json, const char *options_json,
                                           wdc_model **out);

/* Loads a model file written by wdc_save (or `wdc train`).
   path: the model file.
   options_json: a JSON object of run-time options, NULL or "" for the defaults:
     "device": "cpu" (default), "cuda" or "auto" (cuda when available, else cpu);
     "threads": the number of CPU threads each call on this model uses; 0 (default) = chosen
       per call by its work, one thread per map up to all cores (one map on one thread is the
       shortest and steadiest call; wdc_train uses its own "threads" option when given, else
       all cores);
     limits that protect the host process (going past one is an error, raised before anything
     is allocated for it):
     "max_map_side": largest height or width wdc_predict and wdc_cam accept (default 4096);
     "max_batch": most maps one wdc_predict call accepts (default 65536);
     "max_file_bytes": largest model file, and largest array in an npz file, that this model
       reads (default 2147483648 = 2 GiB; wdc_load checks it on the file it loads);
     "max_parameters": largest network wdc_load or wdc_create builds (default 50000000);
     "buffer_cache": true (default) or false: whether the first model installs the process-wide
       cache of large CPU buffers (see Threading); false once it is installed does not remove it;
     "openblas_threads": the size this model sets OpenBLAS's thread pool to, for the whole
       process (see Threading), 0 to 4096, default 1; 0 leaves it as it is;
     "novelty_threshold": the novelty above which a map is unknown (see Novelty), instead of
       the threshold calibrated in training;
     "precision": what inference computes in: "fp32" (default); "bf16" (bfloat16 weights and
       activations, BatchNorm folded into the convolutions, float32 sampling positions and
       outputs; 1.6 to 1.7 times fp32's throughput at batch 256, probabilities within 0.03 of
       fp32's on the shipped models' validation maps), only where the CPU has native
       bfloat16 (AVX512_BF16), else WDC_E_UNSUPPORTED saying why;
       "auto": bf16 where it would be accepted, else fp32. wdc_info's "precision" says which
       is in use. Training, and what it stores (thresholds, novelty statistics), is float32.
   out: receives the new handle (release with wdc_free); untouched on failure.
   Errors: WDC_E_INVALID_ARGUMENT (path or out NULL, path "", a novelty_threshold for a model
     without novelty statistics), WDC_E_IO (cannot open or read),
     WDC_E_FORMAT (not a wdc model file, corrupt, truncated or of another format version),
     WDC_E_CONFIG (options_json), WDC_E_UNSUPPORTED (device not available, "bf16" without
     native bfloat16), WDC_E_OUT_OF_MEMORY.
   Threading: any thread. */
WDC_API wdc_status wdc_load(const char *path, const char *options_json, wdc_model **out);

/* Loads the trained MixedWM38 model that ships with wdc (models/mixedwm38-dcn.wdcm in the source
   tree, compiled into the library): the seed network with DCNv2 modulation, 8 labels, 52 x 52
   input, trained on real MixedWM38 maps. docs/ACCURACY.md has its accuracy and how it was
   trained; wdc_info reports its training history. Every call gives a new, independent handle.
   options_json: as for wdc_load ("max_file_bytes" does not apply).
   out: receives the new handle (release with wdc_free); untouched on failure.
   Errors: WDC_E_INVALID_ARGUMENT (out NULL), WDC_E_CONFIG (options_json), WDC_E_UNSUPPORTED
     (device not available), WDC_E_OUT_OF_MEMORY.
   Threading: any thread. */
WDC_API wdc_status wdc_load_builtin(const char *options_json, wdc_model **out);

/* Writes the model to `path`, atomically: a temporary file in the same directory is renamed over
   `path`, so a reader never sees a half-written file and a failure leaves any old file intact.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (path NULL or ""), WDC_E_IO, WDC_E_BUSY (another
     thread is using the model), WDC_E_OUT_OF_MEMORY.
   Threading: needs the model to itself (see Threading); fails with WDC_E_BUSY rather than
     waiting. */
WDC_API wdc_status wdc_save(wdc_model *model, const char *path);

/* Releases a model and everything it owns. NULL is allowed and does nothing. A handle that is
   not live (already freed, never created) is ignored, and the thread's last error message says
   so. Afterwards the handle is invalid: calls on it fail with WDC_E_MISUSE (best effort: if a
   later wdc_create or wdc_load happens to get the same address, the old pointer refers to the
   new model). Strings from wdc_label_name become invalid.
   Threading: no other call may be running, or start, on this model (undefined behaviour). */
WDC_API void wdc_free(wdc_model *model);

/* The number of labels the model predicts (8 for MixedWM38 models; the classes of a
   single-label model), or -1 if model is not a live handle (the thread's last error message then
   says why). A model whose config named no labels takes its first training data's, so the count
   and names may change once, in wdc_train. Thread-safe. */
WDC_API int32_t wdc_num_labels(const wdc_model *model);

/* The name of label `index` (0 <= index < wdc_num_labels), e.g. "Center". NULL when index is out
   of range or model is not a live handle (the thread's last error message then says why). The
   string belongs to the model and stays valid until wdc_free, even when training renames the
   labels. Thread-safe. */
WDC_API const char *wdc_label_name(const wdc_model *model, int32_t index);

/* The map size the network was built for (52 x 52 for MixedWM38); maps of other sizes become
   input as the config's "fit" says (nearest-neighbour resizing by default, or padding).
   height, width: receive the size; both untouched on failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (height or width NULL). Thread-safe. */
WDC_API wdc_status wdc_input_size(const wdc_model *model, int64_t *height, int64_t *width);

/* The model as JSON: "library_version", "config" (the network config), "labels", "thresholds"
   (per label, the probability from which the label counts as present), "parameters",
   "fingerprint" (16 hex digits of a hash of the config and weights: equal for models whose
   weights are equal bit for bit), "device" and "training" (options and history of the last
   training run).
   info_json: receives a string that the caller releases with wdc_string_free; untouched on
     failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (info_json NULL), WDC_E_BUSY, WDC_E_OUT_OF_MEMORY.
   Threading: may run concurrently with the other read-only calls on the same model. */
WDC_API wdc_status wdc_info(const wdc_model *model, char **info_json);

/* ---- Inference ------------------------------------------------------------------------------- */

/* Classifies `count` maps: writes, for map i and label j, the probability (in [0, 1]) that the
   map shows defect pattern j to probabilities[i * num_labels + j]: a sigmoid per label for a
   multi-label model; for a single-label model (config "task": "single_label") a softmax over the
   classes, so each map's probabilities sum to 1. Maps of several sizes go through a data set
   (wdc_dataset_create_ragged, wdc_classify_dataset).
   maps: count * height * width bytes, map after map (see Wafer maps).
   count in [1, max_batch]; height, width in [1, max_map_side] (see wdc_load's options;
     defaults 65536 and 4096); count * height * width must not overflow int64_t.
   probabilities: a buffer of probabilities_len floats, probabilities_len >= count * num_labels;
     elements beyond count * num_labels are not touched. Untouched on failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT, WDC_E_BUSY (wdc_train or wdc_save is running
     on the model), WDC_E_OUT_OF_MEMORY.
   Threading: any number of threads may predict on one model at once, with results identical to
     serial calls. */
WDC_API wdc_status wdc_predict(wdc_model *model, const uint8_t *maps, int64_t count,
                               int64_t height, int64_t width, float *probabilities,
                               int64_t probabilities_len);

/* The class activation map of label `label` for one map: where in the map the network sees that
   pattern, as height * width floats in [0, 1], row-major, at the map's own size.
   map: height * width bytes (see Wafer maps); height, width in [1, max_map_side].
   label: 0 <= label < wdc_num_labels(model).
   cam: a buffer of cam_len floats, cam_len >= height * width; elements beyond height * width are
     not touched. Untouched on failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT, WDC_E_BUSY, WDC_E_OUT_OF_MEMORY.
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_cam(wdc_model *model, const uint8_t *map, int64_t height, int64_t width,
                           int32_t label, float *cam, int64_t cam_len);

/* Evaluates the model on a labelled dataset file, in any layout of docs/DATA.md (as
   wdc_dataset_load reads it); its label names must be the model's.
   report_json: receives the metrics as JSON, the same text as `wdc eval --json`; release with
     wdc_string_free. Untouched on failure. A multi-label model's: {"task": "multi_label",
     "samples", "exact_match", "hamming", "mean_f1", "min_f1", "labels": [{"name", "precision",
     "recall", "f1", "support"}], "types": [{"id", "name", "count", "correct", "accuracy"}] (for
     MixedWM38's labels)}. A single-label model's: {"task": "single_label", "samples",
     "accuracy", "macro_f1", "min_f1", "labels": [as above, per class], "confusion": [[counts]]
     (rows: true class, columns: predicted)}.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (data_path or report_json NULL, data_path "",
     an empty dataset, labels that are not the model's), WDC_E_IO (cannot open or read the
     file), WDC_E_FORMAT (not a valid dataset), WDC_E_BUSY, WDC_E_OUT_OF_MEMORY.
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_evaluate(wdc_model *model, const char *data_path, char **report_json);

/* ---- Training -------------------------------------------------------------------------------- */

/* What wdc_train reports to its progress callback, after every batch and after every epoch's
   validation. Fields are only ever appended: a callback compiled against an older header reads
   the fields it knows; one compiled against a newer header must check struct_size before reading
   a field that may be missing. */
typedef struct wdc_progress {
  uint32_t struct_size;   /* sizeof(wdc_progress) as the library was built */
  int32_t epoch, epochs;  /* the current epoch (1-based) and the number of epochs */
  int32_t reserved;       /* 0; keeps the layout the same on every platform */
  int64_t step, steps;    /* batches done in this epoch, batches per epoch */
  double loss;            /* mean training loss so far in this epoch */
  double val_exact_match; /* exact-match accuracy of this epoch's validation once it has run
                             (the call after the epoch's last batch), else -1 */
  int32_t fold, folds;    /* wdc_cross_validate: the fold being trained (1-based) and the number
                             of folds; 0 and 0 in wdc_train (appended: struct_size >= 56) */
} wdc_progress;

/* Called by wdc_train on the thread that called wdc_train, while training is paused. `progress`
   is valid only during the call. Return 0 to go on, non-zero to cancel. The callback must not
   call wdc_train, wdc_save, wdc_free or any other function on the model being trained, must not
   throw or longjmp out, and should return quickly. */
typedef int32_t (*wdc_progress_fn)(const wdc_progress *progress, void *user);

/* Trains the model in place.
   train_json: a JSON object of training options (see docs/TRAINING.md):
     "data": an npz path, or "synthetic": the number of maps to generate; "val": an npz path, or
     "val_fraction": the share of data held out for validation; "epochs", "batch_size", "lr",
     "momentum", "weight_decay", "seed", "threads", "checkpoint" (a path), "resume" (bool),
     "augment" (bool), "init" (a model file or "builtin" whose weights training starts from:
     fine-tuning), "world_size", "rank", "dist_url" ("tcp://HOST:PORT" or "env://"),
     "dist_timeout", "sync_batch_norm" (data-parallel training: world_size processes, each
     calling wdc_train with its rank, train one model; docs/DISTRIBUTED.md), "deterministic"
     (bool: the same weights, bit for bit, on any x86-64 CPU with AVX2 and FMA and any thread
     count; the process must have been started with ATEN_CPU_CAPABILITY=avx2 and
     OPENBLAS_CORETYPE=Haswell in its environment; docs/TRAINING.md), ...
   A model whose config named no labels takes the training data's names (and, without a
   "task", the data's: class indices make it single-label), with a new head; one whose config
   named labels must get data of those labels.
   progress, user: an optional callback (NULL for none) and the pointer passed to it unchanged.
   report_json: receives the training report as JSON (per-epoch loss and validation metrics,
     the epoch kept, timings), released with wdc_string_free; may be NULL if it is not wanted.
     Untouched on failure.
   The model ends with the weights of its best epoch by validation exact match (without
   validation data, its last epoch).
   On WDC_E_CANCELLED (the callback returned non-zero) training stops at once and the model is
   left with the weights of the best epoch completed before the cancellation (with one completed
   epoch, or without validation data, that is the last completed epoch), or as before the call
   if no epoch was completed; no report is returned. A failure once training has started (e.g.
   out of memory, a checkpoint that cannot be written) leaves the model the same way; a failure
   before it starts (options, data files, WDC_E_BUSY) leaves the model untouched.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (train_json NULL), WDC_E_CONFIG (train_json:
     malformed, unknown key, value out of range, not exactly one of "data" and "synthetic"),
     WDC_E_IO, WDC_E_FORMAT (the data files, the "init" model file), WDC_E_INVALID_ARGUMENT
     (data of other labels than the model's; an "init" model of another network),
     WDC_E_CANCELLED, WDC_E_BUSY, WDC_E_OUT_OF_MEMORY, WDC_E_RUNTIME (data-parallel: the
     group could not be joined, or another rank stopped, within "dist_timeout" seconds),
     WDC_E_UNSUPPORTED ("deterministic" on a CUDA device, on a CPU without AVX2 and FMA, or in
     a process whose ATen or OpenBLAS runs other kernels: the message names what to set).
   Threading: needs the model to itself (see Threading): fails at once with WDC_E_BUSY while
     another thread uses the model; while it runs, other calls on the model fail with
     WDC_E_BUSY. */
WDC_API wdc_status wdc_train(wdc_model *model, const char *train_json, wdc_progress_fn progress,
                             void *user, char **report_json);

/* ---- Decisions ------------------------------------------------------------------------------- */

/* The model's decision thresholds: label j counts as present when its probability is at least
   thresholds[j] (chosen on validation maps by wdc_train; 0.5 for an untrained model).
   thresholds: a buffer of thresholds_len floats, thresholds_len >= wdc_num_labels(model);
     untouched on failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT, WDC_E_BUSY. Threading: as wdc_predict. */
WDC_API wdc_status wdc_thresholds(const wdc_model *model, float *thresholds,
                                  int64_t thresholds_len);

/* The index of the label called `name`: a label name ("Loc", compared without regard to case),
   for MixedWM38's labels also a short name ("L", "EL", "NF"), or a decimal index ("4").
   Returns the index, or -1 when nothing matches or model is not a live handle (the thread's
   last error message then lists the choices). Thread-safe. */
WDC_API int32_t wdc_label_index(const wdc_model *model, const char *name);

/* Classifies `count` maps (as wdc_predict) and applies the model's thresholds (a single-label
   model: "labels" holds the one most probable class).
   result_json: receives a JSON array with one object per map, in order:
     {"index": i, "probabilities": [num_labels floats], "labels": [names of the labels present],
      "type": {"id": "C12", "name": "C+L"}, "novelty": n, "unknown": false}; "type" is
     MixedWM38's pattern type of the labels present (id null and name "unknown" when they form
     none of the 38, or the model's labels are not MixedWM38's); "novelty" and "unknown" as
     wdc_novelty says (novelty null and unknown false for a model without novelty statistics).
     Release with wdc_string_free; untouched on failure.
   Errors: those of wdc_predict. Threading: as wdc_predict. */
WDC_API wdc_status wdc_classify(wdc_model *model, const uint8_t *maps, int64_t count,
                                int64_t height, int64_t width, char **result_json);

/* Evaluates the model on maps and labels in memory: the report of wdc_evaluate.
   maps: count * height * width bytes (see Wafer maps); labels: count * wdc_num_labels(model)
     bytes, 0 (absent) or 1 (present), map after map; labels_len >= that.
   Errors: those of wdc_predict, and WDC_E_INVALID_ARGUMENT (a label value other than 0 or 1),
     WDC_E_UNSUPPORTED (the labels in memory are MixedWM38's 8: a model of other labels is
     evaluated through a data set, wdc_dataset_create_ragged and wdc_evaluate_dataset).
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_evaluate_maps(wdc_model *model, const uint8_t *maps, int64_t count,
                                     int64_t height, int64_t width, const uint8_t *labels,
                                     int64_t labels_len, char **report_json);

/* ---- Data sets ------------------------------------------------------------------------------- */

/* Labelled wafer maps held by the library: read from an npz file, generated, made from caller
   buffers, or split from another data set. Opaque; released by wdc_dataset_free. A data set is
   never changed after it is made, so any number of threads may use one at once. Its maps share
   one size or each has its own (wdc_dataset_map_size); its labels have names
   (wdc_dataset_label_name: MixedWM38's 8 unless the file or the creator named others), and each
   map has a 0/1 vector over them, with exactly one 1 in a single-label data set (one class per
   map, as in WM-811K). */
typedef struct wdc_dataset wdc_dataset;

/* Reads an npz file in any of the layouts of docs/DATA.md: MixedWM38's (arr_0 the maps (N, H, W),
   arr_1 the labels (N, 8)); named (maps (N, H, W), labels (N,) class indices or (N, L) 0/1,
   label_names (L,) strings, optional); ragged, for maps of several sizes (maps (P,) every map's
   values one map after the other, shapes (N, 2) rows and columns, labels and label_names as
   named). Map values 0 off the wafer, 1 pass, >= 2 fail. Any integer dtype, bool for labels, or
   floats holding whole numbers. Class indices make a single-label data set.
   options_json: {"max_file_bytes": largest array read, default 2147483648}; NULL or "".
   out: receives the handle (release with wdc_dataset_free); untouched on failure.
   Errors: WDC_E_INVALID_ARGUMENT (path or out NULL, path ""), WDC_E_IO, WDC_E_FORMAT (not an npz,
     arrays missing, of the wrong rank, dtype or values (fractions, negative map values, classes
     out of range), shapes that do not add up to the maps, a names count that disagrees, or an
     array larger than max_file_bytes),
     WDC_E_CONFIG (options_json), WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_load(const char *path, const char *options_json,
                                    wdc_dataset **out);

/* A data set of `count` maps from caller buffers, copied.
   maps: count * height * width bytes (see Wafer maps; values >= 2 are stored as 2).
   labels: count * 8 bytes, 0 or 1 (MixedWM38's labels), labels_len >= that; or NULL with
     labels_len 0 for maps without labels (all stored as 0).
   Errors: WDC_E_INVALID_ARGUMENT (NULL pointers, sizes < 1 or overflowing, a buffer too short,
     a label value other than 0 or 1), WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_create(const uint8_t *maps, int64_t count, int64_t height,
                                      int64_t width, const uint8_t *labels, int64_t labels_len,
                                      wdc_dataset **out);

/* A data set from caller buffers, copied, with maps of any sizes and labels of any names.
   maps: every map's values one map after the other (values >= 2 are stored as 2), maps_len of
     them in all; shapes: count pairs (rows, columns), each side >= 1, adding up to maps_len.
   labels: count * L bytes, 0 or 1, L the number of names (8 without "labels"), labels_len >=
     that; or NULL with labels_len 0 for maps without labels (all stored as 0).
   options_json: {"labels": ["name", ...] (default MixedWM38's 8), "single_label": false (true:
     each map has exactly one label, its class)}; NULL or "".
   Errors: WDC_E_INVALID_ARGUMENT (NULL pointers, sizes < 1, shapes that do not add up to
     maps_len, a buffer too short, a label value other than 0 or 1, a single-label map without
     exactly one label), WDC_E_CONFIG (options_json), WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_create_ragged(const uint8_t *maps, int64_t maps_len,
                                             const int64_t *shapes, int64_t count,
                                             const uint8_t *labels, int64_t labels_len,
                                             const char *options_json, wdc_dataset **out);

/* `count` generated MixedWM38-like 52 x 52 maps, the 38 pattern types in the real data's
   proportions; the same seed gives the same maps on every platform (docs/CLI.md, `wdc synth`).
   count in [1, 10000000].
   Errors: WDC_E_INVALID_ARGUMENT, WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_synthesize(int64_t count, uint64_t seed, wdc_dataset **out);

/* Writes the data set as an npz file that wdc_dataset_load reads back the same: MixedWM38's
   layout (arr_0 int32 (N, H, W), arr_1 int32 (N, 8)) for multi-label maps of one size with
   MixedWM38's labels; else the named layout (uint8 maps, ragged when the sizes differ; int32
   labels, class indices (N,) for a single-label set; label_names), atomically (as wdc_save). options_json: {"compressed": true (default) or false};
   NULL or "".
   Errors: WDC_E_MISUSE (data not live), WDC_E_INVALID_ARGUMENT, WDC_E_CONFIG, WDC_E_IO,
     WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_save(const wdc_dataset *data, const char *path,
                                    const char *options_json);

/* Releases a data set. NULL is allowed; a handle that is not live is ignored (the thread's last
   error message says so). No other call may be using it. */
WDC_API void wdc_dataset_free(wdc_dataset *data);

/* The number of maps, or -1 if data is not a live handle. Thread-safe. */
WDC_API int64_t wdc_dataset_count(const wdc_dataset *data);

/* The number of labels per map, or -1 if data is not a live handle. Thread-safe. */
WDC_API int32_t wdc_dataset_num_labels(const wdc_dataset *data);

/* The name of label `index`, e.g. "Center"; NULL when out of range or data is not live. The
   string lives as long as the data set. Thread-safe. */
WDC_API const char *wdc_dataset_label_name(const wdc_dataset *data, int32_t index);

/* The size of map `index`.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (index out of range, NULL pointers). */
WDC_API wdc_status wdc_dataset_map_size(const wdc_dataset *data, int64_t index, int64_t *height,
                                        int64_t *width);

/* Copies maps [first, first + count) into `maps`, map after map (0, 1 or 2 per die).
   maps_len >= the sum of their rows * columns (count * height * width when they share a size).
   Untouched on failure.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (range outside the data set, buffer short). */
WDC_API wdc_status wdc_dataset_maps(const wdc_dataset *data, int64_t first, int64_t count,
                                    uint8_t *maps, int64_t maps_len);

/* Copies the labels of maps [first, first + count), count * num_labels bytes (0 or 1).
   Errors: as wdc_dataset_maps. */
WDC_API wdc_status wdc_dataset_labels(const wdc_dataset *data, int64_t first, int64_t count,
                                      uint8_t *labels, int64_t labels_len);

/* The data set as JSON: {"count", "height", "width" (0 when the sizes differ), "mixed_sizes",
   "labels": [names], "single_label", "support": [maps per label], with mixed sizes "sizes"
   (distinct), "min_side", "max_side"; for MixedWM38's labels "types": {"C1": n, ...} (pattern
   types present, by their id) and "untyped": maps whose labels form none of them}. Release
   with wdc_string_free. Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT. */
WDC_API wdc_status wdc_dataset_info(const wdc_dataset *data, char **info_json);

/* Splits a data set into train, validation and test parts, shuffled and stratified by label
   vector (MixedWM38's pattern types; a single-label set's classes): each group's maps go
   round(n * val) to val, round(n * test) to test, the rest to train; membership is fixed by the seed on every platform; each part keeps the file's order.
   options_json: {"val": 0.1, "test": 0.1, "seed": 0}; NULL or "" for these defaults.
   train, val, test: each receives a new data set (possibly of 0 maps); all three untouched on
     failure. Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (NULL pointers), WDC_E_CONFIG (an
     unknown key, a share outside [0, 1], val + test > 1), WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_dataset_split(const wdc_dataset *data, const char *options_json,
                                     wdc_dataset **train, wdc_dataset **val,
                                     wdc_dataset **test);

/* ---- The model on a data set ----------------------------------------------------------------- */

/* wdc_evaluate on a data set in memory. Errors: those of wdc_evaluate (WDC_E_MISUSE also for a
   data set that is not live). Threading: as wdc_predict. */
WDC_API wdc_status wdc_evaluate_dataset(wdc_model *model, const wdc_dataset *data,
                                        char **report_json);

/* wdc_classify on maps [first, first + count) of a data set; each object also has "true_labels"
   (the names of the labels the data set gives the map), "true_type" ({"id", "name"} as "type")
   and "correct" (true when every label is decided as labelled; false for a model whose labels
   are not the data set's). "index" is the map's index in the data set.
   Errors: those of wdc_classify, WDC_E_INVALID_ARGUMENT (range outside the data set).
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_classify_dataset(wdc_model *model, const wdc_dataset *data, int64_t first,
                                        int64_t count, char **result_json);

/* wdc_train on maps in memory: `data` holds the training maps and `val` (may be NULL) the
   validation maps, in place of train_json's "data"/"synthetic" and "val", which must then be
   left out (without `val`, "val_fraction" of `data` is held out as usual). Everything else —
   options, progress, cancellation, the report, what the model is left with — as wdc_train.
   Errors: those of wdc_train, WDC_E_MISUSE also for a data set that is not live,
     WDC_E_INVALID_ARGUMENT (a data set of 0 maps), WDC_E_CONFIG (train_json names a data source
     that is given here). Threading: as wdc_train; the data sets may be in use elsewhere. */
WDC_API wdc_status wdc_train_dataset(wdc_model *model, const char *train_json,
                                     const wdc_dataset *data, const wdc_dataset *val,
                                     wdc_progress_fn progress, void *user, char **report_json);

/* ---- Cross-validation ------------------------------------------------------------------------ */

/* k-fold cross-validation of a training recipe: figures for choosing recipes (losses, sampling,
   thresholds, widths) that do not fit one small validation split. The maps of `data` and `val`
   (may be NULL; pooled with `data`) are cut into stratified folds (by MixedWM38 pattern type,
   or by class; fixed by "seed"); for each fold an untrained copy of `model` (its network config
   and run-time options; `model` itself is not changed) trains on the other folds as
   wdc_train_dataset with no validation set ("val_fraction" of them choose the epoch and, with
   "tune_thresholds", the thresholds) and predicts the fold's maps. Each fold is scored with
   thresholds chosen on the other folds' out-of-fold predictions (with "tune_thresholds"; else
   0.5), never on the maps it scores.
   options_json: wdc_train's options plus "folds" (2 to 100, default 5) and "keep_probabilities"
     (default false; true adds "probabilities" to the report: per map, what the model that did
     not see it predicted, in the order of "assignment"); "data", "synthetic", "val" and the
     data-parallel options are refused. "checkpoint" (a path prefix P) keeps each finished
     fold in P.foldK.json and the running fold's training in P.foldK.ckpt; with "resume": true
     the finished folds are read back instead of trained, and the running one continues from
     its checkpoint (fold files of another cross-validation: WDC_E_CONFIG). No novelty
     statistics are computed. NULL or "" for the defaults.
   progress, user: as wdc_train, called for every fold's batches with `fold` and `folds` set.
   report_json: receives {"folds", "seed", "samples", "task", "thresholds" ("out_of_fold" or
     "0.5"), "assignment" (each map's fold, 1-based: `data`'s maps, then `val`'s), "fold_results": [{"fold", "train_samples", "val_samples", "held_out_samples",
     "best_epoch", "seconds", "from_file" (true: read from its fold file by a resumed run),
     "thresholds", "metrics" (wdc_evaluate's report of the fold)}],
     "summary": [{"metric" ("exact_match", "mean_f1", "f1 <label>", "accuracy C8", "recall
     <class>", ...), "mean", "std" (sample standard deviation over the folds), "values" (per
     fold; null where a fold holds none of a type)}], "out_of_fold" (wdc_evaluate's report of
     every map, each decided by the model that did not see it), "seconds"}; released with
     wdc_string_free; untouched on failure.
   Costs `folds` trainings. Errors: WDC_E_MISUSE (a model or data set that is not live),
     WDC_E_INVALID_ARGUMENT (fewer maps than folds, data of other labels than the model's,
     `data` and `val` of different labels), WDC_E_CONFIG (also: a resumed run's fold file written
     by another cross-validation), WDC_E_FORMAT (a damaged fold file), WDC_E_IO,
     WDC_E_CANCELLED, and those of wdc_train_dataset. Threading: reads `model` (as wdc_predict); each fold's model is its own. */
WDC_API wdc_status wdc_cross_validate(wdc_model *model, const char *options_json,
                                      const wdc_dataset *data, const wdc_dataset *val,
                                      wdc_progress_fn progress, void *user, char **report_json);

/* ---- Embeddings and similar maps ------------------------------------------------------------- */

/* The length of a map's embedding (the channels of the network's last block), or -1 for a
   model handle that is not live. Thread-safe. */
WDC_API int64_t wdc_embedding_size(const wdc_model *model);

/* One embedding per map: the network's features of the map averaged over space and scaled to
   unit length, so that the dot product of two embeddings is their cosine similarity (maps that
   look alike to the model are near each other, whatever its labels call them). Maps as for
   wdc_predict. embeddings: count * wdc_embedding_size(model) floats, row-major, written on
   success only. Errors: those of wdc_predict. Threading: as wdc_predict. */
WDC_API wdc_status wdc_embed(wdc_model *model, const uint8_t *maps, int64_t count, int64_t height,
                             int64_t width, float *embeddings, int64_t embeddings_len);

/* wdc_embed on maps [first, first + count) of a data set, whatever their sizes.
   Errors: those of wdc_embed, WDC_E_MISUSE (a data set that is not live),
   WDC_E_INVALID_ARGUMENT (range outside the data set). Threading: as wdc_predict. */
WDC_API wdc_status wdc_embed_dataset(wdc_model *model, const wdc_dataset *data, int64_t first,
                                     int64_t count, float *embeddings, int64_t embeddings_len);

/* An index of wafer maps for similar-map search: each map's embedding and labels, and the
   fingerprint of the model that embedded them. Built once from a data set (or loaded from a
   file that wdc_index_save or `wdc embed` wrote), queried many times; never changed after
   creation, so it may be shared across threads. Released by wdc_index_free. */
typedef struct wdc_index wdc_index;

/* Embeds every map of `data` with `model` (as wdc_embed_dataset) and keeps the embeddings with
   the data set's labels. out: receives the new handle; untouched on failure.
   Errors: those of wdc_embed_dataset, WDC_E_INVALID_ARGUMENT (out NULL).
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_index_build(wdc_model *model, const wdc_dataset *data, wdc_index **out);

/* Loads an index file (npz: "embeddings" (N, D) float32, "labels" and "label_names" as in a data
   file, "model" (1,) the model's fingerprint). options_json: {"max_file_bytes": N} as for
   wdc_dataset_load, NULL or "" for the default. Rows are scaled to unit length.
   Errors: WDC_E_INVALID_ARGUMENT (NULL or "" path, out NULL), WDC_E_IO, WDC_E_FORMAT (missing or
   malformed arrays, a value that is not finite), WDC_E_CONFIG, WDC_E_OUT_OF_MEMORY. */
WDC_API wdc_status wdc_index_load(const char *path, const char *options_json, wdc_index **out);

/* Writes the index as an npz file (atomically, as wdc_save). Errors: WDC_E_MISUSE,
   WDC_E_INVALID_ARGUMENT (NULL or "" path), WDC_E_IO. Thread-safe. */
WDC_API wdc_status wdc_index_save(const wdc_index *index, const char *path);

/* Releases an index; NULL does nothing. Must not run while another call uses the index. */
WDC_API void wdc_index_free(wdc_index *index);

/* The number of maps in the index, or -1 for a handle that is not live. Thread-safe. */
WDC_API int64_t wdc_index_count(const wdc_index *index);

/* For each of `count` maps (as for wdc_predict), the k indexed maps most similar to it by cosine
   similarity of their embeddings, most similar first, as a JSON array (release with
   wdc_string_free): one object per map, {"index": i, "neighbours": [{"index": j (in the
   index), "similarity": s (in [-1, 1]), "labels": [names]}, ...]} with min(k, index size)
   neighbours. `model` must be the model that built the index (its fingerprint is checked).
   Errors: those of wdc_embed, WDC_E_MISUSE (an index that is not live),
   WDC_E_INVALID_ARGUMENT (k < 1, result_json NULL, an index made by another model).
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_similar(wdc_model *model, const wdc_index *index, const uint8_t *maps,
                               int64_t count, int64_t height, int64_t width, int32_t k,
                               char **result_json);

/* wdc_similar for maps [first, first + count) of a data set ("index" is the map's index in the
   data set). Errors: those of wdc_similar and wdc_embed_dataset. */
WDC_API wdc_status wdc_similar_dataset(wdc_model *model, const wdc_index *index,
                                       const wdc_dataset *data, int64_t first, int64_t count,
                                       int32_t k, char **result_json);

/* ---- Novelty --------------------------------------------------------------------------------- */

/* How unlike the maps a model was trained on a map is: 1 minus the cosine similarity of its
   embedding to that of its k-th nearest training map (k = 5 unless training said otherwise;
   the model keeps a seeded sample of its training maps' embeddings), in [0, 2], higher = more
   novel. A map whose novelty is above the model's novelty threshold is "unknown": probably a
   pattern none of the model's labels describes, whatever its probabilities say. Training
   calibrates the threshold on the validation maps (by default it flags 1% of them: training
   option "novelty_share"); wdc_load's option "novelty_threshold" replaces it.
   Models trained before novelty existed have no statistics: wdc_fit_novelty adds them. */

/* Novelty of `count` maps (as for wdc_predict). novelty: count floats, written on success only.
   Errors: those of wdc_predict, WDC_E_UNSUPPORTED (a model without novelty statistics).
   Threading: as wdc_predict. */
WDC_API wdc_status wdc_novelty(wdc_model *model, const uint8_t *maps, int64_t count,
                               int64_t height, int64_t width, float *novelty,
                               int64_t novelty_len);

/* The novelty above which a map is unknown: wdc_load's "novelty_threshold" if given, else the
   calibrated one. Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (threshold NULL),
   WDC_E_UNSUPPORTED (no novelty statistics), WDC_E_BUSY. Thread-safe. */
WDC_API wdc_status wdc_novelty_threshold(const wdc_model *model, float *threshold);

/* Computes a trained model's novelty statistics, as training does at its end: the embeddings
   of the maps of `train` (the model's training maps; a seeded sample when there are more than
   "bank"), then the threshold that flags "share" of the maps of `val` (maps of the classes the
   model knows, not used for training). Replaces any the model had; wdc_save keeps them.
   options_json: {"k": 5 (1-1000), "bank": 4096 (most training maps kept, >= k),
     "share": 0.01 (0-0.5), "seed": 0}; NULL or "".
   result_json: receives {"method": "knn", "k", "bank" (maps kept), "threshold",
     "calibration_share", "calibration_maps"} (release with wdc_string_free), or NULL.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (empty data sets, fewer training maps than k),
     WDC_E_CONFIG (options_json), WDC_E_BUSY (the model is in use), WDC_E_OUT_OF_MEMORY.
   Threading: like wdc_train, it needs the model to itself. */
WDC_API wdc_status wdc_fit_novelty(wdc_model *model, const wdc_dataset *train,
                                   const wdc_dataset *val, const char *options_json,
                                   char **result_json);

/* ---- Pictures and reports -------------------------------------------------------------------- */

/* Writes a wafer map as a PNG picture, with a class activation map (from wdc_cam) blended over
   it, atomically: every die a scale x scale block; off-wafer white, pass grey, fail dark grey,
   the CAM in matplotlib's "inferno" colours at opacity alpha over the dies.
   cam: height * width floats in [0, 1] (cam_len >= that), or NULL (cam_len 0) for the map alone.
   options_json: {"scale": 8 (1-64), "alpha": 0.5 (0-1)}; NULL or "".
   Errors: WDC_E_INVALID_ARGUMENT, WDC_E_CONFIG, WDC_E_IO, WDC_E_OUT_OF_MEMORY. Thread-safe. */
WDC_API wdc_status wdc_write_map_png(const char *path, const uint8_t *map, int64_t height,
                                     int64_t width, const float *cam, int64_t cam_len,
                                     const char *options_json);

/* Writes a self-contained HTML report of the model on a labelled data set to out_dir/index.html
   (out_dir is created if needed; the page is written atomically): training curves, metrics, the
   label confusion view (a class confusion matrix for a single-label model), class activation
   maps of a few maps per pattern type (per class; per label combination), and the maps the
   model calls unknown (wdc_novelty), the 24 most novel with their CAMs (none when per_type is 0).
   options_json: {"per_type": 3 (CAM pictures per type, 0-100), "scale": 3 (pixels per die,
     1-16), "model_name", "data_name" (how the page names them; default "model", "data")}.
   result_json: receives {"out", "bytes", "samples", "exact_match" (the accuracy of a
     single-label model), "task", "pictures", "types" (gallery groups), "unknown" (maps above
     the novelty threshold; 0 for a model without novelty statistics)}; may be NULL. Release
     with wdc_string_free.
   Errors: WDC_E_MISUSE, WDC_E_INVALID_ARGUMENT (NULL pointers, an empty data set, out_dir a
     file, a data set whose labels are not the model's), WDC_E_CONFIG, WDC_E_IO, WDC_E_BUSY, WDC_E_OUT_OF_MEMORY. Threading: as wdc_predict. */
WDC_API wdc_status wdc_report(wdc_model *model, const wdc_dataset *data, const char *out_dir,
                              const char *options_json, char **result_json);

/* ---- Config files ---------------------------------------------------------------------------- */

/* Reads a config file {"network": {...}, "train": {...}} (both optional; keys starting with "_",
   "comment" and "description" are ignored) into the texts wdc_create and wdc_train take.
   network_json: receives the network config ("" when the file has none); train_json: receives
   the training options ("{}" when none). Release both with wdc_string_free; both untouched on
   failure.
   Errors: WDC_E_INVALID_ARGUMENT (NULL pointers, path ""), WDC_E_IO, WDC_E_CONFIG (not JSON, not
     an object, an unknown key, "network" or "train" not an object). Thread-safe. */
WDC_API wdc_status wdc_config_read(const char *path, char **network_json, char **train_json);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WDC_WDC_H */
