// The wdc::ErrorCode that a call throws, as the C ABI would report it: for tests that check
// which kind of error the core raises without depending on its message.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>

#include "model/describe_exception.h"

inline wdc::ErrorCode error_code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (...) {
    return wdc::describe_exception(std::current_exception()).code;
  }
  ADD_FAILURE() << "no exception";
  return wdc::ErrorCode::kInternal;
}
