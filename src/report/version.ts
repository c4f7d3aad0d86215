import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // Fall through: a report without our own version is still a report.
  }
  return '0.0.0';
}

/** This tool's version as recorded in every report and scan row. */
export const TOOL_VERSION = readVersion();
