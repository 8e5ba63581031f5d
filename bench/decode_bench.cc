// Decode micro-benchmarks on a realistic batch: 512 GenAI spans (chat / tool / agent steps,
// token counts, long message-content strings on every 4th span). Reports spans/s.
//   BM_DecodeTracesProto       our zero-copy protobuf decoder (includes copying the body in)
//   BM_ParseTracesLibprotobuf  generated ParseFromString of the same bytes (baseline)
//   BM_DecodeTracesJson        our simdjson OTLP/JSON decoder on the equivalent JSON
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "core/hex.h"
#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace {

using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace otc = ::opentelemetry::proto::common::v1;

constexpr int kSpans = 512;

std::string Id(uint64_t a, uint64_t b, int bytes) {
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = 0; i < bytes; ++i) out[static_cast<size_t>(i)] = static_cast<char>(((i < 8 ? a : b) >> (8 * (i % 8))) | 1);
  return out;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

struct Batch {
  std::string proto;
  std::string json;
};

// Builds the same batch as protobuf bytes and as OTLP/JSON (hex ids, string int64s).
Batch MakeBatch() {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  std::string json = R"({"resourceSpans":[{"resource":{"attributes":[)";
  const std::pair<const char*, const char*> res_attrs[] = {
      {"service.name", "support-agent"}, {"telemetry.sdk.language", "python"}, {"telemetry.sdk.name", "opentelemetry"},
      {"telemetry.sdk.version", "1.27.0"}, {"deployment.environment", "prod"}};
  for (size_t i = 0; i < std::size(res_attrs); ++i) {
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key(res_attrs[i].first);
    kv->mutable_value()->set_string_value(res_attrs[i].second);
    json += fmt::format(R"({}{{"key":"{}","value":{{"stringValue":"{}"}}}})", i ? "," : "", res_attrs[i].first,
                        res_attrs[i].second);
  }
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("opentelemetry.instrumentation.openai_v2");
  ss->mutable_scope()->set_version("2.0b0");
  json += R"(]},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.openai_v2","version":"2.0b0"},"spans":[)";
  std::string long_content = R"([{"role":"system","parts":[{"type":"text","content":")" + std::string(1500, 'S') +
                             R"("}]},{"role":"user","parts":[{"type":"text","content":"Where is my order #1234? )" +
                             std::string(400, 'u') + R"("}]}])";
  for (int i = 0; i < kSpans; ++i) {
    auto* s = ss->add_spans();
    std::string trace_id = Id(1000 + static_cast<uint64_t>(i / 16), 77, 16);
    std::string span_id = Id(5000 + static_cast<uint64_t>(i), 0, 8);
    std::string parent = i % 16 == 0 ? "" : Id(5000 + static_cast<uint64_t>(i - i % 16), 0, 8);
    int kind = i % 3;  // 0 chat, 1 tool, 2 agent
    std::string name = kind == 0 ? "chat gpt-4o" : kind == 1 ? "execute_tool lookup_order" : "invoke_agent triage";
    uint64_t start = 1754000000000000000ULL + static_cast<uint64_t>(i) * 1000000;
    s->set_trace_id(trace_id);
    s->set_span_id(span_id);
    s->set_parent_span_id(parent);
    s->set_name(name);
    s->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
    s->set_start_time_unix_nano(start);
    s->set_end_time_unix_nano(start + 850000000);
    s->set_flags(0x301);
    std::string attrs;
    auto str_attr = [&](const char* k, const std::string& v) {
      auto* kv = s->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
      attrs += fmt::format(R"({}{{"key":"{}","value":{{"stringValue":"{}"}}}})", attrs.empty() ? "" : ",", k, JsonEscape(v));
    };
    auto int_attr = [&](const char* k, int64_t v) {
      auto* kv = s->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_int_value(v);
      attrs += fmt::format(R"({}{{"key":"{}","value":{{"intValue":"{}"}}}})", attrs.empty() ? "" : ",", k, v);
    };
    str_attr("gen_ai.operation.name", kind == 0 ? "chat" : kind == 1 ? "execute_tool" : "invoke_agent");
    str_attr("gen_ai.system", "openai");
    str_attr("gen_ai.conversation.id", fmt::format("conv-{}", i / 16));
    str_attr("gen_ai.agent.name", "triage");
    if (kind == 0) {
      str_attr("gen_ai.request.model", "gpt-4o");
      str_attr("gen_ai.response.model", "gpt-4o-2024-08-06");
      str_attr("gen_ai.response.id", fmt::format("chatcmpl-{}", i));
      int_attr("gen_ai.usage.input_tokens", 1200 + i);
      int_attr("gen_ai.usage.output_tokens", 85 + i % 40);
      auto* kv = s->add_attributes();
      kv->set_key("gen_ai.request.temperature");
      kv->mutable_value()->set_double_value(0.2);
      attrs += R"(,{"key":"gen_ai.request.temperature","value":{"doubleValue":0.2}})";
      auto* fr = s->add_attributes();
      fr->set_key("gen_ai.response.finish_reasons");
      fr->mutable_value()->mutable_array_value()->add_values()->set_string_value("stop");
      attrs += R"(,{"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[{"stringValue":"stop"}]}}})";
    } else if (kind == 1) {
      str_attr("gen_ai.tool.name", "lookup_order");
      str_attr("gen_ai.tool.call.id", fmt::format("call_{}", i));
      str_attr("gen_ai.tool.call.arguments", R"({"order_id":"1234"})");
    }
    if (i % 4 == 0) {
      str_attr("gen_ai.input.messages", long_content);
      str_attr("gen_ai.output.messages",
               R"([{"role":"assistant","parts":[{"type":"text","content":")" + std::string(600, 'a') + R"("}]}])");
    }
    std::string events;
    if (i % 8 == 0) {
      auto* ev = s->add_events();
      ev->set_name("gen_ai.choice");
      ev->set_time_unix_nano(start + 800000000);
      auto* kv = ev->add_attributes();
      kv->set_key("index");
      kv->mutable_value()->set_int_value(0);
      events = fmt::format(R"(,"events":[{{"timeUnixNano":"{}","name":"gen_ai.choice","attributes":[{{"key":"index","value":{{"intValue":"0"}}}}]}}])",
                           start + 800000000);
    }
    s->mutable_status()->set_code(i % 50 == 0 ? opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR
                                              : opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
    json += fmt::format(
        R"({}{{"traceId":"{}","spanId":"{}","parentSpanId":"{}","name":"{}","kind":3,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","flags":769,"attributes":[{}]{},"status":{{"code":{}}}}})",
        i ? "," : "", tracery::HexEncode(trace_id), tracery::HexEncode(span_id), tracery::HexEncode(parent), name, start,
        start + 850000000, attrs, events, i % 50 == 0 ? 2 : 1);
  }
  json += "]}]}]}";
  return {req.SerializeAsString(), json};
}

const Batch& TheBatch() {
  static const Batch b = MakeBatch();
  return b;
}

void BM_DecodeTracesProto(benchmark::State& state) {
  const std::string& bytes = TheBatch().proto;
  for (auto _ : state) {
    tracery::ingest::TraceBatch batch;
    tracery::Status st = tracery::ingest::DecodeTracesProto(bytes, &batch);
    if (!st.ok() || batch.spans.size() != kSpans) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(batch.spans.data());
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_DecodeTracesProto);

void BM_ParseTracesLibprotobuf(benchmark::State& state) {
  const std::string& bytes = TheBatch().proto;
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    if (!req.ParseFromString(bytes)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(req.resource_spans_size());
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_ParseTracesLibprotobuf);

void BM_DecodeTracesJson(benchmark::State& state) {
  const std::string& json = TheBatch().json;
  for (auto _ : state) {
    tracery::ingest::TraceBatch batch;
    tracery::Status st = tracery::ingest::DecodeTracesJson(json, &batch);
    if (!st.ok() || batch.spans.size() != kSpans) state.SkipWithError(st.ok() ? "span count" : st.message().c_str());
    benchmark::DoNotOptimize(batch.spans.data());
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
}
BENCHMARK(BM_DecodeTracesJson);

}  // namespace

BENCHMARK_MAIN();
