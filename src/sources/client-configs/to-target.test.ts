import { describe, expect, it } from 'vitest';
import type { Target } from '../../core/target.js';
import type { NoteKind } from './to-target.js';
import { toTarget } from './to-target.js';
import type { ConfiguredServer } from './types.js';

function server(extra: Partial<ConfiguredServer>): ConfiguredServer {
  return { client: 'claude-desktop', file: '/cfg/claude_desktop_config.json', name: 's', envNames: [], headerNames: [], ...extra };
}

const pinned = (name: string, version: string): Target => ({ kind: 'npm', spec: `npm:${name}@${version}`, name, version });
const unpinned = (name: string, spec = 'latest'): Target => ({ kind: 'npm', spec: `npm:${name}@${spec}`, name });

describe('toTarget', () => {
  it.each<[string, Partial<ConfiguredServer>, Target | undefined, NoteKind[]]>([
    ['npx -y pinned', { command: 'npx', args: ['-y', '@scope/srv@1.2.3', '--root', '/x'] }, pinned('@scope/srv', '1.2.3'), []],
    ['npx unpinned', { command: 'npx', args: ['srv'] }, unpinned('srv'), ['unpinned']],
    ['npx range', { command: 'npx', args: ['--yes', 'srv@^1.2.0'] }, unpinned('srv', '^1.2.0'), ['unpinned']],
    ['npx --package=', { command: 'npx', args: ['--package=srv@2.0.0', 'srv-bin'] }, pinned('srv', '2.0.0'), []],
    ['npx -p value', { command: 'npx', args: ['-p', 'srv@2.0.0', 'srv-bin'] }, pinned('srv', '2.0.0'), []],
    ['npx --registry value skipped', { command: 'npx', args: ['--registry', 'http://127.0.0.1:1/', 'srv@1.0.0'] }, pinned('srv', '1.0.0'), []],
    ['npx.cmd on Windows', { command: 'C:\\Program Files\\nodejs\\npx.cmd', args: ['-y', 'srv@1.0.0'] }, pinned('srv', '1.0.0'), []],
    ['cmd /c npx', { command: 'cmd', args: ['/c', 'npx', '-y', 'srv@1.0.0'] }, pinned('srv', '1.0.0'), []],
    ['bunx', { command: 'bunx', args: ['srv@1.0.0'] }, pinned('srv', '1.0.0'), []],
    ['pnpm dlx', { command: 'pnpm', args: ['dlx', 'srv@1.0.0'] }, pinned('srv', '1.0.0'), []],
    ['yarn dlx unpinned', { command: 'yarn', args: ['dlx', 'srv'] }, unpinned('srv'), ['unpinned']],
    ['npx git spec', { command: 'npx', args: ['github:user/repo'] }, undefined, ['unsupported']],
    ['npx without package', { command: 'npx', args: ['-y'] }, undefined, ['unknown']],
    ['node absolute script', { command: 'node', args: ['/opt/srv/build/index.js'] }, { kind: 'dir', spec: '/opt/srv/build' }, []],
    ['node relative to cwd', { command: 'node', args: ['--import', 'tsx', 'dist/main.mjs'], cwd: '/work/srv' }, { kind: 'dir', spec: '/work/srv/dist' }, []],
    ['node relative to config', { command: '/usr/bin/node', args: ['srv'] }, { kind: 'dir', spec: '/cfg/srv' }, []],
    ['uvx', { command: 'uvx', args: ['mcp-server-time'] }, undefined, ['unsupported']],
    ['python', { command: 'python3', args: ['-m', 'srv'] }, undefined, ['unsupported']],
    ['docker run', { command: 'docker', args: ['run', '-i', '--rm', '-e', 'TOKEN', 'ghcr.io/x/y:1'] }, undefined, ['unsupported']],
    ['unknown binary', { command: '/usr/local/bin/my-server' }, undefined, ['unknown']],
    ['remote url', { url: 'https://mcp.example.test/sse' }, undefined, ['remote']],
    ['nothing', {}, undefined, ['unknown']],
    ['mcpd npx', { client: 'mcpd', package: 'npx::@scope/srv@1.0.0' }, pinned('@scope/srv', '1.0.0'), []],
    ['mcpd npx unpinned', { client: 'mcpd', package: 'npx::srv' }, unpinned('srv'), ['unpinned']],
    ['mcpd uvx', { client: 'mcpd', package: 'uvx::mcp-server-time@2025.8.4' }, undefined, ['unsupported']],
    ['mcpd docker', { client: 'mcpd', package: 'docker::mcp/time:latest' }, undefined, ['unsupported']],
    ['mcpd unknown runtime', { client: 'mcpd', package: 'gem::srv' }, undefined, ['unknown']],
  ])('%s', (_label, extra, target, notes) => {
    const result = toTarget(server(extra));
    expect(result.target).toEqual(target);
    expect(result.notes.map((n) => n.kind)).toEqual(notes);
  });

  it('says why a docker server is not scanned and names the image', () => {
    const result = toTarget(server({ command: 'docker', args: ['run', '-i', '--rm', '-e', 'TOKEN', 'ghcr.io/x/y:1'] }));
    expect(result.notes[0]?.message).toContain('"ghcr.io/x/y:1"');
    expect(result.notes[0]?.message).toMatch(/not supported yet/);
  });

  it('shows what runs, bounded', () => {
    expect(toTarget(server({ command: 'npx', args: ['-y', 'srv@1.0.0', 'a b'] })).runs).toBe('npx -y srv@1.0.0 "a b"');
    expect(toTarget(server({ command: 'npx', args: ['x'.repeat(1000)] })).runs.length).toBeLessThanOrEqual(160);
  });
});
