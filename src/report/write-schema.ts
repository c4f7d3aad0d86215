import { writeFileSync } from 'node:fs';
import { reportJsonSchemaText } from './schema.js';

const target = new URL('../../docs/report.schema.json', import.meta.url);
writeFileSync(target, reportJsonSchemaText());
process.stdout.write(`wrote ${target.pathname}\n`);
