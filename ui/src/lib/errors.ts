import type { ErrorCode, IpcError } from '$lib/bindings';

/** A problem to show the operator: a code from the core, or a catalogue key for UI-side ones. */
export type Problem = { code: ErrorCode } | { key: 'error.unexpected' | 'error.saveLanguage' | 'error.screenLoad' };

/** Turns a command's error (or a rejected call, e.g. the IPC bridge failing) into a Problem. */
export function problemOf(error: IpcError | unknown): Problem {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return { code: (error as IpcError).code };
  }
  return { key: 'error.unexpected' };
}
