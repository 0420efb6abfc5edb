/** A moment (ISO 8601) as the operator's language writes a date and time. */
export function dateTime(iso: string, language: string, dateStyle: 'short' | 'medium' = 'short'): string {
  return new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle,
    timeStyle: 'medium',
  }).format(new Date(iso));
}
