import type { RuleMeta } from '../../core/finding.js';
import { defineRule } from '../../core/finding.js';

export const TOOLS_ANALYZER_ID = 'tools';

const TOOL_POISONING = 'https://invariantlabs.ai/blog/mcp-security-notification-tool-poisoning-attacks';
const ANSI_DECEPTION = 'Trail of Bits, "Deceiving users with ANSI terminal codes in MCP" (April 2025)';

/**
 * Every rule the tools analyzer can emit. The ids are a contract: fixtures and the eval name them.
 */
export const RULES = {
  hiddenInstructions: defineRule({
    id: 'tools/hidden-instructions',
    title: 'Tool text carries hidden instructions for the model',
    severity: 'high',
    kind: 'threat',
    description:
      'A tool description (or a parameter description or name) contains markup or phrasing aimed at the model ' +
      'rather than at the user: tags such as <IMPORTANT>, <SYSTEM> or <secret>, chat-template tokens like [INST], ' +
      '"ignore previous instructions", or a demand that the model do something before it may use the tool. ' +
      'Clients show users a short summary while the model reads every word, which is how tool poisoning works.',
    recommendation: 'Read the full description as the model sees it. Do not run a server whose tool text gives the model orders the user never sees.',
    reference: TOOL_POISONING,
  }),
  concealment: defineRule({
    id: 'tools/concealment',
    title: 'Tool text tells the model to hide something from the user',
    severity: 'high',
    kind: 'threat',
    description:
      'The tool text asks the model to keep something from the user: not to tell, mention or reveal it, to act ' +
      'without the user knowing, silently or secretly. An honest tool has nothing to hide from the person using it.',
    recommendation: 'Treat the server as hostile until the maintainer explains why the model must not tell the user.',
    reference: TOOL_POISONING,
  }),
  sensitiveFileRequest: defineRule({
    id: 'tools/sensitive-file-request',
    title: 'Tool text asks the model for secrets or credential files',
    severity: 'high',
    kind: 'threat',
    description:
      'The tool text instructs the model to read or pass along the contents of credential files or secrets: ' +
      'SSH keys, MCP client configurations (mcp.json, claude_desktop_config.json), .env files, cloud ' +
      'credentials, API keys or tokens. A tool describing its own file access is not this; an instruction to the ' +
      'model to fetch such contents and hand them over is.',
    recommendation: 'Do not run the server. If it already ran with a model that followed the instruction, rotate the named credentials.',
    reference: TOOL_POISONING,
  }),
  shadowing: defineRule({
    id: 'tools/shadowing',
    title: 'Tool text changes how another tool must be used',
    severity: 'high',
    kind: 'threat',
    description:
      'The description refers to a tool or server that is not part of this server and tells the model to change ' +
      'how it is used (always add a recipient, send everything somewhere, use it instead of another). The tool ' +
      'never has to be called: its description alone hijacks tools the user trusts.',
    recommendation: 'Do not run this server alongside others. A tool description has no business with other servers\' tools.',
    reference: TOOL_POISONING,
  }),
  invisibleCharacters: defineRule({
    id: 'tools/invisible-characters',
    title: 'Tool text contains invisible Unicode',
    severity: 'high',
    kind: 'threat',
    description:
      'Tool names or descriptions contain zero-width characters, bidirectional controls, Unicode tag characters ' +
      '(which can spell hidden ASCII the model reads) or other invisible format characters. They hide text from ' +
      'people reviewing the tool while the model still receives it.',
    recommendation: 'Look at the evidence with the invisible characters made visible, and at the decoded tag text in the message.',
  }),
  ansiEscape: defineRule({
    id: 'tools/ansi-escape',
    title: 'Tool text contains terminal escape sequences',
    severity: 'high',
    kind: 'threat',
    description:
      'Tool text contains ANSI escape sequences (ESC, CSI, OSC). In a terminal client they can hide text, move the ' +
      'cursor over it or disguise links, so the user sees something different from what the model reads.',
    recommendation: 'Do not run the server; there is no honest reason for escape sequences in a tool description.',
    reference: ANSI_DECEPTION,
  }),
  encodedBlob: defineRule({
    id: 'tools/encoded-blob',
    title: 'Tool text contains an encoded blob',
    severity: 'medium',
    kind: 'threat',
    description:
      'A long base64 or hex run with high entropy sits inside tool text. Models decode such blobs readily, so they ' +
      'can carry instructions no reviewer reads.',
    recommendation: 'Decode the blob offline and check what it says.',
  }),
  longDescription: defineRule({
    id: 'tools/long-description',
    title: 'Tool description is unusually long',
    severity: 'low',
    kind: 'capability',
    description:
      'A tool description is far longer than a tool needs. Long descriptions are not hostile by themselves, but they ' +
      'give room to bury instructions where nobody reads them.',
    recommendation: 'Skim the whole description, not only its first lines.',
  }),
  exfilParameter: defineRule({
    id: 'tools/exfil-parameter',
    title: 'Parameter exists to carry conversation or file contents',
    severity: 'medium',
    kind: 'threat',
    description:
      'A tool parameter is named as a side channel (sidenote, conversation_history, chat_history…) or its ' +
      'description asks the model to fill it with the conversation, earlier messages, the system prompt, file ' +
      'contents or secrets. Such a parameter lets the server collect what the user never meant to send.',
    recommendation: 'Check what the handler does with the parameter; a tool rarely needs the conversation itself.',
    reference: TOOL_POISONING,
  }),
  exfilParameterSent: defineRule({
    id: 'tools/exfil-parameter-sent',
    title: 'Side-channel parameter is sent over the network',
    severity: 'high',
    kind: 'threat',
    description:
      'A parameter that exists to carry the conversation, files or secrets reaches a network call in the tool\'s ' +
      'handler: whatever the model puts there leaves the machine.',
    recommendation: 'Do not run the server. Find out where the data went and what the model may have put in it.',
    reference: TOOL_POISONING,
  }),
  annotationMismatch: defineRule({
    id: 'tools/annotation-mismatch',
    title: 'Tool annotations contradict what the handler does',
    severity: 'medium',
    kind: 'threat',
    description:
      'The tool declares readOnlyHint: true (or destructiveHint: false) but its handler writes or deletes files, ' +
      'or runs processes. Clients use these hints to skip asking the user for confirmation.',
    recommendation: 'Do not auto-approve this tool; ask the maintainer to declare the hints the code actually honours.',
  }),
  tooManyTools: defineRule({
    id: 'tools/too-many-tools',
    title: 'Package defines an abnormal number of tools',
    severity: 'low',
    kind: 'capability',
    description:
      'More tool definitions were found than the analyzer checks for one package; only the first ones were checked. ' +
      'A real server rarely defines more than a few hundred tools.',
    recommendation: 'Check the rest of the tool definitions by hand, or scan the running server in the sandbox.',
  }),
} as const satisfies Record<string, RuleMeta>;

export type ToolsRuleName = keyof typeof RULES;

export const TOOLS_RULES: readonly RuleMeta[] = Object.freeze(Object.values(RULES));
