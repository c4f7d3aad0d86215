import { z } from 'zod';
import { FindingSchema } from './finding.js';
import { TargetSchema } from './target.js';

/** Detected from content first (magic bytes), then from the name. */
export const FILE_TYPES = [
  'javascript',
  'typescript',
  'json',
  'yaml',
  'toml',
  'markdown',
  'dockerfile',
  'shell',
  'python',
  'html',
  'text',
  'elf',
  'pe',
  'macho',
  'wasm',
  'archive',
  'image',
  'binary',
] as const;
export const FileTypeSchema = z.enum(FILE_TYPES);
export type FileType = z.infer<typeof FileTypeSchema>;

export const BINARY_EXECUTABLE_TYPES: ReadonlySet<FileType> = new Set(['elf', 'pe', 'macho', 'wasm']);

export const WorkspaceFileSchema = z.object({
  /** POSIX path relative to the workspace root, never absolute, never containing `..`. */
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  type: FileTypeSchema,
  /** Left out of the workspace because it was over the single-file cap: listed, never read. */
  omitted: z.boolean().optional(),
});
export type WorkspaceFile = z.infer<typeof WorkspaceFileSchema>;

export const WorkspaceSchema = z.object({
  /**
   * Absolute path of the unpacked, read-only directory. Absent when the workspace is held in memory (a harvest
   * without the sandbox, ADR 0002): its files then travel beside it as WorkspaceContents.
   */
  root: z.string().min(1).optional(),
  target: TargetSchema,
  name: z.string().optional(),
  version: z.string().optional(),
  /** SRI string of the archive (npm, tarball targets). */
  integrity: z.string().optional(),
  /** Commit of the checkout (git targets). */
  commit: z.string().optional(),
  files: z.array(WorkspaceFileSchema),
  totalBytes: z.number().int().nonnegative(),
  /** What making the workspace refused or cut (links, traversal, caps), as findings of analyzer `workspace`. */
  findings: z.array(FindingSchema),
  /** True when a cap stopped the workspace short: some of the package was not seen. */
  incomplete: z.boolean(),
});
export type Workspace = z.infer<typeof WorkspaceSchema>;

export const WORKSPACE_ANALYZER_ID = 'workspace';

/**
 * Types whose content no analyzer reads as code or scans for signatures: leaving such a file out (over
 * the single-file cap) is not a blind spot. Anything else left out is, and makes the analysis incomplete.
 */
const DATA_ONLY_TYPES: ReadonlySet<FileType> = new Set(['image', 'binary']);

/** True when part of the package that matters was not seen: a cap stopped the workspace, or a file that matters was left out. */
export function workspaceIsIncomplete(workspace: Pick<Workspace, 'incomplete' | 'files'>): boolean {
  return workspace.incomplete || workspace.files.some((f) => f.omitted === true && !DATA_ONLY_TYPES.has(f.type));
}

/** The bytes of a workspace held in memory, by workspace path: every listed file that was not omitted. */
export const WorkspaceContentsSchema = z.map(z.string(), z.instanceof(Uint8Array));
export type WorkspaceContents = ReadonlyMap<string, Uint8Array>;

/** Why `contents` cannot be the bytes of `workspace` (a file missing, extra or of another size), if it cannot. */
export function contentsMismatch(workspace: Pick<Workspace, 'files'>, contents: WorkspaceContents): string | undefined {
  let kept = 0;
  for (const file of workspace.files) {
    if (file.omitted === true) continue;
    kept += 1;
    const bytes = contents.get(file.path);
    if (bytes === undefined) return `${file.path} is listed but has no contents`;
    if (bytes.length !== file.size) return `${file.path} is listed with ${file.size} bytes but has ${bytes.length}`;
  }
  return contents.size === kept ? undefined : `the contents hold ${contents.size - kept} file(s) the workspace does not list`;
}
