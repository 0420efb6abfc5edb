import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/ipc/bindings', () => ({ commands: {}, events: {} }));

import { centreWords, teamFilter } from './audit';
import { catalogues, format } from '$lib/i18n/index.svelte';
import type { MessageKey } from '$lib/i18n/en';

const en = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.en[key], params);
const ja = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.ja[key], params);

describe('centreWords', () => {
  it('names each way the local log differs from the team store, with its numbers', () => {
    expect(centreWords({ kind: 'truncated', local: 40, central: 42 }, en)).toBe(
      'TRUNCATED: the team store holds 42 records of this chain, this workstation only 40: the last records were deleted here. Tell your security team.',
    );
    expect(centreWords({ kind: 'forked', at: 7 }, en)).toMatch(/^FORKED at record 7: /);
    expect(centreWords({ kind: 'replaced', chain: 'chain-ab', records: 1 }, en)).toContain('(chain-ab, 1 record)');
    expect(centreWords({ kind: 'behind', records: 3 }, en)).toBe(
      '3 records not yet in the team store (they go as soon as it can be reached).',
    );
    expect(centreWords({ kind: 'forked', at: 7 }, ja)).toContain('記録 7');
  });
});

describe('teamFilter', () => {
  it('drops blanks, trims ids, and sends the date-time fields as RFC 3339', () => {
    const filter = teamFilter({
      operator: ' A-0042 ',
      workstation: '',
      event: 'opt_out_card_outcome',
      resource: '  ',
      from: '2026-12-01T09:00',
      to: 'not a time',
    });
    expect(filter).toEqual({
      operator: 'A-0042',
      workstation: null,
      event: 'opt_out_card_outcome',
      resource: null,
      from: new Date('2026-12-01T09:00').toISOString(),
      to: null,
    });
  });
});
