"""OTLP/HTTP JSON encoding and the background exporter.

The exporter never raises into the agent: enqueueing is non-blocking (a full queue drops the span
and counts it), and export runs on a daemon thread with batching, gzip, a timeout on every HTTP
call and exponential backoff that honours Retry-After on 429/502/503/504.
"""
import base64
import email.utils
import gzip
import json
import logging
import math
import queue
import random
import re
import threading
import time
import urllib.error
import urllib.request

from . import __version__

_log = logging.getLogger("tracery_sdk")

_SURROGATE = re.compile("[\ud800-\udfff]")
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


def _utf8(text):
    # Lone surrogates (e.g. from os.fsdecode or bad decoding) cannot be sent as UTF-8 JSON.
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def encode_value(value):
    """Python value -> OTLP/JSON AnyValue (int64 as decimal strings)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        if -(1 << 63) <= value < (1 << 63):
            return {"intValue": str(value)}
        return {"stringValue": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"doubleValue": "NaN"}
        if math.isinf(value):
            return {"doubleValue": "Infinity" if value > 0 else "-Infinity"}
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": _utf8(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [encode_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": str(k), "value": encode_value(v)} for k, v in value.items()]}}
    if value is None:
        return {}
    return {"stringValue": str(value)}


def encode_attributes(attrs):
    return [{"key": _utf8(str(k)), "value": encode_value(v)} for k, v in attrs.items()]


def encode_span(span):
    """span: the dict built by Step._finish (ids as hex strings, times in ns)."""
    out = {
        "traceId": span["trace_id"],
        "spanId": span["span_id"],
        "name": _utf8(str(span["name"])),
        "kind": span.get("kind", 1),
        "startTimeUnixNano": str(span["start_ns"]),
        "endTimeUnixNano": str(span["end_ns"]),
        "attributes": encode_attributes(span["attributes"]),
    }
    if span.get("parent_id"):
        out["parentSpanId"] = span["parent_id"]
    if span.get("events"):
        out["events"] = [{"timeUnixNano": str(e["time_ns"]), "name": _utf8(str(e["name"])),
                          "attributes": encode_attributes(e["attributes"])} for e in span["events"]]
    code = span.get("status_code", 0)
    if code:
        status = {"code": code}
        if span.get("status_message"):
            status["message"] = _utf8(span["status_message"])
        out["status"] = status
    return out


def encode_request(spans, resource_attrs):
    """A list of span dicts -> ExportTraceServiceRequest as a JSON-ready dict."""
    return {"resourceSpans": [{
        "resource": {"attributes": encode_attributes(resource_attrs)},
        "scopeSpans": [{
            "scope": {"name": "tracery_sdk", "version": __version__},
            "spans": [encode_span(s) for s in spans],
        }],
    }]}


def parse_retry_after(header, now=None):
    """Retry-After (delay-seconds or HTTP-date) -> seconds >= 0, or None when absent/invalid."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(int(header)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class _Flush:
    __slots__ = ("done",)

    def __init__(self):
        self.done = threading.Event()


class Exporter:
    """Bounded queue + daemon thread posting OTLP/JSON batches to {endpoint}/v1/traces."""

    def __init__(self, endpoint, resource_attrs, api_key=None, max_queue_size=2048, max_batch_size=512,
                 schedule_delay=1.0, export_timeout=10.0, max_retries=5, backoff_base=0.5, backoff_max=30.0,
                 headers=None, transform=None):
        self.url = endpoint.rstrip("/") + "/v1/traces"
        self._resource_attrs = dict(resource_attrs)
        self._headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                         "User-Agent": "tracery-sdk-python/" + __version__}
        if api_key:
            self._headers["Authorization"] = "Bearer " + api_key
        if headers:
            self._headers.update(headers)
        self._transform = transform  # applied to each span on the export thread (privacy filter)
        self._max_batch = max(1, int(max_batch_size))
        self._delay = float(schedule_delay)
        self._timeout = float(export_timeout)
        self._max_retries = max(0, int(max_retries))
        self._backoff_base = float(backoff_base)
        self._backoff_max = float(backoff_max)
        self._queue = queue.Queue(maxsize=max(1, int(max_queue_size)))
        self._stop = threading.Event()
        # Waits between retries go through this so shutdown interrupts them; tests may replace it.
        self._sleep = self._stop.wait
        self._lock = threading.Lock()
        self._stats = {"spans_enqueued": 0, "spans_exported": 0, "spans_dropped_queue_full": 0,
                       "spans_dropped_export": 0, "batches_sent": 0, "export_attempts": 0, "retries": 0,
                       "last_error": ""}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="tracery-exporter", daemon=True)
        self._thread.start()

    # -- agent thread ------------------------------------------------------------------------
    def enqueue(self, span):
        if self._closed:
            self._count("spans_dropped_queue_full")
            return
        try:
            self._queue.put_nowait(span)
            self._count("spans_enqueued")
        except queue.Full:
            self._count("spans_dropped_queue_full")

    def flush(self, timeout=None):
        """Waits until everything enqueued before the call was exported (or dropped). True if done."""
        if not self._thread.is_alive():
            return self._queue.empty()
        marker = _Flush()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                self._queue.put(marker, timeout=0.05)
                break
            except queue.Full:
                if deadline is not None and time.monotonic() >= deadline:
                    return False
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return marker.done.wait(remaining)

    def shutdown(self, timeout=5.0):
        if self._closed:
            return True
        ok = self.flush(timeout)
        self._closed = True
        self._stop.set()
        self._thread.join(timeout=1.0)
        return ok

    def stats(self):
        with self._lock:
            out = dict(self._stats)
        out["spans_dropped"] = out["spans_dropped_queue_full"] + out["spans_dropped_export"]
        out["queue_size"] = self._queue.qsize()
        return out

    def _count(self, key, n=1):
        with self._lock:
            self._stats[key] += n

    # -- export thread -----------------------------------------------------------------------
    def _run(self):
        while not self._stop.is_set():
            batch, markers = self._collect()
            if batch:
                self._export(batch)
            for m in markers:
                m.done.set()
        # Drain whatever is left without network waits (shutdown already flushed).
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Flush):
                item.done.set()
            else:
                self._count("spans_dropped_export")

    def _collect(self):
        batch, markers = [], []
        deadline = time.monotonic() + self._delay
        while len(batch) < self._max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                if self._stop.is_set():
                    break
                continue
            if isinstance(item, _Flush):
                markers.append(item)
                # A flush exports now; anything queued behind the marker can wait.
                break
            batch.append(item)
        return batch, markers

    def _export(self, batch):
        try:
            if self._transform is not None:
                batch = [self._transform(s) for s in batch]
            body = gzip.compress(json.dumps(encode_request(batch, self._resource_attrs), ensure_ascii=False,
                                            separators=(",", ":")).encode("utf-8"))
        except Exception as e:  # never let a bad attribute kill the thread
            self._fail(batch, "encode: %s" % e)
            return
        attempt = 0
        while True:
            self._count("export_attempts")
            retry_after = None
            try:
                req = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
                with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                    resp.read(1 << 20)
                self._count("spans_exported", len(batch))
                self._count("batches_sent")
                return
            except urllib.error.HTTPError as e:
                status = e.code
                retry_after = parse_retry_after(e.headers.get("Retry-After") if e.headers else None)
                try:
                    detail = e.read(512).decode("utf-8", "replace")
                except Exception:
                    detail = ""
                error = "http %d from %s: %s" % (status, self.url, detail)
                retryable = status in RETRYABLE_STATUS
            except Exception as e:  # connection refused, timeout, reset, DNS ...
                error = "post %s: %s" % (self.url, e)
                retryable = True
            if not retryable or attempt >= self._max_retries or self._stop.is_set():
                self._fail(batch, error)
                return
            delay = min(self._backoff_max, self._backoff_base * (2 ** attempt))
            delay *= 0.5 + random.random() / 2  # jitter
            if retry_after is not None:
                delay = min(max(delay, retry_after), self._backoff_max)
            attempt += 1
            self._count("retries")
            self._sleep(delay)

    def _fail(self, batch, error):
        self._count("spans_dropped_export", len(batch))
        with self._lock:
            self._stats["last_error"] = error
        _log.warning("tracery_sdk: dropped %d spans: %s", len(batch), error)
