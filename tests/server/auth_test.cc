#include "server/auth.h"

#include "server/http_status.h"
#include "server/ingest_pipeline.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

std::string B64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (in.size() - i == 1) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

Authenticator MakeAuth() {
  return Authenticator({ApiKey{"ingest-key", true, false}, ApiKey{"read-key", false, true},
                        ApiKey{"sk-lf-secret", true, true}, ApiKey{"pk:sk", true, true}});
}

TEST(AuthTest, DisabledAllowsEverything) {
  Authenticator auth({});
  EXPECT_FALSE(auth.enabled());
  EXPECT_OK(auth.Check({}, Scope::kIngest));
}

TEST(AuthTest, BearerAndApiKeyHeader) {
  Authenticator auth = MakeAuth();
  EXPECT_OK(auth.Check({"Bearer ingest-key", ""}, Scope::kIngest));
  EXPECT_OK(auth.Check({"bearer   ingest-key ", ""}, Scope::kIngest));
  EXPECT_OK(auth.Check({"", "read-key"}, Scope::kRead));
}

TEST(AuthTest, MissingOrWrongKeyIsUnauthenticated) {
  Authenticator auth = MakeAuth();
  EXPECT_STATUS(auth.Check({}, Scope::kRead), StatusCode::kUnauthenticated);
  EXPECT_STATUS(auth.Check({"Bearer nope", ""}, Scope::kRead), StatusCode::kUnauthenticated);
  EXPECT_STATUS(auth.Check({"Bearer ingest-ke", ""}, Scope::kIngest), StatusCode::kUnauthenticated);
  EXPECT_STATUS(auth.Check({"Bearer ", ""}, Scope::kIngest), StatusCode::kUnauthenticated);
  EXPECT_STATUS(auth.Check({"Digest x", ""}, Scope::kIngest), StatusCode::kUnauthenticated);
  EXPECT_STATUS(auth.Check({"Basic !!!", ""}, Scope::kIngest), StatusCode::kUnauthenticated);
}

TEST(AuthTest, ScopeIsEnforced) {
  Authenticator auth = MakeAuth();
  Status st = auth.Check({"Bearer ingest-key", ""}, Scope::kRead);
  EXPECT_STATUS(st, StatusCode::kPermissionDenied);
  EXPECT_THAT(st.message(), ::testing::HasSubstr("read"));
  EXPECT_STATUS(auth.Check({"", "read-key"}, Scope::kIngest), StatusCode::kPermissionDenied);
}

TEST(AuthTest, BasicPasswordOrWholePair) {
  Authenticator auth = MakeAuth();
  // Langfuse SDKs: Basic base64(public_key:secret_key); the secret key is the API key.
  EXPECT_OK(auth.Check({"Basic " + B64("pk-lf-public:sk-lf-secret"), ""}, Scope::kIngest));
  // The whole user:pass may also be the key.
  EXPECT_OK(auth.Check({"Basic " + B64("pk:sk"), ""}, Scope::kIngest));
  EXPECT_STATUS(auth.Check({"Basic " + B64("pk-lf-public:wrong"), ""}, Scope::kIngest),
                StatusCode::kUnauthenticated);
}

TEST(AuthTest, Base64Decode) {
  std::string out;
  ASSERT_TRUE(Base64Decode(B64("hello:world!"), &out));
  EXPECT_EQ(out, "hello:world!");
  ASSERT_TRUE(Base64Decode("aGk", &out));  // padding optional
  EXPECT_EQ(out, "hi");
  EXPECT_FALSE(Base64Decode("a", &out));
  EXPECT_FALSE(Base64Decode("a b", &out));
}

TEST(AddressTest, ParseHostPort) {
  std::string host;
  int port = -1;
  ASSERT_OK(ParseHostPort("127.0.0.1:4318", "http_address", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 4318);
  ASSERT_OK(ParseHostPort("[::1]:0", "http_address", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  Status st = ParseHostPort("localhost", "grpc_address", &host, &port);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), ::testing::HasSubstr("grpc_address"));
  EXPECT_STATUS(ParseHostPort("h:99999", "a", &host, &port), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ParseHostPort("h:x1", "a", &host, &port), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ParseHostPort(":80", "a", &host, &port), StatusCode::kInvalidArgument);
  EXPECT_STATUS(ParseHostPort("::1:80", "a", &host, &port), StatusCode::kInvalidArgument);
}

TEST(AddressTest, Loopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("127.example.com"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
}

TEST(HttpStatusTest, OneMapping) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDataLoss), 500);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInvalidArgument), 3);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kResourceExhausted), 8);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kUnavailable), 14);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kUnauthenticated), 16);
  EXPECT_EQ(ApiErrorJson(InvalidArgumentError("limit: \"x\" is not a number")),
            R"({"error":{"code":"INVALID_ARGUMENT","message":"limit: \"x\" is not a number"}})");
  // Invalid UTF-8 in a message must not throw.
  EXPECT_THAT(ApiErrorJson(InvalidArgumentError("bad \xff byte")), ::testing::HasSubstr("bad"));
}

TEST(MediaTypeTest, ParsesIgnoringParametersAndCase) {
  EXPECT_EQ(ParseMediaType("application/x-protobuf"), Encoding::kProto);
  EXPECT_EQ(ParseMediaType("Application/JSON; charset=utf-8"), Encoding::kJson);
  EXPECT_EQ(ParseMediaType(" application/json ;x=y"), Encoding::kJson);
  EXPECT_EQ(ParseMediaType("text/plain"), std::nullopt);
  EXPECT_EQ(ParseMediaType(""), std::nullopt);
  EXPECT_EQ(ParseMediaType("application/jsonx"), std::nullopt);
  EXPECT_EQ(ParseContentEncoding(""), BodyEncoding::kIdentity);
  EXPECT_EQ(ParseContentEncoding("GZIP"), BodyEncoding::kGzip);
  EXPECT_EQ(ParseContentEncoding("deflate"), BodyEncoding::kDeflate);
  EXPECT_EQ(ParseContentEncoding("br"), std::nullopt);
  EXPECT_EQ(ParseContentEncoding("gzip, gzip"), std::nullopt);
}

}  // namespace
}  // namespace tracery::server
