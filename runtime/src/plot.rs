//! Figures for examples and the book: line plots (several series, optional log-y), scatter
//! plots and heatmaps, written as SVG under a results folder the caller names.
//!
//! SVG only, on purpose: plotters' bitmap backends need a font rasterizer (`ttf` pulls in
//! fontconfig, a system library), while SVG stores text as `<text>` elements that the viewer
//! renders, so figures keep real, selectable labels and the build stays pure Rust. Files are
//! written atomically ([`crate::io::atomic_write`]), so a figure on disk is never half-drawn.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::io::atomic_write;

/// One named series of `(x, y)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points, drawn in order (lines) or as markers (scatter). Non-finite points are skipped,
    /// as are points with `y ≤ 0` on a log axis.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from points.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
    /// A series `y[i]` against `x = i` (a loss curve by step or epoch).
    pub fn from_ys(name: impl Into<String>, ys: &[f64]) -> Self {
        Self::new(name, ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect())
    }
}

/// Title, axis labels, size and axis scale of a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Caption above the plot.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Logarithmic y axis (losses spanning decades).
    pub log_y: bool,
}

impl Figure {
    /// An 800×500 figure with a title and no axis labels.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            width: 800,
            height: 500,
            log_y: false,
        }
    }
    /// Sets the axis labels.
    pub fn labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }
    /// Logarithmic y axis.
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }
    /// Size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }
}

/// A matrix of values over a rectangle, row 0 at the bottom (`y_range.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Number of rows (y direction).
    pub rows: usize,
    /// Number of columns (x direction).
    pub cols: usize,
    /// `rows × cols` values, row-major.
    pub values: Vec<f64>,
    /// x extent of the whole grid.
    pub x_range: (f64, f64),
    /// y extent of the whole grid.
    pub y_range: (f64, f64),
}

impl Grid {
    /// A grid over `[0, cols] × [0, rows]` (cell indices), e.g. a weight matrix or a lattice.
    pub fn new(rows: usize, cols: usize, values: Vec<f64>) -> Self {
        Self {
            rows,
            cols,
            values,
            x_range: (0.0, cols as f64),
            y_range: (0.0, rows as f64),
        }
    }
    /// Sets the extent (e.g. the physical coordinates of a phase diagram).
    pub fn extent(mut self, x: (f64, f64), y: (f64, f64)) -> Self {
        self.x_range = x;
        self.y_range = y;
        self
    }
}

/// `root/name`, created if missing: the results folder of one example.
pub fn results_dir(root: impl AsRef<Path>, name: &str) -> Result<PathBuf> {
    let dir = root.as_ref().join(name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Other(format!("cannot create `{}`: {e}", dir.display())))?;
    Ok(dir)
}

/// Ten distinguishable colors (matplotlib's tab10), cycled.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Other(format!("plot `{what}`: {e:?}"))
}

fn svg_path(dir: &Path, file: &str) -> PathBuf {
    let p = dir.join(file);
    if p.extension().is_some_and(|e| e == "svg") {
        p
    } else {
        p.with_extension("svg")
    }
}

/// Range of the finite values, padded by 5%; a degenerate range is widened.
fn padded(vals: impl Iterator<Item = f64>, log: bool) -> Option<Range<f64>> {
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    if log {
        let (l, h) = (lo.log10(), hi.log10());
        let pad = ((h - l) * 0.05).max(0.1);
        return Some(10f64.powf(l - pad)..10f64.powf(h + pad));
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.5
    };
    Some(lo - pad..hi + pad)
}

/// A tick label: plain for moderate magnitudes, scientific (`1e-4`, `2.5e6`) beyond, so log
/// axes spanning many decades stay readable. Values within round-off of zero on an axis of
/// length `span` print as `0` (not `-2.2e-16`).
fn tick(v: f64, span: f64) -> String {
    let a = v.abs();
    if v == 0.0 || a < 1e-9 * span {
        "0".into()
    } else if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Line,
    Scatter,
}

fn xy_figure(dir: &Path, file: &str, fig: &Figure, series: &[Series], kind: Kind) -> Result<PathBuf> {
    let path = svg_path(dir, file);
    let name = path.display().to_string();
    let err = draw_err(&name);
    let keep = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!fig.log_y || y > 0.0);
    let pts: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| s.points.iter().copied().filter(keep).collect())
        .collect();
    let xr = padded(pts.iter().flatten().map(|p| p.0), false).unwrap_or(0.0..1.0);
    let yr = padded(pts.iter().flatten().map(|p| p.1), fig.log_y).unwrap_or(if fig.log_y {
        0.1..10.0
    } else {
        0.0..1.0
    });

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (fig.width, fig.height)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&fig.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70);
        // The same drawing code for both y scales; the chart types differ, hence a macro.
        macro_rules! draw {
            ($chart:expr, $xfmt:expr, $yfmt:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(fig.x_label.as_str())
                    .y_desc(fig.y_label.as_str())
                    .axis_desc_style(("sans-serif", 16))
                    .label_style(("sans-serif", 13))
                    .x_label_formatter($xfmt)
                    .y_label_formatter($yfmt)
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(&err)?;
                for (i, (s, p)) in series.iter().zip(&pts).enumerate() {
                    let c = color(i);
                    let anno = match kind {
                        Kind::Line => chart
                            .draw_series(LineSeries::new(p.iter().copied(), c.stroke_width(2)))
                            .map_err(&err)?,
                        Kind::Scatter => chart
                            .draw_series(p.iter().map(|&q| Circle::new(q, 3, c.mix(0.7).filled())))
                            .map_err(&err)?,
                    };
                    let anno = anno.label(s.name.as_str());
                    match kind {
                        Kind::Line => {
                            anno.legend(move |(x, y)| {
                                PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                            });
                        }
                        Kind::Scatter => {
                            anno.legend(move |(x, y)| Circle::new((x + 9, y), 4, c.filled()));
                        }
                    }
                }
                if series.iter().any(|s| !s.name.is_empty()) {
                    chart
                        .configure_series_labels()
                        .background_style(WHITE.mix(0.85))
                        .border_style(BLACK.mix(0.4))
                        .position(SeriesLabelPosition::UpperRight)
                        .label_font(("sans-serif", 14))
                        .draw()
                        .map_err(&err)?;
                }
            }};
        }
        let xspan = xr.end - xr.start;
        let yspan = yr.end - yr.start;
        let xfmt = move |v: &f64| tick(*v, xspan);
        if fig.log_y {
            draw!(
                builder.build_cartesian_2d(xr, yr.log_scale()).map_err(&err)?,
                &xfmt,
                &|v: &f64| tick(*v, 0.0)
            );
        } else {
            draw!(
                builder.build_cartesian_2d(xr, yr).map_err(&err)?,
                &xfmt,
                &|v: &f64| tick(*v, yspan)
            );
        }
        root.present().map_err(&err)?;
    }
    atomic_write(&path, svg.as_bytes())?;
    Ok(path)
}

/// A line plot of one or more series, with a legend; `dir/file` (`.svg` is appended when
/// missing). Returns the path written.
pub fn line(dir: impl AsRef<Path>, file: &str, fig: &Figure, series: &[Series]) -> Result<PathBuf> {
    xy_figure(dir.as_ref(), file, fig, series, Kind::Line)
}

/// A scatter plot of one or more series, with a legend.
pub fn scatter(dir: impl AsRef<Path>, file: &str, fig: &Figure, series: &[Series]) -> Result<PathBuf> {
    xy_figure(dir.as_ref(), file, fig, series, Kind::Scatter)
}

/// Viridis, sampled at 9 points and interpolated linearly: perceptually uniform and readable
/// in grey scale, so a heatmap does not invent structure.
fn viridis(t: f64) -> RGBColor {
    const V: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (V.len() - 1) as f64;
    let i = (x.floor() as usize).min(V.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    RGBColor(
        lerp(V[i].0, V[i + 1].0),
        lerp(V[i].1, V[i + 1].1),
        lerp(V[i].2, V[i + 1].2),
    )
}

/// A heatmap of `grid` with a color bar (viridis; non-finite cells drawn grey).
pub fn heatmap(dir: impl AsRef<Path>, file: &str, fig: &Figure, grid: &Grid) -> Result<PathBuf> {
    let path = svg_path(dir.as_ref(), file);
    let name = path.display().to_string();
    let err = draw_err(&name);
    if grid.rows * grid.cols != grid.values.len() || grid.rows == 0 || grid.cols == 0 {
        return Err(Error::Shape {
            context: format!("heatmap `{name}`"),
            tensor: "grid values".into(),
            expected: format!("[{}, {}] (non-empty)", grid.rows, grid.cols),
            found: format!("{} values", grid.values.len()),
        });
    }
    let (vmin, vmax) = grid
        .values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (vmin, vmax) = if vmin.is_finite() {
        (vmin, if vmax > vmin { vmax } else { vmin + 1.0 })
    } else {
        (0.0, 1.0)
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (fig.width, fig.height)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let titled = root.titled(&fig.title, ("sans-serif", 22)).map_err(&err)?;
        let bar_w = (fig.width / 8).clamp(70, 120);
        let (main, bar): (DrawingArea<_, Shift>, DrawingArea<_, Shift>) =
            titled.split_horizontally(fig.width - bar_w);
        let (x0, x1) = grid.x_range;
        let (y0, y1) = grid.y_range;
        let (xspan, yspan, vspan) = ((x1 - x0).abs(), (y1 - y0).abs(), vmax - vmin);
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(fig.x_label.as_str())
            .y_desc(fig.y_label.as_str())
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v: &f64| tick(*v, xspan))
            .y_label_formatter(&|v: &f64| tick(*v, yspan))
            .draw()
            .map_err(&err)?;
        let (dx, dy) = ((x1 - x0) / grid.cols as f64, (y1 - y0) / grid.rows as f64);
        chart
            .draw_series(
                (0..grid.rows)
                    .flat_map(|r| (0..grid.cols).map(move |c| (r, c)))
                    .map(|(r, c)| {
                        let v = grid.values[r * grid.cols + c];
                        let fill = if v.is_finite() {
                            viridis((v - vmin) / (vmax - vmin))
                        } else {
                            RGBColor(160, 160, 160)
                        };
                        let (cx, cy) = (x0 + c as f64 * dx, y0 + r as f64 * dy);
                        Rectangle::new([(cx, cy), (cx + dx, cy + dy)], fill.filled())
                    }),
            )
            .map_err(&err)?;

        let mut cb = ChartBuilder::on(&bar)
            .margin_top(12)
            .margin_bottom(56)
            .margin_left(8)
            .right_y_label_area_size(56)
            .build_cartesian_2d(0.0..1.0, vmin..vmax)
            .map_err(&err)?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .label_style(("sans-serif", 13))
            .y_label_formatter(&|v: &f64| tick(*v, vspan))
            .draw()
            .map_err(&err)?;
        let n = 64;
        cb.draw_series((0..n).map(|k| {
            let (a, b) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
            let (lo, hi) = (vmin + a * (vmax - vmin), vmin + b * (vmax - vmin));
            Rectangle::new([(0.0, lo), (1.0, hi)], viridis((a + b) / 2.0).filled())
        }))
        .map_err(&err)?;
        root.present().map_err(&err)?;
    }
    atomic_write(&path, svg.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_endpoints_and_clamping() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn tick_labels() {
        assert_eq!(tick(0.0, 1.0), "0");
        assert_eq!(tick(-2.2e-16, 2.0), "0");
        assert_eq!(tick(1e-4, 0.0), "1e-4");
        assert_eq!(tick(2.5e6, 0.0), "2.5e6");
        assert_eq!(tick(0.5, 1.0), "0.5");
        assert_eq!(tick(10.0, 1.0), "10");
        assert_eq!(tick(-1.25, 1.0), "-1.25");
    }

    #[test]
    fn padded_ranges() {
        assert_eq!(padded([1.0, 1.0].into_iter(), false), Some(0.5..1.5));
        let r = padded([1e-3, 10.0].into_iter(), true).unwrap();
        assert!(r.start < 1e-3 && r.end > 10.0);
        assert_eq!(padded(std::iter::empty(), false), None);
    }
}
