//! Host commands under a caller's idempotency key: [`AjoService::idempotent`].
//!
//! A host retries a request when it cannot tell whether the first one landed (a timeout,
//! a dropped connection). Sent with the same [`IdempotencyKey`], the retry answers what
//! the first call answered and does nothing again; the same key sent with another command
//! (or the same command with other arguments) is refused with
//! [`ServiceError::IdempotencyKeyReused`]. A key is told apart from another command by
//! its *fingerprint*: a SHA-256 of the canonical JSON of the command's name and arguments
//! (`fingerprint.rs`), recorded with the key.
//!
//! Where the key is recorded:
//!
//! - Commands that write one atomic append (create a group, join it, start it, set a
//!   contact, leave, waive a due, cover arrears, place a bid, choose the recipient,
//!   cancel, apply for, approve, reject, disburse, default or write off a loan) record
//!   the key **in that append**, with their events, entries and messages: the key is
//!   recorded exactly when the command took effect, even if the host's process dies
//!   right after. A replay answers `()`; a cancellation's refunds and the arrears
//!   covered, recorded with the key in the same append; a loan's write-off, from its
//!   stream; a join, the member's hands and deposit as the group holds them, with the
//!   deposit's checkout asked for again while it is owed.
//! - Checkouts (a contribution, deposit, repayment or pay-off) and a payout review's
//!   answer come from the gateway, which cannot be part of any store append: the key is
//!   recorded with the answer's JSON in an append of its own, right after the command
//!   finished. Until then a retry runs the command again, and its references are
//!   deterministic (a collection still open is asked for again under the same
//!   reference), so it reaches the same collection rather than a second one. A replay
//!   answers the stored first answer.
//! - A client secret (Stripe's) is never stored: a replay of a checkout that had one asks
//!   for the same open collection again, and the gateway hands its secret back (if the
//!   amount changed meanwhile, the replay answers the current checkout: one without its
//!   secret could not be paid).
//! - A refused or failed command records nothing: the caller may correct the input and
//!   send it again under the same key. Only a command that took effect holds its key.
//!
//! # Adding a command
//!
//! One forwarding method on [`Idempotent`], computing the key's record from the command's
//! name and every argument that changes what it does:
//!
//! - a command that writes through [`run_aggregate`](AjoService::run_aggregate) (most
//!   group and loan commands): give it a `pub(super) async fn <name>_keyed(.., key:
//!   Option<&KeyRecord>)` holding its body, with `key.cloned()` passed to `run_group` /
//!   `run_loan`, the plain method calling it with `None`; then
//!   `self.service.<name>_keyed(.., Some(&self.record("<name>", &(args..))?)).await`;
//! - a command with an answer from the gateway or another append: forward the plain
//!   method through `answered`, as [`Idempotent::request_contribution`] does (its answer
//!   must be `Serialize + DeserializeOwned`).

mod fingerprint;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::collections::Checkout;
use super::groups::{Contact, JoinReceipt};
use super::loans::{LoanOptions, LoanRequest};
use super::{AjoService, ServiceError};
use crate::group::GroupConfig;
use crate::ids::{GroupId, HandId, IdempotencyKey, LoanId, MemberId};
use crate::loan::Reamortize;
use crate::money::Money;
use crate::payment::PayoutReview;
use crate::ports::{AppendRequest, Collection, KeyRecord, StoreError};

/// The host commands under one [`IdempotencyKey`]; see [`AjoService::idempotent`].
///
/// `Copy`: each command takes the handle by value, so `service.idempotent(&key).start(..)`
/// can be awaited anywhere, and one handle can send the same command again.
#[derive(Debug, Clone, Copy)]
pub struct Idempotent<'a> {
    service: &'a AjoService,
    key: &'a IdempotencyKey,
}

impl AjoService {
    /// The host commands under a caller's idempotency key: the same key with the same
    /// command (and arguments) answers the first call's answer and does nothing again;
    /// with another command it is refused ([`ServiceError::IdempotencyKeyReused`]). A
    /// refused command records nothing, so the key may be used again with corrected
    /// input. How and when each command records its key: see `service/idempotent.rs`.
    ///
    /// ```
    /// use ajo_core::ids::{GroupId, IdempotencyKey};
    /// use ajo_core::service::ServiceError;
    /// use ajo_testkit::{Embedded, builders};
    /// use chrono::{NaiveDate, TimeZone, Utc};
    ///
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let start = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    /// let config = builders::naira_group("Market", 10_000, start).build()?;
    /// let id = GroupId::new("market")?;
    /// let key = IdempotencyKey::new("req-7f3a")?;
    ///
    /// ajo.service.idempotent(&key).create_group(&id, config.clone()).await?;
    /// // A retry of the same request: the group is created once.
    /// ajo.service.idempotent(&key).create_group(&id, config).await?;
    /// // The same key for another command is refused.
    /// assert!(matches!(
    ///     ajo.service.idempotent(&key).start(&id).await,
    ///     Err(ServiceError::IdempotencyKeyReused { .. })
    /// ));
    /// # Ok(())
    /// # }
    /// ```
    pub fn idempotent<'a>(&'a self, key: &'a IdempotencyKey) -> Idempotent<'a> {
        Idempotent { service: self, key }
    }

    /// Checks that a recorded key may answer for `asked`: a key without a fingerprint
    /// (the service's own) always may; a host's key only if it was recorded for the same
    /// command. `recorded` is the record if a read gave it; otherwise it is read.
    ///
    /// # Errors
    /// [`ServiceError::IdempotencyKeyReused`], or a store error.
    pub(super) async fn replay_of(
        &self,
        asked: &KeyRecord,
        recorded: Option<KeyRecord>,
    ) -> Result<(), ServiceError> {
        let Some(fingerprint) = &asked.fingerprint else {
            return Ok(());
        };
        let recorded = match recorded {
            Some(record) => Some(record),
            None => self.store.idempotency_record(&asked.key).await?,
        };
        match recorded {
            Some(record) if record.fingerprint.as_ref() != Some(fingerprint) => Err(reused(asked)),
            _ => Ok(()),
        }
    }

    /// The answer stored with `asked`'s key, if it is recorded with one: `None` when it is
    /// not recorded (or holds no answer).
    ///
    /// # Errors
    /// [`ServiceError::IdempotencyKeyReused`] for a key recorded for another command;
    /// [`StoreError::Corrupt`] for an answer that does not read back; a store error.
    pub(super) async fn first_answer<T: DeserializeOwned>(
        &self,
        asked: &KeyRecord,
    ) -> Result<Option<T>, ServiceError> {
        let Some(record) = self.store.idempotency_record(&asked.key).await? else {
            return Ok(None);
        };
        if record.fingerprint != asked.fingerprint {
            return Err(reused(asked));
        }
        record
            .result
            .map(|text| {
                serde_json::from_str(&text).map_err(|_| {
                    ServiceError::Store(StoreError::Corrupt {
                        reason: "the answer stored with an idempotency key could not be read"
                            .into(),
                    })
                })
            })
            .transpose()
    }

    /// Runs `command` once under `asked`'s key and records the key with its answer
    /// afterwards (see the module docs for why afterwards); a key already recorded
    /// answers its stored answer without running anything.
    async fn answered<T, F>(&self, asked: KeyRecord, command: F) -> Result<T, ServiceError>
    where
        T: Serialize + DeserializeOwned + Clone,
        F: Future<Output = Result<T, ServiceError>>,
    {
        Ok(match self.answered_as(asked, command, T::clone).await? {
            Answer::First(answer) | Answer::Replayed(answer) => answer,
        })
    }

    /// As [`answered`](Self::answered), recording `keep(answer)` rather than the answer
    /// itself: what a key keeps may leave out what is never stored (a client secret).
    async fn answered_as<T, K, F>(
        &self,
        asked: KeyRecord,
        command: F,
        keep: impl FnOnce(&T) -> K,
    ) -> Result<Answer<T, K>, ServiceError>
    where
        K: Serialize + DeserializeOwned,
        F: Future<Output = Result<T, ServiceError>>,
    {
        if let Some(first) = self.first_answer(&asked).await? {
            return Ok(Answer::Replayed(first));
        }
        let answer = match command.await {
            Ok(answer) => answer,
            Err(error) => {
                // A concurrent call under the same key may have done it first (this one
                // then found it done, e.g. a member already joined): its answer stands.
                return match self.first_answer(&asked).await {
                    Ok(Some(first)) => Ok(Answer::Replayed(first)),
                    _ => Err(error),
                };
            }
        };
        let result = serde_json::to_string(&keep(&answer)).map_err(|_| {
            ServiceError::Store(StoreError::Corrupt {
                reason: "a command's answer could not be written as JSON".into(),
            })
        })?;
        let request = AppendRequest {
            streams: Vec::new(),
            entries: Vec::new(),
            outbox: Vec::new(),
            idempotency_key: Some(KeyRecord {
                result: Some(result),
                ..asked.clone()
            }),
            at: self.now().into(),
        };
        if self.append(request).await? {
            return Ok(Answer::First(answer));
        }
        // Another call under the key recorded first: the first answer is the one to give.
        Ok(match self.first_answer(&asked).await? {
            Some(first) => Answer::Replayed(first),
            None => Answer::First(answer),
        })
    }

    /// A checkout command under `asked`'s key. The key keeps the checkout without its
    /// client secret (never stored): a replay of a checkout that had one asks `command`
    /// again, which hands back the same open collection with its secret (or, if the
    /// amount changed since, the current one: a checkout without its secret cannot be
    /// paid), and fails as it fails.
    async fn answered_checkout<C, F>(
        &self,
        asked: KeyRecord,
        command: impl Fn() -> F,
    ) -> Result<C, ServiceError>
    where
        C: HasClientSecret,
        F: Future<Output = Result<C, ServiceError>>,
    {
        match self.answered_as(asked, command(), KeptCheckout::of).await? {
            Answer::First(answer) => Ok(answer),
            Answer::Replayed(kept) if !kept.secret_withheld => Ok(kept.checkout),
            Answer::Replayed(_) => command().await,
        }
    }
}

/// What [`AjoService::answered_as`] gives: the command's own answer, or the kept answer
/// of the call that ran first.
enum Answer<T, K> {
    First(T),
    Replayed(K),
}

/// A checkout as an idempotency key keeps it.
#[derive(Serialize, serde::Deserialize)]
#[serde(bound = "C: Serialize + DeserializeOwned")]
struct KeptCheckout<C> {
    checkout: C,
    secret_withheld: bool,
}

impl<C: HasClientSecret> KeptCheckout<C> {
    fn of(checkout: &C) -> KeptCheckout<C> {
        let mut kept = checkout.clone();
        KeptCheckout {
            secret_withheld: kept.take_client_secret(),
            checkout: kept,
        }
    }
}

/// A gateway answer that may carry a client secret.
trait HasClientSecret: Serialize + DeserializeOwned + Clone {
    /// Removes the client secret; whether there was one.
    fn take_client_secret(&mut self) -> bool;
}

impl HasClientSecret for Checkout {
    fn take_client_secret(&mut self) -> bool {
        self.client_secret.take().is_some()
    }
}

impl HasClientSecret for Collection {
    fn take_client_secret(&mut self) -> bool {
        self.client_secret.take().is_some()
    }
}

fn reused(asked: &KeyRecord) -> ServiceError {
    ServiceError::IdempotencyKeyReused {
        key: IdempotencyKey::from_recorded(&asked.key),
    }
}

impl<'a> Idempotent<'a> {
    /// The key.
    pub fn key(self) -> &'a IdempotencyKey {
        self.key
    }

    /// The key's record for `command` run with `args`.
    fn record<A: Serialize + ?Sized>(
        self,
        command: &str,
        args: &A,
    ) -> Result<KeyRecord, ServiceError> {
        Ok(KeyRecord {
            key: self.key.recorded(),
            fingerprint: Some(fingerprint::fingerprint(command, args)?),
            result: None,
        })
    }

    /// [`AjoService::create_group`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::create_group`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn create_group(self, id: &GroupId, config: GroupConfig) -> Result<(), ServiceError> {
        let key = self.record("create_group", &(id, &config))?;
        self.service
            .create_group_keyed(id, config, Some(&key))
            .await
    }

    /// [`AjoService::set_contact`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::set_contact`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn set_contact(
        self,
        member: &MemberId,
        contact: &Contact,
    ) -> Result<(), ServiceError> {
        let key = self.record("set_contact", &(member, contact_args(contact)))?;
        self.service
            .set_contact_keyed(member, contact, Some(&key))
            .await
    }

    /// [`AjoService::join`] under the key: a retry answers the first receipt (the same
    /// deposit checkout).
    ///
    /// # Errors
    /// As [`AjoService::join`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn join(
        self,
        group: &GroupId,
        member: &MemberId,
        hands: u32,
        contact: &Contact,
    ) -> Result<JoinReceipt, ServiceError> {
        let key = self.record("join", &(group, member, hands, contact_args(contact)))?;
        self.service
            .join_keyed(group, member, hands, contact, Some(&key))
            .await
    }

    /// [`AjoService::start`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::start`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn start(self, group: &GroupId) -> Result<(), ServiceError> {
        let key = self.record("start", &(group,))?;
        self.service.start_keyed(group, Some(&key)).await
    }

    /// [`AjoService::request_contribution`] under the key: a retry answers the first
    /// checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_contribution`], and
    /// [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_contribution(
        self,
        group: &GroupId,
        round: u32,
        hand: HandId,
    ) -> Result<Checkout, ServiceError> {
        let key = self.record("request_contribution", &(group, round, hand))?;
        self.service
            .answered_checkout(key, || {
                self.service.request_contribution(group, round, hand)
            })
            .await
    }

    /// [`AjoService::request_contribution_for`] under the key: a retry answers the first
    /// checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_contribution_for`], and
    /// [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_contribution_for(
        self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        let key = self.record("request_contribution_for", &(group, member))?;
        self.service
            .answered_checkout(key, || self.service.request_contribution_for(group, member))
            .await
    }

    /// [`AjoService::request_deposit`] under the key: a retry answers the first checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_deposit`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_deposit(
        self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        let key = self.record("request_deposit", &(group, member))?;
        self.service
            .answered_checkout(key, || self.service.request_deposit(group, member))
            .await
    }

    /// [`AjoService::cancel_group`] under the key: a retry answers the first call's
    /// refunds.
    ///
    /// # Errors
    /// As [`AjoService::cancel_group`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn cancel_group(
        self,
        group: &GroupId,
    ) -> Result<Vec<(MemberId, Money)>, ServiceError> {
        let key = self.record("cancel_group", &(group,))?;
        self.service.cancel_group_keyed(group, Some(&key)).await
    }

    /// [`AjoService::leave`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::leave`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn leave(self, group: &GroupId, member: &MemberId) -> Result<(), ServiceError> {
        let key = self.record("leave", &(group, member))?;
        self.service.leave_keyed(group, member, Some(&key)).await
    }

    /// [`AjoService::waive_due`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::waive_due`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn waive_due(
        self,
        group: &GroupId,
        round: u32,
        hand: HandId,
    ) -> Result<(), ServiceError> {
        let key = self.record("waive_due", &(group, round, hand))?;
        self.service
            .waive_due_keyed(group, round, hand, Some(&key))
            .await
    }

    /// [`AjoService::cover_arrears`] under the key: a retry answers the first call's
    /// amount covered.
    ///
    /// # Errors
    /// As [`AjoService::cover_arrears`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn cover_arrears(self, group: &GroupId) -> Result<Money, ServiceError> {
        let key = self.record("cover_arrears", &(group,))?;
        self.service.cover_arrears_keyed(group, Some(&key)).await
    }

    /// [`AjoService::place_bid`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::place_bid`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn place_bid(
        self,
        group: &GroupId,
        member: &MemberId,
        discount: Money,
    ) -> Result<(), ServiceError> {
        let key = self.record("place_bid", &(group, member, discount))?;
        self.service
            .place_bid_keyed(group, member, discount, Some(&key))
            .await
    }

    /// [`AjoService::choose_recipient`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::choose_recipient`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn choose_recipient(self, group: &GroupId, hand: HandId) -> Result<(), ServiceError> {
        let key = self.record("choose_recipient", &(group, hand))?;
        self.service
            .choose_recipient_keyed(group, hand, Some(&key))
            .await
    }

    /// [`AjoService::apply_for_loan`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::apply_for_loan`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn apply_for_loan(self, request: LoanRequest) -> Result<(), ServiceError> {
        let key = self.record(
            "apply_for_loan",
            &(
                &request.id,
                &request.group,
                &request.member,
                &request.terms,
                &request.policy,
            ),
        )?;
        self.service
            .apply_for_loan_keyed(request, LoanOptions::default(), Some(&key))
            .await
    }

    /// [`AjoService::apply_for_loan_with`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::apply_for_loan_with`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn apply_for_loan_with(
        self,
        request: LoanRequest,
        options: LoanOptions,
    ) -> Result<(), ServiceError> {
        let key = self.record(
            "apply_for_loan_with",
            &(
                &request.id,
                &request.group,
                &request.member,
                &request.terms,
                &request.policy,
                &options,
            ),
        )?;
        self.service
            .apply_for_loan_keyed(request, options, Some(&key))
            .await
    }

    /// [`AjoService::approve_loan`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::approve_loan`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn approve_loan(self, id: &LoanId, by: &str) -> Result<(), ServiceError> {
        let key = self.record("approve_loan", &(id, by))?;
        self.service.approve_loan_keyed(id, by, Some(&key)).await
    }

    /// [`AjoService::reject_loan`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::reject_loan`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn reject_loan(self, id: &LoanId, reason: &str) -> Result<(), ServiceError> {
        let key = self.record("reject_loan", &(id, reason))?;
        self.service.reject_loan_keyed(id, reason, Some(&key)).await
    }

    /// [`AjoService::disburse_loan`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::disburse_loan`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn disburse_loan(self, id: &LoanId) -> Result<(), ServiceError> {
        let key = self.record("disburse_loan", &(id,))?;
        self.service.disburse_loan_keyed(id, Some(&key)).await
    }

    /// [`AjoService::request_loan_repayment`] under the key: a retry answers the first
    /// checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_loan_repayment`], and
    /// [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_loan_repayment(
        self,
        id: &LoanId,
        amount: Option<Money>,
    ) -> Result<Collection, ServiceError> {
        let key = self.record("request_loan_repayment", &(id, amount))?;
        self.service
            .answered_checkout(key, || self.service.request_loan_repayment(id, amount))
            .await
    }

    /// [`AjoService::request_loan_repayment_with`] under the key: a retry answers the
    /// first checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_loan_repayment_with`], and
    /// [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_loan_repayment_with(
        self,
        id: &LoanId,
        amount: Option<Money>,
        overpayment: Reamortize,
    ) -> Result<Collection, ServiceError> {
        let key = self.record("request_loan_repayment_with", &(id, amount, overpayment))?;
        self.service
            .answered_checkout(key, || {
                self.service
                    .request_loan_repayment_with(id, amount, overpayment)
            })
            .await
    }

    /// [`AjoService::request_loan_payoff`] under the key: a retry answers the first
    /// checkout.
    ///
    /// # Errors
    /// As [`AjoService::request_loan_payoff`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn request_loan_payoff(self, id: &LoanId) -> Result<Collection, ServiceError> {
        let key = self.record("request_loan_payoff", &(id,))?;
        self.service
            .answered_checkout(key, || self.service.request_loan_payoff(id))
            .await
    }

    /// [`AjoService::mark_loan_defaulted`] under the key.
    ///
    /// # Errors
    /// As [`AjoService::mark_loan_defaulted`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn mark_loan_defaulted(self, id: &LoanId, reason: &str) -> Result<(), ServiceError> {
        let key = self.record("mark_loan_defaulted", &(id, reason))?;
        self.service
            .mark_loan_defaulted_keyed(id, reason, Some(&key))
            .await
    }

    /// [`AjoService::write_off_loan`] under the key: a retry answers the principal
    /// written off.
    ///
    /// # Errors
    /// As [`AjoService::write_off_loan`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn write_off_loan(self, id: &LoanId) -> Result<Money, ServiceError> {
        let key = self.record("write_off_loan", &(id,))?;
        self.service.write_off_loan_keyed(id, Some(&key)).await
    }

    /// [`AjoService::resolve_payout_review`] under the key: a retry answers the first
    /// call's answer (whether anything was held then).
    ///
    /// # Errors
    /// As [`AjoService::resolve_payout_review`], and
    /// [`ServiceError::IdempotencyKeyReused`].
    pub async fn resolve_payout_review(
        self,
        reference: &str,
        review: PayoutReview,
    ) -> Result<bool, ServiceError> {
        let key = self.record("resolve_payout_review", &(reference, review))?;
        self.service
            .answered(key, self.service.resolve_payout_review(reference, review))
            .await
    }
}

impl Idempotent<'_> {
    /// [`AjoService::resolve_held`] under the key: a retry answers the first call's
    /// answer, and never resolves or refunds twice.
    ///
    /// # Errors
    /// As [`AjoService::resolve_held`], and [`ServiceError::IdempotencyKeyReused`].
    pub async fn resolve_held(
        self,
        reference: &str,
        resolution: crate::payment::HeldResolution,
        by: &str,
        reason: &str,
    ) -> Result<super::Resolved, ServiceError> {
        let key = self.record("resolve_held", &(reference, &resolution, by, reason))?;
        self.service
            .answered(
                key,
                self.service.resolve_held(reference, resolution, by, reason),
            )
            .await
    }
}

/// What of a contact changes what a command does: all of it. The payout account is in
/// the hash only, never stored.
fn contact_args(contact: &Contact) -> impl Serialize + '_ {
    (
        &contact.name,
        &contact.email,
        &contact.phone,
        &contact.payout_account,
    )
}
