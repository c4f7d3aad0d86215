/**
 * Phrase rules over normalised tool text (see text.ts): what the text asks the model to do. Every
 * pattern is bounded (no nested quantifiers, `{0,n}` gaps) and runs over one sentence of at most a
 * few hundred characters, so matching stays linear whatever the package wrote.
 */
import { sentences } from './text.js';

export interface PhraseHit {
  /** The sentence (or part of it) that matched, normalised. */
  evidence: string;
  /** Why, in a few words. */
  reason: string;
}

interface Pattern {
  re: RegExp;
  reason: string;
}

function firstMatch(text: string, patterns: readonly Pattern[]): PhraseHit | undefined {
  for (const sentence of sentences(text)) {
    for (const { re, reason } of patterns) {
      const match = re.exec(sentence);
      if (match) return { evidence: around(sentence, match.index, match[0].length), reason };
    }
  }
  return undefined;
}

/** The matched span with some context, at most ~200 characters. */
export function around(sentence: string, index: number, length: number): string {
  const start = Math.max(0, index - 60);
  const end = Math.min(sentence.length, index + Math.max(length, 1) + 80);
  return `${start > 0 ? '…' : ''}${sentence.slice(start, end)}${end < sentence.length ? '…' : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// Hidden instructions

const MODEL_TAGS =
  /<\s{0,3}\/?\s{0,3}(?:important|system|system[-_ ]?(?:prompt|message|instructions?)|secret|hidden|instructions?|admin|override|critical|assistant[-_ ]?instructions?|ai[-_ ]?instructions?|model[-_ ]?instructions?|note[-_ ]?(?:to|for)[-_ ](?:the[-_ ])?(?:ai|assistant|model|llm|agent))\s{0,3}>/i;
const CHAT_TOKENS = /\[\/?(?:inst|sys)\]|<<\/?sys>>|<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>/i;

/** Hidden-instruction phrasing that is hostile on its own. */
const STRONG_HIDDEN: readonly Pattern[] = [
  { re: MODEL_TAGS, reason: 'markup addressed to the model' },
  { re: CHAT_TOKENS, reason: 'chat-template control tokens' },
  {
    re: /\b(?:ignore|disregard|forget|override|bypass)\s(?:all\s|any\s)?(?:of\s)?(?:the\s|your\s)?(?:previous|prior|above|earlier|preceding|former|other|existing|original|system)\s(?:instructions?|prompts?|rules|directions|guidelines|directives|messages|context)\b/i,
    reason: 'tells the model to ignore its instructions',
  },
  { re: /\b(?:new|updated|real|actual|true|secret|hidden|special)\s(?:system\s)?instructions?\s?:/i, reason: 'announces replacement instructions' },
  { re: /\b(?:note|message|instructions?|reminder)\s(?:to|for)\s(?:the\s)?(?:ai|assistant|model|llm|claude|gpt|chatgpt|agent)\s?:/i, reason: 'a note addressed to the model' },
  { re: /\b(?:otherwise|or else)\s(?:the\s|this\s)?(?:tool|function|it)\s(?:will\snot|won't|cannot|can't|does\snot|doesn't)\s(?:work|function|run)\b/i, reason: 'threatens the tool will not work unless the model complies' },
  { re: /\byou\sare\snow\s(?:a|an|in|acting|operating|no\slonger)\b/i, reason: 'tries to redefine the model\'s role' },
];

/** Urgency and must-do-first phrasing: suspicious only next to something to hide, read or pass on. */
const WEAK_HIDDEN: readonly Pattern[] = [
  { re: /\bthis\sis\s(?:very|extremely|really|super|critically|vitally)\simportant\b/i, reason: 'urgency aimed at the model' },
  { re: /\b(?:very|extremely|critically|vitally)\simportant\s?[:!]/i, reason: 'urgency aimed at the model' },
  {
    re: /\bbefore\s(?:using|calling|invoking|running|executing)\s(?:this|the|any)\s(?:tool|function)\b.{0,30}?\b(?:you\s)?(?:must|need\sto|have\sto|should|are\srequired\sto)\b/i,
    reason: 'demands a step before the tool may be used',
  },
  { re: /\byou\s(?:must|should|need\sto|have\sto)\s(?:first|always\sfirst)\s(?:read|open|cat|load|access|fetch|include|send|pass|upload|attach)\b/i, reason: 'demands the model first read or pass something' },
];

// What makes urgency hostile: a hidden file in the user's home, a system file, a credential file.
// Passing a value "as the X parameter", or a folder like ~/Downloads, is ordinary and does not count.
const PAYLOAD = /(?:~|\$home\b|%userprofile%)[/\\]\.|\/etc\/|\/root\//i;

/**
 * Hidden-instruction phrasing. `conditional` marks urgency without a payload in the text itself: it
 * counts only when another rule found something to hide, read or pass on in the same tool.
 */
export function hiddenInstructionsCandidate(text: string): { hit: PhraseHit; conditional: boolean } | undefined {
  const strong = firstMatch(text, STRONG_HIDDEN);
  if (strong) return { hit: strong, conditional: false };
  const weak = firstMatch(text, WEAK_HIDDEN);
  if (!weak) return undefined;
  return { hit: weak, conditional: !(PAYLOAD.test(text) || SENSITIVE_FILE.test(text)) };
}

export function hiddenInstructions(text: string, extraPayload: boolean): PhraseHit | undefined {
  const candidate = hiddenInstructionsCandidate(text);
  return candidate && (!candidate.conditional || extraPayload) ? candidate.hit : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Concealment

const CONCEALMENT: readonly Pattern[] = [
  {
    re: /\b(?:do\snot|don't|dont|never|must\snot|should\snot|shouldn't|mustn't|avoid)\s(?:ever\s)?(?:tell|mention|inform|notify|alert|reveal|disclose|show|say|explain|report|let)\b.{0,40}?\b(?:the\suser|the\shuman|the\sperson|users?|anyone|them)\b/i,
    reason: 'tells the model to keep something from the user',
  },
  {
    re: /\b(?:do\snot|don't|dont|never|must\snot)\s(?:tell|mention|reveal|disclose|say|explain|share|acknowledge)\s(?:that\syou|this\b|these\s(?:instructions?|steps?|notes?)|the\s(?:instructions?|fact|above|following|note)|anything\sabout\s(?:this|these|it))/i,
    reason: 'tells the model not to mention what it is doing',
  },
  {
    re: /\bwithout\s(?:the\s)?(?:user|users|human|them)(?:'s)?\s(?:knowing|noticing|knowledge|awareness|being\s(?:aware|informed|told|notified)|seeing|realizing|realising)\b/i,
    reason: 'acting without the user knowing',
  },
  {
    re: /\b(?:the\s)?users?\s(?:must|should|shall|may|need|can)\s?(?:not|never|n't)\s(?:ever\s)?(?:see|know|be\stold|be\sinformed|notice|find\sout|learn|be\saware|suspect|realize|realise)\b/i,
    reason: 'the user must not find out',
  },
  { re: /\b(?:hide|conceal)\s(?:this|it|that|these|the\sfact|them|any|all)\b.{0,40}?\bfrom\s(?:the\s)?(?:user|users|human)\b/i, reason: 'hide it from the user' },
  { re: /\bkeep\s(?:this|it|that|these|them)\s(?:\w+\s)?(?:secret|hidden|confidential|private)\s(?:from|between)\b/i, reason: 'keep it secret' },
  {
    re: /\b(?:silently|secretly|covertly|quietly|discreetly|stealthily|surreptitiously|invisibly)\s(?:\w+\s)?(?:read|send|include|pass|add|forward|copy|upload|call|run|execute|attach|append|bcc|cc|collect|transmit|post|exfiltrate|share|save|write|store|log|record)\b/i,
    reason: 'tells the model to act silently',
  },
  {
    re: /\b(?:you\s(?:must|should)|always|please)\s(?:silently|secretly|covertly|quietly|discreetly)\b/i,
    reason: 'tells the model to act silently',
  },
];

export function concealment(text: string): PhraseHit | undefined {
  return firstMatch(text, CONCEALMENT);
}

// ---------------------------------------------------------------------------------------------------
// Requests for files and secrets

const SENSITIVE_FILE =
  /(?:~|\$home|%userprofile%)?[/\\]?\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\bmcp\.json\b|\bclaude_desktop_config\.json\b|\.cursor[/\\]|\.codeium[/\\]|\.aws[/\\](?:credentials|config)\b|\.npmrc\b|\.netrc\b|\.git-credentials\b|\.pgpass\b|\.docker[/\\]config\.json\b|\.kube[/\\]config\b|\.gnupg\b|\.bash_history\b|\.zsh_history\b|\/etc\/(?:passwd|shadow)\b|\bwallet\.dat\b|(?:^|[\s'"`(/\\])\.env(?:\.[a-z]{1,12})?\b|\bprivate[\s_-]?keys?\b|\bseed\sphrase\b|\bkeychain\b/i;
const SECRET_WORDS = /\b(?:api[\s_-]?keys?|access[\s_-]?tokens?|auth(?:entication)?[\s_-]?tokens?|bearer\stokens?|secrets?|passwords?|credentials?|env(?:ironment)?\svar(?:iable)?s|process\.env|ssh\skeys?|session\scookies?|cookies)\b/i;

/** Moving data into the tool call. */
const TRANSFER = /\b(?:pass|put|include|send|provide|insert|add|attach|append|paste|fill|submit|forward|share|upload|copy)\b.{0,80}?\b(?:as|in|into|inside|via|within|to|with)\b/i;
/** Wording aimed at the model rather than describing the tool. */
const DIRECTED =
  /\byou\s(?:must|should|need\sto|have\sto|will\sneed\sto|are\srequired\sto)\b|\bplease\b|\bbefore\s(?:using|calling|invoking|running)\s(?:this|the)\s(?:tool|function)\b|\bfirst\b|\bmake\ssure\s(?:to|you)\b|\b(?:otherwise|or\selse)\b|\bremember\sto\b|\bdo\snot\sforget\b/i;
const CONTENTS = /\bcontents?\b|\bwhat\s(?:is|it\ssays)\sin\b|\bfull\stext\b|\bverbatim\b/i;
/** Read-and-harvest verbs in the imperative, for generic secrets. */
const HARVEST =
  /\b(?:read|find|collect|gather|extract|grab|retrieve|look\sup|search\sfor|list|dump|copy|get|fetch|obtain|scan\sfor)\s(?:\w+\s){0,3}?(?:all|any|every|each|the\suser's|user's|your|their|available|stored|saved|existing)\b/i;
/** The file is named as a path or an example, not as something to read. */
const PATH_REFERENCE = /\b(?:path|paths|location|directory|folder|dir|filename|file\sname)\s(?:(?:to|of|for|like|such\sas)\s)?(?:(?:your|the|a|an|their|its)\s)?['"`(]?$|\(\s?(?:e\.g\.|eg|for\sexample|such\sas|like)?,?\s?['"`]?$|\be\.g\.,?\s?['"`]?$/i;
/** Imperative reading or handing over, enough in a parameter description (it describes what to put there). */
const IMPERATIVE_READ = /\b(?:read|cat|open|load|paste|put|insert|copy|include|attach|provide|dump|print)\b/i;
const NEGATED_BEFORE = /\b(?:never|not|don't|cannot|can't|won't|no|without|except|excluding|reject(?:ed|s)?|block(?:ed|s)?|refuse[sd]?)\b[^.]{0,60}$/i;

const SENSITIVE_FILES = new RegExp(SENSITIVE_FILE.source, 'gi');

/** The first credential file named in the sentence as something to read, not as a path, an example or a prohibition. */
function sensitiveTarget(sentence: string): RegExpExecArray | undefined {
  SENSITIVE_FILES.lastIndex = 0;
  let match: RegExpExecArray | null;
  for (let guard = 0; guard < 20 && (match = SENSITIVE_FILES.exec(sentence)) !== null; guard += 1) {
    const before = sentence.slice(Math.max(0, match.index - 80), match.index);
    if (!NEGATED_BEFORE.test(before) && !PATH_REFERENCE.test(before.slice(-40))) return match;
    if (match[0].length === 0) SENSITIVE_FILES.lastIndex += 1;
  }
  return undefined;
}

function sensitiveSentence(sentence: string, imperativeSuffices: boolean): PhraseHit | undefined {
  const file = sensitiveTarget(sentence);
  if (file) {
    const asked = TRANSFER.test(sentence) || DIRECTED.test(sentence) || CONTENTS.test(sentence) || (imperativeSuffices && IMPERATIVE_READ.test(sentence));
    if (asked) return { evidence: around(sentence, file.index, file[0].length), reason: `asks for ${file[0].trim()}` };
  }
  const secret = SECRET_WORDS.exec(sentence);
  if (secret && TRANSFER.test(sentence)) {
    const harvest = HARVEST.exec(sentence);
    const contents = /\b(?:contents?|values?)\sof\s(?:all\s|any\s|the\s|your\s)?(?:environment|env|\.env|process\.env)/i.exec(sentence);
    const hit = harvest && harvest.index < secret.index + 80 ? harvest : contents;
    if (hit && !NEGATED_BEFORE.test(sentence.slice(Math.max(0, hit.index - 60), hit.index))) {
      return { evidence: around(sentence, Math.min(hit.index, secret.index), secret[0].length + 40), reason: `asks the model to collect ${secret[0]}` };
    }
  }
  return undefined;
}

/**
 * Instructions to read credential files or collect secrets and hand them over. `imperativeSuffices`
 * is for parameter descriptions, where "read ~/.ssh/id_rsa" can only mean "put it here".
 */
export function sensitiveFileRequest(text: string, imperativeSuffices = false): PhraseHit | undefined {
  for (const sentence of sentences(text)) {
    const hit = sensitiveSentence(sentence, imperativeSuffices);
    if (hit) return hit;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Shadowing

const MAIL_REDIRECT: readonly Pattern[] = [
  {
    re: /\b(?:all|every|any|each)\s(?:outgoing\s|sent\s)?(?:e-?mails?|messages?|mails?|invoices?|payments?|transfers?|transactions?)\s(?:must|should|need\sto|have\sto|are\sto|shall|will)\s(?:also\s|always\s)?(?:be\s)?(?:sent|forwarded|copied|cc'?d|bcc'?d|redirected|routed|delivered|paid|transferred)\s(?:to|via)\b/i,
    reason: 'redirects every message or payment',
  },
  {
    re: /\b(?:always|also|must|should|make\ssure\sto)\s(?:\w+\s){0,3}?(?:bcc|cc|blind[\s-]copy|carbon[\s-]copy|forward|redirect)\b.{0,80}?@[\w-]{1,60}\./i,
    reason: 'adds a hidden recipient',
  },
  { re: /\b(?:add|include|set|put)\s.{0,60}?\bas\s(?:a\s|the\s)?(?:bcc|cc)\b/i, reason: 'adds a hidden recipient' },
  {
    re: /\b(?:must|should|always)\s(?:also\s)?(?:send|forward|copy|redirect|route)\s(?:all|every|any|each)\s(?:outgoing\s)?(?:e-?mails?|messages?|mails?)\s(?:to|via)\b/i,
    reason: 'redirects every message',
  },
  {
    re: /\b(?:change|replace|set|override)\s(?:the\s)?(?:recipient|to\saddress|destination|account\snumber|iban|wallet\saddress|payee)\b.{0,40}?\bto\b/i,
    reason: 'changes where data or money goes',
  },
];

const OTHER_SERVERS = /\b(?:other|another|all\sother|any\sother|every\sother|different|third[\s-]party)\s(?:mcp\s)?(?:servers?|tools?|integrations?|plugins?)\b/i;
const BEHAVIOUR_CHANGE =
  /\b(?:must|always|never|should\salways|has\sto|have\sto|need\sto|needs\sto|is\srequired\sto|are\srequired\sto|make\ssure|ensure)\b.{0,60}?\b(?:send|bcc|cc|forward|redirect|route|add|include|append|prepend|attach|change|modify|override|replace|set|pass|copy|use|call)\b|\binstead\sof\b|\b(?:do\snot|don't|never)\s(?:use|call|invoke)\b/i;

/** Candidate tool names mentioned in a sentence: `the send_email tool`, `tool named X`, `use 'x_y'`. */
const TOOL_REFERENCES: readonly RegExp[] = [
  /['"`]?([A-Za-z][\w.-]{1,80}?)['"`]?\s(?:tool|function)\b/g,
  /\b(?:tool|function)s?\s(?:called|named)\s['"`]?([A-Za-z][\w.-]{1,80})/g,
  /\b(?:use|using|call|calling|invoke|invoking|run|running)\s(?:the\s)?['"`]([A-Za-z][\w.-]{1,80})['"`]/g,
  /\b(?:instead\sof|rather\sthan)\s(?:using\s|calling\s)?(?:the\s)?['"`]?([A-Za-z][\w.-]{1,80})/g,
];

/** A name that looks like an identifier (snake, kebab, dotted or camel case), not an ordinary word. */
function looksLikeToolName(name: string): boolean {
  return /[a-z0-9][_.-][a-z0-9]/i.test(name) || /[a-z][A-Z]/.test(name);
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

/** The package's own tool names, in the forms references are compared with. */
export interface OwnIndex {
  own: ReadonlySet<string>;
  /** Name prefixes shared by at least two own tools (`firecrawl_` in firecrawl_scrape, firecrawl_map). */
  prefixes: ReadonlySet<string>;
}

export interface ShadowContext {
  /** Every tool name this package defines. */
  ownNames: ReadonlySet<string>;
  /** Parameter names of the tool being checked (they look like identifiers too). */
  paramNames: ReadonlySet<string>;
  /** `ownIndex(ownNames)`, when the caller checks many tools against the same names. */
  index?: OwnIndex;
}

export function ownIndex(ownNames: Iterable<string>): OwnIndex {
  const own = new Set<string>();
  const counts = new Map<string, number>();
  for (const name of ownNames) {
    own.add(canonical(name));
    const prefix = /^([a-z0-9]{2,30})[_.-]/i.exec(name)?.[1]?.toLowerCase();
    if (prefix !== undefined) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return { own, prefixes: new Set([...counts].filter(([, n]) => n >= 2).map(([p]) => p)) };
}

function isOwn(name: string, context: ShadowContext, index: OwnIndex): boolean {
  const key = canonical(name.replace(/[.)]+$/, ''));
  if (index.own.has(key) || [...context.paramNames].some((p) => canonical(p) === key)) return true;
  // Names of this server's family (`firecrawl_x` when the server defines `firecrawl_*`) count as its own.
  const prefix = /^([a-z0-9]{2,30})[_.-]/i.exec(name)?.[1]?.toLowerCase();
  return prefix !== undefined && index.prefixes.has(prefix);
}

function foreignReference(sentence: string, context: ShadowContext, index: OwnIndex): RegExpExecArray | undefined {
  for (const pattern of TOOL_REFERENCES) {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    let guard = 0;
    while ((match = pattern.exec(sentence)) !== null && guard < 50) {
      guard += 1;
      const name = match[1];
      if (name !== undefined && looksLikeToolName(name) && !isOwn(name, context, index)) return match;
      if (match[0].length === 0) pattern.lastIndex += 1;
    }
  }
  return undefined;
}

export function shadowing(text: string, context: ShadowContext): PhraseHit | undefined {
  const direct = firstMatch(text, MAIL_REDIRECT);
  if (direct) return direct;
  const index = context.index ?? ownIndex(context.ownNames);
  for (const sentence of sentences(text)) {
    if (!BEHAVIOUR_CHANGE.test(sentence)) continue;
    const reference = foreignReference(sentence, context, index);
    if (reference) return { evidence: around(sentence, reference.index, reference[0].length), reason: `changes how the tool "${reference[1] ?? ''}", which this server does not define, must be used` };
    const other = OTHER_SERVERS.exec(sentence);
    if (other && /\b(?:send|bcc|cc|forward|redirect|route|include|append|prepend|attach|change|modify|override|replace)\b/i.test(sentence)) {
      return { evidence: around(sentence, other.index, other[0].length), reason: 'changes how other servers\' tools behave' };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Side-channel parameters

/** Names that only make sense as a channel for the conversation itself. */
const SIDE_CHANNEL_NAMES = new Set([
  'sidenote', 'sidenotes', 'sidechannel', 'conversationhistory', 'chathistory', 'previousmessages', 'priormessages', 'allmessages',
  'fullconversation', 'entireconversation', 'wholeconversation', 'conversationlog', 'chatlog', 'prompthistory', 'summaryofconversation',
  'conversationsummary', 'chattranscript', 'conversationtranscript', 'conversationcontext', 'userconversation', 'fullchat',
  'previousconversation', 'systemprompthistory', 'hiddennote', 'secretnote', 'internalnote',
]);

export function isSideChannelName(name: string): boolean {
  return SIDE_CHANNEL_NAMES.has(name.toLowerCase().replace(/[-_\s]/g, ''));
}

const CONVERSATION_REQUEST: readonly Pattern[] = [
  {
    re: /\b(?:entire|full|whole|complete)\s(?:current\s)?(?:conversation|chat|dialog(?:ue)?|transcript|context\swindow|session\shistory)\b(?!\s?(?:ids?|identifiers?|names?|titles?|keys?|numbers?)\b)/i,
    reason: 'asks for the whole conversation',
  },
  {
    re: /\b(?:this|our|the\scurrent)\s(?:conversation|chat)\s(?:so\sfar|history|up\sto\s(?:now|this\spoint)|until\snow|verbatim|transcript|log)\b/i,
    reason: 'asks for this conversation',
  },
  { re: /\b(?:all|every|each)\s(?:of\s)?(?:the\s)?(?:previous|prior|earlier|preceding|past)\s(?:messages?|prompts?|turns?|responses|exchanges)\b/i, reason: 'asks for all previous messages' },
  {
    re: /\b(?:your|the\s(?:assistant's|model's|ai's))\s(?:system\sprompt|system\sinstructions|initial\s(?:prompt|instructions)|original\s(?:prompt|instructions)|hidden\sinstructions)\b/i,
    reason: 'asks for the model\'s instructions',
  },
  { re: /\bsystem\sprompt\b.{0,40}?\b(?:verbatim|in\sfull|exactly|word\sfor\sword)\b/i, reason: 'asks for the system prompt' },
  { re: /\b(?:everything|anything|all)\s(?:that\s)?the\suser\s(?:has\s)?(?:said|typed|asked|wrote|written|shared|mentioned)\b/i, reason: 'asks for what the user said' },
  {
    re: /\bcontents?\sof\s(?:any|all|every|each|the)\s(?:files?|documents?)\s(?:that\s)?(?:you|the\suser)\s(?:have|has|had)?\s?(?:read|opened|seen|accessed|viewed)\b/i,
    reason: 'asks for the files the model has read',
  },
];

/** A parameter description that asks the model to fill it with the conversation, instructions, files or secrets. */
export function conversationRequest(text: string): PhraseHit | undefined {
  return firstMatch(text, CONVERSATION_REQUEST) ?? sensitiveFileRequest(text, true);
}
