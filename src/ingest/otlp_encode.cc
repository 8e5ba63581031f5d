// OTLP response encoders, plus the helpers shared by the decoders (internal/otlp_common.h);
// they live here because this file is always linked with both decoders.
#include <fmt/format.h>

#include <cstring>

#include "core/hex.h"
#include "ingest/internal/otlp_common.h"
#include "ingest/otlp_decode.h"

namespace tracery::ingest {
namespace internal {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when ill-formed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  unsigned char c = u[i];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return i + k < n && (u[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    unsigned char c1 = u[i + 1];
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = u[i + 1];
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= s.size()) break;
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string SanitizeUtf8(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  size_t i = 0;
  while (i < s.size()) {
    size_t len = Utf8SequenceLength(s, i);
    std::string_view piece = len == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, len);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += len == 0 ? 1 : len;
  }
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  out->clear();
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

void RejectLog::Add(std::string_view reason) {
  ++count_;
  if (reasons_.size() < kMaxReasons) reasons_.emplace_back(reason);
}

std::string RejectLog::Message() const {
  std::string out;
  for (const auto& r : reasons_) {
    if (!out.empty()) out += "; ";
    out += r;
  }
  if (count_ > static_cast<int64_t>(reasons_.size())) {
    out += fmt::format(" (and {} more)", count_ - static_cast<int64_t>(reasons_.size()));
  }
  return out;
}

namespace {
std::string CheckId(std::string_view id, size_t want, std::string_view what) {
  if (id.size() != want) return fmt::format("{} is {} bytes, want {}", what, id.size(), want);
  if (IsAllZero(id)) return fmt::format("{} is all zero", what);
  return {};
}
}  // namespace

std::string CheckSpanIds(SpanView* span) {
  std::string r = CheckId(span->trace_id, 16, "trace_id");
  if (r.empty()) r = CheckId(span->span_id, 8, "span_id");
  if (!r.empty()) return r;
  if (span->parent_span_id.size() == 8 && IsAllZero(span->parent_span_id)) span->parent_span_id = {};
  if (!span->parent_span_id.empty() && span->parent_span_id.size() != 8) {
    return fmt::format("parent_span_id is {} bytes, want 0 or 8", span->parent_span_id.size());
  }
  return {};
}

std::string CheckLogIds(LogRecordView* record) {
  if (!record->trace_id.empty()) {
    if (record->trace_id.size() != 16) return fmt::format("trace_id is {} bytes, want 0 or 16", record->trace_id.size());
    if (IsAllZero(record->trace_id)) record->trace_id = {};
  }
  if (!record->span_id.empty()) {
    if (record->span_id.size() != 8) return fmt::format("span_id is {} bytes, want 0 or 8", record->span_id.size());
    if (IsAllZero(record->span_id)) record->span_id = {};
  }
  return {};
}

std::string QuoteName(std::string_view name) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  std::string clean = SanitizeUtf8(name, kMax);
  for (char c : clean) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (clean.size() < name.size()) out += "...";
  out += "\"";
  return out;
}

void ErrorPath::Push(std::string_view field, size_t index) {
  reversed.push_back(fmt::format("{}[{}]", field, index));
}

std::string ErrorPath::Join() const {
  std::string out;
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
    if (!out.empty() && (*it)[0] != '[') out += '.';
    out += *it;
  }
  return out;
}

}  // namespace internal

namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthDelimited(std::string* out, uint32_t field, std::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// JSON string literal (with quotes) of already-valid UTF-8.
void PutJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string EncodeExportResponseProto(int64_t rejected, std::string_view message) {
  std::string msg = internal::SanitizeUtf8(message);
  if (rejected == 0 && msg.empty()) return {};
  std::string partial;
  if (rejected != 0) {
    PutVarint(&partial, 1 << 3);
    PutVarint(&partial, static_cast<uint64_t>(rejected));  // int64: two's complement, not zigzag
  }
  if (!msg.empty()) PutLengthDelimited(&partial, 2, msg);
  std::string out;
  PutLengthDelimited(&out, 1, partial);
  return out;
}

std::string EncodeExportResponseJson(int64_t rejected, std::string_view message, bool logs) {
  std::string msg = internal::SanitizeUtf8(message);
  if (rejected == 0 && msg.empty()) return "{}";
  std::string out = "{\"partialSuccess\":{";
  out += logs ? "\"rejectedLogRecords\":\"" : "\"rejectedSpans\":\"";
  out += std::to_string(rejected);
  out += '"';
  if (!msg.empty()) {
    out += ",\"errorMessage\":";
    PutJsonString(&out, msg);
  }
  out += "}}";
  return out;
}

std::string EncodeRpcStatusProto(int32_t grpc_code, std::string_view message) {
  std::string msg = internal::SanitizeUtf8(message);
  std::string out;
  if (grpc_code != 0) {
    PutVarint(&out, 1 << 3);
    // int32 negatives are sign-extended to 64 bits on the wire.
    PutVarint(&out, static_cast<uint64_t>(static_cast<int64_t>(grpc_code)));
  }
  if (!msg.empty()) PutLengthDelimited(&out, 2, msg);
  return out;
}

std::string EncodeRpcStatusJson(int32_t grpc_code, std::string_view message) {
  std::string out = fmt::format("{{\"code\":{},\"message\":", grpc_code);
  PutJsonString(&out, internal::SanitizeUtf8(message));
  out += '}';
  return out;
}

}  // namespace tracery::ingest
