import { describe, expect, it } from 'vitest';
import type { TeamStatus } from '$lib/ipc/bindings';
import { teamWords } from './teamStatus.svelte';

const now = Date.parse('2026-12-06T10:00:00Z');
const status = (over: Partial<TeamStatus>): TeamStatus => ({
  on: true,
  journal: true,
  link: { state: 'delivered' },
  unforwarded: 0,
  oldestUnforwarded: null,
  oldestAgeSeconds: null,
  limitSeconds: 300,
  emergency: null,
  emergencyOffered: false,
  ...over,
});

describe('teamWords', () => {
  it('says nothing without team mode', () => {
    expect(teamWords(null, now)).toBeNull();
    expect(teamWords(status({ on: false }), now)).toBeNull();
  });

  it('counts the backlog from its oldest record and warns once the store is out of reach', () => {
    const waiting = status({ unforwarded: 3, oldestUnforwarded: '2026-12-06T09:59:40Z' });
    expect(teamWords(waiting, now)).toEqual({
      key: 'team.behind',
      params: { records: 3, seconds: 20, limit: 5 },
      warn: false,
    });
    expect(teamWords({ ...waiting, link: { state: 'unreachable' } }, now)?.warn).toBe(true);
  });

  it('says writes are held past the limit, whatever the store last answered', () => {
    const late = status({ unforwarded: 12, oldestUnforwarded: '2026-12-06T09:54:00Z' });
    expect(teamWords(late, now)).toEqual({
      key: 'team.held',
      params: { records: 12, minutes: 6, limit: 5 },
      warn: true,
    });
  });

  it('is calm when everything is delivered and warns when the store is gone', () => {
    expect(teamWords(status({}), now)?.key).toBe('team.delivered');
    expect(teamWords(status({ link: { state: 'unreachable' } }), now)).toMatchObject({ key: 'team.unreachable', warn: true });
  });

  it('says the store refuses the trail, not that it is out of reach', () => {
    const refused = status({ unforwarded: 3, oldestUnforwarded: '2026-12-06T09:59:40Z', link: { state: 'refused', why: 'FORK' } });
    expect(teamWords(refused, now)).toEqual({ key: 'team.refused', params: {}, warn: true });
  });
});
