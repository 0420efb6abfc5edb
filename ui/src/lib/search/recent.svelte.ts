/** A consumer opened in this session, for the search screen's shortcut list. */
export interface RecentConsumer {
  consumerId: string;
  /** The name as the search result showed it, when opened from a result. */
  name: string | null;
}

/**
 * The consumers opened in this session, newest first, without repeats. Kept in memory only:
 * who an agent looked at is in the audit log, not in the webview's storage.
 */
export class RecentConsumers {
  items = $state<RecentConsumer[]>([]);
  readonly #limit: number;

  constructor(limit = 8) {
    this.#limit = limit;
  }

  /** Puts `consumerId` first (keeping a known name when this open has none). */
  add(consumerId: string, name: string | null) {
    const earlier = this.items.find((item) => item.consumerId === consumerId);
    const entry = { consumerId, name: name ?? earlier?.name ?? null };
    this.items = [entry, ...this.items.filter((item) => item.consumerId !== consumerId)].slice(0, this.#limit);
  }
}
