import { describe, expect, it } from 'vitest';
import { RecentConsumers } from './recent.svelte';

describe('RecentConsumers', () => {
  it('lists the newest first without repeats, up to the limit', () => {
    const recent = new RecentConsumers(3);
    recent.add('cons-1', 'Hanako Sato');
    recent.add('cons-2', null);
    recent.add('cons-3', 'Taro Ito');
    recent.add('cons-1', null);
    expect(recent.items.map((item) => item.consumerId)).toEqual(['cons-1', 'cons-3', 'cons-2']);
    expect(recent.items[0].name).toBe('Hanako Sato');
    recent.add('cons-4', null);
    expect(recent.items.map((item) => item.consumerId)).toEqual(['cons-4', 'cons-1', 'cons-3']);
  });
});
