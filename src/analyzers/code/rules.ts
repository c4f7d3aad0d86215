import type { RuleMeta } from '../../core/finding.js';
import { defineRule } from '../../core/finding.js';

export const CODE_ANALYZER_ID = 'code';

const POSTMARK_REPORT = 'https://www.koi.ai/blog/postmark-mcp-npm-malicious-backdoor-email-theft';
const SHAI_HULUD_ALERT = 'https://www.cisa.gov/news-events/alerts/2025/09/23/widespread-supply-chain-compromise-impacting-npm-ecosystem';
const ATTACK = (technique: string): string => `https://attack.mitre.org/techniques/${technique}/`;

/** Every rule the code analyzer can emit, by a short name used in code. */
export const RULES = {
  execDynamicCommand: defineRule({
    id: 'code/exec-dynamic-command',
    title: 'Runs a process whose command is built at run time',
    severity: 'medium',
    kind: 'capability',
    capability: 'process',
    description:
      'The code starts a child process (child_process exec/spawn/execFile/fork and their Sync forms, execa, ' +
      'shelljs, cross-spawn) with a command that is not a fixed string. Whatever reaches that argument runs ' +
      'with the user\'s rights; with exec and shell: true, it is also parsed by a shell.',
    recommendation:
      'Check where the command comes from. A tool argument reaching it is command injection; prefer execFile ' +
      'with a fixed program and an argument array.',
    reference: ATTACK('T1059'),
  }),
  evalDynamic: defineRule({
    id: 'code/eval-dynamic',
    title: 'Evaluates code built at run time',
    severity: 'medium',
    kind: 'capability',
    capability: 'code-execution',
    description:
      'The code passes a non-literal string to eval, new Function / Function(), or the vm module ' +
      '(runInThisContext, runInNewContext, runInContext, Script, compileFunction). Templating and ' +
      'expression libraries do this legitimately; so do droppers.',
    recommendation: 'Find out what text reaches the evaluator. Text from a tool argument or the network is code execution for whoever controls it.',
    reference: ATTACK('T1059/007'),
  }),
  dynamicRequire: defineRule({
    id: 'code/dynamic-require',
    title: 'Loads a module whose name is computed',
    severity: 'low',
    kind: 'capability',
    capability: 'code-execution',
    description: 'require() or import() is called with a specifier that is not a fixed string, so which code is loaded is decided at run time.',
    recommendation: 'Make sure the specifier cannot come from outside the package (a tool argument, a downloaded file).',
  }),
  decodeExec: defineRule({
    id: 'code/decode-exec',
    title: 'Decodes hidden data and executes it',
    severity: 'critical',
    kind: 'threat',
    description:
      'Data decoded at run time (base64 or hex through Buffer.from, atob, String.fromCharCode, ' +
      'decodeURIComponent of %xx blobs, reversed strings) reaches eval, Function, the vm module, a child ' +
      'process, or require of a file written from it. Honest code has no reason to hide the code it runs.',
    recommendation: 'Do not run this package. Decode the payload offline to see what it does.',
    reference: ATTACK('T1140'),
  }),
  credentialRead: defineRule({
    id: 'code/credential-read',
    title: 'Reads a credential store',
    severity: 'medium',
    kind: 'threat',
    description:
      'The code reads a file where credentials live: SSH private keys, cloud credentials (AWS, gcloud, Azure), ' +
      'registry tokens (~/.npmrc), .env files outside the project, Docker and Kubernetes configs, ' +
      'git-credentials, the GitHub CLI token, .netrc, browser password and cookie stores, crypto wallets or keychains.',
    recommendation: 'An MCP server rarely needs any of these. Ask why; run it without access to your home directory if you must run it.',
    reference: ATTACK('T1552/001'),
  }),
  mcpConfigRead: defineRule({
    id: 'code/mcp-config-read',
    title: 'Reads other MCP clients\' configuration',
    severity: 'medium',
    kind: 'threat',
    description:
      'The code reads the MCP configuration of a client (Claude Desktop, Cursor, VS Code, Windsurf, Claude Code). ' +
      'Those files list every other server the user runs, often with API keys in their environment blocks.',
    recommendation: 'A server has no need to read other servers\' configuration; find out what it does with it.',
    reference: ATTACK('T1552/001'),
  }),
  mcpConfigWrite: defineRule({
    id: 'code/mcp-config-write',
    title: 'Writes other MCP clients\' configuration',
    severity: 'high',
    kind: 'threat',
    description:
      'The code writes a user-wide MCP client configuration (Claude Desktop, ~/.cursor/mcp.json, ~/.claude.json, ' +
      'Windsurf, VS Code user settings). That can register servers the user never chose, or rewrite how ' +
      'existing ones are started: persistence and hijacking through the AI client.',
    recommendation: 'Do not run it. Inspect your client configurations for entries you did not add.',
    reference: 'https://socket.dev/blog/sandworm-mode-npm-worm-ai-toolchain-poisoning',
  }),
  mcpProjectConfigWrite: defineRule({
    id: 'code/mcp-project-config-write',
    title: 'Writes an MCP configuration in the current project',
    severity: 'low',
    kind: 'capability',
    capability: 'filesystem',
    description:
      'The code writes a project-level MCP client configuration (.mcp.json, .cursor/mcp.json, .vscode/mcp.json) ' +
      'relative to the working directory, typically an `init` command that registers the server for the project.',
    recommendation: 'Review what entry it adds before committing the file.',
  }),
  envHarvest: defineRule({
    id: 'code/env-harvest',
    title: 'Reads the whole environment',
    severity: 'medium',
    kind: 'capability',
    capability: 'environment',
    description:
      'The code serialises or enumerates process.env (JSON.stringify, Object.keys/values/entries, for…in), or ' +
      'sends a copy of it over the network. The environment of an MCP server usually holds the API keys of ' +
      'every service it talks to.',
    recommendation: 'Check where the collected variables go. Reading one named variable is normal; collecting all of them rarely is.',
    reference: SHAI_HULUD_ALERT,
  }),
  endpoint: defineRule({
    id: 'code/endpoint',
    title: 'Talks to a fixed outside host',
    severity: 'info',
    kind: 'capability',
    capability: 'network',
    description: 'A network call (fetch, axios, got, http/https, net, WebSocket, undici) uses a literal URL or host. Listed so the user sees where the server connects.',
    recommendation: 'Check that each host belongs to the service the server is for.',
  }),
  endpointRawIp: defineRule({
    id: 'code/endpoint-raw-ip',
    title: 'Connects to a raw public IP address',
    severity: 'low',
    kind: 'threat',
    description: 'A URL or host in the code is a public IPv4 or IPv6 address rather than a name. Legitimate services use names; command-and-control servers often do not.',
    recommendation: 'Find out who runs that address and why the server talks to it.',
    reference: ATTACK('T1071'),
  }),
  endpointExfilService: defineRule({
    id: 'code/endpoint-exfil-service',
    title: 'Uses a webhook, paste or tunnel service',
    severity: 'medium',
    kind: 'threat',
    description:
      'The code holds the address of a service often used to receive stolen data: chat webhooks (Discord, ' +
      'Slack, Telegram bots), request bins, paste sites, file drops, or tunnels (ngrok, trycloudflare, ' +
      'interactsh). A server that is not about that service has no reason to post to it.',
    recommendation: 'Check what is sent there. Treat it as exfiltration unless the server is openly a client of that service.',
    reference: ATTACK('T1567/004'),
  }),
  endpointDynamicDns: defineRule({
    id: 'code/endpoint-dynamic-dns',
    title: 'Uses a dynamic DNS host',
    severity: 'medium',
    kind: 'threat',
    description: 'The code names a host under a free dynamic DNS provider (duckdns, no-ip, dynu, afraid.org…), a favourite for throwaway command-and-control addresses.',
    recommendation: 'Find out what is fetched from or sent to that host.',
    reference: ATTACK('T1568'),
  }),
  mailHiddenRecipient: defineRule({
    id: 'code/mail-hidden-recipient',
    title: 'Adds a hard-coded recipient to outgoing mail',
    severity: 'high',
    kind: 'threat',
    description:
      'An outgoing message gets a fixed Bcc or Cc address written into the code. This is the postmark-mcp ' +
      'backdoor: one added line copied every e-mail the assistant sent to the attacker.',
    recommendation: 'Do not use this version. Check the mail provider\'s logs for messages copied to that address.',
    reference: POSTMARK_REPORT,
  }),
  detachedProcess: defineRule({
    id: 'code/detached-process',
    title: 'Starts a detached or silent process',
    severity: 'medium',
    kind: 'capability',
    capability: 'process',
    description:
      'A child process is started detached from the server (detached: true, stdio ignored and unref()ed, ' +
      'nohup … &, setsid), so it keeps running after the server exits and its output is never seen.',
    recommendation: 'Find out what the process is and whether it is stopped with the server.',
    reference: ATTACK('T1564'),
  }),
  persistence: defineRule({
    id: 'code/persistence',
    title: 'Installs itself to run again later',
    severity: 'high',
    kind: 'threat',
    description:
      'The code writes a shell start-up file (~/.bashrc, ~/.zshrc, ~/.profile, config.fish…), a crontab, an ' +
      'autostart entry (XDG autostart, LaunchAgents, systemd user units, the Windows Run key or Startup ' +
      'folder) or ~/.ssh/authorized_keys. An MCP server has no reason to survive its own process.',
    recommendation: 'Do not run it. If it ran, inspect and clean those files.',
    reference: ATTACK('T1546/004'),
  }),
  obfuscated: defineRule({
    id: 'code/obfuscated',
    title: 'Obfuscated code',
    severity: 'medium',
    kind: 'threat',
    description:
      'The file carries fingerprints of an obfuscator rather than a minifier: many _0x… identifiers, a rotated ' +
      'string array (while(!![]) with push/shift), tables of \\x-escaped strings, JSFuck, or the ' +
      'eval(function(p,a,c,k,e,d)…) packer. Open-source servers have no reason to hide their code.',
    recommendation: 'Treat the file as hostile until someone has de-obfuscated and read it.',
    reference: ATTACK('T1027'),
  }),
  encodedBlob: defineRule({
    id: 'code/encoded-blob',
    title: 'Long encoded string',
    severity: 'low',
    kind: 'capability',
    description:
      'A string literal holds a long base64 or hex blob with high entropy (not an image, font or source map). ' +
      'Often an embedded WebAssembly module or asset; sometimes a hidden payload.',
    recommendation: 'Decode it to see what it is.',
    reference: ATTACK('T1027'),
  }),
  downloadExec: defineRule({
    id: 'code/download-exec',
    title: 'Downloads code and runs it',
    severity: 'critical',
    kind: 'threat',
    description:
      'The code fetches something from the network and executes it: a `curl … | sh` style command, a ' +
      'response passed to eval, Function or vm, or a downloaded file that is then made executable, spawned ' +
      'or required. What runs is decided by a server at run time and was never part of the reviewed package.',
    recommendation: 'Do not run this package.',
    reference: SHAI_HULUD_ALERT,
  }),
  secretsToNetwork: defineRule({
    id: 'code/secrets-to-network',
    title: 'Sends secrets to the network',
    severity: 'critical',
    kind: 'threat',
    description:
      'Data from a credential store, another client\'s MCP configuration, the whole environment, or the ' +
      'clipboard flows into a network request or an outgoing e-mail. Reading one named API key and calling ' +
      'that API is not this; collecting secrets and sending them out is theft.',
    recommendation: 'Do not run it. If it ran, rotate every credential the machine held.',
    reference: SHAI_HULUD_ALERT,
  }),
  clipboardRead: defineRule({
    id: 'code/clipboard-read',
    title: 'Reads the clipboard',
    severity: 'medium',
    kind: 'capability',
    capability: 'clipboard',
    description: 'The code reads the system clipboard (clipboardy, pbpaste, xclip/xsel -o, wl-paste, Get-Clipboard, navigator.clipboard), which often holds passwords and tokens.',
    recommendation: 'Make sure reading the clipboard is what the server is for, and that the content does not leave the machine.',
    reference: ATTACK('T1115'),
  }),
  fileSkipped: defineRule({
    id: 'code/file-skipped',
    title: 'Code file too large to analyse',
    severity: 'low',
    kind: 'capability',
    description:
      'A JavaScript or TypeScript file is over the size or the number of tokens the code analyzer parses (a syntax tree that large would not fit the memory of an analysis thread), so what it does was not checked.',
    recommendation: 'Inspect the file by other means, or raise the cap if the machine allows.',
  }),
  analysisCutShort: defineRule({
    id: 'code/analysis-cut-short',
    title: 'Code analysis of a file was cut short',
    severity: 'low',
    kind: 'capability',
    description: 'Analysing one file took longer than its time budget, so only part of it was checked.',
    recommendation: 'Treat the rest of the file as unchecked.',
  }),
} as const satisfies Record<string, RuleMeta>;

export const CODE_RULES: readonly RuleMeta[] = Object.freeze(Object.values(RULES));
