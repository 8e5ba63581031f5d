// The effective configuration of a tracery process, assembled from (highest wins) command-line
// flags > TRACERY_* environment variables > a YAML file > built-in defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/normalizer.h"
#include "ingest/pricing.h"
#include "ingest/privacy.h"
#include "server/server.h"
#include "store/store.h"

namespace tracery::cli {

// Where a configuration value came from (shown by `tracery config print`).
enum class ConfigSource { kDefault, kFile, kEnv, kFlag };
std::string_view ToString(ConfigSource s);

struct Config {
  std::string data_dir = "./tracery-data";
  std::string http = "127.0.0.1:4318";
  std::string grpc = "127.0.0.1:4317";  // "off" disables the gRPC listener
  std::string log_level = "info";       // debug | info | warn | error
  std::string log_format = "text";      // text | json
  struct Limits {
    uint64_t max_request_bytes = 64ull << 20;
    int64_t max_inflight_requests = 64;
    uint64_t max_inflight_bytes = 64ull << 20;  // request bodies being processed at once; 0 = no limit
    int64_t read_timeout_s = 10;
    int64_t write_timeout_s = 10;
    int64_t http_threads = 32;
  } limits;
  struct StoreConfig {
    uint64_t max_queue_bytes = 64ull << 20;
    std::string durability = "normal";  // normal | full
    int64_t query_timeout_ms = 30000;   // 0 = no limit
  } store;
  std::vector<server::ApiKey> api_keys;
  ingest::PrivacyPolicy privacy;
  std::vector<ingest::ModelPrice> pricing;  // overrides on top of the built-in price table

  // Source of each key path that has one ("data_dir", "limits.http_threads", "auth.api_keys",
  // "privacy.default", "privacy.services", "privacy.agents", "pricing"...). Missing = default.
  std::map<std::string, ConfigSource> sources;
  std::string file;  // the YAML file that was read ("" when none)

  ConfigSource SourceOf(const std::string& key) const;

  // Derived option structs for the other subsystems.
  server::ServerOptions ToServerOptions() const;
  store::SqliteOptions ToSqliteOptions() const;
  ingest::NormalizeOptions ToNormalizeOptions() const;
};

// Inputs to LoadConfig. `env` holds the process environment (only TRACERY_* names are read);
// `flags` maps scalar key paths ("data_dir", "http", "grpc", "log.level", "log.format") to values.
struct ConfigInputs {
  std::string config_file;  // from --config; "" = use TRACERY_CONFIG, else no file
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> flags;
};

// Builds the effective configuration. kInvalidArgument for unknown keys, wrong types or invalid
// values; messages name the file and line ("config.yaml:7: unknown key \"store.max_queue_byte\""),
// the environment variable, or the flag. kNotFound / kInvalidArgument when the file is unreadable.
Result<Config> LoadConfig(const ConfigInputs& inputs);

// Parses YAML text as if it were the file `name` on top of `base` (exposed for tests).
Status ApplyConfigYaml(std::string_view name, std::string_view text, Config* config);

// The effective configuration as YAML, API keys masked, each value followed by its source as a
// comment ("# default", "# file", "# env", "# flag"). The output is itself a valid config file.
std::string RenderConfigYaml(const Config& config);

// "64MiB", "20MB", "512KiB", "1GB", "1048576" -> bytes. kInvalidArgument on anything else.
Result<uint64_t> ParseByteSize(std::string_view text);

// Checks "HOST:PORT" (port 0..65535; IPv6 as "[::1]:4318"). kInvalidArgument naming the problem.
Status ValidateAddress(std::string_view address);

}  // namespace tracery::cli
