// The normalizer's fast path for JSON content sent as text: raw element bytes as parts, the
// clean-content cache, and the fallbacks to the exact (parse + canonical dump) path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cctype>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "ingest/internal/conventions.h"
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

TEST(RawContentTest, NumbersSimdjsonCannotRepresentTakeTheExactPath) {
  auto s = NormalizeOne(R"([{"n": 123456789012345678901234567890}, {"m" : 1}])");
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->parts.size(), 2u);
  EXPECT_FALSE(Json::parse(in->parts[0], nullptr, false).is_discarded()) << in->parts[0];
  EXPECT_EQ(in->parts[1], R"({"m":1})");  // whole value canonicalized by the exact path
}

TEST(AppendJsonStringTest, MatchesNlohmannDump) {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  all += "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80";
  for (const std::string& sample : {std::string(), std::string("plain"), all, std::string("a\"b\\c")}) {
    std::string out;
    internal::AppendJsonString(sample, &out);
    EXPECT_EQ(out, Json(sample).dump()) << sample;
  }
}

// attributes_json is written directly; it must match building an nlohmann object and dumping it.
TEST(RawContentTest, AttributesJsonMatchesTheGenericWriter) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("z.last", "tab\there \"quoted\" \x01 é")
      .Attr("a.int", int64_t{-42})
      .Attr("a.bool", true)
      .Attr("a.double", 0.1)
      .Attr("dup", "first")
      .Attr("dup", "second")
      .Attr("db.password", "hunter2")
      .Attr("mail", "bob@example.com")
      .Attr("a.list", std::vector<std::string>{"x", "bob@example.com"})
      .Attr("gen_ai.input.messages", "[]")  // content: never in attributes
      .Done();
  NormalizeOptions o;
  o.privacy.default_mode = PrivacyMode::kMask;
  NormalizedBatch out;
  Normalizer(o).NormalizeTraces(b, 1, &out);
  ASSERT_EQ(out.steps.size(), 1u);
  Json expected = {{"z.last", "tab\there \"quoted\" \x01 é"},
                   {"a.int", -42},
                   {"a.bool", true},
                   {"a.double", 0.1},
                   {"dup", "first"},
                   {"db.password", "[REDACTED:password]"},
                   {"mail", "[REDACTED:email]"},
                   {"a.list", {"x", "[REDACTED:email]"}}};
  EXPECT_EQ(out.steps[0].attributes_json, expected.dump());
}

// Differential check of the fast path against the exact semantics (parse, redact every string,
// mask strings under secret keys): random messages built from tricky snippets, in both modes.
Json RedactedOracle(PrivacyMode mode, Json j) {
  if (j.is_string()) {
    std::string str = j.get<std::string>();
    Redact(mode, &str);
    return str;
  }
  if (j.is_array()) {
    for (auto& e : j) e = RedactedOracle(mode, e);
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      std::string lower = k;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool pw = lower.find("password") != std::string::npos || lower.find("passwd") != std::string::npos ||
                lower.find("secret") != std::string::npos || lower.find("authorization") != std::string::npos;
      bool key = lower.find("api_key") != std::string::npos || lower.find("apikey") != std::string::npos ||
                 lower.find("api-key") != std::string::npos;
      if (v.is_string() && (pw || key)) {
        v = pw ? "[REDACTED:password]" : "[REDACTED:api_key]";
      } else {
        v = RedactedOracle(mode, v);
      }
    }
  }
  return j;
}

TEST(RawContentTest, RandomMessagesMatchTheExactSemantics) {
  const char* snippets[] = {"hello", " ", "bob@example.com", "bob\\u0040example.com", "sk-",
                            "abcdefghijklmnopqrstuvwxyz", "\\n", "\\\"", "\\\\", "415-555-0134",
                            "4111 1111 1111 1111", "password", "=", ":", "Bearer ", "0123456789abcdef",
                            "é", "\\u00e9", "account ", "123456789", "AKIAABCDEFGHIJKLMNOP", "-",
                            "://u:p@h", "GB82 WEST 1234 5698 7654 32", ",", "]", "{", "x"};
  const char* keys[] = {"content", "role", "Password", "my_api_key", "text", "authorization", "n"};
  uint64_t rng = 12345;
  auto next = [&rng](uint64_t mod) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % mod;
  };
  auto random_string = [&] {
    std::string str;
    const int n = static_cast<int>(next(8));
    for (int i = 0; i < n; ++i) str += snippets[next(std::size(snippets))];
    return "\"" + str + "\"";
  };
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = "[";
    const int elems = 1 + static_cast<int>(next(4));
    for (int e = 0; e < elems; ++e) {
      if (e > 0) text += next(2) ? "," : " , ";
      text += "{";
      const int fields = 1 + static_cast<int>(next(3));
      for (int f = 0; f < fields; ++f) {
        if (f > 0) text += ",";
        text += "\"" + std::string(keys[next(std::size(keys))]) + std::to_string(f) + "\":";
        switch (next(4)) {
          case 0: text += "[" + random_string() + "," + std::to_string(next(1000)) + "]"; break;
          case 1: text += "{\"inner\":" + random_string() + "}"; break;
          default: text += random_string();
        }
      }
      text += "}";
    }
    text += "]";
    Json whole = Json::parse(text, nullptr, false);
    if (whole.is_discarded()) continue;  // a snippet made invalid JSON; covered elsewhere
    for (auto mode : {PrivacyMode::kFull, PrivacyMode::kMask}) {
      for (int pass = 0; pass < 2; ++pass) {  // second pass: cache hits
        auto s = NormalizeOne(text, mode);
        const auto* in = Field(s, "input");
        ASSERT_NE(in, nullptr) << text;
        ASSERT_EQ(in->parts.size(), whole.size()) << text;
        for (size_t i = 0; i < whole.size(); ++i) {
          Json got = Json::parse(in->parts[i], nullptr, false);
          ASSERT_FALSE(got.is_discarded()) << in->parts[i];
          EXPECT_EQ(got, RedactedOracle(mode, whole[i])) << text << " mode " << ToString(mode);
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 400);
}

TEST(RawContentTest, ElementsBeyondTheSimdjsonCapStillWork) {
  const std::string big(1536 * 1024, 'w');  // over the 1 MiB simdjson cap, under max_content_part
  auto s = NormalizeOne(R"([{"content":")" + big + R"("}, {"b":1}])");
  const auto* in = Field(s, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->parts.size(), 2u);
  EXPECT_EQ(Json::parse(in->parts[0])["content"], big);
}

}  // namespace
}  // namespace tracery::ingest
