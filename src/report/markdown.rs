//! The Markdown report: the same document as the HTML one, with each chart linked as the PNG
//! file beside it (when the report is written into the results folder and the PNG is there)
//! and a band written in brackets after its value.

use std::path::Path;

use super::doc::{Block, Doc, Table};

/// Escapes text for a Markdown table cell or line (no links, HTML or control characters).
fn cell(s: &str) -> String {
    crate::output::text::markdown(s)
}

fn table(t: &Table) -> String {
    let mut s = String::new();
    if let Some(c) = &t.caption {
        s.push_str(&format!("**{}**\n\n", cell(c)));
    }
    if t.rows.is_empty() {
        s.push_str("none\n\n");
        return s;
    }
    s.push_str(&format!(
        "| {} |\n|{}\n",
        t.columns
            .iter()
            .map(|c| cell(&c.title))
            .collect::<Vec<_>>()
            .join(" | "),
        t.columns
            .iter()
            .map(|c| if c.numeric { "---:|" } else { "---|" })
            .collect::<String>()
    ));
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match &c.band {
                Some(b) => format!("{} [{}]", cell(&c.text), cell(b)),
                None => cell(&c.text),
            })
            .collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    s.push('\n');
    s
}

/// A fence of backquotes longer than any run of them in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The whole report; `charts` is the folder whose PNG files the charts link to (None: the
/// report is elsewhere and the charts are in report.html only).
pub fn render(doc: &Doc, charts: Option<&Path>) -> String {
    let mut m = format!("# {}\n\n", cell(&doc.title));
    let mut linked_any = false;
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text, .. } => {
                m.push_str(&format!(
                    "{} {}\n\n",
                    "#".repeat(*level as usize),
                    cell(text)
                ));
            }
            Block::Text(t) => m.push_str(&format!("{}\n\n", cell(t))),
            Block::Note(t) => m.push_str(&format!("{}\n\n", cell(t))),
            Block::Code(t) => {
                let f = fence(t);
                m.push_str(&format!(
                    "{f}sh\n{}\n{f}\n\n",
                    crate::output::text::printable(t)
                ));
            }
            Block::List(items) => {
                for i in items {
                    m.push_str(&format!("- {}\n", cell(i)));
                }
                m.push('\n');
            }
            Block::Table(t) => m.push_str(&table(t)),
            Block::Figure(f) => {
                if let Some(dir) = charts
                    && dir.join(&f.png).exists()
                {
                    linked_any = true;
                    m.push_str(&format!(
                        "![{}]({})\n\n{}\n\n",
                        cell(&f.id),
                        f.png,
                        cell(&f.caption)
                    ));
                }
            }
        }
    }
    if !linked_any && doc.blocks.iter().any(|b| matches!(b, Block::Figure(_))) {
        m.push_str("The charts are in report.html (and as PNG files in the results folder after `exodus plot`).\n");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_fence_is_longer_than_any_backquotes_inside() {
        assert_eq!(fence("exodus run x.toml"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
