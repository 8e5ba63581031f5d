#include "store/internal/codec.h"

#include <fmt/core.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/hex.h"

namespace tracery::store::internal {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint64_t byte = static_cast<unsigned char>((*in)[0]);
    in->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool GetString(std::string_view* in, std::string* out) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  out->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetFixed64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

std::string EncodeManifest(const std::vector<ManifestField>& fields) {
  std::string out;
  out.push_back('M');
  out.push_back(1);
  PutVarint(&out, fields.size());
  for (const ManifestField& f : fields) {
    PutString(&out, f.name);
    out.push_back(f.is_list ? 1 : 0);
    PutString(&out, f.mime);
    PutVarint(&out, f.parts.size());
    for (const ManifestPart& p : f.parts) {
      PutFixed64(&out, p.hash.hi);
      PutFixed64(&out, p.hash.lo);
      PutVarint(&out, p.size);
    }
  }
  return out;
}

Status DecodeManifest(std::string_view data, std::vector<ManifestField>* fields) {
  fields->clear();
  const size_t total = data.size();
  auto fail = [&](std::string_view what) {
    return DataLossError(fmt::format("corrupt content manifest at byte {}: {}", total - data.size(), what));
  };
  if (data.size() < 2 || data[0] != 'M' || data[1] != 1) return fail("bad header");
  data.remove_prefix(2);
  uint64_t count = 0;
  if (!GetVarint(&data, &count) || count > data.size()) return fail("bad field count");
  fields->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ManifestField f;
    if (!GetString(&data, &f.name)) return fail("bad field name");
    if (data.empty()) return fail("missing flags");
    f.is_list = (data[0] & 1) != 0;
    data.remove_prefix(1);
    if (!GetString(&data, &f.mime)) return fail("bad mime");
    uint64_t parts = 0;
    if (!GetVarint(&data, &parts) || parts > data.size() / 17) return fail("bad part count");
    f.parts.resize(parts);
    for (ManifestPart& p : f.parts) {
      if (data.size() < 16) return fail("truncated hash");
      p.hash.hi = GetFixed64(data);
      p.hash.lo = GetFixed64(data.substr(8));
      data.remove_prefix(16);
      if (!GetVarint(&data, &p.size)) return fail("bad part size");
    }
    fields->push_back(std::move(f));
  }
  if (!data.empty()) return fail("trailing bytes");
  return OkStatus();
}

std::string HintsToJson(const model::RunHints& h) {
  if (h.name.empty() && h.agent_id.empty() && h.agent_version.empty() && h.environment.empty() &&
      h.session_id.empty() && h.user_id.empty() && h.service_name.empty() && h.tags.empty() &&
      h.metadata_json.empty()) {
    return {};
  }
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  put("name", h.name);
  put("agent_id", h.agent_id);
  put("agent_version", h.agent_version);
  put("environment", h.environment);
  put("session_id", h.session_id);
  put("user_id", h.user_id);
  put("service_name", h.service_name);
  put("metadata_json", h.metadata_json);
  if (!h.tags.empty()) j["tags"] = h.tags;
  // Strings reaching the store may not be valid UTF-8; replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status HintsFromJson(std::string_view json, model::RunHints* h) {
  *h = model::RunHints();
  if (json.empty()) return OkStatus();
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("corrupt hints_json: not a JSON object");
  auto get = [&](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) *out = it->get<std::string>();
  };
  get("name", &h->name);
  get("agent_id", &h->agent_id);
  get("agent_version", &h->agent_version);
  get("environment", &h->environment);
  get("session_id", &h->session_id);
  get("user_id", &h->user_id);
  get("service_name", &h->service_name);
  get("metadata_json", &h->metadata_json);
  auto tags = j.find("tags");
  if (tags != j.end() && tags->is_array()) {
    for (const auto& t : *tags) {
      if (t.is_string()) h->tags.push_back(t.get<std::string>());
    }
  }
  return OkStatus();
}

std::string StringListToJson(const std::vector<std::string>& list) {
  nlohmann::json j = list;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> StringListFromJson(std::string_view json) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string EncodeRunCursor(const RunCursor& c) {
  std::string raw;
  raw.push_back('r');
  raw.push_back(static_cast<char>(c.sort));
  static_assert(sizeof(double) == sizeof(uint64_t));
  uint64_t real_bits = 0;
  std::memcpy(&real_bits, &c.key_real, sizeof(real_bits));
  PutFixed64(&raw, static_cast<uint64_t>(c.key_int));
  PutFixed64(&raw, real_bits);
  raw += c.run_key;
  return HexEncode(raw);
}

Status DecodeRunCursor(std::string_view text, RunCursor* c) {
  std::string raw;
  if (!HexDecode(text, &raw) || raw.size() < 19 || raw[0] != 'r') {
    return InvalidArgumentError(fmt::format("malformed cursor \"{}\"", text.substr(0, 64)));
  }
  c->sort = static_cast<unsigned char>(raw[1]);
  c->key_int = static_cast<int64_t>(GetFixed64(std::string_view(raw).substr(2)));
  uint64_t real_bits = GetFixed64(std::string_view(raw).substr(10));
  std::memcpy(&c->key_real, &real_bits, sizeof(real_bits));
  c->run_key = raw.substr(18);
  if (c->run_key[0] != 'b' && c->run_key[0] != 't') {
    return InvalidArgumentError(fmt::format("malformed cursor \"{}\"", text.substr(0, 64)));
  }
  return OkStatus();
}

std::string EncodeSessionCursor(int64_t first_start_ns, std::string_view session_id) {
  std::string raw = "s";
  PutFixed64(&raw, static_cast<uint64_t>(first_start_ns));
  raw += session_id;
  return HexEncode(raw);
}

Status DecodeSessionCursor(std::string_view text, int64_t* first_start_ns, std::string* session_id) {
  std::string raw;
  if (!HexDecode(text, &raw) || raw.size() < 9 || raw[0] != 's') {
    return InvalidArgumentError(fmt::format("malformed session cursor \"{}\"", text.substr(0, 64)));
  }
  *first_start_ns = static_cast<int64_t>(GetFixed64(std::string_view(raw).substr(1)));
  *session_id = raw.substr(9);
  return OkStatus();
}

}  // namespace tracery::store::internal
