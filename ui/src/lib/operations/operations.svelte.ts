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
  /** How people name a write's target (a card by network and last 4), where the screen knew. */
  names = $state<Record<string, string>>({});

  /** The name of `target` for people, or the id itself. */
  nameOf(target: string): string {
    return this.names[target] ?? target;
  }

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

  /** Sends a write (the core journals it first) and follows it from its first answer on;
   * `name` is how people know its target (a card's network and last 4). */
  async write(request: WriteRequest_Deserialize, name?: string): Promise<Operation> {
    if (name) this.names[request.target] = name;
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
