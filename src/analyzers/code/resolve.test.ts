import { describe, expect, it } from 'vitest';
import { parseScript } from '../lib/parse.js';
import { collectFacts } from './collect.js';
import { Resolver, UNKNOWN, normaliseName } from './resolve.js';

/** The resolver's view of the last expression statement of `code`. */
function last(code: string): { resolver: Resolver; node: import('@babel/types').Node } {
  const parsed = parseScript('t.js', code);
  if (!parsed.ok) throw new Error(parsed.error);
  const facts = collectFacts(parsed.ast, code, { deadline: Infinity });
  const body = parsed.ast.program.body;
  const statement = body[body.length - 1];
  if (statement?.type !== 'ExpressionStatement') throw new Error('the snippet must end in an expression');
  return { resolver: new Resolver(facts), node: statement.expression };
}

function strings(code: string): string[] {
  const { resolver, node } = last(code);
  return resolver.strings(node, 0).map((s) => s.split(UNKNOWN).join('?'));
}

function calleeName(code: string): string | undefined {
  const { resolver, node } = last(code);
  return resolver.callee(node, 0).name;
}

describe('Resolver.strings', () => {
  it.each([
    ["'a' + 'b'", ['ab']],
    ['`x${1}y`', ['x1y']],
    ["const A = 'https://api.io'; `${A}/v1`", ['https://api.io/v1']],
    ["import os from 'os'; import path from 'path'; path.join(os.homedir(), '.ssh', 'id_rsa')", ['~/.ssh/id_rsa']],
    ["const { join } = require('node:path'); const { homedir } = require('os'); join(homedir(), '.aws/credentials')", ['~/.aws/credentials']],
    ["import path from 'path'; path.resolve(process.cwd(), '.env')", ['<cwd>/.env']],
    ["import path from 'path'; path.join(__dirname, '..', 'x.js')", ['<pkg>/../x.js']],
    ['`${process.env.HOME}/.npmrc`', ['~/.npmrc']],
    ["process.env.APPDATA + '/Claude/claude_desktop_config.json'", ['~/AppData/Roaming/Claude/claude_desktop_config.json']],
    ["process.platform === 'win32' ? 'a' : 'b'", ['a', 'b']],
    ['userInput', ['?']],
    ["'cmd ' + arg", ['cmd ?']],
    ["let x = 'a'; x = y; x", ['a', '?']],
    ["const C = { url: 'https://h.io' }; C.url", ['https://h.io']],
    ["['a', 'b'].join('/')", ['a/b']],
    ["new URL('/v1/x', 'https://api.io')", ['https://api.io/v1/x']],
    ["var path2 = __toESM(require('path')); var os2 = __toESM(require('os')); path2.default.join(os2.default.homedir(), '.kube', 'config')", ['~/.kube/config']],
  ])('%s → %j', (code, expected) => {
    expect(strings(code)).toEqual(expected);
  });

  it('caps candidates and depth', () => {
    const conditional = Array.from({ length: 10 }, (_, i) => `(c${i} ? 'a${i}' : 'b${i}')`).join(' + ');
    expect(strings(conditional).length).toBeLessThanOrEqual(8);
    const chain = Array.from({ length: 40 }, (_, i) => `const v${i + 1} = v${i};`).join('');
    expect(strings(`const v0 = 'x'; ${chain} v40`)).toEqual(['?']);
  });
});

describe('Resolver.callee names', () => {
  it.each([
    ["import { exec } from 'node:child_process'; exec(c)", 'child_process.exec'],
    ["const cp = require('child_process'); cp.spawn(c)", 'child_process.spawn'],
    ["require('child_process').execSync(c)", 'child_process.execSync'],
    ["var import_fs = __toESM(require('fs')); (0, import_fs.readFileSync)(p)", 'fs.readFileSync'],
    ["import { promises as fsp } from 'fs'; fsp.readFile(p)", 'fs.readFile'],
    ["import fs from 'fs/promises'; fs.readFile(p)", 'fs.readFile'],
    ["import fetch from 'node-fetch'; fetch(u)", 'fetch'],
    ['fetch(u)', 'fetch'],
    ['globalThis.fetch(u)', 'fetch'],
    ["import WebSocket from 'ws'; new WebSocket(u)", 'WebSocket'],
    ["const spawn = require('cross-spawn'); spawn(c)", 'child_process.spawn'],
    ["const run = require('child_process').exec; run(c)", 'child_process.exec'],
    ['function f(fetch) { return fetch(u) } f', undefined],
    ['var m = { 42: (e) => { e.exports = require("os") } }; n(42).homedir()', 'os.homedir'],
  ])('%s → %s', (code, expected) => {
    const { resolver, node } = last(code);
    const target = node.type === 'Identifier' ? undefined : node;
    expect(target ? resolver.callee(target, 0).name : undefined).toBe(expected);
  });

  it('normalises interop spellings', () => {
    expect(normaliseName('globalThis.fetch')).toBe('fetch');
    expect(normaliseName('fs.promises.readFile')).toBe('fs.readFile');
    expect(normaliseName('axios.default.post')).toBe('axios.post');
    expect(normaliseName('fs-extra.readJson')).toBe('fs.readJson');
  });

  it('names a locally shadowed global as nothing', () => {
    expect(calleeName('function g(eval) { eval(x) }; g(1)')).toBeUndefined();
  });
});
