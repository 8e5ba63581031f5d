#include <google/protobuf/unknown_field_set.h>

#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "testing/testing.h"
#include "ingest/otlp_test_util.h"

namespace tracery::ingest {
namespace {

using namespace testutil;  // NOLINT: test-local helpers
using ::testing::HasSubstr;

std::string Ids(int seed, int len) {
  std::string s(static_cast<size_t>(len), '\0');
  for (int i = 0; i < len; ++i) s[static_cast<size_t>(i)] = static_cast<char>(seed * 31 + i + 1);
  return s;
}

void AddUnknown(google::protobuf::Message* m) {
  auto* u = m->GetReflection()->MutableUnknownFields(m);
  u->AddVarint(900, 7);
  u->AddFixed32(901, 0xdeadbeef);
  u->AddFixed64(902, 1);
  u->AddLengthDelimited(903, "ignored");
}

// A request touching every field we decode, with unknown fields sprinkled everywhere.
ExportTraceServiceRequest FullRequest() {
  ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    auto* rs = req.add_resource_spans();
    auto* res = rs->mutable_resource();
    auto* a = res->add_attributes();
    a->set_key("service.name");
    a->mutable_value()->set_string_value(r == 0 ? "planner" : "executor");
    res->set_dropped_attributes_count(2);
    AddUnknown(res);
    rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
    AddUnknown(rs);
    for (int sc = 0; sc < 2; ++sc) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("openinference.instrumentation.langchain");
      ss->mutable_scope()->set_version("0.1." + std::to_string(sc));
      auto* sa = ss->mutable_scope()->add_attributes();
      sa->set_key("scope.attr");
      sa->mutable_value()->set_int_value(-5);
      AddUnknown(ss->mutable_scope());
      AddUnknown(ss);
      for (int i = 0; i < 2; ++i) {
        auto* s = ss->add_spans();
        int seed = r * 100 + sc * 10 + i;
        s->set_trace_id(Ids(seed, 16));
        s->set_span_id(Ids(seed + 1, 8));
        if (i == 1) s->set_parent_span_id(Ids(seed, 8));
        s->set_trace_state("vendor=x");
        s->set_name("chat gpt-4o");
        s->set_kind(ott::Span::SPAN_KIND_CLIENT);
        s->set_start_time_unix_nano(1700000000000000000ULL + static_cast<uint64_t>(seed));
        s->set_end_time_unix_nano(~0ULL);
        auto add = [&](const char* key) {
          auto* kv = s->add_attributes();
          kv->set_key(key);
          return kv->mutable_value();
        };
        add("gen_ai.system")->set_string_value("openai");
        add("bool")->set_bool_value(true);
        add("int.neg")->set_int_value(INT64_MIN);
        add("double")->set_double_value(-0.5);
        add("bytes")->set_bytes_value(std::string("\0\xff\x01", 3));
        add("empty");
        auto* arr = add("array")->mutable_array_value();
        arr->add_values()->set_string_value("x");
        arr->add_values()->mutable_array_value()->add_values()->set_int_value(3);
        auto* kvl = add("kvlist")->mutable_kvlist_value();
        auto* inner = kvl->add_values();
        inner->set_key("nested");
        inner->mutable_value()->mutable_kvlist_value()->add_values()->set_key("deep");
        AddUnknown(inner);
        AddUnknown(arr);
        s->set_dropped_attributes_count(1);
        auto* ev = s->add_events();
        ev->set_time_unix_nano(123);
        ev->set_name("gen_ai.user.message");
        auto* ea = ev->add_attributes();
        ea->set_key("content");
        ea->mutable_value()->set_string_value(std::string(300, 'c'));
        AddUnknown(ev);
        s->add_events()->set_name("second");
        auto* ln = s->add_links();
        ln->set_trace_id(Ids(seed + 7, 16));
        ln->set_span_id(Ids(seed + 8, 8));
        ln->set_trace_state("t");
        ln->set_flags(0x301);
        ln->add_attributes()->set_key("link.attr");
        AddUnknown(ln);
        s->mutable_status()->set_code(ott::Status::STATUS_CODE_ERROR);
        s->mutable_status()->set_message("boom");
        AddUnknown(s->mutable_status());
        s->set_flags(0x301);
        AddUnknown(s);
      }
    }
  }
  AddUnknown(&req);
  return req;
}

TEST(OtlpProtoDecoderTest, FullRequestMatchesLibprotobuf) {
  ExportTraceServiceRequest req = FullRequest();
  std::string bytes = req.SerializeAsString();
  ExportTraceServiceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(bytes, &batch));
  ASSERT_EQ(batch.spans.size(), 8u);
  EXPECT_EQ(Dump(batch), DumpPb(parsed));
  EXPECT_EQ(batch.rejected_spans, 0);
  EXPECT_EQ(batch.reject_message, "");
  // Spot checks that do not depend on the dump helpers.
  const SpanView& s = batch.spans[1];
  EXPECT_EQ(s.name, "chat gpt-4o");
  EXPECT_EQ(s.kind, 3);
  EXPECT_EQ(s.end_time_unix_nano, ~0ULL);
  EXPECT_EQ(s.parent_span_id, Ids(1, 8));
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.status_message, "boom");
  EXPECT_EQ(s.flags, 0x301u);
  ASSERT_EQ(s.attributes.size(), 8u);
  EXPECT_EQ(s.attributes[2].value.type, ValueType::kInt);
  EXPECT_EQ(s.attributes[2].value.int_value, INT64_MIN);
  EXPECT_EQ(s.attributes[5].value.type, ValueType::kEmpty);
  ASSERT_EQ(s.attributes[7].value.kvlist.size(), 1u);
  EXPECT_EQ(s.attributes[7].value.kvlist[0].value.kvlist[0].key, "deep");
  EXPECT_EQ(s.resource->attributes[0].value.str, "planner");
  EXPECT_EQ(s.scope->version, "0.1.0");
  EXPECT_EQ(batch.spans[7].resource->attributes[0].value.str, "executor");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].attributes[0].value.str.size(), 300u);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].attributes[0].key, "link.attr");
}

TEST(OtlpProtoDecoderTest, StringsAreViewsIntoTheBody) {
  std::string bytes = FullRequest().SerializeAsString();
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(bytes, &batch));
  const char* lo = batch.body.data();
  const char* hi = lo + batch.body.size();
  for (const auto& s : batch.spans) {
    EXPECT_TRUE(s.name.data() >= lo && s.name.data() < hi);
    EXPECT_TRUE(s.attributes[0].key.data() >= lo && s.attributes[0].key.data() < hi);
  }
}

TEST(OtlpProtoDecoderTest, TracesDataHasTheSameLayout) {
  ExportTraceServiceRequest req = FullRequest();
  ott::TracesData data;
  data.mutable_resource_spans()->CopyFrom(req.resource_spans());
  TraceBatch a, b;
  ASSERT_OK(DecodeTracesProto(req.SerializeAsString(), &a));
  ASSERT_OK(DecodeTracesProto(data.SerializeAsString(), &b));
  EXPECT_EQ(Dump(a), Dump(b));
  EXPECT_EQ(b.spans.size(), 8u);
}

TEST(OtlpProtoDecoderTest, RandomizedCrossCheckWithLibprotobuf) {
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    RandomOtlp gen(seed);
    ExportTraceServiceRequest req = gen.Traces();
    std::string bytes = req.SerializeAsString();
    ExportTraceServiceRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    TraceBatch batch;
    ASSERT_OK(DecodeTracesProto(bytes, &batch)) << "seed " << seed;
    ASSERT_EQ(Dump(batch), DumpPb(parsed)) << "seed " << seed;
  }
}

TEST(OtlpProtoDecoderTest, RandomizedLogsCrossCheckWithLibprotobuf) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    RandomOtlp gen(seed);
    ExportLogsServiceRequest req = gen.Logs();
    std::string bytes = req.SerializeAsString();
    ExportLogsServiceRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    LogBatch batch;
    ASSERT_OK(DecodeLogsProto(bytes, &batch)) << "seed " << seed;
    ASSERT_EQ(Dump(batch), DumpPb(parsed)) << "seed " << seed;
  }
}

TEST(OtlpProtoDecoderTest, BadIdsAreRejectedWithReasons) {
  ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  auto add = [&](std::string trace, std::string span, std::string parent, const char* name) {
    auto* s = ss->add_spans();
    s->set_trace_id(trace);
    s->set_span_id(span);
    s->set_parent_span_id(parent);
    s->set_name(name);
  };
  add(Ids(1, 16), Ids(2, 8), "", "good");
  add(Ids(1, 5), Ids(2, 8), "", "short trace");
  add(std::string(16, '\0'), Ids(2, 8), "", "zero trace");
  add(Ids(1, 16), std::string(8, '\0'), "", "zero span");
  add(Ids(1, 16), Ids(2, 8), Ids(3, 4), "bad parent");
  add(Ids(1, 16), Ids(3, 8), std::string(8, '\0'), "zero parent is root");
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(req.SerializeAsString(), &batch));
  ASSERT_EQ(batch.spans.size(), 2u);
  EXPECT_EQ(batch.spans[1].name, "zero parent is root");
  EXPECT_TRUE(batch.spans[1].parent_span_id.empty());
  EXPECT_EQ(batch.rejected_spans, 4);
  EXPECT_THAT(batch.reject_message, HasSubstr("\"short trace\" at resource_spans[0].scope_spans[0].spans[1]: "
                                              "trace_id is 5 bytes, want 16"));
  EXPECT_THAT(batch.reject_message, HasSubstr("trace_id is all zero"));
  EXPECT_THAT(batch.reject_message, HasSubstr("span_id is all zero"));
  EXPECT_THAT(batch.reject_message, HasSubstr("(and 1 more)"));
  EXPECT_THAT(batch.reject_message, ::testing::Not(HasSubstr("bad parent")));  // only the first 3
}

TEST(OtlpProtoDecoderTest, LogsPayloadSentAsTracesIsRejectedNotAccepted) {
  // Same container layout (§1.7): records without ids decode as spans without ids.
  ExportLogsServiceRequest logs;
  auto* sl = logs.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 5; ++i) {
    auto* r = sl->add_log_records();
    r->set_time_unix_nano(1);
    r->set_severity_number(9);
    r->set_severity_text("INFO");
    r->mutable_body()->set_string_value("hello");
  }
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(logs.SerializeAsString(), &batch));
  EXPECT_EQ(batch.spans.size(), 0u);
  EXPECT_EQ(batch.rejected_spans, 5);
  EXPECT_THAT(batch.reject_message, HasSubstr("trace_id is 0 bytes, want 16"));

  // With ids, LogRecord.trace_id (field 9) lands on Span.attributes and does not parse as a
  // KeyValue: the whole request is refused, as libprotobuf refuses it.
  for (int i = 0; i < 5; ++i) {
    sl->mutable_log_records(i)->set_trace_id(Ids(i, 16));
    sl->mutable_log_records(i)->set_span_id(Ids(i, 8));
  }
  std::string bytes = logs.SerializeAsString();
  ExportTraceServiceRequest parsed;
  bool pb_ok = parsed.ParseFromString(bytes);
  TraceBatch with_ids;
  Status st = DecodeTracesProto(bytes, &with_ids);
  EXPECT_EQ(st.ok(), pb_ok);
  EXPECT_EQ(with_ids.spans.size(), 0u);
}

TEST(OtlpProtoDecoderTest, LogIdsMayBeEmptyButNotMalformed) {
  ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  sl->add_log_records()->set_event_name("no ids");
  auto* zero = sl->add_log_records();
  zero->set_trace_id(std::string(16, '\0'));
  zero->set_span_id(std::string(8, '\0'));
  auto* bad = sl->add_log_records();
  bad->set_trace_id(Ids(1, 15));
  auto* bad_span = sl->add_log_records();
  bad_span->set_span_id(Ids(1, 9));
  LogBatch batch;
  ASSERT_OK(DecodeLogsProto(req.SerializeAsString(), &batch));
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[0].event_name, "no ids");
  EXPECT_TRUE(batch.records[1].trace_id.empty());
  EXPECT_EQ(batch.rejected_records, 2);
  EXPECT_THAT(batch.reject_message, HasSubstr("log_records[2]: trace_id is 15 bytes"));
  EXPECT_THAT(batch.reject_message, HasSubstr("log_records[3]: span_id is 9 bytes"));
}

TEST(OtlpProtoDecoderTest, TinyBodySurvivesMovingTheBatch) {
  ExportLogsServiceRequest req;
  req.add_resource_logs()->add_scope_logs()->add_log_records()->set_severity_text("hi");
  std::string bytes = req.SerializeAsString();
  ASSERT_LT(bytes.size(), 15u);  // would fit in SSO storage
  LogBatch batch;
  ASSERT_OK(DecodeLogsProto(bytes, &batch));
  LogBatch moved = std::move(batch);
  ASSERT_EQ(moved.records.size(), 1u);
  EXPECT_EQ(moved.records[0].severity_text, "hi");
  EXPECT_EQ(moved.records[0].resource->attributes.size(), 0u);
}

TEST(OtlpProtoDecoderTest, EmptyBodyIsAnEmptyRequest) {
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto("", &batch));
  EXPECT_TRUE(batch.spans.empty());
  EXPECT_EQ(batch.rejected_spans, 0);
}

TEST(OtlpProtoDecoderTest, TruncationAtEveryOffsetNeverCrashes) {
  std::string bytes = FullRequest().SerializeAsString();
  size_t errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    TraceBatch batch;
    Status st = DecodeTracesProto(bytes.substr(0, n), &batch);
    if (st.ok()) {
      EXPECT_LE(batch.spans.size(), 8u) << n;
    } else {
      ++errors;
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
      EXPECT_THAT(st.message(), HasSubstr("byte offset"));
      EXPECT_TRUE(batch.spans.empty());
    }
  }
  EXPECT_GT(errors, bytes.size() / 2);
}

TEST(OtlpProtoDecoderTest, ErrorNamesFieldPathAndOffset) {
  ExportTraceServiceRequest req;
  auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
  s->set_trace_id(Ids(1, 16));
  s->add_attributes()->set_key("a");
  auto* kv = s->add_attributes();
  kv->set_key("b");
  kv->mutable_value()->set_string_value("value");
  std::string bytes = req.SerializeAsString();
  // Corrupt the last byte region: cut the string value short by lying about its length.
  size_t pos = bytes.rfind("value");
  ASSERT_NE(pos, std::string::npos);
  bytes[pos - 1] = 0x7f;  // string_value length 127 > remaining
  TraceBatch batch;
  Status st = DecodeTracesProto(bytes, &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("resource_spans[0].scope_spans[0].spans[0].attributes[1].value"));
  EXPECT_THAT(st.message(), HasSubstr("length 127 exceeds"));
  EXPECT_THAT(st.message(), HasSubstr(fmt::format("byte offset {}", pos - 1)));
}

TEST(OtlpProtoDecoderTest, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(static_cast<size_t>(rng() % 200), '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    TraceBatch t;
    (void)DecodeTracesProto(junk, &t);
    LogBatch l;
    (void)DecodeLogsProto(junk, &l);
  }
  // Mutations of a valid message: flip bytes.
  std::string bytes = FullRequest().SerializeAsString();
  for (int i = 0; i < 2000; ++i) {
    std::string m = bytes;
    for (int k = 0; k < 3; ++k) m[rng() % m.size()] = static_cast<char>(rng());
    TraceBatch t;
    Status st = DecodeTracesProto(m, &t);
    if (st.ok()) {
      for (const auto& s : t.spans) {
        EXPECT_EQ(s.trace_id.size(), 16u);
        EXPECT_NE(s.resource, nullptr);
      }
    }
  }
}

TEST(OtlpProtoDecoderTest, GroupWireTypeIsRejected) {
  // resource_spans[0] { field 5, wire type 3 (start group) }
  std::string bytes = "\x0a\x02\x2b\x2c";
  TraceBatch batch;
  Status st = DecodeTracesProto(bytes, &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("group wire type"));
  EXPECT_THAT(st.message(), HasSubstr("resource_spans[0]"));
  EXPECT_THAT(st.message(), HasSubstr("byte offset 2"));
  EXPECT_STATUS(DecodeTracesProto(std::string("\x0e", 1), &batch), StatusCode::kInvalidArgument);  // wire type 6
  EXPECT_STATUS(DecodeTracesProto(std::string("\x00", 1), &batch), StatusCode::kInvalidArgument);  // field 0
}

TEST(OtlpProtoDecoderTest, WrongWireTypeForKnownFieldIsSkippedLikeLibprotobuf) {
  // A span whose name (field 5) arrives as a varint, plus valid ids.
  ExportTraceServiceRequest req;
  auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
  s->set_trace_id(Ids(1, 16));
  s->set_span_id(Ids(2, 8));
  s->GetReflection()->MutableUnknownFields(s)->AddVarint(5, 99);         // name as varint
  s->GetReflection()->MutableUnknownFields(s)->AddLengthDelimited(7, "x");  // start time as bytes
  std::string bytes = req.SerializeAsString();
  ExportTraceServiceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(bytes, &batch));
  EXPECT_EQ(Dump(batch), DumpPb(parsed));
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].name, "");
  EXPECT_EQ(batch.spans[0].start_time_unix_nano, 0u);
}

TEST(OtlpProtoDecoderTest, HugeLengthPrefixIsAnError) {
  // resource_spans with a length of 2^62.
  std::string bytes = "\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  TraceBatch batch;
  Status st = DecodeTracesProto(bytes, &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("exceeds the 0 remaining bytes"));
}

TEST(OtlpProtoDecoderTest, OverlongVarintIsAnError) {
  std::string bytes = "\x08" + std::string(10, '\x80') + "\x01";  // unknown field 1 varint, 11 bytes
  ExportTraceServiceRequest parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes));
  TraceBatch batch;
  Status st = DecodeTracesProto(bytes, &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("varint longer than 10 bytes at byte offset 1"));
  // Exactly 10 bytes is fine (a negative int64).
  std::string ten = "\x08" + std::string(9, '\xff') + "\x01";
  EXPECT_OK(DecodeTracesProto(ten, &batch));
}

// Tag byte + varint length + payload.
std::string Ld(char tag, const std::string& payload) {
  std::string out(1, tag);
  size_t n = payload.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + payload;
}

// A span whose attribute "bomb" is a kvlist inside a kvlist `levels` deep. Built directly on
// the wire: the generated classes would recurse that deep in their destructors.
std::string NestedKvlistRequest(int levels) {
  std::string value;  // AnyValue
  for (int i = 0; i < levels; ++i) {
    std::string keyvalue = Ld('\x0a', "k") + Ld('\x12', value);
    value = Ld('\x32', Ld('\x0a', keyvalue));  // AnyValue{kvlist_value: {values: [keyvalue]}}
  }
  ott::Span span;
  span.set_trace_id(Ids(1, 16));
  span.set_span_id(Ids(2, 8));
  span.GetReflection()->MutableUnknownFields(&span)->AddLengthDelimited(9, Ld('\x0a', "bomb") + Ld('\x12', value));
  ExportTraceServiceRequest out;
  *out.add_resource_spans()->add_scope_spans()->add_spans() = span;
  return out.SerializeAsString();
}

TEST(OtlpProtoDecoderTest, NestingBombIsRejected) {
  TraceBatch batch;
  Status st = DecodeTracesProto(NestedKvlistRequest(10000), &batch);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("nested deeper than 64"));
  EXPECT_THAT(st.message(), HasSubstr("spans[0].attributes[0].value.kvlist_value.values[0].value"));
}

TEST(OtlpProtoDecoderTest, NestingLimitIsExact) {
  TraceBatch ok_batch;
  ASSERT_OK(DecodeTracesProto(NestedKvlistRequest(64), &ok_batch));
  ASSERT_EQ(ok_batch.spans.size(), 1u);
  const AnyValueView* v = &ok_batch.spans[0].attributes[0].value;
  int depth = 0;
  while (v->type == ValueType::kKvList) {
    ++depth;
    v = &v->kvlist[0].value;
  }
  EXPECT_EQ(depth, 64);
  TraceBatch bad;
  EXPECT_STATUS(DecodeTracesProto(NestedKvlistRequest(65), &bad), StatusCode::kInvalidArgument);
  DecodeOptions opts;
  opts.max_nesting = 3;
  EXPECT_STATUS(DecodeTracesProto(NestedKvlistRequest(4), &bad, opts), StatusCode::kInvalidArgument);
  EXPECT_OK(DecodeTracesProto(NestedKvlistRequest(3), &bad, opts));
}

TEST(OtlpProtoDecoderTest, AttributeSizeLimit) {
  DecodeOptions opts;
  opts.max_attribute_value = 16 << 20;  // the default is the request cap (64 MiB); test a smaller one
  auto request = [](size_t n) {
    ExportTraceServiceRequest req;
    auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
    s->set_trace_id(Ids(1, 16));
    s->set_span_id(Ids(2, 8));
    auto* kv = s->add_attributes();
    kv->set_key("big");
    kv->mutable_value()->set_string_value(std::string(n, 'x'));
    return req.SerializeAsString();
  };
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(request(16 << 20), &batch, opts));
  EXPECT_EQ(batch.spans[0].attributes[0].value.str.size(), size_t{16} << 20);
  TraceBatch too_big;
  Status st = DecodeTracesProto(request((16 << 20) + 1), &too_big, opts);
  EXPECT_STATUS(st, StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("exceeds the limit of 16777216"));
  EXPECT_THAT(st.message(), HasSubstr("attributes[0].value"));
}

TEST(OtlpProtoDecoderTest, RepeatedResourceMergesLikeLibprotobuf) {
  // Two `resource` occurrences in one ResourceSpans: libprotobuf merges (attributes append).
  otc::KeyValue a, b;
  a.set_key("a");
  b.set_key("b");
  opentelemetry::proto::resource::v1::Resource r1, r2;
  *r1.add_attributes() = a;
  *r2.add_attributes() = b;
  ott::ResourceSpans rs;
  auto* s = rs.add_scope_spans()->add_spans();
  s->set_trace_id(Ids(1, 16));
  s->set_span_id(Ids(2, 8));
  std::string body = rs.SerializeAsString();
  body = std::string("\x0a", 1) + static_cast<char>(r1.ByteSizeLong()) + r1.SerializeAsString() + body +
         std::string("\x0a", 1) + static_cast<char>(r2.ByteSizeLong()) + r2.SerializeAsString();
  std::string req = std::string("\x0a", 1) + static_cast<char>(body.size()) + body;
  ExportTraceServiceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(req));
  TraceBatch batch;
  ASSERT_OK(DecodeTracesProto(req, &batch));
  EXPECT_EQ(Dump(batch), DumpPb(parsed));
  EXPECT_EQ(batch.spans[0].resource->attributes.size(), 2u);
}

}  // namespace
}  // namespace tracery::ingest
