// The CPU buffer cache: large blocks come back for requests of about their size, small ones
// and oversized ones are left to the system, LibTorch's raw interface works through it, and a
// model asked not to install it leaves LibTorch's allocator alone.
#include "model/cpu_buffer_cache.h"

#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/classifier.h"

namespace {

constexpr int64_t kMiB = 1 << 20;

torch::Tensor bytes(int64_t n) { return torch::empty({n}, torch::kUInt8); }

class CpuBufferCache : public ::testing::Test {
 protected:
  void SetUp() override { wdc::use_cpu_buffer_cache(); }
};

TEST_F(CpuBufferCache, ReusesAFreedBlockForTheSameOrASomewhatSmallerSize) {
  void* first = nullptr;
  {
    torch::Tensor t = bytes(8 * kMiB);
    t.fill_(7);
    first = t.data_ptr();
  }
  const size_t idle = wdc::cpu_buffer_cache_idle_bytes();
  EXPECT_GE(idle, size_t{8 * kMiB});
  {
    torch::Tensor t = bytes(8 * kMiB);
    EXPECT_EQ(t.data_ptr(), first);
    EXPECT_EQ(wdc::cpu_buffer_cache_idle_bytes(), idle - 8 * kMiB);
  }
  {
    torch::Tensor t = bytes(7 * kMiB);  // within a third: the 8 MiB block serves it
    EXPECT_EQ(t.data_ptr(), first);
    t.fill_(3);  // the whole request is usable
    EXPECT_EQ(t.sum().item<int64_t>(), 3 * 7 * kMiB);
  }
  {
    torch::Tensor t = bytes(4 * kMiB);  // half the size: a block of its own
    EXPECT_NE(t.data_ptr(), first);
  }
}

TEST_F(CpuBufferCache, LeavesSmallAndOversizedBlocksToTheSystem) {
  const size_t idle = wdc::cpu_buffer_cache_idle_bytes();
  { torch::Tensor small = bytes(kMiB / 2); }
  EXPECT_EQ(wdc::cpu_buffer_cache_idle_bytes(), idle);
  // Past the 1 GiB cap on idle blocks (untouched pages: nothing is committed).
  { torch::Tensor huge = bytes(int64_t{1} << 31); }
  EXPECT_LE(wdc::cpu_buffer_cache_idle_bytes(), size_t{1} << 30);
}

TEST_F(CpuBufferCache, ServesLibTorchsRawInterface) {
  c10::Allocator* allocator = c10::GetCPUAllocator();
  ASSERT_NE(allocator->raw_deleter(), nullptr);
  for (const size_t n : {size_t{64}, size_t{3 * kMiB}}) {
    void* p = allocator->raw_allocate(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    static_cast<char*>(p)[n - 1] = 1;
    allocator->raw_deallocate(p);
  }
}

TEST_F(CpuBufferCache, ResultsDoNotDependOnReusedMemory) {
  torch::manual_seed(3);
  const torch::Tensor a = torch::randn({512, 1024}), b = torch::randn({1024, 512});
  const torch::Tensor expected = torch::mm(a, b);
  for (int i = 0; i < 3; ++i) {
    { torch::Tensor garbage = torch::full({512, 512}, 1e30f); }  // the size of the result
    EXPECT_TRUE(torch::equal(torch::mm(a, b), expected)) << i;
  }
}

}  // namespace

// A host that wants LibTorch's own allocator: a model made with buffer_cache = false installs
// nothing (each test runs in a process of its own, so no other model installed it before).
TEST(CpuBufferCacheOption, FalseLeavesLibTorchsAllocatorAlone) {
  const c10::Allocator* before = c10::GetCPUAllocator();
  wdc::RuntimeOptions options;
  options.buffer_cache = false;
  const auto model = wdc::Classifier::create("", options);
  EXPECT_EQ(c10::GetCPUAllocator(), before);
  { torch::Tensor t = bytes(8 * kMiB); }
  EXPECT_EQ(wdc::cpu_buffer_cache_idle_bytes(), 0u);
  const auto cached = wdc::Classifier::create("", {});  // the default installs it
  EXPECT_NE(c10::GetCPUAllocator(), before);
}
