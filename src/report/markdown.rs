//! The Markdown report: the same content as the HTML one, with charts linked as the PNG files
//! beside it (when the report is written into the results folder).

use serde_json::Value;

use super::{ASSUMPTIONS, ReportData, columns, plain};
use crate::plot::ChartKind;
use crate::plot::style::human;

/// Escapes text for a Markdown table cell or line (no links, HTML or control characters).
fn cell(s: &str) -> String {
    crate::output::text::markdown(s)
}

fn table(items: &[Value]) -> String {
    let cols = columns(items);
    if cols.is_empty() {
        return "none\n".into();
    }
    let mut t = format!(
        "| {} |\n|{}\n",
        cols.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "),
        "---|".repeat(cols.len())
    );
    for item in items {
        let row: Vec<String> = cols
            .iter()
            .map(|c| cell(&plain(item.get(c).unwrap_or(&Value::Null))))
            .collect();
        t.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    t
}

/// The whole report; `beside_charts` links the chart PNGs written beside the results.
pub fn render(d: &ReportData, beside_charts: bool) -> String {
    let r = &d.results;
    let scenario = &d.manifest["scenario"];
    let mut m = format!(
        "# {}\n\n{}\n\n",
        cell(&r.scenario),
        cell(scenario["meta"]["description"].as_str().unwrap_or(""))
    );
    m.push_str(&format!(
        "{} to {} · {} people as {} agents · seed {} · exodus {} · simulated, not observed\n\n",
        r.dates[0],
        r.dates[r.dates.len() - 1],
        human(r.people),
        human(r.agents as f64),
        r.seed,
        cell(&r.version)
    ));
    m.push_str("## Summary\n\n");
    m.push_str(&table(
        &d.summary["platforms"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    ));
    if beside_charts {
        m.push_str("\n## Charts\n\n");
        for k in ChartKind::ALL.iter().filter(|k| k.available(r)) {
            if r.dir.join(format!("{}.png", k.name())).exists() {
                m.push_str(&format!("![{0}]({0}.png)\n\n", k.name()));
            }
        }
    }
    m.push_str("\n## Events\n\n");
    m.push_str(&table(
        &scenario["events"].as_array().cloned().unwrap_or_default(),
    ));
    m.push_str("\n## Platforms\n\n");
    m.push_str(&table(
        &scenario["platforms"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    ));
    m.push_str("\n## Population segments\n\n");
    m.push_str(&table(
        &scenario["population"]["segments"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    ));
    m.push_str("\n## Sources\n\n");
    for s in scenario["meta"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        m.push_str(&format!("- {}\n", cell(&plain(&s))));
    }
    m.push_str("\n## Model assumptions\n\n");
    for a in ASSUMPTIONS {
        m.push_str(&format!("- {a}\n"));
    }
    m.push_str("\n## Manifest\n\n");
    if let Value::Object(o) = &d.manifest {
        for (k, v) in o.iter().filter(|(k, _)| k.as_str() != "scenario") {
            m.push_str(&format!("- **{}**: {}\n", cell(k), cell(&plain(v))));
        }
    }
    m
}
