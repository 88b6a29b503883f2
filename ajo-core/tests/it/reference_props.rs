//! Gateway references are unambiguous for every valid id: each reads back as the one
//! purpose it was made for, so no two purposes share a reference.

use ajo_core::ids::{GroupId, HandId, LoanId, MemberId};
use ajo_core::reference::PaymentReference;
use proptest::prelude::*;

/// Ids as hosts may choose them: 1 to 64 of letters, digits, `-`, `_` and `.`, with the
/// separators and the look of fixed parts (`dep`, `r1`, `a2`) over-represented.
fn id() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        "[A-Za-z0-9._-]{1,64}",
        "(dep|ctb|out|r1|h2|a2|p3|ajo|-|\\.|_){1,8}",
    ]
    .prop_filter("within the length limit", |s| s.len() <= 64)
}

fn reference() -> impl Strategy<Value = PaymentReference> {
    fn group() -> impl Strategy<Value = GroupId> {
        id().prop_map(|s| GroupId::new(s).unwrap())
    }
    fn member() -> impl Strategy<Value = MemberId> {
        id().prop_map(|s| MemberId::new(s).unwrap())
    }
    fn loan() -> impl Strategy<Value = LoanId> {
        id().prop_map(|s| LoanId::new(s).unwrap())
    }
    let purpose = prop_oneof![
        (group(), member()).prop_map(|(g, m)| PaymentReference::deposit(&g, &m)),
        (group(), any::<u32>(), any::<u32>()).prop_map(|(g, r, h)| {
            PaymentReference::contribution(&g, r, HandId::new(h).unwrap())
        }),
        (group(), any::<u32>()).prop_map(|(g, r)| PaymentReference::payout(&g, r)),
        (group(), member()).prop_map(|(g, m)| PaymentReference::deposit_refund(&g, &m)),
        (group(), member()).prop_map(|(g, m)| PaymentReference::cancel_refund(&g, &m)),
        loan().prop_map(|l| PaymentReference::loan_disbursement(&l)),
        (loan(), any::<u32>()).prop_map(|(l, n)| PaymentReference::loan_repayment(&l, n)),
    ];
    (purpose, 0u32..5).prop_map(|(p, attempt)| p.attempt(attempt))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_reference_reads_back_as_itself(r in reference()) {
        let text = r.to_string();
        prop_assert_eq!(PaymentReference::parse(&text).unwrap(), r);
    }

    #[test]
    fn different_references_never_share_a_text(a in reference(), b in reference()) {
        prop_assert_eq!(a == b, a.to_string() == b.to_string());
    }
}

#[test]
fn the_collision_the_old_references_had_is_gone() {
    let g = |s: &str| GroupId::new(s).unwrap();
    let m = |s: &str| MemberId::new(s).unwrap();
    assert_ne!(
        PaymentReference::deposit(&g("a"), &m("b-dep-c")).to_string(),
        PaymentReference::deposit(&g("a-dep-b"), &m("c")).to_string(),
    );
    assert_ne!(
        PaymentReference::contribution(&g("a-r1"), 2, HandId::new(3).unwrap()).to_string(),
        PaymentReference::contribution(&g("a"), 1, HandId::new(2).unwrap())
            .attempt(3)
            .to_string(),
    );
}
