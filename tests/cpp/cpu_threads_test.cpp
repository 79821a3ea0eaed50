// Thread choices that are the process's and not LibTorch's: how many threads an inference call
// gets for its work, and the size of OpenBLAS's own pool, which every model sets unless told
// to leave it alone.
#include "model/cpu_threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "base/error.h"
#include "model/classifier.h"
#include "model/openblas_threads.h"

namespace {

int cores() { return std::max(static_cast<int>(std::thread::hardware_concurrency()), 1); }

TEST(ThreadsForWork, ARequestedCountIsKeptWhateverTheWork) {
  EXPECT_EQ(wdc::threads_for_work(3, 1), 3);
  EXPECT_EQ(wdc::threads_for_work(64, int64_t{1} << 40), 64);
}

TEST(ThreadsForWork, OneMapGetsOneThreadAndALargeBatchEveryCore) {
  EXPECT_EQ(wdc::threads_for_work(0, 52 * 52), 1);
  EXPECT_EQ(wdc::threads_for_work(0, 1), 1);  // a tiny map still gets a thread
  EXPECT_EQ(wdc::threads_for_work(0, 2 * 52 * 52), std::min(2, cores()));
  EXPECT_EQ(wdc::threads_for_work(0, int64_t{256} * 52 * 52), std::min(256, cores()));
  EXPECT_EQ(wdc::threads_for_work(0, int64_t{1} << 40), cores());
}

class OpenblasThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (wdc::openblas_threads() == 0) GTEST_SKIP() << "this process's BLAS is not OpenBLAS";
  }
};

TEST_F(OpenblasThreads, AModelSetsThePoolToItsOptionAndZeroLeavesItAlone) {
  ASSERT_TRUE(wdc::set_openblas_threads(2));
  const int before = wdc::openblas_threads();  // 2, or fewer where OpenBLAS caps it

  wdc::RuntimeOptions leave;
  leave.openblas_threads = 0;
  wdc::Classifier::create("", leave);
  EXPECT_EQ(wdc::openblas_threads(), before);

  wdc::Classifier::create("", {});  // the default: one thread
  EXPECT_EQ(wdc::openblas_threads(), 1);
}

TEST_F(OpenblasThreads, ANegativeCountIsRefusedAndChangesNothing) {
  ASSERT_TRUE(wdc::set_openblas_threads(1));
  wdc::RuntimeOptions bad;
  bad.openblas_threads = -1;
  EXPECT_THROW(wdc::Classifier::create("", bad), wdc::Error);
  EXPECT_EQ(wdc::openblas_threads(), 1);
  EXPECT_FALSE(wdc::set_openblas_threads(0));
}

}  // namespace
