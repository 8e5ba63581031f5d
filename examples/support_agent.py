#!/usr/bin/env python3
"""A customer-support agent that succeeds after a retry.

Two runs in one session (one per user message), with a scripted fake LLM (no API key):
  1. "where is my order?"   plan -> llm -> lookup_order -> llm           => status ok
  2. "refund the blender"   llm -> lookup_order -> llm -> billing_api (first attempt times out,
     run.retry makes a second attempt that succeeds) -> llm            => status partial, 1 retry

    python3 examples/support_agent.py --endpoint http://127.0.0.1:4318
"""
import json
import sys
import time
import uuid

from _common import finish, make_tracer, parse_args, traced_chat, current_step
from fake_llm import FakeLLM, ToolCall, Turn

TOOLS = [
    {"name": "lookup_order", "description": "Order status and items by order id",
     "parameters": {"order_id": "string"}},
    {"name": "billing_api", "description": "Issue a refund for an order line",
     "parameters": {"order_id": "string", "sku": "string", "amount_usd": "number"}},
]

SYSTEM = {"role": "system", "content": "You are Acme's support assistant. Use the tools; never guess "
                                      "order details. Refunds up to $200 need no approval."}

ORDERS = {"A1234": {"order_id": "A1234", "status": "delivered", "carrier": "UPS",
                    "items": [{"sku": "BLN-500", "name": "Blender 500W", "price_usd": 89.0}]}}


class FlakyBilling:
    """The billing service: the first call times out (a cold connection pool), later ones work."""

    def __init__(self):
        self.calls = 0

    def refund(self, order_id, sku, amount_usd):
        self.calls += 1
        time.sleep(0.03)  # a real service takes a while, even to fail
        if self.calls == 1:
            raise TimeoutError("billing_api: POST /v2/refunds timed out after 2.0s")
        return {"refund_id": "rf_%s_%s" % (order_id, sku), "amount_usd": amount_usd, "state": "issued"}


def run_tool(run, call, billing):
    """Executes one tool call as a tool step (billing_api through run.retry: each attempt a step)."""
    if call.name == "lookup_order":
        with run.step("tool", "lookup_order") as step:
            step.set_input(call.arguments)
            result = ORDERS.get(call.arguments["order_id"], {"error": "unknown order"})
            step.set_output(result)
            return result
    if call.name == "billing_api":
        def attempt():
            step = current_step()  # this attempt's step
            step.set_input(call.arguments)
            step.set(**{"http.request.method": "POST", "url.path": "/v2/refunds"})
            result = billing.refund(**call.arguments)
            step.set_output(result)
            return result
        return run.retry(attempt, attempts=3, step_type="tool", name="billing_api",
                         retry_on=(TimeoutError, ConnectionError), backoff=0.05)
    raise ValueError("unknown tool %r" % call.name)


def agent_turn(run, llm, messages, billing, max_llm_calls=6):
    """The agent loop: call the model, run the tools it asks for, repeat until it answers."""
    for _ in range(max_llm_calls):
        response = traced_chat(run, llm, messages, tools=TOOLS)
        messages.append(response.message)
        if not response.tool_calls:
            return response.text
        for call in response.tool_calls:
            result = run_tool(run, call, billing)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result, sort_keys=True)})
    raise RuntimeError("agent did not answer within %d model calls" % max_llm_calls)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[1], argv)
    tracer = make_tracer(args, "support-agent", "2.3.0")
    session_id = "sess-" + uuid.uuid4().hex[:12]
    user_id = "user-1042"
    llm = FakeLLM(latency=0.02, script=[
        # run 1
        Turn(tool_calls=[ToolCall("lookup_order", {"order_id": "A1234"})]),
        Turn(text="Your order A1234 (Blender 500W) was delivered by UPS."),
        # run 2
        Turn(tool_calls=[ToolCall("lookup_order", {"order_id": "A1234"})]),
        Turn(text="I'm sorry it arrived broken. Issuing a refund now.",
             tool_calls=[ToolCall("billing_api", {"order_id": "A1234", "sku": "BLN-500", "amount_usd": 89.0})]),
        Turn(text="Done: refund rf_A1234_BLN-500 for $89.00 is on its way (3-5 business days)."),
    ])
    billing = FlakyBilling()
    messages = [SYSTEM]
    runs = []

    question = "Hi, where is my order A1234?"
    messages.append({"role": "user", "content": question})
    with tracer.start_run(name="order-status", session_id=session_id, user_id=user_id,
                          tags=["support", "web"], metadata={"channel": "web", "locale": "en-US"}) as run:
        with run.step("plan", "classify_intent") as step:
            step.set(intent="order_status", confidence=0.93)
        answer = agent_turn(run, llm, messages, billing)
        run.set_output(answer)
    print("user: %s\nagent: %s" % (question, answer))
    runs.append({"run_id": run.run_id, "name": "order-status", "expect": {"status": "ok"}})

    question = "It arrived broken. Please refund the blender."
    messages.append({"role": "user", "content": question})
    with tracer.start_run(name="refund", session_id=session_id, user_id=user_id,
                          tags=["support", "web", "refund"], metadata={"channel": "web", "locale": "en-US"}) as run:
        with run.step("plan", "classify_intent") as step:
            step.set(intent="refund", confidence=0.88)
        answer = agent_turn(run, llm, messages, billing)
        run.set_output(answer)
    print("user: %s\nagent: %s" % (question, answer))
    print("billing_api was called %d times (first attempt timed out, run.retry recovered)" % billing.calls)
    runs.append({"run_id": run.run_id, "name": "refund",
                 "expect": {"status": "partial", "retry_count": 1, "session_id": session_id, "user_id": user_id}})
    return finish(args, [tracer], runs)


if __name__ == "__main__":
    sys.exit(main())
