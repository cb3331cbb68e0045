//! A report as a document: headings, paragraphs, tables, figures and lists, built once from a
//! results folder (`run`, `comparison`) and written out by `html` and `markdown`, so the two
//! formats always hold the same content. Every text here is plain: the writers escape it.

/// A whole report.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// One piece of a report, in reading order.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading: level 2 (a section) or 3 (a subsection), with an anchor id.
    Heading {
        level: u8,
        id: String,
        text: String,
    },
    /// A paragraph.
    Text(String),
    /// A paragraph of secondary information (dates, provenance), shown muted.
    Note(String),
    /// A command line or other literal text, shown in a monospace block that wraps.
    Code(String),
    /// A bulleted list.
    List(Vec<String>),
    Table(Table),
    Figure(Figure),
}

/// A table: titled columns, rows of cells, and an optional caption above it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// A column: its title in words, and whether it holds numbers (right-aligned).
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub numeric: bool,
}

/// A cell: its text and, for a statistic over replicates, the band under it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    pub band: Option<String>,
    /// The row's title (the first column), shown as a header cell.
    pub header: bool,
}

/// A chart: its anchor id, caption, inline SVG, and the PNG file beside the results (for
/// Markdown, which links images rather than embedding them).
#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub caption: String,
    pub svg: String,
    pub png: String,
}

impl Doc {
    pub fn new(title: impl Into<String>) -> Doc {
        Doc {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a section (level 2) heading; its id is made from the text.
    pub fn section(&mut self, text: &str) {
        self.heading(2, text);
    }

    /// Adds a subsection (level 3) heading.
    pub fn subsection(&mut self, text: &str) {
        self.heading(3, text);
    }

    fn heading(&mut self, level: u8, text: &str) {
        let base = anchor(text);
        // Anchors stay unique when two headings read the same.
        let mut id = base.clone();
        let mut k = 1;
        while self
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Heading { id: other, .. } if *other == id))
        {
            k += 1;
            id = format!("{base}-{k}");
        }
        self.blocks.push(Block::Heading {
            level,
            id,
            text: text.to_string(),
        });
    }

    pub fn text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.blocks.push(Block::Text(text));
        }
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Note(text.into()));
    }

    pub fn code(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Code(text.into()));
    }

    pub fn list(&mut self, items: Vec<String>) {
        self.blocks.push(Block::List(items));
    }

    pub fn table(&mut self, table: Table) {
        self.blocks.push(Block::Table(table));
    }

    pub fn figure(&mut self, figure: Figure) {
        self.blocks.push(Block::Figure(figure));
    }

    /// The level-2 headings, for a table of contents: (id, text).
    pub fn sections(&self) -> Vec<(&str, &str)> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level: 2, id, text } => Some((id.as_str(), text.as_str())),
                _ => None,
            })
            .collect()
    }
}

impl Table {
    /// A table with these column titles; `numeric[i]` marks the columns of numbers.
    pub fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            caption: None,
            columns: columns
                .iter()
                .map(|(t, n)| Column {
                    title: t.to_string(),
                    numeric: *n,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn with_caption(mut self, caption: impl Into<String>) -> Table {
        self.caption = Some(caption.into());
        self
    }

    /// Adds a row whose first cell is its title.
    pub fn row(&mut self, cells: Vec<Cell>) {
        let mut cells = cells;
        if let Some(first) = cells.first_mut() {
            first.header = true;
        }
        self.rows.push(cells);
    }
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            band: None,
            header: false,
        }
    }

    /// A statistic with its band across replicates under it.
    pub fn with_band(text: impl Into<String>, band: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            band: Some(band.into()),
            header: false,
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::new(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::new(s)
    }
}

/// An anchor id from a heading: lower case letters and digits, runs of anything else as one
/// dash.
pub fn anchor(text: &str) -> String {
    let mut id = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if id.is_empty() { "section".into() } else { id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_unique_and_plain() {
        let mut d = Doc::new("t");
        d.section("What differs from the baseline");
        d.section("What differs from the baseline");
        d.subsection("<b>RedNote</b> & co");
        let ids: Vec<String> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                "what-differs-from-the-baseline",
                "what-differs-from-the-baseline-2",
                "b-rednote-b-co"
            ]
        );
        assert_eq!(d.sections().len(), 2);
    }
}
