#include "model/model.h"

#include <array>
#include <utility>

namespace tracery::model {
namespace {

template <typename E, size_t N>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [e, name] : table) {
    if (name == s) return e;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<StepType, std::string_view>, 12> kStepTypes{{
    {StepType::kAgent, "agent"},
    {StepType::kLlm, "llm"},
    {StepType::kTool, "tool"},
    {StepType::kRetrieval, "retrieval"},
    {StepType::kEmbedding, "embedding"},
    {StepType::kRerank, "rerank"},
    {StepType::kGuardrail, "guardrail"},
    {StepType::kHandoff, "handoff"},
    {StepType::kPlan, "plan"},
    {StepType::kRespond, "respond"},
    {StepType::kChain, "chain"},
    {StepType::kOther, "other"},
}};
constexpr std::array<std::pair<StepStatus, std::string_view>, 3> kStepStatuses{{
    {StepStatus::kUnset, "unset"},
    {StepStatus::kOk, "ok"},
    {StepStatus::kError, "error"},
}};
constexpr std::array<std::pair<RunStatus, std::string_view>, 5> kRunStatuses{{
    {RunStatus::kRunning, "running"},
    {RunStatus::kOk, "ok"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kPartial, "partial"},
    {RunStatus::kAbandoned, "abandoned"},
}};
constexpr std::array<std::pair<FailureType, std::string_view>, 6> kFailureTypes{{
    {FailureType::kTool, "tool"},
    {FailureType::kModel, "model"},
    {FailureType::kRetrieval, "retrieval"},
    {FailureType::kOrchestration, "orchestration"},
    {FailureType::kGuardrail, "guardrail"},
    {FailureType::kUnknown, "unknown"},
}};
constexpr std::array<std::pair<FailureSource, std::string_view>, 6> kFailureSources{{
    {FailureSource::kSdk, "sdk"},
    {FailureSource::kSpanStatus, "span_status"},
    {FailureSource::kException, "exception"},
    {FailureSource::kFinishReason, "finish_reason"},
    {FailureSource::kHttpStatus, "http_status"},
    {FailureSource::kRubric, "rubric"},
}};

}  // namespace

std::string_view ToString(StepType t) { return Name(kStepTypes, t); }
std::string_view ToString(StepStatus s) { return Name(kStepStatuses, s); }
std::string_view ToString(RunStatus s) { return Name(kRunStatuses, s); }
std::string_view ToString(FailureType t) { return Name(kFailureTypes, t); }
std::string_view ToString(FailureSource s) { return Name(kFailureSources, s); }
std::optional<StepType> ParseStepType(std::string_view s) { return Parse(kStepTypes, s); }
std::optional<StepStatus> ParseStepStatus(std::string_view s) { return Parse(kStepStatuses, s); }
std::optional<RunStatus> ParseRunStatus(std::string_view s) { return Parse(kRunStatuses, s); }
std::optional<FailureType> ParseFailureType(std::string_view s) { return Parse(kFailureTypes, s); }
std::optional<FailureSource> ParseFailureSource(std::string_view s) { return Parse(kFailureSources, s); }

}  // namespace tracery::model
