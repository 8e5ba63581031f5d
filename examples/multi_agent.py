#!/usr/bin/env python3
"""A multi-agent system: a planner hands off to specialists and takes back control.

One run (scripted fake LLMs, no API key). The planner routes the customer's two problems:

    planner --handoff--> billing-agent --handoff--> planner
    planner --handoff--> tech-support  --invoke-->  kb-researcher (nested agent)
                         tech-support  --handoff--> planner

Each hand-off is a `handoff` step (step.handoff(to, from)) wrapping the specialist's `agent` step, so
Tracery draws one edge per transfer; kb-researcher is an agent step nested directly inside
tech-support, which Tracery shows as an `invoke`. Each agent uses its own model.

    python3 examples/multi_agent.py --endpoint http://127.0.0.1:4318
"""
import json
import sys
import uuid
from contextlib import contextmanager

from _common import finish, make_tracer, parse_args, traced_chat
from fake_llm import FakeLLM, ToolCall, Turn

PLANNER = "planner"
BILLING = "billing-agent"
TECH = "tech-support"
RESEARCHER = "kb-researcher"

REQUEST = ("I was charged twice for my Pro subscription this month, and since yesterday the iOS app "
           "logs me out right after I sign in.")


@contextmanager
def handoff(run, to_agent, from_agent, reason):
    """A transfer of control: a handoff step; the receiving agent's work nests inside it."""
    with run.step("handoff", "transfer_to_%s" % to_agent) as step:
        step.handoff(to_agent, from_agent=from_agent)
        step.set_input({"reason": reason})
        yield step


def tool(run, name, arguments, result):
    with run.step("tool", name) as step:
        step.set_input(arguments)
        step.set_output(result)
        return result


def billing_agent(run, task):
    llm = FakeLLM([
        Turn(tool_calls=[ToolCall("list_charges", {"customer_id": "cus_881", "month": "2026-11"})]),
        Turn(tool_calls=[ToolCall("refund_charge", {"charge_id": "ch_2"})]),
        Turn(text="Refunded the duplicate charge ch_2 ($12.00)."),
    ], model="gpt-4o-mini", latency=0.02)
    messages = [{"role": "system", "content": "You are the billing specialist."}, {"role": "user", "content": task}]
    with run.step("agent", BILLING) as agent:
        agent.set(**{"gen_ai.agent.description": "refunds, invoices, subscriptions"})
        charges = [{"id": "ch_1", "amount_usd": 12.0, "plan": "pro"}, {"id": "ch_2", "amount_usd": 12.0, "plan": "pro"}]
        results = {"list_charges": charges, "refund_charge": {"refund_id": "re_77", "charge_id": "ch_2", "state": "ok"}}
        while True:
            response = traced_chat(run, llm, messages)
            messages.append(response.message)
            if not response.tool_calls:
                break
            for call in response.tool_calls:
                out = tool(run, call.name, call.arguments, results[call.name])
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(out)})
        with handoff(run, PLANNER, BILLING, "billing issue resolved"):
            pass
        return response.text


def kb_researcher(run, question):
    llm = FakeLLM([Turn(text="Known issue IOS-412: app 5.2.0 drops the session token after sign-in "
                             "when Keychain sync is on; fix: sign out of all devices, update to 5.2.1.")],
                  model="gpt-4o-mini", latency=0.02)
    with run.step("agent", RESEARCHER) as agent:
        agent.set(**{"gen_ai.agent.description": "searches the engineering knowledge base"})
        with run.step("retrieval", "search_kb") as step:
            step.set(**{"gen_ai.retrieval.query.text": question, "top_k": 3})
            docs = [{"id": "IOS-412", "score": 0.91, "text": "Session token dropped after sign-in (5.2.0)"}]
            step.set_output(docs)
        context = {"role": "system", "content": "Documents: " + json.dumps(docs)}
        response = traced_chat(run, llm, [context, {"role": "user", "content": question}])
        return response.text


def tech_support(run, task):
    llm = FakeLLM([
        Turn(tool_calls=[ToolCall("get_device_logs", {"customer_id": "cus_881", "platform": "ios"})]),
        Turn(tool_calls=[ToolCall("revoke_sessions", {"customer_id": "cus_881"})]),
        Turn(text="Known bug IOS-412. I signed you out everywhere; update to 5.2.1 and sign in again."),
    ], model="claude-sonnet-4", provider="anthropic", response_model="claude-sonnet-4-20250514", latency=0.02)
    messages = [{"role": "system", "content": "You are the technical support specialist."},
                {"role": "user", "content": task}]
    with run.step("agent", TECH) as agent:
        agent.set(**{"gen_ai.agent.description": "app problems, accounts, devices"})
        response = traced_chat(run, llm, messages)
        messages.append(response.message)
        logs = tool(run, "get_device_logs", response.tool_calls[0].arguments,
                    {"app_version": "5.2.0", "last_error": "401 session token missing after sign-in"})
        messages.append({"role": "tool", "tool_call_id": response.tool_calls[0].id, "content": json.dumps(logs)})
        # A sub-agent, called directly (not a hand-off): the server records tech-support -> kb-researcher.
        finding = kb_researcher(run, "iOS app 5.2.0 logs out right after sign-in, 401 session token missing")
        messages.append({"role": "user", "content": "Research notes: " + finding})
        response = traced_chat(run, llm, messages)
        messages.append(response.message)
        tool(run, "revoke_sessions", response.tool_calls[0].arguments, {"revoked": 3})
        response = traced_chat(run, llm, messages)
        with handoff(run, PLANNER, TECH, "app issue answered"):
            pass
        return response.text


def main(argv=None):
    args = parse_args(__doc__.splitlines()[1], argv)
    tracer = make_tracer(args, PLANNER, "1.0.0")
    planner_llm = FakeLLM([
        Turn(text="Two issues: duplicate charge (billing-agent), app logout (tech-support).",
             tool_calls=[ToolCall("transfer_to_billing-agent", {}), ToolCall("transfer_to_tech-support", {})]),
        Turn(text="Both issues are handled: the duplicate $12.00 charge was refunded, and the logout "
                  "bug is fixed in app 5.2.1 (you were signed out everywhere; please update and sign in)."),
    ], model="gpt-4o", latency=0.02)
    messages = [{"role": "system", "content": "You are the planner. Route each problem to a specialist."},
                {"role": "user", "content": REQUEST}]
    with tracer.start_run(name="customer-request", session_id="sess-" + uuid.uuid4().hex[:12],
                          user_id="cus_881", tags=["multi-agent"]) as run:
        with run.step("plan", "route_request") as step:
            response = traced_chat(run, planner_llm, messages)
            step.set(routes=[c.name for c in response.tool_calls])
        messages.append(response.message)
        with handoff(run, BILLING, PLANNER, "duplicate charge"):
            billing_answer = billing_agent(run, "Customer cus_881 reports a duplicate Pro charge in 2026-11.")
        with handoff(run, TECH, PLANNER, "iOS app logs out after sign-in"):
            tech_answer = tech_support(run, "Customer cus_881: iOS app logs out right after sign-in.")
        messages.append({"role": "user", "content": "billing-agent: %s\ntech-support: %s" % (billing_answer, tech_answer)})
        answer = traced_chat(run, planner_llm, messages).text
        with run.step("respond", "reply_to_customer") as step:
            step.set_output(answer)
        run.set_output(answer)
    print("customer: %s\nplanner: %s" % (REQUEST, answer))
    print("agents: %s, %s, %s, %s; handoffs: planner->billing-agent->planner, planner->tech-support->planner; "
          "invoke: tech-support->kb-researcher" % (PLANNER, BILLING, TECH, RESEARCHER))
    runs = [{"run_id": run.run_id, "name": "customer-request",
             "expect": {"status": "ok", "agents": [PLANNER, BILLING, TECH, RESEARCHER],
                        "handoffs": [[PLANNER, BILLING], [BILLING, PLANNER], [PLANNER, TECH], [TECH, PLANNER]],
                        "invokes": [[TECH, RESEARCHER]]}}]
    return finish(args, [tracer], runs)


if __name__ == "__main__":
    sys.exit(main())
