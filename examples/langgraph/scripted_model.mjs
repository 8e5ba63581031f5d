// A scripted chat model shared by the LangGraph examples (no API key, no network): each call
// returns the next scripted turn (text or tool calls) with usage metadata computed from the prompt
// (~4 characters per token), like a provider.
//
// Import it after startTracing() (tracing.mjs): it loads LangChain modules, which must be
// instrumented first.
import { randomUUID } from 'node:crypto';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';

const countTokens = (messages) => messages.reduce((n, m) => {
  const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  return n + 4 + Math.ceil(text.length / 4) + Math.ceil(JSON.stringify(m.tool_calls ?? []).length / 4);
}, 0);

export class ScriptedChatModel extends BaseChatModel {
  /** script: [{text} | {toolCalls: [{name, args}]}]; responseModel: the name the "provider" reports. */
  constructor({ script, model = 'gpt-4o-mini', responseModel = model, latencyMs = 20 }) {
    super({});
    this.script = script;
    this.model = model;
    this.responseModel = responseModel;
    this.latencyMs = latencyMs;
    this.calls = 0;
  }

  _llmType() { return 'scripted'; }

  // What the instrumentation records as llm.model_name and llm.invocation_parameters.
  invocationParams(options) {
    return { model: this.model, tools: (options?.tools ?? []).map((t) => t.name) };
  }

  bindTools(tools) { return this.withConfig({ tools }); }

  async _generate(messages) {
    if (this.calls >= this.script.length) {
      throw new Error(`scripted model: script has ${this.script.length} turns, call ${this.calls + 1} asked for another`);
    }
    const turn = this.script[this.calls++];
    await new Promise((r) => setTimeout(r, this.latencyMs));
    const toolCalls = (turn.toolCalls ?? []).map((c, i) => ({
      id: `call_${randomUUID().slice(0, 8)}_${i}`, name: c.name, args: c.args, type: 'tool_call' }));
    const input = countTokens(messages);
    const output = Math.ceil((turn.text ?? '').length / 4) + Math.ceil(JSON.stringify(toolCalls).length / 4);
    const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    const message = new AIMessage({
      content: turn.text ?? '',
      tool_calls: toolCalls,
      usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
      response_metadata: { model_name: this.responseModel, finish_reason: finishReason },
    });
    return {
      generations: [{ text: turn.text ?? '', message, generationInfo: { finish_reason: finishReason } }],
      llmOutput: { tokenUsage: { promptTokens: input, completionTokens: output, totalTokens: input + output } },
    };
  }
}
