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
}
