#include "triage/types.h"

namespace tracery::triage {

std::string_view ToString(Severity s) {
  switch (s) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "medium";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  if (s == "low") return Severity::kLow;
  if (s == "medium") return Severity::kMedium;
  if (s == "high") return Severity::kHigh;
  if (s == "critical") return Severity::kCritical;
  return std::nullopt;
}

std::string_view ToString(TrackerOutcome o) {
  switch (o) {
    case TrackerOutcome::kSkipped: return "skipped";
    case TrackerOutcome::kCommented: return "commented";
    case TrackerOutcome::kCreated: return "created";
    case TrackerOutcome::kReopened: return "reopened";
    case TrackerOutcome::kNeedsCreate: return "needs_create";
    case TrackerOutcome::kFailed: return "failed";
  }
  return "failed";
}

}  // namespace tracery::triage
