import type { MessageKey } from '$lib/i18n/en';
import type { AuditEvent } from '$lib/ipc/types';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;
type Words = (t: Translate) => string;

const plain = (key: MessageKey): Words => (t) => t(key);
const intent = (kind: MessageKey): Words => (t) => t('event.intent', { kind: t(kind) });
const outcome = (kind: MessageKey): Words => (t) => t('event.outcome', { kind: t(kind) });
const denied = (action: MessageKey): Words => (t) => t('event.denied', { action: t(action) });

/** Every event the core records (the generated `AuditEvent`), in the operator's words: the
 * compiler refuses a new event without words. */
const words: Record<AuditEvent, Words> = {
  search: plain('event.search'),
  profile_view: plain('event.profile_view'),
  tokens_view: plain('event.tokens_view'),
  history_view: plain('event.history_view'),
  contact_reveal: plain('event.contact_reveal'),
  environment_add: plain('event.environment_add'),
  environment_remove: plain('event.environment_remove'),
  environment_change: plain('event.environment_change'),
  credentials_import: plain('event.credentials_import'),
  credentials_remove: plain('event.credentials_remove'),
  connection_test: plain('event.connection_test'),
  audit_verify: plain('event.audit_verify'),
  audit_export: plain('event.audit_export'),
  audit_read: plain('event.audit_read'),
  opt_out_card_intent: intent('kind.OPT_OUT_CARD'),
  opt_out_card_outcome: outcome('kind.OPT_OUT_CARD'),
  opt_out_consumer_intent: intent('kind.OPT_OUT_CONSUMER'),
  opt_out_consumer_outcome: outcome('kind.OPT_OUT_CONSUMER'),
  enrol_card_intent: intent('kind.ENROL_CARD'),
  enrol_card_outcome: outcome('kind.ENROL_CARD'),
  update_card_intent: intent('kind.UPDATE_CARD'),
  update_card_outcome: outcome('kind.UPDATE_CARD'),
  update_consumer_intent: intent('kind.UPDATE_CONSUMER'),
  update_consumer_outcome: outcome('kind.UPDATE_CONSUMER'),
  suspend_token_intent: intent('kind.SUSPEND_TOKEN'),
  suspend_token_outcome: outcome('kind.SUSPEND_TOKEN'),
  resume_token_intent: intent('kind.RESUME_TOKEN'),
  resume_token_outcome: outcome('kind.RESUME_TOKEN'),
  card_tokens_write: plain('event.card_tokens_write'),
  delete_token_intent: intent('kind.DELETE_TOKEN'),
  delete_token_outcome: outcome('kind.DELETE_TOKEN'),
  search_denied: denied('permission.search'),
  view_denied: denied('permission.view'),
  optoutcard_denied: denied('kind.OPT_OUT_CARD'),
  optoutconsumer_denied: denied('kind.OPT_OUT_CONSUMER'),
  enrol_denied: denied('kind.ENROL_CARD'),
  update_denied: denied('permission.update'),
  batchoptout_denied: denied('permission.batchOptOut'),
  tokenwrite_denied: denied('permission.tokenWrite'),
  tokenfraud_denied: denied('permission.tokenFraud'),
  auditexport_denied: denied('event.audit_export'),
  auditprofiles_denied: denied('event.profile_audit'),
  auditread_denied: denied('permission.auditRead'),
  manageenvironments_denied: denied('permission.manageEnvironments'),
  recover_denied: denied('permission.recover'),
  audit_chain_start: plain('event.audit_chain_start'),
  audit_chain_id: plain('event.audit_chain_id'),
  team_init: plain('event.team_init'),
  team_login_add: plain('event.team_login_add'),
  team_login_revoke: plain('event.team_login_revoke'),
  team_credentials_import: plain('event.team_credentials_import'),
  write_held: plain('event.write_held'),
  team_operations_read: plain('event.team_operations_read'),
  claim_release: plain('event.claim_release'),
  emergency_start: plain('event.emergency_start'),
  emergency_end: plain('event.emergency_end'),
  emergency_write: plain('event.emergency_write'),
  emergency_claim: plain('event.emergency_claim'),
  policy_change: plain('event.policy_change'),
  journal_recovered: plain('event.journal_recovered'),
  batch_opt_out_created: plain('event.batch_opt_out_created'),
  batch_opt_out_dry_run: plain('event.batch_opt_out_dry_run'),
  batch_opt_out_run: plain('event.batch_opt_out_run'),
  batch_takeover: plain('event.batch_takeover'),
  batch_control: plain('event.batch_control'),
  batch_opt_out_discarded: plain('event.batch_opt_out_discarded'),
  batch_report_export: plain('event.batch_report_export'),
  profile_audit: plain('event.profile_audit'),
  profile_audit_export: plain('event.profile_audit_export'),
  profile_audit_report_open: plain('event.profile_audit_report_open'),
};

/** A record's event in the operator's words, from the type the core read it as; an event a
 * newer version wrote (`kind` null) shows as recorded. */
export function eventWords(record: { event: string; kind?: AuditEvent | null }, t: Translate): string {
  return record.kind ? words[record.kind](t) : record.event;
}

/** The event `name` as the console knows it, or null for a name it does not (a newer
 * console's, in the team's trail). */
export function knownEvent(name: string): AuditEvent | null {
  return Object.hasOwn(words, name) ? (name as AuditEvent) : null;
}

/** The filter for `text`: the store matches the text in what it holds, and the events whose
 * words in the operator's language hold it (which only the UI knows). */
export function auditFilter(text: string, t: Translate): { text: string; events: AuditEvent[] } {
  const wanted = text.trim().toLowerCase();
  if (wanted === '') return { text: '', events: [] };
  const events = (Object.keys(words) as AuditEvent[]).filter((event) => words[event](t).toLowerCase().includes(wanted));
  return { text: text.trim(), events };
}

/** The result forms the core writes, read into the operator's words; anything else (a detail
 * from D1, a newer version's wording) shows as recorded. */
const results: [RegExp, (m: RegExpMatchArray, t: Translate) => string][] = [
  [/^(ok|denied|refused|started|failed|partial)$/, (m, t) => t(`result.${m[1]}` as MessageKey)],
  [/^(PENDING|SUCCESSFUL|FAILED|UNKNOWN)$/, (m, t) => t(`state.${m[1]}` as MessageKey)],
  [/^(\d+) found$/, (m, t) => t('result.found', { count: m[1] })],
  [
    /^recorded; reason code (\w+); reason: (.*)$/,
    (m, t) => t('result.recorded', { code: m[1], reason: m[2] === 'none given' ? t('result.noReason') : m[2] }),
  ],
  [
    /^(own|all) records, newest first, from (\d+): (\d+) of (\d+) read(?:, filtered by "(.*)")?$/,
    (m, t) =>
      read(t, m[1] === 'all' ? 'result.readAll' : 'result.readOwn', m[2], m[3], m[4]) +
      (m[5] !== undefined ? t('result.filtered', { text: m[5] }) : ''),
  ],
  [
    /^team records, newest first, from (\d+): (\d+) of (\d+) read(, .*)?$/,
    (m, t) => read(t, 'result.readTeam', m[1], m[2], m[3]) + (m[4] ?? ''),
  ],
  [
    /^(\d+) records(?:, filtered by "(.*)")?$/,
    (m, t) => t('result.records', { count: m[1] }) + (m[2] !== undefined ? t('result.filtered', { text: m[2] }) : ''),
  ],
  [/^(\d+) team records(, .*)?$/, (m, t) => t('result.teamRecords', { count: m[1] }) + (m[2] ?? '')],
  [
    /^(\d+) chains, (\d+) broken or with a gap, (\d+) alerts$/,
    (m, t) => t('result.teamChecked', { chains: m[1], broken: m[2], alerts: m[3] }),
  ],
  [/^intact \((\d+) records\)(?:; (.*))?$/, (m, t) => t('result.intact', { count: m[1] }) + centre(m[2], t)],
  [/^broken at record (\d+)(?:; (.*))?$/, (m, t) => t('result.broken', { seq: m[1] }) + centre(m[2], t)],
];

/** A page read, as "records 1–100 of 340". */
function read(t: Translate, key: MessageKey, from: string, count: string, total: string): string {
  if (Number(count) === 0) return t('result.readNothing', { total });
  return t(key, { from, to: Number(from) + Number(count) - 1, total });
}

/** What a verification found in the team store, after its local verdict. */
function centre(found: string | undefined, t: Translate): string {
  if (found === undefined) return '';
  if (found === 'the team store holds the same chain') return `; ${t('result.centreSame')}`;
  if (found === 'not compared with the team store') return `; ${t('result.centreUnchecked')}`;
  return `; ${found}`;
}

/** A record's result in the operator's words, or as recorded when it is not a form the core
 * writes. */
export function resultWords(result: string, t: Translate): string {
  for (const [form, words] of results) {
    const match = result.match(form);
    if (match) return words(match, t);
  }
  return result;
}
