import { describe, expect, it } from 'vitest';
import type { Token_Serialize as Token } from '$lib/ipc/types';
import { holder, reasonsFor, tokenActions } from './tokens';

const token = (over: Partial<Token>): Token => ({
  digitalCardId: 'dc-1',
  state: 'ACTIVE',
  last4: '1234',
  expiryDate: '1229',
  requestorName: 'Sakura Books',
  requestorId: '40010099001',
  deviceName: null,
  deviceType: null,
  merchantId: 'MER0000001',
  merchantGatewayId: 'MGW_000001',
  suspendedBy: [],
  updatedAt: null,
  ...over,
});

describe('token actions', () => {
  it('offers suspend and delete on an active merchant token', () => {
    expect(tokenActions(token({}), 'merchants')).toEqual(['SUSPEND_TOKEN', 'DELETE_TOKEN']);
  });
  it('offers resume only of the bank’s own suspension, and never a raw delete of a Click to Pay token', () => {
    expect(tokenActions(token({ state: 'SUSPENDED', suspendedBy: ['ISSUER'] }), 'clickToPay')).toEqual(['RESUME_TOKEN']);
    expect(tokenActions(token({ state: 'SUSPENDED', suspendedBy: ['TOKEN_REQUESTOR'] }), 'wallets')).toEqual([
      'SUSPEND_TOKEN',
      'DELETE_TOKEN',
    ]);
  });
  it('offers nothing on a deleted token', () => {
    expect(tokenActions(token({ state: 'DELETED' }), 'merchants')).toEqual([]);
  });
});

describe('reason codes', () => {
  it('gives an agent the customer’s codes only, and the fraud team every code', () => {
    expect(reasonsFor(['tokenWrite'])).toEqual(
      expect.arrayContaining(['USER_DECISION', 'DEVICE_LOST', 'DEVICE_STOLEN', 'DEVICE_FOUND']),
    );
    expect(reasonsFor(['tokenWrite'])).not.toContain('FRAUD_DETECTED');
    expect(reasonsFor(['tokenWrite', 'tokenFraud'])).toHaveLength(8);
  });
});

describe('holder', () => {
  it('names a wallet with its device and a merchant with its gateway', () => {
    expect(holder(token({ requestorName: 'Apple Pay', deviceName: "Sakura's iPhone", merchantGatewayId: null }))).toBe(
      "Apple Pay — Sakura's iPhone",
    );
    expect(holder(token({}))).toBe('Sakura Books (MGW_000001)');
  });
  it('shows a hidden character in a merchant’s name as its code, so it cannot reorder the words', () => {
    expect(holder(token({ requestorName: 'Good\u202eShop' }))).toBe('Good⟨U+202E⟩Shop (MGW_000001)');
  });
});
