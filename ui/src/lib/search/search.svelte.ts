import { commands, type Contact, type ConsumerSummary_Serialize, type SearchResults_Serialize } from '$lib/ipc/bindings';
import { call, type Answer } from '$lib/ipc/call';
import { problemOf, type Problem } from '$lib/common/errors';

/** A consumer in the results list. */
export type ConsumerSummary = ConsumerSummary_Serialize;

type Run = (text: string) => Promise<Answer<SearchResults_Serialize>>;
type Reveal = (consumerId: string) => Promise<Answer<Contact>>;

/** The longest text the box takes. */
export const MAX_SEARCH = 200;

/**
 * The last four digits when `text` is a card number (13 to 19 digits, however spaced or dashed,
 * that pass the Luhn check), which is never searched, shown or sent; else null. The core's
 * `care::privacy::card_number_last4` is the rule (its search refuses such a number); this copy
 * only lets the box mask the number before anything leaves the window.
 */
export function cardNumberIn(text: string): string | null {
  const compact = text.replace(/[\s.\-_]/g, '');
  return /^\d{13,19}$/.test(compact) && luhn(compact) ? compact.slice(-4) : null;
}

/** Whether `digits` pass the Luhn check. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Results as you type: a search starts `delay` ms after the last keystroke, and an answer that
 * arrives after a newer search started is dropped, so the list always matches the box.
 */
export class SearchState {
  results = $state<ConsumerSummary[]>([]);
  more = $state(false);
  busy = $state(false);
  problem = $state<Problem | null>(null);
  /** The highlighted result (keyboard), or -1. */
  active = $state(-1);
  /** The text the current results are for. */
  searched = $state('');
  /** The last 4 of a card number that was typed (and so not searched), or null. */
  cardNumber = $state<string | null>(null);
  /** Contact details shown in full (each reveal recorded by the core), by consumerId. */
  revealed = $state<Record<string, Contact>>({});

  readonly #run: Run;
  readonly #reveal: Reveal;
  readonly #delay: number;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(run: Run = commands.search, delay = 250, reveal: Reveal = commands.revealContact) {
    this.#run = run;
    this.#reveal = reveal;
    this.#delay = delay;
  }

  /** Shows the highlighted consumer's e-mail and phone in full (the core records it). */
  async reveal() {
    const consumer = this.selected;
    if (!consumer) return;
    try {
      const contact = await call(this.#reveal(consumer.consumerId));
      this.revealed = { ...this.revealed, [consumer.consumerId]: contact };
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** The box changed: clears at once when empty, else searches after the pause. */
  input(text: string) {
    clearTimeout(this.#timer);
    const generation = ++this.#generation;
    const trimmed = text.trim();
    this.cardNumber = cardNumberIn(trimmed);
    if (trimmed === '' || this.cardNumber !== null) {
      this.results = [];
      this.more = false;
      this.busy = false;
      this.problem = null;
      this.active = -1;
      this.searched = '';
      this.revealed = {};
      return;
    }
    this.busy = true;
    this.#timer = setTimeout(() => void this.#search(trimmed, generation), this.#delay);
  }

  async #search(text: string, generation: number) {
    let outcome: { found: SearchResults_Serialize } | { error: unknown };
    try {
      outcome = { found: await call(this.#run(text)) };
    } catch (error) {
      outcome = { error };
    }
    if (generation !== this.#generation) return; // a newer search owns the list
    this.busy = false;
    this.searched = text;
    this.revealed = {};
    if ('found' in outcome) {
      this.results = outcome.found.consumers;
      this.more = outcome.found.more;
      this.problem = null;
      this.active = outcome.found.consumers.length > 0 ? 0 : -1;
    } else {
      this.results = [];
      this.more = false;
      this.active = -1;
      this.problem = problemOf(outcome.error);
    }
  }

  /** Moves the highlight by `step`, wrapping around. */
  move(step: number) {
    const count = this.results.length;
    if (count === 0) return;
    this.active = (((this.active + step) % count) + count) % count;
  }

  /** The highlighted consumer. */
  get selected(): ConsumerSummary | undefined {
    return this.results[this.active];
  }
}
