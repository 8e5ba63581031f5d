#include "query/json_writer.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "model/model.h"
#include "query/json_convert.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesSpecialCharacters) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Quote(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(Quote("\x7f"), "\"\x7f\"");
}

TEST(JsonWriterTest, KeepsValidUtf8) {
  const std::string s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF \xF4\x8F\xBF\xBF";
  EXPECT_EQ(Quote(s), "\"" + s + "\"");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Quote("\xff"), "\"" + r + "\"");
  EXPECT_EQ(Quote("\xC0\x80"), "\"" + r + r + "\"");          // overlong NUL
  EXPECT_EQ(Quote("\xE0\x80\xAF"), "\"" + r + r + r + "\"");  // overlong '/'
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"" + r + r + r + "\"");  // UTF-16 surrogate
  EXPECT_EQ(Quote("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // > U+10FFFF
  EXPECT_EQ(Quote("ab\xE2\x82"), "\"ab" + r + r + "\"");              // truncated at the end
  EXPECT_EQ(Quote("\xC3("), "\"" + r + "(\"");
}

TEST(JsonWriterTest, OutputAlwaysParses) {
  // Every single byte and every byte pair: the result must be strictly valid JSON.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 7) {
      std::string s{static_cast<char>(a), static_cast<char>(b), 'x'};
      std::string q = Quote(s);
      auto j = nlohmann::json::parse(q, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << a << " " << b;
    }
  }
}

TEST(JsonWriterTest, StructureAndNumbers) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.Int(-9223372036854775807LL - 1);
  w.Double(0.5);
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Double(std::numeric_limits<double>::infinity());
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("b");
  w.Raw("{\"x\":1}");
  w.Key("c");
  w.String("s");
  w.EndObject();
  EXPECT_EQ(w.Take(), R"({"a":[1,-9223372036854775808,0.5,null,null,true,null,{}],"b":{"x":1},"c":"s"})");
}

model::Run RunWith(std::string name, model::RunStatus status, int64_t end_ns, std::string metadata) {
  model::Run r;
  r.run_id = "abc";
  r.name = std::move(name);
  r.start_ns = 1'700'000'000'000'000'000;
  r.end_ns = end_ns;
  r.status = status;
  r.metadata_json = std::move(metadata);
  r.cost_usd = 0.1 + 0.2;
  r.tokens.total = 5;
  r.models = {"m\xff"};
  return r;
}

TEST(JsonWriterTest, WriteRunMatchesTreeBuilder) {
  model::Failure f;
  f.code = "timeout";
  f.message = "bad \x80 byte";
  f.time_ns = 1'700'000'000'000'000'001;
  std::vector<model::Run> runs = {
      RunWith("ok", model::RunStatus::kOk, 1'700'000'001'000'000'000, ""),
      RunWith("running", model::RunStatus::kRunning, 0, "{}"),
      RunWith("bad \xC0\x80 utf8 \"quoted\"\n", model::RunStatus::kFailed, 1'700'000'000'500'000'000,
              R"({"k":[1,2,{"z":null}],"s":"\u00e9"})"),
      RunWith("meta not object", model::RunStatus::kPartial, 1'700'000'000'000'000'007, "[1,2]"),
      RunWith("meta invalid", model::RunStatus::kPartial, 1'700'000'000'000'000'007, "{oops"),
  };
  runs[2].failure = f;
  runs[2].tags = {"t1", "t2"};
  runs[2].updated_ns = 1'700'000'002'000'000'000;
  for (const auto& run : runs) {
    JsonWriter w;
    WriteRun(w, run);
    auto fast = nlohmann::json::parse(w.Take(), nullptr, false);
    ASSERT_FALSE(fast.is_discarded()) << run.name;
    auto tree = nlohmann::json::parse(Dump(RunToJson(run)));
    EXPECT_EQ(fast, tree) << run.name;
  }
}

}  // namespace
}  // namespace tracery::query
