import path from 'node:path';
import { z } from 'zod';
import type { TargetKind } from '../../core/target.js';
import { classifyDepSpec } from './dep-spec.js';
import type { Hit } from './rules.js';
import { RULES } from './rules.js';
import type { CommandAnalysis, RunFile } from './shell.js';
import { analyzeCommand, excerptAround } from './shell.js';
import { findTyposquat } from './typosquat.js';
import type { ParsedJson } from './values.js';
import { parseJsonObject, show } from './values.js';

export const PACKAGE_JSON = 'package.json';

/** Lifecycle scripts npm runs while installing: the first three from the registry, the rest on git and local installs. */
export const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'prepublish'] as const;
const REGISTRY_INSTALL_SCRIPTS: ReadonlySet<string> = new Set(['preinstall', 'install', 'postinstall']);

const DEPENDENCY_SECTIONS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
const MAX_ENTRIES = 2000;
const MAX_BIN_ENTRIES = 200;

/** Commands a package has no business taking over on the user's PATH. */
export const SYSTEM_COMMANDS: ReadonlySet<string> = new Set([
  'node', 'nodejs', 'npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'corepack', 'bun', 'bunx', 'deno',
  'git', 'sh', 'bash', 'zsh', 'dash', 'fish', 'ksh', 'csh', 'tcsh', 'cmd', 'powershell', 'pwsh',
  'ls', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'chmod', 'chown', 'ln', 'find', 'grep', 'sed', 'awk', 'echo',
  'env', 'which', 'whoami', 'id', 'ps', 'kill', 'tar', 'make', 'gcc', 'cc', 'ld',
  'curl', 'wget', 'ssh', 'scp', 'sftp', 'rsync', 'gpg', 'openssl', 'nc',
  'sudo', 'su', 'doas', 'login', 'passwd', 'crontab', 'systemctl', 'launchctl',
  'python', 'python3', 'pip', 'pip3', 'uv', 'uvx', 'ruby', 'perl', 'php', 'java', 'go', 'cargo',
  'docker', 'podman', 'kubectl', 'aws', 'gcloud', 'az', 'gh', 'code', 'open', 'xdg-open',
]);

// Each field is parsed on its own so one wrong type (scripts as an array, bin as a number) is ignored
// instead of sinking the whole manifest: npm itself ignores such fields.
const Loose = z.record(z.string(), z.unknown());
export const PackageJsonSchema = z.object({
  name: z.string().optional().catch(undefined),
  version: z.string().optional().catch(undefined),
  scripts: Loose.optional().catch(undefined),
  bin: z.union([z.string(), Loose]).optional().catch(undefined),
  dependencies: Loose.optional().catch(undefined),
  optionalDependencies: Loose.optional().catch(undefined),
  peerDependencies: Loose.optional().catch(undefined),
  devDependencies: Loose.optional().catch(undefined),
  bundleDependencies: z.union([z.array(z.unknown()), z.boolean()]).optional().catch(undefined),
  bundledDependencies: z.union([z.array(z.unknown()), z.boolean()]).optional().catch(undefined),
  mcpName: z.string().optional().catch(undefined),
  gypfile: z.boolean().optional().catch(undefined),
});
export type PackageJson = z.infer<typeof PackageJsonSchema>;

export function parsePackageJson(text: string): ParsedJson<PackageJson> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const pkg = PackageJsonSchema.safeParse(parsed.value);
  return pkg.success ? { ok: true, value: pkg.data } : { ok: false, error: 'does not look like a package manifest' };
}

export interface PackageEnv {
  /** Paths of the workspace's files, to tell whether a script's file is shipped. */
  files: ReadonlySet<string>;
  targetKind: TargetKind;
}

function stringEntries(record: Record<string, unknown> | undefined, max = MAX_ENTRIES): [string, string][] {
  if (!record) return [];
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (out.length >= max) break;
    if (typeof value === 'string') out.push([key, value]);
  }
  return out;
}

export function declaredNames(pkg: PackageJson): Set<string> {
  const names = new Set<string>();
  for (const section of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies, pkg.peerDependencies]) {
    for (const name of Object.keys(section ?? {}).slice(0, MAX_ENTRIES)) names.add(name);
  }
  return names;
}

const SYSTEM_PREFIXES = ['/usr/', '/bin/', '/sbin/', '/lib/', '/opt/', '/System/'];
const JS_EXTENSIONS = ['', '.js', '.cjs', '.mjs', '/index.js', '/index.cjs', '/index.mjs'];
const JS_RUNNERS = new Set(['node', 'nodejs', 'bun', 'deno', 'ts-node', 'tsx']);

export type FileStatus = 'present' | 'missing' | 'outside' | 'unknown';

/** Whether a file a script runs is shipped in the package, lies outside it, or cannot be told. */
export function scriptFileStatus(file: string, runner: string, files: ReadonlySet<string>): FileStatus {
  if (/[$%*?{}`<>|]/.test(file) || file.length === 0) return 'unknown';
  const slashed = file.replace(/\\/g, '/');
  if (slashed.startsWith('~') || /^[a-zA-Z]:\//.test(slashed)) return 'outside';
  if (slashed.startsWith('/')) return SYSTEM_PREFIXES.some((p) => slashed.startsWith(p)) ? 'unknown' : 'outside';
  const normal = path.posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) return 'outside';
  if (normal.startsWith('node_modules/')) return 'unknown';
  const candidates = JS_RUNNERS.has(runner) ? JS_EXTENSIONS.map((ext) => `${normal}${ext}`) : [normal];
  return candidates.some((c) => files.has(c)) ? 'present' : 'missing';
}

function scriptHits(name: string, command: string, analysis: CommandAnalysis): Hit[] {
  const where = ['scripts', name];
  const evidenceAt = (at: number): string => `${name}: ${show(excerptAround(command, at))}`;
  const hits: Hit[] = [];
  const when = REGISTRY_INSTALL_SCRIPTS.has(name) ? 'when the package is installed' : 'when the package is installed from git or a local folder';
  hits.push({
    rule: RULES.installScript,
    file: PACKAGE_JSON,
    path: where,
    evidence: evidenceAt(0),
    message: `npm runs the ${name} script ${when}: ${show(command, 120)}`,
  });
  if (analysis.downloadExec) {
    hits.push({ rule: RULES.installDownloadExec, file: PACKAGE_JSON, path: where, evidence: evidenceAt(analysis.downloadExec.at), message: `${name}: ${analysis.downloadExec.reason}` });
  }
  if (analysis.obfuscated) {
    hits.push({ rule: RULES.installObfuscated, file: PACKAGE_JSON, path: where, evidence: evidenceAt(analysis.obfuscated.at), message: `${name}: ${analysis.obfuscated.reason}` });
  }
  // A download that is executed is already the worse finding; do not count its network use twice.
  if (analysis.network && !analysis.downloadExec) {
    hits.push({ rule: RULES.installNetwork, file: PACKAGE_JSON, path: where, evidence: evidenceAt(analysis.network.at), message: `${name}: ${analysis.network.reason}` });
  }
  return hits;
}

function missingFileHits(name: string, command: string, runs: readonly RunFile[], pkg: PackageJson, env: PackageEnv): Hit[] {
  const source = env.targetKind === 'git' || env.targetKind === 'dir';
  // prepare and its hooks never run from a registry tarball, which rarely ships their build scripts; and a
  // git checkout or folder is not built yet, so its install hooks may run files that prepare or build creates.
  const expectMissing = REGISTRY_INSTALL_SCRIPTS.has(name)
    ? source && (pkg.scripts?.prepare !== undefined || pkg.scripts?.build !== undefined)
    : !source;
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    if (run.uncertain || seen.has(run.path)) continue;
    seen.add(run.path);
    const status = scriptFileStatus(run.path, run.runner, env.files);
    if (status === 'outside' || (status === 'missing' && !expectMissing)) {
      hits.push({
        rule: RULES.installMissingFile,
        file: PACKAGE_JSON,
        path: ['scripts', name],
        evidence: `${name}: ${show(excerptAround(command, run.at))}`,
        message: status === 'outside' ? `${name} runs ${show(run.path, 100)}, outside the package` : `${name} runs ${show(run.path, 100)}, which the package does not contain`,
      });
    }
  }
  return hits;
}

export function checkInstallScripts(pkg: PackageJson, env: PackageEnv): Hit[] {
  const declared = declaredNames(pkg);
  const hits: Hit[] = [];
  for (const name of INSTALL_SCRIPTS) {
    const command = pkg.scripts?.[name];
    if (typeof command !== 'string' || command.trim().length === 0) continue;
    const analysis = analyzeCommand(command, { declared });
    hits.push(...scriptHits(name, command, analysis));
    if (!analysis.downloadExec) hits.push(...missingFileHits(name, command, analysis.runsFiles, pkg, env));
  }
  return hits;
}

/** npm runs `node-gyp rebuild` on its own when binding.gyp sits at the root and no install script is set. */
export function checkImplicitInstall(pkg: PackageJson, hasBindingGyp: boolean): Hit[] {
  if (!hasBindingGyp || pkg.gypfile === false) return [];
  if (typeof pkg.scripts?.install === 'string' || typeof pkg.scripts?.preinstall === 'string') return [];
  return [
    {
      rule: RULES.installScript,
      file: 'binding.gyp',
      evidence: 'install: node-gyp rebuild (implicit, binding.gyp at the package root)',
      message: 'npm runs `node-gyp rebuild` at install because binding.gyp is at the package root; the build runs commands from binding.gyp',
    },
  ];
}

function unscopedName(name: string): string {
  const slash = name.indexOf('/');
  return name.startsWith('@') && slash > 0 ? name.slice(slash + 1) : name;
}

/** What npm does with a bin name: the last path part, with `\` and `:` read as separators. */
export function binCommandName(name: string): string {
  const parts = name.split(/[\\/:]/);
  return parts[parts.length - 1] ?? '';
}

export function binTargetEscapes(target: string): boolean {
  const slashed = target.replace(/\\/g, '/');
  if (slashed.startsWith('/') || slashed.startsWith('~') || /^[a-zA-Z]:/.test(slashed)) return true;
  const normal = path.posix.normalize(slashed);
  return normal === '..' || normal.startsWith('../');
}

function binEntries(pkg: PackageJson): { name: string; target: string; keyed: boolean }[] {
  if (typeof pkg.bin === 'string') {
    return pkg.name === undefined ? [] : [{ name: unscopedName(pkg.name), target: pkg.bin, keyed: false }];
  }
  return stringEntries(pkg.bin, MAX_BIN_ENTRIES).map(([name, target]) => ({ name, target, keyed: true }));
}

export function checkBin(pkg: PackageJson): Hit[] {
  const hits: Hit[] = [];
  for (const { name, target, keyed } of binEntries(pkg)) {
    const where = keyed ? ['bin', name] : ['bin'];
    const evidence = `"${show(name, 80)}": "${show(target, 100)}"`;
    const command = binCommandName(name);
    hits.push({ rule: RULES.binEntry, file: PACKAGE_JSON, path: where, evidence, message: `installs the command ${show(command, 80)} → ${show(target, 100)}` });
    if (binTargetEscapes(target)) {
      hits.push({ rule: RULES.binOutsidePackage, file: PACKAGE_JSON, path: where, evidence, message: `bin ${show(command, 80)} points outside the package: ${show(target, 100)}` });
    } else if (command !== name && /(?:^|[\\/])\.\.(?:[\\/]|$)/.test(name)) {
      hits.push({ rule: RULES.binOutsidePackage, file: PACKAGE_JSON, path: where, evidence, message: `bin name ${show(name, 100)} climbs out of the bin folder` });
    }
    if (SYSTEM_COMMANDS.has(command.toLowerCase())) {
      hits.push({ rule: RULES.binShadowsCommand, file: PACKAGE_JSON, path: where, evidence, message: `bin ${show(command, 80)} shadows the system command of the same name` });
    }
  }
  return hits;
}

function dependencyHit(section: string, name: string, spec: string): Hit | undefined {
  const kind = classifyDepSpec(spec);
  const where = [section, name];
  const evidence = `"${show(name, 80)}": "${show(spec, 150)}"`;
  const base = { file: PACKAGE_JSON, path: where, evidence };
  switch (kind.kind) {
    case 'remote':
      return kind.insecure
        ? { ...base, rule: RULES.dependencyInsecureUrl, message: `${section}: ${show(name, 80)} is downloaded over plain http at install time` }
        : { ...base, rule: RULES.dependencyRemoteUrl, message: `${section}: ${show(name, 80)} is downloaded from a URL at install time` };
    case 'git':
      return { ...base, rule: RULES.dependencyGit, message: `${section}: ${show(name, 80)} comes from git${kind.insecure ? ' over an unencrypted protocol' : ''}` };
    case 'file':
    case 'link':
      return { ...base, rule: RULES.dependencyLocal, message: `${section}: ${show(name, 80)} comes from a local path` };
    default:
      return undefined;
  }
}

export function checkDependencies(pkg: PackageJson): Hit[] {
  const hits: Hit[] = [];
  for (const section of DEPENDENCY_SECTIONS) {
    for (const [name, spec] of stringEntries(pkg[section])) {
      const hit = dependencyHit(section, name, spec);
      if (hit) hits.push(hit);
      const squat = findTyposquat(name);
      if (squat) {
        hits.push({
          rule: RULES.typosquat,
          file: PACKAGE_JSON,
          path: [section, name],
          evidence: `"${show(name, 80)}": "${show(spec, 100)}"`,
          message: `${section}: ${show(name, 80)} looks like ${squat.imitates} (${squat.how === 'lookalike-scope' ? 'look-alike scope' : `${squat.distance ?? 1} edit(s) away`})`,
        });
      }
    }
  }
  hits.push(...bundledHits(pkg));
  return hits;
}

function bundledHits(pkg: PackageJson): Hit[] {
  const key = pkg.bundleDependencies !== undefined ? 'bundleDependencies' : 'bundledDependencies';
  const value = pkg.bundleDependencies ?? pkg.bundledDependencies;
  const names =
    value === true ? Object.keys(pkg.dependencies ?? {}) : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  if (names.length === 0) return [];
  const shown = names.slice(0, 20).map((n) => show(n, 60));
  return [
    {
      rule: RULES.bundledDependency,
      file: PACKAGE_JSON,
      path: [key],
      evidence: `${key}: ${shown.join(', ')}${names.length > shown.length ? ', …' : ''}`,
      message: `ships ${names.length} bundled dependenc${names.length === 1 ? 'y' : 'ies'} inside the package: ${shown.join(', ')}`,
    },
  ];
}

export function checkIdentity(pkg: PackageJson): Hit[] {
  const hits: Hit[] = [];
  if (pkg.name !== undefined) {
    const squat = findTyposquat(pkg.name);
    if (squat) {
      hits.push({
        rule: RULES.typosquat,
        file: PACKAGE_JSON,
        path: ['name'],
        evidence: `"name": "${show(pkg.name, 120)}"`,
        message: `the package name looks like ${squat.imitates} (${squat.how === 'lookalike-scope' ? 'look-alike scope' : `${squat.distance ?? 1} edit(s) away`})`,
      });
    }
  }
  if (pkg.mcpName !== undefined && pkg.mcpName.length > 0) {
    hits.push({
      rule: RULES.mcpName,
      file: PACKAGE_JSON,
      path: ['mcpName'],
      evidence: `"mcpName": "${show(pkg.mcpName, 120)}"`,
      message: `declares the MCP registry name ${show(pkg.mcpName, 120)}`,
    });
  }
  return hits;
}

export function checkPackageJson(pkg: PackageJson, env: PackageEnv): Hit[] {
  return [...checkIdentity(pkg), ...checkInstallScripts(pkg, env), ...checkBin(pkg), ...checkDependencies(pkg)];
}
