// LangGraph graphs traced by the stock OpenInference LangChain instrumentation: graphs become agent
// steps, spans inside a sub-graph belong to the agent named after the node that runs it.
//
// The attribute sets are taken from spans captured on 2026-11-22 from examples/langgraph/agent.mjs
// (graph "weather-agent") and examples/langgraph/multi_agent.mjs (graph "travel-supervisor" with
// createReactAgent sub-graphs "flight_agent" / "hotel_agent"), @langchain/langgraph 1.7.3,
// @arizeai/openinference-instrumentation-langchain 4.1.1: metadata strings are verbatim except
// that uuids are shortened.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ingest/internal/conventions.h"
#include "ingest/normalizer.h"
#include "ingest/span_builder.h"
#include "model/summarize.h"

namespace tracery::ingest {
namespace {

using internal::ParseLangGraphMetadata;
using model::StepType;
using testing::SpanBuilder;
using testing::Val;

// Root graph run: LangGraph's Pregel adds ls_integration; no node keys.
constexpr const char* kGraphMeta = R"({"ls_integration":"langgraph","thread_id":"sess-81772b88-5eb"})";
// A node of the root graph ("agent") and the runs inside it.
constexpr const char* kNodeMeta =
    R"({"ls_integration":"langgraph","thread_id":"sess-81772b88-5eb","langgraph_step":1,"langgraph_node":"agent",)"
    R"("langgraph_triggers":["branch:to:agent"],"langgraph_path":["__pregel_pull","agent"],)"
    R"("langgraph_checkpoint_ns":"agent:01f2458c","checkpoint_ns":"agent:01f2458c"})";
// The chat model inside that node: ls_integration is overwritten by LangChain's own.
constexpr const char* kNodeLlmMeta =
    R"({"ls_integration":"langchain_chat_model","thread_id":"sess-81772b88-5eb","langgraph_step":1,)"
    R"("langgraph_node":"agent","langgraph_triggers":["branch:to:agent"],"langgraph_path":["__pregel_pull","agent"],)"
    R"("langgraph_checkpoint_ns":"agent:01f2458c","checkpoint_ns":"agent:01f2458c","ls_model_type":"chat",)"
    R"("ls_provider":"ScriptedChatModel","versions":{"@langchain/core":"1.4.0"}})";
// Node "flight_agent" of travel-supervisor runs a compiled sub-graph: the node span and the
// sub-graph span both carry this metadata.
constexpr const char* kHostMeta =
    R"({"ls_integration":"langgraph","thread_id":"sess-2c4f5d55-5a1","langgraph_step":3,"langgraph_node":"flight_agent",)"
    R"("langgraph_triggers":["branch:to:flight_agent"],"langgraph_path":["__pregel_pull","flight_agent"],)"
    R"("langgraph_checkpoint_ns":"flight_agent:597f8d57","checkpoint_ns":"flight_agent:597f8d57"})";
// Node "tools" inside the flight_agent sub-graph, and the tool run inside it.
constexpr const char* kSubNodeMeta =
    R"({"ls_integration":"langgraph","thread_id":"sess-2c4f5d55-5a1","langgraph_step":2,"langgraph_node":"tools",)"
    R"("langgraph_triggers":["branch:to:tools"],"langgraph_path":["__pregel_pull","tools"],)"
    R"("langgraph_checkpoint_ns":"flight_agent:597f8d57|tools:fa30285a","checkpoint_ns":"flight_agent:597f8d57|tools:fa30285a"})";
// The chat model inside the sub-graph's "agent" node.
constexpr const char* kSubLlmMeta =
    R"({"ls_integration":"langchain_chat_model","thread_id":"sess-2c4f5d55-5a1","langgraph_step":1,)"
    R"("langgraph_node":"agent","langgraph_checkpoint_ns":"flight_agent:597f8d57|agent:96f8ba9b",)"
    R"("checkpoint_ns":"flight_agent:597f8d57|agent:96f8ba9b","ls_model_type":"chat","ls_provider":"ScriptedChatModel"})";
NormalizedBatch Normalize(const TraceBatch& b) {
  NormalizedBatch out;
  Normalizer(NormalizeOptions{}).NormalizeTraces(b, 42, &out);
  return out;
}

model::Step One(const TraceBatch& b) {
  auto out = Normalize(b);
  EXPECT_EQ(out.steps.size(), 1u);
  return out.steps.empty() ? model::Step{} : out.steps.front();
}

// An OpenInference LangChain span as the instrumentation exports it.
SpanBuilder OiSpan(TraceBatch* b, std::string_view name, std::string_view kind, const char* metadata,
                   std::string_view span_hex = "00f067aa0ba902b7") {
  SpanBuilder s(b, span_hex);
  s.Name(name).Scope("@arizeai/openinference-instrumentation-langchain");
  s.Attr("openinference.span.kind", Val(kind)).Attr("input.mime_type", "application/json");
  if (metadata != nullptr) s.Attr("metadata", Val(metadata));
  return s;
}

// --- metadata parsing ------------------------------------------------------------------------

TEST(LangGraphMetadataTest, GraphNodeAndSubgraphHost) {
  auto graph = ParseLangGraphMetadata(kGraphMeta);
  ASSERT_TRUE(graph.has_value());
  EXPECT_TRUE(graph->is_graph);
  EXPECT_EQ(graph->node, "");
  EXPECT_EQ(graph->subgraph_host, "");

  auto node = ParseLangGraphMetadata(kNodeMeta);
  ASSERT_TRUE(node.has_value());
  EXPECT_FALSE(node->is_graph);
  EXPECT_EQ(node->node, "agent");
  EXPECT_EQ(node->subgraph_host, "");

  auto llm = ParseLangGraphMetadata(kNodeLlmMeta);  // no ls_integration langgraph, still LangGraph
  ASSERT_TRUE(llm.has_value());
  EXPECT_FALSE(llm->is_graph);
  EXPECT_EQ(llm->node, "agent");

  auto inner = ParseLangGraphMetadata(kSubNodeMeta);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->node, "tools");
  EXPECT_EQ(inner->subgraph_host, "flight_agent");
}

TEST(LangGraphMetadataTest, PythonSpacingAndNestedNamespaces) {
  // Python's json.dumps separators; two sub-graph levels and LangGraph's numeric call counter.
  auto m = ParseLangGraphMetadata(
      R"({"thread_id": "t1", "langgraph_node": "search", "langgraph_checkpoint_ns": "team:aa|2|researcher:bb|search:cc"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->is_graph);
  EXPECT_EQ(m->subgraph_host, "researcher");
  auto counter_only = ParseLangGraphMetadata(R"({"langgraph_node": "x", "langgraph_checkpoint_ns": "1|x:aa"})");
  ASSERT_TRUE(counter_only.has_value());
  EXPECT_EQ(counter_only->subgraph_host, "");
}

TEST(LangGraphMetadataTest, NotLangGraph) {
  EXPECT_FALSE(ParseLangGraphMetadata("").has_value());
  EXPECT_FALSE(ParseLangGraphMetadata(R"({"thread_id":"t1","user_id":"u"})").has_value());
  // Mentions langgraph but in no LangGraph key.
  EXPECT_FALSE(ParseLangGraphMetadata(R"({"ls_integration":"langchain_chat_model","note":"langgraph"})").has_value());
  EXPECT_FALSE(ParseLangGraphMetadata(R"({"ls_integration":"langgraph")").has_value());  // truncated
  EXPECT_FALSE(ParseLangGraphMetadata(R"(["ls_integration","langgraph","x"])").has_value());
  EXPECT_FALSE(ParseLangGraphMetadata("not json at all, just langgraph text").has_value());
  // Wrong value types are ignored rather than trusted.
  auto m = ParseLangGraphMetadata(R"({"ls_integration":"langgraph","langgraph_node":7})");
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->is_graph);  // a node key is present, so this is not the graph run
  EXPECT_EQ(m->node, "");
}

TEST(LangGraphMetadataTest, DocumentsTheFastParserRejectsStillCount) {
  // Invalid UTF-8 elsewhere in the metadata (repaired by the fallback parser).
  auto bad_utf8 = ParseLangGraphMetadata(
      "{\"note\":\"\xff\xfe\",\"langgraph_node\":\"tools\",\"langgraph_checkpoint_ns\":\"a:1|tools:2\"}");
  ASSERT_TRUE(bad_utf8.has_value());
  EXPECT_EQ(bad_utf8->subgraph_host, "a");
  // An integer beyond 64 bits.
  auto big_int = ParseLangGraphMetadata(R"({"n":123456789012345678901234567890,"ls_integration":"langgraph"})");
  ASSERT_TRUE(big_int.has_value());
  EXPECT_TRUE(big_int->is_graph);
  // A document over the fast parser's size limit.
  std::string big = R"({"pad":")" + std::string(100 << 10, 'x') + R"(","ls_integration":"langgraph"})";
  auto large = ParseLangGraphMetadata(big);
  ASSERT_TRUE(large.has_value());
  EXPECT_TRUE(large->is_graph);
  // Duplicate keys: the later one wins on both paths.
  auto dup = ParseLangGraphMetadata(R"({"langgraph_node":"a","langgraph_node":"b"})");
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->node, "b");
}

TEST(LangGraphMetadataTest, HostileNamespaces) {
  for (const char* ns : {"|", "||||", ":", "|:|:|", "a:|", ":x|:y", "999|888"}) {
    std::string meta = std::string(R"({"langgraph_node":"n","langgraph_checkpoint_ns":")") + ns + "\"}";
    auto m = ParseLangGraphMetadata(meta);
    ASSERT_TRUE(m.has_value()) << ns;
    EXPECT_EQ(m->subgraph_host, "") << ns;
  }
  // A long namespace is walked from the end only as far as needed.
  std::string ns;
  for (int i = 0; i < 10000; ++i) ns += "n" + std::to_string(i) + ":u|";
  ns += "leaf:u";
  auto m = ParseLangGraphMetadata(R"({"langgraph_node":"leaf","langgraph_checkpoint_ns":")" + ns + "\"}");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->subgraph_host, "n9999");
}

// --- normalizer ------------------------------------------------------------------------------

TEST(LangGraphNormalizerTest, GraphSpanBecomesAgentNamedAfterGraph) {
  TraceBatch b;
  OiSpan(&b, "weather-agent", "CHAIN", kGraphMeta).Attr("session.id", "sess-81772b88-5eb").Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "weather-agent");
  EXPECT_EQ(s.hints.agent_id, "weather-agent");
  EXPECT_EQ(s.hints.session_id, "sess-81772b88-5eb");
}

TEST(LangGraphNormalizerTest, NodesAndTheirRunsStayAsTheyWere) {
  TraceBatch b;
  OiSpan(&b, "agent", "CHAIN", kNodeMeta).Done();
  OiSpan(&b, "ScriptedChatModel", "LLM", kNodeLlmMeta, "1111111111111111").Attr("llm.model_name", "gpt-4o-mini").Done();
  OiSpan(&b, "RunnableLambda", "CHAIN", kNodeMeta, "2222222222222222").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 3u);
  EXPECT_EQ(out.steps[0].type, StepType::kChain);
  EXPECT_EQ(out.steps[1].type, StepType::kLlm);
  EXPECT_EQ(out.steps[2].type, StepType::kChain);
  for (const auto& s : out.steps) EXPECT_EQ(s.agent, "") << s.name;  // inherited from the graph later
}

TEST(LangGraphNormalizerTest, OrdinaryLangChainChainStaysAChain) {
  // A LangChain chain outside any graph: same instrumentation, no LangGraph metadata.
  TraceBatch b;
  OiSpan(&b, "RunnableSequence", "CHAIN",
         R"({"ls_integration":"langchain_chat_model","thread_id":"t1","ls_provider":"openai"})")
      .Done();
  OiSpan(&b, "summarize_chain", "CHAIN", nullptr, "1111111111111111").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 2u);
  for (const auto& s : out.steps) {
    EXPECT_EQ(s.type, StepType::kChain) << s.name;
    EXPECT_EQ(s.agent, "") << s.name;
  }
}

TEST(LangGraphNormalizerTest, ExplicitAgentNameWins) {
  // agent.example with OpenInference context attributes: agent.name on every span.
  TraceBatch b;
  OiSpan(&b, "weather-agent", "CHAIN", kGraphMeta).Attr("agent.name", "forecaster").Done();
  OiSpan(&b, "search_flights", "TOOL", kSubNodeMeta, "1111111111111111")
      .Attr("tool.name", "search_flights")
      .Attr("gen_ai.agent.name", "booker")
      .Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 2u);
  EXPECT_EQ(out.steps[0].type, StepType::kAgent);
  EXPECT_EQ(out.steps[0].agent, "forecaster");
  EXPECT_EQ(out.steps[1].type, StepType::kTool);
  EXPECT_EQ(out.steps[1].agent, "booker");
}

TEST(LangGraphNormalizerTest, ExplicitStepTypeWins) {
  TraceBatch b;
  OiSpan(&b, "weather-agent", "CHAIN", kGraphMeta).Attr("tracery.step.type", "chain").Done();
  EXPECT_EQ(One(b).type, StepType::kChain);
}

TEST(LangGraphNormalizerTest, OnlyOpenInferenceChainsBecomeGraphs) {
  // The same metadata on a span without an OpenInference kind (some other exporter) or on a
  // non-chain kind is left alone.
  TraceBatch b;
  SpanBuilder(&b).Name("weather-agent").Attr("metadata", kGraphMeta).Done();
  OiSpan(&b, "weather-agent", "LLM", kGraphMeta, "1111111111111111").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 2u);
  EXPECT_EQ(out.steps[0].type, StepType::kOther);
  EXPECT_EQ(out.steps[1].type, StepType::kLlm);
}

TEST(LangGraphNormalizerTest, SpansInsideASubgraphBelongToItsAgent) {
  TraceBatch b;
  OiSpan(&b, "tools", "CHAIN", kSubNodeMeta).Done();
  OiSpan(&b, "search_flights", "TOOL", kSubNodeMeta, "1111111111111111").Attr("tool.name", "search_flights").Done();
  OiSpan(&b, "ScriptedChatModel", "LLM", kSubLlmMeta, "2222222222222222").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 3u);
  EXPECT_EQ(out.steps[0].type, StepType::kChain);
  EXPECT_EQ(out.steps[1].type, StepType::kTool);
  EXPECT_EQ(out.steps[2].type, StepType::kLlm);
  for (const auto& s : out.steps) EXPECT_EQ(s.agent, "flight_agent") << s.name;
}

TEST(LangGraphNormalizerTest, UnnamedSubgraphSpanBecomesTheAgentOfItsNode) {
  // createReactAgent without a name, run as node "hotel_agent": node span "hotel_agent", then its
  // child "LangGraph" (LangGraph's default run name) with the same metadata.
  TraceBatch b;
  OiSpan(&b, "LangGraph", "CHAIN", kHostMeta).Done();
  OiSpan(&b, "flight_agent", "CHAIN", kHostMeta, "1111111111111111").Done();  // the node span
  OiSpan(&b, "LangGraph", "CHAIN", kHostMeta, "2222222222222222").Attr("agent.name", "explicit").Done();
  OiSpan(&b, "LangGraph", "CHAIN", R"({"ls_integration":"langgraph","note":"no node"})", "3333333333333333").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 4u);
  EXPECT_EQ(out.steps[0].type, StepType::kAgent);
  EXPECT_EQ(out.steps[0].agent, "flight_agent");
  EXPECT_EQ(out.steps[1].type, StepType::kChain);
  EXPECT_EQ(out.steps[1].agent, "");
  EXPECT_EQ(out.steps[2].type, StepType::kAgent);
  EXPECT_EQ(out.steps[2].agent, "explicit");
  EXPECT_EQ(out.steps[3].type, StepType::kAgent);  // an unnamed root graph
  EXPECT_EQ(out.steps[3].agent, "LangGraph");
}

TEST(LangGraphNormalizerTest, TransferToolInsideSubgraphIsAHandoffFromItsAgent) {
  // A sub-agent handing back (swarm style): the handoff's source is the sub-graph's agent.
  TraceBatch b;
  OiSpan(&b, "transfer_to_hotel_agent", "TOOL", kSubNodeMeta).Attr("tool.name", "transfer_to_hotel_agent").Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kHandoff);
  EXPECT_EQ(s.handoff_from, "flight_agent");
  EXPECT_EQ(s.handoff_to, "hotel_agent");
}

// Metadata of a run in node `node` at namespace `ns`, shaped like the captured ones.
std::string Meta(std::string_view node, std::string_view ns, std::string_view integration = "langgraph") {
  return std::string(R"({"ls_integration":")") + std::string(integration) +
         R"(","thread_id":"sess-2c4f5d55-5a1","langgraph_step":3,"langgraph_node":")" + std::string(node) +
         R"(","langgraph_checkpoint_ns":")" + std::string(ns) + R"(","checkpoint_ns":")" + std::string(ns) + "\"}";
}

// The captured supervisor run (multi_agent.mjs, shortened), normalized and summarized: the
// supervisor graph and two sub-agents, flight_agent a named sub-graph (node span and sub-graph
// span both "flight_agent") and hotel_agent an unnamed one (sub-graph span "LangGraph").
TEST(LangGraphNormalizerTest, SupervisorRunSummary) {
  TraceBatch b;
  uint64_t t = 100;
  unsigned next_id = 0;
  auto span = [&](std::string_view name, std::string_view kind, const std::string& meta,
                  const std::string& parent) {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", ++next_id);
    SpanBuilder s = OiSpan(&b, name, kind, nullptr, id);
    s.Attr("metadata", Val(meta)).Times(t, t + 10);
    t += 20;
    if (!parent.empty()) s.Parent(parent);
    if (kind == "TOOL") s.Attr("tool.name", Val(name));
    if (kind == "LLM") s.Attr("llm.token_count.prompt", 20).Attr("llm.token_count.completion", 5);
    s.Done();
    return std::string(id);
  };
  const std::string root = span("travel-supervisor", "CHAIN", kGraphMeta, "");
  std::string sup = span("supervisor", "CHAIN", Meta("supervisor", "supervisor:a1"), root);
  span("ScriptedChatModel", "LLM", Meta("supervisor", "supervisor:a1", "langchain_chat_model"), sup);
  std::string handoff = span("handoff", "CHAIN", Meta("handoff", "handoff:a2"), root);
  span("transfer_to_flight_agent", "TOOL", Meta("handoff", "handoff:a2"), handoff);
  std::string node = span("flight_agent", "CHAIN", Meta("flight_agent", "flight_agent:a3"), root);
  std::string sub = span("flight_agent", "CHAIN", Meta("flight_agent", "flight_agent:a3"), node);
  std::string inner = span("agent", "CHAIN", Meta("agent", "flight_agent:a3|agent:b1"), sub);
  span("ScriptedChatModel", "LLM", Meta("agent", "flight_agent:a3|agent:b1", "langchain_chat_model"), inner);
  inner = span("tools", "CHAIN", Meta("tools", "flight_agent:a3|tools:b2"), sub);
  span("search_flights", "TOOL", Meta("tools", "flight_agent:a3|tools:b2"), inner);
  handoff = span("handoff", "CHAIN", Meta("handoff", "handoff:a4"), root);
  span("transfer_to_hotel_agent", "TOOL", Meta("handoff", "handoff:a4"), handoff);
  node = span("hotel_agent", "CHAIN", Meta("hotel_agent", "hotel_agent:a5"), root);
  sub = span("LangGraph", "CHAIN", Meta("hotel_agent", "hotel_agent:a5"), node);
  inner = span("agent", "CHAIN", Meta("agent", "hotel_agent:a5|agent:c1"), sub);
  span("ScriptedChatModel", "LLM", Meta("agent", "hotel_agent:a5|agent:c1", "langchain_chat_model"), inner);
  inner = span("tools", "CHAIN", Meta("tools", "hotel_agent:a5|tools:c2"), sub);
  span("search_hotels", "TOOL", Meta("tools", "hotel_agent:a5|tools:c2"), inner);

  auto out = Normalize(b);
  std::vector<std::string> agent_steps;
  for (const auto& s : out.steps) {
    if (s.type == StepType::kAgent) agent_steps.push_back(s.name + "=" + s.agent);
  }
  EXPECT_EQ(agent_steps, (std::vector<std::string>{"travel-supervisor=travel-supervisor", "LangGraph=hotel_agent"}));

  std::vector<model::StepDigest> digests;
  for (const auto& s : out.steps) digests.push_back(model::DigestOf(s));
  auto summary = model::SummarizeRun(out.steps.front().run_id, digests);
  EXPECT_EQ(summary.run.agent_id, "travel-supervisor");
  std::vector<std::string> agents;
  for (const auto& a : summary.agents) {
    agents.push_back(a.name);
    if (a.name != "travel-supervisor") {
      EXPECT_EQ(a.llm_count, 1) << a.name;
      EXPECT_EQ(a.tool_count, 1) << a.name;
    }
  }
  EXPECT_EQ(agents, (std::vector<std::string>{"travel-supervisor", "flight_agent", "hotel_agent"}));
  std::vector<std::string> messages;
  for (const auto& m : summary.messages) messages.push_back(m.kind + ":" + m.from_agent + ">" + m.to_agent);
  std::sort(messages.begin(), messages.end());
  EXPECT_EQ(messages, (std::vector<std::string>{"handoff:travel-supervisor>flight_agent",
                                                "handoff:travel-supervisor>hotel_agent",
                                                "invoke:travel-supervisor>hotel_agent"}));
}

}  // namespace
}  // namespace tracery::ingest
