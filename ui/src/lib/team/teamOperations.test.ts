import { describe, expect, it } from 'vitest';
import { en } from '$lib/i18n/en';
import { format, type MessageKey } from '$lib/i18n/index.svelte';
import { heldWords } from './heldWords';
import { teamStateKey, writeInTheWay, type TeamWrite } from './teamOperations';

const write = (over: Partial<TeamWrite>): TeamWrite => ({
  id: 1,
  kind: 'OPT_OUT_CARD',
  target: 'crd-1',
  consumer: 'cons-1',
  state: 'SENDING',
  operator: 'A-0042',
  workstation: 'WS-17',
  claimedAt: '2026-12-06T10:42:00.000Z',
  finishedAt: null,
  operationId: null,
  ...over,
});

describe('the write in the way', () => {
  it('is an unfinished write on the card, its consumer, or a card of the consumer', () => {
    const onCard = write({});
    expect(writeInTheWay([onCard], 'OPT_OUT_CARD', 'crd-1', 'cons-1')).toBe(onCard);
    const onConsumer = write({ kind: 'OPT_OUT_CONSUMER', target: 'cons-1', state: 'UNKNOWN' });
    expect(writeInTheWay([onConsumer], 'OPT_OUT_CARD', 'crd-2', 'cons-1')).toBe(onConsumer);
    expect(writeInTheWay([onCard], 'OPT_OUT_CONSUMER', 'cons-1', 'cons-1')).toBe(onCard);
    expect(writeInTheWay([onCard], 'OPT_OUT_CARD', 'crd-2', 'cons-1')).toBeUndefined();
  });

  it('is the same write just applied, never another finished one', () => {
    const done = write({ state: 'SUCCESSFUL', finishedAt: '2026-12-06T10:43:00.000Z' });
    expect(writeInTheWay([done], 'OPT_OUT_CARD', 'crd-1', 'cons-1')).toBe(done);
    expect(writeInTheWay([done], 'ENROL_CARD', 'crd-1', 'cons-1')).toBeUndefined();
    expect(writeInTheWay([write({ state: 'FAILED' }), write({ state: 'NOT_SENT' })], 'OPT_OUT_CARD', 'crd-1', 'cons-1')).toBeUndefined();
  });

  it('is the newest when several are', () => {
    const newer = write({ id: 2, operator: 'B-0007' });
    expect(writeInTheWay([newer, write({})], 'OPT_OUT_CARD', 'crd-1', 'cons-1')).toBe(newer);
  });
});

describe('words for the write in the way', () => {
  const t = (key: MessageKey, params?: Record<string, string | number>) => format(en[key], params);

  it('names what, who, where and since when, or when it was done', () => {
    const held = heldWords(write({}), 'en', t);
    expect(held).toMatch(/^Already in progress: Card opt-out by A-0042 on WS-17 since /);
    expect(held).toContain('Nothing was sent.');
    const done = heldWords(write({ state: 'SUCCESSFUL', finishedAt: '2026-12-06T10:43:00.000Z' }), 'en', t);
    expect(done).toMatch(/^Already done: Card opt-out by A-0042 on WS-17 at /);
  });

  it('reads a state the console does not know as unknown', () => {
    expect(teamStateKey('RELEASED')).toBe('teamState.RELEASED');
    expect(teamStateKey('<script>')).toBe('teamState.UNKNOWN');
  });
});
