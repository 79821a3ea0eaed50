// CPU sampling kernels of deform_conv2d (see ops/deform_conv2d_device.h for the contract), in the
// channels-last layout: input [N, H, W, C], columns [images, Ho, Wo, K].
//
// Work goes one output row at a time. First the row's bilinear samples — for every (tap, offset
// group, output column) the four corner pixels and weights — are computed in one pass over the
// row's offsets, a loop of independent lanes the compiler vectorises (floor, weights and bounds
// used to be computed one sample at a time and cost more than the channel arithmetic at 1–32
// channels). Then every channel of the group reads or writes the four corners' channel vectors,
// which are contiguous in channels-last memory. With one input channel there is no channel
// vector to speak of, and the kernels work across the row's samples instead.
//
// A corner off the map reads a vector of zeros instead of pixel 0 with weight 0, so an inf or NaN
// in the input cannot leak into samples that do not touch it, and scatters skip it.
//
// Each row kernel is built for AVX-512, AVX2 and baseline x86-64 (target attributes; the helpers
// are always inlined into each build) and a call runs the one ops/cpu/kernel_isa.h chooses: the
// best the CPU offers, or the one deterministic training pins. bfloat16 inference's im2col has a
// fourth build, for AVX512_BF16, which narrows columns with the CPU's own instruction. The file is
// compiled with reassociation allowed (lib/CMakeLists.txt), so per-sample dot products reduce with
// shuffles. Threads split the work so that each writes memory no other thread touches: output rows
// for im2col and the offset gradient, (image, channel range) for the input gradient's scatter.
//
// Values are computed in T (float or double) and stored in V: V is T, except for bfloat16
// inference, where im2col reads a bfloat16 input, samples at float offsets and mask in float,
// and writes bfloat16 columns for oneDNN's bfloat16 GEMM.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <c10/util/BFloat16.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "ops/cpu/kernel_isa.h"
#include "ops/deform_conv2d_device.h"

namespace wdc::ops::cpu {
namespace {

// The builds are named by x86-64 feature level (kernel_isa.cpp tests the CPU for the same
// levels), not by CPU model: "arch=haswell" would also assume Intel's tuning.
#if defined(__x86_64__) && defined(__GNUC__)
#define WDC_ISA_BUILDS 1
#define WDC_TARGET_AVX512 __attribute__((target("arch=x86-64-v4")))
#define WDC_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
#define WDC_TARGET_AVX512_BF16 __attribute__((target("arch=x86-64-v4,avx512bf16")))
#endif
#define WDC_INLINE inline __attribute__((always_inline))

// A stored value in the compute type, and back. bfloat16 is the top half of a float: widening
// is exact; narrowing rounds to nearest even, NaN kept NaN. Written as integer operations and
// a select, which the channel loops vectorise.
template <typename T>
WDC_INLINE T widen(T v) {
  return v;
}
WDC_INLINE float widen(c10::BFloat16 v) {
  const uint32_t bits = static_cast<uint32_t>(v.x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
template <typename V, typename T>
WDC_INLINE V narrow(T v) {
  return static_cast<V>(v);
}
template <>
WDC_INLINE c10::BFloat16 narrow<c10::BFloat16, float>(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  return c10::BFloat16(static_cast<uint16_t>(v != v ? 0x7FC0u : rounded),
                       c10::BFloat16::from_bits());
}

// A run of channels that shares one offset group and one weight group: within a pixel's K
// column values, channel c of the run at tap t sits at t * cg + shift + c.
struct ChannelRun {
  int64_t begin, end, shift;
};

// Where things are in the full-batch tensors.
template <typename T>
struct Layout {
  const DeformConv2dGeometry& g;
  int64_t taps, pixels, C, cpg /* per offset group */, cg /* per weight group */, K, plane;
  std::vector<ChannelRun> runs;        // in channel order
  std::vector<size_t> first_run;       // of each offset group, and runs.size() at the end
  int64_t uniform_run = 0;  // length of every run where each offset group is one run, else 0

  explicit Layout(const DeformConv2dGeometry& geo)
      : g(geo),
        taps(geo.taps()),
        pixels(geo.out_pixels()),
        C(geo.in_channels),
        cpg(geo.channels_per_offset_group()),
        cg(geo.in_channels / geo.groups),
        K(geo.column_rows()),
        plane(geo.height * geo.width) {
    // Column of (channel c, tap) within a pixel's K values: (weight group, tap, channel in
    // group), i.e. (wg * taps + tap) * cg + c - wg * cg. Working it out per run keeps integer
    // divisions out of the per-sample loops.
    for (int64_t og = 0; og < g.offset_groups; ++og) {
      first_run.push_back(runs.size());
      for (int64_t c = og * cpg, end = (og + 1) * cpg; c < end;) {
        const int64_t wg = c / cg, stop = std::min(end, (wg + 1) * cg);
        runs.push_back({c, stop, wg * cg * (taps - 1)});
        c = stop;
      }
    }
    first_run.push_back(runs.size());
    if (runs.size() == static_cast<size_t>(g.offset_groups) &&
        std::all_of(runs.begin(), runs.end(), [&](const ChannelRun& r) {
          return r.end - r.begin == runs[0].end - runs[0].begin;
        }))
      uniform_run = runs[0].end - runs[0].begin;
  }

  // First element of the (tap, offset group) field of image b in the offset ([.., 2, Ho, Wo]:
  // y then x) and mask ([.., Ho, Wo]) tensors.
  int64_t offset_field(int64_t b, int64_t og, int64_t tap) const {
    return ((b * g.offset_groups + og) * taps + tap) * 2 * pixels;
  }
  int64_t mask_field(int64_t b, int64_t og, int64_t tap) const {
    return ((b * g.offset_groups + og) * taps + tap) * pixels;
  }
};

// The bilinear samples of one output row: entry e = (tap * offset_groups + og) * Wo + ox.
// Corner k of a sample is pixel (y0 + k / 2, x0 + k % 2); its index is y * W + x, or -1 off the
// map (where its weight is 0).
template <typename T>
struct RowSamples {
  std::vector<int32_t> corner[4];
  std::vector<T> weight[4];
  std::vector<T> ly, lx;  // position within the corner square, for the weights' derivatives
  std::vector<T> mask;    // modulation, 1 without a mask

  explicit RowSamples(const Layout<T>& L) {
    const size_t n = static_cast<size_t>(L.taps * L.g.offset_groups * L.g.out_w);
    for (int k = 0; k < 4; ++k) {
      corner[k].resize(n);
      weight[k].resize(n);
    }
    ly.resize(n);
    lx.resize(n);
    mask.resize(n);
  }

  // The streams from entry e0 on, for the loops that run across a row's samples.
  struct Streams {
    const int32_t *c0, *c1, *c2, *c3;
    const T *w0, *w1, *w2, *w3, *ly, *lx, *mask;
  };
  Streams from(int64_t e0) const {
    return {corner[0].data() + e0, corner[1].data() + e0, corner[2].data() + e0,
            corner[3].data() + e0, weight[0].data() + e0, weight[1].data() + e0,
            weight[2].data() + e0, weight[3].data() + e0, ly.data() + e0,
            lx.data() + e0,        mask.data() + e0};
  }
};

// A sample at exactly y == -1 or x == -1 counts as on the map: its value is 0 (the on-map
// corners have weight 0 there) but the offset gradient is taken from the inside, as torchvision
// does — zero offsets with padding put taps exactly there, and a freshly initialised DCN must
// get a gradient that moves them. NaN offsets give samples off the map.
template <typename T>
WDC_INLINE void fill_row(const Layout<T>& L, const T* offset, const T* mask, int64_t b, int64_t oy,
                         RowSamples<T>& s) {
  const DeformConv2dGeometry& g = L.g;
  const int32_t H = static_cast<int32_t>(g.height), W = static_cast<int32_t>(g.width);
  for (int64_t tap = 0; tap < L.taps; ++tap)
    for (int64_t og = 0; og < g.offset_groups; ++og) {
      const T* dy = offset + L.offset_field(b, og, tap) + oy * g.out_w;
      const T* dx = dy + L.pixels;
      const T* m = mask ? mask + L.mask_field(b, og, tap) + oy * g.out_w : nullptr;
      const T base_y = static_cast<T>(oy * g.stride_h - g.pad_h + (tap / g.kernel_w) * g.dilation_h);
      const T base_x = static_cast<T>(-g.pad_w + (tap % g.kernel_w) * g.dilation_w);
      const T step_x = static_cast<T>(g.stride_w);
      const int64_t e0 = (tap * g.offset_groups + og) * g.out_w;
      int32_t* c0 = s.corner[0].data() + e0;
      int32_t* c1 = s.corner[1].data() + e0;
      int32_t* c2 = s.corner[2].data() + e0;
      int32_t* c3 = s.corner[3].data() + e0;
      T* w0 = s.weight[0].data() + e0;
      T* w1 = s.weight[1].data() + e0;
      T* w2 = s.weight[2].data() + e0;
      T* w3 = s.weight[3].data() + e0;
      T* ly_out = s.ly.data() + e0;
      T* lx_out = s.lx.data() + e0;
      const int32_t out_w = static_cast<int32_t>(g.out_w);
      // The twelve streams would exceed the compiler's budget of run-time alias checks; they
      // are distinct arrays, so say so.
#pragma omp simd
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const T y = base_y + dy[ox], x = base_x + step_x * static_cast<T>(ox) + dx[ox];
        // Bitwise & rather than &&, and clamps written as the compare-and-pick that maps to
        // vmaxps/vminps: branches, or a float select feeding an int conversion, stop GCC's
        // vectoriser. The clamp keeps the conversion in range (NaN becomes -1).
        const bool inside = (y >= T(-1)) & (x >= T(-1)) & (y < T(H)) & (x < T(W));
        T ys = y > T(-1) ? y : T(-1), xs = x > T(-1) ? x : T(-1);
        ys = ys < T(H) ? ys : T(H);
        xs = xs < T(W) ? xs : T(W);
        // floor() by truncation of a non-negative value; it differs from floor() only where
        // rounding ys + 1 lands on an integer, and there the weight it moves is below 1e-7.
        const int32_t y0 = static_cast<int32_t>(ys + T(1)) - 1;
        const int32_t x0 = static_cast<int32_t>(xs + T(1)) - 1;
        const T ly = ys - static_cast<T>(y0), lx = xs - static_cast<T>(x0);
        const bool top = inside & (y0 >= 0), bottom = inside & (y0 + 1 < H);
        const bool left = x0 >= 0, right = x0 + 1 < W;
        const bool on0 = top & left, on1 = top & right, on2 = bottom & left, on3 = bottom & right;
        const int32_t i = y0 * W + x0;
        c0[ox] = on0 ? i : -1;
        c1[ox] = on1 ? i + 1 : -1;
        c2[ox] = on2 ? i + W : -1;
        c3[ox] = on3 ? i + W + 1 : -1;
        w0[ox] = on0 ? (1 - ly) * (1 - lx) : T(0);
        w1[ox] = on1 ? (1 - ly) * lx : T(0);
        w2[ox] = on2 ? ly * (1 - lx) : T(0);
        w3[ox] = on3 ? ly * lx : T(0);
        ly_out[ox] = ly;
        lx_out[ox] = lx;
      }
      T* m_out = s.mask.data() + e0;
      if (m)
        std::copy(m, m + g.out_w, m_out);
      else
        std::fill(m_out, m_out + g.out_w, T(1));
    }
}

// Channel vectors of the four corners of entry e in one image (zeros for corners off the map).
template <typename T>
struct Corners {
  const T* p[4];
  WDC_INLINE Corners(const RowSamples<T>& s, int64_t e, const T* image, int64_t C, const T* zeros) {
    for (int k = 0; k < 4; ++k) {
      const int32_t i = s.corner[k][e];
      p[k] = i >= 0 ? image + static_cast<int64_t>(i) * C : zeros;
    }
  }
};

// What im2col's channel loops read per sample, for one output row of one image: each corner's
// channel vector (zeros off the map) and its weight times the mask. Worked out across the row in
// vector loops, so the per-sample work left is a few loads around the channel loop.
template <typename T, typename V>
struct RowGather {
  std::vector<const V*> p[4];
  std::vector<T> w[4];

  explicit RowGather(const Layout<T>& L) {
    const size_t n = static_cast<size_t>(L.taps * L.g.offset_groups * L.g.out_w);
    for (int k = 0; k < 4; ++k) {
      p[k].resize(n);
      w[k].resize(n);
    }
  }

  WDC_INLINE void fill(const RowSamples<T>& s, const V* image, int64_t C, const V* zeros) {
    const int64_t n = static_cast<int64_t>(s.mask.size());
    for (int k = 0; k < 4; ++k) {
      const int32_t* corner = s.corner[k].data();
      const T *weight = s.weight[k].data(), *mask = s.mask.data();
      const V** p_out = p[k].data();
      T* w_out = w[k].data();
#pragma omp simd
      for (int64_t e = 0; e < n; ++e) {
        p_out[e] = corner[e] >= 0 ? image + static_cast<int64_t>(corner[e]) * C : zeros;
        w_out[e] = weight[e] * mask[e];
      }
    }
  }
};

// The value of a corner for the one-channel loops: the load is unconditional (from pixel 0 for
// a corner off the map), so that it vectorises as a gather, and the select discards it.
template <typename V>
WDC_INLINE auto corner_value(const V* image, int32_t i) -> decltype(widen(*image)) {
  const auto v = widen(image[i > 0 ? i : 0]);
  return i >= 0 ? v : decltype(v)(0);
}

// n is an int64_t, or a std::integral_constant where the channel count is known when compiling:
// then the loop is fully unrolled, with no trip-count tests or remainder (see im2col_rows).
// dst is a column buffer, never the input the corners point into.
template <typename T, typename V, typename Count>
WDC_INLINE void gather4(V* dst, const V* s0, const V* s1, const V* s2, const V* s3, T w0, T w1,
                        T w2, T w3, Count n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    dst[i] =
        narrow<V>(w0 * widen(s0[i]) + w1 * widen(s1[i]) + w2 * widen(s2[i]) + w3 * widen(s3[i]));
}

#ifdef WDC_ISA_BUILDS
// 16 bfloat16 values as floats (exact: the top halves).
WDC_TARGET_AVX512_BF16 WDC_INLINE __m512 widen16(const c10::BFloat16* p) {
  const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  // The zero-masking forms: the unmasked intrinsics trip GCC 12's -Wmaybe-uninitialized.
  const __m512i words = _mm512_maskz_cvtepu16_epi32(0xFFFF, bits);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, words, 16));
}

// gather4 of N (a multiple of 32) bfloat16 channels with the CPU's own narrowing, AVX512_BF16's
// vcvtne2ps2bf16 (round to nearest even, as narrow() does, but denormals become zero): one
// instruction per 32 channels where narrow() takes a dozen.
template <int64_t N>
WDC_TARGET_AVX512_BF16 WDC_INLINE void gather4_cpu_bf16(c10::BFloat16* dst, const c10::BFloat16* s0,
                                                        const c10::BFloat16* s1,
                                                        const c10::BFloat16* s2,
                                                        const c10::BFloat16* s3, float w0, float w1,
                                                        float w2, float w3) {
  static_assert(N % 32 == 0);
  const __m512 v0 = _mm512_set1_ps(w0), v1 = _mm512_set1_ps(w1), v2 = _mm512_set1_ps(w2),
               v3 = _mm512_set1_ps(w3);
  for (int64_t i = 0; i < N; i += 32) {
    __m512 lo = _mm512_mul_ps(v0, widen16(s0 + i)), hi = _mm512_mul_ps(v0, widen16(s0 + i + 16));
    lo = _mm512_fmadd_ps(v1, widen16(s1 + i), lo);
    hi = _mm512_fmadd_ps(v1, widen16(s1 + i + 16), hi);
    lo = _mm512_fmadd_ps(v2, widen16(s2 + i), lo);
    hi = _mm512_fmadd_ps(v2, widen16(s2 + i + 16), hi);
    lo = _mm512_fmadd_ps(v3, widen16(s3 + i), lo);
    hi = _mm512_fmadd_ps(v3, widen16(s3 + i + 16), hi);
    _mm512_storeu_si512(dst + i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));
  }
}
#endif

template <typename T>
WDC_INLINE void axpy(T* dst, const T* src, T w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += w * src[i];
}

// d[k] += Σ_i g[i] · s_k[i]: the column gradient against each corner's values.
template <typename T>
WDC_INLINE void dot4(const T* g, const T* s0, const T* s1, const T* s2, const T* s3, int64_t n,
                     T* d) {
  T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int64_t i = 0; i < n; ++i) {
    a0 += g[i] * s0[i];
    a1 += g[i] * s1[i];
    a2 += g[i] * s2[i];
    a3 += g[i] * s3[i];
  }
  d[0] += a0;
  d[1] += a1;
  d[2] += a2;
  d[3] += a3;
}

template <typename T, typename V = T>
struct Tensors {
  const V* input;  // channels-last
  const T* offset;
  const T* mask;    // null without modulation
  V* columns;       // or the column gradient (read only by the backward kernels)
  T* grad_input;    // channels-last
  T* grad_offset;
  T* grad_mask;     // null without modulation
  const V* zeros;   // C zeros
  int64_t begin;    // first image of the block
};

// The columns of one output row of one image from its samples, for images of more than one
// channel. Run is std::integral_constant<int64_t, N> where every offset group is one run of N
// channels (Layout::uniform_run), else int64_t (any runs).
template <typename T, typename V, typename Run>
WDC_INLINE void gather_row(const Layout<T>& L, const RowGather<T, V>& q, V* row_columns,
                           [[maybe_unused]] Run run) {
  const DeformConv2dGeometry& g = L.g;
  for (int64_t ox = 0; ox < g.out_w; ++ox) {
    V* col = row_columns + ox * L.K;
    for (int64_t tap = 0; tap < L.taps; ++tap)
      for (int64_t og = 0; og < g.offset_groups; ++og) {
        const int64_t e = (tap * g.offset_groups + og) * g.out_w + ox;
        const V *p0 = q.p[0][e], *p1 = q.p[1][e], *p2 = q.p[2][e], *p3 = q.p[3][e];
        const T w0 = q.w[0][e], w1 = q.w[1][e], w2 = q.w[2][e], w3 = q.w[3][e];
        if constexpr (!std::is_same_v<Run, int64_t>) {
          const int64_t c = L.runs[og].begin;
          gather4(col + tap * L.cg + L.runs[og].shift + c, p0 + c, p1 + c, p2 + c, p3 + c, w0, w1,
                  w2, w3, run);
        } else {
          for (size_t r = L.first_run[og]; r < L.first_run[og + 1]; ++r) {
            const int64_t c = L.runs[r].begin;
            gather4(col + tap * L.cg + L.runs[r].shift + c, p0 + c, p1 + c, p2 + c, p3 + c, w0, w1,
                    w2, w3, L.runs[r].end - c);
          }
        }
      }
  }
}

// The columns of one output row of a one-channel image (values in T), from its samples
// (fill_row), vectorised across the row.
template <typename T, typename V>
WDC_INLINE void one_channel_row(const Layout<T>& L, const RowSamples<T>& s, const T* image,
                                V* row_columns) {
  const int32_t out_w = static_cast<int32_t>(L.g.out_w);
  for (int64_t tap = 0; tap < L.taps; ++tap) {
    const typename RowSamples<T>::Streams q = s.from(tap * out_w);
    V* out = row_columns + tap;
#pragma omp simd
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const T v0 = corner_value(image, q.c0[ox]);
      const T v1 = corner_value(image, q.c1[ox]);
      const T v2 = corner_value(image, q.c2[ox]);
      const T v3 = corner_value(image, q.c3[ox]);
      out[ox * L.K] =
          narrow<V>((q.w0[ox] * v0 + q.w1[ox] * v1 + q.w2[ox] * v2 + q.w3[ox] * v3) * q.mask[ox]);
    }
  }
}

#ifdef WDC_ISA_BUILDS
// gather_row for bfloat16 runs of N channels (a multiple of 32) on CPUs with AVX512_BF16. Not
// inlined: a function of that target can only be inlined into one of the same target.
template <int64_t N>
WDC_TARGET_AVX512_BF16 void gather_row_cpu_bf16(const Layout<float>& L,
                                                const RowGather<float, c10::BFloat16>& q,
                                                c10::BFloat16* row_columns) {
  const DeformConv2dGeometry& g = L.g;
  for (int64_t ox = 0; ox < g.out_w; ++ox) {
    c10::BFloat16* col = row_columns + ox * L.K;
    for (int64_t tap = 0; tap < L.taps; ++tap)
      for (int64_t og = 0; og < g.offset_groups; ++og) {
        const int64_t e = (tap * g.offset_groups + og) * g.out_w + ox, c = L.runs[og].begin;
        gather4_cpu_bf16<N>(col + tap * L.cg + L.runs[og].shift + c, q.p[0][e] + c, q.p[1][e] + c,
                            q.p[2][e] + c, q.p[3][e] + c, q.w[0][e], q.w[1][e], q.w[2][e],
                            q.w[3][e]);
      }
  }
}
#endif

// gather_row for a uniform run of N channels; kCpuBf16: see im2col_rows.
template <bool kCpuBf16, int64_t N, typename T, typename V>
WDC_INLINE void fixed_run_row(const Layout<T>& L, const RowGather<T, V>& q, V* row_columns) {
#ifdef WDC_ISA_BUILDS
  if constexpr (kCpuBf16 && N % 32 == 0) {
    gather_row_cpu_bf16<N>(L, q, row_columns);
    return;
  }
#endif
  gather_row(L, q, row_columns, std::integral_constant<int64_t, N>{});
}

// Output rows [first, last) of the block (row = local image * Ho + oy). kCpuBf16: bfloat16
// columns narrowed by AVX512_BF16 instructions (a build for CPUs that have them).
template <bool kCpuBf16 = false, typename T, typename V>
WDC_INLINE void im2col_rows(const Layout<T>& L, const Tensors<T, V>& t, int64_t first,
                            int64_t last) {
  const DeformConv2dGeometry& g = L.g;
  RowSamples<T> s(L);
  RowGather<T, V> corners(L);
  std::vector<T> widened(std::is_same_v<V, T> || L.C != 1 ? 0 : L.plane);
  int64_t widened_image = -1;
  for (int64_t row = first; row < last; ++row) {
    const int64_t local_b = row / g.out_h, oy = row % g.out_h, b = t.begin + local_b;
    fill_row(L, t.offset, t.mask, b, oy, s);
    const V* image = t.input + b * L.plane * L.C;
    V* row_columns = t.columns + (local_b * L.pixels + oy * g.out_w) * L.K;
    if (L.C == 1) {  // one channel per sample: vectorise across the row instead (gathers)
      if constexpr (std::is_same_v<V, T>) {
        one_channel_row(L, s, image, row_columns);
      } else {
        // The CPU gathers 32- and 64-bit lanes only: a bfloat16 image is widened once per
        // image, and the samples gathered from that.
        if (widened_image != b) {
          for (int64_t i = 0; i < L.plane; ++i) widened[i] = widen(image[i]);
          widened_image = b;
        }
        one_channel_row(L, s, widened.data(), row_columns);
      }
      continue;
    }
    corners.fill(s, image, L.C, t.zeros);
    // The per-sample work around a short channel loop (corner pointers, weights, trip-count
    // tests) costs as much as the loop at 3-64 channels, so the common channel counts get
    // their own fully unrolled copy of the row.
    switch (L.uniform_run) {
#define WDC_FIXED_RUN(N)                                 \
  case N:                                                \
    fixed_run_row<kCpuBf16, N>(L, corners, row_columns); \
    break;
      WDC_FIXED_RUN(3)
      WDC_FIXED_RUN(8)
      WDC_FIXED_RUN(16)
      WDC_FIXED_RUN(32)
      WDC_FIXED_RUN(64)
      WDC_FIXED_RUN(128)
#undef WDC_FIXED_RUN
      default:
        gather_row(L, corners, row_columns, int64_t{0});
    }
  }
}

// Scatter of the column gradient into channels [c_lo, c_hi) of one image's input gradient.
template <typename T>
WDC_INLINE void col2im_image(const Layout<T>& L, const Tensors<T>& t, int64_t local_b,
                             int64_t c_lo, int64_t c_hi) {
  const DeformConv2dGeometry& g = L.g;
  const int64_t b = t.begin + local_b;
  RowSamples<T> s(L);
  T* grad = t.grad_input + b * L.plane * L.C;
  const int64_t og_lo = c_lo / L.cpg, og_hi = (c_hi - 1) / L.cpg;
  for (int64_t oy = 0; oy < g.out_h; ++oy) {
    fill_row(L, t.offset, t.mask, b, oy, s);
    const T* row_columns = t.columns + (local_b * L.pixels + oy * g.out_w) * L.K;
    if (L.C == 1) {  // one channel: plain scalar updates along the row (samples may collide)
      for (int64_t tap = 0; tap < L.taps; ++tap) {
        const int64_t e0 = tap * g.out_w;
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const T v = row_columns[ox * L.K + tap] * s.mask[e0 + ox];
          for (int k = 0; k < 4; ++k) {
            const int32_t i = s.corner[k][e0 + ox];
            if (i >= 0) grad[i] += s.weight[k][e0 + ox] * v;
          }
        }
      }
      continue;
    }
    for (int64_t ox = 0; ox < g.out_w; ++ox) {
      const T* col = row_columns + ox * L.K;
      for (int64_t tap = 0; tap < L.taps; ++tap)
        for (int64_t og = og_lo; og <= og_hi; ++og) {
          const int64_t e = (tap * g.offset_groups + og) * g.out_w + ox;
          const T m = s.mask[e];
          for (size_t r = L.first_run[og]; r < L.first_run[og + 1]; ++r) {
            const int64_t c = std::max(c_lo, L.runs[r].begin);
            const int64_t n = std::min(c_hi, L.runs[r].end) - c;
            if (n <= 0) continue;
            const T* src = col + tap * L.cg + L.runs[r].shift + c;
            for (int k = 0; k < 4; ++k) {
              const int32_t i = s.corner[k][e];
              if (i >= 0) axpy(grad + static_cast<int64_t>(i) * L.C + c, src, s.weight[k][e] * m, n);
            }
          }
        }
    }
  }
}

// Offset (and mask) gradient of output rows [first, last) of the block.
template <typename T>
WDC_INLINE void coord_rows(const Layout<T>& L, const Tensors<T>& t, int64_t first, int64_t last) {
  const DeformConv2dGeometry& g = L.g;
  RowSamples<T> s(L);
  for (int64_t row = first; row < last; ++row) {
    const int64_t local_b = row / g.out_h, oy = row % g.out_h, b = t.begin + local_b;
    fill_row(L, t.offset, t.mask, b, oy, s);
    const T* image = t.input + b * L.plane * L.C;
    if (L.C == 1) {  // one channel per sample: vectorise across the row instead (gathers)
      const T* row_columns = t.columns + (local_b * L.pixels + oy * g.out_w) * L.K;
      for (int64_t tap = 0; tap < L.taps; ++tap) {
        const typename RowSamples<T>::Streams q = s.from(tap * g.out_w);
        T* grad_y = t.grad_offset + L.offset_field(b, 0, tap) + oy * g.out_w;
        T* grad_x = grad_y + L.pixels;
        T* grad_m = t.grad_mask ? t.grad_mask + L.mask_field(b, 0, tap) + oy * g.out_w : nullptr;
#pragma omp simd
        for (int32_t ox = 0; ox < static_cast<int32_t>(g.out_w); ++ox) {
          const T column = row_columns[ox * L.K + tap];
          const T d0 = column * corner_value(image, q.c0[ox]);
          const T d1 = column * corner_value(image, q.c1[ox]);
          const T d2 = column * corner_value(image, q.c2[ox]);
          const T d3 = column * corner_value(image, q.c3[ox]);
          grad_y[ox] = ((1 - q.lx[ox]) * (d2 - d0) + q.lx[ox] * (d3 - d1)) * q.mask[ox];
          grad_x[ox] = ((1 - q.ly[ox]) * (d1 - d0) + q.ly[ox] * (d3 - d2)) * q.mask[ox];
          if (grad_m)
            grad_m[ox] = q.w0[ox] * d0 + q.w1[ox] * d1 + q.w2[ox] * d2 + q.w3[ox] * d3;
        }
      }
      continue;
    }
    for (int64_t ox = 0; ox < g.out_w; ++ox) {
      const int64_t p = oy * g.out_w + ox;
      const T* col = t.columns + (local_b * L.pixels + p) * L.K;
      for (int64_t tap = 0; tap < L.taps; ++tap)
        for (int64_t og = 0; og < g.offset_groups; ++og) {
          const int64_t e = (tap * g.offset_groups + og) * g.out_w + ox;
          const Corners<T> q(s, e, image, L.C, t.zeros);
          T d[4] = {0, 0, 0, 0};  // the column gradient against each corner's values
          for (size_t r = L.first_run[og]; r < L.first_run[og + 1]; ++r) {
            const int64_t c = L.runs[r].begin;
            dot4(col + tap * L.cg + L.runs[r].shift + c, q.p[0] + c, q.p[1] + c, q.p[2] + c,
                 q.p[3] + c, L.runs[r].end - c, d);
          }
          // Derivatives of the four bilinear weights along y and x; corners off the map read
          // zeros, so their d[k] is 0 and needs no masking here.
          const T ly = s.ly[e], lx = s.lx[e], m = s.mask[e];
          const T grad_y = (1 - lx) * (d[2] - d[0]) + lx * (d[3] - d[1]);
          const T grad_x = (1 - ly) * (d[1] - d[0]) + ly * (d[3] - d[2]);
          const int64_t field = L.offset_field(b, og, tap) + p;
          t.grad_offset[field] = grad_y * m;
          t.grad_offset[field + L.pixels] = grad_x * m;
          if (t.grad_mask)
            t.grad_mask[L.mask_field(b, og, tap) + p] =
                s.weight[0][e] * d[0] + s.weight[1][e] * d[1] + s.weight[2][e] * d[2] +
                s.weight[3][e] * d[3];
        }
    }
  }
}

// The row kernels of one build.
template <typename T>
struct RowKernels {
  void (*im2col)(const Layout<T>&, const Tensors<T>&, int64_t first, int64_t last);
  void (*col2im)(const Layout<T>&, const Tensors<T>&, int64_t local_b, int64_t c_lo, int64_t c_hi);
  void (*coord)(const Layout<T>&, const Tensors<T>&, int64_t first, int64_t last);
};

#define WDC_DEFINE_ROW_KERNELS(T, BUILD, TARGET)                                       \
  TARGET void im2col_##BUILD(const Layout<T>& L, const Tensors<T>& t, int64_t first,   \
                             int64_t last) {                                           \
    im2col_rows(L, t, first, last);                                                    \
  }                                                                                    \
  TARGET void col2im_##BUILD(const Layout<T>& L, const Tensors<T>& t, int64_t local_b, \
                             int64_t c_lo, int64_t c_hi) {                             \
    col2im_image(L, t, local_b, c_lo, c_hi);                                           \
  }                                                                                    \
  TARGET void coord_##BUILD(const Layout<T>& L, const Tensors<T>& t, int64_t first,    \
                            int64_t last) {                                            \
    coord_rows(L, t, first, last);                                                     \
  }

// One set per element type and build (target attributes do not apply to templates).
#define WDC_DEFINE_BUILDS(T)                                            \
  namespace builds_##T{WDC_DEFINE_ROW_KERNELS(T, baseline, )            \
                           WDC_DEFINE_AVX_ROW_KERNELS(T)} RowKernels<T> \
  row_kernels(KernelIsa isa, T*) {                                      \
    using namespace builds_##T;                                         \
    WDC_SELECT_AVX_ROW_KERNELS                                          \
    return {im2col_baseline, col2im_baseline, coord_baseline};          \
  }
#ifdef WDC_ISA_BUILDS
#define WDC_DEFINE_AVX_ROW_KERNELS(T)              \
  WDC_DEFINE_ROW_KERNELS(T, avx2, WDC_TARGET_AVX2) \
  WDC_DEFINE_ROW_KERNELS(T, avx512, WDC_TARGET_AVX512)
#define WDC_SELECT_AVX_ROW_KERNELS                                                    \
  if (isa >= KernelIsa::kAvx512) return {im2col_avx512, col2im_avx512, coord_avx512}; \
  if (isa == KernelIsa::kAvx2) return {im2col_avx2, col2im_avx2, coord_avx2};
#else
#define WDC_DEFINE_AVX_ROW_KERNELS(T)
#define WDC_SELECT_AVX_ROW_KERNELS (void)isa;
#endif
WDC_DEFINE_BUILDS(float)
WDC_DEFINE_BUILDS(double)
#undef WDC_DEFINE_BUILDS
#undef WDC_DEFINE_AVX_ROW_KERNELS
#undef WDC_SELECT_AVX_ROW_KERNELS
#undef WDC_DEFINE_ROW_KERNELS

// bfloat16 inference has a forward only: im2col from a bfloat16 input to bfloat16 columns.
using Bf16Im2col = void (*)(const Layout<float>&, const Tensors<float, c10::BFloat16>&,
                            int64_t first, int64_t last);
#define WDC_DEFINE_BF16_IM2COL(BUILD, TARGET)                                                     \
  TARGET void im2col_bf16_##BUILD(const Layout<float>& L, const Tensors<float, c10::BFloat16>& t, \
                                  int64_t first, int64_t last) {                                  \
    im2col_rows(L, t, first, last);                                                               \
  }
WDC_DEFINE_BF16_IM2COL(baseline, )
#ifdef WDC_ISA_BUILDS
WDC_DEFINE_BF16_IM2COL(avx2, WDC_TARGET_AVX2)
WDC_DEFINE_BF16_IM2COL(avx512, WDC_TARGET_AVX512)
WDC_TARGET_AVX512_BF16 void im2col_bf16_avx512_bf16(const Layout<float>& L,
                                                    const Tensors<float, c10::BFloat16>& t,
                                                    int64_t first, int64_t last) {
  im2col_rows<true>(L, t, first, last);
}
#endif
#undef WDC_DEFINE_BF16_IM2COL

Bf16Im2col bf16_im2col_kernel() {
#ifdef WDC_ISA_BUILDS
  const KernelIsa isa = kernel_isa();
  if (isa == KernelIsa::kAvx512Bf16) return im2col_bf16_avx512_bf16;
  if (isa == KernelIsa::kAvx512) return im2col_bf16_avx512;
  if (isa == KernelIsa::kAvx2) return im2col_bf16_avx2;
#endif
  return im2col_bf16_baseline;
}

// The calling thread's build: chosen here, before the work goes to other threads.
template <typename T>
RowKernels<T> row_kernels() {
  return row_kernels(kernel_isa(), static_cast<T*>(nullptr));
}

template <typename T, typename V>
Tensors<T, V> tensors(const at::Tensor& offset, const at::Tensor& mask,
                      const DeformConv2dGeometry& g, int64_t begin, const std::vector<V>& zeros) {
  Tensors<T, V> t{};
  t.offset = offset.data_ptr<T>();
  t.mask = g.use_mask && mask.defined() && mask.numel() > 0 ? mask.data_ptr<T>() : nullptr;
  t.zeros = zeros.data();
  t.begin = begin;
  return t;
}

}  // namespace

void deformable_im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& columns) {
  if (input.scalar_type() == at::kBFloat16) {  // offsets and mask in float (deform_conv2d_check)
    const Layout<float> L(geometry);
    const std::vector<c10::BFloat16> zeros(L.C, c10::BFloat16(0.0f));
    Tensors<float, c10::BFloat16> t = tensors<float>(offset, mask, geometry, batch_begin, zeros);
    t.input = input.data_ptr<c10::BFloat16>();
    t.columns = columns.data_ptr<c10::BFloat16>();
    const Bf16Im2col im2col = bf16_im2col_kernel();
    at::parallel_for(0, batch_count * geometry.out_h, 1,
                     [&](int64_t first, int64_t last) { im2col(L, t, first, last); });
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "deformable_im2col", [&] {
    const Layout<scalar_t> L(geometry);
    const std::vector<scalar_t> zeros(L.C, scalar_t(0));
    Tensors<scalar_t> t = tensors<scalar_t>(offset, mask, geometry, batch_begin, zeros);
    t.input = input.data_ptr<scalar_t>();
    t.columns = columns.data_ptr<scalar_t>();
    const RowKernels<scalar_t> k = row_kernels<scalar_t>();
    at::parallel_for(0, batch_count * geometry.out_h, 1,
                     [&](int64_t first, int64_t last) { k.im2col(L, t, first, last); });
  });
}

void deformable_col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& grad_input) {
  AT_DISPATCH_FLOATING_TYPES(columns.scalar_type(), "deformable_col2im", [&] {
    const Layout<scalar_t> L(geometry);
    const std::vector<scalar_t> zeros(L.C, scalar_t(0));
    Tensors<scalar_t> t = tensors<scalar_t>(offset, mask, geometry, batch_begin, zeros);
    t.columns = columns.data_ptr<scalar_t>();
    t.grad_input = grad_input.data_ptr<scalar_t>();
    // Scatters from different pixels of one image meet, so a thread owns an (image, channel
    // range): enough ranges per image to keep every thread busy on a block of one image.
    const int64_t ranges = std::max<int64_t>(
        1, std::min<int64_t>(L.C, (2 * at::get_num_threads() + batch_count - 1) / batch_count));
    const int64_t width = (L.C + ranges - 1) / ranges;
    const RowKernels<scalar_t> k = row_kernels<scalar_t>();
    at::parallel_for(0, batch_count * ranges, 1, [&](int64_t first, int64_t last) {
      for (int64_t task = first; task < last; ++task) {
        const int64_t c_lo = (task % ranges) * width, c_hi = std::min(L.C, c_lo + width);
        if (c_lo < c_hi) k.col2im(L, t, task / ranges, c_lo, c_hi);
      }
    });
  });
}

void deformable_col2im_coord(const at::Tensor& columns, const at::Tensor& input,
                             const at::Tensor& offset, const at::Tensor& mask,
                             const DeformConv2dGeometry& geometry, int64_t batch_begin,
                             int64_t batch_count, at::Tensor& grad_offset,
                             at::Tensor& grad_mask) {
  AT_DISPATCH_FLOATING_TYPES(columns.scalar_type(), "deformable_col2im_coord", [&] {
    const Layout<scalar_t> L(geometry);
    const std::vector<scalar_t> zeros(L.C, scalar_t(0));
    Tensors<scalar_t> t = tensors<scalar_t>(offset, mask, geometry, batch_begin, zeros);
    t.input = input.data_ptr<scalar_t>();
    t.columns = columns.data_ptr<scalar_t>();
    t.grad_offset = grad_offset.data_ptr<scalar_t>();
    t.grad_mask = t.mask ? grad_mask.data_ptr<scalar_t>() : nullptr;
    const RowKernels<scalar_t> k = row_kernels<scalar_t>();
    at::parallel_for(0, batch_count * geometry.out_h, 1,
                     [&](int64_t first, int64_t last) { k.coord(L, t, first, last); });
  });
}

}  // namespace wdc::ops::cpu
