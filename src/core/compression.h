#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tracery {

// Inflates gzip (or zlib/deflate) data. Stops and returns kResourceExhausted as soon as the
// output would exceed max_output bytes (defeats decompression bombs); kInvalidArgument on
// corrupt or truncated input.
Status GunzipCapped(std::string_view input, size_t max_output, std::string* out);
// Gzip-compresses data (used by tests, the CLI client and HTTP responses). level is zlib's:
// 1 (fastest) to 9 (smallest); 6 is zlib's default.
std::string GzipCompress(std::string_view input, int level = 6);

// zstd, for stored content blobs.
std::string ZstdCompress(std::string_view input, int level = 3);
Status ZstdDecompress(std::string_view input, size_t max_output, std::string* out);

}  // namespace tracery
