import type { MessageKey } from './en';

/** Japanese strings (日本語). Must have exactly the keys of `en.ts`. */
export const ja: Record<MessageKey, string> = {
  'app.name': 'C2P Care',
  'app.tagline': 'Click to Pay ケアコンソール',
  'env.sandbox': 'サンドボックス — シミュレーションデータ',
  'env.label': '接続環境',
  'language.label': '言語',
  'language.en': 'English',
  'language.ja': '日本語',
  'search.label': '会員を検索',
  'search.placeholder': '会員ID、カードID、氏名、メール、電話番号、下4桁',
  'empty.title': '会員を探す',
  'empty.body':
    '会員ID、カードID、氏名(漢字・カナ・ローマ字)、メールアドレス、電話番号、カード番号の下4桁で検索できます。',
  'status.version': 'バージョン {version}',
  'status.loading': '起動中…',
  'notice.dismiss': '閉じる',
  'error.STORAGE':
    'コンソールのファイルを保存または読み込みできませんでした。ディスクの空き容量を確認してから、もう一度お試しください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.INVALID_INPUT': '入力値が正しくありません。確認してもう一度お試しください。変更は行われていません。',
  'error.INTERNAL':
    'コンソール内部でエラーが発生しました。もう一度お試しください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.unexpected':
    'コンソールが想定どおりに応答しませんでした。再起動してください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.saveLanguage': '言語の選択を保存できませんでした。コンソールを閉じると元に戻ります。',
};
