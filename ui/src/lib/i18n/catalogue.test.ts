import { describe, expect, it } from 'vitest';
import { en } from './en';
import { catalogues, format } from './index.svelte';
import { ja } from './ja';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('have exactly the same keys in every language', () => {
    const reference = Object.keys(en).sort();
    for (const [language, catalogue] of Object.entries(catalogues)) {
      expect(Object.keys(catalogue).sort(), language).toEqual(reference);
    }
  });

  it('have a non-empty string for every key, with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ja[key].trim(), key).not.toBe('');
      expect(placeholders(ja[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('Japanese is really translated where English prose is', () => {
    const untranslated = (Object.keys(en) as (keyof typeof en)[]).filter(
      (key) => en[key] === ja[key] && /\s/.test(en[key]) && key !== 'app.name',
    );
    expect(untranslated).toEqual([]);
  });

  it('format fills placeholders and leaves unknown ones visible', () => {
    expect(format('Version {version}', { version: '1.2.3' })).toBe('Version 1.2.3');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it('format picks the singular or plural word by the count, also a count formatted for people', () => {
    const text = '{n} {n|record|records}; {m} {m|is|are} left';
    expect(format(text, { n: 1, m: '1' })).toBe('1 record; 1 is left');
    expect(format(text, { n: 0, m: '1,234' })).toBe('0 records; 1,234 are left');
    expect(format(en['batch.previewSummary'], { send: 5, nothing: 1 })).toBe(
      '5 entries will be opted out; 1 is in no directory (nothing to do, not sent).',
    );
  });
});
