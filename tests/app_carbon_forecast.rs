//! The carbon-forecast example's claims on a reduced run: a DSL forecaster rolled forward
//! recursively beats persistence and a linear trend on held-out years at every horizon, and its
//! error grows with the horizon.

#[path = "../examples/carbon_forecast.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn the_panel_is_large_enough_and_positive() {
    let p = app::panel(20, 30, 3);
    assert_eq!((p.emissions.len(), p.emissions[0].len()), (20, 30));
    assert!(p.emissions.iter().flatten().all(|&e| e > 0.0 && e.is_finite()));
    assert_eq!((0..4).filter(|s| p.sector.contains(s)).count(), 4);
}

#[test]
fn recursive_forecasts_beat_both_baselines_and_error_grows_with_horizon() {
    let cfg = app::Config::reduced();
    assert!(cfg.companies >= 20 && cfg.years >= 30);
    let r = app::run(&cfg).unwrap();
    eprintln!(
        "MAPE network {:.2?} persistence {:.2?} trend {:.2?}; loss {:.4} -> {:.4}",
        r.mape_model,
        r.mape_persistence,
        r.mape_trend,
        r.loss_curve[0],
        r.loss_curve[r.loss_curve.len() - 1]
    );
    for h in 0..cfg.horizon {
        assert!(
            r.mape_model[h] < r.mape_persistence[h] && r.mape_model[h] < r.mape_trend[h],
            "horizon {}: network {:.2}% persistence {:.2}% trend {:.2}%",
            h + 1,
            r.mape_model[h],
            r.mape_persistence[h],
            r.mape_trend[h]
        );
    }
    assert!(
        r.mape_model[cfg.horizon - 1] > 1.5 * r.mape_model[0],
        "{:?}",
        r.mape_model
    );
    for h in 1..cfg.horizon {
        assert!(r.mape_model[h] > 0.95 * r.mape_model[h - 1], "{:?}", r.mape_model);
    }
}
