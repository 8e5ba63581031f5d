#include "cli/config.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

namespace tracery::cli {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<int>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Result<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  std::string_view t = Trim(text);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    return InvalidArgumentError(fmt::format("expected an integer, got {}", Quote(text)));
  }
  if (v < min || v > max) {
    return InvalidArgumentError(fmt::format("{} is out of range [{}, {}]", v, min, max));
  }
  return v;
}

Result<double> ParseNonNegativeDouble(std::string_view text) {
  std::string t(Trim(text));
  if (t.empty()) return InvalidArgumentError("expected a number, got \"\"");
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !(v >= 0) || v == std::numeric_limits<double>::infinity()) {
    return InvalidArgumentError(fmt::format("expected a non-negative number, got {}", Quote(text)));
  }
  return v;
}

Result<ingest::PrivacyMode> ParseMode(std::string_view text) {
  auto mode = ingest::ParsePrivacyMode(Trim(text));
  if (!mode) {
    return InvalidArgumentError(
        fmt::format("invalid privacy mode {}: expected one of full, mask, metadata-only", Quote(text)));
  }
  return *mode;
}

Status OneOf(std::string_view text, std::initializer_list<std::string_view> allowed, std::string_view what) {
  for (auto a : allowed) {
    if (text == a) return OkStatus();
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  return InvalidArgumentError(fmt::format("invalid {} {}: expected one of {}", what, Quote(text), list));
}

// A scalar key: parses a string value into the config.
struct ScalarKey {
  std::string_view path;
  std::function<Status(Config*, std::string_view)> set;
};

const std::vector<ScalarKey>& ScalarKeys() {
  static const auto* keys = new std::vector<ScalarKey>{
      {"data_dir",
       [](Config* c, std::string_view v) {
         if (Trim(v).empty()) return InvalidArgumentError("data_dir must not be empty");
         c->data_dir = std::string(v);
         return OkStatus();
       }},
      {"http",
       [](Config* c, std::string_view v) {
         TRACERY_RETURN_IF_ERROR(ValidateAddress(v));
         c->http = std::string(v);
         return OkStatus();
       }},
      {"grpc",
       [](Config* c, std::string_view v) {
         if (v != "off") TRACERY_RETURN_IF_ERROR(ValidateAddress(v));
         c->grpc = std::string(v);
         return OkStatus();
       }},
      {"log.level",
       [](Config* c, std::string_view v) {
         TRACERY_RETURN_IF_ERROR(OneOf(v, {"debug", "info", "warn", "error"}, "log level"));
         c->log_level = std::string(v);
         return OkStatus();
       }},
      {"log.format",
       [](Config* c, std::string_view v) {
         TRACERY_RETURN_IF_ERROR(OneOf(v, {"text", "json"}, "log format"));
         c->log_format = std::string(v);
         return OkStatus();
       }},
      {"limits.max_request_bytes",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(uint64_t n, ParseByteSize(v));
         if (n < 1024) return InvalidArgumentError(fmt::format("{} bytes is too small (minimum 1KiB)", n));
         c->limits.max_request_bytes = n;
         return OkStatus();
       }},
      {"limits.max_inflight_bytes",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->limits.max_inflight_bytes, ParseByteSize(v));
         return OkStatus();
       }},
      {"limits.max_inflight_requests",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->limits.max_inflight_requests, ParseInt(v, 1, 100000));
         return OkStatus();
       }},
      {"limits.read_timeout_s",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->limits.read_timeout_s, ParseInt(v, 1, 3600));
         return OkStatus();
       }},
      {"limits.write_timeout_s",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->limits.write_timeout_s, ParseInt(v, 1, 3600));
         return OkStatus();
       }},
      {"limits.http_threads",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->limits.http_threads, ParseInt(v, 1, 1024));
         return OkStatus();
       }},
      {"store.max_queue_bytes",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(uint64_t n, ParseByteSize(v));
         if (n < 1024) return InvalidArgumentError(fmt::format("{} bytes is too small (minimum 1KiB)", n));
         c->store.max_queue_bytes = n;
         return OkStatus();
       }},
      {"store.query_timeout_ms",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->store.query_timeout_ms, ParseInt(v, 0, 3600000));
         return OkStatus();
       }},
      {"store.durability",
       [](Config* c, std::string_view v) {
         TRACERY_RETURN_IF_ERROR(OneOf(v, {"normal", "full"}, "durability"));
         c->store.durability = std::string(v);
         return OkStatus();
       }},
      {"privacy.default",
       [](Config* c, std::string_view v) -> Status {
         TRACERY_ASSIGN_OR_RETURN(c->privacy.default_mode, ParseMode(v));
         return OkStatus();
       }},
  };
  return *keys;
}

const ScalarKey* FindScalar(std::string_view path) {
  for (const auto& k : ScalarKeys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

Result<server::ApiKey> MakeApiKey(std::string key, const std::vector<std::string>& scopes) {
  if (key.empty()) return InvalidArgumentError("api key must not be empty");
  if (scopes.empty()) return InvalidArgumentError("api key needs at least one scope (ingest, read)");
  server::ApiKey k;
  k.key = std::move(key);
  for (const auto& s : scopes) {
    if (s == "ingest") {
      k.ingest = true;
    } else if (s == "read") {
      k.read = true;
    } else {
      return InvalidArgumentError(fmt::format("invalid scope {}: expected ingest or read", Quote(s)));
    }
  }
  return k;
}

// "key1:ingest+read,key2:ingest"
Result<std::vector<server::ApiKey>> ParseApiKeysEnv(std::string_view text) {
  std::vector<server::ApiKey> out;
  size_t index = 0;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    ++index;
    if (item.empty()) continue;
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError(
          fmt::format("entry {}: expected KEY:SCOPES (scopes ingest, read joined by +)", index));
    }
    std::vector<std::string> scopes;
    std::string_view rest = item.substr(colon + 1);
    while (true) {
      size_t plus = rest.find('+');
      scopes.emplace_back(Trim(rest.substr(0, plus)));
      if (plus == std::string_view::npos) break;
      rest = rest.substr(plus + 1);
    }
    auto key = MakeApiKey(std::string(item.substr(0, colon)), scopes);
    if (!key.ok()) return InvalidArgumentError(fmt::format("entry {}: {}", index, key.status().message()));
    out.push_back(std::move(*key));
  }
  return out;
}

// YAML walking. Errors carry "file:line: key.path: ...".
class YamlApplier {
 public:
  YamlApplier(std::string_view name, Config* config) : name_(name), config_(config) {}

  Status Apply(const YAML::Node& root) {
    if (!root || root.IsNull()) return OkStatus();
    if (!root.IsMap()) return Error(root, "", "the top level must be a mapping of keys");
    return WalkMap(root, "");
  }

 private:
  Status Error(const YAML::Node& node, std::string_view path, std::string_view what) const {
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    if (path.empty()) return InvalidArgumentError(fmt::format("{}:{}: {}", name_, line, what));
    return InvalidArgumentError(fmt::format("{}:{}: {}: {}", name_, line, path, what));
  }

  static std::string Join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
  }

  static std::string_view Kind(const YAML::Node& n) {
    if (n.IsNull()) return "null";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "a scalar";
  }

  Result<std::string> Scalar(const YAML::Node& n, std::string_view path) const {
    if (!n.IsScalar()) return Error(n, path, fmt::format("expected a scalar value, got {}", Kind(n)));
    return n.Scalar();
  }

  Status WalkMap(const YAML::Node& map, const std::string& prefix) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      if (!key_node.IsScalar()) return Error(key_node, prefix, "keys must be strings");
      std::string path = Join(prefix, key_node.Scalar());
      const YAML::Node value = it->second;
      if (const ScalarKey* k = FindScalar(path)) {
        TRACERY_ASSIGN_OR_RETURN(std::string text, Scalar(value, path));
        Status s = k->set(config_, text);
        if (!s.ok()) return Error(value, path, s.message());
        config_->sources[path] = ConfigSource::kFile;
      } else if (path == "log" || path == "limits" || path == "store" || path == "auth" ||
                 path == "privacy") {
        if (value.IsNull()) continue;
        if (!value.IsMap()) return Error(value, path, fmt::format("expected a mapping, got {}", Kind(value)));
        TRACERY_RETURN_IF_ERROR(WalkMap(value, path));
      } else if (path == "auth.api_keys") {
        TRACERY_RETURN_IF_ERROR(ApiKeys(value, path));
      } else if (path == "privacy.services" || path == "privacy.agents") {
        TRACERY_RETURN_IF_ERROR(PrivacyMap(value, path));
      } else if (path == "pricing") {
        TRACERY_RETURN_IF_ERROR(Pricing(value, path));
      } else {
        return Error(key_node, "", fmt::format("unknown key {}", Quote(path)));
      }
    }
    return OkStatus();
  }

  Status ApiKeys(const YAML::Node& list, const std::string& path) {
    std::vector<server::ApiKey> keys;
    if (!list.IsNull()) {
      if (!list.IsSequence()) return Error(list, path, fmt::format("expected a list, got {}", Kind(list)));
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node item = list[i];
        std::string item_path = fmt::format("{}[{}]", path, i);
        if (!item.IsMap()) return Error(item, item_path, "expected a mapping with key and scopes");
        std::string key;
        std::vector<std::string> scopes;
        bool has_key = false;
        bool has_scopes = false;
        for (auto it = item.begin(); it != item.end(); ++it) {
          std::string field = it->first.IsScalar() ? it->first.Scalar() : "";
          if (field == "key") {
            TRACERY_ASSIGN_OR_RETURN(key, Scalar(it->second, item_path + ".key"));
            has_key = true;
          } else if (field == "scopes") {
            has_scopes = true;
            const YAML::Node s = it->second;
            if (!s.IsSequence()) return Error(s, item_path + ".scopes", "expected a list of ingest, read");
            for (size_t j = 0; j < s.size(); ++j) {
              TRACERY_ASSIGN_OR_RETURN(std::string scope, Scalar(s[j], fmt::format("{}.scopes[{}]", item_path, j)));
              scopes.push_back(std::move(scope));
            }
          } else {
            return Error(it->first, "", fmt::format("unknown key {}", Quote(item_path + "." + field)));
          }
        }
        if (!has_key) return Error(item, item_path, "missing \"key\"");
        if (!has_scopes) return Error(item, item_path, "missing \"scopes\"");
        auto k = MakeApiKey(std::move(key), scopes);
        if (!k.ok()) return Error(item, item_path, k.status().message());
        keys.push_back(std::move(*k));
      }
    }
    config_->api_keys = std::move(keys);
    config_->sources[path] = ConfigSource::kFile;
    return OkStatus();
  }

  Status PrivacyMap(const YAML::Node& map, const std::string& path) {
    std::map<std::string, ingest::PrivacyMode, std::less<>> modes;
    if (!map.IsNull()) {
      if (!map.IsMap()) return Error(map, path, fmt::format("expected a mapping of name: mode, got {}", Kind(map)));
      for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it->first.IsScalar()) return Error(it->first, path, "keys must be strings");
        std::string item_path = Join(path, it->first.Scalar());
        TRACERY_ASSIGN_OR_RETURN(std::string text, Scalar(it->second, item_path));
        auto mode = ParseMode(text);
        if (!mode.ok()) return Error(it->second, item_path, mode.status().message());
        modes[it->first.Scalar()] = *mode;
      }
    }
    (path == "privacy.services" ? config_->privacy.by_service : config_->privacy.by_agent) = std::move(modes);
    config_->sources[path] = ConfigSource::kFile;
    return OkStatus();
  }

  Status Pricing(const YAML::Node& list, const std::string& path) {
    std::vector<ingest::ModelPrice> prices;
    if (!list.IsNull()) {
      if (!list.IsSequence()) return Error(list, path, fmt::format("expected a list, got {}", Kind(list)));
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node item = list[i];
        std::string item_path = fmt::format("{}[{}]", path, i);
        if (!item.IsMap()) return Error(item, item_path, "expected a mapping with model and prices");
        ingest::ModelPrice price;
        bool has_model = false;
        for (auto it = item.begin(); it != item.end(); ++it) {
          std::string field = it->first.IsScalar() ? it->first.Scalar() : "";
          std::string field_path = item_path + "." + field;
          double* target = nullptr;
          if (field == "model") {
            TRACERY_ASSIGN_OR_RETURN(price.model, Scalar(it->second, field_path));
            if (price.model.empty()) return Error(it->second, field_path, "must not be empty");
            has_model = true;
            continue;
          } else if (field == "input_per_mtok") {
            target = &price.input_per_mtok;
          } else if (field == "output_per_mtok") {
            target = &price.output_per_mtok;
          } else if (field == "cache_read_per_mtok") {
            target = &price.cache_read_per_mtok;
          } else {
            return Error(it->first, "", fmt::format("unknown key {}", Quote(field_path)));
          }
          TRACERY_ASSIGN_OR_RETURN(std::string text, Scalar(it->second, field_path));
          auto v = ParseNonNegativeDouble(text);
          if (!v.ok()) return Error(it->second, field_path, v.status().message());
          *target = *v;
        }
        if (!has_model) return Error(item, item_path, "missing \"model\"");
        prices.push_back(std::move(price));
      }
    }
    config_->pricing = std::move(prices);
    config_->sources[path] = ConfigSource::kFile;
    return OkStatus();
  }

  std::string name_;
  Config* config_;
};

std::string FlagName(std::string_view key) {
  std::string out = "--";
  for (char c : key) out += (c == '_' || c == '.') ? '-' : c;
  return out;
}

std::string MaskKey(std::string_view key) {
  if (key.size() < 12) return "****";
  return fmt::format("{}****", key.substr(0, 4));
}

std::string FormatBytes(uint64_t n) {
  if (n != 0 && n % (1ull << 30) == 0) return fmt::format("{}GiB", n >> 30);
  if (n != 0 && n % (1ull << 20) == 0) return fmt::format("{}MiB", n >> 20);
  if (n != 0 && n % (1ull << 10) == 0) return fmt::format("{}KiB", n >> 10);
  return std::to_string(n);
}

std::string FormatDouble(double v) { return fmt::format("{}", v); }

}  // namespace

std::string_view ToString(ConfigSource s) {
  switch (s) {
    case ConfigSource::kDefault: return "default";
    case ConfigSource::kFile: return "file";
    case ConfigSource::kEnv: return "env";
    case ConfigSource::kFlag: return "flag";
  }
  return "default";
}

ConfigSource Config::SourceOf(const std::string& key) const {
  auto it = sources.find(key);
  return it == sources.end() ? ConfigSource::kDefault : it->second;
}

server::ServerOptions Config::ToServerOptions() const {
  server::ServerOptions o;
  o.http_address = http;
  o.grpc_address = grpc == "off" ? "" : grpc;
  o.api_keys = api_keys;
  o.max_request_bytes = static_cast<size_t>(limits.max_request_bytes);
  o.max_inflight_requests = static_cast<int>(limits.max_inflight_requests);
  o.max_inflight_bytes = static_cast<size_t>(limits.max_inflight_bytes);
  o.http_threads = static_cast<int>(limits.http_threads);
  o.read_timeout_s = static_cast<int>(limits.read_timeout_s);
  o.write_timeout_s = static_cast<int>(limits.write_timeout_s);
  return o;
}

store::SqliteOptions Config::ToSqliteOptions() const {
  store::SqliteOptions o;
  o.data_dir = data_dir;
  o.max_queue_bytes = static_cast<size_t>(store.max_queue_bytes);
  o.synchronous_full = store.durability == "full";
  o.query_timeout_ms = static_cast<int>(store.query_timeout_ms);
  return o;
}

ingest::NormalizeOptions Config::ToNormalizeOptions() const {
  ingest::NormalizeOptions o;
  o.privacy = privacy;
  o.prices = ingest::PriceTable::Defaults();
  for (const auto& p : pricing) o.prices.Set(p);
  return o;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  std::string_view t = Trim(text);
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0) {
    return InvalidArgumentError(
        fmt::format("invalid size {}: expected an integer with an optional unit (B, KB, MB, GB, KiB, MiB, GiB)",
                    Quote(text)));
  }
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + digits, n);
  if (ec != std::errc()) return InvalidArgumentError(fmt::format("invalid size {}: too large", Quote(text)));
  std::string unit = Lower(Trim(t.substr(digits)));
  uint64_t mult = 0;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "kb") {
    mult = 1000;
  } else if (unit == "mb") {
    mult = 1000 * 1000;
  } else if (unit == "gb") {
    mult = 1000ull * 1000 * 1000;
  } else if (unit == "kib" || unit == "k") {
    mult = 1ull << 10;
  } else if (unit == "mib" || unit == "m") {
    mult = 1ull << 20;
  } else if (unit == "gib" || unit == "g") {
    mult = 1ull << 30;
  } else {
    return InvalidArgumentError(fmt::format(
        "invalid size {}: unknown unit {} (use B, KB, MB, GB, KiB, MiB, GiB)", Quote(text), Quote(unit)));
  }
  if (n > std::numeric_limits<uint64_t>::max() / mult) {
    return InvalidArgumentError(fmt::format("invalid size {}: too large", Quote(text)));
  }
  return n * mult;
}

Status ValidateAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError(fmt::format("invalid address {}: expected HOST:PORT", Quote(address)));
  }
  std::string_view host = address.substr(0, colon);
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("invalid address {}: IPv6 hosts must be bracketed, e.g. [::1]:4318", Quote(address)));
  }
  std::string_view port = address.substr(colon + 1);
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    return InvalidArgumentError(
        fmt::format("invalid address {}: port must be a number in 0..65535", Quote(address)));
  }
  return OkStatus();
}

Status ApplyConfigYaml(std::string_view name, std::string_view text, Config* config) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}: invalid YAML: {}", name, e.mark.line + 1, e.msg));
  }
  try {
    return YamlApplier(name, config).Apply(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}: {}", name, e.mark.line + 1, e.msg));
  }
}

Result<Config> LoadConfig(const ConfigInputs& inputs) {
  Config config;
  std::string file = inputs.config_file;
  if (file.empty()) {
    auto it = inputs.env.find("TRACERY_CONFIG");
    if (it != inputs.env.end()) file = it->second;
  }
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return NotFoundError(fmt::format("cannot read config file \"{}\"", file));
    std::stringstream buf;
    buf << in.rdbuf();
    if (in.bad()) return InvalidArgumentError(fmt::format("cannot read config file \"{}\"", file));
    TRACERY_RETURN_IF_ERROR(ApplyConfigYaml(file, buf.str(), &config));
    config.file = file;
  }

  static constexpr std::pair<std::string_view, std::string_view> kEnvScalars[] = {
      {"TRACERY_DATA_DIR", "data_dir"},   {"TRACERY_HTTP", "http"},
      {"TRACERY_GRPC", "grpc"},           {"TRACERY_LOG_LEVEL", "log.level"},
      {"TRACERY_LOG_FORMAT", "log.format"}, {"TRACERY_MAX_REQUEST_BYTES", "limits.max_request_bytes"},
      {"TRACERY_PRIVACY", "privacy.default"},
  };
  for (const auto& [var, key] : kEnvScalars) {
    auto it = inputs.env.find(std::string(var));
    if (it == inputs.env.end()) continue;
    Status s = FindScalar(key)->set(&config, it->second);
    if (!s.ok()) return InvalidArgumentError(fmt::format("environment {}: {}", var, s.message()));
    config.sources[std::string(key)] = ConfigSource::kEnv;
  }
  if (auto it = inputs.env.find("TRACERY_API_KEYS"); it != inputs.env.end()) {
    auto keys = ParseApiKeysEnv(it->second);
    if (!keys.ok()) return InvalidArgumentError(fmt::format("environment TRACERY_API_KEYS: {}", keys.status().message()));
    config.api_keys = std::move(*keys);
    config.sources["auth.api_keys"] = ConfigSource::kEnv;
  }

  for (const auto& [key, value] : inputs.flags) {
    const ScalarKey* k = FindScalar(key);
    if (k == nullptr) return InternalError(fmt::format("no configuration key for flag \"{}\"", key));
    Status s = k->set(&config, value);
    if (!s.ok()) return InvalidArgumentError(fmt::format("flag {}: {}", FlagName(key), s.message()));
    config.sources[key] = ConfigSource::kFlag;
  }
  return config;
}

std::string RenderConfigYaml(const Config& c) {
  std::string out;
  auto src = [&](const std::string& key) { return fmt::format("  # {}", ToString(c.SourceOf(key))); };
  auto line = [&](int indent, std::string_view key, const std::string& value, const std::string& path) {
    out += fmt::format("{:{}}{}: {}{}\n", "", indent, key, value, src(path));
  };
  if (!c.file.empty()) out += fmt::format("# configuration file: {}\n", c.file);
  line(0, "data_dir", Quote(c.data_dir), "data_dir");
  line(0, "http", Quote(c.http), "http");
  line(0, "grpc", Quote(c.grpc), "grpc");
  out += "log:\n";
  line(2, "level", c.log_level, "log.level");
  line(2, "format", c.log_format, "log.format");
  out += "limits:\n";
  line(2, "max_request_bytes", FormatBytes(c.limits.max_request_bytes), "limits.max_request_bytes");
  line(2, "max_inflight_requests", std::to_string(c.limits.max_inflight_requests), "limits.max_inflight_requests");
  line(2, "max_inflight_bytes", FormatBytes(c.limits.max_inflight_bytes), "limits.max_inflight_bytes");
  line(2, "read_timeout_s", std::to_string(c.limits.read_timeout_s), "limits.read_timeout_s");
  line(2, "write_timeout_s", std::to_string(c.limits.write_timeout_s), "limits.write_timeout_s");
  line(2, "http_threads", std::to_string(c.limits.http_threads), "limits.http_threads");
  out += "store:\n";
  line(2, "max_queue_bytes", FormatBytes(c.store.max_queue_bytes), "store.max_queue_bytes");
  line(2, "durability", c.store.durability, "store.durability");
  line(2, "query_timeout_ms", std::to_string(c.store.query_timeout_ms), "store.query_timeout_ms");
  out += "auth:\n";
  if (c.api_keys.empty()) {
    line(2, "api_keys", "[]", "auth.api_keys");
  } else {
    out += fmt::format("  api_keys:{}\n", src("auth.api_keys"));
    for (const auto& k : c.api_keys) {
      std::string scopes;
      if (k.ingest) scopes += "ingest";
      if (k.read) scopes += scopes.empty() ? "read" : ", read";
      out += fmt::format("    - key: {}  # masked\n      scopes: [{}]\n", Quote(MaskKey(k.key)), scopes);
    }
  }
  out += "privacy:\n";
  line(2, "default", std::string(ingest::ToString(c.privacy.default_mode)), "privacy.default");
  auto modes = [&](std::string_view key, const std::string& path,
                   const std::map<std::string, ingest::PrivacyMode, std::less<>>& m) {
    if (m.empty()) {
      line(2, key, "{}", path);
      return;
    }
    out += fmt::format("  {}:{}\n", key, src(path));
    for (const auto& [name, mode] : m) out += fmt::format("    {}: {}\n", Quote(name), ingest::ToString(mode));
  };
  modes("services", "privacy.services", c.privacy.by_service);
  modes("agents", "privacy.agents", c.privacy.by_agent);
  if (c.pricing.empty()) {
    line(0, "pricing", "[]", "pricing");
  } else {
    out += fmt::format("pricing:{}\n", src("pricing"));
    for (const auto& p : c.pricing) {
      out += fmt::format("  - model: {}\n    input_per_mtok: {}\n    output_per_mtok: {}\n", Quote(p.model),
                         FormatDouble(p.input_per_mtok), FormatDouble(p.output_per_mtok));
      if (p.cache_read_per_mtok >= 0) {
        out += fmt::format("    cache_read_per_mtok: {}\n", FormatDouble(p.cache_read_per_mtok));
      }
    }
  }
  return out;
}

}  // namespace tracery::cli
