//! Reports: produced from a run, well-formed, self-contained, with every scenario text escaped,
//! and rendered by a real headless browser (Debian's chromium) without console errors.

mod common;

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

fn exodus() -> Command {
    Command::cargo_bin("exodus").unwrap()
}

/// A copy of the reference scenario whose texts try to inject markup.
fn hostile_scenario(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::scenario_path("reference-r1.toml"))
        .unwrap()
        .replace(
            "name = \"Reference model R1\"",
            "name = \"R1 <script>alert('x')</script> & \\\"friends\\\"\"",
        )
        .replace(
            "label = \"TikTok down (R1 t = 7)\"",
            "label = \"<img src=x onerror=alert(1)> down\"",
        );
    let path = dir.join("hostile.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_and_report(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("out");
    exodus()
        .args(["run", "-q", "--agents", "5000", "--out"])
        .arg(&out)
        .arg(hostile_scenario(dir))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&out).assert().success();
    out
}

#[test]
fn report_is_well_formed_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_and_report(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Written as well-formed markup, so an XML parser reads it whole.
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let tags: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert!(
        !tags.contains(&"script") && !tags.contains(&"img"),
        "scenario text became markup"
    );
    assert!(!tags.contains(&"link"), "no external stylesheets");
    assert_eq!(
        tags.iter().filter(|t| **t == "svg").count(),
        6,
        "six inline charts (no rank for R1)"
    );
    assert!(
        html.contains(
            "R1 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;"
        )
    );
    for needle in [
        "Summary",
        "Events",
        "Parameters",
        "Model assumptions",
        "Manifest",
        "exodus_version",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing loaded from the network"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# R1 &lt;script&gt;"), "{}", &md[..60]);
    assert!(md.contains("![adoption](adoption.png)"));
}

/// Renders the report in headless chromium: it must load, lay out the charts, and log no
/// console error. CI installs chromium (.ci/run); elsewhere the test says so and passes only if
/// the browser is absent and CI is not set.
#[test]
fn report_renders_in_a_headless_browser() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(chromium) = chromium else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        eprintln!("chromium not installed: browser check skipped (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run_and_report(dir.path());
    let url = format!("file://{}", out.join("report.html").display());
    let profile = dir.path().join("profile");
    let result = Process::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let dom = String::from_utf8(result.stdout).unwrap();
    assert!(
        dom.contains("<h1>R1 &lt;script&gt;"),
        "the title rendered as text"
    );
    assert_eq!(
        dom.matches("<svg").count(),
        6,
        "every chart in the rendered page"
    );
    let log = String::from_utf8_lossy(&result.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
}
