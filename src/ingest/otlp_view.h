// Decoded OTLP data as non-owning views. Strings point into the request body (protobuf) or
// into the batch's arena (JSON, where unescaping or hex decoding had to materialize bytes).
// A TraceBatch / LogBatch owns both, so views stay valid for the batch's lifetime.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tracery::ingest {

enum class ValueType : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kArray, kKvList, kBytes };

struct KeyValueView;

struct AnyValueView {
  ValueType type = ValueType::kEmpty;
  std::string_view str;  // kString (UTF-8 as received, may be invalid) and kBytes (raw bytes)
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
  std::span<const AnyValueView> array;    // kArray
  std::span<const KeyValueView> kvlist;   // kKvList
};

struct KeyValueView {
  std::string_view key;
  AnyValueView value;
};

using Attributes = std::span<const KeyValueView>;

struct ResourceView {
  Attributes attributes;
};

struct ScopeView {
  std::string_view name;
  std::string_view version;
  Attributes attributes;
};

struct SpanEventView {
  uint64_t time_unix_nano = 0;
  std::string_view name;
  Attributes attributes;
};

struct SpanLinkView {
  std::string_view trace_id;  // raw bytes
  std::string_view span_id;   // raw bytes
  Attributes attributes;
};

struct SpanView {
  std::string_view trace_id;        // raw bytes, 16 when valid
  std::string_view span_id;         // raw bytes, 8 when valid
  std::string_view parent_span_id;  // raw bytes, empty for a root
  std::string_view trace_state;
  std::string_view name;
  int32_t kind = 0;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  std::span<const SpanEventView> events;
  std::span<const SpanLinkView> links;
  int32_t status_code = 0;  // 0 unset, 1 ok, 2 error
  std::string_view status_message;
  uint32_t flags = 0;
  const ResourceView* resource = nullptr;  // never null after decoding
  const ScopeView* scope = nullptr;        // never null after decoding
};

struct LogRecordView {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int32_t severity_number = 0;
  std::string_view severity_text;
  AnyValueView body;
  Attributes attributes;
  std::string_view trace_id;  // raw bytes, may be empty
  std::string_view span_id;   // raw bytes, may be empty
  std::string_view event_name;
  uint32_t flags = 0;
  const ResourceView* resource = nullptr;
  const ScopeView* scope = nullptr;
};

// Owns the memory behind the views: the request body and an arena for materialized data.
class Arena {
 public:
  // Copies `s` into the arena and returns a stable view of the copy.
  std::string_view Store(std::string s) {
    strings_.push_back(std::move(s));
    return strings_.back();
  }
  template <typename T>
  std::span<const T> StoreVector(std::vector<T> v) {
    auto holder = std::make_shared<std::vector<T>>(std::move(v));
    std::span<const T> out(holder->data(), holder->size());
    holders_.push_back(std::move(holder));
    return out;
  }
  template <typename T>
  const T* StoreObject(T obj) {
    auto holder = std::make_shared<T>(std::move(obj));
    const T* out = holder.get();
    holders_.push_back(std::move(holder));
    return out;
  }

 private:
  std::deque<std::string> strings_;
  std::vector<std::shared_ptr<void>> holders_;
};

struct TraceBatch {
  std::string body;  // the (decompressed) request body the views may point into
  Arena arena;
  std::vector<SpanView> spans;  // only spans that passed validation
  int64_t rejected_spans = 0;   // spans dropped by validation (bad ids...), for partial_success
  std::string reject_message;   // first few reasons, human readable ("" when none rejected)
};

struct LogBatch {
  std::string body;
  Arena arena;
  std::vector<LogRecordView> records;
  int64_t rejected_records = 0;
  std::string reject_message;
};

}  // namespace tracery::ingest
