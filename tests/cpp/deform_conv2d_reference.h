// An independent reference of deform_conv2d for tests, written with plain differentiable
// LibTorch ops (gather-based bilinear sampling, one einsum), so that autograd gives reference
// gradients. Slow and simple on purpose; shares no code with lib/ops.
#pragma once

#include <torch/torch.h>

#include "ops/deform_conv2d.h"

namespace wdc::testing {

// Bilinear samples of img [N, c, H, W] at positions y, x [N, Ho, Wo]; zero outside the map, and
// no corner counts when the point is outside (-1, H) x (-1, W).
inline torch::Tensor bilinear_reference(const torch::Tensor& img, const torch::Tensor& y,
                                        const torch::Tensor& x) {
  const int64_t N = img.size(0), c = img.size(1), H = img.size(2), W = img.size(3);
  const auto inside_map = (y > -1) & (y < H) & (x > -1) & (x < W);
  const auto y0 = torch::floor(y).detach(), x0 = torch::floor(x).detach();
  const auto ly = y - y0, lx = x - x0;
  const auto flat = img.reshape({N, c, H * W});
  torch::Tensor result = torch::zeros({N, c, y.size(1), y.size(2)}, img.options());
  const torch::Tensor cys[4] = {y0, y0, y0 + 1, y0 + 1};
  const torch::Tensor cxs[4] = {x0, x0 + 1, x0, x0 + 1};
  const torch::Tensor ws[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
  for (int k = 0; k < 4; ++k) {
    const auto valid = inside_map & (cys[k] >= 0) & (cys[k] < H) & (cxs[k] >= 0) & (cxs[k] < W);
    const auto index = (cys[k].clamp(0, H - 1) * W + cxs[k].clamp(0, W - 1)).to(torch::kLong);
    const auto gathered =
        flat.gather(2, index.reshape({N, 1, -1}).expand({N, c, index[0].numel()}))
            .reshape({N, c, y.size(1), y.size(2)});
    result = result + gathered * (ws[k] * valid.to(img.scalar_type())).unsqueeze(1);
  }
  return result;
}

inline torch::Tensor deform_conv2d_reference(const torch::Tensor& input,
                                             const torch::Tensor& offset,
                                             const torch::Tensor& weight,
                                             const torch::Tensor& bias, const torch::Tensor& mask,
                                             const ops::DeformConv2dOptions& o) {
  const int64_t N = input.size(0), C = input.size(1);
  const int64_t O = weight.size(0), kh = weight.size(2), kw = weight.size(3), taps = kh * kw;
  const int64_t Ho = offset.size(2), Wo = offset.size(3), G = o.offset_groups, cpg = C / G;
  const auto opts = input.options();
  const auto base_y = (torch::arange(Ho, opts) * o.stride[0] - o.padding[0]).view({1, Ho, 1});
  const auto base_x = (torch::arange(Wo, opts) * o.stride[1] - o.padding[1]).view({1, 1, Wo});
  std::vector<torch::Tensor> per_tap;  // each [N, C, Ho, Wo]
  for (int64_t tap = 0; tap < taps; ++tap) {
    const int64_t i = tap / kw, j = tap % kw;
    std::vector<torch::Tensor> per_group;
    for (int64_t g = 0; g < G; ++g) {
      const auto y = base_y + i * o.dilation[0] + offset.select(1, (g * taps + tap) * 2);
      const auto x = base_x + j * o.dilation[1] + offset.select(1, (g * taps + tap) * 2 + 1);
      auto s = bilinear_reference(input.narrow(1, g * cpg, cpg), y, x);
      if (mask.defined()) s = s * mask.select(1, g * taps + tap).unsqueeze(1);
      per_group.push_back(s);
    }
    per_tap.push_back(torch::cat(per_group, 1));
  }
  const int64_t groups = o.groups, cg = C / groups, og = O / groups;
  // columns [N, groups, cg*taps, Ho*Wo] with row = c_local*taps + tap, like weight's layout
  const auto columns = torch::stack(per_tap, 2).reshape({N, groups, cg * taps, Ho * Wo});
  const auto w = weight.reshape({groups, og, cg * taps});
  auto out = torch::einsum("gok,ngkp->ngop", {w, columns}).reshape({N, O, Ho, Wo});
  if (bias.defined()) out = out + bias.view({1, O, 1, 1});
  return out;
}

}  // namespace wdc::testing
