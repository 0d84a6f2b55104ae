//! `trellis admin …`: operator commands on the local database, through the service layer as
//! `Actor::System`, so they obey the same validation and leave the same audit trail as the
//! API.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use clap::ArgGroup;
use clap::builder::PossibleValuesParser;
use trellis_domain::{Email, FieldErrors, OrgKind, Password, PersonName, Role};
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::{Actor, Services};

use super::StoreArgs;
use crate::config::Config;

/// `trellis admin create-user`.
#[derive(Debug, clap::Args)]
#[command(group(
    ArgGroup::new("password").required(true).args(["password_file", "password_stdin"])
))]
pub(crate) struct CreateUserArgs {
    /// E-mail address; the user signs in with it.
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Role.
    #[arg(long, value_parser = PossibleValuesParser::new(Role::ALL.map(Role::as_str)))]
    pub role: String,
    /// Slug of the organisation to join [default: the vendor organisation, created as
    /// "Vendor" if the deployment has none; partner roles must name their organisation]
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Read the password from this file (a trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Read the password from standard input (a trailing newline is ignored).
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Creates an active user with a password and prints its id.
pub(crate) async fn create_user(args: &CreateUserArgs, config: &Config) -> anyhow::Result<()> {
    let password = read_password(args)?;
    let role: Role = args.role.parse().map_err(|e| anyhow!("role: {e}"))?;
    // The service validates all of this again; checking first means a rejected user does not
    // leave a freshly created vendor organisation behind.
    let mut e = FieldErrors::new();
    e.check("email", Email::parse(&args.email));
    e.check("name", PersonName::parse(&args.name));
    e.check("password", Password::parse(&password));
    if let Err(e) = e.into_result() {
        bail!("{e}");
    }

    let db = super::serve::open(config, false).await?;
    let services = super::serve::services(db, config);
    let result = async {
        let org = target_org(&services, role, args.org.as_deref()).await?;
        let user = services
            .create_user_with_password(
                &Actor::System,
                org.id,
                &args.email,
                &args.name,
                role.as_str(),
                &password,
            )
            .await
            .map_err(service_error)?;
        tracing::info!(user.email = %user.email, role = role.as_str(), org = %org.slug, "user created");
        anyhow::Ok(user)
    }
    .await;
    services.db().close().await;
    println!("{}", result?.id);
    Ok(())
}

fn read_password(args: &CreateUserArgs) -> anyhow::Result<String> {
    let raw = if let Some(path) = &args.password_file {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the password file {}", path.display()))?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the password from standard input")?;
        s
    };
    Ok(raw
        .strip_suffix('\n')
        .map_or(raw.as_str(), |s| s.strip_suffix('\r').unwrap_or(s))
        .to_owned())
}

/// The organisation the new user joins: `--org`, or the vendor (created if missing).
async fn target_org(services: &Services, role: Role, slug: Option<&str>) -> anyhow::Result<Org> {
    let wanted = if role.is_partner() {
        OrgKind::Partner
    } else {
        OrgKind::Vendor
    };
    let Some(slug) = slug else {
        if role.is_partner() {
            bail!(
                "org: {} is a partner role; name the partner organisation with --org SLUG",
                role.as_str()
            );
        }
        return vendor_org(services).await;
    };
    let org = find_by_slug(services, slug)
        .await?
        .ok_or_else(|| anyhow!("org: no organisation has the slug {slug:?}"))?;
    if org.kind != wanted {
        bail!(
            "org: {} is a {} role, but {slug} is a {} organisation",
            role.as_str(),
            wanted.as_str(),
            org.kind.as_str()
        );
    }
    Ok(org)
}

async fn vendor_org(services: &Services) -> anyhow::Result<Org> {
    let existing =
        services.vendor_org().await.map_err(service_error).context(
            "reading the organisations (is the database migrated? see `trellis migrate`)",
        )?;
    if let Some(org) = existing {
        return Ok(org);
    }
    let input = OrgInput {
        name: "Vendor".into(),
        slug: Some("vendor".into()),
        ..OrgInput::default()
    };
    let org = services
        .create_org(&Actor::System, OrgKind::Vendor, &input)
        .await
        .map_err(service_error)?;
    tracing::info!("the deployment had no vendor organisation; created \"Vendor\" (slug vendor)");
    Ok(org)
}

/// Pages through the organisations; the service has no lookup by slug.
async fn find_by_slug(services: &Services, slug: &str) -> anyhow::Result<Option<Org>> {
    let mut page = PageRequest {
        cursor: None,
        limit: Some(trellis_service::platform::MAX_PAGE),
    };
    loop {
        let orgs = services
            .list_orgs(&Actor::System, None, None, &page)
            .await
            .map_err(service_error)
            .context(
                "reading the organisations (is the database migrated? see `trellis migrate`)",
            )?;
        if let Some(org) = orgs.items.into_iter().find(|o| o.slug == slug) {
            return Ok(Some(org));
        }
        match orgs.next {
            Some(next) => page.cursor = Some(next.encode()),
            None => return Ok(None),
        }
    }
}

/// A service error as the operator should read it: `email: is not a valid e-mail address`.
pub(crate) fn service_error(e: trellis_service::Error) -> anyhow::Error {
    match e {
        trellis_service::Error::Validation(fields) => anyhow!("{fields}"),
        trellis_service::Error::Internal(e) => e,
        other => anyhow!("{other}"),
    }
}
