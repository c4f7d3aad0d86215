import { ANALYZERS } from '../analyzers/index.js';
import type { RuleMeta } from '../core/finding.js';
import { WORKSPACE_RULES } from '../fetch/rules.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function ruleRows(rules: readonly RuleMeta[]): string[] {
  return rules.map((r) => {
    const ref = r.reference ? ` ([report](${r.reference}))` : '';
    return `| \`${r.id}\` | ${r.kind} | ${r.severity} | ${cell(r.description)}${ref} | ${cell(r.recommendation)} |`;
  });
}

function section(title: string, intro: string, rules: readonly RuleMeta[]): string[] {
  return [`## ${title}`, '', intro, '', '| rule | kind | severity | what it means | what to do |', '|---|---|---|---|---|', ...ruleRows(rules), ''];
}

/** docs/rules.md: every rule any stage can emit, generated from the rules' own metadata (`npm run docs`). */
export function rulesMarkdown(): string {
  const lines = [
    '# Rules',
    '',
    'Generated from the rule metadata in the code by `npm run docs`; a test fails when this page is stale.',
    'How kinds and severities turn into a score is in `scoring.md`.',
    '',
    ...section('workspace', 'What making the workspace refused or cut short (`src/fetch/rules.ts`).', WORKSPACE_RULES),
  ];
  for (const analyzer of ANALYZERS) {
    lines.push(...section(`${analyzer.id} (analyzer v${analyzer.version})`, cell(analyzer.description), analyzer.rules));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
