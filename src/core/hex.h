#pragma once

#include <string>
#include <string_view>

namespace tracery {

// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view bytes);
// Decodes case-insensitive hex into raw bytes; false on odd length or a non-hex character.
bool HexDecode(std::string_view hex, std::string* out);
bool IsAllZero(std::string_view bytes);

}  // namespace tracery
