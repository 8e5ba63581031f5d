#include "store/internal/codec.h"

#include <random>

#include "testing/testing.h"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tracery::store::internal {
namespace {

TEST(ManifestTest, RoundTrips) {
  std::vector<ManifestField> fields(2);
  fields[0].name = "input";
  fields[0].is_list = true;
  fields[0].mime = "application/json";
  fields[0].parts = {{ContentHash("a"), 1}, {ContentHash("bb"), 300}};
  fields[1].name = "output";
  fields[1].mime = "text/plain";
  fields[1].parts = {{ContentHash(""), 0}};
  std::string enc = EncodeManifest(fields);
  std::vector<ManifestField> got;
  ASSERT_OK(DecodeManifest(enc, &got));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "input");
  EXPECT_TRUE(got[0].is_list);
  EXPECT_EQ(got[0].mime, "application/json");
  ASSERT_EQ(got[0].parts.size(), 2u);
  EXPECT_EQ(got[0].parts[1].hash, ContentHash("bb"));
  EXPECT_EQ(got[0].parts[1].size, 300u);
  EXPECT_FALSE(got[1].is_list);
  EXPECT_EQ(got[1].parts[0].size, 0u);
}

TEST(ManifestTest, RejectsEveryTruncationAndGarbage) {
  std::vector<ManifestField> fields(1);
  fields[0].name = "input";
  fields[0].parts = {{ContentHash("a"), 1000}};
  std::string enc = EncodeManifest(fields);
  std::vector<ManifestField> got;
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_STATUS(DecodeManifest(enc.substr(0, n), &got), StatusCode::kDataLoss) << n;
  }
  EXPECT_STATUS(DecodeManifest(enc + "x", &got), StatusCode::kDataLoss);
  // Huge counts must not allocate.
  std::string huge = "M\x01\xff\xff\xff\xff\x0f";
  EXPECT_STATUS(DecodeManifest(huge, &got), StatusCode::kDataLoss);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk = "M\x01";
    int len = static_cast<int>(rng() % 64);
    for (int k = 0; k < len; ++k) junk.push_back(static_cast<char>(rng()));
    (void)DecodeManifest(junk, &got);  // must not crash
  }
}

TEST(CursorTest, RoundTripsAndRejectsGarbage) {
  RunCursor c{.sort = 4, .key_int = -42, .key_real = 1.25, .run_key = "b\x01\x02"};
  RunCursor got;
  ASSERT_OK(DecodeRunCursor(EncodeRunCursor(c), &got));
  EXPECT_EQ(got.sort, 4);
  EXPECT_EQ(got.key_int, -42);
  EXPECT_EQ(got.key_real, 1.25);
  EXPECT_EQ(got.run_key, c.run_key);
  for (std::string bad : std::vector<std::string>{"", "x", "7", "72", std::string(38, '0'), EncodeRunCursor(c).substr(0, 36)}) {
    EXPECT_STATUS(DecodeRunCursor(bad, &got), StatusCode::kInvalidArgument) << bad;
  }
  int64_t first = 0;
  std::string session;
  ASSERT_OK(DecodeSessionCursor(EncodeSessionCursor(99, "sess"), &first, &session));
  EXPECT_EQ(first, 99);
  EXPECT_EQ(session, "sess");
  EXPECT_STATUS(DecodeSessionCursor("73", &first, &session), StatusCode::kInvalidArgument);
}

TEST(HintsTest, RoundTripsAndEmptyIsEmpty) {
  model::RunHints h;
  EXPECT_EQ(HintsToJson(h), "");
  h.name = "n";
  h.tags = {"t1", "t2"};
  h.metadata_json = R"({"a":1})";
  h.session_id = "s";
  model::RunHints got;
  ASSERT_OK(HintsFromJson(HintsToJson(h), &got));
  EXPECT_EQ(got.name, "n");
  EXPECT_EQ(got.tags, h.tags);
  EXPECT_EQ(got.metadata_json, h.metadata_json);
  EXPECT_EQ(got.session_id, "s");
  EXPECT_STATUS(HintsFromJson("[1", &got), StatusCode::kDataLoss);
  // Invalid UTF-8 does not throw.
  h.name = "\xff\xfe";
  EXPECT_FALSE(HintsToJson(h).empty());
}

}  // namespace
}  // namespace tracery::store::internal
