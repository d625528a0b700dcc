//! The bench as a chart a person reads at a glance (plotters): throughput
//! and CPU per GiB against segment size, one line per queue depth, the
//! host copy as a dashed level; with a recommendation, the expected time
//! per TiB and the size that wins. SVG or PNG, by the file's extension.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Recommendation, Report, Row, Way};
use crate::units::format_size;

/// Why a chart was not written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Not .svg or .png.
    #[error("{0}: the chart is written as SVG or PNG; give a file name ending in .svg or .png")]
    Extension(String),
    /// Nothing measured.
    #[error("nothing was measured, so there is nothing to plot")]
    Empty,
    /// Drawing or writing failed.
    #[error("{path}: could not write the chart: {why}")]
    Draw {
        /// The file.
        path: String,
        /// plotters' words.
        why: String,
    },
}

static FONT: Once = Once::new();

/// plotters draws text with a font it is given: DejaVu Sans, built in, so
/// a chart looks the same on every machine (no fontconfig needed).
fn register_font() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType font (the dejavu crate's), so
        // this cannot fail; if it did, text would be missing, not the chart.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Checks that `path` names a chart segcopy can write (.svg or .png), so a
/// wrong name is refused before anything is measured.
pub fn check_path(path: &Path) -> Result<(), PlotError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg" | "png") => Ok(()),
        _ => Err(PlotError::Extension(path.display().to_string())),
    }
}

/// Writes the chart of `report` (and `rec`) to `path` (.svg or .png).
pub fn write(report: &Report, rec: Option<&Recommendation>, path: &Path) -> Result<(), PlotError> {
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !report.rows.iter().any(|r| r.way == Way::Offloaded) {
        return Err(PlotError::Empty);
    }
    register_font();
    let panels = if rec.is_some() { 3 } else { 2 };
    let size = (1000, 360 * panels);
    let draw_err = |why: String| PlotError::Draw {
        path: name.clone(),
        why,
    };
    match ext.as_deref() {
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw(&root, report, rec).map_err(draw_err)?;
            root.present().map_err(|e| draw_err(e.to_string()))
        }
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw(&root, report, rec).map_err(draw_err)?;
            root.present().map_err(|e| draw_err(e.to_string()))
        }
        _ => Err(PlotError::Extension(name)),
    }
}

fn log2(bytes: u64) -> f64 {
    (bytes as f64).log2()
}

/// x labels: sizes at whole powers of two.
fn size_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-6 && (0.0..63.0).contains(x) {
        format_size(1u64 << (x.round() as u32))
    } else {
        String::new()
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    rec: Option<&Recommendation>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let title = format!(
        "segcopy bench: {} -> {}, {} per run",
        report.source,
        report.destination,
        format_size(report.object_bytes)
    );
    let root = root.titled(&title, ("sans-serif", 24)).map_err(e)?;
    let panels = root.split_evenly((if rec.is_some() { 3 } else { 2 }, 1));
    let offloaded: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.way == Way::Offloaded)
        .collect();
    let host = report.rows.iter().find(|r| r.way == Way::Host);
    let lo = offloaded
        .iter()
        .map(|r| log2(r.segment_bytes))
        .fold(f64::INFINITY, f64::min)
        .floor();
    let hi = offloaded
        .iter()
        .map(|r| log2(r.segment_bytes))
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil();
    let (lo, hi) = (lo - 0.25, hi.max(lo + 1.0) + 0.25);
    let mut depths: Vec<usize> = offloaded.iter().map(|r| r.depth).collect();
    depths.sort_unstable();
    depths.dedup();

    let panel = |area: &DrawingArea<DB, Shift>,
                 caption: &str,
                 y_desc: &str,
                 value: &dyn Fn(&Row) -> f64,
                 host_value: Option<f64>|
     -> Result<(), String> {
        let ymax = offloaded
            .iter()
            .map(|r| value(r))
            .chain(host_value)
            .fold(0.0, f64::max)
            * 1.15;
        let ymax = if ymax > 0.0 { ymax } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("segment size")
            .y_desc(y_desc)
            .x_labels(((hi - lo).ceil() as usize + 1).max(2))
            .x_label_formatter(&size_label)
            .light_line_style(WHITE.mix(0.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        for (k, d) in depths.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            let pts: Vec<(f64, f64)> = offloaded
                .iter()
                .filter(|r| r.depth == *d)
                .map(|r| (log2(r.segment_bytes), value(r)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(e)?
                .label(format!("EXTENDED COPY, {d} in flight"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(e)?;
        }
        if let Some(h) = host_value {
            let grey = RGBColor(0x55, 0x55, 0x55);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(lo, h), (hi, h)],
                    8,
                    5,
                    grey.stroke_width(2),
                ))
                .map_err(e)?
                .label("host copy (READ/WRITE through this host)")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], grey.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        Ok(())
    };
    panel(
        &panels[0],
        "throughput (median of the runs)",
        "MiB/s",
        &|r: &Row| r.summary.mib_per_s,
        host.map(|h| h.summary.mib_per_s),
    )?;
    panel(
        &panels[1],
        "CPU of this process per GiB copied (user + system)",
        "CPU seconds per GiB",
        &|r: &Row| r.summary.cpu_seconds_per_gib,
        host.map(|h| h.summary.cpu_seconds_per_gib),
    )?;
    if let Some(rec) = rec {
        let area = &panels[2];
        let hours: Vec<(f64, f64)> = rec
            .expected
            .iter()
            .map(|&(s, secs)| (log2(s), secs / 3600.0))
            .collect();
        let ymax = hours.iter().map(|p| p.1).fold(0.0, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "expected time per TiB at {} failure(s) per TiB: {} wins",
                    rec.failures_per_tib,
                    format_size(rec.best)
                ),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0f64..ymax.max(1e-9))
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("segment size")
            .y_desc("hours per TiB")
            .x_labels(((hi - lo).ceil() as usize + 1).max(2))
            .x_label_formatter(&size_label)
            .light_line_style(WHITE.mix(0.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        let c = COLOURS[2];
        chart
            .draw_series(LineSeries::new(hours.clone(), c.stroke_width(2)))
            .map_err(e)?;
        chart
            .draw_series(hours.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(e)?;
        if let Some(&best) = hours.iter().find(|p| (p.0 - log2(rec.best)).abs() < 1e-9) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    best,
                    9,
                    COLOURS[1].stroke_width(3),
                )))
                .map_err(e)?;
        }
    }
    Ok(())
}
