/**
 * The official MCP registry's server.json: what it declares about packages, transports, remotes and the
 * secrets a server asks for. Validated leniently against the 2025 schema (camelCase, with the older
 * snake_case spellings accepted); whatever parses is analysed even when the whole does not.
 */
import { z } from 'zod';
import { REDACTED } from '../../core/text.js';
import type { JsonPath } from './json-locate.js';
import type { Hit } from './rules.js';
import { RULES } from './rules.js';
import { isLiteralSecret, show } from './values.js';

export const SERVER_JSON = 'server.json';
const MAX_ITEMS = 200;

const InputSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  default: z.string().optional(),
  value: z.string().optional(),
  type: z.string().optional(),
});
const TransportSchema = z.looseObject({
  type: z.string(),
  url: z.string().optional(),
  headers: z.array(InputSchema).optional(),
});
const PackageSchema = z.looseObject({
  registryType: z.string().optional(),
  identifier: z.string().optional(),
  version: z.string().optional(),
  transport: TransportSchema.optional(),
  environmentVariables: z.array(InputSchema).optional(),
  packageArguments: z.array(InputSchema).optional(),
  runtimeArguments: z.array(InputSchema).optional(),
});
const RemoteSchema = z.looseObject({
  type: z.string(),
  url: z.string(),
  headers: z.array(InputSchema).optional(),
});

/** The shape a valid server.json has. Used to judge validity only; extraction below is piece by piece. */
export const ServerJsonSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  version: z.string().optional(),
  repository: z.looseObject({ url: z.string().optional(), source: z.string().optional() }).optional(),
  packages: z.array(PackageSchema).optional(),
  remotes: z.array(RemoteSchema).optional(),
});

export interface DeclaredInput {
  name: string;
  secret: boolean;
  /** A literal default or fixed value, when one is set. */
  literal?: string;
  /** Key path of the input object, and of its literal. */
  path: JsonPath;
  literalPath?: JsonPath;
}

export interface DeclaredEndpoint {
  kind: 'package' | 'remote';
  path: JsonPath;
  transport?: string;
  url?: string;
  urlPath?: JsonPath;
  registryType?: string;
  identifier?: string;
  identifierPath?: JsonPath;
  inputs: DeclaredInput[];
}

export interface ServerJsonInfo {
  name?: string;
  endpoints: DeclaredEndpoint[];
  /** First schema problem, when the document is not valid. */
  problem?: string;
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The first of several spellings present on the object, with the key that held it. */
function pick(obj: Raw, keys: readonly string[]): { key: string; value: unknown } | undefined {
  for (const key of keys) if (obj[key] !== undefined) return { key, value: obj[key] };
  return undefined;
}

function items(value: unknown): unknown[] {
  return Array.isArray(value) ? value.slice(0, MAX_ITEMS) : [];
}

function readInputs(owner: Raw, keys: readonly string[], base: JsonPath): DeclaredInput[] {
  const found = pick(owner, keys);
  if (!found) return [];
  const inputs: DeclaredInput[] = [];
  items(found.value).forEach((raw, index) => {
    if (!isRecord(raw)) return;
    const path = [...base, found.key, index];
    const name = str(raw.name) ?? str(raw.valueHint) ?? str(raw.value_hint) ?? `#${index + 1}`;
    const secret = raw.isSecret === true || raw.is_secret === true;
    const literalKey = str(raw.default) !== undefined ? 'default' : str(raw.value) !== undefined ? 'value' : undefined;
    const input: DeclaredInput = { name, secret, path };
    if (literalKey !== undefined) {
      input.literal = str(raw[literalKey]) ?? '';
      input.literalPath = [...path, literalKey];
    }
    inputs.push(input);
  });
  return inputs;
}

function readPackage(raw: Raw, index: number): DeclaredEndpoint {
  const path: JsonPath = ['packages', index];
  const endpoint: DeclaredEndpoint = { kind: 'package', path, inputs: [] };
  const registry = pick(raw, ['registryType', 'registry_type', 'registry_name']);
  const registryType = str(registry?.value);
  if (registryType !== undefined) endpoint.registryType = registryType;
  const identifier = pick(raw, ['identifier', 'name']);
  const id = str(identifier?.value);
  if (id !== undefined && identifier) {
    endpoint.identifier = id;
    endpoint.identifierPath = [...path, identifier.key];
  }
  const transport = isRecord(raw.transport) ? raw.transport : undefined;
  if (transport) {
    const type = str(transport.type);
    if (type !== undefined) endpoint.transport = type;
    const url = str(transport.url);
    if (url !== undefined) {
      endpoint.url = url;
      endpoint.urlPath = [...path, 'transport', 'url'];
    }
    endpoint.inputs.push(...readInputs(transport, ['headers'], [...path, 'transport']));
  }
  endpoint.inputs.push(
    ...readInputs(raw, ['environmentVariables', 'environment_variables'], path),
    ...readInputs(raw, ['packageArguments', 'package_arguments'], path),
    ...readInputs(raw, ['runtimeArguments', 'runtime_arguments'], path),
  );
  return endpoint;
}

function readRemote(raw: Raw, index: number): DeclaredEndpoint {
  const path: JsonPath = ['remotes', index];
  const endpoint: DeclaredEndpoint = { kind: 'remote', path, inputs: readInputs(raw, ['headers'], path) };
  const type = str(raw.type) ?? str(raw.transport_type);
  if (type !== undefined) endpoint.transport = type;
  const url = str(raw.url);
  if (url !== undefined) {
    endpoint.url = url;
    endpoint.urlPath = [...path, 'url'];
  }
  return endpoint;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'does not follow the server.json format';
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'document';
  return `${where}: ${issue.message}`;
}

/** Reads a parsed server.json; never throws, whatever the value. */
export function readServerJson(value: unknown): ServerJsonInfo {
  if (!isRecord(value)) return { endpoints: [], problem: 'not a JSON object' };
  const valid = ServerJsonSchema.safeParse(value);
  const info: ServerJsonInfo = { endpoints: [] };
  if (!valid.success) info.problem = show(describeIssue(valid.error.issues[0]), 200);
  const name = str(value.name);
  if (name !== undefined) info.name = name;
  items(value.packages).forEach((raw, index) => {
    if (isRecord(raw)) info.endpoints.push(readPackage(raw, index));
  });
  items(value.remotes).forEach((raw, index) => {
    if (isRecord(raw)) info.endpoints.push(readRemote(raw, index));
  });
  return info;
}

/** Host of a URL, read by hand so templated URLs (http://localhost:{port}/mcp) still parse. */
export function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]{0,20}:\/\/([^/?#\s]{1,300})/i.exec(url.trim());
  if (!m?.[1]) return undefined;
  let authority = m[1];
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end > 0 ? authority.slice(1, end).toLowerCase() : undefined;
  }
  const colon = authority.indexOf(':');
  return (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Plain http to a literal, non-local host. Templated hosts ({host}) are the user's choice, not a finding. */
export function isInsecureRemoteUrl(url: string): boolean {
  if (!/^http:\/\//i.test(url.trim())) return false;
  const host = hostOf(url);
  if (host === undefined || host.length === 0 || /[{}$<>]/.test(host)) return false;
  return !isLoopbackHost(host);
}

function endpointLabel(endpoint: DeclaredEndpoint): string {
  if (endpoint.kind === 'remote') return `remote ${show(endpoint.url ?? '?', 100)}`;
  return `${show(endpoint.registryType ?? 'package', 20)} ${show(endpoint.identifier ?? '?', 100)}`;
}

function secretHits(info: ServerJsonInfo): Hit[] {
  const secrets = info.endpoints.flatMap((e) => e.inputs).filter((i) => i.secret);
  if (secrets.length === 0) return [];
  const names = [...new Set(secrets.map((s) => show(s.name, 60)))];
  const first = secrets[0];
  const hits: Hit[] = [
    {
      rule: RULES.secretInputs,
      file: SERVER_JSON,
      ...(first ? { path: first.path } : {}),
      evidence: `secret inputs: ${names.slice(0, 20).join(', ')}`,
      message: `asks the user for ${names.length} secret${names.length === 1 ? '' : 's'}: ${names.slice(0, 20).join(', ')}`,
    },
  ];
  for (const input of secrets) {
    if (input.literal === undefined || !isLiteralSecret(input.literal)) continue;
    hits.push({
      rule: RULES.secretDefault,
      file: SERVER_JSON,
      path: input.literalPath ?? input.path,
      // The value itself never leaves this function.
      evidence: `${show(input.name, 80)}=${REDACTED}`,
      message: `secret input ${show(input.name, 80)} ships a literal value in server.json`,
    });
  }
  return hits;
}

export function checkServerJson(info: ServerJsonInfo, packageName: string | undefined): Hit[] {
  const hits: Hit[] = [];
  if (info.problem !== undefined) {
    hits.push({ rule: RULES.serverJsonInvalid, file: SERVER_JSON, evidence: info.problem, message: `server.json is not valid: ${info.problem}` });
  }
  hits.push(...secretHits(info));
  for (const endpoint of info.endpoints) {
    if (endpoint.kind === 'package' && endpoint.registryType === 'npm' && packageName !== undefined && endpoint.identifier !== undefined && endpoint.identifier !== packageName) {
      hits.push({
        rule: RULES.serverJsonPackageMismatch,
        file: SERVER_JSON,
        path: endpoint.identifierPath ?? endpoint.path,
        evidence: `"identifier": "${show(endpoint.identifier, 120)}"`,
        message: `server.json names npm package ${show(endpoint.identifier, 100)}, but this package is ${show(packageName, 100)}`,
      });
    }
    if (endpoint.url !== undefined && isInsecureRemoteUrl(endpoint.url)) {
      hits.push({
        rule: RULES.insecureRemote,
        file: SERVER_JSON,
        path: endpoint.urlPath ?? endpoint.path,
        evidence: `"url": "${show(endpoint.url, 150)}"`,
        message: `${endpoint.kind === 'remote' ? 'remote endpoint' : 'transport URL'} over plain http: ${show(endpoint.url, 120)}`,
      });
    }
  }
  const transports = info.endpoints.filter((e) => e.transport !== undefined).map((e) => `${show(e.transport ?? '', 40)} (${endpointLabel(e)})`);
  if (transports.length > 0) {
    hits.push({
      rule: RULES.transport,
      file: SERVER_JSON,
      path: [info.endpoints[0]?.kind === 'remote' ? 'remotes' : 'packages'],
      evidence: `transports: ${transports.slice(0, 10).join(', ')}`,
      message: `declares ${transports.length} transport${transports.length === 1 ? '' : 's'}: ${transports.slice(0, 10).join(', ')}`,
    });
  }
  return hits;
}

/** package.json `mcpName` and server.json `name` must name the same registry entry. */
export function checkMcpNameMatch(serverName: string | undefined, mcpName: string | undefined): Hit[] {
  if (serverName === undefined || mcpName === undefined || mcpName.length === 0 || serverName === mcpName) return [];
  return [
    {
      rule: RULES.mcpNameMismatch,
      file: SERVER_JSON,
      path: ['name'],
      evidence: `server.json "name": "${show(serverName, 100)}", package.json "mcpName": "${show(mcpName, 100)}"`,
      message: `server.json names ${show(serverName, 100)} but package.json mcpName is ${show(mcpName, 100)}`,
    },
  ];
}
