//! Deployment settings edited in the console, one JSON document per key.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `settings` row.
#[derive(Clone, Debug, FromRow)]
pub struct SettingRow {
    pub key: String,
    pub value: Json<Value>,
    pub version: i64,
    pub updated_at: i64,
}

/// Reads a setting.
pub async fn get(ex: &mut Exec<'_>, key: &str) -> Result<Option<SettingRow>> {
    Ok(fetch!(
        ex,
        SettingRow,
        "select key, value, version, updated_at from settings where key = $1",
        [key],
        fetch_optional
    )?)
}

/// Writes a setting if `expected_version` is current (0: the setting must not exist yet).
/// Returns false on a stale version.
pub async fn put(
    ex: &mut Exec<'_>,
    key: &str,
    value: &Json<Value>,
    expected_version: i64,
    now: i64,
) -> Result<bool> {
    if expected_version == 0 {
        return match execute!(
            ex,
            "insert into settings (key, value, version, updated_at) values ($1, $2, 1, $3)",
            [key, value, now]
        ) {
            Ok(_) => Ok(true),
            Err(e) => match crate::Error::from(e) {
                crate::Error::Conflict => Ok(false),
                other => Err(other),
            },
        };
    }
    let n = execute!(
        ex,
        "update settings set value = $2, version = version + 1, updated_at = $3 \
         where key = $1 and version = $4",
        [key, value, now, expected_version]
    )?;
    Ok(n == 1)
}
