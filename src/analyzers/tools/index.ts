import type { Node } from '@babel/types';
import type { Analyzer, AnalyzerContext, AnalyzerOutput } from '../../core/analyzer.js';
import { errorMessage } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { makeFinding } from '../../core/finding.js';
import { formatBytes } from '../../core/limits.js';
import type { WorkspaceFile } from '../../core/workspace.js';
import { MAX_PARSE_BYTES, estimateTokens, isScriptFile, parseTokenCap, tokenCapText } from '../lib/parse.js';
import { NOT_TOOL_SURFACE, keepBudget, makeRoomFor, takeHandover, type KeepBudget, type TimedParse } from '../lib/shared-parse.js';
import type { ToolHit } from './checks.js';
import { MAX_CHECKED_CHARS, checkTools } from './checks.js';
import type { PreparedModule } from './extract.js';
import { exportsOf, extractTools, mayDefineTools, prepareJson, prepareScript } from './extract.js';
import type { ExtractedTool } from './model.js';
import { ModuleRegistry } from './modules.js';
import { RULES, TOOLS_ANALYZER_ID, TOOLS_RULES } from './rules.js';
import type { Scope } from './scope.js';
import { distinctVariants, mergeTools, toToolInfo } from './surface.js';

export { TOOLS_RULES } from './rules.js';
/** Files larger than this are not parsed; the reader's own text cap applies too, whichever is lower. */
export { MAX_PARSE_BYTES, MAX_PARSE_TOKENS } from '../lib/parse.js';

const MiB = 1024 * 1024;
/** Share of the analyzer's time limit after which remaining files are left out (partial, not a timeout). */
const TIME_SHARE = 0.75;
/** Wall-clock budget for one file: parsing cannot be interrupted, the walk and evaluation can. */
export const FILE_BUDGET_MS = 2_000;
/** Tools checked per package; a package defining more is cut off with a finding. */
export const MAX_TOOLS = 2_000;
/** Modules loaded only to answer imports must be small: they hold constants, not bundles. */
const MAX_LINKED_MODULE_BYTES = 1 * MiB;
/** Source kept alive for cross-module lookups, across all modules. */
const MAX_RETAINED_BYTES = 4 * MiB;
const LINK_ROUNDS = 2;
/** Bytes of an oversized file read to decide whether skipping it hides tool definitions. */
const OVERSIZE_SNIFF_BYTES = 64 * MiB;

const SKIPPED_JSON = /(?:^|\/)(?:package-lock|npm-shrinkwrap|yarn|pnpm-lock|composer\.lock|tsconfig[^/]*)\.json$/i;

function isJsonFile(file: WorkspaceFile): boolean {
  return /\.json$/i.test(file.path) && !SKIPPED_JSON.test(file.path);
}

/**
 * ASCII markers are searched for in bytes as well as in text: in UTF-8 an ASCII byte is always that character, so
 * both find the same, and an oversized file's bytes need no decoding to be searched.
 */
function containsAny(haystack: string | Buffer, markers: readonly string[]): boolean {
  return markers.some((marker) => haystack.includes(marker));
}

const TOOL_LIST_MARKERS = ['"tools"', '"inputSchema"', '"input_schema"'];

function mayHoldToolList(text: string | Buffer): boolean {
  return containsAny(text, TOOL_LIST_MARKERS);
}

/** Words only code that defines or lists MCP tools contains (a web-app bundle has none of them). */
const DEFINITION_MARKERS = ['inputSchema', 'input_schema', 'registerTool', 'ListToolsRequestSchema', 'addTool', '.tool('];

const VENDORED = /(?:^|\/)(?:third[_-]party|vendor|vendored|node_modules)\//i;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class Run {
  readonly tools: ExtractedTool[] = [];
  readonly errors: { file: string; message: string }[] = [];
  /** Files that may define tools but were not (fully) analysed. */
  readonly blind: string[] = [];
  overflow = false;
  private retained = 0;
  private readonly registry: ModuleRegistry;
  private readonly prepared = new Map<string, PreparedModule>();
  private readonly functionScopes = new WeakMap<Node, Scope>();
  private readonly files: ReadonlyMap<string, WorkspaceFile>;
  /** Largest file parsed. */
  private readonly cap: number;
  /** Most tokens in a file parsed. */
  private readonly tokenCap: number;
  /** Source whose trees may be alive at once in this thread, kept for or made by this analyzer. */
  private readonly keepBudget: KeepBudget;

  constructor(private readonly ctx: AnalyzerContext) {
    this.files = new Map(ctx.workspace.files.filter((f) => !f.omitted).map((f) => [f.path, f]));
    this.registry = new ModuleRegistry(new Set(this.files.keys()));
    this.cap = Math.min(MAX_PARSE_BYTES, ctx.limits.maxTextBytes);
    this.tokenCap = parseTokenCap(ctx.limits);
    this.keepBudget = keepBudget(this.tokenCap);
  }

  private error(file: string, message: string, blind: boolean): void {
    this.errors.push({ file, message: message.length > 300 ? `${message.slice(0, 299)}…` : message });
    if (blind) this.blind.push(file);
  }

  private async read(file: WorkspaceFile): Promise<string | undefined> {
    try {
      return await this.ctx.reader.readText(file);
    } catch (error) {
      this.ctx.signal.throwIfAborted();
      this.error(file.path, `could not read ${file.path}: ${errorMessage(error)}`, true);
      return undefined;
    }
  }

  /** An oversized file is skipped; it is a blind spot only if it could define tools. */
  private async oversized(file: WorkspaceFile): Promise<void> {
    let relevant = true;
    try {
      const bytes = await this.ctx.reader.readBytes(file, OVERSIZE_SNIFF_BYTES);
      relevant = isJsonFile(file) ? mayHoldToolList(bytes) : containsAny(bytes, DEFINITION_MARKERS);
    } catch {
      this.ctx.signal.throwIfAborted();
    }
    // Vendored bundles (a copy of the MCP SDK under third_party/) carry the words but not this server's tools.
    const vendored = VENDORED.test(file.path);
    this.error(file.path, `${file.path} is ${formatBytes(file.size)}, over the ${formatBytes(this.cap)} cap for parsing; not analysed`, relevant && !vendored);
  }

  /** Whether a script this file's size in tokens may be parsed here; kept parses it would not fit beside are dropped. */
  private roomToParse(file: WorkspaceFile, text: string): boolean {
    const tokens = estimateTokens(text);
    if (tokens > this.tokenCap) {
      this.error(file.path, `${file.path} has about ${tokens.toLocaleString('en-US')} tokens, over ${tokenCapText(this.tokenCap, this.ctx.limits)} for parsing; not analysed`, !VENDORED.test(file.path));
      return false;
    }
    makeRoomFor(this.ctx.workspace, text, tokens, this.keepBudget);
    return true;
  }

  /** `handed` is the code analyzer's parse of this text, if it kept one. */
  private prepare(file: WorkspaceFile, text: string, handed?: TimedParse): PreparedModule | undefined {
    const outcome = isJsonFile(file)
      ? prepareJson(file.path, text, FILE_BUDGET_MS)
      : prepareScript(file.path, text, FILE_BUDGET_MS, this.functionScopes, handed?.outcome);
    if (!outcome.ok) {
      this.error(file.path, outcome.error, true);
      return undefined;
    }
    if (!isJsonFile(file)) this.remember(outcome.module);
    return outcome.module;
  }

  /** Small modules stay parsed so that later files can import their constants. */
  private remember(module: PreparedModule): void {
    if (this.registry.has(module.file)) return;
    const fits = module.text.length <= MAX_LINKED_MODULE_BYTES && this.retained + module.text.length <= MAX_RETAINED_BYTES;
    if (!fits) return;
    this.retained += module.text.length;
    this.prepared.set(module.file, module);
    this.registry.register(module.file, exportsOf(module));
  }

  /** Loads modules that extraction asked for, so that a second pass can resolve their constants. */
  private async loadMisses(): Promise<boolean> {
    const misses = [...this.registry.misses];
    let loaded = false;
    for (const path of misses) {
      this.ctx.signal.throwIfAborted();
      const file = this.files.get(path);
      if (!file || file.size > MAX_LINKED_MODULE_BYTES || !isScriptFile(path)) {
        this.registry.register(path, null);
        continue;
      }
      let text: string;
      try {
        text = await this.ctx.reader.readText(file);
      } catch {
        this.ctx.signal.throwIfAborted();
        this.registry.register(path, null);
        continue;
      }
      const outcome = prepareScript(path, text, FILE_BUDGET_MS, this.functionScopes);
      if (outcome.ok) {
        this.remember(outcome.module);
        loaded = true;
      }
      if (!this.registry.has(path)) this.registry.register(path, null);
    }
    return loaded;
  }

  async analyseFile(file: WorkspaceFile): Promise<void> {
    // The per-file budget counts parsing too, so one huge bundle is cut short rather than waited for.
    let started = performance.now();
    if (file.size > this.cap) {
      await this.oversized(file);
      return;
    }
    let module = this.prepared.get(file.path);
    if (module === undefined) {
      const text = await this.read(file);
      if (text === undefined) return;
      if (!(isJsonFile(file) ? mayHoldToolList(text) : mayDefineTools(text))) return;
      const handed = isJsonFile(file) ? undefined : takeHandover(this.ctx.workspace, file.path, text);
      if (handed === undefined && !isJsonFile(file) && !this.roomToParse(file, text)) return;
      // A parse made by the code analyzer is charged to this file's budget as if it had been made here.
      if (handed !== undefined) started -= handed.ms;
      module = this.prepare(file, text, handed);
      if (module === undefined) return;
    }
    const deadline = started + FILE_BUDGET_MS;
    const remaining = MAX_TOOLS - this.tools.length;
    const options = { deadline, maxTools: remaining, linker: this.registry, textOf: (path: string) => this.prepared.get(path)?.text };
    let result = extractTools(module, options);
    for (let round = 0; round < LINK_ROUNDS && this.registry.misses.size > 0; round += 1) {
      if (!(await this.loadMisses())) break;
      result = extractTools(module, options);
    }
    this.tools.push(...result.tools);
    if (result.overflow) this.overflow = true;
    if (result.truncated && !result.overflow) this.error(file.path, `${file.path} was cut short by the ${FILE_BUDGET_MS} ms per-file budget`, true);
  }
}

function candidateFiles(files: readonly WorkspaceFile[]): WorkspaceFile[] {
  return files.filter((f) => !f.omitted && !NOT_TOOL_SURFACE.test(f.path) && (isScriptFile(f.path) || isJsonFile(f)));
}

function findingsOf(hits: readonly ToolHit[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const hit of hits) {
    const finding = makeFinding(hit.rule, TOOLS_ANALYZER_ID, { location: hit.location, evidence: hit.evidence, message: hit.message });
    if (seen.has(finding.fingerprint)) continue;
    seen.add(finding.fingerprint);
    findings.push(finding);
  }
  return findings;
}

async function analyze(ctx: AnalyzerContext): Promise<AnalyzerOutput> {
  const started = performance.now();
  const run = new Run(ctx);
  const files = candidateFiles(ctx.workspace.files);
  let notReached = 0;
  for (const [index, file] of files.entries()) {
    ctx.signal.throwIfAborted();
    if (run.overflow) break;
    if (performance.now() - started >= ctx.limits.timeoutMs * TIME_SHARE) {
      notReached = files.length - index;
      break;
    }
    await run.analyseFile(file);
    await yieldToLoop();
  }
  ctx.signal.throwIfAborted();
  const merged = mergeTools(run.tools);
  const checked = checkTools(distinctVariants(run.tools), new Set(merged.map((t) => t.name)));
  const findings = findingsOf(checked.hits);
  if (run.overflow) {
    findings.push(
      makeFinding(RULES.tooManyTools, TOOLS_ANALYZER_ID, {
        message: `More than ${MAX_TOOLS} tool definitions; only the first ${MAX_TOOLS} were checked`,
        evidence: `${MAX_TOOLS}+ tools`,
      }),
    );
  }
  const output: AnalyzerOutput = { findings, errors: run.errors, tools: merged.map(toToolInfo), status: 'succeeded' };
  const reasons: string[] = [];
  if (run.overflow) reasons.push(`more than ${MAX_TOOLS} tools defined, only the first ${MAX_TOOLS} checked`);
  if (notReached > 0) reasons.push(`${notReached} of ${files.length} files not reached before the analyzer's time limit`);
  if (!checked.complete) reasons.push(`tool text over the ${MAX_CHECKED_CHARS}-character check budget, some tools not checked`);
  const blind = [...new Set(run.blind)];
  if (blind.length > 0) reasons.push(`could not analyse ${blind.slice(0, 5).join(', ')}${blind.length > 5 ? ` and ${blind.length - 5} more` : ''}`);
  if (reasons.length > 0) {
    output.status = 'partial';
    output.reason = reasons.join('; ');
  }
  return output;
}

export const toolsAnalyzer: Analyzer = {
  id: TOOLS_ANALYZER_ID,
  // 3: what is followed into a linked module (a description, a handler) is located and quoted in that module.
  version: 3,
  description:
    'The tool surface the server shows the model, extracted statically (MCP SDK calls, tool lists, JSON manifests): hidden instructions, concealment, requests for secrets, shadowing of other tools, invisible Unicode and ANSI escapes, side-channel parameters and annotations the code contradicts.',
  requirements: {},
  rules: TOOLS_RULES,
  analyze,
};
