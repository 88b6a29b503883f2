//! What a movement through a gateway's clearing account was, told by the accounts on the
//! other side of its entry.

use crate::ledger::{AccountKind, BalancedEntry};
use crate::money::Currency;
use crate::reference::{PaymentReference, ReferencePurpose};

/// The kind of money that moved through the gateway in one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GatewayFlow {
    /// Money from payers applied to a group or a loan.
    Collection,
    /// Money sent to members (or a payout that came back).
    Payout,
    /// Money into review, or sent back to its payer out of review.
    Review,
    /// Anything else: a chargeback, the provider's fee, money written off.
    Other,
}

/// Classifies `entry`'s postings to clearing accounts in `currency`, in this order:
///
/// 1. the entry posts to a `Suspense` account: [`GatewayFlow::Review`];
/// 2. it posts to `Disputed`, `GatewayFees` or `WrittenOff`, or to a member's own
///    chargeback receivable (a `MemberReceivable` owned by the member alone, not by a
///    group and member: a dispute lost): [`GatewayFlow::Other`];
/// 3. every other posting is to a `MemberWallet`, and the entry takes money out of
///    clearing or carries the reference of a payment ajo sends (a payout, a deposit or
///    cancellation refund, a loan disbursement): [`GatewayFlow::Payout`]. A wallet's
///    money leaves only that way, and comes back only when such a payment is returned;
/// 4. otherwise [`GatewayFlow::Collection`]: a payment credited to a pot, deposit,
///    receivable, loan or (when nothing is owed) a wallet.
pub(super) fn classify(entry: &BalancedEntry, currency: Currency) -> GatewayFlow {
    let others = || {
        entry.postings().iter().filter(|p| {
            p.amount.currency() == currency && p.account.kind() != AccountKind::GatewayClearing
        })
    };
    if others().any(|p| p.account.kind() == AccountKind::Suspense) {
        return GatewayFlow::Review;
    }
    if others().any(|p| {
        matches!(
            p.account.kind(),
            AccountKind::Disputed | AccountKind::GatewayFees | AccountKind::WrittenOff
        ) || (p.account.kind() == AccountKind::MemberReceivable && !p.account.owner().contains('/'))
    }) {
        return GatewayFlow::Other;
    }
    let wallets_only = others().all(|p| p.account.kind() == AccountKind::MemberWallet)
        && others().next().is_some();
    let out_of_clearing = entry.postings().iter().any(|p| {
        p.amount.currency() == currency
            && p.account.kind() == AccountKind::GatewayClearing
            && p.side == crate::ledger::Side::Credit
    });
    if wallets_only && (out_of_clearing || carries_outgoing_reference(entry)) {
        return GatewayFlow::Payout;
    }
    GatewayFlow::Collection
}

fn carries_outgoing_reference(entry: &BalancedEntry) -> bool {
    let Some(Ok(reference)) = entry.reference().map(PaymentReference::parse) else {
        return false;
    };
    // No wildcard: a new purpose must be placed on one side or the other.
    match reference.purpose() {
        ReferencePurpose::Payout { .. }
        | ReferencePurpose::DepositRefund { .. }
        | ReferencePurpose::CancelRefund { .. }
        | ReferencePurpose::LoanDisbursement { .. } => true,
        ReferencePurpose::Deposit { .. }
        | ReferencePurpose::Contribution { .. }
        | ReferencePurpose::LoanRepayment { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::GroupId;
    use crate::ledger::{Account, EntryDraft};
    use crate::money::Money;

    fn ngn(n: i128) -> Money {
        Money::from_minor(n * 100, Currency::NGN).unwrap()
    }

    fn account(owner: &str, kind: AccountKind) -> Account {
        Account::new(owner, kind, Currency::NGN)
    }

    #[test]
    fn a_wallet_credited_from_the_gateway_is_a_payout_only_under_a_payout_reference() {
        let clearing = account("gateway", AccountKind::GatewayClearing);
        let wallet = account("g/ada", AccountKind::MemberWallet);
        let group = GroupId::new("g").unwrap();
        let payout = PaymentReference::payout(&group, 1).attempt(2).to_string();
        let returned = EntryDraft::new("k1", "payout returned")
            .reference(payout)
            .debit(clearing.clone(), ngn(10))
            .credit(wallet.clone(), ngn(10))
            .balance()
            .unwrap();
        assert_eq!(classify(&returned, Currency::NGN), GatewayFlow::Payout);
        let credit = EntryDraft::new("k2", "paid ahead")
            .reference(
                PaymentReference::contribution(&group, 1, crate::ids::HandId::new(1).unwrap())
                    .to_string(),
            )
            .debit(clearing.clone(), ngn(10))
            .credit(wallet.clone(), ngn(10))
            .balance()
            .unwrap();
        assert_eq!(classify(&credit, Currency::NGN), GatewayFlow::Collection);
        let sent = EntryDraft::new("k3", "sent")
            .debit(wallet, ngn(10))
            .credit(clearing.clone(), ngn(10))
            .balance()
            .unwrap();
        assert_eq!(classify(&sent, Currency::NGN), GatewayFlow::Payout);
        let held = EntryDraft::new("k4", "held")
            .debit(clearing, ngn(10))
            .credit(account("review", AccountKind::Suspense), ngn(10))
            .balance()
            .unwrap();
        assert_eq!(classify(&held, Currency::NGN), GatewayFlow::Review);
    }
}
