"""End-to-end tests against the real `tracery serve` (TRACERY_BIN), asserting through /api/runs."""
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import tracery_sdk

TRACERY_BIN = os.environ.get("TRACERY_BIN")


class _Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tracery-pysdk-")
        self.stderr_path = os.path.join(self.dir, "stderr.txt")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([TRACERY_BIN, "serve", "--data-dir", os.path.join(self.dir, "data"),
                                      "--http", "127.0.0.1:0", "--grpc", "off"],
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + 30
        while True:
            with open(self.stderr_path, "rb") as f:
                m = re.search(rb"tracery serving http=([0-9.]+:\d+)", f.read())
            if m:
                self.base = "http://" + m.group(1).decode()
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("tracery serve did not start: " + open(self.stderr_path).read())
            time.sleep(0.05)

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return json.loads(r.read())

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(TRACERY_BIN, "TRACERY_BIN is not set")
class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = _Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def tracer(self, **kw):
        kw.setdefault("environment", "staging")
        t = tracery_sdk.Tracer(kw.pop("agent_id", "support-bot"), kw.pop("agent_version", "1.4.2"),
                               endpoint=self.server.base, schedule_delay=0.05, **kw)
        self.addCleanup(t.shutdown, 5)
        return t

    def run_detail(self, tracer, run_id):
        self.assertTrue(tracer.flush(10))
        self.assertEqual(tracer.stats()["spans_dropped"], 0, tracer.stats())
        deadline = time.monotonic() + 10
        while True:  # ingestion is asynchronous on the server side
            try:
                detail = self.server.get("/api/runs/" + run_id)
                if detail["total_steps"] >= 1 and detail["run"]["status"] not in ("", "running"):
                    return detail
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise
            if time.monotonic() > deadline:
                self.fail("run %s never appeared" % run_id)
            time.sleep(0.05)

    def test_successful_run(self):
        t = self.tracer()
        with t.start_run(name="refund", session_id="sess-1", user_id="u-9", tags=["vip"]) as run:
            with run.step("plan", "decide") as s:
                s.set(intent="refund", confidence=0.9)
            with run.step("llm", "chat gpt-4o") as s:
                s.set_model("gpt-4o", provider="openai").set_tokens(input=120, output=30)
                s.set_input([{"role": "user", "content": "refund please"}])
            with run.step("tool", "billing_api") as s:
                with s.step("retrieval", "kb_lookup"):
                    pass
            with run.step("respond", "answer"):
                pass
        d = self.run_detail(t, run.run_id)
        r = d["run"]
        self.assertEqual((r["agent_id"], r["agent_version"], r["environment"]), ("support-bot", "1.4.2", "staging"))
        self.assertEqual((r["session_id"], r["user_id"], r["name"]), ("sess-1", "u-9", "refund"))
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["tags"], ["vip"])
        self.assertEqual(r["tokens"]["input"], 120)
        self.assertEqual(r["tokens"]["output"], 30)
        self.assertEqual(r["models"], ["gpt-4o"])
        steps = d["steps"]
        self.assertEqual([(s["type"], s["name"]) for s in steps],
                         [("agent", "refund"), ("plan", "decide"), ("llm", "chat gpt-4o"), ("tool", "billing_api"),
                          ("retrieval", "kb_lookup"), ("respond", "answer")])
        by_name = {s["name"]: s for s in steps}
        self.assertEqual(by_name["kb_lookup"]["parent_id"], by_name["billing_api"]["step_id"])
        self.assertEqual(by_name["decide"]["attributes"]["intent"], "refund")
        self.assertEqual(by_name["chat gpt-4o"]["provider"], "openai")
        self.assertGreaterEqual(len(self.server.get("/api/runs")["runs"]), 1)

    def test_record_failure(self):
        t = self.tracer()
        with t.start_run(name="lookup") as run:
            with run.step("retrieval", "kb") as s:
                run.record_failure("retrieval", "no_results", "kb returned nothing", step=s)
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "failed")
        self.assertEqual(d["run"]["failure"]["type"], "retrieval")
        self.assertEqual(d["run"]["failure"]["code"], "no_results")
        self.assertEqual(d["run"]["failure"]["message"], "kb returned nothing")
        self.assertEqual(d["run"]["failure"]["step_id"], s.span_id)

    def test_step_failure_stays_the_run_failure_when_the_agent_carries_on(self):
        t = self.tracer()
        with t.start_run(name="carry-on") as run:
            with run.step("retrieval", "kb") as s:
                run.record_failure("retrieval", "no_results", "kb returned nothing", step=s)
            with run.step("respond", "apologise"):
                pass
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "failed")
        self.assertEqual((d["run"]["failure"]["type"], d["run"]["failure"]["code"]), ("retrieval", "no_results"))
        self.assertEqual(d["run"]["failure"]["message"], "kb returned nothing")

    def test_record_failure_after_step_ended(self):
        t = self.tracer()
        with t.start_run(name="late") as run:
            with run.step("tool", "search") as s:
                pass
            run.record_failure("tool", "bad_output", "empty answer", step=s)  # s already exported
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "failed")
        self.assertEqual((d["run"]["failure"]["type"], d["run"]["failure"]["code"]), ("tool", "bad_output"))
        self.assertIn("search", d["run"]["failure"]["message"])

    def test_retry_then_success_is_partial(self):
        t = self.tracer()
        calls = []

        def billing():
            calls.append(1)
            if len(calls) < 3:
                raise TimeoutError("billing api timed out")
            return 42

        with t.start_run(name="retrying") as run:
            self.assertEqual(run.retry(billing, attempts=3, step_type="tool", name="billing_api"), 42)
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "partial")
        self.assertEqual(d["run"]["retry_count"], 2)
        tools = [s for s in d["steps"] if s["type"] == "tool"]
        self.assertEqual([s["attempt"] for s in tools], [1, 2, 3])
        self.assertEqual(tools[1]["retry_of"], tools[0]["step_id"])
        self.assertEqual(tools[2]["retry_of"], tools[1]["step_id"])
        self.assertEqual(d["run"]["failure"]["code"], "timeout")
        self.assertTrue(d["run"]["failure"]["recovered"])

    def test_retry_budget_exhausted_is_max_retries_exceeded(self):
        t = self.tracer()

        def gateway():
            raise ConnectionError("payment gateway reset the connection")

        with self.assertRaises(ConnectionError):
            with t.start_run(name="exhausted") as run:
                run.retry(gateway, attempts=3, step_type="tool", name="charge_card", retry_on=(ConnectionError,))
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "failed")
        tools = [s for s in d["steps"] if s["type"] == "tool"]
        self.assertEqual([s["attempt"] for s in tools], [1, 2, 3])
        f = d["run"]["failure"]
        self.assertEqual((f["type"], f["code"]), ("tool", "max_retries_exceeded"))
        self.assertEqual(f["step_id"], tools[2]["step_id"])
        self.assertIn("after 3 attempts", f["message"])

    def test_uncaught_exception(self):
        t = self.tracer()
        with self.assertRaises(RuntimeError):
            with t.start_run(name="crashy") as run:
                with run.step("tool", "ok_tool"):
                    pass
                raise RuntimeError("planner exploded")
        d = self.run_detail(t, run.run_id)
        self.assertEqual(d["run"]["status"], "failed")
        self.assertEqual(d["run"]["failure"]["type"], "orchestration")
        self.assertEqual(d["run"]["failure"]["code"], "uncaught_exception")
        self.assertIn("planner exploded", d["run"]["failure"]["message"])

    def test_async_run(self):
        t = self.tracer()

        async def main():
            async with t.start_run(name="async-run") as run:
                async with run.step("llm", "think") as s:
                    s.set_tokens(input=7, output=3)
                    await asyncio.sleep(0)
                calls = []

                async def fetch():
                    calls.append(1)
                    if len(calls) == 1:
                        raise ConnectionError("reset")
                    return "doc"

                self.assertEqual(await run.aretry(fetch, attempts=2, step_type="retrieval", name="fetch"), "doc")
            return run

        run = asyncio.run(main())
        d = self.run_detail(t, run.run_id)
        self.assertEqual([s["type"] for s in d["steps"]], ["agent", "llm", "retrieval", "retrieval"])
        self.assertEqual(d["run"]["status"], "partial")
        self.assertEqual(d["run"]["tokens"]["total"], 10)

    def test_handoff_and_step_exception(self):
        t = self.tracer()
        with self.assertRaises(TimeoutError):
            with t.start_run(name="multi") as run:
                with run.step("handoff", "transfer_to_billing") as s:
                    s.handoff("billing-agent")
                with run.step("agent", "billing-agent"):
                    with run.step("tool", "refund_api") as s:
                        s.set(text="caf\u00e9 \udc80")  # non-ASCII and a lone surrogate
                        raise TimeoutError("refund api timed out after 30s")
        d = self.run_detail(t, run.run_id)
        steps = {x["name"]: x for x in d["steps"]}
        self.assertEqual(steps["transfer_to_billing"]["handoff_to"], "billing-agent")
        self.assertEqual(steps["transfer_to_billing"]["handoff_from"], "support-bot")
        self.assertEqual(steps["refund_api"]["parent_id"], steps["billing-agent"]["step_id"])
        self.assertEqual(steps["refund_api"]["failure"]["code"], "timeout")
        self.assertEqual(steps["refund_api"]["attributes"]["text"], "caf\u00e9 \ufffd")
        self.assertEqual(d["run"]["status"], "failed")
        codes = {(f["type"], f["code"]) for f in d["failures"]}
        self.assertIn(("orchestration", "uncaught_exception"), codes)
        self.assertIn(("tool", "timeout"), codes)

    def test_privacy_mask(self):
        t = self.tracer(privacy="mask")
        with t.start_run(name="pii") as run:
            with run.step("tool", "crm") as s:
                s.set(note="contact bob@example.com using key sk-abcdefghijklmnopqrstuvwxyz")
        d = self.run_detail(t, run.run_id)
        note = {x["name"]: x for x in d["steps"]}["crm"]["attributes"]["note"]
        self.assertNotIn("bob@example.com", note)
        self.assertNotIn("sk-abcdefghij", note)
        self.assertIn("[REDACTED:email]", note)
        self.assertIn("[REDACTED:api_key]", note)

    def test_privacy_metadata_only_drops_content(self):
        t = self.tracer(privacy="metadata-only")
        with t.start_run(name="content") as run:
            with run.step("llm", "chat") as s:
                s.set_model("gpt-4o")
                s.set_input([{"role": "user", "content": "secret plan"}])
                s.set_output([{"role": "assistant", "content": "ok"}])
        d = self.run_detail(t, run.run_id)
        llm = {x["name"]: x for x in d["steps"]}["chat"]
        self.assertEqual(llm["content"], [])
        self.assertNotIn("secret plan", json.dumps(d))

    def test_content_kept_in_full(self):  # counterpart of the test above: content does arrive
        t = self.tracer()
        with t.start_run(name="content-full") as run:
            with run.step("llm", "chat") as s:
                s.set_input([{"role": "user", "content": "visible plan"}])
        d = self.run_detail(t, run.run_id)
        self.assertEqual([c["name"] for c in {x["name"]: x for x in d["steps"]}["chat"]["content"]], ["input"])


if __name__ == "__main__":
    unittest.main()
