//! Program settings: the tier policy, the reporting currency, whether applications are open
//! and the public locator is on, how often overdue onboarding tasks are chased.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trellis_domain::partners::tiers::TierPolicy;
use trellis_domain::{FieldErrors, Permission};
use trellis_store::Json;
use trellis_store::platform::settings as store;

use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

const KEY: &str = "program";

/// The partner program's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProgramSettings {
    /// Hysteresis and grace period of the tier engine.
    pub tier_policy: TierPolicy,
    /// ISO 4217 code that money metrics (revenue thresholds) are expressed in.
    pub reporting_currency: String,
    /// Whether the public application form accepts applications.
    pub applications_open: bool,
    /// Whether the public partner locator page is served.
    pub locator_enabled: bool,
    /// Days between reminders for an overdue onboarding task.
    pub reminder_interval_days: u16,
}

impl Default for ProgramSettings {
    fn default() -> Self {
        Self {
            tier_policy: TierPolicy::default(),
            reporting_currency: "USD".into(),
            applications_open: true,
            locator_enabled: false,
            reminder_interval_days: 3,
        }
    }
}

impl ProgramSettings {
    fn validate(&self) -> Result<()> {
        // The tier policy validates itself when it is built.
        let mut e = FieldErrors::new();
        let c = &self.reporting_currency;
        if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
            e.add(
                "reporting_currency",
                "must be a three-letter ISO 4217 code in capitals, such as EUR or USD",
            );
        }
        if !(1..=30).contains(&self.reminder_interval_days) {
            e.add("reminder_interval_days", "must be between 1 and 30 days");
        }
        Ok(e.into_result()?)
    }
}

/// The settings and their version, for an edit form.
#[derive(Clone, Debug, Serialize)]
pub struct VersionedSettings {
    /// The settings.
    pub settings: ProgramSettings,
    /// Send this back with a change; 0 while the defaults have never been saved.
    pub version: i64,
}

impl Services {
    /// The program settings, for any part of the service (defaults until saved).
    pub(crate) async fn program_settings(&self) -> Result<VersionedSettings> {
        let mut c = self.db().read().await?;
        load(&mut c.exec()).await
    }

    /// The program settings, for vendor users.
    pub async fn get_program_settings(&self, actor: &Actor) -> Result<VersionedSettings> {
        actor.require(Permission::OrgsRead)?;
        if !actor.is_vendor_side() {
            return Err(Error::Forbidden);
        }
        self.program_settings().await
    }

    /// Whether the public application form and the public locator are on (no sign-in).
    pub async fn public_program_switches(&self) -> Result<(bool, bool)> {
        let s = self.program_settings().await?.settings;
        Ok((s.applications_open, s.locator_enabled))
    }

    /// Saves the settings if `version` is current.
    pub async fn update_program_settings(
        &self,
        actor: &Actor,
        version: i64,
        settings: ProgramSettings,
    ) -> Result<VersionedSettings> {
        actor.require(Permission::ProgramManage)?;
        settings.validate()?;
        let mut tx = self.db().begin().await?;
        let before = load(&mut tx.exec()).await?;
        if before.version != version {
            return Err(Error::StaleVersion {
                current: before.version,
            });
        }
        let now = self.now();
        let value = Json(serde_json::to_value(&settings).map_err(anyhow::Error::from)?);
        if !store::put(&mut tx.exec(), KEY, &value, version, now.millis()).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.settings_changed",
                object_type: "program_settings",
                object_id: KEY.into(),
                org_id: None,
                summary: "changed the program settings".into(),
                before: Some(json!(before.settings)),
                after: Some(json!(settings)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(VersionedSettings {
            settings,
            version: version + 1,
        })
    }
}

pub(crate) async fn load(ex: &mut trellis_store::Exec<'_>) -> Result<VersionedSettings> {
    match store::get(ex, KEY).await? {
        None => Ok(VersionedSettings {
            settings: ProgramSettings::default(),
            version: 0,
        }),
        Some(row) => Ok(VersionedSettings {
            settings: serde_json::from_value(row.value.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "stored program settings are not valid: {e}"
                ))
            })?,
            version: row.version,
        }),
    }
}
