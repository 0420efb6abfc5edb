import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: {}, events: {}, DRY_RUN_LIFETIME_SECONDS: 300 }));

import type { Progress_Serialize } from '$lib/ipc/types';
import { BatchOptOut, type BatchCalls } from './batch.svelte';

const ok = <T>(data: T) => Promise.resolve({ status: 'ok' as const, data });

const batch = {
  id: 'b-1',
  environment: 'sandbox',
  operator: 'fraud-1',
  reasonCode: 'ISSUER_DECISION',
  reason: null,
  state: 'READY' as const,
  createdAt: '2026-11-27T09:00:00Z',
  updatedAt: '',
  previewedAt: null,
  action: 'OPT_OUT' as const,
  tokenFilter: null,
};

function progress(overrides: Partial<Progress_Serialize> = {}): Progress_Serialize {
  return {
    total: 3,
    successful: 0,
    failed: 0,
    unknown: 0,
    pending: 0,
    notSent: 3,
    skipped: 0,
    notFound: 0,
    perSecond: 0,
    etaSeconds: null,
    concurrency: 8,
    paused: false,
    waiting: null,
    ...overrides,
  };
}

function calls(overrides: Partial<BatchCalls> = {}): BatchCalls & { emit: (p: Progress_Serialize) => void } {
  let listener: ((id: string, p: Progress_Serialize) => void) | null = null;
  return {
    chooseFile: vi.fn(() => ok({ token: 'tok-1', name: 'cards.csv' })),
    readListFile: vi.fn(() => ok('cardId\ncard-1\n')),
    batchCheck: vi.fn(() =>
      Promise.resolve({
        targets: [{ kind: 'card' as const, id: 'card-1', line: 1 }],
        invalid: [{ line: 2, text: 'what', reason: 'KIND_MISSING' as const, why: 'say what this id is' }],
        duplicates: 1,
      }),
    ),
    batchCreate: vi.fn(() => ok(batch)),
    tokenBatchCreate: vi.fn(() => ok({ ...batch, action: 'SUSPEND_TOKENS' as const, tokenFilter: 'MER0000003' })),
    batchPreview: vi.fn(() =>
      ok([
        { seq: 1, kind: 'card' as const, target: 'card-1', name: 'VISA •••• 1111', removals: [{ scheme: 'VISA', cards: ['•••• 1111'], consumerRemoved: false, unread: false }], nothingToDo: false, notFound: false, error: null, tokens: [] },
        { seq: 2, kind: 'card' as const, target: 'card-2', name: 'VISA •••• 2222', removals: [], nothingToDo: true, notFound: false, error: null, tokens: [] },
        { seq: 3, kind: 'card' as const, target: 'cons-0001-ok', name: null, removals: [], nothingToDo: false, notFound: true, error: 'the bank knows no card', tokens: [] },
      ]),
    ),
    batchRun: vi.fn(async () => {
      listener?.('b-1', progress({ successful: 1, notSent: 2, perSecond: 10 }));
      listener?.('other', progress({ successful: 99 }));
      return ok(progress({ successful: 2, skipped: 1, notSent: 0 }));
    }),
    batchControl: vi.fn(() => ok(null)),
    batches: vi.fn(() => ok([])),
    batchReport: vi.fn(() => ok({ path: '/exports/b-1-report.csv', records: 3 })),
    batchDiscard: vi.fn(() => ok(null)),
    batchTakeover: vi.fn(async () => {
      listener?.('b-9', progress({ successful: 1, notSent: 2 }));
      return ok(progress({ successful: 3, notSent: 0 }));
    }),
    teamBatches: vi.fn(() => ok([])),
    teamBatchControl: vi.fn(() => ok(null)),
    onTeamBatchChanged: vi.fn(() => Promise.resolve(() => {})),
    onProgress: vi.fn((l) => {
      listener = l;
      return Promise.resolve(() => (listener = null));
    }),
    onPreviewed: vi.fn(() => Promise.resolve(() => {})),
    emit: (p) => listener?.('b-1', p),
    ...overrides,
  };
}

describe('the batch opt-out screen', () => {
  it('checks, reads the dry run, runs with progress of its own batch only, and saves the report', async () => {
    const c = calls();
    const job = new BatchOptOut(c);
    await job.loadFile('Load');
    expect(c.readListFile).toHaveBeenCalledWith('tok-1', 'batchOptOut');
    expect(job.text).toBe('cardId\ncard-1\n');
    await job.check();
    expect(job.phase).toBe('checked');
    expect(job.list?.invalid[0].why).toBe('say what this id is');

    job.reason = 'Card compromised';
    await job.dryRun();
    expect(c.batchCreate).toHaveBeenCalledWith('cardId\ncard-1\n', 'card', false, 'Card compromised');
    expect(job.phase).toBe('previewed');
    expect(job.toSend).toBe(1);

    const seen: number[] = [];
    const run = job.run();
    seen.push(job.progress?.successful ?? -1);
    await run;
    expect(seen).toEqual([1]);
    expect(job.phase).toBe('ended');
    expect(job.progress?.successful).toBe(2);
    expect(c.batchRun).toHaveBeenCalledWith('b-1', 8);

    await job.saveReport();
    expect(job.report?.path).toBe('/exports/b-1-report.csv');
  });

  it('makes a token batch of one merchant’s tokens and counts the tokens it lists', async () => {
    const c = calls({
      batchPreview: vi.fn(() =>
        ok([
          { seq: 0, kind: 'card' as const, target: 'card-1', name: null, removals: [], nothingToDo: false, notFound: false, error: null, tokens: ['Kumo Streaming •••• 1 (dc-1)', 'Kumo Streaming •••• 2 (dc-2)'] },
          { seq: 1, kind: 'card' as const, target: 'card-2', name: null, removals: [], nothingToDo: true, notFound: false, error: null, tokens: [] },
        ]),
      ),
    });
    const job = new BatchOptOut(c);
    job.edit('card:card-1\ncard:card-2');
    await job.check();
    job.action = 'SUSPEND_TOKENS';
    job.tokenFilter = ' MER0000003 ';
    job.reason = 'Merchant breach';
    await job.dryRun();
    expect(c.tokenBatchCreate).toHaveBeenCalledWith('card:card-1\ncard:card-2', 'SUSPEND_TOKENS', 'MER0000003', 'FRAUD_DETECTED', 'Merchant breach');
    expect(c.batchCreate).not.toHaveBeenCalled();
    expect(job.toSend).toBe(2);
  });

  it('refuses a reason D1 would refuse before anything is made', async () => {
    const c = calls();
    const job = new BatchOptOut(c);
    job.text = 'card:card-1';
    await job.check();
    job.reason = 'stolen <card>';
    expect(job.reasonProblem).toBe('reason.characters');
    await job.dryRun();
    expect(c.batchCreate).not.toHaveBeenCalled();
  });

  it('shows the core’s refusal (a role that may not) and stays on the list', async () => {
    const c = calls({
      batchCreate: vi.fn(() => Promise.resolve({ status: 'error' as const, error: { code: 'FORBIDDEN' as const, message: 'role agent may not run a batch opt-out' } })),
    });
    const job = new BatchOptOut(c);
    job.text = 'card:card-1';
    await job.check();
    await job.dryRun();
    expect(job.problem).toMatchObject({ code: 'FORBIDDEN' });
    expect(job.phase).toBe('checked');
    expect(c.batchPreview).not.toHaveBeenCalled();
  });

  it('pauses, resumes and cancels through the run’s control', async () => {
    const c = calls();
    const job = new BatchOptOut(c);
    job.batch = batch;
    await job.control('pause');
    expect(job.paused).toBe(true);
    await job.control('run');
    expect(job.paused).toBe(false);
    await job.control('cancel');
    expect(c.batchControl).toHaveBeenLastCalledWith('b-1', 'cancel');
  });

  it('discards an abandoned batch and lists the batches again, or shows why not', async () => {
    const earlier = { batch, progress: progress(), running: false };
    const c = calls({
      batches: vi.fn().mockReturnValueOnce(ok([earlier])).mockReturnValueOnce(ok([{ ...earlier, batch: { ...batch, state: 'DISCARDED' as const } }])),
    });
    const job = new BatchOptOut(c);
    await job.loadEarlier();
    expect(job.earlier[0].batch.state).toBe('READY');
    await job.discard('b-1');
    expect(c.batchDiscard).toHaveBeenCalledWith('b-1');
    expect(job.earlier[0].batch.state).toBe('DISCARDED');

    c.batchDiscard = vi.fn(() => Promise.resolve({ status: 'error' as const, error: { code: 'FORBIDDEN' as const, message: 'agents may not' } }));
    await job.discard('b-1');
    expect(job.problem).toEqual({ code: 'FORBIDDEN' });
    expect(c.batches).toHaveBeenCalledTimes(2);
  });

  it('editing the list after a check asks for a new check', async () => {
    const job = new BatchOptOut(calls());
    job.text = 'card:card-1';
    await job.check();
    job.edit('card:card-2');
    expect(job.phase).toBe('edit');
    expect(job.list).toBeNull();
  });

  it('discards the abandoned dry run when starting over', async () => {
    const c = calls();
    const job = new BatchOptOut(c);
    job.text = 'card:card-1';
    await job.check();
    await job.dryRun();
    await job.reset();
    expect(c.batchDiscard).toHaveBeenCalledWith('b-1');
    expect(job.phase).toBe('edit');
    expect(job.batch).toBeNull();
  });

  it('reads a dry run older than five minutes again and waits for Start before sending', async () => {
    const old = new Date(Date.now() - 6 * 60 * 1000).toISOString();
    const earlier = { ...batch, id: 'b-0', previewedAt: old };
    const c = calls({
      batches: vi.fn(() => ok([{ batch: earlier, progress: progress(), running: false }])),
    });
    const job = new BatchOptOut(c);
    await job.loadEarlier();
    await job.run('b-0');
    expect(c.batchPreview).toHaveBeenCalledWith('b-0');
    expect(c.batchRun).not.toHaveBeenCalled();
    expect(job.reread).toBe(true);
    expect(job.phase).toBe('previewed');
    await job.run();
    expect(c.batchRun).toHaveBeenCalledWith('b-0', 8);
  });

  it('takes over a team batch whose runner stopped, follows its progress, and asks another runner to pause', async () => {
    const stalled = {
      id: 'b-9',
      environment: 'https://d1.example/v1 ISSUER0001',
      operator: 'F-0001',
      workstation: 'WS-1',
      reasonCode: 'ISSUER_DECISION',
      reason: null,
      state: 'RUNNING',
      why: null,
      control: 'RUN',
      runnerOperator: 'F-0001',
      runnerWorkstation: 'WS-1',
      leaseUntil: '2026-12-06T10:00:00.000Z',
      stalled: true,
      createdAt: '2026-12-06T09:00:00.000Z',
      counts: [['SUCCESSFUL', 60] as [string, number], ['NOT_SENT', 140] as [string, number]],
    };
    const c = calls({ teamBatches: vi.fn(() => ok([stalled])) });
    const job = new BatchOptOut(c);
    await job.loadTeam();
    expect(job.team).toEqual([stalled]);
    await job.takeover('b-9');
    expect(c.batchTakeover).toHaveBeenCalledWith('b-9', job.concurrency);
    expect(c.batchRun).not.toHaveBeenCalled();
    expect(job.batch?.id).toBe('b-9');
    expect(job.progress?.successful).toBe(3);
    await job.ask('b-9', 'pause');
    expect(c.teamBatchControl).toHaveBeenCalledWith('b-9', 'pause');
  });
});
