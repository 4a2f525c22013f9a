//! Desktop integration shared by the window and the packages: the application
//! id (the Desktop Entry's file name, the AppStream id, the Wayland app id and
//! the icon's name in the hicolor theme) and the window icon.
//!
//! The PNGs are rendered from `assets/icon.svg` by `packaging/render-icons.sh`
//! and committed; the package installs the same files into the hicolor theme.

use std::sync::Arc;

/// The reverse-DNS application id. `packaging/<APP_ID>.desktop` and
/// `packaging/<APP_ID>.metainfo.xml` carry it in their names, and the icon is
/// installed under it, so a launcher can tie the window to its entry.
pub const APP_ID: &str = "com.zrg.RolloutPanel";

/// The icon PNGs by size in pixels, as committed under `assets/`.
pub const ICON_PNGS: [(u32, &[u8]); 5] = [
    (32, include_bytes!("../../assets/icon-32.png")),
    (48, include_bytes!("../../assets/icon-48.png")),
    (64, include_bytes!("../../assets/icon-64.png")),
    (128, include_bytes!("../../assets/icon-128.png")),
    (256, include_bytes!("../../assets/icon-256.png")),
];

/// The window icon (the 256 px PNG), or `None` with a warning in the log when
/// it cannot be decoded — the window then opens with the platform's default.
pub fn window_icon() -> Option<Arc<egui::IconData>> {
    let (_, png) = ICON_PNGS[ICON_PNGS.len() - 1];
    match eframe::icon_data::from_png_bytes(png) {
        Ok(icon) => Some(Arc::new(icon)),
        Err(e) => {
            tracing::warn!("the window icon could not be decoded: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_icon_decodes_at_its_size() {
        for (size, png) in ICON_PNGS {
            let icon = eframe::icon_data::from_png_bytes(png).expect("a valid PNG");
            assert_eq!((icon.width, icon.height), (size, size), "icon-{size}.png");
            // Rounded corners: the corner pixel is transparent, the centre is not.
            assert_eq!(icon.rgba[3], 0, "icon-{size}.png corner alpha");
            let centre = ((size / 2) * size + size / 2) as usize * 4;
            assert_eq!(icon.rgba[centre + 3], 255, "icon-{size}.png centre alpha");
        }
        let window = window_icon().expect("the window icon");
        assert_eq!((window.width, window.height), (256, 256));
    }

    /// The metainfo's screenshot points at a PNG committed in this repository,
    /// at the size the metainfo states.
    #[test]
    fn the_metainfo_screenshot_is_a_committed_png_of_the_stated_size() {
        let root = env!("CARGO_MANIFEST_DIR");
        let path = format!("{root}/packaging/{APP_ID}.metainfo.xml");
        let xml = std::fs::read_to_string(&path).expect(&path);
        let tag_start = xml.find("<image type=\"source\"").expect("a source image");
        let tag = &xml[tag_start..];
        let attr = |name: &str| -> u32 {
            let at = tag.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
            tag[at..tag[at..].find('"').map(|e| at + e).expect("quote")]
                .parse()
                .expect("a number")
        };
        let url_start = tag.find('>').expect(">") + 1;
        let url = &tag[url_start..url_start + tag[url_start..].find('<').expect("<")];
        let file = url
            .split("/main/")
            .nth(1)
            .expect("a URL into the main branch");
        let png = std::fs::read(format!("{root}/{file}")).expect(file);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{file} is a PNG");
        let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        assert_eq!((be(16), be(20)), (attr("width"), attr("height")), "{file}");
    }

    #[test]
    fn the_packaging_files_carry_the_app_id() {
        let root = env!("CARGO_MANIFEST_DIR");
        for ext in ["desktop", "metainfo.xml"] {
            let path = format!("{root}/packaging/{APP_ID}.{ext}");
            let text = std::fs::read_to_string(&path).expect(&path);
            assert!(text.contains(APP_ID), "{path} names {APP_ID}");
        }
    }
}
