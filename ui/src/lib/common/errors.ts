import type { ErrorCode, TeamWrite_Serialize } from '$lib/ipc/types';

/** A problem to show the operator: a code from the core (with, for a write another workstation
 * is making, that write), or a catalogue key for UI-side ones. */
export type Problem =
  | { code: ErrorCode; detail?: string; held?: TeamWrite_Serialize }
  | { key: 'error.unexpected' | 'error.saveLanguage' | 'error.screenLoad' };

/** Turns a failed call (a `CommandError` from `call`, or a rejection of the IPC bridge itself)
 * into a Problem. */
export function problemOf(error: unknown): Problem {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    const held = 'held' in error ? (error.held as TeamWrite_Serialize) : undefined;
    return held ? { code: error.code as ErrorCode, held } : { code: error.code as ErrorCode };
  }
  return { key: 'error.unexpected' };
}

/** Like `problemOf`, keeping the core's own words as a detail: for forms, where they name the
 * field or file at fault (they are in English). */
export function detailedProblemOf(error: unknown): Problem {
  const problem = problemOf(error);
  return 'code' in problem ? { ...problem, detail: (error as { message: string }).message } : problem;
}
