/** English strings: the reference catalogue. Every key must also exist in `ja.ts`. */
export const en = {
  'app.name': 'C2P Care',
  'app.tagline': 'Click to Pay care console',
  'env.sandbox': 'SANDBOX — simulated data',
  'env.label': 'Environment',
  'language.label': 'Language',
  'language.en': 'English',
  'language.ja': '日本語',
  'search.label': 'Search consumers',
  'search.placeholder': 'Consumer ID, card ID, name, email, phone or last 4',
  'empty.title': 'Find a consumer',
  'empty.body':
    'Search by consumer ID, card ID, name (kanji, kana or latin), email address, phone number or the last 4 digits of a card.',
  'status.version': 'Version {version}',
  'status.loading': 'Starting…',
  'notice.dismiss': 'Dismiss',
  'diff.differs': 'differs',
  'diff.normalised': 'same after normalisation',
  'diff.missing': 'missing',
  'diff.notAtBank': 'not at the bank',
  'field.firstName': 'First name',
  'field.lastName': 'Last name',
  'field.email': 'Email',
  'field.phone': 'Phone',
  'field.language': 'Language',
  'field.card': 'Card',
  'field.expiry': 'Expiry',
  'field.cardholderName': 'Cardholder name',
  'field.billingAddress': 'Billing address',
  'field.status': 'Status',
  'results.label': 'Search results',
  'results.none': 'No consumer matches “{text}”.',
  'results.more': 'More consumers match: add to the search to narrow it.',
  'results.searching': 'Searching…',
  'results.cards': '{count} cards',
  'consumer.back': 'Back to search',
  'consumer.refresh': 'Refresh',
  'consumer.refreshedAt': 'Read at {time}',
  'consumer.loading': 'Reading the bank and the directories…',
  'consumer.bank': 'Bank record',
  'consumer.field': 'Field',
  'consumer.findings': 'Findings',
  'consumer.noFindings': 'No findings: the directories match the bank’s record.',
  'consumer.partial': 'Not every directory could be read, so the findings may be incomplete.',
  'consumer.notEnrolled': 'not enrolled',
  'consumer.unavailable': 'could not be read',
  'consumer.retry': 'Retry',
  'consumer.unknownToBank': 'The bank has no record of this consumer.',
  'consumer.bankUnavailable': 'The bank’s record could not be read.',
  'consumer.suggested': 'Suggested: {action}',
  'severity.CRITICAL': 'Critical',
  'severity.WARNING': 'Warning',
  'severity.INFO': 'Info',
  'finding.CARD_CLOSED_BUT_ENROLLED': 'Card closed or blocked at the bank but still enrolled',
  'finding.CARD_NOT_ENROLLED': 'Open card not enrolled in its network’s directory',
  'finding.CONTACT_DIFFERS': 'Contact details differ from the bank’s',
  'finding.CONTACT_WRITTEN_DIFFERENTLY': 'Contact details written differently (same after normalisation)',
  'finding.BILLING_ADDRESS_DIFFERS': 'Billing address differs from the bank’s',
  'finding.PROFILE_WITHOUT_CARDS': 'Profile in a directory with no card',
  'finding.UNKNOWN_TO_BANK': 'Consumer in a directory but unknown to the bank',
  'action.OPT_OUT_CARD': 'opt the card out',
  'action.OPT_OUT_CONSUMER': 'opt the consumer out',
  'action.ENROL_CARD': 'enrol the card',
  'action.UPDATE_CONSUMER': 'update the directory from the bank’s record',
  'action.UPDATE_CARD': 'update the card from the bank’s record',
  'error.STORAGE':
    'The console could not save or read its files. Check that the disk is not full, then try again. If it keeps happening, send the log file to IT support.',
  'error.INVALID_INPUT': 'That value is not valid. Check it and try again; nothing was changed.',
  'error.INTERNAL':
    'Something went wrong inside the console. Try again; if it keeps happening, send the log file to IT support.',
  'error.KEYCHAIN_UNAVAILABLE':
    'The system keychain cannot be reached, so the console cannot use its credentials. Start GNOME Keyring or KWallet (or sign in to the desktop again), then restart the console.',
  'error.KEYCHAIN_LOCKED':
    'The system keychain is locked. Unlock it (sign in again or open your keyring manager), then restart the console.',
  'error.CREDENTIALS_MISSING':
    'This environment has no credentials yet. Import them in Settings → Environments, or ask your administrator for them.',
  'error.CREDENTIALS_INVALID':
    'These credentials cannot be used, and nothing was stored. Check that the certificate and key belong together, the certificate has not expired, and the signing key is P-256.',
  'error.NOT_FOUND':
    'Nothing was found with that ID. Check the ID and try again.',
  'error.FORBIDDEN':
    'Your role does not allow this action, so it was not done. Ask your administrator if you need it.',
  'error.UNREACHABLE':
    'The service could not be reached, and nothing was sent. Check the network connection, then try again.',
  'error.OUTCOME_UNKNOWN':
    'The request was sent, but no answer came back. It may have been applied. The console is checking with D1; do not send it again until the Operations screen shows the result.',
  'error.REJECTED':
    'The service refused the request. Check the details, then try again; if it keeps happening, contact IT support with the correlation ID.',
  'error.UNAUTHORIZED':
    'The service did not accept this workstation\'s credentials. Check this computer\'s clock, then ask your administrator to check the environment\'s credentials.',
  'error.RATE_LIMITED':
    'The service asked the console to slow down. Wait a moment, then try again.',
  'error.TLS_FAILED':
    'A secure connection could not be made. Check this computer\'s clock, then ask your administrator to check the environment\'s certificates.',
  'error.BAD_ANSWER':
    'The service\'s answer could not be read, and nothing in it was used. Try again; if it keeps happening, contact IT support.',
  'error.ALREADY_IN_PROGRESS':
    'The same action on this card or consumer is still in progress, so it was not sent again. Wait for its result on the Operations screen.',
  'error.unexpected':
    'The console did not answer as expected. Restart it; if it keeps happening, send the log file to IT support.',
  'error.saveLanguage': 'Your language choice could not be saved and will be forgotten when you close the console.',
} as const;

/** A key of the message catalogues. */
export type MessageKey = keyof typeof en;
