// Zero-copy OTLP protobuf decoder: walks the wire format once, straight into the view structs.
// Strings are views into the batch body; repeated fields are gathered on per-type scratch
// stacks and copied into the arena in one piece when their message ends, so there is no heap
// allocation per attribute.
//
// Compatibility with libprotobuf: a known field with an unexpected wire type is skipped like an
// unknown field (what libprotobuf does); repeated occurrences of a singular message merge
// (attributes append, scalars overwrite). Deliberate differences: group wire types (3/4) are
// rejected, string fields are not checked for UTF-8 (the views say "as received"), and
// AnyValue nesting is capped by DecodeOptions::max_nesting.
#include <fmt/format.h>

#include <cstring>

#include "ingest/internal/otlp_common.h"
#include "ingest/otlp_decode.h"

namespace tracery::ingest {
namespace {

using internal::ErrorPath;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

class ProtoDecoder {
 public:
  ProtoDecoder(std::string_view body, Arena* arena, const DecodeOptions& opts)
      : base_(body.data()), end_(body.data() + body.size()), arena_(arena), opts_(opts) {}

  bool DecodeTraces(std::vector<SpanView>* spans, internal::RejectLog* rejects) {
    spans_ = spans;
    rejects_ = rejects;
    return DecodeTop(/*logs=*/false);
  }
  bool DecodeLogs(std::vector<LogRecordView>* records, internal::RejectLog* rejects) {
    records_ = records;
    rejects_ = rejects;
    return DecodeTop(/*logs=*/true);
  }

  Status Error() const {
    std::string path = path_.Join();
    return InvalidArgumentError(fmt::format("invalid protobuf{}{}: {} at byte offset {}",
                                            path.empty() ? "" : " at ", path, what_, offset_));
  }

 private:
  // ---- error plumbing: Fail() records the innermost cause, Wrap() adds a path component.
  bool Fail(const char* at, std::string what) {
    what_ = std::move(what);
    offset_ = static_cast<size_t>(at - base_);
    return false;
  }
  bool Wrap(std::string_view field) {
    path_.Push(field);
    return false;
  }
  bool Wrap(std::string_view field, size_t index) {
    path_.Push(field, index);
    return false;
  }

  // ---- wire primitives. `p` advances past what was read.
  bool ReadVarint(const char*& p, const char* end, uint64_t* out) {
    const char* start = p;
    if (p < end && static_cast<uint8_t>(*p) < 0x80) {
      *out = static_cast<uint8_t>(*p++);
      return true;
    }
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return Fail(start, "truncated varint");
      uint8_t b = static_cast<uint8_t>(*p++);
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        *out = result;
        return true;
      }
    }
    return Fail(start, "varint longer than 10 bytes");
  }
  bool ReadTag(const char*& p, const char* end, uint32_t* field, uint32_t* wire) {
    const char* start = p;
    uint64_t tag;
    if (!ReadVarint(p, end, &tag)) return false;
    if (tag > 0xFFFFFFFFu || (tag >> 3) == 0) return Fail(start, fmt::format("invalid tag {}", tag));
    *field = static_cast<uint32_t>(tag >> 3);
    *wire = static_cast<uint32_t>(tag & 7);
    return true;
  }
  bool ReadLen(const char*& p, const char* end, std::string_view* out) {
    const char* start = p;
    uint64_t len;
    if (!ReadVarint(p, end, &len)) return false;
    if (len > static_cast<uint64_t>(end - p)) {
      return Fail(start, fmt::format("length {} exceeds the {} remaining bytes", len, end - p));
    }
    *out = std::string_view(p, static_cast<size_t>(len));
    p += len;
    return true;
  }
  bool ReadFixed64(const char*& p, const char* end, uint64_t* out) {
    if (end - p < 8) return Fail(p, "truncated fixed64");
    std::memcpy(out, p, 8);  // little-endian host (x86-64 / aarch64)
    p += 8;
    return true;
  }
  bool ReadFixed32(const char*& p, const char* end, uint32_t* out) {
    if (end - p < 4) return Fail(p, "truncated fixed32");
    std::memcpy(out, p, 4);
    p += 4;
    return true;
  }
  bool Skip(const char*& p, const char* end, uint32_t wire, const char* tag_at) {
    uint64_t v;
    std::string_view s;
    switch (wire) {
      case kVarint: return ReadVarint(p, end, &v);
      case kFixed64: return ReadFixed64(p, end, &v);
      case kLen: return ReadLen(p, end, &s);
      case kFixed32: {
        uint32_t f;
        return ReadFixed32(p, end, &f);
      }
      case kStartGroup:
      case kEndGroup: return Fail(tag_at, "group wire type is not supported");
      default: return Fail(tag_at, fmt::format("invalid wire type {}", wire));
    }
  }

  // Copies the scratch entries pushed since `mark` into the arena, appended to `existing`
  // (non-empty only when a singular message occurred twice), and pops them.
  template <typename T>
  std::span<const T> Flush(std::vector<T>& stack, size_t mark, std::span<const T> existing = {}) {
    std::span<const T> fresh(stack.data() + mark, stack.size() - mark);
    std::span<const T> out;
    if (existing.empty()) {
      out = arena_->CopyArray<T>(fresh);
    } else if (!fresh.empty()) {
      std::vector<T> merged(existing.begin(), existing.end());
      merged.insert(merged.end(), fresh.begin(), fresh.end());
      out = arena_->CopyArray<T>(std::span<const T>(merged));
    } else {
      out = existing;
    }
    stack.resize(mark);
    return out;
  }

  // ---- common.v1
  bool DecodeAnyValue(std::string_view msg, AnyValueView* out, int depth) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      switch (field) {
        case 1:
        case 7:
          if (wire == kLen) {
            std::string_view s;
            if (!ReadLen(p, end, &s)) return false;
            if (s.size() > opts_.max_attribute_value) {
              return Fail(tag_at, fmt::format("value of {} bytes exceeds the limit of {}", s.size(),
                                              opts_.max_attribute_value));
            }
            *out = AnyValueView{};
            out->type = field == 1 ? ValueType::kString : ValueType::kBytes;
            out->str = s;
            continue;
          }
          break;
        case 2:
        case 3:
          if (wire == kVarint) {
            uint64_t v;
            if (!ReadVarint(p, end, &v)) return false;
            *out = AnyValueView{};
            if (field == 2) {
              out->type = ValueType::kBool;
              out->bool_value = v != 0;
            } else {
              out->type = ValueType::kInt;
              out->int_value = static_cast<int64_t>(v);
            }
            continue;
          }
          break;
        case 4:
          if (wire == kFixed64) {
            uint64_t v;
            if (!ReadFixed64(p, end, &v)) return false;
            *out = AnyValueView{};
            out->type = ValueType::kDouble;
            std::memcpy(&out->double_value, &v, 8);
            continue;
          }
          break;
        case 5:
        case 6:
          if (wire == kLen) {
            std::string_view sub;
            if (!ReadLen(p, end, &sub)) return false;
            if (depth + 1 > opts_.max_nesting) {
              return Fail(tag_at, fmt::format("values nested deeper than {}", opts_.max_nesting));
            }
            *out = AnyValueView{};
            if (field == 5) {
              out->type = ValueType::kArray;
              if (!DecodeArray(sub, &out->array, depth + 1)) return Wrap("array_value");
            } else {
              out->type = ValueType::kKvList;
              if (!DecodeKvList(sub, &out->kvlist, depth + 1)) return Wrap("kvlist_value");
            }
            continue;
          }
          break;
        default:
          break;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    return true;
  }

  bool DecodeArray(std::string_view msg, std::span<const AnyValueView>* out, int depth) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t mark = values_.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end, &sub)) return false;
        AnyValueView v;
        if (!DecodeAnyValue(sub, &v, depth)) return Wrap("values", values_.size() - mark);
        values_.push_back(v);
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    *out = Flush(values_, mark);
    return true;
  }

  bool DecodeKvList(std::string_view msg, std::span<const KeyValueView>* out, int depth) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t mark = kvs_.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        if (!ReadKeyValue(p, end, depth)) return Wrap("values", kvs_.size() - mark);
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    *out = Flush(kvs_, mark);
    return true;
  }

  // Reads one length-delimited KeyValue at `p` and pushes it on the scratch stack.
  bool ReadKeyValue(const char*& p, const char* end, int depth) {
    std::string_view msg;
    if (!ReadLen(p, end, &msg)) return false;
    KeyValueView kv;
    const char* q = msg.data();
    const char* qend = q + msg.size();
    while (q < qend) {
      const char* tag_at = q;
      uint32_t field, wire;
      if (!ReadTag(q, qend, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        if (!ReadLen(q, qend, &kv.key)) return false;
        continue;
      }
      if (field == 2 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(q, qend, &sub)) return false;
        if (!DecodeAnyValue(sub, &kv.value, depth)) return Wrap("value");
        continue;
      }
      if (!Skip(q, qend, wire, tag_at)) return false;
    }
    kvs_.push_back(kv);
    return true;
  }

  // A message whose only interesting repeated field is `attr_field` (KeyValue); other fields
  // go to `on_field(field, wire, p, end, tag_at) -> int` (1 handled, 0 skip, -1 error).
  template <typename OnField>
  bool DecodeWithAttributes(std::string_view msg, uint32_t attr_field, Attributes* attrs, OnField on_field) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t mark = kvs_.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == attr_field && wire == kLen) {
        if (!ReadKeyValue(p, end, 0)) return Wrap("attributes", kvs_.size() - mark);
        continue;
      }
      int r = on_field(field, wire, p, end);
      if (r < 0) return false;
      if (r > 0) continue;
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    *attrs = Flush(kvs_, mark, *attrs);
    return true;
  }

  bool DecodeResource(std::string_view msg, ResourceView* out) {
    return DecodeWithAttributes(msg, 1, &out->attributes,
                                [](uint32_t, uint32_t, const char*&, const char*) { return 0; });
  }

  bool DecodeScope(std::string_view msg, ScopeView* out) {
    return DecodeWithAttributes(msg, 3, &out->attributes,
                                [&](uint32_t field, uint32_t wire, const char*& p, const char* end) {
                                  if (wire != kLen || (field != 1 && field != 2)) return 0;
                                  return ReadLen(p, end, field == 1 ? &out->name : &out->version) ? 1 : -1;
                                });
  }

  // ---- trace.v1
  bool DecodeEvent(std::string_view msg, SpanEventView* out) {
    return DecodeWithAttributes(msg, 3, &out->attributes,
                                [&](uint32_t field, uint32_t wire, const char*& p, const char* end) {
                                  if (field == 1 && wire == kFixed64) {
                                    return ReadFixed64(p, end, &out->time_unix_nano) ? 1 : -1;
                                  }
                                  if (field == 2 && wire == kLen) return ReadLen(p, end, &out->name) ? 1 : -1;
                                  return 0;
                                });
  }

  bool DecodeLink(std::string_view msg, SpanLinkView* out) {
    return DecodeWithAttributes(msg, 4, &out->attributes,
                                [&](uint32_t field, uint32_t wire, const char*& p, const char* end) {
                                  if (wire != kLen || (field != 1 && field != 2)) return 0;
                                  return ReadLen(p, end, field == 1 ? &out->trace_id : &out->span_id) ? 1 : -1;
                                });
  }

  bool DecodeStatus(std::string_view msg, SpanView* span) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == 2 && wire == kLen) {
        if (!ReadLen(p, end, &span->status_message)) return false;
        continue;
      }
      if (field == 3 && wire == kVarint) {
        uint64_t v;
        if (!ReadVarint(p, end, &v)) return false;
        span->status_code = static_cast<int32_t>(v);
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    return true;
  }

  bool DecodeSpan(std::string_view msg, SpanView* span) {
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t kv_mark = kvs_.size();
    size_t ev_mark = events_.size();
    size_t link_mark = links_.size();
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (wire == kLen) {
        std::string_view* target = nullptr;
        switch (field) {
          case 1: target = &span->trace_id; break;
          case 2: target = &span->span_id; break;
          case 3: target = &span->trace_state; break;
          case 4: target = &span->parent_span_id; break;
          case 5: target = &span->name; break;
          case 9:
            if (!ReadKeyValue(p, end, 0)) return Wrap("attributes", kvs_.size() - kv_mark);
            continue;
          case 11: {
            std::string_view sub;
            if (!ReadLen(p, end, &sub)) return false;
            SpanEventView ev;
            if (!DecodeEvent(sub, &ev)) return Wrap("events", events_.size() - ev_mark);
            events_.push_back(ev);
            continue;
          }
          case 13: {
            std::string_view sub;
            if (!ReadLen(p, end, &sub)) return false;
            SpanLinkView link;
            if (!DecodeLink(sub, &link)) return Wrap("links", links_.size() - link_mark);
            links_.push_back(link);
            continue;
          }
          case 15: {
            std::string_view sub;
            if (!ReadLen(p, end, &sub)) return false;
            if (!DecodeStatus(sub, span)) return Wrap("status");
            continue;
          }
          default: break;
        }
        if (target != nullptr) {
          if (!ReadLen(p, end, target)) return false;
          continue;
        }
      } else if (wire == kFixed64 && (field == 7 || field == 8)) {
        if (!ReadFixed64(p, end, field == 7 ? &span->start_time_unix_nano : &span->end_time_unix_nano)) {
          return false;
        }
        continue;
      } else if (wire == kVarint && field == 6) {
        uint64_t v;
        if (!ReadVarint(p, end, &v)) return false;
        span->kind = static_cast<int32_t>(v);
        continue;
      } else if (wire == kFixed32 && field == 16) {
        if (!ReadFixed32(p, end, &span->flags)) return false;
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    span->attributes = Flush(kvs_, kv_mark);
    span->events = Flush(events_, ev_mark);
    span->links = Flush(links_, link_mark);
    return true;
  }

  // ---- logs.v1
  bool DecodeLogRecord(std::string_view msg, LogRecordView* rec) {
    return DecodeWithAttributes(
        msg, 6, &rec->attributes, [&](uint32_t field, uint32_t wire, const char*& p, const char* end) {
          switch (field) {
            case 1:
            case 11:
              if (wire != kFixed64) return 0;
              return ReadFixed64(p, end, field == 1 ? &rec->time_unix_nano : &rec->observed_time_unix_nano) ? 1 : -1;
            case 2: {
              if (wire != kVarint) return 0;
              uint64_t v;
              if (!ReadVarint(p, end, &v)) return -1;
              rec->severity_number = static_cast<int32_t>(v);
              return 1;
            }
            case 5: {
              if (wire != kLen) return 0;
              std::string_view sub;
              if (!ReadLen(p, end, &sub)) return -1;
              if (DecodeAnyValue(sub, &rec->body, 0)) return 1;
              Wrap("body");
              return -1;
            }
            case 8:
              if (wire != kFixed32) return 0;
              return ReadFixed32(p, end, &rec->flags) ? 1 : -1;
            case 3:
            case 9:
            case 10:
            case 12: {
              if (wire != kLen) return 0;
              std::string_view* target = field == 3   ? &rec->severity_text
                                         : field == 9 ? &rec->trace_id
                                         : field == 10 ? &rec->span_id
                                                       : &rec->event_name;
              return ReadLen(p, end, target) ? 1 : -1;
            }
            default: return 0;
          }
        });
  }

  // ---- containers: request / ResourceSpans / ScopeSpans (logs share the layout, §1.7).
  bool DecodeTop(bool logs) {
    const char* p = base_;
    size_t index = 0;
    while (p < end_) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end_, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end_, &sub)) return false;
        if (!DecodeResourceBlock(sub, logs, index)) return Wrap(logs ? "resource_logs" : "resource_spans", index);
        ++index;
        continue;
      }
      if (!Skip(p, end_, wire, tag_at)) return false;
    }
    return true;
  }

  bool DecodeResourceBlock(std::string_view msg, bool logs, size_t rs_index) {
    ResourceView* resource = arena_->New<ResourceView>();
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t index = 0;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end, &sub)) return false;
        if (!DecodeResource(sub, resource)) return Wrap("resource");
        continue;
      }
      if (field == 2 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end, &sub)) return false;
        if (!DecodeScopeBlock(sub, logs, resource, rs_index, index)) {
          return Wrap(logs ? "scope_logs" : "scope_spans", index);
        }
        ++index;
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    return true;
  }

  bool DecodeScopeBlock(std::string_view msg, bool logs, const ResourceView* resource, size_t rs_index,
                        size_t ss_index) {
    ScopeView* scope = arena_->New<ScopeView>();
    const char* p = msg.data();
    const char* end = p + msg.size();
    size_t index = 0;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, wire;
      if (!ReadTag(p, end, &field, &wire)) return false;
      if (field == 1 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end, &sub)) return false;
        if (!DecodeScope(sub, scope)) return Wrap("scope");
        continue;
      }
      if (field == 2 && wire == kLen) {
        std::string_view sub;
        if (!ReadLen(p, end, &sub)) return false;
        if (logs) {
          LogRecordView rec;
          if (!DecodeLogRecord(sub, &rec)) return Wrap("log_records", index);
          rec.resource = resource;
          rec.scope = scope;
          std::string reason = internal::CheckLogIds(&rec);
          if (reason.empty()) {
            records_->push_back(rec);
          } else {
            rejects_->Add(fmt::format("log record at resource_logs[{}].scope_logs[{}].log_records[{}]: {}",
                                      rs_index, ss_index, index, reason));
          }
        } else {
          SpanView span;
          if (!DecodeSpan(sub, &span)) return Wrap("spans", index);
          span.resource = resource;
          span.scope = scope;
          std::string reason = internal::CheckSpanIds(&span);
          if (reason.empty()) {
            spans_->push_back(span);
          } else {
            rejects_->Add(fmt::format("span {} at resource_spans[{}].scope_spans[{}].spans[{}]: {}",
                                      internal::QuoteName(span.name), rs_index, ss_index, index, reason));
          }
        }
        ++index;
        continue;
      }
      if (!Skip(p, end, wire, tag_at)) return false;
    }
    return true;
  }

  const char* base_;
  const char* end_;
  Arena* arena_;
  const DecodeOptions& opts_;
  std::vector<SpanView>* spans_ = nullptr;
  std::vector<LogRecordView>* records_ = nullptr;
  internal::RejectLog* rejects_ = nullptr;

  // Scratch stacks for repeated fields (see Flush).
  std::vector<KeyValueView> kvs_;
  std::vector<AnyValueView> values_;
  std::vector<SpanEventView> events_;
  std::vector<SpanLinkView> links_;

  std::string what_;
  size_t offset_ = 0;
  ErrorPath path_;
};

// Keeps the body on the heap even when tiny, so moving the batch never moves the bytes the
// views point at (a short std::string would otherwise live inline, in SSO storage).
void AdoptBody(std::string body, std::string* dst) {
  *dst = std::move(body);
  if (dst->capacity() < 32) dst->reserve(32);
}

}  // namespace

Status DecodeTracesProto(std::string body, TraceBatch* out, const DecodeOptions& opts) {
  AdoptBody(std::move(body), &out->body);
  out->spans.clear();
  internal::RejectLog rejects;
  ProtoDecoder decoder(out->body, &out->arena, opts);
  if (!decoder.DecodeTraces(&out->spans, &rejects)) {
    out->spans.clear();
    out->rejected_spans = 0;
    out->reject_message.clear();
    return decoder.Error();
  }
  out->rejected_spans = rejects.count();
  out->reject_message = rejects.Message();
  return OkStatus();
}

Status DecodeLogsProto(std::string body, LogBatch* out, const DecodeOptions& opts) {
  AdoptBody(std::move(body), &out->body);
  out->records.clear();
  internal::RejectLog rejects;
  ProtoDecoder decoder(out->body, &out->arena, opts);
  if (!decoder.DecodeLogs(&out->records, &rejects)) {
    out->records.clear();
    out->rejected_records = 0;
    out->reject_message.clear();
    return decoder.Error();
  }
  out->rejected_records = rejects.count();
  out->reject_message = rejects.Message();
  return OkStatus();
}

}  // namespace tracery::ingest
