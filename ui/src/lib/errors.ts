import type { ErrorCode, IpcError } from '$lib/bindings';

/** A problem to show the operator: a code from the core, or a catalogue key for UI-side ones. */
export type Problem =
  | { code: ErrorCode; detail?: string }
  | { key: 'error.unexpected' | 'error.saveLanguage' | 'error.screenLoad' };

/** Turns a command's error (or a rejected call, e.g. the IPC bridge failing) into a Problem. */
export function problemOf(error: IpcError | unknown): Problem {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return { code: (error as IpcError).code };
  }
  return { key: 'error.unexpected' };
}

/** Like `problemOf`, keeping the core's own words as a detail: for forms, where they name the
 * field or file at fault (they are in English). */
export function detailedProblemOf(error: IpcError | unknown): Problem {
  const problem = problemOf(error);
  return 'code' in problem ? { ...problem, detail: (error as IpcError).message } : problem;
}
