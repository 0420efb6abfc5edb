import { commands, events, type Entry_Serialize, type State, type WriteRequest_Deserialize } from '$lib/ipc/bindings';
import { CommandError, call } from '$lib/ipc/call';
import { team } from '$lib/team/teamStatus.svelte';
import { readTeamWrites, writeInTheWay } from '$lib/team/teamOperations';

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
   * `name` is how people know its target (a card's network and last 4). Refused because another
   * workstation is making it (team mode), the error names that write when the team's writes on
   * `consumerId` hold it. */
  async write(request: WriteRequest_Deserialize, name?: string, consumerId?: string): Promise<Operation> {
    if (name) this.names[request.target] = name;
    try {
      const operation = await call(commands.write(request));
      this.track(operation);
      return operation;
    } catch (error) {
      throw await withTheWriteInTheWay(error, request, consumerId);
    }
  }

  /** Starts following `OperationChanged` events; returns the function that stops it. */
  listen(): () => void {
    const stop = events.operationChanged.listen((event) => this.track(event.payload.entry));
    return () => void stop.then((unlisten) => unlisten());
  }
}

/** `error`, and for an ALREADY_IN_PROGRESS in team mode, the team's write in the way (as
 * `held`), read from the team's writes on `consumerId`; `error` alone when that cannot be read. */
async function withTheWriteInTheWay(
  error: unknown,
  request: WriteRequest_Deserialize,
  consumerId: string | undefined,
): Promise<unknown> {
  if (!(error instanceof CommandError) || error.code !== 'ALREADY_IN_PROGRESS' || !consumerId || !team.status?.journal) {
    return error;
  }
  try {
    const held = writeInTheWay(await readTeamWrites(consumerId, 100), request.kind, request.target, consumerId);
    return held ? Object.assign(error, { held }) : error;
  } catch {
    return error;
  }
}

/** This workstation's operations from the journal, newest first, optionally in one state. */
export function readOperations(state: State | null, limit: number): Promise<Operation[]> {
  return call(commands.operations(state, limit));
}

/** The one store of the window. */
export const operations = new Operations();
