//! Reports: produced from a run, a run with replicates, a comparison, a sweep and a
//! calibration; well-formed,
//! self-contained, with every scenario text escaped; and rendered by a real headless browser
//! (Debian's chromium) without console errors, without horizontal overflow at 1280 px, and
//! looking like the reference screenshot within a tolerance.

mod common;

use std::io::Write;
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
        "exodus version",
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

#[test]
fn a_run_with_replicates_shows_its_bands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    exodus()
        .args([
            "run",
            "-q",
            "--agents",
            "3000",
            "--replicates",
            "3",
            "--seed",
            "20250119",
            "--no-plots",
            "--out",
        ])
        .arg(&out)
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Median over 3 replicates, with the 5–95% band under each value"),
        "the summary says what it shows"
    );
    // Every platform's numbers carry their band.
    assert!(
        html.matches("<span class=\"band\">").count() >= 2 * 8,
        "bands in the summary"
    );
    // The seed is a number as it is.
    assert!(
        html.contains("<th scope=\"row\">seed</th><td>20250119</td>"),
        "the seed as it is"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains(" [") && md.contains(" – "),
        "bands in brackets in Markdown"
    );
    assert!(md.contains("The charts are in report.html"), "{md}");
}

/// A comparison of two shipped scenarios, 2 replicates, and its report.
fn compare_and_report(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("cmp");
    exodus()
        .args([
            "compare",
            "-q",
            "--agents",
            "3000",
            "--replicates",
            "2",
            "--out",
        ])
        .arg(&out)
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(common::scenario_path("ban-enforced.toml"))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&out).assert().success();
    out
}

#[test]
fn a_comparison_report_has_outcomes_charts_differences_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare_and_report(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let svgs = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg") && n.parent().is_some_and(|p| p.has_tag_name("figure")))
        .count();
    // Six platforms: the scenarios overlaid and the what-if's difference, for each.
    assert_eq!(svgs, 12, "overlay and difference charts");
    for needle in [
        "<h1>Historical 2025: the US TikTok ban vs What if: the ban is enforced</h1>",
        "id=\"methods\"",
        "Common random numbers",
        "id=\"key-outcomes\"",
        "<caption>Peak daily active users</caption>",
        "What if: the ban is enforced − baseline",
        "id=\"what-differs-from-the-baseline\"",
        // The what-if's own events, named by id, against the baseline's.
        "event dark",
        "— (not in the baseline)",
        "id=\"manifest\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // The baseline's parameters are values, not internal dumps (its protest motive is a
    // log-normal distribution).
    assert!(
        html.contains("log-normal (mu 1.2, sigma 1.5)"),
        "a distribution as written"
    );
    assert!(!html.contains("dist = "), "a distribution shown as a dump");
    // The comparison charts carry the scenarios' event markers.
    let overlay = std::fs::read_to_string(out.join("compare-tiktok.svg")).unwrap();
    assert!(
        overlay.contains("TikTok goes dark"),
        "event key on the overlay chart"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("![compare-tiktok](compare-tiktok.png)"),
        "charts linked"
    );
    assert!(md.contains("## What differs from the baseline"));
}

/// Parses a report as XML (it is written as well-formed XHTML-compatible HTML).
fn parse(html: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// The number of charts (SVG figures) in a report.
fn figures(doc: &roxmltree::Document) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name("svg") && n.parent().is_some_and(|p| p.has_tag_name("figure")))
        .count()
}

/// A Saltelli sweep of the Bass scenario and its report.
fn sweep_and_report(dir: &Path) -> std::path::PathBuf {
    let file = common::bass_sweep(dir, "saltelli", 16, "");
    let out = dir.join("sweep");
    exodus()
        .args(["sweep", "-q"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&out).assert().success();
    out
}

#[test]
fn a_sweep_report_says_which_parameters_matter() {
    let dir = tempfile::tempdir().unwrap();
    let out = sweep_and_report(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = parse(&html);
    for needle in [
        "<h1>Sweep: Bass diffusion, fully mixed</h1>",
        "id=\"design\"",
        "A Saltelli design",
        "id=\"outcomes-across-the-sweep\"",
        "id=\"which-parameters-matter\"",
        "16 base rows is a small sample",
        "id=\"outcomes-against-parameters\"",
        "id=\"manifest\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // Four outcomes (peak day, total installs, the dated value and the mean): an index chart
    // and an outcome-against-parameters chart each.
    assert_eq!(figures(&doc), 8);
    // The Bass rule does not read the non-adopters' appeal: it is never the most influential
    // parameter, and its total index is exactly 0 (common random numbers).
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let leading: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| Adopted.") || l.starts_with("| adopted\\_mean"))
        .filter(|l| l.matches('|').count() == 6)
        .collect();
    assert_eq!(leading.len(), 4, "a row per outcome in the summary table");
    for row in &leading {
        let most = row.split('|').nth(2).unwrap();
        assert!(!most.contains("Not-adopted"), "{row}");
    }
    assert!(
        md.contains("| platforms.Not-adopted.appeal | 0 (0 – 0) |"),
        "the unread parameter's total index is 0"
    );

    // A design without indices gets a report without them, and says so.
    let file = common::bass_sweep(dir.path(), "latin-hypercube", 6, "");
    let lhs = dir.path().join("lhs");
    exodus()
        .args(["sweep", "-q"])
        .arg(&file)
        .arg("--out")
        .arg(&lhs)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&lhs).assert().success();
    let html = std::fs::read_to_string(lhs.join("report.html")).unwrap();
    assert!(html.contains("A latin-hypercube design gives no sensitivity indices"));
    assert!(html.contains("A Latin hypercube"));
    assert_eq!(figures(&parse(&html)), 4, "one chart per outcome");

    // One shard of a sweep holds part of its points: refused, with what to do.
    let shard = dir.path().join("shard");
    exodus()
        .args(["sweep", "-q", "--shard", "1/2"])
        .arg(&file)
        .arg("--out")
        .arg(&shard)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .assert()
        .success();
    exodus()
        .args(["report", "-q"])
        .arg(&shard)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("one shard of a sweep"))
        .stderr(predicates::str::contains("exodus merge"));
}

/// Targets for the Bass scenario: adopters on days 6 and 15 within wide intervals (fitted),
/// and on day 25 an interval no run reaches (held back), so the report has a miss to say.
fn bass_targets(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for (day, low, high) in [(6, 1e3, 1e5), (15, 1e4, 2e5), (25, 1.0, 2.0_f64)] {
        text.push_str(&format!(
            "[[targets]]\nid = \"D{day}\"\ndescription = \"adopters on day {day}\"\nsource = \"test\"\nplatform = \"Adopted\"\nmetric = \"daily_active_users\"\nstatistic = \"value\"\nfrom = 2025-01-{:02}\nvalue = {}\nlow = {low}\nhigh = {high}\n\n",
            day + 1,
            (low * high).sqrt()
        ));
    }
    common::write(dir, "targets.toml", &text)
}

/// The calibration file of the report tests: the Bass imitation rate, D25 held back.
fn bass_params(dir: &Path) -> std::path::PathBuf {
    common::write(
        dir,
        "params.toml",
        "[calibration]\nseeds = 2\nagents = 2000\nhold_out = [\"D25\"]\npredictive_draws = 10\n[abc]\nparticles = 10\nmax_generations = 2\n[nelder_mead]\nrestarts = 1\nmax_iterations = 10\n\n[[parameters]]\npath = \"platforms.Adopted.imitation\"\nprior = \"uniform\"\nlow = 0.05\nhigh = 1.0\nsource = \"assumption: a test prior\"\n",
    )
}

/// An ABC-SMC calibration of the Bass scenario and its report.
fn calibrate_and_report(dir: &Path) -> std::path::PathBuf {
    let abc = dir.join("abc");
    exodus()
        .args(["calibrate", "-q", "--params"])
        .arg(bass_params(dir))
        .arg("--out")
        .arg(&abc)
        .arg(common::scenario_path("bass-mixed.toml"))
        .arg(bass_targets(dir))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&abc).assert().success();
    abc
}

#[test]
fn a_calibration_report_says_what_fits_and_what_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let abc = calibrate_and_report(dir.path());
    let html = std::fs::read_to_string(abc.join("report.html")).unwrap();
    for needle in [
        "<h1>Calibration: Bass diffusion, fully mixed</h1>",
        "fitted by ABC-SMC to 2 target(s) (D6, D15); 1 held back (D25)",
        "2 of 3 targets fit at the predictive median; these do not: D25.",
        "Of the 1 held-back target(s), which the fit did not see, 0 fit.",
        "id=\"posterior\"",
        "uniform(0.05, 1)",
        "assumption: a test prior",
        "adopters on day 25",
        "id=\"generations\"",
        "exodus run ",
        "id=\"manifest\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // The calibration's own charts: the predictive check, the marginals and the pairs.
    assert_eq!(figures(&parse(&html)), 3);

    // A point fit without charts: a best-fit table, restarts, and no charts said plainly.
    let nm = dir.path().join("nm");
    exodus()
        .args([
            "calibrate",
            "-q",
            "--no-plots",
            "--method",
            "nelder-mead",
            "--params",
        ])
        .arg(dir.path().join("params.toml"))
        .arg("--out")
        .arg(&nm)
        .arg(common::scenario_path("bass-mixed.toml"))
        .arg(dir.path().join("targets.toml"))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&nm).assert().success();
    let html = std::fs::read_to_string(nm.join("report.html")).unwrap();
    for needle in [
        "id=\"best-fit\"",
        "id=\"restarts\"",
        "The calibration drew no charts",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert_eq!(figures(&parse(&html)), 0);
}

/// Debian's chromium, if installed. CI installs it (.ci/run), so there its absence fails the
/// test; elsewhere the test says so on stderr (shown by `cargo test`) and passes.
/// EXODUS_TEST_CHROMIUM names another browser binary (or a missing one, to see the skip).
fn chromium() -> Option<String> {
    let candidates = match std::env::var("EXODUS_TEST_CHROMIUM") {
        Ok(path) => vec![path],
        Err(_) => vec![
            "/usr/bin/chromium".into(),
            "/usr/bin/chromium-browser".into(),
        ],
    };
    let found = candidates.into_iter().find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        // Written to the process's stderr itself, not through `eprintln!` (which the test
        // harness captures and hides for a passing test), so `cargo test` shows the skip.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: chromium not installed, browser checks of tests/report.rs not run (scripts/install-test-deps.sh installs it)"
        );
    }
    found
}

/// Runs headless chromium on `url` at a 1280 px wide window with `args`; returns its stdout,
/// after checking it exited well and logged no console message.
fn chromium_run(chromium: &str, dir: &Path, url: &str, args: &[&str]) -> Vec<u8> {
    let profile = dir.join("profile");
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
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,900",
        ])
        .args(args)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let log = String::from_utf8_lossy(&result.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    result.stdout
}

/// The report with a script added that records, on the body, how far the page is wider than
/// the 1280 px window and which elements stick out (the report itself has no script).
fn overflow_probe(report: &Path) -> std::path::PathBuf {
    let html = std::fs::read_to_string(report).unwrap();
    let probe = "<script>(function(){var d=document.documentElement,w=d.clientWidth,out=[];\
        document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect();\
        if(r.right>w+0.5&&!e.closest('div.table')){out.push(e.tagName+(e.id?'#'+e.id:''));}});\
        document.body.setAttribute('data-overflow',String(d.scrollWidth-w));\
        document.body.setAttribute('data-outside',out.slice(0,5).join(' '));})();</script></body>";
    let path = report.with_file_name("probe.html");
    std::fs::write(&path, html.replace("</body>", probe)).unwrap();
    path
}

#[test]
fn reports_render_in_a_headless_browser_without_overflow() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = run_and_report(dir.path());
    let cmp = compare_and_report(dir.path());
    let sweep = sweep_and_report(dir.path());
    let calibration = calibrate_and_report(dir.path());
    for (out, title, charts) in [
        (&run, "<h1>R1 &lt;script&gt;", 6),
        (&cmp, "<h1>Historical 2025", 12),
        (&sweep, "<h1>Sweep: Bass", 8),
        (&calibration, "<h1>Calibration: Bass", 3),
    ] {
        let url = format!("file://{}", out.join("report.html").display());
        let dom =
            String::from_utf8(chromium_run(&chromium, dir.path(), &url, &["--dump-dom"])).unwrap();
        assert!(dom.contains(title), "the title rendered as text");
        assert_eq!(
            dom.matches("<svg").count(),
            charts,
            "every chart in the rendered page"
        );
        let probe = overflow_probe(&out.join("report.html"));
        let url = format!("file://{}", probe.display());
        let dom =
            String::from_utf8(chromium_run(&chromium, dir.path(), &url, &["--dump-dom"])).unwrap();
        assert!(
            dom.contains("data-overflow=\"0\""),
            "{}: the page is wider than 1280 px: {}",
            out.display(),
            dom.split("data-overflow")
                .nth(1)
                .unwrap_or("no probe")
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
}

/// The reference screenshot: the top of a run's report at 1280 x 900 (tests/snapshots/).
const SCREENSHOT: &str = "tests/snapshots/report-top-1280x900.png";

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    // As RGB, whatever the encoding.
    let rgb: Vec<u8> = pixels[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1.min(channels - 1)], p[2.min(channels - 1)]])
        .collect();
    (info.width, info.height, rgb)
}

/// Compares a screenshot of the top of a fixed report with the reference: the share of pixels
/// that differ by more than 64 in a channel must stay under 2% (fonts' antialiasing may differ
/// a little between builds of chromium; a layout change moves far more). Set
/// EXODUS_UPDATE_SNAPSHOTS=1 to write a new reference after a deliberate change, and look at it.
#[test]
fn the_top_of_a_report_looks_like_the_reference_screenshot() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    exodus()
        .args([
            "run",
            "-q",
            "--agents",
            "2000",
            "--seed",
            "7",
            "--no-plots",
            "--out",
        ])
        .arg(&out)
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .success();
    exodus().args(["report", "-q"]).arg(&out).assert().success();
    let shot = dir.path().join("shot.png");
    let url = format!("file://{}", out.join("report.html").display());
    chromium_run(
        &chromium,
        dir.path(),
        &url,
        &[&format!("--screenshot={}", shot.display())],
    );
    let taken = std::fs::read(&shot).unwrap();
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCREENSHOT);
    if std::env::var_os("EXODUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(reference.parent().unwrap()).unwrap();
        std::fs::write(&reference, &taken).unwrap();
        return;
    }
    let (w, h, a) = decode(&taken);
    let (rw, rh, b) = decode(&std::fs::read(&reference).unwrap());
    assert_eq!((w, h), (rw, rh), "screenshot size");
    let differing = a
        .chunks(3)
        .zip(b.chunks(3))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count();
    let share = differing as f64 / f64::from(w * h);
    if share >= 0.02 {
        let kept = std::env::temp_dir().join("exodus-report-screenshot.png");
        std::fs::write(&kept, &taken).unwrap();
        panic!(
            "{:.2}% of pixels differ from {SCREENSHOT} (allowed 2%); the screenshot taken is at {}",
            100.0 * share,
            kept.display()
        );
    }
}
