// Types for the host-side tests; the harness itself is plain JavaScript.
export const STRACE_ARGS: string[];
export const LIFECYCLE: string[];
export const MARKER_BEGIN: string;
export const MARKER_END: string;
export interface HarnessConfig {
  phase: 'install' | 'start'; cmd: string[]; pkg: string; out: string; home: string; canaryFiles: string;
  strace: string | undefined; ports: number[]; dnsPort: number; stdinGraceMs: number;
}
export function readConfig(env: Record<string, string | undefined>): HarnessConfig;
export function childEnv(env: Record<string, string | undefined>, extra?: Record<string, string>): Record<string, string | undefined>;
export function plantCanaries(encoded: string, home: string): string[];
export function lifecycleCommands(pkgDir: string): { name: string; script: string; env: Record<string, string> }[];
export function relayStdin(input: NodeJS.ReadableStream, child: { stdin: NodeJS.WritableStream | null }, graceMs: number, stop: (signal: string) => void): void;
export function signalGroup(child: { pid?: number | undefined; kill(signal?: string): boolean } | undefined, signal: string): void;
export function reportEvents(events: object[], outFile: string, stderr?: { write(s: string): unknown }): void;
export function main(env?: Record<string, string | undefined>): Promise<void>;
