//! The HTML report: one file, inline CSS and SVG, no script and no external resource. Wide
//! tables scroll inside their own box and long texts wrap, so the page never overflows its
//! width; it is written as well-formed XML (an XML parser reads it whole).

use super::doc::{Block, Cell, Doc, Table};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::output::text::printable(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#282828;line-height:1.45;overflow-wrap:break-word}\
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
nav.contents{font-size:.9em}nav.contents a{margin-right:1em;white-space:nowrap}\
div.table{overflow-x:auto;max-width:100%;margin:1em 0}\
table{border-collapse:collapse;font-size:.9em}caption{text-align:left;font-weight:bold;padding:.3em 0}\
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
thead th{background:#f4f4f4;overflow-wrap:normal}tbody th{font-weight:normal;background:#fafafa;overflow-wrap:break-word}\
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}\
span.band{display:block;color:#666;font-size:.85em}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{color:#666;font-size:.9em}\
.muted{color:#666}pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}";

/// The whole report.
pub fn render(doc: &Doc) -> String {
    let title = escape(&doc.title);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{title} — exodus report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let sections = doc.sections();
    if !sections.is_empty() {
        h.push_str("<nav class=\"contents\">");
        for (id, text) in sections {
            h.push_str(&format!(
                "<a href=\"#{}\">{}</a> ",
                escape(id),
                escape(text)
            ));
        }
        h.push_str("</nav>\n");
    }
    for block in &doc.blocks {
        match block {
            Block::Heading { level, id, text } => h.push_str(&format!(
                "<h{level} id=\"{}\">{}</h{level}>\n",
                escape(id),
                escape(text)
            )),
            Block::Text(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
            Block::Note(t) => h.push_str(&format!("<p class=\"muted\">{}</p>\n", escape(t))),
            Block::Code(t) => h.push_str(&format!("<pre><code>{}</code></pre>\n", escape(t))),
            Block::List(items) => {
                h.push_str("<ul>\n");
                for i in items {
                    h.push_str(&format!("<li>{}</li>\n", escape(i)));
                }
                h.push_str("</ul>\n");
            }
            Block::Table(t) => h.push_str(&table(t)),
            Block::Figure(f) => {
                // The SVG comes from exodus's own renderer, which escapes every text it draws.
                let body = f.svg.trim_start_matches(|c| c != '<');
                h.push_str(&format!(
                    "<figure id=\"{}\">\n{body}\n<figcaption>{}</figcaption>\n</figure>\n",
                    escape(&f.id),
                    escape(&f.caption)
                ));
            }
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn table(t: &Table) -> String {
    if t.rows.is_empty() {
        let caption = t.caption.as_deref().map(escape).unwrap_or_default();
        return format!("<p class=\"muted\">{caption} none</p>\n");
    }
    let mut s = String::from("<div class=\"table\">\n<table>\n");
    if let Some(c) = &t.caption {
        s.push_str(&format!("<caption>{}</caption>\n", escape(c)));
    }
    s.push_str("<thead><tr>");
    for c in &t.columns {
        s.push_str(&format!("<th scope=\"col\">{}</th>", escape(&c.title)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        s.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let numeric = t.columns.get(i).is_some_and(|c| c.numeric);
            s.push_str(&cell_html(cell, numeric));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</div>\n");
    s
}

fn cell_html(cell: &Cell, numeric: bool) -> String {
    let band = cell
        .band
        .as_deref()
        .map(|b| format!("<span class=\"band\">{}</span>", escape(b)))
        .unwrap_or_default();
    let body = format!("{}{band}", escape(&cell.text));
    if cell.header {
        format!("<th scope=\"row\">{body}</th>")
    } else if numeric {
        format!("<td class=\"num\">{body}</td>")
    } else {
        format!("<td>{body}</td>")
    }
}
