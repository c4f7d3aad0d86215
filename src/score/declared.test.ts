import { describe, expect, it } from 'vitest';
import type { CapabilityClass, Finding } from '../core/finding.js';
import { makeFinding } from '../core/finding.js';
import type { ToolInfo } from '../core/tool.js';
import { annotateDeclared, declaringTool } from './declared.js';

const tool = (name: string, description: string): ToolInfo => ({ name, description, source: 'static' });

describe('declaringTool', () => {
  it.each([
    ['process', [tool('run_command', 'Run a shell command and return its output')], 'run_command'],
    ['process', [tool('browser_navigate', 'Navigate the browser to a URL')], 'browser_navigate'],
    ['process', [tool('get_weather', 'Returns the weather for a city.')], undefined],
    ['clipboard', [tool('paste', 'Reads the clipboard')], 'paste'],
    ['clipboard', [tool('add', 'Adds two numbers.')], undefined],
    ['credentials', [tool('ssh_exec', 'Connect over SSH to a host')], 'ssh_exec'],
  ] as const)('%s declared by %j → %s', (cls, tools, expected) => {
    expect(declaringTool(cls as CapabilityClass, tools)).toBe(expected);
  });
});

describe('annotateDeclared', () => {
  const rule = { id: 'code/x', title: 'X', severity: 'medium', kind: 'capability', capability: 'process', description: 'd', recommendation: 'r' } as const;

  it('marks only capability findings whose class a tool declares', () => {
    const cap = makeFinding(rule, 'code', { evidence: 'spawn(x)' });
    const threat: Finding = makeFinding({ ...rule, id: 'code/y', kind: 'threat' }, 'code', { evidence: 'y' });
    const out = annotateDeclared([cap, threat], [tool('exec', 'Execute a command')]);
    expect(out[0]?.declaredBy).toBe('exec');
    expect(out[1]?.declaredBy).toBeUndefined();
    expect(out[0]?.fingerprint).toBe(cap.fingerprint);
  });

  it('changes nothing without tools', () => {
    const cap = makeFinding(rule, 'code', { evidence: 'spawn(x)' });
    expect(annotateDeclared([cap], [])).toEqual([cap]);
  });
});
