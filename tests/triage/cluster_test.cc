#include "triage/cluster.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <thread>

#include "testing/testing.h"
#include "triage/embed.h"

namespace tracery::triage {
namespace {

Classification Positive(const std::string& run_id, const std::string& excerpt, double confidence = 1.0) {
  Classification c;
  c.run_id = run_id;
  c.mode_id = "m";
  c.positive = true;
  c.excerpt = excerpt;
  c.confidence = confidence;
  return c;
}

std::set<std::string> RunIds(const Cluster& c) {
  std::set<std::string> s;
  for (const auto& m : c.members) s.insert(m.run_id);
  return s;
}

std::vector<Classification> TwoFailureFamilies() {
  return {
      Positive("r01", "I'm sorry, but I can't help with refund requests for this order."),
      Positive("r02", "I'm sorry, but I can't help with refund requests for that order."),
      Positive("r03", "I'm sorry, but I cannot help with refund requests for your order."),
      Positive("r04", "Sorry, but I can't help with refund requests for this order today."),
      Positive("r05", "I'm sorry, but I can't help with refund requests on this order."),
      Positive("r06", "I'm sorry but I can't help with refund requests for this order!"),
      Positive("r11", "tool search_orders timed out after 30s (deadline exceeded)"),
      Positive("r12", "tool search_orders timed out after 31s (deadline exceeded)"),
      Positive("r13", "tool search_orders timed out after 45s (deadline exceeded)"),
      Positive("r14", "tool search_orders timed out after 30s (deadline exceeded) retry 2"),
      Positive("r15", "tool search_orders timed out after 60s (deadline exceeded)"),
  };
}

TEST(TfIdfTest, IdenticalTextsAreAtDistanceZeroAndUnrelatedFar) {
  auto v = EmbedTfIdf({"the tool timed out", "the tool timed out", "refund declined by policy", ""});
  EXPECT_NEAR(CosineDistance(v[0], v[1]), 0.0, 1e-6);
  EXPECT_GT(CosineDistance(v[0], v[2]), 0.7);
  EXPECT_EQ(CosineDistance(v[0], v[3]), 1.0);  // an empty text is far from everything
  EXPECT_TRUE(v[3].index.empty());
  // Case and whitespace runs do not matter.
  auto w = EmbedTfIdf({"The  Tool\ttimed OUT", "the tool timed out"});
  EXPECT_NEAR(CosineDistance(w[0], w[1]), 0.0, 1e-6);
  // Vectors are L2-normalised.
  double norm = 0;
  for (float x : v[2].value) norm += static_cast<double>(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
}

TEST(TfIdfTest, LongAndNonAsciiTextIsCutSafely) {
  std::string long_text(100000, 'a');
  std::string utf8;
  for (int i = 0; i < 3000; ++i) utf8 += "\xC3\xA9";  // é
  TfIdfOptions o;
  o.max_chars = 101;  // lands inside a 2-byte sequence
  auto v = EmbedTfIdf({long_text, utf8, "\xff\xfe"}, o);
  EXPECT_FALSE(v[0].index.empty());
  EXPECT_FALSE(v[1].index.empty());
  EXPECT_EQ(v.size(), 3u);
}

TEST(ClusterIdTest, StableAndOrderIndependent) {
  EXPECT_EQ(ClusterId("mode.x", {"c", "a", "b"}), ClusterId("mode.x", {"a", "b", "c"}));
  // sha256("mode.x|a|b|c")[:12], the same id docket computes for the same members.
  EXPECT_EQ(ClusterId("mode.x", {"b", "c", "a"}), "f40f90117325");
  EXPECT_NE(ClusterId("mode.y", {"a", "b", "c"}), ClusterId("mode.x", {"a", "b", "c"}));
  EXPECT_NE(ClusterId("mode.x", {"a", "b"}), ClusterId("mode.x", {"a", "b", "c"}));
}

TEST(ClusterTest, VariantsOfOneFailureLandInOneCluster) {
  ClusterOptions o;
  o.min_cluster_size = 3;
  auto clusters = ClusterPositives("m", Severity::kHigh, TwoFailureFamilies(), {}, o);
  ASSERT_EQ(clusters.size(), 2u);
  // Largest first.
  EXPECT_EQ(RunIds(clusters[0]), (std::set<std::string>{"r01", "r02", "r03", "r04", "r05", "r06"}));
  EXPECT_EQ(RunIds(clusters[1]), (std::set<std::string>{"r11", "r12", "r13", "r14", "r15"}));
  for (const auto& c : clusters) {
    EXPECT_EQ(c.mode_id, "m");
    EXPECT_EQ(c.severity, Severity::kHigh);
    std::set<std::string> set = RunIds(c);
    std::vector<std::string> ids(set.begin(), set.end());
    EXPECT_EQ(c.cluster_id, ClusterId("m", ids));
  }
}

TEST(ClusterTest, InputOrderDoesNotChangeClusters) {
  ClusterOptions o;
  o.min_cluster_size = 3;
  auto items = TwoFailureFamilies();
  auto a = ClusterPositives("m", Severity::kHigh, items, {}, o);
  std::reverse(items.begin(), items.end());
  std::rotate(items.begin(), items.begin() + 4, items.end());
  auto b = ClusterPositives("m", Severity::kHigh, items, {}, o);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].cluster_id, b[i].cluster_id);
    ASSERT_EQ(a[i].members.size(), b[i].members.size());
    for (size_t j = 0; j < a[i].members.size(); ++j) EXPECT_EQ(a[i].members[j].run_id, b[i].members[j].run_id);
  }
}

TEST(ClusterTest, RepresentativeIsHighestConfidenceAndStatsAreComputed) {
  std::vector<Classification> items = {
      Positive("a", "loop detected: search called 12 times", 0.6),
      Positive("b", "loop detected: search called 14 times", 0.9),
      Positive("c", "loop detected: search called 13 times", 0.75),
  };
  ClusterOptions o;
  o.min_cluster_size = 3;
  o.strategy = "mode-only";
  auto clusters = ClusterPositives("loop", Severity::kMedium, items, {}, o);
  ASSERT_EQ(clusters.size(), 1u);
  ASSERT_EQ(clusters[0].members.size(), 3u);
  EXPECT_EQ(clusters[0].members[0].run_id, "b");
  EXPECT_EQ(clusters[0].members[1].run_id, "c");
  EXPECT_DOUBLE_EQ(clusters[0].max_confidence, 0.9);
  EXPECT_DOUBLE_EQ(clusters[0].min_confidence, 0.6);
  EXPECT_NEAR(clusters[0].mean_confidence, 0.75, 1e-9);
}

TEST(ClusterTest, ModeOnlyPutsEverythingInOneClusterAboveMinSize) {
  ClusterOptions o;
  o.strategy = "mode-only";
  o.min_cluster_size = 3;
  auto all = TwoFailureFamilies();
  auto clusters = ClusterPositives("m", Severity::kLow, all, {}, o);
  ASSERT_EQ(clusters.size(), 1u);
  EXPECT_EQ(clusters[0].members.size(), all.size());
  std::vector<Classification> two(all.begin(), all.begin() + 2);
  EXPECT_TRUE(ClusterPositives("m", Severity::kLow, two, {}, o).empty());
}

TEST(ClusterTest, NoiseAndSmallGroupsAreDropped) {
  auto items = TwoFailureFamilies();
  items.push_back(Positive("z1", "database connection pool exhausted: 64/64 in use"));
  items.push_back(Positive("z2", "unexpected end of JSON input at byte 4412"));
  ClusterOptions o;
  o.min_cluster_size = 3;
  ClusterReport r = ClusterPositivesDetailed("m", Severity::kHigh, items, {}, o, {});
  ASSERT_EQ(r.clusters.size(), 2u);
  EXPECT_EQ(r.positives, items.size());
  EXPECT_EQ(r.noise, 2u);
  for (const auto& c : r.clusters) {
    EXPECT_EQ(RunIds(c).count("z1"), 0u);
    EXPECT_EQ(RunIds(c).count("z2"), 0u);
  }
  EXPECT_EQ(r.embedding, "local:char-ngram-tfidf");
}

TEST(ClusterTest, FallbackTextAndDuplicatesAndCap) {
  // No excerpts: the fallback text (final responses) decides.
  std::vector<Classification> items;
  std::map<std::string, std::string> fallback;
  for (int i = 0; i < 4; ++i) {
    std::string id = "f" + std::to_string(i);
    items.push_back(Positive(id, ""));
    fallback[id] = "The answer is 42 because the table says so (" + std::to_string(i) + ")";
  }
  for (int i = 0; i < 4; ++i) {
    std::string id = "g" + std::to_string(i);
    items.push_back(Positive(id, ""));
    fallback[id] = "Error: permission denied while writing /var/data/out" + std::to_string(i) + ".csv";
  }
  items.push_back(Positive("f0", "", 0.2));  // duplicate run: counted once
  ClusterOptions o;
  o.min_cluster_size = 3;
  ClusterReport r = ClusterPositivesDetailed("m", Severity::kHigh, items, fallback, o, {});
  EXPECT_EQ(r.positives, 8u);
  ASSERT_EQ(r.clusters.size(), 2u);
  EXPECT_EQ(r.clusters[0].members.size() + r.clusters[1].members.size(), 8u);
  for (const auto& c : r.clusters) {
    std::set<char> families;
    for (const auto& m : c.members) families.insert(m.run_id[0]);
    EXPECT_EQ(families.size(), 1u);
  }
  ClusterRunOptions capped;
  capped.max_members = 5;
  ClusterReport rc = ClusterPositivesDetailed("m", Severity::kHigh, items, fallback, o, capped);
  EXPECT_EQ(rc.unclustered, 3u);
  size_t clustered = rc.noise;
  for (const auto& c : rc.clusters) clustered += c.members.size();
  EXPECT_EQ(clustered, 5u);
}

TEST(ClusterTest, PlaceholderTextStillClustersWithModeOnlyFallback) {
  // Without any text every member gets a distinct placeholder; the local embedding keeps them
  // apart or together deterministically, and never crashes.
  std::vector<Classification> items;
  for (int i = 0; i < 5; ++i) items.push_back(Positive("p" + std::to_string(i), ""));
  ClusterOptions o;
  o.min_cluster_size = 3;
  auto a = ClusterPositives("m", Severity::kHigh, items, {}, o);
  auto b = ClusterPositives("m", Severity::kHigh, items, {}, o);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].cluster_id, b[i].cluster_id);
}

// A fake OpenAI-compatible embeddings endpoint: the vector is one-hot on the first character class
// of the input, returned in reverse order with `index` fields.
class FakeEmbeddings {
 public:
  explicit FakeEmbeddings(int status = 200) {
    server_.Post("/v1/embeddings", [this, status](const httplib::Request& req, httplib::Response& res) {
      auth_ = req.get_header_value("Authorization");
      auto j = nlohmann::json::parse(req.body);
      model_ = j["model"].get<std::string>();
      if (status != 200) {
        res.status = status;
        res.set_content(R"({"error":{"message":"nope"}})", "application/json");
        return;
      }
      nlohmann::json data = nlohmann::json::array();
      const auto& input = j["input"];
      for (size_t i = input.size(); i-- > 0;) {
        std::string s = input[i].get<std::string>();
        std::vector<float> v = {s[0] == 'x' ? 1.0f : 0.0f, s[0] == 'x' ? 0.0f : 1.0f, 0.01f * static_cast<float>(i)};
        data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", v}});
      }
      res.set_content(nlohmann::json{{"object", "list"}, {"data", data}}.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeEmbeddings() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string auth_, model_;

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(ClusterTest, RemoteEmbeddingsEndpoint) {
  FakeEmbeddings fake;
  std::vector<Classification> items;
  // The texts are unrelated for TF-IDF, but the remote vectors put the x* and y* groups together.
  for (const char* t : {"x alpha", "x 123 zzz", "x qqq", "x ---"}) items.push_back(Positive(std::string("a") + t, t));
  for (const char* t : {"y omega", "y 987", "y ppp", "y ###"}) items.push_back(Positive(std::string("b") + t, t));
  ClusterOptions o;
  o.min_cluster_size = 3;
  o.similarity_threshold = 0.9;
  ClusterRunOptions ro;
  ro.remote.base_url = fake.url();
  ro.remote.api_key = "k-123";
  ro.remote.model = "text-embedding-3-small";
  ro.remote.batch_size = 3;  // several requests
  ClusterReport r = ClusterPositivesDetailed("m", Severity::kHigh, items, {}, o, ro);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.embedding, "remote:text-embedding-3-small");
  EXPECT_EQ(fake.auth_, "Bearer k-123");
  ASSERT_EQ(r.clusters.size(), 2u);
  for (const auto& c : r.clusters) {
    std::set<char> families;
    for (const auto& m : c.members) families.insert(m.run_id[0]);
    EXPECT_EQ(families.size(), 1u);
    EXPECT_EQ(c.members.size(), 4u);
  }
}

TEST(ClusterTest, RemoteEmbeddingFailureFallsBackToLocal) {
  FakeEmbeddings fake(500);
  ClusterRunOptions ro;
  ro.remote.base_url = fake.url();
  ClusterOptions o;
  o.min_cluster_size = 3;
  ClusterReport r = ClusterPositivesDetailed("m", Severity::kHigh, TwoFailureFamilies(), {}, o, ro);
  EXPECT_NE(r.error.find("http 500"), std::string::npos) << r.error;
  EXPECT_EQ(r.embedding, "local:char-ngram-tfidf");
  EXPECT_EQ(r.clusters.size(), 2u);
}

TEST(EmbedRemoteTest, MalformedResponsesAreErrors) {
  httplib::Server server;
  server.Post("/v1/embeddings", [](const httplib::Request& req, httplib::Response& res) {
    std::string which = nlohmann::json::parse(req.body)["input"][0];
    if (which == "notjson") res.set_content("<html>", "text/html");
    if (which == "short") res.set_content(R"({"data":[]})", "application/json");
    if (which == "badindex") res.set_content(R"({"data":[{"index":7,"embedding":[1]}]})", "application/json");
    if (which == "strings") res.set_content(R"({"data":[{"index":0,"embedding":["a"]}]})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  RemoteEmbeddingOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  for (const char* which : {"notjson", "short", "badindex", "strings"}) {
    auto r = EmbedRemote({which}, o);
    EXPECT_STATUS(r, StatusCode::kInvalidArgument) << which;
  }
  o.base_url = "ftp://nowhere";
  EXPECT_STATUS(EmbedRemote({"a"}, o), StatusCode::kInvalidArgument);
  server.stop();
  t.join();
}

}  // namespace
}  // namespace tracery::triage
