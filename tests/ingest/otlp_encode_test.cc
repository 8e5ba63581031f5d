#include <google/protobuf/util/json_util.h>

#include "google/rpc/status.pb.h"
#include "ingest/otlp_decode.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "testing/testing.h"

namespace tracery::ingest {
namespace {

using ::opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

TEST(OtlpEncodeTest, FullSuccessLeavesPartialSuccessUnset) {
  EXPECT_EQ(EncodeExportResponseProto(0, ""), "");
  EXPECT_EQ(EncodeExportResponseJson(0, "", false), "{}");
  EXPECT_EQ(EncodeExportResponseJson(0, "", true), "{}");
}

TEST(OtlpEncodeTest, PartialSuccessProtoParsesWithLibprotobuf) {
  ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(EncodeExportResponseProto(3, "3 spans had bad ids")));
  ASSERT_TRUE(resp.has_partial_success());
  EXPECT_EQ(resp.partial_success().rejected_spans(), 3);
  EXPECT_EQ(resp.partial_success().error_message(), "3 spans had bad ids");

  ExportLogsServiceResponse logs;
  ASSERT_TRUE(logs.ParseFromString(EncodeExportResponseProto(int64_t{1} << 40, "")));
  EXPECT_EQ(logs.partial_success().rejected_log_records(), int64_t{1} << 40);

  // A warning: nothing rejected but a message.
  ExportTraceServiceResponse warn;
  ASSERT_TRUE(warn.ParseFromString(EncodeExportResponseProto(0, "heads up")));
  EXPECT_TRUE(warn.has_partial_success());
  EXPECT_EQ(warn.partial_success().rejected_spans(), 0);
  EXPECT_EQ(warn.partial_success().error_message(), "heads up");
}

TEST(OtlpEncodeTest, PartialSuccessJson) {
  EXPECT_EQ(EncodeExportResponseJson(3, "bad \"ids\"\n", false),
            R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad \"ids\"\n"}})");
  EXPECT_EQ(EncodeExportResponseJson(2, "", true), R"({"partialSuccess":{"rejectedLogRecords":"2"}})");
  ExportTraceServiceResponse resp;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(EncodeExportResponseJson(7, "x\x01y\\", false), &resp).ok());
  EXPECT_EQ(resp.partial_success().rejected_spans(), 7);
  EXPECT_EQ(resp.partial_success().error_message(), "x\x01y\\");
  ExportLogsServiceResponse logs;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(EncodeExportResponseJson(5, "m", true), &logs).ok());
  EXPECT_EQ(logs.partial_success().rejected_log_records(), 5);
}

TEST(OtlpEncodeTest, RpcStatus) {
  google::rpc::Status st;
  ASSERT_TRUE(st.ParseFromString(EncodeRpcStatusProto(3, "bad request")));
  EXPECT_EQ(st.code(), 3);
  EXPECT_EQ(st.message(), "bad request");
  ASSERT_TRUE(st.ParseFromString(EncodeRpcStatusProto(-1, "")));
  EXPECT_EQ(st.code(), -1);
  EXPECT_EQ(EncodeRpcStatusProto(0, ""), "");
  EXPECT_EQ(EncodeRpcStatusJson(3, "bad \"x\""), R"({"code":3,"message":"bad \"x\""})");
  google::rpc::Status parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(EncodeRpcStatusJson(14, "tab\there"), &parsed).ok());
  EXPECT_EQ(parsed.code(), 14);
  EXPECT_EQ(parsed.message(), "tab\there");
}

TEST(OtlpEncodeTest, InvalidUtf8InMessagesIsReplaced) {
  // libprotobuf refuses proto3 strings with invalid UTF-8, and so would JSON parsers.
  std::string bad = "span \xff\xfe name \xe2\x82";
  google::rpc::Status st;
  ASSERT_TRUE(st.ParseFromString(EncodeRpcStatusProto(3, bad)));
  EXPECT_EQ(st.message(), "span \xEF\xBF\xBD\xEF\xBF\xBD name \xEF\xBF\xBD\xEF\xBF\xBD");
  ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(EncodeExportResponseProto(1, bad)));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(EncodeExportResponseJson(1, bad, false), &resp).ok());
  EXPECT_EQ(resp.partial_success().error_message(), st.message());
}

TEST(OtlpEncodeTest, HugeMessagesAreBounded) {
  std::string huge(10 << 20, 'e');
  EXPECT_LE(EncodeExportResponseProto(1, huge).size(), size_t{70} << 10);
  EXPECT_LE(EncodeRpcStatusJson(3, huge).size(), size_t{70} << 10);
}

}  // namespace
}  // namespace tracery::ingest
