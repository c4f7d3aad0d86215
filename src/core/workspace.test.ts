import { describe, expect, it } from 'vitest';
import type { WorkspaceFile } from './workspace.js';
import { contentsMismatch, workspaceIsIncomplete } from './workspace.js';

const file = (type: WorkspaceFile['type'], omitted?: boolean): WorkspaceFile => ({ path: `f.${type}`, size: 1, type, ...(omitted === undefined ? {} : { omitted }) });

describe('workspaceIsIncomplete', () => {
  it.each([
    { name: 'nothing left out', incomplete: false, files: [file('javascript'), file('binary')], expected: false },
    { name: 'a cap stopped the workspace', incomplete: true, files: [file('javascript')], expected: true },
    { name: 'an oversized data file (a bundled database)', incomplete: false, files: [file('binary', true)], expected: false },
    { name: 'an oversized image', incomplete: false, files: [file('image', true)], expected: false },
    { name: 'an oversized script', incomplete: false, files: [file('javascript', true)], expected: true },
    { name: 'an oversized executable', incomplete: false, files: [file('elf', true)], expected: true },
    { name: 'an oversized text file', incomplete: false, files: [file('text', true)], expected: true },
  ])('$name → $expected', ({ incomplete, files, expected }) => {
    expect(workspaceIsIncomplete({ incomplete, files })).toBe(expected);
  });
});

describe('contentsMismatch', () => {
  const files: WorkspaceFile[] = [
    { path: 'a.js', size: 3, type: 'javascript' },
    { path: 'big.bin', size: 9, type: 'binary', omitted: true },
  ];
  it.each([
    { name: 'every kept file, right sizes', contents: [['a.js', 3]], expected: undefined },
    { name: 'a listed file missing', contents: [], expected: 'a.js is listed but has no contents' },
    { name: 'a file of another size', contents: [['a.js', 4]], expected: 'a.js is listed with 3 bytes but has 4' },
    { name: 'a file the listing does not hold', contents: [['a.js', 3], ['extra.js', 1]], expected: 'the contents hold 1 file(s) the workspace does not list' },
    { name: 'bytes for an omitted file', contents: [['a.js', 3], ['big.bin', 9]], expected: 'the contents hold 1 file(s) the workspace does not list' },
  ] as { name: string; contents: [string, number][]; expected: string | undefined }[])('$name', ({ contents, expected }) => {
    expect(contentsMismatch({ files }, new Map(contents.map(([p, n]) => [p, new Uint8Array(n)])))).toBe(expected);
  });
});
