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
export async function auditExport(
  format: ExportFormat,
  filter: AuditFilter_Deserialize,
  progress: (progress: AuditExportProgress) => void,
): Promise<ExportDone> {
  const stop = events.auditExportProgress.listen((event) => progress(event.payload));
  try {
    return await call(commands.auditExport(format, filter));
  } finally {
    void stop.then((unlisten) => unlisten());
  }
}
