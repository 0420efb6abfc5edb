import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Entry_Serialize as Entry } from '$lib/ipc/types';

const bindings = vi.hoisted(() => ({ operations: vi.fn() }));
vi.mock('$lib/ipc/bindings', () => ({ commands: { operations: bindings.operations } }));

import OperationsScreen from './OperationsScreen.svelte';
import { locale } from '$lib/i18n/index.svelte';

function entry(id: number, state: Entry['state'], note: Entry['note'], detail: string | null): Entry {
  return {
    id,
    kind: 'OPT_OUT_CARD',
    target: `crd-${id}`,
    reason: null,
    reasonCode: 'ISSUER_DECISION',
    correlationId: `cid-${id}`,
    environment: 'sandbox',
    operator: 'agent-1',
    state,
    operationId: null,
    detail,
    note,
    createdAt: '2026-11-27T09:00:00.000Z',
    sentAt: '2026-11-27T09:00:00.100Z',
    updatedAt: '2026-11-27T09:00:01.000Z',
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  bindings.operations.mockResolvedValue({
    status: 'ok',
    data: [
      entry(3, 'SUCCESSFUL', 'RESOLVED_FROM_D1', "resolved from D1's operations list"),
      entry(2, 'FAILED', 'NOT_APPLIED', 'D1 has no record of this write: it was not applied, and it is safe to send it again'),
      entry(1, 'FAILED', null, 'CARD_NOT_FOUND'),
    ],
  });
});

describe('the operations screen', () => {
  it('says what was done about an unknown outcome in the operator’s language, and D1’s own words as they came', async () => {
    locale.language = 'ja';
    render(OperationsScreen);
    const details = await screen.findAllByTestId('operation-detail');
    expect(details.map((d) => d.textContent)).toEqual([
      '結果が不明だったため、D1 の操作一覧で確認しました。',
      'D1 に記録がありません:適用されていないため、再送しても安全です。',
      'CARD_NOT_FOUND',
    ]);
    locale.language = 'en';
    await vi.waitFor(() => expect(details[1].textContent).toBe('D1 has no record of it: it was not applied, and it is safe to send it again.'));
  });
});
