import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { create } from 'tar';

/** Builds an npm-style tarball (`package/` prefix, gzip) from file contents. */
export async function buildPackageTarball(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-pkg-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const full = path.join(dir, 'package', rel);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, content);
    }
    const file = path.join(dir, 'out.tgz');
    await create({ gzip: true, cwd: dir, file, portable: true }, ['package']);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function sha512Integrity(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

export interface FakeVersion {
  tarball: Buffer;
  /** Integrity the packument claims; defaults to the tarball's real one. */
  integrity?: string;
  /** Extra manifest fields (scripts, bin…). */
  manifest?: Record<string, unknown>;
}

export interface FakePackage {
  distTags: Record<string, string>;
  versions: Record<string, FakeVersion>;
}

export interface FakeRegistryOptions {
  /** Answer every request with this status (e.g. 500). */
  status?: number;
  /** Send a tarball's headers and first bytes, then hang (to test aborts). */
  stallTarballs?: boolean;
  /** Packument bodies served verbatim (name → body), for malformed or lying answers. */
  rawPackuments?: Record<string, string>;
}

export interface FakeRegistry {
  /** Base URL with a trailing slash. */
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Tarball requests answered (or stalled) so far, whatever the path spelling. */
  tarballRequests(): number;
  close(): Promise<void>;
}

function tarballPath(name: string, version: string): string {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `/${name}/-/${base}-${version}.tgz`;
}

/** The `dist.tarball` the fake registry at `base` (its `url`) lists for a version. */
export function tarballUrl(base: string, name: string, version: string): string {
  return `${base}${tarballPath(name, version).slice(1)}`;
}

function packumentOf(name: string, pkg: FakePackage, base: string): unknown {
  const versions: Record<string, unknown> = {};
  for (const [version, v] of Object.entries(pkg.versions)) {
    versions[version] = {
      ...v.manifest,
      name,
      version,
      dist: { tarball: tarballUrl(base, name, version), integrity: v.integrity ?? sha512Integrity(v.tarball) },
    };
  }
  return { name, 'dist-tags': pkg.distTags, versions };
}

/** A loopback stand-in for an npm registry: packuments at `/<name>` (`/@scope%2fname`) and tarballs. */
export async function startRegistryServer(packages: Record<string, FakePackage>, opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const requests: string[] = [];
  let tarballCount = 0;
  const tarballs = new Map<string, Buffer>();
  for (const [name, pkg] of Object.entries(packages)) {
    for (const [version, v] of Object.entries(pkg.versions)) tarballs.set(tarballPath(name, version), v.tarball);
  }
  let base = '';
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    if (opts.status !== undefined) {
      res.writeHead(opts.status, { 'content-type': 'application/json' }).end('{"error":"forced"}');
      return;
    }
    const tarball = tarballs.get(decodeURIComponent(url));
    if (tarball !== undefined) tarballCount += 1;
    if (tarball !== undefined && opts.stallTarballs === true) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length }).write(tarball.subarray(0, 10));
      return;
    }
    if (tarball !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length }).end(tarball);
      return;
    }
    const name = decodeURIComponent(url.slice(1));
    const raw = opts.rawPackuments?.[name];
    if (raw !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(raw);
      return;
    }
    const pkg = packages[name];
    if (pkg === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packumentOf(name, pkg, base)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/`;
  return {
    url: base,
    requests,
    tarballRequests: () => tarballCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
