//! `calc loan --chart FILE.svg` run as a user runs it: the SVG is read back and its three
//! series checked against the schedule the same command prints.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::Value;

const LOAN: &str = r#"{"method":"annuity","currency":"NGN","minor_units":2,"principal":"50000.00","annual_rate":"0.18","term":6,"frequency":"monthly","disbursement_date":"2026-01-15"}"#;

fn calc(args: &[&str], input: &str) -> (i32, String, String) {
    common::binary::calc(args, input)
}

/// Each `<polyline>`: its stroke colour and its points, in SVG pixels (y grows down).
fn polylines(svg: &str) -> Vec<(String, Vec<(i64, i64)>)> {
    let attribute = |element: &str, name: &str| -> String {
        let start = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = element[start..].find('"').unwrap() + start;
        element[start..end].to_owned()
    };
    svg.split("<polyline")
        .skip(1)
        .map(|rest| {
            let element = &rest[..rest.find("/>").unwrap()];
            let points = attribute(element, "points")
                .split_whitespace()
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (attribute(element, "stroke"), points)
        })
        .collect()
}

#[test]
fn the_chart_draws_balance_principal_and_interest_for_every_installment() {
    let path = std::env::temp_dir().join(format!("ajo-chart-{}.svg", std::process::id()));
    let path_text = path.to_str().unwrap();
    let (code, stdout, stderr) = calc(&["loan", "--chart", path_text], LOAN);
    assert_eq!(code, 0, "{stderr}");
    // The same JSON as without the flag.
    let (_, plain, _) = calc(&["loan"], LOAN);
    assert_eq!(stdout, plain);
    let schedule: Value = serde_json::from_str(&stdout).unwrap();
    let rows = schedule["schedule"].as_array().unwrap().len();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));

    let series = polylines(&svg);
    let colours: Vec<&str> = series.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        colours,
        ["#1F4E9D", "#2E8B57", "#C0392B"],
        "balance, principal, interest"
    );
    let (balance, principal, interest) = (&series[0].1, &series[1].1, &series[2].1);
    assert_eq!(
        balance.len(),
        rows + 1,
        "from the principal to the last installment"
    );
    assert_eq!((principal.len(), interest.len()), (rows, rows));
    // The balance falls from the top of the plot to the floor, where it ends at zero.
    assert!(balance.windows(2).all(|w| w[1].1 > w[0].1), "{balance:?}");
    let floor = balance.last().unwrap().1;
    assert!(balance.first().unwrap().1 < floor);
    // An annuity's principal grows and its interest shrinks, installment by installment,
    // and every installment sits above the floor.
    assert!(
        principal.windows(2).all(|w| w[1].1 <= w[0].1),
        "{principal:?}"
    );
    assert!(
        interest.windows(2).all(|w| w[1].1 >= w[0].1),
        "{interest:?}"
    );
    assert!(interest.iter().chain(principal).all(|(_, y)| *y < floor));
    // Installments are evenly spaced across the plot.
    let xs: Vec<i64> = principal.iter().map(|(x, _)| *x).collect();
    assert_eq!(xs, balance[1..].iter().map(|(x, _)| *x).collect::<Vec<_>>());
}

#[test]
fn a_chart_option_without_a_file_is_refused() {
    let (code, _, stderr) = calc(&["loan", "--chart"], LOAN);
    assert_eq!(code, 2);
    assert!(stderr.contains("--chart FILE.svg"), "{stderr}");
}
