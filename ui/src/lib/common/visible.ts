/** Characters that are invisible or change how the text around them shows: controls, bidi
 * overrides and isolates, zero-width characters, the soft hyphen. */
const HIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0001}\u{e0020}-\u{e007f}]/gu;

/** Text from D1 or the bank with each hidden character shown as its code (`⟨U+202E⟩`), so that
 * it can neither reorder what follows nor make two names look alike. */
export function visible(text: string): string {
  return text.replace(HIDDEN, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}
