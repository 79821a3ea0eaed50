// describe_exception: every exception the core may throw gets the status of its cause, so a
// device or LibTorch failure is not reported as the caller's bad argument.
#include "model/describe_exception.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "data/data_error.h"

namespace {

wdc::ErrorInfo describe(std::exception_ptr e) { return wdc::describe_exception(e); }

template <typename E, typename... Args>
wdc::ErrorInfo describe_thrown(Args&&... args) {
  try {
    throw E(std::forward<Args>(args)...);
  } catch (...) {
    return describe(std::current_exception());
  }
}

c10::SourceLocation here() { return {__func__, __FILE__, static_cast<uint32_t>(__LINE__)}; }

TEST(DescribeException, OwnErrorsKeepTheirCode) {
  const auto info = describe_thrown<wdc::Error>(wdc::ErrorCode::kBusy, "in use");
  EXPECT_EQ(info.code, wdc::ErrorCode::kBusy);
  EXPECT_EQ(info.message, "in use");
}

TEST(DescribeException, DataErrorsAreIoOrFormat) {
  EXPECT_EQ(describe_thrown<wdc::data::DataError>("x", wdc::data::DataError::Kind::kIo).code,
            wdc::ErrorCode::kIo);
  EXPECT_EQ(describe_thrown<wdc::data::DataError>("x").code, wdc::ErrorCode::kFormat);
}

TEST(DescribeException, LibTorchArgumentChecksAreInvalidArguments) {
  try {
    TORCH_CHECK_VALUE(false, "deform_conv2d: stride must be positive");
  } catch (...) {
    const auto info = describe(std::current_exception());
    EXPECT_EQ(info.code, wdc::ErrorCode::kInvalidArgument);
    EXPECT_NE(info.message.find("stride must be positive"), std::string::npos);
  }
  EXPECT_EQ(describe_thrown<c10::IndexError>(here(), "index 9 out of range").code,
            wdc::ErrorCode::kInvalidArgument);
}

TEST(DescribeException, OtherLibTorchFailuresAreRuntimeErrors) {
  // What a CUDA fault or a kernel that cannot run looks like from LibTorch: a plain c10::Error.
  try {
    TORCH_CHECK(false, "CUDA error: an illegal memory access was encountered");
  } catch (...) {
    const auto info = describe(std::current_exception());
    EXPECT_EQ(info.code, wdc::ErrorCode::kRuntime);
    EXPECT_NE(info.message.find("illegal memory access"), std::string::npos);
    EXPECT_EQ(info.message.find("Exception raised from"), std::string::npos);  // no backtrace
  }
  EXPECT_EQ(describe_thrown<c10::Error>(here(), "DefaultCPUAllocator: can't allocate memory").code,
            wdc::ErrorCode::kOutOfMemory);
}

TEST(DescribeException, StandardExceptions) {
  EXPECT_EQ(describe_thrown<std::bad_alloc>().code, wdc::ErrorCode::kOutOfMemory);
  EXPECT_EQ(describe_thrown<std::invalid_argument>("bad").code, wdc::ErrorCode::kInvalidArgument);
  EXPECT_EQ(describe_thrown<std::logic_error>("bug").code, wdc::ErrorCode::kInternal);
}

}  // namespace
