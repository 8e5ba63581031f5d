"""Tracer / Run / Step. A run is one trace whose root span is an agent step; every step is a span
carrying the tracery.* attributes of docs/conventions.md plus standard GenAI attributes."""
import atexit
import contextvars
import json
import logging
import os
import random
import time
import traceback
import weakref

from . import _privacy
from ._export import Exporter

_log = logging.getLogger("tracery_sdk")

STEP_TYPES = ("agent", "llm", "tool", "retrieval", "embedding", "rerank", "guardrail", "handoff", "plan",
              "respond", "chain", "other")
_OPERATION = {"llm": "chat", "tool": "execute_tool", "agent": "invoke_agent", "embedding": "embeddings",
              "retrieval": "retrieval", "rerank": "rerank"}
_STATUS_OK, _STATUS_ERROR = 1, 2

_current = contextvars.ContextVar("tracery_current_step", default=None)


def current_step():
    """The innermost active Step in this thread/task, or None."""
    return _current.get()


# Ids need uniqueness, not secrecy (the OpenTelemetry SDK does the same); os.urandom per id is a
# syscall that costs tens of microseconds in sandboxes. Reseeded in forked children so they differ.
_rng = random.Random(os.urandom(32))
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(32)))


def _new_id(nbytes):
    while True:
        v = _rng.getrandbits(nbytes * 8)
        if v:  # all-zero ids are invalid in OTLP
            return "%0*x" % (nbytes * 2, v)


def _check_type(step_type):
    # A typo in a step type must not crash the agent: warn and record it as "other".
    if step_type in STEP_TYPES:
        return step_type
    _log.warning("tracery_sdk: step_type: unknown %r (expected one of %s); using 'other'",
                 step_type, ", ".join(STEP_TYPES))
    return "other"


def _safe_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except Exception:
        try:
            return str(value)
        except Exception:
            return "<unprintable %s>" % type(value).__name__


class Step:
    """One span. Use as a (async) context manager; exceptions mark it failed and propagate."""

    def __init__(self, tracer, run, step_type, name, parent_id, attributes=None):
        step_type = _check_type(step_type)
        self._tracer = tracer
        self.run = run
        self.type = step_type
        self.name = name
        self.trace_id = run.trace_id if run is not None else None
        self.span_id = _new_id(8)
        self.parent_id = parent_id
        self.attributes = {"tracery.step.type": step_type}
        op = _OPERATION.get(step_type)
        if op:
            self.attributes["gen_ai.operation.name"] = op
        if step_type == "tool":
            self.attributes["gen_ai.tool.name"] = name
        if attributes:
            self.attributes.update(attributes)
        self.events = []
        self.status_code = 0
        self.status_message = ""
        self.start_ns = 0
        self.end_ns = 0
        self._token = None
        self._ended = False

    # -- metadata ----------------------------------------------------------------------------
    def set(self, **attrs):
        """Safe metadata: each key becomes a span attribute (non-scalar values as JSON text)."""
        for k, v in attrs.items():
            if v is not None:
                self.attributes[k] = _safe_value(v)
        return self

    def set_attribute(self, key, value):
        if value is not None:
            self.attributes[key] = _safe_value(value)
        return self

    def set_model(self, model, provider=None, response_model=None):
        self.attributes["gen_ai.request.model"] = model
        if response_model:
            self.attributes["gen_ai.response.model"] = response_model
        if provider:
            self.attributes["gen_ai.provider.name"] = provider
        return self

    def set_tokens(self, input=None, output=None, total=None, cache_read=None, cache_write=None,  # noqa: A002
                   reasoning=None):
        """Gross token counts (input includes cached tokens)."""
        for key, v in (("gen_ai.usage.input_tokens", input), ("gen_ai.usage.output_tokens", output),
                       ("gen_ai.usage.total_tokens", total), ("gen_ai.usage.cache_read.input_tokens", cache_read),
                       ("gen_ai.usage.cache_creation.input_tokens", cache_write),
                       ("gen_ai.usage.reasoning.output_tokens", reasoning)):
            if v is not None:
                self.attributes[key] = int(v)
        return self

    def set_cost(self, usd):
        self.attributes["tracery.cost.usd"] = float(usd)
        return self

    def set_input(self, value):
        """Content (dropped in metadata-only): messages for llm, arguments for tool, else input.value."""
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if self.type == "llm" and not isinstance(value, str):
            self.attributes["gen_ai.input.messages"] = text
        elif self.type in ("tool", "handoff"):
            self.attributes["gen_ai.tool.call.arguments"] = text
        else:
            self.attributes["input.value"] = text
            self.attributes["input.mime_type"] = "text/plain" if isinstance(value, str) else "application/json"
        return self

    def set_output(self, value):
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if self.type == "llm" and not isinstance(value, str):
            self.attributes["gen_ai.output.messages"] = text
        elif self.type in ("tool", "handoff"):
            self.attributes["gen_ai.tool.call.result"] = text
        else:
            self.attributes["output.value"] = text
            self.attributes["output.mime_type"] = "text/plain" if isinstance(value, str) else "application/json"
        return self

    def handoff(self, to_agent, from_agent=None):
        self.attributes["tracery.handoff.to"] = to_agent
        self.attributes["tracery.handoff.from"] = from_agent or self._tracer.agent_id
        return self

    def record_failure(self, failure_type, failure_code, message=""):
        self.attributes["tracery.failure.type"] = failure_type
        self.attributes["tracery.failure.code"] = failure_code
        if message:
            self.attributes["tracery.failure.message"] = message
        self.status_code = _STATUS_ERROR
        self.status_message = message or failure_code
        return self

    def record_exception(self, exc):
        self.events.append({"time_ns": time.time_ns(), "name": "exception", "attributes": {
            "exception.type": type(exc).__qualname__,
            "exception.message": str(exc),
            "exception.stacktrace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-8192:],
        }})
        self.status_code = _STATUS_ERROR
        if not self.status_message:
            self.status_message = "%s: %s" % (type(exc).__qualname__, exc)
        return self

    def add_event(self, name, **attrs):
        self.events.append({"time_ns": time.time_ns(), "name": name,
                            "attributes": {k: _safe_value(v) for k, v in attrs.items()}})
        return self

    # -- nesting -----------------------------------------------------------------------------
    def step(self, step_type, name, **attrs):
        """A child step of this one."""
        return Step(self._tracer, self.run, step_type, name, self.span_id, attrs or None)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        self.start_ns = time.time_ns()
        self._token = _current.set(self)
        return self

    def end(self, exc=None):
        if self._ended:
            return
        self._ended = True
        if exc is not None:
            self.record_exception(exc)
        elif self.status_code == 0:
            self.status_code = _STATUS_OK
        self.end_ns = max(time.time_ns(), self.start_ns)
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # ended in another context (e.g. a different task)
                pass
            self._token = None
        self._tracer._emit(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.end(exc)
        return False

    async def __aenter__(self):
        return self.start()

    async def __aexit__(self, exc_type, exc, tb):
        self.end(exc)
        return False


class Run(Step):
    """The root agent step of a trace. Steps opened with run.step() nest under the innermost
    active step of this run in the current context, else under the run."""

    def __init__(self, tracer, name, session_id=None, user_id=None, tags=None, metadata=None, agent_id=None):
        self.trace_id = _new_id(16)
        super().__init__(tracer, self, "agent", name or tracer.agent_id, None)
        agent = agent_id or tracer.agent_id
        self.attributes.update({
            "tracery.agent.id": agent,
            "gen_ai.agent.name": agent,
            "tracery.agent.version": tracer.agent_version,
            "tracery.environment": tracer.environment,
        })
        if name:
            self.attributes["gen_ai.workflow.name"] = name
        if session_id:
            self.attributes["session.id"] = str(session_id)
        if user_id:
            self.attributes["user.id"] = str(user_id)
        if tags:
            self.attributes["tag.tags"] = [str(t) for t in tags]
        if metadata:
            self.attributes["metadata"] = json.dumps(metadata, default=str, sort_keys=True)

    @property
    def run_id(self):
        return self.trace_id

    def step(self, step_type, name, **attrs):
        cur = _current.get()
        parent = cur.span_id if cur is not None and cur.run is self else self.span_id
        return Step(self._tracer, self, step_type, name, parent, attrs or None)

    def record_failure(self, failure_type, failure_code, message="", step=None):
        """Semantic failure on `step` (default: the run itself). A step that already ended has been
        exported, so its failure goes on the run, naming the step in the message."""
        if step is not None and step is not self:
            if not step._ended:
                step.record_failure(failure_type, failure_code, message)
                # A recorded failure fails the run (otherwise the server reads it as recovered/partial).
                self._run_failed = True
                # Remember the first one: the root repeats it at the end, so the run's failure stays
                # semantic when the agent carried on after that step (the server then treats the
                # step's failure as handled and reports the root's, which would be generic).
                if self._step_failure is None:
                    self._step_failure = (failure_type, failure_code, message)
                return self
            message = "step %r: %s" % (step.name, message) if message else "step %r" % step.name
        return Step.record_failure(self, failure_type, failure_code, message)

    _run_failed = False
    _step_failure = None

    def end(self, exc=None):
        if self._run_failed and exc is None and self.status_code == 0:
            if self._step_failure is not None and "tracery.failure.type" not in self.attributes:
                Step.record_failure(self, *self._step_failure)
            else:
                self.status_code = _STATUS_ERROR
                self.status_message = "a step failed"
        if exc is not None and not self._ended and "tracery.failure.type" not in self.attributes:
            Step.record_failure(self, "orchestration", "uncaught_exception",
                                "%s: %s" % (type(exc).__qualname__, exc))
        super().end(exc)

    def _attempt_step(self, step_type, name, attempt, previous, attempts):
        s = self.step(step_type, name)
        s.attributes["tracery.step.attempt"] = attempt
        # The retry budget: the server reports an exhausted chain as max_retries_exceeded.
        s.attributes["tracery.step.max_attempts"] = max(1, attempts)
        if previous is not None:
            s.attributes["tracery.step.retry_of"] = previous.span_id
        return s

    def retry(self, fn, attempts=3, step_type="tool", name=None, retry_on=(Exception,), backoff=0.0):
        """Calls fn() up to `attempts` times, each attempt its own step linked to the previous one
        (tracery.step.attempt / tracery.step.retry_of, and the budget as tracery.step.max_attempts).
        Returns fn's result; re-raises the last error."""
        name = name or getattr(fn, "__name__", "call")
        previous = None
        for attempt in range(1, max(1, attempts) + 1):
            s = self._attempt_step(step_type, name, attempt, previous, attempts)
            try:
                with s:
                    return fn()
            except retry_on:
                if attempt >= attempts:
                    raise
                previous = s
                if backoff > 0:
                    time.sleep(backoff * (2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    async def aretry(self, fn, attempts=3, step_type="tool", name=None, retry_on=(Exception,), backoff=0.0):
        """Async retry: fn() returns an awaitable."""
        import asyncio
        name = name or getattr(fn, "__name__", "call")
        previous = None
        for attempt in range(1, max(1, attempts) + 1):
            s = self._attempt_step(step_type, name, attempt, previous, attempts)
            try:
                async with s:
                    return await fn()
            except retry_on:
                if attempt >= attempts:
                    raise
                previous = s
                if backoff > 0:
                    await asyncio.sleep(backoff * (2 ** (attempt - 1)))
        raise AssertionError("unreachable")


class Tracer:
    """Entry point. Construct once per process/agent; export happens on a background thread."""

    def __init__(self, agent_id, agent_version, environment="production", endpoint="http://127.0.0.1:4318",
                 api_key=None, privacy="full", service_name=None, **exporter_options):
        self.agent_id = str(agent_id)
        self.agent_version = str(agent_version)
        self.environment = str(environment)
        self.privacy = _privacy.validate_mode(privacy)
        resource = {"service.name": service_name or self.agent_id, "service.version": self.agent_version,
                    "deployment.environment.name": self.environment, "telemetry.sdk.name": "tracery_sdk",
                    "telemetry.sdk.language": "python", "tracery.agent.version": self.agent_version}
        self._exporter = Exporter(endpoint, resource, api_key=api_key, transform=self._filter_span,
                                  **exporter_options)
        ref = weakref.ref(self)
        self._atexit = lambda: ref() is not None and ref().shutdown(timeout=5.0)
        atexit.register(self._atexit)

    def start_run(self, name=None, session_id=None, user_id=None, tags=None, metadata=None, agent_id=None):
        """A new run (trace). Use with `with` / `async with`."""
        return Run(self, name, session_id=session_id, user_id=user_id, tags=tags, metadata=metadata,
                   agent_id=agent_id)

    def step(self, step_type, name=None):
        """Decorator: each call of the (sync or async) function runs inside a step of the active
        run (nested under the current step). Outside any run the function runs untraced."""
        import functools
        import inspect

        def decorate(fn):
            step_name = name or fn.__name__

            def open_step():
                cur = _current.get()
                return None if cur is None else cur.step(step_type, step_name)

            if inspect.iscoroutinefunction(fn):
                @functools.wraps(fn)
                async def async_wrapper(*args, **kwargs):
                    s = open_step()
                    if s is None:
                        return await fn(*args, **kwargs)
                    async with s:
                        return await fn(*args, **kwargs)
                return async_wrapper

            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                s = open_step()
                if s is None:
                    return fn(*args, **kwargs)
                with s:
                    return fn(*args, **kwargs)
            return wrapper
        step_type = _check_type(step_type)
        return decorate

    def _emit(self, step):
        # Copies only: the privacy filter runs on the export thread (see _filter_span), keeping
        # the agent thread's cost low.
        try:
            self._exporter.enqueue({
                "trace_id": step.trace_id, "span_id": step.span_id, "parent_id": step.parent_id,
                "name": step.name, "start_ns": step.start_ns, "end_ns": step.end_ns,
                "attributes": dict(step.attributes), "status_code": step.status_code,
                "status_message": step.status_message,
                "events": [dict(e, attributes=dict(e["attributes"])) for e in step.events]})
        except Exception as e:  # never break the agent
            _log.warning("tracery_sdk: could not record step %r: %s", step.name, e)

    def _filter_span(self, span):
        mode = self.privacy
        span["attributes"] = _privacy.filter_attributes(span["attributes"], mode)
        span["status_message"] = _privacy.redact(span["status_message"], mode)
        for e in span["events"]:
            e["attributes"] = _privacy.filter_attributes(e["attributes"], mode)
        return span

    def flush(self, timeout=5.0):
        """Blocks until spans ended before this call are exported or dropped; True if done in time."""
        return self._exporter.flush(timeout)

    def shutdown(self, timeout=5.0):
        try:
            atexit.unregister(self._atexit)
        except Exception:
            pass
        return self._exporter.shutdown(timeout)

    def stats(self):
        """Counters: spans_enqueued, spans_exported, spans_dropped (= queue_full + export), retries, ..."""
        return self._exporter.stats()
