import type { ErrorCode, IpcError } from './bindings';

/** What a generated command answers: its data, or the core's error `{code, message}`. */
export type Answer<T> = { status: 'ok'; data: T } | { status: 'error'; error: IpcError };

/** The core refused a command: `code` says why (the UI words it), `message` is the core's own
 * English words (kept as a detail where they name a field or file). */
export class CommandError extends Error {
  readonly code: ErrorCode;

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'CommandError';
    this.code = error.code;
  }
}

/**
 * The one way to use a command's answer: `await call(commands.x(...))` is its data, or rejects
 * with a `CommandError` when the core refused it. A call that never reached the core (the IPC
 * bridge failing) rejects with whatever the bridge threw; `problemOf` turns either into a Problem.
 */
export async function call<T>(answer: Promise<Answer<T>>): Promise<T> {
  const result = await answer;
  if (result.status === 'error') throw new CommandError(result.error);
  return result.data;
}
