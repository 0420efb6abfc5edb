/**
 * The screens other than search, loaded when first opened: the first page carries only what the
 * search box needs, so an agent can type sooner after launch, and the webview holds no screen
 * that is never opened. Each is a few kB from the app itself: opening the first consumer waits
 * a few milliseconds for its screen, next to the tens the consumer's data takes to read.
 * (Preloading the consumer screen after start-up cost about 0.7 MiB of webview memory.)
 */
export const screens = {
  consumer: () => import('./components/ConsumerScreen.svelte'),
  batch: () => import('./components/BatchScreen.svelte'),
  profiles: () => import('./components/ProfileAuditScreen.svelte'),
  operations: () => import('./components/OperationsScreen.svelte'),
  audit: () => import('./components/AuditScreen.svelte'),
  settings: () => import('./components/SettingsScreen.svelte'),
};
