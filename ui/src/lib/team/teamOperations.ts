import { WRITES, commands, type TeamWrite_Serialize, type WriteKind } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import type { MessageKey } from '$lib/i18n/index.svelte';

/** A write the team made, with who made it and from where (team mode). */
export type TeamWrite = TeamWrite_Serialize;

/** A team write's states, in the team store's words. */
export const TEAM_STATES = ['CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN', 'SUCCESSFUL', 'FAILED', 'NOT_SENT', 'RELEASED'] as const;

/** The catalogue key of a team write's state in words (an unknown word reads as unknown). */
export function teamStateKey(state: string): MessageKey {
  const known = (TEAM_STATES as readonly string[]).includes(state) ? state : 'UNKNOWN';
  return `teamState.${known}` as MessageKey;
}

/** The states of a write still under way somewhere in the team. */
const OPEN = new Set(['CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN']);

/** The team's writes in the environment in use, newest first: all of them, or those on
 * `consumerId` and their cards (the History panel). */
export function readTeamWrites(consumerId: string | null, limit: number): Promise<TeamWrite[]> {
  return call(commands.teamOperations(consumerId, limit));
}

/** Whether `kind` is one of the console's write kinds (the store keeps it as a word). */
export function isWriteKind(kind: string): kind is WriteKind {
  return kind in WRITES;
}

/**
 * The write in the way of a write of `kind` on `target` (of consumer `consumerId`), among the
 * team's writes on that consumer (newest first): an unfinished one on the target, on the
 * consumer of a card, or on a card of a consumer; or the same write on the same target just
 * applied. What the core refused with ALREADY_IN_PROGRESS, named for the operator.
 */
export function writeInTheWay(
  writes: TeamWrite[],
  kind: WriteKind,
  target: string,
  consumerId: string,
): TeamWrite | undefined {
  const onConsumer = WRITES[kind].target === 'consumer';
  return writes.find((write) => {
    const sameTarget = write.target === target;
    if (OPEN.has(write.state)) {
      return sameTarget || (!onConsumer && write.target === consumerId) || (onConsumer && write.consumer === target);
    }
    return write.state === 'SUCCESSFUL' && sameTarget && write.kind === kind;
  });
}
