import { commands, type History_Serialize, type HistoryEntry } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import type { MessageKey } from '$lib/i18n/en';

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
