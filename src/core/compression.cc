#include "core/compression.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace tracery {

Status GunzipCapped(std::string_view input, size_t max_output, std::string* out) {
  out->clear();
  z_stream zs{};
  // 15 + 32: accept gzip and zlib headers automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return InternalError("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  char buf[64 * 1024];
  int ret = Z_OK;
  Status status;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    ret = inflate(&zs, Z_NO_FLUSH);
    if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
      status = InvalidArgumentError(std::string("invalid gzip data: ") + (zs.msg ? zs.msg : "corrupt stream"));
      break;
    }
    size_t produced = sizeof buf - zs.avail_out;
    if (out->size() + produced > max_output) {
      status = ResourceExhaustedError("decompressed body exceeds the limit of " + std::to_string(max_output) +
                                      " bytes");
      break;
    }
    out->append(buf, produced);
    if (ret == Z_STREAM_END) {
      // Concatenated gzip members are legal; continue with the next one.
      if (zs.avail_in > 0) {
        if (inflateReset(&zs) != Z_OK) {
          status = InternalError("inflateReset failed");
          break;
        }
        continue;
      }
      break;
    }
    if (ret == Z_BUF_ERROR || (produced == 0 && zs.avail_in == 0)) {
      status = InvalidArgumentError("invalid gzip data: truncated stream");
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) out->clear();
  return status;
}

std::string GzipCompress(std::string_view input, int level) {
  z_stream zs{};
  deflateInit2(&zs, std::clamp(level, 1, 9), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(input.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());  // callers stay far below 4 GiB
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string ZstdCompress(std::string_view input, int level) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), level);
  if (ZSTD_isError(n)) return std::string();
  out.resize(n);
  return out;
}

Status ZstdDecompress(std::string_view input, size_t max_output, std::string* out) {
  unsigned long long size = ZSTD_getFrameContentSize(input.data(), input.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return DataLossError("corrupt zstd frame");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) return DataLossError("zstd frame without a content size");
  if (size > max_output) return ResourceExhaustedError("zstd content larger than the limit");
  out->resize(static_cast<size_t>(size));
  size_t n = ZSTD_decompress(out->data(), out->size(), input.data(), input.size());
  if (ZSTD_isError(n)) return DataLossError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out->resize(n);
  return OkStatus();
}

}  // namespace tracery
