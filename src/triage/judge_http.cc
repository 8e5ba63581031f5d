// HTTP transports of the judge: OpenAI-compatible chat completions and Anthropic messages.
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "triage/judge.h"

namespace tracery::triage {
namespace {

using nlohmann::json;

struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string prefix;  // path without trailing slash
};

Result<SplitUrl> Split(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return InvalidArgumentError("--judge-url: '" + url + "' is not an http(s) URL");
  }
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("--judge-url: unsupported scheme '" + scheme + "'");
  }
  auto path_start = url.find('/', scheme_end + 3);
  SplitUrl s;
  s.origin = url.substr(0, path_start);
  s.prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!s.prefix.empty() && s.prefix.back() == '/') s.prefix.pop_back();
  return s;
}

std::string Snippet(const std::string& body) {
  std::string s = body.substr(0, 300);
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

class HttpJudgeTransport : public JudgeTransport {
 public:
  HttpJudgeTransport(JudgeClientConfig config, SplitUrl url) : config_(std::move(config)), url_(std::move(url)) {
    if (!config_.sleep) {
      config_.sleep = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
    }
  }

  Result<JudgeResponse> Complete(const JudgeRequest& request) override {
    bool anthropic = config_.provider == "anthropic";
    std::string path = url_.prefix;
    if (path.size() >= 3 && path.compare(path.size() - 3, 3, "/v1") == 0) path.resize(path.size() - 3);
    path += anthropic ? "/v1/messages" : "/v1/chat/completions";
    std::string body = anthropic ? AnthropicRequestBody(request) : OpenAiRequestBody(request);
    httplib::Headers headers;
    if (anthropic) {
      headers.emplace("anthropic-version", "2023-06-01");
      if (!config_.api_key.empty()) headers.emplace("x-api-key", config_.api_key);
    } else if (!config_.api_key.empty()) {
      headers.emplace("Authorization", "Bearer " + config_.api_key);
    }
    Status last = UnavailableError("judge: no attempt made");
    int attempts = std::max(1, config_.retry.max_attempts);
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      httplib::Client client(url_.origin);
      client.set_connection_timeout(std::chrono::milliseconds(std::min(config_.timeout_ms, 10000)));
      client.set_read_timeout(std::chrono::milliseconds(config_.timeout_ms));
      client.set_write_timeout(std::chrono::milliseconds(config_.timeout_ms));
      httplib::Result res = client.Post(path, headers, body, "application/json");
      std::string retry_after;
      if (!res) {
        last = UnavailableError(fmt::format("judge {}{}: {}", url_.origin, path, httplib::to_string(res.error())));
      } else if (res->status == 200) {
        return anthropic ? ParseAnthropicResponse(res->body) : ParseOpenAiResponse(res->body);
      } else if (res->status == 429 || res->status >= 500) {
        retry_after = res->get_header_value("Retry-After");
        last = (res->status == 429 ? ResourceExhaustedError("") : UnavailableError(""));
        last = Status(last.code(), fmt::format("judge {}{}: HTTP {}: {}", url_.origin, path,
                                               res->status, Snippet(res->body)));
      } else {
        StatusCode code = (res->status == 401 || res->status == 403) ? StatusCode::kPermissionDenied
                                                                    : StatusCode::kInvalidArgument;
        return Status(code, fmt::format("judge {}{}: HTTP {}: {}", url_.origin, path, res->status,
                                        Snippet(res->body)));
      }
      if (attempt < attempts) config_.sleep(RetryDelayMs(attempt, retry_after, config_.retry));
    }
    return last.WithContext(fmt::format("after {} attempts", attempts));
  }

 private:
  JudgeClientConfig config_;
  SplitUrl url_;
};

}  // namespace

std::string OpenAiRequestBody(const JudgeRequest& request) {
  json schema = json::parse(request.schema_json.empty() ? "{}" : request.schema_json, nullptr, false);
  if (schema.is_discarded()) schema = json::object();
  json body = {
      {"model", request.model},
      {"temperature", 0},
      {"messages",
       json::array({{{"role", "system"}, {"content", request.system_prompt}},
                    {{"role", "user"}, {"content", request.user_prompt}}})},
      {"response_format",
       {{"type", "json_schema"},
        {"json_schema", {{"name", request.schema_name}, {"schema", schema}, {"strict", false}}}}}};
  return body.dump();
}

Result<JudgeResponse> ParseOpenAiResponse(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("judge response is not a JSON object");
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
    return InvalidArgumentError("judge response: missing choices[0]");
  }
  const json& choice = j["choices"][0];
  if (!choice.contains("message") || !choice["message"].is_object() ||
      !choice["message"].contains("content") || !choice["message"]["content"].is_string()) {
    return InvalidArgumentError("judge response: choices[0].message.content is not a string");
  }
  JudgeResponse r;
  r.json = choice["message"]["content"].get<std::string>();
  // Some local servers wrap JSON in a Markdown fence.
  auto first = r.json.find('{'), last = r.json.rfind('}');
  if (first != std::string::npos && last != std::string::npos && last > first &&
      (first > 0 || last + 1 < r.json.size())) {
    r.json = r.json.substr(first, last - first + 1);
  }
  if (j.contains("usage") && j["usage"].is_object()) {
    const json& u = j["usage"];
    if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_integer()) r.input_tokens = u["prompt_tokens"].get<int64_t>();
    if (u.contains("completion_tokens") && u["completion_tokens"].is_number_integer()) r.output_tokens = u["completion_tokens"].get<int64_t>();
  }
  return r;
}

std::string AnthropicRequestBody(const JudgeRequest& request) {
  json schema = json::parse(request.schema_json.empty() ? "{}" : request.schema_json, nullptr, false);
  if (schema.is_discarded() || !schema.is_object()) schema = json::object({{"type", "object"}});
  json body = {
      {"model", request.model},
      {"max_tokens", 2048},
      {"temperature", 0},
      {"system", request.system_prompt},
      {"messages", json::array({{{"role", "user"}, {"content", request.user_prompt}}})},
      {"tools", json::array({{{"name", "record_" + request.schema_name},
                              {"description", "Record the judgement as structured output."},
                              {"input_schema", schema}}})},
      {"tool_choice", {{"type", "tool"}, {"name", "record_" + request.schema_name}}}};
  return body.dump();
}

Result<JudgeResponse> ParseAnthropicResponse(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("judge response is not a JSON object");
  if (!j.contains("content") || !j["content"].is_array()) {
    return InvalidArgumentError("judge response: missing content[]");
  }
  JudgeResponse r;
  bool found = false;
  for (const json& block : j["content"]) {
    if (block.is_object() && block.value("type", "") == "tool_use" && block.contains("input")) {
      r.json = block["input"].dump();
      found = true;
      break;
    }
  }
  if (!found) return InvalidArgumentError("judge response: no tool_use block in content[]");
  if (j.contains("usage") && j["usage"].is_object()) {
    const json& u = j["usage"];
    if (u.contains("input_tokens") && u["input_tokens"].is_number_integer()) r.input_tokens = u["input_tokens"].get<int64_t>();
    if (u.contains("output_tokens") && u["output_tokens"].is_number_integer()) r.output_tokens = u["output_tokens"].get<int64_t>();
  }
  return r;
}

Result<std::unique_ptr<JudgeTransport>> MakeJudgeTransport(const JudgeClientConfig& config) {
  if (config.provider != "openai" && config.provider != "anthropic") {
    return InvalidArgumentError("--judge-provider: unknown provider '" + config.provider + "' (openai, anthropic)");
  }
  std::string base = config.base_url;
  if (base.empty()) base = config.provider == "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com";
  TRACERY_ASSIGN_OR_RETURN(SplitUrl url, Split(base));
  return std::unique_ptr<JudgeTransport>(new HttpJudgeTransport(config, std::move(url)));
}

}  // namespace tracery::triage
