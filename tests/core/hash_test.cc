#include "core/hash.h"

#include "core/hex.h"
#include "testing/testing.h"

namespace tracery {
namespace {

TEST(HashTest, StableAndDistinct) {
  EXPECT_EQ(ContentHash("abc"), ContentHash("abc"));
  EXPECT_FALSE(ContentHash("abc") == ContentHash("abd"));
  Hash128 h = ContentHash("message");
  Hash128 back;
  ASSERT_TRUE(Hash128::FromHex(h.ToHex(), &back));
  EXPECT_EQ(back, h);
  ASSERT_TRUE(Hash128::FromBytes(h.ToBytes(), &back));
  EXPECT_EQ(back, h);
  EXPECT_FALSE(Hash128::FromHex("zz", &back));
}

TEST(HexTest, RoundTripsAndRejectsBadInput) {
  std::string raw;
  ASSERT_TRUE(HexDecode("5B8EFFF798038103D269B633813FC60C", &raw));
  EXPECT_EQ(HexEncode(raw), "5b8efff798038103d269b633813fc60c");
  EXPECT_FALSE(HexDecode("abc", &raw));
  EXPECT_FALSE(HexDecode("zz", &raw));
  EXPECT_TRUE(IsAllZero(std::string(8, '\0')));
  EXPECT_FALSE(IsAllZero("\x01"));
}

}  // namespace
}  // namespace tracery
