import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { McpClient, McpClientError, surveyServer } from './mcp-client.js';

type Handler = (msg: { id?: number; method: string; params?: { cursor?: string } }, send: (line: string) => void) => void;

/** A scripted server: reads the client's lines from `toServer` and answers on `toClient`. */
function fakeServer(handler: Handler) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let buf = '';
  const received: string[] = [];
  toServer.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      received.push(line);
      handler(JSON.parse(line) as Parameters<Handler>[0], (out) => toClient.write(`${out}\n`));
    }
  });
  return { toServer, toClient, received };
}

const reply = (id: number | undefined, result: unknown) => JSON.stringify({ jsonrpc: '2.0', id, result });
const init = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1' } };

function standard(tools: (cursor: string | undefined) => unknown): Handler {
  return (msg, send) => {
    if (msg.method === 'initialize') send(reply(msg.id, init));
    else if (msg.method === 'tools/list') send(reply(msg.id, tools(msg.params?.cursor)));
    else if (msg.method === 'prompts/list') send(reply(msg.id, { prompts: [{ name: 'p' }] }));
    else if (msg.method === 'resources/list') send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'no' } }));
  };
}

describe('McpClient', () => {
  it('initializes, pages through tools and converts them to ToolInfo', async () => {
    const server = fakeServer(
      standard((cursor) =>
        cursor === undefined
          ? { tools: [{ name: 'read', description: 'Reads', inputSchema: { type: 'object', properties: { path: { type: 'string', description: 'p' } }, required: ['path'] }, annotations: { readOnlyHint: true } }], nextCursor: 'c2' }
          : { tools: [{ name: 'write' }, { description: 'no name' }] },
      ),
    );
    const survey = await surveyServer(server.toClient, server.toServer);
    expect(survey.initialize.serverInfo?.name).toBe('fake');
    expect(survey.tools.items).toEqual([
      { name: 'read', description: 'Reads', source: 'sandbox', parameters: [{ name: 'path', type: 'string', description: 'p', required: true }], annotations: { readOnlyHint: true } },
      { name: 'write', description: '', source: 'sandbox' },
    ]);
    expect(survey.tools.invalid).toBe(1);
    expect(survey.prompts).toMatchObject({ items: [{ name: 'p' }] });
    expect(survey.resources).toMatchObject({ error: expect.stringContaining('-32601') });
    const sent = server.received.map((l) => JSON.parse(l) as { method: string; params?: Record<string, unknown> });
    expect(sent[0]).toMatchObject({ method: 'initialize', params: { protocolVersion: expect.any(String), capabilities: {}, clientInfo: { name: 'mcp-assay' } } });
    expect(sent[1]).toMatchObject({ method: 'notifications/initialized' });
    expect(sent.filter((m) => m.method === 'tools/list').map((m) => m.params)).toEqual([{}, { cursor: 'c2' }]);
  });

  it('skips log lines, oversized lines and replies to ids it never sent', async () => {
    const server = fakeServer((msg, send) => {
      if (msg.method !== 'initialize') return;
      send('Server starting on stdio...');
      send(`{"garbage": ${'x'.repeat(10)}`);
      send(JSON.stringify({ jsonrpc: '2.0', id: 999, result: {} }));
      send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: {} }));
      send(`{"pad":"${'y'.repeat(5000)}"}`);
      send(reply(msg.id, init));
    });
    const client = new McpClient(server.toClient, server.toServer, { maxLineBytes: 1024 });
    await client.initialize();
    expect(client.stats).toMatchObject({ nonJsonLines: 2, oversizedLines: 1, unmatchedMessages: 2 });
    client.close();
  });

  it('times out a server that never answers', async () => {
    const server = fakeServer(() => {});
    const client = new McpClient(server.toClient, server.toServer, { timeouts: { initialize: 50 } });
    await expect(client.initialize()).rejects.toMatchObject({ reason: 'timeout' });
    client.close();
  });

  it('fails fast when the server closes its output', async () => {
    const server = fakeServer(() => server.toClient.end());
    const client = new McpClient(server.toClient, server.toServer, { timeouts: { initialize: 5000 } });
    await expect(client.initialize()).rejects.toMatchObject({ reason: 'closed' });
  });

  it('rejects an initialize result that is not one', async () => {
    const server = fakeServer((msg, send) => send(reply(msg.id, { hello: 'world' })));
    const client = new McpClient(server.toClient, server.toServer);
    await expect(client.initialize()).rejects.toBeInstanceOf(McpClientError);
    client.close();
  });

  it('stops a never-ending tools listing at the page cap and a repeated cursor at once', async () => {
    let pages = 0;
    const endless = fakeServer(standard(() => ({ tools: [{ name: `t${pages}` }], nextCursor: `c${++pages}` })));
    const a = new McpClient(endless.toClient, endless.toServer, { maxPages: 5 });
    await a.initialize();
    const listing = await a.listTools();
    expect(listing).toMatchObject({ truncated: true });
    expect(listing.items).toHaveLength(5);
    a.close();

    const loop = fakeServer(standard(() => ({ tools: [{ name: 't' }], nextCursor: 'same' })));
    const b = new McpClient(loop.toClient, loop.toServer, { maxPages: 50 });
    await b.initialize();
    expect((await b.listTools()).items).toHaveLength(2);
    b.close();
  });

  it('caps the number of items and bounds long names and descriptions', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ name: `${'n'.repeat(1000)}${i}`, description: 'd'.repeat(100_000) }));
    const server = fakeServer(standard(() => ({ tools: many })));
    const client = new McpClient(server.toClient, server.toServer, { maxItems: 100, maxLineBytes: 512 * 1024 * 1024 });
    await client.initialize();
    const listing = await client.listTools();
    expect(listing.items).toHaveLength(100);
    expect(listing.truncated).toBe(true);
    expect(listing.items[0]?.name.length).toBe(256);
    expect(listing.items[0]?.description.length).toBe(16_384);
    client.close();
  });

  it('survives deeply nested JSON in a reply', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const server = fakeServer((msg, send) => {
      if (msg.method === 'initialize') send(reply(msg.id, init));
      else send(`{"jsonrpc":"2.0","id":${msg.id},"result":{"tools":[{"name":"x","inputSchema":{"type":"object","properties":{"a":${deep}}}}]}}`);
    });
    const client = new McpClient(server.toClient, server.toServer, { timeouts: { list: 2000 } });
    await client.initialize();
    // Either parsed (nesting kept opaque) or dropped as not JSON, then timed out: never a crash.
    const outcome = await client.listTools().then((l) => l.items.map((t) => t.name), (e: McpClientError) => e.reason);
    expect(['timeout', 'x']).toContain(Array.isArray(outcome) ? outcome[0] : outcome);
    client.close();
  });

  it('stops after too many messages', async () => {
    const server = fakeServer((msg, send) => {
      for (let i = 0; i < 50; i++) send('{"jsonrpc":"2.0","method":"spam"}');
      send(reply(msg.id, init));
    });
    const client = new McpClient(server.toClient, server.toServer, { maxMessages: 10 });
    await expect(client.initialize()).rejects.toMatchObject({ reason: 'limit' });
  });

  it('aborts pending requests on the caller signal', async () => {
    const server = fakeServer(() => {});
    const ac = new AbortController();
    const client = new McpClient(server.toClient, server.toServer, { signal: ac.signal });
    const pending = client.initialize();
    ac.abort();
    await expect(pending).rejects.toMatchObject({ reason: 'aborted' });
  });
});
