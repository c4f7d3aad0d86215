import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { errorMessage } from '../../core/errors.js';
import type { Finding, Location } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import type { WorkspaceFile } from '../../core/workspace.js';
import { checkDockerfile, isDockerfilePath } from './dockerfile.js';
import type { JsonLocations } from './json-locate.js';
import { locateJsonKeys } from './json-locate.js';
import type { PackageJson } from './package-json.js';
import { PACKAGE_JSON, checkImplicitInstall, checkPackageJson, parsePackageJson } from './package-json.js';
import type { Hit } from './rules.js';
import { MANIFEST_ANALYZER_ID, MANIFEST_RULES, RULES } from './rules.js';
import { SERVER_JSON, checkMcpNameMatch, checkServerJson, readServerJson } from './server-json.js';
import { parseJsonObject, show } from './values.js';

export { MANIFEST_RULES } from './rules.js';

const MAX_DOCKERFILES = 50;
export const NO_MANIFEST_REASON = 'no package.json at the workspace root';

class Output {
  readonly findings: Finding[] = [];
  readonly errors: { file: string; message: string }[] = [];
  private readonly seen = new Set<string>();

  add(hits: readonly Hit[], locations?: JsonLocations): void {
    for (const hit of hits) {
      const location: Location = { file: hit.file };
      const position = hit.path !== undefined ? locations?.find(hit.path) : undefined;
      if (position) {
        location.line = position.line;
        location.column = position.column;
      } else if (hit.line !== undefined) location.line = hit.line;
      const finding = makeFinding(hit.rule, MANIFEST_ANALYZER_ID, { location, evidence: hit.evidence, message: hit.message });
      // One row per fingerprint: the store keys findings by it.
      if (this.seen.has(finding.fingerprint)) continue;
      this.seen.add(finding.fingerprint);
      this.findings.push(finding);
    }
  }

  error(file: string, message: string): void {
    this.errors.push({ file, message: show(message, 300) });
  }
}

async function readFile(ctx: AnalyzerContext, file: WorkspaceFile, out: Output): Promise<string | undefined> {
  try {
    return await ctx.reader.readText(file);
  } catch (error) {
    ctx.signal.throwIfAborted();
    out.error(file.path, `could not read ${file.path}: ${errorMessage(error)}`);
    return undefined;
  }
}

async function analyzePackageJson(ctx: AnalyzerContext, file: WorkspaceFile, out: Output): Promise<PackageJson | undefined> {
  const text = await readFile(ctx, file, out);
  if (text === undefined) return undefined;
  const parsed = parsePackageJson(text);
  if (!parsed.ok) {
    out.error(file.path, `package.json is ${parsed.error}`);
    return undefined;
  }
  const paths = new Set(ctx.workspace.files.map((f) => f.path));
  out.add(checkPackageJson(parsed.value, { files: paths, targetKind: ctx.workspace.target.kind }), locateJsonKeys(text));
  out.add(checkImplicitInstall(parsed.value, paths.has('binding.gyp')));
  return parsed.value;
}

async function analyzeServerJson(ctx: AnalyzerContext, file: WorkspaceFile, pkg: PackageJson | undefined, out: Output): Promise<void> {
  const text = await readFile(ctx, file, out);
  if (text === undefined) return;
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    out.add([{ rule: RULES.serverJsonInvalid, file: SERVER_JSON, evidence: parsed.error, message: `server.json is ${parsed.error}` }]);
    return;
  }
  const info = readServerJson(parsed.value);
  const locations = locateJsonKeys(text);
  out.add(checkServerJson(info, pkg?.name), locations);
  out.add(checkMcpNameMatch(info.name, pkg?.mcpName), locations);
}

async function analyze(ctx: AnalyzerContext): Promise<AnalyzerOutput> {
  const files = ctx.workspace.files;
  const pkgFile = files.find((f) => f.path === PACKAGE_JSON);
  const serverFile = files.find((f) => f.path === SERVER_JSON);
  const dockerfiles = files.filter((f) => isDockerfilePath(f.path));
  if (!pkgFile && !serverFile && dockerfiles.length === 0) return { findings: [], status: 'skipped', reason: NO_MANIFEST_REASON };

  const out = new Output();
  const pkg = pkgFile ? await analyzePackageJson(ctx, pkgFile, out) : undefined;
  ctx.signal.throwIfAborted();
  if (serverFile) await analyzeServerJson(ctx, serverFile, pkg, out);
  for (const file of dockerfiles.slice(0, MAX_DOCKERFILES)) {
    ctx.signal.throwIfAborted();
    const text = await readFile(ctx, file, out);
    if (text !== undefined) out.add(checkDockerfile(file.path, text));
  }
  if (dockerfiles.length > MAX_DOCKERFILES) {
    out.error(dockerfiles[MAX_DOCKERFILES]?.path ?? '', `only the first ${MAX_DOCKERFILES} of ${dockerfiles.length} Dockerfiles were read`);
  }
  if (out.errors.length === 0) return { findings: out.findings, errors: [], status: 'succeeded' };
  const failed = [...new Set(out.errors.map((e) => e.file))];
  return { findings: out.findings, errors: out.errors, status: 'partial', reason: `could not analyse ${failed.slice(0, 5).join(', ')}` };
}

export const manifestAnalyzer: Analyzer = {
  id: MANIFEST_ANALYZER_ID,
  version: 1,
  description:
    'package.json install scripts, commands, dependency sources and name typosquats; the MCP registry server.json and mcpName; Dockerfile red flags.',
  requirements: {},
  rules: MANIFEST_RULES,
  analyze,
};
