// Helpers shared by the OTLP protobuf and JSON decoders and the response encoders.
// Internal to src/ingest: not part of the ingest API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/otlp_view.h"

namespace tracery::ingest::internal {

// Index of the first byte that is not part of a well-formed UTF-8 sequence (overlongs,
// surrogates and code points above U+10FFFF are ill-formed), or npos when `s` is valid.
size_t FindInvalidUtf8(std::string_view s);

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD, cut to at most `max_bytes`
// at a code point boundary. Used for messages we send back to clients (proto3 strings and JSON
// must be valid UTF-8, and responses should stay small).
std::string SanitizeUtf8(std::string_view s, size_t max_bytes = 64 << 10);

// Standard or URL-safe base64, padding optional. False on any other character or a
// malformed tail.
bool Base64Decode(std::string_view in, std::string* out);

// Counts rejected spans/records and keeps the first few human-readable reasons.
class RejectLog {
 public:
  static constexpr int kMaxReasons = 3;
  void Add(std::string_view reason);
  int64_t count() const { return count_; }
  // "reason1; reason2; reason3 (and 4 more)", "" when nothing was rejected.
  std::string Message() const;

 private:
  int64_t count_ = 0;
  std::vector<std::string> reasons_;
};

// Id checks per otlp_decode.h. Returns "" when the span is valid, else the reason.
// An all-zero 8-byte parent_span_id is treated as a root (some SDKs send that) and cleared.
std::string CheckSpanIds(SpanView* span);
// Log records: ids may be empty; non-empty must be 16 / 8 bytes. All-zero ids mean "no
// context" and are cleared.
std::string CheckLogIds(LogRecordView* record);

// Printable, bounded rendering of an untrusted name for reject reasons.
std::string QuoteName(std::string_view name);

// Reverse-built field path of a decode error: the innermost component is pushed first,
// each enclosing level appends its own on the way out (cheap: nothing happens on success).
struct ErrorPath {
  std::vector<std::string> reversed;
  void Push(std::string_view field) { reversed.emplace_back(field); }
  void Push(std::string_view field, size_t index);
  std::string Join() const;  // "a[0].b[2].c", "" when empty
};

}  // namespace tracery::ingest::internal
