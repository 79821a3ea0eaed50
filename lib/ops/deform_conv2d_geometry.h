// Shapes and hyper-parameters of one deformable convolution, as plain integers.
//
// Device kernels (cpu/, cuda/) take this struct plus raw pointers, so they need no LibTorch
// headers: the CUDA kernels build with nvcc alone, and the CPU kernels stay small.
#pragma once

#include <cstdint>

namespace wdc::ops {

struct DeformConv2dGeometry {
  int64_t batch = 0;           // N
  int64_t in_channels = 0;     // C
  int64_t height = 0;          // H of the input
  int64_t width = 0;           // W of the input
  int64_t kernel_h = 0;        // kh
  int64_t kernel_w = 0;        // kw
  int64_t stride_h = 1;
  int64_t stride_w = 1;
  int64_t pad_h = 0;
  int64_t pad_w = 0;
  int64_t dilation_h = 1;
  int64_t dilation_w = 1;
  int64_t offset_groups = 1;   // G: channels C/G share one offset (and mask) field
  int64_t groups = 1;          // weight groups, as in conv2d (orders the channels-last columns)
  int64_t out_h = 0;           // Ho
  int64_t out_w = 0;           // Wo
  bool use_mask = false;       // DCNv2 modulation present

  int64_t taps() const { return kernel_h * kernel_w; }
  int64_t out_pixels() const { return out_h * out_w; }
  int64_t channels_per_offset_group() const { return in_channels / offset_groups; }
  // Rows of the column buffer of one image: one per (channel, tap).
  int64_t column_rows() const { return in_channels * taps(); }
};

}  // namespace wdc::ops
