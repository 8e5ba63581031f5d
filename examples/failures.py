#!/usr/bin/env python3
"""An agent that exhibits every failure type, one run each (scripted fake LLM, no API key).

| run                 | what happens                                              | server shows          |
|---------------------|-----------------------------------------------------------|-----------------------|
| tool-timeout        | a tool raises TimeoutError and nobody catches it          | tool / timeout        |
| model-rate-limit    | the model answers HTTP 429; the agent gives up            | model / rate_limit    |
| context-length      | a pasted log is larger than the model's context window    | model / context_length_exceeded |
| retrieval-empty     | the knowledge base returns no documents                   | retrieval / no_results |
| max-retries         | the payment gateway fails 3 of 3 attempts (run.retry)     | tool / max_retries_exceeded |

The first three are classified by the server from the exception the SDK records (exception type and
message); the last two are semantic failures the agent reports itself with run.record_failure.
Every run ends `failed`.

    python3 examples/failures.py --endpoint http://127.0.0.1:4318
"""
import sys

from _common import current_step, finish, make_tracer, parse_args, traced_chat
from fake_llm import FakeLLM, RateLimitError, ToolCall, Turn

TOOLS = [{"name": "check_inventory", "parameters": {"sku": "string"}},
         {"name": "charge_card", "parameters": {"order_id": "string", "amount_usd": "number"}}]


def user(text):
    return [{"role": "system", "content": "You are Acme's shop assistant."}, {"role": "user", "content": text}]


def tool_timeout(run):
    """A tool call times out and the exception escapes the run: the SDK records the exception on
    the tool step and orchestration/uncaught_exception on the run; the server attributes the run's
    failure to the deepest failed step, the tool (timeout from the exception text)."""
    llm = FakeLLM([Turn(tool_calls=[ToolCall("check_inventory", {"sku": "BLN-500"})])], latency=0.02)
    messages = user("Is the Blender 500W in stock?")
    response = traced_chat(run, llm, messages, tools=TOOLS)
    for call in response.tool_calls:
        with run.step("tool", call.name) as step:
            step.set_input(call.arguments)
            step.set(**{"server.address": "inventory.internal", "http.request.method": "GET"})
            raise TimeoutError("check_inventory: GET inventory.internal/v1/stock/BLN-500 timed out after 5.0s")


def model_rate_limit(run):
    """The provider answers 429. The agent catches it (it cannot answer without the model) and
    reports the failure on the run; the llm step carries the exception."""
    llm = FakeLLM([Turn(error="rate_limit")], model="gpt-4o", latency=0.02)
    try:
        traced_chat(run, llm, user("Summarise my last three orders."))
    except RateLimitError as e:
        run.record_failure("model", "rate_limit", "gave up: %s" % e)
        with run.step("respond", "fallback_message") as step:
            step.set_output("Sorry, I'm busy right now. Please try again in a minute.")


def context_length(run):
    """The user pastes a huge log. The fake model counts the prompt's tokens and, like a real
    provider, rejects a prompt larger than its window; the exception escapes the run."""
    llm = FakeLLM([Turn(text="unreachable")], model="gpt-4o-mini", context_window=8192, latency=0.02)
    log = "\n".join("2026-11-22T03:%02d:%02d ERROR checkout-svc payment declined code=%d order=A%05d"
                    % (i // 60 % 60, i % 60, 5000 + i % 7, i) for i in range(900))
    with run.step("plan", "build_prompt") as step:
        step.set(attached_log_lines=900)
    traced_chat(run, llm, user("Why does checkout fail? Here is the full log:\n" + log))


def retrieval_empty(run):
    """The knowledge-base search returns nothing: not an exception, a semantic failure. The step
    says so with tracery.retrieval.no_results (the server gives the step retrieval/no_results) and
    the agent reports it as the run's failure before answering without context."""
    llm = FakeLLM([Turn(text="I couldn't find anything about that in our help center.")], latency=0.02)
    query = "warranty for refurbished espresso machines bought in Norway"
    with run.step("retrieval", "search_help_center") as step:
        step.set(**{"gen_ai.retrieval.query.text": query, "db.system": "sqlite-vec", "top_k": 5})
        documents = []  # the index has nothing for this query
        step.set(**{"tracery.retrieval.no_results": True, "retrieval.document_count": len(documents)})
    # On the run, not step=step: the agent carries on after the search, and a run whose root only
    # says "a step failed" would be reported as orchestration/error.
    run.record_failure("retrieval", "no_results", "help center search returned no documents for %r" % query)
    messages = user(query) + [{"role": "system", "content": "Context: (no documents found)"}]
    response = traced_chat(run, llm, messages)
    run.set_output(response.text)


class FlakyGateway:
    def __init__(self):
        self.calls = 0

    def charge(self, order_id, amount_usd):
        self.calls += 1
        raise ConnectionError("payment gateway connection reset by peer (attempt %d)" % self.calls)


def max_retries(run):
    """run.retry makes three attempts (three tool steps linked by tracery.step.retry_of); all
    fail. The agent stops, tells the user, and reports the exhausted budget as the run's failure."""
    llm = FakeLLM([Turn(tool_calls=[ToolCall("charge_card", {"order_id": "A1234", "amount_usd": 89.0})])],
                  latency=0.02)
    response = traced_chat(run, llm, user("Pay for order A1234 with my saved card."), tools=TOOLS)
    gateway = FlakyGateway()
    call = response.tool_calls[0]

    def attempt():
        current_step().set_input(call.arguments)
        return gateway.charge(**call.arguments)

    attempts = 3
    try:
        run.retry(attempt, attempts=attempts, step_type="tool", name="charge_card",
                  retry_on=(ConnectionError,), backoff=0.01)
    except ConnectionError as e:
        run.record_failure("tool", "max_retries_exceeded",
                           "charge_card failed %d of %d attempts; last error: %s" % (gateway.calls, attempts, e))
        with run.step("respond", "fallback_message") as step:
            step.set_output("Payment failed; your card was not charged. Please try again later.")


SCENARIOS = [
    ("tool-timeout", tool_timeout, {"status": "failed", "failure_type": "tool", "failure_code": "timeout"}),
    ("model-rate-limit", model_rate_limit,
     {"status": "failed", "failure_type": "model", "failure_code": "rate_limit"}),
    ("context-length", context_length,
     {"status": "failed", "failure_type": "model", "failure_code": "context_length_exceeded"}),
    ("retrieval-empty", retrieval_empty,
     {"status": "failed", "failure_type": "retrieval", "failure_code": "no_results"}),
    ("max-retries", max_retries,
     {"status": "failed", "failure_type": "tool", "failure_code": "max_retries_exceeded"}),
]


def main(argv=None):
    args = parse_args(__doc__.splitlines()[1], argv)
    tracer = make_tracer(args, "shop-assistant", "0.9.1")
    runs = []
    for name, scenario, expect in SCENARIOS:
        try:
            with tracer.start_run(name=name, session_id="failures-demo", user_id="user-7",
                                  tags=["failure-demo"]) as run:
                scenario(run)
            outcome = "handled by the agent"
        except Exception as e:  # the SDK re-raises what escaped the run; the example carries on
            outcome = "raised %s: %s" % (type(e).__name__, str(e)[:80])
        print("%-17s %s" % (name, outcome))
        runs.append({"run_id": run.run_id, "name": name, "expect": expect})
    return finish(args, [tracer], runs)


if __name__ == "__main__":
    sys.exit(main())
