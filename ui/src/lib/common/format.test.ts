import { describe, expect, it } from 'vitest';
import { date, list, number } from './format';

describe('dates, numbers and lists in the operator’s language', () => {
  it('groups counts, lists items and writes a day in each language', () => {
    expect(number(12345, 'en')).toBe('12,345');
    expect(number(12345, 'ja')).toBe('12,345');
    expect(list(['•••• 1111', '•••• 2222', 'consumer data'], 'en')).toBe('•••• 1111, •••• 2222 and consumer data');
    expect(list(['•••• 1111', '•••• 2222'], 'ja')).toBe('•••• 1111、•••• 2222');
    expect(date('2027-03-31T12:00:00Z', 'en')).toBe('31 March 2027');
    expect(date('2027-03-31T12:00:00Z', 'ja')).toBe('2027年3月31日');
  });
});
