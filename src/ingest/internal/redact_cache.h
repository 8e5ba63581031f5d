// Process-wide memory of content already found clean, so that the messages a conversation
// re-sends on every LLM call are validated and scanned for secrets/PII only the first time.
// Internal to ingest; not a stable API.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "ingest/privacy.h"

namespace tracery::ingest::internal {

// What "clean" was established for; the same bytes may be clean as one and not the other.
enum class CleanKind : uint8_t {
  kJsonPart = 1,  // a valid JSON value (valid UTF-8) that redaction leaves unchanged
};

// Thread-safe, bounded set of (bytes, privacy mode, kind) keys. Keys are XXH3-128 of the bytes
// with a per-process random seed (so collisions cannot be precomputed by a sender) mixed with
// mode and kind. Only content that needed no change may be inserted: a hit means "use the bytes
// as they are". Memory is bounded: `capacity` slots of 16 bytes, split into shards; a shard that
// gets half full is cleared (coarse eviction, cheap, keeps probes short).
class CleanContentCache {
 public:
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t inserts = 0;
    uint64_t evictions = 0;  // shards cleared
  };

  explicit CleanContentCache(size_t capacity = size_t{1} << 20);
  CleanContentCache(const CleanContentCache&) = delete;
  CleanContentCache& operator=(const CleanContentCache&) = delete;

  // The instance the normalizer uses.
  static CleanContentCache& Global();

  bool Contains(std::string_view bytes, PrivacyMode mode, CleanKind kind);
  void Insert(std::string_view bytes, PrivacyMode mode, CleanKind kind);
  void Clear();
  Stats stats() const;

 private:
  struct Key {
    uint64_t hi = 0;
    uint64_t lo = 0;
  };
  struct Shard {
    std::mutex mu;
    std::vector<Key> slots;  // open addressing; {0,0} is empty; allocated on first insert
    size_t used = 0;
  };
  static constexpr size_t kShards = 64;

  Key MakeKey(std::string_view bytes, PrivacyMode mode, CleanKind kind) const;

  const uint64_t seed_;
  size_t slots_per_shard_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, inserts_{0}, evictions_{0};
};

}  // namespace tracery::ingest::internal
