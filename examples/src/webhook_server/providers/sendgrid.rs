//! SendGrid: signed event webhooks are verified with its public key (ECDSA P-256), within
//! a replay window around the server's clock.

use std::sync::Arc;

use ajo_core::webhook::{Provider, SendGridVerifier, WebhookError, WebhookVerifier};
use secrecy::{ExposeSecret, SecretString};

use super::{WebhookOptions, WebhookProvider};
use crate::webhook_server::ConfigError;
use crate::webhook_server::env::{Env, number};

/// SendGrid's verification key for signed event webhooks (base64 SPKI, `MFkw…`).
pub const SENDGRID: &str = "SENDGRID_WEBHOOK_PUBLIC_KEY";

/// SendGrid's previous verification key, while it is being replaced (see
/// [`PAYSTACK_PREVIOUS`](super::paystack::PAYSTACK_PREVIOUS)).
pub const SENDGRID_PREVIOUS: &str = "SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS";

/// SendGrid's replay window in seconds (default 300, at most 172800): a signed
/// timestamp further than this from the server's clock is refused.
pub const SENDGRID_TOLERANCE: &str = "SENDGRID_WEBHOOK_TOLERANCE_SECS";

/// SendGrid's replay window: a signed timestamp more than this many seconds from the
/// server's clock is refused. SendGrid signs the time it posts, so five minutes leaves room
/// for clock skew and slow deliveries, as Stripe's own window does.
pub const DEFAULT_SENDGRID_TOLERANCE_S: u32 = 300;

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::SendGrid,
    var: SENDGRID,
    previous_var: SENDGRID_PREVIOUS,
    token_in_path: false,
    read,
};

/// The replay window.
#[derive(Debug)]
struct Options {
    tolerance_s: u32,
}

fn read(env: &Env<'_>, _enabled: bool) -> Result<Arc<dyn WebhookOptions>, ConfigError> {
    let expected = "a whole number of seconds from 1 to 172800";
    let tolerance_s = match env.get(SENDGRID_TOLERANCE)? {
        None => DEFAULT_SENDGRID_TOLERANCE_S,
        Some(v) => u32::try_from(number(
            SENDGRID_TOLERANCE,
            &v,
            1,
            u64::from(SendGridVerifier::MAX_TOLERANCE_S),
            expected,
        )?)
        .map_err(|_| ConfigError::InvalidValue {
            var: SENDGRID_TOLERANCE,
            expected,
        })?,
    };
    Ok(Arc::new(Options { tolerance_s }))
}

impl WebhookOptions for Options {
    fn verifier(
        &self,
        keys: Vec<SecretString>,
        max_body_len: usize,
    ) -> Result<Arc<dyn WebhookVerifier>, WebhookError> {
        // Public keys: held as secrets only because every webhook variable is read alike.
        let verifier = SendGridVerifier::new(keys.iter().map(|k| k.expose_secret()))?
            .with_tolerance(self.tolerance_s)?
            .with_max_body_len(max_body_len)?;
        Ok(Arc::new(verifier))
    }

    fn announce(&self) {
        tracing::info!(
            sendgrid_tolerance_s = self.tolerance_s,
            "SendGrid's signed timestamps must be this close to the server's clock"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;

    fn tolerance(pairs: &[(&str, &str)]) -> Result<String, ConfigError> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        let lookup = |var: &str| map.get(var).cloned();
        read(&Env::new(&lookup), true).map(|o| format!("{o:?}"))
    }

    #[test]
    fn the_replay_window_defaults_to_five_minutes_and_is_bounded() {
        assert_eq!(tolerance(&[]).unwrap(), "Options { tolerance_s: 300 }");
        assert_eq!(
            tolerance(&[(SENDGRID_TOLERANCE, "60")]).unwrap(),
            "Options { tolerance_s: 60 }"
        );
        for bad in ["0", "172801", "99999999999999999999", "soon"] {
            match tolerance(&[(SENDGRID_TOLERANCE, bad)]) {
                Err(ConfigError::InvalidValue { var, .. }) => {
                    assert_eq!(var, SENDGRID_TOLERANCE);
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
