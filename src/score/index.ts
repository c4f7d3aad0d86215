export { computeScore, gradeOf } from './score.js';
export type { ScoreInput } from './score.js';
