import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: {} }));

import { ImportWizard, type WizardCommands } from './wizard.svelte';

const ok = <T>(data: T) => Promise.resolve({ status: 'ok' as const, data });
const fail = (code: 'INVALID_INPUT' | 'CREDENTIALS_INVALID', message: string) =>
  Promise.resolve({ status: 'error' as const, error: { code, message } });

function calls(overrides: Partial<WizardCommands> = {}): WizardCommands {
  return {
    chooseFile: vi.fn(() => ok({ token: 'tok-picked', name: 'file.pem' })),
    addEnvironment: vi.fn(() => ok(null)),
    importCredentials: vi.fn(() => ok({ subject: 'CN=bank', notAfter: '2027-01-01T00:00:00Z' })),
    testConnection: vi.fn(() => ok([{ name: 'handshake', ok: true, millis: 12, code: null, detail: '' }])),
    ...overrides,
  };
}

describe('the import-credentials wizard', () => {
  it('adds the environment, imports the picked files and tests the connection', async () => {
    const commands = calls();
    const wizard = new ImportWizard(null, commands);
    wizard.connection.name = 'staging';
    await wizard.choose('caFile', 'certificate', 'CA');
    expect(wizard.ca?.name).toBe('file.pem');
    await wizard.saveConnection();
    // Only the picker's token crosses to the core, never a path.
    expect(commands.addEnvironment).toHaveBeenCalledWith(expect.objectContaining({ name: 'staging', caFile: 'tok-picked' }));
    expect(wizard.step).toBe('credentials');

    await wizard.choose('chain', 'certificate', 'Chain');
    wizard.files.key = { token: 'tok-k', name: 'k.pem' };
    wizard.files.signingKey = { token: 'tok-s', name: 's.pem' };
    wizard.files.apiKeyFile = { token: 'tok-api', name: 'api' };
    await wizard.importCredentials();
    expect(commands.importCredentials).toHaveBeenCalledWith('staging', {
      mtls: { kind: 'pem', chain: 'tok-picked', key: 'tok-k' },
      signingKey: 'tok-s',
      apiKeyFile: 'tok-api',
    });
    expect(wizard.step).toBe('done');
    expect(wizard.imported?.subject).toBe('CN=bank');
    expect(commands.testConnection).toHaveBeenCalledWith('staging');
    expect(wizard.steps?.[0].ok).toBe(true);
  });

  it('clears the passphrase once sent, even when the import is refused, and says why', async () => {
    const commands = calls({ importCredentials: vi.fn(() => fail('CREDENTIALS_INVALID', 'wrong passphrase for b.p12')) });
    const wizard = new ImportWizard('production', commands);
    expect(wizard.step).toBe('credentials');
    wizard.mtlsKind = 'pkcs12';
    wizard.files.bundle = { token: 'tok-b', name: 'b.p12' };
    wizard.passphrase = 'open sesame';
    await wizard.importCredentials();
    expect(commands.importCredentials).toHaveBeenCalledWith(
      'production',
      expect.objectContaining({ mtls: { kind: 'pkcs12', bundle: 'tok-b', passphrase: 'open sesame' } }),
    );
    expect(wizard.passphrase).toBe('');
    expect(wizard.step).toBe('credentials');
    expect(wizard.problem).toEqual({ code: 'CREDENTIALS_INVALID', detail: 'wrong passphrase for b.p12' });
    expect(commands.testConnection).not.toHaveBeenCalled();
  });

  it('stays on the first step with the core’s reason when the environment is refused', async () => {
    const wizard = new ImportWizard(null, calls({ addEnvironment: vi.fn(() => fail('INVALID_INPUT', 'the base URL must start with https://')) }));
    await wizard.saveConnection();
    expect(wizard.step).toBe('connection');
    expect(wizard.problem).toEqual({ code: 'INVALID_INPUT', detail: 'the base URL must start with https://' });
    expect(wizard.busy).toBe(false);
  });

  it('keeps a field as it was when the picker is cancelled', async () => {
    const wizard = new ImportWizard('staging', calls({ chooseFile: vi.fn(() => ok(null)) }));
    wizard.files.signingKey = { token: 'tok-s', name: 's.pem' };
    await wizard.choose('signingKey', 'privateKey', 'Signing key');
    expect(wizard.files.signingKey).toEqual({ token: 'tok-s', name: 's.pem' });
  });
});
