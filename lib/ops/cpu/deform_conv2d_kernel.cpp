// CPU sampling kernels of deform_conv2d (see ops/deform_conv2d_device.h for the contract), in the
// channels-last layout: input [N, H, W, C], columns [images, Ho, Wo, K].
//
// For one (image, output pixel, tap, offset group) the four bilinear corners and weights are
// computed once; every channel of the group then reads the four corners' channel vectors, which
// are contiguous in channels-last memory. The channel loops are simple streams the compiler
// vectorises, and the file is built for AVX-512, AVX2 and baseline x86-64 with run-time choice
// (target_clones), so no -march flag or environment variable is needed for the fast path.
// Threads split the work so that each writes memory no other thread touches: output rows for
// im2col and the offset gradient, (image, channel range) for the input gradient's scatter.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>

#include "ops/deform_conv2d_device.h"

namespace wdc::ops::cpu {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WDC_SIMD_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define WDC_SIMD_CLONES
#endif

// The channel loops, once per element type (target_clones does not apply to templates).
#define WDC_DEFINE_CHANNEL_LOOPS(T)                                                              \
  WDC_SIMD_CLONES void gather4(T* dst, const T* s0, const T* s1, const T* s2, const T* s3,      \
                               T w0, T w1, T w2, T w3, int64_t n) {                              \
    for (int64_t i = 0; i < n; ++i) dst[i] = w0 * s0[i] + w1 * s1[i] + w2 * s2[i] + w3 * s3[i]; \
  }                                                                                              \
  WDC_SIMD_CLONES void axpy(T* dst, const T* src, T w, int64_t n) {                              \
    for (int64_t i = 0; i < n; ++i) dst[i] += w * src[i];                                        \
  }                                                                                              \
  /* Σ_i g[i]·(a·v[i]) for three weight sets a = dy, dx, value over the four corners v */       \
  WDC_SIMD_CLONES void corner_dots(const T* g, const T* s0, const T* s1, const T* s2,           \
                                   const T* s3, const T* dy, const T* dx, const T* value,        \
                                   int64_t n, T* out) {                                          \
    T ay = 0, ax = 0, av = 0;                                                                    \
    _Pragma("omp simd reduction(+ : ay, ax, av)") for (int64_t i = 0; i < n; ++i) {             \
      const T v0 = s0[i], v1 = s1[i], v2 = s2[i], v3 = s3[i];                                    \
      ay += g[i] * (dy[0] * v0 + dy[1] * v1 + dy[2] * v2 + dy[3] * v3);                          \
      ax += g[i] * (dx[0] * v0 + dx[1] * v1 + dx[2] * v2 + dx[3] * v3);                          \
      av += g[i] * (value[0] * v0 + value[1] * v1 + value[2] * v2 + value[3] * v3);              \
    }                                                                                            \
    out[0] += ay;                                                                                \
    out[1] += ax;                                                                                \
    out[2] += av;                                                                                \
  }
WDC_DEFINE_CHANNEL_LOOPS(float)
WDC_DEFINE_CHANNEL_LOOPS(double)
#undef WDC_DEFINE_CHANNEL_LOOPS

// One bilinear sample: four corner pixel indices (y·W + x; 0 with weight 0 for a corner off the
// map) and, for the forward pass, their weights; for the offset gradient also the weights'
// derivatives along y and x.
template <typename T>
struct Sample {
  int64_t index[4];
  T weight[4];  // bilinear weights (not masked)
  T dy[4], dx[4];
  bool inside;  // the point is within (-1, H) x (-1, W): the sample can be non-zero
};

// `derivative_at_minus_one`: the offset gradient is taken from the inside at exactly y == -1 or
// x == -1, as torchvision does (zero offsets with padding put taps exactly there, and a freshly
// initialised DCN must get a gradient that moves them); the sample itself is 0 there.
template <typename T>
Sample<T> sample_at(T y, T x, int64_t H, int64_t W, bool derivative_at_minus_one) {
  Sample<T> s;
  const bool lower_ok = derivative_at_minus_one ? (y >= T(-1) && x >= T(-1))
                                                : (y > T(-1) && x > T(-1));
  s.inside = lower_ok && y < T(H) && x < T(W);
  if (!s.inside) {
    for (int c = 0; c < 4; ++c) {
      s.index[c] = 0;
      s.weight[c] = s.dy[c] = s.dx[c] = T(0);
    }
    return s;
  }
  const T fy = std::floor(y), fx = std::floor(x);
  const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
  const T ly = y - fy, lx = x - fx;
  const T weight[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
  const T dy[4] = {-(1 - lx), -lx, 1 - lx, lx};
  const T dx[4] = {-(1 - ly), 1 - ly, -ly, ly};
  const int64_t cy[4] = {y0, y0, y0 + 1, y0 + 1};
  const int64_t cx[4] = {x0, x0 + 1, x0, x0 + 1};
  for (int c = 0; c < 4; ++c) {
    const bool on_map = cy[c] >= 0 && cy[c] < H && cx[c] >= 0 && cx[c] < W;
    s.index[c] = on_map ? cy[c] * W + cx[c] : 0;
    s.weight[c] = on_map ? weight[c] : T(0);
    s.dy[c] = on_map ? dy[c] : T(0);
    s.dx[c] = on_map ? dx[c] : T(0);
  }
  return s;
}

// Where things are, for one image of the block.
template <typename T>
struct Layout {
  const DeformConv2dGeometry& g;
  int64_t taps, pixels, C, cpg /* per offset group */, cg /* per weight group */, K;

  explicit Layout(const DeformConv2dGeometry& geo)
      : g(geo),
        taps(geo.taps()),
        pixels(geo.out_pixels()),
        C(geo.in_channels),
        cpg(geo.channels_per_offset_group()),
        cg(geo.in_channels / geo.groups),
        K(geo.column_rows()) {}

  // Column of (channel c, tap) within one pixel's K values: weight group, tap, channel in group.
  int64_t column(int64_t c, int64_t tap) const {
    const int64_t wg = c / cg;
    return (wg * taps + tap) * cg + (c - wg * cg);
  }
  // End of the run of channels from c that stays in one weight group and below `end`.
  int64_t run_end(int64_t c, int64_t end) const { return std::min(end, (c / cg + 1) * cg); }

  T y_of(int64_t oy, int64_t tap, const T* off, int64_t b, int64_t og, int64_t p) const {
    const int64_t i = tap / g.kernel_w;
    return static_cast<T>(oy * g.stride_h - g.pad_h + i * g.dilation_h) +
           off[((b * g.offset_groups + og) * 2 * taps + 2 * tap) * pixels + p];
  }
  T x_of(int64_t ox, int64_t tap, const T* off, int64_t b, int64_t og, int64_t p) const {
    const int64_t j = tap % g.kernel_w;
    return static_cast<T>(ox * g.stride_w - g.pad_w + j * g.dilation_w) +
           off[((b * g.offset_groups + og) * 2 * taps + 2 * tap + 1) * pixels + p];
  }
  T mask_of(const T* mask, int64_t tap, int64_t b, int64_t og, int64_t p) const {
    return mask ? mask[((b * g.offset_groups + og) * taps + tap) * pixels + p] : T(1);
  }
};

template <typename T>
const T* mask_data(const at::Tensor& mask, const DeformConv2dGeometry& g) {
  return g.use_mask && mask.defined() && mask.numel() > 0 ? mask.data_ptr<T>() : nullptr;
}

template <typename T>
void im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& g, int64_t begin, int64_t count, at::Tensor& columns) {
  const Layout<T> L(g);
  const T* in = input.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = mask_data<T>(mask, g);
  T* cols = columns.data_ptr<T>();
  const int64_t plane = g.height * g.width;
  at::parallel_for(0, count * g.out_h, 1, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t local_b = row / g.out_h, oy = row % g.out_h, b = begin + local_b;
      const T* in_b = in + b * plane * L.C;
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        const int64_t p = oy * g.out_w + ox;
        T* col = cols + (local_b * L.pixels + p) * L.K;
        for (int64_t tap = 0; tap < L.taps; ++tap)
          for (int64_t og = 0; og < g.offset_groups; ++og) {
            const Sample<T> s = sample_at(L.y_of(oy, tap, off, b, og, p),
                                          L.x_of(ox, tap, off, b, og, p), g.height, g.width, false);
            const T m = L.mask_of(msk, tap, b, og, p);
            const int64_t end = (og + 1) * L.cpg;
            for (int64_t c = og * L.cpg; c < end;) {
              const int64_t stop = L.run_end(c, end);
              gather4(col + L.column(c, tap), in_b + s.index[0] * L.C + c,
                      in_b + s.index[1] * L.C + c, in_b + s.index[2] * L.C + c,
                      in_b + s.index[3] * L.C + c, s.weight[0] * m, s.weight[1] * m,
                      s.weight[2] * m, s.weight[3] * m, stop - c);
              c = stop;
            }
          }
      }
    }
  });
}

template <typename T>
void col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& g, int64_t begin, int64_t count, at::Tensor& grad_input) {
  const Layout<T> L(g);
  const T* cols = columns.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = mask_data<T>(mask, g);
  T* grad = grad_input.data_ptr<T>();
  const int64_t plane = g.height * g.width;
  // Scatters from different pixels of one image meet, so a thread owns an (image, channel
  // range): enough ranges per image to keep every thread busy on a block of one image.
  const int64_t ranges = std::max<int64_t>(
      1, std::min<int64_t>(L.C, (2 * at::get_num_threads() + count - 1) / count));
  const int64_t width = (L.C + ranges - 1) / ranges;
  at::parallel_for(0, count * ranges, 1, [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t local_b = task / ranges, b = begin + local_b;
      const int64_t c_lo = (task % ranges) * width, c_hi = std::min(L.C, c_lo + width);
      if (c_lo >= c_hi) continue;
      T* grad_b = grad + b * plane * L.C;
      for (int64_t p = 0; p < L.pixels; ++p) {
        const int64_t oy = p / g.out_w, ox = p % g.out_w;
        const T* col = cols + (local_b * L.pixels + p) * L.K;
        for (int64_t tap = 0; tap < L.taps; ++tap)
          for (int64_t og = c_lo / L.cpg; og <= (c_hi - 1) / L.cpg; ++og) {
            const Sample<T> s = sample_at(L.y_of(oy, tap, off, b, og, p),
                                          L.x_of(ox, tap, off, b, og, p), g.height, g.width, false);
            if (!s.inside) continue;
            const T m = L.mask_of(msk, tap, b, og, p);
            const int64_t end = std::min(c_hi, (og + 1) * L.cpg);
            for (int64_t c = std::max(c_lo, og * L.cpg); c < end;) {
              const int64_t stop = L.run_end(c, end);
              const T* src = col + L.column(c, tap);
              for (int k = 0; k < 4; ++k)
                if (s.weight[k] != T(0))
                  axpy(grad_b + s.index[k] * L.C + c, src, s.weight[k] * m, stop - c);
              c = stop;
            }
          }
      }
    }
  });
}

template <typename T>
void col2im_coord(const at::Tensor& columns, const at::Tensor& input, const at::Tensor& offset,
                  const at::Tensor& mask, const DeformConv2dGeometry& g, int64_t begin,
                  int64_t count, at::Tensor& grad_offset, at::Tensor& grad_mask) {
  const Layout<T> L(g);
  const T* cols = columns.data_ptr<T>();
  const T* in = input.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = mask_data<T>(mask, g);
  T* g_off = grad_offset.data_ptr<T>();
  T* g_msk = msk ? grad_mask.data_ptr<T>() : nullptr;
  const int64_t plane = g.height * g.width;
  at::parallel_for(0, count * g.out_h, 1, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t local_b = row / g.out_h, oy = row % g.out_h, b = begin + local_b;
      const T* in_b = in + b * plane * L.C;
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        const int64_t p = oy * g.out_w + ox;
        const T* col = cols + (local_b * L.pixels + p) * L.K;
        for (int64_t tap = 0; tap < L.taps; ++tap)
          for (int64_t og = 0; og < g.offset_groups; ++og) {
            const Sample<T> s = sample_at(L.y_of(oy, tap, off, b, og, p),
                                          L.x_of(ox, tap, off, b, og, p), g.height, g.width, true);
            T acc[3] = {0, 0, 0};  // d/dy, d/dx, the sample itself
            const int64_t end = (og + 1) * L.cpg;
            if (s.inside)
              for (int64_t c = og * L.cpg; c < end;) {
                const int64_t stop = L.run_end(c, end);
                corner_dots(col + L.column(c, tap), in_b + s.index[0] * L.C + c,
                            in_b + s.index[1] * L.C + c, in_b + s.index[2] * L.C + c,
                            in_b + s.index[3] * L.C + c, s.dy, s.dx, s.weight, stop - c, acc);
                c = stop;
              }
            const T m = L.mask_of(msk, tap, b, og, p);
            const int64_t field = (b * g.offset_groups + og) * L.taps + tap;
            g_off[(2 * field) * L.pixels + p] = acc[0] * m;
            g_off[(2 * field + 1) * L.pixels + p] = acc[1] * m;
            // (At exactly y == -1 the value weights of the on-map corners are 0: acc[2] is 0.)
            if (g_msk) g_msk[field * L.pixels + p] = acc[2];
          }
      }
    }
  });
}

}  // namespace

void deformable_im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& columns) {
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "deformable_im2col", [&] {
    im2col<scalar_t>(input, offset, mask, geometry, batch_begin, batch_count, columns);
  });
}

void deformable_col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_begin,
                       int64_t batch_count, at::Tensor& grad_input) {
  AT_DISPATCH_FLOATING_TYPES(columns.scalar_type(), "deformable_col2im", [&] {
    col2im<scalar_t>(columns, offset, mask, geometry, batch_begin, batch_count, grad_input);
  });
}

void deformable_col2im_coord(const at::Tensor& columns, const at::Tensor& input,
                             const at::Tensor& offset, const at::Tensor& mask,
                             const DeformConv2dGeometry& geometry, int64_t batch_begin,
                             int64_t batch_count, at::Tensor& grad_offset,
                             at::Tensor& grad_mask) {
  AT_DISPATCH_FLOATING_TYPES(columns.scalar_type(), "deformable_col2im_coord", [&] {
    col2im_coord<scalar_t>(columns, input, offset, mask, geometry, batch_begin, batch_count,
                           grad_offset, grad_mask);
  });
}

}  // namespace wdc::ops::cpu
