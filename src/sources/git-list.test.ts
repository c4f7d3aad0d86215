import { describe, expect, it } from 'vitest';
import { gitListSource } from './git-list.js';
import type { SourceOptions } from './source.js';
import { drain } from './test-helpers/json-server.js';

function options(extra: Partial<SourceOptions> = {}): SourceOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, onWarning: (m) => warnings.push(m), warnings, ...extra };
}

describe('gitListSource', () => {
  it('yields each git URL once, keyed git:<url>#<ref>, and warns on everything else', async () => {
    const urls = [
      'https://git.example.invalid/o/a.git#main',
      'git+https://git.example.invalid/o/b',
      'git@git.example.invalid:o/c.git#v1.2.3',
      'https://git.example.invalid/o/a.git#main',
      'npm:left-pad',
      'ext::sh -c evil',
      'https://git.example.invalid/o/d#--upload-pack=x',
      'https://-oProxyCommand=x/o/r',
      '/tmp',
      '\u001b[31mred\u202e',
    ];
    const opts = options();
    const { items, end } = await drain(gitListSource({ urls }).list(opts));
    expect(items).toEqual([
      { key: 'git:https://git.example.invalid/o/a.git#main', target: { kind: 'git', spec: 'https://git.example.invalid/o/a.git#main' }, origin: 'git' },
      { key: 'git:https://git.example.invalid/o/b', target: { kind: 'git', spec: 'https://git.example.invalid/o/b' }, origin: 'git' },
      { key: 'git:git@git.example.invalid:o/c.git#v1.2.3', target: { kind: 'git', spec: 'git@git.example.invalid:o/c.git#v1.2.3' }, origin: 'git' },
    ]);
    expect(end).toEqual({ status: 'complete', pages: 10, items: 3 });
    expect(opts.warnings).toHaveLength(6);
    for (const w of opts.warnings) expect(w).not.toMatch(/[\u001b\u202e]/);
  });

  it('stops at limit and on abort', async () => {
    const urls = ['https://h.invalid/o/a', 'https://h.invalid/o/b', 'https://h.invalid/o/c'];
    const limited = await drain(gitListSource({ urls }).list(options({ limit: 2 })));
    expect(limited.end).toMatchObject({ status: 'limit', items: 2 });
    const controller = new AbortController();
    const gen = gitListSource({ urls }).list(options({ signal: controller.signal }));
    await gen.next();
    controller.abort();
    const aborted = await drain(gen);
    expect(aborted.end.status).toBe('aborted');
  });
});
