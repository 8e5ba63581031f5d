#include "ingest/pricing.h"

#include <gtest/gtest.h>

namespace tracery::ingest {
namespace {

model::TokenUsage Usage(int64_t in, int64_t out, int64_t cache_read = 0) {
  model::TokenUsage u;
  u.input = in;
  u.output = out;
  u.cache_read = cache_read;
  u.total = in + out;
  u.present = true;
  return u;
}

TEST(PriceTableTest, ExactMatchBeatsPrefix) {
  PriceTable t;
  t.Set({"gpt-4o*", 1, 1});
  t.Set({"gpt-4o", 7, 7});
  auto p = t.Find("gpt-4o");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->model, "gpt-4o");
}

TEST(PriceTableTest, LongestPrefixWins) {
  auto t = PriceTable::Defaults();
  auto p = t.Find("gpt-4o-mini-2024-07-18");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->model, "gpt-4o-mini*");
  auto q = t.Find("gpt-4o-2024-08-06");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->model, "gpt-4o*");
}

TEST(PriceTableTest, ProviderPrefixAndCaseIgnored) {
  auto t = PriceTable::Defaults();
  auto p = t.Find("openai/GPT-4.1-mini");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->model, "gpt-4.1-mini*");
  auto g = t.Find("models/gemini-2.0-flash-001");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->model, "gemini-2.0-flash*");
}

TEST(PriceTableTest, UnknownModelHasNoPriceOrCost) {
  auto t = PriceTable::Defaults();
  EXPECT_FALSE(t.Find("my-local-llama"));
  EXPECT_FALSE(t.Cost("my-local-llama", Usage(100, 100)));
  EXPECT_FALSE(t.Find(""));
}

TEST(PriceTableTest, SetReplacesExistingEntry) {
  auto t = PriceTable::Defaults();
  size_t n = t.entries().size();
  t.Set({"gpt-4o*", 100, 200});
  EXPECT_EQ(t.entries().size(), n);
  EXPECT_DOUBLE_EQ(t.Find("gpt-4o")->input_per_mtok, 100);
}

TEST(PriceTableTest, CostUsesInputOutputAndCacheReadPrices) {
  PriceTable t;
  t.Set({"m", 2.0, 8.0, 0.5});
  // 1M gross input of which 400k cached, 500k output.
  auto c = t.Cost("m", Usage(1'000'000, 500'000, 400'000));
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(*c, 600'000 * 2.0 / 1e6 + 400'000 * 0.5 / 1e6 + 500'000 * 8.0 / 1e6);
}

TEST(PriceTableTest, CacheReadDefaultsToInputPrice) {
  PriceTable t;
  t.Set({"m", 3.0, 0.0});
  EXPECT_DOUBLE_EQ(*t.Cost("m", Usage(1'000'000, 0, 1'000'000)), 3.0);
}

TEST(PriceTableTest, InconsistentCacheLargerThanInputIsClamped) {
  PriceTable t;
  t.Set({"m", 1.0, 1.0, 0.0});
  EXPECT_DOUBLE_EQ(*t.Cost("m", Usage(100, 0, 1'000'000)), 0.0);
}

TEST(PriceTableTest, DefaultsCoverCommonModels) {
  auto t = PriceTable::Defaults();
  for (const char* m : {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-nano", "o3", "o3-mini", "claude-3-5-sonnet-20241022",
                        "claude-sonnet-4-20250514", "claude-3-haiku-20240307", "gemini-1.5-pro-002",
                        "gemini-2.0-flash"}) {
    SCOPED_TRACE(m);
    auto p = t.Find(m);
    ASSERT_TRUE(p);
    EXPECT_GT(p->input_per_mtok, 0);
  }
  EXPECT_EQ(t.Find("o3-mini-2025-01-31")->model, "o3-mini*");
}

}  // namespace
}  // namespace tracery::ingest
