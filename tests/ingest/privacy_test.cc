#include "ingest/privacy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstdint>
#include <iterator>
#include <string>

#include "ingest/internal/redact_internal.h"

namespace tracery::ingest {
namespace {

std::string R(PrivacyMode mode, std::string s, int* n = nullptr) {
  int c = Redact(mode, &s);
  if (n != nullptr) *n = c;
  return s;
}
std::string Full(std::string s) { return R(PrivacyMode::kFull, std::move(s)); }
std::string Mask(std::string s) { return R(PrivacyMode::kMask, std::move(s)); }

TEST(PrivacyModeTest, ParseAndToStringRoundTrip) {
  for (auto m : {PrivacyMode::kFull, PrivacyMode::kMask, PrivacyMode::kMetadataOnly}) {
    EXPECT_EQ(ParsePrivacyMode(ToString(m)), m);
  }
  EXPECT_FALSE(ParsePrivacyMode("Full"));
  EXPECT_FALSE(ParsePrivacyMode(""));
}

TEST(PrivacyPolicyTest, AgentOverrideBeatsServiceOverrideBeatsDefault) {
  PrivacyPolicy p;
  p.default_mode = PrivacyMode::kFull;
  p.by_service["billing"] = PrivacyMode::kMask;
  p.by_agent["hr-agent"] = PrivacyMode::kMetadataOnly;
  EXPECT_EQ(p.ModeFor("other", ""), PrivacyMode::kFull);
  EXPECT_EQ(p.ModeFor("billing", "x"), PrivacyMode::kMask);
  EXPECT_EQ(p.ModeFor("billing", "hr-agent"), PrivacyMode::kMetadataOnly);
}

TEST(RedactTest, OpenAiKeys) {
  EXPECT_EQ(Full("key sk-abcdefghijklmnopqrstuvwx end"), "key [REDACTED:api_key] end");
  EXPECT_EQ(Full("sk-proj-AbC123_def456-ghi789jkl012"), "[REDACTED:api_key]");
}

TEST(RedactTest, AnthropicKey) {
  EXPECT_EQ(Full("x=sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA"), "x=[REDACTED:api_key]");
}

TEST(RedactTest, ShortOrEmbeddedSkIsNotAKey) {
  EXPECT_EQ(Full("ask-me-anything and sk-short"), "ask-me-anything and sk-short");
  EXPECT_EQ(Full("task-abcdefghijklmnopqrstuvwxyz"), "task-abcdefghijklmnopqrstuvwxyz");
}

TEST(RedactTest, AwsAccessKey) {
  EXPECT_EQ(Full("AKIAIOSFODNN7EXAMPLE"), "[REDACTED:api_key]");
  EXPECT_EQ(Full("AKIAIOSFODNN7EXAMPLEX"), "AKIAIOSFODNN7EXAMPLEX");  // 17 chars: not a key
}

TEST(RedactTest, GithubTokens) {
  EXPECT_EQ(Full("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), "[REDACTED:api_key]");
  EXPECT_EQ(Full("gho_ABCDEFGHIJKLMNOPQRSTUV"), "[REDACTED:api_key]");
  EXPECT_EQ(Full("github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "[REDACTED:api_key]");
}

TEST(RedactTest, SlackTokens) {
  EXPECT_EQ(Full("xoxb-123456789012-abcdefghij"), "[REDACTED:api_key]");
  EXPECT_EQ(Full("xoxp-1234-5678-abcdefgh"), "[REDACTED:api_key]");
}

TEST(RedactTest, GoogleApiKey) {
  EXPECT_EQ(Full("AIzaSyA-1234567890abcdefghijklmnopqrstu"), "[REDACTED:api_key]");
}

TEST(RedactTest, BearerTokenKeepsScheme) {
  EXPECT_EQ(Full("Authorization: Bearer abc.def-123_456~xyz"), "Authorization: Bearer [REDACTED:bearer_token]");
  EXPECT_EQ(Full("bearer of bad news"), "bearer of bad news");
}

TEST(RedactTest, BasicAuth) {
  EXPECT_EQ(Full("Authorization: Basic dXNlcjpwYXNzd29yZA=="), "Authorization: Basic [REDACTED:password]");
  EXPECT_EQ(Full("Basic functionality works"), "Basic functionality works");
}

TEST(RedactTest, Jwt) {
  std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  EXPECT_EQ(Full("token " + jwt + " ok"), "token [REDACTED:jwt] ok");
}

TEST(RedactTest, PasswordAssignments) {
  EXPECT_EQ(Full("db password=hunter2&x=1"), "db password=[REDACTED:password]&x=1");
  EXPECT_EQ(Full(R"({"password": "hunter2", "user": "bob"})"), R"({"password": "[REDACTED:password]", "user": "bob"})");
  EXPECT_EQ(Full("DB_PASSWORD: s3cr3t"), "DB_PASSWORD: [REDACTED:password]");
  EXPECT_EQ(Full("api_key=abc123"), "api_key=[REDACTED:api_key]");
  EXPECT_EQ(Full("the password is strong"), "the password is strong");
}

TEST(RedactTest, PemPrivateKey) {
  std::string pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
  EXPECT_EQ(Full("k: " + pem + " done"), "k: [REDACTED:private_key] done");
  EXPECT_EQ(Full("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----"),
            "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----");
}

TEST(RedactTest, UrlCredentialsKeepUserAndHost) {
  EXPECT_EQ(Full("postgres://admin:s3cret@db.internal:5432/app"), "postgres://admin:[REDACTED:password]@db.internal:5432/app");
  EXPECT_EQ(Full("https://example.com:8080/path"), "https://example.com:8080/path");
}

TEST(RedactTest, FullModeKeepsPii) {
  EXPECT_EQ(Full("mail bob@example.com or call 555-123-4567"), "mail bob@example.com or call 555-123-4567");
}

TEST(RedactTest, MaskEmail) {
  EXPECT_EQ(Mask("mail bob.smith+tag@mail.example.co.uk now"), "mail [REDACTED:email] now");
  EXPECT_EQ(Mask("user@localhost and @handle"), "user@localhost and @handle");
}

TEST(RedactTest, MaskPhones) {
  EXPECT_EQ(Mask("call 555-123-4567"), "call [REDACTED:phone]");
  EXPECT_EQ(Mask("call (555) 123-4567"), "call [REDACTED:phone]");
  EXPECT_EQ(Mask("call +44 20 7946 0958"), "call [REDACTED:phone]");
  EXPECT_EQ(Mask("call +14155552671."), "call [REDACTED:phone].");
}

TEST(RedactTest, MaskCardOnlyWhenLuhnValid) {
  EXPECT_EQ(Mask("card 4111 1111 1111 1111 exp"), "card [REDACTED:card] exp");
  EXPECT_EQ(Mask("card 4111-1111-1111-1111"), "card [REDACTED:card]");
  EXPECT_EQ(Mask("id 4111111111111112"), "id 4111111111111112");
}

TEST(RedactTest, MaskSsn) { EXPECT_EQ(Mask("ssn 123-45-6789."), "ssn [REDACTED:ssn]."); }

TEST(RedactTest, MaskIban) {
  EXPECT_EQ(Mask("pay to DE89 3704 0044 0532 0130 00 today"), "pay to [REDACTED:iban] today");
  EXPECT_EQ(Mask("GB82WEST12345698765432"), "[REDACTED:iban]");
  EXPECT_EQ(Mask("DE00 3704 0044 0532 0130 00"), "DE00 3704 0044 0532 0130 00");  // bad checksum
}

TEST(RedactTest, MaskAccountNumberNeedsContext) {
  EXPECT_EQ(Mask("account number 123456789012"), "account number [REDACTED:account]");
  EXPECT_EQ(Mask("request 123456789012"), "request 123456789012");
}

TEST(RedactTest, NumbersThatAreNotPii) {
  for (const char* s : {"2024-01-15 10:30:00", "version 1.2.3", "ts 1700000000123", "ip 192.168.1.10",
                        "tokens 4096", "price 1,234.56", "uuid 123e4567-e89b-12d3-a456-426614174000"}) {
    EXPECT_EQ(Mask(s), s);
  }
}

TEST(RedactTest, CountsReplacements) {
  int n = 0;
  R(PrivacyMode::kMask, "a@example.com b@example.org sk-abcdefghijklmnopqrstuvwxyz", &n);
  EXPECT_EQ(n, 3);
  R(PrivacyMode::kFull, "nothing here", &n);
  EXPECT_EQ(n, 0);
}

TEST(RedactTest, Idempotent) {
  std::string once = Mask("x bob@example.com sk-abcdefghijklmnopqrstuvwxyz password=1 555-123-4567");
  int n = -1;
  EXPECT_EQ(R(PrivacyMode::kMask, once, &n), once);
  EXPECT_EQ(n, 0);
}

TEST(RedactTest, JsonTextStaysValid) {
  std::string j = R"({"a":"mail bob@example.com","k":"Bearer abcdefghijklmnop1234","p":"4111111111111111"})";
  std::string r = Mask(j);
  EXPECT_NE(r, j);
  EXPECT_FALSE(nlohmann::json::parse(r, nullptr, false).is_discarded()) << r;
}

TEST(RedactTest, MetadataOnlyMasksLikeMask) {
  EXPECT_EQ(R(PrivacyMode::kMetadataOnly, "bob@example.com"), "[REDACTED:email]");
}

TEST(RedactTest, HostileInputsDoNotCrash) {
  std::string big(1 << 20, '@');
  EXPECT_EQ(Mask(big), big);
  std::string digits(1 << 20, '7');
  EXPECT_EQ(Mask(digits), digits);
  std::string mixed;
  for (int i = 0; i < 50000; ++i) mixed += "a@b.c sk- -----BEGIN PRIVATE KEY----- ://x:y@";
  std::string r = Mask(mixed);
  EXPECT_FALSE(r.empty());
  std::string empty;
  EXPECT_EQ(Redact(PrivacyMode::kMask, &empty), 0);
  EXPECT_EQ(Redact(PrivacyMode::kMask, nullptr), 0);
}

TEST(RedactTest, UnterminatedPemIsMaskedToEnd) {
  EXPECT_EQ(Full("-----BEGIN PRIVATE KEY-----\nMIIEv"), "[REDACTED:private_key]");
}

// NeedsRedaction is the allocation-free predicate the content cache relies on: it must agree
// with Redact on every input.
TEST(NeedsRedactionTest, AgreesWithRedact) {
  const char* samples[] = {
      "",
      "plain words only",
      "mail bob@example.com",
      "call 415-555-0134 now",
      "key sk-abcdefghijklmnopqrstuvwxyz",
      "Authorization: Bearer abcdef0123456789",
      "password=hunter2",
      "postgres://u:pw@db/x",
      "card 4111 1111 1111 1111",
      "ssn 123-45-6789",
      "IBAN GB82 WEST 1234 5698 7654 32",
      "account 123456789012",
      "order 12345 shipped",
      "-----BEGIN PRIVATE KEY-----\nMIIEv",
  };
  for (const char* sample : samples) {
    for (auto mode : {PrivacyMode::kFull, PrivacyMode::kMask}) {
      std::string copy = sample;
      const bool changed = Redact(mode, &copy) > 0;
      EXPECT_EQ(NeedsRedaction(mode, sample), changed) << sample << " mode " << ToString(mode);
    }
  }
  EXPECT_FALSE(NeedsRedaction(PrivacyMode::kFull, "mail bob@example.com"));
  EXPECT_TRUE(NeedsRedaction(PrivacyMode::kMask, "mail bob@example.com"));
}

// Redact scans 16 bytes at a time for candidate positions; it must agree with the byte-at-a-time
// scanner on every input, including matches that straddle block boundaries.
TEST(RedactScannerTest, BlockScannerMatchesScalarScanner) {
  const char* snippets[] = {"hello ", "bob@example.com", "sk-abcdefghijklmnopqrstuvwxyz0123", " ",
                            "415-555-0134", "(415) 555-0134", "+44 20 7946 0958", "4111 1111 1111 1111",
                            "123-45-6789", "password=hunter2", "\"api_key\": \"v\"", "Bearer abcdef0123456789",
                            "Basic dXNlcjpwYXNz", "eyJhbGciOi.eyJzdWIi.sig", "AKIAABCDEFGHIJKLMNOP",
                            "ghp_abcdefghijklmnopqrstuvwxyz", "xoxb-1234567890-abc", "postgres://u:pw@db/x",
                            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
                            "GB82 WEST 1234 5698 7654 32", "account 123456789012", "x1", "_9", ".5", "é",
                            "\xff", "a", "Z", "0", "-", ":", "@", "+", "(", ",", "\n", "\t", "abc123def"};
  uint64_t rng = 99;
  auto next = [&rng](uint64_t mod) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % mod;
  };
  int redacted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const int pieces = static_cast<int>(next(12));
    for (int k = 0; k < pieces; ++k) text += snippets[next(std::size(snippets))];
    for (auto mode : {PrivacyMode::kFull, PrivacyMode::kMask}) {
      std::string fast = text, scalar = text;
      const int n_fast = Redact(mode, &fast);
      const int n_scalar = internal::RedactScalarForTest(mode, &scalar);
      ASSERT_EQ(n_fast, n_scalar) << text;
      ASSERT_EQ(fast, scalar) << text;
      redacted += n_fast > 0;
    }
  }
  EXPECT_GT(redacted, 1000);
}

}  // namespace
}  // namespace tracery::ingest
