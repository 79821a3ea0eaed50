// PNG pictures of wafer maps, optionally with a class activation map (CAM) blended over them:
// what `wdc cam` writes. Free of LibTorch; encoded with libspng.
//
// The picture: every die is a `scale` x `scale` block of pixels (nearest-neighbour upscaling), so a
// 52x52 map at scale 8 is a 416x416 image. Off-wafer cells are white, passed dies a neutral grey,
// failed dies dark grey. With a CAM, the on-wafer dies are blended with the "inferno" colormap of
// their CAM value (black-purple for 0, red-orange for 0.5, pale yellow for 1) at opacity `alpha`;
// off-wafer cells stay white so the wafer's outline remains visible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace wdc::io {

using Rgb = std::array<uint8_t, 3>;

// Colours of the map itself (before any CAM blending).
inline constexpr Rgb kOffWaferColor{255, 255, 255};
inline constexpr Rgb kPassColor{168, 168, 168};
inline constexpr Rgb kFailColor{40, 40, 40};

inline constexpr int kMaxScale = 64;
inline constexpr double kDefaultCamAlpha = 0.5;

// matplotlib's "inferno" colormap (perceptually uniform, CC0): a table of 17 of its 256 entries,
// linearly interpolated. `value` is clamped to [0, 1]; NaN maps to 0.
Rgb inferno(float value);

// The RGB8 image (row-major, 3 bytes per pixel, (h * scale) x (w * scale) pixels) that
// write_cam_png encodes. `cam` may be null (the plain map). Throws wdc::Error(kInvalidArgument)
// on a null map, a non-positive size, a scale outside [1, kMaxScale], alpha outside [0, 1] or an
// image larger than 2^28 pixels.
std::vector<uint8_t> render_cam_rgb(const uint8_t* map, int64_t h, int64_t w, const float* cam,
                                    int scale, double alpha = kDefaultCamAlpha);

// Writes the wafer map `map` (h x w values: 0 off-wafer, 1 pass, >= 2 fail) with the CAM `cam`
// (h x w values in [0, 1]; values outside are clamped) blended over it, as an RGB8 PNG of
// (w * scale) x (h * scale) pixels. The file is written to a temporary file in the same directory
// and renamed over `path`, so a failed write never leaves a truncated picture behind.
// Throws wdc::Error(kInvalidArgument) on bad arguments (see render_cam_rgb) and
// wdc::Error(kIo) naming `path` when the file cannot be written or encoding fails.
void write_cam_png(const std::string& path, const uint8_t* map, int64_t h, int64_t w,
                   const float* cam, int scale, double alpha = kDefaultCamAlpha);

// The map alone: write_cam_png without a CAM.
void write_map_png(const std::string& path, const uint8_t* map, int64_t h, int64_t w, int scale);

// Encodes an RGB8 image (width x height pixels, 3 bytes each, row-major) as PNG bytes; throws
// wdc::Error(kIo) with libspng's message, prefixed by `what`, when encoding fails.
std::vector<uint8_t> encode_png_rgb8(const uint8_t* rgb, uint32_t width, uint32_t height,
                                     const std::string& what);

}  // namespace wdc::io
