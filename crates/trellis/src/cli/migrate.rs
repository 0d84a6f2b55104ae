//! `trellis migrate`: apply pending migrations explicitly (for deployments that start
//! `trellis serve --no-migrate`).

use crate::config::Config;

/// Applies pending migrations, then exits.
pub(crate) async fn run(config: &Config) -> anyhow::Result<()> {
    let db = super::serve::open(config, true).await?;
    db.close().await;
    println!(
        "the database {} is up to date",
        config.store.effective_url()
    );
    Ok(())
}
