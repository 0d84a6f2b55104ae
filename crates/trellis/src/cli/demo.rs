//! `trellis demo`: seed the demo ecosystem into an empty database, print where to sign in,
//! then serve exactly as `trellis serve` does.

use tokio_util::sync::CancellationToken;
use trellis_service::Services;

use super::DemoArgs;
use super::admin::service_error;
use super::serve;
use crate::config::Config;
use crate::demo;

/// Seeds (if the database has no vendor yet) and serves.
pub(crate) async fn run(args: &DemoArgs, mut config: Config) -> anyhow::Result<()> {
    if let Some(dir) = &args.mapping_files {
        for file in demo::write_mapping_files(dir)? {
            println!("{}", file.display());
        }
        return Ok(());
    }
    // The demo's history queues many e-mails (invitations, reminders, tier notices). Without a
    // mail server configured they are logged rather than retried against a port that is not
    // listening.
    let smtp = &mut config.jobs.smtp;
    let default = trellis_jobs::SmtpConfig::default();
    if smtp.host == default.host && smtp.port == default.port {
        smtp.enabled = false;
    }
    let db = serve::open(&config, true).await?;
    let (listener, config) = serve::bind(config).await?;
    let services = serve::services(db, &config);
    let runner = serve::runner(&services, &config)?;
    let seeded = demo::seed(&services, &args.demo_password).await?;
    print_welcome(&services, seeded.as_ref(), &args.demo_password).await?;
    serve::warm_up(&services);
    let cancel = CancellationToken::new();
    serve::stop_on_signal(cancel.clone());
    serve::supervise(services, Some((listener, config.web)), runner, cancel).await
}

async fn print_welcome(
    services: &Services,
    seeded: Option<&demo::Seeded>,
    password: &str,
) -> anyhow::Result<()> {
    let base = &services.config().base_url;
    let example = if let Some(s) = seeded {
        tracing::info!(
            partners = s.partners,
            users = s.users,
            accounts = s.pipeline.accounts,
            deal_registrations = s.pipeline.registrations,
            cosell_requests = s.pipeline.cosell_requests,
            partner_accounts_for_mapping = s.pipeline.mapping.partner_accounts,
            mappings = s.pipeline.mapping.runs,
            touchpoints = s.pipeline.attribution.touchpoints,
            attribution_runs = s.pipeline.attribution.runs,
            program_costs = s.pipeline.attribution.costs,
            deals_in_metrics = s.pipeline.attribution.metric_deals,
            survey_sendings = s.pipeline.engagement.waves,
            survey_responses = s.pipeline.engagement.responses,
            partner_days_of_use = s.pipeline.engagement.days_of_use,
            seconds = (s.elapsed.as_secs_f64() * 10.0).round() / 10.0,
            "demo data created"
        );
        s.example_partner.clone()
    } else {
        let vendor = services.vendor_org().await.map_err(service_error)?;
        let is_demo = vendor.as_ref().is_some_and(|v| v.name == demo::VENDOR_NAME);
        let name = vendor.map(|v| v.name).unwrap_or_default();
        println!("The database already holds the ecosystem of {name}; no demo data was added.");
        if !is_demo {
            println!("Trellis is running at {base}");
            return Ok(());
        }
        "northwind-systems".to_owned()
    };
    let password_note = if seeded.is_some() {
        format!("password {password:?}")
    } else {
        "the password chosen when the demo was created".to_owned()
    };
    println!();
    println!("Trellis demo running at {base}");
    println!("  console   {base}console");
    println!("  portal    {base}portal");
    println!("  API       {base}api/v1/openapi.json");
    println!();
    println!("Sign in with {password_note}:");
    println!("  {:<17} E-MAIL", "ROLE");
    for (local, _, role) in demo::VENDOR_STAFF {
        println!("  {:<17} {local}@vendor.example", role.replace('_', " "));
    }
    println!(
        "  {:<17} admin@<partner>.example    e.g. admin@{example}.example",
        "partner admin"
    );
    println!(
        "  {:<17} seller@<partner>.example   e.g. seller@{example}.example",
        "partner user"
    );
    println!();
    println!("Press Ctrl-C to stop.");
    Ok(())
}
