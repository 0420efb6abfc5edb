import type { ErrorCode, Language } from '$lib/ipc/types';
import { en, type MessageKey } from './en';
import { ja } from './ja';

export type { MessageKey };

/** Every language's catalogue. The type makes a missing key a compile error. */
export const catalogues: Record<Language, Record<MessageKey, string>> = { en, ja };

/** Every error code has words in every language (checked by the compiler). */
const errorKeys: Record<ErrorCode, MessageKey> = {
  STORAGE: 'error.STORAGE',
  INVALID_INPUT: 'error.INVALID_INPUT',
  INTERNAL: 'error.INTERNAL',
  KEYCHAIN_UNAVAILABLE: 'error.KEYCHAIN_UNAVAILABLE',
  KEYCHAIN_LOCKED: 'error.KEYCHAIN_LOCKED',
  CREDENTIALS_MISSING: 'error.CREDENTIALS_MISSING',
  CREDENTIALS_INVALID: 'error.CREDENTIALS_INVALID',
  NOT_FOUND: 'error.NOT_FOUND',
  FORBIDDEN: 'error.FORBIDDEN',
  UNREACHABLE: 'error.UNREACHABLE',
  OUTCOME_UNKNOWN: 'error.OUTCOME_UNKNOWN',
  REJECTED: 'error.REJECTED',
  UNAUTHORIZED: 'error.UNAUTHORIZED',
  RATE_LIMITED: 'error.RATE_LIMITED',
  TLS_FAILED: 'error.TLS_FAILED',
  BAD_ANSWER: 'error.BAD_ANSWER',
  ALREADY_IN_PROGRESS: 'error.ALREADY_IN_PROGRESS',
  TRAIL_UNDELIVERED: 'error.TRAIL_UNDELIVERED',
  TEAM_STORE: 'error.TEAM_STORE',
  TRAIL_REFUSED: 'error.TRAIL_REFUSED',
  CLAIM_UNAVAILABLE: 'error.CLAIM_UNAVAILABLE',
  BATCH_TAKEN: 'error.BATCH_TAKEN',
};

/** The language the system asks for, used until the operator chooses one. */
export function systemLanguage(): Language {
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** Replaces `{name}` placeholders in `text` with `params`. */
export function format(text: string, params: Record<string, string | number> = {}): string {
  return text
    .replace(/\{(\w+)\|([^|}]*)\|([^}]*)\}/g, (whole, name: string, one: string, other: string) =>
      name in params ? (amount(params[name]) === 1 ? one : other) : whole,
    )
    .replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The number a parameter holds, also when it was formatted for people (`1,234`). */
function amount(value: string | number): number {
  return typeof value === 'number' ? value : Number(value.replace(/[^\d.-]/g, ''));
}

/** The current language and the strings in it; reactive wherever it is read. */
class Locale {
  language = $state<Language>('en');

  /** The string for `key` in the current language. */
  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    format(catalogues[this.language][key], params);

  /** Words for an error code from the core, in the current language. */
  error = (code: ErrorCode): string => this.t(errorKeys[code]);
}

/** The one locale of the window. */
export const locale = new Locale();
