//! [`RecipientId`].

use super::{IdError, text_id};

/// The longest recipient id, in bytes. Providers' ids are short codes (`RCP_…`,
/// `acct_…`, a number); the bound keeps a stored profile small.
pub const MAX_RECIPIENT_ID_LEN: usize = 128;

text_id!(
    /// A payment provider's id for a payout recipient (Paystack's `RCP_…`, Stripe's
    /// `acct_…`, a Flutterwave beneficiary number): 1 to 128 bytes of printable ASCII
    /// without spaces. It is stored and logged, so it never holds an account number.
    ///
    /// ```
    /// use ajo_core::ids::RecipientId;
    ///
    /// assert_eq!(RecipientId::new("RCP_1")?.as_str(), "RCP_1");
    /// assert!(RecipientId::new("").is_err());
    /// # Ok::<(), ajo_core::ids::IdError>(())
    /// ```
    RecipientId,
    check: check_recipient
);

fn check_recipient(id: &str) -> Result<(), IdError> {
    const KIND: &str = "recipient id";
    if id.is_empty() {
        return Err(IdError::new(KIND, id, "empty"));
    }
    if id.len() > MAX_RECIPIENT_ID_LEN {
        return Err(IdError::new(KIND, id, "longer than 128 bytes"));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::new(
            KIND,
            id,
            "only printable ASCII without spaces is allowed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_ids_are_bounded_printable_ascii() {
        let longest = "9".repeat(MAX_RECIPIENT_ID_LEN);
        for ok in [
            "RCP_m7ljkv8leesep7p",
            "acct_1Abc",
            "16520",
            longest.as_str(),
        ] {
            assert!(RecipientId::new(ok).is_ok(), "{ok}");
        }
        let too_long = "9".repeat(MAX_RECIPIENT_ID_LEN + 1);
        for bad in ["", "RCP 1", "RCP\t1", "é", too_long.as_str()] {
            assert!(RecipientId::new(bad).is_err(), "{bad:?}");
        }
    }
}
