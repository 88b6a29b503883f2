//! The hash chain covers every field it claims to: alter any one of a sealed entry and
//! the journal reads back `Altered`; a canonical entry has a known hash.

use ajo_core::ledger::{
    Account, AccountKind, Book, ChainError, EntryDraft, EntryHash, EntryId, JournalEntry, Ledger,
    LedgerError, MAX_KEY_LEN, verify_chain,
};
use ajo_core::money::{Currency, Money};
use ajo_core::time::Timestamp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

fn at() -> DateTime<Utc> {
    Utc.timestamp_opt(1_772_353_800, 123_456_000).unwrap()
}

fn ngn(minor: i128) -> Money {
    Money::from_minor(minor, Currency::NGN).unwrap()
}

/// Entry 1 a contribution, entry 2 its reversal: between them every hashed field is set
/// (a reference, a reversed entry, two postings on each side).
fn journal() -> Vec<JournalEntry> {
    let mut ledger = Ledger::new();
    let entry = EntryDraft::new("contribution:g1:1:ada", "ada pays round 1")
        .reference("g1.r1.ada")
        .debit(
            Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN),
            ngn(500_000),
        )
        .credit(
            Account::new("g1", AccountKind::GroupPot, Currency::NGN),
            ngn(499_000),
        )
        .credit(
            Account::new("platform", AccountKind::PlatformFees, Currency::NGN),
            ngn(1_000),
        )
        .balance()
        .unwrap();
    ledger.post(entry, at()).unwrap();
    ledger
        .reverse(
            EntryId(1),
            "reversal:1",
            "charged back",
            at() + Duration::seconds(1),
        )
        .unwrap();
    ledger.entries().to_vec()
}

/// The reversal with its content rewritten by `alter` (through its stored JSON form, as a
/// database editor would), its hash and place kept.
fn altered(alter: impl Fn(&mut Value)) -> Vec<JournalEntry> {
    let mut journal = journal();
    let sealed = journal.pop().unwrap();
    let mut content = serde_json::to_value(sealed.entry()).unwrap();
    alter(&mut content);
    let entry = serde_json::from_value(content).unwrap();
    journal.push(JournalEntry::from_stored(
        sealed.id(),
        sealed.posted_at(),
        entry,
        sealed.prev_hash(),
        sealed.hash(),
    ));
    journal
}

/// One edit of an entry's stored form.
type Edit = dyn Fn(&mut Value);

#[test]
fn the_untouched_journal_verifies() {
    verify_chain(&journal()).unwrap();
}

#[test]
fn altering_any_hashed_field_of_a_sealed_entry_is_altered() {
    let swap_sides = |v: &mut Value| {
        for posting in v["postings"].as_array_mut().unwrap() {
            let side = if posting["side"] == json!("debit") {
                "credit"
            } else {
                "debit"
            };
            posting["side"] = json!(side);
        }
    };
    let cases: Vec<(&str, Box<Edit>)> = vec![
        ("key", Box::new(|v| v["key"] = json!("reversal:2"))),
        ("memo", Box::new(|v| v["memo"] = json!("charged back!"))),
        (
            "reference changed",
            Box::new(|v| v["reference"] = json!("g1.r1.bola")),
        ),
        (
            "reference dropped",
            Box::new(|v| v["reference"] = Value::Null),
        ),
        ("reverses changed", Box::new(|v| v["reverses"] = json!(2))),
        (
            "reverses dropped",
            Box::new(|v| v["reverses"] = Value::Null),
        ),
        (
            "an account's owner",
            Box::new(|v| v["postings"][1]["account"]["owner"] = json!("g2")),
        ),
        (
            "an account's kind",
            Box::new(|v| v["postings"][1]["account"]["kind"] = json!("suspense")),
        ),
        ("the sides", Box::new(swap_sides)),
        (
            "the amounts",
            Box::new(|v| {
                v["postings"][0]["amount"]["amount"] = json!("5001.00");
                v["postings"][1]["amount"]["amount"] = json!("4991.00");
            }),
        ),
        (
            "the currency",
            Box::new(|v| {
                for posting in v["postings"].as_array_mut().unwrap() {
                    posting["account"]["currency"]["code"] = json!("KES");
                    posting["amount"]["currency"] = json!("KES");
                }
            }),
        ),
        (
            "the postings' order",
            Box::new(|v| v["postings"].as_array_mut().unwrap().swap(0, 1)),
        ),
    ];
    for (field, alter) in cases {
        let journal = altered(alter);
        // The edit must have reached the content, or this case proves nothing.
        assert_ne!(journal[1].entry(), self::journal()[1].entry(), "{field}");
        assert_eq!(
            verify_chain(&journal),
            Err(ChainError::Altered {
                id: EntryId(2),
                book: Book::journal(),
            }),
            "altering {field} must break the seal"
        );
    }
}

#[test]
fn altering_the_posting_time_is_altered() {
    let mut journal = journal();
    let sealed = journal.pop().unwrap();
    let later = Timestamp::from(sealed.posted_at().as_datetime() + Duration::microseconds(1));
    journal.push(JournalEntry::from_stored(
        sealed.id(),
        later,
        sealed.entry().clone(),
        sealed.prev_hash(),
        sealed.hash(),
    ));
    assert_eq!(
        verify_chain(&journal),
        Err(ChainError::Altered {
            id: EntryId(2),
            book: Book::journal(),
        })
    );
}

#[test]
fn moving_an_entry_to_another_place_breaks_the_chain() {
    let journal = journal();
    let first = &journal[0];
    let moved = JournalEntry::from_stored(
        EntryId(2),
        first.posted_at(),
        first.entry().clone(),
        journal[1].prev_hash(),
        first.hash(),
    );
    let forged = vec![first.clone(), moved];
    assert_eq!(
        verify_chain(&forged),
        Err(ChainError::Altered {
            id: EntryId(2),
            book: Book::journal(),
        })
    );
}

/// The canonical bytes are this library's promise to every journal already written: if
/// this hash changes, old journals stop verifying.
#[test]
fn a_canonical_entry_has_a_known_hash() {
    let journal = journal();
    assert_eq!(
        journal[0].hash().to_string(),
        "7efb32bf83c0292e7d9147455ab185fcd39ba40159135a086cfeb0cda4543004",
        "entry 1's hash"
    );
    assert_eq!(
        journal[1].hash().to_string(),
        "832bf758783414ca52062f3a9491800a3687cbb065cb50a22f6cee55130b1e45",
        "entry 2's hash"
    );
}

#[test]
fn a_key_of_exactly_the_maximum_length_is_taken_and_one_more_byte_is_not() {
    let draft = |key: String| {
        EntryDraft::new(key, "m")
            .debit(
                Account::new("a", AccountKind::GatewayClearing, Currency::NGN),
                ngn(1),
            )
            .credit(
                Account::new("b", AccountKind::GroupPot, Currency::NGN),
                ngn(1),
            )
            .balance()
    };
    let longest = draft("k".repeat(MAX_KEY_LEN)).unwrap();
    assert_eq!(longest.key().len(), MAX_KEY_LEN);
    // Multi-byte characters count in bytes, as stores index them.
    let longest_in_bytes = "é".repeat(MAX_KEY_LEN / 2);
    assert!(draft(longest_in_bytes).is_ok());
    assert_eq!(
        draft("k".repeat(MAX_KEY_LEN + 1)),
        Err(LedgerError::InvalidKey {
            len: MAX_KEY_LEN + 1
        })
    );
    assert_eq!(
        draft(format!("{}é", "k".repeat(MAX_KEY_LEN - 1))),
        Err(LedgerError::InvalidKey {
            len: MAX_KEY_LEN + 1
        })
    );
}

#[test]
fn ids_and_hashes_print_for_people_and_logs() {
    assert_eq!(EntryId(42).to_string(), "#42");
    let mut bytes = [0u8; 32];
    bytes[0] = 0xab;
    bytes[31] = 0x01;
    let hash = EntryHash(bytes);
    let hex = format!("ab{}01", "00".repeat(30));
    assert_eq!(hash.to_string(), hex);
    assert_eq!(format!("{hash:?}"), format!("EntryHash({hex})"));
    assert_eq!(EntryHash::default().to_string(), "0".repeat(64));
    assert_eq!(serde_json::to_value(hash).unwrap(), json!(hex));
}

/// A journal read back with ids that skip numbers (a database's sequence after a rolled
/// back append) rebuilds: entries are found by id, and the next id is past the highest.
#[test]
fn a_journal_whose_ids_skip_numbers_rebuilds_and_goes_on() {
    let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let amount = ajo_core::money::Money::from_minor(100, ajo_core::money::Currency::NGN).unwrap();
    let entry = |key: &str| {
        EntryDraft::new(key, "pay")
            .debit(
                Account::new(
                    "gw",
                    AccountKind::GatewayClearing,
                    ajo_core::money::Currency::NGN,
                ),
                amount,
            )
            .credit(
                Account::new("g", AccountKind::GroupPot, ajo_core::money::Currency::NGN),
                amount,
            )
            .balance()
            .unwrap()
    };
    let book = Book::new("g:g");
    let first = JournalEntry::seal_in(
        book.clone(),
        1,
        EntryId(1),
        EntryHash::default(),
        at,
        entry("a"),
    );
    let second = JournalEntry::seal_in(book.clone(), 2, EntryId(7), first.hash(), at, entry("b"));
    let mut ledger = Ledger::from_entries(vec![first, second.clone()]).unwrap();
    assert_eq!(ledger.entry(EntryId(7)), Some(&second));
    assert!(ledger.entry(EntryId(2)).is_none());
    let posted = ledger.post_in(&book, entry("c"), at).unwrap();
    assert_eq!(posted.id, EntryId(8));
    assert_eq!(ledger.entry(EntryId(8)).unwrap().seq(), 3);
    verify_chain(ledger.entries()).unwrap();
    // A replay of b is found, not posted again.
    assert!(ledger.post_in(&book, entry("b"), at).unwrap().replayed);
}
