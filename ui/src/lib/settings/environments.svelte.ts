import { commands, type EnvironmentStatus_Serialize, type Step_Serialize } from '$lib/ipc/bindings';
import { call, type Answer } from '$lib/ipc/call';
import { problemOf, type Problem } from '$lib/common/errors';

/** An environment with its keychain status, as the switcher lists it. */
export type EnvironmentStatus = EnvironmentStatus_Serialize;

/** The commands this store calls, replaceable in tests. */
export interface EnvironmentCommands {
  environments: () => Promise<Answer<EnvironmentStatus[]>>;
  useEnvironment: (name: string) => Promise<Answer<null>>;
}

/**
 * The environments the header's switcher and the settings screen show, and the switch itself:
 * after a switch the list is read again, so both places show the same active environment.
 */
export class Environments {
  list = $state<EnvironmentStatus[]>([]);
  problem = $state<Problem | null>(null);
  readonly #commands: EnvironmentCommands;

  constructor(calls: EnvironmentCommands = commands) {
    this.#commands = calls;
  }

  /** The environment in use, once known. */
  get active(): EnvironmentStatus | undefined {
    return this.list.find((status) => status.active);
  }

  /** Reads the list again. */
  async load() {
    try {
      this.list = await call(this.#commands.environments());
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** Switches to `name`; returns whether it worked (the problem says why not). */
  async use(name: string): Promise<boolean> {
    try {
      await call(this.#commands.useEnvironment(name));
    } catch (error) {
      this.problem = problemOf(error);
      return false;
    }
    await this.load();
    return true;
  }
}

/** The connection test of an environment: handshake, token, one read, the bank's records. */
export function testConnection(name: string): Promise<Step_Serialize[]> {
  return call(commands.testConnection(name));
}

/** The window's one list. */
export const environments = new Environments();
