/**
 * The rules over each tool: its name, title, description, parameter names and descriptions, and what
 * its handler was seen to do. Pure: tools in, hits out.
 */
import type { Location, RuleMeta } from '../../core/finding.js';
import type { ExtractedParam, ExtractedTool } from './model.js';
import type { OwnIndex, PhraseHit } from './phrases.js';
import { concealment, conversationRequest, hiddenInstructionsCandidate, isSideChannelName, ownIndex, sensitiveFileRequest, shadowing } from './phrases.js';
import { RULES } from './rules.js';
import { MAX_CHECK_TEXT, entropy, firstEscape, makeVisible, normalizeForMatching, scanHidden, sentences, visibleWindow } from './text.js';

export interface ToolHit {
  rule: RuleMeta;
  location: Location;
  evidence: string;
  message: string;
}

/** Longer than any real tool needs (most are under 1,000 characters). */
export const LONG_DESCRIPTION_CHARS = 4_000;
const BLOB_MIN_CHARS = 100;

type FieldKind = 'name' | 'title' | 'description' | 'param-name' | 'param-description';

interface Field {
  kind: FieldKind;
  /** "description", "parameter \"path\" description"… for messages. */
  label: string;
  text: string;
  location: Location;
}

function quote(text: string): string {
  return JSON.stringify(makeVisible(text.length > 80 ? `${text.slice(0, 79)}…` : text));
}

function fieldsOf(tool: ExtractedTool): Field[] {
  const fields: Field[] = [{ kind: 'name', label: 'name', text: tool.name, location: tool.location }];
  if (tool.title !== undefined) fields.push({ kind: 'title', label: 'title', text: tool.title, location: tool.location });
  fields.push({ kind: 'description', label: 'description', text: tool.description, location: tool.descriptionLocation ?? tool.location });
  for (const param of tool.parameters) {
    const location = param.location ?? tool.location;
    fields.push({ kind: 'param-name', label: `parameter ${quote(param.name)} name`, text: param.name, location });
    if (param.description !== undefined) fields.push({ kind: 'param-description', label: `parameter ${quote(param.name)} description`, text: param.description, location });
  }
  return fields;
}

function isProse(field: Field): boolean {
  return field.kind === 'description' || field.kind === 'param-description' || field.kind === 'title';
}

/** A rule hit on one text, before it is tied to a tool and a place. */
interface TextHit {
  rule: RuleMeta;
  evidence: string;
  /** Completes "<field label> …". */
  detail: string;
}

interface ProseResult {
  hits: TextHit[];
  /** Urgency that counts only if the tool has something else to hide, read or pass on. */
  conditionalHidden?: TextHit;
  /** Concealment or a request for secrets: what makes conditional urgency hostile. */
  payload: boolean;
}

function characterHits(text: string): TextHit[] {
  const hits: TextHit[] = [];
  const hidden = scanHidden(text);
  if (hidden.count > 0) {
    const kinds = [hidden.bidi > 0 ? `${hidden.bidi} bidi` : '', hidden.tags > 0 ? `${hidden.tags} tag` : '', hidden.controls > 0 ? `${hidden.controls} control` : ''].filter((k) => k !== '');
    const decoded = hidden.decodedTags !== '' ? `; the tag characters spell ${quote(hidden.decodedTags)}` : '';
    hits.push({
      rule: RULES.invisibleCharacters,
      evidence: visibleWindow(text, hidden.first),
      detail: `contains ${hidden.count} invisible character${hidden.count === 1 ? '' : 's'}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}${decoded}`,
    });
  }
  const escape = firstEscape(text);
  if (escape >= 0) hits.push({ rule: RULES.ansiEscape, evidence: visibleWindow(text, escape), detail: 'contains a terminal escape sequence' });
  return hits;
}

const BLOB = /[A-Za-z0-9+/]{100,}={0,2}|[A-Za-z0-9_-]{100,}={0,2}/g;

/** A long base64 or hex run with the entropy of encoded data, not of a word or a repeated character. */
export function findBlob(text: string): { blob: string; decoded?: string } | undefined {
  BLOB.lastIndex = 0;
  const capped = text.length > MAX_CHECK_TEXT ? text.slice(0, MAX_CHECK_TEXT) : text;
  let match: RegExpExecArray | null;
  while ((match = BLOB.exec(capped)) !== null) {
    const run = match[0];
    if (/^[0-9a-fA-F]+$/.test(run)) {
      if (entropy(run) >= 3.0) return { blob: run };
      continue;
    }
    const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((re) => re.test(run)).length;
    if (classes < 3 || entropy(run) < 4.2 || run.length < BLOB_MIN_CHARS) continue;
    const decoded = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
    const printable = decoded.length > 0 && [...decoded].filter((c) => c >= ' ' && c <= '~').length / decoded.length > 0.9;
    return printable ? { blob: run, decoded } : { blob: run };
  }
  return undefined;
}

function phrase(rule: RuleMeta, hit: PhraseHit): TextHit {
  return { rule, evidence: makeVisible(hit.evidence), detail: hit.reason };
}

function proseHits(text: string, shadowContext: { ownNames: ReadonlySet<string>; paramNames: ReadonlySet<string>; index: OwnIndex } | undefined, long: boolean): ProseResult {
  const normal = normalizeForMatching(text);
  const hits: TextHit[] = [];
  const concealed = concealment(normal);
  if (concealed) hits.push(phrase(RULES.concealment, concealed));
  const sensitive = sensitiveFileRequest(normal);
  if (sensitive) hits.push(phrase(RULES.sensitiveFileRequest, sensitive));
  const result: ProseResult = { hits, payload: concealed !== undefined || sensitive !== undefined };
  const hidden = hiddenInstructionsCandidate(normal);
  if (hidden && (!hidden.conditional || result.payload)) hits.push(phrase(RULES.hiddenInstructions, hidden.hit));
  else if (hidden) result.conditionalHidden = phrase(RULES.hiddenInstructions, hidden.hit);
  const shadow = shadowContext ? shadowing(normal, shadowContext) : undefined;
  if (shadow) hits.push(phrase(RULES.shadowing, shadow));
  const blob = findBlob(text);
  if (blob) {
    const preview = blob.decoded !== undefined ? `; it decodes to ${quote(blob.decoded)}` : '';
    hits.push({ rule: RULES.encodedBlob, evidence: `${blob.blob.slice(0, 80)}… (${blob.blob.length} chars)`, detail: `contains a ${blob.blob.length}-character encoded blob${preview}` });
  }
  if (long && text.length > LONG_DESCRIPTION_CHARS) {
    hits.push({ rule: RULES.longDescription, evidence: `${makeVisible(text.slice(0, 120))}…`, detail: `is ${text.length} characters long` });
  }
  return result;
}

/** Characters of tool text checked per package; identical texts are checked once. */
export const MAX_CHECKED_CHARS = 16 * 1024 * 1024;

/**
 * Checks tools, remembering results per distinct text: packages repeat one description across many
 * tools and copies, and a hostile one can repeat a huge one thousands of times.
 */
export class ToolChecker {
  private readonly index: OwnIndex;
  private readonly characters = new Map<string, TextHit[]>();
  private readonly prose = new Map<string, ProseResult>();
  private readonly requests = new Map<string, PhraseHit | null>();
  private spent = 0;
  /** The budget ran out: some tools were not checked. */
  exhausted = false;

  constructor(private readonly ownNames: ReadonlySet<string>, private readonly budget = MAX_CHECKED_CHARS) {
    this.index = ownIndex(ownNames);
  }

  private charge(text: string): boolean {
    this.spent += text.length;
    if (this.spent > this.budget) this.exhausted = true;
    return !this.exhausted;
  }

  private characterHits(text: string): TextHit[] {
    const cached = this.characters.get(text);
    if (cached) return cached;
    if (!this.charge(text)) return [];
    const hits = characterHits(text);
    this.characters.set(text, hits);
    return hits;
  }

  private proseHits(field: Field, paramNames: ReadonlySet<string>): ProseResult {
    const shadowed = field.kind !== 'title';
    const key = `${field.kind === 'title' ? 't' : field.kind === 'description' ? 'd' : 'p'}\u0000${shadowed ? [...paramNames].join(',') : ''}\u0000${field.text}`;
    const cached = this.prose.get(key);
    if (cached) return cached;
    if (!this.charge(field.text)) return { hits: [], payload: false };
    const result = proseHits(field.text, shadowed ? { ownNames: this.ownNames, paramNames, index: this.index } : undefined, field.kind !== 'title');
    this.prose.set(key, result);
    return result;
  }

  /** What a text asks the model to put in a parameter (conversation, instructions, files, secrets). */
  request(text: string): PhraseHit | undefined {
    const cached = this.requests.get(text);
    if (cached !== undefined) return cached ?? undefined;
    if (!this.charge(text)) return undefined;
    const hit = conversationRequest(normalizeForMatching(text));
    this.requests.set(text, hit ?? null);
    return hit;
  }

  check(tool: ExtractedTool): ToolHit[] {
    if (this.exhausted) return [];
    const out: ToolHit[] = [];
    const add = (rule: RuleMeta, location: Location, evidence: string, detail: string): void => {
      out.push({ rule, location, evidence, message: `Tool ${quote(tool.name)}: ${detail}` });
    };
    const paramNames = new Set(tool.parameters.map((p) => p.name));
    const hasSideChannel = tool.parameters.some((p) => isSideChannelName(p.name));
    const conditional: { field: Field; hit: TextHit }[] = [];
    let payload = hasSideChannel;
    for (const field of fieldsOf(tool)) {
      for (const hit of this.characterHits(field.text)) add(hit.rule, field.location, hit.evidence, `${field.label} ${hit.detail}`);
      if (!isProse(field)) continue;
      const prose = this.proseHits(field, paramNames);
      for (const hit of prose.hits) add(hit.rule, field.location, hit.evidence, `${field.label} ${hit.detail}`);
      payload ||= prose.payload;
      if (prose.conditionalHidden) conditional.push({ field, hit: prose.conditionalHidden });
    }
    if (payload) for (const { field, hit } of conditional) add(hit.rule, field.location, hit.evidence, `${field.label} ${hit.detail}`);
    for (const hit of this.parameterHits(tool)) add(hit.rule, hit.location, hit.evidence, hit.detail);
    const mismatch = annotationMismatch(tool);
    if (mismatch) add(mismatch.rule, mismatch.location, mismatch.evidence, mismatch.detail);
    return out;
  }

  private parameterHits(tool: ExtractedTool): (TextHit & { location: Location })[] {
    const hits: (TextHit & { location: Location })[] = [];
    let descriptionSentences: string[] | undefined;
    for (const param of tool.parameters) {
      const reason = this.sideChannelReason(param, () => (descriptionSentences ??= sentences(normalizeForMatching(tool.description))));
      if (reason === undefined) continue;
      hits.push({ rule: RULES.exfilParameter, location: param.location ?? tool.location, evidence: makeVisible(`${param.name}: ${param.description ?? ''}`), detail: `parameter ${quote(param.name)} ${reason}` });
      const sent = tool.handler?.sent.find((s) => s.param === param.name);
      if (sent) hits.push({ rule: RULES.exfilParameterSent, location: sent.location, evidence: makeVisible(sent.evidence), detail: `parameter ${quote(param.name)} reaches a network call in the handler` });
    }
    return hits;
  }

  /** Why a parameter looks like a side channel, if it does. */
  private sideChannelReason(param: ExtractedParam, descriptionSentences: () => string[]): string | undefined {
    if (isSideChannelName(param.name)) return `is named ${quote(param.name)}, a side channel for the conversation`;
    if (param.description !== undefined) {
      const request = this.request(param.description);
      if (request) return `description ${request.reason}`;
    }
    // The tool description may do the asking: "read ~/.ssh/id_rsa and pass its content as 'notes'".
    if (param.name.length < 2 || param.name.length > 60) return undefined;
    // The full pattern below is slow on long descriptions; most never name the parameter at all.
    const named = new RegExp(escapeRegExp(param.name), 'i');
    const sentences = descriptionSentences().filter((sentence) => named.test(sentence));
    if (sentences.length === 0) return undefined;
    const into = new RegExp(
      `\\b(?:pass|put|include|send|provide|insert|add|attach|append|paste|fill|copy)\\b.{0,80}?\\b(?:as|in|into|inside|via|within|to)\\s(?:the\\s)?['"\`]?${escapeRegExp(param.name)}(?:[^\\w]|$)`,
      'i',
    );
    for (const sentence of sentences) {
      if (!into.test(sentence)) continue;
      const request = conversationRequest(sentence);
      if (request) return `is what the tool description asks to fill: ${request.reason}`;
    }
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function annotationMismatch(tool: ExtractedTool): (TextHit & { location: Location }) | undefined {
  const effects = tool.handler?.effects ?? [];
  if (effects.length === 0 || tool.annotations === undefined) return undefined;
  const readOnly = tool.annotations['readOnlyHint'] === true;
  const notDestructive = tool.annotations['destructiveHint'] === false;
  const contradicting = readOnly ? effects[0] : notDestructive ? effects.find((e) => e.kind === 'delete') : undefined;
  if (!contradicting) return undefined;
  const hint = readOnly ? 'readOnlyHint: true' : 'destructiveHint: false';
  const verb = contradicting.kind === 'exec' ? 'runs a process' : contradicting.kind === 'delete' ? 'deletes or moves files' : 'writes files';
  return { rule: RULES.annotationMismatch, location: contradicting.location, evidence: makeVisible(contradicting.evidence), detail: `declares ${hint} but its handler ${verb} (${contradicting.call})` };
}

export interface CheckResult {
  hits: ToolHit[];
  /** False when the text budget ran out before every tool was checked. */
  complete: boolean;
}

/** Runs every rule over every tool; `ownNames` are the names of all tools the package defines. */
export function checkTools(tools: readonly ExtractedTool[], ownNames: ReadonlySet<string>, budget = MAX_CHECKED_CHARS): CheckResult {
  const checker = new ToolChecker(ownNames, budget);
  const hits = tools.flatMap((tool) => checker.check(tool));
  return { hits, complete: !checker.exhausted };
}
