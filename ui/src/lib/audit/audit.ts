import {
  commands,
  events,
  type AuditExportProgress,
  type AuditFilter_Deserialize,
  type AuditPage_Serialize,
  type ExportDone,
  type ExportFormat,
  type Verification_Serialize,
  type CentreFinding,
  type TeamAuditPage_Serialize,
  type TeamVerification,
  type TeamFilter_Deserialize,
} from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import type { MessageKey } from '$lib/i18n/index.svelte';

/** A difference between this workstation's chain and the team store's copy, in words. */
export function centreWords(
  finding: CentreFinding,
  t: (key: MessageKey, params?: Record<string, string | number>) => string,
): string {
  switch (finding.kind) {
    case 'replaced':
      return t('audit.centreReplaced', { chain: finding.chain, records: finding.records });
    case 'truncated':
      return t('audit.centreTruncated', { local: finding.local, central: finding.central });
    case 'forked':
      return t('audit.centreForked', { at: finding.at });
    case 'behind':
      return t('audit.centreBehind', { records: finding.records });
  }
}

/** A page of the audit log that `filter` lets through, newest first, with their total. */
export function auditPage(filter: AuditFilter_Deserialize, offset: number, limit: number): Promise<AuditPage_Serialize> {
  return call(commands.auditPage(filter, offset, limit));
}

/** Walks the audit chain (the walk is audited itself). */
export function auditVerify(): Promise<Verification_Serialize> {
  return call(commands.auditVerify());
}

/** Exports what `filter` lets through in `format` to the exports folder, telling `progress` how
 * far it got. */
export function auditExport(
  format: ExportFormat,
  filter: AuditFilter_Deserialize,
  progress: (progress: AuditExportProgress) => void,
): Promise<ExportDone> {
  return following(progress, () => call(commands.auditExport(format, filter)));
}

/** Checks every workstation's chain in the team store and reads its alerts (audited). */
export function auditVerifyTeam(): Promise<TeamVerification> {
  return call(commands.auditVerifyTeam());
}

/** A page of the team's trail (every workstation's, in the team store) that `filter` lets
 * through, newest first, with their total; the read is audited. */
export function teamAuditPage(filter: TeamFilter_Deserialize, offset: number, limit: number): Promise<TeamAuditPage_Serialize> {
  return call(commands.teamAuditPage(filter, offset, limit));
}

/** Exports what `filter` lets through of the team's trail, like `auditExport`. */
export function teamAuditExport(
  format: ExportFormat,
  filter: TeamFilter_Deserialize,
  progress: (progress: AuditExportProgress) => void,
): Promise<ExportDone> {
  return following(progress, () => call(commands.teamAuditExport(format, filter)));
}

/** Runs `exporting`, telling `progress` of each `AuditExportProgress` meanwhile. */
async function following(
  progress: (progress: AuditExportProgress) => void,
  exporting: () => Promise<ExportDone>,
): Promise<ExportDone> {
  const stop = events.auditExportProgress.listen((event) => progress(event.payload));
  try {
    return await exporting();
  } finally {
    void stop.then((unlisten) => unlisten());
  }
}

/** The team filter as typed: blanks dropped, the times (local, from the date-time fields) as
 * RFC 3339. */
export function teamFilter(typed: Record<keyof TeamFilter_Deserialize, string>): TeamFilter_Deserialize {
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  const time = (value: string) => (value === '' || Number.isNaN(Date.parse(value)) ? null : new Date(value).toISOString());
  return {
    operator: text(typed.operator),
    workstation: text(typed.workstation),
    event: text(typed.event),
    resource: text(typed.resource),
    from: time(typed.from),
    to: time(typed.to),
  };
}
