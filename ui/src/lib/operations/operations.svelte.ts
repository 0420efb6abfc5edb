import { commands, events, type Entry_Serialize, type State, type WriteRequest_Deserialize } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';

/** An operation of this workstation, as the journal holds it. */
export type Operation = Entry_Serialize;

/** Whether nothing more will happen to an operation. */
export function isFinal(operation: Operation): boolean {
  return operation.state === 'SUCCESSFUL' || operation.state === 'FAILED';
}

/**
 * The operations started in this window, kept up to date by `OperationChanged` events: what the
 * status bar and the consumer screen show while an opt-out is pending.
 */
export class Operations {
  byId = $state<Record<number, Operation>>({});
  /** The most recently started or changed operation. */
  latest = $state<Operation | null>(null);

  /** Records `operation` (from a write's answer or an event). */
  track(operation: Operation) {
    if (operation.id === null) return;
    this.byId[operation.id] = operation;
    this.latest = operation;
  }

  /** The newest operation on `target`, if any. */
  on(target: string): Operation | undefined {
    return Object.values(this.byId)
      .filter((o) => o.target === target)
      .sort((a, b) => (b.id ?? 0) - (a.id ?? 0))[0];
  }

  /** Sends a write (the core journals it first) and follows it from its first answer on. */
  async write(request: WriteRequest_Deserialize): Promise<Operation> {
    const operation = await call(commands.write(request));
    this.track(operation);
    return operation;
  }

  /** Starts following `OperationChanged` events; returns the function that stops it. */
  listen(): () => void {
    const stop = events.operationChanged.listen((event) => this.track(event.payload.entry));
    return () => void stop.then((unlisten) => unlisten());
  }
}

/** This workstation's operations from the journal, newest first, optionally in one state. */
export function readOperations(state: State | null, limit: number): Promise<Operation[]> {
  return call(commands.operations(state, limit));
}

/** The one store of the window. */
export const operations = new Operations();
