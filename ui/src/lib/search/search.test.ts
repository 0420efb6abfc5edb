import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: { search: vi.fn() } }));

import { cardNumberIn, SearchState, type ConsumerSummary } from './search.svelte';

function consumer(id: string): ConsumerSummary {
  return {
    consumerId: id,
    nameLatin: { first: 'Hanako', last: 'Sato' },
    nameKanji: null,
    nameKana: null,
    email: 'h@example.jp',
    phoneCountryCode: '+81',
    phoneNumber: '9012345678',
    cards: [],
  };
}

function ok(...ids: string[]) {
  return { status: 'ok' as const, data: { consumers: ids.map(consumer), more: false } };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('search as you type', () => {
  it('waits for a pause in typing and searches once', async () => {
    const run = vi.fn().mockResolvedValue(ok('cons-1'));
    const search = new SearchState(run, 250);
    search.input('s');
    search.input('sa');
    search.input('sato');
    expect(search.busy).toBe(true);
    await vi.advanceTimersByTimeAsync(249);
    expect(run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith('sato');
    expect(search.results.map((c) => c.consumerId)).toEqual(['cons-1']);
    expect(search.active).toBe(0);
    expect(search.busy).toBe(false);
  });

  it('drops an answer that arrives after a newer search started', async () => {
    let answerOld: (value: ReturnType<typeof ok>) => void = () => {};
    const run = vi
      .fn()
      .mockReturnValueOnce(new Promise((resolve) => (answerOld = resolve)))
      .mockResolvedValueOnce(ok('cons-new'));
    const search = new SearchState(run, 10);
    search.input('old');
    await vi.advanceTimersByTimeAsync(10);
    search.input('new');
    await vi.advanceTimersByTimeAsync(10);
    answerOld(ok('cons-old'));
    await vi.runAllTimersAsync();
    expect(search.results.map((c) => c.consumerId)).toEqual(['cons-new']);
    expect(search.searched).toBe('new');
  });

  it('clears at once when the box is emptied, and a pending search never lands', async () => {
    const run = vi.fn().mockResolvedValue(ok('cons-1'));
    const search = new SearchState(run, 50);
    search.input('sato');
    search.input('  ');
    await vi.runAllTimersAsync();
    expect(run).not.toHaveBeenCalled();
    expect(search.results).toEqual([]);
    expect(search.busy).toBe(false);
  });

  it('turns an error into a problem to show, and a broken bridge into an unexpected one', async () => {
    const run = vi
      .fn()
      .mockResolvedValueOnce({ status: 'error', error: { code: 'UNREACHABLE', message: 'x' } })
      .mockRejectedValueOnce(new Error('bridge down'));
    const search = new SearchState(run, 0);
    search.input('a');
    await vi.runAllTimersAsync();
    expect(search.problem).toEqual({ code: 'UNREACHABLE' });
    search.input('b');
    await vi.runAllTimersAsync();
    expect(search.problem).toEqual({ key: 'error.unexpected' });
  });

  it('moves the highlight with wrap-around', async () => {
    const search = new SearchState(vi.fn().mockResolvedValue(ok('a', 'b', 'c')), 0);
    search.input('x');
    await vi.runAllTimersAsync();
    search.move(-1);
    expect(search.selected?.consumerId).toBe('c');
    search.move(1);
    search.move(1);
    expect(search.selected?.consumerId).toBe('b');
  });

  it('never searches a card number typed in the box, and offers its last 4 instead', async () => {
    const run = vi.fn().mockResolvedValue(ok('cons-1'));
    const search = new SearchState(run, 250);
    search.input('4111 1111 1111 1111');
    await vi.advanceTimersByTimeAsync(500);
    expect(run).not.toHaveBeenCalled();
    expect(search.cardNumber).toBe('1111');
    expect(search.searched).toBe('');
    search.input('1111');
    await vi.advanceTimersByTimeAsync(500);
    expect(run).toHaveBeenCalledWith('1111');
    expect(search.cardNumber).toBeNull();
  });

  it('knows a card number however it is written, and nothing else', () => {
    for (const pan of ['4111111111111111', '4111-1111-1111-1111', '5555 5555 5555 4444', '378282246310005']) {
      expect(cardNumberIn(pan)).not.toBeNull();
    }
    for (const other of ['4878', 'cons-0010-closed', '+81 90 1234 5678', '819012345678', 'crd-xp5iy5xdup', '4111111111111112']) {
      expect(cardNumberIn(other)).toBeNull();
    }
  });
});
