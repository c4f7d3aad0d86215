import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, ReportSchema } from '../core/report.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The published schema lets consumers accept reports that gained fields (adding is allowed within a
 * schemaVersion; renaming is not), so the generator's closed objects are opened up.
 */
function openObjects(node: Json): Json {
  if (Array.isArray(node)) return node.map(openObjects);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = openObjects(value);
  }
  return out;
}

/** docs/report.schema.json is this value, written by `npm run docs`; a test keeps the two equal. */
export function reportJsonSchema(): Record<string, Json> {
  const generated = z.toJSONSchema(ReportSchema, { target: 'draft-07', io: 'output' }) as Json;
  const opened = openObjects(generated);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://mcp-assay.invalid/schemas/report-v${REPORT_SCHEMA_VERSION}.json`,
    title: `mcp-assay scan report, schemaVersion ${REPORT_SCHEMA_VERSION}`,
    description: 'Printed by `mcp-assay scan <target> --format json`. Fields may be added within a schemaVersion; none is renamed or removed.',
    ...(opened as Record<string, Json>),
  };
}

export function reportJsonSchemaText(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}
