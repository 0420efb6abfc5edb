import { describe, expect, it } from 'vitest';
import { eventWords } from './auditEvents';
import { catalogues, format } from '$lib/i18n/index.svelte';
import type { MessageKey } from '$lib/i18n/en';

const inJapanese = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.ja[key], params);
const inEnglish = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.en[key], params);

describe('audit events in the operator’s words', () => {
  it('names fixed events, writes with their stage, and refusals with what was refused', () => {
    expect(eventWords('profile_view', inJapanese)).toBe('会員情報の閲覧');
    expect(eventWords('opt_out_card_intent', inJapanese)).toBe('カードのオプトアウト:意図を記録');
    expect(eventWords('update_consumer_outcome', inEnglish)).toBe('Consumer update: outcome');
    expect(eventWords('batchoptout_denied', inEnglish)).toBe('Refused by the role: batch opt-out');
    expect(eventWords('auditexport_denied', inJapanese)).toBe('ロールにより拒否:監査ログの書き出し');
  });

  it('shows an event it does not know as recorded', () => {
    expect(eventWords('something_new', inEnglish)).toBe('something_new');
    expect(eventWords('unknownthing_denied', inEnglish)).toBe('unknownthing_denied');
    expect(eventWords('_intent', inEnglish)).toBe('_intent');
  });
});
