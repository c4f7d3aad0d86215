/**
 * What a file path or shell command text points at: credential stores, MCP client configs, persistence
 * locations. Inputs are candidates from Resolver.strings (placeholders for home, cwd, package dir; UNKNOWN
 * for dynamic parts). All patterns are linear; inputs are capped before matching.
 */
import { CWD, HOME, PACKAGE_DIR, TMP, UNKNOWN } from './resolve.js';

const MAX_TEXT = 4096;

export type PathCategory = 'credential' | 'mcp-config' | 'mcp-project-config' | 'persistence';

export interface PathMatch {
  category: PathCategory;
  /** Human description: "SSH private key", "Claude Desktop config". */
  what: string;
  /** The path as shown to the user (placeholders made readable). */
  shown: string;
}

/** Readable form of a candidate path for messages. */
export function showPath(value: string): string {
  return value
    .slice(0, 300)
    .split(UNKNOWN)
    .join('*')
    .replace(/<cwd>/g, '.')
    .replace(/<pkg>/g, '<package>')
    .replace(/<tmp>/g, '<tmp>');
}

function normalise(value: string): string {
  return value.slice(0, MAX_TEXT).replace(/\\+/g, '/').replace(/\/{2,}/g, '/').toLowerCase();
}

/** Anchored in the user's home (or an absolute user profile path), not in the project or package. */
function homeAnchored(p: string): boolean {
  if (p.startsWith(HOME) || p.startsWith('$home') || p.startsWith('${home}') || p.startsWith('%userprofile%') || p.startsWith('%appdata%') || p.startsWith('%localappdata%')) return true;
  return /^(?:\/users\/[^/]{1,64}\/|\/home\/[^/]{1,64}\/|\/root\/|[a-z]:\/users\/[^/]{1,64}\/)/.test(p);
}

function projectAnchored(p: string): boolean {
  return p.startsWith(CWD) || p.startsWith(PACKAGE_DIR) || p.startsWith(TMP) || p.startsWith('./') || p.startsWith('../') || !/^[~/$%<\u0000]|^[a-z]:\//.test(p);
}

function endsWithSegment(p: string, suffix: string): boolean {
  return p === suffix || p.endsWith(`/${suffix}`) || p.endsWith(`/${suffix}/`);
}

function containsSegment(p: string, segment: string): boolean {
  return p.includes(`/${segment}/`) || p.startsWith(`${segment}/`) || endsWithSegment(p, segment);
}

interface Pattern {
  what: string;
  test(p: string): boolean;
}

const BROWSER_DIRS = /(?:google\/chrome|chromium|bravesoftware|microsoft\/edge|opera software|vivaldi|yandex\/yandexbrowser|mozilla\/firefox|\.mozilla\/firefox|firefox\/profiles|\/user data\/)/;
const BROWSER_STORES = /(?:\/login data|\/cookies|\/network\/cookies|\/local state|\/web data|logins\.json|cookies\.sqlite|signons\.sqlite)(?:$|\/)/;

const WALLET_IDS = [
  'nkbihfbeogaeaoehlefnkodbefgpgknn', // MetaMask
  'ejbalbakoplchlghecdalmeeeajnimhm', // MetaMask (Edge)
  'bfnaelmomeimhlpmgjnjophhpkkoljpa', // Phantom
  'hnfanknocfeofbddgcijnmhnfnkdnaad', // Coinbase Wallet
  'fhbohimaelbohpjbbldcngcnapndodjp', // Binance Wallet
  'ibnejdfjmmkpcnlpebklmnkoeoihofec', // TronLink
];

const CREDENTIAL_PATTERNS: readonly Pattern[] = [
  { what: 'SSH private key', test: (p) => /\/\.ssh\/(?:id_[a-z0-9_]{1,20}|identity)$/.test(p) || /^\.ssh\/(?:id_[a-z0-9_]{1,20}|identity)$/.test(p) },
  { what: 'SSH directory', test: (p) => homeAnchored(p) && /\/\.ssh\/?(?:\u0000[^/]{0,40})?$/.test(p) },
  { what: 'AWS credentials', test: (p) => /(?:^|\/)\.aws\/(?:credentials|config)$/.test(p) || (homeAnchored(p) && /\/\.aws\/?$/.test(p)) },
  { what: 'Google Cloud credentials', test: (p) => containsSegment(p, '.config/gcloud') || p.endsWith('application_default_credentials.json') },
  { what: 'Azure credentials', test: (p) => homeAnchored(p) && containsSegment(p, '.azure') },
  { what: 'npm token file (~/.npmrc)', test: (p) => homeAnchored(p) && endsWithSegment(p, '.npmrc') },
  { what: '.env file outside the project', test: (p) => (homeAnchored(p) && /\/\.env(?:\.[a-z]{1,20})?$/.test(p)) || /\*\*\/\.env/.test(p) },
  { what: 'Docker registry credentials', test: (p) => endsWithSegment(p, '.docker/config.json') },
  { what: 'Kubernetes config', test: (p) => endsWithSegment(p, '.kube/config') },
  { what: 'git credentials', test: (p) => endsWithSegment(p, '.git-credentials') },
  { what: 'GitHub CLI token', test: (p) => endsWithSegment(p, 'gh/hosts.yml') },
  { what: '.netrc', test: (p) => homeAnchored(p) && (endsWithSegment(p, '.netrc') || endsWithSegment(p, '_netrc')) },
  { what: 'PyPI token file', test: (p) => homeAnchored(p) && endsWithSegment(p, '.pypirc') },
  { what: 'GnuPG keys', test: (p) => homeAnchored(p) && containsSegment(p, '.gnupg') },
  { what: 'Terraform or Vault token', test: (p) => endsWithSegment(p, 'credentials.tfrc.json') || (homeAnchored(p) && endsWithSegment(p, '.vault-token')) },
  { what: 'Cargo registry token', test: (p) => endsWithSegment(p, '.cargo/credentials') || endsWithSegment(p, '.cargo/credentials.toml') },
  { what: 'browser password or cookie store', test: (p) => BROWSER_DIRS.test(p) && BROWSER_STORES.test(p) },
  { what: 'Firefox key database', test: (p) => /(?:^|\/)key[34]\.db$/.test(p) },
  { what: 'crypto wallet', test: (p) => WALLET_IDS.some((id) => p.includes(id)) },
  {
    what: 'crypto wallet',
    test: (p) =>
      /(?:^|\/)(?:exodus\/exodus\.wallet|exodus\.wallet|electrum\/wallets|wallet\.dat|ethereum\/keystore|atomic\/local storage|com\.liberty\.jaxx)(?:$|\/)/.test(p) ||
      endsWithSegment(p, 'solana/id.json'),
  },
  { what: 'keychain', test: (p) => /(?:library\/keychains|\.keychain-db$|\/\.local\/share\/keyrings|microsoft\/credentials|microsoft\/protect)/.test(p) },
];

interface ConfigPattern {
  what: string;
  /** Config that is always user-wide, wherever the path is anchored. */
  global: boolean;
  test(p: string): boolean;
}

const MCP_CONFIG_PATTERNS: readonly ConfigPattern[] = [
  { what: 'Claude Desktop config', global: true, test: (p) => p.endsWith('claude_desktop_config.json') },
  { what: 'Cursor MCP config', global: false, test: (p) => endsWithSegment(p, '.cursor/mcp.json') },
  { what: 'VS Code MCP config', global: false, test: (p) => endsWithSegment(p, '.vscode/mcp.json') },
  { what: 'VS Code user settings', global: true, test: (p) => /\/code(?: - insiders)?\/user\/(?:settings|mcp)\.json$/.test(p) },
  { what: 'Windsurf MCP config', global: true, test: (p) => endsWithSegment(p, '.codeium/windsurf/mcp_config.json') || endsWithSegment(p, 'windsurf/mcp_config.json') },
  { what: 'Claude Code config', global: false, test: (p) => endsWithSegment(p, '.claude.json') },
  { what: 'Claude Code project MCP config', global: false, test: (p) => endsWithSegment(p, '.mcp.json') },
  { what: 'Cline MCP settings', global: true, test: (p) => p.endsWith('cline_mcp_settings.json') },
  { what: 'Gemini CLI settings', global: false, test: (p) => endsWithSegment(p, '.gemini/settings.json') },
];

const SHELL_RC = /\/(?:\.bashrc|\.bash_profile|\.bash_login|\.profile|\.zshrc|\.zprofile|\.zshenv|\.zlogin|\.cshrc|\.tcshrc|\.kshrc|fish\/config\.fish)$/;

const PERSISTENCE_PATTERNS: readonly Pattern[] = [
  { what: 'shell start-up file', test: (p) => (homeAnchored(p) || p.startsWith('/etc/')) && SHELL_RC.test(p) },
  { what: 'system shell profile', test: (p) => /^\/etc\/(?:profile|bash\.bashrc|zshrc|zsh\/zshrc|profile\.d\/)/.test(p) },
  { what: 'crontab', test: (p) => /^\/(?:etc\/cron|var\/spool\/cron|etc\/crontab)/.test(p) },
  { what: 'XDG autostart entry', test: (p) => containsSegment(p, '.config/autostart') || p.startsWith('/etc/xdg/autostart') },
  { what: 'launchd agent', test: (p) => /library\/launch(?:agents|daemons)(?:\/|$)/.test(p) },
  { what: 'systemd unit', test: (p) => containsSegment(p, '.config/systemd/user') || /^\/(?:etc|lib|usr\/lib)\/systemd\/system\//.test(p) },
  { what: 'init script', test: (p) => p.startsWith('/etc/init.d/') || p === '/etc/rc.local' },
  { what: 'Windows Startup folder', test: (p) => p.includes('start menu/programs/startup') },
  { what: 'SSH authorized_keys', test: (p) => p.endsWith('.ssh/authorized_keys') || p.endsWith('.ssh/authorized_keys2') },
];

/** Classifies a path that is read. Project-relative MCP configs are not reported when read. */
export function classifyRead(candidate: string): PathMatch | undefined {
  const p = normalise(candidate);
  if (p.length < 4) return undefined;
  for (const pattern of CREDENTIAL_PATTERNS) if (pattern.test(p)) return { category: 'credential', what: pattern.what, shown: showPath(candidate) };
  const config = mcpConfig(p);
  if (config && config.category === 'mcp-config') return { ...config, shown: showPath(candidate) };
  return undefined;
}

/** Classifies a path that is written. */
export function classifyWrite(candidate: string): PathMatch | undefined {
  const p = normalise(candidate);
  if (p.length < 4) return undefined;
  for (const pattern of PERSISTENCE_PATTERNS) if (pattern.test(p)) return { category: 'persistence', what: pattern.what, shown: showPath(candidate) };
  const config = mcpConfig(p);
  return config ? { ...config, shown: showPath(candidate) } : undefined;
}

function mcpConfig(p: string): Omit<PathMatch, 'shown'> | undefined {
  for (const pattern of MCP_CONFIG_PATTERNS) {
    if (!pattern.test(p)) continue;
    const global = pattern.global || homeAnchored(p) || (!projectAnchored(p) && !p.startsWith(UNKNOWN));
    return { category: global ? 'mcp-config' : 'mcp-project-config', what: pattern.what };
  }
  return undefined;
}

export type CommandCategory = 'download-exec' | 'persistence' | 'clipboard' | 'detached' | 'credential' | 'network-tool';

export interface CommandMatch {
  category: CommandCategory;
  what: string;
}

/** Bounded, linear patterns over a capped command text. */
const COMMAND_PATTERNS: readonly { category: CommandCategory; what: string; pattern: RegExp }[] = [
  { category: 'download-exec', what: 'pipes a download into a shell', pattern: /\b(?:curl|wget|fetch)\b[^|;&\n]{0,400}\|\s{0,4}(?:sudo\s{1,4})?(?:ba|z|da|k|fi)?sh\b/i },
  { category: 'download-exec', what: 'pipes a download into an interpreter', pattern: /\b(?:curl|wget)\b[^|;&\n]{0,400}\|\s{0,4}(?:sudo\s{1,4})?(?:node|python[0-9.]{0,4}|perl|ruby|bun|deno)\b/i },
  { category: 'download-exec', what: 'runs a downloaded script through the shell', pattern: /\b(?:ba|z|da)?sh\s{1,4}-c\s{1,4}["']?\$\(\s{0,4}(?:curl|wget)\b/i },
  { category: 'download-exec', what: 'pipes a PowerShell download into Invoke-Expression', pattern: /\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b[^|\n]{0,400}\|\s{0,4}(?:iex|invoke-expression)\b/i },
  { category: 'download-exec', what: 'evaluates a PowerShell download', pattern: /\b(?:iex|invoke-expression)\s{0,4}\(?\s{0,4}\(?\s{0,4}(?:new-object\s{1,4}(?:system\.)?net\.webclient\)?\.downloadstring|iwr|irm|invoke-webrequest|invoke-restmethod)\b/i },
  // Installing means feeding crontab a table: piped in (`… | crontab -`) or as a file (`crontab job.txt`).
  { category: 'persistence', what: 'installs a crontab', pattern: /\|\s{0,4}crontab(?:\s{1,4}-u\s{1,4}[^\s;&|]{1,64})?(?:\s{1,4}-)?\s{0,4}(?:$|[;&|)"'`])/i },
  { category: 'persistence', what: 'installs a crontab', pattern: /(?:^|[;&|("'`]\s{0,4})crontab(?:\s{1,4}-u\s{1,4}[^\s;&|]{1,64})?\s{1,4}[^\s;&|<>-]/i },
  { category: 'persistence', what: 'appends to a shell start-up file', pattern: />>?\s{0,4}["']?(?:~|\$home|\$\{home\})\/\.(?:bashrc|bash_profile|profile|zshrc|zprofile|zshenv)\b/i },
  { category: 'persistence', what: 'adds a Windows Run key', pattern: /\breg(?:\.exe)?\s{1,4}add\b[^\n]{0,300}\\currentversion\\run/i },
  { category: 'persistence', what: 'adds a Windows Run key', pattern: /\bnew-itemproperty\b[^\n]{0,300}\\currentversion\\run/i },
  { category: 'persistence', what: 'creates a scheduled task', pattern: /\bschtasks(?:\.exe)?\s{1,4}\/create\b/i },
  { category: 'persistence', what: 'loads a launchd agent', pattern: /\blaunchctl\s{1,4}(?:load|bootstrap|submit)\b/i },
  { category: 'persistence', what: 'enables a systemd user service', pattern: /\bsystemctl\s{1,4}--user\s{1,4}(?:enable|link)\b/i },
  { category: 'clipboard', what: 'reads the clipboard', pattern: /(?:^|[\s;&|("'`])(?:pbpaste|wl-paste|get-clipboard)\b/i },
  { category: 'clipboard', what: 'reads the clipboard', pattern: /\bxclip\b[^|;&\n]{0,100}\s-o(?:ut)?\b|\bxsel\b[^|;&\n]{0,100}\s(?:-o|--output)\b/i },
  { category: 'clipboard', what: 'reads the clipboard', pattern: /\bclipboard\]::gettext\b/i },
  { category: 'detached', what: 'detaches with nohup', pattern: /(?:^|[\s;&|("'`])nohup\s/i },
  { category: 'detached', what: 'detaches with setsid', pattern: /(?:^|[\s;&|("'`])setsid\s/i },
  { category: 'detached', what: 'starts a hidden window', pattern: /\bstart-process\b[^\n]{0,200}-windowstyle\s{1,4}hidden\b/i },
  { category: 'credential', what: 'dumps the keychain', pattern: /\bsecurity\s{1,4}(?:find-generic-password|find-internet-password|dump-keychain)\b/i },
  { category: 'network-tool', what: 'uses a network tool', pattern: /(?:^|[\s;&|("'`])(?:curl|wget|nc|ncat|netcat)\s/i },
];

/** What a shell command text does that the rules care about. */
export function classifyCommand(text: string): CommandMatch[] {
  const capped = text.slice(0, MAX_TEXT).split(UNKNOWN).join(' ');
  const out: CommandMatch[] = [];
  for (const { category, what, pattern } of COMMAND_PATTERNS) {
    if (out.some((m) => m.category === category)) continue;
    if (pattern.test(capped)) out.push({ category, what });
  }
  for (const word of capped.split(/[\s"'`;|&()<>]+/).slice(0, 200)) {
    if (word.length < 4 || word.length > 300) continue;
    const match = classifyRead(word.replace(/^\$home|^\$\{home\}/i, HOME));
    if (match && match.category === 'credential' && !out.some((m) => m.category === 'credential')) out.push({ category: 'credential', what: `reads ${match.what}` });
  }
  return out;
}
