import { describe, expect, it } from 'vitest';
import { clip, formatBytes, prettyValue } from './content';

describe('prettyValue', () => {
  it('pretty-prints JSON values and JSON text', () => {
    expect(prettyValue({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyValue('{"to":"OSL"}', 'application/json')).toBe('{\n  "to": "OSL"\n}');
    expect(prettyValue('[1,2]')).toBe('[\n  1,\n  2\n]');
  });
  it('leaves text and broken JSON alone', () => {
    expect(prettyValue('hello')).toBe('hello');
    expect(prettyValue('{broken', 'application/json')).toBe('{broken');
  });
});

describe('clip', () => {
  it('cuts long text by characters or lines, unless expanded', () => {
    expect(clip('x'.repeat(50), false, 10)).toEqual({ text: 'x'.repeat(10), cut: true });
    expect(clip('a\nb\nc\nd', false, 100, 2)).toEqual({ text: 'a\nb', cut: true });
    expect(clip('short', false)).toEqual({ text: 'short', cut: false });
    expect(clip('x'.repeat(50), true, 10).cut).toBe(false);
  });
});

describe('formatBytes', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4300)).toBe('4.2 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});
