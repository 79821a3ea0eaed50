// CPU sampling kernels of deform_conv2d (see ops/deform_conv2d_device.h for the contract).
//
// The bilinear sampling point of one (image, offset group, tap, output pixel) is the same for
// every channel of the group, so each kernel first builds a table of the four corner indices and
// weights of every output pixel for one (image, group, tap) row, then sweeps the group's channels
// with it, branch-free: corners outside the map get weight 0 and a safe index 0.
// Work is split across threads by rows (im2col, col2im_coord) or by input planes (col2im), so
// every thread writes memory no other thread touches: no atomics, no locks.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include <cmath>
#include <vector>

#include "ops/deform_conv2d_device.h"

namespace wdc::ops::cpu {
namespace {

// Four bilinear corners of one sample. Indices are within one H×W plane (the driver checks that
// H·W fits in 32 bits); weights already include the validity of each corner and the mask.
template <typename T>
struct BilinearSample {
  int32_t index[4];
  T weight[4];
};

// Fractional sampling position of tap (i, j) at output pixel (y, x), before the learned offset.
struct TapOrigin {
  int64_t i, j;
};

// Builds the sampling table of row (image b, offset group g, tap) into `table` (Ho·Wo entries).
// `scale` multiplies the weights: the mask, or 1.
template <typename T>
void build_row_table(const DeformConv2dGeometry& geo, const T* offset, const T* mask, int64_t b,
                     int64_t g, int64_t tap, BilinearSample<T>* table) {
  const int64_t taps = geo.taps(), pixels = geo.out_pixels();
  const int64_t i = tap / geo.kernel_w, j = tap % geo.kernel_w;
  const T* off_y = offset + ((b * geo.offset_groups + g) * 2 * taps + 2 * tap) * pixels;
  const T* off_x = off_y + pixels;
  const T* mask_row = mask ? mask + ((b * geo.offset_groups + g) * taps + tap) * pixels : nullptr;
  const int64_t H = geo.height, W = geo.width;
  for (int64_t oy = 0, p = 0; oy < geo.out_h; ++oy) {
    const T base_y = static_cast<T>(oy * geo.stride_h - geo.pad_h + i * geo.dilation_h);
    for (int64_t ox = 0; ox < geo.out_w; ++ox, ++p) {
      const T base_x = static_cast<T>(ox * geo.stride_w - geo.pad_w + j * geo.dilation_w);
      const T y = base_y + off_y[p];
      const T x = base_x + off_x[p];
      BilinearSample<T>& s = table[p];
      // Outside (-1, H) x (-1, W) no corner contributes: torchvision's rule, kept for parity.
      if (!(y > T(-1) && y < T(H) && x > T(-1) && x < T(W))) {
        for (int c = 0; c < 4; ++c) { s.index[c] = 0; s.weight[c] = T(0); }
        continue;
      }
      const T fy = std::floor(y), fx = std::floor(x);
      const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
      const T ly = y - fy, lx = x - fx;
      const T m = mask_row ? mask_row[p] : T(1);
      const T w[4] = {(1 - ly) * (1 - lx) * m, (1 - ly) * lx * m, ly * (1 - lx) * m, ly * lx * m};
      const int64_t cy[4] = {y0, y0, y0 + 1, y0 + 1};
      const int64_t cx[4] = {x0, x0 + 1, x0, x0 + 1};
      for (int c = 0; c < 4; ++c) {
        const bool inside = cy[c] >= 0 && cy[c] < H && cx[c] >= 0 && cx[c] < W;
        s.index[c] = inside ? static_cast<int32_t>(cy[c] * W + cx[c]) : 0;
        s.weight[c] = inside ? w[c] : T(0);
      }
    }
  }
}

template <typename T>
const T* optional_data(const at::Tensor& t) {
  return t.defined() && t.numel() > 0 ? t.data_ptr<T>() : nullptr;
}

// Grain sizes: a row or a plane is already thousands of multiply-adds.
constexpr int64_t kRowGrain = 1;

template <typename T>
void im2col(const at::Tensor& input, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& geo, int64_t begin, int64_t count, at::Tensor& columns) {
  const T* in = input.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = geo.use_mask ? optional_data<T>(mask) : nullptr;
  T* cols = columns.data_ptr<T>();
  const int64_t G = geo.offset_groups, taps = geo.taps(), pixels = geo.out_pixels();
  const int64_t cpg = geo.channels_per_offset_group(), plane = geo.height * geo.width;
  const int64_t rows = count * G * taps;
  at::parallel_for(0, rows, kRowGrain, [&](int64_t first, int64_t last) {
    std::vector<BilinearSample<T>> table(pixels);
    for (int64_t r = first; r < last; ++r) {
      const int64_t tap = r % taps, g = (r / taps) % G, local_b = r / (taps * G);
      const int64_t b = begin + local_b;
      build_row_table(geo, off, msk, b, g, tap, table.data());
      for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
        const T* src = in + (b * geo.in_channels + c) * plane;
        T* dst = cols + ((local_b * geo.in_channels + c) * taps + tap) * pixels;
        for (int64_t p = 0; p < pixels; ++p) {
          const BilinearSample<T>& s = table[p];
          dst[p] = s.weight[0] * src[s.index[0]] + s.weight[1] * src[s.index[1]] +
                   s.weight[2] * src[s.index[2]] + s.weight[3] * src[s.index[3]];
        }
      }
    }
  });
}

template <typename T>
void col2im(const at::Tensor& columns, const at::Tensor& offset, const at::Tensor& mask,
            const DeformConv2dGeometry& geo, int64_t begin, int64_t count, at::Tensor& grad_input) {
  const T* cols = columns.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = geo.use_mask ? optional_data<T>(mask) : nullptr;
  T* grad = grad_input.data_ptr<T>();
  const int64_t C = geo.in_channels, G = geo.offset_groups, taps = geo.taps();
  const int64_t pixels = geo.out_pixels(), cpg = geo.channels_per_offset_group();
  const int64_t plane = geo.height * geo.width;
  // All tables of the block at once (a few MB at most): each plane reuses its group's tables.
  std::vector<BilinearSample<T>> tables(count * G * taps * pixels);
  at::parallel_for(0, count * G * taps, kRowGrain, [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t tap = r % taps, g = (r / taps) % G, local_b = r / (taps * G);
      build_row_table(geo, off, msk, begin + local_b, g, tap, tables.data() + r * pixels);
    }
  });
  // One thread per input plane: scatters into a plane never collide across threads.
  at::parallel_for(0, count * C, kRowGrain, [&](int64_t first, int64_t last) {
    for (int64_t bc = first; bc < last; ++bc) {
      const int64_t local_b = bc / C, c = bc % C, g = c / cpg;
      T* dst = grad + ((begin + local_b) * C + c) * plane;
      for (int64_t tap = 0; tap < taps; ++tap) {
        const BilinearSample<T>* table = tables.data() + ((local_b * G + g) * taps + tap) * pixels;
        const T* src = cols + ((local_b * C + c) * taps + tap) * pixels;
        for (int64_t p = 0; p < pixels; ++p) {
          const BilinearSample<T>& s = table[p];
          const T v = src[p];
          dst[s.index[0]] += s.weight[0] * v;
          dst[s.index[1]] += s.weight[1] * v;
          dst[s.index[2]] += s.weight[2] * v;
          dst[s.index[3]] += s.weight[3] * v;
        }
      }
    }
  });
}

// d(sample)/d(y) and d(sample)/d(x) of one output pixel expressed through its corners: with
// v_k the corner values (0 outside), dy = Σ_k v_k·dy_k, dx = Σ_k v_k·dx_k. `value` weights
// give the sample itself (for the mask's gradient).
template <typename T>
struct SampleDerivative {
  int32_t index[4];
  T dy[4], dx[4], value[4];
};

template <typename T>
void build_derivative_row(const DeformConv2dGeometry& geo, const T* offset, int64_t b, int64_t g,
                          int64_t tap, SampleDerivative<T>* row) {
  const int64_t taps = geo.taps(), pixels = geo.out_pixels();
  const int64_t i = tap / geo.kernel_w, j = tap % geo.kernel_w;
  const T* off_y = offset + ((b * geo.offset_groups + g) * 2 * taps + 2 * tap) * pixels;
  const T* off_x = off_y + pixels;
  const int64_t H = geo.height, W = geo.width;
  for (int64_t oy = 0, p = 0; oy < geo.out_h; ++oy) {
    const T base_y = static_cast<T>(oy * geo.stride_h - geo.pad_h + i * geo.dilation_h);
    for (int64_t ox = 0; ox < geo.out_w; ++ox, ++p) {
      const T base_x = static_cast<T>(ox * geo.stride_w - geo.pad_w + j * geo.dilation_w);
      const T y = base_y + off_y[p];
      const T x = base_x + off_x[p];
      SampleDerivative<T>& d = row[p];
      // Unlike the sample itself, the derivative at exactly y == -1 (x == -1) is taken from the
      // inside, as torchvision does: zero offsets with padding put taps exactly there, and a
      // freshly initialised DCN must get a gradient that moves them.
      if (!(y >= T(-1) && y < T(H) && x >= T(-1) && x < T(W))) {
        for (int c = 0; c < 4; ++c) { d.index[c] = 0; d.dy[c] = d.dx[c] = d.value[c] = T(0); }
        continue;
      }
      const T fy = std::floor(y), fx = std::floor(x);
      const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
      const T ly = y - fy, lx = x - fx;
      const T dy[4] = {-(1 - lx), -lx, 1 - lx, lx};
      const T dx[4] = {-(1 - ly), 1 - ly, -ly, ly};
      const T value[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
      const int64_t cy[4] = {y0, y0, y0 + 1, y0 + 1};
      const int64_t cx[4] = {x0, x0 + 1, x0, x0 + 1};
      for (int c = 0; c < 4; ++c) {
        const bool inside = cy[c] >= 0 && cy[c] < H && cx[c] >= 0 && cx[c] < W;
        d.index[c] = inside ? static_cast<int32_t>(cy[c] * W + cx[c]) : 0;
        d.dy[c] = inside ? dy[c] : T(0);
        d.dx[c] = inside ? dx[c] : T(0);
        d.value[c] = inside ? value[c] : T(0);
      }
    }
  }
}

template <typename T>
void col2im_coord(const at::Tensor& columns, const at::Tensor& input, const at::Tensor& offset,
                  const at::Tensor& mask, const DeformConv2dGeometry& geo, int64_t begin,
                  int64_t count, at::Tensor& grad_offset, at::Tensor& grad_mask) {
  const T* cols = columns.data_ptr<T>();
  const T* in = input.data_ptr<T>();
  const T* off = offset.data_ptr<T>();
  const T* msk = geo.use_mask ? optional_data<T>(mask) : nullptr;
  T* g_off = grad_offset.data_ptr<T>();
  T* g_msk = msk ? grad_mask.data_ptr<T>() : nullptr;
  const int64_t G = geo.offset_groups, taps = geo.taps(), pixels = geo.out_pixels();
  const int64_t C = geo.in_channels, cpg = geo.channels_per_offset_group();
  const int64_t plane = geo.height * geo.width;
  at::parallel_for(0, count * G * taps, kRowGrain, [&](int64_t first, int64_t last) {
    std::vector<SampleDerivative<T>> row(pixels);
    std::vector<T> acc_y(pixels), acc_x(pixels), acc_v(pixels);
    for (int64_t r = first; r < last; ++r) {
      const int64_t tap = r % taps, g = (r / taps) % G, local_b = r / (taps * G);
      const int64_t b = begin + local_b;
      build_derivative_row(geo, off, b, g, tap, row.data());
      std::fill(acc_y.begin(), acc_y.end(), T(0));
      std::fill(acc_x.begin(), acc_x.end(), T(0));
      std::fill(acc_v.begin(), acc_v.end(), T(0));
      for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
        const T* src = in + (b * C + c) * plane;
        const T* col = cols + ((local_b * C + c) * taps + tap) * pixels;
        for (int64_t p = 0; p < pixels; ++p) {
          const SampleDerivative<T>& d = row[p];
          const T v0 = src[d.index[0]], v1 = src[d.index[1]];
          const T v2 = src[d.index[2]], v3 = src[d.index[3]];
          const T cv = col[p];
          acc_y[p] += cv * (d.dy[0] * v0 + d.dy[1] * v1 + d.dy[2] * v2 + d.dy[3] * v3);
          acc_x[p] += cv * (d.dx[0] * v0 + d.dx[1] * v1 + d.dx[2] * v2 + d.dx[3] * v3);
          acc_v[p] += cv * (d.value[0] * v0 + d.value[1] * v1 + d.value[2] * v2 + d.value[3] * v3);
        }
      }
      const T* mask_row = msk ? msk + ((b * G + g) * taps + tap) * pixels : nullptr;
      T* out_y = g_off + ((b * G + g) * 2 * taps + 2 * tap) * pixels;
      T* out_x = out_y + pixels;
      for (int64_t p = 0; p < pixels; ++p) {
        const T m = mask_row ? mask_row[p] : T(1);
        out_y[p] = acc_y[p] * m;
        out_x[p] = acc_x[p] * m;
      }
      if (g_msk) {
        T* out_m = g_msk + ((b * G + g) * taps + tap) * pixels;
        std::copy(acc_v.begin(), acc_v.end(), out_m);
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
