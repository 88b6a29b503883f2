//! Reading variables: the helpers shared by the server's own settings ([`Config`]) and
//! each provider's ([`providers`](super::providers)), so every variable is read and
//! refused the same way.
//!
//! [`Config`]: super::Config

use std::ffi::OsString;

use secrecy::SecretString;

use super::ConfigError;

/// The variables, through a lookup (the process environment, or a map in tests). A
/// variable set to an empty string, or only spaces, counts as unset.
pub(crate) struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<OsString>,
}

impl<'a> Env<'a> {
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<OsString>) -> Env<'a> {
        Env { lookup }
    }

    /// The trimmed value of `var`, `None` when unset or empty.
    pub(crate) fn get(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        match (self.lookup)(var) {
            None => Ok(None),
            Some(value) => {
                let text = value
                    .into_string()
                    .map_err(|_| ConfigError::NotUnicode { var })?;
                let text = text.trim();
                Ok((!text.is_empty()).then(|| text.to_owned()))
            }
        }
    }

    /// [`get`](Self::get), held as a secret from the moment it is read.
    pub(crate) fn secret(&self, var: &'static str) -> Result<Option<SecretString>, ConfigError> {
        self.get(var).map(|v| v.map(SecretString::from))
    }
}

/// `ConfigError::Incomplete` when `var` is set and `needs` is not.
pub(crate) fn need(
    var: &'static str,
    set: bool,
    needs: &'static str,
    present: bool,
) -> Result<(), ConfigError> {
    if set && !present {
        return Err(ConfigError::Incomplete { var, needs });
    }
    Ok(())
}

/// `true` or `false` (also `1`/`0`, any case) from `var`.
pub(crate) fn switch(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ConfigError::InvalidValue {
            var,
            expected: "true or false",
        }),
    }
}

/// A whole number from `min` to `max` from `var`.
pub(crate) fn number(
    var: &'static str,
    value: &str,
    min: u64,
    max: u64,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or(ConfigError::InvalidValue { var, expected })
}
