// libFuzzer target: DecodeLogsProto on arbitrary bytes. Must never crash, leak or break the batch
// invariants (fuzz_common.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_common.h"
#include "ingest/otlp_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tracery::ingest::LogBatch batch;
  tracery::Status st = tracery::ingest::DecodeLogsProto(std::string(reinterpret_cast<const char*>(data), size), &batch);
  if (st.ok()) tracery::fuzz::CheckBatch(batch);
  return 0;
}
