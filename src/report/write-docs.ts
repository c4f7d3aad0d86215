import { writeFileSync } from 'node:fs';
import { rulesMarkdown } from './rules-doc.js';
import { reportJsonSchemaText } from './schema.js';

/** `npm run docs`: rewrites the generated documentation pages. */
const outputs: [string, string][] = [
  ['../../docs/rules.md', rulesMarkdown()],
  ['../../docs/report.schema.json', reportJsonSchemaText()],
];
for (const [relative, text] of outputs) {
  const target = new URL(relative, import.meta.url);
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target.pathname}\n`);
}
