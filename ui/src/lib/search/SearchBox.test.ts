import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';

import SearchBox from './SearchBox.svelte';
import { locale } from '$lib/i18n/index.svelte';

describe('the search box', () => {
  it('tells people the shortcut that brings it back, in their words', () => {
    locale.language = 'en';
    render(SearchBox, {});
    const hint = screen.getByTestId('search-shortcut');
    expect(hint.textContent).toBe('Ctrl+K');
    expect(hint.getAttribute('title')).toContain('Ctrl+K brings you back to this box');
    expect(screen.getByTestId('search').getAttribute('aria-keyshortcuts')).toBe('Control+K');
  });
});
