// The .npz layer on archives numpy wrote (tests/fixtures/npz, see make_npz_fixtures.py), on
// damaged archives, and on what our own writer produces.
#include "data/npz.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "alloc_tracker.h"
#include "data/rng.h"
#include "fixture_values.h"
#include "test_util.h"

namespace wdc::data {
namespace {

using test::data_error_of;
using test::fixture;

const std::vector<std::string>& dtype_fixture_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& code : test::kCodes) {
      n.push_back(code + "_le");
      n.push_back(code + "_be");
    }
    for (const char* extra :
         {"f8_fortran", "i2_fortran_be", "u1_fortran", "scalar_i8", "empty_f4", "vector_u2"})
      n.push_back(extra);
    return n;
  }();
  return names;
}

// Checks every array of a dtypes*.npz-like archive against the fixture formulas.
void expect_dtype_fixture_contents(const NpzFile& npz) {
  EXPECT_EQ(npz.names(), dtype_fixture_names());
  for (const auto& code : test::kCodes) {
    for (const char* suffix : {"_le", "_be"}) {
      SCOPED_TRACE(code + suffix);
      const NpyArray a = npz.read(code + suffix);
      EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 3, 4}));
      EXPECT_TRUE(test::matches_formula(code, a));
    }
  }
  // Fortran-ordered arrays come back in C order with the same logical values.
  EXPECT_TRUE(test::matches_formula("f8", npz.read("f8_fortran")));
  EXPECT_TRUE(test::matches_formula("i2", npz.read("i2_fortran_be")));
  EXPECT_TRUE(test::matches_formula("u1", npz.read("u1_fortran")));
  EXPECT_EQ(npz.read("f8_fortran").shape(), (std::vector<int64_t>{2, 3, 4}));

  const NpyArray scalar = npz.read("scalar_i8");
  EXPECT_TRUE(scalar.shape().empty());
  EXPECT_EQ(scalar.to<int64_t>(), std::vector<int64_t>{-42});
  const NpyArray empty = npz.read("empty_f4");
  EXPECT_EQ(empty.shape(), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(empty.dtype(), DType::Float32);
  const NpyArray vector = npz.read("vector_u2");
  EXPECT_EQ(vector.shape(), std::vector<int64_t>{7});
  EXPECT_TRUE(test::matches_formula("u2", vector));
}

TEST(Npz, ReadsNumpySavez) { expect_dtype_fixture_contents(NpzFile::open(fixture("dtypes.npz"))); }

TEST(Npz, ReadsNumpySavezCompressed) {
  expect_dtype_fixture_contents(NpzFile::open(fixture("dtypes_compressed.npz")));
}

TEST(Npz, ReadsFromMemory) {
  expect_dtype_fixture_contents(
      NpzFile::from_buffer(test::read_bytes(fixture("dtypes_compressed.npz")), "in memory"));
}

TEST(Npz, ReadsZip64) {
  const auto arrays = read_npz(fixture("zip64.npz"));
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays.at("arr_0").shape(), (std::vector<int64_t>{3, 5}));
  EXPECT_TRUE(test::matches_formula("i4", arrays.at("arr_0")));
  EXPECT_TRUE(test::matches_formula("f8", arrays.at("arr_1")));
}

TEST(Npz, ReadsSelectedNamesAndReportsMissingOnes) {
  const auto arrays = read_npz(fixture("dtypes.npz"), {"u1_le", "f4_be"});
  EXPECT_EQ(arrays.size(), 2u);
  EXPECT_TRUE(test::matches_formula("f4", arrays.at("f4_be")));
  const NpzFile npz = NpzFile::open(fixture("dtypes.npz"));
  EXPECT_TRUE(npz.contains("i8_be"));
  EXPECT_FALSE(npz.contains("i8_be.npy"));
  const std::string message = data_error_of([&] { npz.read("arr_9"); });
  EXPECT_NE(message.find("dtypes.npz"), std::string::npos) << message;
  EXPECT_NE(message.find("'arr_9'"), std::string::npos) << message;
}

struct BadFile {
  const char* name;
  const char* message_part;
};

TEST(Npz, MalformedArchivesThrowDataErrorNamingTheFile) {
  for (const BadFile& c : {BadFile{"not_a_zip.npz", "not a zip archive"},
                           BadFile{"bad_shape_lie.npz", "payload bytes"},
                           BadFile{"bad_huge_shape.npz", "1099511627776"},
                           BadFile{"bad_overflow_shape.npz", "overflows"},
                           BadFile{"bad_dtype_c8.npz", "unsupported dtype '<c8'"},
                           BadFile{"bad_dtype_object.npz", "unsupported dtype '|O'"},
                           BadFile{"bad_dict.npz", "unexpected key 'extra'"},
                           BadFile{"does_not_exist.npz", "does_not_exist.npz"}}) {
    SCOPED_TRACE(c.name);
    const size_t largest = test::largest_allocation_during([&] {
      const std::string message = data_error_of([&] { read_npz(fixture(c.name)); });
      EXPECT_NE(message.find(fixture(c.name)), std::string::npos) << message;
      EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
    });
    EXPECT_LT(largest, size_t{1} << 16);
  }
}

TEST(Npz, TruncatedArchivesAreRejected) {
  const auto bytes = test::read_bytes(fixture("dtypes_compressed.npz"));
  test::ScratchDir dir;
  for (size_t length : {size_t{0}, size_t{1}, size_t{4}, size_t{30}, bytes.size() / 3,
                        bytes.size() / 2, bytes.size() - 23, bytes.size() - 1}) {
    SCOPED_TRACE(length);
    const std::string path = dir.file("cut.npz");
    test::write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + length));
    const std::string message = data_error_of([&] { read_npz(path); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

// Offset of the first central-directory file header ("PK\1\2").
size_t first_central_header(const std::vector<uint8_t>& zip) {
  const uint8_t sig[] = {'P', 'K', 1, 2};
  const auto it = std::search(zip.begin(), zip.end(), std::begin(sig), std::end(sig));
  EXPECT_NE(it, zip.end());
  return static_cast<size_t>(it - zip.begin());
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | b[at + static_cast<size_t>(i)];
  return v;
}

// The first entry of a copy of `name` with its uncompressed size in the central directory set by
// `change`, read from memory.
std::string error_with_patched_size(const char* name, uint32_t (*change)(uint32_t),
                                    size_t* largest = nullptr) {
  auto bytes = test::read_bytes(fixture(name));
  const size_t size_field = first_central_header(bytes) + 24;
  put_u32(bytes, size_field, change(get_u32(bytes, size_field)));
  std::string message;
  const size_t biggest = test::largest_allocation_during([&] {
    message = data_error_of([&] {
      const NpzFile npz = NpzFile::from_buffer(bytes, "patched.npz");
      npz.read(npz.names().at(0));
    });
  });
  if (largest != nullptr) *largest = biggest;
  return message;
}

TEST(Npz, DirectorySizeLiesAreRejected) {
  size_t largest = 0;
  std::string m = error_with_patched_size(
      "dtypes_compressed.npz", [](uint32_t) -> uint32_t { return 0x7FFFFFF0u; }, &largest);
  EXPECT_NE(m.find("more than deflate can produce"), std::string::npos) << m;
  EXPECT_LT(largest, size_t{1} << 16);

  m = error_with_patched_size("dtypes_compressed.npz", [](uint32_t s) { return s + 64; });
  EXPECT_NE(m.find("patched.npz:b1_le.npy"), std::string::npos) << m;
  m = error_with_patched_size("dtypes_compressed.npz", [](uint32_t s) { return s - 8; });
  EXPECT_NE(m.find("patched.npz:b1_le.npy"), std::string::npos) << m;
  m = error_with_patched_size("dtypes.npz", [](uint32_t s) { return s + 1000; });
  EXPECT_NE(m.find("patched.npz"), std::string::npos) << m;
}

TEST(Npz, CorruptPayloadFailsTheCrcCheck) {
  auto bytes = test::read_bytes(fixture("dtypes.npz"));  // stored: payload bytes sit in the file
  const uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  const auto second_array = std::search(
      std::search(bytes.begin(), bytes.end(), std::begin(magic), std::end(magic)) + 1, bytes.end(),
      std::begin(magic), std::end(magic));  // "b1_be"; its 128-byte header is followed by 24 bools
  ASSERT_NE(second_array, bytes.end());
  second_array[128 + 5] ^= 1;  // 0 <-> 1 keeps the .npy valid: only the CRC can tell
  const NpzFile npz = NpzFile::from_buffer(bytes, "flipped.npz");
  const std::string message = data_error_of([&] { npz.read("b1_be"); });
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;
  EXPECT_TRUE(test::matches_formula("b1", npz.read("b1_le")));  // other entries unaffected
}

TEST(Npz, RandomlyDamagedArchivesNeverCrash) {
  const auto base = test::read_bytes(fixture("dtypes_compressed.npz"));
  Rng rng(77);
  int whole = 0, rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    auto bytes = base;
    const int flips = static_cast<int>(rng.range(1, 6));
    for (int f = 0; f < flips; ++f)
      bytes[rng.below(bytes.size())] = static_cast<uint8_t>(rng.next());
    if (rng.bernoulli(0.2)) bytes.resize(rng.below(bytes.size() + 1));
    const size_t largest = test::largest_allocation_during([&] {
      try {
        const NpzFile npz = NpzFile::from_buffer(bytes, "fuzz");
        for (const auto& name : npz.names()) npz.read(name);
        ++whole;
      } catch (const DataError&) {
        ++rejected;
      }
    });
    // The archive is ~7 KB; deflate could justify ~7 MB, nothing may go beyond that.
    ASSERT_LT(largest, base.size() * 1100) << "iteration " << iter;
  }
  EXPECT_GT(rejected, 0);
  RecordProperty("intact_after_mutation", whole);
}

NpzFile round_trip(const test::ScratchDir& dir, const std::string& name, bool compressed) {
  const NpzFile source = NpzFile::open(fixture("dtypes.npz"));
  std::vector<NpyArray> arrays;
  for (const auto& key : source.names()) arrays.push_back(source.read(key));
  std::vector<NpzEntry> entries;
  for (size_t i = 0; i < arrays.size(); ++i) entries.emplace_back(source.names()[i], arrays[i]);
  write_npz(dir.file(name), entries, compressed);
  return NpzFile::open(dir.file(name));
}

TEST(Npz, WriteReadRoundTripStored) {
  test::ScratchDir dir;
  expect_dtype_fixture_contents(round_trip(dir, "stored.npz", false));
  EXPECT_EQ(dir.entry_count(), 1u);
}

TEST(Npz, WriteReadRoundTripCompressed) {
  test::ScratchDir dir;
  expect_dtype_fixture_contents(round_trip(dir, "deflated.npz", true));
  const auto stored = round_trip(dir, "stored.npz", false);
  EXPECT_LT(std::filesystem::file_size(dir.file("deflated.npz")),
            std::filesystem::file_size(dir.file("stored.npz")));
}

TEST(Npz, WritesAreDeterministic) {
  test::ScratchDir dir;
  round_trip(dir, "a.npz", true);
  round_trip(dir, "b.npz", true);
  EXPECT_EQ(test::read_bytes(dir.file("a.npz")), test::read_bytes(dir.file("b.npz")));
}

TEST(Npz, WritesAnEmptyArchive) {
  test::ScratchDir dir;
  write_npz(dir.file("empty.npz"), {}, true);
  EXPECT_TRUE(NpzFile::open(dir.file("empty.npz")).names().empty());
}

TEST(Npz, FailedWritesLeaveTheOldFileAndNoTemporaries) {
  test::ScratchDir dir;
  const auto a = NpyArray::from<int32_t>({2}, std::vector<int32_t>{1, 2});
  const auto b = NpyArray::from<int32_t>({3}, std::vector<int32_t>{7, 8, 9});
  const std::string path = dir.file("keep.npz");
  write_npz(path, {{"arr_0", a}}, false);
  const auto before = test::read_bytes(path);

  EXPECT_NE(data_error_of([&] {
              write_npz(path, {{"x", a}, {"x", b}}, true);
            }).find("duplicate"),
            std::string::npos);
  EXPECT_NE(data_error_of([&] {
              write_npz(path, {{"", a}}, true);
            }).find("invalid"),
            std::string::npos);
  EXPECT_EQ(test::read_bytes(path), before);

  // The final rename fails when the target is a directory: the directory must survive.
  std::filesystem::create_directory(dir.file("a_directory.npz"));
  const std::string message = data_error_of([&] {
    write_npz(dir.file("a_directory.npz"), {{"arr_0", b}}, true);
  });
  EXPECT_NE(message.find("a_directory.npz"), std::string::npos) << message;
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("a_directory.npz")));
  EXPECT_EQ(dir.entry_count(), 2u);  // keep.npz and the directory, no temporaries

  write_npz(path, {{"arr_0", b}}, true);  // a successful overwrite replaces the content
  EXPECT_EQ(read_npz(path).at("arr_0").to<int32_t>(), (std::vector<int32_t>{7, 8, 9}));
  EXPECT_EQ(dir.entry_count(), 2u);
}

TEST(Npz, NumpyReadsWhatWeWrite) {
  if (!test::have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  test::ScratchDir dir;
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed);
    const auto maps = NpyArray::from<int32_t>(
        {2, 2, 3}, std::vector<int32_t>{0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 0, 1});
    const auto probs = NpyArray::from<float>({2}, std::vector<float>{0.25f, -1.5f});
    const bool flag_values[] = {true, false, true};
    const auto flags = NpyArray::from<bool>({3}, flag_values);
    const auto big = NpyArray::from<int64_t>({1}, std::vector<int64_t>{-(int64_t{1} << 62)});
    const std::string path = dir.file(compressed ? "c.npz" : "s.npz");
    write_npz(path, {{"maps", maps}, {"probs", probs}, {"flags", flags}, {"big", big}}, compressed);
    const std::string script =
        "import numpy as np, sys\n"
        "z = np.load(sys.argv[1])\n"
        "assert z.files == ['maps', 'probs', 'flags', 'big'], z.files\n"
        "assert z['maps'].dtype == np.int32 and z['maps'].shape == (2, 2, 3)\n"
        "assert z['maps'].ravel().tolist() == [0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 0, 1]\n"
        "assert z['probs'].dtype == np.float32 and z['probs'].tolist() == [0.25, -1.5]\n"
        "assert z['flags'].dtype == np.bool_ and z['flags'].tolist() == [True, False, True]\n"
        "assert z['big'].dtype == np.int64 and z['big'].tolist() == [-2**62]\n";
    test::write_bytes(dir.file("check.py"), std::vector<uint8_t>(script.begin(), script.end()));
    const std::string command = "/usr/bin/python3 " + dir.file("check.py") + " " + path;
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
}

// Callers map the kind to a status (WDC_E_IO vs WDC_E_FORMAT): a missing file is an I/O
// problem, a file that is not a zip archive a format problem.
TEST(Npz, ErrorKindSeparatesIoFromFormat) {
  auto kind_of = [](const std::string& path) {
    try {
      NpzFile::open(path);
    } catch (const wdc::data::DataError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no error for " << path;
    return wdc::data::DataError::Kind::kFormat;
  };
  EXPECT_EQ(kind_of(fixture("does-not-exist.npz")), wdc::data::DataError::Kind::kIo);
  EXPECT_EQ(kind_of(fixture("../make_npz_fixtures.py")), wdc::data::DataError::Kind::kFormat);
}

}  // namespace
}  // namespace wdc::data
