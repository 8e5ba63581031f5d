"""A scripted fake chat model for the examples: deterministic, no network, no API key.

Each call to FakeLLM.chat() consumes the next Turn of its script. A turn either answers with text,
asks for tool calls, or fails the way real providers fail (rate limit, timeout, context length).
Token counts are computed from the messages (about 4 characters per token, like the usual rule of
thumb), so they grow as a conversation grows, and a prompt larger than the model's context window
fails with a context-length error even without a scripted failure.

    llm = FakeLLM([
        Turn(tool_calls=[ToolCall("lookup_order", {"order_id": "A1234"})]),
        Turn(text="Your order shipped yesterday."),
    ])
    response = llm.chat(messages)          # -> Response(message=..., tool_calls=[...], usage=...)
"""
import json
import time

__all__ = ["FakeLLM", "Turn", "ToolCall", "Response", "Usage", "FakeLLMError", "RateLimitError",
           "APITimeoutError", "ContextLengthExceededError", "ScriptExhaustedError", "count_tokens"]


class FakeLLMError(Exception):
    """Base class: what a provider SDK raises. `status_code` mirrors the HTTP status."""
    status_code = 500


class RateLimitError(FakeLLMError):
    status_code = 429

    def __init__(self, model, retry_after=2.0):
        super().__init__("Error code: 429 - Rate limit reached for %s in organization org-demo on "
                         "tokens per min (TPM): Limit 30000, Used 29750, Requested 1200. "
                         "Please try again in %.1fs." % (model, retry_after))
        self.retry_after = retry_after


class APITimeoutError(FakeLLMError):
    status_code = 408

    def __init__(self, model, seconds=30.0):
        super().__init__("Request timed out after %.0fs waiting for %s" % (seconds, model))


class ContextLengthExceededError(FakeLLMError):
    status_code = 400

    def __init__(self, model, limit, requested):
        super().__init__("Error code: 400 - This model's maximum context length is %d tokens. However, "
                         "your messages resulted in %d tokens. Please reduce the length of the "
                         "messages. (model=%s, code=context_length_exceeded)" % (limit, requested, model))
        self.limit = limit
        self.requested = requested


class ScriptExhaustedError(FakeLLMError):
    """The agent asked for more turns than the script has: a bug in the example, not a demo."""


class ToolCall:
    _next_id = 0

    def __init__(self, name, arguments=None, call_id=None):
        self.name = name
        self.arguments = dict(arguments or {})
        if call_id is None:
            ToolCall._next_id += 1
            call_id = "call_%04d" % ToolCall._next_id
        self.id = call_id

    def to_dict(self):
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": json.dumps(self.arguments, sort_keys=True)}}

    def __repr__(self):
        return "ToolCall(%r, %r)" % (self.name, self.arguments)


class Turn:
    """One scripted model response. Exactly one of text / tool_calls / error is the point of it
    (text may accompany tool calls). error: "rate_limit", "timeout" or "context_length"."""

    ERRORS = ("rate_limit", "timeout", "context_length")

    def __init__(self, text=None, tool_calls=None, error=None, finish_reason=None):
        if error is not None and error not in self.ERRORS:
            raise ValueError("turn error: unknown %r (expected one of %s)" % (error, ", ".join(self.ERRORS)))
        self.text = text
        self.tool_calls = list(tool_calls or [])
        self.error = error
        self.finish_reason = finish_reason or ("tool_calls" if self.tool_calls else "stop")


class Usage:
    def __init__(self, input_tokens, output_tokens):
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.total_tokens = input_tokens + output_tokens


class Response:
    def __init__(self, model, message, tool_calls, usage, finish_reason):
        self.model = model
        self.message = message          # the assistant message, OpenAI chat format
        self.tool_calls = tool_calls    # [ToolCall]
        self.usage = usage              # Usage
        self.finish_reason = finish_reason

    @property
    def text(self):
        return self.message.get("content") or ""


def count_tokens(value):
    """Deterministic token estimate: ~4 characters per token plus 4 per message of overhead."""
    if isinstance(value, list):
        return sum(4 + count_tokens(m) for m in value)
    if isinstance(value, dict):
        return sum(count_tokens(v) for v in value.values())
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, (len(text) + 3) // 4)


class FakeLLM:
    """Scripted chat model. chat() returns the next turn's Response or raises its error."""

    def __init__(self, script, model="gpt-4o-mini", provider="openai", context_window=16384,
                 response_model=None, latency=0.0):
        self.script = [t if isinstance(t, Turn) else Turn(text=str(t)) for t in script]
        self.model = model
        self.provider = provider
        self.context_window = context_window
        self.response_model = response_model or model + "-2024-07-18"
        self.latency = latency  # seconds per call, so traces have visible durations
        self.calls = 0

    @property
    def remaining(self):
        return len(self.script) - self.calls

    def chat(self, messages, tools=None):
        if self.calls >= len(self.script):
            raise ScriptExhaustedError("fake llm: script has %d turns, call %d asked for another"
                                       % (len(self.script), self.calls + 1))
        turn = self.script[self.calls]
        self.calls += 1
        if self.latency > 0:
            time.sleep(self.latency)
        prompt_tokens = count_tokens(messages) + (count_tokens(tools) if tools else 0)
        if turn.error == "context_length" or prompt_tokens > self.context_window:
            raise ContextLengthExceededError(self.model, self.context_window, max(prompt_tokens,
                                                                                  self.context_window + 1))
        if turn.error == "rate_limit":
            raise RateLimitError(self.model)
        if turn.error == "timeout":
            raise APITimeoutError(self.model)
        message = {"role": "assistant", "content": turn.text}
        if turn.tool_calls:
            message["tool_calls"] = [c.to_dict() for c in turn.tool_calls]
        completion_tokens = count_tokens(turn.text or "") + sum(count_tokens(c.to_dict()) for c in turn.tool_calls)
        return Response(self.response_model, message, list(turn.tool_calls),
                        Usage(prompt_tokens, completion_tokens), turn.finish_reason)
