import {
  commands,
  events,
  type AuditProgress_Serialize as AuditProgress,
  type FindingKind,
  type Severity,
  type Language,
  type PickedFile,
  type ProfileAuditDone_Serialize as ProfileAuditDone,
  type ProfileAudit_Serialize as ProfileAudit,
  type RunControl,
  type Scope,
} from '$lib/ipc/bindings';
import { call, type Answer } from '$lib/ipc/call';
import { detailedProblemOf, problemOf, type Problem } from '$lib/common/errors';
import { CONCURRENCY, pickListFile, type ListPurpose } from '$lib/batch/batch.svelte';

/** The commands and events the profile audit screen uses, replaceable in tests. */
export interface ProfileAuditCalls {
  chooseFile: (purpose: 'list', title: string) => Promise<Answer<PickedFile | null>>;
  readListFile: (token: string, purpose: ListPurpose) => Promise<Answer<string>>;
  auditProfiles: (scope: Scope, concurrency: number, language: Language) => Promise<Answer<ProfileAuditDone>>;
  batchControl: (batchId: string | null, control: RunControl) => Promise<Answer<null>>;
  onProgress: (listener: (progress: AuditProgress) => void) => Promise<() => void>;
  openReport: (auditId: string) => Promise<Answer<null>>;
}

const tauriCalls: ProfileAuditCalls = {
  chooseFile: (purpose, title) => commands.chooseFile(purpose, title),
  readListFile: (token, purpose) => commands.readListFile(token, purpose),
  auditProfiles: (scope, concurrency, language) => commands.auditProfiles(scope, concurrency, language),
  batchControl: (id, control) => commands.batchControl(id, control),
  onProgress: (listener) => events.profileAuditProgress.listen((e) => listener(e.payload.progress)),
  openReport: (auditId) => commands.openProfileAuditReport(auditId),
};

const RANK: Record<Severity, number> = { CRITICAL: 2, WARNING: 1, INFO: 0 };

/** Findings per kind with the most serious severity seen: the most severe kinds first, then
 * the most frequent (the HTML report's order). */
export function countByKind(audit: ProfileAudit): { kind: FindingKind; count: number; severity: Severity }[] {
  const counts = new Map<FindingKind, { count: number; severity: Severity }>();
  for (const consumer of audit.consumers) {
    for (const finding of consumer.findings) {
      const seen = counts.get(finding.kind) ?? { count: 0, severity: finding.severity };
      seen.count += 1;
      if (RANK[finding.severity] > RANK[seen.severity]) seen.severity = finding.severity;
      counts.set(finding.kind, seen);
    }
  }
  return [...counts]
    .map(([kind, seen]) => ({ kind, ...seen }))
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.count - a.count || a.kind.localeCompare(b.kind));
}

/**
 * The auditors' batch profile audit: a list of consumerIds (pasted or from a file) or every
 * consumer a search matches, read by the core with bounded concurrency and live progress; the
 * result is a findings CSV and an HTML report in the exports folder, shown here in summary.
 */
export class ProfileAuditJob {
  scope = $state<'list' | 'matching'>('list');
  text = $state('');
  query = $state('');
  concurrency = $state<number>(CONCURRENCY.default);
  running = $state(false);
  paused = $state(false);
  progress = $state<AuditProgress | null>(null);
  done = $state<ProfileAuditDone | null>(null);
  problem = $state<Problem | null>(null);
  readonly #calls: ProfileAuditCalls;

  constructor(calls: ProfileAuditCalls = tauriCalls) {
    this.#calls = calls;
  }

  /** Whether there is something to audit. */
  get ready(): boolean {
    return (this.scope === 'list' ? this.text : this.query).trim() !== '';
  }

  /** Loads a list file chosen in the system's picker. */
  async loadFile(title: string) {
    this.problem = null;
    const picked = await pickListFile(this.#calls, title, 'auditProfiles');
    if (picked && 'problem' in picked) this.problem = picked.problem;
    else if (picked) {
      this.text = picked.text;
      this.scope = 'list';
    }
  }

  /** Runs the audit to its end (or its cancellation); the core writes the report in `language`. */
  async start(language: Language) {
    if (!this.ready || this.running) return;
    const scope: Scope = this.scope === 'list' ? { kind: 'list', text: this.text } : { kind: 'matching', text: this.query.trim() };
    this.running = true;
    this.paused = false;
    this.progress = null;
    this.done = null;
    this.problem = null;
    const stop = this.#calls.onProgress((progress) => {
      this.progress = progress;
      this.paused = progress.paused;
    });
    try {
      this.done = await call(this.#calls.auditProfiles(scope, this.concurrency, language));
    } catch (error) {
      this.problem = detailedProblemOf(error);
    } finally {
      this.running = false;
      void stop.then((unlisten) => unlisten());
    }
  }

  /** Hands the finished audit's HTML report to the system's opener (its default browser). */
  async openReport() {
    if (!this.done) return;
    try {
      await call(this.#calls.openReport(this.done.audit.id));
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** Pauses, resumes or cancels the running audit (the report covers what was read). */
  async control(control: RunControl) {
    try {
      await call(this.#calls.batchControl(null, control));
      if (control !== 'cancel') this.paused = control === 'pause';
    } catch (error) {
      this.problem = problemOf(error);
    }
  }
}

let shared: ProfileAuditJob | undefined;

/** The console's one profile audit, kept while the auditor visits other screens. */
export function profileAuditJob(): ProfileAuditJob {
  shared ??= new ProfileAuditJob();
  return shared;
}
