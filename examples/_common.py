"""Shared plumbing for the Python examples: command line, SDK import, the traced LLM call and the
final flush/report. Not part of the SDK; examples keep their agent logic in their own file."""
import argparse
import json
import os
import sys

try:
    import tracery_sdk  # noqa: F401  (installed with `pip install ./sdk/python`)
except ImportError:  # running from a checkout: use the SDK next door
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk", "python"))
    import tracery_sdk  # noqa: F401

from tracery_sdk import Tracer, current_step  # noqa: E402

__all__ = ["parse_args", "make_tracer", "traced_chat", "finish", "Tracer", "current_step"]


def parse_args(description, argv=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint", default=os.environ.get("TRACERY_ENDPOINT", "http://127.0.0.1:4318"),
                   help="Tracery OTLP/HTTP base URL (default %(default)s)")
    p.add_argument("--api-key", default=os.environ.get("TRACERY_API_KEY"),
                   help="API key when the server requires one (default: $TRACERY_API_KEY)")
    p.add_argument("--environment", default="dev", help="deployment environment (default %(default)s)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON summary line at the end (used by tests/examples)")
    return p.parse_args(argv)


def make_tracer(args, agent_id, agent_version):
    # Short export timeouts and few retries: an example should report an unreachable server within
    # seconds, not hang for the SDK's production backoff.
    return Tracer(agent_id, agent_version, environment=args.environment, endpoint=args.endpoint,
                  api_key=args.api_key, export_timeout=5.0, max_retries=2, backoff_max=2.0,
                  schedule_delay=0.2)


def traced_chat(run, llm, messages, tools=None, name=None):
    """One model call as an llm step: model, prompt, completion, tokens, finish reason. Provider
    errors propagate (the step records them as an exception event; the server classifies it)."""
    with run.step("llm", name or "chat %s" % llm.model) as step:
        step.set_model(llm.model, provider=llm.provider)
        step.set_input(messages)
        if tools:
            step.set(**{"gen_ai.request.tools": [t["name"] for t in tools]})
        response = llm.chat(messages, tools=tools)
        step.set_model(llm.model, provider=llm.provider, response_model=response.model)
        step.set_output([response.message])
        step.set_tokens(input=response.usage.input_tokens, output=response.usage.output_tokens)
        step.set(**{"gen_ai.response.finish_reasons": [response.finish_reason]})
        return response


def finish(args, tracers, runs):
    """Flushes every tracer, prints what was sent and the run ids; returns the exit code.
    runs: [{"run_id", "name", "expect": {...}}]."""
    ok = True
    sent = 0
    for tracer in tracers:
        flushed = tracer.flush(15.0)
        stats = tracer.stats()
        sent += stats["spans_exported"]
        if not flushed or stats["spans_dropped"] or stats["spans_exported"] < stats["spans_enqueued"]:
            ok = False
            print("error: could not deliver every span to %s (exported %d of %d, dropped %d, last error: %s)"
                  % (args.endpoint, stats["spans_exported"], stats["spans_enqueued"], stats["spans_dropped"],
                     stats.get("last_error") or "none"), file=sys.stderr)
    print("sent %d spans in %d run(s) to %s" % (sent, len(runs), args.endpoint))
    for r in runs:
        expect = ", ".join("%s=%s" % (k, v) for k, v in sorted(r.get("expect", {}).items())
                           if not isinstance(v, (list, dict)))
        print("  run %s  %-24s %s" % (r["run_id"], r["name"], expect))
    if runs:
        print("see them with: tracery runs --server %s   |   tracery show --server %s %s"
              % (args.endpoint, args.endpoint, runs[0]["run_id"]))
    if args.json:
        print(json.dumps({"endpoint": args.endpoint, "spans_exported": sent, "runs": runs}, sort_keys=True))
    return 0 if ok else 1
