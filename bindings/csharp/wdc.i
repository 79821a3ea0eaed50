/* wdc.i: SWIG interface that generates the P/Invoke layer of the C# binding from include/wdc/wdc.h.
 *
 *   swig -csharp -namespace Wdc.Native -dllimport wdc_csharp -I<include> -o wdc_wrap.c wdc.i
 *
 * produces
 *   - wdc_wrap.c: the C side (one CSharp_* function per wdc_* function), compiled into the native
 *     shim libwdc_csharp.so, which links libwdc.so.1;
 *   - WdcCapi.cs (module class) and WdcCapiPINVOKE.cs (DllImports), both `internal`, namespace
 *     Wdc.Native. The public API is the handwritten layer in src/ (namespace Wdc).
 *
 * Type mapping (C -> C# module class):
 *   wdc_model *, const wdc_model *      Wdc.Native.ModelHandle (a SafeHandle: the marshaller
 *                                       AddRefs it around every call, so a Dispose on another
 *                                       thread cannot free the model while a call is inside it)
 *   wdc_model **out                     out ModelHandle (null handle unless WDC_OK)
 *   wdc_free(wdc_model *)               IntPtr (called from ModelHandle.ReleaseHandle only)
 *   wdc_dataset *, const wdc_dataset *  Wdc.Native.DatasetHandle (a SafeHandle, as ModelHandle)
 *   wdc_dataset **out, **train, **val, **test
 *                                       out DatasetHandle (null handle unless WDC_OK)
 *   wdc_dataset_free(wdc_dataset *)     IntPtr (called from DatasetHandle.ReleaseHandle only)
 *   wdc_index *, const wdc_index *, wdc_index **out, wdc_index_free(wdc_index *)
 *                                       Wdc.Native.IndexHandle, as for data sets
 *   const char * (argument)             string, passed as NUL-terminated UTF-8 bytes
 *   const char * (result)               string, decoded from UTF-8; NULL -> null; the library's
 *                                       pointer is not freed (it owns it)
 *   char **info_json, **report_json, **result_json, **network_json, **train_json
 *                                       out string: the library's string is copied and released
 *                                       with wdc_string_free in a finally block
 *   const uint8_t *maps, *map, *labels  byte[] (pinned, not copied; null -> NULL)
 *   uint8_t *maps, *labels              byte[] (pinned, written in place)
 *   float *probabilities, *cam, *thresholds, *embeddings, *novelty
 *                                       float[] (pinned, written in place)
 *   float *threshold                    out float
 *   const float *cam                    float[] (pinned, not copied; null -> NULL)
 *   const int64_t *shapes               long[] (pinned, not copied; its own typemaps and a
 *                                       written-out call, see "buffers" below)
 *   uint64_t seed                       ulong (stdint.i)
 *   int64_t *height, *width             out long
 *   (wdc_progress_fn, void *user)       ProgressFn delegate, called through a C trampoline that
 *                                       unpacks wdc_progress into scalars (the struct's layout
 *                                       then lives only in C, compiled against wdc.h)
 *   #define WDC_*                       C# const int
 */
%module(imclassname="WdcCapiPINVOKE") WdcCapi

%include <stdint.i>
%include <typemaps.i>
%include <arrays_csharp.i>

%pragma(csharp) moduleclassmodifiers="internal static class"
%pragma(csharp) imclassclassmodifiers="internal class"
/* The #defines become C# constants (`const int`), usable in the handwritten Status enum. */
%csconst(1);

%{
#include <stddef.h>
#include <stdint.h>
#include "wdc/wdc.h"
%}

/* ---- model handles ---------------------------------------------------------------------------- */
%typemap(ctype)  wdc_model *, const wdc_model * "void *"
%typemap(imtype) wdc_model *, const wdc_model * "global::Wdc.Native.ModelHandle"
%typemap(cstype) wdc_model *, const wdc_model * "global::Wdc.Native.ModelHandle"
%typemap(csin)   wdc_model *, const wdc_model * "$csinput"
%typemap(in)     wdc_model *, const wdc_model * %{ $1 = ($1_ltype)$input; %}

/* wdc_create / wdc_load: the marshaller creates the ModelHandle from the pointer the library
   writes; on failure the library leaves it untouched (NULL) and the handle is invalid. */
%typemap(ctype)  wdc_model **out "void *"
%typemap(imtype) wdc_model **out "out global::Wdc.Native.ModelHandle"
%typemap(cstype) wdc_model **out "out global::Wdc.Native.ModelHandle"
%typemap(csin)   wdc_model **out "out $csinput"
%typemap(in)     wdc_model **out %{ $1 = (wdc_model **)$input; %}

/* wdc_free takes the raw pointer: it runs from SafeHandle.ReleaseHandle, when the handle is
   already closed and can no longer be marshalled as a SafeHandle. */
%typemap(ctype)  wdc_model *released "void *"
%typemap(imtype) wdc_model *released "global::System.IntPtr"
%typemap(cstype) wdc_model *released "global::System.IntPtr"
%typemap(csin)   wdc_model *released "$csinput"
%typemap(in)     wdc_model *released %{ $1 = (wdc_model *)$input; %}
%ignore wdc_free;

/* ---- data-set handles ------------------------------------------------------------------------- */
/* As the model handles: a SafeHandle that the marshaller AddRefs around every call. */
%typemap(ctype)  wdc_dataset *, const wdc_dataset * "void *"
%typemap(imtype) wdc_dataset *, const wdc_dataset * "global::Wdc.Native.DatasetHandle"
%typemap(cstype) wdc_dataset *, const wdc_dataset * "global::Wdc.Native.DatasetHandle"
%typemap(csin)   wdc_dataset *, const wdc_dataset * "$csinput"
%typemap(in)     wdc_dataset *, const wdc_dataset * %{ $1 = ($1_ltype)$input; %}

/* wdc_dataset_load / _create / _synthesize / _split: invalid (NULL) handles on failure, since the
   library leaves every out-parameter untouched. */
%typemap(ctype)  wdc_dataset **out "void *"
%typemap(imtype) wdc_dataset **out "out global::Wdc.Native.DatasetHandle"
%typemap(cstype) wdc_dataset **out "out global::Wdc.Native.DatasetHandle"
%typemap(csin)   wdc_dataset **out "out $csinput"
%typemap(in)     wdc_dataset **out %{ $1 = (wdc_dataset **)$input; %}
%apply wdc_dataset **out { wdc_dataset **train, wdc_dataset **val, wdc_dataset **test };

/* wdc_dataset_free takes the raw pointer, for DatasetHandle.ReleaseHandle. */
%typemap(ctype)  wdc_dataset *released "void *"
%typemap(imtype) wdc_dataset *released "global::System.IntPtr"
%typemap(cstype) wdc_dataset *released "global::System.IntPtr"
%typemap(csin)   wdc_dataset *released "$csinput"
%typemap(in)     wdc_dataset *released %{ $1 = (wdc_dataset *)$input; %}
%ignore wdc_dataset_free;

/* ---- index handles: as data sets ------------------------------------------------------------- */
%typemap(ctype)  wdc_index *, const wdc_index * "void *"
%typemap(imtype) wdc_index *, const wdc_index * "global::Wdc.Native.IndexHandle"
%typemap(cstype) wdc_index *, const wdc_index * "global::Wdc.Native.IndexHandle"
%typemap(csin)   wdc_index *, const wdc_index * "$csinput"
%typemap(in)     wdc_index *, const wdc_index * %{ $1 = ($1_ltype)$input; %}
%typemap(ctype)  wdc_index **out "void *"
%typemap(imtype) wdc_index **out "out global::Wdc.Native.IndexHandle"
%typemap(cstype) wdc_index **out "out global::Wdc.Native.IndexHandle"
%typemap(csin)   wdc_index **out "out $csinput"
%typemap(in)     wdc_index **out %{ $1 = (wdc_index **)$input; %}
%typemap(ctype)  wdc_index *released "void *"
%typemap(imtype) wdc_index *released "global::System.IntPtr"
%typemap(cstype) wdc_index *released "global::System.IntPtr"
%typemap(csin)   wdc_index *released "$csinput"
%typemap(in)     wdc_index *released %{ $1 = (wdc_index *)$input; %}
%ignore wdc_index_free;

/* ---- strings ---------------------------------------------------------------------------------- */
/* Arguments: UTF-8 on every runtime and platform (the default `string` marshalling is the ANSI
   code page on Windows), as NUL-terminated byte arrays; null stays NULL. */
%typemap(ctype, out="void *") const char * "const char *"
%typemap(imtype, out="global::System.IntPtr",
         inattributes="[global::System.Runtime.InteropServices.In, global::System.Runtime.InteropServices.MarshalAs(global::System.Runtime.InteropServices.UnmanagedType.LPArray)]")
  const char * "byte[]"
%typemap(cstype) const char * "string"
%typemap(csin)   const char * "global::Wdc.Native.Utf8.Encode($csinput)"
%typemap(in)     const char * %{ $1 = ($1_ltype)$input; %}
/* Results: library-owned, copied and decoded; never freed here. */
%typemap(out)    const char * %{ $result = (void *)$1; %}
%typemap(csout, excode=SWIGEXCODE) const char * {
    string ret = global::Wdc.Native.Utf8.Decode($imcall);$excode
    return ret;
  }

/* wdc_string_free takes the raw pointer. */
%typemap(ctype)  char *string "void *"
%typemap(imtype) char *string "global::System.IntPtr"
%typemap(cstype) char *string "global::System.IntPtr"
%typemap(csin)   char *string "$csinput"
%typemap(in)     char *string %{ $1 = (char *)$input; %}

/* Strings the library allocates: copied into a managed string, then released with
   wdc_string_free in a finally block, so nothing leaks when decoding throws. The out IntPtr stays
   Zero when the call fails (the library leaves out-parameters untouched). */
%typemap(ctype)  char **OWNED_UTF8 "void *"
%typemap(imtype) char **OWNED_UTF8 "out global::System.IntPtr"
%typemap(cstype) char **OWNED_UTF8 "out string"
%typemap(csin,
         pre="    global::System.IntPtr owned_$csinput = global::System.IntPtr.Zero;",
         post="      $csinput = global::Wdc.Native.Utf8.DecodeAndFree(owned_$csinput);")
  char **OWNED_UTF8 "out owned_$csinput"
%typemap(in)     char **OWNED_UTF8 %{ $1 = (char **)$input; %}
%apply char **OWNED_UTF8 { char **info_json, char **report_json, char **result_json,
                            char **network_json, char **train_json };

/* ---- buffers ---------------------------------------------------------------------------------- */
/* The library checks every length it is given, but cannot see an array's: the handwritten layer
   checks that each array holds what the length passed with it says. */
%apply unsigned char INPUT[] { const uint8_t *maps, const uint8_t *map, const uint8_t *labels };
%apply unsigned char OUTPUT[] { uint8_t *maps, uint8_t *labels };
%apply float INPUT[] { const float *cam };
%apply float OUTPUT[] { float *probabilities, float *cam, float *thresholds, float *embeddings,
                        float *novelty };
%apply float *OUTPUT { float *threshold };
%apply long long *OUTPUT { int64_t *height, int64_t *width };

/* const int64_t *shapes (wdc_dataset_create_ragged): a long[] passed as the INPUT[] arrays above.
   Not `%apply long long INPUT[]`: SWIG's stdint.i declares int64_t as `long long`, while LP64
   Linux has it `long`, and SWIG casts a const pointer argument to its typedef-resolved type in
   the call, `(long long const *)arg3`, which C rejects as an incompatible pointer type whatever
   the typemaps say. So the typemaps name int64_t itself, and the call is written out below
   with the arguments uncast (`int64_t *` converts to `const int64_t *` implicitly; a change to
   the function's parameters fails to compile here rather than passing silently). */
%typemap(ctype)  const int64_t *shapes "int64_t *"
%typemap(imtype,
         inattributes="[global::System.Runtime.InteropServices.In, global::System.Runtime.InteropServices.MarshalAs(global::System.Runtime.InteropServices.UnmanagedType.LPArray)]")
  const int64_t *shapes "long[]"
%typemap(cstype) const int64_t *shapes "long[]"
%typemap(csin)   const int64_t *shapes "$csinput"
%typemap(in)     const int64_t *shapes %{ $1 = ($1_ltype)$input; %}
%feature("action") wdc_dataset_create_ragged %{
  result = (wdc_status)wdc_dataset_create_ragged(arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8);
%}

/* ---- progress callback ------------------------------------------------------------------------ */
/* The C# delegate gets the fields of wdc_progress as scalars. The trampoline below is the
   wdc_progress_fn that wdc_train calls; `user` points to a context on the wrapper's stack that
   holds the delegate's function pointer for exactly the duration of the call. */
%{
typedef int32_t (*wdc_cs_progress_fn)(int32_t epoch, int32_t epochs, int64_t step, int64_t steps,
                                      double loss, double val_exact_match, int32_t fold,
                                      int32_t folds);
typedef struct wdc_cs_progress_ctx {
  wdc_cs_progress_fn fn;
} wdc_cs_progress_ctx;

static int32_t wdc_cs_progress_trampoline(const wdc_progress *progress, void *user) {
  const wdc_cs_progress_ctx *ctx = (const wdc_cs_progress_ctx *)user;
  /* Fields are only appended; a library built with an older header may not fill the last. */
  const double val = progress->struct_size >= offsetof(wdc_progress, val_exact_match) +
                                                  sizeof(progress->val_exact_match)
                         ? progress->val_exact_match
                         : -1.0;
  const int has_folds =
      progress->struct_size >= offsetof(wdc_progress, folds) + sizeof(progress->folds);
  return ctx->fn(progress->epoch, progress->epochs, progress->step, progress->steps,
                 progress->loss, val, has_folds ? progress->fold : 0,
                 has_folds ? progress->folds : 0);
}
%}

%pragma(csharp) modulecode=%{
  /// <summary>What the progress trampoline passes on from <c>wdc_progress</c>. Return 0 to go
  /// on, non-zero to cancel. Must not throw (the caller catches everything).</summary>
  [global::System.Runtime.InteropServices.UnmanagedFunctionPointer(
      global::System.Runtime.InteropServices.CallingConvention.Cdecl)]
  internal delegate int ProgressFn(int epoch, int epochs, long step, long steps, double loss,
                                   double valExactMatch, int fold, int folds);
%}

%typemap(ctype)  (wdc_progress_fn progress, void *user) "wdc_cs_progress_fn"
%typemap(imtype) (wdc_progress_fn progress, void *user) "global::Wdc.Native.WdcCapi.ProgressFn"
%typemap(cstype) (wdc_progress_fn progress, void *user) "global::Wdc.Native.WdcCapi.ProgressFn"
%typemap(csin)   (wdc_progress_fn progress, void *user) "$csinput"
%typemap(in)     (wdc_progress_fn progress, void *user) (wdc_cs_progress_ctx ctx) %{
  ctx.fn = $input;
  $1 = $input ? wdc_cs_progress_trampoline : NULL;
  $2 = $input ? (void *)&ctx : NULL;
%}

/* The struct is read by the trampoline; no proxy class for it. */
%ignore wdc_progress;

/* ---- the header ------------------------------------------------------------------------------- */
%include "wdc/wdc.h"

%rename("%s") wdc_free;
void wdc_free(wdc_model *released);
%rename("%s") wdc_dataset_free;
void wdc_dataset_free(wdc_dataset *released);
%rename("%s") wdc_index_free;
void wdc_index_free(wdc_index *released);
