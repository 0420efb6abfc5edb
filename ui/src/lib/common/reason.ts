/** D1's rule for the free-text reason of an operation: 1 to 64 letters, digits or spaces. */
export const REASON_PATTERN = /^[a-zA-Z0-9 ]{1,64}$/;

/** Why `reason` would be refused, or null when D1 accepts it (an empty reason is allowed). */
export function reasonProblem(reason: string): 'reason.tooLong' | 'reason.characters' | null {
  if (reason === '') return null;
  if (reason.length > 64) return 'reason.tooLong';
  return REASON_PATTERN.test(reason) ? null : 'reason.characters';
}
