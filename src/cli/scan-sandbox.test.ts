/** `scan --sandbox` through the built CLI: a clear error without an engine, a sandboxed report with one. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../core/errors.js';
import { ReportSchema } from '../core/report.js';
import { describeWithDocker } from '../sandbox/test-helpers/docker-available.js';
import { PROJECT_ROOT, runCli } from '../../test/cli-helpers.js';

const fixture = (name: string): string => path.join(PROJECT_ROOT, 'test', 'fixtures', 'sandbox', name);

describe('scan --sandbox without an engine', () => {
  it('stops before scanning with the network exit code and points at sandbox doctor', async () => {
    const r = await runCli(['scan', fixture('benign'), '--sandbox', '--no-store'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain('mcp-assay sandbox doctor');
    expect(r.stdout).toBe('');
  });
});

await describeWithDocker('scan --sandbox (in Docker)', () => {
  it('runs the sandbox analyzer: a canary sent during initialize fails the server', async () => {
    const r = await runCli(['scan', fixture('exfil-env-on-initialize'), '--sandbox', '--no-store', '--format', 'json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(report.analyzers.find((a) => a.id === 'sandbox')?.status).toBe('succeeded');
    expect(report.findings.find((f) => f.ruleId === 'sandbox/canary-exfiltrated')?.severity).toBe('critical');
    expect(report.tools.some((t) => t.source === 'sandbox')).toBe(true);
    expect(report.score.verdict).toBe('fail');
  });
});

describe('harvest --sandbox without an engine', () => {
  it('stops before listing anything, with the same message', async () => {
    const r = await runCli(['harvest', '--list', path.join(PROJECT_ROOT, 'nonexistent-list.txt'), '--sandbox', '--db', path.join(PROJECT_ROOT, 'data', 'never-created.db')], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain('mcp-assay sandbox doctor');
  });
});
