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
  'diff.differs': '相違',
  'diff.normalised': '正規化後は一致',
  'diff.missing': '未登録',
  'diff.notAtBank': '銀行に記録なし',
  'field.firstName': '名',
  'field.lastName': '姓',
  'field.email': 'メール',
  'field.phone': '電話番号',
  'field.language': '言語',
  'field.card': 'カード',
  'field.expiry': '有効期限',
  'field.cardholderName': 'カード名義',
  'field.billingAddress': '請求先住所',
  'field.status': '状態',
  'results.label': '検索結果',
  'results.none': '「{text}」に一致する会員はいません。',
  'results.more': 'さらに一致する会員がいます。検索語を追加して絞り込んでください。',
  'results.searching': '検索中…',
  'results.cards': 'カード {count} 枚',
  'consumer.back': '検索に戻る',
  'consumer.refresh': '再読み込み',
  'consumer.refreshedAt': '{time} に取得',
  'consumer.loading': '銀行とディレクトリを読み込み中…',
  'consumer.bank': '銀行の記録',
  'consumer.field': '項目',
  'consumer.findings': '検出事項',
  'consumer.noFindings': '検出事項はありません。ディレクトリは銀行の記録と一致しています。',
  'consumer.partial': '一部のディレクトリを読み込めなかったため、検出事項が不完全な可能性があります。',
  'consumer.notEnrolled': '未登録',
  'consumer.unavailable': '読み込めませんでした',
  'consumer.retry': '再試行',
  'consumer.unknownToBank': '銀行にこの会員の記録はありません。',
  'consumer.bankUnavailable': '銀行の記録を読み込めませんでした。',
  'consumer.suggested': '推奨: {action}',
  'severity.CRITICAL': '重大',
  'severity.WARNING': '警告',
  'severity.INFO': '情報',
  'finding.CARD_CLOSED_BUT_ENROLLED': '銀行で解約・停止済みのカードが登録されたまま',
  'finding.CARD_NOT_ENROLLED': '有効なカードがブランドのディレクトリに未登録',
  'finding.CONTACT_DIFFERS': '連絡先が銀行の記録と異なる',
  'finding.CONTACT_WRITTEN_DIFFERENTLY': '連絡先の表記が異なる(正規化後は一致)',
  'finding.BILLING_ADDRESS_DIFFERS': '請求先住所が銀行の記録と異なる',
  'finding.PROFILE_WITHOUT_CARDS': 'カードのないプロファイルがディレクトリにある',
  'finding.UNKNOWN_TO_BANK': 'ディレクトリにあるが銀行に記録のない会員',
  'action.OPT_OUT_CARD': 'カードをオプトアウト',
  'action.OPT_OUT_CONSUMER': '会員をオプトアウト',
  'action.ENROL_CARD': 'カードを登録',
  'action.UPDATE_CONSUMER': '銀行の記録でディレクトリを更新',
  'action.UPDATE_CARD': '銀行の記録でカード情報を更新',
  'error.STORAGE':
    'コンソールのファイルを保存または読み込みできませんでした。ディスクの空き容量を確認してから、もう一度お試しください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.INVALID_INPUT': '入力値が正しくありません。確認してもう一度お試しください。変更は行われていません。',
  'error.INTERNAL':
    'コンソール内部でエラーが発生しました。もう一度お試しください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.KEYCHAIN_UNAVAILABLE':
    'システムのキーチェーンに接続できないため、認証情報を使用できません。GNOME Keyring または KWallet を起動する(またはデスクトップに再ログインする)と、コンソールを再起動してください。',
  'error.KEYCHAIN_LOCKED':
    'システムのキーチェーンがロックされています。ロックを解除(再ログインまたはキーリング管理ツールで解除)してから、コンソールを再起動してください。',
  'error.CREDENTIALS_MISSING':
    'この環境にはまだ認証情報がありません。設定 → 環境 から取り込むか、管理者に依頼してください。',
  'error.CREDENTIALS_INVALID':
    'この認証情報は使用できないため、何も保存されていません。証明書と鍵が対応していること、証明書の有効期限、署名鍵が P-256 であることを確認してください。',
  'error.NOT_FOUND':
    'その ID のデータは見つかりませんでした。ID を確認してもう一度お試しください。',
  'error.FORBIDDEN':
    'あなたのロールではこの操作は許可されていないため、実行されませんでした。必要な場合は管理者に連絡してください。',
  'error.UNREACHABLE':
    'サービスに接続できず、何も送信されていません。ネットワーク接続を確認してから、もう一度お試しください。',
  'error.OUTCOME_UNKNOWN':
    '要求は送信されましたが、応答がありませんでした。処理された可能性があります。コンソールが D1 に確認中です。操作画面に結果が表示されるまで再送しないでください。',
  'error.REJECTED':
    'サービスが要求を拒否しました。内容を確認してからもう一度お試しください。繰り返す場合は、相関 ID を添えて IT サポートに連絡してください。',
  'error.UNAUTHORIZED':
    'サービスがこの端末の認証情報を受け付けませんでした。パソコンの時刻を確認し、環境の認証情報の確認を管理者に依頼してください。',
  'error.RATE_LIMITED':
    'サービスから処理を減速するよう求められました。しばらく待ってから、もう一度お試しください。',
  'error.TLS_FAILED':
    '安全な接続を確立できませんでした。パソコンの時刻を確認し、環境の証明書の確認を管理者に依頼してください。',
  'error.BAD_ANSWER':
    'サービスの応答を読み取れなかったため、その内容は使用されていません。もう一度お試しください。繰り返す場合は IT サポートに連絡してください。',
  'error.ALREADY_IN_PROGRESS':
    'このカードまたは会員に対する同じ操作がまだ処理中のため、再送していません。操作画面で結果をお待ちください。',
  'error.unexpected':
    'コンソールが想定どおりに応答しませんでした。再起動してください。繰り返し発生する場合は、ログファイルをITサポートに送ってください。',
  'error.saveLanguage': '言語の選択を保存できませんでした。コンソールを閉じると元に戻ります。',
};
