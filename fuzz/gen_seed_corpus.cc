// Writes the seed corpus for the decoder fuzz targets into DIR/<target>/: a handful of valid
// requests (random, seeded) and malformed ones. Run once; the output is checked in under
// fuzz/corpus/. Usage: tracery_fuzz_gen_corpus DIR
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ingest/otlp_test_util.h"

namespace {

namespace fs = std::filesystem;
using tracery::ingest::testutil::RandomOtlp;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  fs::path root(argv[1]);
  for (uint32_t seed : {3u, 11u, 27u}) {
    RandomOtlp gen(seed);
    auto traces = gen.Traces();
    auto logs = gen.Logs();
    std::string n = "valid_" + std::to_string(seed);
    std::string tp = traces.SerializeAsString();
    Write(root / "traces_proto", n, tp);
    Write(root / "traces_proto", n + "_truncated", tp.substr(0, tp.size() / 2));
    Write(root / "traces_json", n, ToJson(traces));
    std::string lp = logs.SerializeAsString();
    Write(root / "logs_proto", n, lp);
    Write(root / "logs_proto", n + "_truncated", lp.substr(0, lp.size() * 2 / 3));
    Write(root / "logs_json", n, ToJson(logs));
    // Cross-wired payloads (§1.7 of the reference).
    Write(root / "traces_proto", n + "_logs", lp);
    Write(root / "logs_proto", n + "_traces", tp);
  }
  for (const char* t : {"traces_proto", "logs_proto"}) {
    Write(root / t, "group_wire_type", std::string("\x0a\x02\x2b\x2c", 4));
    Write(root / t, "overlong_varint", "\x08" + std::string(10, '\x80') + "\x01");
    Write(root / t, "huge_length", std::string("\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x40", 10));
    Write(root / t, "empty", "");
  }
  std::string deep = R"({"stringValue":"x"})";
  for (int i = 0; i < 80; ++i) deep = R"({"kvlistValue":{"values":[{"key":"k","value":)" + deep + "}]}}";
  Write(root / "traces_json", "nesting_bomb",
        R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[{"key":"b","value":)" +
            deep + "}]}]}]}]}");
  Write(root / "traces_json", "invalid_utf8", "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xff\"}]}]}]}");
  Write(root / "traces_json", "lenient",
        R"({"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"AQIDBAUGBwgJCgsMDQ4PEA==","span_id":"AQIDBAUGBwg=","kind":"SPAN_KIND_SERVER","attributes":{"a":1,"b":[true,null],"c":{"d":"e"}}}]}]}]})");
  Write(root / "traces_json", "truncated", R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01)");
  Write(root / "logs_json", "structured_body",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"gen_ai.choice","body":{"kvlistValue":{"values":[{"key":"message","value":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"hi \u00e9"}}]}}}]}}}]}]}]})");
  Write(root / "logs_json", "not_an_object", "[1,2,3]");
  return 0;
}
