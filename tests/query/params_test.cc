#include "query/params.h"

#include <random>

#include "query/query_service.h"
#include "testing/testing.h"

namespace tracery::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kHour = 3'600'000'000'000;

Result<store::RunFilter> Parse(const Params& p) { return QueryService::ParseRunFilter(p, kNow); }

TEST(ParamsTest, ListsSplitCommasAndRepeatsTrimAndDedupe) {
  Params p{{"agent", "a, b"}, {"agent", "c"}, {"agent", ""}, {"agent", "a"}, {"other", "x"}};
  EXPECT_THAT(GetList(p, "agent"), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(GetList(p, "missing").empty());
}

TEST(ParamsTest, SingleRejectsConflictingRepeats) {
  Params same{{"session", "s"}, {"session", "s"}};
  ASSERT_OK_AND_ASSIGN(auto v, GetSingle(same, "session"));
  EXPECT_EQ(v, "s");
  Params conflict{{"session", "s"}, {"session", "t"}};
  Result<std::optional<std::string>> r = GetSingle(conflict, "session");
  EXPECT_STATUS(r, StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("\"session\""));
}

TEST(ParamsTest, UnknownParameterNamed) {
  Status s = CheckKnownParams(Params{{"agent", "a"}, {"agnet", "b"}}, {"agent"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown parameter \"agnet\"");
  EXPECT_OK(CheckKnownParams(Params{{"agent", "a"}}, {"agent"}));
}

TEST(ParamsTest, IntBoundsAndJunk) {
  ASSERT_OK_AND_ASSIGN(auto v, GetInt(Params{{"limit", "10"}}, "limit", 1, 1000));
  EXPECT_EQ(v, 10);
  for (const char* bad : {"0", "1001", "ten", "10x", "-", "1e2", "99999999999999999999999", " "}) {
    auto r = GetInt(Params{{"limit", bad}}, "limit", 1, 1000);
    if (std::string(bad) == " ") {  // blank counts as absent
      ASSERT_OK(r);
      EXPECT_FALSE(r->has_value());
      continue;
    }
    EXPECT_STATUS(r, StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("parameter \"limit\"")) << bad;
  }
}

TEST(ParamsTest, DoubleRejectsNonFiniteAndNegative) {
  ASSERT_OK_AND_ASSIGN(auto v, GetDouble(Params{{"min_cost", "0.25"}}, "min_cost", 0));
  EXPECT_DOUBLE_EQ(*v, 0.25);
  for (const char* bad : {"inf", "nan", "-1", "0x10", "1e999", "abc", "1.2.3"}) {
    EXPECT_STATUS(GetDouble(Params{{"min_cost", bad}}, "min_cost", 0), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParamsTest, BadParamEchoesSafely) {
  Status s = BadParam("q", std::string("a\x01") + std::string(200, 'x'), "why");
  EXPECT_THAT(s.message(), HasSubstr("invalid value \"a?xxx"));
  EXPECT_THAT(s.message(), HasSubstr("...\" for parameter \"q\": why"));
}

TEST(RunFilterTest, EmptyParamsFilterNothing) {
  ASSERT_OK_AND_ASSIGN(store::RunFilter f, Parse({}));
  EXPECT_EQ(f.from_ns, 0);
  EXPECT_EQ(f.to_ns, 0);
  EXPECT_EQ(f.min_duration_ns, -1);
  EXPECT_EQ(f.max_cost_usd, -1);
  EXPECT_TRUE(f.agent_ids.empty());
}

TEST(RunFilterTest, EveryParameter) {
  Params p{{"from", "2026-11-22T00:00:00Z"},
           {"to", "1795400000000"},
           {"updated_since", "1795300000000"},
           {"agent", "a1,a2"},
           {"version", "1.0"},
           {"environment", "prod"},
           {"environment", "staging"},
           {"status", "failed,partial"},
           {"failure_type", "tool"},
           {"failure_code", "timeout,rate_limit"},
           {"model", "gpt-4o"},
           {"session", "s1"},
           {"user", "u1"},
           {"tag", "x"},
           {"tag", "y"},
           {"q", "flight search"},
           {"min_duration_ms", "1.5"},
           {"max_duration_ms", "2000"},
           {"min_cost", "0.01"},
           {"max_cost", "2"}};
  ASSERT_OK_AND_ASSIGN(store::RunFilter f, Parse(p));
  EXPECT_EQ(f.from_ns, 1795305600LL * 1'000'000'000);
  EXPECT_EQ(f.to_ns, 1795400000000LL * 1'000'000);
  EXPECT_EQ(f.updated_since_ns, 1795300000000LL * 1'000'000);
  EXPECT_THAT(f.agent_ids, ElementsAre("a1", "a2"));
  EXPECT_THAT(f.agent_versions, ElementsAre("1.0"));
  EXPECT_THAT(f.environments, ElementsAre("prod", "staging"));
  EXPECT_THAT(f.statuses, ElementsAre(model::RunStatus::kFailed, model::RunStatus::kPartial));
  EXPECT_THAT(f.failure_types, ElementsAre("tool"));
  EXPECT_THAT(f.failure_codes, ElementsAre("timeout", "rate_limit"));
  EXPECT_THAT(f.models, ElementsAre("gpt-4o"));
  EXPECT_EQ(f.session_id, "s1");
  EXPECT_EQ(f.user_id, "u1");
  EXPECT_THAT(f.tags, ElementsAre("x", "y"));
  EXPECT_EQ(f.text, "flight search");
  EXPECT_EQ(f.min_duration_ns, 1'500'000);
  EXPECT_EQ(f.max_duration_ns, 2'000'000'000);
  EXPECT_DOUBLE_EQ(f.min_cost_usd, 0.01);
  EXPECT_DOUBLE_EQ(f.max_cost_usd, 2);
}

TEST(RunFilterTest, SinceIsRelativeToNow) {
  ASSERT_OK_AND_ASSIGN(store::RunFilter f, Parse({{"since", "1h"}}));
  EXPECT_EQ(f.from_ns, kNow - kHour);
  ASSERT_OK_AND_ASSIGN(store::RunFilter d, Parse({{"since", "7d"}}));
  EXPECT_EQ(d.from_ns, kNow - 7 * 24 * kHour);
}

TEST(RunFilterTest, BadValuesNameParamAndValue) {
  struct Case {
    const char* key;
    const char* value;
  };
  for (const Case& c : {Case{"since", "soon"}, Case{"from", "tuesday"}, Case{"to", "2026-99-01"},
                        Case{"updated_since", "x"}, Case{"status", "exploded"}, Case{"failure_type", "cosmic"},
                        Case{"min_duration_ms", "fast"}, Case{"max_duration_ms", "-3"}, Case{"min_cost", "free"},
                        Case{"max_cost", "nan"}}) {
    Result<store::RunFilter> r = Parse({{c.key, c.value}});
    ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.key;
    EXPECT_THAT(r.status().message(), HasSubstr(std::string("\"") + c.key + "\"")) << r.status().message();
    EXPECT_THAT(r.status().message(), HasSubstr(std::string("\"") + c.value + "\"")) << r.status().message();
  }
}

TEST(RunFilterTest, InconsistentCombinations) {
  EXPECT_STATUS(Parse({{"since", "1h"}, {"from", "1000"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(Parse({{"from", "2000"}, {"to", "1000"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(Parse({{"min_duration_ms", "10"}, {"max_duration_ms", "5"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(Parse({{"min_cost", "10"}, {"max_cost", "5"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(Parse({{"session", "a"}, {"session", "b"}}), StatusCode::kInvalidArgument);
  EXPECT_STATUS(Parse({{"q", std::string(1001, 'x')}}), StatusCode::kInvalidArgument);
}

TEST(RunFilterTest, RandomBytesNeverCrash) {
  // Hostile values for every filter key: the parser answers OK or kInvalidArgument, nothing else.
  const char* keys[] = {"since", "from", "to", "updated_since", "agent", "status", "failure_type", "session",
                        "q", "min_duration_ms", "max_duration_ms", "min_cost", "max_cost"};
  std::mt19937 rng(42);
  const std::string alphabet = "0123456789-:.TZz+hmsdw,e \x7f\xff";
  for (int iter = 0; iter < 5000; ++iter) {
    std::string v;
    size_t len = rng() % 40;
    for (size_t i = 0; i < len; ++i) {
      v.push_back(rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]);
    }
    const char* key = keys[rng() % (sizeof(keys) / sizeof(keys[0]))];
    Result<store::RunFilter> r = Parse({{key, v}});
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << key << "=" << v;
    }
  }
}

}  // namespace
}  // namespace tracery::query
