import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '$lib/ipc/types';
import { lastOnTokens, who } from './history';

const entry = (id: string, operation: string, over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at: '2026-12-06T10:00:00.000Z',
  operation,
  kind: null,
  status: 'SUCCESSFUL',
  subject: { kind: 'token', cardId: 'crd-1', digitalCardId: id, holder: 'Sakura Books' },
  requestor: 'TSP',
  requestorName: null,
  operator: null,
  workstation: null,
  operationId: `op-${operation}`,
  reasonCode: null,
  ...over,
});

describe('the history', () => {
  it('gives each token its newest operation (the entries come newest first)', () => {
    const last = lastOnTokens([entry('dc-1', 'RESUME'), entry('dc-2', 'DELETE'), entry('dc-1', 'SUSPEND')]);
    expect(last.get('dc-1')?.operation).toBe('RESUME');
    expect(last.get('dc-2')?.operation).toBe('DELETE');
    expect(last.size).toBe(2);
  });
  it('names a merchant by its name, a hidden character shown as its code', () => {
    const t = (key: string) => key;
    expect(who(entry('dc-1', 'DELETE', { requestorName: 'Kumo\u202e' }), t as never)).toBe('Kumo⟨U+202E⟩ (requestor.TSP)');
  });
});
