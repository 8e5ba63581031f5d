// A small append-only JSON writer for hot paths (run lists, the live stream), ~10x faster than
// building an nlohmann tree. Strings are validated as UTF-8: invalid sequences become U+FFFD, so
// the output is always valid JSON. The caller is responsible for structure (commas are automatic
// within an object/array opened by this writer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tracery::query {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);  // key must be plain ASCII without escapes (our own names)
  void String(std::string_view s);
  void Int(int64_t v);
  void Double(double v);  // NaN/Inf -> null
  void Bool(bool v);
  void Null();
  // Appends already-valid JSON text as one value.
  void Raw(std::string_view json);

  std::string& out() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quoted, escaped, invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace tracery::query
