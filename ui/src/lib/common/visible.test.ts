import { describe, expect, it } from 'vitest';
import { visible } from './visible';

describe('untrusted text made visible', () => {
  it('shows bidi controls and zero-width characters as their codes', () => {
    expect(visible('abc\u202efdp.exe')).toBe('abc⟨U+202E⟩fdp.exe');
    expect(visible('Sa\u200bto')).toBe('Sa⟨U+200B⟩to');
    expect(visible('a\u2066b\u2069')).toBe('a⟨U+2066⟩b⟨U+2069⟩');
    expect(visible('line\u0007')).toBe('line⟨U+0007⟩');
    expect(visible('Sato\u{e0041}')).toBe('Sato⟨U+E0041⟩');
    expect(visible('\u3164Sato')).toBe('⟨U+3164⟩Sato');
  });

  it('leaves ordinary text alone, Japanese and Arabic included', () => {
    expect(visible('佐藤 花子')).toBe('佐藤 花子');
    expect(visible('Hina Tanaka')).toBe('Hina Tanaka');
    expect(visible('سارة')).toBe('سارة');
  });
});
