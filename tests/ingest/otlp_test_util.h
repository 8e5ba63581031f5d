// Test helpers for the OTLP decoders: canonical dumps of decoded views and of libprotobuf
// messages (so both can be compared as text), and a seeded random request generator.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "ingest/otlp_view.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery::ingest::testutil {

namespace otc = ::opentelemetry::proto::common::v1;
namespace ott = ::opentelemetry::proto::trace::v1;
namespace otl = ::opentelemetry::proto::logs::v1;
using ::opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using ::opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

inline std::string Esc(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '|') out.push_back(static_cast<char>(c));
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

inline std::string Dbl(double d) {
  if (std::isnan(d)) return "nan";
  return fmt::format("{:a}", d);
}

// ---- dumps of our views
std::string DumpValue(const AnyValueView& v);
inline std::string DumpAttrs(Attributes attrs) {
  std::string out = "{";
  for (const auto& kv : attrs) out += Esc(kv.key) + "=" + DumpValue(kv.value) + ",";
  return out + "}";
}
inline std::string DumpValue(const AnyValueView& v) {
  switch (v.type) {
    case ValueType::kEmpty: return "empty";
    case ValueType::kString: return "s:" + Esc(v.str);
    case ValueType::kBytes: return "b:" + Esc(v.str);
    case ValueType::kBool: return v.bool_value ? "true" : "false";
    case ValueType::kInt: return fmt::format("i:{}", v.int_value);
    case ValueType::kDouble: return "d:" + Dbl(v.double_value);
    case ValueType::kArray: {
      std::string out = "[";
      for (const auto& e : v.array) out += DumpValue(e) + ",";
      return out + "]";
    }
    case ValueType::kKvList: return "kv" + DumpAttrs(v.kvlist);
  }
  return "?";
}

inline std::string DumpSpan(const SpanView& s) {
  std::string out = fmt::format("span|res{}|scope {} {} {}|", DumpAttrs(s.resource->attributes), Esc(s.scope->name),
                                Esc(s.scope->version), DumpAttrs(s.scope->attributes));
  out += fmt::format("{}|{}|{}|{}|{}|k{}|{}|{}|", Esc(s.trace_id), Esc(s.span_id), Esc(s.parent_span_id),
                     Esc(s.trace_state), Esc(s.name), s.kind, s.start_time_unix_nano, s.end_time_unix_nano);
  out += DumpAttrs(s.attributes) + "|ev[";
  for (const auto& e : s.events) out += fmt::format("{} {} {};", e.time_unix_nano, Esc(e.name), DumpAttrs(e.attributes));
  out += "]|ln[";
  for (const auto& l : s.links) out += fmt::format("{} {} {};", Esc(l.trace_id), Esc(l.span_id), DumpAttrs(l.attributes));
  out += fmt::format("]|st{} {}|f{}\n", s.status_code, Esc(s.status_message), s.flags);
  return out;
}

inline std::string Dump(const TraceBatch& b) {
  std::string out;
  for (const auto& s : b.spans) out += DumpSpan(s);
  return out + fmt::format("rejected={}\n", b.rejected_spans);
}

inline std::string DumpRecord(const LogRecordView& r) {
  return fmt::format("log|res{}|scope {} {} {}|{}|{}|sev{} {}|body {}|{}|{}|{}|{}|f{}\n",
                     DumpAttrs(r.resource->attributes), Esc(r.scope->name), Esc(r.scope->version),
                     DumpAttrs(r.scope->attributes), r.time_unix_nano, r.observed_time_unix_nano, r.severity_number,
                     Esc(r.severity_text), DumpValue(r.body), DumpAttrs(r.attributes), Esc(r.trace_id),
                     Esc(r.span_id), Esc(r.event_name), r.flags);
}

inline std::string Dump(const LogBatch& b) {
  std::string out;
  for (const auto& r : b.records) out += DumpRecord(r);
  return out + fmt::format("rejected={}\n", b.rejected_records);
}

// ---- dumps of libprotobuf messages, applying the same validation rules independently
std::string PbValue(const otc::AnyValue& v);
inline std::string PbAttrs(const google::protobuf::RepeatedPtrField<otc::KeyValue>& attrs) {
  std::string out = "{";
  for (const auto& kv : attrs) out += Esc(kv.key()) + "=" + PbValue(kv.value()) + ",";
  return out + "}";
}
inline std::string PbValue(const otc::AnyValue& v) {
  switch (v.value_case()) {
    case otc::AnyValue::VALUE_NOT_SET: return "empty";
    case otc::AnyValue::kStringValue: return "s:" + Esc(v.string_value());
    case otc::AnyValue::kBytesValue: return "b:" + Esc(v.bytes_value());
    case otc::AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case otc::AnyValue::kIntValue: return fmt::format("i:{}", v.int_value());
    case otc::AnyValue::kDoubleValue: return "d:" + Dbl(v.double_value());
    case otc::AnyValue::kArrayValue: {
      std::string out = "[";
      for (const auto& e : v.array_value().values()) out += PbValue(e) + ",";
      return out + "]";
    }
    case otc::AnyValue::kKvlistValue: return "kv" + PbAttrs(v.kvlist_value().values());
    default: return "empty";
  }
}

inline bool ZeroBytes(const std::string& s) {
  for (char c : s) {
    if (c != 0) return false;
  }
  return true;
}

inline std::string DumpPb(const ExportTraceServiceRequest& req) {
  std::string out;
  int64_t rejected = 0;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) {
        std::string parent = s.parent_span_id();
        if (parent.size() == 8 && ZeroBytes(parent)) parent.clear();
        bool ok = s.trace_id().size() == 16 && !ZeroBytes(s.trace_id()) && s.span_id().size() == 8 &&
                  !ZeroBytes(s.span_id()) && (parent.empty() || parent.size() == 8);
        if (!ok) {
          ++rejected;
          continue;
        }
        out += fmt::format("span|res{}|scope {} {} {}|", PbAttrs(rs.resource().attributes()), Esc(ss.scope().name()),
                           Esc(ss.scope().version()), PbAttrs(ss.scope().attributes()));
        out += fmt::format("{}|{}|{}|{}|{}|k{}|{}|{}|", Esc(s.trace_id()), Esc(s.span_id()), Esc(parent),
                           Esc(s.trace_state()), Esc(s.name()), static_cast<int>(s.kind()), s.start_time_unix_nano(),
                           s.end_time_unix_nano());
        out += PbAttrs(s.attributes()) + "|ev[";
        for (const auto& e : s.events()) out += fmt::format("{} {} {};", e.time_unix_nano(), Esc(e.name()), PbAttrs(e.attributes()));
        out += "]|ln[";
        for (const auto& l : s.links()) out += fmt::format("{} {} {};", Esc(l.trace_id()), Esc(l.span_id()), PbAttrs(l.attributes()));
        out += fmt::format("]|st{} {}|f{}\n", static_cast<int>(s.status().code()), Esc(s.status().message()), s.flags());
      }
    }
  }
  return out + fmt::format("rejected={}\n", rejected);
}

inline std::string DumpPb(const ExportLogsServiceRequest& req) {
  std::string out;
  int64_t rejected = 0;
  for (const auto& rl : req.resource_logs()) {
    for (const auto& sl : rl.scope_logs()) {
      for (const auto& r : sl.log_records()) {
        std::string tid = r.trace_id(), sid = r.span_id();
        if ((!tid.empty() && tid.size() != 16) || (!sid.empty() && sid.size() != 8)) {
          ++rejected;
          continue;
        }
        if (ZeroBytes(tid)) tid.clear();
        if (ZeroBytes(sid)) sid.clear();
        out += fmt::format("log|res{}|scope {} {} {}|{}|{}|sev{} {}|body {}|{}|{}|{}|{}|f{}\n",
                           PbAttrs(rl.resource().attributes()), Esc(sl.scope().name()), Esc(sl.scope().version()),
                           PbAttrs(sl.scope().attributes()), r.time_unix_nano(), r.observed_time_unix_nano(),
                           static_cast<int>(r.severity_number()), Esc(r.severity_text()), PbValue(r.body()),
                           PbAttrs(r.attributes()), Esc(tid), Esc(sid), Esc(r.event_name()), r.flags());
      }
    }
  }
  return out + fmt::format("rejected={}\n", rejected);
}

// ---- random requests (valid UTF-8 strings; some ids deliberately invalid)
class RandomOtlp {
 public:
  explicit RandomOtlp(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Coin(int percent) { return Int(0, 99) < percent; }

  std::string Str(int max_len = 12) {
    static const char* kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "é", "日本", "🙂", "gen_ai.", "{", "\t", "/"};
    std::string s;
    int n = Int(0, max_len);
    for (int i = 0; i < n; ++i) s += kPieces[Int(0, 13)];
    return s;
  }
  std::string Bytes(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(Int(0, 255)));
    return s;
  }
  std::string Id(int len) {
    int r = Int(0, 99);
    if (r < 4) return std::string(static_cast<size_t>(len), '\0');  // all zero
    if (r < 7) return Bytes(Int(0, len + 3));                       // wrong length (mostly)
    std::string s = Bytes(len);
    s[0] = static_cast<char>(s[0] | 1);
    return s;
  }

  void Value(otc::AnyValue* v, int depth) {
    switch (Int(0, depth > 2 ? 5 : 7)) {
      case 0: v->set_string_value(Str()); break;
      case 1: v->set_bool_value(Coin(50)); break;
      case 2: v->set_int_value(Coin(20) ? -static_cast<int64_t>(Int(0, 1 << 30)) * 1000003 : Int(0, 1 << 30)); break;
      case 3: {
        static const double kD[] = {0.0, -0.0, 1.5, -2.25e300, 3.14159, std::nan(""), INFINITY, -INFINITY, 1e-310};
        v->set_double_value(kD[Int(0, 8)]);
        break;
      }
      case 4: v->set_bytes_value(Bytes(Int(0, 6))); break;
      case 5: break;  // empty
      case 6: {
        auto* arr = v->mutable_array_value();
        int n = Int(0, 3);
        for (int i = 0; i < n; ++i) Value(arr->add_values(), depth + 1);
        break;
      }
      default: {
        auto* kvl = v->mutable_kvlist_value();
        int n = Int(0, 3);
        for (int i = 0; i < n; ++i) {
          auto* kv = kvl->add_values();
          kv->set_key(Str(6));
          Value(kv->mutable_value(), depth + 1);
        }
      }
    }
  }
  void Attrs(google::protobuf::RepeatedPtrField<otc::KeyValue>* attrs, int max) {
    int n = Int(0, max);
    for (int i = 0; i < n; ++i) {
      auto* kv = attrs->Add();
      kv->set_key(Str(10));
      if (Coin(95)) Value(kv->mutable_value(), 0);
    }
  }
  uint64_t Time() { return (static_cast<uint64_t>(Int(0, 1 << 30)) << 31) + static_cast<uint64_t>(Int(0, 1 << 30)); }

  ExportTraceServiceRequest Traces() {
    ExportTraceServiceRequest req;
    int nrs = Int(0, 3);
    for (int i = 0; i < nrs; ++i) {
      auto* rs = req.add_resource_spans();
      if (Coin(80)) Attrs(rs->mutable_resource()->mutable_attributes(), 4);
      if (Coin(30)) rs->set_schema_url(Str());
      int nss = Int(0, 3);
      for (int j = 0; j < nss; ++j) {
        auto* ss = rs->add_scope_spans();
        if (Coin(80)) {
          ss->mutable_scope()->set_name(Str());
          ss->mutable_scope()->set_version(Str(4));
          Attrs(ss->mutable_scope()->mutable_attributes(), 2);
        }
        int n = Int(0, 5);
        for (int k = 0; k < n; ++k) Span(ss->add_spans());
      }
    }
    return req;
  }

  void Span(ott::Span* s) {
    s->set_trace_id(Id(16));
    s->set_span_id(Id(8));
    if (Coin(60)) s->set_parent_span_id(Coin(10) ? std::string(8, '\0') : Id(8));
    if (Coin(20)) s->set_trace_state(Str());
    s->set_name(Str(20));
    s->set_kind(static_cast<ott::Span::SpanKind>(Int(0, 5)));
    s->set_start_time_unix_nano(Time());
    s->set_end_time_unix_nano(Time());
    Attrs(s->mutable_attributes(), 6);
    if (Coin(20)) s->set_dropped_attributes_count(static_cast<uint32_t>(Int(1, 9)));
    int ne = Coin(30) ? Int(1, 3) : 0;
    for (int i = 0; i < ne; ++i) {
      auto* e = s->add_events();
      e->set_time_unix_nano(Time());
      e->set_name(Str());
      Attrs(e->mutable_attributes(), 3);
    }
    int nl = Coin(20) ? Int(1, 2) : 0;
    for (int i = 0; i < nl; ++i) {
      auto* l = s->add_links();
      l->set_trace_id(Bytes(16));
      l->set_span_id(Bytes(8));
      Attrs(l->mutable_attributes(), 2);
      if (Coin(50)) l->set_flags(static_cast<uint32_t>(Int(0, 1023)));
    }
    if (Coin(50)) {
      s->mutable_status()->set_code(static_cast<ott::Status::StatusCode>(Int(0, 2)));
      if (Coin(50)) s->mutable_status()->set_message(Str());
    }
    if (Coin(50)) s->set_flags(static_cast<uint32_t>(Int(0, 1 << 30)));
  }

  ExportLogsServiceRequest Logs() {
    ExportLogsServiceRequest req;
    int nrl = Int(0, 3);
    for (int i = 0; i < nrl; ++i) {
      auto* rl = req.add_resource_logs();
      if (Coin(80)) Attrs(rl->mutable_resource()->mutable_attributes(), 3);
      int nsl = Int(0, 2);
      for (int j = 0; j < nsl; ++j) {
        auto* sl = rl->add_scope_logs();
        if (Coin(70)) sl->mutable_scope()->set_name(Str());
        int n = Int(0, 4);
        for (int k = 0; k < n; ++k) {
          auto* r = sl->add_log_records();
          r->set_time_unix_nano(Time());
          if (Coin(50)) r->set_observed_time_unix_nano(Time());
          r->set_severity_number(Int(0, 24));
          if (Coin(50)) r->set_severity_text(Str(5));
          if (Coin(80)) Value(r->mutable_body(), 0);
          Attrs(r->mutable_attributes(), 4);
          if (Coin(60)) r->set_trace_id(Coin(90) ? Bytes(16) : Bytes(Int(1, 20)));
          if (Coin(60)) r->set_span_id(Coin(90) ? Bytes(8) : Bytes(Int(1, 12)));
          if (Coin(40)) r->set_event_name(Str());
          if (Coin(30)) r->set_flags(static_cast<uint32_t>(Int(0, 255)));
        }
      }
    }
    return req;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace tracery::ingest::testutil
