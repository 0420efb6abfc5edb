import { HIDDEN_CHARACTERS } from '$lib/ipc/bindings';

/** Whether code point `c` is one of the characters the core calls hidden (controls, bidi
 * overrides and isolates, zero-width characters, …: `care::privacy::HIDDEN_CHARACTERS`). */
const hidden = (c: number) => HIDDEN_CHARACTERS.some(([first, last]) => c >= first && c <= last);

/** Text from D1 or the bank with each hidden character shown as its code (`⟨U+202E⟩`), so that
 * it can neither reorder what follows nor make two names look alike. */
export function visible(text: string): string {
  let out = '';
  for (const c of text) {
    const point = c.codePointAt(0)!;
    out += hidden(point) ? `⟨U+${point.toString(16).toUpperCase().padStart(4, '0')}⟩` : c;
  }
  return out;
}
