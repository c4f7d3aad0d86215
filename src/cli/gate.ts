import { EXIT } from '../core/errors.js';
import type { ExitCode } from '../core/errors.js';
import type { Verdict } from '../core/score.js';
import { verdictRank } from '../core/score.js';

/** `--fail-on review` fails on review and fail; `--fail-on fail` only on fail; no flag never fails. */
export function gateExitCode(verdict: Verdict, failOn: Exclude<Verdict, 'pass'> | undefined): ExitCode {
  if (failOn === undefined) return EXIT.ok;
  return verdictRank(verdict) >= verdictRank(failOn) ? EXIT.gate : EXIT.ok;
}
