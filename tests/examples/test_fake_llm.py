"""Unit tests of examples/fake_llm.py, the scripted model every Python example relies on."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))

from fake_llm import (APITimeoutError, ContextLengthExceededError, FakeLLM, RateLimitError,  # noqa: E402
                      ScriptExhaustedError, ToolCall, Turn, count_tokens)

MESSAGES = [{"role": "user", "content": "where is my order?"}]


class FakeLLMTest(unittest.TestCase):
    def test_turns_are_consumed_in_order(self):
        llm = FakeLLM([Turn(tool_calls=[ToolCall("lookup_order", {"order_id": "A1"}, call_id="c1")]),
                       Turn(text="shipped")])
        first = llm.chat(MESSAGES)
        self.assertEqual(first.finish_reason, "tool_calls")
        self.assertEqual([(c.name, c.arguments) for c in first.tool_calls], [("lookup_order", {"order_id": "A1"})])
        self.assertEqual(first.message["tool_calls"][0]["function"],
                         {"name": "lookup_order", "arguments": json.dumps({"order_id": "A1"})})
        second = llm.chat(MESSAGES)
        self.assertEqual((second.text, second.finish_reason, second.tool_calls), ("shipped", "stop", []))
        self.assertEqual(llm.remaining, 0)

    def test_usage_is_deterministic_and_grows_with_the_prompt(self):
        a = FakeLLM(["ok"]).chat(MESSAGES).usage
        b = FakeLLM(["ok"]).chat(MESSAGES).usage
        self.assertEqual((a.input_tokens, a.output_tokens), (b.input_tokens, b.output_tokens))
        longer = FakeLLM(["ok"]).chat(MESSAGES + [{"role": "user", "content": "x" * 400}]).usage
        self.assertEqual(longer.input_tokens - a.input_tokens, 4 + 1 + 100)  # overhead + role + 400/4
        self.assertEqual(a.total_tokens, a.input_tokens + a.output_tokens)
        self.assertEqual(count_tokens("abcd"), 1)
        self.assertEqual(count_tokens("abcde"), 2)

    def test_scripted_provider_errors(self):
        llm = FakeLLM([Turn(error="rate_limit"), Turn(error="timeout"), Turn(error="context_length")], model="m")
        with self.assertRaises(RateLimitError) as rl:
            llm.chat(MESSAGES)
        self.assertEqual(rl.exception.status_code, 429)
        self.assertIn("Rate limit", str(rl.exception))
        self.assertNotIn("quota", str(rl.exception).lower())  # would classify as quota_exceeded
        with self.assertRaisesRegex(APITimeoutError, "timed out"):
            llm.chat(MESSAGES)
        with self.assertRaisesRegex(ContextLengthExceededError, "maximum context length"):
            llm.chat(MESSAGES)

    def test_prompt_over_the_window_fails_without_a_scripted_error(self):
        llm = FakeLLM(["never"], context_window=50)
        with self.assertRaises(ContextLengthExceededError) as e:
            llm.chat([{"role": "user", "content": "y" * 1000}])
        self.assertEqual(e.exception.limit, 50)
        self.assertGreater(e.exception.requested, 50)

    def test_asking_past_the_script_is_an_error(self):
        llm = FakeLLM(["only"])
        llm.chat(MESSAGES)
        with self.assertRaisesRegex(ScriptExhaustedError, "script has 1 turns, call 2"):
            llm.chat(MESSAGES)

    def test_unknown_error_kind_is_rejected(self):
        with self.assertRaisesRegex(ValueError, "unknown 'overheat'"):
            Turn(error="overheat")


if __name__ == "__main__":
    unittest.main()
