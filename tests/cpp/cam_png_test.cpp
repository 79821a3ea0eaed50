// lib/io/cam_png: the picture `wdc cam` writes, decoded back with libspng.
#include "io/cam_png.h"

#include <gtest/gtest.h>
#include <spng.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.h"

namespace fs = std::filesystem;
using wdc::io::Rgb;

namespace {

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgba;
  Rgb at(uint32_t x, uint32_t y) const {
    const uint8_t* p = rgba.data() + (static_cast<size_t>(y) * width + x) * 4;
    EXPECT_EQ(p[3], 255) << "pixel " << x << "," << y << " is not opaque";
    return {p[0], p[1], p[2]};
  }
};

Image decode_png(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  Image image;
  spng_ctx* ctx = spng_ctx_new(0);
  EXPECT_NE(ctx, nullptr);
  if (ctx == nullptr) return image;
  EXPECT_EQ(spng_set_png_buffer(ctx, bytes.data(), bytes.size()), 0);
  spng_ihdr ihdr{};
  EXPECT_EQ(spng_get_ihdr(ctx, &ihdr), 0);
  size_t size = 0;
  EXPECT_EQ(spng_decoded_image_size(ctx, SPNG_FMT_RGBA8, &size), 0);
  image.width = ihdr.width;
  image.height = ihdr.height;
  image.rgba.resize(size);
  EXPECT_EQ(spng_decode_image(ctx, image.rgba.data(), size, SPNG_FMT_RGBA8, 0), 0);
  spng_ctx_free(ctx);
  return image;
}

int brightness(const Rgb& c) { return c[0] + c[1] + c[2]; }

class CamPngTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("wdc_cam_png_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// A 6x5 map: an off-wafer border column, pass and fail dies.
constexpr int64_t kH = 6, kW = 5;
const uint8_t kMap[kH * kW] = {
    0, 1, 1, 1, 0,  //
    0, 1, 2, 1, 0,  //
    0, 1, 1, 1, 0,  //
    0, 2, 1, 2, 0,  //
    0, 1, 3, 1, 0,  // 3 is a failed die too
    0, 0, 1, 0, 0,
};

}  // namespace

TEST(Inferno, EndsAndMiddleMatchMatplotlib) {
  // matplotlib inferno(0) = #000004, inferno(0.5) ~ #bc3754, inferno(1) = #fcffa4.
  EXPECT_EQ(wdc::io::inferno(0.f), (Rgb{0, 0, 4}));
  EXPECT_EQ(wdc::io::inferno(1.f), (Rgb{252, 255, 164}));
  const Rgb mid = wdc::io::inferno(0.5f);
  EXPECT_NEAR(mid[0], 0xbc, 3);
  EXPECT_NEAR(mid[1], 0x37, 3);
  EXPECT_NEAR(mid[2], 0x54, 3);
  // Clamped, NaN-safe, and monotone in brightness (it is a sequential colormap).
  EXPECT_EQ(wdc::io::inferno(-3.f), wdc::io::inferno(0.f));
  EXPECT_EQ(wdc::io::inferno(7.f), wdc::io::inferno(1.f));
  EXPECT_EQ(wdc::io::inferno(std::nanf("")), wdc::io::inferno(0.f));
  for (int i = 1; i <= 100; ++i)
    EXPECT_GE(brightness(wdc::io::inferno(i / 100.f)) + 6,
              brightness(wdc::io::inferno((i - 1) / 100.f)))
        << i;
}

TEST_F(CamPngTest, WritesTheMapUpscaledWithTheCamBlendedOver) {
  // CAM: high (1.0) on the left half of the wafer, low (0.0) on the right half.
  std::vector<float> cam(kH * kW);
  for (int64_t r = 0; r < kH; ++r)
    for (int64_t c = 0; c < kW; ++c) cam[r * kW + c] = c <= 1 ? 1.f : 0.f;
  const int scale = 8;
  const std::string file = path("cam.png");
  wdc::io::write_cam_png(file, kMap, kH, kW, cam.data(), scale);

  const Image img = decode_png(file);
  ASSERT_EQ(img.width, kW * scale);
  ASSERT_EQ(img.height, kH * scale);
  ASSERT_EQ(img.rgba.size(), size_t{kW * scale} * kH * scale * 4);

  auto die = [&](int64_t r, int64_t c, int dx = 3, int dy = 3) {
    return img.at(static_cast<uint32_t>(c * scale + dx), static_cast<uint32_t>(r * scale + dy));
  };
  // Every pixel of a die's block has the die's colour (nearest-neighbour upscaling).
  for (int dy = 0; dy < scale; ++dy)
    for (int dx = 0; dx < scale; ++dx) EXPECT_EQ(die(2, 1, dx, dy), die(2, 1));

  // Off-wafer cells stay white even under a high CAM value.
  EXPECT_EQ(die(0, 0), wdc::io::kOffWaferColor);
  EXPECT_EQ(die(5, 1), wdc::io::kOffWaferColor);

  // Pass dies (0,1) under CAM 1 and (0,3) under CAM 0: each is the grey blended half-and-half
  // with the colormap's colour for its value.
  auto blend = [](const Rgb& base, const Rgb& heat) {
    Rgb out{};
    for (int k = 0; k < 3; ++k)
      out[k] = static_cast<uint8_t>(std::lround(0.5 * base[k] + 0.5 * heat[k]));
    return out;
  };
  const Rgb hot = die(0, 1), cold = die(0, 3);
  const Rgb want_hot = blend(wdc::io::kPassColor, wdc::io::inferno(1.f));
  const Rgb want_cold = blend(wdc::io::kPassColor, wdc::io::inferno(0.f));
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(hot[k], want_hot[k], 1) << k;
    EXPECT_NEAR(cold[k], want_cold[k], 1) << k;
  }
  // As inferno says: high = bright yellowish (red and green high, over blue), low = dark.
  EXPECT_GT(brightness(hot), brightness(cold) + 200);
  EXPECT_GT(hot[0], hot[2]);
  EXPECT_GT(hot[1], hot[2]);

  // Under the same CAM value a failed die is darker than a passed one (the map stays readable).
  EXPECT_LT(brightness(die(3, 1)), brightness(die(2, 1)));  // fail vs pass, CAM 1
  EXPECT_LT(brightness(die(1, 2)), brightness(die(0, 2)));  // fail vs pass, CAM 0
  EXPECT_EQ(die(4, 2), die(1, 2));                          // 3 renders as a failed die
}

TEST_F(CamPngTest, MapWithoutCamUsesThePlainColours) {
  const std::string file = path("map.png");
  wdc::io::write_map_png(file, kMap, kH, kW, 1);
  const Image img = decode_png(file);
  ASSERT_EQ(img.width, kW);
  ASSERT_EQ(img.height, kH);
  EXPECT_EQ(img.at(0, 0), wdc::io::kOffWaferColor);
  EXPECT_EQ(img.at(1, 0), wdc::io::kPassColor);
  EXPECT_EQ(img.at(2, 1), wdc::io::kFailColor);
  EXPECT_EQ(img.at(2, 4), wdc::io::kFailColor);
}

TEST_F(CamPngTest, ReplacesAnExistingFileAndLeavesNoTemporaryFile) {
  const std::string file = path("out.png");
  { std::ofstream(file) << "old"; }
  wdc::io::write_map_png(file, kMap, kH, kW, 2);
  EXPECT_EQ(decode_png(file).width, kW * 2);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(CamPngTest, UnwritablePathIsAnIoErrorNamingThePath) {
  const std::string file = path("no/such/dir/cam.png");
  try {
    wdc::io::write_map_png(file, kMap, kH, kW, 4);
    FAIL() << "no exception";
  } catch (const wdc::Error& e) {
    EXPECT_EQ(e.code(), wdc::ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(CamPngTest, BadArgumentsAreRejected) {
  const std::string file = path("bad.png");
  auto code_of = [&](auto&& f) {
    try {
      f();
    } catch (const wdc::Error& e) {
      return e.code();
    }
    return wdc::ErrorCode::kInternal;
  };
  using wdc::ErrorCode;
  EXPECT_EQ(code_of([&] { wdc::io::write_map_png(file, nullptr, kH, kW, 4); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { wdc::io::write_map_png(file, kMap, 0, kW, 4); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { wdc::io::write_map_png(file, kMap, kH, kW, 0); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { wdc::io::write_map_png(file, kMap, kH, kW, wdc::io::kMaxScale + 1); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { wdc::io::write_cam_png(file, kMap, kH, kW, nullptr, 1, 1.5); }),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(file));
}
