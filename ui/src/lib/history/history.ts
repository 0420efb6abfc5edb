import { commands, type History_Serialize, type HistoryEntry } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import type { MessageKey } from '$lib/i18n/en';
import { visible } from '$lib/common/visible';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** What an entry did, in words: the bank's write kind, D1's operation name, or the name as D1
 * sent it. */
export function what(entry: HistoryEntry, t: Translate): string {
  if (entry.kind) return t(`kind.${entry.kind}`);
  const key = operationKey(entry.operation);
  return key ? t(key) : visible(entry.operation);
}

/** Who made an entry, in words: the requestor's name (a merchant, a wallet) and its kind. */
export function who(entry: HistoryEntry, t: Translate): string {
  const key = requestorKey(entry.requestor);
  const kind = key ? t(key) : visible(entry.requestor);
  return entry.requestorName ? `${visible(entry.requestorName)} (${kind})` : kind;
}

/** The newest entry on each token, by digitalCardId (the entries come newest first). */
export function lastOnTokens(entries: HistoryEntry[]): Map<string, HistoryEntry> {
  const last = new Map<string, HistoryEntry>();
  for (const entry of entries) {
    if (entry.subject.kind === 'token' && !last.has(entry.subject.digitalCardId)) last.set(entry.subject.digitalCardId, entry);
  }
  return last;
}

/** A consumer's history: D1's operations on them, their cards and tokens, whoever made them,
 * with the bank's own. */
export function readHistory(consumerId: string): Promise<History_Serialize> {
  return call(commands.history(consumerId));
}

const D1_OPERATIONS = [
  'CLICK_TO_PAY_ENROLMENT',
  'CLICK_TO_PAY_UPDATE',
  'CLICK_TO_PAY_OPT_OUT',
  'CLICK_TO_PAY_OPTOUT',
  'SUSPEND',
  'RESUME',
  'DELETE',
  'REPLACE',
  'RENEW',
] as const;

/** The words of D1's operation name `name`, or null when this console has none for it (the
 * name is then shown as D1 sent it). */
export function operationKey(name: string): MessageKey | null {
  return (D1_OPERATIONS as readonly string[]).includes(name) ? (`d1op.${name}` as MessageKey) : null;
}

const REQUESTORS = ['ISSUER', 'USER', 'TSP', 'CCI', 'D1'] as const;

/** The words of a requestor type, or null when this console has none for it. */
export function requestorKey(requestor: string): MessageKey | null {
  return (REQUESTORS as readonly string[]).includes(requestor) ? (`requestor.${requestor}` as MessageKey) : null;
}

/** The id of what an entry is on: the token, the card, or null for the consumer. */
export function targetOf(entry: HistoryEntry): string | null {
  switch (entry.subject.kind) {
    case 'token':
      return entry.subject.digitalCardId;
    case 'card':
      return entry.subject.cardId;
    default:
      return null;
  }
}
