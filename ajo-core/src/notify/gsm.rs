//! SMS length: GSM-7 when every character allows it, UCS-2 otherwise.
//!
//! A single GSM-7 SMS holds 160 septets; a long one is split into segments of 153 (the
//! rest is the concatenation header). Characters of the GSM 03.38 extension table cost
//! two septets. One character outside both tables turns the whole message into UCS-2:
//! 70 characters alone, 67 per segment (counted in UTF-16 units).

use serde::{Deserialize, Serialize};

/// The basic GSM 03.38 character set.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each costs an escape plus the character.
const EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// How a text goes over the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    /// 7-bit GSM alphabet.
    Gsm7,
    /// 16-bit UCS-2.
    Ucs2,
}

/// The encoding and number of segments a text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SmsLength {
    /// How it is encoded.
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    /// How many SMS it takes.
    pub segments: usize,
}

/// Whether `c` can be sent in GSM-7, and at what cost in septets.
pub fn gsm7_cost(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Measures a text.
///
/// ```
/// use ajo_core::notify::{sms_length, SmsEncoding};
///
/// assert_eq!(sms_length("Pay NGN 25,000.00 by 31 Jan").segments, 1);
/// let naira = sms_length("Pay ₦25,000.00");
/// assert_eq!((naira.encoding, naira.segments), (SmsEncoding::Ucs2, 1));
/// ```
pub fn sms_length(text: &str) -> SmsLength {
    let septets: Option<usize> = text.chars().map(gsm7_cost).sum();
    let (encoding, units, single, multi) = match septets {
        Some(septets) => (SmsEncoding::Gsm7, septets, 160, 153),
        None => (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = if units <= single {
        1
    } else {
        units.div_ceil(multi)
    };
    SmsLength {
        encoding,
        units,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_boundaries() {
        assert_eq!(sms_length("").segments, 1);
        assert_eq!(sms_length(&"a".repeat(160)).segments, 1);
        assert_eq!(sms_length(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_length(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_length(&"a".repeat(307)).segments, 3);
        // Extension characters count twice.
        let euros = sms_length(&"€".repeat(80));
        assert_eq!(
            (euros.encoding, euros.units, euros.segments),
            (SmsEncoding::Gsm7, 160, 1)
        );
        assert_eq!(sms_length(&"€".repeat(81)).segments, 2);
        let ucs = sms_length(&"₦".repeat(70));
        assert_eq!((ucs.encoding, ucs.segments), (SmsEncoding::Ucs2, 1));
        assert_eq!(sms_length(&"₦".repeat(71)).segments, 2);
        assert_eq!(sms_length(&"₦".repeat(134)).segments, 2);
        assert_eq!(sms_length(&"₦".repeat(135)).segments, 3);
    }
}
