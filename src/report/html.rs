//! The HTML report: one file, inline CSS and SVG, no scripts and no external resources.

use serde_json::Value;

use super::{ASSUMPTIONS, ReportData, columns, plain};
use crate::plot::PlotError;
use crate::plot::style::human;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#282828;line-height:1.45}\
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{color:#666;font-size:.9em}\
.muted{color:#666}code,pre{background:#f6f6f6;padding:.1em .3em}pre{padding:.6em;overflow-x:auto}";

/// A table from a list of JSON objects, one row each.
fn object_table(items: &[Value]) -> String {
    let cols = columns(items);
    if cols.is_empty() {
        return "<p class=\"muted\">none</p>\n".into();
    }
    let mut t = String::from("<table>\n<tr>");
    for c in &cols {
        t.push_str(&format!("<th>{}</th>", escape(c)));
    }
    t.push_str("</tr>\n");
    for item in items {
        t.push_str("<tr>");
        for c in &cols {
            let v = item.get(c).unwrap_or(&Value::Null);
            let class = if v.is_number() { " class=\"num\"" } else { "" };
            t.push_str(&format!("<td{class}>{}</td>", escape(&plain(v))));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>\n");
    t
}

/// A two-column table of a JSON object's fields.
fn fields_table(o: &Value, skip: &[&str]) -> String {
    let mut t = String::from("<table>\n");
    if let Value::Object(map) = o {
        for (k, v) in map.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
            t.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>\n",
                escape(k),
                escape(&plain(v))
            ));
        }
    }
    t.push_str("</table>\n");
    t
}

/// The whole report.
pub fn render(d: &ReportData) -> Result<String, PlotError> {
    let r = &d.results;
    let scenario = &d.manifest["scenario"];
    let title = escape(&r.scenario);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{title} — exodus report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let description = scenario["meta"]["description"].as_str().unwrap_or("");
    h.push_str(&format!("<p>{}</p>\n", escape(description)));
    h.push_str(&format!(
        "<p class=\"muted\">{} to {} · {} people as {} agents · seed {} · exodus {} · simulated, not observed</p>\n",
        r.dates[0],
        r.dates[r.dates.len() - 1],
        escape(&human(r.people)),
        escape(&human(r.agents as f64)),
        r.seed,
        escape(&r.version)
    ));

    h.push_str("<h2>Summary</h2>\n");
    let platforms: Vec<Value> = d.summary["platforms"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    h.push_str(&object_table(&platforms));

    h.push_str("<h2>Charts</h2>\n");
    for (name, svg) in d.charts(1000, 560)? {
        // The SVG comes from exodus's own renderer, which escapes every text it draws.
        let body = svg.trim_start_matches(|c| c != '<');
        h.push_str(&format!(
            "<figure id=\"{}\">\n{body}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&name),
            escape(&name)
        ));
    }

    h.push_str("<h2>Events</h2>\n");
    let events: Vec<Value> = scenario["events"].as_array().cloned().unwrap_or_default();
    h.push_str(&object_table(&events));

    h.push_str("<h2>Parameters</h2>\n<h3>Platforms</h3>\n");
    h.push_str(&object_table(
        &scenario["platforms"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    ));
    h.push_str("<h3>Population</h3>\n");
    h.push_str(&fields_table(&scenario["population"], &["segments"]));
    h.push_str(&object_table(
        &scenario["population"]["segments"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    ));
    for table in ["network", "choice", "mechanisms", "outputs"] {
        h.push_str(&format!("<h3>{table}</h3>\n"));
        h.push_str(&fields_table(&scenario[table], &[]));
    }

    h.push_str("<h2>Sources</h2>\n<ul>\n");
    for s in scenario["meta"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        h.push_str(&format!("<li>{}</li>\n", escape(&plain(&s))));
    }
    h.push_str("</ul>\n<p class=\"muted\">Every number in a shipped scenario cites docs/sources.md or is labelled an assumption in the scenario file.</p>\n");

    h.push_str("<h2>Model assumptions</h2>\n<ul>\n");
    for a in ASSUMPTIONS {
        h.push_str(&format!("<li>{}</li>\n", escape(a)));
    }
    h.push_str("</ul>\n");

    h.push_str("<h2>Manifest</h2>\n");
    h.push_str(&fields_table(&d.manifest, &["scenario"]));
    h.push_str("</body>\n</html>\n");
    Ok(h)
}
