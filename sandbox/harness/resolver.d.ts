// Types for the host-side tests; the harness itself is plain JavaScript.
export interface DnsEvent { type: 'dns'; phase: string; name: string; qtype: string }
export interface ParsedQuery { id: number; flags: number; name: string; qtype: number; qclass: number; question: Buffer }
export function qtypeName(code: number): string;
export function readName(buf: Buffer, offset: number): { name: string; end: number } | undefined;
export function parseQuery(buf: Buffer): ParsedQuery | undefined;
export function buildResponse(query: ParsedQuery, answerV4?: string): Buffer;
export interface Resolver {
  port: number;
  events: DnsEvent[];
  stats: { queries: number; malformed: number; dropped: number };
  close(): Promise<void>;
}
export function startResolver(options?: { host?: string; port?: number; phase?: string; maxNames?: number; answerV4?: string; onEvent?: (e: DnsEvent) => void }): Promise<Resolver>;
