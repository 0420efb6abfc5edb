/** English strings: the reference catalogue. Every key must also exist in `ja.ts`. */
export const en = {
  'app.name': 'C2P Care',
  'app.tagline': 'Click to Pay care console',
  'env.sandbox': 'SANDBOX — simulated data',
  'env.label': 'Environment',
  'language.label': 'Language',
  'language.en': 'English',
  'language.ja': '日本語',
  'search.label': 'Search consumers',
  'search.placeholder': 'Consumer ID, card ID, name, email, phone or last 4',
  'empty.title': 'Find a consumer',
  'empty.body':
    'Search by consumer ID, card ID, name (kanji, kana or latin), email address, phone number or the last 4 digits of a card.',
  'status.version': 'Version {version}',
  'status.loading': 'Starting…',
  'notice.dismiss': 'Dismiss',
  'error.STORAGE':
    'The console could not save or read its files. Check that the disk is not full, then try again. If it keeps happening, send the log file to IT support.',
  'error.INVALID_INPUT': 'That value is not valid. Check it and try again; nothing was changed.',
  'error.INTERNAL':
    'Something went wrong inside the console. Try again; if it keeps happening, send the log file to IT support.',
  'error.unexpected':
    'The console did not answer as expected. Restart it; if it keeps happening, send the log file to IT support.',
  'error.saveLanguage': 'Your language choice could not be saved and will be forgotten when you close the console.',
} as const;

/** A key of the message catalogues. */
export type MessageKey = keyof typeof en;
