import type { StartHints_Serialize as StartHints } from '$lib/ipc/types';

/** The saved language and theme the core handed over before the page's scripts ran, so that the
 * first frame is drawn in them; none (follow the system) where no core did, as in tests. */
export function startHints(): StartHints {
  return (window as Window & { __C2P_START__?: StartHints }).__C2P_START__ ?? { language: null, theme: null };
}
