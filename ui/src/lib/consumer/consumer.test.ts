import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: {}, WRITES: {} }));

import type { ConsumerView_Serialize } from '$lib/ipc/types';
import { cardName, rowsInReadingOrder, whoIs } from './consumer';

const view: ConsumerView_Serialize = {
  consumerId: 'cons-1',
  bank: { state: 'unknown' },
  directories: [
    { scheme: 'VISA', state: 'notEnrolled' },
    { scheme: 'MASTERCARD', state: 'notEnrolled' },
  ],
  findings: [],
  rows: [
    { field: 'email', cardId: null, bank: 'new@example.jp', cells: [{ value: 'old@example.jp', comparison: 'DIFFERENT' }, { value: 'new@example.jp', comparison: 'EQUAL' }] },
    { field: 'lastName', cardId: null, bank: 'Sato', cells: [{ value: 'ＳＡＴＯ', comparison: 'EQUAL_AFTER_NORMALISATION' }, { value: null, comparison: 'MISSING_IN_DIRECTORY' }] },
    { field: 'card', cardId: 'crd-1', bank: '0421', cells: [{ value: '0421', comparison: 'EQUAL' }, { value: null, comparison: null }] },
    { field: 'billingAddress', cardId: 'crd-1', bank: '1 New St', cells: [{ value: '9 Old Rd', comparison: 'DIFFERENT' }, { value: null, comparison: null }] },
  ],
  complete: true,
  refreshedAt: '2026-12-05T00:00:00Z',
  correlationId: null,
};

describe('how a card is named', () => {
  const found = (bin: string | null): ConsumerView_Serialize => ({
    ...view,
    bank: {
      state: 'found',
      record: {
        consumerId: 'cons-1',
        nameLatin: { first: 'Sakura', last: 'Sato' },
        nameKanji: null,
        nameKana: null,
        email: 's@example.jp',
        phoneCountryCode: '+81',
        phoneNumber: '9048300509',
        language: 'ja-JP',
        cards: [
          {
            cardId: 'crd-1',
            scheme: 'VISA',
            bin,
            last4: '0421',
            expiry: '0228',
            cardholderName: 'SAKURA SATO',
            billingAddress: { line1: '1', line2: null, line3: null, city: 'Fukuoka', state: '40', zipCode: '8100001', countryCode: 'JP' },
            status: 'CLOSED',
          },
        ],
      },
    },
  });

  it('is the network and last 4 (and the BIN when the role sees it), else the cardId', () => {
    expect(cardName(found(null), 'crd-1')).toBe('VISA •••• 0421');
    expect(cardName(found('411111'), 'crd-1')).toBe('VISA 411111 •••• 0421');
    expect(cardName(found(null), 'crd-unknown')).toBe('crd-unknown');
    expect(cardName(null, 'crd-1')).toBe('crd-1');
  });

  it('names the consumer in kanji (姓 then 名) and latin, with their contact details', () => {
    const record = found(null);
    if (record.bank.state !== 'found') throw new Error('found');
    record.bank.record.nameKanji = { first: 'さくら', last: '佐藤' };
    record.rows = [{ field: 'phone', cardId: null, bank: '090-4830-0509', cells: [] }];
    expect(whoIs(record)).toEqual({ names: ['佐藤 さくら', 'Sakura Sato'], email: 's@example.jp', phone: '090-4830-0509' });
    expect(whoIs(view)).toEqual({ names: [], email: null, phone: null });
  });

  it('reads a Japanese name 姓 then 名 in the grid, other names as they come', () => {
    const record = found(null);
    record.rows = [
      { field: 'firstName', cardId: null, bank: 'Sakura', cells: [] },
      { field: 'lastName', cardId: null, bank: 'Sato', cells: [] },
    ];
    expect(rowsInReadingOrder(record).map((r) => r.field)).toEqual(['firstName', 'lastName']);
    if (record.bank.state !== 'found') throw new Error('found');
    record.bank.record.nameKanji = { first: 'さくら', last: '佐藤' };
    expect(rowsInReadingOrder(record).map((r) => r.field)).toEqual(['lastName', 'firstName']);
  });
});
