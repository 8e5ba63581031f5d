#include <gtest/gtest.h>

#include "exporter.h"
#include "ingest/privacy.h"
#include "redact.h"

namespace tracery_sdk::internal {
namespace {

std::string StringAttr(const SpanData& s, const std::string& key) {
  for (const auto& kv : s.attributes)
    if (kv.first == key) return std::get<std::string>(kv.second.storage());
  return "<absent>";
}

SpanData Sample() {
  SpanData s;
  s.name = "crm";
  s.attributes = {{"note", "mail bob@example.com key sk-abcdefghijklmnopqrstuvwxyz"},
                  {"input.value", "hello bob@example.com"},
                  {"gen_ai.input.messages", "[]"},
                  {"tags", std::vector<std::string>{"x bob@example.com"}},
                  {"n", 3}};
  s.status_message = "token sk-abcdefghijklmnopqrstuvwxyz";
  s.events.push_back({1, "ev", {{"output.value", "o"}, {"k", "bob@example.com"}}});
  return s;
}

TEST(PrivacyTest, FullMasksSecretsOnly) {
  SpanData s = Sample();
  FilterSpan(Privacy::kFull, &s);
  EXPECT_EQ(StringAttr(s, "note"), "mail bob@example.com key [REDACTED:api_key]");
  EXPECT_EQ(StringAttr(s, "input.value"), "hello bob@example.com");
  EXPECT_EQ(s.status_message, "token [REDACTED:api_key]");
}

TEST(PrivacyTest, MaskAlsoMasksPiiInValuesArraysAndEvents) {
  SpanData s = Sample();
  FilterSpan(Privacy::kMask, &s);
  EXPECT_EQ(StringAttr(s, "note"), "mail [REDACTED:email] key [REDACTED:api_key]");
  EXPECT_EQ(StringAttr(s, "input.value"), "hello [REDACTED:email]");
  for (const auto& kv : s.attributes) {
    if (kv.first == "tags") {
      EXPECT_EQ(std::get<std::vector<std::string>>(kv.second.storage())[0], "x [REDACTED:email]");
    }
  }
  EXPECT_EQ(std::get<std::string>(s.events[0].attributes[1].second.storage()), "[REDACTED:email]");
}

TEST(PrivacyTest, MetadataOnlyDropsContentKeys) {
  SpanData s = Sample();
  FilterSpan(Privacy::kMetadataOnly, &s);
  EXPECT_EQ(StringAttr(s, "input.value"), "<absent>");
  EXPECT_EQ(StringAttr(s, "gen_ai.input.messages"), "<absent>");
  EXPECT_EQ(StringAttr(s, "note"), "mail [REDACTED:email] key [REDACTED:api_key]");
  ASSERT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(s.events[0].attributes[0].first, "k");
}

TEST(PrivacyTest, InvalidUtf8BecomesReplacementCharacter) {
  std::string s = "caf\xC3\xA9 \xED\xA0\x80 \xC0\xAF \xF4\x90\x80\x80 end\xE2\x82";
  SanitizeUtf8(&s);
  EXPECT_EQ(s, "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
               "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string ok = "plain \xE2\x82\xAC";
  SanitizeUtf8(&ok);
  EXPECT_EQ(ok, "plain \xE2\x82\xAC");
}

// The SDK's copy of the scanner must agree with the server's (sdk/cpp/tools/sync_redact.sh).
TEST(PrivacyTest, SameRedactionAsServer) {
  const std::vector<std::string> corpus = {
      "nothing here",
      "Bearer abcdefghijklmnop1234 and api_key=supersecret123",
      "call 415-555-0100 or +44 20 7946 0958, mail a.b@c.io",
      "card 4111 1111 1111 1111, ssn 123-45-6789, iban GB82WEST12345698765432",
      "postgres://user:hunter2@db:5432/x password=foo",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig AKIAABCDEFGHIJKLMNOP ghp_abcdefghijklmnopqrstuvwxyz",
      "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
  };
  for (bool pii : {false, true}) {
    for (const auto& text : corpus) {
      std::string ours = text, theirs = text;
      const int n = Redact(pii, &ours);
      const int m = tracery::ingest::Redact(
          pii ? tracery::ingest::PrivacyMode::kMask : tracery::ingest::PrivacyMode::kFull, &theirs);
      EXPECT_EQ(ours, theirs) << text;
      EXPECT_EQ(n, m) << text;
    }
  }
}

TEST(RetryAfterTest, SecondsAndHttpDate) {
  EXPECT_EQ(ParseRetryAfter("3", 0), 3.0);
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), 0.0);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770.0), 7.0);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111790.0), 0.0);  // past
  EXPECT_FALSE(ParseRetryAfter("", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("-1", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("Sun, 06 Foo 1994 08:49:37 GMT", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 PST", 0).has_value());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", 0), 1e9);
}

TEST(GzipTest, RoundTrips) {
  std::string out;
  ASSERT_TRUE(Gzip(std::string(10000, 'a') + "tail", &out));
  EXPECT_LT(out.size(), 200u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
}

}  // namespace
}  // namespace tracery_sdk::internal
