/**
 * The screens other than search, loaded when first opened: the first page carries only what the
 * search box needs, so an agent can type sooner after launch, and the webview holds no screen
 * that is never opened. Each is a few kB from the app itself: opening the first consumer waits
 * a few milliseconds for its screen, next to the tens the consumer's data takes to read.
 * (Preloading the consumer screen after start-up cost about 0.7 MiB of webview memory.)
 */
export const screens = {
  consumer: () => import('$lib/consumer/ConsumerScreen.svelte'),
  batch: () => import('$lib/batch/BatchScreen.svelte'),
  profiles: () => import('$lib/profileAudit/ProfileAuditScreen.svelte'),
  operations: () => import('$lib/operations/OperationsScreen.svelte'),
  audit: () => import('$lib/audit/AuditScreen.svelte'),
  settings: () => import('$lib/settings/SettingsScreen.svelte'),
};
