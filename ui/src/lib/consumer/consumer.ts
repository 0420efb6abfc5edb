import { commands, WRITES, type ConsumerView_Serialize, type Removal, type WriteKind } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';

/** One consumer: the bank's record, each directory, and the findings. */
export function consumerView(consumerId: string): Promise<ConsumerView_Serialize> {
  return call(commands.consumerView(consumerId));
}

/** What a write kind takes, as the core states it: the permission, and whether it targets a
 * card (else the consumer). */
export function writeRule(kind: WriteKind): (typeof WRITES)[WriteKind] {
  return WRITES[kind];
}

/** What opting out the consumer (or, with `cardId`, one card of theirs) would remove from each
 * directory. */
export function optOutPreview(consumerId: string, cardId: string | null): Promise<Removal[]> {
  return call(commands.optOutPreview(consumerId, cardId));
}
