#include "ingest/internal/redact_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "ingest/internal/clean_json.h"

namespace tracery::ingest::internal {
namespace {

TEST(CleanContentCacheTest, InsertThenContainsPerModeAndBytes) {
  CleanContentCache cache;
  EXPECT_FALSE(cache.Contains("abc", PrivacyMode::kFull, CleanKind::kJsonPart));
  cache.Insert("abc", PrivacyMode::kFull, CleanKind::kJsonPart);
  EXPECT_TRUE(cache.Contains("abc", PrivacyMode::kFull, CleanKind::kJsonPart));
  // Clean under full mode says nothing about mask mode (PII is kept in full mode).
  EXPECT_FALSE(cache.Contains("abc", PrivacyMode::kMask, CleanKind::kJsonPart));
  EXPECT_FALSE(cache.Contains("abd", PrivacyMode::kFull, CleanKind::kJsonPart));
  EXPECT_FALSE(cache.Contains("", PrivacyMode::kFull, CleanKind::kJsonPart));
  auto st = cache.stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 4u);
  EXPECT_EQ(st.inserts, 1u);
  cache.Insert("abc", PrivacyMode::kFull, CleanKind::kJsonPart);  // already there
  EXPECT_EQ(cache.stats().inserts, 1u);
  cache.Clear();
  EXPECT_FALSE(cache.Contains("abc", PrivacyMode::kFull, CleanKind::kJsonPart));
}

TEST(CleanContentCacheTest, MemoryIsBoundedByEvictingShards) {
  CleanContentCache cache(/*capacity=*/1024);  // 64 shards of 16 slots, 8 usable each
  for (int i = 0; i < 100000; ++i) cache.Insert(std::to_string(i), PrivacyMode::kFull, CleanKind::kJsonPart);
  auto st = cache.stats();
  EXPECT_EQ(st.inserts, 100000u);
  EXPECT_GT(st.evictions, 100000u / 1024);
  // Whatever survived, the most recent insert is always present.
  EXPECT_TRUE(cache.Contains("99999", PrivacyMode::kFull, CleanKind::kJsonPart));
}

TEST(CleanContentCacheTest, ConcurrentInsertAndLookup) {
  CleanContentCache cache;
  constexpr int kThreads = 8;
  constexpr int kKeys = 5000;
  std::vector<int> missing(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, &missing, t] {
      for (int i = 0; i < kKeys; ++i) {
        // Half the keys are shared between threads, half are private.
        std::string key = (i % 2 == 0) ? "shared-" + std::to_string(i) : "t" + std::to_string(t) + "-" + std::to_string(i);
        cache.Insert(key, PrivacyMode::kMask, CleanKind::kJsonPart);
        if (!cache.Contains(key, PrivacyMode::kMask, CleanKind::kJsonPart)) ++missing[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(missing[t], 0) << "thread " << t;
  EXPECT_EQ(cache.stats().evictions, 0u);
  EXPECT_EQ(cache.stats().inserts, static_cast<uint64_t>(kKeys / 2 + kThreads * kKeys / 2));
}

TEST(CheckJsonTest, CleanDirtyAndUnknown) {
  EXPECT_EQ(CheckJson(R"({"role":"user","content":"hello"})", PrivacyMode::kMask), JsonCheck::kClean);
  // PII: masked in mask mode only.
  EXPECT_EQ(CheckJson(R"({"content":"mail bob@example.com"})", PrivacyMode::kFull), JsonCheck::kClean);
  EXPECT_EQ(CheckJson(R"({"content":"mail bob@example.com"})", PrivacyMode::kMask), JsonCheck::kNeedsRedaction);
  // Secrets in nested strings, in any mode.
  EXPECT_EQ(CheckJson(R"([{"a":["key sk-abcdefghijklmnopqrstuvwxyz"]}])", PrivacyMode::kFull),
            JsonCheck::kNeedsRedaction);
  // A string under a secret-looking key is masked whole, whatever it holds.
  EXPECT_EQ(CheckJson(R"({"x":{"My_Api_Key":"v"}})", PrivacyMode::kFull), JsonCheck::kNeedsRedaction);
  EXPECT_EQ(CheckJson(R"({"password":1})", PrivacyMode::kFull), JsonCheck::kClean);  // not a string
  // Escapes are decoded before scanning: \u0040 is '@'.
  EXPECT_EQ(CheckJson(R"(["bob\u0040example.com"])", PrivacyMode::kMask), JsonCheck::kNeedsRedaction);
  EXPECT_EQ(CheckJson("{bad}", PrivacyMode::kFull), JsonCheck::kUnknown);
  EXPECT_EQ(CheckJson("1 2", PrivacyMode::kFull), JsonCheck::kUnknown);
  EXPECT_EQ(CheckJson("\"\xff\"", PrivacyMode::kFull), JsonCheck::kUnknown);  // invalid UTF-8
  EXPECT_EQ(CheckJson("\"a\tb\"", PrivacyMode::kFull), JsonCheck::kUnknown);  // raw control char
}

TEST(CheckJsonTest, IsValidJson) {
  EXPECT_TRUE(IsValidJson("[1,2]"));
  EXPECT_FALSE(IsValidJson("[1,2"));
  EXPECT_FALSE(IsValidJson(""));
}

}  // namespace
}  // namespace tracery::ingest::internal
