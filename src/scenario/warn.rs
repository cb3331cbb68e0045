//! Warnings: what a scenario may legally say but is likely a mistake. They are printed on
//! standard error (`warning: <file>:<line>:<column>: ...`) and never stop a run (exit code 0).
//!
//! - an event dated outside the run (a year typo: more than 180 days before the start it
//!   silently applies on day 0, after the end it never happens);
//! - a `deadline` that changes nothing: its platform has `ban_probability = 0` and no segment
//!   protests (the two things a deadline acts through);
//! - a platform no one can reach: nobody starts on it or with it installed, and either the Bass
//!   rule gives it no innovation (imitation needs users) or it is out of the app stores from
//!   the first day and never returns.

use std::fmt;

use super::file::{EventAction, ScenarioFile};
use super::params::{Action, Params, RuleKind, TraitDist};
use super::{Location, Sources};

/// One warning, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub text: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.text)
    }
}

/// Events this many days or fewer before the start are taken as setting the starting state
/// (the historical run starts with the appeals court's deadline of 9 days before); earlier ones
/// are flagged.
const EARLY_DAYS: i64 = 180;

/// The warnings of a validated scenario.
pub fn warnings(file: &ScenarioFile, params: &Params, sources: &Sources) -> Vec<Warning> {
    let mut out = Vec::new();
    let (start, end) = (params.start, params.end());
    let names: Vec<&str> = params.platforms.iter().map(|p| p.name.as_str()).collect();
    let protests = params
        .segments
        .iter()
        .any(|s| !matches!(s.protest, TraitDist::Constant(x) if x == 0.0));
    for (i, e) in file.events.iter().enumerate() {
        let date = e.date.get_ref().0;
        let at = sources.locate(e.date.span());
        let before = (start - date).num_days();
        if before > EARLY_DAYS {
            out.push(Warning {
                location: at.clone(),
                text: format!(
                    "events[{i}].date = {date} is {before} days before the run's first day {start}; it applies from day 0 (events before the start set the state the run starts in, but this far before it may be a typo in the year)"
                ),
            });
        } else if date > end {
            out.push(Warning {
                location: at.clone(),
                text: format!(
                    "events[{i}].date = {date} is after the run's last day {end}, so it never happens"
                ),
            });
        }
        if *e.action.get_ref() == EventAction::Deadline
            && let Some(p) = &e.platform
            && let Some(k) = names.iter().position(|n| n == p.get_ref())
            && params.platforms[k].ban_probability == 0.0
            && !protests
        {
            out.push(Warning {
                location: sources.locate(e.action.span()),
                text: format!(
                    "events[{i}] (deadline for {}) changes nothing: the platform's ban_probability is 0 and no segment protests",
                    names[k]
                ),
            });
        }
    }
    for (k, p) in params.platforms.iter().enumerate() {
        let held = params
            .segments
            .iter()
            .any(|s| s.initial[k] > 0.0 || s.also_installed[k] > 0.0);
        if held {
            continue;
        }
        let why = if params.rule == RuleKind::Bass && p.innovation == 0.0 {
            Some("with the bass rule and innovation = 0 nobody has a reason to adopt it")
        } else if out_of_stores_throughout(params, k) {
            Some("it is out of the app stores from the first day and never returns")
        } else {
            None
        };
        if let Some(why) = why {
            out.push(Warning {
                location: Location::WholeFile {
                    path: sources.root(),
                },
                text: format!(
                    "platform {} can never have users: no segment starts on it or with it installed, and {why}",
                    p.name
                ),
            });
        }
    }
    out
}

/// Whether platform `k` is removed from the stores on or before day 0 and never returns.
fn out_of_stores_throughout(params: &Params, k: usize) -> bool {
    let mut out = false;
    for e in &params.events {
        match e.action {
            Action::StoreRemove(p) if p == k && e.day <= 0 => out = true,
            Action::StoreReturn(p) if p == k => return false,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Overrides, parse};
    use std::path::Path;

    const BASE: &str = r#"[meta]
name = "t"
start = 2025-01-01
days = 10

[population]
people = 100
agents = 100

[[population.segments]]
name = "all"
share = 1.0
initial = { A = 1.0 }
attention = 0.1

[network]
kind = "random"
degree = 3

[choice]
rule = "logit"

[[platforms]]
name = "A"

[[platforms]]
name = "B"
"#;

    fn warnings(text: &str) -> Vec<String> {
        parse(text, Path::new("w.toml"), &Overrides::default())
            .unwrap()
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_plain_scenario_has_no_warnings() {
        assert!(warnings(BASE).is_empty(), "{:?}", warnings(BASE));
    }

    #[test]
    fn events_outside_the_run_are_flagged_with_their_line() {
        let w = warnings(&format!(
            "{BASE}\n[[events]]\ndate = 2052-01-05\naction = \"down\"\nplatform = \"A\"\n\
             \n[[events]]\ndate = 2024-01-05\naction = \"up\"\nplatform = \"A\"\n"
        ));
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("w.toml:30:8: events[0].date = 2052-01-05 is after"),
            "{w:?}"
        );
        assert!(
            w[1].contains("362 days before the run's first day 2025-01-01"),
            "{w:?}"
        );
        // An event shortly before the start sets the starting state: no warning.
        let w = warnings(&format!(
            "{BASE}\n[[events]]\ndate = 2024-12-20\naction = \"down\"\nplatform = \"B\"\n"
        ));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_deadline_without_risk_or_protest_changes_nothing() {
        let w = warnings(&format!(
            "{BASE}\n[[events]]\ndate = 2025-01-02\naction = \"deadline\"\nplatform = \"A\"\nuntil = 2025-01-05\n"
        ));
        assert!(w.iter().any(|w| w.contains("changes nothing")), "{w:?}");
        let risky = BASE.replacen("name = \"A\"", "name = \"A\"\nban_probability = 0.5", 1);
        let w = warnings(&format!(
            "{risky}\n[[events]]\ndate = 2025-01-02\naction = \"deadline\"\nplatform = \"A\"\nuntil = 2025-01-05\n"
        ));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_platform_nobody_can_reach_is_flagged() {
        let bass = BASE.replace("rule = \"logit\"", "rule = \"bass\"");
        let w = warnings(&bass);
        assert!(
            w.iter()
                .any(|w| w.contains("platform B can never have users")),
            "{w:?}"
        );
        let removed = format!(
            "{BASE}\n[[events]]\ndate = 2025-01-01\naction = \"store-remove\"\nplatform = \"B\"\n"
        );
        let w = warnings(&removed);
        assert!(
            w.iter().any(|w| w.contains("out of the app stores")),
            "{w:?}"
        );
    }
}
