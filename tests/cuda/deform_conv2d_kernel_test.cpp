// The torch-free CUDA kernels of deform_conv2d (lib/ops/cuda/deform_conv2d_kernel.cu), linked
// with nothing but wdc_cuda_kernels, the CUDA runtime and GoogleTest.
//
// On a machine with a GPU: the kernels against a plain host implementation in double
// (im2col, col2im, col2im_coord; float and double; 32- and 64-bit indexing; samples on integer
// positions, exactly on the -1 border and far off the map; the mask; a sub-range of the batch;
// a grid larger than the grid cap), plus reference-free checks in double: col2im is the adjoint
// of im2col, and col2im_coord is the derivative of im2col (central differences).
// Without a GPU the tests that need one skip; the argument checks and the error path (a CUDA
// call that fails must throw std::runtime_error naming the kernel) still run.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/cuda/deform_conv2d_kernel.cuh"

namespace {

namespace kernels = wdc::ops::cuda::kernels;
using wdc::ops::DeformConv2dGeometry;

// ---------------------------------------------------------------------------------------------
// GPU presence

bool gpu_present(std::string* why) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();  // clear
    *why = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(error) + " (" +
           cudaGetErrorString(error) + ")";
    return false;
  }
  if (count == 0) {
    *why = "cudaGetDeviceCount returned 0 devices";
    return false;
  }
  return true;
}

#define SKIP_WITHOUT_GPU()                                                          \
  do {                                                                              \
    std::string why_;                                                               \
    if (!gpu_present(&why_)) GTEST_SKIP() << "no CUDA device on this machine (" << why_ << ")"; \
  } while (0)

void check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(error));
  }
}

class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate"); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void sync() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

 private:
  cudaStream_t stream_ = nullptr;
};

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const std::vector<T>& host, const Stream& stream) : size_(host.size()) {
    if (size_ == 0) return;
    check(cudaMalloc(reinterpret_cast<void**>(&data_), size_ * sizeof(T)), "cudaMalloc");
    check(cudaMemcpyAsync(data_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice,
                          stream.get()),
          "cudaMemcpyAsync");
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }
  std::vector<T> download(const Stream& stream) const {
    std::vector<T> host(size_);
    if (size_ == 0) return host;
    check(cudaMemcpyAsync(host.data(), data_, size_ * sizeof(T), cudaMemcpyDeviceToHost,
                          stream.get()),
          "cudaMemcpyAsync");
    stream.sync();
    return host;
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Problems

struct Shape {
  const char* name;
  int64_t batch, channels, height, width, kernel_h, kernel_w;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t offset_groups;
  bool use_mask;
  int64_t batch_begin, batch_count;  // the range handed to the kernels
  double offset_scale;               // offsets ~ uniform(-scale, scale)
};

DeformConv2dGeometry geometry_of(const Shape& s) {
  DeformConv2dGeometry g;
  g.batch = s.batch;
  g.in_channels = s.channels;
  g.height = s.height;
  g.width = s.width;
  g.kernel_h = s.kernel_h;
  g.kernel_w = s.kernel_w;
  g.stride_h = s.stride_h;
  g.stride_w = s.stride_w;
  g.pad_h = s.pad_h;
  g.pad_w = s.pad_w;
  g.dilation_h = s.dilation_h;
  g.dilation_w = s.dilation_w;
  g.offset_groups = s.offset_groups;
  g.out_h = (s.height + 2 * s.pad_h - (s.dilation_h * (s.kernel_h - 1) + 1)) / s.stride_h + 1;
  g.out_w = (s.width + 2 * s.pad_w - (s.dilation_w * (s.kernel_w - 1) + 1)) / s.stride_w + 1;
  g.use_mask = s.use_mask;
  return g;
}

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = {
      // name              N  C  H  W kh kw sh sw ph pw dh dw G  mask begin count scale
      {"3x3_pad_groups", 3, 4, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 2, true, 1, 2, 2.5},
      {"2x3_strided_dilated", 2, 6, 8, 5, 2, 3, 2, 1, 0, 2, 2, 1, 3, false, 0, 2, 2.0},
      {"1x1_far_offsets", 1, 3, 5, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, 0, 1, 6.0},
      {"flat_input", 2, 2, 1, 6, 3, 2, 1, 1, 1, 0, 1, 1, 1, true, 1, 1, 1.5},
      // im2col: 2*64*64*64 = 524288 threads, above the grid cap of an H100/H200 (132 SMs *
      // 2048): the grid-stride loops run more than one iteration.
      {"large_grid_stride", 2, 64, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 4, true, 0, 2, 1.5},
  };
  return all;
}

// Full-batch host data in double; the kernels get `batch_count` images from `batch_begin`.
struct Problem {
  Shape shape;
  DeformConv2dGeometry g;
  std::vector<double> input, offset, mask;  // full batch
  std::vector<double> columns;              // range only: a random "grad of columns"

  int64_t taps() const { return g.taps(); }
  int64_t pixels() const { return g.out_pixels(); }
  int64_t input_per_image() const { return g.in_channels * g.height * g.width; }
  int64_t offset_per_image() const { return 2 * g.offset_groups * taps() * pixels(); }
  int64_t mask_per_image() const { return g.offset_groups * taps() * pixels(); }
  int64_t columns_per_image() const { return g.column_rows() * pixels(); }
  int64_t count() const { return shape.batch_count; }

  // Sampling position of (image in range, group, tap, pixel) for the given offsets.
  void position(const std::vector<double>& off, int64_t b, int64_t grp, int64_t tap, int64_t p,
                double* y, double* x) const {
    const int64_t i = tap / g.kernel_w, j = tap % g.kernel_w;
    const int64_t oy = p / g.out_w, ox = p % g.out_w;
    const int64_t image = shape.batch_begin + b;
    const int64_t base = ((image * g.offset_groups + grp) * 2 * taps() + 2 * tap) * pixels() + p;
    *y = static_cast<double>(oy * g.stride_h - g.pad_h + i * g.dilation_h) + off[base];
    *x = static_cast<double>(ox * g.stride_w - g.pad_w + j * g.dilation_w) + off[base + pixels()];
  }
};

// `exact_specials` adds positions exactly on integers and exactly at -1 (only meaningful where the
// kernel computes positions exactly: double); otherwise every position keeps its fractional part
// in [0.1, 0.9], so that float and double agree on the floor() of every sample.
Problem make_problem(const Shape& shape, uint64_t seed, bool exact_specials) {
  Problem pr;
  pr.shape = shape;
  pr.g = geometry_of(shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_real_distribution<double> positive(0.05, 1.0);
  std::uniform_int_distribution<int> pick(0, 19);

  pr.input.resize(shape.batch * pr.input_per_image());
  for (double& v : pr.input) v = unit(rng);
  pr.mask.resize(shape.use_mask ? shape.batch * pr.mask_per_image() : 0);
  for (double& v : pr.mask) v = positive(rng);
  pr.columns.resize(shape.batch_count * pr.columns_per_image());
  for (double& v : pr.columns) v = unit(rng);

  const DeformConv2dGeometry& g = pr.g;
  pr.offset.resize(shape.batch * pr.offset_per_image());
  for (int64_t image = 0; image < shape.batch; ++image) {
    for (int64_t grp = 0; grp < g.offset_groups; ++grp) {
      for (int64_t tap = 0; tap < g.taps(); ++tap) {
        const int64_t i = tap / g.kernel_w, j = tap % g.kernel_w;
        for (int64_t p = 0; p < g.out_pixels(); ++p) {
          const int64_t oy = p / g.out_w, ox = p % g.out_w;
          const double base_y = double(oy * g.stride_h - g.pad_h + i * g.dilation_h);
          const double base_x = double(ox * g.stride_w - g.pad_w + j * g.dilation_w);
          const int64_t at =
              ((image * g.offset_groups + grp) * 2 * g.taps() + 2 * tap) * g.out_pixels() + p;
          for (int axis = 0; axis < 2; ++axis) {
            const double base = axis == 0 ? base_y : base_x;
            const int64_t extent = axis == 0 ? g.height : g.width;
            double off = shape.offset_scale * unit(rng);
            const int kind = pick(rng);
            if (kind == 0) off = (unit(rng) > 0 ? 1 : -1) * (extent + 40.5);  // far off the map
            if (exact_specials) {
              if (kind == 1) off = std::round(off);                 // integer position
              if (kind == 2) off = -1.0 - base;                     // exactly on y/x == -1
              if (kind == 3) off = double(extent - 1) - base;       // exactly on the last row
              if (kind == 4) off = double(extent) - base;           // exactly on y/x == H (W)
            } else {
              // Keep the fractional part of the position inside [0.1, 0.9].
              const double pos = base + off;
              const double frac = pos - std::floor(pos);
              if (frac < 0.1) off += 0.1 - frac + 0.05;
              if (frac > 0.9) off -= frac - 0.9 + 0.05;
            }
            pr.offset[at + axis * g.out_pixels()] = off;
          }
        }
      }
    }
  }
  return pr;
}

// ---------------------------------------------------------------------------------------------
// Host reference, written from the definition (torchvision's semantics), in double.

double ref_pixel(const double* plane, int64_t h, int64_t w, int64_t y, int64_t x) {
  return (y >= 0 && y < h && x >= 0 && x < w) ? plane[y * w + x] : 0.0;
}

double ref_sample(const double* plane, int64_t h, int64_t w, double y, double x) {
  if (y <= -1 || y >= h || x <= -1 || x >= w) return 0.0;
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  return (1 - ly) * (1 - lx) * ref_pixel(plane, h, w, y0, x0) +
         (1 - ly) * lx * ref_pixel(plane, h, w, y0, x0 + 1) +
         ly * (1 - lx) * ref_pixel(plane, h, w, y0 + 1, x0) +
         ly * lx * ref_pixel(plane, h, w, y0 + 1, x0 + 1);
}

// torchvision's get_coordinate_weight: corner-wise, no early-out (corners outside read 0).
void ref_sample_gradient(const double* plane, int64_t h, int64_t w, double y, double x,
                         double* dy, double* dx) {
  if (std::abs(y) > 1e6 || std::abs(x) > 1e6) {  // keep floor() representable; all corners out
    *dy = *dx = 0;
    return;
  }
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  const double v00 = ref_pixel(plane, h, w, y0, x0), v01 = ref_pixel(plane, h, w, y0, x0 + 1);
  const double v10 = ref_pixel(plane, h, w, y0 + 1, x0), v11 = ref_pixel(plane, h, w, y0 + 1, x0 + 1);
  *dy = (1 - lx) * (v10 - v00) + lx * (v11 - v01);
  *dx = (1 - ly) * (v01 - v00) + ly * (v11 - v10);
}

struct Reference {
  std::vector<double> columns, grad_input, grad_offset, grad_mask;  // range only
};

Reference reference(const Problem& pr, const std::vector<double>& offset) {
  const DeformConv2dGeometry& g = pr.g;
  const int64_t C = g.in_channels, cpg = g.channels_per_offset_group(), P = pr.pixels();
  const int64_t K = pr.taps(), plane = g.height * g.width;
  Reference r;
  r.columns.assign(pr.count() * pr.columns_per_image(), 0.0);
  r.grad_input.assign(pr.count() * pr.input_per_image(), 0.0);
  r.grad_offset.assign(pr.count() * pr.offset_per_image(), 0.0);
  r.grad_mask.assign(g.use_mask ? pr.count() * pr.mask_per_image() : 0, 0.0);
  for (int64_t b = 0; b < pr.count(); ++b) {
    const int64_t image = pr.shape.batch_begin + b;
    for (int64_t grp = 0; grp < g.offset_groups; ++grp) {
      for (int64_t tap = 0; tap < K; ++tap) {
        for (int64_t p = 0; p < P; ++p) {
          double y, x;
          pr.position(offset, b, grp, tap, p, &y, &x);
          const double m =
              g.use_mask ? pr.mask[((image * g.offset_groups + grp) * K + tap) * P + p] : 1.0;
          double gy = 0, gx = 0, gm = 0;
          for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) {
            const double* in = pr.input.data() + (image * C + c) * plane;
            const int64_t col = ((b * C + c) * K + tap) * P + p;
            const double value = ref_sample(in, g.height, g.width, y, x);
            r.columns[col] = m * value;
            // col2im: the adjoint, corner by corner.
            const double cv = pr.columns[col];
            if (y > -1 && y < g.height && x > -1 && x < g.width) {
              const int64_t y0 = int64_t(std::floor(y)), x0 = int64_t(std::floor(x));
              const double ly = y - y0, lx = x - x0;
              const int64_t cy[4] = {y0, y0, y0 + 1, y0 + 1}, cx[4] = {x0, x0 + 1, x0, x0 + 1};
              const double w[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
              for (int k = 0; k < 4; ++k) {
                if (cy[k] >= 0 && cy[k] < g.height && cx[k] >= 0 && cx[k] < g.width) {
                  r.grad_input[(b * C + c) * plane + cy[k] * g.width + cx[k]] += w[k] * m * cv;
                }
              }
            }
            double dy, dx;
            ref_sample_gradient(in, g.height, g.width, y, x, &dy, &dx);
            gy += cv * m * dy;
            gx += cv * m * dx;
            gm += cv * value;
          }
          const int64_t go = ((b * g.offset_groups + grp) * 2 * K + 2 * tap) * P + p;
          r.grad_offset[go] = gy;
          r.grad_offset[go + P] = gx;
          if (g.use_mask) r.grad_mask[((b * g.offset_groups + grp) * K + tap) * P + p] = gm;
        }
      }
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Running the kernels

template <typename T>
std::vector<T> cast(const std::vector<double>& v, int64_t begin = 0, int64_t count = -1) {
  if (count < 0) count = static_cast<int64_t>(v.size()) - begin;
  std::vector<T> out(count);
  for (int64_t k = 0; k < count; ++k) out[k] = static_cast<T>(v[begin + k]);
  return out;
}

template <typename T>
std::vector<double> widen(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

struct Results {
  std::vector<double> columns, grad_input, grad_offset, grad_mask;
};

// Uploads the range of the problem (the kernels get pointers to its first image) in T, runs
// the three kernels on a non-default stream and downloads the results.
template <typename T>
Results run_kernels(const Problem& pr, const std::vector<double>& offset) {
  Stream stream;
  const int64_t begin = pr.shape.batch_begin, count = pr.count();
  DeviceBuffer<T> input(cast<T>(pr.input, begin * pr.input_per_image(), count * pr.input_per_image()),
                        stream);
  DeviceBuffer<T> off(cast<T>(offset, begin * pr.offset_per_image(), count * pr.offset_per_image()),
                      stream);
  DeviceBuffer<T> mask(pr.g.use_mask ? cast<T>(pr.mask, begin * pr.mask_per_image(),
                                               count * pr.mask_per_image())
                                     : std::vector<T>{},
                       stream);
  DeviceBuffer<T> grad_columns(cast<T>(pr.columns), stream);
  // Filled with garbage: im2col and col2im_coord must write every element.
  DeviceBuffer<T> columns(std::vector<T>(count * pr.columns_per_image(), T(-777)), stream);
  DeviceBuffer<T> grad_offset(std::vector<T>(count * pr.offset_per_image(), T(-777)), stream);
  DeviceBuffer<T> grad_mask(std::vector<T>(pr.g.use_mask ? count * pr.mask_per_image() : 0, T(-777)),
                            stream);
  // col2im accumulates: start from a known value and subtract it afterwards.
  const T start = T(0.5);
  DeviceBuffer<T> grad_input(std::vector<T>(count * pr.input_per_image(), start), stream);

  kernels::deformable_im2col<T>(input.get(), off.get(), mask.get(), pr.g, count, columns.get(),
                                stream.get());
  kernels::deformable_col2im<T>(grad_columns.get(), off.get(), mask.get(), pr.g, count,
                                grad_input.get(), stream.get());
  kernels::deformable_col2im_coord<T>(grad_columns.get(), input.get(), off.get(), mask.get(), pr.g,
                                      count, grad_offset.get(), grad_mask.get(), stream.get());
  stream.sync();
  Results r;
  r.columns = widen(columns.download(stream));
  r.grad_input = widen(grad_input.download(stream));
  for (double& v : r.grad_input) v -= double(start);
  r.grad_offset = widen(grad_offset.download(stream));
  r.grad_mask = widen(grad_mask.download(stream));
  return r;
}

::testing::AssertionResult near(const char* what, const std::vector<double>& actual,
                                const std::vector<double>& expected, double tolerance) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << what << ": size " << actual.size() << " vs "
                                         << expected.size();
  }
  double scale = 1.0;
  for (double v : expected) scale = std::max(scale, std::abs(v));
  const double bound = tolerance * scale;
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (size_t k = 0; k < actual.size(); ++k) {
    const double error = std::abs(actual[k] - expected[k]);
    if (!(error <= bound)) {  // NaN fails too
      if (first < 0) first = static_cast<int64_t>(k);
      ++bad;
    }
    if (error > worst || std::isnan(error)) worst = error;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << actual.size() << " elements off by more than "
         << bound << " (worst " << worst << "); first at " << first << ": " << actual[first]
         << " vs " << expected[first];
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// Restores 32-bit indexing at the end of a scope.
struct IndexingMode {
  explicit IndexingMode(bool force64) { kernels::testing::force_64bit_indexing(force64); }
  ~IndexingMode() { kernels::testing::force_64bit_indexing(false); }
};

template <typename T>
void compare_with_reference(bool force64) {
  IndexingMode mode(force64);
  const bool exact = std::is_same_v<T, double>;
  const double tolerance = exact ? 1e-12 : 2e-5;
  uint64_t seed = 1234;
  for (const Shape& shape : shapes()) {
    SCOPED_TRACE(std::string(shape.name) + (exact ? " double" : " float") +
                 (force64 ? " 64-bit" : " 32-bit"));
    Problem pr = make_problem(shape, seed++, exact);
    // The reference sees exactly the values the kernels get (rounded to T).
    if (!exact) {
      for (auto* v : {&pr.input, &pr.offset, &pr.mask, &pr.columns}) {
        for (double& e : *v) e = static_cast<double>(static_cast<T>(e));
      }
    }
    const Reference ref = reference(pr, pr.offset);
    const Results got = run_kernels<T>(pr, pr.offset);
    EXPECT_TRUE(near("im2col", got.columns, ref.columns, tolerance));
    EXPECT_TRUE(near("col2im", got.grad_input, ref.grad_input, tolerance));
    EXPECT_TRUE(near("col2im_coord offset", got.grad_offset, ref.grad_offset, tolerance));
    EXPECT_TRUE(near("col2im_coord mask", got.grad_mask, ref.grad_mask, tolerance));
  }
}

// ---------------------------------------------------------------------------------------------
// Tests that need a GPU

TEST(DeformConv2dCudaKernels, MatchReferenceDouble32BitIndexing) {
  SKIP_WITHOUT_GPU();
  compare_with_reference<double>(false);
}

TEST(DeformConv2dCudaKernels, MatchReferenceDouble64BitIndexing) {
  SKIP_WITHOUT_GPU();
  compare_with_reference<double>(true);
}

TEST(DeformConv2dCudaKernels, MatchReferenceFloat32BitIndexing) {
  SKIP_WITHOUT_GPU();
  compare_with_reference<float>(false);
}

TEST(DeformConv2dCudaKernels, MatchReferenceFloat64BitIndexing) {
  SKIP_WITHOUT_GPU();
  compare_with_reference<float>(true);
}

// <im2col(x), c> == <x, col2im(c)>, with no reference involved.
TEST(DeformConv2dCudaKernels, Col2imIsTheAdjointOfIm2col) {
  SKIP_WITHOUT_GPU();
  uint64_t seed = 99;
  for (const Shape& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    const Problem pr = make_problem(shape, seed++, /*exact_specials=*/true);
    const Results got = run_kernels<double>(pr, pr.offset);
    const int64_t n = pr.count() * pr.input_per_image();
    const std::vector<double> x(pr.input.begin() + pr.shape.batch_begin * pr.input_per_image(),
                                pr.input.begin() + pr.shape.batch_begin * pr.input_per_image() + n);
    const double lhs = dot(got.columns, pr.columns);
    const double rhs = dot(x, got.grad_input);
    EXPECT_NEAR(lhs, rhs, 1e-11 * std::max(1.0, std::abs(lhs)));
  }
}

// d/dt <c, im2col(x, offset + t*d, mask + t*e)> at t = 0 == <grad_offset, d> + <grad_mask, e>,
// by central differences, with every position away from integers (where the derivative jumps).
TEST(DeformConv2dCudaKernels, Col2imCoordIsTheDerivativeOfIm2col) {
  SKIP_WITHOUT_GPU();
  uint64_t seed = 7;
  for (const Shape& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Problem pr = make_problem(shape, seed++, /*exact_specials=*/false);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::vector<double> direction(pr.offset.size()), mask_direction(pr.mask.size());
    for (double& v : direction) v = unit(rng);
    for (double& v : mask_direction) v = unit(rng);

    const Results at = run_kernels<double>(pr, pr.offset);
    const double h = 1e-6;
    auto objective = [&](double t) {
      Problem moved = pr;
      for (size_t k = 0; k < moved.offset.size(); ++k) moved.offset[k] += t * direction[k];
      for (size_t k = 0; k < moved.mask.size(); ++k) moved.mask[k] += t * mask_direction[k];
      return dot(run_kernels<double>(moved, moved.offset).columns, pr.columns);
    };
    const double numeric = (objective(h) - objective(-h)) / (2 * h);
    // The analytic directional derivative over the range's images only.
    const int64_t off0 = pr.shape.batch_begin * pr.offset_per_image();
    const int64_t mask0 = pr.shape.batch_begin * pr.mask_per_image();
    double analytic = 0;
    for (size_t k = 0; k < at.grad_offset.size(); ++k) analytic += at.grad_offset[k] * direction[off0 + k];
    for (size_t k = 0; k < at.grad_mask.size(); ++k) analytic += at.grad_mask[k] * mask_direction[mask0 + k];
    EXPECT_NEAR(numeric, analytic, 1e-6 * std::max(1.0, std::abs(analytic)));
  }
}

TEST(DeformConv2dCudaKernels, EmptyRangeLaunchesNothing) {
  SKIP_WITHOUT_GPU();
  Stream stream;
  const DeformConv2dGeometry g = geometry_of(shapes()[0]);
  // No pointer is touched and no kernel is queued for zero images.
  EXPECT_NO_THROW(kernels::deformable_im2col<float>(nullptr, nullptr, nullptr, g, 0, nullptr,
                                                    stream.get()));
  EXPECT_NO_THROW(kernels::deformable_col2im<double>(nullptr, nullptr, nullptr, g, 0, nullptr,
                                                     stream.get()));
  EXPECT_NO_THROW(kernels::deformable_col2im_coord<double>(nullptr, nullptr, nullptr, nullptr, g,
                                                           0, nullptr, nullptr, stream.get()));
  stream.sync();
}

// ---------------------------------------------------------------------------------------------
// Tests that run everywhere

TEST(DeformConv2dCudaKernelArguments, RejectsInconsistentGeometryBeforeAnyCudaCall) {
  DeformConv2dGeometry g = geometry_of(shapes()[0]);
  float dummy = 0;
  g.offset_groups = 3;  // 4 channels
  EXPECT_THROW(kernels::deformable_im2col<float>(&dummy, &dummy, &dummy, g, 1, &dummy, nullptr),
               std::invalid_argument);
  g.offset_groups = 0;
  EXPECT_THROW(kernels::deformable_col2im<float>(&dummy, &dummy, &dummy, g, 1, &dummy, nullptr),
               std::invalid_argument);
  g = geometry_of(shapes()[0]);
  g.stride_h = 0;
  EXPECT_THROW(kernels::deformable_col2im_coord<float>(&dummy, &dummy, &dummy, &dummy, g, 1,
                                                       &dummy, &dummy, nullptr),
               std::invalid_argument);
  g = geometry_of(shapes()[0]);
  EXPECT_THROW(kernels::deformable_im2col<float>(&dummy, &dummy, &dummy, g, -1, &dummy, nullptr),
               std::invalid_argument);
  // use_mask without a mask, col2im_coord without grad_mask.
  ASSERT_TRUE(g.use_mask);
  EXPECT_THROW(kernels::deformable_im2col<float>(&dummy, &dummy, nullptr, g, 1, &dummy, nullptr),
               std::invalid_argument);
  EXPECT_THROW(kernels::deformable_col2im_coord<float>(&dummy, &dummy, &dummy, &dummy, g, 1,
                                                       &dummy, nullptr, nullptr),
               std::invalid_argument);
}

TEST(DeformConv2dCudaKernelArguments, EmptyWorkIsANoOpEvenWithoutAGpu) {
  const DeformConv2dGeometry g = geometry_of(shapes()[0]);
  EXPECT_NO_THROW(kernels::deformable_im2col<double>(nullptr, nullptr, nullptr, g, 0, nullptr,
                                                     nullptr));
}

// Without a device the first CUDA call fails: the error must name the kernel and carry CUDA's
// message. (With a GPU there is no portable way to make a well-formed launch fail.)
TEST(DeformConv2dCudaKernelArguments, CudaFailureThrowsRuntimeErrorNamingTheKernel) {
  std::string why;
  if (gpu_present(&why)) GTEST_SKIP() << "a GPU is present: the no-device error path is not reachable";
  const DeformConv2dGeometry g = geometry_of(shapes()[0]);
  float dummy = 0;
  try {
    kernels::deformable_col2im<float>(&dummy, &dummy, &dummy, g, 1, &dummy, nullptr);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("deformable_col2im_kernel"), std::string::npos) << message;
    EXPECT_NE(message.find("cuda"), std::string::npos) << message;
  }
}

}  // namespace
