//! Text in every script: after egui's own fonts (Latin, Greek, Cyrillic, and
//! Noto Emoji through egui's `monochrome_emoji_fonts`), the system's fonts
//! through the OS font fallback (fontconfig on Linux), then a bundled CJK
//! subset so a bare machine still draws Chinese, Japanese and Korean names
//! instead of boxes.

use egui::{FallbackRequest, FontData, FontInsert, FontPriority, InsertFontFamily};
use std::sync::Arc;

/// A subset of Noto Sans CJK SC (SIL OFL 1.1, `assets/fonts/OFL-NotoSansCJK.txt`):
/// the characters of GB 2312, JIS X 0208, KS X 1001 and Big5 level 1.
pub const BUNDLED_CJK: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJK-subset.otf");

/// The bundled font's name in egui's font list.
pub const BUNDLED_CJK_NAME: &str = "bundled:Noto Sans CJK SC (subset)";

/// Where fonts for characters egui's own fonts lack come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// The system's fonts first, then the bundled subset (the window).
    SystemThenBundled,
    /// Only the bundled subset (a bare machine; tests).
    BundledOnly,
}

/// Installs the fallback chain on `ctx`. Nothing is read until a character
/// needs it: the system's fonts are enumerated on a background thread.
pub fn install(ctx: &egui::Context, fallback: Fallback) {
    if fallback == Fallback::SystemThenBundled {
        ctx.add_font_provider(Arc::new(
            egui_system_font_provider::SystemFontProvider::new(),
        ));
    }
    ctx.add_font_provider(Arc::new(BundledCjk));
}

/// Whether the bundled subset has a glyph for `c`.
pub fn bundled_has(c: char) -> bool {
    use skrifa::MetadataProvider as _;
    skrifa::FontRef::new(BUNDLED_CJK)
        .ok()
        .and_then(|font| font.charmap().map(c))
        .is_some_and(|glyph| glyph != skrifa::GlyphId::NOTDEF)
}

/// Offers [`BUNDLED_CJK`] for the characters it has.
struct BundledCjk;

impl egui::FontProvider for BundledCjk {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let first = request.cluster.chars().next()?;
        if !bundled_has(first) {
            return None;
        }
        tracing::debug!("bundled CJK font for {first:?}");
        Some(FontInsert {
            name: BUNDLED_CJK_NAME.to_owned(),
            data: FontData::from_static(BUNDLED_CJK),
            families: vec![InsertFontFamily {
                family: request.family.clone(),
                priority: FontPriority::Lowest,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_subset_has_everyday_cjk_and_not_latin() {
        for c in [
            '東', '京', '日', '本', '語', '中', '文', '한', '국', 'あ', 'カ', '臺', '灣',
        ] {
            assert!(bundled_has(c), "{c}");
        }
        // Latin is egui's own fonts' job; the subset keeps none of it.
        assert!(!bundled_has('A'));
    }
}
