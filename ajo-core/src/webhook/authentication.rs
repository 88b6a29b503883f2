//! How a verified webhook proved where it came from.

use serde::Serialize;

/// How a verified webhook proved it came from the provider, carried on each
/// [`GatewayEvent`](super::GatewayEvent) so that a host can ask more of the weaker proof.
///
/// Every scheme but one is a [`Signature`](Self::Signature). The exception is Flutterwave's
/// legacy `verif-hash`, accepted only after
/// [`FlutterwaveVerifier::with_verif_hash`](super::FlutterwaveVerifier::with_verif_hash):
/// a [`StaticToken`](Self::StaticToken).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Authentication {
    /// A signature over the body (an HMAC or ECDSA) made with a secret the request never
    /// carries: the body is the provider's, byte for byte.
    Signature,
    /// A static shared token, sent verbatim with every delivery. It covers nothing: anyone
    /// who has seen one request (a proxy log, a leaked capture) can send any body with it.
    /// Confirm such an event with the gateway (re-query the charge or transfer) before
    /// giving value.
    StaticToken,
    /// An unsigned callback (M-Pesa, MTN MoMo) received at a URL that carries this
    /// deployment's token ([`CallbackSecret`](super::CallbackSecret)). Like a static token
    /// it covers nothing, and unlike one it cannot be trusted by configuration: the service
    /// confirms the outcome with the provider's status query before crediting or booking
    /// anything, and books nothing where there is no such query (M-Pesa B2C; see
    /// [`CallbackTag`](Self::CallbackTag)).
    CallbackToken,
    /// An unsigned callback at the token URL that also names, as its request id, the tag
    /// ajo made for this very request under the deployment's payout key (M-Pesa B2C's
    /// `OriginatorConversationID`, checked by
    /// [`MpesaVerifier::with_payout_key`](super::MpesaVerifier::with_payout_key)): only the
    /// provider, which was sent the tag, could have it. For a provider with no synchronous status query (Daraja B2C) the service takes
    /// a success so tagged as reported, and holds a failure for review rather than send
    /// the money again.
    CallbackTag,
}

impl Authentication {
    /// Whether this is [`Authentication::Signature`].
    pub fn is_signature(&self) -> bool {
        matches!(self, Authentication::Signature)
    }

    /// Whether this is [`Authentication::StaticToken`]: the event's content is unproven
    /// until the gateway confirms it.
    pub fn is_static_token(&self) -> bool {
        matches!(self, Authentication::StaticToken)
    }

    /// Whether this is an unsigned callback ([`CallbackToken`](Self::CallbackToken) or
    /// [`CallbackTag`](Self::CallbackTag)): the service confirms it with the provider
    /// whatever the configuration says.
    pub fn is_unsigned_callback(&self) -> bool {
        matches!(
            self,
            Authentication::CallbackToken | Authentication::CallbackTag
        )
    }

    /// A stable snake_case name (`signature`, `static_token`), for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Authentication::Signature => "signature",
            Authentication::StaticToken => "static_token",
            Authentication::CallbackToken => "callback_token",
            Authentication::CallbackTag => "callback_tag",
        }
    }
}
