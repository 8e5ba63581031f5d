// OTLP/JSON decoder on simdjson On-Demand (one pass, no DOM tape; measured in
// bench/decode_bench.cc). Strings without escapes are views into the padded body; escaped
// strings, hex/base64 ids and bytes are materialized in the batch arena.
//
// Lenient beyond the spec (§1.3 of the reference): snake_case keys, base64 ids (24/12 chars),
// enum names, int64 as numbers or strings, `attributes` as a `{key: value}` object, and plain
// JSON values where an AnyValue object is expected. Unknown keys and nulls are ignored.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <simdjson.h>

#include "core/hex.h"
#include "ingest/internal/otlp_common.h"
#include "ingest/otlp_decode.h"

namespace tracery::ingest {
namespace {

namespace od = simdjson::ondemand;
using internal::ErrorPath;
using simdjson::error_code;

bool Is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

bool IsAnyValueKey(std::string_view k) {
  return Is(k, "stringValue", "string_value") || Is(k, "boolValue", "bool_value") ||
         Is(k, "intValue", "int_value") || Is(k, "doubleValue", "double_value") ||
         Is(k, "arrayValue", "array_value") || Is(k, "kvlistValue", "kvlist_value") ||
         Is(k, "bytesValue", "bytes_value");
}

std::string LowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Appends the UTF-8 encoding of `cp` to `out`.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool ParseHex4(std::string_view s, size_t i, uint32_t* out) {
  if (i + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
  }
  *out = v;
  return true;
}

// Unescapes the inside of a JSON string literal. False on a malformed escape or a lone
// surrogate.
bool Unescape(std::string_view s, std::string* out) {
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!ParseHex4(s, i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u' || !ParseHex4(s, i + 3, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF) {
            return false;
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(cp, out);
        break;
      }
      default: return false;
    }
  }
  return true;
}

// Best-effort JSON path of the token containing byte `offset`, from a lexical scan. Used when
// simdjson fails before any structure was walked (invalid UTF-8, unbalanced brackets).
std::string JsonPathAt(std::string_view s, size_t offset) {
  struct Frame {
    bool object;
    std::string key;
    size_t index = 0;
  };
  std::vector<Frame> stack;
  bool expect_key = false;
  size_t i = 0;
  while (i < offset && i < s.size()) {
    char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      bool is_key = expect_key && !stack.empty() && stack.back().object;
      if (is_key) {
        stack.back().key = std::string(s.substr(i + 1, std::min<size_t>(j - i - 1, 64)));
        expect_key = false;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case '{': stack.push_back({true, "", 0}); expect_key = true; break;
      case '[': stack.push_back({false, "", 0}); break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        if (!stack.empty()) {
          if (stack.back().object) expect_key = true;
          else ++stack.back().index;
        }
        break;
      default: break;
    }
    ++i;
  }
  std::string out = "$";
  for (const auto& f : stack) {
    if (f.object) {
      if (!f.key.empty()) out += "." + f.key;
    } else {
      out += fmt::format("[{}]", f.index);
    }
  }
  return out;
}

class JsonDecoder {
 public:
  JsonDecoder(std::string_view body, Arena* arena, const DecodeOptions& opts)
      : body_(body), arena_(arena), opts_(opts) {}

  bool DecodeTraces(od::document& doc, std::vector<SpanView>* spans, internal::RejectLog* rejects) {
    spans_ = spans;
    rejects_ = rejects;
    return DecodeTop(doc, false);
  }
  bool DecodeLogs(od::document& doc, std::vector<LogRecordView>* records, internal::RejectLog* rejects) {
    records_ = records;
    rejects_ = rejects;
    return DecodeTop(doc, true);
  }

  Status Error() const {
    std::string path = path_.Join();
    std::string where = path.empty() ? "$" : "$." + path;
    if (where.size() > 2 && where[2] == '[') where.erase(1, 1);
    std::string msg = fmt::format("invalid OTLP/JSON at {}: {}", where, what_);
    if (offset_ != std::string_view::npos) msg += fmt::format(" (byte offset {})", offset_);
    return InvalidArgumentError(msg);
  }

 private:
  // ---- errors
  bool Fail(std::string what, const char* at = nullptr) {
    what_ = std::move(what);
    offset_ = at != nullptr && at >= body_.data() && at <= body_.data() + body_.size()
                  ? static_cast<size_t>(at - body_.data())
                  : std::string_view::npos;
    return false;
  }
  bool Fail(error_code e, std::string_view expected = {}) {
    if (e == simdjson::INCORRECT_TYPE && !expected.empty()) return Fail(fmt::format("expected {}", expected));
    return Fail(fmt::format("malformed JSON: {}", LowerFirst(simdjson::error_message(e))));
  }
  bool Wrap(std::string_view field) {
    path_.Push(field);
    return false;
  }
  bool Wrap(std::string_view field, size_t index) {
    path_.Push(field, index);
    return false;
  }

  // ---- scalars
  // The key of `f`, a view into the body unless it had escapes (then valid until the next key).
  bool Key(od::field& f, std::string_view* key) {
    const char* r = f.key().raw();
    const char* q = r;
    const char* end = body_.data() + body_.size();
    while (q < end && *q != '"' && *q != '\\') ++q;
    if (q < end && *q == '"') {
      *key = std::string_view(r, static_cast<size_t>(q - r));
      return true;
    }
    std::string_view raw;
    if (!RawStringAt(r, &raw)) return false;
    if (!Unescape(raw, &key_scratch_)) return Fail("invalid escape sequence in key", r);
    *key = key_scratch_;
    return true;
  }

  // The literal text between the quotes of the string starting at `start` (after the quote).
  bool RawStringAt(const char* start, std::string_view* out) {
    const char* end = body_.data() + body_.size();
    const char* q = start;
    for (;;) {
      q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
      if (q == nullptr) return Fail("unterminated string", start);
      size_t backslashes = 0;
      for (const char* b = q; b > start && b[-1] == '\\'; --b) ++backslashes;
      if (backslashes % 2 == 0) break;
      ++q;
    }
    *out = std::string_view(start, static_cast<size_t>(q - start));
    return true;
  }

  // A string value: zero-copy when it has no escapes, else unescaped into the arena.
  bool GetString(od::value& v, std::string_view* out) {
    od::raw_json_string raw;
    if (auto e = v.get_raw_json_string().get(raw)) return Fail(e, "a string");
    std::string_view lit;
    if (!RawStringAt(raw.raw(), &lit)) return false;
    if (std::memchr(lit.data(), '\\', lit.size()) == nullptr) {
      *out = lit;
      return true;
    }
    if (!Unescape(lit, &scratch_)) return Fail("invalid escape sequence in string", lit.data());
    *out = arena_->CopyString(scratch_);
    return true;
  }

  bool TypeOf(od::value& v, od::json_type* t) {
    if (auto e = v.type().get(*t)) return Fail(e);
    return true;
  }

  bool GetU64(od::value& v, uint64_t* out) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    if (t == od::json_type::string) {
      std::string_view s;
      if (!GetString(v, &s)) return false;
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Fail(fmt::format("expected an unsigned integer, got {}", internal::QuoteName(s)));
      }
      return true;
    }
    if (t != od::json_type::number) return Fail("expected an unsigned integer");
    if (v.get_uint64().get(*out) != simdjson::SUCCESS) return Fail("expected an unsigned integer");
    return true;
  }

  bool GetI64(od::value& v, int64_t* out) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    if (t == od::json_type::string) {
      std::string_view s;
      if (!GetString(v, &s)) return false;
      auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Fail(fmt::format("expected an integer, got {}", internal::QuoteName(s)));
      }
      return true;
    }
    if (t != od::json_type::number) return Fail("expected an integer");
    if (v.get_int64().get(*out) != simdjson::SUCCESS) return Fail("expected a 64-bit integer");
    return true;
  }

  bool GetDouble(od::value& v, double* out) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    if (t == od::json_type::string) {
      std::string_view s;
      if (!GetString(v, &s)) return false;
      if (s == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
      } else if (s == "Infinity") {
        *out = std::numeric_limits<double>::infinity();
      } else if (s == "-Infinity") {
        *out = -std::numeric_limits<double>::infinity();
      } else {
        auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
          return Fail(fmt::format("expected a number, got {}", internal::QuoteName(s)));
        }
      }
      return true;
    }
    if (auto e = v.get_double().get(*out)) return Fail(e, "a number");
    return true;
  }

  bool GetU32(od::value& v, uint32_t* out) {
    uint64_t x = 0;
    if (!GetU64(v, &x)) return false;
    if (x > 0xFFFFFFFFu) return Fail(fmt::format("{} does not fit in 32 bits", x));
    *out = static_cast<uint32_t>(x);
    return true;
  }

  // Enum as a number or (leniently) its name, with or without the type prefix.
  bool GetEnum(od::value& v, std::span<const std::string_view> names, std::string_view prefix, int32_t* out) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    if (t == od::json_type::string) {
      std::string_view s;
      if (!GetString(v, &s)) return false;
      int32_t n;
      auto r = std::from_chars(s.data(), s.data() + s.size(), n);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) {
        *out = n;
        return true;
      }
      std::string_view bare = s.starts_with(prefix) ? s.substr(prefix.size()) : s;
      for (size_t i = 0; i < names.size(); ++i) {
        if (bare == names[i]) {
          *out = static_cast<int32_t>(i);
          return true;
        }
      }
      return Fail(fmt::format("unknown enum value {}", internal::QuoteName(s)));
    }
    int64_t n;
    if (auto e = v.get_int64().get(n)) return Fail(e, "an enum number or name");
    if (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max()) {
      return Fail(fmt::format("enum value {} out of range", n));
    }
    *out = static_cast<int32_t>(n);
    return true;
  }

  // Trace/span id: hex (case-insensitive) or, leniently, base64 of the right length. Returns
  // false only on malformed JSON; an undecodable id sets `*bad` and leaves `*out` empty.
  bool GetId(od::value& v, size_t want, std::string_view* out, bool* bad) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    if (t != od::json_type::string) {
      *bad = true;
      return true;
    }
    std::string_view s;
    if (!GetString(v, &s)) return false;
    if (s.empty()) {
      *out = {};
      return true;
    }
    size_t b64_len = (want + 2) / 3 * 4;
    bool looks_b64 = s.size() == b64_len || (s.size() < b64_len && s.size() + 2 >= b64_len && s.size() != want * 2);
    if (!looks_b64 && HexDecode(s, &scratch_)) {
      *out = arena_->CopyString(scratch_);
      return true;
    }
    if (internal::Base64Decode(s, &scratch_) && !scratch_.empty()) {
      *out = arena_->CopyString(scratch_);
      return true;
    }
    *bad = true;
    *out = {};
    return true;
  }

  bool CheckSize(std::string_view s) {
    if (s.size() > opts_.max_attribute_value) {
      return Fail(fmt::format("value of {} bytes exceeds the limit of {}", s.size(), opts_.max_attribute_value));
    }
    return true;
  }

  // ---- values
  bool DepthCheck(int depth) {
    if (depth > opts_.max_nesting) return Fail(fmt::format("values nested deeper than {}", opts_.max_nesting));
    return true;
  }

  // An AnyValue: the OTLP object form, or (leniently) a plain JSON value.
  bool DecodeValue(od::value& v, AnyValueView* out, int depth) {
    *out = AnyValueView{};
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    switch (t) {
      case od::json_type::null: return true;
      case od::json_type::string:
        out->type = ValueType::kString;
        return GetString(v, &out->str) && CheckSize(out->str);
      case od::json_type::boolean:
        out->type = ValueType::kBool;
        if (auto e = v.get_bool().get(out->bool_value)) return Fail(e, "a boolean");
        return true;
      case od::json_type::number: {
        od::number_type nt;
        if (auto e = v.get_number_type().get(nt)) return Fail(e, "a number");
        if (nt == od::number_type::signed_integer) {
          out->type = ValueType::kInt;
          if (auto e = v.get_int64().get(out->int_value)) return Fail(e, "an integer");
        } else {
          out->type = ValueType::kDouble;
          if (auto e = v.get_double().get(out->double_value)) return Fail(e, "a number");
        }
        return true;
      }
      case od::json_type::array: {
        if (!DepthCheck(depth + 1)) return false;
        out->type = ValueType::kArray;
        return DecodeValueList(v, &out->array, depth + 1);
      }
      case od::json_type::object: return DecodeValueObject(v, out, depth);
    }
    return Fail("unexpected JSON value");
  }

  // Elements of a JSON array as AnyValues.
  bool DecodeValueList(od::value& v, std::span<const AnyValueView>* out, int depth) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return Fail(e, "an array");
    size_t mark = values_.size();
    for (auto el : arr) {
      od::value ev;
      if (auto e = std::move(el).get(ev)) return Fail(e) || Wrap("", values_.size() - mark);
      AnyValueView item;
      if (!DecodeValue(ev, &item, depth)) return Wrap("", values_.size() - mark);
      values_.push_back(item);
    }
    *out = Flush(values_, mark);
    return true;
  }

  // An object is an OTLP AnyValue when its first key is one of the oneof names (or it is
  // empty); otherwise it is taken as a plain JSON map, i.e. a kvlist.
  bool DecodeValueObject(od::value& v, AnyValueView* out, int depth) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return Fail(e, "an object");
    bool first = true;
    bool any_value = true;
    size_t mark = kvs_.size();
    for (auto fr : obj) {
      od::field f;
      if (auto e = std::move(fr).get(f)) return Fail(e);
      std::string_view key;
      if (!Key(f, &key)) return false;
      if (first) {
        first = false;
        any_value = IsAnyValueKey(key);
        if (!any_value && !DepthCheck(depth + 1)) return false;
      }
      if (any_value) {
        if (!AnyValueMember(key, f.value(), out, depth)) return Wrap(key);
        continue;
      }
      KeyValueView kv;
      kv.key = key.data() == key_scratch_.data() ? arena_->CopyString(key) : key;
      if (!DecodeValue(f.value(), &kv.value, depth + 1)) return Wrap(key);
      kvs_.push_back(kv);
    }
    if (!any_value) {
      out->type = ValueType::kKvList;
      out->kvlist = Flush(kvs_, mark);
    }
    return true;
  }

  bool AnyValueMember(std::string_view key, od::value& v, AnyValueView* out, int depth) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    AnyValueView val;
    if (Is(key, "stringValue", "string_value")) {
      val.type = ValueType::kString;
      if (!GetString(v, &val.str) || !CheckSize(val.str)) return false;
    } else if (Is(key, "boolValue", "bool_value")) {
      val.type = ValueType::kBool;
      if (auto e = v.get_bool().get(val.bool_value)) return Fail(e, "a boolean");
    } else if (Is(key, "intValue", "int_value")) {
      val.type = ValueType::kInt;
      if (!GetI64(v, &val.int_value)) return false;
    } else if (Is(key, "doubleValue", "double_value")) {
      val.type = ValueType::kDouble;
      if (!GetDouble(v, &val.double_value)) return false;
    } else if (Is(key, "bytesValue", "bytes_value")) {
      val.type = ValueType::kBytes;
      std::string_view s;
      if (!GetString(v, &s)) return false;
      if (!internal::Base64Decode(s, &scratch_)) return Fail("bytesValue is not valid base64");
      if (!CheckSize(scratch_)) return false;
      val.str = arena_->CopyString(scratch_);
    } else if (Is(key, "arrayValue", "array_value") || Is(key, "kvlistValue", "kvlist_value")) {
      if (!DepthCheck(depth + 1)) return false;
      bool is_array = key[0] == 'a';
      val.type = is_array ? ValueType::kArray : ValueType::kKvList;
      od::object obj;
      if (auto e = v.get_object().get(obj)) return Fail(e, "an object");
      for (auto fr : obj) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return Fail(e);
        std::string_view k;
        if (!Key(f, &k)) return false;
        if (k != "values") continue;
        od::json_type vt;
        if (!TypeOf(f.value(), &vt)) return false;
        if (vt == od::json_type::null) continue;
        if (is_array) {
          if (!DecodeValueList(f.value(), &val.array, depth + 1)) return Wrap("values");
        } else {
          if (!DecodeKeyValueList(f.value(), &val.kvlist, depth + 1)) return Wrap("values");
        }
      }
    } else {
      return true;  // unknown member
    }
    *out = val;
    return true;
  }

  // {"key": "...", "value": AnyValue}, pushed on the scratch stack.
  bool DecodeKeyValue(od::value& v, int depth) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return Fail(e, "a {\"key\",\"value\"} object");
    KeyValueView kv;
    for (auto fr : obj) {
      od::field f;
      if (auto e = std::move(fr).get(f)) return Fail(e);
      std::string_view k;
      if (!Key(f, &k)) return false;
      if (k == "key") {
        od::json_type t;
        if (!TypeOf(f.value(), &t)) return false;
        if (t != od::json_type::null && !GetString(f.value(), &kv.key)) return Wrap("key");
      } else if (k == "value") {
        if (!DecodeValue(f.value(), &kv.value, depth)) return Wrap("value");
      }
    }
    kvs_.push_back(kv);
    return true;
  }

  bool DecodeKeyValueList(od::value& v, std::span<const KeyValueView>* out, int depth) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return Fail(e, "an array");
    size_t mark = kvs_.size();
    for (auto el : arr) {
      od::value ev;
      if (auto e = std::move(el).get(ev)) return Fail(e) || Wrap("", kvs_.size() - mark);
      if (!DecodeKeyValue(ev, depth)) return Wrap("", kvs_.size() - mark);
    }
    *out = Flush(kvs_, mark);
    return true;
  }

  // `attributes`: a KeyValue list, or leniently a {key: value} object. Appends to `*attrs`.
  bool DecodeAttributes(od::value& v, Attributes* attrs) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    Attributes fresh;
    if (t == od::json_type::object) {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return Fail(e);
      size_t mark = kvs_.size();
      for (auto fr : obj) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return Fail(e);
        std::string_view key;
        if (!Key(f, &key)) return false;
        KeyValueView kv;
        kv.key = key.data() == key_scratch_.data() ? arena_->CopyString(key) : key;
        if (!DecodeValue(f.value(), &kv.value, 0)) return Wrap(key);
        kvs_.push_back(kv);
      }
      fresh = Flush(kvs_, mark);
    } else if (!DecodeKeyValueList(v, &fresh, 0)) {
      return false;
    }
    if (attrs->empty()) {
      *attrs = fresh;
    } else if (!fresh.empty()) {
      std::vector<KeyValueView> merged(attrs->begin(), attrs->end());
      merged.insert(merged.end(), fresh.begin(), fresh.end());
      *attrs = arena_->CopyArray<KeyValueView>(merged);
    }
    return true;
  }

  template <typename T>
  std::span<const T> Flush(std::vector<T>& stack, size_t mark) {
    std::span<const T> out = arena_->CopyArray<T>(std::span<const T>(stack.data() + mark, stack.size() - mark));
    stack.resize(mark);
    return out;
  }

  // Iterates the members of an object value; `on(key, value)` returns false on error.
  template <typename On>
  bool ForEachMember(od::value& v, On on) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    od::object obj;
    if (auto e = v.get_object().get(obj)) return Fail(e, "an object");
    for (auto fr : obj) {
      od::field f;
      if (auto e = std::move(fr).get(f)) return Fail(e);
      std::string_view key;
      if (!Key(f, &key)) return false;
      if (!on(key, f.value())) return false;
    }
    return true;
  }

  // Iterates the elements of an array value; `on(index, value)` returns false on error.
  template <typename On>
  bool ForEachElement(od::value& v, std::string_view name, On on) {
    od::json_type t;
    if (!TypeOf(v, &t)) return false;
    if (t == od::json_type::null) return true;
    od::array arr;
    if (auto e = v.get_array().get(arr)) return Fail(e, "an array") || Wrap(name);
    size_t index = 0;
    for (auto el : arr) {
      od::value ev;
      if (auto e = std::move(el).get(ev)) return Fail(e) || Wrap(name, index);
      if (!on(index, ev)) return Wrap(name, index);
      ++index;
    }
    return true;
  }

  bool DecodeResource(od::value& v, ResourceView* res) {
    return ForEachMember(v, [&](std::string_view k, od::value& fv) {
      if (k == "attributes") return DecodeAttributes(fv, &res->attributes) || Wrap("attributes");
      return true;
    });
  }

  bool DecodeScope(od::value& v, ScopeView* scope) {
    return ForEachMember(v, [&](std::string_view k, od::value& fv) {
      if (k == "name") return GetString(fv, &scope->name) || Wrap("name");
      if (k == "version") return GetString(fv, &scope->version) || Wrap("version");
      if (k == "attributes") return DecodeAttributes(fv, &scope->attributes) || Wrap("attributes");
      return true;
    });
  }

  static constexpr std::string_view kSpanKinds[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                                    "CLIENT",      "PRODUCER", "CONSUMER"};
  static constexpr std::string_view kStatusCodes[] = {"UNSET", "OK", "ERROR"};

  bool DecodeSpan(od::value& v, SpanView* span, std::string* id_error) {
    size_t ev_mark = events_.size();
    size_t link_mark = links_.size();
    bool ok = ForEachMember(v, [&](std::string_view k, od::value& fv) -> bool {
      bool bad = false;
      if (Is(k, "traceId", "trace_id")) {
        if (!GetId(fv, 16, &span->trace_id, &bad)) return Wrap("traceId");
        if (bad && id_error->empty()) *id_error = "traceId is neither hex nor base64";
      } else if (Is(k, "spanId", "span_id")) {
        if (!GetId(fv, 8, &span->span_id, &bad)) return Wrap("spanId");
        if (bad && id_error->empty()) *id_error = "spanId is neither hex nor base64";
      } else if (Is(k, "parentSpanId", "parent_span_id")) {
        if (!GetId(fv, 8, &span->parent_span_id, &bad)) return Wrap("parentSpanId");
        if (bad && id_error->empty()) *id_error = "parentSpanId is neither hex nor base64";
      } else if (Is(k, "traceState", "trace_state")) {
        return GetString(fv, &span->trace_state) || Wrap("traceState");
      } else if (k == "name") {
        return GetString(fv, &span->name) || Wrap("name");
      } else if (k == "kind") {
        return GetEnum(fv, kSpanKinds, "SPAN_KIND_", &span->kind) || Wrap("kind");
      } else if (Is(k, "startTimeUnixNano", "start_time_unix_nano")) {
        return GetU64(fv, &span->start_time_unix_nano) || Wrap("startTimeUnixNano");
      } else if (Is(k, "endTimeUnixNano", "end_time_unix_nano")) {
        return GetU64(fv, &span->end_time_unix_nano) || Wrap("endTimeUnixNano");
      } else if (k == "attributes") {
        return DecodeAttributes(fv, &span->attributes) || Wrap("attributes");
      } else if (k == "flags") {
        return GetU32(fv, &span->flags) || Wrap("flags");
      } else if (k == "events") {
        return ForEachElement(fv, "events", [&](size_t, od::value& ev) {
          SpanEventView event;
          bool r = ForEachMember(ev, [&](std::string_view ek, od::value& efv) {
            if (Is(ek, "timeUnixNano", "time_unix_nano")) return GetU64(efv, &event.time_unix_nano) || Wrap("timeUnixNano");
            if (ek == "name") return GetString(efv, &event.name) || Wrap("name");
            if (ek == "attributes") return DecodeAttributes(efv, &event.attributes) || Wrap("attributes");
            return true;
          });
          if (r) events_.push_back(event);
          return r;
        });
      } else if (k == "links") {
        return ForEachElement(fv, "links", [&](size_t, od::value& lv) {
          SpanLinkView link;
          bool r = ForEachMember(lv, [&](std::string_view lk, od::value& lfv) {
            bool lbad = false;
            if (Is(lk, "traceId", "trace_id")) return GetId(lfv, 16, &link.trace_id, &lbad) || Wrap("traceId");
            if (Is(lk, "spanId", "span_id")) return GetId(lfv, 8, &link.span_id, &lbad) || Wrap("spanId");
            if (lk == "attributes") return DecodeAttributes(lfv, &link.attributes) || Wrap("attributes");
            return true;
          });
          if (r) links_.push_back(link);
          return r;
        });
      } else if (k == "status") {
        return ForEachMember(fv, [&](std::string_view sk, od::value& sfv) {
          if (sk == "message") return GetString(sfv, &span->status_message) || Wrap("message");
          if (sk == "code") return GetEnum(sfv, kStatusCodes, "STATUS_CODE_", &span->status_code) || Wrap("code");
          return true;
        }) || Wrap("status");
      }
      return true;
    });
    if (!ok) return false;
    span->events = Flush(events_, ev_mark);
    span->links = Flush(links_, link_mark);
    return true;
  }

  static constexpr std::string_view kSeverities[] = {
      "UNSPECIFIED", "TRACE", "TRACE2", "TRACE3", "TRACE4", "DEBUG", "DEBUG2", "DEBUG3", "DEBUG4",
      "INFO",        "INFO2", "INFO3",  "INFO4",  "WARN",   "WARN2", "WARN3",  "WARN4",  "ERROR",
      "ERROR2",      "ERROR3", "ERROR4", "FATAL", "FATAL2", "FATAL3", "FATAL4"};

  bool DecodeLogRecord(od::value& v, LogRecordView* rec, std::string* id_error) {
    return ForEachMember(v, [&](std::string_view k, od::value& fv) -> bool {
      bool bad = false;
      if (Is(k, "timeUnixNano", "time_unix_nano")) return GetU64(fv, &rec->time_unix_nano) || Wrap("timeUnixNano");
      if (Is(k, "observedTimeUnixNano", "observed_time_unix_nano")) {
        return GetU64(fv, &rec->observed_time_unix_nano) || Wrap("observedTimeUnixNano");
      }
      if (Is(k, "severityNumber", "severity_number")) {
        return GetEnum(fv, kSeverities, "SEVERITY_NUMBER_", &rec->severity_number) || Wrap("severityNumber");
      }
      if (Is(k, "severityText", "severity_text")) return GetString(fv, &rec->severity_text) || Wrap("severityText");
      if (k == "body") return DecodeValue(fv, &rec->body, 0) || Wrap("body");
      if (k == "attributes") return DecodeAttributes(fv, &rec->attributes) || Wrap("attributes");
      if (k == "flags") return GetU32(fv, &rec->flags) || Wrap("flags");
      if (Is(k, "eventName", "event_name")) return GetString(fv, &rec->event_name) || Wrap("eventName");
      if (Is(k, "traceId", "trace_id")) {
        if (!GetId(fv, 16, &rec->trace_id, &bad)) return Wrap("traceId");
        if (bad && id_error->empty()) *id_error = "traceId is neither hex nor base64";
      } else if (Is(k, "spanId", "span_id")) {
        if (!GetId(fv, 8, &rec->span_id, &bad)) return Wrap("spanId");
        if (bad && id_error->empty()) *id_error = "spanId is neither hex nor base64";
      }
      return true;
    });
  }

  bool DecodeScopeBlock(od::value& v, bool logs, const ResourceView* resource, size_t rs_index, size_t ss_index) {
    ScopeView* scope = arena_->New<ScopeView>();
    return ForEachMember(v, [&](std::string_view k, od::value& fv) -> bool {
      if (k == "scope") return DecodeScope(fv, scope) || Wrap("scope");
      if (!logs && k == "spans") {
        return ForEachElement(fv, "spans", [&](size_t index, od::value& sv) {
          SpanView span;
          std::string id_error;
          if (!DecodeSpan(sv, &span, &id_error)) return false;
          span.resource = resource;
          span.scope = scope;
          std::string reason = id_error.empty() ? internal::CheckSpanIds(&span) : id_error;
          if (reason.empty()) {
            spans_->push_back(span);
          } else {
            rejects_->Add(fmt::format("span {} at resourceSpans[{}].scopeSpans[{}].spans[{}]: {}",
                                      internal::QuoteName(span.name), rs_index, ss_index, index, reason));
          }
          return true;
        });
      }
      if (logs && Is(k, "logRecords", "log_records")) {
        return ForEachElement(fv, "logRecords", [&](size_t index, od::value& lv) {
          LogRecordView rec;
          std::string id_error;
          if (!DecodeLogRecord(lv, &rec, &id_error)) return false;
          rec.resource = resource;
          rec.scope = scope;
          std::string reason = id_error.empty() ? internal::CheckLogIds(&rec) : id_error;
          if (reason.empty()) {
            records_->push_back(rec);
          } else {
            rejects_->Add(fmt::format("log record at resourceLogs[{}].scopeLogs[{}].logRecords[{}]: {}", rs_index,
                                      ss_index, index, reason));
          }
          return true;
        });
      }
      return true;
    });
  }

  bool DecodeResourceBlock(od::value& v, bool logs, size_t rs_index) {
    ResourceView* resource = arena_->New<ResourceView>();
    return ForEachMember(v, [&](std::string_view k, od::value& fv) -> bool {
      if (k == "resource") return DecodeResource(fv, resource) || Wrap("resource");
      bool scopes = logs ? Is(k, "scopeLogs", "scope_logs") : Is(k, "scopeSpans", "scope_spans");
      if (!scopes) return true;
      std::string_view name = logs ? "scopeLogs" : "scopeSpans";
      return ForEachElement(fv, name, [&](size_t index, od::value& sv) {
        return DecodeScopeBlock(sv, logs, resource, rs_index, index);
      });
    });
  }

  bool DecodeTop(od::document& doc, bool logs) {
    od::object obj;
    if (auto e = doc.get_object().get(obj)) {
      return Fail(e == simdjson::INCORRECT_TYPE ? "expected a JSON object at the top level"
                                                : fmt::format("malformed JSON: {}", LowerFirst(simdjson::error_message(e))));
    }
    for (auto fr : obj) {
      od::field f;
      if (auto e = std::move(fr).get(f)) return Fail(e);
      std::string_view key;
      if (!Key(f, &key)) return false;
      bool blocks = logs ? Is(key, "resourceLogs", "resource_logs") : Is(key, "resourceSpans", "resource_spans");
      if (!blocks) continue;
      std::string_view name = logs ? "resourceLogs" : "resourceSpans";
      if (!ForEachElement(f.value(), name, [&](size_t index, od::value& rv) {
            return DecodeResourceBlock(rv, logs, index);
          })) {
        return false;
      }
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS && rest != nullptr) {
      return Fail("trailing content after the JSON document", rest);
    }
    return true;
  }

  std::string_view body_;
  Arena* arena_;
  const DecodeOptions& opts_;
  std::vector<SpanView>* spans_ = nullptr;
  std::vector<LogRecordView>* records_ = nullptr;
  internal::RejectLog* rejects_ = nullptr;

  std::vector<KeyValueView> kvs_;
  std::vector<AnyValueView> values_;
  std::vector<SpanEventView> events_;
  std::vector<SpanLinkView> links_;
  std::string scratch_;
  std::string key_scratch_;

  std::string what_;
  size_t offset_ = std::string_view::npos;
  ErrorPath path_;
};

// Moves the body in and pads it as simdjson requires; views point into it afterwards.
void AdoptPaddedBody(std::string body, std::string* dst) {
  *dst = std::move(body);
  size_t n = dst->size();
  dst->resize(n + simdjson::SIMDJSON_PADDING);  // zero padding, then back: capacity stays
  dst->resize(n);
}

Status StartDocument(const std::string& body, od::parser& parser, od::document* doc) {
  if (auto e = parser.iterate(body.data(), body.size(), body.capacity()).get(*doc)) {
    if (e == simdjson::UTF8_ERROR) {
      // simdjson validates UTF-8 for the whole document up front but reports no position.
      size_t at = internal::FindInvalidUtf8(body);
      if (at == std::string_view::npos) return InvalidArgumentError("invalid OTLP/JSON: invalid UTF-8");
      return InvalidArgumentError(fmt::format("invalid OTLP/JSON at {}: invalid UTF-8 (byte offset {})",
                                              JsonPathAt(body, at), at));
    }
    if (e == simdjson::EMPTY) return InvalidArgumentError("invalid OTLP/JSON: empty document");
    return InvalidArgumentError(
        fmt::format("invalid OTLP/JSON: malformed JSON: {}", LowerFirst(simdjson::error_message(e))));
  }
  return OkStatus();
}

od::parser& ThreadParser() {
  thread_local od::parser parser;
  return parser;
}

template <typename Batch, typename Run>
Status DecodeJson(std::string body, Batch* out, const DecodeOptions& opts, Run run) {
  AdoptPaddedBody(std::move(body), &out->body);
  internal::RejectLog rejects;
  try {
    od::parser& parser = ThreadParser();
    od::document doc;
    TRACERY_RETURN_IF_ERROR(StartDocument(out->body, parser, &doc));
    JsonDecoder decoder(out->body, &out->arena, opts);
    if (!run(decoder, doc, rejects)) return decoder.Error();
  } catch (const std::exception& e) {  // simdjson is built with exceptions; keep them inside
    return InvalidArgumentError(fmt::format("invalid OTLP/JSON: {}", e.what()));
  }
  return OkStatus();
}

}  // namespace

Status DecodeTracesJson(std::string body, TraceBatch* out, const DecodeOptions& opts) {
  out->spans.clear();
  out->rejected_spans = 0;
  out->reject_message.clear();
  int64_t rejected = 0;
  std::string message;
  Status st = DecodeJson(std::move(body), out, opts,
                         [&](JsonDecoder& d, od::document& doc, internal::RejectLog& rejects) {
                           bool ok = d.DecodeTraces(doc, &out->spans, &rejects);
                           rejected = rejects.count();
                           message = rejects.Message();
                           return ok;
                         });
  if (!st.ok()) {
    out->spans.clear();
    return st;
  }
  out->rejected_spans = rejected;
  out->reject_message = std::move(message);
  return OkStatus();
}

Status DecodeLogsJson(std::string body, LogBatch* out, const DecodeOptions& opts) {
  out->records.clear();
  out->rejected_records = 0;
  out->reject_message.clear();
  int64_t rejected = 0;
  std::string message;
  Status st = DecodeJson(std::move(body), out, opts,
                         [&](JsonDecoder& d, od::document& doc, internal::RejectLog& rejects) {
                           bool ok = d.DecodeLogs(doc, &out->records, &rejects);
                           rejected = rejects.count();
                           message = rejects.Message();
                           return ok;
                         });
  if (!st.ok()) {
    out->records.clear();
    return st;
  }
  out->rejected_records = rejected;
  out->reject_message = std::move(message);
  return OkStatus();
}

}  // namespace tracery::ingest
