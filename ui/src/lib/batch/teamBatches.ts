import type { TeamBatch } from '$lib/ipc/bindings';
import type { MessageKey } from '$lib/i18n/index.svelte';

/** A team batch's states, in the team store's words. */
const STATES = ['CREATED', 'RUNNING', 'PAUSED', 'WAITING', 'CANCELLED', 'DONE'];

/** The catalogue key of a team batch's state in words (an unknown word reads as running). */
export function teamBatchStateKey(state: string): MessageKey {
  return `batch.teamState.${STATES.includes(state) ? state : 'RUNNING'}` as MessageKey;
}

/** How many of a team batch's items are finished (applied, refused or skipped), of how many. */
export function teamDone(batch: TeamBatch): { finished: number; total: number } {
  let finished = 0;
  let total = 0;
  for (const [status, n] of batch.counts) {
    total += n;
    if (status === 'SUCCESSFUL' || status === 'FAILED' || status === 'SKIPPED') finished += n;
  }
  return { finished, total };
}
