import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import TeamVerdict from './TeamVerdict.svelte';
import type { TeamVerification } from '$lib/ipc/types';

const chain = {
  summary: {
    chain: 'chain-0123456789abcdef0123456789abcdef',
    workstation: 'WS-17',
    account: 'alice',
    operator: 'A-0042',
    firstReceived: '2026-12-06T09:00:00.000Z',
    lastSeq: 12,
  },
  records: 12,
  firstGap: null,
  firstBroken: null,
  unverified: 0,
};
const alert = (kind: string) => ({
  at: '2026-12-06T09:05:00.000Z',
  kind,
  login: 'ws17',
  chain: chain.summary.chain,
  seq: 13,
  detail: 'record 13 of chain … does not link',
});

describe('TeamVerdict', () => {
  it('is green only when every chain is whole and no critical alert was raised', () => {
    const whole: TeamVerification = { chains: [chain], alerts: [alert('clock')] };
    const { unmount } = render(TeamVerdict, { verification: whole });
    expect(screen.getByText(/Team trail intact: 1 chain checked/).classList.contains('broken')).toBe(false);
    unmount();

    render(TeamVerdict, { verification: { chains: [chain], alerts: [alert('clock'), alert('fork')] } });
    const verdict = screen.getByText(/but it raised 1 critical alert/);
    expect(verdict.classList.contains('broken')).toBe(true);
    expect(screen.getByText('Fork: a record differs from the copy held')).toBeTruthy();
    expect(screen.getByText("Workstation's clock off")).toBeTruthy();
  });
});
