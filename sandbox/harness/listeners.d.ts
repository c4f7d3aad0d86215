// Types for the host-side tests; the harness itself is plain JavaScript.
export interface CaptureEvent {
  type: 'capture'; phase: string; port: number; excerpt: string; bytes: number;
  host?: string; sni?: string; method?: string; path?: string;
}
export const DEFAULT_PORTS: number[];
export function parseClientHelloSni(buf: Buffer): string | undefined;
export function parseHttpHead(buf: Buffer): { method: string; path: string; host?: string } | undefined;
export function describeCapture(buf: Buffer, port: number, phase: string): CaptureEvent;
export interface Listeners {
  ports: number[];
  failed: { port: number; error: string }[];
  events: CaptureEvent[];
  stats: { connections: number; dropped: number };
  close(): Promise<void>;
}
export function startListeners(options?: {
  host?: string; ports?: number[]; phase?: string; maxBytes?: number; windowMs?: number; maxConnections?: number;
  onEvent?: (e: CaptureEvent) => void;
}): Promise<Listeners>;
