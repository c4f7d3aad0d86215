import { describe, expect, it } from 'vitest';
import { FindingSchema, RuleMetaSchema } from '../core/finding.js';
import { FindingCollector, LINK_RULE, MAX_FINDINGS_PER_RULE, SPECIAL_RULE, WORKSPACE_RULES, unpackedSizeLimitEvent } from './rules.js';

describe('WORKSPACE_RULES', () => {
  it('declares valid, unique rules under workspace/', () => {
    for (const rule of WORKSPACE_RULES) {
      expect(RuleMetaSchema.safeParse(rule).success).toBe(true);
      expect(rule.id.startsWith('workspace/')).toBe(true);
    }
    const ids = WORKSPACE_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['workspace/path-traversal-entry', 'threat', 'high'],
    ['workspace/link-entry', 'capability', 'low'],
    ['workspace/special-entry', 'threat', 'medium'],
    ['workspace/duplicate-entry', 'threat', 'medium'],
    ['workspace/nonstandard-layout', 'capability', 'info'],
    ['workspace/file-too-large', 'capability', 'medium'],
    ['workspace/file-count-limit', 'capability', 'medium'],
    ['workspace/unpacked-size-limit', 'capability', 'medium'],
  ])('%s is %s / %s', (id, kind, severity) => {
    const rule = WORKSPACE_RULES.find((r) => r.id === id);
    expect(rule).toMatchObject({ kind, severity });
  });
});

describe('FindingCollector', () => {
  it('lists the first findings of a rule and summarises the rest', () => {
    const collector = new FindingCollector();
    for (let i = 0; i < 100; i++) collector.add({ rule: LINK_RULE, file: `l${i}`, evidence: `l${i} -> /x`, message: 'link' });
    collector.add({ rule: SPECIAL_RULE, file: 'fifo', message: 'fifo' });
    const findings = collector.findings();
    const links = findings.filter((f) => f.ruleId === LINK_RULE.id);
    expect(links).toHaveLength(MAX_FINDINGS_PER_RULE + 1);
    expect(links.at(-1)?.message).toMatch(/^80 more entries/);
    expect(findings.filter((f) => f.ruleId === SPECIAL_RULE.id)).toHaveLength(1);
    expect(collector.count(LINK_RULE.id)).toBe(100);
    for (const finding of findings) expect(FindingSchema.safeParse(finding).success).toBe(true);
  });

  it('maps kept paths only, and bounds long locations', () => {
    const collector = new FindingCollector();
    collector.add({ rule: LINK_RULE, file: 'package/a', inWorkspace: true, message: 'kept' });
    collector.add({ rule: LINK_RULE, file: 'package/../b', message: 'refused' });
    collector.add({ rule: SPECIAL_RULE, file: 'x'.repeat(5000), message: 'long' });
    const strip = (file: string): string => file.replace(/^package\//, '');
    const [kept, refused, long] = collector.findings(strip);
    expect(kept?.location?.file).toBe('a');
    expect(refused?.location?.file).toBe('package/../b');
    expect(long?.location?.file?.length).toBeLessThanOrEqual(300);
  });

  it('names the cap value and flag when a cap stops the workspace', () => {
    const event = unpackedSizeLimitEvent(64 * 1024 * 1024);
    expect(event.message).toContain('64 MiB');
    expect(event.message).toContain('67108864');
    expect(event.message).toContain('--max-unpacked-size');
  });
});
