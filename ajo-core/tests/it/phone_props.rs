//! Mobile numbers: every way a member may write a valid number reads as the same MSISDN,
//! and no text panics.

use ajo_core::phone::{Country, Msisdn};
use proptest::prelude::*;

fn country() -> impl Strategy<Value = Country> {
    proptest::sample::select(Country::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_way_of_writing_a_number_reads_the_same(
        country in country(),
        digits in proptest::collection::vec(0u8..10, 10),
        form in 0u8..5,
        spaced in any::<bool>(),
    ) {
        let len = country.national_digits();
        // A national number of the right length; where a trunk 0 exists, not starting with 0.
        let mut national: String = digits.iter().take(len).map(|d| char::from(b'0' + d)).collect();
        if national.starts_with('0') {
            national.replace_range(0..1, "5");
        }
        let cc = country.calling_code();
        let written = match form {
            0 => format!("+{cc}{national}"),
            1 => format!("00{cc}{national}"),
            2 => format!("{cc}{national}"),
            3 => national.clone(),
            _ => format!("0{national}"),
        };
        let written = if spaced {
            written.chars().enumerate().flat_map(|(i, c)| if i % 3 == 2 { vec![c, ' '] } else { vec![c] }).collect()
        } else {
            written
        };
        match Msisdn::parse(&written, country) {
            Ok(n) => {
                prop_assert!(form != 4 || country.trunk_zero(), "{written}");
                prop_assert_eq!(n.as_str(), format!("{cc}{national}"));
            }
            // Without a trunk 0, `0…` is a number one digit too long.
            Err(e) => prop_assert!(form == 4 && !country.trunk_zero(), "{written}: {e}"),
        }
    }

    #[test]
    fn no_text_panics(text in ".{0,30}", country in country()) {
        if let Ok(n) = Msisdn::parse(&text, country) {
            prop_assert!(n.as_str().starts_with(country.calling_code()));
            prop_assert!(n.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
