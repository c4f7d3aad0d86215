import { describe, expect, it } from 'vitest';
import type { WorkspaceFile } from './workspace.js';
import { workspaceIsIncomplete } from './workspace.js';

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
