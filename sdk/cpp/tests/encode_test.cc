// The hand-written protobuf encoder against libprotobuf: it must parse our bytes into the expected
// message, and re-serialize them to the very same bytes (canonical encoding).
#include <gtest/gtest.h>

#include <limits>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "tracery_sdk/otlp.h"

namespace tracery_sdk {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

SpanData FullSpan() {
  SpanData s;
  for (int i = 0; i < 16; ++i) s.trace_id[i] = static_cast<std::uint8_t>(i + 1);
  for (int i = 0; i < 8; ++i) s.span_id[i] = static_cast<std::uint8_t>(0xA0 + i);
  for (int i = 0; i < 8; ++i) s.parent_span_id[i] = static_cast<std::uint8_t>(0x10 + i);
  s.name = "billing_api";
  s.start_ns = 1700000000123456789ULL;
  s.end_ns = 1700000000223456789ULL;
  s.attributes = {
      {"s", "text"},
      {"empty", ""},
      {"b", true},
      {"f", false},
      {"i", 42},
      {"neg", std::int64_t{-5}},
      {"max", std::numeric_limits<std::int64_t>::max()},
      {"d", 0.25},
      {"tags", std::vector<std::string>{"a", "", "c"}},
      {"ints", std::vector<std::int64_t>{1, -1, 300}},
      {"dbls", std::vector<double>{1.5, -2.0}},
      {"long", std::string(300, 'x')},  // 2-byte length varint
  };
  s.events.push_back({1700000000200000000ULL, "exception",
                      {{"exception.type", "TimeoutError"}, {"exception.message", "timed out"}}});
  s.status_code = 2;
  s.status_message = "failed";
  return s;
}

TEST(EncodeTest, LibprotobufParsesEveryField) {
  std::string bytes;
  EncodeExportRequest({{"service.name", "svc"}}, "tracery_sdk", "0.1.0", {FullSpan()}, &bytes);
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  ASSERT_EQ(rs.resource().attributes_size(), 1);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "svc");
  ASSERT_EQ(rs.scope_spans_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "tracery_sdk");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "0.1.0");
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 1);
  const auto& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
  EXPECT_EQ(span.span_id(), std::string("\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7", 8));
  EXPECT_EQ(span.parent_span_id(), std::string("\x10\x11\x12\x13\x14\x15\x16\x17", 8));
  EXPECT_EQ(span.name(), "billing_api");
  EXPECT_EQ(span.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(span.start_time_unix_nano(), 1700000000123456789ULL);
  EXPECT_EQ(span.end_time_unix_nano(), 1700000000223456789ULL);
  ASSERT_EQ(span.attributes_size(), 12);
  EXPECT_EQ(span.attributes(0).value().string_value(), "text");
  EXPECT_TRUE(span.attributes(1).value().has_string_value());  // empty string still set
  EXPECT_TRUE(span.attributes(2).value().bool_value());
  EXPECT_TRUE(span.attributes(3).value().has_bool_value());
  EXPECT_FALSE(span.attributes(3).value().bool_value());
  EXPECT_EQ(span.attributes(4).value().int_value(), 42);
  EXPECT_EQ(span.attributes(5).value().int_value(), -5);
  EXPECT_EQ(span.attributes(6).value().int_value(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(span.attributes(7).value().double_value(), 0.25);
  const auto& tags = span.attributes(8).value().array_value();
  ASSERT_EQ(tags.values_size(), 3);
  EXPECT_EQ(tags.values(0).string_value(), "a");
  EXPECT_TRUE(tags.values(1).has_string_value());
  EXPECT_EQ(tags.values(2).string_value(), "c");
  const auto& ints = span.attributes(9).value().array_value();
  ASSERT_EQ(ints.values_size(), 3);
  EXPECT_EQ(ints.values(1).int_value(), -1);
  EXPECT_EQ(ints.values(2).int_value(), 300);
  const auto& dbls = span.attributes(10).value().array_value();
  ASSERT_EQ(dbls.values_size(), 2);
  EXPECT_EQ(dbls.values(1).double_value(), -2.0);
  EXPECT_EQ(span.attributes(11).value().string_value().size(), 300u);
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).name(), "exception");
  EXPECT_EQ(span.events(0).time_unix_nano(), 1700000000200000000ULL);
  EXPECT_EQ(span.events(0).attributes(1).value().string_value(), "timed out");
  EXPECT_EQ(span.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(span.status().message(), "failed");

  // Canonical: libprotobuf writes exactly our bytes back.
  std::string again;
  ASSERT_TRUE(req.SerializeToString(&again));
  EXPECT_EQ(again, bytes);
}

TEST(EncodeTest, RootSpanHasNoParentAndManySpansRoundTrip) {
  std::vector<SpanData> spans(3, FullSpan());
  spans[0].parent_span_id = {};
  spans[0].status_code = 1;
  spans[0].status_message.clear();
  spans[1].events.clear();
  spans[2].attributes.clear();
  std::string bytes;
  EncodeExportRequest({}, "", "", spans, &bytes);
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  const auto& got = req.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(got.size(), 3);
  EXPECT_TRUE(got[0].parent_span_id().empty());
  EXPECT_EQ(got[0].status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
  EXPECT_EQ(got[1].events_size(), 0);
  EXPECT_EQ(got[2].attributes_size(), 0);
  std::string again;
  ASSERT_TRUE(req.SerializeToString(&again));
  EXPECT_EQ(again, bytes);
}

TEST(EncodeTest, HexIsLowerCase) {
  const std::uint8_t id[] = {0x00, 0xAB, 0x7f, 0xFF};
  EXPECT_EQ(ToHex(id, 4), "00ab7fff");
}

}  // namespace
}  // namespace tracery_sdk
