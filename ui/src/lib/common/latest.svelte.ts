import { problemOf, type Problem } from './errors';

/**
 * What a panel read last, kept only from its latest read: a slower, older answer (the consumer
 * changed meanwhile) never overwrites a newer one. `value` stays until a new one comes; `problem`
 * says why the latest read failed.
 */
export class Latest<T> {
  value = $state<T | null>(null);
  problem = $state<Problem | null>(null);
  loading = $state(false);
  #generation = 0;

  /** Reads with `read`, keeping its answer (or its failure) if no later read began since. */
  async load(read: () => Promise<T>): Promise<void> {
    const mine = ++this.#generation;
    this.loading = true;
    try {
      const value = await read();
      if (mine !== this.#generation) return;
      this.value = value;
      this.problem = null;
    } catch (error) {
      if (mine === this.#generation) this.problem = problemOf(error);
    } finally {
      if (mine === this.#generation) this.loading = false;
    }
  }
}
