#include "io/cam_png.h"

#include <spng.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "data/atomic_write.h"
#include "data/data_error.h"

namespace wdc::io {
namespace {

// matplotlib _inferno_data entries 0, 16, 32, ..., 240 and 255 (of 256).
struct ColorStop {
  float position;
  float r, g, b;
};
constexpr ColorStop kInferno[] = {
    {0.f / 255, 0.001462f, 0.000466f, 0.013866f},   {16.f / 255, 0.042253f, 0.028139f, 0.141141f},
    {32.f / 255, 0.129285f, 0.047293f, 0.290788f},  {48.f / 255, 0.238273f, 0.036621f, 0.396353f},
    {64.f / 255, 0.341500f, 0.062325f, 0.429425f},  {80.f / 255, 0.441207f, 0.099338f, 0.431594f},
    {96.f / 255, 0.540920f, 0.134729f, 0.415123f},  {112.f / 255, 0.640135f, 0.171438f, 0.381065f},
    {128.f / 255, 0.735683f, 0.215906f, 0.330245f}, {144.f / 255, 0.822386f, 0.275197f, 0.266085f},
    {160.f / 255, 0.894305f, 0.353399f, 0.193584f}, {176.f / 255, 0.946965f, 0.449191f, 0.115272f},
    {192.f / 255, 0.978422f, 0.557937f, 0.034931f}, {208.f / 255, 0.987874f, 0.675267f, 0.065257f},
    {224.f / 255, 0.974638f, 0.797692f, 0.206332f}, {240.f / 255, 0.947594f, 0.917399f, 0.410665f},
    {255.f / 255, 0.988362f, 0.998364f, 0.644924f},
};

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0))); }

[[noreturn]] void invalid(const std::string& message) {
  fail(ErrorCode::kInvalidArgument, "cam png: " + message);
}

struct SpngDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

void check_spng(int rc, const std::string& what, const char* step) {
  if (rc != 0)
    fail(ErrorCode::kIo, what + ": PNG encoding failed (" + step + "): " + spng_strerror(rc));
}

}  // namespace

Rgb inferno(float value) {
  if (!(value >= 0.f)) value = 0.f;  // also catches NaN
  if (value > 1.f) value = 1.f;
  constexpr size_t n = sizeof(kInferno) / sizeof(kInferno[0]);
  size_t i = 1;
  while (i < n - 1 && value > kInferno[i].position) ++i;
  const ColorStop& a = kInferno[i - 1];
  const ColorStop& b = kInferno[i];
  const float t = (value - a.position) / (b.position - a.position);
  auto mix = [t](float x, float y) { return to_byte(255.0 * (x + (y - x) * t)); };
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

std::vector<uint8_t> render_cam_rgb(const uint8_t* map, int64_t h, int64_t w, const float* cam,
                                    int scale, double alpha) {
  if (map == nullptr) invalid("the map is null");
  if (h <= 0 || w <= 0)
    invalid("the map must have a positive size, got " + std::to_string(h) + "x" +
            std::to_string(w));
  if (scale < 1 || scale > kMaxScale)
    invalid("scale must be in [1, " + std::to_string(kMaxScale) + "], got " +
            std::to_string(scale));
  if (!(alpha >= 0.0 && alpha <= 1.0)) invalid("alpha must be in [0, 1]");
  constexpr int64_t kMaxPixels = int64_t{1} << 28;
  if (h > kMaxPixels / w || h * w > kMaxPixels / (int64_t{scale} * scale))
    invalid("a " + std::to_string(h) + "x" + std::to_string(w) + " map at scale " +
            std::to_string(scale) + " is too large a picture");

  const int64_t width = w * scale, height = h * scale;
  std::vector<uint8_t> rgb(static_cast<size_t>(width * height * 3));
  for (int64_t r = 0; r < h; ++r) {
    for (int64_t c = 0; c < w; ++c) {
      const uint8_t v = map[r * w + c];
      const Rgb& base = v == 0 ? kOffWaferColor : v == 1 ? kPassColor : kFailColor;
      Rgb color = base;
      if (cam != nullptr && v != 0) {
        const Rgb heat = inferno(cam[r * w + c]);
        for (int k = 0; k < 3; ++k) color[k] = to_byte((1 - alpha) * base[k] + alpha * heat[k]);
      }
      for (int64_t y = r * scale; y < (r + 1) * scale; ++y) {
        uint8_t* px = rgb.data() + (y * width + c * scale) * 3;
        for (int x = 0; x < scale; ++x, px += 3) std::memcpy(px, color.data(), 3);
      }
    }
  }
  return rgb;
}

std::vector<uint8_t> encode_png_rgb8(const uint8_t* rgb, uint32_t width, uint32_t height,
                                     const std::string& what) {
  std::unique_ptr<spng_ctx, SpngDeleter> ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!ctx) fail(ErrorCode::kOutOfMemory, what + ": cannot create a PNG encoder");
  check_spng(spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1), what, "set_option");

  spng_ihdr ihdr{};
  ihdr.width = width;
  ihdr.height = height;
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  ihdr.compression_method = 0;
  ihdr.filter_method = 0;
  ihdr.interlace_method = SPNG_INTERLACE_NONE;
  check_spng(spng_set_ihdr(ctx.get(), &ihdr), what, "set_ihdr");

  const size_t len = static_cast<size_t>(width) * height * 3;
  check_spng(spng_encode_image(ctx.get(), rgb, len, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE), what,
             "encode_image");

  size_t png_size = 0;
  int rc = 0;
  std::unique_ptr<void, FreeDeleter> png(spng_get_png_buffer(ctx.get(), &png_size, &rc));
  check_spng(rc, what, "get_png_buffer");
  if (!png) fail(ErrorCode::kIo, what + ": PNG encoding produced no data");
  const auto* bytes = static_cast<const uint8_t*>(png.get());
  return std::vector<uint8_t>(bytes, bytes + png_size);
}

void write_cam_png(const std::string& path, const uint8_t* map, int64_t h, int64_t w,
                   const float* cam, int scale, double alpha) {
  const std::vector<uint8_t> rgb = render_cam_rgb(map, h, w, cam, scale, alpha);
  const std::vector<uint8_t> png = encode_png_rgb8(rgb.data(), static_cast<uint32_t>(w * scale),
                                                   static_cast<uint32_t>(h * scale), path);

  const std::string temp = data::temp_path_for(path);
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr)
    fail(ErrorCode::kIo, path + ": cannot write the picture: " + std::strerror(errno));
  const bool written = std::fwrite(png.data(), 1, png.size(), file) == png.size();
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    const int err = !written ? write_errno : errno;
    data::discard_temp_file(temp);
    fail(ErrorCode::kIo, path + ": cannot write the picture: " + std::strerror(err));
  }
  try {
    data::commit_temp_file(temp, path);
  } catch (const data::DataError& e) {
    fail(ErrorCode::kIo, e.what());
  }
}

void write_map_png(const std::string& path, const uint8_t* map, int64_t h, int64_t w, int scale) {
  write_cam_png(path, map, h, w, nullptr, scale);
}

}  // namespace wdc::io
