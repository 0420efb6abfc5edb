import type { MessageKey } from '$lib/i18n/index.svelte';
import { dateTime } from '$lib/common/format';
import { isWriteKind, type TeamWrite } from './teamOperations';

/** "Already in progress: opt-out of a card by A-0042 on WS-17 since 10:42. Nothing was sent.",
 * or "Already done: …" for the same write just applied, in the operator's language. */
export function heldWords(
  held: TeamWrite,
  language: string,
  t: (key: MessageKey, params?: Record<string, string | number>) => string,
): string {
  const what = isWriteKind(held.kind) ? t(`kind.${held.kind}`) : held.kind;
  const key: MessageKey = held.state === 'SUCCESSFUL' ? 'team.doneBy' : 'team.heldBy';
  return t(key, {
    what,
    operator: held.operator,
    workstation: held.workstation,
    since: dateTime(held.finishedAt ?? held.claimedAt, language),
  });
}
