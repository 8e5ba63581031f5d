// Helpers shared by the normalizer: attribute lookup over one span, AnyValue -> JSON, UTF-8
// repair, flattened-attribute reconstruction and failure-code classification.
// Internal to ingest; not a stable API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/otlp_view.h"

namespace tracery::ingest::internal {

using Json = nlohmann::json;

// Replaces every invalid UTF-8 sequence (overlong forms, surrogates, > U+10FFFF, truncated
// sequences, stray continuation bytes) with U+FFFD. Returns `s` unchanged when already valid.
std::string SanitizeUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);

// Truncates `s` to at most `max_bytes` (never splitting a UTF-8 sequence) and appends
// "…[truncated N bytes]" when it cut anything.
void TruncateUtf8(std::string* s, size_t max_bytes);

std::string Base64Encode(std::string_view bytes);

// AnyValue -> JSON. Strings are UTF-8 repaired, bytes become base64 strings, non-finite
// doubles become null, kvlists become objects (later duplicate keys win).
Json AnyValueToJson(const AnyValueView& v);

// Parses JSON text (UTF-8 repaired first). nullopt when it is not valid JSON.
std::optional<Json> ParseJson(std::string_view text);

// Compact, sorted-key dump; invalid UTF-8 (should not happen after repair) is replaced.
std::string DumpJson(const Json& j);

// Sorted, read-only index of one attribute list. Duplicate keys: the first occurrence wins.
class AttrIndex {
 public:
  explicit AttrIndex(Attributes attrs);

  const AnyValueView* Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key) != nullptr; }
  // String value ("" when absent or not a string).
  std::string_view Str(std::string_view key) const;
  // First non-empty string among `keys`.
  std::string_view FirstStr(std::initializer_list<std::string_view> keys) const;
  // Integer value: int, integral double or a decimal string. nullopt when absent/unparsable.
  std::optional<int64_t> Int(std::string_view key) const;
  std::optional<double> Num(std::string_view key) const;
  std::optional<bool> Bool(std::string_view key) const;
  // Every attribute whose key starts with `prefix`, in key order.
  std::vector<const KeyValueView*> WithPrefix(std::string_view prefix) const;
  const std::vector<const KeyValueView*>& sorted() const { return sorted_; }

 private:
  // Quick rejection of absent keys (most lookups are): bit (len & 63) of len_mask_ and bit
  // ((len * 7 + last byte) & 63) of tail_mask_ are set for every key present.
  bool MaybePresent(std::string_view key) const;

  std::vector<const KeyValueView*> sorted_;
  uint64_t len_mask_ = 0;
  uint64_t tail_mask_ = 0;
};

// Rebuilds the list flattened under `prefix` ("llm.input_messages." -> element 0 from
// "llm.input_messages.0.message.role"...). Only keys whose first segment after the prefix is a
// decimal index take part (so "gen_ai.prompt.name" is not a message). Objects whose keys are
// all indices become arrays ordered by index (gaps closed), so hostile indices cannot make
// huge arrays. Empty when nothing matched.
std::vector<Json> UnflattenList(const AttrIndex& attrs, std::string_view prefix);
// Rebuilds an object from keys under `prefix` ("langfuse.trace.metadata." -> {key: value}).
Json UnflattenObject(const AttrIndex& attrs, std::string_view prefix);

// True for attributes that carry user content (prompts, completions, tool I/O, documents...).
// They never reach Step::attributes_json.
bool IsContentKey(std::string_view key);

// Maps free error text (error.type, exception type, messages; any case) to a failure code, or ""
// when nothing specific is recognized.
std::string_view ClassifyErrorText(std::string_view text);
// 429 -> rate_limit, 408/504 -> timeout, 401/403 -> auth_error, 5xx -> api_error, other 4xx ->
// error; "" below 400.
std::string_view HttpStatusCode(int64_t status);

// LangGraph run metadata as the OpenInference LangChain instrumentation exports it: the
// `metadata` attribute is the run's LangChain metadata as JSON text. LangGraph adds
// `ls_integration: "langgraph"` to the graph's run and the runs below it (chat-model runs
// overwrite it with their own), and `langgraph_node` / `langgraph_checkpoint_ns` to every run
// inside a node; a checkpoint namespace is `node:<task id>` segments joined by `|`, one per graph
// level (sub-graphs add a level).
struct LangGraphMetadata {
  // The run is a graph invocation that is not inside any node of another graph (the root graph,
  // or a graph invoked outside LangGraph): ls_integration is langgraph and there is no
  // langgraph_node.
  bool is_graph = false;
  std::string node;  // langgraph_node ("" when absent)
  // The node of the enclosing graph that runs the sub-graph this run belongs to: the node name of
  // the last-but-one namespace segment ("" at the top level). Numeric segments (LangGraph's
  // counter for several sub-graph calls in one task) are skipped.
  std::string subgraph_host;
};
// Cheap pre-check for the hot path: false when `metadata` cannot be LangGraph's (no
// "langgraph" in it), so ordinary spans are never parsed.
inline bool MaybeLangGraphMetadata(std::string_view metadata) {
  return metadata.size() > 20 && metadata.find("langgraph") != std::string_view::npos;
}
// nullopt when `metadata` is not a JSON object from a LangGraph run (no ls_integration
// "langgraph" and no langgraph_node / langgraph_checkpoint_ns string).
std::optional<LangGraphMetadata> ParseLangGraphMetadata(std::string_view metadata);

// Appends `utf8` (valid UTF-8) as a JSON string literal, byte-identical to DumpJson's output.
void AppendJsonString(std::string_view utf8, std::string* out);

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);

}  // namespace tracery::ingest::internal
