//! Charts: produced for every shipped scenario, valid PNG and SVG of the requested size, with the
//! expected text, drawn from saved results only; plus a snapshot of a small chart's SVG.

mod common;

use std::path::Path;

use assert_cmd::Command;
use chrono::NaiveDate;
use exodus::plot::figure::{Series, TimeChart, YFormat};
use exodus::plot::results::EventMark;
use exodus::plot::style::{Dash, Marker};
use exodus::plot::{ChartKind, Figure};
use plotters::style::RGBColor;

const CHARTS: [&str; 6] = [
    "adoption",
    "share",
    "installs",
    "flows",
    "net-flows",
    "multiples",
];

fn exodus() -> Command {
    Command::cargo_bin("exodus").unwrap()
}

fn run(scenario: &str, out: &Path, extra: &[&str]) {
    exodus()
        .args(["run", "-q", "--agents", "20000", "--out"])
        .arg(out)
        .args(extra)
        .arg(common::scenario_path(scenario))
        .assert()
        .success();
}

/// Width and height of a PNG file, checking it decodes.
fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(buf.iter().any(|&b| b != 255), "{} is blank", path.display());
    (info.width, info.height)
}

/// Parses an SVG, checks its size, and returns all its text.
fn svg_text(path: &Path, width: u32, height: u32) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(width.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(height.to_string().as_str()));
    // Wrapped labels span several text elements: join them, with all whitespace as one space.
    let all: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    all.join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_shipped_scenario_gets_every_chart() {
    for path in common::shipped_scenarios() {
        let name = path.file_name().unwrap().to_str().unwrap();
        let out = tempfile::tempdir().unwrap();
        run(name, out.path(), &[]);
        let params = exodus::scenario::load(&path, &Default::default())
            .unwrap()
            .params;
        for chart in CHARTS {
            assert_eq!(
                png_size(&out.path().join(format!("{chart}.png"))),
                (2400, 1350),
                "{name} {chart}"
            );
            let text = svg_text(&out.path().join(format!("{chart}.svg")), 1200, 675);
            assert!(text.contains(&params.name), "{name} {chart}: title");
            assert!(
                text.contains("exodus") && text.contains(&format!("seed {}", params.seed)),
                "{name} {chart}: footnote"
            );
            for p in &params.platforms {
                assert!(
                    text.contains(&p.name),
                    "{name} {chart}: platform {}",
                    p.name
                );
            }
        }
        // The rank chart exists exactly when the scenario estimates ranks.
        let ranked = params.outputs.rank.is_some();
        assert_eq!(out.path().join("rank.svg").exists(), ranked, "{name}");
    }
}

#[test]
fn adoption_chart_has_axes_legend_and_event_labels() {
    let out = tempfile::tempdir().unwrap();
    run("historical-2025.toml", out.path(), &[]);
    let text = svg_text(&out.path().join("adoption.svg"), 1200, 675);
    for expected in [
        "Historical 2025: the US TikTok ban",
        "Daily active users (people)",
        "Date",
        "Jan 2025",
        "Feb",
        "80 M",
        "TikTok",
        "RedNote",
        "Lemon8",
        "Instagram",
        "Facebook",
        "Events",
        "Supreme Court upholds the ban",
        "TikTok goes dark",
        "TikTok and Lemon8 back in the app stores",
    ] {
        assert!(text.contains(expected), "adoption.svg lacks {expected:?}");
    }
    let share = svg_text(&out.path().join("share.svg"), 1200, 675);
    assert!(share.contains("100%") && share.contains("Share of users (%)"));
    let flows = svg_text(&out.path().join("flows.svg"), 1200, 675);
    assert!(flows.contains("from ↓") && flows.contains("to →"));
    let rank = svg_text(&out.path().join("rank.svg"), 1200, 675);
    assert!(rank.contains("#1 ") && rank.contains("#100") && rank.contains("Rank (log scale)"));
}

#[test]
fn plot_redraws_from_saved_results_with_options() {
    let out = tempfile::tempdir().unwrap();
    run("reference-r1.toml", out.path(), &["--no-plots"]);
    assert!(
        !out.path().join("adoption.svg").exists(),
        "--no-plots draws nothing"
    );
    let charts = tempfile::tempdir().unwrap();
    exodus()
        .args([
            "plot", "-q", "--width", "800", "--height", "500", "--scale", "1.5", "--format", "png",
        ])
        .args(["--charts", "adoption,flows", "--out"])
        .arg(charts.path())
        .arg(out.path())
        .assert()
        .success();
    let mut files: Vec<String> = std::fs::read_dir(charts.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, vec!["adoption.png", "flows.png"]);
    assert_eq!(png_size(&charts.path().join("adoption.png")), (1200, 750));

    // Redrawing needs only daily.csv, flows.csv and run.json: the summary is not read.
    std::fs::remove_file(out.path().join("summary.json")).unwrap();
    exodus()
        .args(["plot", "-q", "--format", "svg"])
        .arg(out.path())
        .assert()
        .success();
    svg_text(&out.path().join("multiples.svg"), 1200, 675);
}

#[test]
fn plot_of_a_missing_or_broken_folder_is_bad_input() {
    exodus().args(["plot", "no/such/folder"]).assert().code(2);
    let out = tempfile::tempdir().unwrap();
    run("reference-r1.toml", out.path(), &["--no-plots"]);
    std::fs::write(
        out.path().join("daily.csv"),
        "date,day,platform,metric,value\n2025-01-01,0,Nope,active_users,1\n",
    )
    .unwrap();
    let err = exodus()
        .arg("plot")
        .arg(out.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("daily.csv: line 2: unknown platform \"Nope\""),
        "{err}"
    );
}

/// A small chart with every feature: two series, a band, an event and awkward text.
fn small_chart() -> Figure {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let days = 20;
    let a: Vec<f64> = (0..days).map(|d| 1000.0 + 50.0 * d as f64).collect();
    let b: Vec<f64> = (0..days).map(|d| 2000.0 - 40.0 * d as f64).collect();
    Figure::Time(TimeChart {
        title: "Small <test> & \"chart\"".into(),
        subtitle: "Users per day".into(),
        y_label: "Users (people)".into(),
        start,
        days,
        series: vec![
            Series {
                label: "Alpha".into(),
                color: RGBColor(0, 114, 178),
                dash: Dash::Solid,
                marker: Marker::Circle,
                band: Some((
                    a.iter().map(|v| v * 0.9).collect(),
                    a.iter().map(|v| v * 1.1).collect(),
                )),
                values: a,
            },
            Series {
                label: "Beta".into(),
                color: RGBColor(213, 94, 0),
                dash: Dash::Dashed,
                marker: Marker::Triangle,
                band: None,
                values: b,
            },
        ],
        events: vec![EventMark {
            date: start + chrono::Days::new(5),
            label: "Outage".into(),
        }],
        y_format: YFormat::People,
        stacked: false,
        footnote: "exodus test · seed 1".into(),
        y_log: false,
        detail: None,
    })
}

#[test]
fn small_chart_svg_snapshot() {
    let svg = small_chart().to_svg(480, 320).unwrap();
    // Well-formed despite the title's markup characters, and the band is a translucent polygon.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(doc.descendants().any(|n| {
        n.tag_name().name() == "polygon"
            && n.attribute("opacity")
                .is_some_and(|o| o.parse::<f64>().unwrap() < 0.5)
    }));
    assert!(svg.contains("Small &lt;test&gt; &amp;"));
    insta::assert_snapshot!("small_chart_svg", svg);
}

#[test]
fn chart_kinds_have_file_names() {
    let names: Vec<&str> = ChartKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names[..6], CHARTS);
    assert_eq!(names[6], "rank");
}

#[test]
fn scenario_colours_reach_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::scenario_path("reference-r1.toml"))
        .unwrap()
        .replacen("appeal = 0.0\n", "appeal = 0.0\ncolor = \"#12AB34\"\n", 1);
    let scenario = dir.path().join("coloured.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    exodus()
        .args(["run", "-q", "--agents", "5000", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    for chart in ["adoption", "share", "multiples"] {
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg")))
            .unwrap()
            .to_lowercase();
        assert!(
            svg.contains("#12ab34"),
            "{chart}.svg does not use RedNote's scenario colour"
        );
    }
}

#[test]
fn benchmark_table_gets_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let header = "workload,scenario,agents,days,degree,threads,repeats,population_seconds,\
                  network_seconds,simulate_seconds,simulate_seconds_min,updates_per_second,\
                  updates_per_second_max,peak_rss_bytes,bytes_per_agent,estimate_bytes,\
                  estimate_bytes_per_agent";
    // (workload, agents, threads, agent-updates per second, peak RSS, estimate)
    let rows = [
        (
            "Reference model R1",
            10_000u64,
            1u32,
            3.0e7,
            40_000_000u64,
            2_000_000u64,
        ),
        (
            "Reference model R1",
            10_000,
            2,
            5.0e7,
            41_000_000,
            2_000_000,
        ),
        (
            "Reference model R1",
            1_000_000,
            1,
            6.0e7,
            180_000_000,
            150_000_000,
        ),
        (
            "Reference model R1",
            1_000_000,
            2,
            1.1e8,
            185_000_000,
            150_000_000,
        ),
        ("R1 hand-written loop", 1_000_000, 1, 9.0e7, 120_000_000, 0),
        ("R1 hand-written loop", 1_000_000, 2, 1.7e8, 125_000_000, 0),
    ];
    let mut csv = format!("{header}\n");
    for (w, agents, threads, ups, rss, est) in rows {
        let secs = agents as f64 * 120.0 / ups;
        csv += &format!(
            "{w},,{agents},120,10,{threads},3,0.1,0.2,{secs},{secs},{ups},{ups},{rss},{},{est},{}\n",
            rss as f64 / agents as f64,
            est as f64 / agents as f64
        );
    }
    std::fs::write(dir.path().join("bench.csv"), csv).unwrap();
    std::fs::write(dir.path().join("machine.txt"), "Test machine, 2 cores\n").unwrap();
    let out = dir.path().join("charts");
    let opts = exodus::plot::PlotOptions {
        width: 900,
        height: 500,
        formats: vec![exodus::plot::Format::Svg],
        ..Default::default()
    };
    let written = exodus::plot::bench::plot_bench(dir.path(), &out, &opts).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "bench-throughput.svg",
            "bench-scaling.svg",
            "bench-memory.svg",
            "bench-time.svg"
        ]
    );
    for (chart, expected) in [
        (
            "bench-throughput",
            &[
                "exodus performance: throughput",
                "median of 3 repeats",
                "Agents (log scale)",
                "Agent-updates per second",
                "10 k",
                "1 M",
                "Reference model R1, 2 threads",
                "R1 hand-written loop, 1 thread",
            ][..],
        ),
        (
            "bench-scaling",
            &[
                "exodus performance: scaling with threads",
                "Speedup over 1 thread",
                "Threads",
                "Ideal (linear) speedup",
                "Reference model R1, 1 M agents",
                "2×",
            ],
        ),
        (
            "bench-memory",
            &[
                "exodus performance: memory per agent",
                "Bytes per agent",
                "Reference model R1 estimate",
                "R1 hand-written loop, peak RSS",
            ],
        ),
        (
            "bench-time",
            &[
                "exodus performance: time against work",
                "cost grows linearly",
                "Agent-days (log scale)",
                "Simulation time (seconds, log scale)",
            ],
        ),
    ] {
        let text = svg_text(&out.join(format!("{chart}.svg")), 900, 500);
        for e in expected.iter().chain(&["Test machine, 2 cores"]) {
            assert!(text.contains(e), "{chart}.svg lacks {e:?}");
        }
        assert!(
            text.contains(&format!("exodus {}", exodus::VERSION)),
            "{chart}.svg: footnote"
        );
        assert!(
            !out.join(format!("{chart}.png")).exists(),
            "only the SVG format was asked for"
        );
    }
    // The hand-written loop has no estimate, so it gets no estimate line.
    let memory = svg_text(&out.join("bench-memory.svg"), 900, 500);
    assert!(!memory.contains("R1 hand-written loop estimate"));
}

#[test]
fn trials_and_risk_charts_appear_when_their_data_exist() {
    let out = tempfile::tempdir().unwrap();
    // The historical scenario has trials on.
    run("historical-2025.toml", out.path(), &[]);
    let trials = svg_text(&out.path().join("trials.svg"), 1200, 675);
    assert!(trials.contains("People trying it (people)") && trials.contains("RedNote"));
    let risk = svg_text(&out.path().join("risk.svg"), 1200, 675);
    assert!(risk.contains("Perceived ban risk (%)") && risk.contains("80%"));
    // Without audience classes there is no classes chart.
    assert!(!out.path().join("classes.svg").exists());
    // Without trials there is no trials chart; without any ban risk, no risk chart.
    let plain = tempfile::tempdir().unwrap();
    run("reference-r1.toml", plain.path(), &[]);
    assert!(!plain.path().join("trials.svg").exists());
    assert!(!plain.path().join("risk.svg").exists());
    assert!(plain.path().join("adoption.svg").exists());
}

#[test]
fn the_classes_chart_shows_who_leads() {
    let out = tempfile::tempdir().unwrap();
    run(
        "historical-2025.toml",
        out.path(),
        &["--set", "outputs.audience_classes=true"],
    );
    let text = svg_text(&out.path().join("classes.svg"), 1200, 675);
    for expected in [
        "Who leads",
        "than TikTok as main app or trying one",
        "Share of the class (%)",
        "top 1%",
        "next 9%",
        "rest",
    ] {
        assert!(text.contains(expected), "classes.svg lacks {expected:?}");
    }
    // Redrawn alone from the saved results with --charts.
    let again = tempfile::tempdir().unwrap();
    exodus()
        .args(["plot", "--charts", "classes", "--format", "svg", "--out"])
        .arg(again.path())
        .arg(out.path())
        .assert()
        .success();
    assert!(again.path().join("classes.svg").exists());
    assert!(!again.path().join("adoption.svg").exists());
}

#[test]
fn log_scale_and_a_subset_of_platforms() {
    let out = tempfile::tempdir().unwrap();
    run("reference-r1.toml", out.path(), &["--no-plots"]);
    let charts = tempfile::tempdir().unwrap();
    exodus()
        .args([
            "plot",
            "-q",
            "--format",
            "svg",
            "--log",
            "--platforms",
            "lemon8,RedNote",
        ])
        .args(["--charts", "adoption,share,flows", "--out"])
        .arg(charts.path())
        .arg(out.path())
        .assert()
        .success();
    let adoption = svg_text(&charts.path().join("adoption.svg"), 1200, 675);
    // Only the two platforms, in the order asked for, in the legend.
    assert!(
        adoption.contains("Lemon8 Lemon8 RedNote RedNote Events"),
        "{adoption}"
    );
    assert!(!adoption.contains("Meta"), "{adoption}");
    let share = svg_text(&charts.path().join("share.svg"), 1200, 675);
    assert!(share.contains("among the platforms shown"), "{share}");
    // A log axis: its ticks are powers of ten or 1-2-5 steps, not an even linear spread.
    let linear = tempfile::tempdir().unwrap();
    exodus()
        .args([
            "plot",
            "-q",
            "--format",
            "svg",
            "--platforms",
            "Lemon8,RedNote",
        ])
        .args(["--charts", "adoption", "--out"])
        .arg(linear.path())
        .arg(out.path())
        .assert()
        .success();
    let flat = svg_text(&linear.path().join("adoption.svg"), 1200, 675);
    assert_ne!(adoption, flat, "--log changes the axis");
    assert!(
        adoption.contains("1 k 1 k 10 k 10 k 100 k 100 k"),
        "{adoption}"
    );

    // An unknown platform is bad usage, with the allowed names and the closest one.
    exodus()
        .args(["plot", "-q", "--platforms", "RedNot"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`RedNot` is not a platform of these results; did you mean `RedNote`?; allowed: TikTok, RedNote, Lemon8, Meta",
        ));
    // ... refused by run before it runs anything.
    let never = out.path().join("never");
    exodus()
        .args(["run", "-q", "--platforms", "Mastodon", "--out"])
        .arg(&never)
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .code(2);
    assert!(!never.exists());
    // A comparison's charts on a run's folder draw nothing: refused.
    exodus()
        .args(["plot", "-q", "--charts", "difference"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "compare and difference are a comparison's charts",
        ));
}

#[test]
fn a_comparison_folder_honours_charts_and_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let cmp = dir.path().join("cmp");
    exodus()
        .args([
            "compare",
            "-q",
            "--agents",
            "2000",
            "--replicates",
            "2",
            "--no-plots",
            "--out",
        ])
        .arg(&cmp)
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(common::scenario_path("no-ban.toml"))
        .assert()
        .success();
    let charts = dir.path().join("charts");
    exodus()
        .args(["plot", "-q", "--format", "svg", "--charts", "difference"])
        .args(["--platforms", "RedNote", "--out"])
        .arg(&charts)
        .arg(&cmp)
        .assert()
        .success();
    let files: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(files, ["difference-rednote.svg"]);
    let text = svg_text(&charts.join("difference-rednote.svg"), 1200, 675);
    // The scenarios' labelled events are marked (the historical one's outage).
    assert!(text.contains("TikTok goes dark"), "{text}");
    exodus()
        .args(["plot", "-q", "--charts", "adoption"])
        .arg(&cmp)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "whose charts are compare and difference",
        ));
}

#[test]
fn a_dominant_platform_gives_the_share_chart_a_panel_of_the_others() {
    let out = tempfile::tempdir().unwrap();
    run("historical-2025.toml", out.path(), &["--no-plots"]);
    exodus()
        .args(["plot", "-q", "--format", "svg", "--charts", "share"])
        .arg(out.path())
        .assert()
        .success();
    let share = svg_text(&out.path().join("share.svg"), 1200, 675);
    assert!(
        share.contains(
            "Without TikTok: the other platforms' shares of users (%), on their own scale"
        ),
        "{share}"
    );
}
