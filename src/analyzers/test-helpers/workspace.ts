/**
 * Builds a small workspace on disk for analyzer tests: the files are written to a fresh temp dir and
 * listed with sizes and a rough type from the name (the real detector lives in the fetch stage).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { FindingSchema } from '../../core/finding.js';
import { ToolInfoSchema } from '../../core/tool.js';
import { DEFAULT_ANALYZER_LIMITS } from '../../core/limits.js';
import type { AnalyzerLimits } from '../../core/limits.js';
import type { FileType, Workspace, WorkspaceFile } from '../../core/workspace.js';
import { createWorkspaceReader } from '../../fetch/reader.js';

const BY_EXTENSION: Record<string, FileType> = {
  '.js': 'javascript',
  '.cjs': 'javascript',
  '.mjs': 'javascript',
  '.jsx': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescript',
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
  '.md': 'markdown',
  '.sh': 'shell',
  '.bash': 'shell',
  '.py': 'python',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
  '.wasm': 'wasm',
  '.node': 'binary',
  '.tgz': 'archive',
  '.gz': 'archive',
  '.tar': 'archive',
  '.zip': 'archive',
  '.png': 'image',
  '.jpg': 'image',
  '.gif': 'image',
};

/** A rough type from the file name, falling back to a NUL-byte check. */
export function guessFileType(file: string, content: string | Buffer): FileType {
  const base = path.posix.basename(file);
  if (/^(?:dockerfile|containerfile)(?:[._-].*)?$/i.test(base) || /\.(?:dockerfile|containerfile)$/i.test(base)) return 'dockerfile';
  const byExtension = BY_EXTENSION[path.posix.extname(base).toLowerCase()];
  if (byExtension) return byExtension;
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return bytes.subarray(0, 8000).includes(0) ? 'binary' : 'text';
}

function checkRelative(file: string): void {
  const normal = path.posix.normalize(file);
  if (file.length === 0 || path.posix.isAbsolute(file) || normal.startsWith('..') || normal !== file) {
    throw new Error(`test workspace paths must be plain relative POSIX paths: ${JSON.stringify(file)}`);
  }
}

export interface TestWorkspace {
  ctx: AnalyzerContext;
  cleanup(): Promise<void>;
}

export interface TestWorkspaceOptions {
  limits?: AnalyzerLimits;
  targetKind?: Workspace['target']['kind'];
  signal?: AbortSignal;
}

export async function makeTestWorkspace(files: Record<string, string | Buffer>, options: TestWorkspaceOptions = {}): Promise<TestWorkspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'assay-test-ws-'));
  const listed: WorkspaceFile[] = [];
  try {
    for (const [file, content] of Object.entries(files)) {
      checkRelative(file);
      const target = path.join(root, ...file.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
      listed.push({ path: file, size, type: guessFileType(file, content) });
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  listed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const workspace: Workspace = {
    root,
    target: { kind: options.targetKind ?? 'dir', spec: root },
    files: listed,
    totalBytes: listed.reduce((sum, f) => sum + f.size, 0),
    findings: [],
    incomplete: false,
  };
  const manifest = files['package.json'];
  if (typeof manifest === 'string') {
    try {
      const parsed: unknown = JSON.parse(manifest);
      if (parsed !== null && typeof parsed === 'object') {
        const { name, version } = parsed as { name?: unknown; version?: unknown };
        if (typeof name === 'string') workspace.name = name;
        if (typeof version === 'string') workspace.version = version;
      }
    } catch {
      // A broken manifest is a case under test, not a helper failure.
    }
  }

  const limits = options.limits ?? DEFAULT_ANALYZER_LIMITS;
  const ctx: AnalyzerContext = {
    workspace,
    reader: createWorkspaceReader(root, limits),
    signal: options.signal ?? new AbortController().signal,
    limits,
  };
  return { ctx, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Runs an analyzer over files in a fresh workspace and checks that its output keeps the analyzer
 * contract the runner enforces: valid findings under its own id and declared rules, valid tools, and no
 * fingerprint twice. The workspace is removed before this returns.
 */
export async function analyzeFiles(analyzer: Analyzer, files: Record<string, string | Buffer>, options: TestWorkspaceOptions = {}): Promise<AnalyzerOutput> {
  const { ctx, cleanup } = await makeTestWorkspace(files, options);
  try {
    const output = await analyzer.analyze(ctx);
    const declared = new Set(analyzer.rules.map((r) => r.id));
    for (const finding of output.findings) {
      expect(FindingSchema.safeParse(finding).success).toBe(true);
      expect(finding.analyzer).toBe(analyzer.id);
      expect(declared.has(finding.ruleId), finding.ruleId).toBe(true);
    }
    for (const tool of output.tools ?? []) expect(ToolInfoSchema.safeParse(tool).success).toBe(true);
    expect(new Set(output.findings.map((f) => f.fingerprint)).size).toBe(output.findings.length);
    return output;
  } finally {
    await cleanup();
  }
}
