// Compact encodings used inside the SQLite store: the per-step content manifest, run hints,
// string lists and keyset cursors. Decoders treat their input as untrusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "model/model.h"

namespace tracery::store::internal {

// A step's content fields without the bytes: each part is a reference to a content blob.
struct ManifestPart {
  Hash128 hash;
  uint64_t size = 0;  // raw bytes of the part
};
struct ManifestField {
  std::string name;
  bool is_list = false;
  std::string mime;
  std::vector<ManifestPart> parts;
};

// Binary layout: 'M' 1, varint field count, then per field: varint name length, name, flags
// byte (bit 0: is_list), varint mime length, mime, varint part count, parts (16-byte hash,
// varint size).
std::string EncodeManifest(const std::vector<ManifestField>& fields);
// kDataLoss on any malformed or truncated input.
Status DecodeManifest(std::string_view data, std::vector<ManifestField>* fields);

// RunHints as a JSON object; "" when no hint is set.
std::string HintsToJson(const model::RunHints& hints);
Status HintsFromJson(std::string_view json, model::RunHints* hints);

// A JSON array of strings.
std::string StringListToJson(const std::vector<std::string>& list);
std::vector<std::string> StringListFromJson(std::string_view json);

// Keyset cursor for run lists: the sort it was issued for, the last row's sort key and its
// encoded run id (see EncodeId). Serialized as lower-case hex.
struct RunCursor {
  int sort = 0;
  int64_t key_int = 0;  // for integer keys
  double key_real = 0;  // for the cost key
  std::string run_key;  // EncodeId(run_id)
};
std::string EncodeRunCursor(const RunCursor& cursor);
// kInvalidArgument when malformed.
Status DecodeRunCursor(std::string_view text, RunCursor* cursor);

// Keyset cursor for session lists: first_start_ns and session_id.
std::string EncodeSessionCursor(int64_t first_start_ns, std::string_view session_id);
Status DecodeSessionCursor(std::string_view text, int64_t* first_start_ns, std::string* session_id);

}  // namespace tracery::store::internal
