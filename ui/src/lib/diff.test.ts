import { describe, expect, it } from 'vitest';
import { fieldLabel, look } from './diff';
import { en } from './i18n/en';

describe('grid cell looks', () => {
  it('labels every kind of difference and leaves equal values plain', () => {
    expect(look('EQUAL')).toEqual({ tone: 'same', label: null });
    expect(look('EQUAL_AFTER_NORMALISATION')).toEqual({ tone: 'normalised', label: 'diff.normalised' });
    expect(look('DIFFERENT')).toEqual({ tone: 'differs', label: 'diff.differs' });
    expect(look('MISSING_IN_DIRECTORY')).toEqual({ tone: 'missing', label: 'diff.missing' });
    expect(look('MISSING_AT_BANK')).toEqual({ tone: 'missing', label: 'diff.notAtBank' });
    expect(look(null)).toEqual({ tone: 'none', label: null });
  });

  it('has words for each label and field', () => {
    expect(en['diff.differs']).toBe('differs');
    expect(en['diff.normalised']).toBe('same after normalisation');
    expect(fieldLabel('billingAddress')).toBe('field.billingAddress');
    expect(fieldLabel('somethingNew')).toBeNull();
  });
});
