//! The JSON Schema of scenario files (`exodus schema`): the committed copy in schemas/ is what
//! the binary generates, every shipped scenario (whole or extending) passes it, and it flags
//! what an editor should flag: a misspelt key, a wrong type, a missing table or key of a whole
//! scenario, a distribution without its parameters.

mod common;

use std::path::Path;

use serde_json::Value;

/// The committed schema.
const COMMITTED: &str = "schemas/scenario.schema.json";

fn generated() -> String {
    let out = common::exodus().arg("schema").assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// A TOML document as the JSON a schema checker sees (dates as their text, as taplo gives
/// them).
fn json_of(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(json_of).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, json_of(v))).collect())
        }
    }
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&generated()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, text: &str) -> Vec<String> {
    let doc = json_of(toml::from_str(text).unwrap());
    v.iter_errors(&doc).map(|e| e.to_string()).collect()
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(common::root().join(COMMITTED)).unwrap_or_default();
    if std::env::var_os("EXODUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(common::root().join(COMMITTED), generated()).unwrap();
        return;
    }
    assert!(
        committed == generated(),
        "{COMMITTED} is not what `exodus schema` prints: regenerate it with `exodus schema --out {COMMITTED}` (or EXODUS_UPDATE_SNAPSHOTS=1 cargo test --test schema)"
    );
}

#[test]
fn every_shipped_scenario_passes_the_schema() {
    let v = validator();
    let files = common::shipped_scenarios();
    assert!(files.len() >= 10);
    for path in files {
        let errs = errors(&v, &std::fs::read_to_string(&path).unwrap());
        assert!(errs.is_empty(), "{}: {errs:?}", path.display());
    }
}

#[test]
fn the_schema_flags_what_an_editor_should() {
    let v = validator();
    let whole = std::fs::read_to_string(common::scenario_path("bass-mixed.toml")).unwrap();
    assert!(errors(&v, &whole).is_empty());
    let bad = |from: &str, to: &str| {
        assert!(whole.contains(from), "{from}");
        let errs = errors(&v, &whole.replacen(from, to, 1));
        assert!(!errs.is_empty(), "{to} passes the schema");
        errs.join("; ")
    };
    // A misspelt key, a wrong type, an unknown choice, a distribution's misspelt parameter:
    // each flagged where it is.
    assert!(bad("[network]", "[network]\ndegre = 4").contains("'degre' was unexpected"));
    assert!(bad("agents = 100_000 ", "agents = \"many\" ").contains("not of type"));
    bad("kind = \"mixed\"", "kind = \"mixd\"");
    // A value out of its range, as validation's range table says.
    assert!(bad("attention = 1.0 ", "attention = 1.5 ").contains("maximum"));
    bad(
        "attention = 1.0 ",
        "attention = { dist = \"beta\", alfa = 2, beta = 18 } ",
    );
    // A whole scenario needs its tables and their keys.
    bad("[choice]", "[choix]");
    let no_start: String = whole
        .lines()
        .filter(|l| !l.starts_with("start = "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!errors(&v, &no_start).is_empty(), "meta.start is required");
    // A scenario that extends another needs none of them, and may remove elements; its keys
    // are still checked.
    let child = "extends = \"bass-mixed.toml\"\n[meta]\nname = \"child\"\n[[platforms]]\nname = \"Adopted\"\nremove = true\n";
    assert!(errors(&v, child).is_empty(), "{:?}", errors(&v, child));
    assert!(
        !errors(
            &v,
            &format!("{child}[meta]\nnmae = 1\n").replace("[meta]\nname = \"child\"\n", "")
        )
        .is_empty()
    );
}

/// The path of `key` of the first element of `table` in a scenario, as `--set` writes it.
fn path_of(file: &exodus::scenario::ScenarioFile, table: &str, key: &str) -> Option<String> {
    let first = |names: Vec<String>| names.into_iter().next();
    let prefix = match table {
        "MetaFile" => "meta".to_string(),
        "PopulationFile" => "population".to_string(),
        "NetworkFile" => "network".to_string(),
        "ChoiceFile" => "choice".to_string(),
        "MechanismsFile" => "mechanisms".to_string(),
        "OutputsFile" => "outputs".to_string(),
        "PlatformFile" => format!(
            "platforms.{}",
            first(
                file.platforms
                    .get_ref()
                    .iter()
                    .map(|p| p.name.get_ref().clone())
                    .collect()
            )?
        ),
        "SegmentFile" => format!(
            "population.segments.{}",
            first(
                file.population
                    .segments
                    .get_ref()
                    .iter()
                    .map(|s| s.name.get_ref().clone())
                    .collect()
            )?
        ),
        _ => return None,
    };
    Some(format!("{prefix}.{key}"))
}

/// The problems of a shipped scenario with `path` set to `value`, as texts.
fn problems_with(scenario: &Path, path: &str, value: f64, whole: bool) -> Vec<String> {
    let value = if whole {
        format!("{}", value as i64)
    } else {
        format!("{value:?}")
    };
    let overrides = exodus::scenario::Overrides {
        sets: vec![exodus::scenario::Assignment {
            path: path.to_string(),
            value,
        }],
        ..Default::default()
    };
    match exodus::scenario::load(scenario, &overrides) {
        Ok(_) => Vec::new(),
        Err(e) => e.each().iter().map(|p| p.to_string()).collect(),
    }
}

/// The range table the schema (and the explorer) take their ranges from is the one validation
/// enforces: for every key, in a shipped scenario that has it, a value just outside its range is
/// refused naming the key, and the bounds themselves draw no complaint about the key.
#[test]
fn the_schema_ranges_are_the_ones_validation_enforces() {
    let scenarios = common::shipped_scenarios();
    for r in exodus::scenario::validate::KEY_RANGES {
        let mut checked = false;
        for scenario in &scenarios {
            let file = exodus::scenario::load(scenario, &Default::default())
                .unwrap()
                .file;
            let Some(path) = path_of(&file, r.table, r.key) else {
                continue;
            };
            let names_key = |errs: &[String]| errs.iter().any(|e| e.contains(&path));
            let step = if r.whole {
                1.0
            } else {
                (r.high - r.low).abs().max(1e-6) * 1e-3
            };
            let below = problems_with(scenario, &path, r.low - step, r.whole);
            let above = problems_with(scenario, &path, r.high + step, r.whole);
            if !names_key(&below) || !names_key(&above) {
                // A key this scenario does not read (e.g. rewire on a mixed network).
                continue;
            }
            for bound in [r.low, r.high] {
                let errs = problems_with(scenario, &path, bound, r.whole);
                assert!(
                    !errs.iter().any(|e| e.contains(&path) && e.contains("..=")),
                    "{}: {path} = {bound} is refused: {errs:?}",
                    scenario.display()
                );
            }
            checked = true;
            break;
        }
        assert!(
            checked,
            "{}.{}: no shipped scenario refuses values just outside {} ..= {}",
            r.table, r.key, r.low, r.high
        );
    }
}

#[test]
fn schema_is_written_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub/scenario.schema.json");
    common::exodus()
        .args(["schema", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("scenario.schema.json"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), generated());
}
