//! Books on PostgreSQL: a journal written before books moves into them without losing
//! verification, and a book rewritten or cut short behind a checkpoint is found, through
//! the service a host runs.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::borrow::Cow;
use std::sync::Arc;

use ajo_adapters::postgres::PgStore;
use ajo_core::group::GroupEvent;
use ajo_core::ledger::{
    Account, AccountKind, AuditFault, Book, BookHead, EntryDraft, JournalEntry, Ledger, Side,
};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{DomainEvent, EntryQuery, EventLog, Journal, Store, StreamId, StreamKind};
use ajo_core::service::ServiceError;
use ajo_testkit::builders::{contact, member, naira_group};
use ajo_testkit::fakes::{FakeClock, FakeGateway};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::migrate::Migrator;

mod pgdb;

use pgdb::{TestDb, service};

fn clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        Utc.timestamp_opt(1_772_000_000, 987_654_321)
            .single()
            .unwrap(),
    ))
}

/// Writes `ledger`'s journal as the schema of migrations 0001 to 0007 kept it: one
/// chain, `journal_head`, balances per account.
async fn write_old_journal(pool: &sqlx::PgPool, ledger: &Ledger) {
    // One transaction: each entry's balance is checked at commit.
    let mut tx = pool.begin().await.unwrap();
    let pool = &mut *tx;
    for entry in ledger.entries() {
        let content = serde_json::to_value(entry.entry()).unwrap();
        sqlx::query(
            "INSERT INTO journal_entries \
             (id, key, memo, reference, reverses, posted_at, prev_hash, hash, content) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8)",
        )
        .bind(i64::try_from(entry.id().0).unwrap())
        .bind(entry.entry().key())
        .bind(entry.entry().memo())
        .bind(entry.entry().reference())
        .bind(entry.posted_at().as_datetime())
        .bind(entry.prev_hash().0.as_slice())
        .bind(entry.hash().0.as_slice())
        .bind(content)
        .execute(&mut *pool)
        .await
        .unwrap();
        for (position, posting) in entry.entry().postings().iter().enumerate() {
            let account = &posting.account;
            sqlx::query(
                "INSERT INTO postings (entry_id, position, account, owner, kind, currency, \
                 minor_units, side, amount, amount_minor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10::numeric)",
            )
            .bind(i64::try_from(entry.id().0).unwrap())
            .bind(i32::try_from(position).unwrap())
            .bind(serde_json::to_value(account).unwrap())
            .bind(account.owner())
            .bind(account.kind().to_string())
            .bind(account.currency().code())
            .bind(i16::from(account.currency().minor_units()))
            .bind(match posting.side {
                Side::Debit => "debit",
                Side::Credit => "credit",
            })
            .bind(posting.amount.amount().to_string())
            .bind(posting.amount.minor().to_string())
            .execute(&mut *pool)
            .await
            .unwrap();
        }
    }
    for (account, balance) in ledger.trial_balance().rows() {
        sqlx::query(
            "INSERT INTO account_balances (account, balance_minor) VALUES ($1, $2::numeric)",
        )
        .bind(serde_json::to_value(account).unwrap())
        .bind(balance.minor().to_string())
        .execute(&mut *pool)
        .await
        .unwrap();
    }
    let last = ledger.entries().last().unwrap();
    sqlx::query("UPDATE journal_head SET last_id = $1, last_hash = $2")
        .bind(i64::try_from(last.id().0).unwrap())
        .bind(last.hash().0.as_slice())
        .execute(&mut *pool)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn old_ledger() -> Ledger {
    let mut ledger = Ledger::new();
    let at = Utc
        .timestamp_opt(1_771_000_000, 123_456_000)
        .single()
        .unwrap();
    for (n, minor) in [(1, 500_000), (2, 250_000), (3, 125_000)] {
        let amount = Money::from_minor(minor, Currency::NGN).unwrap();
        let entry = EntryDraft::new(format!("old:{n}"), "paid before books")
            .reference(format!("old-ref-{n}"))
            .debit(
                Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN),
                amount,
            )
            .credit(
                Account::new("old-group", AccountKind::GroupPot, Currency::NGN),
                amount,
            )
            .balance()
            .unwrap();
        ledger.post(entry, at + Duration::minutes(n)).unwrap();
    }
    ledger
}

/// A journal written under migrations 0001 to 0007 becomes the book of the journal
/// before books: its entries keep their hashes and verify, its balances carry on, the
/// service's new entries go to their own books, and the first checkpoint commits to the
/// old chain's head beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_from_before_books_moves_into_them_and_still_verifies() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let schema = db.schema().await;
    let store = PgStore::connect_with(db.options(&schema), 4).await.unwrap();
    let all = Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )))
    .await
    .unwrap();
    let before_books: Vec<_> = all
        .migrations
        .iter()
        .filter(|m| m.version < 8)
        .cloned()
        .collect();
    assert_eq!(before_books.len(), 7);
    let old = Migrator {
        migrations: Cow::Owned(before_books),
        ..Migrator::DEFAULT
    };
    old.run(store.pool()).await.unwrap();
    let ledger = old_ledger();
    write_old_journal(store.pool(), &ledger).await;
    // A group's stream with one event, as 0001 to 0007 kept it.
    let old_group = StreamId::new(StreamKind::Group, "old-group");
    let joined = DomainEvent::Group(GroupEvent::MemberJoined {
        member: member("ada"),
        hands: 1,
        deposit_required: Money::zero(Currency::NGN),
    });
    sqlx::query(
        "INSERT INTO streams (stream_kind, stream_id, version) VALUES ('group', 'old-group', 1)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO events (stream_kind, stream_id, version, recorded_at, payload) \
         VALUES ('group', 'old-group', 1, now(), $1::json)",
    )
    .bind(serde_json::to_string(&joined).unwrap())
    .execute(store.pool())
    .await
    .unwrap();

    store.migrate().await.unwrap();
    let loaded = store.load(&old_group).await.unwrap();
    assert_eq!(loaded.len(), 1, "the old stream, found in its book");
    assert_eq!(loaded[0].event, joined);
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries, ledger.entries(), "the old entries, as they were");
    let old_head = BookHead::new(Book::journal(), 3, ledger.entries()[2].hash());
    assert_eq!(store.heads().await.unwrap(), vec![old_head.clone()]);
    let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
    assert_eq!(
        store.balance(&clearing).await.unwrap(),
        Money::from_minor(875_000, Currency::NGN).unwrap()
    );

    let store: Arc<dyn Store> = Arc::new(store);
    let gateway = Arc::new(FakeGateway::new());
    let clock = clock();
    let service = service(store.clone(), gateway.clone(), clock.clone());
    let group = ajo_core::ids::GroupId::new("after-books").unwrap();
    let config = naira_group(
        "After books",
        10_000,
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    )
    .build()
    .unwrap();
    service.create_group(&group, config).await.unwrap();
    let receipt = service
        .join(&group, &member("ada"), 1, &contact("Ada"))
        .await
        .unwrap();
    let paid = gateway.pay(&receipt.deposit.unwrap().reference).unwrap();
    service.handle_gateway_event(&paid).await.unwrap();

    // An entry posted before books, sent again through a group's stream after: a replay,
    // not a second posting.
    let again = ledger.entries()[0].entry().clone();
    let clearing_before = store.balance(&clearing).await.unwrap();
    let entries_before = store.entries(&EntryQuery::default()).await.unwrap().len();
    store
        .append(ajo_core::ports::AppendRequest {
            streams: vec![ajo_core::ports::StreamAppend {
                stream: StreamId::new(StreamKind::Group, "old-group"),
                expected_version: 1,
                events: vec![],
                wake_at: None,
            }],
            entries: vec![again],
            outbox: vec![],
            idempotency_key: None,
            at: Utc::now().into(),
        })
        .await
        .unwrap();
    assert_eq!(store.balance(&clearing).await.unwrap(), clearing_before);
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        entries_before,
        "the old entry once"
    );

    let first = service.checkpoint().await.unwrap().unwrap();
    assert_eq!(first.number(), 1);
    assert_eq!(first.heads().len(), 2);
    assert_eq!(first.head_of(&Book::journal()), Some(&old_head));
    assert!(first.head_of(&Book::new("g:after-books")).is_some());
    let verified = service.verify_books().await.unwrap();
    assert_eq!(verified.audit.entries, entries_before);
    assert_eq!(verified.checkpoints.checkpoints, 1);
    db.cleanup().await;
}

/// Two groups' books, checkpointed by `tick`; then, as an owner who can switch the
/// append-only triggers off, one book re-sealed whole with ₦1 more and its balances
/// moved to match: its chain and the audit pass, `verify_books` names the book.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_rewritten_or_cut_short_behind_a_checkpoint_is_found() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(4).await;
    let pool = store.pool().clone();
    let store: Arc<dyn Store> = Arc::new(store);
    let gateway = Arc::new(FakeGateway::new());
    let clock = clock();
    let service = service(store.clone(), gateway.clone(), clock.clone());
    for name in ["north", "south"] {
        let group = ajo_core::ids::GroupId::new(name).unwrap();
        let config = naira_group(name, 10_000, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())
            .build()
            .unwrap();
        service.create_group(&group, config).await.unwrap();
        for who in ["ada", "bola"] {
            let receipt = service
                .join(&group, &member(who), 1, &contact(who))
                .await
                .unwrap();
            let paid = gateway.pay(&receipt.deposit.unwrap().reference).unwrap();
            service.handle_gateway_event(&paid).await.unwrap();
        }
    }
    assert!(service.tick().await.unwrap().checkpoint.is_some());
    service.verify_books().await.unwrap();

    // North re-sealed from its first entry with ₦1 more, balances moved to match.
    let north = store
        .entries(&EntryQuery::default().book(Book::new("g:north")))
        .await
        .unwrap();
    assert_eq!(north.len(), 2);
    let mut prev = ajo_core::ledger::EntryHash::default();
    let mut forged: Vec<JournalEntry> = Vec::new();
    for (i, entry) in north.iter().enumerate() {
        let mut draft = EntryDraft::new(entry.entry().key(), entry.entry().memo());
        if let Some(reference) = entry.entry().reference() {
            draft = draft.reference(reference);
        }
        for posting in entry.entry().postings() {
            let amount = if i == 0 {
                posting
                    .amount
                    .checked_add(Money::from_minor(100, Currency::NGN).unwrap())
                    .unwrap()
            } else {
                posting.amount
            };
            draft = match posting.side {
                Side::Debit => draft.debit(posting.account.clone(), amount),
                Side::Credit => draft.credit(posting.account.clone(), amount),
            };
        }
        let sealed = JournalEntry::seal_in(
            entry.book().clone(),
            entry.seq(),
            entry.id(),
            prev,
            entry.posted_at(),
            draft.balance().unwrap(),
        );
        prev = sealed.hash();
        forged.push(sealed);
    }
    let mut tx = pool.begin().await.unwrap();
    for table in ["journal_entries", "postings"] {
        sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    for entry in &forged {
        sqlx::query(
            "UPDATE journal_entries SET content = $1, prev_hash = $2, hash = $3 \
             WHERE book = $4 AND id = $5",
        )
        .bind(serde_json::to_value(entry.entry()).unwrap())
        .bind(entry.prev_hash().0.as_slice())
        .bind(entry.hash().0.as_slice())
        .bind(entry.book().as_str())
        .bind(i64::try_from(entry.id().0).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let first = &forged[0];
    sqlx::query(
        "UPDATE postings SET amount = amount + 1, amount_minor = amount_minor + 100 \
         WHERE book = 'g:north' AND entry_id = $1",
    )
    .bind(i64::try_from(first.id().0).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    for (side, delta) in [("debit", 100), ("credit", -100)] {
        sqlx::query(
            "UPDATE account_balances b SET balance_minor = balance_minor + $1 \
             FROM postings p WHERE p.book = 'g:north' AND p.entry_id = $2 AND p.side = $3 \
             AND b.book = p.book AND b.account = p.account",
        )
        .bind(delta)
        .bind(i64::try_from(first.id().0).unwrap())
        .bind(side)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE journal_heads SET last_hash = $1 WHERE book = 'g:north'")
        .bind(forged[1].hash().0.as_slice())
        .execute(&mut *tx)
        .await
        .unwrap();
    for table in ["journal_entries", "postings"] {
        sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    ajo_core::ledger::verify_chain(&entries).unwrap();
    ajo_core::ledger::audit(&entries, &store.balances().await.unwrap()).unwrap();
    match service.verify_books().await {
        Err(ServiceError::Books(AuditFault::BookRewritten {
            book, checkpoint, ..
        })) => {
            assert_eq!(book, Book::new("g:north"));
            assert_eq!(checkpoint, 1);
        }
        other => panic!("a rewritten book must be found: {other:?}"),
    }
    db.cleanup().await;
}

/// The database names a stream's book as `StreamId::book` does, for every kind of
/// stream and for ids that are not what ajo makes (migration 0009 filed the streams
/// written before by it).
#[tokio::test]
async fn the_database_names_each_streams_book_as_the_code_does() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(1).await;
    let streams = [
        (StreamKind::Group, "balogun"),
        (StreamKind::Loan, "ln-7"),
        (StreamKind::Member, "ada"),
        (StreamKind::Payment, "ajo=ctb=balogun=r3=h2"),
        (StreamKind::Payment, "ajo=dep=balogun=ada=a2"),
        (StreamKind::Payout, "ajo=out=balogun=r3"),
        (StreamKind::Payout, "ajo=drf=g.1=ada"),
        (StreamKind::Payout, "ajo=crf=g_1=ada"),
        (StreamKind::Payout, "ajo=lnd=ln-7"),
        (StreamKind::Payment, "ajo=lnr=ln-7=p2"),
        (StreamKind::Payment, "ajo=zzz=balogun=r1"),
        (StreamKind::Payment, "ajo=ctb="),
        (StreamKind::Payment, "ajo=ctb"),
        (StreamKind::Payment, "paystack-ref-123"),
        (StreamKind::Payment, ""),
        (StreamKind::Usage, "member:ada:NGN:2026-03"),
        (StreamKind::Usage, "group:balogun:NGN:2026-03"),
        (StreamKind::Usage, "member"),
        (StreamKind::Usage, "member:"),
        (StreamKind::Usage, "other:x"),
    ];
    for (kind, id) in streams {
        let stream = StreamId::new(kind, id);
        let named: String = sqlx::query_scalar("SELECT ajo_stream_book($1, $2)")
            .bind(kind.as_str())
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(named, stream.book().as_str(), "{stream}");
    }
    db.cleanup().await;
}
