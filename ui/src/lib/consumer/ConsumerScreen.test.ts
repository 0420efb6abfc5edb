import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerView_Serialize } from '$lib/ipc/types';

const bindings = vi.hoisted(() => ({ consumerView: vi.fn(), optOutPreview: vi.fn(), updatePreview: vi.fn(), write: vi.fn() }));
vi.mock('$lib/ipc/bindings', async (real) => ({
  ...(await real<typeof import('$lib/ipc/bindings')>()),
  commands: {
    consumerView: bindings.consumerView,
    optOutPreview: bindings.optOutPreview,
    updatePreview: bindings.updatePreview,
    write: bindings.write,
  },
}));

import ConsumerScreen from './ConsumerScreen.svelte';
import { locale } from '$lib/i18n/index.svelte';
import { operations, type Operation } from '$lib/operations/operations.svelte';

/** A write this window sent on `target`, in `state`. */
function operation(id: number, target: string, state: Operation['state']): Operation {
  return {
    id,
    kind: 'UPDATE_CONSUMER',
    target,
    reason: null,
    reasonCode: 'ISSUER_DECISION',
    correlationId: `c-${id}`,
    environment: 'sandbox',
    operator: 'A-1',
    state,
    operationId: null,
    detail: null,
    note: null,
    createdAt: '2026-12-05T00:00:00Z',
    sentAt: '2026-12-05T00:00:00Z',
    updatedAt: '2026-12-05T00:00:00Z',
  };
}

const hostile = '<img src=x onerror=alert(1)>';

function view(): ConsumerView_Serialize {
  return {
    consumerId: 'cons-0001-email',
    bank: { state: 'unknown' },
    directories: [
      { scheme: 'VISA', state: 'notEnrolled' },
      { scheme: 'MASTERCARD', state: 'unavailable', problem: { code: 'UNREACHABLE', message: 'down' } },
    ],
    findings: [
      { kind: 'CONTACT_DIFFERS', severity: 'WARNING', directories: ['VISA', 'MASTERCARD'], cardId: null, field: 'email', action: 'UPDATE_CONSUMER' },
    ],
    rows: [
      { field: 'firstName', cardId: null, bank: hostile, cells: [{ value: 'Hanako', comparison: 'DIFFERENT' }, { value: null, comparison: null }] },
      { field: 'lastName', cardId: null, bank: 'Sato', cells: [{ value: 'ＳＡＴＯ', comparison: 'EQUAL_AFTER_NORMALISATION' }, { value: null, comparison: null }] },
      { field: 'email', cardId: null, bank: 'x'.repeat(5000), cells: [{ value: 'a@b', comparison: 'EQUAL' }, { value: null, comparison: null }] },
    ],
    complete: false,
    refreshedAt: '2026-11-25T05:00:00.000Z',
    correlationId: null,
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  locale.language = 'en';
  bindings.consumerView.mockResolvedValue({ status: 'ok', data: view() });
  bindings.optOutPreview.mockResolvedValue({ status: 'ok', data: [] });
  operations.byId = {};
  operations.latest = null;
});

const agent = {
  consumerId: 'cons-0001-email',
  allowed: ['search', 'view', 'optOutCard', 'optOutConsumer', 'enrol', 'update'] as const,
  role: 'agent',
};

describe('the consumer screen', () => {
  it('labels differences, shows findings, and keeps a failed directory to its column', async () => {
    render(ConsumerScreen, { consumerId: 'cons-0001-email', onback: () => {} });
    const grid = await screen.findByTestId('grid');
    const cells = within(grid).getAllByTestId('cell');
    expect(cells[0].textContent).toContain('differs');
    expect(cells[0].className).toContain('differs');
    expect(cells[2].textContent).toContain('same after normalisation');
    expect(cells[4].textContent).not.toContain('differs');
    expect(screen.getByTestId('column-MASTERCARD').textContent).toContain('could not be read');
    expect(screen.getByTestId('column-VISA').textContent).toContain('not enrolled');
    const finding = screen.getByTestId('finding');
    expect(finding.getAttribute('data-kind')).toBe('CONTACT_DIFFERS');
    expect(finding.textContent).toContain('update the directory from the bank’s record');
    // One finding for the field, naming each directory it differs in.
    expect(within(finding).getAllByTestId('finding-directory').map((d) => d.textContent)).toEqual(['VISA', 'MASTERCARD']);
    expect(screen.getByText(/findings may be incomplete/)).toBeTruthy();
    expect(bindings.consumerView).toHaveBeenCalledWith('cons-0001-email');
  });

  it('says when the bank’s record could not be read, with the reason, while the directories still show', async () => {
    bindings.consumerView.mockResolvedValue({
      status: 'ok',
      data: { ...view(), bank: { state: 'unavailable', problem: { code: 'UNREACHABLE', message: 'down' } } },
    });
    render(ConsumerScreen, { consumerId: 'cons-0001-email', onback: () => {} });
    expect((await screen.findByTestId('bank-unavailable')).textContent).toBe('The bank’s record could not be read.');
    expect(screen.getByTestId('column-VISA').textContent).toContain('not enrolled');
  });

  it('renders untrusted text as text', async () => {
    render(ConsumerScreen, { consumerId: 'cons-0001-email', onback: () => {} });
    const grid = await screen.findByTestId('grid');
    expect(grid.querySelector('img')).toBeNull();
    expect(grid.textContent).toContain(hostile);
  });

  it('speaks Japanese', async () => {
    locale.language = 'ja';
    render(ConsumerScreen, { consumerId: 'cons-0001-email', onback: () => {} });
    const grid = await screen.findByTestId('grid');
    expect(within(grid).getAllByTestId('cell')[0].textContent).toContain('相違');
    expect(screen.getByText('銀行にこの会員の記録はありません。')).toBeTruthy();
  });

  it('disables what the role may not do and says why', async () => {
    render(ConsumerScreen, {
      consumerId: 'cons-0001-email',
      onback: () => {},
      allowed: ['search', 'view', 'auditExport'],
      role: 'auditor',
    });
    await screen.findByTestId('grid');
    const act = screen.getByTestId('act') as HTMLButtonElement;
    expect(act.disabled).toBe(true);
    expect(act.title).toContain('Your role (auditor) does not allow this');
    expect((screen.getByTestId('opt-out-consumer') as HTMLButtonElement).disabled).toBe(true);
  });

  it('enables the actions of an agent', async () => {
    render(ConsumerScreen, {
      consumerId: 'cons-0001-email',
      onback: () => {},
      allowed: ['search', 'view', 'optOutCard', 'optOutConsumer', 'enrol', 'update'],
      role: 'agent',
    });
    await screen.findByTestId('grid');
    expect((screen.getByTestId('act') as HTMLButtonElement).disabled).toBe(false);
  });

  it('offers no second write on a target while one is unfinished, and says why', async () => {
    operations.track(operation(7, 'cons-0001-email', 'PENDING'));
    render(ConsumerScreen, { ...agent, allowed: [...agent.allowed], onback: () => {} });
    await screen.findByTestId('grid');
    const act = screen.getByTestId('act') as HTMLButtonElement;
    expect(act.disabled).toBe(true);
    expect(act.title).toContain('not finished');
    expect((screen.getByTestId('opt-out-consumer') as HTMLButtonElement).disabled).toBe(true);
    operations.track(operation(7, 'cons-0001-email', 'SUCCESSFUL'));
    await waitFor(() => expect(act.disabled).toBe(false));
  });

  it('closes an open dialog when the screen is read again, and Esc in a dialog stays on the screen', async () => {
    const onback = vi.fn();
    render(ConsumerScreen, { ...agent, allowed: [...agent.allowed], onback });
    await screen.findByTestId('grid');
    await fireEvent.click(screen.getByTestId('opt-out-consumer'));
    expect(screen.getByTestId('opt-out-dialog')).toBeTruthy();
    await fireEvent.keyDown(screen.getByTestId('opt-out-dialog'), { key: 'Escape' });
    expect(onback).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('refresh'));
    await waitFor(() => expect(screen.queryByTestId('opt-out-dialog')).toBeNull());
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(onback).toHaveBeenCalledTimes(1);
  });

  it('shows a write’s outcome on the screen, as it changes', async () => {
    bindings.write.mockResolvedValue({ status: 'ok', data: operation(9, 'cons-0001-email', 'PENDING') });
    bindings.updatePreview.mockResolvedValue({
      status: 'ok',
      data: [
        { scheme: 'VISA', field: 'firstName', from: hostile, to: 'Hanako' },
        { scheme: 'MASTERCARD', field: 'email', from: null, to: 'h@example.jp' },
      ],
    });
    render(ConsumerScreen, { ...agent, allowed: [...agent.allowed], onback: () => {} });
    await screen.findByTestId('grid');
    await fireEvent.click(screen.getByTestId('act'));
    // An update shows what changes where, and sends nothing until confirmed.
    const changes = await screen.findByTestId('update-changes');
    expect(changes.textContent).toContain('VISA');
    expect(changes.textContent).toContain('Hanako');
    expect(changes.textContent).toContain(hostile);
    expect(bindings.updatePreview).toHaveBeenCalledWith('UPDATE_CONSUMER', 'cons-0001-email');
    expect(screen.getByTestId('update-confirm').textContent).toContain('VISA, MASTERCARD');
    expect(bindings.write).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('update-confirm'));
    expect(bindings.write).toHaveBeenCalledTimes(1);
    const result = await screen.findByTestId('write-result');
    expect(result.textContent).toContain('Consumer update of cons-0001-email: pending');
    await waitFor(() => expect(document.activeElement).toBe(result));
    operations.track({ ...operation(9, 'cons-0001-email', 'FAILED'), detail: 'D1 refused it' });
    await waitFor(() => expect(result.textContent).toContain('failed'));
    expect(result.textContent).toContain('D1 refused it');
  });

  it('names each card by network and last 4 with its cardId, highlights a closed card still enrolled, and gives it its own opt-out', async () => {
    const card = (cardId: string, last4: string, status: 'OPEN' | 'CLOSED') => ({
      cardId,
      scheme: 'VISA',
      bin: null,
      last4,
      expiry: '0228',
      cardholderName: 'SAKURA SATO',
      billingAddress: { line1: '1', line2: null, line3: null, city: 'Fukuoka', state: '40', zipCode: '8100001', countryCode: 'JP' },
      status,
    });
    const closed: ConsumerView_Serialize = {
      ...view(),
      bank: {
        state: 'found',
        record: {
          consumerId: 'cons-0001-email',
          nameLatin: { first: 'Sakura', last: 'Sato' },
          nameKanji: null,
          nameKana: null,
          email: 's@example.jp',
          phoneCountryCode: '+81',
          phoneNumber: '9048300509',
          language: 'ja-JP',
          cards: [card('crd-x', '0421', 'CLOSED'), card('crd-y', '0999', 'OPEN')],
        },
      },
      directories: [
        { scheme: 'VISA', state: 'notEnrolled' },
        { scheme: 'MASTERCARD', state: 'notEnrolled' },
      ],
      findings: [{ kind: 'CARD_CLOSED_BUT_ENROLLED', severity: 'CRITICAL', directories: ['VISA'], cardId: 'crd-x', field: null, action: 'OPT_OUT_CARD' }],
      rows: [
        { field: 'card', cardId: 'crd-x', bank: '0421', cells: [{ value: '0421', comparison: 'EQUAL' }, { value: null, comparison: null }] },
        { field: 'card', cardId: 'crd-y', bank: '0999', cells: [{ value: null, comparison: null }, { value: null, comparison: null }] },
      ],
    };
    bindings.consumerView.mockResolvedValue({ status: 'ok', data: closed });
    render(ConsumerScreen, { ...agent, allowed: [...agent.allowed], onback: () => {} });
    const rows = await screen.findAllByTestId('card-row');
    expect(rows[0].textContent).toContain('VISA •••• 0421');
    expect(rows[0].textContent).toContain('crd-x');
    expect(rows[0].className).toContain('closed-enrolled');
    expect(within(rows[0]).getByTestId('closed-enrolled').textContent).toContain('Closed at the bank');
    expect(rows[1].className).not.toContain('closed-enrolled');
    // Only a card a directory lists can be opted out, from its own row.
    expect(within(rows[1]).queryByTestId('card-opt-out')).toBeNull();
    await fireEvent.click(within(rows[0]).getByTestId('card-opt-out'));
    expect(await screen.findByTestId('opt-out-dialog')).toBeTruthy();

    // After its opt-out succeeded, the directory's empty cell says so.
    operations.track({ ...operation(4, 'crd-x', 'SUCCESSFUL'), kind: 'OPT_OUT_CARD' });
    closed.rows[0].cells[0] = { value: null, comparison: null };
    bindings.consumerView.mockResolvedValue({ status: 'ok', data: closed });
    await fireEvent.click(screen.getByTestId('refresh'));
    await waitFor(() => expect(within(screen.getAllByTestId('card-row')[0]).getAllByTestId('opted-out')).toHaveLength(1));
    const cells = within(screen.getAllByTestId('card-row')[0]).getAllByTestId('cell');
    expect(cells[0].textContent).toContain('opted out');
    expect(cells[1].textContent).not.toContain('opted out');
  });
});
