/**
 * Names that imitate popular MCP packages: a small edit away from one, or published under a scope that
 * looks like the real owner's. The list is short on purpose; it guards the names users type most.
 */

export const POPULAR_MCP_PACKAGES: readonly string[] = Object.freeze([
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/server-filesystem',
  '@modelcontextprotocol/server-github',
  '@modelcontextprotocol/server-everything',
  '@modelcontextprotocol/server-memory',
  '@modelcontextprotocol/server-puppeteer',
  '@modelcontextprotocol/server-brave-search',
  '@modelcontextprotocol/server-sequential-thinking',
  '@modelcontextprotocol/server-postgres',
  '@modelcontextprotocol/server-slack',
  '@modelcontextprotocol/inspector',
  '@playwright/mcp',
  '@upstash/context7-mcp',
  '@notionhq/notion-mcp-server',
  '@stripe/mcp',
  '@supabase/mcp-server-supabase',
  '@azure/mcp',
  'firecrawl-mcp',
  'mongodb-mcp-server',
  'chrome-devtools-mcp',
  'tavily-mcp',
  'next-devtools-mcp',
  'figma-developer-mcp',
  'exa-mcp-server',
]);

/** Scopes whose look-alikes are worth a warning; each is an organisation users trust by name. */
const POPULAR_SCOPES: readonly string[] = Object.freeze([
  '@modelcontextprotocol',
  '@playwright',
  '@upstash',
  '@notionhq',
  '@stripe',
  '@supabase',
  '@anthropic-ai',
  '@cloudflare',
]);

const MAX_NAME_CHARS = 214;

/**
 * Optimal string alignment distance (edits: insert, delete, substitute, swap neighbours), giving up
 * once it exceeds `limit`. Names are capped at npm's 214 characters, so the table stays small.
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (a.length > MAX_NAME_CHARS || b.length > MAX_NAME_CHARS) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, (prevPrev[j - 2] ?? 0) + 1);
      row.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] ?? limit + 1;
}

/** Folds characters that read alike (I/l/1, 0/o, rn/m, vv/w) and drops separators. */
export function foldLookalikes(text: string): string {
  return text
    .replace(/I/g, 'l')
    .toLowerCase()
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[1|]/g, 'l')
    .replace(/0/g, 'o')
    .replace(/[-_.]/g, '');
}

function scopeOf(name: string): string | undefined {
  if (!name.startsWith('@')) return undefined;
  const slash = name.indexOf('/');
  return slash > 1 ? name.slice(0, slash) : undefined;
}

/**
 * Longer names tolerate two edits; short ones only one, or too many honest names would collide. Names
 * under 8 characters are left out of the list for the same reason.
 */
function allowedEdits(popular: string): number {
  return popular.length >= 12 ? 2 : 1;
}

export interface Typosquat {
  /** The popular package or scope imitated. */
  imitates: string;
  how: 'edit-distance' | 'lookalike-scope';
  distance?: number;
}

function lookalikeScope(scope: string): string | undefined {
  const folded = foldLookalikes(scope);
  for (const popular of POPULAR_SCOPES) {
    if (scope === popular) return undefined;
    const target = foldLookalikes(popular);
    if (folded === target) return popular;
    // Short scopes only by look-alike characters: one edit from @stripe is already another company.
    if (popular.length >= 10 && editDistance(scope.toLowerCase(), popular, 2) <= 2) return popular;
    // @modelcontextprotocol-official, @officialmodelcontextprotocol
    if (target.length >= 12 && folded.includes(target)) return popular;
  }
  return undefined;
}

/**
 * Whether `name` imitates a popular MCP package. Never true for a popular name itself, nor for names in
 * the same scope as the popular one: only the real owner can publish there.
 */
export function findTyposquat(name: string): Typosquat | undefined {
  if (name.length === 0 || name.length > MAX_NAME_CHARS) return undefined;
  if (POPULAR_MCP_PACKAGES.includes(name)) return undefined;
  const scope = scopeOf(name);
  if (scope !== undefined) {
    const imitated = lookalikeScope(scope);
    if (imitated !== undefined) return { imitates: imitated, how: 'lookalike-scope' };
  }
  let best: Typosquat | undefined;
  for (const popular of POPULAR_MCP_PACKAGES) {
    if (scope !== undefined && scope === scopeOf(popular)) continue;
    const limit = allowedEdits(popular);
    const distance = Math.min(editDistance(name, popular, limit), foldLookalikes(name) === foldLookalikes(popular) ? 1 : limit + 1);
    if (distance >= 1 && distance <= limit && (best?.distance === undefined || distance < best.distance)) {
      best = { imitates: popular, how: 'edit-distance', distance };
    }
  }
  return best;
}
