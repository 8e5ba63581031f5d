#include "traffic_gen.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery::bench {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::Span;

TrafficOptions Small() {
  TrafficOptions o;
  o.runs = 60;
  o.steps_per_run = 14;
  o.spans_per_batch = 64;
  o.min_message_bytes = 100;
  o.max_message_bytes = 300;
  return o;
}

std::vector<Span> AllSpans(const Traffic& t) {
  std::vector<Span> out;
  for (const auto& b : t.batches) {
    ExportTraceServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(b));
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) out.push_back(s);
      }
    }
  }
  return out;
}

std::string Attr(const Span& s, const std::string& key) {
  for (const auto& kv : s.attributes()) {
    if (kv.key() == key) {
      if (kv.value().has_int_value()) return std::to_string(kv.value().int_value());
      return kv.value().string_value();
    }
  }
  return "";
}

TEST(TrafficGenTest, SameSeedGivesIdenticalBytes) {
  Traffic a = GenerateTraffic(Small());
  Traffic b = GenerateTraffic(Small());
  ASSERT_EQ(a.batches.size(), b.batches.size());
  for (size_t i = 0; i < a.batches.size(); ++i) EXPECT_EQ(a.batches[i], b.batches[i]) << i;
}

TEST(TrafficGenTest, DifferentSeedGivesDifferentBytes) {
  TrafficOptions o = Small();
  Traffic a = GenerateTraffic(o);
  o.seed += 1;
  Traffic b = GenerateTraffic(o);
  EXPECT_NE(a.batches.front(), b.batches.front());
}

TEST(TrafficGenTest, CountsAndBatchSizesAreConsistent) {
  TrafficOptions o = Small();
  Traffic t = GenerateTraffic(o);
  EXPECT_EQ(t.runs, o.runs);
  std::vector<Span> spans = AllSpans(t);
  EXPECT_EQ(static_cast<int64_t>(spans.size()), t.spans);
  int64_t sum = 0, bytes = 0;
  for (size_t i = 0; i < t.batches.size(); ++i) {
    sum += t.batch_spans[i];
    bytes += static_cast<int64_t>(t.batches[i].size());
    if (i + 1 < t.batches.size()) {
      EXPECT_EQ(t.batch_spans[i], o.spans_per_batch);
    }
    EXPECT_LE(t.batch_spans[i], o.spans_per_batch);
  }
  EXPECT_EQ(sum, t.spans);
  EXPECT_EQ(bytes, t.bytes);
  // Runs land near their span budget: not fewer than the budget, at most a turn over.
  std::map<std::string, int> per_run;
  for (const auto& s : spans) per_run[s.trace_id()]++;
  EXPECT_EQ(static_cast<int64_t>(per_run.size()), o.runs);
  for (const auto& [id, n] : per_run) {
    EXPECT_GE(n, o.steps_per_run - 3);
    EXPECT_LE(n, o.steps_per_run + 4);
  }
}

TEST(TrafficGenTest, EveryRunHasOneRootAndValidParents) {
  Traffic t = GenerateTraffic(Small());
  std::map<std::string, std::set<std::string>> ids;
  std::map<std::string, int> roots;
  std::vector<Span> spans = AllSpans(t);
  for (const auto& s : spans) {
    EXPECT_EQ(s.trace_id().size(), 16u);
    EXPECT_EQ(s.span_id().size(), 8u);
    EXPECT_TRUE(ids[s.trace_id()].insert(s.span_id()).second) << "duplicate span id";
    EXPECT_LE(s.start_time_unix_nano(), s.end_time_unix_nano());
    if (s.parent_span_id().empty()) roots[s.trace_id()]++;
  }
  for (const auto& s : spans) {
    if (!s.parent_span_id().empty()) {
      EXPECT_TRUE(ids[s.trace_id()].count(s.parent_span_id())) << s.name();
    }
  }
  EXPECT_EQ(roots.size(), ids.size());
  for (const auto& [id, n] : roots) EXPECT_EQ(n, 1);
}

TEST(TrafficGenTest, ConversationGrowsAndIsResent) {
  Traffic t = GenerateTraffic(Small());
  // Per run, each chat call's input re-sends the previous call's input as a prefix.
  std::map<std::string, std::vector<nlohmann::json>> inputs;
  for (const auto& s : AllSpans(t)) {
    std::string in = Attr(s, "gen_ai.input.messages");
    if (!in.empty()) inputs[s.trace_id()].push_back(nlohmann::json::parse(in));
  }
  int grew = 0;
  for (const auto& [id, calls] : inputs) {
    for (size_t i = 1; i < calls.size(); ++i) {
      ASSERT_GE(calls[i].size(), calls[i - 1].size());
      for (size_t m = 0; m < calls[i - 1].size(); ++m) EXPECT_EQ(calls[i][m], calls[i - 1][m]);
      if (calls[i].size() > calls[i - 1].size()) ++grew;
    }
  }
  EXPECT_GT(grew, 50);
}

TEST(TrafficGenTest, MessageSizesFollowOptions) {
  TrafficOptions o = Small();
  o.min_message_bytes = 500;
  o.max_message_bytes = 500;
  Traffic t = GenerateTraffic(o);
  int checked = 0;
  for (const auto& s : AllSpans(t)) {
    std::string in = Attr(s, "gen_ai.input.messages");
    if (in.empty()) continue;
    auto msgs = nlohmann::json::parse(in);
    for (const auto& m : msgs) {
      if (m["role"] == "user") {
        EXPECT_EQ(m["parts"][0]["content"].get<std::string>().size(), 500u);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(TrafficGenTest, ContainsRetriesErrorsToolsRetrievalAndHandoffs) {
  TrafficOptions o = Small();
  o.runs = 200;
  Traffic t = GenerateTraffic(o);
  EXPECT_GT(t.llm_spans, 0);
  EXPECT_GT(t.tool_spans, 0);
  EXPECT_GT(t.retrieval_spans, 0);
  EXPECT_GT(t.retry_spans, 0);
  EXPECT_GT(t.error_spans, 0);
  EXPECT_GT(t.handoffs, 0);
  EXPECT_GT(t.failed_runs, 0);
  std::set<std::string> error_types;
  std::map<std::string, std::string> span_status_error;
  int retries_linked = 0;
  std::map<std::string, const Span*> by_id;
  std::vector<Span> spans = AllSpans(t);
  for (const auto& s : spans) by_id[s.span_id()] = &s;
  for (const auto& s : spans) {
    std::string et = Attr(s, "error.type");
    if (!et.empty()) error_types.insert(et);
    std::string retry_of = Attr(s, "tracery.step.retry_of");
    if (!retry_of.empty()) {
      EXPECT_EQ(retry_of.size(), 16u);
      ++retries_linked;
    }
    if (s.name().rfind("execute_tool transfer_to_", 0) == 0) {
      EXPECT_FALSE(Attr(s, "gen_ai.tool.call.id").empty());
    }
  }
  EXPECT_GT(retries_linked, 0);
  // Several failure kinds, not one.
  EXPECT_GE(error_types.size(), 5u);
  EXPECT_TRUE(error_types.count("RateLimitError"));
  EXPECT_TRUE(error_types.count("TimeoutError"));
  EXPECT_TRUE(error_types.count("context_length_exceeded"));
}

TEST(TrafficGenTest, RowsSplitContentFromAttributes) {
  Traffic t = GenerateTraffic(Small());
  std::vector<SpanRow> rows;
  for (const auto& b : t.batches) ASSERT_TRUE(RowsFromBatch(b, &rows));
  ASSERT_EQ(static_cast<int64_t>(rows.size()), t.spans);
  int with_content = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r.run_id.size(), 32u);
    EXPECT_EQ(r.step_id.size(), 16u);
    auto attrs = nlohmann::json::parse(r.attributes_json);
    auto content = nlohmann::json::parse(r.content_json);
    EXPECT_FALSE(attrs.contains("gen_ai.input.messages"));
    if (content.contains("gen_ai.input.messages")) {
      ++with_content;
      EXPECT_TRUE(attrs.contains("gen_ai.request.model"));
    }
  }
  EXPECT_GT(with_content, 0);
}

TEST(TrafficGenTest, RowsFromBatchRejectsGarbage) {
  std::vector<SpanRow> rows;
  EXPECT_FALSE(RowsFromBatch(std::string("\xff\xff\xff\xff", 4), &rows));
  EXPECT_TRUE(rows.empty());
}

TEST(TrafficGenTest, RewriteTraceIdsMakesFreshRunsAndKeepsEverythingElse) {
  Traffic t = GenerateTraffic(Small());
  const std::string& batch = t.batches.front();
  std::vector<size_t> offsets = TraceIdOffsets(batch);
  ASSERT_EQ(static_cast<int>(offsets.size()), t.batch_spans.front());

  auto spans_of = [](const std::string& b) {
    ExportTraceServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(b));
    std::vector<Span> out;
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) out.push_back(s);
    return out;
  };
  std::string same = batch;
  RewriteTraceIds(offsets, 0, &same);
  EXPECT_EQ(same, batch);

  std::string c1 = batch, c2 = batch;
  RewriteTraceIds(offsets, 1, &c1);
  RewriteTraceIds(offsets, 2, &c2);
  std::vector<Span> orig = spans_of(batch), s1 = spans_of(c1), s2 = spans_of(c2);
  ASSERT_EQ(orig.size(), s1.size());
  ASSERT_EQ(orig.size(), s2.size());
  std::set<std::string> orig_ids, ids1;
  std::map<std::string, std::string> mapping;  // original trace id -> rewritten
  for (size_t i = 0; i < orig.size(); ++i) {
    EXPECT_NE(orig[i].trace_id(), s1[i].trace_id());
    EXPECT_NE(s1[i].trace_id(), s2[i].trace_id());
    EXPECT_EQ(orig[i].span_id(), s1[i].span_id());
    EXPECT_EQ(orig[i].name(), s1[i].name());
    EXPECT_EQ(orig[i].attributes_size(), s1[i].attributes_size());
    auto [it, inserted] = mapping.emplace(orig[i].trace_id(), s1[i].trace_id());
    EXPECT_EQ(it->second, s1[i].trace_id()) << "spans of one run must stay in one run";
    orig_ids.insert(orig[i].trace_id());
    ids1.insert(s1[i].trace_id());
  }
  EXPECT_EQ(orig_ids.size(), ids1.size());
}

TEST(TrafficGenTest, TraceIdOffsetsOfGarbageIsEmpty) {
  EXPECT_TRUE(TraceIdOffsets(std::string("\x0a\x10garbage", 9)).empty());
}

TEST(TrafficGenTest, ProbeRequestIsASingleRootSpan) {
  std::string trace(16, '\x11'), span(8, '\x22');
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(MakeProbeRequest(trace, span, 1000)));
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& s = req.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.trace_id(), trace);
  EXPECT_EQ(s.span_id(), span);
  EXPECT_TRUE(s.parent_span_id().empty());
}

}  // namespace
}  // namespace tracery::bench
