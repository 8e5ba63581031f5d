"""Exporter behaviour: server down, 429/503 with Retry-After, non-retryable errors, full queue."""
import gzip
import http.server
import json
import threading
import unittest

import tracery_sdk


class _FakeCollector:
    """Answers POST /v1/traces with the scripted statuses, then 200; records every body."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append((self.path, dict(self.headers), body))
                status, headers = outer.script.pop(0) if outer.script else (200, {})
                payload = b"{}" if status == 200 else b'{"message":"busy"}'
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _one_run(tracer):
    with tracer.start_run(name="r") as run:
        with run.step("tool", "t"):
            pass


class ExporterTest(unittest.TestCase):
    def make_tracer(self, endpoint, **kw):
        kw.setdefault("schedule_delay", 0.05)
        t = tracery_sdk.Tracer("a", "1", endpoint=endpoint, **kw)
        self.addCleanup(t.shutdown, 2)
        return t

    def recorded_sleeps(self, tracer):
        sleeps = []
        tracer._exporter._sleep = lambda d: sleeps.append(d)  # no real waiting in tests
        return sleeps

    def test_server_down_drops_without_raising(self):
        fake = _FakeCollector([])
        url = fake.url
        fake.close()  # nothing listens on this port any more
        t = self.make_tracer(url, max_retries=2, export_timeout=1)
        sleeps = self.recorded_sleeps(t)
        with self.assertLogs("tracery_sdk", "WARNING") as logs:
            _one_run(t)  # must not raise
            self.assertTrue(t.flush(10))
        self.assertIn("dropped 2 spans", logs.output[0])
        st = t.stats()
        self.assertEqual(st["spans_enqueued"], 2)
        self.assertEqual(st["spans_dropped_export"], 2)
        self.assertEqual(st["spans_dropped"], 2)
        self.assertEqual(st["spans_exported"], 0)
        self.assertEqual(st["retries"], 2)
        self.assertEqual(len(sleeps), 2)
        self.assertIn("post " + url, st["last_error"])

    def test_503_retry_after_is_honoured(self):
        fake = _FakeCollector([(503, {"Retry-After": "7"}), (429, {"Retry-After": "2"})])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url, backoff_base=0.01, backoff_max=30, api_key="k-123")
        sleeps = self.recorded_sleeps(t)
        _one_run(t)
        self.assertTrue(t.flush(10))
        st = t.stats()
        self.assertEqual(st["spans_exported"], 2, st)
        self.assertEqual(st["spans_dropped"], 0)
        self.assertEqual(st["retries"], 2)
        self.assertEqual(sleeps, [7.0, 2.0])  # the server's delays, not the 0.01 s backoff
        self.assertEqual(len(fake.requests), 3)
        path, headers, body = fake.requests[-1]
        self.assertEqual(path, "/v1/traces")
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertEqual(headers["Authorization"], "Bearer k-123")
        req = json.loads(gzip.decompress(body))
        spans = req["resourceSpans"][0]["scopeSpans"][0]["spans"]
        self.assertEqual(sorted(s["name"] for s in spans), ["r", "t"])
        self.assertEqual(fake.requests[0][2], body)  # the same batch was re-sent

    def test_retry_after_capped_by_backoff_max(self):
        fake = _FakeCollector([(503, {"Retry-After": "100000"})])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url, backoff_max=3)
        sleeps = self.recorded_sleeps(t)
        _one_run(t)
        self.assertTrue(t.flush(10))
        self.assertEqual(sleeps, [3.0])
        self.assertEqual(t.stats()["spans_exported"], 2)

    def test_400_is_not_retried(self):
        fake = _FakeCollector([(400, {})])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url)
        sleeps = self.recorded_sleeps(t)
        with self.assertLogs("tracery_sdk", "WARNING"):
            _one_run(t)
            self.assertTrue(t.flush(10))
        st = t.stats()
        self.assertEqual((st["retries"], st["spans_dropped_export"], len(fake.requests)), (0, 2, 1))
        self.assertEqual(sleeps, [])
        self.assertIn("http 400", st["last_error"])

    def test_full_queue_counts_drops(self):
        fake = _FakeCollector([])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url, max_queue_size=3, max_batch_size=1)
        block = threading.Event()
        # Hold the export thread so the queue fills up.
        t._exporter._export = lambda batch, orig=t._exporter._export: (block.wait(10), orig(batch))
        for _ in range(5):
            _one_run(t)  # 10 spans into a queue of 3 (+ at most one 1-span batch held in flight)
        st = t.stats()
        self.assertEqual(st["spans_enqueued"] + st["spans_dropped_queue_full"], 10)
        self.assertGreaterEqual(st["spans_dropped_queue_full"], 6)
        block.set()
        self.assertTrue(t.flush(10))
        self.assertEqual(t.stats()["spans_exported"], st["spans_enqueued"])

    def test_batching(self):
        fake = _FakeCollector([])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url, max_batch_size=3, schedule_delay=5)
        for _ in range(3):
            _one_run(t)  # 6 spans
        self.assertTrue(t.flush(10))
        sizes = [len(json.loads(gzip.decompress(b))["resourceSpans"][0]["scopeSpans"][0]["spans"])
                 for _, _, b in fake.requests]
        self.assertEqual(sum(sizes), 6)
        self.assertLessEqual(max(sizes), 3)

    def test_shutdown_is_idempotent_and_later_spans_are_counted(self):
        fake = _FakeCollector([])
        self.addCleanup(fake.close)
        t = self.make_tracer(fake.url)
        _one_run(t)
        self.assertTrue(t.shutdown(5))
        self.assertTrue(t.shutdown(5))
        _one_run(t)  # after shutdown: no exception, counted as dropped
        st = t.stats()
        self.assertEqual(st["spans_exported"], 2)
        self.assertEqual(st["spans_dropped"], 2)


if __name__ == "__main__":
    unittest.main()
