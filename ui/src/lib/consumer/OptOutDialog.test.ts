import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const bindings = vi.hoisted(() => ({ optOutPreview: vi.fn(), write: vi.fn() }));
vi.mock('$lib/ipc/bindings', () => ({
  commands: { optOutPreview: bindings.optOutPreview, write: bindings.write },
  events: { operationChanged: { listen: vi.fn() } },
}));

import OptOutDialog from './OptOutDialog.svelte';
import { locale } from '$lib/i18n/index.svelte';
import { operations } from '$lib/operations/operations.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  locale.language = 'en';
  bindings.optOutPreview.mockResolvedValue({
    status: 'ok',
    data: [
      { scheme: 'VISA', cards: ['•••• 0421 (crd-1)'], consumerRemoved: true, unread: false },
      { scheme: 'MASTERCARD', cards: [], consumerRemoved: false, unread: true },
    ],
  });
  bindings.write.mockResolvedValue({
    status: 'ok',
    data: {
      id: 7, state: 'PENDING', operationId: 'op-7', detail: null, note: null, createdAt: '', updatedAt: '',
      kind: 'OPT_OUT_CARD', target: 'crd-1', reason: 'Closed', reasonCode: 'ISSUER_DECISION',
      correlationId: 'c', environment: 'sandbox', operator: 'me',
    },
  });
});

describe('the opt-out dialog', () => {
  it('shows what leaves which directory, including the last-card rule, then sends the card opt-out', async () => {
    const onclose = vi.fn();
    render(OptOutDialog, { consumerId: 'cons-1', cardId: 'crd-1', onclose });
    expect(await screen.findByText(/their last card there/)).toBeTruthy();
    expect(screen.getByTestId('unread').textContent).toMatch(/could not be read/);
    await fireEvent.input(screen.getByTestId('reason'), { target: { value: 'Closed' } });
    await fireEvent.click(screen.getByTestId('confirm'));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(bindings.write).toHaveBeenCalledWith({
      kind: 'OPT_OUT_CARD', target: 'crd-1', reason: 'Closed', userDecision: false,
    });
    expect(operations.on('crd-1')?.state).toBe('PENDING');
  });

  it('stays open and says why when the core refuses the write', async () => {
    bindings.write.mockResolvedValue({ status: 'error', error: { code: 'FORBIDDEN', message: 'role auditor may not' } });
    const onclose = vi.fn();
    render(OptOutDialog, { consumerId: 'cons-1', cardId: 'crd-9', onclose });
    await fireEvent.click(screen.getByTestId('confirm'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(locale.error('FORBIDDEN'));
    expect(alert.textContent).not.toContain('role auditor may not');
    expect(onclose).not.toHaveBeenCalled();
    expect(operations.on('crd-9')).toBeUndefined();
    expect((screen.getByTestId('confirm') as HTMLButtonElement).disabled).toBe(false);
  });

  it('refuses a reason D1 would refuse, as it is typed', async () => {
    render(OptOutDialog, { consumerId: 'cons-1', cardId: 'crd-1', onclose: () => {} });
    await fireEvent.input(screen.getByTestId('reason'), { target: { value: 'stolen!' } });
    expect(screen.getByText(/Only letters A–Z/)).toBeTruthy();
    expect((screen.getByTestId('confirm') as HTMLButtonElement).disabled).toBe(true);
  });

  it('needs the consumer id or last name typed before a consumer opt-out', async () => {
    render(OptOutDialog, { consumerId: 'cons-1', cardId: null, lastName: 'Sato', onclose: () => {} });
    const confirm = screen.getByTestId('confirm') as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('confirmation'), { target: { value: 'Tanaka' } });
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('confirmation'), { target: { value: 'sato' } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);
    await waitFor(() =>
      expect(bindings.write).toHaveBeenCalledWith({
        kind: 'OPT_OUT_CONSUMER', target: 'cons-1', reason: null, userDecision: false,
      }),
    );
  });

  it('takes the last name in kanji as the confirmation too', async () => {
    render(OptOutDialog, { consumerId: 'cons-1', cardId: null, lastName: 'Sato', lastNameKanji: '佐藤', onclose: () => {} });
    const confirm = screen.getByTestId('confirm') as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId('confirmation'), { target: { value: '佐藤' } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.input(screen.getByTestId('confirmation'), { target: { value: '鈴木' } });
    expect(confirm.disabled).toBe(true);
  });
});
