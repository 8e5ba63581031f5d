// Self-test of a rubric: every mode's examples run through its detector. Used by
// `tracery triage self-test` and by the built-in rubric tests.
#pragma once

#include <string>
#include <vector>

#include "triage/detect.h"
#include "triage/rubric.h"

namespace tracery::triage {

enum class SelfTestOutcome { kPass, kFail, kSkip };
std::string_view ToString(SelfTestOutcome o);  // "PASS" / "FAIL" / "SKIP"

struct SelfTestResult {
  std::string mode_id;
  size_t example_index = 0;
  int line = 0;  // the example's line in its file
  bool expected_positive = false;
  SelfTestOutcome outcome = SelfTestOutcome::kSkip;
  std::string detail;  // why it failed or was skipped; the excerpt when it passed positive
};

// The run an excerpt-only example stands for: one llm step whose output is the excerpt, with the
// example's context as a `context` message in its input (so a judge sees both).
RunView ExcerptRun(const Example& example);

// Rules: an example with `run:` is evaluated on that run; an excerpt-only example is evaluated
// on ExcerptRun when the detection uses only regex and judge nodes, else SKIP (an excerpt cannot
// exercise tool_call / metric / step detectors). A pending judge (no oracle) is SKIP; a detector
// error is FAIL; otherwise PASS iff the verdict equals `expected`.
std::vector<SelfTestResult> SelfTest(const Rubric& rubric, JudgeOracle* judge);

}  // namespace tracery::triage
