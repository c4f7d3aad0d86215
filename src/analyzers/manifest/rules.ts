import type { RuleMeta } from '../../core/finding.js';
import { defineRule } from '../../core/finding.js';

export const MANIFEST_ANALYZER_ID = 'manifest';

const UA_PARSER_ADVISORY = 'https://github.com/advisories/GHSA-pjwm-rvh2-c87w';
const PHANTOMRAVEN_REPORT = 'https://www.koi.ai/blog/phantomraven-npm-malware-hidden-in-invisible-dependencies';

/** Every rule the manifest analyzer can emit, by a short name used in code. */
export const RULES = {
  installScript: defineRule({
    id: 'manifest/install-script',
    title: 'Runs a script at install time',
    severity: 'medium',
    kind: 'capability',
    description:
      'package.json declares a lifecycle script that npm runs on the user\'s machine during installation ' +
      '(preinstall, install, postinstall; prepare and its pre/post hooks run on git and local installs; ' +
      'prepublish on old npm versions). The script runs with the user\'s full rights before the server is ever ' +
      'started, which is where most npm malware hides. An implicit `node-gyp rebuild` (binding.gyp at the ' +
      'root) counts too.',
    recommendation:
      'Read what the script runs. Install with --ignore-scripts where the package works without it; ' +
      'build steps such as `tsc` belong in prepare or prepublishOnly, not in postinstall.',
    reference: UA_PARSER_ADVISORY,
  }),
  installDownloadExec: defineRule({
    id: 'manifest/install-download-exec',
    title: 'Install script downloads and runs code',
    severity: 'critical',
    kind: 'threat',
    description:
      'An install-time script fetches code from the network and executes it in the same step: a download ' +
      'piped into a shell or interpreter, a command substitution of curl/wget run by a shell, PowerShell ' +
      'Invoke-Expression of a download, inline Node/Python code that both fetches and evaluates, or ' +
      'npx/npm exec of a remote URL or an undeclared package pinned for download. What runs is decided ' +
      'by a server at install time and is never part of the reviewed package.',
    recommendation:
      'Do not install this package. A legitimate package ships the code it runs, or downloads data ' +
      'with a pinned checksum and no execution.',
    reference: UA_PARSER_ADVISORY,
  }),
  installObfuscated: defineRule({
    id: 'manifest/install-obfuscated',
    title: 'Install script contains encoded or hidden code',
    severity: 'high',
    kind: 'threat',
    description:
      'An install-time script decodes and runs code (base64/hex decoding piped into an interpreter, ' +
      'Buffer.from(…, "base64") or atob fed to eval/Function/child_process, PowerShell -EncodedCommand), ' +
      'carries a long encoded blob, or contains control, bidi or zero-width characters that hide its real ' +
      'text from a reviewer. Honest install scripts have no reason to hide what they do.',
    recommendation: 'Decode the payload offline to see what it runs, and treat the package as hostile until explained.',
  }),
  installNetwork: defineRule({
    id: 'manifest/install-network',
    title: 'Install script uses the network',
    severity: 'medium',
    kind: 'threat',
    description:
      'An install-time script reaches the network (curl, wget, Invoke-WebRequest, a URL, /dev/tcp, an ' +
      'http module in inline code, or npx of a package that is not a declared dependency). Install-time ' +
      'network access can fetch a second stage or send data out before the user has run anything.',
    recommendation:
      'Check what is fetched or sent and where to. Prefer packages that ship their files or download ' +
      'them lazily with a pinned checksum when the server first needs them.',
  }),
  installMissingFile: defineRule({
    id: 'manifest/install-missing-file',
    title: 'Install script runs a file that is not in the package',
    severity: 'low',
    kind: 'threat',
    description:
      'An install-time script runs a file (node ./setup.js, sh install.sh) that is not part of the package, ' +
      'or that lies outside it. Either the script fails, or the file appears by other means at install time ' +
      '(written by an earlier step, fetched, or taken from the user\'s machine), so what runs was never reviewed.',
    recommendation: 'Find out where the file comes from; a published package should contain every file its scripts run.',
  }),
  binEntry: defineRule({
    id: 'manifest/bin-entry',
    title: 'Installs a command',
    severity: 'info',
    kind: 'capability',
    description: 'package.json `bin` links a command onto the user\'s PATH (or into node_modules/.bin) when the package is installed.',
    recommendation: 'Make sure the command name is the one you expect to run.',
  }),
  binOutsidePackage: defineRule({
    id: 'manifest/bin-outside-package',
    title: 'Command points outside the package',
    severity: 'high',
    kind: 'threat',
    description:
      'A `bin` entry targets an absolute path or climbs out of the package with `..`. Installing it would ' +
      'link or overwrite a file the package does not own.',
    recommendation: 'Do not install. A bin target is always a file inside the package.',
  }),
  binShadowsCommand: defineRule({
    id: 'manifest/bin-shadows-command',
    title: 'Command shadows a common system command',
    severity: 'medium',
    kind: 'threat',
    description:
      'A `bin` entry uses the name of a common system or developer command (node, npm, git, sh, curl, ssh, ' +
      'sudo, python…). Wherever node_modules/.bin or the global npm prefix comes first on PATH, every later ' +
      'call to that command runs this package instead.',
    recommendation: 'Avoid installing it globally; ask why a server needs to take over that command name.',
  }),
  dependencyRemoteUrl: defineRule({
    id: 'manifest/dependency-remote-url',
    title: 'Dependency fetched from a URL',
    severity: 'medium',
    kind: 'threat',
    description:
      'A dependency is an https tarball URL rather than a registry version. Its content is whatever that ' +
      'server returns at install time, can change at any moment, and is invisible to registry-based ' +
      'advisories and malware scans ("remote dynamic dependencies").',
    recommendation: 'Depend on a registry version, or vendor the code. Ask the maintainer why a URL is needed.',
    reference: PHANTOMRAVEN_REPORT,
  }),
  dependencyInsecureUrl: defineRule({
    id: 'manifest/dependency-insecure-url',
    title: 'Dependency fetched over plain http',
    severity: 'high',
    kind: 'threat',
    description:
      'A dependency is a plain-http URL: anyone who controls that server, or any network on the way, ' +
      'decides what code is installed, and nothing about it can be reviewed in advance. This is how the ' +
      'PhantomRaven packages hid their payloads.',
    recommendation: 'Do not install. No legitimate package needs to fetch code over unencrypted http.',
    reference: PHANTOMRAVEN_REPORT,
  }),
  dependencyGit: defineRule({
    id: 'manifest/dependency-git',
    title: 'Dependency fetched from git',
    severity: 'low',
    kind: 'capability',
    description:
      'A dependency comes from a git repository (git+https, github:user/repo, user/repo shorthand). ' +
      'Branches and tags can move, npm runs the dependency\'s prepare script when it installs it, and ' +
      'registry advisories do not cover it.',
    recommendation: 'Prefer a registry version, or pin the git dependency to a full commit hash.',
  }),
  dependencyLocal: defineRule({
    id: 'manifest/dependency-local',
    title: 'Dependency from a local path',
    severity: 'low',
    kind: 'capability',
    description:
      'A dependency points at a local path (file:, link:, a relative or absolute directory or tarball). ' +
      'What it resolves to depends on the installing machine, so the published package does not say what code it runs.',
    recommendation: 'Check that the path exists inside the package, or ask for a registry dependency.',
  }),
  bundledDependency: defineRule({
    id: 'manifest/bundled-dependency',
    title: 'Ships a bundled dependency',
    severity: 'info',
    kind: 'capability',
    description:
      'The package lists bundleDependencies: those packages are shipped inside its tarball instead of being ' +
      'fetched from the registry, so their content is whatever the publisher put there.',
    recommendation: 'Scan the bundled copies like the package itself; they may differ from the registry versions of the same name.',
  }),
  typosquat: defineRule({
    id: 'manifest/typosquat',
    title: 'Name imitates a popular MCP package',
    severity: 'medium',
    kind: 'threat',
    description:
      'The package name (or a dependency\'s name) is one or two edits away from a popular MCP package, or ' +
      'uses a look-alike of its scope (e.g. `@modelcontextprotocoI`, `@model-context-protocol`). Typosquats ' +
      'catch users who mistype a name or copy it from an untrusted list.',
    recommendation: 'Check that this is the package you meant; the popular original is named in the message.',
  }),
  mcpName: defineRule({
    id: 'manifest/mcp-name',
    title: 'Declares an MCP registry name',
    severity: 'info',
    kind: 'capability',
    description: 'package.json carries `mcpName`, the marker the official MCP registry uses to tie a registry entry to this npm package.',
    recommendation: 'Compare the name with the registry entry you were given.',
  }),
  mcpNameMismatch: defineRule({
    id: 'manifest/mcp-name-mismatch',
    title: 'server.json name differs from mcpName',
    severity: 'medium',
    kind: 'threat',
    description:
      'The package\'s server.json names a different registry server than its package.json `mcpName`. ' +
      'A package claiming another server\'s identity is a sign of impersonation, or at least of stale metadata.',
    recommendation: 'Verify which registry entry really belongs to this package before trusting either name.',
  }),
  serverJsonInvalid: defineRule({
    id: 'manifest/server-json-invalid',
    title: 'server.json is not valid',
    severity: 'low',
    kind: 'capability',
    description:
      'server.json is present but is not valid JSON or does not follow the MCP registry\'s server format, ' +
      'so its declarations (packages, transports, secrets) could only be read in part.',
    recommendation: 'Treat the declared metadata as unverified.',
  }),
  secretInputs: defineRule({
    id: 'manifest/secret-inputs',
    title: 'Asks for secrets',
    severity: 'info',
    kind: 'capability',
    description:
      'server.json marks environment variables, arguments or headers as secret: the server expects ' +
      'credentials from the user. Only their names are reported.',
    recommendation: 'Give the server a credential scoped to what it needs, never a broad personal token.',
  }),
  secretDefault: defineRule({
    id: 'manifest/secret-default',
    title: 'Secret shipped in server metadata',
    severity: 'medium',
    kind: 'capability',
    description:
      'An input that server.json marks as secret has a literal default or fixed value. A credential ' +
      'published in metadata is public to everyone, and a client may use it silently.',
    recommendation: 'Remove the value and rotate the credential; users should supply their own.',
  }),
  serverJsonPackageMismatch: defineRule({
    id: 'manifest/server-json-package-mismatch',
    title: 'server.json points to a different npm package',
    severity: 'medium',
    kind: 'threat',
    description:
      'server.json lists an npm package whose identifier differs from this package\'s own name: users who ' +
      'install from the registry entry get different code from what was reviewed here.',
    recommendation: 'Scan the package that server.json names, or ask why the names differ.',
  }),
  insecureRemote: defineRule({
    id: 'manifest/insecure-remote',
    title: 'Remote endpoint over plain http',
    severity: 'medium',
    kind: 'capability',
    description:
      'server.json declares a remote MCP endpoint (or transport URL) over plain http to a host other than ' +
      'the local machine: requests, tokens and tool results travel unencrypted and can be read or changed on the way.',
    recommendation: 'Use the https endpoint; never send credentials to a plain-http URL.',
  }),
  transport: defineRule({
    id: 'manifest/transport',
    title: 'Declares MCP transports',
    severity: 'info',
    kind: 'capability',
    description: 'server.json declares how clients reach the server: stdio for a local process, streamable-http or sse for a network endpoint.',
    recommendation: 'Network transports reach a service outside this package; local ones run this package\'s code.',
  }),
  dockerPipeShell: defineRule({
    id: 'manifest/docker-pipe-shell',
    title: 'Dockerfile pipes a download into a shell',
    severity: 'low',
    kind: 'threat',
    description:
      'A RUN instruction downloads a script and runs it in the same step (curl … | sh). The image content ' +
      'depends on what that server returns at build time and cannot be reproduced or reviewed.',
    recommendation: 'Download to a file, check it against a pinned checksum, then run it.',
  }),
  dockerAddUrl: defineRule({
    id: 'manifest/docker-add-url',
    title: 'Dockerfile adds a remote URL',
    severity: 'low',
    kind: 'threat',
    description: 'An ADD instruction fetches an http(s) URL without --checksum: the image takes whatever that server returns at build time.',
    recommendation: 'Use ADD --checksum=sha256:… or download and verify the file in a RUN step.',
  }),
  dockerSecret: defineRule({
    id: 'manifest/docker-secret',
    title: 'Secret baked into the image',
    severity: 'medium',
    kind: 'capability',
    description:
      'An ENV or ARG instruction with a credential-like name (KEY, TOKEN, SECRET, PASSWORD…) sets a literal ' +
      'value. ENV values and build arguments stay readable in the image and its history by anyone who pulls it. ' +
      'The value is never reported.',
    recommendation: 'Pass secrets at run time (environment, mounted secret files) or with BuildKit --mount=type=secret.',
  }),
} as const satisfies Record<string, RuleMeta>;

export type RuleName = keyof typeof RULES;

export const MANIFEST_RULES: readonly RuleMeta[] = Object.freeze(Object.values(RULES));

/**
 * One rule hit before it becomes a finding. Checks return hits so they stay pure; the analyzer turns
 * `path` (a JSON key path) into a line number and calls makeFinding.
 */
export interface Hit {
  rule: RuleMeta;
  file: string;
  /** Key path inside a JSON file, resolved to a line by the analyzer. */
  path?: readonly (string | number)[];
  /** 1-based line for non-JSON files. */
  line?: number;
  evidence: string;
  message: string;
}
