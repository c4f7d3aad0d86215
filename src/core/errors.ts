/**
 * Exit codes are a public contract (docs/cli.md). Every expected failure is an AssayError with one of
 * these; anything else is a bug and exits with `internal`.
 */
export const EXIT = {
  ok: 0,
  /** The verdict reached the `--fail-on` threshold. */
  gate: 1,
  usage: 2,
  notFound: 3,
  invalidInput: 4,
  network: 5,
  integrity: 6,
  store: 7,
  /** The whole scan went over its `--timeout`. */
  timeout: 8,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCategory = Exclude<keyof typeof EXIT, 'ok' | 'gate'>;

export class AssayError extends Error {
  readonly category: ErrorCategory;

  constructor(category: ErrorCategory, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AssayError';
    this.category = category;
  }

  get exitCode(): ExitCode {
    return EXIT[this.category];
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
