// A small customer-support agent instrumented with the Tracery C++ SDK. The "LLM" is scripted, so
// no API key is needed. One run: plan -> llm -> billing tool (times out once, retried) ->
// knowledge-base retrieval (no results: a semantic failure) -> llm -> respond.
//   cpp_agent [endpoint]   (default $TRACERY_ENDPOINT, else http://127.0.0.1:4318)
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tracery_sdk/tracery_sdk.h"

namespace {

using tracery_sdk::ContentKind;
using tracery_sdk::StepType;

struct LlmReply {
  std::string text;
  int input_tokens;
  int output_tokens;
};

// Scripted fake LLM: answers by call number.
LlmReply FakeLlm(int call) {
  static const std::vector<LlmReply> kScript = {
      {"intent=refund; need invoice and refund policy", 182, 14},
      {"Your refund for invoice INV-42 is on its way.", 420, 31},
  };
  return kScript[static_cast<std::size_t>(call) % kScript.size()];
}

// Billing API that times out on its first call.
int billing_calls = 0;
std::string FetchInvoice(const std::string& customer) {
  if (++billing_calls == 1) throw std::runtime_error("billing api timed out after 2s");
  return "{\"invoice\":\"INV-42\",\"customer\":\"" + customer + "\",\"amount\":19.99}";
}

std::vector<std::string> SearchPolicies(const std::string&) { return {}; }  // empty index

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("TRACERY_ENDPOINT");
  tracery_sdk::TracerOptions options;
  options.agent_id = "cpp-support-agent";
  options.agent_version = "1.0.0";
  options.environment = "development";
  options.endpoint = argc > 1 ? argv[1] : (env != nullptr ? env : "http://127.0.0.1:4318");
  options.schedule_delay = std::chrono::milliseconds(100);
  tracery_sdk::Tracer tracer(options);

  std::string run_id;
  {
    tracery_sdk::Run run = tracer.StartRun("refund-request", {"sess-cpp-1", "user-7", {"example", "cpp"}, "", ""});
    run_id = run.id();

    run.StartStep(StepType::kPlan, "classify_request").Set("channel", "email").Set("priority", 2);

    {
      tracery_sdk::Step llm = run.StartStep(StepType::kLlm, "chat fake-gpt");
      const LlmReply reply = FakeLlm(0);
      llm.SetModel("fake-gpt", "scripted").SetTokens({reply.input_tokens, reply.output_tokens, {}, {}, {}, {}});
      llm.SetInput(R"([{"role":"user","content":"I want a refund for my last invoice"}])", ContentKind::kJson);
      llm.SetOutput(R"([{"role":"assistant","content":")" + reply.text + R"("}])", ContentKind::kJson);
    }

    // Each attempt is its own step; the first one fails with a timeout.
    const std::string invoice = run.Retry(
        [](tracery_sdk::Step& step) {
          step.SetInput(R"({"customer":"user-7"})", ContentKind::kJson);
          std::string result = FetchInvoice("user-7");
          step.SetOutput(result, ContentKind::kJson);
          return result;
        },
        {3, StepType::kTool, "billing_api", std::chrono::milliseconds(50)});

    {
      tracery_sdk::Step kb = run.StartStep(StepType::kRetrieval, "policy_search");
      kb.SetInput("refund policy for digital goods");
      const auto docs = SearchPolicies("refund policy");
      kb.Set("documents", static_cast<std::int64_t>(docs.size()));
      if (docs.empty()) run.RecordFailure("retrieval", "no_results", "policy index returned nothing", &kb);
    }

    {
      tracery_sdk::Step llm = run.StartStep(StepType::kLlm, "chat fake-gpt");
      const LlmReply reply = FakeLlm(1);
      llm.SetModel("fake-gpt", "scripted").SetTokens({reply.input_tokens, reply.output_tokens, {}, {}, {}, {}});
    }
    run.StartStep(StepType::kRespond, "send_reply").Set("invoice_bytes", static_cast<std::int64_t>(invoice.size()));
  }

  const bool flushed = tracer.Flush(std::chrono::seconds(10));
  const auto stats = tracer.Stats();
  std::printf("run_id=%s\n", run_id.c_str());
  std::printf("spans exported=%llu dropped=%llu%s%s\n",
              static_cast<unsigned long long>(stats.spans_exported),
              static_cast<unsigned long long>(stats.spans_dropped),
              stats.last_error.empty() ? "" : " last_error=", stats.last_error.c_str());
  return flushed && stats.spans_dropped == 0 ? 0 : 1;
}
