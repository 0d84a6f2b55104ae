//! Charts drawn on the server as SVG: no script, nothing copied in. Each chart carries a title
//! and a description for screen readers, and every page that shows one prints the same figures
//! in a table beside it, so the chart is a help to the eye, never the only way to the numbers.

/// A horizontal bar chart: one bar per item, longest value the full width.
#[derive(Clone, Debug)]
pub(crate) struct BarChart {
    /// Read out as the chart's name.
    pub title: String,
    /// Read out after it: every item and value, in order.
    pub desc: String,
    /// The drawing's height, from the number of bars.
    pub height: u32,
    /// Where the bars start, after the labels' column.
    pub bar_x: u32,
    pub bars: Vec<Bar>,
}

/// One bar, laid out.
#[derive(Clone, Debug)]
pub(crate) struct Bar {
    /// The item, shortened to fit its column.
    pub label: String,
    /// The item in full, for the tooltip.
    pub full_label: String,
    /// The value as people read it (`USD 1,200.00`).
    pub value_text: String,
    /// Top of the bar's row.
    pub y: u32,
    /// The bar's length (0 for zero or negative values).
    pub width: u32,
}

/// Where bars start, after the labels' column.
const BAR_X: u32 = 190;
/// The longest bar.
const BAR_MAX: u32 = 330;
/// One row's height.
const ROW: u32 = 26;
/// The longest label shown whole.
const LABEL_CHARS: usize = 22;

impl BarChart {
    /// A chart of `(label, value, value as text)` items, in the order given.
    pub(crate) fn horizontal(title: &str, items: &[(String, i64, String)]) -> Self {
        let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = items
            .iter()
            .zip(0u32..)
            .map(|((label, value, text), row)| Bar {
                label: shorten(label),
                full_label: label.clone(),
                value_text: text.clone(),
                y: 4 + row * ROW,
                width: bar_width(*value, max),
            })
            .collect();
        let desc = items
            .iter()
            .map(|(l, _, t)| format!("{l}: {t}"))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            title: title.to_owned(),
            desc,
            height: 8 + ROW * u32::try_from(bars.len()).unwrap_or(0),
            bar_x: BAR_X,
            bars,
        }
    }
}

impl Bar {
    /// Where the value's text starts: just after the bar.
    pub(crate) fn text_x(&self) -> u32 {
        BAR_X + self.width + 6
    }

    /// The baseline of the row's text.
    pub(crate) fn text_y(&self) -> u32 {
        self.y + 15
    }
}

/// A column chart over time: one column per period, stacked by series (sourced, influenced,
/// direct), the tallest column the full height.
#[derive(Clone, Debug)]
pub(crate) struct ColumnChart {
    /// Read out as the chart's name.
    pub title: String,
    /// Read out after it: every period with its series, in order.
    pub desc: String,
    /// The series' names, in stacking order (bottom first), for the legend.
    pub series: Vec<String>,
    pub columns: Vec<Column>,
    /// One column's width.
    pub width: u32,
}

/// One period's column, laid out.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The period's label (`Mar`), under the column.
    pub label: String,
    /// Left edge.
    pub x: u32,
    /// The middle, where its label goes.
    pub mid: u32,
    /// The column's parts, bottom first: `(series index, top y, height)`.
    pub parts: Vec<(usize, u32, u32)>,
}

/// The plot's height (columns grow up from `COL_BASE`).
const COL_HEIGHT: u32 = 160;
/// The baseline.
const COL_BASE: u32 = 170;
/// The plot's width.
const COL_SPAN: u32 = 600;

impl ColumnChart {
    /// A chart of `(label, values per series, description)` periods.
    pub(crate) fn stacked(
        title: &str,
        series: &[&str],
        periods: &[(String, Vec<i64>, String)],
    ) -> Self {
        let total = |v: &[i64]| v.iter().map(|x| (*x).max(0)).sum::<i64>();
        let max = periods.iter().map(|p| total(&p.1)).max().unwrap_or(0);
        Self::scaled(title, series, periods, max)
    }

    /// A chart whose full height is `full` rather than the tallest column: a score out of
    /// 100 drawn to its own scale, so 60 and 80 do not look like 75 % and 100 %.
    pub(crate) fn scaled(
        title: &str,
        series: &[&str],
        periods: &[(String, Vec<i64>, String)],
        full: i64,
    ) -> Self {
        let max = full.max(1);
        let n = u32::try_from(periods.len()).unwrap_or(1).max(1);
        let slot = COL_SPAN / n;
        let width = (slot * 7 / 10).max(2);
        let columns = periods
            .iter()
            .zip(0u32..)
            .map(|((label, values, _), i)| {
                let mut top = COL_BASE;
                let parts = values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 0)
                    .map(|(k, v)| {
                        let h = u32::try_from(
                            i128::from(*v) * i128::from(COL_HEIGHT) / i128::from(max),
                        )
                        .unwrap_or(COL_HEIGHT)
                        .max(1);
                        top = top.saturating_sub(h);
                        (k, top, h)
                    })
                    .collect();
                let x = 30 + i * slot + (slot - width) / 2;
                Column {
                    label: label.clone(),
                    x,
                    mid: x + width / 2,
                    parts,
                }
            })
            .collect();
        Self {
            title: title.to_owned(),
            desc: periods
                .iter()
                .map(|p| format!("{}: {}", p.0, p.2))
                .collect::<Vec<_>>()
                .join("; "),
            series: series.iter().map(|s| (*s).to_owned()).collect(),
            columns,
            width,
        }
    }
}

fn bar_width(value: i64, max: i64) -> u32 {
    if value <= 0 {
        return 0;
    }
    // Integer arithmetic: the widths are exact and a tiny value still shows as a sliver.
    let w = i128::from(value) * i128::from(BAR_MAX) / i128::from(max);
    u32::try_from(w).unwrap_or(BAR_MAX).max(1)
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_value_fills_the_width_and_others_scale() {
        let items = vec![
            ("Northwind".to_owned(), 300, "USD 3.00".to_owned()),
            (
                "A partner with a very long name indeed".to_owned(),
                100,
                "USD 1.00".to_owned(),
            ),
            ("Nothing".to_owned(), 0, "USD 0.00".to_owned()),
        ];
        let c = BarChart::horizontal("Attributed revenue", &items);
        let widths: Vec<u32> = c.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [330, 110, 0]);
        assert_eq!(c.bars[1].label.chars().count(), 22);
        assert!(c.bars[1].label.ends_with('…'));
        assert_eq!(c.height, 8 + 3 * 26);
        assert!(c.desc.starts_with("Northwind: USD 3.00; "));
    }

    #[test]
    fn columns_stack_from_the_baseline_and_the_tallest_fills_the_height() {
        let periods = vec![
            ("Jan".to_owned(), vec![100, 300], "a".to_owned()),
            ("Feb".to_owned(), vec![0, 200], "b".to_owned()),
        ];
        let c = ColumnChart::stacked("Won", &["Sourced", "Direct"], &periods);
        assert_eq!(c.columns[0].parts, [(0, 130, 40), (1, 10, 120)]);
        assert_eq!(
            c.columns[1].parts,
            [(1, 90, 80)],
            "empty parts are not drawn"
        );
        assert_eq!(c.desc, "Jan: a; Feb: b");
        assert!(c.columns[1].x > c.columns[0].x);
    }

    #[test]
    fn a_scaled_chart_measures_against_its_full_scale() {
        let periods = vec![
            ("Q1".to_owned(), vec![6_000], "60".to_owned()),
            ("Q2".to_owned(), vec![8_000], "80".to_owned()),
        ];
        let c = ColumnChart::scaled("PSAT", &["Score"], &periods, 10_000);
        assert_eq!(c.columns[0].parts, [(0, 74, 96)]);
        assert_eq!(c.columns[1].parts, [(0, 42, 128)]);
    }
}
