import { describe, expect, it } from 'vitest';
import { Environments, type EnvironmentCommands, type EnvironmentStatus } from './environments.svelte';

function status(name: string, active: boolean, simulated = false): EnvironmentStatus {
  return {
    environment: {
      name,
      baseUrl: `https://${name}.test/banking/v1`,
      tokenUrl: `https://${name}.test/token`,
      issuerRecordsUrl: `https://${name}.test/records`,
      issuerId: 'ISSUER0001',
      kid: 'kid',
      trustedCaPem: null,
      clientChainPem: null,
      certificateNotAfter: null,
      simulated,
    },
    active,
    hasCredentials: true,
  };
}

/** Commands over an in-memory list, with `refuse` naming an environment the core refuses. */
function fake(refuse = ''): EnvironmentCommands {
  let active = 'sandbox';
  return {
    environments: async () => ({
      status: 'ok',
      data: [status('sandbox', active === 'sandbox', true), status('staging', active === 'staging')],
    }),
    useEnvironment: async (name) => {
      if (name === refuse) return { status: 'error', error: { code: 'CREDENTIALS_MISSING', message: 'no key' } };
      active = name;
      return { status: 'ok', data: null };
    },
  };
}

describe('Environments', () => {
  it('switches and reads the list again, so every view shows the new active one', async () => {
    const environments = new Environments(fake());
    await environments.load();
    expect(environments.active?.environment.name).toBe('sandbox');
    expect(await environments.use('staging')).toBe(true);
    expect(environments.active?.environment.name).toBe('staging');
    expect(environments.problem).toBeNull();
  });

  it('keeps the active environment and says why when the core refuses the switch', async () => {
    const environments = new Environments(fake('staging'));
    await environments.load();
    expect(await environments.use('staging')).toBe(false);
    expect(environments.problem).toEqual({ code: 'CREDENTIALS_MISSING' });
    expect(environments.active?.environment.name).toBe('sandbox');
  });
});
