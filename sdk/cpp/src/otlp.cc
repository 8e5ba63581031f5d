// Hand-written protobuf encoder for ExportTraceServiceRequest. Each message has a Size function
// (exact encoded length) and a Write function, so nested lengths are written once, canonically,
// without temporary buffers.
#include "tracery_sdk/otlp.h"

#include <cstring>

namespace tracery_sdk {
namespace {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::size_t TagSize(std::uint32_t field) { return VarintSize(field << 3); }

void PutVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(std::uint32_t field, WireType type, std::string* out) {
  PutVarint((static_cast<std::uint64_t>(field) << 3) | type, out);
}

void PutFixed64(std::uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Length-delimited field of `len` payload bytes: tag + length + payload.
std::size_t LenFieldSize(std::uint32_t field, std::size_t len) {
  return TagSize(field) + VarintSize(len) + len;
}

void PutLenHeader(std::uint32_t field, std::size_t len, std::string* out) {
  PutTag(field, kLen, out);
  PutVarint(len, out);
}

void PutBytesField(std::uint32_t field, std::string_view bytes, std::string* out) {
  PutLenHeader(field, bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// Strings are skipped when empty (proto3 default), like libprotobuf does.
std::size_t StringFieldSize(std::uint32_t field, std::string_view s) {
  return s.empty() ? 0 : LenFieldSize(field, s.size());
}

void PutStringField(std::uint32_t field, std::string_view s, std::string* out) {
  if (!s.empty()) PutBytesField(field, s, out);
}

// ---- AnyValue (string 1, bool 2, int 3, double 4, array 5) / ArrayValue (values 1) ------------

std::size_t ScalarStringSize(const std::string& s) { return LenFieldSize(1, s.size()); }
std::size_t ScalarIntSize(std::int64_t v) {
  return TagSize(3) + VarintSize(static_cast<std::uint64_t>(v));
}
constexpr std::size_t kDoubleSize = 1 + 8;

std::size_t AnyValueSize(const AttributeValue& value) {
  struct Visitor {
    std::size_t operator()(const std::string& s) const { return ScalarStringSize(s); }
    std::size_t operator()(bool) const { return 2; }
    std::size_t operator()(std::int64_t v) const { return ScalarIntSize(v); }
    std::size_t operator()(double) const { return kDoubleSize; }
    std::size_t operator()(const std::vector<std::string>& a) const {
      std::size_t n = 0;
      for (const auto& s : a) n += LenFieldSize(1, ScalarStringSize(s));
      return LenFieldSize(5, n);
    }
    std::size_t operator()(const std::vector<std::int64_t>& a) const {
      std::size_t n = 0;
      for (auto v : a) n += LenFieldSize(1, ScalarIntSize(v));
      return LenFieldSize(5, n);
    }
    std::size_t operator()(const std::vector<double>& a) const {
      return LenFieldSize(5, a.size() * LenFieldSize(1, kDoubleSize));
    }
  };
  return std::visit(Visitor{}, value.storage());
}

void PutDouble(std::uint32_t field, double d, std::string* out) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  PutTag(field, kFixed64, out);
  PutFixed64(bits, out);
}

void WriteAnyValue(const AttributeValue& value, std::string* out) {
  struct Visitor {
    std::string* out;
    void operator()(const std::string& s) const { PutBytesField(1, s, out); }
    void operator()(bool b) const {
      PutTag(2, kVarint, out);
      out->push_back(b ? 1 : 0);
    }
    void operator()(std::int64_t v) const {
      PutTag(3, kVarint, out);
      PutVarint(static_cast<std::uint64_t>(v), out);
    }
    void operator()(double d) const { PutDouble(4, d, out); }
    void operator()(const std::vector<std::string>& a) const {
      std::size_t n = 0;
      for (const auto& s : a) n += LenFieldSize(1, ScalarStringSize(s));
      PutLenHeader(5, n, out);
      for (const auto& s : a) {
        PutLenHeader(1, ScalarStringSize(s), out);
        PutBytesField(1, s, out);
      }
    }
    void operator()(const std::vector<std::int64_t>& a) const {
      std::size_t n = 0;
      for (auto v : a) n += LenFieldSize(1, ScalarIntSize(v));
      PutLenHeader(5, n, out);
      for (auto v : a) {
        PutLenHeader(1, ScalarIntSize(v), out);
        PutTag(3, kVarint, out);
        PutVarint(static_cast<std::uint64_t>(v), out);
      }
    }
    void operator()(const std::vector<double>& a) const {
      PutLenHeader(5, a.size() * LenFieldSize(1, kDoubleSize), out);
      for (double d : a) {
        PutLenHeader(1, kDoubleSize, out);
        PutDouble(4, d, out);
      }
    }
  };
  std::visit(Visitor{out}, value.storage());
}

// ---- KeyValue (key 1, value 2) ------------------------------------------------------------------

std::size_t KeyValueSize(const std::pair<std::string, AttributeValue>& kv) {
  return StringFieldSize(1, kv.first) + LenFieldSize(2, AnyValueSize(kv.second));
}

void WriteKeyValue(const std::pair<std::string, AttributeValue>& kv, std::string* out) {
  PutStringField(1, kv.first, out);
  PutLenHeader(2, AnyValueSize(kv.second), out);
  WriteAnyValue(kv.second, out);
}

std::size_t AttributesSize(std::uint32_t field, const Attributes& attrs) {
  std::size_t n = 0;
  for (const auto& kv : attrs) n += LenFieldSize(field, KeyValueSize(kv));
  return n;
}

void WriteAttributes(std::uint32_t field, const Attributes& attrs, std::string* out) {
  for (const auto& kv : attrs) {
    PutLenHeader(field, KeyValueSize(kv), out);
    WriteKeyValue(kv, out);
  }
}

// ---- Span.Event (time 1 fixed64, name 2, attributes 3) ----------------------------------------

std::size_t EventSize(const SpanEvent& e) {
  return (e.time_ns != 0 ? 1 + 8 : 0) + StringFieldSize(2, e.name) + AttributesSize(3, e.attributes);
}

void WriteEvent(const SpanEvent& e, std::string* out) {
  if (e.time_ns != 0) {
    PutTag(1, kFixed64, out);
    PutFixed64(e.time_ns, out);
  }
  PutStringField(2, e.name, out);
  WriteAttributes(3, e.attributes, out);
}

// ---- Status (message 2, code 3) -----------------------------------------------------------------

std::size_t StatusSize(const SpanData& s) {
  return StringFieldSize(2, s.status_message) +
         (s.status_code != 0 ? TagSize(3) + VarintSize(static_cast<std::uint64_t>(s.status_code)) : 0);
}

bool IsZero(const std::array<std::uint8_t, 8>& id) {
  for (auto b : id)
    if (b != 0) return false;
  return true;
}

std::string_view Bytes(const std::uint8_t* p, std::size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// ---- Span ---------------------------------------------------------------------------------------
// trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7 (fixed64), end 8 (fixed64),
// attributes 9, events 11, status 15.

std::size_t SpanSize(const SpanData& s) {
  std::size_t n = LenFieldSize(1, 16) + LenFieldSize(2, 8);
  if (!IsZero(s.parent_span_id)) n += LenFieldSize(4, 8);
  n += StringFieldSize(5, s.name);
  if (s.kind != 0) n += 1 + VarintSize(static_cast<std::uint64_t>(s.kind));
  n += 2 * (1 + 8);
  n += AttributesSize(9, s.attributes);
  for (const auto& e : s.events) n += LenFieldSize(11, EventSize(e));
  if (s.status_code != 0 || !s.status_message.empty()) n += LenFieldSize(15, StatusSize(s));
  return n;
}

void WriteSpan(const SpanData& s, std::string* out) {
  PutBytesField(1, Bytes(s.trace_id.data(), 16), out);
  PutBytesField(2, Bytes(s.span_id.data(), 8), out);
  if (!IsZero(s.parent_span_id)) PutBytesField(4, Bytes(s.parent_span_id.data(), 8), out);
  PutStringField(5, s.name, out);
  if (s.kind != 0) {
    PutTag(6, kVarint, out);
    PutVarint(static_cast<std::uint64_t>(s.kind), out);
  }
  PutTag(7, kFixed64, out);
  PutFixed64(s.start_ns, out);
  PutTag(8, kFixed64, out);
  PutFixed64(s.end_ns, out);
  WriteAttributes(9, s.attributes, out);
  for (const auto& e : s.events) {
    PutLenHeader(11, EventSize(e), out);
    WriteEvent(e, out);
  }
  if (s.status_code != 0 || !s.status_message.empty()) {
    PutLenHeader(15, StatusSize(s), out);
    PutStringField(2, s.status_message, out);
    if (s.status_code != 0) {
      PutTag(3, kVarint, out);
      PutVarint(static_cast<std::uint64_t>(s.status_code), out);
    }
  }
}

}  // namespace

void EncodeExportRequest(const Attributes& resource, std::string_view scope_name,
                         std::string_view scope_version, const std::vector<SpanData>& spans,
                         std::string* out) {
  // ScopeSpans: scope 1 (InstrumentationScope: name 1, version 2), spans 2.
  const std::size_t scope_size = StringFieldSize(1, scope_name) + StringFieldSize(2, scope_version);
  std::size_t scope_spans_size = LenFieldSize(1, scope_size);
  for (const auto& s : spans) scope_spans_size += LenFieldSize(2, SpanSize(s));
  // ResourceSpans: resource 1 (Resource: attributes 1), scope_spans 2.
  const std::size_t resource_size = AttributesSize(1, resource);
  const std::size_t resource_spans_size =
      LenFieldSize(1, resource_size) + LenFieldSize(2, scope_spans_size);
  out->reserve(out->size() + LenFieldSize(1, resource_spans_size));

  PutLenHeader(1, resource_spans_size, out);  // ExportTraceServiceRequest.resource_spans
  PutLenHeader(1, resource_size, out);
  WriteAttributes(1, resource, out);
  PutLenHeader(2, scope_spans_size, out);
  PutLenHeader(1, scope_size, out);
  PutStringField(1, scope_name, out);
  PutStringField(2, scope_version, out);
  for (const auto& s : spans) {
    PutLenHeader(2, SpanSize(s), out);
    WriteSpan(s, out);
  }
}

std::string ToHex(const std::uint8_t* data, std::size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace tracery_sdk
