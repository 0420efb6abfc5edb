import {
  commands,
  events,
  type AuditExportProgress,
  type ExportDone,
  type ExportFormat,
  type Record_Serialize,
  type Verification_Serialize,
} from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';

/** A page of the audit log, oldest first. */
export function auditPage(offset: number, limit: number): Promise<Record_Serialize[]> {
  return call(commands.auditPage(offset, limit));
}

/** Walks the audit chain (the walk is audited itself). */
export function auditVerify(): Promise<Verification_Serialize> {
  return call(commands.auditVerify());
}

/** Exports the whole log in `format` to the exports folder, telling `progress` how far it got. */
export async function auditExport(
  format: ExportFormat,
  progress: (progress: AuditExportProgress) => void,
): Promise<ExportDone> {
  const stop = events.auditExportProgress.listen((event) => progress(event.payload));
  try {
    return await call(commands.auditExport(format));
  } finally {
    void stop.then((unlisten) => unlisten());
  }
}
