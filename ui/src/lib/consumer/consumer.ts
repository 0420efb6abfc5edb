import {
  commands,
  WRITES,
  type ConsumerView_Serialize,
  type Change_Serialize as Change,
  type Removal,
  type WriteKind,
} from '$lib/ipc/bindings';
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

/** What updating the directories from the bank's record (`kind`, of `target`) would change in
 * each directory: old → new, read afresh by the core. */
export function updatePreview(kind: WriteKind, target: string): Promise<Change[]> {
  return call(commands.updatePreview(kind, target));
}

/** How a card is named to people: its network and last 4 (with the BIN for roles that see it),
 * e.g. `VISA •••• 0421`; the cardId when the bank's record does not list it. */
export function cardName(view: ConsumerView_Serialize | null, cardId: string): string {
  const card = view?.bank.state === 'found' ? view.bank.record.cards.find((c) => c.cardId === cardId) : undefined;
  if (!card) return cardId;
  return card.bin ? `${card.scheme} ${card.bin} •••• ${card.last4}` : `${card.scheme} •••• ${card.last4}`;
}

/** Who the consumer is, as the screen's header names them: the name in kanji (姓 then 名) and in
 * latin letters (given name first), the e-mail address and the phone as people write it (the
 * core formats it); empty when the bank's record was not read. */
export function whoIs(view: ConsumerView_Serialize | null): { names: string[]; email: string | null; phone: string | null } {
  if (view?.bank.state !== 'found') return { names: [], email: null, phone: null };
  const record = view.bank.record;
  const names = [`${record.nameLatin.first} ${record.nameLatin.last}`];
  if (record.nameKanji) names.unshift(`${record.nameKanji.last} ${record.nameKanji.first}`);
  const phone = view.rows.find((row) => row.field === 'phone' && row.cardId === null)?.bank ?? null;
  return { names, email: record.email, phone };
}

/** The grid's rows in reading order: a Japanese name (one the bank holds in kanji) reads 姓
 * then 名, so its last-name row comes first. */
export function rowsInReadingOrder(view: ConsumerView_Serialize): ConsumerView_Serialize['rows'] {
  const japanese = view.bank.state === 'found' && view.bank.record.nameKanji !== null;
  if (!japanese) return view.rows;
  const first = view.rows.findIndex((row) => row.field === 'firstName' && row.cardId === null);
  const last = view.rows.findIndex((row) => row.field === 'lastName' && row.cardId === null);
  if (first < 0 || last < first) return view.rows;
  const rows = [...view.rows];
  [rows[first], rows[last]] = [rows[last], rows[first]];
  return rows;
}
