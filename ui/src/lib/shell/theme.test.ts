import { describe, expect, it } from 'vitest';
import { effectiveTheme } from './theme';

describe('the theme', () => {
  it('follows the system until the operator chooses', () => {
    expect(effectiveTheme(null, true)).toBe('dark');
    expect(effectiveTheme(null, false)).toBe('light');
    expect(effectiveTheme('light', true)).toBe('light');
    expect(effectiveTheme('dark', false)).toBe('dark');
  });
});
