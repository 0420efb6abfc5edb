import type { Theme } from '$lib/ipc/types';

const DARK = '(prefers-color-scheme: dark)';

/** The theme in effect: the operator's choice, or the system's preference without one. */
export function effectiveTheme(chosen: Theme | null, systemPrefersDark: boolean): Theme {
  return chosen ?? (systemPrefersDark ? 'dark' : 'light');
}

/**
 * Keeps `data-theme` on the document in step with `chosen()` and, when nothing is chosen, with
 * the system's preference as it changes. Returns the function that stops following it.
 */
export function applyTheme(chosen: () => Theme | null): () => void {
  const media = window.matchMedia?.(DARK);
  const apply = () => {
    document.documentElement.dataset.theme = effectiveTheme(chosen(), media?.matches ?? false);
  };
  apply();
  media?.addEventListener('change', apply);
  return () => media?.removeEventListener('change', apply);
}
