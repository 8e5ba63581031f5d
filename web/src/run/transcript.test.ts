import { describe, expect, it } from 'vitest';
import { outlineFromDoc } from './outline';
import { buildEntryIndex, chatLine, entryAt, entryForSeq, fieldMessages, previousTurns, seenPrefix, transcriptEntries } from './transcript';
import { doc } from './testutil';
import type { AgentMessage } from './types';

const msg = (from: string, to: string, kind: string, step: string): AgentMessage =>
  ({ from_agent: from, to_agent: to, kind, step_id: step, time: null, time_unix_nano: null });

describe('transcriptEntries', () => {
  const o = outlineFromDoc(
    doc([
      { id: 'root', type: 'agent', agent: 'sup', start: 0, failed: true },
      { id: 'l1', parent: 'root', type: 'llm', agent: 'sup', start: 1 },
      { id: 'h', parent: 'root', type: 'handoff', agent: 'sup', start: 2 },
      { id: 'sub', parent: 'root', type: 'agent', agent: 'res', start: 3 },
      { id: 'l2', parent: 'sub', type: 'llm', agent: 'res', start: 4 },
      { id: 't', parent: 'sub', type: 'tool', agent: 'res', start: 5, failed: true },
      { id: 'l3', parent: 'root', type: 'llm', agent: 'sup', start: 6 },
    ]),
  );
  const messages = [msg('sup', 'res', 'handoff', 'h'), msg('sup', 'res', 'invoke', 'sub'), msg('x', 'y', 'message', 'nope')];

  it('lists llm turns, tools, handoffs, messages and failures in execution order', () => {
    const kinds = transcriptEntries(o, messages).map((e) => `${e.kind}:${o.stepIds[e.seq]}`);
    expect(kinds).toEqual(['failure:root', 'llm:l1', 'handoff:h', 'message:sub', 'llm:l2', 'tool:t', 'failure:t', 'llm:l3']);
  });

  it('restricts to a seq range (transcript pages)', () => {
    expect(transcriptEntries(o, messages, 4, 6).map((e) => e.kind)).toEqual(['llm', 'tool', 'failure']);
  });

  it('links each llm turn to the previous turn of the same agent', () => {
    const prev = previousTurns(o, transcriptEntries(o, messages));
    const at = (id: string) => o.index.get(id)!;
    expect(prev.get(at('l1'))).toBe(-1);
    expect(prev.get(at('l2'))).toBe(-1); // another agent
    expect(prev.get(at('l3'))).toBe(at('l1'));
  });
});

describe('seenPrefix', () => {
  const sys = { role: 'system', content: 'be brief' };
  const u1 = { role: 'user', content: 'hi' };
  const a1 = { role: 'assistant', content: 'hello' };
  const u2 = { role: 'user', content: 'flights?' };
  it('skips the history the previous turn already showed (its input and output)', () => {
    expect(seenPrefix([sys, u1], [a1], [sys, u1, a1, u2])).toBe(3);
  });
  it('shows everything when the history diverges or there is no previous turn', () => {
    expect(seenPrefix([], [], [sys, u1])).toBe(0);
    expect(seenPrefix([u2], [a1], [sys, u1])).toBe(0);
  });
});

describe('chatLine', () => {
  it('reads plain, GenAI-parts and OpenAI tool-call messages', () => {
    expect(chatLine({ role: 'user', content: 'hi' })).toEqual({ role: 'user', text: 'hi', toolCalls: [] });
    expect(
      chatLine({ role: 'assistant', parts: [{ type: 'text', content: 'let me look' }, { type: 'tool_call', name: 'search', arguments: { q: 'oslo' } }] }),
    ).toEqual({ role: 'assistant', text: 'let me look', toolCalls: [{ name: 'search', args: '{"q":"oslo"}' }] });
    expect(chatLine({ role: 'assistant', content: null, tool_calls: [{ function: { name: 'f', arguments: '{}' } }] })).toEqual({
      role: 'assistant', text: '', toolCalls: [{ name: 'f', args: '{}' }],
    });
    expect(chatLine('raw text').text).toBe('raw text');
    expect(chatLine(42).text).toBe('42');
  });
});

describe('fieldMessages', () => {
  it('takes list parts, parses JSON text and wraps anything else', () => {
    expect(fieldMessages({ name: 'input', mime: 'application/json', is_list: true, value: [1, 2] })).toEqual([1, 2]);
    expect(fieldMessages({ name: 'output', mime: 'application/json', is_list: false, value: '[{"a":1}]' })).toEqual([{ a: 1 }]);
    expect(fieldMessages({ name: 'output', mime: 'application/json', is_list: false, value: '{not json' })).toEqual(['{not json']);
    expect(fieldMessages({ name: 'output', mime: 'text/plain', is_list: false, value: 'hi' })).toEqual(['hi']);
    expect(fieldMessages(undefined)).toEqual([]);
  });
});

describe('buildEntryIndex', () => {
  const o = outlineFromDoc(
    doc([
      { id: 'root', type: 'agent', agent: 'sup', start: 0, failed: true },
      { id: 'l1', parent: 'root', type: 'llm', agent: 'sup', start: 1 },
      { id: 'h', parent: 'root', type: 'handoff', agent: 'sup', start: 2 },
      { id: 'sub', parent: 'root', type: 'agent', agent: 'res', start: 3 },
      { id: 'l2', parent: 'sub', type: 'llm', agent: 'res', start: 4 },
      { id: 't', parent: 'sub', type: 'tool', agent: 'res', start: 5, failed: true },
      { id: 'l3', parent: 'root', type: 'llm', agent: 'sup', start: 6 },
    ]),
  );
  const messages = [msg('sup', 'res', 'handoff', 'h'), msg('sup', 'res', 'invoke', 'sub'), msg('x', 'y', 'message', 'nope')];
  const ix = buildEntryIndex(o, messages);

  it('holds the same entries as transcriptEntries, in the same order', () => {
    const all = Array.from({ length: ix.count }, (_, i) => entryAt(ix, messages, i));
    expect(all).toEqual(transcriptEntries(o, messages));
    expect(entryAt(ix, messages, 3).message).toBe(messages[1]);
  });

  it('links each llm turn to the previous turn of the same agent', () => {
    const at = (id: string) => o.index.get(id)!;
    const prevOf = (id: string) => ix.prevTurn[entryForSeq(ix, at(id))];
    expect(prevOf('l1')).toBe(-1);
    expect(prevOf('l2')).toBe(-1); // another agent
    expect(prevOf('l3')).toBe(at('l1'));
  });

  it('finds the entry of a selected step, or the next one when the step has none', () => {
    const at = (id: string) => o.index.get(id)!;
    expect(entryForSeq(ix, at('root'))).toBe(0); // its failure entry
    expect(ix.seq[entryForSeq(ix, at('l2'))]).toBe(at('l2'));
    expect(ix.seq[entryForSeq(ix, at('sub'))]).toBe(at('sub')); // the message it carried
    expect(entryForSeq(ix, o.count)).toBe(ix.count);
  });

  it('scales to a 100,000-step outline', () => {
    const steps = [{ id: 'r', name: 'n', type: 'agent', start: 0 }];
    for (let i = 1; i < 100_000; i++) steps.push({ id: `s${i}`, name: 'n', type: i % 3 ? 'tool' : 'llm', start: i } as never);
    const big = outlineFromDoc(doc(steps as never));
    const bix = buildEntryIndex(big, []);
    expect(bix.count).toBe(99_999);
    expect(entryForSeq(bix, 99_999)).toBe(99_998);
    expect(bix.prevTurn[entryForSeq(bix, 6)]).toBe(3);
  });
});
