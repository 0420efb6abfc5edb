import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: {}, events: {} }));

import type { ProfileAudit_Serialize } from '$lib/ipc/types';
import { ProfileAuditJob, countByKind, type ProfileAuditCalls } from './profileAudit.svelte';

const ok = <T>(data: T) => Promise.resolve({ status: 'ok' as const, data });

const finding = (
  kind: 'CONTACT_DIFFERS' | 'CARD_NOT_ENROLLED' | 'CARD_CLOSED_BUT_ENROLLED',
  severity: 'WARNING' | 'INFO' | 'CRITICAL' = 'WARNING',
) => ({
  kind,
  severity,
  directories: ['VISA'],
  cardId: null,
  field: null,
  action: 'UPDATE_CONSUMER' as const,
});

const audit: ProfileAudit_Serialize = {
  id: 'pa-1',
  environment: 'sandbox',
  operator: 'auditor-1',
  scope: { kind: 'listed', count: 2 },
  startedAt: '2026-11-27T09:00:00Z',
  finishedAt: '2026-11-27T09:00:01Z',
  cancelled: false,
  invalid: [],
  consumers: [
    { consumerId: 'cons-1', findings: [finding('CONTACT_DIFFERS'), finding('CARD_NOT_ENROLLED', 'INFO')], tokenFindings: [], unread: [], notFound: false },
    { consumerId: 'cons-2', findings: [finding('CARD_NOT_ENROLLED', 'INFO'), finding('CARD_CLOSED_BUT_ENROLLED', 'CRITICAL')], tokenFindings: [], unread: [], notFound: false },
    { consumerId: 'cons-3', findings: [finding('CARD_NOT_ENROLLED', 'INFO')], tokenFindings: [], unread: [], notFound: false },
  ],
};

function calls(overrides: Partial<ProfileAuditCalls> = {}): ProfileAuditCalls {
  return {
    chooseFile: vi.fn(() => ok({ token: 'tok-2', name: 'consumers.txt' })),
    readListFile: vi.fn(() => ok('cons-1\ncons-2\n')),
    auditProfiles: vi.fn(() => ok({ audit, files: { csv: '/x/pa-1-findings.csv', html: '/x/pa-1.html' } })),
    batchControl: vi.fn(() => ok(null)),
    onProgress: vi.fn(() => Promise.resolve(() => {})),
    openReport: vi.fn(() => ok(null)),
    ...overrides,
  };
}

describe('the profile audit screen', () => {
  it('counts findings by kind, the most severe first, then the most frequent', () => {
    expect(countByKind(audit)).toEqual([
      { kind: 'CARD_CLOSED_BUT_ENROLLED', count: 1, severity: 'CRITICAL' },
      { kind: 'CONTACT_DIFFERS', count: 1, severity: 'WARNING' },
      { kind: 'CARD_NOT_ENROLLED', count: 3, severity: 'INFO' },
    ]);
  });

  it('opens the finished audit’s report by its id, never by a path', async () => {
    const c = calls();
    const job = new ProfileAuditJob(c);
    job.text = 'cons-1';
    await job.start('en');
    await job.openReport();
    expect(c.openReport).toHaveBeenCalledWith('pa-1');
  });

  it('audits a loaded list or a search, and keeps the report’s files', async () => {
    const c = calls();
    const job = new ProfileAuditJob(c);
    expect(job.ready).toBe(false);
    await job.loadFile('Load');
    expect(c.readListFile).toHaveBeenCalledWith('tok-2', 'auditProfiles');
    expect(job.text).toBe('cons-1\ncons-2\n');
    await job.start('en');
    expect(c.auditProfiles).toHaveBeenCalledWith({ kind: 'list', text: 'cons-1\ncons-2\n' }, 8, 'en');
    expect(job.done?.files.html).toBe('/x/pa-1.html');
    expect(job.running).toBe(false);

    job.scope = 'matching';
    job.query = '  tanaka ';
    await job.start('ja');
    expect(c.auditProfiles).toHaveBeenLastCalledWith({ kind: 'matching', text: 'tanaka' }, 8, 'ja');
  });

  it('shows the core’s words when the list holds no consumer', async () => {
    const c = calls({
      auditProfiles: vi.fn(() =>
        Promise.resolve({ status: 'error' as const, error: { code: 'INVALID_INPUT' as const, message: 'the list holds no valid consumerId' } }),
      ),
    });
    const job = new ProfileAuditJob(c);
    job.text = 'card:1';
    await job.start('en');
    expect(job.problem).toEqual({ code: 'INVALID_INPUT', detail: 'the list holds no valid consumerId' });
    expect(job.done).toBeNull();
  });
});
