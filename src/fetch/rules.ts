import type { Finding, RuleMeta } from '../core/finding.js';
import { makeFinding } from '../core/finding.js';
import { formatBytes } from '../core/limits.js';
import { truncateText } from '../core/text.js';
import { WORKSPACE_ANALYZER_ID } from '../core/workspace.js';

const PART_NOT_ANALYSED = 'Part of the package was not analysed, so the score is a lower bound on what is unknown.';

export const PATH_TRAVERSAL_RULE: RuleMeta = {
  id: 'workspace/path-traversal-entry',
  title: 'Archive entry tries to write outside the package',
  severity: 'high',
  kind: 'threat',
  description:
    'An archive entry has an absolute path, a drive letter, a `..` component, a backslash or a NUL byte. ' +
    'Unpacked by a careless tool it would write outside the target directory. No packaging tool produces such names.',
  recommendation: 'Do not install this package; treat its publisher as hostile until explained.',
};

export const INVALID_NAME_RULE: RuleMeta = {
  id: 'workspace/invalid-entry-name',
  title: 'Archive entry name is too long to be real',
  severity: 'medium',
  kind: 'threat',
  description:
    'An archive entry name is longer than 4096 bytes, has a component longer than 255 bytes, or is empty. ' +
    'File systems refuse such names; they appear in archives built to confuse unpacking tools. The entry was skipped.',
  recommendation: 'Inspect the archive with a listing tool; a legitimate package has no such entries.',
};

export const LINK_RULE: RuleMeta = {
  id: 'workspace/link-entry',
  title: 'Symbolic or hard link in the package',
  severity: 'low',
  kind: 'capability',
  description:
    'The package contains a link. Links were not followed or created, so whatever they point at was not analysed. ' +
    'A link can make an installed package read or overwrite files outside its own folder.',
  recommendation: 'Check where the link points; packages rarely need links.',
};

export const SPECIAL_RULE: RuleMeta = {
  id: 'workspace/special-entry',
  title: 'Device, FIFO or unsupported entry in the package',
  severity: 'medium',
  kind: 'threat',
  description:
    'The package contains a character or block device, a FIFO, a socket or an entry of an unsupported type. ' +
    'These have no place in a package; they were not created.',
  recommendation: 'Inspect the archive; a legitimate package holds only regular files and directories.',
};

export const DUPLICATE_RULE: RuleMeta = {
  id: 'workspace/duplicate-entry',
  title: 'Archive holds the same path more than once',
  severity: 'medium',
  kind: 'threat',
  description:
    'Two archive entries name the same path (or a file and a directory collide). Installers keep the last entry, ' +
    'so a listing or review of the first one can hide what is really installed. The last file entry was kept.',
  recommendation: 'Compare both versions of the entry; republishing tools never produce duplicates.',
};

export const NONSTANDARD_LAYOUT_RULE: RuleMeta = {
  id: 'workspace/nonstandard-layout',
  title: 'Archive entries are not under one top-level folder',
  severity: 'info',
  kind: 'capability',
  description:
    'npm tarballs keep every entry under one folder (`package/`). This archive does not, so paths were kept as they are.',
  recommendation: 'Nothing to do unless the package claims to come from the npm registry.',
};

export const FILE_TOO_LARGE_RULE: RuleMeta = {
  id: 'workspace/file-too-large',
  title: 'File over the single-file size cap was not analysed',
  severity: 'medium',
  kind: 'capability',
  description: `A file is larger than the single-file cap and was left out of the workspace. ${PART_NOT_ANALYSED}`,
  recommendation: 'Raise the cap with --max-file-size to analyse it, or inspect the file by hand.',
};

export const FILE_COUNT_LIMIT_RULE: RuleMeta = {
  id: 'workspace/file-count-limit',
  title: 'File-count cap reached; the rest of the package was not analysed',
  severity: 'medium',
  kind: 'capability',
  description: `The package holds more files than the file-count cap. ${PART_NOT_ANALYSED}`,
  recommendation: 'Raise the cap with --max-files to analyse the whole package.',
};

export const UNPACKED_SIZE_LIMIT_RULE: RuleMeta = {
  id: 'workspace/unpacked-size-limit',
  title: 'Unpacked-size cap reached; the rest of the package was not analysed',
  severity: 'medium',
  kind: 'capability',
  description:
    `The package unpacks to more bytes than the unpacked-size cap (a compression bomb looks like this). ${PART_NOT_ANALYSED}`,
  recommendation: 'Raise the cap with --max-unpacked-size if the package is expected to be this large.',
};

export const UNREADABLE_RULE: RuleMeta = {
  id: 'workspace/unreadable-entry',
  title: 'Part of the directory could not be read',
  severity: 'medium',
  kind: 'capability',
  description: `A file or directory could not be read (permissions, name length, or it changed during the scan). ${PART_NOT_ANALYSED}`,
  recommendation: 'Fix the permissions or scan a copy of the directory.',
};

export const WORKSPACE_RULES: readonly RuleMeta[] = Object.freeze([
  PATH_TRAVERSAL_RULE,
  INVALID_NAME_RULE,
  LINK_RULE,
  SPECIAL_RULE,
  DUPLICATE_RULE,
  NONSTANDARD_LAYOUT_RULE,
  FILE_TOO_LARGE_RULE,
  FILE_COUNT_LIMIT_RULE,
  UNPACKED_SIZE_LIMIT_RULE,
  UNREADABLE_RULE,
]);

/** Findings listed one by one per rule; beyond this one summary says how many more there were. */
export const MAX_FINDINGS_PER_RULE = 20;

/** Archive names can be up to a megabyte of PAX header: keep the location readable. */
const MAX_LOCATION_CHARS = 300;

export interface WorkspaceEvent {
  rule: RuleMeta;
  /** The entry name as found (archive) or the path walked (directory). */
  file?: string | undefined;
  /** True when `file` is a path kept in the workspace, so it follows the top-folder strip. */
  inWorkspace?: boolean;
  evidence?: string | undefined;
  message: string;
}

/**
 * Collects workspace findings with a per-rule cap, so an archive of 100,000 links yields 21 findings,
 * not 100,000. Files are mapped at the end because the archive layout (strip the top folder or not)
 * is known only once every entry has been seen.
 */
export class FindingCollector {
  readonly #events: WorkspaceEvent[] = [];
  readonly #counts = new Map<string, number>();

  add(event: WorkspaceEvent): void {
    const count = (this.#counts.get(event.rule.id) ?? 0) + 1;
    this.#counts.set(event.rule.id, count);
    if (count <= MAX_FINDINGS_PER_RULE) this.#events.push(event);
  }

  count(ruleId: string): number {
    return this.#counts.get(ruleId) ?? 0;
  }

  /** `mapFile` turns an archive path of a kept entry into its workspace path. */
  findings(mapFile: (file: string) => string = (file) => file): Finding[] {
    const out = this.#events.map((event) => {
      const mapped = event.file !== undefined && event.inWorkspace === true ? mapFile(event.file) : event.file;
      const file = mapped === undefined ? undefined : truncateText(mapped, MAX_LOCATION_CHARS);
      return makeFinding(event.rule, WORKSPACE_ANALYZER_ID, {
        message: event.message,
        location: file === undefined ? undefined : { file },
        evidence: event.evidence,
      });
    });
    for (const rule of WORKSPACE_RULES) {
      const extra = (this.#counts.get(rule.id) ?? 0) - MAX_FINDINGS_PER_RULE;
      if (extra <= 0) continue;
      out.push(
        makeFinding(rule, WORKSPACE_ANALYZER_ID, {
          message: `${extra} more entries like this were found and not listed one by one.`,
          evidence: `${extra} more`,
        }),
      );
    }
    return out;
  }
}

export function fileCountLimitEvent(maxFiles: number): WorkspaceEvent {
  return {
    rule: FILE_COUNT_LIMIT_RULE,
    message: `Stopped after ${maxFiles} files: the file-count cap of ${maxFiles} was reached (change it with --max-files).`,
    evidence: `--max-files ${maxFiles}`,
  };
}

export function unpackedSizeLimitEvent(maxUnpackedBytes: number): WorkspaceEvent {
  return {
    rule: UNPACKED_SIZE_LIMIT_RULE,
    message:
      `Stopped after ${formatBytes(maxUnpackedBytes)} (${maxUnpackedBytes} bytes): the unpacked-size cap was reached ` +
      '(change it with --max-unpacked-size).',
    evidence: `--max-unpacked-size ${maxUnpackedBytes}`,
  };
}

export function fileTooLargeEvent(file: string, size: number, maxFileBytes: number): WorkspaceEvent {
  return {
    rule: FILE_TOO_LARGE_RULE,
    file,
    message:
      `${formatBytes(size)} (${size} bytes) is over the single-file cap of ${formatBytes(maxFileBytes)} ` +
      `(${maxFileBytes} bytes); the file was left out (change it with --max-file-size).`,
    evidence: `${size} bytes > --max-file-size ${maxFileBytes}`,
  };
}
