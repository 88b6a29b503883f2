//! Notifications: the messages ajo sends, rendered from templates.
//!
//! A [`Notice`] says what happened (a payment confirmed, a payout made...). Render it
//! with [`Notice::email`] (greeting the member by name; subject, plain text and simple HTML) or [`Notice::sms`] (for
//! the notices members get by text). Amounts are written for people
//! (`₦25,000.00`); in SMS a symbol outside the GSM-7 alphabet (like `₦`) is replaced by
//! the currency code, so a message fits one 160-character segment where it can, and
//! [`RenderedSms::length`] reports the segments otherwise.
//!
//! ```
//! use ajo_core::money::{Currency, Money};
//! use ajo_core::notify::Notice;
//!
//! let notice = Notice::PayoutNotification {
//!     group: "Balogun market".into(),
//!     amount: Money::parse("98500", Currency::NGN)?,
//!     round: 1,
//! };
//! assert_eq!(notice.email("Ada").subject, "Your payout of ₦98,500.00 from Balogun market");
//! let sms = notice.sms().expect("payout alerts go by SMS");
//! assert_eq!(sms.length.segments, 1);
//! assert!(sms.body.contains("NGN 98,500.00"));
//! # Ok::<(), ajo_core::money::MoneyError>(())
//! ```

mod gsm;
mod templates;

pub use gsm::{SmsEncoding, SmsLength, gsm7_cost, sms_length};
pub use templates::{Notice, RenderedEmail, RenderedSms, sms_amount};
