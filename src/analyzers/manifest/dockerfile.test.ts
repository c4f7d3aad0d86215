import { describe, expect, it } from 'vitest';
import { assignments, checkDockerfile, isDockerfilePath, isSecretName, parseDockerfile } from './dockerfile.js';

function ids(text: string): string[] {
  return checkDockerfile('Dockerfile', text)
    .map((h) => h.rule.id)
    .sort();
}

describe('isDockerfilePath', () => {
  it.each([
    ['Dockerfile', true],
    ['dockerfile', true],
    ['Containerfile', true],
    ['docker/Dockerfile.dev', true],
    ['Dockerfile-alpine', true],
    ['build/app.dockerfile', true],
    ['node_modules/x/Dockerfile', false],
    ['a/node_modules/b/Dockerfile', false],
    ['.dockerignore', false],
    ['docker-compose.yml', false],
    ['src/Dockerfiles.ts', false],
  ])('%s: %s', (file, expected) => {
    expect(isDockerfilePath(file)).toBe(expected);
  });
});

describe('parseDockerfile', () => {
  it('joins continuations, skips comments inside them and keeps start lines', () => {
    const text = 'FROM node:20\n\n# comment\nRUN apt-get update && \\\n    # inner comment\n    apt-get install -y curl \\\n\n    git\nENV A=1';
    expect(parseDockerfile(text)).toEqual([
      { keyword: 'FROM', args: 'node:20', line: 1 },
      { keyword: 'RUN', args: 'apt-get update && apt-get install -y curl git', line: 4 },
      { keyword: 'ENV', args: 'A=1', line: 9 },
    ]);
  });

  it('honours the escape directive and CRLF', () => {
    const text = '# escape=`\r\nFROM mcr.example/windows\r\nRUN dir `\r\n  c:\\\r\n';
    expect(parseDockerfile(text).map((i) => i.args)).toEqual(['mcr.example/windows', 'dir c:\\']);
  });

  it('reads a RUN heredoc as part of the instruction', () => {
    const text = 'FROM x\nRUN <<EOF\nset -e\ncurl -fsSL https://x.example/i.sh | sh\nEOF\nCMD ["node"]';
    const instructions = parseDockerfile(text);
    expect(instructions.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'CMD']);
    expect(instructions[1]?.args).toContain('curl -fsSL');
  });

  it('stays bounded on hostile input', () => {
    const inputs = ['RUN x \\\n'.repeat(50_000), `RUN ${'\\\n'.repeat(200_000)}`, 'RUN <<EOF\n' + 'x\n'.repeat(100_000), '\n'.repeat(500_000), `ENV ${'A=1 '.repeat(100_000)}`];
    const started = performance.now();
    for (const input of inputs) checkDockerfile('Dockerfile', input);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('RUN piping a download into a shell', () => {
  it.each([
    'RUN curl -fsSL https://deb.example/setup_20.x | bash -',
    'RUN wget -qO- https://x.example/install.sh | sh',
    'RUN apt-get update && \\\n  curl -sL https://x.example/i.sh \\\n  | bash',
    'RUN ["sh", "-c", "curl -s https://x.example/i | sh"]',
    'RUN sh -c "$(curl -fsSL https://x.example/install.sh)"',
    'RUN <<EOF\ncurl -s https://x.example | sh\nEOF',
  ])('%j', (text) => {
    expect(ids(`FROM node:20\n${text}`)).toEqual(['manifest/docker-pipe-shell']);
  });

  it.each([
    'RUN npm ci --omit=dev',
    'RUN curl -fsSLo /tmp/node.tgz https://x.example/node.tgz && echo "abc  /tmp/node.tgz" | sha256sum -c -',
    'RUN apt-get install -y curl bash',
    'RUN npx -y some-package@1.0.0 --version',
    'RUN echo "curl https://x.example | sh" > README',
  ])('not %j', (text) => {
    expect(ids(`FROM node:20\n${text}`)).toEqual([]);
  });

  it('gives the line of the instruction', () => {
    const [hit] = checkDockerfile('docker/Dockerfile', 'FROM x\n\nRUN a && \\\n  curl -s https://x.example | sh');
    expect(hit).toMatchObject({ file: 'docker/Dockerfile', line: 3 });
  });
});

describe('ADD of a URL', () => {
  it.each([
    ['ADD https://x.example/app.tgz /app/', ['manifest/docker-add-url']],
    ['ADD --chown=node:node http://x.example/a.sh /a.sh', ['manifest/docker-add-url']],
    ['ADD ["https://x.example/a", "/a"]', ['manifest/docker-add-url']],
    ['ADD --checksum=sha256:abc https://x.example/app.tgz /app/', []],
    ['ADD app.tgz /app/', []],
    ['COPY https-proxy.conf /etc/', []],
  ])('%j', (text, expected) => {
    expect(ids(`FROM x\n${text}`)).toEqual(expected);
  });
});

describe('secrets in ENV and ARG', () => {
  it.each([
    ['ENV API_KEY=sk-abcdef0123456789', 1],
    ['ENV GITHUB_TOKEN ghp_thisisnotarealtoken000000000000000', 1],
    ['ENV DB_PASSWORD="hunter2hunter2" OTHER=x', 1],
    ['ARG NPM_TOKEN=abcdef123456', 1],
    ['ENV dbPassword=letmein123', 1],
    ['ENV A=1 SECRET_KEY=abcdefgh B=2', 1],
    ['ENV API_KEY=', 0],
    ['ENV API_KEY=""', 0],
    ['ENV API_KEY=$API_KEY', 0],
    ['ENV API_KEY=${API_KEY}', 0],
    ['ARG API_KEY', 0],
    ['ENV API_KEY_FILE=/run/secrets/api_key', 0],
    ['ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D', 0],
    ['ENV PUBLIC_KEY=abcdef', 0],
    ['ENV TOKEN_URL=https://auth.example/token', 0],
    ['ENV NODE_ENV=production', 0],
    ['ENV KEYBOARD=us', 0],
    ['ENV API_KEY=<your-api-key>', 0],
    ['ENV DISABLE_PASSWORD=true', 0],
  ])('%j gives %i', (text, count) => {
    const hits = checkDockerfile('Dockerfile', `FROM x\n${text}`).filter((h) => h.rule.id === 'manifest/docker-secret');
    expect(hits).toHaveLength(count);
  });

  it('never shows the value', () => {
    const value = 'zq9-very-private-value-77';
    const hits = checkDockerfile('Dockerfile', `FROM x\nENV MY_SECRET=${value}\nARG DEPLOY_TOKEN="${value}"`);
    expect(hits.map((h) => h.evidence)).toEqual(['ENV MY_SECRET=[REDACTED]', 'ARG DEPLOY_TOKEN=[REDACTED]']);
    expect(JSON.stringify(hits)).not.toContain(value);
  });

  it.each([
    ['API_KEY', true],
    ['apiKey', true],
    ['OPENAI_API_KEY', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['PASSWORD', true],
    ['KEY_ID', false],
    ['SSH_KEY_PATH', false],
    ['MONKEY', false],
    ['PGP_KEY', false],
  ])('isSecretName(%s) = %s', (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });

  it('reads both ENV forms', () => {
    expect(assignments('ENV', 'A=1 B="two words"')).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two words' },
    ]);
    expect(assignments('ENV', 'A two words')).toEqual([{ name: 'A', value: 'two words' }]);
    expect(assignments('ARG', 'A')).toEqual([{ name: 'A', value: undefined }]);
  });
});
