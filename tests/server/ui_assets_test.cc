// The embedded web UI: routing, content types, caching headers and precompressed gzip.
#include "server/ui_assets.h"

#include <httplib.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/compression.h"
#include "test_util.h"
#include "testing/testing.h"

namespace tracery::server {
namespace {

using ::testing::HasSubstr;
using testing::FakeStore;
using testing::LocalOptions;

class UiAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, CreateServer(LocalOptions(), {}, &store_));
    ASSERT_OK(server_->Start());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // A client that neither asks for nor undoes compression, so headers and bytes are as sent.
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->http_port());
    c.set_decompress(false);
    c.set_read_timeout(30, 0);
    return c;
  }
  static bool Built() { return !UiAssets().empty(); }

  FakeStore store_;
  std::unique_ptr<Server> server_;
};

TEST(UiAssetTable, SortedUniqueAndConsistent) {
  auto all = UiAssets();
  for (size_t i = 0; i < all.size(); ++i) {
    const UiAsset& a = all[i];
    EXPECT_EQ(a.path.substr(0, 1), "/") << a.path;
    if (i > 0) {
      EXPECT_LT(all[i - 1].path, a.path);
    }
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
    EXPECT_EQ(FindUiAsset(a.path), &a);
    EXPECT_EQ(a.immutable, a.path.rfind("/assets/", 0) == 0) << a.path;
    if (!a.gzip.empty()) {
      std::string inflated;
      ASSERT_OK(GunzipCapped(a.gzip, a.body.size() + 1, &inflated));
      EXPECT_EQ(inflated, a.body) << a.path;
      EXPECT_LT(a.gzip.size(), a.body.size());
    }
  }
  EXPECT_EQ(FindUiAsset("/nope.js"), nullptr);
  EXPECT_EQ(FindUiAsset(""), nullptr);
}

// Every src="..." and href="..." value in the page. (Plain scanning: std::regex trips GCC 12's
// -Wmaybe-uninitialized under -O1 with sanitizers.)
std::vector<std::string> LinkValues(const std::string& html) {
  std::vector<std::string> out;
  for (std::string_view key : {std::string_view("src=\""), std::string_view("href=\"")}) {
    for (size_t p = html.find(key); p != std::string::npos; p = html.find(key, p + 1)) {
      size_t start = p + key.size();
      size_t end = html.find('"', start);
      if (end == std::string::npos) break;
      out.push_back(html.substr(start, end - start));
    }
  }
  return out;
}

TEST(UiAssetTable, IndexReferencesOnlyEmbeddedAssets) {
  const UiAsset* index = FindUiAsset("/index.html");
  if (index == nullptr) GTEST_SKIP() << "web UI not built into this binary (TRACERY_BUILD_UI off or npm missing)";
  std::string html(index->body);
  int refs = 0;
  for (std::string v : LinkValues(html)) {
    // No network at run time: nothing loaded from another origin.
    EXPECT_FALSE(v.rfind("http:", 0) == 0 || v.rfind("https:", 0) == 0 || v.rfind("//", 0) == 0) << v;
    if (v.rfind("./", 0) == 0) v.erase(0, 1);
    if (v.rfind("/assets/", 0) != 0) continue;
    ++refs;
    EXPECT_NE(FindUiAsset(v), nullptr) << v;
  }
  EXPECT_GE(refs, 1) << html;
}

TEST_F(UiAssetsTest, IndexIsServedWithRevalidation) {
  auto res = Client().Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
  EXPECT_THAT(res->body, HasSubstr("<title>Tracery</title>"));
  if (!Built()) {
    EXPECT_THAT(res->body, HasSubstr("not built"));
    return;
  }
  EXPECT_THAT(res->body, HasSubstr("id=\"app\""));
  std::string etag = res->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = Client().Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto stale = Client().Get("/", {{"If-None-Match", "\"something-else\""}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
}

TEST_F(UiAssetsTest, HashedAssetsAreImmutableWithTypesAndGzip) {
  if (!Built()) GTEST_SKIP() << "web UI not built into this binary";
  int js = 0, gz = 0;
  for (const UiAsset& a : UiAssets()) {
    if (a.path == "/index.html") continue;
    SCOPED_TRACE(std::string(a.path));
    auto plain = Client().Get(std::string(a.path), {{"Accept-Encoding", "identity"}});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->status, 200);
    EXPECT_EQ(plain->get_header_value("Content-Type"), a.content_type);
    EXPECT_EQ(plain->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(plain->get_header_value("ETag"), a.etag);
    EXPECT_FALSE(plain->has_header("Content-Encoding"));
    EXPECT_EQ(plain->body, a.body);
    if (a.path.ends_with(".js")) {
      ++js;
      EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
    }
    if (a.gzip.empty()) continue;
    ++gz;
    auto zipped = Client().Get(std::string(a.path), {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(zipped);
    EXPECT_EQ(zipped->status, 200);
    EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
    EXPECT_EQ(zipped->get_header_value("Vary"), "Accept-Encoding");
    // Compressed exactly once: inflating gives the original bytes.
    std::string inflated;
    ASSERT_OK(GunzipCapped(zipped->body, a.body.size() + 1, &inflated));
    EXPECT_EQ(inflated, a.body);
    auto other = Client().Get(std::string(a.path), {{"Accept-Encoding", "deflate"}});
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->has_header("Content-Encoding"));
    EXPECT_EQ(other->body, a.body);
  }
  EXPECT_GE(js, 1);
  EXPECT_GE(gz, 1);
}

TEST_F(UiAssetsTest, UnknownAssetIsJson404) {
  auto res = Client().Get("/assets/does-not-exist.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("NOT_FOUND"));
  // Path tricks do not reach the file system: assets come from memory only.
  auto trick = Client().Get("/assets/..%2F..%2Fetc%2Fpasswd");
  ASSERT_TRUE(trick);
  EXPECT_EQ(trick->status, 404);
}

TEST_F(UiAssetsTest, FacetsRouteIsNotARunId) {
  auto res = Client().Get("/api/runs/facets?status=failed");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr("\"facets\""));
  auto bad = Client().Get("/api/runs/facets?bogus=1");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("bogus"));
}

}  // namespace
}  // namespace tracery::server
