// Test helper: builds TraceBatch / LogBatch views directly (no decoder), all memory in the
// batch's arena.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hex.h"
#include "ingest/otlp_view.h"

namespace tracery::ingest::testing {

inline constexpr std::string_view kTraceHex = "0af7651916cd43dd8448eb211c80319c";

// An attribute value to be materialized into an arena.
struct Val {
  ValueType type = ValueType::kEmpty;
  std::string s;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::vector<std::string> strings;  // kArray of strings

  Val(const char* v) : type(ValueType::kString), s(v) {}  // NOLINT
  Val(std::string v) : type(ValueType::kString), s(std::move(v)) {}  // NOLINT
  Val(std::string_view v) : type(ValueType::kString), s(v) {}  // NOLINT
  Val(int v) : type(ValueType::kInt), i(v) {}  // NOLINT
  Val(int64_t v) : type(ValueType::kInt), i(v) {}  // NOLINT
  Val(double v) : type(ValueType::kDouble), d(v) {}  // NOLINT
  Val(bool v) : type(ValueType::kBool), b(v) {}  // NOLINT
  Val(std::vector<std::string> v) : type(ValueType::kArray), strings(std::move(v)) {}  // NOLINT
  static Val Bytes(std::string raw) {
    Val v(std::move(raw));
    v.type = ValueType::kBytes;
    return v;
  }
};

inline AnyValueView MakeValue(Arena* arena, const Val& v) {
  AnyValueView out;
  out.type = v.type;
  switch (v.type) {
    case ValueType::kString:
    case ValueType::kBytes:
      out.str = arena->Store(v.s);
      break;
    case ValueType::kInt:
      out.int_value = v.i;
      break;
    case ValueType::kDouble:
      out.double_value = v.d;
      break;
    case ValueType::kBool:
      out.bool_value = v.b;
      break;
    case ValueType::kArray: {
      std::vector<AnyValueView> elems;
      for (const auto& s : v.strings) {
        AnyValueView e;
        e.type = ValueType::kString;
        e.str = arena->Store(s);
        elems.push_back(e);
      }
      out.array = arena->StoreVector(std::move(elems));
      break;
    }
    default:
      break;
  }
  return out;
}

using AttrList = std::vector<std::pair<std::string, Val>>;

inline Attributes MakeAttrs(Arena* arena, const AttrList& attrs) {
  std::vector<KeyValueView> kvs;
  for (const auto& [k, v] : attrs) kvs.push_back(KeyValueView{arena->Store(k), MakeValue(arena, v)});
  return arena->StoreVector(std::move(kvs));
}

inline std::string Raw(std::string_view hex) {
  std::string raw;
  HexDecode(hex, &raw);
  return raw;
}

class SpanBuilder {
 public:
  explicit SpanBuilder(TraceBatch* batch, std::string_view span_hex = "00f067aa0ba902b7")
      : batch_(batch) {
    span_.trace_id = batch_->arena.Store(Raw(kTraceHex));
    span_.span_id = batch_->arena.Store(Raw(span_hex));
    span_.name = "span";
    span_.start_time_unix_nano = 1'700'000'000'000'000'000ULL;
    span_.end_time_unix_nano = 1'700'000'001'000'000'000ULL;
  }

  SpanBuilder& Name(std::string_view n) {
    span_.name = batch_->arena.Store(std::string(n));
    return *this;
  }
  SpanBuilder& Parent(std::string_view hex) {
    span_.parent_span_id = batch_->arena.Store(Raw(hex));
    return *this;
  }
  SpanBuilder& Times(uint64_t start, uint64_t end) {
    span_.start_time_unix_nano = start;
    span_.end_time_unix_nano = end;
    return *this;
  }
  SpanBuilder& Status(int32_t code, std::string_view message = "") {
    span_.status_code = code;
    span_.status_message = batch_->arena.Store(std::string(message));
    return *this;
  }
  SpanBuilder& Attr(std::string key, Val v) {
    attrs_.emplace_back(std::move(key), std::move(v));
    return *this;
  }
  SpanBuilder& Resource(std::string key, Val v) {
    resource_.emplace_back(std::move(key), std::move(v));
    return *this;
  }
  SpanBuilder& Scope(std::string_view name) {
    scope_name_ = name;
    return *this;
  }
  SpanBuilder& Event(std::string_view name, AttrList attrs, uint64_t time = 1'700'000'000'500'000'000ULL) {
    events_.push_back({std::string(name), std::move(attrs), time});
    return *this;
  }
  // A span link; ids are raw bytes (use Raw() for hex), so hostile sizes can be tested.
  SpanBuilder& LinkRaw(std::string trace_raw, std::string span_raw) {
    links_.emplace_back(std::move(trace_raw), std::move(span_raw));
    return *this;
  }
  // Appends the span to the batch.
  void Done() {
    Arena* arena = &batch_->arena;
    span_.attributes = MakeAttrs(arena, attrs_);
    ResourceView r;
    if (resource_.empty()) resource_.emplace_back("service.name", Val("test-service"));
    r.attributes = MakeAttrs(arena, resource_);
    span_.resource = arena->StoreObject(r);
    ScopeView s;
    s.name = arena->Store(scope_name_);
    span_.scope = arena->StoreObject(s);
    std::vector<SpanEventView> evs;
    for (const auto& e : events_) {
      SpanEventView ev;
      ev.name = arena->Store(e.name);
      ev.time_unix_nano = e.time;
      ev.attributes = MakeAttrs(arena, e.attrs);
      evs.push_back(ev);
    }
    span_.events = arena->StoreVector(std::move(evs));
    std::vector<SpanLinkView> lks;
    for (const auto& [trace, span] : links_) {
      SpanLinkView l;
      l.trace_id = arena->Store(trace);
      l.span_id = arena->Store(span);
      lks.push_back(l);
    }
    span_.links = arena->StoreVector(std::move(lks));
    batch_->spans.push_back(span_);
  }

 private:
  struct PendingEvent {
    std::string name;
    AttrList attrs;
    uint64_t time;
  };
  TraceBatch* batch_;
  SpanView span_;
  AttrList attrs_;
  AttrList resource_;
  std::string scope_name_ = "test-scope";
  std::vector<PendingEvent> events_;
  std::vector<std::pair<std::string, std::string>> links_;
};

// Appends one log record.
inline void AddLog(LogBatch* batch, std::string_view event_name, const AttrList& attrs, const Val* body,
                   std::string_view span_hex = "00f067aa0ba902b7", std::string_view service = "test-service") {
  Arena* arena = &batch->arena;
  LogRecordView rec;
  rec.time_unix_nano = 1'700'000'000'200'000'000ULL;
  rec.trace_id = arena->Store(Raw(kTraceHex));
  if (!span_hex.empty()) rec.span_id = arena->Store(Raw(span_hex));
  rec.event_name = arena->Store(std::string(event_name));
  rec.attributes = MakeAttrs(arena, attrs);
  if (body != nullptr) rec.body = MakeValue(arena, *body);
  ResourceView r;
  r.attributes = MakeAttrs(arena, {{"service.name", Val(std::string(service))}});
  rec.resource = arena->StoreObject(r);
  ScopeView s;
  rec.scope = arena->StoreObject(s);
  batch->records.push_back(rec);
}

}  // namespace tracery::ingest::testing
