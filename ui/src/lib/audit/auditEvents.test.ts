import { describe, expect, it } from 'vitest';
import { auditFilter, eventWords, resultWords } from './auditEvents';
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

describe('audit results in the operator’s words', () => {
  it('reads the forms the core writes and leaves anything else as recorded', () => {
    expect(resultWords('7 found', inJapanese)).toBe('7 件見つかりました');
    expect(resultWords('SUCCESSFUL', inJapanese)).toBe('完了');
    expect(resultWords('recorded; reason code ISSUER_DECISION; reason: Card closed at bank', inJapanese)).toBe(
      '記録済み。理由コード ISSUER_DECISION、理由:Card closed at bank',
    );
    expect(resultWords('recorded; reason code USER_DECISION; reason: none given', inEnglish)).toBe(
      'recorded; reason code USER_DECISION; reason: none given',
    );
    expect(resultWords('all records, newest first, from 1: 2 of 9 read, filtered by "audit_read"', inJapanese)).toBe(
      '全員の記録 9 件中 1–2 件目を読み込み(新しい順)、絞り込み「audit_read」',
    );
    expect(resultWords('team records, newest first, from 101: 100 of 340 read, operator "B-0002"', inEnglish)).toBe(
      'read the team’s records 101–200 of 340, newest first, operator "B-0002"',
    );
    expect(resultWords('own records, newest first, from 1: 0 of 0 read', inEnglish)).toBe('read: no records to show (0 in all)');
    expect(resultWords('intact (14 records); the team store holds the same chain', inEnglish)).toBe(
      'chain intact (14 records); the team store holds the same chain',
    );
    expect(resultWords('intact (3 records); TRUNCATED: the team store holds 5 records', inJapanese)).toBe(
      'チェーンは正常(3 件); TRUNCATED: the team store holds 5 records',
    );
    expect(resultWords('D1 answered 403: forbidden', inJapanese)).toBe('D1 answered 403: forbidden');
  });

  it('filters by what is recorded and by the events’ words in the operator’s language', () => {
    expect(auditFilter('  会員情報の閲覧 ', inJapanese)).toEqual({ text: '会員情報の閲覧', events: ['profile_view', 'view_denied'] });
    expect(auditFilter('閲覧', inJapanese).events).toContain('audit_read');
    expect(auditFilter('', inJapanese)).toEqual({ text: '', events: [] });
  });
});
