// The normalizer's fast path for JSON content sent as text: raw element bytes as parts, the
// clean-content cache, and the fallbacks to the exact (parse + canonical dump) path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ingest/internal/redact_cache.h"
#include "ingest/normalizer.h"
#include "ingest/span_builder.h"

namespace tracery::ingest {
namespace {

using internal::CleanContentCache;
using internal::CleanKind;
using testing::SpanBuilder;
using Json = nlohmann::json;

model::Step NormalizeOne(const std::string& messages, PrivacyMode mode = PrivacyMode::kFull,
                         const char* key = "gen_ai.input.messages") {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr(key, messages).Done();
  NormalizeOptions o;
  o.privacy.default_mode = mode;
  NormalizedBatch out;
  Normalizer(o).NormalizeTraces(b, 1, &out);
  EXPECT_EQ(out.steps.size(), 1u);
  return out.steps.empty() ? model::Step{} : out.steps.front();
}

const model::ContentField* Field(const model::Step& s, std::string_view name) {
  for (const auto& f : s.content) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// A message unique to this process run, so the process-wide cache has not seen it.
std::string Unique(std::string_view tag) {
  static int counter = 0;
  return std::string(tag) + "-" + std::to_string(++counter) + "-" +
         std::to_string(reinterpret_cast<uintptr_t>(&counter));
}

TEST(RawContentTest, ElementsKeepTheBytesAsSent) {
  std::string m1 = R"({"role":"user","content":")" + Unique("hi") + R"("})";  // keys not sorted
  std::string m2 = R"({"role" : "assistant", "content":"ok"})";
  auto s = NormalizeOne("[ " + m1 + " ,\n  " + m2 + " ]");
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->is_list);
  EXPECT_EQ(in->mime, "application/json");
  ASSERT_EQ(in->parts.size(), 2u);
  EXPECT_EQ(in->parts[0], m1);
  EXPECT_EQ(in->parts[1], m2);
}

TEST(RawContentTest, EmptyArrayGivesNoField) {
  auto s = NormalizeOne("[ ]");
  EXPECT_EQ(Field(s, "input"), nullptr);
}

TEST(RawContentTest, InvalidElementFallsBackToTextForTheWholeValue) {
  // Structurally an array of two "elements", but neither is valid JSON.
  const std::string text = R"([{"role":"user"} {"x":1}, {bad}])";
  auto s = NormalizeOne(text);
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_FALSE(in->is_list);
  EXPECT_EQ(in->mime, "text/plain");
  EXPECT_EQ(in->parts[0], text);
}

TEST(RawContentTest, InvalidUtf8ElementTakesTheExactPath) {
  auto s = NormalizeOne("[{\"content\":\"a\xff" "b\"}]");
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->parts.size(), 1u);
  Json j = Json::parse(in->parts[0], nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << in->parts[0];
  EXPECT_EQ(j["content"], "a\xEF\xBF\xBD" "b");  // repaired, as before
}

TEST(RawContentTest, DirtyElementIsRedactedAndNeverCachedAsClean) {
  const std::string dirty = R"({"content":")" + Unique("mail") + R"( bob@example.com"})";
  const std::string clean = R"({"content":")" + Unique("plain") + R"("})";
  auto& cache = CleanContentCache::Global();
  for (int round = 0; round < 2; ++round) {
    auto s = NormalizeOne("[" + dirty + "," + clean + "]", PrivacyMode::kMask);
    const auto* in = Field(s, "input");
    ASSERT_NE(in, nullptr);
    ASSERT_EQ(in->parts.size(), 2u);
    EXPECT_EQ(in->parts[0].find("bob@example.com"), std::string::npos) << "round " << round;
    EXPECT_NE(in->parts[0].find("[REDACTED:email]"), std::string::npos);
    EXPECT_EQ(in->parts[1], clean);
  }
  EXPECT_FALSE(cache.Contains(dirty, PrivacyMode::kMask, CleanKind::kJsonPart));
  EXPECT_TRUE(cache.Contains(clean, PrivacyMode::kMask, CleanKind::kJsonPart));
  // Clean in mask mode does not make the PII-bearing message clean in another mode's entry.
  EXPECT_FALSE(cache.Contains(clean, PrivacyMode::kFull, CleanKind::kJsonPart));
}

TEST(RawContentTest, SecretKeyInsideRawJsonIsMasked) {
  auto s = NormalizeOne(R"([{"role":"tool","args":{"user":"bob","Password":"pw1"}}])");
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  Json j = Json::parse(in->parts[0]);
  EXPECT_EQ(j["args"]["Password"], "[REDACTED:password]");
}

TEST(RawContentTest, RepeatedMessagesHitTheCacheInsteadOfBeingScanned) {
  auto& cache = CleanContentCache::Global();
  std::string conv = "[";
  std::vector<std::string> msgs;
  for (int i = 0; i < 5; ++i) msgs.push_back(R"({"role":"user","content":")" + Unique("turn") + R"("})");
  // Call k re-sends messages 0..k: only the newest one is new.
  for (int k = 0; k < 5; ++k) {
    std::string text = "[";
    for (int i = 0; i <= k; ++i) text += (i ? "," : "") + msgs[i];
    text += "]";
    auto before = cache.stats();
    auto s = NormalizeOne(text);
    auto after = cache.stats();
    ASSERT_NE(Field(s, "input"), nullptr);
    EXPECT_EQ(Field(s, "input")->parts.size(), static_cast<size_t>(k + 1));
    EXPECT_EQ(after.hits - before.hits, static_cast<uint64_t>(k)) << "call " << k;
    EXPECT_EQ(after.inserts - before.inserts, 1u) << "call " << k;
  }
}

TEST(RawContentTest, JsonToolArgumentsKeepRawBytes) {
  const std::string args = R"({"query":")" + Unique("q") + R"(","limit":5})";
  auto s = NormalizeOne(args, PrivacyMode::kFull, "gen_ai.tool.call.arguments");
  const auto* f = Field(s, "tool.arguments");
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->is_list);
  EXPECT_EQ(f->parts[0], args);
}

TEST(RawContentTest, ConcurrentNormalizersShareTheCache) {
  std::vector<std::string> msgs;
  for (int i = 0; i < 20; ++i) msgs.push_back(R"({"role":"user","content":")" + Unique("c") + R"("})");
  std::string text = "[";
  for (size_t i = 0; i < msgs.size(); ++i) text += (i ? "," : "") + msgs[i];
  text += ",{\"content\":\"key sk-abcdefghijklmnopqrstuvwxyz\"}]";
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 20; ++r) {
        auto s = NormalizeOne(text);
        const auto* in = Field(s, "input");
        if (in == nullptr || in->parts.size() != 21 || in->parts[0] != msgs[0] ||
            in->parts[20].find("sk-abc") != std::string::npos) {
          ++bad[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0);
}

}  // namespace
}  // namespace tracery::ingest
