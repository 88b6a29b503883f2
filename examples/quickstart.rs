//! Quickstart: the whole life of a five-member monthly ajo in naira, run by the ajo
//! service on the embedded in-memory store, with a fake clock, gateway and messengers.
//!
//! Deposits, five rounds of contributions (one member late, penalised and covered by
//! the deposit), a duplicate webhook ignored, every payout, a small loan taken and
//! repaid, completion with deposits refunded, the messages sent, and a trial balance
//! that sums to zero.
//!
//! Run it with `cargo run -p ajo-examples --example quickstart`. On PostgreSQL instead:
//! `cargo run -p ajo-examples --example quickstart -- --database-url
//! postgres://postgres@127.0.0.1:5432/test` (`--database-url` without a value takes
//! `DATABASE_URL`); it runs in a fresh schema `ajo_quickstart`, dropped and made again on
//! every run. PostgreSQL support is the package's default `postgres` feature.

use ajo_core::books::Period;
use ajo_core::ids::{GroupId, HandId, LoanId, MemberId};
use ajo_core::ledger::verify_chain;
use ajo_core::loan::{LoanPolicy, LoanTerms};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::EntryQuery;
use ajo_core::reference::PaymentReference;
use ajo_core::service::{Handled, LoanRequest};
use ajo_testkit::builders;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

const MEMBERS: [&str; 5] = ["Ada", "Bola", "Chidi", "Dayo", "Emeka"];

fn noon_in_lagos(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(11, 0, 0).unwrap_or_default())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).ok_or("bad date")?;
    let began = noon_in_lagos(start - Duration::days(14));
    let ajo = host::Host::new(began).await?;
    let group = GroupId::new("balogun-market")?;
    let loan = LoanId::new("dayo-1")?;
    let config = builders::naira_group("Balogun market", 20_000, start)
        .fee_rate("0.01".parse()?)
        .build()?;
    let say =
        |ajo: &host::Host, text: String| println!("{}  {text}", ajo.clock_now().format("%Y-%m-%d"));

    println!(
        "== A five-member monthly ajo: ₦20,000.00 a month, 1% fee, one contribution of deposit\n"
    );
    ajo.service.create_group(&group, config).await?;
    let members: Vec<MemberId> = MEMBERS
        .iter()
        .map(|n| MemberId::new(n.to_lowercase()))
        .collect::<Result<_, _>>()?;
    for (name, member) in MEMBERS.iter().zip(&members) {
        let receipt = ajo
            .service
            .join(&group, member, 1, &builders::contact(name))
            .await?;
        let deposit = receipt.deposit.ok_or("the group takes a deposit")?;
        let webhook = ajo
            .gateway
            .pay(&deposit.reference)
            .ok_or("unknown reference")?;
        ajo.service.handle_gateway_event(&webhook).await?;
        say(
            &ajo,
            format!(
                "{name} joins and pays the deposit of {}",
                webhook.amount().human()
            ),
        );
        if *name == "Ada" {
            let again = ajo.service.handle_gateway_event(&webhook).await?;
            assert_eq!(again, Handled::Duplicate);
            say(
                &ajo,
                "  the gateway sends Ada's webhook again: recognised as a duplicate, ignored"
                    .into(),
            );
        }
    }
    ajo.service.start(&group).await?;
    say(
        &ajo,
        "the group starts: five rounds, one payout each".into(),
    );

    for round in 1..=5u32 {
        let due = ajo
            .service
            .group(&group)
            .await?
            .round(round)
            .map(|r| r.due_date)
            .ok_or("no round")?;
        ajo.clock.set(noon_in_lagos(due - Duration::days(2)));
        let report = ajo.service.tick().await?;
        say(
            &ajo,
            format!(
                "round {round} is due {due}: {} reminders queued",
                report.reminders
            ),
        );
        for (i, name) in MEMBERS.iter().enumerate() {
            let hand = HandId::new(u32::try_from(i)? + 1)?;
            if round == 2 && *name == "Chidi" {
                say(&ajo, "  Chidi does not pay this round".into());
                continue;
            }
            let collection = ajo
                .service
                .request_contribution(&group, round, hand)
                .await?;
            let webhook = ajo
                .gateway
                .pay(&collection.reference)
                .ok_or("unknown reference")?;
            ajo.service.handle_gateway_event(&webhook).await?;
            if webhook.amount() != Money::parse("20000", Currency::NGN)? {
                say(
                    &ajo,
                    format!(
                        "  {name} pays {} (the due, his penalty and his deposit top-up)",
                        webhook.amount().human()
                    ),
                );
            }
        }
        ajo.clock.set(noon_in_lagos(due + Duration::days(2)));
        // One tick: penalties, deposit cover, the payout, and sending it.
        ajo.service.tick().await?;
        if round == 2 {
            say(
                &ajo,
                "  after the grace day: Chidi is charged ₦500.00 and his deposit covers his due"
                    .into(),
            );
        }
        let state = ajo.service.group(&group).await?;
        let hand = state
            .round(round)
            .and_then(|r| r.recipient)
            .map_or(0, HandId::get);
        let name = MEMBERS
            .get(usize::try_from(hand)?.saturating_sub(1))
            .copied()
            .unwrap_or("?");
        let sent = ajo
            .gateway
            .payouts()
            .get(&PaymentReference::payout(&group, round).to_string())
            .map(|(amount, _)| *amount);
        let sent = sent.ok_or("payout not sent")?;
        say(
            &ajo,
            format!(
                "  payout of {} (the pot less the 1% fee) sent to {name}",
                sent.human()
            ),
        );
        if round == 2 {
            take_a_loan(&ajo, &group, &loan).await?;
        }
        if round >= 3 {
            let collection = ajo.service.request_loan_repayment(&loan, None).await?;
            let webhook = ajo
                .gateway
                .pay(&collection.reference)
                .ok_or("unknown reference")?;
            ajo.service.handle_gateway_event(&webhook).await?;
            say(
                &ajo,
                format!("  Dayo repays {} on his loan", webhook.amount().human()),
            );
        }
    }
    let status = ajo
        .service
        .loan(&loan)
        .await?
        .status()
        .map(|s| format!("{s:?}").to_lowercase());
    say(
        &ajo,
        format!("Dayo's loan is {}", status.unwrap_or_default()),
    );
    let state = ajo.service.group(&group).await?;
    let sent = ajo.gateway.payouts();
    let refunds = members
        .iter()
        .filter(|m| sent.contains_key(&PaymentReference::deposit_refund(&group, m).to_string()))
        .count();
    say(
        &ajo,
        format!(
            "the group is {}: {refunds} deposits refunded in full",
            state.status()
        ),
    );

    let delivered = ajo.service.deliver_outbox(1_000).await?;
    println!(
        "\n== Messages: {} sent ({} emails, {} SMS); Chidi's inbox:",
        delivered.sent,
        ajo.email.sent().len(),
        ajo.sms.sent().len()
    );
    for email in ajo.email.sent() {
        if email.to.starts_with("chidi") {
            println!("   - {}", email.subject);
        }
    }
    if let Some(sms) = ajo.sms.sent().first() {
        println!("   first SMS: \"{}\"", sms.body);
    }

    println!("\n== Trial balance (debit +, credit -)");
    let balances = ajo.store.balances().await?;
    let mut total = 0i128;
    for (account, balance) in &balances {
        if !balance.is_zero() {
            println!(
                "   {:<40} {:>16}",
                account.to_string(),
                balance.human().to_string()
            );
        }
        total += balance.minor();
    }
    println!(
        "   {:<40} {:>16}",
        "total (must be zero)",
        Money::from_minor(total, Currency::NGN)?.human().to_string()
    );
    let entries = ajo.store.entries(&EntryQuery::default()).await?;
    verify_chain(&entries)?;
    println!("   {} journal entries, hash chain verified", entries.len());
    if total != 0 {
        return Err("the books do not balance".into());
    }

    // The same books as a host's finance team reads them: one report over the story.
    let whole = Period::new(began, ajo.clock_now() + Duration::seconds(1))?;
    let report = ajo.service.report(&whole, Currency::NGN).await?;
    println!("\n== The books over the whole story (AjoService::report)");
    for (line, amount) in [
        ("collected from members", report.collections),
        ("paid out to members", report.payouts),
        ("platform fees", report.platform_fees),
        ("penalty income", report.penalty_income),
        ("loan interest", report.loan_interest),
        ("held for review", report.in_review),
    ] {
        println!("   {line:<40} {:>16}", amount.human().to_string());
    }
    Ok(())
}

/// Dayo borrows ₦30,000.00 from the group at 24% a year, repaid in three monthly
/// installments; the money goes out through the gateway like a payout.
async fn take_a_loan(
    ajo: &host::Host,
    group: &GroupId,
    loan: &LoanId,
) -> Result<(), Box<dyn std::error::Error>> {
    let today = ajo.clock_now().date_naive();
    let principal = Money::parse("30000", Currency::NGN)?;
    let terms = LoanTerms::builder(principal, "0.24".parse()?, 3, today).build()?;
    let request = LoanRequest {
        id: loan.clone(),
        group: group.clone(),
        member: MemberId::new("dayo")?,
        terms,
        policy: LoanPolicy::default(),
    };
    ajo.service.apply_for_loan(request).await?;
    ajo.service.approve_loan(loan, "organiser").await?;
    ajo.service.disburse_loan(loan).await?;
    ajo.service.tick().await?;
    let installment = ajo
        .service
        .loan(loan)
        .await?
        .loan()
        .and_then(|l| l.installments().first().map(|i| i.row().total));
    let installment = installment.ok_or("no schedule")?;
    println!(
        "{}    Dayo borrows {} at 24% a year: three installments of about {}, sent to him by the gateway",
        today,
        principal.human(),
        installment.human()
    );
    Ok(())
}

trait ClockNow {
    fn clock_now(&self) -> DateTime<Utc>;
}

impl ClockNow for host::Host {
    fn clock_now(&self) -> DateTime<Utc> {
        ajo_core::ports::Clock::now(self.clock.as_ref())
    }
}

/// The service on the in-memory store, or on PostgreSQL when given a database URL.
mod host {
    use std::sync::Arc;

    use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
    use ajo_core::service::AjoService;
    use ajo_testkit::InMemoryStore;
    use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
    use chrono::{DateTime, Utc};

    pub(crate) struct Host {
        pub(crate) service: AjoService,
        pub(crate) store: Arc<dyn Store>,
        pub(crate) gateway: Arc<FakeGateway>,
        pub(crate) email: Arc<FakeEmail>,
        pub(crate) sms: Arc<FakeSms>,
        pub(crate) clock: Arc<FakeClock>,
    }

    impl Host {
        pub(crate) async fn new(now: DateTime<Utc>) -> Result<Host, Box<dyn std::error::Error>> {
            let store = match database_url() {
                Some(url) => postgres(&url).await?,
                None => Arc::new(InMemoryStore::new()) as Arc<dyn Store>,
            };
            let gateway = Arc::new(FakeGateway::new());
            let email = Arc::new(FakeEmail::new());
            let sms = Arc::new(FakeSms::new());
            let clock = Arc::new(FakeClock::new(now));
            let service = AjoService::new(
                store.clone(),
                gateway.clone() as Arc<dyn PaymentGateway>,
                email.clone() as Arc<dyn EmailSender>,
                sms.clone() as Arc<dyn SmsSender>,
                clock.clone() as Arc<dyn Clock>,
            );
            Ok(Host {
                service,
                store,
                gateway,
                email,
                sms,
                clock,
            })
        }
    }

    /// `--database-url URL`, else `DATABASE_URL` when `--database-url` is given bare.
    fn database_url() -> Option<String> {
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if let Some(url) = arg.strip_prefix("--database-url=") {
                return Some(url.to_owned());
            }
            if arg == "--database-url" {
                return args.next().or_else(|| std::env::var("DATABASE_URL").ok());
            }
        }
        None
    }

    #[cfg(feature = "postgres")]
    async fn postgres(url: &str) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
        use ajo_adapters::postgres::PgStore;

        const SCHEMA: &str = "ajo_quickstart";
        let admin = PgStore::connect(url, 1).await?;
        for statement in [
            format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
            format!("CREATE SCHEMA {SCHEMA}"),
        ] {
            ajo_adapters::postgres::sqlx::query(&statement)
                .execute(admin.pool())
                .await
                .map_err(|_| "could not make the schema ajo_quickstart")?;
        }
        admin.pool().close().await;
        let store = PgStore::connect_with(ajo_examples::pg::options(url, Some(SCHEMA))?, 4).await?;
        store.migrate().await?;
        println!("(on PostgreSQL, schema {SCHEMA})\n");
        Ok(Arc::new(store))
    }

    #[cfg(not(feature = "postgres"))]
    async fn postgres(_url: &str) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
        Err(
            "--database-url needs the postgres feature, which this build turned off \
             (it is on unless --no-default-features is given)"
                .into(),
        )
    }
}
