import {
  commands,
  type EnvironmentForm_Deserialize,
  type FilePurpose,
  type ImportForm,
  type Imported,
  type PickedFile,
  type Step_Serialize,
} from '$lib/ipc/bindings';
import { call, type Answer } from '$lib/ipc/call';
import { detailedProblemOf, type Problem } from '$lib/common/errors';

/** The commands the wizard calls, replaceable in tests. */
export interface WizardCommands {
  chooseFile: (purpose: FilePurpose, title: string) => Promise<Answer<PickedFile | null>>;
  addEnvironment: (form: EnvironmentForm_Deserialize) => Promise<Answer<null>>;
  importCredentials: (environment: string, form: ImportForm) => Promise<Answer<Imported>>;
  testConnection: (name: string) => Promise<Answer<Step_Serialize[]>>;
}

/** Where the wizard is: the environment's addresses, its credentials, then the test. */
export type WizardStep = 'connection' | 'credentials' | 'done';

/** The file fields of the credentials step. */
export type FileField = 'chain' | 'key' | 'bundle' | 'signingKey' | 'apiKeyFile';

/**
 * The import-credentials wizard: add an environment (or pick an existing one), import its
 * credentials from files chosen in the system's picker, then test the connection. The webview
 * never holds a path: each chosen file is a token the core reads it by, and its name to show.
 * The passphrase lives here only until it is sent, then it is cleared, whatever the outcome.
 */
export class ImportWizard {
  step = $state<WizardStep>('connection');
  connection = $state<EnvironmentForm_Deserialize & { country: string }>({
    name: '',
    baseUrl: '',
    tokenUrl: '',
    issuerRecordsUrl: '',
    issuerId: '',
    kid: '',
    caFile: null,
    country: '',
  });
  /** The CA file chosen for the connection, if any. */
  ca = $state<PickedFile | null>(null);
  mtlsKind = $state<'pem' | 'pkcs12'>('pem');
  files = $state<Record<FileField, PickedFile | null>>({ chain: null, key: null, bundle: null, signingKey: null, apiKeyFile: null });
  passphrase = $state('');
  busy = $state(false);
  problem = $state<Problem | null>(null);
  imported = $state<Imported | null>(null);
  steps = $state<Step_Serialize[] | null>(null);
  readonly #commands: WizardCommands;

  /** A wizard for a new environment, or (with `environment`) for credentials of an existing one. */
  constructor(environment: string | null = null, calls: WizardCommands = commands) {
    this.#commands = calls;
    if (environment !== null) {
      this.connection.name = environment;
      this.step = 'credentials';
    }
  }

  /** Opens the system's picker for `field` and fills it with the chosen file. */
  async choose(field: FileField | 'caFile', purpose: FilePurpose, title: string) {
    const picked = await this.#run(() => this.#commands.chooseFile(purpose, title));
    if (picked === undefined || picked === null) return;
    if (field === 'caFile') this.ca = picked;
    else this.files[field] = picked;
  }

  /** Saves the environment and goes on to its credentials. */
  async saveConnection() {
    const form = { ...this.connection, caFile: this.ca?.token ?? null };
    if ((await this.#run(() => this.#commands.addEnvironment(form))) !== undefined) this.step = 'credentials';
  }

  /** Sends the files (and the passphrase, once), then tests the connection. */
  async importCredentials() {
    const token = (field: FileField) => this.files[field]?.token ?? '';
    const mtls: ImportForm['mtls'] =
      this.mtlsKind === 'pem'
        ? { kind: 'pem', chain: token('chain'), key: token('key') }
        : { kind: 'pkcs12', bundle: token('bundle'), passphrase: this.passphrase };
    const form: ImportForm = { mtls, signingKey: token('signingKey'), apiKeyFile: token('apiKeyFile') };
    this.passphrase = '';
    const imported = await this.#run(() => this.#commands.importCredentials(this.connection.name, form));
    if (imported === undefined) return;
    this.imported = imported;
    this.step = 'done';
    const steps = await this.#run(() => this.#commands.testConnection(this.connection.name));
    if (steps !== undefined) this.steps = steps;
  }

  /** Runs `work`; its data, or `undefined` with the problem set. */
  async #run<T>(work: () => Promise<Answer<T>>): Promise<T | undefined> {
    this.busy = true;
    this.problem = null;
    try {
      return await call(work());
    } catch (error) {
      this.problem = detailedProblemOf(error);
    } finally {
      this.busy = false;
    }
    return undefined;
  }
}
