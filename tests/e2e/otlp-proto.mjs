// A tiny hand-rolled OTLP protobuf encoder for hostile tests (byte-exact control over the wire:
// truncation, invalid UTF-8, bad ids). Only the fields those tests need.
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const tag = (field, wire) => varint((field << 3) | wire);
export const lenField = (field, buf) => Buffer.concat([tag(field, 2), varint(buf.length), buf]);
const fixed64 = (field, n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return Buffer.concat([tag(field, 1), b]);
};
const str = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

// KeyValue{key=1, value=AnyValue{string_value=1}}
export function kvString(key, value) {
  return Buffer.concat([lenField(1, str(key)), lenField(2, lenField(1, str(value)))]);
}

// Span{trace_id=1, span_id=2, parent_span_id=4, name=5, start=7, end=8, attributes=9}
export function span({ traceId, spanId, parentId, name, startNs, endNs, attributes = [] }) {
  const parts = [
    lenField(1, Buffer.from(traceId, 'hex')), lenField(2, Buffer.from(spanId, 'hex')),
  ];
  if (parentId) parts.push(lenField(4, Buffer.from(parentId, 'hex')));
  parts.push(lenField(5, str(name)), fixed64(7, startNs), fixed64(8, endNs));
  for (const [k, v] of attributes) parts.push(lenField(9, kvString(k, v)));
  return Buffer.concat(parts);
}

// ExportTraceServiceRequest{resource_spans=1{resource=1{attributes=1}, scope_spans=2{spans=2}}}
export function request(spans, serviceName = 'hostile-e2e') {
  const resource = lenField(1, lenField(1, kvString('service.name', serviceName)));
  const scopeSpans = lenField(2, Buffer.concat(spans.map((s) => lenField(2, s))));
  return lenField(1, Buffer.concat([resource, scopeSpans]));
}
