import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ParsedList } from '$lib/ipc/types';

const bindings = vi.hoisted(() => ({ batches: vi.fn(), batchCheck: vi.fn() }));
vi.mock('$lib/ipc/bindings', () => ({ commands: bindings, events: {}, DRY_RUN_LIFETIME_SECONDS: 300 }));

import BatchScreen from './BatchScreen.svelte';
import { locale } from '$lib/i18n/index.svelte';

const checked: ParsedList = {
  targets: [{ kind: 'card', id: 'crd-1', line: 1 }],
  invalid: [
    { line: 2, text: 'what is this?', reason: 'KIND_MISSING', why: 'say what this id is: card:ID or consumer:ID' },
    { line: 3, text: 'card:has space', reason: 'BAD_ID', why: 'cardId "has space" is not a valid cardId' },
  ],
  duplicates: 0,
};

beforeEach(() => {
  vi.clearAllMocks();
  bindings.batches.mockResolvedValue({ status: 'ok', data: [] });
  bindings.batchCheck.mockResolvedValue(checked);
});

describe('the batch screen', () => {
  it('says why each line was skipped in the operator’s language, with D1’s id rule as it came', async () => {
    locale.language = 'ja';
    render(BatchScreen, { allowed: ['batchOptOut'], role: 'fraud' });
    await fireEvent.input(screen.getByTestId('batch-list'), { target: { value: 'card:crd-1\nwhat is this?\ncard:has space' } });
    await fireEvent.click(screen.getByTestId('batch-check'));
    const why = await screen.findAllByTestId('invalid-why');
    expect(why.map((w) => w.textContent?.trim())).toEqual([
      'ID の種類を指定してください:card:ID または consumer:ID',
      expect.stringMatching(/^有効な ID ではありません:\s*cardId "has space" is not a valid cardId$/),
    ]);
  });

  it('offers Start for an unfinished batch that never started, Resume for one that did', async () => {
    locale.language = 'en';
    const made = (id: string, state: 'READY' | 'RUNNING') => ({
      batch: { id, environment: 'sandbox', operator: 'F-1', reasonCode: 'ISSUER_DECISION', reason: null, state, createdAt: '2026-12-05T00:00:00Z', updatedAt: '', previewedAt: null },
      progress: { total: 2, successful: 0, failed: 0, unknown: 0, pending: 0, notSent: 2, skipped: 0, notFound: 0, perSecond: 0, etaSeconds: null, concurrency: 8, paused: false },
      running: false,
    });
    bindings.batches.mockResolvedValue({ status: 'ok', data: [made('b-1', 'READY'), made('b-2', 'RUNNING')] });
    render(BatchScreen, { allowed: ['batchOptOut'], role: 'fraud' });
    const buttons = await screen.findAllByTestId('batch-earlier-run');
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(['Start', 'Resume']);
  });
});
