import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end tests run the real CLI from dist/, so build it once before any test starts.
 * ASSAY_SKIP_BUILD=1 skips it when only unit tests are run while other modules are mid-edit.
 */
export default function setup(): void {
  if (process.env.ASSAY_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
