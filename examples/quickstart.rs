//! Quickstart: one round of a five-member ajo in naira, on ajo's exact money and ledger.
//!
//! Every member pays their contribution into the pot, the platform takes its fee, the
//! round's recipient is paid, and a ₦1,000.00 bonus is shared among the members by
//! weight without losing a kobo. A duplicate of one payment (a retried webhook, say) is
//! posted again and recorded once. The trial balance at the end sums to zero.
//!
//! Run it with `cargo run -p ajo-examples --example quickstart`.

use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger};
use ajo_core::money::{Currency, Money, Rounding};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

const MEMBERS: [&str; 5] = ["ada", "bola", "chidi", "dayo", "emeka"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let naira = Currency::NGN;
    let contribution = Money::parse("20000.00", naira)?;
    let fee_rate: Decimal = "0.015".parse()?;
    let at: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 1, 31, 9, 0, 0)
        .single()
        .ok_or("invalid date")?;

    let clearing = Account::new("paystack", AccountKind::GatewayClearing, naira);
    let pot = Account::new("group-1", AccountKind::GroupPot, naira);
    let fees = Account::new("platform", AccountKind::PlatformFees, naira);
    let wallet = |member: &str| Account::new(member, AccountKind::MemberWallet, naira);
    let mut ledger = Ledger::new();

    println!(
        "Round 1 of group-1: {} members, {} each",
        MEMBERS.len(),
        contribution.human()
    );
    for member in MEMBERS {
        let entry = EntryDraft::new(
            format!("group-1:r1:{member}:contribution"),
            format!("{member} pays round 1"),
        )
        .reference(format!("ajo-group-1-r1-{member}"))
        .debit(clearing.clone(), contribution)
        .credit(pot.clone(), contribution)
        .balance()?;
        let posted = ledger.post(entry, at)?;
        println!(
            "  {member:<6} paid {}  (entry {})",
            contribution.human(),
            posted.id
        );
    }

    let duplicate = EntryDraft::new("group-1:r1:ada:contribution", "ada pays round 1")
        .reference("ajo-group-1-r1-ada")
        .debit(clearing.clone(), contribution)
        .credit(pot.clone(), contribution)
        .balance()?;
    let again = ledger.post(duplicate, at)?;
    println!(
        "  duplicate of ada's payment: replayed = {}, still entry {}",
        again.replayed, again.id
    );

    let pot_total = contribution.checked_mul_int(i64::try_from(MEMBERS.len())?)?;
    let fee = pot_total.mul_rounded(fee_rate, Rounding::HalfEven)?;
    let payout = pot_total.checked_sub(fee)?;
    let paying_out = EntryDraft::new("group-1:r1:ada:payout", "round 1 payout to ada")
        .debit(pot.clone(), pot_total)
        .credit(fees.clone(), fee)
        .credit(wallet("ada"), payout)
        .balance()?;
    ledger.post(paying_out, at)?;
    println!(
        "Pot {} -> fee {} to the platform, payout {} to ada",
        pot_total.human(),
        fee.human(),
        payout.human()
    );

    let bonus = Money::parse("1000.00", naira)?;
    let weights: Vec<Decimal> = ["1", "1", "1", "2", "2"]
        .iter()
        .map(|w| w.parse())
        .collect::<Result<_, _>>()?;
    let shares = bonus.allocate(&weights)?;
    let mut sharing =
        EntryDraft::new("group-1:bonus", "bonus shared by weight").debit(fees.clone(), bonus);
    for (member, share) in MEMBERS.iter().zip(&shares) {
        sharing = sharing.credit(wallet(member), *share);
    }
    ledger.post(sharing.balance()?, at)?;
    let shown: Vec<String> = shares.iter().map(|s| s.human().to_string()).collect();
    println!(
        "Bonus {} shared 1:1:1:2:2 -> {}",
        bonus.human(),
        shown.join(", ")
    );

    println!("\nTrial balance (debit +, credit -):");
    let trial = ledger.trial_balance();
    for (account, balance) in trial.rows() {
        println!(
            "  {:<36} {:>16}",
            account.to_string(),
            balance.human().to_string()
        );
    }
    println!(
        "  {:<36} {:>16}",
        "total NGN (must be zero)",
        Money::from_minor(trial.total_minor(naira), naira)?
            .human()
            .to_string()
    );
    ledger.verify_chain()?;
    println!("Hash chain of {} entries verified.", ledger.entries().len());
    Ok(())
}
