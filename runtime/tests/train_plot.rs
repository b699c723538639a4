//! Figures: files are written where asked, are SVG, and carry their title, labels and legend.

use shapegrad_runtime::plot::{heatmap, line, results_dir, scatter, Figure, Grid, Series};

fn root(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shapegrad-train-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read_svg(p: &std::path::Path) -> String {
    let s = std::fs::read_to_string(p).unwrap();
    assert!(s.len() > 500, "{} is nearly empty", p.display());
    assert!(
        s.contains("<svg") && s.trim_end().ends_with("</svg>"),
        "{} is not a complete SVG",
        p.display()
    );
    s
}

#[test]
fn line_scatter_and_heatmap_are_written_with_their_text() {
    let base = root("all");
    let dir = results_dir(&base, "optimizers").unwrap();
    assert!(dir.is_dir());

    let adam: Vec<f64> = (0..200).map(|k| 10.0 * (-0.03 * k as f64).exp() + 1e-4).collect();
    let sgd: Vec<f64> = (0..200).map(|k| 10.0 / (1.0 + k as f64)).collect();
    let mut bad = Series::from_ys("with gaps", &sgd);
    bad.points[5].1 = f64::NAN;
    bad.points[6].1 = 0.0; // dropped on a log axis
    let fig = Figure::new("Loss by step").labels("step", "loss").log_y(true);
    let p = line(
        &dir,
        "loss",
        &fig,
        &[Series::from_ys("Adam", &adam), Series::from_ys("SGD", &sgd), bad],
    )
    .unwrap();
    assert_eq!(p, dir.join("loss.svg"));
    let s = read_svg(&p);
    for text in ["Loss by step", "step", "loss", "Adam", "SGD", "with gaps"] {
        assert!(s.contains(text), "missing `{text}`");
    }
    // Linear axis too.
    let p = line(
        &dir,
        "loss_linear.svg",
        &Figure::new("linear").labels("x", "y"),
        &[Series::from_ys("a", &sgd)],
    )
    .unwrap();
    read_svg(&p);

    let pts: Vec<(f64, f64)> = (0..100)
        .map(|i| ((i as f64 * 0.1).cos(), (i as f64 * 0.13).sin()))
        .collect();
    let p = scatter(
        &dir,
        "points",
        &Figure::new("Embedding").labels("z1", "z2"),
        &[
            Series::new("phase A", pts.clone()),
            Series::new("phase B", pts.iter().map(|&(x, y)| (x + 1.0, y)).collect()),
        ],
    )
    .unwrap();
    let s = read_svg(&p);
    assert!(s.contains("Embedding") && s.contains("phase B") && s.contains("<circle"));

    let (r, c) = (20, 30);
    let values: Vec<f64> = (0..r * c)
        .map(|k| ((k / c) as f64 * 0.3).sin() * ((k % c) as f64 * 0.2).cos())
        .collect();
    let grid = Grid::new(r, c, values).extent((0.0, 3.0), (1.0, 2.0));
    let p = heatmap(
        &dir,
        "field.svg",
        &Figure::new("Magnetization").labels("temperature", "field"),
        &grid,
    )
    .unwrap();
    let s = read_svg(&p);
    assert!(s.contains("Magnetization") && s.contains("temperature") && s.matches("<rect").count() >= r * c);

    // A mis-sized grid is refused, naming both sizes.
    let e = heatmap(&dir, "bad", &Figure::new("x"), &Grid::new(2, 3, vec![0.0; 5]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("[2, 3]") && e.contains("5 values"), "{e}");
    // Empty and all-NaN series still give a valid (empty) figure rather than an error.
    let p = line(
        &dir,
        "empty",
        &Figure::new("nothing yet").log_y(true),
        &[Series::new("none", vec![(0.0, f64::NAN)])],
    )
    .unwrap();
    read_svg(&p);

    if std::env::var_os("SHAPEGRAD_KEEP_PLOTS").is_some() {
        println!("figures kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&base);
    }
}
