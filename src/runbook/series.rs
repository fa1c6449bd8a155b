//! A recorded KPI series for rehearsals: last incident's numbers, replayed on the
//! rehearsal clock in place of a KPI's live source, so a team can check its rules against
//! them before the night. Pure: text in, a series or the first bad line out.
//!
//! CSV, one point a line, a header line first:
//!
//! ```text
//! offset,kpi,value
//! T-2m,error_rate,0.4
//! T+10m,error_rate,6.5
//! 900,error_rate,0.3        # seconds from T0
//! ```
//!
//! or JSON, `[{"offset": "T+10m", "kpi": "error_rate", "value": 6.5}, ...]`. An offset is
//! from T0: `T+10m`, `T-2m`, `10m`, `1h30m`, or a number of seconds. A KPI reads its
//! latest point at or before the clock (and keeps it after the last one), as a gauge would.

use chrono::TimeDelta;
use serde::Deserialize;

use super::time::parse_duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub offset: TimeDelta,
    pub kpi: String,
    pub value: f64,
}

/// The points, in time order for each KPI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    points: Vec<Point>,
}

impl Series {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut points = if text.trim_start().starts_with('[') {
            json(text)?
        } else {
            csv(text)?
        };
        if points.is_empty() {
            return Err("the series holds no point".into());
        }
        // Stable: points at the same offset keep the file's order (the last one wins).
        points.sort_by_key(|p| p.offset);
        Ok(Self { points })
    }

    /// The KPIs the series gives values for.
    pub fn kpis(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.points.iter().map(|p| p.kpi.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The KPI's values in time order, those of the last `window` before its last point
    /// when a window is given.
    pub fn values(&self, kpi: &str, window: Option<TimeDelta>) -> Vec<f64> {
        let mine: Vec<&Point> = self.points.iter().filter(|p| p.kpi == kpi).collect();
        let from = match (window, mine.last()) {
            (Some(w), Some(last)) => last.offset - w,
            _ => TimeDelta::MIN,
        };
        mine.iter()
            .filter(|p| p.offset > from)
            .map(|p| p.value)
            .collect()
    }

    /// The KPI's value at `offset` from T0: its latest point at or before it.
    pub fn value_at(&self, kpi: &str, offset: TimeDelta) -> Option<f64> {
        self.points
            .iter()
            .rev()
            .find(|p| p.kpi == kpi && p.offset <= offset)
            .map(|p| p.value)
    }
}

fn offset(text: &str) -> Result<TimeDelta, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        let longest = super::time::LONGEST.num_seconds() as f64;
        if !secs.is_finite() || secs.abs() > longest {
            return Err(format!(
                "`{t}` is not an offset of at most a hundred years, in seconds"
            ));
        }
        return Ok(TimeDelta::milliseconds((secs * 1000.0).round() as i64));
    }
    let (sign, rest) = match t.strip_prefix("T+").or_else(|| t.strip_prefix("t+")) {
        Some(r) => (1, r),
        None => match t.strip_prefix("T-").or_else(|| t.strip_prefix("t-")) {
            Some(r) => (-1, r),
            None => (1, t),
        },
    };
    if rest == "0" {
        return Ok(TimeDelta::zero());
    }
    let d = parse_duration(rest).map_err(|e| format!("`{t}` is not an offset: {e}"))?;
    Ok(d * sign)
}

fn value(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{}` is not a number", text.trim()))
}

fn csv(text: &str) -> Result<Vec<Point>, String> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if fields == ["offset", "kpi", "value"] {
                continue;
            }
            return Err(format!(
                "line {n}: the first line is the header `offset,kpi,value`"
            ));
        }
        let [o, kpi, v] = fields.as_slice() else {
            return Err(format!(
                "line {n}: expected three fields, offset,kpi,value; found {}",
                fields.len()
            ));
        };
        if kpi.is_empty() {
            return Err(format!("line {n}: no KPI id"));
        }
        out.push(Point {
            offset: offset(o).map_err(|e| format!("line {n}: {e}"))?,
            kpi: (*kpi).to_owned(),
            value: value(v).map_err(|e| format!("line {n}: {e}"))?,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPoint {
    offset: serde_json::Value,
    kpi: String,
    value: f64,
}

fn json(text: &str) -> Result<Vec<Point>, String> {
    let raw: Vec<JsonPoint> =
        serde_json::from_str(text).map_err(|e| format!("not a JSON series: {e}"))?;
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let o = match &p.offset {
                serde_json::Value::String(s) => offset(s),
                serde_json::Value::Number(n) => offset(&n.to_string()),
                other => Err(format!("`{other}` is not an offset")),
            }
            .map_err(|e| format!("point {}: {e}", i + 1))?;
            if !p.value.is_finite() {
                return Err(format!("point {}: the value is not a number", i + 1));
            }
            Ok(Point {
                offset: o,
                kpi: p.kpi,
                value: p.value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_read_the_same_series() {
        let csv = "offset,kpi,value\nT-2m,errors,0.5\nT+10m,errors,6 # the spike\n900,errors,0.3\n\n1h,p95,120\n";
        let json = r#"[{"offset":"T-2m","kpi":"errors","value":0.5},{"offset":"T+10m","kpi":"errors","value":6},{"offset":900,"kpi":"errors","value":0.3},{"offset":"1h","kpi":"p95","value":120}]"#;
        let a = Series::parse(csv).unwrap();
        assert_eq!(a, Series::parse(json).unwrap());
        assert_eq!(a.kpis(), vec!["errors", "p95"]);
        assert_eq!(a.value_at("errors", TimeDelta::minutes(-3)), None);
        assert_eq!(a.value_at("errors", TimeDelta::minutes(-2)), Some(0.5));
        assert_eq!(a.value_at("errors", TimeDelta::minutes(12)), Some(6.0));
        assert_eq!(a.value_at("errors", TimeDelta::minutes(15)), Some(0.3));
        assert_eq!(a.value_at("errors", TimeDelta::hours(5)), Some(0.3), "held");
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(
            Series::parse("kpi,offset,value\n")
                .unwrap_err()
                .contains("line 1")
        );
        let e = Series::parse("offset,kpi,value\nT+1m,x,abc\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("abc"), "{e}");
        let e = Series::parse("offset,kpi,value\nsoon,x,1\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("soon"), "{e}");
        let e = Series::parse("offset,kpi,value\n1,x\n").unwrap_err();
        assert!(e.contains("three fields"), "{e}");
        assert!(
            Series::parse("offset,kpi,value\n")
                .unwrap_err()
                .contains("no point")
        );
        assert!(Series::parse("[{\"offset\":1}]").is_err());
    }
}
