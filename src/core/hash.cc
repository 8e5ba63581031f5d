#include "core/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/hex.h"

namespace tracery {

std::string Hash128::ToBytes() const {
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(hi >> (56 - 8 * i));
    out[8 + i] = static_cast<char>(lo >> (56 - 8 * i));
  }
  return out;
}

std::string Hash128::ToHex() const { return HexEncode(ToBytes()); }

bool Hash128::FromBytes(std::string_view bytes, Hash128* out) {
  if (bytes.size() != 16) return false;
  out->hi = out->lo = 0;
  for (int i = 0; i < 8; ++i) {
    out->hi = (out->hi << 8) | static_cast<unsigned char>(bytes[i]);
    out->lo = (out->lo << 8) | static_cast<unsigned char>(bytes[8 + i]);
  }
  return true;
}

bool Hash128::FromHex(std::string_view hex, Hash128* out) {
  std::string bytes;
  if (hex.size() != 32 || !HexDecode(hex, &bytes)) return false;
  return FromBytes(bytes, out);
}

Hash128 ContentHash(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Hash128{h.high64, h.low64};
}

uint64_t Hash64(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

}  // namespace tracery
