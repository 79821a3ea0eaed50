// CUDA sampling kernels of deform_conv2d (see deform_conv2d_kernel.cuh for the contract).
//
// Thread mapping (every kernel uses a grid-stride loop over a capped grid, so any size runs):
//   im2col        one thread per (image, channel, output pixel); loops over the kh*kw taps.
//                 Consecutive threads take consecutive pixels: offset/mask reads and column
//                 writes are coalesced.
//   col2im        one thread per column element (image, channel, tap, pixel); scatters its value
//                 into the (up to) four input pixels around its sample with atomicAdd.
//   col2im_coord  one thread per (image, offset group, tap, pixel); loops over the channels of
//                 the group and writes the y and x offset gradients (and the mask gradient).
//
// Why atomics in col2im: the adjoint of a bilinear gather is a scatter, and the positions come
// from the learned offsets, so a gather-form col2im ("which samples touch input pixel p?") would
// need an inverse sampling map rebuilt for every forward pass (a sort or bucketing of all
// samples by corner), which costs more than the scatter itself. Each sample adds to four
// addresses, neighbouring threads to neighbouring addresses; contention is low, and on sm_80 /
// sm_90 float and double atomicAdd to global memory are resolved in L2 at close to store speed
// for this access pattern. The price is a summation order that varies run to run (results are
// reproducible to rounding, not bitwise). atomicAdd on double needs sm_60 or newer; nvcc 13
// targets sm_75 and up anyway, and the check below refuses older targets explicitly.
//
// Indexing: each launch picks 32-bit indices when every buffer it touches has fewer than 2^30
// elements (cheaper integer division), else 64-bit indices, so products such as
// images * C * kh*kw * Ho*Wo never overflow.
#include "ops/cuda/deform_conv2d_kernel.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ < 600)
#error "wdc deform_conv2d CUDA kernels need sm_60 or newer (atomicAdd on double)"
#endif

namespace wdc::ops::cuda::kernels {

namespace {

constexpr int kThreadsPerBlock = 256;
// 8 blocks of 256 threads = 2048 resident threads, a full multiprocessor on sm_80 and sm_90;
// beyond that the grid-stride loop takes over.
constexpr int64_t kBlocksPerMultiprocessor = 8;
// 32-bit indices are used while every buffer (and the thread count) stays under this bound, so
// that index + grid stride cannot overflow either.
constexpr int64_t kMax32BitExtent = int64_t{1} << 30;

std::atomic<bool> g_force_64bit_indexing{false};

// ------------------------------------------------------------------------------------------
// Device code

// The geometry in the index type of the launch, with the derived extents precomputed.
template <typename I>
struct Dims {
  I channels, height, width;
  I kernel_w;
  I stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  I offset_groups, channels_per_group;
  I out_w;
  I taps;    // kh * kw
  I pixels;  // Ho * Wo
  I plane;   // H * W
  bool use_mask;
};

__device__ __forceinline__ float floor_of(float v) { return floorf(v); }
__device__ __forceinline__ double floor_of(double v) { return floor(v); }

// The four floor-based corners of a sample position and their bilinear weights.
template <typename T, typename I>
struct Corners {
  I y0, x0;             // top-left corner (may be -1)
  T ly, lx, hy, hx;     // fractional parts and their complements
  bool top, bottom, left, right;  // corner row/column inside the plane

  __device__ __forceinline__ Corners(T y, T x, I height, I width) {
    const T yf = floor_of(y);
    const T xf = floor_of(x);
    y0 = static_cast<I>(yf);
    x0 = static_cast<I>(xf);
    ly = y - yf;
    lx = x - xf;
    hy = T(1) - ly;
    hx = T(1) - lx;
    top = y0 >= 0;
    bottom = y0 + 1 < height;
    left = x0 >= 0;
    right = x0 + 1 < width;
  }
};

// True when a sample at (y, x) has at least one corner with a non-zero weight inside the plane;
// bilinear samples (and their adjoint) are zero elsewhere.
template <typename T, typename I>
__device__ __forceinline__ bool sample_inside(T y, T x, I height, I width) {
  return y > T(-1) && y < T(height) && x > T(-1) && x < T(width);
}

// True when some corner of (y, x) lies inside the plane: the corner-wise derivative can be
// non-zero only there. It differs from sample_inside only at y == -1 or x == -1 (where the
// sample is 0 but its derivative towards +y / +x is not), and keeps far-off positions away from
// the float-to-integer conversion of floor().
template <typename T, typename I>
__device__ __forceinline__ bool derivative_inside(T y, T x, I height, I width) {
  return y >= T(-1) && y < T(height) && x >= T(-1) && x < T(width);
}

template <typename T, typename I>
__device__ __forceinline__ T bilinear_sample(const T* __restrict__ plane, I height, I width, T y,
                                             T x) {
  if (!sample_inside(y, x, height, width)) return T(0);
  const Corners<T, I> k(y, x, height, width);
  const I base = k.y0 * width + k.x0;
  const T v00 = (k.top && k.left) ? plane[base] : T(0);
  const T v01 = (k.top && k.right) ? plane[base + 1] : T(0);
  const T v10 = (k.bottom && k.left) ? plane[base + width] : T(0);
  const T v11 = (k.bottom && k.right) ? plane[base + width + 1] : T(0);
  return k.hy * k.hx * v00 + k.hy * k.lx * v01 + k.ly * k.hx * v10 + k.ly * k.lx * v11;
}

template <typename I>
__device__ __forceinline__ I first_index() {
  return static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x);
}

template <typename I>
__device__ __forceinline__ I grid_stride() {
  return static_cast<I>(blockDim.x) * static_cast<I>(gridDim.x);
}

template <typename T, typename I>
__global__ void __launch_bounds__(kThreadsPerBlock)
    deformable_im2col_kernel(I n, const T* __restrict__ input, const T* __restrict__ offset,
                             const T* __restrict__ mask, Dims<I> d, T* __restrict__ columns) {
  for (I index = first_index<I>(); index < n; index += grid_stride<I>()) {
    const I pixel = index % d.pixels;
    const I image_channel = index / d.pixels;  // image * C + channel
    const I channel = image_channel % d.channels;
    const I image = image_channel / d.channels;
    const I group_row = image * d.offset_groups + channel / d.channels_per_group;
    const I out_y = pixel / d.out_w;
    const I out_x = pixel - out_y * d.out_w;
    const I y_base = out_y * d.stride_h - d.pad_h;
    const I x_base = out_x * d.stride_w - d.pad_w;

    const T* plane = input + image_channel * d.plane;
    const T* off = offset + group_row * 2 * d.taps * d.pixels + pixel;
    const T* msk = d.use_mask ? mask + group_row * d.taps * d.pixels + pixel : nullptr;
    T* col = columns + image_channel * d.taps * d.pixels + pixel;

    for (I tap = 0; tap < d.taps; ++tap) {
      const I i = tap / d.kernel_w;
      const I j = tap - i * d.kernel_w;
      const T y = static_cast<T>(y_base + i * d.dilation_h) + off[(2 * tap) * d.pixels];
      const T x = static_cast<T>(x_base + j * d.dilation_w) + off[(2 * tap + 1) * d.pixels];
      T value = bilinear_sample(plane, d.height, d.width, y, x);
      if (d.use_mask) value *= msk[tap * d.pixels];
      col[tap * d.pixels] = value;
    }
  }
}

template <typename T, typename I>
__global__ void __launch_bounds__(kThreadsPerBlock)
    deformable_col2im_kernel(I n, const T* __restrict__ columns, const T* __restrict__ offset,
                             const T* __restrict__ mask, Dims<I> d, T* __restrict__ grad_input) {
  for (I index = first_index<I>(); index < n; index += grid_stride<I>()) {
    const I pixel = index % d.pixels;
    const I row = index / d.pixels;  // (image * C + channel) * taps + tap
    const I tap = row % d.taps;
    const I image_channel = row / d.taps;
    const I channel = image_channel % d.channels;
    const I image = image_channel / d.channels;
    const I group_row = image * d.offset_groups + channel / d.channels_per_group;
    const I i = tap / d.kernel_w;
    const I j = tap - i * d.kernel_w;
    const I out_y = pixel / d.out_w;
    const I out_x = pixel - out_y * d.out_w;

    const T* off = offset + (group_row * 2 * d.taps + 2 * tap) * d.pixels + pixel;
    const T y = static_cast<T>(out_y * d.stride_h - d.pad_h + i * d.dilation_h) + off[0];
    const T x = static_cast<T>(out_x * d.stride_w - d.pad_w + j * d.dilation_w) + off[d.pixels];
    if (!sample_inside(y, x, d.height, d.width)) continue;

    T value = columns[index];
    if (d.use_mask) value *= mask[(group_row * d.taps + tap) * d.pixels + pixel];
    if (value == T(0)) continue;  // nothing to scatter (skips four atomics)

    const Corners<T, I> k(y, x, d.height, d.width);
    T* plane = grad_input + image_channel * d.plane;
    const I base = k.y0 * d.width + k.x0;
    if (k.top && k.left) atomicAdd(plane + base, k.hy * k.hx * value);
    if (k.top && k.right) atomicAdd(plane + base + 1, k.hy * k.lx * value);
    if (k.bottom && k.left) atomicAdd(plane + base + d.width, k.ly * k.hx * value);
    if (k.bottom && k.right) atomicAdd(plane + base + d.width + 1, k.ly * k.lx * value);
  }
}

template <typename T, typename I>
__global__ void __launch_bounds__(kThreadsPerBlock)
    deformable_col2im_coord_kernel(I n, const T* __restrict__ columns,
                                   const T* __restrict__ input, const T* __restrict__ offset,
                                   const T* __restrict__ mask, Dims<I> d,
                                   T* __restrict__ grad_offset, T* __restrict__ grad_mask) {
  for (I index = first_index<I>(); index < n; index += grid_stride<I>()) {
    const I pixel = index % d.pixels;
    const I row = index / d.pixels;  // (image * G + group) * taps + tap
    const I tap = row % d.taps;
    const I group_row = row / d.taps;  // image * G + group
    const I group = group_row % d.offset_groups;
    const I image = group_row / d.offset_groups;
    const I i = tap / d.kernel_w;
    const I j = tap - i * d.kernel_w;
    const I out_y = pixel / d.out_w;
    const I out_x = pixel - out_y * d.out_w;

    const I offset_index = (group_row * 2 * d.taps + 2 * tap) * d.pixels + pixel;
    const T y = static_cast<T>(out_y * d.stride_h - d.pad_h + i * d.dilation_h) +
                offset[offset_index];
    const T x = static_cast<T>(out_x * d.stride_w - d.pad_w + j * d.dilation_w) +
                offset[offset_index + d.pixels];

    T grad_y = 0;
    T grad_x = 0;
    T grad_m = 0;
    if (derivative_inside(y, x, d.height, d.width)) {
      const Corners<T, I> k(y, x, d.height, d.width);
      const bool c00 = k.top && k.left, c01 = k.top && k.right;
      const bool c10 = k.bottom && k.left, c11 = k.bottom && k.right;
      const I base = k.y0 * d.width + k.x0;
      const I first_channel = group * d.channels_per_group;
      const I column_step = d.taps * d.pixels;
      const T* col =
          columns + ((image * d.channels + first_channel) * d.taps + tap) * d.pixels + pixel;
      const T* plane = input + (image * d.channels + first_channel) * d.plane;
      for (I c = 0; c < d.channels_per_group; ++c, col += column_step, plane += d.plane) {
        const T v00 = c00 ? plane[base] : T(0);
        const T v01 = c01 ? plane[base + 1] : T(0);
        const T v10 = c10 ? plane[base + d.width] : T(0);
        const T v11 = c11 ? plane[base + d.width + 1] : T(0);
        const T column = *col;
        // d/dy and d/dx of  hy*hx*v00 + hy*lx*v01 + ly*hx*v10 + ly*lx*v11
        grad_y += column * (k.hx * (v10 - v00) + k.lx * (v11 - v01));
        grad_x += column * (k.hy * (v01 - v00) + k.ly * (v11 - v10));
        if (d.use_mask) {
          grad_m += column * (k.hy * k.hx * v00 + k.hy * k.lx * v01 + k.ly * k.hx * v10 +
                              k.ly * k.lx * v11);
        }
      }
    }

    T modulation = T(1);
    if (d.use_mask) {
      // The mask has the layout [count, G * taps, Ho * Wo], so its element is `index` itself.
      modulation = mask[index];
      grad_mask[index] = grad_m;
    }
    grad_offset[offset_index] = modulation * grad_y;
    grad_offset[offset_index + d.pixels] = modulation * grad_x;
  }
}

// ------------------------------------------------------------------------------------------
// Host code

[[noreturn]] void throw_cuda(cudaError_t error, const char* kernel, const char* what) {
  throw std::runtime_error(std::string("wdc::ops::cuda::") + kernel + ": " + what + " failed: " +
                           cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")");
}

void check_cuda(cudaError_t error, const char* kernel, const char* what) {
  if (error != cudaSuccess) throw_cuda(error, kernel, what);
}

int64_t checked_product(std::initializer_list<int64_t> factors, const char* kernel) {
  int64_t product = 1;
  for (const int64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) {
      throw std::invalid_argument(std::string("wdc::ops::cuda::") + kernel +
                                  ": buffer size overflows 64 bits");
    }
  }
  return product;
}

void validate(const DeformConv2dGeometry& g, int64_t batch_count, const char* kernel) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string("wdc::ops::cuda::") + kernel + ": " + why);
  };
  if (batch_count < 0) fail("batch_count must be >= 0, got " + std::to_string(batch_count));
  if (g.in_channels < 0 || g.height < 0 || g.width < 0 || g.out_h < 0 || g.out_w < 0) {
    fail("negative extent in geometry");
  }
  if (g.kernel_h < 1 || g.kernel_w < 1) fail("kernel size must be >= 1");
  if (g.stride_h < 1 || g.stride_w < 1) fail("stride must be >= 1");
  if (g.dilation_h < 1 || g.dilation_w < 1) fail("dilation must be >= 1");
  if (g.offset_groups < 1) {
    fail("offset_groups must be >= 1, got " + std::to_string(g.offset_groups));
  }
  if (g.in_channels % g.offset_groups != 0) {
    fail("in_channels (" + std::to_string(g.in_channels) + ") is not divisible by offset_groups (" +
         std::to_string(g.offset_groups) + ")");
  }
}

void require(const void* pointer, const char* name, const char* kernel) {
  if (pointer == nullptr) {
    throw std::invalid_argument(std::string("wdc::ops::cuda::") + kernel + ": " + name +
                                " is null");
  }
}

// Extents that decide between 32- and 64-bit indexing for one launch.
struct Extents {
  int64_t input;    // count * C * H * W
  int64_t columns;  // count * C * taps * pixels
  int64_t offset;   // count * G * 2 * taps * pixels (the mask is half of it)
  int64_t positions;  // largest |base position| the kernels form, with margin
};

Extents extents_of(const DeformConv2dGeometry& g, int64_t count, const char* kernel) {
  Extents e{};
  e.input = checked_product({count, g.in_channels, g.height, g.width}, kernel);
  e.columns = checked_product({count, g.in_channels, g.kernel_h, g.kernel_w, g.out_h, g.out_w},
                              kernel);
  e.offset = checked_product({count, g.offset_groups, 2, g.kernel_h, g.kernel_w, g.out_h, g.out_w},
                             kernel);
  const int64_t pad = std::max(std::abs(g.pad_h), std::abs(g.pad_w));
  e.positions = std::max(checked_product({g.out_h + 1, g.stride_h}, kernel) +
                             checked_product({g.kernel_h, g.dilation_h}, kernel),
                         checked_product({g.out_w + 1, g.stride_w}, kernel) +
                             checked_product({g.kernel_w, g.dilation_w}, kernel)) +
                pad;
  return e;
}

bool use_32bit(const Extents& e) {
  if (g_force_64bit_indexing.load(std::memory_order_relaxed)) return false;
  return std::max({e.input, e.columns, e.offset, e.positions}) < kMax32BitExtent;
}

template <typename I>
Dims<I> dims_of(const DeformConv2dGeometry& g) {
  Dims<I> d{};
  d.channels = static_cast<I>(g.in_channels);
  d.height = static_cast<I>(g.height);
  d.width = static_cast<I>(g.width);
  d.kernel_w = static_cast<I>(g.kernel_w);
  d.stride_h = static_cast<I>(g.stride_h);
  d.stride_w = static_cast<I>(g.stride_w);
  d.pad_h = static_cast<I>(g.pad_h);
  d.pad_w = static_cast<I>(g.pad_w);
  d.dilation_h = static_cast<I>(g.dilation_h);
  d.dilation_w = static_cast<I>(g.dilation_w);
  d.offset_groups = static_cast<I>(g.offset_groups);
  d.channels_per_group = static_cast<I>(g.in_channels / g.offset_groups);
  d.out_w = static_cast<I>(g.out_w);
  d.taps = static_cast<I>(g.kernel_h * g.kernel_w);
  d.pixels = static_cast<I>(g.out_h * g.out_w);
  d.plane = static_cast<I>(g.height * g.width);
  d.use_mask = g.use_mask;
  return d;
}

unsigned int grid_size(int64_t threads, const char* kernel) {
  int device = 0;
  check_cuda(cudaGetDevice(&device), kernel, "cudaGetDevice");
  int multiprocessors = 0;
  check_cuda(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device),
             kernel, "cudaDeviceGetAttribute(MultiProcessorCount)");
  const int64_t wanted = (threads + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const int64_t cap = std::max<int64_t>(1, multiprocessors) * kBlocksPerMultiprocessor;
  return static_cast<unsigned int>(std::min(wanted, cap));
}

// Launches kernel<<<grid, 256, 0, stream>>>(threads, args...) and checks the launch.
template <typename I, typename... Params, typename... Args>
void launch(void (*kernel)(I, Params...), const char* name, int64_t threads, cudaStream_t stream,
            Args&&... args) {
  if (threads <= 0) return;
  const unsigned int blocks = grid_size(threads, name);
  kernel<<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<I>(threads),
                                                  std::forward<Args>(args)...);
  check_cuda(cudaGetLastError(), name, "kernel launch");
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Public entry points

template <typename T>
void deformable_im2col(const T* input, const T* offset, const T* mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_count, T* columns,
                       cudaStream_t stream) {
  constexpr const char* kName = "deformable_im2col_kernel";
  validate(geometry, batch_count, kName);
  const Extents e = extents_of(geometry, batch_count, kName);
  const int64_t threads = checked_product(
      {batch_count, geometry.in_channels, geometry.out_h, geometry.out_w}, kName);
  if (threads == 0 || e.columns == 0) return;
  require(input, "input", kName);
  require(offset, "offset", kName);
  require(columns, "columns", kName);
  if (geometry.use_mask) require(mask, "mask", kName);
  if (use_32bit(e)) {
    launch(deformable_im2col_kernel<T, int32_t>, kName, threads, stream, input, offset, mask,
           dims_of<int32_t>(geometry), columns);
  } else {
    launch(deformable_im2col_kernel<T, int64_t>, kName, threads, stream, input, offset, mask,
           dims_of<int64_t>(geometry), columns);
  }
}

template <typename T>
void deformable_col2im(const T* columns, const T* offset, const T* mask,
                       const DeformConv2dGeometry& geometry, int64_t batch_count, T* grad_input,
                       cudaStream_t stream) {
  constexpr const char* kName = "deformable_col2im_kernel";
  validate(geometry, batch_count, kName);
  const Extents e = extents_of(geometry, batch_count, kName);
  const int64_t threads = e.columns;
  if (threads == 0 || e.input == 0) return;
  require(columns, "columns", kName);
  require(offset, "offset", kName);
  require(grad_input, "grad_input", kName);
  if (geometry.use_mask) require(mask, "mask", kName);
  if (use_32bit(e)) {
    launch(deformable_col2im_kernel<T, int32_t>, kName, threads, stream, columns, offset, mask,
           dims_of<int32_t>(geometry), grad_input);
  } else {
    launch(deformable_col2im_kernel<T, int64_t>, kName, threads, stream, columns, offset, mask,
           dims_of<int64_t>(geometry), grad_input);
  }
}

template <typename T>
void deformable_col2im_coord(const T* columns, const T* input, const T* offset, const T* mask,
                             const DeformConv2dGeometry& geometry, int64_t batch_count,
                             T* grad_offset, T* grad_mask, cudaStream_t stream) {
  constexpr const char* kName = "deformable_col2im_coord_kernel";
  validate(geometry, batch_count, kName);
  const Extents e = extents_of(geometry, batch_count, kName);
  const int64_t threads = e.offset / 2;  // count * G * taps * pixels
  if (threads == 0) return;
  // With C == 0 (or an empty input plane) every gradient is zero but still has to be written.
  require(offset, "offset", kName);
  require(grad_offset, "grad_offset", kName);
  if (e.columns != 0) require(columns, "columns", kName);
  if (e.input != 0) require(input, "input", kName);
  if (geometry.use_mask) {
    require(mask, "mask", kName);
    require(grad_mask, "grad_mask", kName);
  }
  if (use_32bit(e)) {
    launch(deformable_col2im_coord_kernel<T, int32_t>, kName, threads, stream, columns, input,
           offset, mask, dims_of<int32_t>(geometry), grad_offset, grad_mask);
  } else {
    launch(deformable_col2im_coord_kernel<T, int64_t>, kName, threads, stream, columns, input,
           offset, mask, dims_of<int64_t>(geometry), grad_offset, grad_mask);
  }
}

namespace testing {
void force_64bit_indexing(bool force) {
  g_force_64bit_indexing.store(force, std::memory_order_relaxed);
}
}  // namespace testing

#define WDC_INSTANTIATE_DEFORM_KERNELS(T)                                                        \
  template void deformable_im2col<T>(const T*, const T*, const T*, const DeformConv2dGeometry&, \
                                     int64_t, T*, cudaStream_t);                                 \
  template void deformable_col2im<T>(const T*, const T*, const T*, const DeformConv2dGeometry&, \
                                     int64_t, T*, cudaStream_t);                                 \
  template void deformable_col2im_coord<T>(const T*, const T*, const T*, const T*,              \
                                           const DeformConv2dGeometry&, int64_t, T*, T*,        \
                                           cudaStream_t);

WDC_INSTANTIATE_DEFORM_KERNELS(float)
WDC_INSTANTIATE_DEFORM_KERNELS(double)

#undef WDC_INSTANTIATE_DEFORM_KERNELS

}  // namespace wdc::ops::cuda::kernels
