//! The canary verdict: canary against baseline, metric by metric, judged as Kayenta's
//! NetflixACAJudge judges (docs/canary.md), each metric's result said in words and
//! numbers. Pure: the console, `warroom judge` and the report call the same code on the
//! same samples.
//!
//! Kayenta's rules, with their source: a metric is High when the 98 % Mann-Whitney
//! interval of the canary's shift lies above zero by more than a quarter of the
//! Hodges-Lehmann estimate and the effect size reaches `allowed-increase`
//! (MannWhitneyClassifier, NetflixACAJudge: confLevel 0.98, tolerance 0.25, effect sizes
//! 1.0); Low symmetrically; a group scores its passed metrics over those judged
//! (WeightedSumScorer); groups without a weight share what the weights leave; a critical
//! metric not passing, or half the metrics without data, scores 0; the score is PASS at
//! `pass`, MARGINAL at `marginal`, else FAIL (ThresholdScoreClassifier).

pub mod judge;
pub mod proportion;
pub mod wilcox;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which way a metric may not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Increase,
    Decrease,
    #[default]
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The canary's mean over the baseline's (Kayenta's default).
    #[default]
    MeanRatio,
    /// The chance a canary value exceeds a baseline one.
    Cles,
}

impl Effect {
    /// Kayenta's default `allowed-increase` and `allowed-decrease` for the measure.
    pub fn neutral(self) -> f64 {
        match self {
            Self::MeanRatio => 1.0,
            Self::Cles => 0.5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nan {
    #[default]
    Remove,
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outliers {
    #[default]
    Keep,
    Remove,
}

/// One metric of an analysis, as the runbook states it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub id: String,
    pub direction: Direction,
    pub critical: bool,
    pub must_have_data: bool,
    pub group: String,
    pub effect: Effect,
    pub allowed_increase: f64,
    pub allowed_decrease: f64,
    pub nan: Nan,
    pub outliers: Outliers,
    /// How a value is written: its unit (`ms`, `%`), for the words.
    pub unit: String,
}

impl MetricSpec {
    /// A metric with Kayenta's defaults.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            direction: Direction::Either,
            critical: false,
            must_have_data: false,
            group: "default".to_owned(),
            effect: Effect::MeanRatio,
            allowed_increase: 1.0,
            allowed_decrease: 1.0,
            nan: Nan::Remove,
            outliers: Outliers::Keep,
            unit: String::new(),
        }
    }

    /// `412 ms`: three significant digits and the unit.
    pub fn format(&self, v: f64) -> String {
        let text = if !v.is_finite() {
            "--".to_owned()
        } else if v == 0.0 || v.abs() >= 100.0 {
            format!("{v:.0}")
        } else if v.abs() >= 10.0 {
            format!("{v:.1}")
        } else if v.abs() >= 1.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.3}")
        };
        if self.unit.is_empty() {
            text
        } else {
            format!("{text} {}", self.unit)
        }
    }
}

/// An analysis: its thresholds, the points a metric needs, group weights, its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub pass: f64,
    pub marginal: f64,
    pub min_points: usize,
    /// Weights of named groups (percent); the others share what is left.
    pub weights: BTreeMap<String, f64>,
    pub metrics: Vec<MetricSpec>,
}

/// A ranged metric's answer (`query-range`): its index in the analysis, and the
/// baseline's and the canary's values over the window, or why not.
pub type RangeAnswer = (usize, Result<(Vec<f64>, Vec<f64>), String>);

/// What a metric is judged on: samples of each side over the window, or counts (events
/// out of a total) of each side.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Samples {
        baseline: Vec<f64>,
        canary: Vec<f64>,
    },
    Counts {
        baseline: (f64, f64),
        canary: (f64, f64),
    },
}

/// A metric's classification (Kayenta's, plus Inconclusive for too few points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Pass,
    High,
    Low,
    /// No data on a side.
    Nodata,
    /// No data on a side of a metric that `must-have-data`: counts as failed.
    NodataFail,
    /// Fewer points than `min-points` on a side: not judged yet.
    Inconclusive,
}

impl Class {
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::High => "HIGH",
            Self::Low => "LOW",
            Self::Nodata => "NODATA",
            Self::NodataFail => "NODATA (required)",
            Self::Inconclusive => "TOO FEW POINTS",
        }
    }
}

/// One side of a metric after cleaning: how many points, their mean and median.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
}

impl Side {
    pub fn of(values: &[f64]) -> Self {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        Self::of_sorted(&s)
    }

    /// As [`Side::of`], of values already in order.
    pub fn of_sorted(s: &[f64]) -> Self {
        Self {
            n: s.len(),
            mean: if s.is_empty() {
                f64::NAN
            } else {
                s.iter().sum::<f64>() / s.len() as f64
            },
            median: judge::quantile(s, 0.5),
        }
    }
}

/// One metric's result, with its reason in words and numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricVerdict {
    pub id: String,
    pub class: Class,
    /// A critical metric that did not pass: the canary fails.
    pub critical: bool,
    pub baseline: Side,
    pub canary: Side,
    #[serde(skip)]
    pub shift: Option<wilcox::Shift>,
    /// The effect size (mean ratio, CLES, or the ratio of proportions); NaN when it cannot
    /// be computed.
    pub effect: f64,
    pub p_value: Option<f64>,
    /// A change the classification does not see (the spread).
    pub warning: Option<String>,
    pub why: String,
}

/// The analysis's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Marginal,
    Fail,
    /// Too few points to judge: never opens or closes a gate by itself.
    Inconclusive,
}

impl Verdict {
    /// `PASS 96`; INCONCLUSIVE has no score to give.
    pub fn with_score(self, score: f64) -> String {
        match self {
            Self::Inconclusive => self.word().to_owned(),
            v => format!("{} {score:.0}", v.word()),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Marginal => "MARGINAL",
            Self::Fail => "FAIL",
            Self::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// The judgement: the score, its class and why, each group's score, each metric's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub score: f64,
    pub verdict: Verdict,
    pub why: String,
    pub groups: Vec<(String, f64)>,
    pub metrics: Vec<MetricVerdict>,
}

impl Judgement {
    /// `canary PASS 96`, as the timeline says it.
    pub fn short(&self) -> String {
        format!("canary {}", self.verdict.with_score(self.score))
    }
}

/// Judges every metric of `spec` on its input (in the same order), then scores them.
pub fn judge(spec: &Spec, inputs: &[Input]) -> Judgement {
    let metrics: Vec<MetricVerdict> = spec
        .metrics
        .iter()
        .zip(inputs)
        .map(|(m, input)| metric(spec, m, input))
        .collect();
    score(spec, metrics)
}

fn metric(spec: &Spec, m: &MetricSpec, input: &Input) -> MetricVerdict {
    match input {
        Input::Counts { baseline, canary } => judge::proportion(m, *baseline, *canary),
        Input::Samples { baseline, canary } => {
            let b = judge::clean(baseline, m.nan, m.outliers);
            let c = judge::clean(canary, m.nan, m.outliers);
            let unjudged = |class: Class, why: String| MetricVerdict {
                id: m.id.clone(),
                class,
                critical: m.critical && class == Class::Nodata,
                baseline: Side::of(&b),
                canary: Side::of(&c),
                shift: None,
                effect: f64::NAN,
                p_value: None,
                warning: None,
                why,
            };
            // No data on one side while the other has enough is Kayenta's NODATA; too
            // little on both (a console just started) is not judged yet.
            let enough = |v: &[f64]| v.len() >= spec.min_points.max(1);
            if (b.is_empty() && enough(&c)) || (c.is_empty() && enough(&b)) {
                let side = if c.is_empty() { "canary" } else { "baseline" };
                let class = if m.must_have_data && !m.critical {
                    Class::NodataFail
                } else {
                    Class::Nodata
                };
                return unjudged(
                    class,
                    format!("{}: {} · no {side} data", m.id, class.word()),
                );
            }
            if b.len() < spec.min_points || c.len() < spec.min_points {
                return unjudged(
                    Class::Inconclusive,
                    format!(
                        "{}: {} · n {}/{}, {} needed",
                        m.id,
                        Class::Inconclusive.word(),
                        c.len(),
                        b.len(),
                        spec.min_points
                    ),
                );
            }
            judge::samples(m, &b, &c)
        }
    }
}

/// Kayenta's WeightedSumScorer and ThresholdScoreClassifier, with Inconclusive metrics
/// left out of the scores and making the verdict INCONCLUSIVE.
fn score(spec: &Spec, metrics: Vec<MetricVerdict>) -> Judgement {
    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (m, v) in spec.metrics.iter().zip(&metrics) {
        let g = groups.entry(m.group.as_str()).or_default();
        match v.class {
            Class::Pass => {
                g.0 += 1;
                g.1 += 1;
            }
            Class::High | Class::Low | Class::NodataFail => g.1 += 1,
            Class::Nodata | Class::Inconclusive => {}
        }
    }
    let group_scores: Vec<(String, f64, bool)> = groups
        .iter()
        .map(|(name, (pass, total))| {
            let no_data = *total == 0;
            let score = if no_data {
                0.0
            } else {
                *pass as f64 / *total as f64 * 100.0
            };
            ((*name).to_owned(), score, no_data)
        })
        .collect();
    let weighted: f64 = spec.weights.values().sum();
    let unweighted = group_scores
        .iter()
        .filter(|(n, ..)| !spec.weights.contains_key(n))
        .count();
    let share = if unweighted > 0 {
        (100.0 - weighted) / unweighted as f64
    } else {
        0.0
    };
    let summary: f64 = group_scores
        .iter()
        .map(|(name, score, no_data)| {
            let effective = if *no_data { 100.0 } else { *score };
            effective * spec.weights.get(name).copied().unwrap_or(share) / 100.0
        })
        .sum();
    let summary = (summary * 100.0).round() / 100.0;
    let critical = metrics.iter().find(|m| m.critical);
    let nodata = metrics.iter().filter(|m| m.class == Class::Nodata).count();
    let too_many_nodata =
        !metrics.is_empty() && nodata as f64 / metrics.len() as f64 * 100.0 >= 50.0;
    let (score, why) = if let Some(c) = critical {
        (0.0, format!("a critical metric did not pass: {}", c.why))
    } else if too_many_nodata {
        (
            0.0,
            format!(
                "{nodata} of {} metrics have no data (half or more)",
                metrics.len()
            ),
        )
    } else {
        (summary, String::new())
    };
    let inconclusive = metrics
        .iter()
        .filter(|m| m.class == Class::Inconclusive)
        .count();
    let verdict = if inconclusive > 0 && critical.is_none() {
        Verdict::Inconclusive
    } else if score >= spec.pass {
        Verdict::Pass
    } else if score >= spec.marginal {
        Verdict::Marginal
    } else {
        Verdict::Fail
    };
    let why = match verdict {
        Verdict::Inconclusive => format!(
            "{inconclusive} of {} metrics have fewer than {} points: not judged yet (it neither opens nor holds a gate)",
            metrics.len(),
            spec.min_points
        ),
        _ if !why.is_empty() => why,
        _ => format!(
            "PASS from {:.0}, MARGINAL from {:.0}",
            spec.pass, spec.marginal
        ),
    };
    Judgement {
        score,
        verdict,
        why,
        groups: group_scores.into_iter().map(|(n, s, _)| (n, s)).collect(),
        metrics,
    }
}
