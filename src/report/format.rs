//! How numbers and values read in a report: counts of people as 3.4 M, ranks as whole
//! numbers, shares as percentages, manifest numbers exactly as recorded, and scenario values
//! (distributions, per-platform tables) as a reader writes them, never as internal dumps.

use serde_json::Value;

use crate::plot::style::human;

/// A key as words: `peak_daily_active_users` -> "peak daily active users".
pub fn words(key: &str) -> String {
    key.replace('_', " ")
}

/// A count of people: 3.4 M, 654 k, 12.
pub fn people(x: f64) -> String {
    if x.is_finite() {
        human(x)
    } else {
        "—".into()
    }
}

/// A rank: #1.
pub fn rank(x: f64) -> String {
    if x.is_finite() {
        format!("#{}", x.round() as i64)
    } else {
        "—".into()
    }
}

/// A result of unknown kind (a target, a parameter value): large values as counts (5.2 M),
/// others to 4 significant digits, without trailing zeros; "—" if undefined.
pub fn number(x: f64) -> String {
    significant(x, 4)
}

/// An estimate with its interval (an index): as [`number`], to 3 significant digits.
pub fn short(x: f64) -> String {
    significant(x, 3)
}

fn significant(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        "—".into()
    } else if x.abs() >= 1e4 {
        human(x)
    } else if x != 0.0 && x.abs() < 1e-4 {
        let s = format!("{:.*e}", digits.saturating_sub(1), x);
        match s.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trimmed(mantissa.into())),
            None => s,
        }
    } else {
        trimmed(crate::calibration::significant(x, digits))
    }
}

/// A share as a whole percentage: 0.575 -> "58%".
pub fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", 100.0 * x)
    } else {
        "—".into()
    }
}

/// A number exactly as it is, for a manifest or a parameter: whole numbers in full (the seed
/// 20250119 stays 20250119), others to 6 significant digits.
pub fn exact(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&magnitude) {
        let mantissa = x / 10f64.powi(magnitude);
        return format!("{}e{magnitude}", trimmed(format!("{mantissa:.5}")));
    }
    let decimals = (5 - magnitude).max(0) as usize;
    trimmed(format!("{x:.decimals$}"))
}

/// A decimal without trailing zeros (`2.50` -> `2.5`, `3.0` -> `3`).
fn trimmed(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A JSON number exactly as it is ([`exact`]); integers as written.
fn json_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        n.to_string()
    } else {
        n.as_f64().map_or_else(|| n.to_string(), exact)
    }
}

/// A scenario or manifest value as a reader writes it: a distribution as
/// `log-normal (mu 1.2, sigma 1.5)` (a constant as its value), a table of platforms as
/// `TikTok 1, RedNote 0.5`, a list with commas, true and false as yes and no, nothing as "—".
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => json_number(n),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "—".into(),
        Value::Array(a) => a.iter().map(value).collect::<Vec<_>>().join(", "),
        Value::Object(o) if o.is_empty() => "—".into(),
        Value::Object(o) => {
            if let Some(Value::String(dist)) = o.get("dist") {
                let rest: Vec<(&String, &Value)> =
                    o.iter().filter(|(k, _)| k.as_str() != "dist").collect();
                if dist == "constant"
                    && let [(_, x)] = rest[..]
                {
                    return value(x);
                }
                let args: Vec<String> = rest
                    .iter()
                    .map(|(k, x)| format!("{} {}", words(k), value(x)))
                    .collect();
                return format!("{dist} ({})", args.join(", "));
            }
            o.iter()
                .map(|(k, x)| match x {
                    Value::Object(_) => format!("{} ({})", words(k), value(x)),
                    _ => format!("{} {}", words(k), value(x)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_read_as_they_are() {
        assert_eq!(exact(20250119.0), "20250119");
        assert_eq!(exact(0.979311614), "0.979312");
        assert_eq!(exact(29507707.62143595), "29507708");
        assert_eq!(exact(0.0223), "0.0223");
        assert_eq!(exact(2.5), "2.5");
        assert_eq!(exact(-3.25), "-3.25");
        assert_eq!(exact(1.5e-7), "1.5e-7");
        assert_eq!(value(&json!(20250119)), "20250119");
        assert_eq!(value(&json!(0.05)), "0.05");
        assert_eq!(rank(1.0), "#1");
        assert_eq!(rank(11.6), "#12");
        assert_eq!(people(3_400_000.0), "3.4 M");
        assert_eq!(number(0.030973782), "0.03097");
        assert_eq!(number(98720.0), "98.7 k");
        assert_eq!(number(f64::NAN), "—");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(136.0), "136");
        assert_eq!(short(0.7975572), "0.798");
        assert_eq!(short(7.64e-28), "7.64e-28");
        assert_eq!(short(-1.2e-14), "-1.2e-14");
        assert_eq!(percent(0.75), "75%");
    }

    #[test]
    fn values_read_as_written() {
        assert_eq!(value(&json!({"dist": "constant", "value": 0.0})), "0");
        assert_eq!(
            value(&json!({"dist": "log-normal", "mu": 1.2, "sigma": 1.5})),
            "log-normal (mu 1.2, sigma 1.5)"
        );
        assert_eq!(
            value(&json!({"TikTok": 1.0, "RedNote": 0.5})),
            "TikTok 1, RedNote 0.5"
        );
        assert_eq!(value(&json!({})), "—");
        assert_eq!(value(&json!(null)), "—");
        assert_eq!(value(&json!(true)), "yes");
        assert_eq!(value(&json!([0.05, 0.95])), "0.05, 0.95");
        assert_eq!(
            value(&json!({"platform": "RedNote", "from": "2025-01-13"})),
            "platform RedNote, from 2025-01-13"
        );
    }
}
