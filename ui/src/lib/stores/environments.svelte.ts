import { commands, type EnvironmentStatus_Serialize, type IpcError } from '$lib/bindings';
import { problemOf, type Problem } from '$lib/errors';

/** An environment with its keychain status, as the switcher lists it. */
export type EnvironmentStatus = EnvironmentStatus_Serialize;

type Answer<T> = { status: 'ok'; data: T } | { status: 'error'; error: IpcError };

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
      const result = await this.#commands.environments();
      if (result.status === 'ok') this.list = result.data;
      else this.problem = problemOf(result.error);
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** Switches to `name`; returns whether it worked (the problem says why not). */
  async use(name: string): Promise<boolean> {
    try {
      const result = await this.#commands.useEnvironment(name);
      if (result.status === 'error') {
        this.problem = problemOf(result.error);
        return false;
      }
    } catch (error) {
      this.problem = problemOf(error);
      return false;
    }
    await this.load();
    return true;
  }
}

/** The window's one list. */
export const environments = new Environments();
