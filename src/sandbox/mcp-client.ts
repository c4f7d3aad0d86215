import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { ToolInfo, ToolParameter } from '../core/tool.js';

/**
 * A minimal MCP client over newline-delimited JSON-RPC 2.0 on a stream pair (the container's attached
 * stdio). The server is untrusted: lines and message counts are bounded, non-JSON lines (servers that log
 * to stdout) are skipped and counted, replies are validated, and every request has its own time limit.
 */

export const MCP_PROTOCOL_VERSION = '2025-06-18';

export interface McpClientOptions {
  maxLineBytes?: number;
  maxMessages?: number;
  /** Per-request time limits (ms). */
  timeouts?: Partial<Record<'initialize' | 'list', number>>;
  maxPages?: number;
  maxItems?: number;
  signal?: AbortSignal;
  clientInfo?: { name: string; version: string };
}

export const MCP_CLIENT_DEFAULTS = {
  maxLineBytes: 4 * 1024 * 1024,
  maxMessages: 10_000,
  maxPages: 20,
  maxItems: 1_000,
  initializeTimeoutMs: 10_000,
  listTimeoutMs: 5_000,
} as const;

export class McpClientError extends Error {
  constructor(
    readonly reason: 'timeout' | 'closed' | 'rpc-error' | 'invalid-reply' | 'aborted' | 'limit',
    message: string,
  ) {
    super(message);
    this.name = 'McpClientError';
  }
}

export interface McpClientStats {
  nonJsonLines: number;
  oversizedLines: number;
  unmatchedMessages: number;
  messages: number;
}

const bounded = (max: number) => z.string().transform((s) => (s.length > max ? s.slice(0, max) : s));

const RpcReplySchema = z.object({
  jsonrpc: z.literal('2.0').optional(),
  id: z.union([z.number(), z.string()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number().optional(), message: bounded(1000).optional() }).passthrough().optional(),
});

const InitializeResultSchema = z.object({
  protocolVersion: bounded(64),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  serverInfo: z.object({ name: bounded(256), version: bounded(128).optional() }).passthrough().optional(),
  instructions: bounded(8192).optional(),
});
export type McpInitializeResult = z.infer<typeof InitializeResultSchema>;

const PropertySchema = z.object({ type: z.union([bounded(64), z.array(bounded(64)).max(16)]).optional(), description: bounded(2048).optional() }).passthrough();

const ToolSchema = z.object({
  name: bounded(256),
  title: bounded(512).optional(),
  description: bounded(16_384).optional(),
  inputSchema: z
    .object({ type: z.unknown().optional(), properties: z.record(z.string(), z.unknown()).optional(), required: z.array(z.unknown()).max(1000).optional() })
    .passthrough()
    .optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

const pageOf = <T extends z.ZodType>(key: string, item: T) =>
  z.object({ [key]: z.array(z.unknown()).max(10_000).default([]), nextCursor: bounded(1024).optional() }).transform((page) => {
    const raw = (page as Record<string, unknown>)[key] as unknown[];
    const items: z.infer<T>[] = [];
    let invalid = 0;
    for (const entry of raw) {
      const parsed = item.safeParse(entry);
      if (parsed.success) items.push(parsed.data);
      else invalid++;
    }
    return { items, invalid, nextCursor: page.nextCursor as string | undefined };
  });

const PromptSchema = z.object({ name: bounded(256), description: bounded(8192).optional() }).passthrough();
const ResourceSchema = z.object({ uri: bounded(2048), name: bounded(256).optional(), description: bounded(8192).optional(), mimeType: bounded(128).optional() }).passthrough();
export type McpPrompt = z.infer<typeof PromptSchema>;
export type McpResource = z.infer<typeof ResourceSchema>;

export interface McpListing<T> {
  items: T[];
  /** Entries that failed validation and were dropped. */
  invalid: number;
  /** True when the page or item cap stopped the listing. */
  truncated: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: McpClientError) => void;
  timer: NodeJS.Timeout;
}

export class McpClient {
  readonly stats: McpClientStats = { nonJsonLines: 0, oversizedLines: 0, unmatchedMessages: 0, messages: 0 };
  private readonly pending = new Map<number, Pending>();
  private readonly opts: McpClientOptions;
  private nextId = 1;
  private buffer: Buffer[] = [];
  private bufferBytes = 0;
  private discarding = false;
  private closed: McpClientError | undefined;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    options: McpClientOptions = {},
  ) {
    this.opts = options;
    input.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    input.on('end', () => this.fail(new McpClientError('closed', 'server closed its output')));
    input.on('error', (err: Error) => this.fail(new McpClientError('closed', `server output failed: ${err.message}`)));
    options.signal?.addEventListener('abort', () => this.fail(new McpClientError('aborted', 'aborted')), { once: true });
  }

  private get maxLine(): number {
    return this.opts.maxLineBytes ?? MCP_CLIENT_DEFAULTS.maxLineBytes;
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  private append(part: Buffer): void {
    if (this.discarding) return;
    if (this.bufferBytes + part.length > this.maxLine) {
      // Drop the rest of an oversized line instead of buffering it.
      this.discarding = true;
      this.buffer = [];
      this.bufferBytes = 0;
      this.stats.oversizedLines++;
      return;
    }
    this.buffer.push(part);
    this.bufferBytes += part.length;
  }

  private endLine(): void {
    const wasDiscarding = this.discarding;
    const line = Buffer.concat(this.buffer).toString('utf8').trim();
    this.buffer = [];
    this.bufferBytes = 0;
    this.discarding = false;
    if (wasDiscarding || line === '') return;
    this.stats.messages++;
    if (this.stats.messages > (this.opts.maxMessages ?? MCP_CLIENT_DEFAULTS.maxMessages)) {
      this.fail(new McpClientError('limit', 'server sent too many messages'));
      return;
    }
    this.onLine(line);
  }

  private onLine(line: string): void {
    let value: unknown;
    try {
      value = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      this.stats.nonJsonLines++;
      return;
    }
    const reply = RpcReplySchema.safeParse(value);
    const pending = reply.success && typeof reply.data.id === 'number' ? this.pending.get(reply.data.id) : undefined;
    if (!reply.success || !pending) {
      // Notifications, server-to-client requests and replies to ids we never sent.
      this.stats.unmatchedMessages++;
      return;
    }
    this.pending.delete(reply.data.id as number);
    clearTimeout(pending.timer);
    if (reply.data.error) pending.reject(new McpClientError('rpc-error', `server error ${reply.data.error.code ?? '?'}: ${reply.data.error.message ?? ''}`));
    else pending.resolve(reply.data.result);
  }

  private fail(error: McpClientError): void {
    if (this.closed) return;
    this.closed = error;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.pending.delete(id);
    }
  }

  private write(message: object): void {
    this.output.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  }

  /** Sends a request and waits for its reply, at most `timeoutMs`. */
  request(method: string, params: object, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new McpClientError('timeout', `${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.write({ id, method, params });
    });
  }

  notify(method: string, params: object = {}): void {
    if (!this.closed) this.write({ method, params });
  }

  async initialize(): Promise<McpInitializeResult> {
    const result = await this.request(
      'initialize',
      { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: this.opts.clientInfo ?? { name: 'mcp-assay', version: '0' } },
      this.opts.timeouts?.initialize ?? MCP_CLIENT_DEFAULTS.initializeTimeoutMs,
    );
    const parsed = InitializeResultSchema.safeParse(result);
    if (!parsed.success) throw new McpClientError('invalid-reply', 'initialize reply is not an MCP initialize result');
    this.notify('notifications/initialized');
    return parsed.data;
  }

  private async list<T extends z.ZodType>(method: string, key: string, item: T): Promise<McpListing<z.infer<T>>> {
    const schema = pageOf(key, item);
    const maxPages = this.opts.maxPages ?? MCP_CLIENT_DEFAULTS.maxPages;
    const maxItems = this.opts.maxItems ?? MCP_CLIENT_DEFAULTS.maxItems;
    const out: McpListing<z.infer<T>> = { items: [], invalid: 0, truncated: false };
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const result = await this.request(method, cursor === undefined ? {} : { cursor }, this.opts.timeouts?.list ?? MCP_CLIENT_DEFAULTS.listTimeoutMs);
      const parsed = schema.safeParse(result);
      if (!parsed.success) throw new McpClientError('invalid-reply', `${method} reply is not a ${key} listing`);
      out.invalid += parsed.data.invalid;
      for (const entry of parsed.data.items) {
        if (out.items.length >= maxItems) return { ...out, truncated: true };
        out.items.push(entry);
      }
      cursor = parsed.data.nextCursor;
      if (cursor === undefined || cursor === '') return out;
      // A server repeating a cursor would page forever.
      if (seenCursors.has(cursor)) return { ...out, truncated: true };
      seenCursors.add(cursor);
    }
    return { ...out, truncated: true };
  }

  async listTools(): Promise<McpListing<ToolInfo>> {
    const listing = await this.list('tools/list', 'tools', ToolSchema);
    return { ...listing, items: listing.items.map(toToolInfo) };
  }

  listPrompts(): Promise<McpListing<McpPrompt>> {
    return this.list('prompts/list', 'prompts', PromptSchema);
  }

  listResources(): Promise<McpListing<McpResource>> {
    return this.list('resources/list', 'resources', ResourceSchema);
  }

  close(): void {
    this.fail(new McpClientError('closed', 'client closed'));
  }
}

function toToolInfo(tool: z.infer<typeof ToolSchema>): ToolInfo {
  const info: ToolInfo = { name: tool.name, description: tool.description ?? '', source: 'sandbox' };
  if (tool.title !== undefined) info.title = tool.title;
  const properties = tool.inputSchema?.properties ?? {};
  const required = new Set((tool.inputSchema?.required ?? []).filter((r): r is string => typeof r === 'string'));
  const parameters: ToolParameter[] = [];
  for (const [name, raw] of Object.entries(properties).slice(0, 100)) {
    const prop = PropertySchema.safeParse(raw);
    const param: ToolParameter = { name: name.slice(0, 256), required: required.has(name) };
    if (prop.success) {
      const type = prop.data.type;
      if (type !== undefined) param.type = Array.isArray(type) ? type.join('|') : type;
      if (prop.data.description !== undefined) param.description = prop.data.description;
    }
    parameters.push(param);
  }
  if (parameters.length > 0) info.parameters = parameters;
  const annotations: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(tool.annotations ?? {}).slice(0, 32)) {
    if (typeof v === 'boolean' || typeof v === 'number') annotations[k.slice(0, 64)] = v;
    else if (typeof v === 'string') annotations[k.slice(0, 64)] = v.slice(0, 512);
  }
  if (Object.keys(annotations).length > 0) info.annotations = annotations;
  return info;
}

export interface McpSurvey {
  initialize: McpInitializeResult;
  tools: McpListing<ToolInfo>;
  prompts: McpListing<McpPrompt> | { error: string };
  resources: McpListing<McpResource> | { error: string };
  stats: McpClientStats;
}

/**
 * The whole conversation the sandbox has with a server. initialize and tools/list must succeed; prompts and
 * resources are optional in MCP, so their failure is recorded, not thrown.
 */
export async function surveyServer(input: Readable, output: Writable, options: McpClientOptions = {}): Promise<McpSurvey> {
  const client = new McpClient(input, output, options);
  try {
    const initialize = await client.initialize();
    const tools = await client.listTools();
    const optional = async <T>(fn: () => Promise<T>): Promise<T | { error: string }> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof McpClientError && (err.reason === 'closed' || err.reason === 'aborted')) throw err;
        return { error: err instanceof Error ? err.message : String(err) };
      }
    };
    const prompts = await optional(() => client.listPrompts());
    const resources = await optional(() => client.listResources());
    return { initialize, tools, prompts, resources, stats: client.stats };
  } finally {
    client.close();
  }
}
