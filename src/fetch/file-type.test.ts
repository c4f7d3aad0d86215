import { describe, expect, it } from 'vitest';
import type { FileType } from '../core/workspace.js';
import { detectFileType, hasPeHeader, SNIFF_BYTES, typeFromMagic } from './file-type.js';

function bytes(...parts: (number[] | string)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
}

/** A DOS stub whose e_lfanew (0x3c) points at a `PE\0\0` signature at 0x80. */
function peImage(): Buffer {
  const image = Buffer.alloc(0x100);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x80, 0x3c);
  image.write('PE\0\0', 0x80, 'latin1');
  return image;
}

function fatHeader(count: number): Buffer {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0xcafebabe, 0);
  head.writeUInt32BE(count, 4);
  return head;
}

const TEXT = Buffer.from('hello world\n');

describe('detectFileType', () => {
  const cases: [string, string, Buffer, FileType][] = [
    ['ELF', 'lib/addon', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'elf'],
    ['ELF named .js (content wins)', 'index.js', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'elf'],
    ['PE with PE\\0\\0 at e_lfanew', 'tool.exe', peImage(), 'pe'],
    ['plain MZ stub', 'tool.com', bytes('MZ', [0x90, 0, 3, 0]), 'pe'],
    ['Mach-O 32 BE', 'bin/tool', bytes([0xfe, 0xed, 0xfa, 0xce, 0, 0, 0, 7]), 'macho'],
    ['Mach-O 64 LE', 'bin/tool', bytes([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), 'macho'],
    ['Mach-O fat, 2 archs', 'bin/tool', fatHeader(2), 'macho'],
    ['Java class (cafebabe, version 52)', 'A.class', fatHeader(52), 'binary'],
    ['wasm', 'mod.wasm', bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'wasm'],
    ['gzip', 'data.bin', bytes([0x1f, 0x8b, 8, 0]), 'archive'],
    ['zip', 'bundle.js', bytes('PK', [3, 4, 20, 0]), 'archive'],
    ['xz', 'x.xz', bytes([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), 'archive'],
    ['bzip2', 'x.bz2', bytes('BZh9', [0x31, 0x41]), 'archive'],
    ['7z', 'x.7z', bytes([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), 'archive'],
    ['png', 'logo.png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image'],
    ['jpeg', 'a.jpg', bytes([0xff, 0xd8, 0xff, 0xe0]), 'image'],
    ['gif', 'a.gif', bytes('GIF89a', [1, 0]), 'image'],
    ['webp', 'a.webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image'],
    ['ico', 'favicon.ico', bytes([0, 0, 1, 0, 1, 0, 16, 16]), 'image'],
    ['NUL in the head', 'data.js', bytes('var a = 1;', [0], 'more'), 'binary'],
    ['.node addon without magic', 'build/addon.node', TEXT, 'binary'],
    ['.node addon that is ELF', 'build/addon.node', bytes([0x7f, 0x45, 0x4c, 0x46]), 'elf'],
    ['.js', 'index.js', TEXT, 'javascript'],
    ['.mjs', 'a/b.mjs', TEXT, 'javascript'],
    ['.cjs', 'a.cjs', TEXT, 'javascript'],
    ['.jsx', 'App.jsx', TEXT, 'javascript'],
    ['.ts', 'src/a.ts', TEXT, 'typescript'],
    ['.d.ts', 'types/index.d.ts', TEXT, 'typescript'],
    ['.mts', 'a.mts', TEXT, 'typescript'],
    ['.cts', 'a.cts', TEXT, 'typescript'],
    ['.tsx', 'A.tsx', TEXT, 'typescript'],
    ['.json', 'package.json', TEXT, 'json'],
    ['.yaml', 'smithery.yaml', TEXT, 'yaml'],
    ['.yml', 'ci.yml', TEXT, 'yaml'],
    ['.toml', 'pyproject.toml', TEXT, 'toml'],
    ['.md', 'README.md', TEXT, 'markdown'],
    ['.markdown', 'notes.markdown', TEXT, 'markdown'],
    ['Dockerfile', 'Dockerfile', TEXT, 'dockerfile'],
    ['dockerfile, any case', 'docker/DOCKERFILE', TEXT, 'dockerfile'],
    ['*.dockerfile', 'build/app.dockerfile', TEXT, 'dockerfile'],
    ['Containerfile', 'Containerfile', TEXT, 'dockerfile'],
    ['.sh', 'install.sh', TEXT, 'shell'],
    ['.bash', 'x.bash', TEXT, 'shell'],
    ['.zsh', 'x.zsh', TEXT, 'shell'],
    ['.py', 'server.py', TEXT, 'python'],
    ['.html', 'index.html', TEXT, 'html'],
    ['.htm', 'index.htm', TEXT, 'html'],
    ['extension case', 'INDEX.JS', TEXT, 'javascript'],
    ['unknown extension', 'LICENSE', TEXT, 'text'],
    ['empty file', 'empty.txt', Buffer.alloc(0), 'text'],
    ['node shebang without extension', 'bin/cli', bytes('#!/usr/bin/env node\nrequire("x")'), 'javascript'],
    ['env -S shebang', 'bin/cli', bytes('#!/usr/bin/env -S node --no-warnings\n'), 'javascript'],
    ['sh shebang', 'bin/run', bytes('#!/bin/sh\necho hi\n'), 'shell'],
    ['python shebang', 'bin/tool', bytes('#!/usr/bin/python3\n'), 'python'],
    ['extension beats shebang', 'run.py', bytes('#!/bin/sh\n'), 'python'],
    ['text that starts like BZh', 'notes.txt', bytes('BZh is a prefix'), 'text'],
  ];

  it.each(cases)('%s', (_label, name, head, expected) => {
    expect(detectFileType(name, head)).toBe(expected);
  });

  it('looks for NUL bytes only in the first 8 KiB', () => {
    const late = Buffer.concat([Buffer.alloc(SNIFF_BYTES, 0x61), Buffer.from([0])]);
    expect(detectFileType('a.js', late)).toBe('javascript');
    const early = Buffer.alloc(SNIFF_BYTES, 0x61);
    early[SNIFF_BYTES - 1] = 0;
    expect(detectFileType('a.js', early)).toBe('binary');
  });

  it('tells a PE header from a bare MZ stub', () => {
    expect(hasPeHeader(peImage())).toBe(true);
    expect(hasPeHeader(bytes('MZ', [0, 0]))).toBe(false);
    // e_lfanew beyond the sniffed bytes: still an executable.
    const far = Buffer.alloc(0x40);
    far.write('MZ', 0, 'latin1');
    far.writeUInt32LE(0x10000, 0x3c);
    expect(hasPeHeader(far)).toBe(false);
    expect(typeFromMagic(far)).toBe('pe');
  });

  it('has no magic for plain text', () => {
    expect(typeFromMagic(Buffer.from('export const a = 1;\n'))).toBeUndefined();
  });
});
