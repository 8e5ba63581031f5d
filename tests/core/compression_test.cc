#include "core/compression.h"

#include "testing/testing.h"

namespace tracery {
namespace {

TEST(GunzipTest, RoundTrips) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>('a' + i % 26);
  std::string out;
  ASSERT_OK(GunzipCapped(GzipCompress(data), 1 << 20, &out));
  EXPECT_EQ(out, data);
}

TEST(GunzipTest, StopsAtTheCapOnABomb) {
  std::string zeros(64 << 20, '\0');  // 64 MiB of zeros compresses to ~64 KiB
  std::string bomb = GzipCompress(zeros);
  ASSERT_LT(bomb.size(), 200u << 10);
  std::string out;
  Status s = GunzipCapped(bomb, 1 << 20, &out);
  EXPECT_STATUS(s, StatusCode::kResourceExhausted);
  EXPECT_TRUE(out.empty());
}

TEST(GunzipTest, RejectsGarbageAndTruncation) {
  std::string out;
  EXPECT_STATUS(GunzipCapped("not gzip at all", 1 << 20, &out), StatusCode::kInvalidArgument);
  std::string gz = GzipCompress(std::string(5000, 'q'));
  EXPECT_STATUS(GunzipCapped(std::string_view(gz).substr(0, gz.size() / 2), 1 << 20, &out),
                StatusCode::kInvalidArgument);
}

TEST(ZstdTest, RoundTripsAndRejectsCorruption) {
  std::string data = "hello hello hello hello hello";
  std::string out;
  ASSERT_OK(ZstdDecompress(ZstdCompress(data), 1 << 20, &out));
  EXPECT_EQ(out, data);
  EXPECT_STATUS(ZstdDecompress("garbage", 1 << 20, &out), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tracery
