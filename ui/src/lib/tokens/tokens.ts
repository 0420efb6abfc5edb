import {
  commands,
  TOKEN_REASONS,
  type CardTokensWrite,
  type ConsumerTokens_Serialize,
  type TokenWritten_Serialize as TokenWritten,
  type Token_Serialize as Token,
  type Permission,
  type TokenReason,
  type WriteKind,
} from '$lib/ipc/bindings';
import { call } from '$lib/ipc/call';
import { visible } from '$lib/common/visible';

/** Suspends every token of a card, or deletes every merchant's token of it (role `fraud`):
 * what became of each. */
export function writeCardTokens(request: CardTokensWrite): Promise<TokenWritten[]> {
  return call(commands.writeCardTokens(request));
}

/** A consumer's cards' tokens, each card read at once, and the findings on them. */
export function consumerTokens(consumerId: string): Promise<ConsumerTokens_Serialize> {
  return call(commands.consumerTokens(consumerId));
}

/** The groups of a card's tokens, in the order the panel shows them. */
export const GROUPS = ['clickToPay', 'wallets', 'merchants', 'other'] as const;
export type Group = (typeof GROUPS)[number];

/** The reason codes an operator may give: the customer's for any role that writes, the fraud
 * team's too with `tokenFraud`. */
export function reasonsFor(allowed: Permission[] | null): TokenReason[] {
  const fraud = allowed === null || allowed.includes('tokenFraud');
  return (Object.keys(TOKEN_REASONS) as TokenReason[])
    .filter((code) => fraud || TOKEN_REASONS[code])
    .sort((a, b) => Number(TOKEN_REASONS[b]) - Number(TOKEN_REASONS[a]));
}

/** A token's write. */
export type TokenKind = Extract<WriteKind, 'SUSPEND_TOKEN' | 'RESUME_TOKEN' | 'DELETE_TOKEN'>;

/** The writes the panel offers on `token` of `group`: suspend while the bank has not
 * suspended it, resume the bank's own suspension, delete unless deleted (a Click to Pay token
 * leaves with its card's opt-out instead). The core checks again and says why it refuses. */
export function tokenActions(token: Token, group: Group): TokenKind[] {
  if (token.state === 'DELETED') return [];
  const byBank = token.suspendedBy.includes('ISSUER');
  const actions: TokenKind[] = [byBank ? 'RESUME_TOKEN' : 'SUSPEND_TOKEN'];
  if (group !== 'clickToPay') actions.push('DELETE_TOKEN');
  return actions;
}

/** Who holds `token`, in words: the wallet and its device, the merchant and its gateway, or the
 * network's Click to Pay. Each name comes from a third party (a wallet, a merchant gateway): a
 * hidden character in it is shown as its code, so that it cannot reorder or disguise the words. */
export function holder(token: Token): string {
  const name = visible(token.requestorName ?? '');
  if (token.deviceName) return `${name} — ${visible(token.deviceName)}`;
  if (token.merchantGatewayId) return `${name} (${visible(token.merchantGatewayId)})`;
  return name;
}
