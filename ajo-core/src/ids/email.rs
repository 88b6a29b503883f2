//! [`EmailAddress`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::IdError;

/// The longest email address accepted, in bytes (RFC 5321's limit on a path).
pub const MAX_EMAIL_LEN: usize = 254;

/// Where a member's notices are emailed.
///
/// The check is light and syntactic, as a provider would do before sending: one `@`,
/// something on either side, no spaces or control characters, at most
/// [`MAX_EMAIL_LEN`] bytes. Whether the mailbox exists only delivery reports can say.
///
/// An address is personal data: `Debug` hides it (a profile or contact logged shows
/// only that one is set) and a refusal does not repeat it. [`as_str`](Self::as_str)
/// gives it to whoever sends.
///
/// ```
/// use ajo_core::ids::EmailAddress;
///
/// let ada = EmailAddress::new("ada@example.com")?;
/// assert_eq!(ada.as_str(), "ada@example.com");
/// assert_eq!(format!("{ada:?}"), "EmailAddress(<hidden>)");
/// assert!(EmailAddress::new("ada at example.com").is_err());
/// # Ok::<(), ajo_core::ids::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks and wraps an address.
    ///
    /// # Errors
    /// [`IdError`] if it is longer than [`MAX_EMAIL_LEN`], holds a space or control
    /// character, or is not one `@` between a non-empty local part and domain.
    pub fn new(address: impl Into<String>) -> Result<EmailAddress, IdError> {
        let address = address.into();
        check(&address)?;
        Ok(EmailAddress(address))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check(address: &str) -> Result<(), IdError> {
    let refuse = |reason| Err(IdError::hidden("email address", reason));
    if address.len() > MAX_EMAIL_LEN {
        return refuse("longer than 254 bytes");
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("spaces and control characters are not allowed");
    }
    match address.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            if domain.contains('@') {
                refuse("more than one '@'")
            } else {
                Ok(())
            }
        }
        _ => refuse("not a local part, '@' and a domain"),
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(<hidden>)")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = IdError;
    fn try_from(address: String) -> Result<EmailAddress, IdError> {
        EmailAddress::new(address)
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_one_at_between_two_parts() {
        let longest = format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN - 12));
        for ok in [
            "ada@example.com",
            "a@b",
            "ada+ajo@mail.example.ng",
            "Adé@exämple.com",
            longest.as_str(),
        ] {
            assert!(EmailAddress::new(ok).is_ok(), "{ok}");
        }
        let too_long = format!("a{longest}");
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@@example.com",
            "a@b@c",
            "ada @example.com",
            "ada@exa\nmple.com",
            "ada@example.com\r",
            too_long.as_str(),
        ] {
            assert!(EmailAddress::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_address_shows_nowhere_but_as_str() {
        let ada = EmailAddress::new("ada@example.com").unwrap();
        assert!(!format!("{ada:?}").contains("ada"));
        let error = EmailAddress::new("ada secret@example.com").unwrap_err();
        assert_eq!(error.value(), None);
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
