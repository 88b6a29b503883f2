//! Money parsing and formatting: any text in any currency either parses or is a typed
//! error; what parses prints back to text that parses to the same amount, and the
//! human form never panics.
#![no_main]

use ajo_core::money::{Currency, Money};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, u8, &str)| {
    let (pick, minor_units, text) = input;
    let builtins: Vec<Currency> = Currency::builtins().collect();
    let currency = match builtins.get(usize::from(pick)) {
        Some(currency) => currency.clone(),
        // Beyond the built-ins, a made-up currency with arbitrary minor units.
        None => match Currency::new("XFZ", minor_units) {
            Ok(currency) => currency,
            Err(_) => return,
        },
    };
    let Ok(money) = Money::parse(text, currency.clone()) else {
        return;
    };
    let printed = money.amount().to_string();
    let again = Money::parse(&printed, currency)
        .unwrap_or_else(|e| panic!("{printed:?} printed from {text:?} does not parse: {e}"));
    assert_eq!(again, money, "round trip of {text:?} through {printed:?}");
    let _ = money.human().to_string();
    let _ = money.negated().human().to_string();
    let from_minor = Money::from_minor(money.minor(), money.currency())
        .unwrap_or_else(|e| panic!("minor units of {text:?} do not rebuild it: {e}"));
    assert_eq!(from_minor, money);
});
