//! How a KPI's numbers are written: on gauges, in alerts, reports and status updates.

use super::Kpi;

/// `error_rate=7.3%` or `p95_ms=812 ms`.
pub fn format_reading(kpi: &Kpi, v: f64) -> String {
    let unit = &kpi.unit;
    let gap = if unit.is_empty() || unit == "%" {
        ""
    } else {
        " "
    };
    format!("{}={}{gap}{unit}", kpi.id, format_kpi_value(kpi, v))
}

/// A KPI's number: as [`format_value`], but fine enough to tell its thresholds apart: a
/// tenth of the smallest gap between them, so 99.98 % against 99.9 / 99.5 reads 99.98,
/// not 100.0.
pub fn format_kpi_value(kpi: &Kpi, v: f64) -> String {
    let plain = format_value(v);
    let mut levels: Vec<f64> = kpi
        .thresholds
        .iter()
        .flat_map(|t| [t.target, t.warning, t.critical])
        .flatten()
        .filter(|l| l.is_finite())
        .collect();
    levels.sort_by(f64::total_cmp);
    let gap = levels
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !v.is_finite() || !gap.is_finite() {
        return plain;
    }
    let needed = (-(gap / 10.0).log10()).ceil().clamp(0.0, 4.0) as usize;
    let shown = plain.split_once('.').map_or(0, |(_, d)| d.len());
    if needed <= shown {
        return plain;
    }
    format!("{v:.needed$}")
}

/// A number as gauges show it: three significant figures, no exponent.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    let whole = (a - a.round()).abs() < 1e-9;
    if a >= 100.0 || whole {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kpi_value_is_never_rounded_coarser_than_its_thresholds() {
        let (rb, _) = crate::runbook::load_str(
            std::path::Path::new("t.toml"),
            "[runbook]\nname = \"t\"\n[[kpi]]\nid = \"uptime\"\ncommand = [\"true\"]\nbetter = \"higher\"\ntarget = 99.9\nwarning = 99.5\n[[kpi]]\nid = \"ms\"\ncommand = [\"true\"]\ntarget = 200\n[[kpi]]\nid = \"err\"\ncommand = [\"true\"]\ntarget = 0.12\nwarning = 0.5\ncritical = 1\n[[phase]]\nid = \"p\"\ntitle = \"p\"\n",
        )
        .expect("loads");
        assert_eq!(format_kpi_value(&rb.kpis[0], 99.98), "99.98");
        assert_eq!(format_kpi_value(&rb.kpis[0], 99.4), "99.40");
        assert_eq!(format_kpi_value(&rb.kpis[2], 0.08), "0.08");
        assert_eq!(format_value(99.98), "100.0");
        // Whole thresholds keep the gauges' usual figures.
        assert_eq!(format_kpi_value(&rb.kpis[1], 127.34), "127");
    }
}
