//! Connecting the examples to PostgreSQL in a schema of their own.
//!
//! PostgreSQL finds ajo's tables through the connection's `search_path`, so a store in a
//! schema other than the default is one startup option away: every connection of the
//! pool is opened with it, and the migrations, `ajo_append` and every query land there.

use std::str::FromStr;

use ajo_adapters::postgres::PgConnectOptions;
use thiserror::Error;

/// Why connection options could not be made. Never holds the URL, which may carry a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// The database URL could not be read.
    #[error("the database URL is malformed")]
    BadUrl,
    /// The schema name is not a plain SQL identifier.
    #[error(
        "schema {0:?} is not a plain name: use 1 to 63 lowercase ASCII letters, digits or \
         '_', not starting with a digit"
    )]
    BadSchema(String),
}

/// Checks a schema name: a plain, unquoted SQL identifier (1 to 63 lowercase ASCII
/// letters, digits or `_`, not starting with a digit), so it means the same in a
/// `search_path`, in SQL text and to `psql`.
///
/// ```
/// assert!(ajo_examples::pg::schema_name("ajo_quickstart").is_ok());
/// assert!(ajo_examples::pg::schema_name("ajo, public").is_err());
/// ```
///
/// # Errors
/// [`OptionsError::BadSchema`] for anything else.
pub fn schema_name(name: &str) -> Result<String, OptionsError> {
    let mut chars = name.chars();
    let plain = matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63;
    if plain {
        Ok(name.to_owned())
    } else {
        Err(OptionsError::BadSchema(name.to_owned()))
    }
}

/// Options for the database at `url` whose connections find their tables in `schema`
/// (`None`: the server's default `search_path`).
///
/// # Errors
/// [`OptionsError::BadUrl`] if `url` cannot be read; [`OptionsError::BadSchema`] if
/// `schema` is not a plain name (see [`schema_name`]).
pub fn options(url: &str, schema: Option<&str>) -> Result<PgConnectOptions, OptionsError> {
    let options = PgConnectOptions::from_str(url).map_err(|_| OptionsError::BadUrl)?;
    match schema {
        Some(schema) => Ok(options.options([("search_path", schema_name(schema)?.as_str())])),
        None => Ok(options),
    }
}
