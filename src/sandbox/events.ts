import { z } from 'zod';

/**
 * What a sandbox run observed, as typed events. Every event is parsed from attacker-influenced text (strace
 * output, bytes sent to our listeners, DNS queries), so strings are bounded and validated here, at the edge.
 */
const text = (max: number) => z.string().max(max);

export const SandboxPhaseSchema = z.enum(['install', 'start', 'mcp']);
export type SandboxPhase = z.infer<typeof SandboxPhaseSchema>;

export const SandboxEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exec'), phase: SandboxPhaseSchema, pid: z.number().int(), path: text(4096), argv: z.array(text(1024)).max(64) }),
  z.object({
    type: z.literal('open'), phase: SandboxPhaseSchema, pid: z.number().int(), path: text(4096),
    write: z.boolean(), ok: z.boolean(), errno: text(32).optional(),
  }),
  z.object({
    type: z.literal('connect'), phase: SandboxPhaseSchema, pid: z.number().int(), family: z.enum(['inet', 'inet6', 'unix', 'other']),
    address: text(1024), port: z.number().int().min(0).max(65535).optional(), ok: z.boolean(), errno: text(32).optional(),
  }),
  /** A name the in-container resolver was asked for (answered with 127.0.0.1). */
  z.object({ type: z.literal('dns'), phase: SandboxPhaseSchema, name: text(512), qtype: text(16) }),
  /** The first bytes a process sent to one of our loopback listeners. */
  z.object({
    type: z.literal('capture'), phase: SandboxPhaseSchema, port: z.number().int().min(0).max(65535),
    host: text(512).optional(), sni: text(512).optional(), method: text(16).optional(), path: text(2048).optional(),
    /** Printable, truncated excerpt of what was sent. */
    excerpt: text(2048), bytes: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('signal'), phase: SandboxPhaseSchema, pid: z.number().int(), signal: text(32) }),
]);
export type SandboxEvent = z.infer<typeof SandboxEventSchema>;

/** Canary credentials planted for one run: values are random per run, so a hit cannot be a coincidence. */
export interface CanarySet {
  /** Environment variables (name → value) given to the server. */
  env: Record<string, string>;
  /** Files (absolute path inside the container → content). */
  files: Record<string, string>;
}

export const SANDBOX_STATUSES = ['completed', 'timeout', 'crashed', 'limit', 'error'] as const;
export type SandboxRunStatus = (typeof SANDBOX_STATUSES)[number];
