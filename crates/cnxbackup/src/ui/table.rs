//! Aligned tables for people (comfy-table): no borders, a header underlined with dashes,
//! two spaces between columns, numbers right-aligned, status words coloured only when the
//! [`Style`] says so. Tables never wrap: a long path stays on one line so `grep` and `cut`
//! keep working on the output.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use super::style::{table_colour, tone_of, Style};

/// Header underline only; no vertical lines (comfy-table preset characters, in order:
/// borders, header line, intersections, ...; a space means "not drawn").
const PRESET: &str = "     -             ";

/// A table being built.
pub struct Grid {
    table: Table,
    style: Style,
    columns: usize,
}

impl Grid {
    /// A table with these column titles.
    pub fn new(style: Style, header: &[&str]) -> Grid {
        let mut table = Table::new();
        table
            .load_preset(PRESET)
            .set_content_arrangement(ContentArrangement::Disabled)
            // comfy-table must not look at the terminal itself: the decision is `style`'s.
            .force_no_tty();
        if style.coloured() {
            table.enforce_styling();
        }
        table.set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
        for i in 0..header.len() {
            if let Some(col) = table.column_mut(i) {
                col.set_padding((0, 2));
            }
        }
        Grid {
            table,
            style,
            columns: header.len(),
        }
    }

    /// `n` spaces between columns instead of two (for a table that must fit a width).
    pub fn gap(mut self, n: u16) -> Grid {
        for i in 0..self.columns {
            if let Some(col) = self.table.column_mut(i) {
                col.set_padding((0, n));
            }
        }
        self
    }

    /// Right-align these columns (numbers, sizes).
    pub fn right(mut self, columns: &[usize]) -> Grid {
        for &i in columns {
            if let Some(col) = self.table.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        self
    }

    /// Add a row of plain cells.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Grid
    where
        I: IntoIterator<Item = S>,
        S: Into<Cell>,
    {
        self.table
            .add_row(cells.into_iter().map(Into::into).collect::<Vec<Cell>>());
        self
    }

    /// A cell holding a status word, coloured by its meaning when colour is on.
    pub fn status(&self, word: &str) -> Cell {
        status_cell(self.style, word)
    }

    /// Number of rows added.
    pub fn len(&self) -> usize {
        self.table.row_count()
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// The lines: header, underline, then one line per row; trailing blanks trimmed.
    pub fn lines(&self) -> Vec<String> {
        self.table
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    /// The table as text, each line prefixed with `indent` spaces, ending in a newline.
    pub fn render(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for line in self.lines() {
            out.push_str(&pad);
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// A cell holding a status word, coloured by its meaning when `style` is coloured.
pub fn status_cell(style: Style, word: &str) -> Cell {
    let cell = Cell::new(word);
    match (style.coloured(), table_colour(tone_of(word))) {
        (true, Some(colour)) => cell.fg(colour),
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::style::{has_escape, strip_escapes};

    fn sample(style: Style) -> Grid {
        let mut g = Grid::new(style, &["component", "status", "files"]).right(&[2]);
        g.row(["dmgr_profile".to_string(), "ok".into(), "1234".into()]);
        let status = g.status("FAILED");
        g.row(vec![Cell::new("shared_data"), status, Cell::new("7")]);
        g
    }

    #[test]
    fn columns_are_aligned_and_numbers_right_aligned() {
        let text = sample(Style::PLAIN).render(0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("component"), "{text}");
        assert!(lines[1].chars().all(|c| c == '-'), "{text}");
        // the status column starts at the same offset on every line
        let at = lines[0].find("status").unwrap();
        assert_eq!(lines[2].find("ok"), Some(at), "{text}");
        assert_eq!(lines[3].find("FAILED"), Some(at), "{text}");
        // right alignment: the numbers end where the header ends
        let end = lines[0].len();
        assert!(
            lines[2].ends_with("1234") && lines[2].len() == end,
            "{text}"
        );
        assert!(lines[3].ends_with('7') && lines[3].len() == end, "{text}");
        assert!(
            !text.lines().any(|l| l.ends_with(' ')),
            "trailing blanks: {text:?}"
        );
    }

    #[test]
    fn plain_tables_have_no_escape_codes_and_coloured_ones_do() {
        let plain = sample(Style::PLAIN).render(0);
        assert!(!has_escape(&plain), "{plain:?}");
        let coloured = sample(Style::COLOURED).render(0);
        assert!(has_escape(&coloured), "{coloured:?}");
        // colour changes nothing but the codes
        let stripped = strip_escapes(&coloured);
        assert_eq!(stripped, plain);
    }

    #[test]
    fn render_indents_every_line() {
        let text = sample(Style::PLAIN).render(4);
        assert!(text.lines().all(|l| l.starts_with("    ")), "{text}");
        assert!(text.ends_with('\n'));
    }
}
