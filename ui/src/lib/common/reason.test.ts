import { describe, expect, it } from 'vitest';
import { reasonProblem } from './reason';

describe('the reason as D1 takes it', () => {
  it('accepts letters, digits and spaces up to 64', () => {
    expect(reasonProblem('')).toBeNull();
    expect(reasonProblem('Card reported stolen 2026')).toBeNull();
    expect(reasonProblem('x'.repeat(64))).toBeNull();
  });
  it('says what is wrong as you type', () => {
    expect(reasonProblem('x'.repeat(65))).toBe('reason.tooLong');
    expect(reasonProblem('stolen!')).toBe('reason.characters');
    expect(reasonProblem('盗難')).toBe('reason.characters');
  });
});
