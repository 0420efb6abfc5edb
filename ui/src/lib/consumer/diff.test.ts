import { describe, expect, it } from 'vitest';
import { fieldLabel, look, shownValue } from './diff';
import { en } from '$lib/i18n/en';
import { ja } from '$lib/i18n/ja';

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
    expect(fieldLabel('phoneNumber')).toBe('field.phone');
  });

  it('shows a card as its last four and the status row in the operator’s words', () => {
    const t = (key: keyof typeof ja) => ja[key];
    expect(shownValue('card', '1234', '—', t)).toBe('•••• 1234');
    expect(shownValue('status', 'CLOSED', '—', t)).toBe('解約');
    expect(shownValue('status', 'ENROLLED', '', t)).toBe('登録済み');
    expect(shownValue('status', 'SOMETHING_NEW', '', t)).toBe('SOMETHING_NEW');
    expect(shownValue('firstName', '<b>x</b>', '—', t)).toBe('<b>x</b>');
    expect(shownValue('email', null, '—', t)).toBe('—');
    expect(shownValue('card', '', '—', t)).toBe('');
  });

  it('shows an expiry as MM/YY and a language by its name in the operator’s language', () => {
    const t = (key: keyof typeof en) => en[key];
    expect(shownValue('expiry', '0228', '—', t)).toBe('02/28');
    expect(shownValue('language', 'ja-JP', '—', t, 'en')).toBe('Japanese (Japan)');
    expect(shownValue('language', 'ja-JP', '—', t, 'ja')).toBe('日本語（日本）');
    expect(shownValue('language', 'not a tag!', '—', t, 'en')).toBe('not a tag!');
    expect(shownValue('expiry', '2/28', '—', t)).toBe('2/28');
  });
});
