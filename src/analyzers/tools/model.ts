import type { Location } from '../../core/finding.js';

/** Longest text (description, name) kept from one tool; rules only ever see this much. */
export const MAX_TOOL_TEXT = 64 * 1024;

export type AnnotationValue = boolean | string | number;

export interface ExtractedParam {
  name: string;
  description?: string;
  type?: string;
  required?: boolean;
  /** Where the parameter's description (or its definition) sits. */
  location?: Location;
}

/** Something the handler does, found syntactically: a file write or delete, or a child process. */
export interface HandlerEffect {
  kind: 'write' | 'delete' | 'exec';
  call: string;
  location: Location;
  evidence: string;
}

/** A parameter whose value reaches a network call in the handler. */
export interface SentParam {
  param: string;
  location: Location;
  evidence: string;
}

export interface HandlerFacts {
  effects: HandlerEffect[];
  sent: SentParam[];
}

/** How the tool was found; used to prefer the richest of several copies of one tool. */
export type ToolPattern = 'tool' | 'registerTool' | 'addTool' | 'listTools' | 'literal' | 'metadata' | 'class' | 'json';

/** One tool definition as found in one file, before duplicates across files are merged. */
export interface ExtractedTool {
  name: string;
  description: string;
  /** False when part of the description was computed at run time and only the literal parts are known. */
  descriptionComplete: boolean;
  title?: string;
  parameters: ExtractedParam[];
  annotations?: Record<string, AnnotationValue>;
  /** The definition (call or object literal). */
  location: Location;
  /** The description's literal, when it could be located. */
  descriptionLocation?: Location;
  handler?: HandlerFacts;
  pattern: ToolPattern;
}
