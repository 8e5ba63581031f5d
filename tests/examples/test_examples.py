"""Runs every example in examples/ against the real `tracery serve` ($TRACERY_BIN, port 0) and checks
what the server shows through /api/runs and /api/runs/{id}.

    TRACERY_BIN=build/tracery python3 -m unittest discover -s tests/examples -v

Expectations are written here, independently of what the examples print, so an example that sends
the wrong thing (or a server that reads it wrongly) fails the test.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "examples")
TRACERY_BIN = os.environ.get("TRACERY_BIN")
NODE = os.environ.get("NODE") or shutil.which("node")
EXAMPLE_TIMEOUT_S = 120


class Server:
    """`tracery serve` on a fresh data dir, HTTP on an ephemeral port, gRPC off."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tracery-examples-")
        self.stderr_path = os.path.join(self.dir, "stderr.txt")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([TRACERY_BIN, "serve", "--data-dir", os.path.join(self.dir, "data"),
                                      "--http", "127.0.0.1:0", "--grpc", "off"],
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + 60  # sanitizer builds start slowly
        while True:
            m = re.search(rb"tracery serving http=([0-9.]+:\d+)", self.stderr_bytes())
            if m:
                self.base = "http://" + m.group(1).decode()
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("tracery serve did not start:\n" + self.stderr_bytes().decode(errors="replace"))
            time.sleep(0.05)

    def stderr_bytes(self):
        with open(self.stderr_path, "rb") as f:
            return f.read()

    def get(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError("GET %s -> %d: %s" % (url, e.code, e.read()[:500])) from None

    def close(self):
        """Stops the server (SIGTERM, graceful); returns its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        return self.proc.returncode


SERVER = None


def setUpModule():
    global SERVER
    if not TRACERY_BIN:
        raise unittest.SkipTest("TRACERY_BIN is not set (ctest sets it to the built tracery binary)")
    SERVER = Server()


def tearDownModule():
    if SERVER is None:
        return
    stderr = SERVER.stderr_bytes().decode(errors="replace")
    code = SERVER.close()
    shutil.rmtree(SERVER.dir, ignore_errors=True)
    # A sanitizer build reports on stderr; any report or an unclean exit fails the suite.
    if re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: UndefinedBehaviorSanitizer", stderr):
        raise AssertionError("sanitizer report from tracery:\n" + stderr[-6000:])
    if code != 0:
        raise AssertionError("tracery serve exited with %d:\n%s" % (code, stderr[-3000:]))


def run_example(cmd):
    """Runs an example with --endpoint/--json; returns its JSON summary (its last stdout line)."""
    proc = subprocess.run(cmd + ["--endpoint", SERVER.base, "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=EXAMPLE_TIMEOUT_S, env=dict(os.environ, PYTHONPATH=""))
    if proc.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    lines = proc.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    for r in summary["runs"]:
        assert re.fullmatch(r"[0-9a-f]{32}", r["run_id"]), r
        # The human-readable part names each run id too.
        assert r["run_id"] in proc.stdout[:-len(lines[-1])], proc.stdout
    return summary


def wait_for_runs(summary, timeout=30):
    """Run details once the server has stored every exported span and each run has ended.
    Ingestion is asynchronous, so poll; the spans count makes the wait exact, not a sleep."""
    deadline = time.monotonic() + timeout
    while True:
        details, stored, pending = {}, 0, []
        for r in summary["runs"]:
            try:
                d = SERVER.get("/api/runs/" + r["run_id"], limit=10000)
            except AssertionError:  # 404 until the first span of the run is stored
                pending.append(r["name"])
                continue
            details[r["name"]] = d
            stored += d["total_steps"]
            if d["run"]["status"] == "running":
                pending.append(r["name"])
        if not pending and stored == summary["spans_exported"]:
            return details
        if time.monotonic() > deadline:
            raise AssertionError("runs not complete after %ss: pending %s, %d of %d spans stored"
                                 % (timeout, pending, stored, summary["spans_exported"]))
        time.sleep(0.1)


def steps_named(detail, name):
    return [s for s in detail["steps"] if s["name"] == name]


class SupportAgentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([sys.executable, os.path.join(EXAMPLES, "support_agent.py")])
        cls.runs = wait_for_runs(cls.summary)

    def test_refund_run_is_partial_after_a_retry(self):
        d = self.runs["refund"]
        run = d["run"]
        self.assertEqual(run["status"], "partial")
        self.assertGreaterEqual(run["retry_count"], 1)
        self.assertEqual(run["agent_id"], "support-agent")
        self.assertEqual(run["agent_version"], "2.3.0")
        # The recovered failure is the first billing attempt's timeout.
        self.assertEqual((run["failure"]["type"], run["failure"]["code"]), ("tool", "timeout"))
        self.assertTrue(run["failure"]["recovered"])
        billing = steps_named(d, "billing_api")
        self.assertEqual([s["attempt"] for s in billing], [1, 2])
        self.assertEqual([s["status"] for s in billing], ["error", "ok"])
        self.assertEqual(billing[1]["retry_of"], billing[0]["step_id"])
        self.assertEqual([f["recovered"] for f in d["failures"]], [True])

    def test_refund_run_has_turns_tokens_and_tools(self):
        run = self.runs["refund"]["run"]
        self.assertGreaterEqual(run["llm_count"], 3)
        self.assertEqual(run["tool_count"], 3)  # lookup_order + two billing_api attempts
        self.assertGreater(run["tokens"]["input"], 0)
        self.assertGreater(run["tokens"]["output"], 0)
        self.assertEqual(run["tokens"]["total"], run["tokens"]["input"] + run["tokens"]["output"])
        self.assertEqual(run["models"], ["gpt-4o-mini-2024-07-18"])
        self.assertGreater(run["cost_usd"], 0)  # priced from the model and tokens
        llm_tokens = sum(s["tokens"]["total"] for s in self.runs["refund"]["steps"] if s["type"] == "llm")
        self.assertEqual(llm_tokens, run["tokens"]["total"])

    def test_both_turns_share_session_and_user(self):
        order, refund = self.runs["order-status"]["run"], self.runs["refund"]["run"]
        self.assertEqual(order["status"], "ok")
        self.assertIsNone(order["failure"])
        self.assertRegex(refund["session_id"], r"^sess-[0-9a-f]{12}$")
        self.assertEqual(order["session_id"], refund["session_id"])
        self.assertEqual((order["user_id"], refund["user_id"]), ("user-1042", "user-1042"))
        listed = SERVER.get("/api/runs", session=refund["session_id"])["runs"]
        self.assertEqual(sorted(r["name"] for r in listed), ["order-status", "refund"])
        # The second turn re-sends the conversation, so it costs more input tokens.
        self.assertGreater(refund["tokens"]["input"], order["tokens"]["input"])

    def test_tool_content_is_stored(self):
        d = self.runs["refund"]
        step = steps_named(d, "billing_api")[1]
        content = SERVER.get("/api/runs/%s/steps/%s/content" % (d["run"]["run_id"], step["step_id"]))
        by_name = {c["name"]: c["value"] for c in content["content"]}
        self.assertEqual(json.loads(by_name["tool.arguments"])["order_id"], "A1234")
        self.assertEqual(json.loads(by_name["tool.result"])["state"], "issued")


# Written out here, not read from the example: what the server must show for each run.
EXPECTED_FAILURES = {
    "tool-timeout": ("tool", "timeout"),
    "model-rate-limit": ("model", "rate_limit"),
    "context-length": ("model", "context_length_exceeded"),
    "retrieval-empty": ("retrieval", "no_results"),
    "max-retries": ("tool", "max_retries_exceeded"),
}


class FailuresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([sys.executable, os.path.join(EXAMPLES, "failures.py")])
        cls.runs = wait_for_runs(cls.summary)

    def test_one_run_per_failure_type(self):
        self.assertEqual(sorted(self.runs), sorted(EXPECTED_FAILURES))

    def test_each_run_fails_with_its_type_and_code(self):
        for name, (ftype, code) in EXPECTED_FAILURES.items():
            with self.subTest(run=name):
                run = self.runs[name]["run"]
                self.assertEqual(run["status"], "failed")
                self.assertIsNotNone(run["failure"])
                self.assertEqual((run["failure"]["type"], run["failure"]["code"]), (ftype, code))
                self.assertFalse(run["failure"]["recovered"])
                self.assertNotEqual(run["failure"]["message"], "")

    def test_failure_filters_find_each_run(self):
        # The run list's failure filters are what an engineer triaging these would use.
        for name, (ftype, code) in EXPECTED_FAILURES.items():
            with self.subTest(run=name):
                listed = SERVER.get("/api/runs", failure_type=ftype, failure_code=code, agent="shop-assistant")
                self.assertIn(self.runs[name]["run"]["run_id"], [r["run_id"] for r in listed["runs"]])

    def test_classified_failures_point_at_the_failing_step(self):
        for name, step_type in (("tool-timeout", "tool"), ("context-length", "llm")):
            with self.subTest(run=name):
                d = self.runs[name]
                step = [s for s in d["steps"] if s["step_id"] == d["run"]["failure"]["step_id"]]
                self.assertEqual([s["type"] for s in step], [step_type])
                self.assertEqual(d["run"]["failure"]["source"], "exception")

    def test_max_retries_made_three_linked_attempts(self):
        d = self.runs["max-retries"]
        attempts = steps_named(d, "charge_card")
        self.assertEqual([s["attempt"] for s in attempts], [1, 2, 3])
        self.assertEqual([s["retry_of"] for s in attempts[1:]], [s["step_id"] for s in attempts[:2]])
        self.assertEqual(d["run"]["retry_count"], 2)
        self.assertTrue(all(s["status"] == "error" for s in attempts))

    def test_retrieval_step_reports_no_results(self):
        d = self.runs["retrieval-empty"]
        (step,) = steps_named(d, "search_help_center")
        self.assertEqual(step["type"], "retrieval")
        self.assertEqual((step["failure"]["type"], step["failure"]["code"]), ("retrieval", "no_results"))


class MultiAgentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([sys.executable, os.path.join(EXAMPLES, "multi_agent.py")])
        cls.runs = wait_for_runs(cls.summary)
        cls.detail = cls.runs["customer-request"]

    def test_run_is_ok_with_four_agents(self):
        run = self.detail["run"]
        self.assertEqual(run["status"], "ok")
        self.assertEqual(run["agent_id"], "planner")
        self.assertGreaterEqual(run["agent_count"], 3)
        names = [a["name"] for a in self.detail["agents"]]
        self.assertEqual(sorted(names), ["billing-agent", "kb-researcher", "planner", "tech-support"])
        self.assertEqual(names[0], "planner")  # ordered by first start

    def test_handoffs_go_to_specialists_and_back(self):
        handoffs = [(m["from_agent"], m["to_agent"]) for m in self.detail["messages"] if m["kind"] == "handoff"]
        self.assertEqual(handoffs, [("planner", "billing-agent"), ("billing-agent", "planner"),
                                    ("planner", "tech-support"), ("tech-support", "planner")])
        invokes = [(m["from_agent"], m["to_agent"]) for m in self.detail["messages"] if m["kind"] == "invoke"]
        self.assertEqual(invokes, [("tech-support", "kb-researcher")])

    def test_steps_belong_to_the_agent_that_ran_them(self):
        agent_of = {s["name"]: s["agent"] for s in self.detail["steps"]}
        self.assertEqual(agent_of["list_charges"], "billing-agent")
        self.assertEqual(agent_of["get_device_logs"], "tech-support")
        self.assertEqual(agent_of["search_kb"], "kb-researcher")
        self.assertEqual(agent_of["reply_to_customer"], "planner")
        per_agent = {a["name"]: a for a in self.detail["agents"]}
        self.assertEqual(per_agent["billing-agent"]["tool_count"], 2)
        self.assertGreater(per_agent["tech-support"]["tokens"]["total"], 0)

    def test_each_agent_uses_its_model(self):
        models = {s["model"] for s in self.detail["steps"] if s["type"] == "llm"}
        self.assertEqual(models, {"gpt-4o-2024-07-18", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-20250514"})


class UnreachableServerTest(unittest.TestCase):
    """An example pointed at a dead endpoint must say so and exit non-zero, not claim success (the
    subprocess timeout catches a hang)."""

    def test_python_example_reports_undelivered_spans(self):
        import socket
        with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "multi_agent.py"),
                               "--endpoint", "http://127.0.0.1:%d" % port], cwd=ROOT, capture_output=True,
                              text=True, timeout=EXAMPLE_TIMEOUT_S)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("error: could not deliver every span to http://127.0.0.1:%d" % port, proc.stderr)


LANGGRAPH_DIR = os.path.join(EXAMPLES, "langgraph")


@unittest.skipUnless(os.path.isdir(os.path.join(LANGGRAPH_DIR, "node_modules")),
                     "examples/langgraph/node_modules is missing: run `npm ci` in examples/langgraph "
                     "(or `make npm-deps`) to test the LangGraph example")
@unittest.skipUnless(NODE, "node is not installed")
class LangGraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([NODE, os.path.join(LANGGRAPH_DIR, "agent.mjs")])
        cls.runs = wait_for_runs(cls.summary)
        (cls.detail,) = cls.runs.values()

    def test_run_summary(self):
        run = self.detail["run"]
        self.assertEqual(run["status"], "ok")
        self.assertEqual(run["name"], "weather-agent")  # the compiled graph's name (root span)
        self.assertEqual(run["user_id"], "user-55")
        self.assertRegex(run["session_id"], r"^sess-")
        self.assertEqual(run["tags"], ["langgraph-example"])

    def test_llm_and_tool_steps(self):
        steps = self.detail["steps"]
        llm = [s for s in steps if s["type"] == "llm"]
        tools = [s for s in steps if s["type"] == "tool"]
        self.assertEqual(len(llm), 2)
        self.assertEqual([s["model"] for s in llm], ["gpt-4o-mini", "gpt-4o-mini"])
        self.assertEqual([s["finish_reason"] for s in llm], ["tool_calls", "stop"])
        self.assertEqual(sorted(s["tool_name"] for s in tools), ["get_forecast", "get_weather"])
        # The graph's nodes are chain steps: agent (twice) and tools.
        nodes = [s["name"] for s in steps if s["type"] == "chain" and s["name"] in ("agent", "tools")]
        self.assertEqual(nodes, ["agent", "tools", "agent"])
        # Tools ran after the first model call and before the second.
        self.assertLess(int(llm[0]["end_unix_nano"]), min(int(t["start_unix_nano"]) for t in tools))
        self.assertLess(max(int(t["end_unix_nano"]) for t in tools), int(llm[1]["start_unix_nano"]))

    def test_tokens(self):
        run = self.detail["run"]
        llm = [s for s in self.detail["steps"] if s["type"] == "llm"]
        self.assertTrue(all(s["tokens"]["input"] > 0 and s["tokens"]["output"] > 0 for s in llm), llm)
        self.assertEqual(run["tokens"]["total"], sum(s["tokens"]["total"] for s in llm))
        # The second call carries the tool results, so it reads more tokens.
        self.assertGreater(llm[1]["tokens"]["input"], llm[0]["tokens"]["input"])

    def test_agent_identity(self):
        self.assertEqual([a["name"] for a in self.detail["agents"]], ["weather-agent"])
        self.assertEqual(self.detail["run"]["agent_id"], "weather-agent")
        for s in self.detail["steps"]:
            if s["type"] in ("llm", "tool"):
                self.assertEqual(s["agent"], "weather-agent", s["name"])

    def test_graph_is_the_agent_step(self):
        # The graph span is recognised from LangGraph's metadata; agent.name (set here) names it.
        agents = [s for s in self.detail["steps"] if s["type"] == "agent"]
        self.assertEqual([(s["name"], s["agent"], s["parent_id"]) for s in agents], [("weather-agent", "weather-agent", "")])

    def test_tool_arguments_are_content(self):
        (weather,) = [s for s in self.detail["steps"] if s["tool_name"] == "get_weather"]
        content = SERVER.get("/api/runs/%s/steps/%s/content" % (self.detail["run"]["run_id"], weather["step_id"]))
        names = {c["name"] for c in content["content"]}
        self.assertTrue(names & {"input", "tool.arguments"}, names)
        self.assertIn("Oslo", json.dumps(content))


@unittest.skipUnless(os.path.isdir(os.path.join(LANGGRAPH_DIR, "node_modules")),
                     "examples/langgraph/node_modules is missing: run `npm ci` in examples/langgraph")
@unittest.skipUnless(NODE, "node is not installed")
class LangGraphNoAgentNameTest(unittest.TestCase):
    """The same example without the agent.name context attribute: no user code names the agent."""

    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([NODE, os.path.join(LANGGRAPH_DIR, "agent.mjs"), "--no-agent-name"])
        cls.runs = wait_for_runs(cls.summary)
        (cls.detail,) = cls.runs.values()

    def test_no_span_carries_agent_name(self):
        for s in self.detail["steps"]:
            self.assertNotIn("agent.name", s["attributes"], s["name"])

    def test_graph_is_an_agent_step_named_after_the_graph(self):
        root = [s for s in self.detail["steps"] if s["parent_id"] == ""]
        self.assertEqual([(s["name"], s["type"], s["agent"]) for s in root], [("weather-agent", "agent", "weather-agent")])
        self.assertEqual([s["name"] for s in self.detail["steps"] if s["type"] == "agent"], ["weather-agent"])

    def test_nodes_are_chain_steps_of_the_agent(self):
        nodes = [s for s in self.detail["steps"] if s["name"] in ("__start__", "agent", "tools")]
        self.assertEqual([s["name"] for s in nodes], ["__start__", "agent", "tools", "agent"])
        for s in nodes:
            self.assertEqual((s["type"], s["agent"]), ("chain", "weather-agent"), s["name"])
        for s in self.detail["steps"]:
            self.assertEqual(s["agent"], "weather-agent", s["name"])

    def test_agents(self):
        self.assertEqual([(a["name"], a["llm_count"], a["tool_count"]) for a in self.detail["agents"]],
                         [("weather-agent", 2, 2)])
        self.assertEqual(self.detail["messages"], [])


@unittest.skipUnless(os.path.isdir(os.path.join(LANGGRAPH_DIR, "node_modules")),
                     "examples/langgraph/node_modules is missing: run `npm ci` in examples/langgraph")
@unittest.skipUnless(NODE, "node is not installed")
class LangGraphMultiAgentTest(unittest.TestCase):
    """examples/langgraph/multi_agent.mjs: a supervisor graph handing off to two sub-graphs."""

    @classmethod
    def setUpClass(cls):
        cls.summary = run_example([NODE, os.path.join(LANGGRAPH_DIR, "multi_agent.mjs")])
        cls.runs = wait_for_runs(cls.summary)
        (cls.detail,) = cls.runs.values()
        cls.steps = cls.detail["steps"]

    def test_run(self):
        run = self.detail["run"]
        self.assertEqual((run["status"], run["name"]), ("ok", "travel-supervisor"))
        # From the graph's agent step, not the resource's service.name (travel-desk).
        self.assertEqual(run["agent_id"], "travel-supervisor")
        self.assertEqual(run["session_id"], self.summary["runs"][0]["expect"]["session_id"])

    def test_one_agent_per_graph(self):
        self.assertEqual([(a["name"], a["llm_count"], a["tool_count"]) for a in self.detail["agents"]],
                         [("travel-supervisor", 3, 0), ("flight_agent", 2, 1), ("hotel_agent", 2, 1)])

    def test_agent_steps(self):
        # The root graph, and the unnamed sub-graph (LangGraph's default run name) run by node
        # hotel_agent. The named sub-graph flight_agent has the same span metadata as its node, so
        # it stays a chain (docs/conventions.md, LangGraph).
        agents = [(s["name"], s["agent"]) for s in self.steps if s["type"] == "agent"]
        self.assertEqual(agents, [("travel-supervisor", "travel-supervisor"), ("LangGraph", "hotel_agent")])

    def test_steps_belong_to_their_sub_agent(self):
        by_tool = {s["tool_name"]: s for s in self.steps if s["type"] == "tool"}
        self.assertEqual(by_tool["search_flights"]["agent"], "flight_agent")
        self.assertEqual(by_tool["search_hotels"]["agent"], "hotel_agent")
        llm_agents = [s["agent"] for s in self.steps if s["type"] == "llm"]
        self.assertEqual(sorted(llm_agents), ["flight_agent"] * 2 + ["hotel_agent"] * 2 + ["travel-supervisor"] * 3)
        for s in self.steps:
            if s["name"] in ("supervisor", "handoff"):
                self.assertEqual((s["type"], s["agent"]), ("chain", "travel-supervisor"))

    def test_handoffs(self):
        handoffs = [(s["tool_name"], s["agent"], s["handoff_to"]) for s in self.steps if s["type"] == "handoff"]
        self.assertEqual(handoffs, [("transfer_to_flight_agent", "travel-supervisor", "flight_agent"),
                                    ("transfer_to_hotel_agent", "travel-supervisor", "hotel_agent")])
        messages = sorted((m["kind"], m["from_agent"], m["to_agent"]) for m in self.detail["messages"])
        self.assertEqual(messages, [("handoff", "travel-supervisor", "flight_agent"),
                                    ("handoff", "travel-supervisor", "hotel_agent"),
                                    # the hotel_agent sub-graph is an agent step below the supervisor's
                                    ("invoke", "travel-supervisor", "hotel_agent")])


if __name__ == "__main__":
    unittest.main()
