// OTLP decoders: protobuf (zero-copy, our own) and JSON, for traces and logs.
#pragma once

#include <string>

#include "core/status.h"
#include "ingest/otlp_view.h"

namespace tracery::ingest {

struct DecodeOptions {
  int max_nesting = 64;               // AnyValue array/kvlist depth; deeper -> InvalidArgument
  // Longer strings make the whole request an InvalidArgument. As large as the request cap by
  // default: giant attributes are accepted and truncated later by the normalizer (content parts,
  // attribute values), which keeps a hostile client from turning one big value into a 400 for
  // every span of its batch.
  size_t max_attribute_value = 64 << 20;
};

// Decodes an ExportTraceServiceRequest (or TracesData, same shape). Takes ownership of `body`.
// kInvalidArgument on malformed input (message names what is wrong and the byte offset / JSON
// path). Spans failing validation (trace_id not 16 bytes or all zero, span_id not 8 bytes or all
// zero, parent_span_id not 0 or 8 bytes) are counted in rejected_spans, not returned.
Status DecodeTracesProto(std::string body, TraceBatch* out, const DecodeOptions& opts = {});
Status DecodeTracesJson(std::string body, TraceBatch* out, const DecodeOptions& opts = {});
Status DecodeLogsProto(std::string body, LogBatch* out, const DecodeOptions& opts = {});
Status DecodeLogsJson(std::string body, LogBatch* out, const DecodeOptions& opts = {});

// Response bodies.
// ExportTraceServiceResponse / ExportLogsServiceResponse: partial_success unset when rejected == 0
// and message is empty.
std::string EncodeExportResponseProto(int64_t rejected, std::string_view message);
std::string EncodeExportResponseJson(int64_t rejected, std::string_view message, bool logs);
// google.rpc.Status {code, message}.
std::string EncodeRpcStatusProto(int32_t grpc_code, std::string_view message);
std::string EncodeRpcStatusJson(int32_t grpc_code, std::string_view message);

}  // namespace tracery::ingest
