/** The locale that writes dates and numbers for `language` (British order for English). */
function localeOf(language: string): string {
  return language === 'ja' ? 'ja-JP' : 'en-GB';
}

/** A moment (ISO 8601) as the operator's language writes a date and time. */
export function dateTime(iso: string, language: string, dateStyle: 'short' | 'medium' = 'short'): string {
  return new Intl.DateTimeFormat(localeOf(language), {
    dateStyle,
    timeStyle: 'medium',
  }).format(new Date(iso));
}

/** A day (ISO 8601) as the operator's language writes it in full. */
export function date(iso: string, language: string): string {
  return new Intl.DateTimeFormat(localeOf(language), { dateStyle: 'long' }).format(new Date(iso));
}

/** Items as the operator's language lists them ("A, B and C"; 「A、B、C」). */
export function list(items: string[], language: string): string {
  return new Intl.ListFormat(localeOf(language), { type: 'conjunction' }).format(items);
}

/** A count as the operator's language writes numbers (12,345). */
export function number(n: number, language: string): string {
  return new Intl.NumberFormat(localeOf(language)).format(n);
}
