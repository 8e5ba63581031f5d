#include "cli/config.h"

#include <fstream>

#include "testing/testing.h"

namespace tracery::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsWhenNothingIsGiven) {
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig({}));
  EXPECT_EQ(c.data_dir, "./tracery-data");
  EXPECT_EQ(c.http, "127.0.0.1:4318");
  EXPECT_EQ(c.grpc, "127.0.0.1:4317");
  EXPECT_EQ(c.limits.max_request_bytes, 64u << 20);
  EXPECT_EQ(c.SourceOf("http"), ConfigSource::kDefault);
  EXPECT_TRUE(c.api_keys.empty());
}

TEST(ConfigTest, PrecedenceFlagOverEnvOverFileOverDefault) {
  testing::TempDir dir;
  std::string file = WriteFile(dir.path(), "c.yaml",
                               "data_dir: /from/file\n"
                               "http: 127.0.0.1:1111\n"
                               "grpc: 127.0.0.1:2222\n"
                               "log:\n  level: debug\n");
  ConfigInputs in;
  in.config_file = file;
  in.env = {{"TRACERY_HTTP", "127.0.0.1:3333"}, {"TRACERY_GRPC", "off"}};
  in.flags = {{"grpc", "127.0.0.1:4444"}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  EXPECT_EQ(c.data_dir, "/from/file");
  EXPECT_EQ(c.SourceOf("data_dir"), ConfigSource::kFile);
  EXPECT_EQ(c.http, "127.0.0.1:3333");
  EXPECT_EQ(c.SourceOf("http"), ConfigSource::kEnv);
  EXPECT_EQ(c.grpc, "127.0.0.1:4444");
  EXPECT_EQ(c.SourceOf("grpc"), ConfigSource::kFlag);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.SourceOf("log.format"), ConfigSource::kDefault);
}

TEST(ConfigTest, ConfigFileFromEnvironment) {
  testing::TempDir dir;
  std::string file = WriteFile(dir.path(), "c.yaml", "store:\n  durability: full\n");
  ConfigInputs in;
  in.env = {{"TRACERY_CONFIG", file}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  EXPECT_EQ(c.store.durability, "full");
  EXPECT_TRUE(c.ToSqliteOptions().synchronous_full);
  EXPECT_EQ(c.file, file);
}

TEST(ConfigTest, FlagConfigFileBeatsEnvConfigFile) {
  testing::TempDir dir;
  std::string a = WriteFile(dir.path(), "a.yaml", "data_dir: /a\n");
  std::string b = WriteFile(dir.path(), "b.yaml", "data_dir: /b\n");
  ConfigInputs in;
  in.config_file = a;
  in.env = {{"TRACERY_CONFIG", b}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  EXPECT_EQ(c.data_dir, "/a");
}

TEST(ConfigTest, FullFileIsParsed) {
  Config c;
  ASSERT_OK(ApplyConfigYaml("c.yaml",
                            "limits:\n"
                            "  max_request_bytes: 20MB\n"
                            "  max_inflight_requests: 8\n"
                            "  max_inflight_bytes: 16MiB\n"
                            "  read_timeout_s: 3\n"
                            "  write_timeout_s: 4\n"
                            "  http_threads: 5\n"
                            "store:\n"
                            "  max_queue_bytes: 1GiB\n"
                            "  query_timeout_ms: 2500\n"
                            "auth:\n"
                            "  api_keys:\n"
                            "    - key: secret-one\n"
                            "      scopes: [ingest, read]\n"
                            "    - key: secret-two\n"
                            "      scopes: [read]\n"
                            "privacy:\n"
                            "  default: mask\n"
                            "  services: {billing: metadata-only}\n"
                            "  agents:\n"
                            "    support: full\n"
                            "pricing:\n"
                            "  - model: my-model\n"
                            "    input_per_mtok: 1.5\n"
                            "    output_per_mtok: 6\n"
                            "    cache_read_per_mtok: 0.25\n",
                            &c));
  EXPECT_EQ(c.limits.max_request_bytes, 20'000'000u);
  EXPECT_EQ(c.store.max_queue_bytes, 1ull << 30);
  EXPECT_EQ(c.ToSqliteOptions().query_timeout_ms, 2500);
  Config bad;
  Status neg = ApplyConfigYaml("c.yaml", "store:\n  query_timeout_ms: -5\n", &bad);
  EXPECT_FALSE(neg.ok());
  EXPECT_NE(neg.message().find("query_timeout_ms"), std::string::npos) << neg.message();
  auto so = c.ToServerOptions();
  EXPECT_EQ(so.max_inflight_requests, 8);
  EXPECT_EQ(so.max_inflight_bytes, size_t{16} << 20);
  EXPECT_EQ(so.read_timeout_s, 3);
  EXPECT_EQ(so.write_timeout_s, 4);
  EXPECT_EQ(so.http_threads, 5);
  ASSERT_EQ(so.api_keys.size(), 2u);
  EXPECT_TRUE(so.api_keys[0].ingest && so.api_keys[0].read);
  EXPECT_FALSE(so.api_keys[1].ingest);
  EXPECT_TRUE(so.api_keys[1].read);
  EXPECT_EQ(c.privacy.default_mode, ingest::PrivacyMode::kMask);
  EXPECT_EQ(c.privacy.by_service.at("billing"), ingest::PrivacyMode::kMetadataOnly);
  EXPECT_EQ(c.privacy.by_agent.at("support"), ingest::PrivacyMode::kFull);
  ASSERT_EQ(c.pricing.size(), 1u);
  EXPECT_EQ(c.pricing[0].model, "my-model");
  EXPECT_DOUBLE_EQ(c.pricing[0].output_per_mtok, 6);
  EXPECT_DOUBLE_EQ(c.pricing[0].cache_read_per_mtok, 0.25);
}

TEST(ConfigTest, GrpcOffDisablesListener) {
  ConfigInputs in;
  in.flags = {{"grpc", "off"}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  EXPECT_EQ(c.ToServerOptions().grpc_address, "");
}

struct BadYaml {
  const char* text;
  const char* want;
};

class ConfigErrorTest : public ::testing::TestWithParam<BadYaml> {};

TEST_P(ConfigErrorTest, NamesKeyAndLine) {
  Config c;
  Status s = ApplyConfigYaml("config.yaml", GetParam().text, &c);
  EXPECT_STATUS(s, StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ConfigErrorTest,
    ::testing::Values(
        BadYaml{"data_dir: x\nstore:\n  durability: full\n\n\n\n  max_queue_byte: 5\n",
                "config.yaml:7: unknown key \"store.max_queue_byte\""},
        BadYaml{"colour: red\n", "config.yaml:1: unknown key \"colour\""},
        BadYaml{"limits:\n  http_threads: lots\n", "config.yaml:2: limits.http_threads: expected an integer, got \"lots\""},
        BadYaml{"limits:\n  http_threads: 0\n", "config.yaml:2: limits.http_threads: 0 is out of range"},
        BadYaml{"limits: 5\n", "config.yaml:1: limits: expected a mapping, got a scalar"},
        BadYaml{"data_dir: [a, b]\n", "config.yaml:1: data_dir: expected a scalar value, got a list"},
        BadYaml{"http: localhost\n", "config.yaml:1: http: invalid address \"localhost\""},
        BadYaml{"http: 127.0.0.1:70000\n", "port must be a number in 0..65535"},
        BadYaml{"grpc: maybe\n", "config.yaml:1: grpc: invalid address \"maybe\""},
        BadYaml{"log:\n  level: loud\n", "config.yaml:2: log.level: invalid log level \"loud\": expected one of debug, info, warn, error"},
        BadYaml{"log:\n  format: xml\n", "log.format: invalid log format \"xml\""},
        BadYaml{"store:\n  durability: sometimes\n", "store.durability: invalid durability \"sometimes\""},
        BadYaml{"limits:\n  max_request_bytes: 12 parsecs\n", "limits.max_request_bytes: invalid size \"12 parsecs\""},
        BadYaml{"auth:\n  api_keys:\n    - key: k\n      scopes: [write]\n", "config.yaml:3: auth.api_keys[0]: invalid scope \"write\""},
        BadYaml{"auth:\n  api_keys:\n    - scopes: [read]\n", "auth.api_keys[0]: missing \"key\""},
        BadYaml{"auth:\n  api_keys:\n    - key: k\n      scope: [read]\n", "config.yaml:4: unknown key \"auth.api_keys[0].scope\""},
        BadYaml{"auth:\n  api_keys: k1\n", "auth.api_keys: expected a list, got a scalar"},
        BadYaml{"privacy:\n  default: secret\n", "privacy.default: invalid privacy mode \"secret\""},
        BadYaml{"privacy:\n  agents:\n    a: nothing\n", "config.yaml:3: privacy.agents.a: invalid privacy mode \"nothing\""},
        BadYaml{"pricing:\n  - model: m\n    input_per_mtok: -1\n", "config.yaml:3: pricing[0].input_per_mtok: expected a non-negative number"},
        BadYaml{"pricing:\n  - input_per_mtok: 1\n", "pricing[0]: missing \"model\""},
        BadYaml{"pricing:\n  - model: m\n    output_per_token: 1\n", "unknown key \"pricing[0].output_per_token\""},
        BadYaml{"- a\n- b\n", "config.yaml:1: the top level must be a mapping"},
        BadYaml{"data_dir: [unclosed\n", "config.yaml:2: invalid YAML"}));

TEST(ConfigTest, EmptyFileIsAllDefaults) {
  Config c;
  EXPECT_OK(ApplyConfigYaml("c.yaml", "", &c));
  EXPECT_OK(ApplyConfigYaml("c.yaml", "# only a comment\n", &c));
  EXPECT_EQ(c.http, "127.0.0.1:4318");
}

TEST(ConfigTest, DeeplyNestedYamlIsAnErrorNotACrash) {
  std::string text = "data_dir: ";
  for (int i = 0; i < 2000; ++i) text += "[";
  Config c;
  EXPECT_STATUS(ApplyConfigYaml("c.yaml", text, &c), StatusCode::kInvalidArgument);
}

TEST(ConfigTest, MissingFileIsNamed) {
  ConfigInputs in;
  in.config_file = "/nonexistent/tracery.yaml";
  auto c = LoadConfig(in);
  EXPECT_STATUS(c, StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/tracery.yaml"));
}

TEST(ConfigTest, BadEnvValuesNameTheVariable) {
  struct Case {
    const char* var;
    const char* value;
    const char* want;
  };
  for (const Case& k : {Case{"TRACERY_HTTP", "nohost", "environment TRACERY_HTTP: invalid address \"nohost\""},
                        Case{"TRACERY_LOG_LEVEL", "chatty", "environment TRACERY_LOG_LEVEL: invalid log level"},
                        Case{"TRACERY_LOG_FORMAT", "yaml", "environment TRACERY_LOG_FORMAT: invalid log format"},
                        Case{"TRACERY_MAX_REQUEST_BYTES", "big", "environment TRACERY_MAX_REQUEST_BYTES: invalid size"},
                        Case{"TRACERY_PRIVACY", "none", "environment TRACERY_PRIVACY: invalid privacy mode \"none\""},
                        Case{"TRACERY_API_KEYS", "k1", "environment TRACERY_API_KEYS: entry 1: expected KEY:SCOPES"},
                        Case{"TRACERY_API_KEYS", "k1:read,k2:admin",
                             "environment TRACERY_API_KEYS: entry 2: invalid scope \"admin\""},
                        Case{"TRACERY_API_KEYS", ":read", "entry 1: api key must not be empty"},
                        Case{"TRACERY_DATA_DIR", "", "environment TRACERY_DATA_DIR: data_dir must not be empty"}}) {
    ConfigInputs in;
    in.env = {{k.var, k.value}};
    auto c = LoadConfig(in);
    EXPECT_STATUS(c, StatusCode::kInvalidArgument) << k.var;
    EXPECT_THAT(c.status().message(), HasSubstr(k.want));
  }
}

TEST(ConfigTest, EnvValuesApply) {
  ConfigInputs in;
  in.env = {{"TRACERY_DATA_DIR", "/d"},
            {"TRACERY_LOG_FORMAT", "json"},
            {"TRACERY_MAX_REQUEST_BYTES", "8MiB"},
            {"TRACERY_PRIVACY", "metadata-only"},
            {"TRACERY_API_KEYS", "key1:ingest+read, key2:ingest"},
            {"TRACERY_UNRELATED", "ignored"}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.limits.max_request_bytes, 8u << 20);
  EXPECT_EQ(c.privacy.default_mode, ingest::PrivacyMode::kMetadataOnly);
  ASSERT_EQ(c.api_keys.size(), 2u);
  EXPECT_EQ(c.api_keys[0].key, "key1");
  EXPECT_TRUE(c.api_keys[0].ingest && c.api_keys[0].read);
  EXPECT_EQ(c.api_keys[1].key, "key2");
  EXPECT_TRUE(c.api_keys[1].ingest);
  EXPECT_FALSE(c.api_keys[1].read);
  EXPECT_EQ(c.SourceOf("auth.api_keys"), ConfigSource::kEnv);
}

TEST(ConfigTest, BadFlagNamesTheFlag) {
  ConfigInputs in;
  in.flags = {{"log.level", "verbose"}};
  auto c = LoadConfig(in);
  EXPECT_STATUS(c, StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("flag --log-level: invalid log level \"verbose\""));
}

TEST(ConfigTest, ByteSizes) {
  struct Case {
    const char* text;
    uint64_t want;
  };
  for (const Case& k : {Case{"1024", 1024}, Case{"64MiB", 64ull << 20}, Case{"20MB", 20'000'000},
                        Case{"3 KiB", 3072}, Case{"1gb", 1'000'000'000}, Case{"2GiB", 2ull << 30},
                        Case{"7B", 7}, Case{"5k", 5120}}) {
    ASSERT_OK_AND_ASSIGN(uint64_t v, ParseByteSize(k.text));
    EXPECT_EQ(v, k.want) << k.text;
  }
  for (const char* bad : {"", "MiB", "-5", "1.5MiB", "10 furlongs", "99999999999999999999", "18446744073709551615GiB"}) {
    EXPECT_STATUS(ParseByteSize(bad), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConfigTest, Addresses) {
  for (const char* ok : {"127.0.0.1:4318", "0.0.0.0:0", "[::1]:4318", "localhost:65535"}) {
    EXPECT_OK(ValidateAddress(ok)) << ok;
  }
  for (const char* bad : {"", "4318", ":4318", "host:", "host:-1", "host:65536", "::1:4318", "host:12ab"}) {
    EXPECT_STATUS(ValidateAddress(bad), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConfigTest, RenderShowsSourcesAndMasksKeys) {
  testing::TempDir dir;
  std::string file = WriteFile(dir.path(), "c.yaml", "data_dir: /from/file\nlimits:\n  http_threads: 7\n");
  ConfigInputs in;
  in.config_file = file;
  in.env = {{"TRACERY_API_KEYS", "supersecretkey123:read"}, {"TRACERY_LOG_LEVEL", "warn"}};
  in.flags = {{"http", "127.0.0.1:9999"}};
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(in));
  std::string yaml = RenderConfigYaml(c);
  EXPECT_THAT(yaml, HasSubstr("data_dir: \"/from/file\"  # file"));
  EXPECT_THAT(yaml, HasSubstr("http: \"127.0.0.1:9999\"  # flag"));
  EXPECT_THAT(yaml, HasSubstr("grpc: \"127.0.0.1:4317\"  # default"));
  EXPECT_THAT(yaml, HasSubstr("level: warn  # env"));
  EXPECT_THAT(yaml, HasSubstr("http_threads: 7  # file"));
  EXPECT_THAT(yaml, HasSubstr("max_request_bytes: 64MiB  # default"));
  EXPECT_THAT(yaml, HasSubstr("api_keys:  # env"));
  EXPECT_THAT(yaml, Not(HasSubstr("supersecretkey123")));
  EXPECT_THAT(yaml, HasSubstr("supe****"));
}

TEST(ConfigTest, RenderedYamlLoadsBackToTheSameValues) {
  Config c;
  ASSERT_OK(ApplyConfigYaml("c.yaml",
                            "data_dir: \"/odd \\\"dir\\\"\"\n"
                            "grpc: \"off\"\n"
                            "limits: {max_request_bytes: 3MB}\n"
                            "privacy: {default: mask, services: {\"svc:a\": full}}\n"
                            "pricing: [{model: \"gpt-x*\", input_per_mtok: 2.5, output_per_mtok: 10}]\n",
                            &c));
  Config back;
  ASSERT_OK(ApplyConfigYaml("rendered.yaml", RenderConfigYaml(c), &back));
  EXPECT_EQ(back.data_dir, "/odd \"dir\"");
  EXPECT_EQ(back.grpc, "off");
  EXPECT_EQ(back.limits.max_request_bytes, 3'000'000u);
  EXPECT_EQ(back.privacy.default_mode, ingest::PrivacyMode::kMask);
  EXPECT_EQ(back.privacy.by_service.at("svc:a"), ingest::PrivacyMode::kFull);
  ASSERT_EQ(back.pricing.size(), 1u);
  EXPECT_EQ(back.pricing[0].model, "gpt-x*");
  EXPECT_DOUBLE_EQ(back.pricing[0].input_per_mtok, 2.5);
}

}  // namespace
}  // namespace tracery::cli
