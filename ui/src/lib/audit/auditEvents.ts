import type { MessageKey } from '$lib/i18n/en';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** Events the core records under a fixed name. */
const named: Record<string, MessageKey> = {
  search: 'event.search',
  profile_view: 'event.profile_view',
  audit_verify: 'event.audit_verify',
  audit_export: 'event.audit_export',
  batch_opt_out_created: 'event.batch_opt_out_created',
  batch_opt_out_discarded: 'event.batch_opt_out_discarded',
  batch_opt_out_dry_run: 'event.batch_opt_out_dry_run',
  batch_opt_out_run: 'event.batch_opt_out_run',
  batch_report_export: 'event.batch_report_export',
  connection_test: 'event.connection_test',
  credentials_import: 'event.credentials_import',
  credentials_remove: 'event.credentials_remove',
  environment_add: 'event.environment_add',
  environment_change: 'event.environment_change',
  profile_audit: 'event.profile_audit',
  profile_audit_export: 'event.profile_audit_export',
};

/** The writes, by the name their `_intent` and `_outcome` events start with. */
const writes: Record<string, MessageKey> = {
  opt_out_card: 'kind.OPT_OUT_CARD',
  opt_out_consumer: 'kind.OPT_OUT_CONSUMER',
  enrol_card: 'kind.ENROL_CARD',
  update_card: 'kind.UPDATE_CARD',
  update_consumer: 'kind.UPDATE_CONSUMER',
};

/** What a role may be refused, by the name its `_denied` event starts with. */
const permissions: Record<string, MessageKey> = {
  search: 'permission.search',
  view: 'permission.view',
  optoutcard: 'kind.OPT_OUT_CARD',
  optoutconsumer: 'kind.OPT_OUT_CONSUMER',
  enrol: 'kind.ENROL_CARD',
  update: 'permission.update',
  batchoptout: 'permission.batchOptOut',
  auditexport: 'event.audit_export',
  auditprofiles: 'event.profile_audit',
};

/** An audit event's name in the operator's words; a name this version does not know shows as
 * itself (the record keeps the name as written either way). */
export function eventWords(event: string, t: Translate): string {
  const key = named[event];
  if (key) return t(key);
  const [, base, suffix] = /^(.+)_(intent|outcome|denied)$/.exec(event) ?? [];
  if (suffix === 'denied' && permissions[base]) return t('event.denied', { action: t(permissions[base]) });
  if (suffix === 'intent' && writes[base]) return t('event.intent', { kind: t(writes[base]) });
  if (suffix === 'outcome' && writes[base]) return t('event.outcome', { kind: t(writes[base]) });
  return event;
}
