import {
  commands,
  DRY_RUN_LIFETIME_SECONDS,
  events,
  type Batch_Serialize as Batch,
  type BatchAction,
  type TokenReason,
  type BatchStatus_Serialize,
  type ExportDone,
  type ParsedList,
  type PickedFile,
  type Preview_Serialize as Preview,
  type Progress_Serialize,
  type RunControl,
  type TargetKind,
  type TeamBatch,
} from '$lib/ipc/bindings';
import { call, type Answer } from '$lib/ipc/call';
import { detailedProblemOf, problemOf, type Problem } from '$lib/common/errors';
import { reasonProblem } from '$lib/common/reason';

type Unlisten = Promise<() => void>;

/** What a list file is read for: the core checks the role for it. */
export type ListPurpose = 'batchOptOut' | 'auditProfiles';

/** The commands and events the batch screen uses, replaceable in tests. */
export interface BatchCalls {
  chooseFile: (purpose: 'list', title: string) => Promise<Answer<PickedFile | null>>;
  readListFile: (token: string, purpose: ListPurpose) => Promise<Answer<string>>;
  batchCheck: (text: string, bare: TargetKind | null) => Promise<ParsedList>;
  batchCreate: (text: string, bare: TargetKind | null, userDecision: boolean, reason: string | null) => Promise<Answer<Batch>>;
  tokenBatchCreate: (
    text: string,
    action: BatchAction,
    filter: string | null,
    reasonCode: TokenReason,
    reason: string | null,
  ) => Promise<Answer<Batch>>;
  batchPreview: (batchId: string) => Promise<Answer<Preview[]>>;
  batchRun: (batchId: string, concurrency: number) => Promise<Answer<Progress_Serialize>>;
  batchControl: (batchId: string | null, control: RunControl) => Promise<Answer<null>>;
  batches: () => Promise<Answer<BatchStatus_Serialize[]>>;
  batchReport: (batchId: string) => Promise<Answer<ExportDone>>;
  batchDiscard: (batchId: string) => Promise<Answer<null>>;
  batchTakeover: (batchId: string, concurrency: number) => Promise<Answer<Progress_Serialize>>;
  teamBatches: () => Promise<Answer<TeamBatch[]>>;
  teamBatchControl: (batchId: string, control: RunControl) => Promise<Answer<null>>;
  onTeamBatchChanged: (listener: (batchId: string) => void) => Unlisten;
  onProgress: (listener: (batchId: string, progress: Progress_Serialize) => void) => Unlisten;
  onPreviewed: (listener: (batchId: string, read: number) => void) => Unlisten;
}

const tauriCalls: BatchCalls = {
  chooseFile: (purpose, title) => commands.chooseFile(purpose, title),
  readListFile: (token, purpose) => commands.readListFile(token, purpose),
  batchCheck: (text, bare) => commands.batchCheck(text, bare),
  batchCreate: (text, bare, userDecision, reason) => commands.batchCreate(text, bare, userDecision, reason),
  tokenBatchCreate: (text, action, filter, reasonCode, reason) => commands.tokenBatchCreate(text, action, filter, reasonCode, reason),
  batchPreview: (id) => commands.batchPreview(id),
  batchRun: (id, concurrency) => commands.batchRun(id, concurrency),
  batchControl: (id, control) => commands.batchControl(id, control),
  batches: () => commands.batches(),
  batchReport: (id) => commands.batchReport(id),
  batchDiscard: (id) => commands.batchDiscard(id),
  batchTakeover: (id, concurrency) => commands.batchTakeover(id, concurrency),
  teamBatches: () => commands.teamBatches(),
  teamBatchControl: (id, control) => commands.teamBatchControl(id, control),
  onTeamBatchChanged: (listener) => events.teamBatchChanged.listen((e) => listener(e.payload.batchId)),
  onProgress: (listener) => events.batchProgress.listen((e) => listener(e.payload.batchId, e.payload.progress)),
  onPreviewed: (listener) => events.batchPreviewProgress.listen((e) => listener(e.payload.batchId, e.payload.read)),
};

/** The calls that pick a list file and read it. */
export type ListFileCalls = Pick<BatchCalls, 'chooseFile' | 'readListFile'>;

/**
 * Lets the operator pick a list file in the system's picker and has the core read it: its
 * text, `null` when they cancel, or the problem to show (with the core's words on the file).
 */
export async function pickListFile(
  calls: ListFileCalls,
  title: string,
  purpose: ListPurpose,
): Promise<{ text: string } | { problem: Problem } | null> {
  let picked: PickedFile | null;
  try {
    picked = await call(calls.chooseFile('list', title));
  } catch (error) {
    return { problem: problemOf(error) };
  }
  if (picked === null) return null;
  try {
    return { text: await call(calls.readListFile(picked.token, purpose)) };
  } catch (error) {
    return { problem: detailedProblemOf(error) };
  }
}

/** The default and the bounds of writes at a time (the core enforces them too). */
export const CONCURRENCY = { default: 8, min: 1, max: 32 } as const;

/** Where the batch screen is: writing the list, checked, dry run read, running, ended. */
export type BatchPhase = 'edit' | 'checked' | 'previewed' | 'running' | 'ended';

/**
 * The fraud team's batch opt-out: paste or load a list, check it (invalid lines listed, repeats
 * merged), make the batch and read its dry run, then run it with live progress, pause, resume
 * and cancel, and save its report. Every step is journaled by the core, so a batch left by a
 * crash shows in `earlier` and resumes from there.
 */
export class BatchOptOut {
  phase = $state<BatchPhase>('edit');
  text = $state('');
  bare = $state<TargetKind | null>('card');
  userDecision = $state(false);
  reason = $state('');
  /** What the batch does: opt out, or suspend or delete the listed cards' tokens. */
  action = $state<BatchAction>('OPT_OUT');
  /** A token batch: only the tokens of this merchant or token requestor (empty: all). */
  tokenFilter = $state('');
  /** A token batch's reason code. */
  tokenReason = $state<TokenReason>('FRAUD_DETECTED');
  concurrency = $state<number>(CONCURRENCY.default);
  list = $state<ParsedList | null>(null);
  batch = $state<Batch | null>(null);
  previews = $state<Preview[]>([]);
  previewRead = $state(0);
  progress = $state<Progress_Serialize | null>(null);
  paused = $state(false);
  report = $state<ExportDone | null>(null);
  earlier = $state<BatchStatus_Serialize[]>([]);
  /** The fraud team's batches in the team store (team mode), newest first. */
  team = $state<TeamBatch[]>([]);
  busy = $state(false);
  problem = $state<Problem | null>(null);
  /** The dry run was read again before starting, as the last one was too old: confirm. */
  reread = $state(false);
  /** When this window last read each batch's dry run (ms since the epoch). */
  #previewed: Record<string, number> = {};
  readonly #calls: BatchCalls;

  constructor(calls: BatchCalls = tauriCalls) {
    this.#calls = calls;
  }

  /** Why the reason would be refused by D1, or null. */
  get reasonProblem() {
    return reasonProblem(this.reason);
  }

  /** Writes that would be sent: a token batch's tokens, or the entries the dry run did not
   * mark as nothing to do or not found. */
  get toSend(): number {
    if (this.action !== 'OPT_OUT') return this.previews.reduce((n, p) => n + p.tokens.length, 0);
    return this.previews.filter((p) => !p.nothingToDo && !p.notFound).length;
  }

  /** Runs `work`, showing its failure; true when it succeeded. */
  async #step<T>(work: () => Promise<Answer<T>>, then: (data: T) => void, detailed = false): Promise<boolean> {
    this.busy = true;
    this.problem = null;
    try {
      then(await call(work()));
      return true;
    } catch (error) {
      this.problem = detailed ? detailedProblemOf(error) : problemOf(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Loads a list file chosen in the system's picker into the list box. */
  async loadFile(title: string) {
    this.problem = null;
    const picked = await pickListFile(this.#calls, title, 'batchOptOut');
    if (picked && 'problem' in picked) this.problem = picked.problem;
    else if (picked) this.edit(picked.text);
  }

  /** The list changed: back to editing. */
  edit(text: string) {
    this.text = text;
    this.phase = 'edit';
    this.list = null;
  }

  /** Checks the list: nothing is stored or sent. */
  async check() {
    this.problem = null;
    this.list = await this.#calls.batchCheck(this.text, this.bare);
    this.phase = 'checked';
  }

  /** Makes the batch and reads what each entry would remove (the dry run). */
  async dryRun() {
    if (this.reasonProblem) return;
    const reason = this.reason.trim() === '' ? null : this.reason.trim();
    const filter = this.tokenFilter.trim() === '' ? null : this.tokenFilter.trim();
    const made = await this.#step(
      () =>
        this.action === 'OPT_OUT'
          ? this.#calls.batchCreate(this.text, this.bare, this.userDecision, reason)
          : this.#calls.tokenBatchCreate(this.text, this.action, filter, this.tokenReason, reason),
      (batch) => (this.batch = batch),
      true,
    );
    if (!made || !this.batch) return;
    await this.#readDryRun(this.batch.id);
  }

  /** Reads batch `id`'s dry run (what it has not sent yet), with progress. */
  async #readDryRun(id: string) {
    this.previewRead = 0;
    const stop = this.#calls.onPreviewed((batchId, read) => {
      if (batchId === id) this.previewRead = read;
    });
    try {
      await this.#step(() => this.#calls.batchPreview(id), (previews) => {
        this.previews = previews;
        this.phase = 'previewed';
        this.#previewed[id] = Date.now();
      });
    } finally {
      void stop.then((unlisten) => unlisten());
    }
  }

  /** Whether `batch`'s dry run is too old (or was never read) to send on: read it again first. */
  #stale(batch: Batch): boolean {
    const read = Math.max(this.#previewed[batch.id] ?? 0, batch.previewedAt ? Date.parse(batch.previewedAt) : 0);
    return Date.now() - read > DRY_RUN_LIFETIME_SECONDS * 1000;
  }

  /**
   * Runs the batch (or resumes `batchId`, e.g. one left by a crash) to its end; when its dry run
   * is too old, reads it again instead and waits for the operator to confirm with Start.
   */
  async run(batchId: string | null = null, takeover = false) {
    const id = batchId ?? this.batch?.id;
    if (!id) return;
    if (batchId) this.batch = this.earlier.find((b) => b.batch.id === batchId)?.batch ?? this.batch;
    if (this.batch) this.action = this.batch.action;
    if (!takeover && this.batch && this.#stale(this.batch)) {
      this.reread = true;
      await this.#readDryRun(id);
      return;
    }
    this.reread = false;
    this.phase = 'running';
    this.paused = false;
    this.report = null;
    const stop = this.#calls.onProgress((batchId, progress) => {
      if (batchId === id) {
        this.progress = progress;
        this.paused = progress.paused;
      }
    });
    this.busy = true;
    this.problem = null;
    try {
      this.progress = await call(
        takeover ? this.#calls.batchTakeover(id, this.concurrency) : this.#calls.batchRun(id, this.concurrency),
      );
    } catch (error) {
      this.problem = problemOf(error);
    } finally {
      this.busy = false;
      this.phase = 'ended';
      void stop.then((unlisten) => unlisten());
      void this.loadEarlier();
      void this.loadTeam();
    }
  }

  /** Takes over team batch `batchId`, whose runner stopped, and runs it from here. */
  async takeover(batchId: string) {
    const found = this.team.find((b) => b.id === batchId);
    if (!found) return;
    this.batch = {
      id: found.id,
      environment: '',
      operator: found.operator,
      reasonCode: found.reasonCode,
      reason: found.reason ?? null,
      state: 'RUNNING',
      createdAt: found.createdAt,
      updatedAt: found.createdAt,
      previewedAt: null,
      // The team store holds opt-outs only: a token batch stays on its workstation.
      action: 'OPT_OUT',
      tokenFilter: null,
    };
    await this.run(batchId, true);
  }

  /** Asks the runner of team batch `batchId`, wherever it runs, to pause, run or cancel. */
  async ask(batchId: string, control: RunControl) {
    if (await this.#step(() => this.#calls.teamBatchControl(batchId, control), () => {})) await this.loadTeam();
  }

  /** The fraud team's batches (team mode); an empty list when they cannot be read. */
  async loadTeam() {
    try {
      this.team = await call(this.#calls.teamBatches());
    } catch {
      this.team = [];
    }
  }

  /** Follows the team's batches: read again when the team store says one changed; returns the
   * function that stops following. */
  followTeam(): () => void {
    void this.loadTeam();
    let queued = false;
    const stop = this.#calls.onTeamBatchChanged(() => {
      if (queued) return;
      queued = true;
      setTimeout(() => {
        queued = false;
        void this.loadTeam();
      }, 500);
    });
    return () => void stop.then((unlisten) => unlisten());
  }

  /** Pauses, resumes or cancels the running batch (writes on the way finish). */
  async control(control: RunControl) {
    const id = this.batch?.id;
    if (!id) return;
    try {
      await call(this.#calls.batchControl(id, control));
      if (control !== 'cancel') this.paused = control === 'pause';
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** Writes the report (CSV) to the exports folder. */
  async saveReport() {
    const id = this.batch?.id;
    if (!id) return;
    await this.#step(() => this.#calls.batchReport(id), (done) => (this.report = done));
  }

  /** Closes an unfinished batch without sending the rest, then lists the batches again. */
  async discard(id: string) {
    if (await this.#step(() => this.#calls.batchDiscard(id), () => {})) await this.loadEarlier();
  }

  /** This workstation's recent batches, to resume one left unfinished. */
  async loadEarlier() {
    try {
      this.earlier = await call(this.#calls.batches());
    } catch {
      // The list is a convenience; the screen works without it.
    }
  }

  /** Starts over with an empty list; a batch whose dry run was read but never started is
   * discarded, so it does not linger as unfinished. */
  async reset() {
    const abandoned = this.phase === 'previewed' && this.batch?.state === 'READY' ? this.batch.id : null;
    if (abandoned && !(await this.#step(() => this.#calls.batchDiscard(abandoned), () => {}))) return;
    void this.loadEarlier();
    this.reread = false;
    this.phase = 'edit';
    this.text = '';
    this.list = null;
    this.batch = null;
    this.previews = [];
    this.progress = null;
    this.report = null;
    this.problem = null;
  }
}
