import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';

import SearchResults from './SearchResults.svelte';
import { SearchState, type ConsumerSummary } from './search.svelte';
import { locale } from '$lib/i18n/index.svelte';

/** Seven people with one name, told apart by what the core lets the results show. */
function sakura(n: number): ConsumerSummary {
  return {
    consumerId: `cons-00${n}`,
    nameLatin: { first: 'Sakura', last: 'Sato' },
    nameKanji: { first: 'さくら', last: '佐藤' },
    nameKana: null,
    email: `${'abcdefg'[n]}•••@example.jp`,
    phoneCountryCode: '+81',
    phoneNumber: `•••• 601${n}`,
    cards: [{ cardId: `crd-${n}`, scheme: 'VISA', last4: `042${n}`, status: 'OPEN' }],
  };
}

describe('the search results', () => {
  it('tell people with one name apart, count them, and reveal contact details only when asked', async () => {
    locale.language = 'en';
    const people = [0, 1, 2, 3, 4, 5, 6].map(sakura);
    const run = vi.fn().mockResolvedValue({ status: 'ok', data: { consumers: people, more: false } });
    const reveal = vi.fn().mockResolvedValue({ status: 'ok', data: { email: 'b.sato@example.jp', phone: '090-4830-6011' } });
    const search = new SearchState(run, 0, reveal);
    search.input('さとう さくら');
    await vi.waitFor(() => expect(search.results).toHaveLength(7));
    render(SearchResults, { search, onopen: () => {} });

    expect(screen.getByTestId('result-count').textContent?.trim()).toBe('7 found');
    const contacts = screen.getAllByTestId('result-contact').map((c) => c.textContent);
    expect(new Set(contacts).size).toBe(7);
    expect(contacts[1]).toBe('b•••@example.jp · •••• 6011');
    expect(screen.getAllByTestId('result')[0].textContent).toContain('佐藤 さくら');
    expect(screen.getAllByTestId('result')[0].textContent).toContain('VISA •••• 0420');

    search.move(1);
    await fireEvent.click(await screen.findByTestId('reveal-contact'));
    expect(reveal).toHaveBeenCalledWith('cons-001');
    await vi.waitFor(() =>
      expect(screen.getAllByTestId('result-contact')[1].textContent).toBe('b.sato@example.jp · 090-4830-6011'),
    );
    expect(screen.getAllByTestId('result-contact')[0].textContent).toBe('a•••@example.jp · •••• 6010');
  });
});
