/**
 * The screens other than search, loaded on demand: the first page carries only what the search
 * box needs, so an agent can type sooner after launch. `preloadScreens` fetches them all once the
 * window is up, so that opening one later does not wait either.
 */
export const screens = {
  consumer: () => import('./components/ConsumerScreen.svelte'),
  batch: () => import('./components/BatchScreen.svelte'),
  profiles: () => import('./components/ProfileAuditScreen.svelte'),
  operations: () => import('./components/OperationsScreen.svelte'),
  audit: () => import('./components/AuditScreen.svelte'),
  settings: () => import('./components/SettingsScreen.svelte'),
};

/** How long after start-up the other screens are fetched. */
const PRELOAD_AFTER_MS = 300;

/** Fetches every screen shortly after start-up; a failure shows when that screen is opened. */
export function preloadScreens(): void {
  setTimeout(() => {
    for (const load of Object.values(screens)) load().catch(() => {});
  }, PRELOAD_AFTER_MS);
}
