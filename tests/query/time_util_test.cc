#include "query/time_util.h"

#include "testing/testing.h"

namespace tracery::query {
namespace {

TEST(FormatTimeTest, Epoch) { EXPECT_EQ(FormatTimeNs(0), "1970-01-01T00:00:00.000000000Z"); }

TEST(FormatTimeTest, NanosecondsAndDate) {
  // 2026-11-22T01:02:03.123456789Z
  EXPECT_EQ(FormatTimeNs(1795309323123456789), "2026-11-22T01:02:03.123456789Z");
}

TEST(FormatTimeTest, LeapDayAndYearEnd) {
  EXPECT_EQ(FormatTimeNs(951782400LL * 1'000'000'000), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(FormatTimeNs(946684799LL * 1'000'000'000 + 999'999'999), "1999-12-31T23:59:59.999999999Z");
}

TEST(FormatTimeTest, NegativeIsBeforeEpoch) {
  EXPECT_EQ(FormatTimeNs(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(FormatTimeTest, ExtremesDoNotCrash) {
  EXPECT_EQ(FormatTimeNs(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatTimeNs(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
}

TEST(ParseTimeTest, RoundTripsFormat) {
  for (int64_t ns : {int64_t{0}, int64_t{1795309323123456789}, int64_t{951782400} * 1'000'000'000, int64_t{-5}}) {
    ASSERT_OK_AND_ASSIGN(int64_t got, ParseTimeNs(FormatTimeNs(ns)));
    EXPECT_EQ(got, ns);
  }
}

TEST(ParseTimeTest, Rfc3339Variants) {
  ASSERT_OK_AND_ASSIGN(int64_t z, ParseTimeNs("2026-11-22T01:02:03Z"));
  EXPECT_EQ(z, 1795309323LL * 1'000'000'000);
  ASSERT_OK_AND_ASSIGN(int64_t offset, ParseTimeNs("2026-11-22T03:02:03+02:00"));
  EXPECT_EQ(offset, z);
  ASSERT_OK_AND_ASSIGN(int64_t neg, ParseTimeNs("2026-11-21T23:32:03-01:30"));
  EXPECT_EQ(neg, z);
  ASSERT_OK_AND_ASSIGN(int64_t space, ParseTimeNs("2026-11-22 01:02:03z"));
  EXPECT_EQ(space, z);
  ASSERT_OK_AND_ASSIGN(int64_t frac, ParseTimeNs("2026-11-22T01:02:03.5Z"));
  EXPECT_EQ(frac, z + 500'000'000);
  ASSERT_OK_AND_ASSIGN(int64_t date, ParseTimeNs("2026-11-22"));
  EXPECT_EQ(date, z - (3600 + 120 + 3) * 1'000'000'000LL);
}

TEST(ParseTimeTest, UnixMilliseconds) {
  ASSERT_OK_AND_ASSIGN(int64_t t, ParseTimeNs("1795309323123"));
  EXPECT_EQ(t, 1795309323123LL * 1'000'000);
  EXPECT_STATUS(ParseTimeNs("17953093231230000"), StatusCode::kInvalidArgument);
}

TEST(ParseTimeTest, RejectsMalformed) {
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30", "2025-02-29", "2026-11-22T24:00:00Z",
                          "2026-11-22T01:02:03", "2026-11-22T01:02:03.Z", "2026-11-22T01:02:03.1234567891Z",
                          "2026-11-22T01:02:03Zjunk", "2026-11-22T01:02Z", "2026-11-22T01:02:03+2:00", "-5",
                          "1e3", "9999-01-01", "2026/11/22"}) {
    EXPECT_STATUS(ParseTimeNs(bad), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseTimeTest, LeapYearFeb29Accepted) { EXPECT_OK(ParseTimeNs("2024-02-29T00:00:00Z")); }

TEST(ParseDurationTest, Units) {
  constexpr int64_t kS = 1'000'000'000;
  EXPECT_EQ(*ParseDurationNs("250ms"), 250'000'000);
  EXPECT_EQ(*ParseDurationNs("90s"), 90 * kS);
  EXPECT_EQ(*ParseDurationNs("15m"), 900 * kS);
  EXPECT_EQ(*ParseDurationNs("1h"), 3600 * kS);
  EXPECT_EQ(*ParseDurationNs("7d"), 7 * 86400 * kS);
  EXPECT_EQ(*ParseDurationNs("2w"), 14 * 86400 * kS);
  EXPECT_EQ(*ParseDurationNs("1h30m"), 5400 * kS);
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "15", "m", "1x", "-1h", "0s", "1.5h", "1h ", "99999999999999999999s",
                          "100000000w"}) {
    EXPECT_STATUS(ParseDurationNs(bad), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace tracery::query
