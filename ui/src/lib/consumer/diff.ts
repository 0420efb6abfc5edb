import { visible } from '$lib/common/visible';
import type { Match } from '$lib/ipc/types';
import type { MessageKey } from '$lib/i18n/en';

/** How a grid cell looks: its tone (a CSS class) and the label that says why, if any. */
export interface CellLook {
  tone: 'same' | 'normalised' | 'differs' | 'missing' | 'none';
  label: MessageKey | null;
}

/** The look of a cell compared as `match` (`null`: nothing to compare, e.g. not enrolled). */
export function look(match: Match | null | undefined): CellLook {
  switch (match) {
    case 'EQUAL':
      return { tone: 'same', label: null };
    case 'EQUAL_AFTER_NORMALISATION':
      return { tone: 'normalised', label: 'diff.normalised' };
    case 'DIFFERENT':
      return { tone: 'differs', label: 'diff.differs' };
    case 'MISSING_IN_DIRECTORY':
      return { tone: 'missing', label: 'diff.missing' };
    case 'MISSING_AT_BANK':
      return { tone: 'missing', label: 'diff.notAtBank' };
    default:
      return { tone: 'none', label: null };
  }
}

const fields: Record<string, MessageKey> = {
  firstName: 'field.firstName',
  lastName: 'field.lastName',
  email: 'field.email',
  phone: 'field.phone',
  phoneNumber: 'field.phone',
  language: 'field.language',
  card: 'field.card',
  expiry: 'field.expiry',
  cardholderName: 'field.cardholderName',
  billingAddress: 'field.billingAddress',
  status: 'field.status',
};

/** The label of a grid row's field; an unknown field shows as itself. */
export function fieldLabel(field: string): MessageKey | null {
  return fields[field] ?? null;
}

const statuses: Record<string, MessageKey> = {
  OPEN: 'cardStatus.OPEN',
  CLOSED: 'cardStatus.CLOSED',
  BLOCKED: 'cardStatus.BLOCKED',
  ENROLLED: 'cardStatus.ENROLLED',
};

/** `key`'s words in `t`'s language, or `raw` as it came when there is no key for it. */
export function wordsFor(key: MessageKey | null, raw: string, t: (key: MessageKey) => string): string {
  return key ? t(key) : raw;
}

/** How a grid value shows, for people reading in `language`: a card as its last four, an
 * expiry as MM/YY, a language by its name, the status row in words (the bank's account state,
 * or enrolled in a directory), anything else as it came; `empty` for none. */
export function shownValue(
  field: string,
  value: string | null,
  empty: string,
  t: (key: MessageKey) => string,
  language = 'en',
): string {
  if (value === null) return empty;
  if (value !== '' && field === 'card') return `•••• ${visible(value)}`;
  if (field === 'status') return wordsFor(statuses[value] ?? null, visible(value), t);
  if (field === 'expiry' && /^\d{4}$/.test(value)) return `${value.slice(0, 2)}/${value.slice(2)}`;
  if (field === 'language') return languageName(value, language) ?? visible(value);
  return visible(value);
}

/** The name of the language tagged `tag` (e.g. `ja-JP`), in `language`: "Japanese (Japan)",
 * 「日本語（日本）」; null for a tag that is not one. */
function languageName(tag: string, language: string): string | null {
  try {
    const name = new Intl.DisplayNames([language], { type: 'language' }).of(tag);
    if (!name || name === tag) return null;
    return language === 'ja' ? name.replace(/\s*\(/g, '（').replace(/\)/g, '）') : name;
  } catch {
    return null;
  }
}
