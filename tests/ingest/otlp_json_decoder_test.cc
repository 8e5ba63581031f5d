#include <google/protobuf/util/json_util.h>

#include "core/hex.h"
#include "ingest/otlp_decode.h"
#include "ingest/otlp_test_util.h"
#include "testing/testing.h"

namespace tracery::ingest {
namespace {

using namespace testutil;  // NOLINT: test-local helpers
using ::testing::HasSubstr;

std::string ToJson(const google::protobuf::Message& m, bool snake = false, bool enum_ints = false) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = snake;
  opts.always_print_enums_as_ints = enum_ints;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out, opts).ok());
  return out;
}

std::string Raw(std::string_view hex) {
  std::string out;
  EXPECT_TRUE(HexDecode(hex, &out));
  return out;
}

// A hand-written OTLP/JSON request as an SDK would send it (hex ids, camelCase, string int64).
constexpr std::string_view kFixture = R"({
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "agent"}}]},
    "scopeSpans": [{
      "scope": {"name": "ai", "version": "4.0"},
      "spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "",
        "name": "ai.generateText",
        "kind": 3,
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": 1544712661000000000,
        "attributes": [
          {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
          {"key": "n", "value": {"intValue": 7}},
          {"key": "t", "value": {"doubleValue": "NaN"}},
          {"key": "inf", "value": {"doubleValue": "-Infinity"}},
          {"key": "ok", "value": {"boolValue": true}},
          {"key": "raw", "value": {"bytesValue": "AP8B"}},
          {"key": "e", "value": {}},
          {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "x"}, {"arrayValue": {"values": [{"intValue": 3}]}}]}}},
          {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "nested", "value": {"kvlistValue": {}}}]}}},
          {"key": "esc", "value": {"stringValue": "line\nquote\" \u00e9 \ud83d\ude42"}}
        ],
        "droppedAttributesCount": 0,
        "events": [{"timeUnixNano": "123", "name": "gen_ai.user.message",
                    "attributes": [{"key": "content", "value": {"stringValue": "hi"}}]}],
        "links": [{"traceId": "00000000000000000000000000000001", "spanId": "0000000000000002", "attributes": []}],
        "status": {"code": 2, "message": "boom"},
        "flags": 769,
        "someFutureField": {"ignored": [1, 2, {"deep": null}]}
      }]
    }]
  }]
})";

ExportTraceServiceRequest FixtureAsProto() {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* a = rs->mutable_resource()->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value("agent");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("ai");
  ss->mutable_scope()->set_version("4.0");
  auto* s = ss->add_spans();
  s->set_trace_id(Raw("5b8efff798038103d269b633813fc60c"));
  s->set_span_id(Raw("eee19b7ec3c1b174"));
  s->set_name("ai.generateText");
  s->set_kind(ott::Span::SPAN_KIND_CLIENT);
  s->set_start_time_unix_nano(1544712660000000000ULL);
  s->set_end_time_unix_nano(1544712661000000000ULL);
  auto add = [&](const char* key) {
    auto* kv = s->add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("gen_ai.usage.input_tokens")->set_int_value(42);
  add("n")->set_int_value(7);
  add("t")->set_double_value(std::nan(""));
  add("inf")->set_double_value(-INFINITY);
  add("ok")->set_bool_value(true);
  add("raw")->set_bytes_value(std::string("\0\xff\x01", 3));
  add("e");
  auto* arr = add("arr")->mutable_array_value();
  arr->add_values()->set_string_value("x");
  arr->add_values()->mutable_array_value()->add_values()->set_int_value(3);
  auto* kv = add("kv")->mutable_kvlist_value()->add_values();
  kv->set_key("nested");
  kv->mutable_value()->mutable_kvlist_value();
  add("esc")->set_string_value("line\nquote\" \xc3\xa9 \xf0\x9f\x99\x82");
  auto* ev = s->add_events();
  ev->set_time_unix_nano(123);
  ev->set_name("gen_ai.user.message");
  auto* ea = ev->add_attributes();
  ea->set_key("content");
  ea->mutable_value()->set_string_value("hi");
  auto* ln = s->add_links();
  ln->set_trace_id(Raw("00000000000000000000000000000001"));
  ln->set_span_id(Raw("0000000000000002"));
  s->mutable_status()->set_code(ott::Status::STATUS_CODE_ERROR);
  s->mutable_status()->set_message("boom");
  s->set_flags(769);
  return req;
}

TEST(OtlpJsonDecoderTest, HandWrittenFixtureMatchesProto) {
  TraceBatch batch;
  ASSERT_OK(DecodeTracesJson(std::string(kFixture), &batch));
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(Dump(batch), DumpPb(FixtureAsProto()));
  EXPECT_EQ(batch.spans[0].attributes[9].value.str, "line\nquote\" \xc3\xa9 \xf0\x9f\x99\x82");
  // The same bytes through the protobuf path give the same views.
  TraceBatch proto;
  ASSERT_OK(DecodeTracesProto(FixtureAsProto().SerializeAsString(), &proto));
  EXPECT_EQ(Dump(batch), Dump(proto));
}

TEST(OtlpJsonDecoderTest, UnescapedStringsAreViewsIntoTheBody) {
  TraceBatch batch;
  ASSERT_OK(DecodeTracesJson(std::string(kFixture), &batch));
  const char* lo = batch.body.data();
  const char* hi = lo + batch.body.size();
  EXPECT_TRUE(batch.spans[0].name.data() >= lo && batch.spans[0].name.data() < hi);
}

TEST(OtlpJsonDecoderTest, LibprotobufJsonOfFullRequestMatches) {
  ExportTraceServiceRequest req = FixtureAsProto();
  for (bool snake : {false, true}) {
    for (bool ints : {false, true}) {
      TraceBatch batch;
      ASSERT_OK(DecodeTracesJson(ToJson(req, snake, ints), &batch)) << ToJson(req, snake, ints);
      EXPECT_EQ(Dump(batch), DumpPb(req)) << "snake=" << snake << " ints=" << ints;
    }
  }
}

TEST(OtlpJsonDecoderTest, RandomizedJsonVsProtoEquivalence) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    RandomOtlp gen(seed);
    ExportTraceServiceRequest req = gen.Traces();
    TraceBatch from_json, from_proto;
    std::string json = ToJson(req, seed % 2 == 0, seed % 3 == 0);
    ASSERT_OK(DecodeTracesJson(json, &from_json)) << "seed " << seed << ": " << json;
    ASSERT_OK(DecodeTracesProto(req.SerializeAsString(), &from_proto));
    ASSERT_EQ(Dump(from_json), Dump(from_proto)) << "seed " << seed << ": " << json;
  }
}

TEST(OtlpJsonDecoderTest, RandomizedLogsJsonVsProto) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    RandomOtlp gen(seed);
    ExportLogsServiceRequest req = gen.Logs();
    LogBatch from_json, from_proto;
    std::string json = ToJson(req, seed % 2 == 0, seed % 3 == 0);
    ASSERT_OK(DecodeLogsJson(json, &from_json)) << "seed " << seed << ": " << json;
    ASSERT_OK(DecodeLogsProto(req.SerializeAsString(), &from_proto));
    ASSERT_EQ(Dump(from_json), Dump(from_proto)) << "seed " << seed << ": " << json;
  }
}

std::string OneSpan(std::string_view span_fields) {
  return fmt::format(R"({{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"{}}}]}}]}}]}})",
                     span_fields);
}

TEST(OtlpJsonDecoderTest, LenientForms) {
  TraceBatch batch;
  ASSERT_OK(DecodeTracesJson(OneSpan(R"(,"kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_ERROR"},
      "attributes":{"plain":"s","num":3,"f":1.5,"b":false,"list":[1,"a"],"map":{"x":{"y":null}},
                    "any":{"intValue":"9"}},
      "start_time_unix_nano":"5","end_time_unix_nano":6)"),
                             &batch));
  ASSERT_EQ(batch.spans.size(), 1u);
  const SpanView& s = batch.spans[0];
  EXPECT_EQ(s.kind, 2);
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.start_time_unix_nano, 5u);
  EXPECT_EQ(s.end_time_unix_nano, 6u);
  EXPECT_EQ(DumpAttrs(s.attributes), "{plain=s:s,num=i:3,f=d:0x1.8p+0,b=false,list=[i:1,s:a,],map=kv{x=kv{y=empty,},},any=i:9,}");
}

TEST(OtlpJsonDecoderTest, Base64IdsAreAcceptedLeniently) {
  TraceBatch batch;
  ASSERT_OK(DecodeTracesJson(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg=","parentSpanId":"AQIDBAUGBwk"}]}]}]})",
      &batch));
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(HexEncode(batch.spans[0].trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(HexEncode(batch.spans[0].span_id), "0102030405060708");
  EXPECT_EQ(HexEncode(batch.spans[0].parent_span_id), "0102030405060709");
}

TEST(OtlpJsonDecoderTest, BadIdsRejectTheSpanNotTheRequest) {
  TraceBatch batch;
  std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"zz!","spanId":"0102030405060708","name":"not hex"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"01020304","name":"short"},
      {"name":"no ids"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"good"}]}]}]})";
  ASSERT_OK(DecodeTracesJson(body, &batch));
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].name, "good");
  EXPECT_EQ(batch.rejected_spans, 3);
  EXPECT_THAT(batch.reject_message, HasSubstr("\"not hex\" at resourceSpans[0].scopeSpans[0].spans[0]: traceId is neither hex nor base64"));
  EXPECT_THAT(batch.reject_message, HasSubstr("span_id is 4 bytes, want 8"));
}

TEST(OtlpJsonDecoderTest, LogsPayloadSentAsTracesIsNotAccepted) {
  RandomOtlp gen(3);
  ExportLogsServiceRequest req = gen.Logs();
  TraceBatch batch;
  ASSERT_OK(DecodeTracesJson(ToJson(req), &batch));
  EXPECT_EQ(batch.spans.size(), 0u);
}

TEST(OtlpJsonDecoderTest, InvalidUtf8NamesPathAndOffset) {
  std::string body = OneSpan(R"(,"name":"ok","attributes":[{"key":"k","value":{"stringValue":"bad)");
  size_t at = body.size();
  body += "\xff\"}}]";
  body = body.substr(0, body.size()) + "}]}]}]}";
  TraceBatch batch;
  Status st = DecodeTracesJson(body, &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(st.message(), HasSubstr(fmt::format("byte offset {}", at)));
  EXPECT_THAT(st.message(), HasSubstr("$.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.stringValue"));
}

TEST(OtlpJsonDecoderTest, TypeErrorsNameTheJsonPath) {
  TraceBatch batch;
  Status st = DecodeTracesJson(OneSpan(R"(,"attributes":[{"key":"a"},{"key":"b","value":{"intValue":"x1"}}])"), &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("$.resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value.intValue"));
  EXPECT_THAT(st.message(), HasSubstr("expected an integer"));

  st = DecodeTracesJson(OneSpan(R"(,"name":5)"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("spans[0].name: expected a string"));
  st = DecodeTracesJson(OneSpan(R"(,"kind":"SPAN_KIND_NOPE")"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("kind: unknown enum value"));
  st = DecodeTracesJson(OneSpan(R"(,"attributes":[{"key":"b","value":{"bytesValue":"!!"}}])"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("not valid base64"));
  st = DecodeTracesJson(OneSpan(R"(,"startTimeUnixNano":-1)"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("startTimeUnixNano: expected an unsigned integer"));
  st = DecodeTracesJson(OneSpan(R"(,"name":"bad \x escape")"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("invalid escape sequence"));
  st = DecodeTracesJson(OneSpan(R"(,"name":"\ud800 lone surrogate")"), &batch);
  EXPECT_THAT(st.message(), HasSubstr("invalid escape sequence"));
}

TEST(OtlpJsonDecoderTest, MalformedDocuments) {
  for (std::string_view body : {"", "   ", "[]", "42", "{", "{\"resourceSpans\":[", "{\"resourceSpans\":[}",
                                "{\"resourceSpans\":[{]}", "{} {}", "{\"resourceSpans\":{}}", "nul"}) {
    TraceBatch batch;
    Status st = DecodeTracesJson(std::string(body), &batch);
    EXPECT_STATUS(st, StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(st.message(), HasSubstr("invalid OTLP/JSON")) << body;
  }
  TraceBatch ok;
  EXPECT_OK(DecodeTracesJson("{}", &ok));
  EXPECT_OK(DecodeTracesJson(R"({"resourceSpans":null})", &ok));
}

TEST(OtlpJsonDecoderTest, TruncationAtEveryOffsetNeverCrashes) {
  std::string body(kFixture);
  for (size_t n = 0; n < body.size(); ++n) {
    TraceBatch batch;
    Status st = DecodeTracesJson(body.substr(0, n), &batch);
    if (st.ok()) {
      EXPECT_LE(batch.spans.size(), 1u);
    } else {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
      EXPECT_TRUE(batch.spans.empty());
    }
  }
}

TEST(OtlpJsonDecoderTest, MutationsNeverCrash) {
  std::mt19937 rng(9);
  std::string body(kFixture);
  for (int i = 0; i < 3000; ++i) {
    std::string m = body;
    for (int k = 0; k < 2; ++k) m[rng() % m.size()] = "{}[]\",:\\0a \x80"[rng() % 13];
    TraceBatch t;
    (void)DecodeTracesJson(m, &t);
    LogBatch l;
    (void)DecodeLogsJson(m, &l);
  }
}

std::string NestedJson(int levels) {
  std::string v = R"({"stringValue":"leaf"})";
  for (int i = 0; i < levels; ++i) v = R"({"kvlistValue":{"values":[{"key":"k","value":)" + v + "}]}}";
  return OneSpan(R"(,"attributes":[{"key":"bomb","value":)" + v + "}]");
}

TEST(OtlpJsonDecoderTest, NestingBombIsRejected) {
  TraceBatch batch;
  Status st = DecodeTracesJson(NestedJson(10000), &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("nested deeper than 64"));
  ASSERT_OK(DecodeTracesJson(NestedJson(64), &batch));
  EXPECT_STATUS(DecodeTracesJson(NestedJson(65), &batch), StatusCode::kInvalidArgument);
  // Plain JSON nesting (lenient form) and deep unknown fields are bounded too.
  std::string deep_array = OneSpan(R"(,"attributes":{"a":)" + std::string(10000, '[') + std::string(10000, ']') + "}");
  EXPECT_STATUS(DecodeTracesJson(deep_array, &batch), StatusCode::kInvalidArgument);
  std::string deep_unknown = OneSpan(R"(,"future":)" + std::string(10000, '[') + std::string(10000, ']'));
  Status unknown = DecodeTracesJson(deep_unknown, &batch);  // either skipped or a depth error
  if (unknown.ok()) {
    EXPECT_EQ(batch.spans.size(), 1u);
  }
}

TEST(OtlpJsonDecoderTest, AttributeSizeLimit) {
  DecodeOptions opts;
  opts.max_attribute_value = 10;
  TraceBatch batch;
  EXPECT_OK(DecodeTracesJson(OneSpan(R"(,"attributes":[{"key":"k","value":{"stringValue":"0123456789"}}])"), &batch, opts));
  Status st = DecodeTracesJson(OneSpan(R"(,"attributes":[{"key":"k","value":{"stringValue":"0123456789a"}}])"), &batch, opts);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("exceeds the limit of 10"));
  // 16 MiB with the default limit.
  std::string big(16 << 20, 'x');
  EXPECT_OK(DecodeTracesJson(OneSpan(R"(,"attributes":[{"key":"k","value":{"stringValue":")" + big + "\"}}]"), &batch));
  EXPECT_EQ(batch.spans[0].attributes[0].value.str.size(), big.size());
}

TEST(OtlpJsonDecoderTest, LogsWithStructuredBody) {
  std::string body = R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
    "scopeLogs":[{"scope":{"name":"s"},"logRecords":[
      {"timeUnixNano":"10","observedTimeUnixNano":11,"severityNumber":"SEVERITY_NUMBER_INFO","severityText":"INFO",
       "eventName":"gen_ai.choice","body":{"kvlistValue":{"values":[{"key":"index","value":{"intValue":0}}]}},
       "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","flags":1},
      {"body":{"stringValue":"no ids"}},
      {"traceId":"0102","body":{"stringValue":"bad id"}}]}]}]})";
  LogBatch batch;
  ASSERT_OK(DecodeLogsJson(body, &batch));
  ASSERT_EQ(batch.records.size(), 2u);
  const LogRecordView& r = batch.records[0];
  EXPECT_EQ(r.time_unix_nano, 10u);
  EXPECT_EQ(r.observed_time_unix_nano, 11u);
  EXPECT_EQ(r.severity_number, 9);
  EXPECT_EQ(r.event_name, "gen_ai.choice");
  EXPECT_EQ(DumpValue(r.body), "kv{index=i:0,}");
  EXPECT_EQ(r.resource->attributes[0].value.str, "svc");
  EXPECT_EQ(r.scope->name, "s");
  EXPECT_EQ(r.flags, 1u);
  EXPECT_EQ(batch.records[1].body.str, "no ids");
  EXPECT_EQ(batch.rejected_records, 1);
  EXPECT_THAT(batch.reject_message, HasSubstr("logRecords[2]: trace_id is 2 bytes"));
}

}  // namespace
}  // namespace tracery::ingest
