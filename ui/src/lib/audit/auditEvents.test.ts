import { describe, expect, it } from 'vitest';
import { eventWords } from './auditEvents';
import { catalogues, format } from '$lib/i18n/index.svelte';
import type { MessageKey } from '$lib/i18n/en';
import type { AuditEvent } from '$lib/ipc/types';

const inJapanese = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.ja[key], params);
const inEnglish = (key: MessageKey, params?: Record<string, string | number>) => format(catalogues.en[key], params);
const typed = (kind: AuditEvent) => ({ event: kind, kind });

describe('audit events in the operator’s words', () => {
  it('names fixed events, writes with their stage, and refusals with what was refused', () => {
    expect(eventWords(typed('profile_view'), inJapanese)).toBe('会員情報の閲覧');
    expect(eventWords(typed('opt_out_card_intent'), inJapanese)).toBe('カードのオプトアウト:意図を記録');
    expect(eventWords(typed('update_consumer_outcome'), inEnglish)).toBe('Consumer update: outcome');
    expect(eventWords(typed('batchoptout_denied'), inEnglish)).toBe('Refused by the role: batch opt-out');
    expect(eventWords(typed('auditexport_denied'), inJapanese)).toBe('ロールにより拒否:監査ログの書き出し');
  });

  it('shows an event a newer version wrote as recorded', () => {
    expect(eventWords({ event: 'something_new', kind: null }, inEnglish)).toBe('something_new');
    expect(eventWords({ event: 'unknownthing_denied', kind: null }, inEnglish)).toBe('unknownthing_denied');
  });
});
