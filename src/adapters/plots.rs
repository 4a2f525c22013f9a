//! The rollout record's static plots (issue 30): each [`Plot`] drawn once
//! as SVG with `plotters`, and the same SVG rasterised to PNG with `resvg`
//! using the panel's own bundled font (no system font is looked up, so the
//! same plot gives the same bytes on every machine).

use crate::core::record::Plot;
use crate::core::time::UtcNaive;
use plotters::prelude::*;
use std::sync::{Arc, OnceLock};

/// The plots' size in pixels.
pub const SIZE: (u32, u32) = (960, 360);

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the plot {stem}: {detail}")]
pub struct PlotError {
    /// The plot.
    pub stem: String,
    /// What failed.
    pub detail: String,
}

/// The lines' colours, in order (canary first).
const COLOURS: [RGBColor; 4] = [
    RGBColor(0xd9, 0x48, 0x1c),
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0xe8, 0x9b, 0x7f),
    RGBColor(0x7f, 0xa6, 0xd4),
];

const MARKER: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// The plot as an SVG document.
pub fn svg(plot: &Plot) -> Result<String, PlotError> {
    let fail = |e: &dyn std::fmt::Display| PlotError {
        stem: plot.stem.to_owned(),
        detail: e.to_string(),
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let n = plot.x.len().max(2) as f64;
        let top = plot
            .lines
            .iter()
            .flat_map(|l| l.values.iter().flatten())
            .fold(0.0_f64, |a, b| a.max(*b));
        let ymax = if plot.share {
            (top * 1.15).clamp(0.05, 1.0)
        } else {
            (top * 1.15).max(1.0)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(&plot.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..n - 1.0, 0.0..ymax)
            .map_err(|e| fail(&e))?;
        let x = plot.x.clone();
        let label_x = move |v: &f64| -> String {
            let i = v.round().max(0.0) as usize;
            x.get(i)
                .map_or_else(String::new, |t| t.format("%m-%d %H:%M").to_string())
        };
        let share = plot.share;
        let label_y = move |v: &f64| -> String {
            if share {
                format!("{:.0} %", v * 100.0)
            } else {
                format!("{v:.0}")
            }
        };
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&label_x)
            .y_label_formatter(&label_y)
            .y_desc(plot.y_label)
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(|e| fail(&e))?;
        for (k, (at, number)) in plot.markers.iter().enumerate() {
            let Some(pos) = position(&plot.x, plot.bin_minutes, *at) else {
                continue;
            };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(pos, 0.0), (pos, ymax)],
                    MARKER.stroke_width(1),
                )))
                .map_err(|e| fail(&e))?;
            // Staggered so close actions stay readable.
            let y = ymax * (0.96 - 0.07 * (k % 4) as f64);
            chart
                .draw_series(std::iter::once(Text::new(
                    number.to_string(),
                    (pos, y),
                    ("sans-serif", 13).into_font().color(&MARKER),
                )))
                .map_err(|e| fail(&e))?;
        }
        for (i, line) in plot.lines.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            // A gap (no value) breaks the line: one segment per run.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (j, v) in line.values.iter().enumerate() {
                match v {
                    Some(v) => runs
                        .last_mut()
                        .into_iter()
                        .for_each(|r| r.push((j as f64, *v))),
                    None => runs.push(Vec::new()),
                }
            }
            let mut first = true;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let series = chart
                    .draw_series(LineSeries::new(run, colour.stroke_width(2)))
                    .map_err(|e| fail(&e))?;
                if std::mem::take(&mut first) {
                    series.label(&line.label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xbb, 0xbb, 0xbb))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(out)
}

/// Where `at` falls on the x axis (bins), if inside it.
fn position(x: &[UtcNaive], bin_minutes: i64, at: UtcNaive) -> Option<f64> {
    let first = *x.first()?;
    let last = *x.last()? + chrono::Duration::minutes(bin_minutes.max(1));
    if at < first || at >= last {
        return None;
    }
    let minutes = (at - first).num_seconds() as f64 / 60.0;
    Some((minutes / bin_minutes.max(1) as f64).min((x.len().max(2) - 1) as f64))
}

/// The font database the PNGs are drawn with: the panel's bundled sans
/// serif only.
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
            let family = db
                .faces()
                .next()
                .and_then(|f| f.families.first())
                .map(|(name, _)| name.clone());
            if let Some(family) = family {
                db.set_sans_serif_family(family);
            }
            Arc::new(db)
        })
        .clone()
}

/// An SVG document rasterised to PNG.
pub fn png(stem: &str, svg: &str) -> Result<Vec<u8>, PlotError> {
    let fail = |detail: String| PlotError {
        stem: stem.to_owned(),
        detail,
    };
    let options = resvg::usvg::Options {
        fontdb: fonts(),
        font_family: "sans-serif".to_owned(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| fail(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| fail("the image has no size".to_owned()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::record::PlotLine;

    fn plot() -> Plot {
        let t0 = chrono::NaiveDate::from_ymd_opt(2026, 2, 20)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("time");
        Plot {
            stem: "test",
            title: "Attempted & <applied>".to_owned(),
            y_label: "drafts",
            x: (0..10)
                .map(|i| t0 + chrono::Duration::minutes(10 * i))
                .collect(),
            bin_minutes: 10,
            lines: vec![PlotLine {
                label: "canary".to_owned(),
                values: vec![
                    Some(1.0),
                    Some(3.0),
                    None,
                    Some(2.0),
                    Some(0.0),
                    Some(5.0),
                    Some(4.0),
                    Some(1.0),
                    Some(0.0),
                    Some(2.0),
                ],
            }],
            markers: vec![(t0 + chrono::Duration::minutes(25), 1)],
            share: false,
        }
    }

    #[test]
    fn the_svg_and_png_are_well_formed_and_the_same_every_time() {
        let p = plot();
        let a = svg(&p).expect("svg");
        assert!(a.starts_with("<svg"), "{}", &a[..40.min(a.len())]);
        assert!(a.contains("canary"), "the legend");
        assert!(a.contains("&lt;applied&gt;"), "the title is escaped");
        assert_eq!(a, svg(&p).expect("svg again"));
        let png_a = png("test", &a).expect("png");
        assert_eq!(&png_a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png_a, png("test", &a).expect("png again"));
    }

    #[test]
    fn a_marker_lands_in_its_bin_and_outside_is_dropped() {
        let p = plot();
        assert_eq!(position(&p.x, 10, p.x[0]), Some(0.0));
        assert_eq!(
            position(&p.x, 10, p.x[2] + chrono::Duration::minutes(5)),
            Some(2.5)
        );
        assert_eq!(
            position(&p.x, 10, p.x[0] - chrono::Duration::seconds(1)),
            None
        );
        assert_eq!(
            position(&p.x, 10, p.x[9] + chrono::Duration::minutes(10)),
            None
        );
    }
}
