import { commands, events, type TeamStatus } from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import type { MessageKey } from '$lib/i18n/index.svelte';

/** How the status bar words the team store's state: a key, its parameters, and whether it
 * is a warning (writes held or soon to be, the store out of reach or refusing a record). `null`
 * when team mode is off. */
export function teamWords(
  status: TeamStatus | null,
  nowMs: number,
): { key: MessageKey; params: Record<string, string | number>; warn: boolean } | null {
  if (!status?.on) return null;
  const age = status.oldestUnforwarded ? Math.max(0, Math.floor((nowMs - Date.parse(status.oldestUnforwarded)) / 1000)) : 0;
  const minutes = Math.floor(age / 60);
  const limit = Math.floor(status.limitSeconds / 60);
  const link = status.link?.state ?? null;
  if (link === 'refused') return { key: 'team.refused', params: {}, warn: true };
  const unreachable = link === 'unreachable';
  if (status.unforwarded === 0) {
    return { key: unreachable ? 'team.unreachable' : 'team.delivered', params: {}, warn: unreachable };
  }
  if (age > status.limitSeconds) {
    return { key: 'team.held', params: { records: status.unforwarded, minutes, limit }, warn: true };
  }
  return {
    key: unreachable ? 'team.behindUnreachable' : 'team.behind',
    params: { records: status.unforwarded, seconds: age, limit },
    warn: unreachable,
  };
}

/** The team store's state as the core last told it (`TeamStatusChanged`), for the status bar. */
export class TeamState {
  status = $state<TeamStatus | null>(null);

  /** Reads the state now and follows its changes; returns the function that stops following. */
  listen(): () => void {
    const stop = events.teamStatusChanged.listen((event) => {
      this.status = event.payload.status;
    });
    call(commands.teamStatus()).then(
      (status) => (this.status = status),
      () => {},
    );
    return () => void stop.then((unlisten) => unlisten());
  }
}

/** Declares emergency mode, saying why (a fraud analyst, the store out of reach). */
export function declareEmergency(reason: string): Promise<unknown> {
  return call(commands.emergencyStart(reason));
}

/** Ends emergency mode before its time. */
export function endEmergency(): Promise<unknown> {
  return call(commands.emergencyEnd());
}

/** The one store of the window. */
export const team = new TeamState();
