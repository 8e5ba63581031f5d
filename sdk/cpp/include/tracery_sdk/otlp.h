// Span data and a dependency-free OTLP protobuf encoder (ExportTraceServiceRequest, the subset of
// fields the SDK emits; field numbers from opentelemetry-proto 1.x). Public so the encoding can
// be tested and reused; most users only need tracery_sdk.h.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tracery_sdk {

// An OTLP attribute value: scalars and homogeneous arrays (what span attributes carry).
class AttributeValue {
 public:
  using Storage = std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>,
                               std::vector<std::int64_t>, std::vector<double>>;

  AttributeValue() : v_(std::string()) {}
  AttributeValue(const char* s) : v_(std::string(s == nullptr ? "" : s)) {}  // NOLINT
  AttributeValue(std::string s) : v_(std::move(s)) {}                         // NOLINT
  AttributeValue(std::string_view s) : v_(std::string(s)) {}                  // NOLINT
  AttributeValue(bool b) : v_(b) {}                                           // NOLINT
  template <typename T, typename std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                                  int> = 0>
  AttributeValue(T i) : v_(static_cast<std::int64_t>(i)) {}  // NOLINT
  AttributeValue(double d) : v_(d) {}                          // NOLINT
  AttributeValue(float d) : v_(static_cast<double>(d)) {}      // NOLINT
  AttributeValue(std::vector<std::string> a) : v_(std::move(a)) {}   // NOLINT
  AttributeValue(std::vector<std::int64_t> a) : v_(std::move(a)) {}  // NOLINT
  AttributeValue(std::vector<double> a) : v_(std::move(a)) {}        // NOLINT
  AttributeValue(std::initializer_list<const char*> a)               // NOLINT
      : v_(std::vector<std::string>(a.begin(), a.end())) {}

  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

 private:
  Storage v_;
};

using Attributes = std::vector<std::pair<std::string, AttributeValue>>;

struct SpanEvent {
  std::uint64_t time_ns = 0;
  std::string name;
  Attributes attributes;
};

struct SpanData {
  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> span_id{};
  std::array<std::uint8_t, 8> parent_span_id{};  // all zero = root
  std::string name;
  int kind = 1;  // SPAN_KIND_INTERNAL
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  Attributes attributes;  // keys unique
  std::vector<SpanEvent> events;
  int status_code = 0;  // 0 unset, 1 ok, 2 error
  std::string status_message;
};

// Appends the protobuf encoding of an ExportTraceServiceRequest holding one ResourceSpans
// (resource attributes) with one ScopeSpans (scope name/version) and `spans` to *out.
void EncodeExportRequest(const Attributes& resource, std::string_view scope_name,
                         std::string_view scope_version, const std::vector<SpanData>& spans,
                         std::string* out);

// Lower-case hex of bytes.
std::string ToHex(const std::uint8_t* data, std::size_t size);

}  // namespace tracery_sdk
