#include "ingest/normalizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ingest/span_builder.h"

namespace tracery::ingest {
namespace {

using model::FailureSource;
using model::FailureType;
using model::StepType;
using testing::AddLog;
using testing::SpanBuilder;
using testing::Val;
using Json = nlohmann::json;

constexpr std::string_view kSpan2 = "1111111111111111";
constexpr std::string_view kSpan3 = "2222222222222222";

NormalizeOptions DefaultOptions() {
  NormalizeOptions o;
  o.prices = PriceTable::Defaults();
  return o;
}

NormalizedBatch Normalize(const TraceBatch& b, NormalizeOptions o = DefaultOptions()) {
  NormalizedBatch out;
  Normalizer(std::move(o)).NormalizeTraces(b, 42, &out);
  return out;
}

// Normalizes a batch holding exactly one span and returns its step.
model::Step One(const TraceBatch& b, NormalizeOptions o = DefaultOptions()) {
  auto out = Normalize(b, std::move(o));
  EXPECT_EQ(out.steps.size(), 1u);
  return out.steps.empty() ? model::Step{} : out.steps.front();
}

const model::ContentField* Content(const model::Step& s, std::string_view name) {
  for (const auto& f : s.content) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Json Attrs(const model::Step& s) {
  Json j = Json::parse(s.attributes_json, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << s.attributes_json;
  return j;
}

Json Part(const model::ContentField* f, size_t i) {
  if (f == nullptr || i >= f->parts.size()) return nullptr;
  return Json::parse(f->parts[i], nullptr, false);
}

// --- basics -----------------------------------------------------------------------------------

TEST(NormalizerTest, IdsTimesAndScope) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Name("chat gpt-4o").Parent("00f067aa0ba902b7").Times(10, 20).Scope("my.scope").Done();
  auto s = One(b);
  EXPECT_EQ(s.run_id, testing::kTraceHex);
  EXPECT_EQ(s.step_id, kSpan2);
  EXPECT_EQ(s.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(s.start_ns, 10);
  EXPECT_EQ(s.end_ns, 20);
  EXPECT_EQ(s.name, "chat gpt-4o");
  EXPECT_EQ(s.scope_name, "my.scope");
  EXPECT_EQ(s.received_ns, 42);
  EXPECT_EQ(s.attributes_json, "{}");
}

TEST(NormalizerTest, RootHasEmptyParent) {
  TraceBatch b;
  SpanBuilder(&b).Done();
  EXPECT_EQ(One(b).parent_id, "");
}

TEST(NormalizerTest, StatusCodesMapToStepStatus) {
  TraceBatch b;
  SpanBuilder(&b, "0000000000000001").Status(1).Done();
  SpanBuilder(&b, "0000000000000002").Status(2, "boom").Done();
  SpanBuilder(&b, "0000000000000003").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 3u);
  EXPECT_EQ(out.steps[0].status, model::StepStatus::kOk);
  EXPECT_EQ(out.steps[1].status, model::StepStatus::kError);
  EXPECT_EQ(out.steps[1].status_message, "boom");
  EXPECT_EQ(out.steps[2].status, model::StepStatus::kUnset);
}

TEST(NormalizerTest, LogfirePendingSpansAreDropped) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Name("agent run").Attr("logfire.span_type", "pending_span").Done();
  SpanBuilder(&b, kSpan3).Name("agent run").Attr("logfire.span_type", "span").Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].step_id, kSpan3);
  EXPECT_EQ(out.dropped_pending, 1);
}

// --- OTel GenAI (current) --------------------------------------------------------------------

TEST(GenAiTest, ChatSpanCurrentConventions) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("chat gpt-4o")
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.provider.name", "openai")
      .Attr("gen_ai.request.model", "gpt-4o")
      .Attr("gen_ai.response.model", "gpt-4o-2024-08-06")
      .Attr("gen_ai.usage.input_tokens", 100)
      .Attr("gen_ai.usage.output_tokens", 20)
      .Attr("gen_ai.response.finish_reasons", std::vector<std::string>{"stop"})
      .Attr("gen_ai.request.temperature", 0.5)
      .Attr("gen_ai.input.messages", R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])")
      .Attr("gen_ai.output.messages",
            R"([{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}])")
      .Attr("gen_ai.system_instructions", R"([{"type":"text","content":"be nice"}])")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kLlm);
  EXPECT_EQ(s.provider, "openai");
  EXPECT_EQ(s.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(s.finish_reason, "stop");
  EXPECT_EQ(s.tokens.input, 100);
  EXPECT_EQ(s.tokens.output, 20);
  EXPECT_EQ(s.tokens.total, 120);
  EXPECT_TRUE(s.tokens.present);
  EXPECT_FALSE(s.failure);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->is_list);
  EXPECT_EQ(in->mime, "application/json");
  ASSERT_EQ(in->parts.size(), 1u);
  // Parts keep the bytes as sent (docs/conventions.md): compare as JSON.
  EXPECT_EQ(Part(in, 0), Json::parse(R"({"parts":[{"content":"hi","type":"text"}],"role":"user"})"));
  ASSERT_NE(Content(s, "output"), nullptr);
  EXPECT_EQ(Part(Content(s, "output"), 0)["finish_reason"], "stop");
  ASSERT_NE(Content(s, "system"), nullptr);
  EXPECT_EQ(Part(Content(s, "system"), 0)["content"], "be nice");
  auto attrs = Attrs(s);
  EXPECT_FALSE(attrs.contains("gen_ai.input.messages"));
  EXPECT_FALSE(attrs.contains("gen_ai.output.messages"));
  EXPECT_FALSE(attrs.contains("gen_ai.system_instructions"));
  EXPECT_EQ(attrs["gen_ai.request.temperature"], 0.5);
  EXPECT_EQ(attrs["gen_ai.operation.name"], "chat");
}

TEST(GenAiTest, OperationNamesMapToStepTypes) {
  const std::pair<const char*, StepType> cases[] = {
      {"chat", StepType::kLlm},           {"text_completion", StepType::kLlm}, {"generate_content", StepType::kLlm},
      {"completion", StepType::kLlm},     {"generate", StepType::kLlm},        {"embeddings", StepType::kEmbedding},
      {"retrieval", StepType::kRetrieval}, {"execute_tool", StepType::kTool},  {"invoke_agent", StepType::kAgent},
      {"create_agent", StepType::kAgent}, {"invoke_workflow", StepType::kChain}, {"rerank", StepType::kRerank}};
  for (const auto& [op, type] : cases) {
    SCOPED_TRACE(op);
    TraceBatch b;
    SpanBuilder(&b).Attr("gen_ai.operation.name", op).Done();
    EXPECT_EQ(One(b).type, type);
  }
}

TEST(GenAiTest, ExecuteToolSpan) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("execute_tool get_weather")
      .Attr("gen_ai.operation.name", "execute_tool")
      .Attr("gen_ai.tool.name", "get_weather")
      .Attr("gen_ai.tool.call.id", "call_1")
      .Attr("gen_ai.tool.call.arguments", R"({ "city" : "Paris" })")
      .Attr("gen_ai.tool.call.result", "sunny")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kTool);
  EXPECT_EQ(s.tool_name, "get_weather");
  const auto* args = Content(s, "tool.arguments");
  ASSERT_NE(args, nullptr);
  EXPECT_FALSE(args->is_list);
  EXPECT_EQ(args->mime, "application/json");
  EXPECT_EQ(Part(args, 0), Json::parse(R"({"city":"Paris"})"));
  const auto* res = Content(s, "tool.result");
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->mime, "text/plain");
  EXPECT_EQ(res->parts[0], "sunny");
  EXPECT_EQ(Attrs(s)["gen_ai.tool.call.id"], "call_1");
}

TEST(GenAiTest, ToolNameFromSpanNameWhenAttributeMissing) {
  TraceBatch b;
  SpanBuilder(&b).Name("execute_tool search").Attr("gen_ai.operation.name", "execute_tool").Done();
  EXPECT_EQ(One(b).tool_name, "search");
}

TEST(GenAiTest, RetrievalDocumentsAndQuery) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "retrieval")
      .Attr("gen_ai.retrieval.query.text", "what is otel")
      .Attr("gen_ai.retrieval.documents", R"([{"id":"d1","score":0.9},{"id":"d2","score":0.5}])")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kRetrieval);
  const auto* docs = Content(s, "documents");
  ASSERT_NE(docs, nullptr);
  EXPECT_EQ(docs->parts.size(), 2u);
  ASSERT_NE(Content(s, "query"), nullptr);
  EXPECT_EQ(Content(s, "query")->parts[0], "what is otel");
}

TEST(GenAiTest, ToolDefinitionsAreContent) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.tool.definitions", R"([{"name":"a"},{"name":"b"}])")
      .Done();
  auto s = One(b);
  ASSERT_NE(Content(s, "tool.definitions"), nullptr);
  EXPECT_EQ(Content(s, "tool.definitions")->parts.size(), 2u);
  EXPECT_FALSE(Attrs(s).contains("gen_ai.tool.definitions"));
}

TEST(GenAiTest, StructuredArrayMessagesAreAccepted) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.input.messages", std::vector<std::string>{"a", "b"}).Done();
  auto s = One(b);
  ASSERT_NE(Content(s, "input"), nullptr);
  EXPECT_EQ(Content(s, "input")->parts, (std::vector<std::string>{R"("a")", R"("b")"}));
}

// --- OTel GenAI (deprecated names) -----------------------------------------------------------

TEST(GenAiDeprecatedTest, OldNamesAndFlattenedPrompts) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("openai.chat")
      .Attr("llm.request.type", "chat")
      .Attr("gen_ai.system", "openai")
      .Attr("gen_ai.request.model", "gpt-4o-mini")
      .Attr("gen_ai.usage.prompt_tokens", 11)
      .Attr("gen_ai.usage.completion_tokens", 7)
      .Attr("gen_ai.prompt.0.role", "system")
      .Attr("gen_ai.prompt.0.content", "sys")
      .Attr("gen_ai.prompt.1.role", "user")
      .Attr("gen_ai.prompt.1.content", "hi")
      .Attr("gen_ai.completion.0.role", "assistant")
      .Attr("gen_ai.completion.0.content", "yo")
      .Attr("gen_ai.completion.0.finish_reason", "stop")
      .Attr("gen_ai.prompt.name", "greeting-prompt")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kLlm);
  EXPECT_EQ(s.provider, "openai");
  EXPECT_EQ(s.tokens.input, 11);
  EXPECT_EQ(s.tokens.output, 7);
  EXPECT_EQ(s.finish_reason, "stop");
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->parts.size(), 2u);
  EXPECT_EQ(in->parts[1], R"({"content":"hi","role":"user"})");
  EXPECT_EQ(Part(Content(s, "output"), 0)["content"], "yo");
  auto attrs = Attrs(s);
  EXPECT_EQ(attrs["gen_ai.prompt.name"], "greeting-prompt");  // an identifier, not content
  EXPECT_FALSE(attrs.contains("gen_ai.prompt.0.content"));
  EXPECT_FALSE(attrs.contains("gen_ai.completion.0.content"));
}

TEST(GenAiDeprecatedTest, MessageSpanEventsBecomeContentAndStayAsEvents) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Event("gen_ai.user.message", {{"gen_ai.system", "openai"}, {"content", "what time is it"}})
      .Event("gen_ai.choice", {{"index", 0}, {"finish_reason", "stop"}, {"message", R"({"content":"noon"})"}})
      .Done();
  auto s = One(b);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->parts[0], R"({"content":"what time is it","role":"user"})");
  ASSERT_NE(Content(s, "output"), nullptr);
  EXPECT_EQ(Part(Content(s, "output"), 0)["message"]["content"], "noon");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].name, "gen_ai.user.message");
  EXPECT_EQ(s.events[0].attributes_json, R"({"gen_ai.system":"openai"})");  // content moved out
  EXPECT_EQ(s.events[1].attributes_json, R"({"finish_reason":"stop","index":0})");
}

TEST(GenAiDeprecatedTest, OldContentPromptEvents) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Event("gen_ai.content.prompt", {{"gen_ai.prompt", R"([{"role":"user","content":"x"}])"}})
      .Event("gen_ai.content.completion", {{"gen_ai.completion", "plain answer"}})
      .Done();
  auto s = One(b);
  ASSERT_NE(Content(s, "input"), nullptr);
  EXPECT_EQ(Content(s, "input")->mime, "application/json");
  ASSERT_NE(Content(s, "output"), nullptr);
  EXPECT_EQ(Content(s, "output")->parts[0], "plain answer");
}

TEST(GenAiDeprecatedTest, AttributeContentBeatsEventContent) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.input.messages", R"([{"role":"user","content":"from attr"}])")
      .Event("gen_ai.user.message", {{"content", "from event"}})
      .Done();
  auto s = One(b);
  ASSERT_NE(Content(s, "input"), nullptr);
  EXPECT_EQ(Part(Content(s, "input"), 0)["content"], "from attr");
  EXPECT_EQ(Content(s, "input")->parts.size(), 1u);
}

// --- tokens -----------------------------------------------------------------------------------

TEST(TokensTest, CurrentNamesBeatDeprecated) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.usage.input_tokens", 50)
      .Attr("gen_ai.usage.prompt_tokens", 999)
      .Attr("gen_ai.usage.output_tokens", 5)
      .Attr("gen_ai.usage.completion_tokens", 999)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.tokens.input, 50);
  EXPECT_EQ(s.tokens.output, 5);
}

TEST(TokensTest, ExplicitTotalIsKept) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.usage.input_tokens", 10).Attr("gen_ai.usage.output_tokens", 5).Attr("gen_ai.usage.total_tokens", 17).Done();
  EXPECT_EQ(One(b).tokens.total, 17);
}

TEST(TokensTest, CacheAndReasoningSubsets) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.usage.input_tokens", 1000)
      .Attr("gen_ai.usage.output_tokens", 300)
      .Attr("gen_ai.usage.cache_read.input_tokens", 800)
      .Attr("gen_ai.usage.cache_creation.input_tokens", 100)
      .Attr("gen_ai.usage.reasoning.output_tokens", 200)
      .Done();
  auto t = One(b).tokens;
  EXPECT_EQ(t.input, 1000);  // already gross
  EXPECT_EQ(t.cache_read, 800);
  EXPECT_EQ(t.cache_write, 100);
  EXPECT_EQ(t.reasoning, 200);
  EXPECT_EQ(t.total, 1300);
}

TEST(TokensTest, NetAnthropicInputIsMadeGross) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.system", "anthropic")
      .Attr("gen_ai.usage.input_tokens", 10)
      .Attr("gen_ai.usage.output_tokens", 5)
      .Attr("gen_ai.usage.cache_read_input_tokens", 100)
      .Attr("gen_ai.usage.cache_creation_input_tokens", 20)
      .Done();
  auto t = One(b).tokens;
  EXPECT_EQ(t.input, 130);
  EXPECT_EQ(t.cache_read, 100);
  EXPECT_EQ(t.cache_write, 20);
  EXPECT_EQ(t.total, 135);
}

TEST(TokensTest, StringEncodedCountsAreParsed) {
  TraceBatch b;
  SpanBuilder(&b).Attr("llm.token_count.prompt", "12").Attr("llm.token_count.completion", "x").Done();
  auto t = One(b).tokens;
  EXPECT_EQ(t.input, 12);
  EXPECT_EQ(t.output, 0);
}

TEST(TokensTest, NegativeCountsIgnored) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.usage.input_tokens", -5).Done();
  EXPECT_FALSE(One(b).tokens.present);
}

TEST(TokensTest, NoUsageMeansNotPresent) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Done();
  auto s = One(b);
  EXPECT_FALSE(s.tokens.present);
  EXPECT_EQ(s.cost_usd, 0);
}

TEST(TokensTest, AgentSpanKeepsAggregateUsageButIsTypedAgent) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("invoke_agent gpt-4o")
      .Attr("gen_ai.operation.name", "invoke_agent")
      .Attr("gen_ai.request.model", "gpt-4o")
      .Attr("gen_ai.usage.input_tokens", 500)
      .Attr("gen_ai.usage.output_tokens", 50)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.tokens.input, 500);
  EXPECT_EQ(s.cost_usd, 0);  // aggregate spans are not priced (their LLM children are)
}

TEST(TokensTest, LangfuseUsageDetailsAreNetOfCache) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("langfuse.observation.type", "generation")
      .Attr("langfuse.observation.usage_details", R"({"input":40,"output":10,"input_cached_tokens":60})")
      .Done();
  auto t = One(b).tokens;
  EXPECT_EQ(t.input, 100);
  EXPECT_EQ(t.cache_read, 60);
  EXPECT_EQ(t.output, 10);
  EXPECT_EQ(t.total, 110);
}

// --- cost -------------------------------------------------------------------------------------

TEST(CostTest, ExplicitCostAttributesWin) {
  for (const char* key : {"llm.cost.total", "gen_ai.usage.cost", "operation.cost", "tracery.cost.usd"}) {
    SCOPED_TRACE(key);
    TraceBatch b;
    SpanBuilder(&b)
        .Attr("gen_ai.operation.name", "chat")
        .Attr("gen_ai.request.model", "gpt-4o")
        .Attr("gen_ai.usage.input_tokens", 1000)
        .Attr(key, 0.25)
        .Done();
    auto s = One(b);
    EXPECT_DOUBLE_EQ(s.cost_usd, 0.25);
    EXPECT_TRUE(s.cost_explicit);
  }
}

TEST(CostTest, LangfuseCostDetails) {
  TraceBatch b;
  SpanBuilder(&b).Attr("langfuse.observation.type", "generation").Attr("langfuse.observation.cost_details", R"({"input":0.1,"output":0.2})").Done();
  auto s = One(b);
  EXPECT_DOUBLE_EQ(s.cost_usd, 0.3);
  EXPECT_TRUE(s.cost_explicit);
}

TEST(CostTest, ComputedFromPriceTableForLlmSteps) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
      .Attr("gen_ai.usage.input_tokens", 1'000'000)
      .Attr("gen_ai.usage.output_tokens", 1'000'000)
      .Done();
  auto s = One(b);
  EXPECT_NEAR(s.cost_usd, 0.15 + 0.60, 1e-9);
  EXPECT_FALSE(s.cost_explicit);
}

TEST(CostTest, UnknownModelCostsZero) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.request.model", "local-llm").Attr("gen_ai.usage.input_tokens", 10).Done();
  EXPECT_EQ(One(b).cost_usd, 0);
}

// --- OpenInference ----------------------------------------------------------------------------

TEST(OpenInferenceTest, SpanKindsMapToStepTypes) {
  const std::pair<const char*, StepType> cases[] = {
      {"LLM", StepType::kLlm},           {"CHAIN", StepType::kChain},         {"TOOL", StepType::kTool},
      {"AGENT", StepType::kAgent},       {"RETRIEVER", StepType::kRetrieval}, {"RERANKER", StepType::kRerank},
      {"EMBEDDING", StepType::kEmbedding}, {"GUARDRAIL", StepType::kGuardrail}, {"EVALUATOR", StepType::kOther},
      {"PROMPT", StepType::kOther}};
  for (const auto& [kind, type] : cases) {
    SCOPED_TRACE(kind);
    TraceBatch b;
    SpanBuilder(&b).Attr("openinference.span.kind", kind).Done();
    EXPECT_EQ(One(b).type, type);
  }
}

TEST(OpenInferenceTest, KindBeatsGenAiOperation) {
  TraceBatch b;
  SpanBuilder(&b).Attr("openinference.span.kind", "CHAIN").Attr("gen_ai.operation.name", "chat").Done();
  EXPECT_EQ(One(b).type, StepType::kChain);
}

TEST(OpenInferenceTest, FlattenedMessagesAreReconstructedInIndexOrder) {
  TraceBatch b;
  SpanBuilder sb(&b);
  sb.Attr("openinference.span.kind", "LLM")
      .Attr("llm.model_name", "gpt-4o")
      .Attr("llm.provider", "openai")
      .Attr("llm.token_count.prompt", 30)
      .Attr("llm.token_count.completion", 3)
      .Attr("llm.token_count.total", 33);
  for (int i = 0; i < 12; ++i) {
    sb.Attr("llm.input_messages." + std::to_string(i) + ".message.role", i == 0 ? "system" : "user");
    sb.Attr("llm.input_messages." + std::to_string(i) + ".message.content", "m" + std::to_string(i));
  }
  sb.Attr("llm.output_messages.0.message.role", "assistant")
      .Attr("llm.output_messages.0.message.tool_calls.0.tool_call.id", "call_9")
      .Attr("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "search")
      .Attr("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", R"({"q":"x"})")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kLlm);
  EXPECT_EQ(s.model, "gpt-4o");
  EXPECT_EQ(s.provider, "openai");
  EXPECT_EQ(s.tokens.total, 33);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(in->parts.size(), 12u);
  EXPECT_EQ(in->parts[0], R"({"content":"m0","role":"system"})");
  EXPECT_EQ(Part(in, 2)["content"], "m2");  // numeric, not lexicographic, order
  EXPECT_EQ(Part(in, 10)["content"], "m10");
  auto out = Part(Content(s, "output"), 0);
  EXPECT_EQ(out["tool_calls"][0]["tool_call"]["function"]["name"], "search");
  auto attrs = Attrs(s);
  for (auto& [k, v] : attrs.items()) EXPECT_EQ(k.find("llm.input_messages"), std::string::npos) << k;
}

TEST(OpenInferenceTest, SameFlattenedMessageGivesSameBytes) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2)
      .Attr("openinference.span.kind", "LLM")
      .Attr("llm.input_messages.0.message.role", "user")
      .Attr("llm.input_messages.0.message.content", "hello")
      .Done();
  SpanBuilder(&b, kSpan3)
      .Attr("openinference.span.kind", "LLM")
      .Attr("llm.input_messages.0.message.content", "hello")  // attribute order differs
      .Attr("llm.input_messages.0.message.role", "user")
      .Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 2u);
  EXPECT_EQ(Content(out.steps[0], "input")->parts[0], Content(out.steps[1], "input")->parts[0]);
}

TEST(OpenInferenceTest, HostileIndicesDoNotAllocateHugeArrays) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("openinference.span.kind", "LLM")
      .Attr("llm.input_messages.999999999.message.content", "far")
      .Attr("llm.input_messages.99999999999999999999.message.content", "too long index")
      .Done();
  auto s = One(b);
  ASSERT_NE(Content(s, "input"), nullptr);
  EXPECT_EQ(Content(s, "input")->parts.size(), 1u);
}

TEST(OpenInferenceTest, RetrieverDocuments) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("openinference.span.kind", "RETRIEVER")
      .Attr("input.value", "query text")
      .Attr("retrieval.documents.0.document.id", "a")
      .Attr("retrieval.documents.0.document.content", "doc a")
      .Attr("retrieval.documents.0.document.score", 0.8)
      .Attr("retrieval.documents.1.document.id", "b")
      .Attr("retrieval.documents.1.document.content", "doc b")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kRetrieval);
  const auto* docs = Content(s, "documents");
  ASSERT_NE(docs, nullptr);
  ASSERT_EQ(docs->parts.size(), 2u);
  EXPECT_EQ(docs->parts[0], R"({"content":"doc a","id":"a","score":0.8})");
  EXPECT_FALSE(s.failure);
}

TEST(OpenInferenceTest, InputValueJsonOnlyWithJsonMimeType) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Attr("input.value", R"({"b": 1, "a": 2})").Attr("input.mime_type", "application/json").Done();
  SpanBuilder(&b, kSpan3).Attr("input.value", R"({"b": 1})").Done();
  auto out = Normalize(b);
  const auto* json_in = Content(out.steps[0], "input");
  ASSERT_NE(json_in, nullptr);
  EXPECT_EQ(json_in->mime, "application/json");
  EXPECT_FALSE(json_in->is_list);
  EXPECT_EQ(Part(json_in, 0), Json::parse(R"({"a":2,"b":1})"));
  const auto* text_in = Content(out.steps[1], "input");
  ASSERT_NE(text_in, nullptr);
  EXPECT_EQ(text_in->mime, "text/plain");
  EXPECT_EQ(text_in->parts[0], R"({"b": 1})");
}

TEST(OpenInferenceTest, AgentIdentityFromGraphNodeAndAgentName) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Name("node").Attr("openinference.span.kind", "AGENT").Attr("graph.node.id", "planner").Done();
  SpanBuilder(&b, kSpan3)
      .Name("node")
      .Attr("openinference.span.kind", "AGENT")
      .Attr("graph.node.id", "n1")
      .Attr("agent.name", "Researcher")
      .Done();
  auto out = Normalize(b);
  EXPECT_EQ(out.steps[0].agent, "planner");
  EXPECT_EQ(out.steps[1].agent, "Researcher");
  EXPECT_EQ(Attrs(out.steps[1])["graph.node.id"], "n1");
}

TEST(OpenInferenceTest, LangGraphMetadataGivesSessionAndStaysInAttributes) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("agent")
      .Attr("openinference.span.kind", "AGENT")
      .Attr("metadata", R"({"langgraph_node":"agent","langgraph_step":2,"thread_id":"thread-7"})")
      .Attr("tag.tags", std::vector<std::string>{"prod", "beta"})
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.agent, "agent");
  EXPECT_EQ(s.hints.session_id, "thread-7");
  EXPECT_EQ(s.hints.tags, (std::vector<std::string>{"prod", "beta"}));
  auto meta = Json::parse(s.hints.metadata_json);
  EXPECT_EQ(meta["langgraph_node"], "agent");
  EXPECT_TRUE(Attrs(s).contains("metadata"));
}

TEST(OpenInferenceTest, SessionAndUser) {
  TraceBatch b;
  SpanBuilder(&b).Attr("openinference.span.kind", "CHAIN").Attr("session.id", "s1").Attr("user.id", "u1").Done();
  auto s = One(b);
  EXPECT_EQ(s.hints.session_id, "s1");
  EXPECT_EQ(s.hints.user_id, "u1");
}

// --- Langfuse ---------------------------------------------------------------------------------

TEST(LangfuseTest, ObservationTypesMapToStepTypes) {
  const std::pair<const char*, StepType> cases[] = {
      {"generation", StepType::kLlm},  {"embedding", StepType::kEmbedding}, {"agent", StepType::kAgent},
      {"tool", StepType::kTool},       {"chain", StepType::kChain},         {"retriever", StepType::kRetrieval},
      {"guardrail", StepType::kGuardrail}, {"evaluator", StepType::kOther}, {"event", StepType::kOther},
      {"span", StepType::kChain}};
  for (const auto& [t, type] : cases) {
    SCOPED_TRACE(t);
    TraceBatch b;
    SpanBuilder(&b).Attr("langfuse.observation.type", t).Done();
    EXPECT_EQ(One(b).type, type);
  }
}

TEST(LangfuseTest, ObservationTypeBeatsOpenInferenceKind) {
  TraceBatch b;
  SpanBuilder(&b).Attr("langfuse.observation.type", "tool").Attr("openinference.span.kind", "LLM").Done();
  EXPECT_EQ(One(b).type, StepType::kTool);
}

TEST(LangfuseTest, SpanTypeFallsThroughToMoreSpecificSources) {
  TraceBatch b;
  SpanBuilder(&b).Attr("langfuse.observation.type", "span").Attr("gen_ai.operation.name", "chat").Done();
  EXPECT_EQ(One(b).type, StepType::kLlm);
}

TEST(LangfuseTest, InputOutputModelAndTraceFields) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("langfuse.observation.type", "generation")
      .Attr("langfuse.observation.model.name", "claude-3-haiku")
      .Attr("langfuse.observation.input", R"({"q":"hi"})")
      .Attr("langfuse.observation.output", "\"plain\"")
      .Attr("langfuse.trace.name", "support-flow")
      .Attr("langfuse.session.id", "sess")
      .Attr("langfuse.user.id", "user")
      .Attr("langfuse.trace.tags", std::vector<std::string>{"a"})
      .Attr("langfuse.environment", "staging")
      .Attr("langfuse.release", "v3")
      .Attr("langfuse.trace.metadata.customer", "acme")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.model, "claude-3-haiku");
  EXPECT_EQ(Content(s, "input")->parts[0], R"({"q":"hi"})");
  EXPECT_EQ(Content(s, "output")->parts[0], "\"plain\"");
  EXPECT_EQ(s.hints.name, "support-flow");
  EXPECT_EQ(s.hints.session_id, "sess");
  EXPECT_EQ(s.hints.user_id, "user");
  EXPECT_EQ(s.hints.tags, std::vector<std::string>{"a"});
  EXPECT_EQ(s.hints.environment, "staging");
  EXPECT_EQ(s.hints.agent_version, "v3");
  EXPECT_EQ(Json::parse(s.hints.metadata_json)["customer"], "acme");
  EXPECT_FALSE(Attrs(s).contains("langfuse.observation.input"));
}

TEST(LangfuseTest, LevelErrorIsAFailure) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("langfuse.observation.type", "tool")
      .Attr("langfuse.observation.level", "ERROR")
      .Attr("langfuse.observation.status_message", "tool exploded")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.status, model::StepStatus::kError);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->type, FailureType::kTool);
  EXPECT_EQ(s.failure->source, FailureSource::kSpanStatus);
  EXPECT_EQ(s.failure->message, "tool exploded");
}

// --- Traceloop --------------------------------------------------------------------------------

TEST(TraceloopTest, SpanKindsMapToStepTypes) {
  const std::pair<const char*, StepType> cases[] = {
      {"workflow", StepType::kChain}, {"task", StepType::kChain}, {"agent", StepType::kAgent}, {"tool", StepType::kTool}};
  for (const auto& [k, type] : cases) {
    SCOPED_TRACE(k);
    TraceBatch b;
    SpanBuilder(&b).Attr("traceloop.span.kind", k).Done();
    EXPECT_EQ(One(b).type, type);
  }
}

TEST(TraceloopTest, ToolNameComesFromTheEntityName) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("create_ticket.tool")
      .Attr("traceloop.span.kind", "tool")
      .Attr("traceloop.entity.name", "create_ticket")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kTool);
  EXPECT_EQ(s.tool_name, "create_ticket");
}

TEST(HintsTest, ServiceNameIsNotTheAgentHint) {
  TraceBatch b;
  SpanBuilder(&b).Name("workflow").Resource("service.name", "svc").Attr("traceloop.span.kind", "workflow").Done();
  auto s = One(b);
  EXPECT_EQ(s.hints.service_name, "svc");
  EXPECT_EQ(s.hints.agent_id, "");
}

TEST(TraceloopTest, AssociationPropertiesEntityIoAndWorkflow) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("research.agent")
      .Attr("traceloop.span.kind", "agent")
      .Attr("traceloop.entity.name", "research")
      .Attr("traceloop.workflow.name", "pipeline")
      .Attr("traceloop.entity.input", R"({"args":[],"kwargs":{"topic":"otel"}})")
      .Attr("traceloop.entity.output", "done")
      .Attr("traceloop.association.properties.session_id", "s-9")
      .Attr("traceloop.association.properties.user_id", "u-9")
      .Attr("traceloop.association.properties.tenant", "t1")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "research");
  EXPECT_EQ(s.hints.name, "pipeline");
  EXPECT_EQ(s.hints.session_id, "s-9");
  EXPECT_EQ(s.hints.user_id, "u-9");
  EXPECT_EQ(Json::parse(s.hints.metadata_json)["tenant"], "t1");
  EXPECT_EQ(Content(s, "input")->mime, "application/json");
  EXPECT_EQ(Content(s, "output")->parts[0], "done");
}

TEST(TraceloopTest, CrewAiAgentWithAggregateUsageIsAgent) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("Researcher.agent")
      .Attr("traceloop.span.kind", "agent")
      .Attr("gen_ai.agent.name", "Researcher")
      .Attr("gen_ai.request.model", "gpt-4o")
      .Attr("gen_ai.usage.input_tokens", 900)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "Researcher");
  EXPECT_EQ(s.tokens.input, 900);
}

// --- Vercel AI SDK ----------------------------------------------------------------------------

TEST(AiSdkTest, LegacyDoGenerateIsLlm) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("ai.generateText.doGenerate")
      .Attr("ai.operationId", "ai.generateText.doGenerate")
      .Attr("ai.model.id", "gpt-4o")
      .Attr("ai.model.provider", "openai.chat")
      .Attr("ai.usage.promptTokens", 12)
      .Attr("ai.usage.completionTokens", 4)
      .Attr("ai.prompt.messages", R"([{"role":"user","content":[{"type":"text","text":"hi"}]}])")
      .Attr("ai.response.text", "hello!")
      .Attr("ai.response.finishReason", "stop")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kLlm);
  EXPECT_EQ(s.model, "gpt-4o");
  EXPECT_EQ(s.provider, "openai.chat");
  EXPECT_EQ(s.tokens.input, 12);
  EXPECT_EQ(s.tokens.output, 4);
  EXPECT_EQ(s.finish_reason, "stop");
  EXPECT_TRUE(Content(s, "input")->is_list);
  EXPECT_EQ(Content(s, "output")->parts[0], "hello!");
  EXPECT_GT(s.cost_usd, 0);
}

TEST(AiSdkTest, LegacyOuterCallIsAgentNamedByFunctionId) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("ai.generateText")
      .Attr("ai.operationId", "ai.generateText")
      .Attr("ai.telemetry.functionId", "support-bot")
      .Attr("ai.telemetry.metadata.sessionId", "s-ai")
      .Attr("ai.telemetry.metadata.userId", "u-ai")
      .Attr("ai.telemetry.metadata.tags", std::vector<std::string>{"x"})
      .Attr("ai.usage.promptTokens", 100)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "support-bot");
  EXPECT_EQ(s.hints.session_id, "s-ai");
  EXPECT_EQ(s.hints.user_id, "u-ai");
  EXPECT_EQ(s.hints.tags, std::vector<std::string>{"x"});
  EXPECT_EQ(s.hints.agent_id, "support-bot");
}

TEST(AiSdkTest, ToolCallAndEmbed) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2)
      .Attr("ai.operationId", "ai.toolCall")
      .Attr("ai.toolCall.name", "lookup")
      .Attr("ai.toolCall.args", R"({"id":1})")
      .Attr("ai.toolCall.result", R"({"ok":true})")
      .Done();
  SpanBuilder(&b, kSpan3).Attr("ai.operationId", "ai.embed.doEmbed").Attr("ai.usage.tokens", 8).Done();
  auto out = Normalize(b);
  EXPECT_EQ(out.steps[0].type, StepType::kTool);
  EXPECT_EQ(out.steps[0].tool_name, "lookup");
  EXPECT_EQ(Content(out.steps[0], "tool.arguments")->parts[0], R"({"id":1})");
  EXPECT_EQ(Content(out.steps[0], "tool.result")->parts[0], R"({"ok":true})");
  EXPECT_EQ(out.steps[1].type, StepType::kEmbedding);
  EXPECT_EQ(out.steps[1].tokens.total, 8);
}

TEST(AiSdkTest, V7InvokeAgentUsesGenAiAgentName) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("invoke_agent gpt-4o")
      .Scope("ai")
      .Attr("gen_ai.operation.name", "invoke_agent")
      .Attr("gen_ai.agent.name", "weather-fn")
      .Attr("gen_ai.usage.cache_read.input_tokens", 5)
      .Attr("gen_ai.usage.input_tokens", 50)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "weather-fn");
  EXPECT_EQ(s.tokens.cache_read, 5);
}

// --- OpenAI Agents (via OpenInference) --------------------------------------------------------

TEST(OpenAiAgentsTest, HandoffToolSpanBecomesHandoff) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("handoff to Billing")
      .Attr("openinference.span.kind", "TOOL")
      .Attr("input.value", "Triage")
      .Attr("output.value", "Billing")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kHandoff);
  EXPECT_EQ(s.handoff_from, "Triage");
  EXPECT_EQ(s.handoff_to, "Billing");
}

TEST(OpenAiAgentsTest, TransferToToolIsHandoff) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("transfer_to_refunds")
      .Attr("openinference.span.kind", "TOOL")
      .Attr("tool.name", "transfer_to_refunds")
      .Attr("agent.name", "Triage")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kHandoff);
  EXPECT_EQ(s.tool_name, "transfer_to_refunds");
  EXPECT_EQ(s.handoff_to, "refunds");
  EXPECT_EQ(s.handoff_from, "Triage");
}

TEST(OpenAiAgentsTest, AgentSpanIdentity) {
  TraceBatch b;
  SpanBuilder(&b).Name("Triage").Attr("openinference.span.kind", "AGENT").Attr("graph.node.id", "Triage").Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "Triage");
  EXPECT_EQ(s.hints.agent_id, "Triage");
}

// --- AutoGen ----------------------------------------------------------------------------------

// The name wins over the id: descendants only carry the name, so id-first would split one agent.
TEST(AutoGenTest, AgentSpansPreferAgentNameOverId) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("invoke_agent assistant")
      .Attr("gen_ai.operation.name", "invoke_agent")
      .Attr("gen_ai.system", "autogen")
      .Attr("gen_ai.agent.name", "assistant")
      .Attr("gen_ai.agent.id", "assistant/default")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "assistant");
}

TEST(AutoGenTest, AgentIdIsUsedWhenThereIsNoName) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("invoke_agent")
      .Attr("gen_ai.operation.name", "invoke_agent")
      .Attr("gen_ai.agent.id", "assistant/default")
      .Done();
  EXPECT_EQ(One(b).agent, "assistant/default");
}

TEST(AutoGenTest, SendToAgentIsAMessage) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("autogen send assistant.(default)-A")
      .Attr("messaging.operation", "send")
      .Attr("messaging.destination", "assistant.(default)-A")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kOther);
  EXPECT_EQ(s.handoff_to, "assistant");
}

TEST(AutoGenTest, ProcessSpanIsPerformedByDestinationAgent) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2)
      .Name("autogen process critic.(default)-A")
      .Attr("messaging.operation", "process")
      .Attr("messaging.destination", "critic.(default)-A")
      .Done();
  SpanBuilder(&b, kSpan3)
      .Name("autogen publish group_topic.(default)-T")
      .Attr("messaging.operation", "publish")
      .Attr("messaging.destination", "group_topic.(default)-T")
      .Done();
  auto out = Normalize(b);
  EXPECT_EQ(out.steps[0].agent, "critic");
  EXPECT_EQ(out.steps[0].handoff_to, "");
  EXPECT_EQ(out.steps[1].handoff_to, "");  // topics are not agents
}

// --- CrewAI -----------------------------------------------------------------------------------

TEST(CrewAiTest, DelegationToolIsHandoffToCoworker) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("Delegate work to coworker")
      .Attr("openinference.span.kind", "TOOL")
      .Attr("tool.name", "Delegate work to coworker")
      .Attr("gen_ai.agent.name", "Writer")
      .Attr("input.value", R"({"task":"find sources","context":"x","coworker":"Researcher"})")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kHandoff);
  EXPECT_EQ(s.handoff_from, "Writer");
  EXPECT_EQ(s.handoff_to, "Researcher");
}

TEST(CrewAiTest, SnakeCaseAskQuestionIsHandoff) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.tool.name", "ask_question_to_coworker")
      .Attr("gen_ai.tool.call.arguments", R"({"question":"?","coworker":"Analyst"})")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kHandoff);
  EXPECT_EQ(s.handoff_to, "Analyst");
}

// --- pydantic-ai / Logfire ---------------------------------------------------------------------

TEST(PydanticAiTest, AgentRunWithAllMessagesAndCost) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("invoke_agent weather_agent")
      .Scope("pydantic-ai")
      .Attr("gen_ai.operation.name", "invoke_agent")
      .Attr("gen_ai.agent.name", "weather_agent")
      .Attr("logfire.msg", "weather_agent run")
      .Attr("pydantic_ai.all_messages", R"([{"role":"user","parts":[]},{"role":"assistant","parts":[]}])")
      .Attr("final_result", "sunny")
      .Attr("operation.cost", 0.002)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kAgent);
  EXPECT_EQ(s.agent, "weather_agent");
  EXPECT_EQ(Content(s, "input")->parts.size(), 2u);
  EXPECT_EQ(Content(s, "output")->parts[0], "sunny");
  EXPECT_DOUBLE_EQ(s.cost_usd, 0.002);
  EXPECT_TRUE(s.cost_explicit);
  EXPECT_EQ(Attrs(s)["logfire.msg"], "weather_agent run");
}

TEST(PydanticAiTest, ToolSpanWithoutOperationNameIsTool) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("running tool")
      .Attr("gen_ai.tool.name", "get_time")
      .Attr("gen_ai.agent.name", "weather_agent")
      .Attr("tool_arguments", R"({"tz":"UTC"})")
      .Attr("tool_response", "12:00")
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kTool);
  EXPECT_EQ(s.tool_name, "get_time");
  EXPECT_EQ(s.agent, "weather_agent");
  EXPECT_EQ(Content(s, "tool.arguments")->parts[0], R"({"tz":"UTC"})");
  EXPECT_EQ(Content(s, "tool.result")->parts[0], "12:00");
}

// --- type precedence / identity ---------------------------------------------------------------

TEST(TypeTest, ExplicitTraceryStepTypeWins) {
  TraceBatch b;
  SpanBuilder(&b).Attr("tracery.step.type", "plan").Attr("langfuse.observation.type", "generation").Done();
  EXPECT_EQ(One(b).type, StepType::kPlan);
}

TEST(TypeTest, GenAiBeatsTraceloopBeatsLangsmith) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Attr("gen_ai.operation.name", "execute_tool").Attr("traceloop.span.kind", "task").Done();
  SpanBuilder(&b, kSpan3).Attr("traceloop.span.kind", "tool").Attr("langsmith.span.kind", "llm").Done();
  auto out = Normalize(b);
  EXPECT_EQ(out.steps[0].type, StepType::kTool);
  EXPECT_EQ(out.steps[1].type, StepType::kTool);
}

TEST(TypeTest, LangsmithKinds) {
  TraceBatch b;
  SpanBuilder(&b).Attr("langsmith.span.kind", "retriever").Done();
  EXPECT_EQ(One(b).type, StepType::kRetrieval);
}

TEST(TypeTest, HeuristicModelMeansLlm) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.request.model", "gpt-4o").Done();
  EXPECT_EQ(One(b).type, StepType::kLlm);
}

TEST(TypeTest, PlainSpanIsOther) {
  TraceBatch b;
  SpanBuilder(&b).Attr("http.method", "GET").Done();
  EXPECT_EQ(One(b).type, StepType::kOther);
}

TEST(AgentIdentityTest, AgentNameAloneDoesNotMakeAnAgentSpan) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.agent.name", "Researcher").Done();
  auto s = One(b);
  EXPECT_EQ(s.type, StepType::kLlm);
  EXPECT_EQ(s.agent, "Researcher");  // performed by the propagated agent
}

TEST(AgentIdentityTest, AgentSpanFallsBackToSpanName) {
  TraceBatch b;
  SpanBuilder(&b).Name("my agent").Attr("openinference.span.kind", "AGENT").Done();
  EXPECT_EQ(One(b).agent, "my agent");
}

TEST(AgentIdentityTest, NonAgentSpanWithoutAgentAttributesHasNoAgent) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("graph.node.id", "n").Done();
  EXPECT_EQ(One(b).agent, "");
}

// --- failures ---------------------------------------------------------------------------------

TEST(FailureTest, ExplicitTraceryFailure) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "execute_tool")
      .Attr("tracery.failure.type", "retrieval")
      .Attr("tracery.failure.code", "stale_index")
      .Attr("tracery.failure.message", "index is stale")
      .Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->source, FailureSource::kSdk);
  EXPECT_EQ(s.failure->type, FailureType::kRetrieval);
  EXPECT_EQ(s.failure->code, "stale_index");
  EXPECT_EQ(s.failure->message, "index is stale");
  EXPECT_EQ(s.failure->step_id, s.step_id);
}

TEST(FailureTest, StatusErrorMessageIsClassified) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Status(2, "Request timed out after 30s").Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->source, FailureSource::kSpanStatus);
  EXPECT_EQ(s.failure->type, FailureType::kModel);
  EXPECT_EQ(s.failure->code, "timeout");
  EXPECT_EQ(s.failure->message, "Request timed out after 30s");
  EXPECT_EQ(s.failure->time_ns, s.end_ns);
}

TEST(FailureTest, ErrorTypeAloneIsAFailure) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("error.type", "RateLimitError").Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->source, FailureSource::kSpanStatus);
  EXPECT_EQ(s.failure->code, "rate_limit");
  EXPECT_EQ(s.failure->error_type, "RateLimitError");
}

TEST(FailureTest, UnknownErrorGetsGenericCode) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "execute_tool").Status(2, "").Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->code, "error");
  EXPECT_EQ(s.failure->type, FailureType::kTool);
}

TEST(FailureTest, ExceptionEventFeedsFailure) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "execute_tool")
      .Status(2, "failed")
      .Event("exception", {{"exception.type", "json.decoder.JSONDecodeError"}, {"exception.message", "Expecting value"}},
             1'700'000'000'700'000'000ULL)
      .Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->source, FailureSource::kException);
  EXPECT_EQ(s.failure->code, "schema_invalid");
  EXPECT_EQ(s.failure->error_type, "json.decoder.JSONDecodeError");
  EXPECT_EQ(s.failure->message, "Expecting value");
  EXPECT_EQ(s.failure->time_ns, 1'700'000'000'700'000'000LL);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "exception");
}

TEST(FailureTest, ExceptionOnOkSpanIsNotAFailure) {
  TraceBatch b;
  SpanBuilder(&b).Status(1).Event("exception", {{"exception.type", "GraphInterrupt"}}).Done();
  EXPECT_FALSE(One(b).failure);
}

TEST(FailureTest, FinishReasonContentFilter) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.response.finish_reasons", std::vector<std::string>{"content_filter"}).Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->source, FailureSource::kFinishReason);
  EXPECT_EQ(s.failure->type, FailureType::kModel);
  EXPECT_EQ(s.failure->code, "content_filtered");
}

TEST(FailureTest, ContentFilterOnGuardrailStepIsGuardrailFailure) {
  TraceBatch b;
  SpanBuilder(&b).Attr("openinference.span.kind", "GUARDRAIL").Attr("llm.finish_reason", "content_filter").Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->type, FailureType::kGuardrail);
  EXPECT_EQ(s.failure->code, "content_filtered");
}

TEST(FailureTest, FinishReasonLengthIsOutputTruncated) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.response.finish_reasons", std::vector<std::string>{"stop", "length"}).Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->code, "output_truncated");
  EXPECT_EQ(s.finish_reason, "stop");
}

TEST(FailureTest, FinishReasonError) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.response.finish_reasons", std::vector<std::string>{"error"}).Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->type, FailureType::kModel);
  EXPECT_EQ(s.failure->code, "error");
}

TEST(FailureTest, StopFinishReasonIsNotAFailure) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.response.finish_reasons", std::vector<std::string>{"stop"}).Done();
  EXPECT_FALSE(One(b).failure);
}

TEST(FailureTest, HttpStatusCodes) {
  const std::pair<int, const char*> cases[] = {{429, "rate_limit"}, {408, "timeout"},   {504, "timeout"},
                                               {401, "auth_error"}, {403, "auth_error"}, {500, "api_error"},
                                               {503, "api_error"},  {400, "error"}};
  for (const auto& [code, expected] : cases) {
    SCOPED_TRACE(code);
    TraceBatch b;
    SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("http.response.status_code", code).Done();
    auto s = One(b);
    ASSERT_TRUE(s.failure);
    EXPECT_EQ(s.failure->source, FailureSource::kHttpStatus);
    EXPECT_EQ(s.failure->code, expected);
  }
  TraceBatch ok;
  SpanBuilder(&ok).Attr("http.status_code", 200).Done();
  EXPECT_FALSE(One(ok).failure);
  TraceBatch legacy;
  SpanBuilder(&legacy).Attr("http.status_code", 429).Done();
  ASSERT_TRUE(One(legacy).failure);
}

TEST(FailureTest, ErrorTextClassification) {
  const std::pair<const char*, const char*> cases[] = {
      {"TimeoutError", "timeout"},
      {"DeadlineExceeded", "timeout"},
      {"openai.RateLimitError: 429 Too Many Requests", "rate_limit"},
      {"This model's maximum context length is 8192 tokens", "context_length_exceeded"},
      {"context_length_exceeded", "context_length_exceeded"},
      {"You exceeded your current quota", "quota_exceeded"},
      {"APIConnectionError: Connection error.", "connection_error"},
      {"AuthenticationError: Incorrect API key provided", "auth_error"},
      {"pydantic_core.ValidationError: 1 validation error", "schema_invalid"},
      {"model returned invalid JSON", "schema_invalid"},
      {"No results found for query", "no_results"},
      {"InternalServerError", "api_error"},
      {"KeyError: 'x'", "error"},
  };
  for (const auto& [text, code] : cases) {
    SCOPED_TRACE(text);
    TraceBatch b;
    SpanBuilder(&b).Status(2, text).Done();
    auto s = One(b);
    ASSERT_TRUE(s.failure);
    EXPECT_EQ(s.failure->code, code);
  }
}

TEST(FailureTest, FailureTypeFollowsStepType) {
  const std::pair<const char*, FailureType> cases[] = {
      {"TOOL", FailureType::kTool},        {"LLM", FailureType::kModel},
      {"RETRIEVER", FailureType::kRetrieval}, {"GUARDRAIL", FailureType::kGuardrail},
      {"AGENT", FailureType::kOrchestration}, {"CHAIN", FailureType::kOrchestration},
      {"EVALUATOR", FailureType::kUnknown}};
  for (const auto& [kind, type] : cases) {
    SCOPED_TRACE(kind);
    TraceBatch b;
    SpanBuilder(&b).Attr("openinference.span.kind", kind).Status(2, "x").Done();
    auto s = One(b);
    ASSERT_TRUE(s.failure);
    EXPECT_EQ(s.failure->type, type);
  }
}

TEST(FailureTest, GuardrailErrorWithoutDetailIsGuardrailTriggered) {
  TraceBatch b;
  SpanBuilder(&b).Attr("openinference.span.kind", "GUARDRAIL").Status(2, "").Done();
  EXPECT_EQ(One(b).failure->code, "guardrail_triggered");
}

TEST(FailureTest, RetrievalNoResultsFlag) {
  TraceBatch b;
  SpanBuilder(&b).Attr("openinference.span.kind", "RETRIEVER").Attr("tracery.retrieval.no_results", true).Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->type, FailureType::kRetrieval);
  EXPECT_EQ(s.failure->code, "no_results");
}

TEST(FailureTest, RetrievalEmptyDocumentsWithErrorStatusIsNoResults) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "retrieval").Attr("gen_ai.retrieval.documents", "[]").Status(2, "").Done();
  auto s = One(b);
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->code, "no_results");
}

TEST(FailureTest, RetrievalWithDocumentsAndErrorIsNotNoResults) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("openinference.span.kind", "RETRIEVER")
      .Attr("retrieval.documents.0.document.id", "a")
      .Status(2, "")
      .Done();
  EXPECT_EQ(One(b).failure->code, "error");
}

TEST(FailureTest, CleanSpanHasNoFailure) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Status(1).Done();
  EXPECT_FALSE(One(b).failure);
}

// --- retries ----------------------------------------------------------------------------------

TEST(RetryTest, ExplicitAttemptAndRetryOf) {
  TraceBatch b;
  SpanBuilder(&b).Attr("tracery.step.attempt", 2).Attr("tracery.step.retry_of", "AABBCCDDEEFF0011").Done();
  auto s = One(b);
  EXPECT_EQ(s.attempt, 2);
  EXPECT_EQ(s.retry_of, "aabbccddeeff0011");
  EXPECT_EQ(s.max_attempts, 0);  // not reported
  TraceBatch budget;
  SpanBuilder(&budget).Attr("tracery.step.attempt", 3).Attr("tracery.step.max_attempts", 3).Done();
  EXPECT_EQ(One(budget).max_attempts, 3);
}

TEST(RetryTest, HttpResendCountGivesAttempt) {
  TraceBatch b;
  SpanBuilder(&b).Attr("http.request.resend_count", 2).Done();
  EXPECT_EQ(One(b).attempt, 3);
}

TEST(RetryTest, InvalidValuesIgnored) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("tracery.step.attempt", 0)
      .Attr("tracery.step.retry_of", "not-hex-at-all!!")
      .Attr("tracery.step.max_attempts", -2)
      .Done();
  auto s = One(b);
  EXPECT_EQ(s.max_attempts, 0);
  EXPECT_EQ(s.attempt, 0);
  EXPECT_EQ(s.retry_of, "");
}

// --- content: dedup, hygiene ------------------------------------------------------------------

// An SDK re-sends the conversation serialized the same way on every call (the whitespace
// between elements may differ); each message must map to the same part bytes.
TEST(ContentTest, SameMessageInTwoCallsHasIdenticalBytes) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.input.messages",
            R"([{"role":"system","parts":[{"type":"text","content":"You are helpful"}]},
                {"role":"user","parts":[{"type":"text","content":"Hi"}]}])")
      .Done();
  SpanBuilder(&b, kSpan3)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.input.messages",
            R"([ {"role":"system","parts":[{"type":"text","content":"You are helpful"}]} ,
                 {"role":"user","parts":[{"type":"text","content":"Hi"}]},
                 {"role":"assistant","parts":[{"type":"text","content":"Hello"}]},
                 {"role":"user","parts":[{"type":"text","content":"Bye"}]}])")
      .Done();
  auto out = Normalize(b);
  ASSERT_EQ(out.steps.size(), 2u);
  const auto* a = Content(out.steps[0], "input");
  const auto* c = Content(out.steps[1], "input");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->parts.size(), 4u);
  EXPECT_EQ(a->parts[0], c->parts[0]);
  EXPECT_EQ(a->parts[1], c->parts[1]);
}

TEST(ContentTest, InvalidJsonMessagesAreKeptAsText) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.input.messages", "[{broken").Done();
  auto s = One(b);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_FALSE(in->is_list);
  EXPECT_EQ(in->mime, "text/plain");
  EXPECT_EQ(in->parts[0], "[{broken");
}

TEST(ContentTest, LargePartIsTruncatedAndStaysValidJson) {
  TraceBatch b;
  std::string big(5000, 'x');
  SpanBuilder(&b).Attr("gen_ai.operation.name", "chat").Attr("gen_ai.input.messages", R"([{"content":")" + big + R"("}])").Done();
  auto o = DefaultOptions();
  o.max_content_part = 1000;
  auto s = One(b, o);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_LT(in->parts[0].size(), 1100u);
  EXPECT_FALSE(Json::parse(in->parts[0], nullptr, false).is_discarded());
  EXPECT_NE(in->parts[0].find("truncated"), std::string::npos);
}

TEST(ContentTest, LongAttributeValueIsTruncatedTo4KiB) {
  TraceBatch b;
  SpanBuilder(&b).Attr("custom.blob", std::string(10000, 'y')).Done();
  auto attrs = Attrs(One(b));
  std::string v = attrs["custom.blob"];
  EXPECT_LT(v.size(), 4200u);
  EXPECT_NE(v.find("truncated"), std::string::npos);
}

TEST(ContentTest, InvalidUtf8IsReplacedEverywhere) {
  TraceBatch b;
  std::string bad = "ok\xC3\x28 \xFF end";
  SpanBuilder(&b)
      .Name(bad)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("custom", bad)
      .Attr("gen_ai.input.messages", "[\"" + bad + "\"]")
      .Attr("input.value", bad)
      .Done();
  auto s = One(b);
  EXPECT_NE(s.name.find("\xEF\xBF\xBD"), std::string::npos);
  auto attrs = Attrs(s);
  EXPECT_NE(attrs["custom"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
  const auto* in = Content(s, "input");
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->is_list);
  EXPECT_FALSE(Json::parse(in->parts[0], nullptr, false).is_discarded());
}

TEST(ContentTest, AttributeValueTypesArePreserved) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("i", 5)
      .Attr("d", 1.5)
      .Attr("t", true)
      .Attr("arr", std::vector<std::string>{"a", "b"})
      .Attr("raw", Val::Bytes(std::string("\x01\x02", 2)))
      .Done();
  auto a = Attrs(One(b));
  EXPECT_EQ(a["i"], 5);
  EXPECT_EQ(a["d"], 1.5);
  EXPECT_EQ(a["t"], true);
  EXPECT_EQ(a["arr"], Json::array({"a", "b"}));
  EXPECT_TRUE(a["raw"].is_string());
}

TEST(ContentTest, AllContentKeysRemovedFromAttributes) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("input.value", "x")
      .Attr("output.value", "y")
      .Attr("traceloop.entity.input", "x")
      .Attr("ai.prompt", "x")
      .Attr("gen_ai.tool.call.arguments", "{}")
      .Attr("retrieval.documents.0.document.content", "x")
      .Attr("llm.output_messages.0.message.content", "x")
      .Attr("pydantic_ai.all_messages", "[]")
      .Attr("keep.me", "yes")
      .Done();
  auto a = Attrs(One(b));
  EXPECT_EQ(a.size(), 1u) << a.dump();
  EXPECT_EQ(a["keep.me"], "yes");
}

// --- run hints --------------------------------------------------------------------------------

TEST(HintsTest, SessionPrecedence) {
  TraceBatch b;
  SpanBuilder(&b).Attr("session.id", "s").Attr("gen_ai.conversation.id", "conv").Attr("langfuse.session.id", "lf").Done();
  EXPECT_EQ(One(b).hints.session_id, "conv");
}

TEST(HintsTest, EnvironmentSpanBeatsResourceAndResourceIsFallback) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Resource("service.name", "svc").Resource("deployment.environment.name", "prod").Done();
  SpanBuilder(&b, kSpan3).Attr("tracery.environment", "dev").Resource("deployment.environment", "prod").Done();
  auto out = Normalize(b);
  EXPECT_EQ(out.steps[0].hints.environment, "prod");
  EXPECT_EQ(out.steps[1].hints.environment, "dev");
}

TEST(HintsTest, ServiceNameVersionAndAgentFallback) {
  TraceBatch b;
  SpanBuilder(&b).Resource("service.name", "checkout-bot").Resource("service.version", "1.4.2").Done();
  auto h = One(b).hints;
  EXPECT_EQ(h.service_name, "checkout-bot");
  EXPECT_EQ(h.agent_version, "1.4.2");
  EXPECT_EQ(h.agent_id, "");  // the summarizer falls back to service_name when no agent exists
}

TEST(HintsTest, ExplicitAgentIdAndVersionWin) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("openinference.span.kind", "AGENT")
      .Attr("agent.name", "inner")
      .Attr("tracery.agent.id", "support")
      .Attr("gen_ai.agent.version", "7")
      .Resource("service.version", "1.0")
      .Done();
  auto h = One(b).hints;
  EXPECT_EQ(h.agent_id, "support");
  EXPECT_EQ(h.agent_version, "7");
}

TEST(HintsTest, WorkflowNameAndUser) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.workflow.name", "crew").Attr("enduser.id", "e1").Done();
  auto h = One(b).hints;
  EXPECT_EQ(h.name, "crew");
  EXPECT_EQ(h.user_id, "e1");
}

TEST(HintsTest, TagsFromJsonStringAndCommaListAreDeduplicated) {
  TraceBatch b;
  SpanBuilder(&b).Attr("langfuse.trace.tags", R"(["a","b"])").Attr("langsmith.span.tags", "b, c").Done();
  EXPECT_EQ(One(b).hints.tags, (std::vector<std::string>{"a", "b", "c"}));
}

// --- privacy ----------------------------------------------------------------------------------

NormalizeOptions WithMode(PrivacyMode m) {
  auto o = DefaultOptions();
  o.privacy.default_mode = m;
  return o;
}

TEST(PrivacyNormalizeTest, MetadataOnlyDropsContentKeepsMetadata) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.request.model", "gpt-4o")
      .Attr("gen_ai.usage.input_tokens", 10)
      .Attr("gen_ai.input.messages", R"([{"role":"user","content":"secret plan"}])")
      .Event("gen_ai.user.message", {{"content", "secret plan"}, {"gen_ai.system", "openai"}})
      .Event("exception", {{"exception.type", "TimeoutError"}, {"exception.message", "mail a@b.com"}})
      .Status(2, "failed for a@b.com")
      .Done();
  auto s = One(b, WithMode(PrivacyMode::kMetadataOnly));
  EXPECT_TRUE(s.content.empty());
  EXPECT_EQ(s.tokens.input, 10);
  EXPECT_EQ(s.model, "gpt-4o");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].attributes_json, R"({"gen_ai.system":"openai"})");
  EXPECT_EQ(s.status_message, "failed for [REDACTED:email]");
  ASSERT_TRUE(s.failure);
  EXPECT_EQ(s.failure->code, "timeout");
  EXPECT_EQ(s.failure->message.find("a@b.com"), std::string::npos);
}

TEST(PrivacyNormalizeTest, MaskModeRedactsPiiInContentAndAttributes) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.input.messages", R"([{"role":"user","content":"I am bob@example.com"}])")
      .Attr("user.email", "bob@example.com")
      .Done();
  auto s = One(b, WithMode(PrivacyMode::kMask));
  EXPECT_EQ(Part(Content(s, "input"), 0)["content"], "I am [REDACTED:email]");
  EXPECT_EQ(Attrs(s)["user.email"], "[REDACTED:email]");
}

TEST(PrivacyNormalizeTest, FullModeMasksSecretsButKeepsPii) {
  TraceBatch b;
  SpanBuilder(&b)
      .Attr("gen_ai.operation.name", "chat")
      .Attr("gen_ai.input.messages", R"([{"content":"key sk-abcdefghijklmnopqrstuvwxyz mail bob@example.com"}])")
      .Attr("db.password", "hunter2")
      .Done();
  auto s = One(b, WithMode(PrivacyMode::kFull));
  EXPECT_EQ(Part(Content(s, "input"), 0)["content"], "key [REDACTED:api_key] mail bob@example.com");
  EXPECT_EQ(Attrs(s)["db.password"], "[REDACTED:password]");
}

TEST(PrivacyNormalizeTest, SecretKeysInsideJsonContentAreMasked) {
  TraceBatch b;
  SpanBuilder(&b).Attr("gen_ai.tool.name", "login").Attr("gen_ai.tool.call.arguments", R"({"user":"bob","password":"pw1"})").Done();
  auto s = One(b);
  EXPECT_EQ(Content(s, "tool.arguments")->parts[0], R"({"password":"[REDACTED:password]","user":"bob"})");
}

TEST(PrivacyNormalizeTest, PolicyByAgentOverridesService) {
  TraceBatch b;
  SpanBuilder(&b, kSpan2).Attr("gen_ai.agent.name", "hr").Attr("input.value", "x").Resource("service.name", "svc").Done();
  SpanBuilder(&b, kSpan3).Attr("gen_ai.agent.name", "other").Attr("input.value", "x").Resource("service.name", "svc").Done();
  auto o = DefaultOptions();
  o.privacy.by_service["svc"] = PrivacyMode::kMask;
  o.privacy.by_agent["hr"] = PrivacyMode::kMetadataOnly;
  auto out = Normalize(b, o);
  EXPECT_TRUE(out.steps[0].content.empty());
  EXPECT_FALSE(out.steps[1].content.empty());
}

TEST(PrivacyNormalizeTest, RunMetadataIsRedacted) {
  TraceBatch b;
  SpanBuilder(&b).Attr("metadata", R"({"contact":"bob@example.com"})").Done();
  auto s = One(b, WithMode(PrivacyMode::kMask));
  EXPECT_EQ(Json::parse(s.hints.metadata_json)["contact"], "[REDACTED:email]");
}

// --- logs -------------------------------------------------------------------------------------

NormalizedBatch NormalizeLogBatch(const LogBatch& b, NormalizeOptions o = DefaultOptions()) {
  NormalizedBatch out;
  Normalizer(std::move(o)).NormalizeLogs(b, 1, &out);
  return out;
}

TEST(LogsTest, RecordBecomesEventJoinedBySpan) {
  LogBatch b;
  Val body("hello there");
  AddLog(&b, "gen_ai.evaluation.result", {{"gen_ai.evaluation.name", "relevance"}, {"gen_ai.evaluation.score.value", 0.9}}, &body);
  auto out = NormalizeLogBatch(b);
  ASSERT_EQ(out.events.size(), 1u);
  const auto& e = out.events[0];
  EXPECT_EQ(e.run_id, testing::kTraceHex);
  EXPECT_EQ(e.step_id, "00f067aa0ba902b7");
  EXPECT_EQ(e.name, "gen_ai.evaluation.result");
  EXPECT_EQ(e.time_ns, 1'700'000'000'200'000'000LL);
  EXPECT_EQ(Json::parse(e.attributes_json)["gen_ai.evaluation.name"], "relevance");
  EXPECT_EQ(e.body_json, R"("hello there")");
  EXPECT_TRUE(out.steps.empty());
}

TEST(LogsTest, NameFromEventNameAttributeElseLog) {
  LogBatch b;
  AddLog(&b, "", {{"event.name", "gen_ai.user.message"}}, nullptr);
  AddLog(&b, "", {}, nullptr, "");
  auto out = NormalizeLogBatch(b);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].name, "gen_ai.user.message");
  EXPECT_EQ(out.events[1].name, "log");
  EXPECT_EQ(out.events[1].step_id, "");
  EXPECT_EQ(out.events[1].attributes_json, "{}");
  EXPECT_EQ(out.events[1].body_json, "");
}

TEST(LogsTest, KvListBodyBecomesJsonObjectAndIsRedacted) {
  LogBatch b;
  AddLog(&b, "gen_ai.user.message", {}, nullptr);
  Arena* arena = &b.arena;
  std::vector<KeyValueView> kvs;
  AnyValueView content;
  content.type = ValueType::kString;
  content.str = arena->Store("reach me at bob@example.com");
  kvs.push_back({arena->Store("content"), content});
  AnyValueView role;
  role.type = ValueType::kString;
  role.str = arena->Store("user");
  kvs.push_back({arena->Store("role"), role});
  b.records[0].body.type = ValueType::kKvList;
  b.records[0].body.kvlist = arena->StoreVector(std::move(kvs));
  auto out = NormalizeLogBatch(b, WithMode(PrivacyMode::kMask));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].body_json, R"({"content":"reach me at [REDACTED:email]","role":"user"})");
}

TEST(LogsTest, MetadataOnlyDropsBodyAndContentAttributes) {
  LogBatch b;
  Val body("the prompt");
  AddLog(&b, "gen_ai.user.message", {{"content", "the prompt"}, {"gen_ai.system", "openai"}}, &body);
  auto out = NormalizeLogBatch(b, WithMode(PrivacyMode::kMetadataOnly));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].body_json, "");
  EXPECT_EQ(out.events[0].attributes_json, R"({"gen_ai.system":"openai"})");
}

}  // namespace
}  // namespace tracery::ingest

namespace tracery::ingest {
namespace {

using testing::kTraceHex;
using testing::Raw;
using testing::SpanBuilder;

// AutoGen "process" spans link to the sender's span: same-trace links become linked_steps.
TEST(SpanLinksTest, SameTraceLinksBecomeLinkedSteps) {
  TraceBatch b;
  SpanBuilder(&b)
      .Name("autogen process planner.(default)-A")
      .LinkRaw(Raw(kTraceHex), Raw("1111111111111111"))
      .LinkRaw(Raw(kTraceHex), Raw("2222222222222222"))
      .Done();
  NormalizedBatch out;
  Normalizer(NormalizeOptions{}).NormalizeTraces(b, 42, &out);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].linked_steps, (std::vector<std::string>{"1111111111111111", "2222222222222222"}));
}

TEST(SpanLinksTest, OtherTracesInvalidIdsDuplicatesAndSelfLinksAreDropped) {
  TraceBatch b;
  SpanBuilder(&b, "00f067aa0ba902b7")
      .LinkRaw(Raw("ffffffffffffffffffffffffffffffff"), Raw("3333333333333333"))  // other trace
      .LinkRaw(Raw(kTraceHex), Raw("4444"))                                        // short span id
      .LinkRaw(Raw(kTraceHex), std::string(9, 'x'))                                // long span id
      .LinkRaw(Raw(kTraceHex), std::string(8, '\0'))                               // all-zero id
      .LinkRaw(Raw(kTraceHex), Raw("00f067aa0ba902b7"))                            // itself
      .LinkRaw(Raw(kTraceHex), Raw("5555555555555555"))
      .LinkRaw(Raw(kTraceHex), Raw("5555555555555555"))  // duplicate
      .Done();
  NormalizedBatch out;
  Normalizer(NormalizeOptions{}).NormalizeTraces(b, 42, &out);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].linked_steps, (std::vector<std::string>{"5555555555555555"}));
}

TEST(SpanLinksTest, LinkCountIsCapped) {
  TraceBatch b;
  SpanBuilder sb(&b);
  for (int i = 0; i < 1000; ++i) {
    std::string raw(8, '\0');
    raw[0] = static_cast<char>(1 + i % 250);
    raw[1] = static_cast<char>(i / 250);
    sb.LinkRaw(Raw(kTraceHex), raw);
  }
  sb.Done();
  NormalizedBatch out;
  Normalizer(NormalizeOptions{}).NormalizeTraces(b, 42, &out);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].linked_steps.size(), 64u);
}

TEST(SpanLinksTest, NoLinksMeansEmpty) {
  TraceBatch b;
  SpanBuilder(&b).Done();
  NormalizedBatch out;
  Normalizer(NormalizeOptions{}).NormalizeTraces(b, 42, &out);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_TRUE(out.steps[0].linked_steps.empty());
}

}  // namespace
}  // namespace tracery::ingest
