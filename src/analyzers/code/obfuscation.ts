/**
 * Fingerprints of obfuscators, as opposed to minifiers. A minifier shortens names and drops whitespace;
 * an obfuscator leaves tell-tale shapes: `_0x1a2b` names, a rotated string array (`while(!![])` with
 * push/shift), `\x`-escaped string tables, JSFuck, or the p,a,c,k,e,d packer.
 */
import type { Node } from '@babel/types';
import { walk } from '../lib/ast.js';
import type { ModuleFacts } from './collect.js';
import { memberName } from './syntax.js';

const MIN_HEX_IDENTIFIERS = 20;
const MIN_HEX_ESCAPED_LITERALS = 30;
const MIN_JSFUCK_RUN = 1000;
const MAX_LOOP_NODES = 2000;

export interface ObfuscationResult {
  fingerprints: string[];
  node?: Node;
}

/** A loop whose body pushes and shifts: the string-array rotation of javascript-obfuscator. */
function rotates(loop: Node): boolean {
  let push = false;
  let shift = false;
  walk(loop, (node, _ancestors, control) => {
    if (control.visited > MAX_LOOP_NODES) {
      control.stop();
      return;
    }
    if (node.type !== 'CallExpression') return;
    const name = memberName(node.callee);
    if (name === 'push') push = true;
    if (name === 'shift') shift = true;
    if (push && shift) control.stop();
  });
  return push && shift;
}

/** Longest run of JSFuck's six characters, by a linear scan. */
export function longestJsfuckRun(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    // [ ] ( ) ! +
    if (c === 91 || c === 93 || c === 40 || c === 41 || c === 33 || c === 43) {
      run += 1;
      if (run > best) best = run;
    } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
      run = 0;
    }
  }
  return best;
}

export function obfuscationFingerprints(facts: ModuleFacts): ObfuscationResult {
  const fingerprints: string[] = [];
  let node: Node | undefined;
  if (facts.hexIdentifiers.size >= MIN_HEX_IDENTIFIERS) fingerprints.push(`${facts.hexIdentifiers.size} _0x… identifiers`);
  const loop = facts.rotationLoops.slice(0, 20).find(rotates);
  if (loop) {
    fingerprints.push('a rotated string array (while(!![]) with push/shift)');
    node = loop;
  }
  if (facts.packers.length > 0) {
    fingerprints.push('the eval(function(p,a,c,k,e,d)…) packer');
    node = node ?? facts.packers[0];
  }
  if (facts.hexEscapedLiterals >= MIN_HEX_ESCAPED_LITERALS) fingerprints.push(`${facts.hexEscapedLiterals} \\x-escaped string literals`);
  const run = longestJsfuckRun(facts.text);
  if (run >= MIN_JSFUCK_RUN) fingerprints.push(`JSFuck (a run of ${run} []()!+ characters)`);
  return node === undefined ? { fingerprints } : { fingerprints, node };
}
