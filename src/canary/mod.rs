//! The canary verdict: canary against baseline, metric by metric, judged as Kayenta's
//! NetflixACAJudge judges (docs/canary.md). Pure: the console, `warroom judge` and the
//! report all call the same code on the same samples.

pub mod wilcox;
