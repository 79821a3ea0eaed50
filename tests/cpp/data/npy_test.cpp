// The .npy layer: format versions, the header parser's strictness, conversions, the writer.
#include "data/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "alloc_tracker.h"
#include "data/rng.h"
#include "fixture_values.h"
#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;
using test::fixture;

// A .npy image with a hand-written header dict (padded like numpy's) and payload.
std::vector<uint8_t> npy_image(const std::string& dict, const std::vector<uint8_t>& payload,
                               int major = 1) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  size_t hlen = dict.size() + 1;
  const size_t pad = 64 - (8 + length_bytes + hlen) % 64;
  hlen += pad;
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < length_bytes; ++i) out.push_back(static_cast<uint8_t>(hlen >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), pad, ' ');
  out.push_back('\n');
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> int32_payload(std::vector<int32_t> v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

NpyArray parse(const std::vector<uint8_t>& image) {
  return parse_npy(image.data(), image.size(), "buffer");
}

TEST(Npy, ReadsVersions1To3) {
  for (const char* name : {"v1.npy", "v2.npy", "v3.npy"}) {
    SCOPED_TRACE(name);
    const NpyArray a = read_npy(fixture(name));
    EXPECT_EQ(a.shape(), (std::vector<int64_t>{3, 5}));
    EXPECT_TRUE(test::matches_formula("i4", a));
    EXPECT_EQ(a.origin(), fixture(name));
  }
}

TEST(Npy, ParseFromMemoryMatchesFileReader) {
  const auto bytes = test::read_bytes(fixture("v2.npy"));
  const NpyArray a = parse_npy(bytes.data(), bytes.size(), "v2 in memory");
  EXPECT_TRUE(test::matches_formula("i4", a));
}

TEST(Npy, SerializesByteForByteLikeNumpy) {
  // v1.npy is what np.save wrote for this array; the writer must produce the same bytes.
  const auto numpy_bytes = test::read_bytes(fixture("v1.npy"));
  EXPECT_EQ(serialize_npy(read_npy(fixture("v1.npy"))), numpy_bytes);
}

TEST(Npy, AcceptsHeaderVariantsNumpyAndOthersWrite) {
  const auto payload = int32_payload({1, -2, 3});
  for (const std::string dict :
       {"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
        "{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}",
        "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3,)}",
        "{'shape': (3L,), 'fortran_order': False, 'descr': '<i4'}",
        "{ 'descr' : 'i4' , 'fortran_order' : True , 'shape' : ( 3 , ) , }",
        "{'descr': '=i4', 'fortran_order': False, 'shape': (3,), }"}) {
    SCOPED_TRACE(dict);
    const NpyArray a = parse(npy_image(dict, payload));
    EXPECT_EQ(a.to<int32_t>(), (std::vector<int32_t>{1, -2, 3}));
  }
}

TEST(Npy, ZeroDimensionalAndEmptyArrays) {
  const NpyArray scalar = parse(
      npy_image("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", int32_payload({-7})));
  EXPECT_EQ(scalar.ndim(), 0u);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar.to<int64_t>(), std::vector<int64_t>{-7});
  const NpyArray empty =
      parse(npy_image("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 3), }", {}));
  EXPECT_EQ(empty.numel(), 0);
  EXPECT_EQ(empty.shape(), (std::vector<int64_t>{0, 3}));
}

TEST(Npy, BoolBytesOtherThanZeroOrOneReadAsTrue) {
  const NpyArray a =
      parse(npy_image("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", {0, 1, 7}));
  const bool* v = a.data_as<bool>();
  EXPECT_FALSE(v[0]);
  EXPECT_TRUE(v[1]);
  EXPECT_TRUE(v[2]);
  EXPECT_EQ(a.to<int32_t>(), (std::vector<int32_t>{0, 1, 1}));
}

struct BadImage {
  const char* why;
  std::vector<uint8_t> bytes;
  const char* message_part;
};

std::vector<BadImage> bad_images() {
  const auto ok3 = int32_payload({1, 2, 3});
  const std::string good = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  auto image = [&](const std::string& dict) { return npy_image(dict, ok3); };
  std::vector<BadImage> cases = {
      {"empty", {}, "truncated"},
      {"five bytes", {0x93, 'N', 'U', 'M', 'P'}, "truncated"},
      {"bad magic", {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}, "not a .npy"},
      {"no length field", {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5}, "truncated"},
      {"version 4.0", npy_image(good, ok3, 4), "version 4.0"},
      {"dict missing", image(""), "expected '{'"},
      {"not a dict", image("['descr', '<i4']"), "expected '{'"},
      {"no descr", image("{'fortran_order': False, 'shape': (3,), }"), "no 'descr'"},
      {"no shape", image("{'descr': '<i4', 'fortran_order': False, }"), "no 'shape'"},
      {"no fortran_order", image("{'descr': '<i4', 'shape': (3,), }"), "no 'fortran_order'"},
      {"duplicate key",
       image("{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (3,)}"),
       "duplicate"},
      {"extra key", image("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), 'x': 1}"),
       "unexpected key"},
      {"bool spelled lower", image("{'descr': '<i4', 'fortran_order': false, 'shape': (3,)}"),
       "True or False"},
      {"unterminated string", image("{'descr': '<i4"), "unterminated string"},
      {"shape not a tuple", image("{'descr': '<i4', 'fortran_order': False, 'shape': [3]}"),
       "expected '('"},
      {"one-tuple without comma", image("{'descr': '<i4', 'fortran_order': False, 'shape': (3)}"),
       "without a comma"},
      {"negative dim", image("{'descr': '<i4', 'fortran_order': False, 'shape': (-3,)}"),
       "negative"},
      {"dim overflows",
       image("{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
       "overflows"},
      {"shape product overflows",
       image("{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2)}"),
       "overflows"},
      {"garbage after dict", image(good + " x"), "after the header dict"},
      {"structured dtype",
       image("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (3,)}"), "structured"},
      {"complex64", image("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}"),
       "unsupported dtype '<c8'"},
      {"object", image("{'descr': '|O', 'fortran_order': False, 'shape': (3,)}"),
       "unsupported dtype '|O'"},
      // Little-endian '<Un' strings are read (label names); big-endian and empty ones are not.
      {"big-endian unicode", image("{'descr': '>U1', 'fortran_order': False, 'shape': (3,)}"),
       "unsupported dtype '>U1'"},
      {"empty unicode", image("{'descr': '<U0', 'fortran_order': False, 'shape': (3,)}"),
       "unsupported string dtype '<U0'"},
      {"float16", image("{'descr': '<f2', 'fortran_order': False, 'shape': (3,)}"),
       "unsupported dtype"},
      {"payload short", npy_image(good, int32_payload({1, 2})), "payload bytes"},
      {"payload long", npy_image(good, int32_payload({1, 2, 3, 4})), "payload bytes"},
      {"payload ragged", npy_image(good, std::vector<uint8_t>(13, 0)), "payload bytes"},
  };
  // Header length field pointing past the end of the data.
  auto lying_length = npy_image(good, ok3);
  lying_length[8] = 0xFF;
  lying_length[9] = 0x7F;
  cases.push_back({"header length past end", lying_length, "truncated .npy header"});
  auto v2_huge_header = npy_image(good, ok3, 2);
  v2_huge_header[11] = 0x40;  // 1 GiB header
  cases.push_back({"header length implausible", v2_huge_header, "implausible"});
  return cases;
}

TEST(Npy, MalformedImagesThrowDataErrorNamingTheBuffer) {
  for (const BadImage& c : bad_images()) {
    SCOPED_TRACE(c.why);
    const std::string message = data_error_of([&] { parse(c.bytes); });
    EXPECT_NE(message.find("buffer: "), std::string::npos) << message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
  }
}

TEST(Npy, HugeShapeFailsWithoutAllocating) {
  // 2^40 float64 announced, 16 bytes present.
  const auto image =
      npy_image("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,)}",
                std::vector<uint8_t>(16, 0));
  const size_t largest = test::largest_allocation_during([&] {
    const std::string message = data_error_of([&] { parse(image); });
    EXPECT_NE(message.find("1099511627776"), std::string::npos) << message;
  });
  EXPECT_LT(largest, size_t{1} << 16);
}

TEST(Npy, TruncatedFileNamesTheFile) {
  const std::string message = data_error_of([] { read_npy(fixture("bad_truncated.npy")); });
  EXPECT_NE(message.find("bad_truncated.npy"), std::string::npos) << message;
  EXPECT_NE(data_error_of([] { read_npy(fixture("no_such_file.npy")); }).find("no_such_file.npy"),
            std::string::npos);
}

TEST(Npy, RandomMutationsNeverCrash) {
  // A small in-process fuzz: byte flips and truncations of a valid image must either parse or
  // throw DataError, and never allocate more than the image could justify.
  const auto base = test::read_bytes(fixture("v1.npy"));
  Rng rng(2024);
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    auto bytes = base;
    const int flips = static_cast<int>(rng.range(1, 4));
    for (int f = 0; f < flips; ++f)
      bytes[rng.below(bytes.size())] = static_cast<uint8_t>(rng.next());
    if (rng.bernoulli(0.3)) bytes.resize(rng.below(bytes.size() + 1));
    const size_t largest = test::largest_allocation_during([&] {
      try {
        parse(bytes);
        ++parsed;
      } catch (const DataError&) {
        ++rejected;
      }
    });
    ASSERT_LT(largest, size_t{1} << 20) << "iteration " << iter;
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

TEST(NpyArray, ConstructionAndCopies) {
  NpyArray a = NpyArray::from<int16_t>({2, 2}, std::vector<int16_t>{1, -2, 3, -4});
  EXPECT_EQ(a.dtype(), DType::Int16);
  EXPECT_EQ(a.nbytes(), 8u);
  NpyArray b = a;
  b.data_as<int16_t>()[0] = 9;
  EXPECT_EQ(a.data_as<int16_t>()[0], 1);  // deep copy
  NpyArray c = std::move(b);
  EXPECT_EQ(c.to<int32_t>(), (std::vector<int32_t>{9, -2, 3, -4}));
  EXPECT_EQ(b.numel(), 0);  // NOLINT(bugprone-use-after-move): documented moved-from state
  EXPECT_NE(data_error_of([] { NpyArray(DType::Int32, {-1}); }).find("negative"),
            std::string::npos);
  EXPECT_NE(data_error_of([&] { a.data_as<int32_t>(); }).find("int16"), std::string::npos);
  EXPECT_NE(
      data_error_of([] { NpyArray::from<int32_t>({3}, std::vector<int32_t>{1}); }).find("shape"),
      std::string::npos);
}

TEST(NpyArray, CheckedConversions) {
  const auto i64 = NpyArray::from<int64_t>({4}, std::vector<int64_t>{0, 255, -1, int64_t{1} << 40});
  EXPECT_EQ(i64.to<double>(), (std::vector<double>{0, 255, -1, 1099511627776.0}));
  EXPECT_NE(data_error_of([&] { i64.to<uint8_t>(); }).find("flat index 2"), std::string::npos);
  EXPECT_NE(data_error_of([&] { i64.to<int32_t>(); }).find("flat index 3"), std::string::npos);

  const auto u64 = NpyArray::from<uint64_t>({2}, std::vector<uint64_t>{5, ~uint64_t{0}});
  EXPECT_NE(data_error_of([&] { u64.to<int64_t>(); }).find("flat index 1"), std::string::npos);

  const auto f64 = NpyArray::from<double>({3}, std::vector<double>{2.0, -3.0, 2.5});
  EXPECT_NE(data_error_of([&] { f64.to<int32_t>(); }).find("flat index 2"), std::string::npos);
  const auto nan = NpyArray::from<double>({1}, std::vector<double>{std::nan("")});
  EXPECT_TRUE(std::isnan(nan.to<float>()[0]));
  EXPECT_NE(data_error_of([&] { nan.to<int64_t>(); }).find("does not convert"), std::string::npos);
  const auto big = NpyArray::from<double>({1}, std::vector<double>{1e300});
  EXPECT_NE(data_error_of([&] { big.to<float>(); }).find("float"), std::string::npos);
  // The largest double below 2^63 fits int64; 2^63 itself does not.
  const auto edge = NpyArray::from<double>({1}, std::vector<double>{9223372036854774784.0});
  EXPECT_EQ(edge.to<int64_t>()[0], 9223372036854774784LL);
  const auto over = NpyArray::from<double>({1}, std::vector<double>{9223372036854775808.0});
  EXPECT_NE(data_error_of([&] { over.to<int64_t>(); }).find("int64"), std::string::npos);

  const auto i8 = NpyArray::from<int8_t>({2}, std::vector<int8_t>{-128, 127});
  EXPECT_EQ(i8.to<int16_t>(), (std::vector<int16_t>{-128, 127}));
  EXPECT_EQ(i8.to<float>(), (std::vector<float>{-128, 127}));
}

TEST(Npy, WriteThenReadRoundTrip) {
  test::ScratchDir dir;
  const auto a = NpyArray::from<float>({2, 3}, std::vector<float>{1.5f, -2, 3, 4, 5, 6});
  write_npy(dir.file("a.npy"), a);
  const NpyArray b = read_npy(dir.file("a.npy"));
  EXPECT_EQ(b.shape(), a.shape());
  EXPECT_EQ(b.to<float>(), a.to<float>());
  EXPECT_EQ(dir.entry_count(), 1u);  // no temporary left behind
}

}  // namespace
}  // namespace wdc::data
