/**
 * The screens other than search, loaded on demand: the first page carries only what the search
 * box needs, so an agent can type sooner after launch. `preloadScreens` fetches the consumer
 * screen once the window is up, so that opening a search result does not wait either; the others
 * load when first opened (each is a few kB from the app itself), which keeps the webview's memory
 * down for an agent who never opens them.
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

/** Fetches the consumer screen shortly after start-up; a failure shows when it is opened. */
export function preloadScreens(): void {
  setTimeout(() => {
    screens.consumer().catch(() => {});
  }, PRELOAD_AFTER_MS);
}
