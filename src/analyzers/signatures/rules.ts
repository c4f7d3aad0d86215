import type { RuleMeta } from '../../core/finding.js';
import { truncateText } from '../../core/text.js';
import type { LibraryRule } from './library.js';

export const SIGNATURES_ANALYZER_ID = 'signatures';

const RECOMMENDATION: Record<LibraryRule['kind'], string> = {
  threat: 'Treat the package as hostile until the matched content is explained; do not run it on a machine that holds credentials.',
  capability: 'Check that the package needs this and that its documentation and tools say so.',
};

export function findingRuleId(id: string): string {
  return `${SIGNATURES_ANALYZER_ID}/${id}`;
}

/** The description's first sentence (or clause before a colon), else the id. */
export function titleOf(rule: Pick<LibraryRule, 'id' | 'description'>): string {
  const text = rule.description.trim();
  let end = text.length;
  for (const mark of ['. ', ': ', '; ']) {
    const at = text.indexOf(mark);
    if (at > 0 && at < end) end = at;
  }
  const sentence = text.slice(0, end).replace(/\.$/, '').trim();
  return sentence.length > 0 ? truncateText(sentence, 100) : rule.id;
}

export function ruleMetaOf(rule: LibraryRule): RuleMeta {
  const meta: RuleMeta = {
    id: findingRuleId(rule.id),
    title: titleOf(rule),
    severity: rule.severity,
    kind: rule.kind,
    description: rule.description,
    recommendation: RECOMMENDATION[rule.kind],
  };
  if (rule.reference !== '') meta.reference = rule.reference;
  return meta;
}
