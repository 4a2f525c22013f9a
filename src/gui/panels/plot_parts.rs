//! Pure helpers for the Metrics plots: where a series breaks, and which row
//! an action's tag goes on so close tags do not overlap.

/// A series cut where it has no value: runs of two or more points are drawn
/// as lines, a lone point as a dot. A line never crosses minutes without data
/// (a needs_review share over 23 minutes without evaluations is not a trend).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pieces {
    /// Consecutive points, each run two or more long.
    pub lines: Vec<Vec<[f64; 2]>>,
    /// Points with no neighbour that has a value.
    pub dots: Vec<[f64; 2]>,
}

/// Cuts `(x, value)` pairs (in x order, one per bin) at every missing value.
pub fn pieces(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Pieces {
    fn close(run: &mut Vec<[f64; 2]>, out: &mut Pieces) {
        match run.len() {
            0 => {}
            1 => out.dots.append(run),
            _ => out.lines.push(std::mem::take(run)),
        }
    }
    let mut out = Pieces::default();
    let mut run: Vec<[f64; 2]> = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() => run.push([x, y]),
            _ => close(&mut run, &mut out),
        }
    }
    close(&mut run, &mut out);
    out
}

/// The row (0 = top) of each tag at `xs` (ascending), so that tags in one row
/// are at least `min_gap` apart: the first row with room, else a new one.
pub fn stagger_rows(xs: &[f64], min_gap: f64) -> Vec<usize> {
    let mut last_in_row: Vec<f64> = Vec::new();
    xs.iter()
        .map(
            |&x| match last_in_row.iter().position(|&last| x - last >= min_gap) {
                Some(row) => {
                    last_in_row[row] = x;
                    row
                }
                None => {
                    last_in_row.push(x);
                    last_in_row.len() - 1
                }
            },
        )
        .collect()
}

/// The index of the tag whose line is nearest `x`, if within `tolerance`.
pub fn nearest_within(xs: &[f64], x: f64, tolerance: f64) -> Option<usize> {
    xs.iter()
        .enumerate()
        .map(|(i, m)| (i, (m - x).abs()))
        .filter(|(_, d)| *d <= tolerance)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_breaks_at_empty_minutes_and_keeps_lone_points_as_dots() {
        let p = pieces([
            (0.0, Some(0.1)),
            (1.0, Some(0.2)),
            (2.0, None),
            (3.0, None),
            (4.0, Some(0.5)),
            (5.0, None),
            (6.0, Some(0.3)),
            (7.0, Some(f64::NAN)),
            (8.0, Some(0.4)),
            (9.0, Some(0.6)),
        ]);
        assert_eq!(
            p.lines,
            vec![vec![[0.0, 0.1], [1.0, 0.2]], vec![[8.0, 0.4], [9.0, 0.6]]]
        );
        assert_eq!(p.dots, vec![[4.0, 0.5], [6.0, 0.3]]);
        assert_eq!(pieces([]), Pieces::default());
        // No gap: one line.
        assert_eq!(pieces([(0.0, Some(1.0)), (1.0, Some(0.0))]).lines.len(), 1);
    }

    #[test]
    fn close_tags_go_on_separate_rows_and_far_ones_share_the_top_row() {
        // Two actions two minutes apart with a 5-minute gap needed, a third
        // later: rows 0, 1, 0.
        assert_eq!(stagger_rows(&[0.0, 120.0, 900.0], 300.0), vec![0, 1, 0]);
        // Three at once: three rows.
        assert_eq!(stagger_rows(&[0.0, 0.0, 0.0], 300.0), vec![0, 1, 2]);
        // A freed row is reused.
        assert_eq!(
            stagger_rows(&[0.0, 100.0, 350.0, 400.0], 300.0),
            vec![0, 1, 0, 1]
        );
        assert!(stagger_rows(&[], 1.0).is_empty());
    }

    #[test]
    fn the_nearest_line_within_the_tolerance_is_the_hovered_one() {
        let xs = [0.0, 100.0, 130.0];
        assert_eq!(nearest_within(&xs, 120.0, 15.0), Some(2));
        assert_eq!(nearest_within(&xs, 105.0, 15.0), Some(1));
        assert_eq!(nearest_within(&xs, 50.0, 15.0), None);
    }
}
