//! `calc loan --chart FILE.svg`: a loan's schedule drawn with plotters' SVG backend (no
//! fonts, no system libraries): the balance owed after each installment, and each
//! installment's principal and interest.
//!
//! Coordinates are whole minor units, so nothing is rounded through a float on the way
//! to the picture. The three series are polylines told apart by colour: balance
//! [`BALANCE`], principal [`PRINCIPAL`], interest [`INTEREST`].

use ajo_core::loan::Schedule;
use ajo_core::money::Money;
use plotters::prelude::*;

/// The balance owed after each installment (starting from the principal at 0).
pub(crate) const BALANCE: RGBColor = RGBColor(0x1f, 0x4e, 0x9d);
/// Each installment's principal.
pub(crate) const PRINCIPAL: RGBColor = RGBColor(0x2e, 0x8b, 0x57);
/// Each installment's interest.
pub(crate) const INTEREST: RGBColor = RGBColor(0xc0, 0x39, 0x2b);

/// The picture's size in pixels.
const SIZE: (u32, u32) = (800, 480);

fn minor(amount: Money) -> Result<i64, String> {
    i64::try_from(amount.minor()).map_err(|_| format!("{amount} is too large to draw"))
}

/// The schedule as an SVG document.
///
/// # Errors
/// An amount beyond what the picture can hold, or a drawing error.
pub(crate) fn schedule_svg(schedule: &Schedule) -> Result<String, String> {
    let rows = schedule.rows();
    let last = rows.last().map_or(0, |r| r.number);
    let opening = minor(schedule.terms().principal())?;
    let mut top = opening.max(1);
    for row in rows {
        top = top
            .max(minor(row.opening_balance)?)
            .max(minor(row.closing_balance)?)
            .max(minor(row.principal)?)
            .max(minor(row.interest)?);
    }
    let balance = std::iter::once(Ok((0, opening)))
        .chain(
            rows.iter()
                .map(|r| Ok((r.number, minor(r.closing_balance)?))),
        )
        .collect::<Result<Vec<(u32, i64)>, String>>()?;
    let principal = rows
        .iter()
        .map(|r| Ok((r.number, minor(r.principal)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let interest = rows
        .iter()
        .map(|r| Ok((r.number, minor(r.interest)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let drawing = |e: &dyn std::fmt::Display| format!("cannot draw the chart: {e}");
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| drawing(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(20)
            .build_cartesian_2d(0u32..last.max(1), 0i64..top)
            .map_err(|e| drawing(&e))?;
        for (points, colour) in [
            (balance, BALANCE),
            (principal, PRINCIPAL),
            (interest, INTEREST),
        ] {
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(|e| drawing(&e))?;
        }
        root.present().map_err(|e| drawing(&e))?;
    }
    Ok(out)
}
