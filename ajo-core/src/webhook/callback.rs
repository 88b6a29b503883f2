//! Callbacks nobody signs (M-Pesa Daraja, MTN MoMo): a secret in the URL, and tags that
//! bind a report to the one request ajo made.
//!
//! Neither provider signs what it posts back. What a deployment can do is call back only
//! to URLs that carry a token no one else knows, and treat what arrives there as a hint:
//! the service confirms each outcome with the provider before it credits or books anything
//! ([`Authentication::CallbackToken`](super::Authentication::CallbackToken)). Both the
//! adapter (which builds the URLs) and the verifier (which checks them) are made from the
//! same [`CallbackSecret`], so the token is configured once.

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{Provider, WebhookError, secret};

/// The name of the query parameter that carries ajo's reference on a callback URL.
pub const REFERENCE_PARAM: &str = "ref";

/// A deployment's secret for a provider that does not sign its callbacks.
///
/// From it come the token that ends every callback path (`…/webhooks/mpesa/{token}`) and
/// the tags that name a request in a way only the secret's holder can (M-Pesa's
/// `OriginatorConversationID`). The token is derived, not the secret itself, so a URL seen
/// in a proxy log gives away the path, never the tags. `Debug` shows neither.
///
/// ```
/// use ajo_core::webhook::{CallbackSecret, Provider};
/// use secrecy::SecretString;
///
/// let secret = CallbackSecret::new(Provider::Mpesa, SecretString::from("k".repeat(32)))?;
/// let url = secret.callback_url("https://pay.example.com/webhooks/mpesa", "ajo=ctb=g1=r1=h1");
/// assert!(url.starts_with("https://pay.example.com/webhooks/mpesa/"));
/// assert!(url.ends_with("?ref=ajo%3Dctb%3Dg1%3Dr1%3Dh1"));
/// assert_eq!(secret.path_token().len(), 32);
/// assert!(!format!("{secret:?}").contains("kkkk"));
/// # Ok::<(), ajo_core::webhook::WebhookError>(())
/// ```
#[derive(Clone)]
pub struct CallbackSecret {
    provider: Provider,
    secret: SecretString,
}

impl fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackSecret")
            .field("provider", &self.provider)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl CallbackSecret {
    /// The fewest characters a secret may have: 32 random characters are well beyond
    /// guessing.
    pub const MIN_LEN: usize = 32;

    /// A callback secret for `provider`.
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for an empty secret, [`WebhookError::InvalidConfig`]
    /// for one shorter than [`MIN_LEN`](Self::MIN_LEN): a token in a URL is all that keeps
    /// forged callbacks out of the service, so it must not be guessable.
    pub fn new(provider: Provider, secret: SecretString) -> Result<CallbackSecret, WebhookError> {
        let len = secret.expose_secret().chars().count();
        if len == 0 {
            return Err(WebhookError::SecretMissing { provider });
        }
        if len < Self::MIN_LEN {
            return Err(WebhookError::InvalidConfig {
                provider,
                reason: "a callback secret needs at least 32 characters",
            });
        }
        Ok(CallbackSecret { provider, secret })
    }

    /// The provider it is for.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// 32 lowercase hex characters of an HMAC-SHA256 under the secret, over `parts`
    /// separated by NUL (which no part holds where it matters: references and labels are
    /// text).
    fn mac_hex(&self, parts: &[&str]) -> String {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let Ok(mut mac) =
            <Hmac<Sha256> as Mac>::new_from_slice(self.secret.expose_secret().as_bytes())
        else {
            return String::new();
        };
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(&[0]);
            }
            mac.update(part.as_bytes());
        }
        let bytes = mac.finalize().into_bytes();
        hex::encode(bytes.get(..16).unwrap_or_default())
    }

    /// The token that ends every callback path for this deployment.
    pub fn path_token(&self) -> String {
        self.mac_hex(&["ajo/callback-path", self.provider.as_str()])
    }

    /// A tag for `reference` (a payout's, say) under `purpose` (`b2c`): sent to the
    /// provider as the request's own id, echoed in its callback, and checked there. Only
    /// the secret's holder can make it, and it is the same every time, so a request sent
    /// again carries the same one (which the provider refuses as a duplicate).
    pub fn tag(&self, purpose: &str, reference: &str) -> String {
        self.mac_hex(&[
            "ajo/callback-tag",
            self.provider.as_str(),
            purpose,
            reference,
        ])
    }

    /// Whether `candidate` is this deployment's tag for `reference`, compared in constant
    /// time.
    pub fn is_tag(&self, purpose: &str, reference: &str, candidate: &str) -> bool {
        secret::ct_eq_any_len(
            self.tag(purpose, reference).as_bytes(),
            candidate.as_bytes(),
        )
    }

    /// Whether `candidate` is this deployment's path token, compared in constant time.
    pub fn is_path_token(&self, candidate: &str) -> bool {
        secret::ct_eq_any_len(self.path_token().as_bytes(), candidate.as_bytes())
    }

    /// The callback URL for `reference`: `base` (the public URL of the provider's route,
    /// `https://host/webhooks/mpesa`), the path token, and the reference as the `ref`
    /// query parameter.
    pub fn callback_url(&self, base: &str, reference: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair(REFERENCE_PARAM, reference)
            .finish();
        format!(
            "{}/{}?{query}",
            base.trim_end_matches('/'),
            self.path_token()
        )
    }
}

/// Checks a list of callback secrets as every verifier checks its secrets.
pub(super) fn checked(
    provider: Provider,
    secrets: Vec<CallbackSecret>,
) -> Result<Vec<CallbackSecret>, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::SecretMissing { provider });
    }
    if secrets.len() > super::MAX_SECRETS {
        return Err(WebhookError::TooManySecrets {
            provider,
            count: secrets.len(),
            max: super::MAX_SECRETS,
        });
    }
    if secrets.iter().any(|s| s.provider != provider) {
        return Err(WebhookError::InvalidConfig {
            provider,
            reason: "a callback secret made for another provider",
        });
    }
    Ok(secrets)
}

/// What a callback URL carries: its last path segment (the token) and its query.
#[derive(Debug, Clone, Copy)]
pub(super) struct CallbackUrl<'a> {
    pub(super) token: &'a str,
    query: &'a str,
}

impl<'a> CallbackUrl<'a> {
    /// Reads the URL a callback was received at (scheme and host optional).
    pub(super) fn parse(provider: Provider, url: &'a str) -> Result<CallbackUrl<'a>, WebhookError> {
        let url = url.split('#').next().unwrap_or_default();
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let token = path.rsplit('/').next().unwrap_or_default();
        if token.is_empty() {
            return Err(WebhookError::BadToken { provider });
        }
        Ok(CallbackUrl { token, query })
    }

    /// The single value of query parameter `name`; `None` if absent, an error if given
    /// twice.
    pub(super) fn param(
        &self,
        provider: Provider,
        name: &str,
    ) -> Result<Option<String>, WebhookError> {
        let mut found = None;
        for (key, value) in form_urlencoded::parse(self.query.as_bytes()) {
            if key == name {
                if found.is_some() {
                    return Err(WebhookError::payload(
                        provider,
                        format!("the callback URL gives {name} more than once"),
                    ));
                }
                found = Some(value.into_owned());
            }
        }
        Ok(found)
    }

    /// The secret whose token this URL ends with; every secret is compared, so timing does
    /// not tell which matched.
    pub(super) fn secret<'s>(
        &self,
        provider: Provider,
        secrets: &'s [CallbackSecret],
    ) -> Result<&'s CallbackSecret, WebhookError> {
        let mut matched = None;
        for secret in secrets {
            if secret.is_path_token(self.token) && matched.is_none() {
                matched = Some(secret);
            }
        }
        matched.ok_or(WebhookError::BadToken { provider })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> CallbackSecret {
        CallbackSecret::new(Provider::Mpesa, SecretString::from(text.to_owned())).unwrap()
    }

    #[test]
    fn secrets_must_be_long_enough_and_for_the_provider() {
        let short = CallbackSecret::new(Provider::Mpesa, SecretString::from("s".repeat(31)));
        assert!(matches!(short, Err(WebhookError::InvalidConfig { .. })));
        let empty = CallbackSecret::new(Provider::Mpesa, SecretString::from(String::new()));
        assert_eq!(
            empty.unwrap_err(),
            WebhookError::SecretMissing {
                provider: Provider::Mpesa
            }
        );
        let momo =
            CallbackSecret::new(Provider::MtnMomo, SecretString::from("m".repeat(32))).unwrap();
        assert!(checked(Provider::Mpesa, vec![momo]).is_err());
        assert!(checked(Provider::Mpesa, vec![]).is_err());
    }

    #[test]
    fn tokens_and_tags_differ_by_secret_provider_purpose_and_reference() {
        let a = secret(&"a".repeat(32));
        let b = secret(&"b".repeat(32));
        assert_ne!(a.path_token(), b.path_token());
        assert_eq!(a.path_token(), a.path_token());
        assert_ne!(a.tag("b2c", "r1"), a.tag("b2c", "r2"));
        assert_ne!(a.tag("b2c", "r1"), a.tag("stk", "r1"));
        assert_ne!(a.tag("b2c", "r1"), a.path_token());
        assert!(a.is_tag("b2c", "r1", &a.tag("b2c", "r1")));
        assert!(!a.is_tag("b2c", "r1", &b.tag("b2c", "r1")));
        let momo =
            CallbackSecret::new(Provider::MtnMomo, SecretString::from("a".repeat(32))).unwrap();
        assert_ne!(a.path_token(), momo.path_token());
    }

    #[test]
    fn urls_carry_the_token_last_and_the_reference_in_the_query() {
        let s = secret(&"z".repeat(40));
        let url = s.callback_url("https://h/webhooks/mpesa/", "a b&c=d");
        let read = CallbackUrl::parse(Provider::Mpesa, &url).unwrap();
        assert!(
            read.secret(Provider::Mpesa, std::slice::from_ref(&s))
                .is_ok()
        );
        assert_eq!(
            read.param(Provider::Mpesa, REFERENCE_PARAM)
                .unwrap()
                .as_deref(),
            Some("a b&c=d")
        );
        let wrong = CallbackUrl::parse(Provider::Mpesa, "/webhooks/mpesa/nope?ref=x").unwrap();
        assert_eq!(
            wrong.secret(Provider::Mpesa, &[s]).unwrap_err(),
            WebhookError::BadToken {
                provider: Provider::Mpesa
            }
        );
        assert!(CallbackUrl::parse(Provider::Mpesa, "/webhooks/mpesa/").is_err());
        let twice = CallbackUrl::parse(Provider::Mpesa, "/x/t?ref=a&ref=b").unwrap();
        assert!(twice.param(Provider::Mpesa, "ref").is_err());
    }
}
