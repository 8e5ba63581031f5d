#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tracery {

// 128-bit content hash (XXH3-128), used to address stored content blobs.
struct Hash128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
  // 32 lower-case hex characters.
  std::string ToHex() const;
  // 16 raw bytes, big-endian (hi then lo).
  std::string ToBytes() const;
  static bool FromHex(std::string_view hex, Hash128* out);
  static bool FromBytes(std::string_view bytes, Hash128* out);
};

Hash128 ContentHash(std::string_view data);
uint64_t Hash64(std::string_view data);

}  // namespace tracery
