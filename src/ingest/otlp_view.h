// Decoded OTLP data as non-owning views. Strings point into the request body (protobuf) or
// into the batch's arena (JSON, where unescaping or hex decoding had to materialize bytes).
// A TraceBatch / LogBatch owns both, so views stay valid for the batch's lifetime.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
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
// Internally a bump allocator: trivially destructible data (all the view types, string bytes)
// goes into large blocks, so decoding does not pay a heap allocation per attribute. Anything
// with a destructor is kept alive by a type-erased holder. Move-only: views into it stay valid
// across moves (blocks never relocate), a copy could not keep that promise.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  // Copies `s` into the arena and returns a stable view of the copy.
  std::string_view Store(std::string s) { return CopyString(s); }
  std::string_view CopyString(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  template <typename T>
  std::span<const T> StoreVector(std::vector<T> v) {
    if constexpr (std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>) {
      return CopyArray<T>(std::span<const T>(v.data(), v.size()));
    } else {
      auto holder = std::make_shared<std::vector<T>>(std::move(v));
      std::span<const T> out(holder->data(), holder->size());
      holders_.push_back(std::move(holder));
      return out;
    }
  }
  template <typename T>
  const T* StoreObject(T obj) {
    return New<T>(std::move(obj));
  }
  // A mutable object owned by the arena.
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    if constexpr (std::is_trivially_destructible_v<T>) {
      void* p = Allocate(sizeof(T), alignof(T));
      return new (p) T(std::forward<Args>(args)...);
    } else {
      auto holder = std::make_shared<T>(std::forward<Args>(args)...);
      T* out = holder.get();
      holders_.push_back(std::move(holder));
      return out;
    }
  }
  // Copies a range of trivially copyable values into the arena.
  template <typename T>
  std::span<const T> CopyArray(std::span<const T> src) {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    if (src.empty()) return {};
    T* p = static_cast<T*>(Allocate(sizeof(T) * src.size(), alignof(T)));
    std::memcpy(static_cast<void*>(p), src.data(), sizeof(T) * src.size());
    return {p, src.size()};
  }
  // Bytes handed out so far (blocks may hold more).
  size_t bytes_used() const { return bytes_used_; }

 private:
  static constexpr size_t kFirstBlock = 32 << 10;
  static constexpr size_t kMaxBlock = 1 << 20;
  static constexpr size_t kDedicated = 8 << 10;

  void* Allocate(size_t bytes, size_t align) {
    size_t pad = (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
    if (static_cast<size_t>(end_ - cur_) < pad + bytes) return AllocateSlow(bytes, align);
    char* p = cur_ + pad;
    cur_ = p + bytes;
    bytes_used_ += bytes;
    return p;
  }
  void* AllocateSlow(size_t bytes, size_t align) {
    bytes_used_ += bytes;
    if (bytes > kDedicated) {
      // Big requests get a block of their own so the current block's tail is not wasted.
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes + align));
      char* b = blocks_.back().get();
      return b + (align - reinterpret_cast<uintptr_t>(b) % align) % align;
    }
    next_block_ = next_block_ == 0 ? kFirstBlock : std::min(next_block_ * 2, kMaxBlock);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(next_block_));
    cur_ = blocks_.back().get();
    end_ = cur_ + next_block_;
    char* p = cur_ + (align - reinterpret_cast<uintptr_t>(cur_) % align) % align;
    cur_ = p + bytes;
    return p;
  }

  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cur_ = nullptr;
  char* end_ = nullptr;
  size_t next_block_ = 0;
  size_t bytes_used_ = 0;
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
