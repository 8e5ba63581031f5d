// Shared test helpers: status matchers and temporary directories.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/status.h"

namespace tracery::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

}  // namespace tracery::testing

#define EXPECT_OK(expr) EXPECT_TRUE(::tracery::testing::GetStatus(expr).ok()) << ::tracery::testing::GetStatus(expr).ToString()
#define ASSERT_OK(expr) ASSERT_TRUE(::tracery::testing::GetStatus(expr).ok()) << ::tracery::testing::GetStatus(expr).ToString()
#define EXPECT_STATUS(expr, status_code) EXPECT_EQ(::tracery::testing::GetStatus(expr).code(), status_code) << ::tracery::testing::GetStatus(expr).ToString()

#define TRACERY_TEST_CONCAT_INNER_(a, b) a##b
#define TRACERY_TEST_CONCAT_(a, b) TRACERY_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(TRACERY_TEST_CONCAT_(tracery_test_result_, __LINE__), lhs, expr)
