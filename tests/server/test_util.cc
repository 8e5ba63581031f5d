#include "test_util.h"

#include <zlib.h>

#include <stdexcept>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace tracery::server::testing {
namespace {

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

template <typename T>
void AddStringAttr(T* msg, const std::string& key, const std::string& value) {
  auto* kv = msg->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

}  // namespace

ServerOptions LocalOptions() {
  ServerOptions o;
  o.http_address = "127.0.0.1:0";
  o.grpc_address = "127.0.0.1:0";
  o.http_threads = 8;
  o.max_inflight_requests = 8;
  o.read_timeout_s = 5;
  o.write_timeout_s = 5;
  return o;
}

std::string TraceRequestProto(int valid, int invalid, const std::string& agent, const std::string& trace_hex) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  AddStringAttr(rs->mutable_resource(), "service.name", "svc-" + agent);
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("tracery-test");
  const std::string trace_id = Unhex(trace_hex);
  for (int i = 0; i < valid + invalid; ++i) {
    auto* sp = ss->add_spans();
    sp->set_trace_id(i < valid ? trace_id : std::string("\x01\x02\x03\x04", 4));
    std::string span_id(8, '\0');
    span_id[7] = static_cast<char>(i + 1);
    span_id[0] = 0x11;
    sp->set_span_id(span_id);
    if (i > 0 && i < valid) {
      std::string parent(8, '\0');
      parent[7] = 1;
      parent[0] = 0x11;
      sp->set_parent_span_id(parent);
    }
    sp->set_name(i == 0 ? "invoke_agent " + agent : "chat gpt-4o");
    sp->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
    sp->set_start_time_unix_nano(1700000000000000000ULL + static_cast<uint64_t>(i) * 1000000);
    sp->set_end_time_unix_nano(1700000001000000000ULL);
    if (i == 0) {
      AddStringAttr(sp, "gen_ai.operation.name", "invoke_agent");
      AddStringAttr(sp, "gen_ai.agent.name", agent);
    } else {
      AddStringAttr(sp, "gen_ai.operation.name", "chat");
      AddStringAttr(sp, "gen_ai.request.model", "gpt-4o");
    }
  }
  return req.SerializeAsString();
}

std::string TraceRequestJson(const std::string& agent) {
  return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
         R"("scopeSpans":[{"scope":{"name":"tracery-test"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
         R"("spanId":"eee19b7ec3c1b174","name":"invoke_agent )" + agent + R"(","kind":1,)"
         R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000",)"
         R"("attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},)"
         R"({"key":"gen_ai.agent.name","value":{"stringValue":")" + agent + R"("}}]}]}]}]})";
}

std::string LogsRequestProto() {
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  AddStringAttr(rl->mutable_resource(), "service.name", "svc");
  auto* sl = rl->add_scope_logs();
  auto* rec = sl->add_log_records();
  rec->set_time_unix_nano(1700000000500000000ULL);
  rec->set_trace_id(Unhex("0af7651916cd43dd8448eb211c80319c"));
  rec->set_span_id(Unhex("1100000000000001"));
  rec->set_event_name("gen_ai.user.message");
  rec->mutable_body()->set_string_value("hello");
  return req.SerializeAsString();
}

std::string GzipBomb(int inflated_gib) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  const std::string zeros(1 << 20, '\0');
  std::string buf(1 << 16, '\0');
  auto feed = [&](int flush) {
    std::string out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    zs.avail_in = static_cast<uInt>(zeros.size());
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      deflate(&zs, flush);
      out.append(buf.data(), buf.size() - zs.avail_out);
    } while (zs.avail_out == 0);
    return out;
  };
  std::string head = feed(Z_FULL_FLUSH);  // gzip header + first MiB
  std::string block = feed(Z_FULL_FLUSH);  // byte-aligned, dictionary reset: repeatable
  deflateEnd(&zs);
  std::string out = head;
  const int64_t blocks = static_cast<int64_t>(inflated_gib) * 1024 - 1;
  out.reserve(head.size() + block.size() * static_cast<size_t>(blocks));
  for (int64_t i = 0; i < blocks; ++i) out += block;
  return out;  // no trailer: an honest inflater never gets that far
}

std::string ZlibCompress(const std::string& data) {
  uLongf len = compressBound(static_cast<uLong>(data.size()));
  std::string out(len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &len, reinterpret_cast<const Bytef*>(data.data()),
                static_cast<uLong>(data.size()), 6) != Z_OK) {
    throw std::runtime_error("compress2");
  }
  out.resize(len);
  return out;
}

}  // namespace tracery::server::testing
