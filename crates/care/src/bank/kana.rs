//! What a Japanese operator types, in the form the bank's records hold names: full-width
//! katakana. A Japanese input method shows hiragana first (さとう), and older bank systems keep
//! half-width katakana (ｻﾄｳ); the issuer-records API compares full-width katakana (サトウ).

use unicode_normalization::UnicodeNormalization;

/// `text` with half-width katakana made full-width (NFKC, which also turns full-width latin
/// and digits into plain ones) and hiragana made katakana; anything else unchanged.
pub fn fold_to_katakana(text: &str) -> String {
    text.nfkc()
        .map(|c| match c {
            // ぁ..ゖ and the iteration marks ゝゞ sit 0x60 below their katakana.
            '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hiragana_and_half_width_katakana_become_full_width_katakana() {
        assert_eq!(fold_to_katakana("さとう さくら"), "サトウ サクラ");
        assert_eq!(fold_to_katakana("ｻﾄｳ ｻｸﾗ"), "サトウ サクラ");
        assert_eq!(fold_to_katakana("ｶﾞｯｺｳ"), "ガッコウ");
        assert_eq!(fold_to_katakana("佐藤 さくら"), "佐藤 サクラ");
        assert_eq!(fold_to_katakana("ゝ"), "ヽ");
        for unchanged in [
            "サトウ",
            "cons-0010-closed",
            "sato@example.jp",
            "4878",
            "Sato",
        ] {
            assert_eq!(fold_to_katakana(unchanged), unchanged);
        }
        assert_eq!(fold_to_katakana("Ｓａｔｏ"), "Sato");
    }
}
