import { describe, expect, it, vi } from 'vitest';

const listeners = vi.hoisted(() => ({ handler: null as null | ((e: unknown) => void) }));
vi.mock('$lib/ipc/bindings', () => ({
  events: {
    operationChanged: {
      listen: vi.fn((handler: (e: unknown) => void) => {
        listeners.handler = handler;
        return Promise.resolve(() => {});
      }),
    },
  },
}));

import { Operations, isFinal, type Operation } from './operations.svelte';

function op(id: number, target: string, state: Operation['state']): Operation {
  return {
    id,
    state,
    operationId: null,
    detail: null,
    note: null,
    createdAt: '2026-11-25T00:00:00Z',
    sentAt: '2026-11-25T00:00:00Z',
    updatedAt: '2026-11-25T00:00:00Z',
    kind: 'OPT_OUT_CARD',
    target,
    reason: null,
    reasonCode: 'ISSUER_DECISION',
    correlationId: 'c',
    environment: 'sandbox',
    operator: 'me',
  };
}

describe('operations of this window', () => {
  it('follows events until final and finds the newest per target', () => {
    const store = new Operations();
    store.listen();
    store.track(op(1, 'crd-1', 'PENDING'));
    store.track(op(2, 'crd-2', 'UNKNOWN'));
    listeners.handler?.({ payload: { entry: op(1, 'crd-1', 'SUCCESSFUL') } });
    expect(store.on('crd-1')?.state).toBe('SUCCESSFUL');
    expect(isFinal(store.on('crd-1')!)).toBe(true);
    expect(isFinal(store.on('crd-2')!)).toBe(false);
    expect(store.latest?.id).toBe(1);
    store.track(op(3, 'crd-1', 'PENDING'));
    expect(store.on('crd-1')?.id).toBe(3);
  });
});
