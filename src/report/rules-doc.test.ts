import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ANALYZERS } from '../analyzers/index.js';
import { WORKSPACE_RULES } from '../fetch/rules.js';
import { rulesMarkdown } from './rules-doc.js';

describe('docs/rules.md', () => {
  it('is what the rule metadata generates (run `npm run docs` after changing a rule)', () => {
    expect(readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8')).toBe(rulesMarkdown());
  });

  it('lists every rule once', () => {
    const text = rulesMarkdown();
    for (const rule of [...WORKSPACE_RULES, ...ANALYZERS.flatMap((a) => a.rules)]) {
      expect(text.split(`| \`${rule.id}\` |`).length - 1, rule.id).toBe(1);
    }
  });
});
