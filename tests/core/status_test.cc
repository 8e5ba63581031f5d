#include "core/status.h"

#include "testing/testing.h"

namespace tracery {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd value " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  TRACERY_ASSIGN_OR_RETURN(int h, Half(x));
  TRACERY_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = NotFoundError("run abc");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: run abc");
  EXPECT_EQ(s.WithContext("store").message(), "store: run abc");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  EXPECT_STATUS(r, StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd value 3");
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternal) {
  Result<int> r{OkStatus()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace tracery
