#include "cli/ingest_files.h"

#include "core/compression.h"
#include "testing/testing.h"

namespace tracery::cli {
namespace {

using ::testing::HasSubstr;

TEST(SplitOtlpFileTest, SingleJsonDocumentIsTraces) {
  ASSERT_OK_AND_ASSIGN(auto docs, SplitOtlpFile("  \n{\"resourceSpans\": []}\n"));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_TRUE(docs[0].json);
  EXPECT_FALSE(docs[0].logs);
  EXPECT_EQ(docs[0].line, 0);
}

TEST(SplitOtlpFileTest, PrettyPrintedJsonIsOneDocument) {
  std::string text = "{\n  \"resourceSpans\": [\n    {}\n  ]\n}\n";
  ASSERT_OK_AND_ASSIGN(auto docs, SplitOtlpFile(text));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].body, text);
}

TEST(SplitOtlpFileTest, JsonLinesAreSplitWithLineNumbers) {
  std::string text =
      "{\"resourceSpans\":[]}\n"
      "\n"
      "{\"resourceLogs\":[]}\r\n"
      "{\"resourceSpans\":[{\"scopeSpans\":[]}]}";
  ASSERT_OK_AND_ASSIGN(auto docs, SplitOtlpFile(text));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].line, 1);
  EXPECT_FALSE(docs[0].logs);
  EXPECT_EQ(docs[1].line, 3);
  EXPECT_TRUE(docs[1].logs);
  EXPECT_EQ(docs[1].body, "{\"resourceLogs\":[]}");
  EXPECT_EQ(docs[2].line, 4);
  EXPECT_TRUE(docs[2].json);
}

TEST(SplitOtlpFileTest, LogsDetectedOnlyFromKeysNotFromStringValues) {
  ASSERT_OK_AND_ASSIGN(auto logs, SplitOtlpFile("{\"resourceLogs\":[]}"));
  EXPECT_TRUE(logs[0].logs);
  ASSERT_OK_AND_ASSIGN(auto logs_snake, SplitOtlpFile("{\"resource_logs\":[]}"));
  EXPECT_TRUE(logs_snake[0].logs);
  // The text "resourceLogs" inside an attribute string value is escaped and is not a key.
  ASSERT_OK_AND_ASSIGN(auto spans,
                       SplitOtlpFile("{\"resourceSpans\":[{\"x\":\"say \\\"resourceLogs\\\" here\"}]}"));
  EXPECT_FALSE(spans[0].logs);
}

TEST(SplitOtlpFileTest, NonJsonIsProtobuf) {
  std::string proto("\x0a\x02\x0a\x00", 4);
  ASSERT_OK_AND_ASSIGN(auto docs, SplitOtlpFile(proto));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_FALSE(docs[0].json);
  EXPECT_EQ(docs[0].body, proto);
}

TEST(SplitOtlpFileTest, GzipIsInflatedThenSniffed) {
  ASSERT_OK_AND_ASSIGN(auto json, SplitOtlpFile(GzipCompress("{\"resourceSpans\":[]}\n{\"resourceSpans\":[]}\n")));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_TRUE(json[0].json);
  std::string proto("\x0a\x00", 2);
  ASSERT_OK_AND_ASSIGN(auto pb, SplitOtlpFile(GzipCompress(proto)));
  ASSERT_EQ(pb.size(), 1u);
  EXPECT_FALSE(pb[0].json);
  EXPECT_EQ(pb[0].body, proto);
}

TEST(SplitOtlpFileTest, GzipBombIsCapped) {
  std::string big(8 << 20, 'a');
  auto docs = SplitOtlpFile(GzipCompress(big), 1 << 20);
  EXPECT_STATUS(docs, StatusCode::kResourceExhausted);
  EXPECT_THAT(docs.status().message(), HasSubstr("gunzip"));
}

TEST(SplitOtlpFileTest, CorruptGzipIsAnError) {
  std::string gz = GzipCompress("{\"resourceSpans\":[]}");
  gz.resize(gz.size() / 2);
  EXPECT_STATUS(SplitOtlpFile(gz), StatusCode::kInvalidArgument);
}

TEST(SplitOtlpFileTest, EmptyFileIsAnError) {
  EXPECT_STATUS(SplitOtlpFile(""), StatusCode::kInvalidArgument);
  EXPECT_STATUS(SplitOtlpFile(" \n\t "), StatusCode::kInvalidArgument);
}

TEST(SplitOtlpFileTest, OversizedPlainFileIsRejected) {
  EXPECT_STATUS(SplitOtlpFile(std::string(2048, ' ') + "{}", 1024), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace tracery::cli
