// Model and store values -> the JSON API shapes documented in docs/api.md. Internal to
// tracery::query (and its tests). Times: "*_time" ISO strings plus "*_unix_nano" decimal strings.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/model.h"
#include "query/json_writer.h"
#include "store/store.h"

namespace tracery::query {

using Json = nlohmann::json;

// Serialization that never throws on invalid UTF-8 (replaced by U+FFFD).
std::string Dump(const Json& j);

// ISO time string, or null when ns == 0.
Json TimeOrNull(int64_t ns);
// Decimal string, or null when ns == 0.
Json NanosOrNull(int64_t ns);
// Embedded JSON text (attributes, metadata, bodies): parsed when valid and not absurdly deep,
// otherwise kept as a string. Empty text -> `empty`.
Json EmbeddedJson(std::string_view text, Json empty);

Json TokensJson(const model::TokenUsage& t);
Json FailureJson(const model::Failure& f);
Json RunToJson(const model::Run& run);
// The same document as RunToJson, written directly (the hot path for lists and the live stream).
void WriteRun(JsonWriter& w, const model::Run& run);
Json StepToJson(const store::StoredStep& step, int64_t run_start_ns);
Json AgentToJson(const model::Agent& a);
Json MessageToJson(const model::Message& m);
Json ContentToJson(const model::ContentField& c);

}  // namespace tracery::query
