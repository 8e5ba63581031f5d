"""Unit tests: OTLP/JSON encoding, Retry-After parsing, privacy filter, span shape."""
import json
import unittest

import tracery_sdk
from tracery_sdk import _export, _privacy


class EncodingTest(unittest.TestCase):
    def test_any_values(self):
        self.assertEqual(_export.encode_value(True), {"boolValue": True})
        self.assertEqual(_export.encode_value(42), {"intValue": "42"})
        self.assertEqual(_export.encode_value(-(1 << 63)), {"intValue": str(-(1 << 63))})
        self.assertEqual(_export.encode_value(1 << 64), {"stringValue": str(1 << 64)})  # beyond int64
        self.assertEqual(_export.encode_value(1.5), {"doubleValue": 1.5})
        self.assertEqual(_export.encode_value(float("nan")), {"doubleValue": "NaN"})
        self.assertEqual(_export.encode_value(float("-inf")), {"doubleValue": "-Infinity"})
        self.assertEqual(_export.encode_value("x"), {"stringValue": "x"})
        self.assertEqual(_export.encode_value(b"\x00\xff"), {"bytesValue": "AP8="})
        self.assertEqual(_export.encode_value(["a", 1]),
                         {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}})
        self.assertEqual(_export.encode_value({"k": "v"}),
                         {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}})

    def test_request_shape(self):
        span = {"trace_id": "ab" * 16, "span_id": "cd" * 8, "parent_id": None, "name": "root",
                "start_ns": 1700000000000000000, "end_ns": 1700000000000000001,
                "attributes": {"tracery.step.type": "agent", "n": 3}, "status_code": 2,
                "status_message": "bad", "events": [{"time_ns": 5, "name": "exception",
                                                     "attributes": {"exception.type": "E"}}]}
        child = dict(span, span_id="ef" * 8, parent_id="cd" * 8, status_code=0, events=[])
        req = _export.encode_request([span, child], {"service.name": "svc"})
        text = json.dumps(req)
        self.assertIn('"startTimeUnixNano": "1700000000000000000"', text)  # int64 as string
        rs = req["resourceSpans"][0]
        self.assertEqual(rs["resource"]["attributes"], [{"key": "service.name", "value": {"stringValue": "svc"}}])
        spans = rs["scopeSpans"][0]["spans"]
        self.assertEqual(rs["scopeSpans"][0]["scope"]["name"], "tracery_sdk")
        self.assertEqual(spans[0]["traceId"], "ab" * 16)
        self.assertNotIn("parentSpanId", spans[0])  # root
        self.assertEqual(spans[1]["parentSpanId"], "cd" * 8)
        self.assertEqual(spans[0]["status"], {"code": 2, "message": "bad"})
        self.assertNotIn("status", spans[1])  # unset status omitted
        self.assertEqual(spans[0]["events"][0]["timeUnixNano"], "5")
        self.assertIn({"key": "n", "value": {"intValue": "3"}}, spans[0]["attributes"])
        self.assertEqual(spans[0]["kind"], 1)

    def test_retry_after(self):
        self.assertEqual(_export.parse_retry_after("3"), 3.0)
        self.assertEqual(_export.parse_retry_after("-4"), 0.0)
        self.assertIsNone(_export.parse_retry_after(None))
        self.assertIsNone(_export.parse_retry_after("soon"))
        self.assertEqual(_export.parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0), 10.0)
        self.assertEqual(_export.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0), 0.0)


class PrivacyTest(unittest.TestCase):
    def test_full_masks_secrets_only(self):
        out = _privacy.redact("key sk-abcdefghijklmnopqrstuvwx and Bearer abcdefghijklmnop1234 mail a@b.com",
                              "full")
        self.assertIn("[REDACTED:api_key]", out)
        self.assertIn("Bearer [REDACTED:bearer_token]", out)
        self.assertNotIn("sk-abcdef", out)
        self.assertIn("a@b.com", out)

    def test_mask_masks_pii(self):
        out = _privacy.redact("mail bob@example.com card 4111 1111 1111 1111 call +1 415 555 0100", "mask")
        self.assertIn("[REDACTED:email]", out)
        self.assertIn("[REDACTED:card]", out)
        self.assertIn("[REDACTED:phone]", out)
        self.assertNotIn("bob@example.com", out)
        # Not Luhn-valid: kept.
        self.assertIn("4111 1111 1111 1112", _privacy.redact("4111 1111 1111 1112", "mask"))

    def test_metadata_only_drops_content(self):
        attrs = {"gen_ai.input.messages": "[]", "input.value": "hi", "tool": "x", "tags": ["bob@example.com"]}
        out = _privacy.filter_attributes(attrs, "metadata-only")
        self.assertEqual(set(out), {"tool", "tags"})
        self.assertEqual(out["tags"], ["[REDACTED:email]"])

    def test_unknown_mode_rejected(self):
        with self.assertRaises(ValueError):
            tracery_sdk.Tracer("a", "1", privacy="none", endpoint="http://127.0.0.1:9")


class SpanShapeTest(unittest.TestCase):
    """Checks the spans handed to the exporter without any network."""

    def setUp(self):
        self.tracer = tracery_sdk.Tracer("agent-x", "2.0", environment="staging", endpoint="http://127.0.0.1:9",
                                         max_retries=0, export_timeout=0.5)
        self.spans = []
        self.tracer._exporter.enqueue = self.spans.append

    def tearDown(self):
        self.tracer.shutdown(timeout=1)

    def test_nesting_and_attributes(self):
        with self.tracer.start_run(name="r", session_id="s1") as run:
            with run.step("llm", "plan") as s:
                s.set_model("gpt-4o", provider="openai").set_tokens(input=10, output=5)
                with run.step("tool", "inner") as inner:  # nests under the active step
                    pass
                with s.step("retrieval", "kb"):
                    pass
        by_name = {sp["name"]: sp for sp in self.spans}
        self.assertEqual([sp["name"] for sp in self.spans], ["inner", "kb", "plan", "r"])
        root = by_name["r"]
        self.assertIsNone(root["parent_id"])
        self.assertEqual(by_name["plan"]["parent_id"], root["span_id"])
        self.assertEqual(by_name["inner"]["parent_id"], by_name["plan"]["span_id"])
        self.assertEqual(by_name["kb"]["parent_id"], by_name["plan"]["span_id"])
        self.assertEqual(inner.trace_id, run.run_id)
        self.assertEqual(root["attributes"]["tracery.agent.id"], "agent-x")
        self.assertEqual(root["attributes"]["session.id"], "s1")
        self.assertEqual(by_name["plan"]["attributes"]["gen_ai.usage.input_tokens"], 10)
        self.assertIsNone(tracery_sdk.current_step())

    def test_decorator(self):
        @self.tracer.step("tool", "lookup")
        def lookup(x):
            return x * 2

        @self.tracer.step("llm")
        async def think():
            return lookup(1)

        import asyncio
        self.assertEqual(lookup(2), 4)  # outside a run: untraced
        self.assertEqual(self.spans, [])
        with self.tracer.start_run(name="r"):
            self.assertEqual(asyncio.run(think()), 2)
        names = {sp["name"]: sp for sp in self.spans}
        self.assertEqual([sp["name"] for sp in self.spans], ["lookup", "think", "r"])
        self.assertEqual(names["lookup"]["parent_id"], names["think"]["span_id"])
        self.assertEqual(names["think"]["parent_id"], names["r"]["span_id"])
        self.assertEqual(names["think"]["attributes"]["tracery.step.type"], "llm")

    def test_unknown_step_type_becomes_other(self):
        with self.tracer.start_run(name="r") as run:
            with self.assertLogs("tracery_sdk", "WARNING") as logs:
                with run.step("banana", "x"):
                    pass
        self.assertIn("step_type: unknown 'banana'", logs.output[0])
        self.assertEqual(self.spans[0]["attributes"]["tracery.step.type"], "other")

    def test_hostile_values_never_raise(self):
        class Evil:
            def __str__(self):
                raise RuntimeError("no str")
            __repr__ = __str__

        with self.tracer.start_run(name="r") as run:
            with run.step("tool", "t") as s:
                s.set(evil=Evil(), nested={"a": [1, {"b": Evil()}]}, surrogate="\udc80x", big=1 << 80,
                      none=None, mixed=[1, "a", None])
        attrs = self.spans[0]["attributes"]
        self.assertEqual(attrs["evil"], "<unprintable Evil>")
        self.assertEqual(attrs["big"], 1 << 80)
        self.assertNotIn("none", attrs)
        self.assertEqual(json.loads(attrs["mixed"]), [1, "a", None])  # not a homogeneous scalar list
        # The whole batch still encodes (surrogates escaped, big int as string).
        body = json.dumps(_export.encode_request(self.spans, {}), ensure_ascii=False)
        body.encode("utf-8")  # would raise on a lone surrogate
        self.assertIn('"stringValue": "1208925819614629174706176"', body)
        self.assertIn('"stringValue": "\ufffdx"', body)

    def test_retry_links(self):
        calls = []

        def flaky():
            calls.append(1)
            if len(calls) < 3:
                raise TimeoutError("slow")
            return "ok"

        with self.tracer.start_run(name="r") as run:
            self.assertEqual(run.retry(flaky, attempts=3, name="api"), "ok")
        steps = [sp for sp in self.spans if sp["name"] == "api"]
        self.assertEqual([sp["attributes"]["tracery.step.attempt"] for sp in steps], [1, 2, 3])
        self.assertEqual([sp["attributes"]["tracery.step.max_attempts"] for sp in steps], [3, 3, 3])
        self.assertNotIn("tracery.step.retry_of", steps[0]["attributes"])
        self.assertEqual(steps[1]["attributes"]["tracery.step.retry_of"], steps[0]["span_id"])
        self.assertEqual(steps[2]["attributes"]["tracery.step.retry_of"], steps[1]["span_id"])
        self.assertEqual([sp["status_code"] for sp in steps], [2, 2, 1])

    def test_retry_exhausted_reraises(self):
        def bad():
            raise KeyError("nope")
        with self.assertRaises(KeyError):
            with self.tracer.start_run(name="r") as run:
                run.retry(bad, attempts=2, name="api")
        self.assertEqual(len([sp for sp in self.spans if sp["name"] == "api"]), 2)
        root = self.spans[-1]
        self.assertEqual(root["attributes"]["tracery.failure.code"], "uncaught_exception")


if __name__ == "__main__":
    unittest.main()
