//! Account mapping, the pages both areas share (handlers generic over the area's session):
//! the overview (connections with opting in and out, the side's populations), the side's
//! default sharing policy, and a connection's page with its override and a preview of what
//! the other side may learn.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::mapping::{Share, ShareLevel, SharedField, SharingPolicy};
use trellis_domain::{MappingConnectionId, OrgId, Permission};
use trellis_service::mapping::{
    Connection, MappingRun, PolicyScope, Population, PreviewLine, PsiInvitation, PsiLink,
    StoredPolicy,
};

use super::book::RouteBook;
use super::cosell::{org_choices, partners};
use super::csrf::CsrfForm;
use super::error::PageResult;
use super::flash::Flash;
use super::form::{Errors, FormData, PageId, failed};
use super::session::{Session, Side, SideSession};
use super::view::{Choice, Chrome, Look as _};

mod links;
mod populations;
mod runs;

/// The routes of one area's mapping pages.
pub(crate) struct Paths {
    pub(crate) index: &'static str,
    pub(crate) policy: &'static str,
    pub(crate) opt_in: &'static str,
    pub(crate) opt_out: &'static str,
    pub(crate) connection: &'static str,
    pub(crate) connection_policy: &'static str,
    pub(crate) connection_reset: &'static str,
    pub(crate) connection_runs: &'static str,
    /// Private mapping with another Trellis server: the vendor's console only.
    pub(crate) connection_invite: Option<&'static str>,
    pub(crate) connection_link: Option<&'static str>,
    pub(crate) run: &'static str,
    pub(crate) run_progress: &'static str,
    pub(crate) run_csv: &'static str,
    pub(crate) populations: &'static str,
    pub(crate) population_new: &'static str,
    pub(crate) population: &'static str,
    pub(crate) population_delete: &'static str,
}

pub(crate) const CONSOLE: Paths = Paths {
    index: "/console/mapping",
    policy: "/console/mapping/policy",
    opt_in: "/console/mapping/opt-in",
    opt_out: "/console/mapping/opt-out",
    connection: "/console/mapping/connections/{id}",
    connection_policy: "/console/mapping/connections/{id}/policy",
    connection_reset: "/console/mapping/connections/{id}/policy/reset",
    connection_runs: "/console/mapping/connections/{id}/runs",
    connection_invite: Some("/console/mapping/connections/{id}/invitations"),
    connection_link: Some("/console/mapping/connections/{id}/link"),
    run: "/console/mapping/runs/{id}",
    run_progress: "/console/mapping/runs/{id}/progress",
    run_csv: "/console/mapping/runs/{id}/overlaps.csv",
    populations: "/console/mapping/populations",
    population_new: "/console/mapping/populations/new",
    population: "/console/mapping/populations/{id}",
    population_delete: "/console/mapping/populations/{id}/delete",
};

pub(crate) const PORTAL: Paths = Paths {
    index: "/portal/mapping",
    policy: "/portal/mapping/policy",
    opt_in: "/portal/mapping/opt-in",
    opt_out: "/portal/mapping/opt-out",
    connection: "/portal/mapping/connections/{id}",
    connection_policy: "/portal/mapping/connections/{id}/policy",
    connection_reset: "/portal/mapping/connections/{id}/policy/reset",
    connection_runs: "/portal/mapping/connections/{id}/runs",
    connection_invite: None,
    connection_link: None,
    run: "/portal/mapping/runs/{id}",
    run_progress: "/portal/mapping/runs/{id}/progress",
    run_csv: "/portal/mapping/runs/{id}/overlaps.csv",
    populations: "/portal/mapping/populations",
    population_new: "/portal/mapping/populations/new",
    population: "/portal/mapping/populations/{id}",
    population_delete: "/portal/mapping/populations/{id}/delete",
};

/// Registers the shared pages of one area.
pub(crate) fn routes<S: SideSession>(book: RouteBook, paths: &Paths) -> RouteBook {
    let book = match (paths.connection_invite, paths.connection_link) {
        (Some(invite), Some(link)) => book
            .post(invite, links::invite::<S>)
            .post(link, links::link::<S>),
        _ => book,
    };
    book.get(paths.index, index::<S>)
        .get(paths.policy, default_policy::<S>)
        .post(paths.policy, save_default::<S>)
        .post(paths.opt_in, |s: S, form| opt(s, form, true))
        .post(paths.opt_out, |s: S, form| opt(s, form, false))
        .get(paths.connection, connection::<S>)
        .post(paths.connection_policy, save_override::<S>)
        .post(paths.connection_reset, reset_override::<S>)
        .post(paths.connection_runs, runs::start::<S>)
        .get(paths.run, runs::page::<S>)
        .get(paths.run_progress, runs::progress::<S>)
        .get(paths.run_csv, runs::csv::<S>)
        .post(paths.populations, populations::create::<S>)
        .get(paths.population_new, populations::new_page::<S>)
        .get(paths.population, populations::edit_page::<S>)
        .post(paths.population, populations::update::<S>)
        .post(paths.population_delete, populations::delete::<S>)
}

/// `/console/mapping` or `/portal/mapping`.
fn base(s: &Session) -> String {
    format!("{}/mapping", s.side.base())
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/mapping.html")]
struct IndexPage {
    chrome: Chrome,
    base: String,
    vendor: bool,
    can_manage: bool,
    connections: Vec<Connection>,
    /// Partners to opt in with (the vendor), without a connection yet or not opted in.
    partners: Vec<Choice>,
    populations: Vec<Population>,
    policy: StoredPolicy,
}

impl IndexPage {
    /// Whether the reader's side has opted in to a connection.
    fn mine(&self, c: &Connection) -> bool {
        if self.vendor {
            c.vendor_opted_in_at.is_some()
        } else {
            c.partner_opted_in_at.is_some()
        }
    }
}

async fn index<S: SideSession>(s: S) -> PageResult {
    let vendor = s.side == Side::Console;
    let connections = s.services.mapping_connections(&s.actor).await?;
    let can_manage = s.can(Permission::MappingManage);
    let partners = if vendor && can_manage {
        let opted: Vec<OrgId> = connections
            .iter()
            .filter(|c| c.vendor_opted_in_at.is_some())
            .map(|c| c.partner_id)
            .collect();
        let open: Vec<_> = partners(&s)
            .await?
            .into_iter()
            .filter(|o| !opted.contains(&o.id))
            .collect();
        org_choices(&open, "", "Choose a partner")
    } else {
        Vec::new()
    };
    let page = IndexPage {
        chrome: s.chrome("Account mapping"),
        base: base(&s),
        vendor,
        can_manage,
        partners,
        populations: s.services.list_populations(&s.actor).await?,
        policy: s
            .services
            .sharing_policy(&s.actor, PolicyScope::Default)
            .await?,
        connections,
    };
    Ok(page.into_response())
}

/// Opts the reader's side in or out (the vendor names the partner).
async fn opt<S: SideSession>(s: S, CsrfForm(form): CsrfForm, opt_in: bool) -> PageResult {
    let partner = match form.opt("partner_id") {
        Some(id) => Some(id.parse::<OrgId>().map_err(|_| {
            trellis_service::Error::field("partner_id", "choose a partner from the list")
        })?),
        None => None,
    };
    let done = if opt_in {
        s.services.opt_in_mapping(&s.actor, partner).await
    } else {
        s.services.opt_out_mapping(&s.actor, partner).await
    };
    let flash = match done {
        Ok(c) if opt_in && c.active => Flash::success(format!(
            "Account mapping with {} is on: both sides have opted in.",
            other_side(&s, &c)
        )),
        Ok(c) if opt_in => Flash::success(format!(
            "You opted in. {} has been told and must opt in too.",
            other_side(&s, &c)
        )),
        Ok(c) => Flash::success(format!(
            "You opted out of account mapping with {}.",
            other_side(&s, &c)
        )),
        Err(e) => {
            let (_, errors) = failed(e)?;
            Flash::info(
                errors
                    .summary()
                    .into_iter()
                    .map(|i| i.text)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
    };
    Ok(s.redirect(&base(&s), &flash))
}

fn other_side(s: &Session, c: &Connection) -> String {
    if s.side == Side::Console {
        c.partner_name.clone()
    } else {
        "The vendor".to_owned()
    }
}

/// One population's row of a policy editor.
struct ShareRow {
    key: String,
    name: String,
    count: u64,
    levels: Vec<Choice>,
    fields: Vec<FieldBox>,
    /// For an override: what the default says.
    default: String,
}

struct FieldBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// The editor's rows. `written` is the policy as saved (or as just submitted); with
/// `default`, it is an override and a population may follow the default.
fn share_rows(
    populations: &[Population],
    written: &SharingPolicy,
    default: Option<&SharingPolicy>,
) -> Vec<ShareRow> {
    populations
        .iter()
        .map(|p| {
            let share = written.populations.get(&p.key);
            let current = share.map_or(if default.is_some() { "" } else { "nothing" }, |s| {
                s.level.as_str()
            });
            let mut options: Vec<(&str, &str)> = Vec::new();
            if default.is_some() {
                options.push(("", "As the default"));
            }
            options.extend(ShareLevel::ALL.iter().map(|l| (l.as_str(), l.label())));
            ShareRow {
                key: p.key.clone(),
                name: p.name.clone(),
                count: p.member_count,
                levels: Choice::list(options, current),
                fields: SharedField::ALL
                    .iter()
                    .map(|f| FieldBox {
                        value: f.as_str(),
                        label: f.label(),
                        checked: share.is_some_and(|s| s.fields.contains(f)),
                    })
                    .collect(),
                default: default.map_or_else(String::new, |d| describe(d.share(&p.key))),
            }
        })
        .collect()
}

/// "Counts only", "Overlapping records: Company name, Account owner".
fn describe(share: &Share) -> String {
    if share.level == ShareLevel::Records && !share.fields.is_empty() {
        let fields: Vec<&str> = share.fields.iter().map(|f| f.label()).collect();
        format!("{}: {}", share.level.label(), fields.join(", "))
    } else {
        share.level.label().to_owned()
    }
}

/// The policy a form describes; a population left to the default is left out.
fn policy_of(form: &FormData, populations: &[Population]) -> Result<SharingPolicy, Errors> {
    let mut e = trellis_domain::FieldErrors::new();
    let mut shares = BTreeMap::new();
    for p in populations {
        let level = form.text(&format!("level_{}", p.key));
        if level.is_empty() {
            continue;
        }
        let Ok(level) = level.parse::<ShareLevel>() else {
            e.add(format!("level_{}", p.key), "choose how much to share");
            continue;
        };
        let fields = if level == ShareLevel::Records {
            form.all(&format!("fields_{}", p.key))
                .iter()
                .filter_map(|f| f.parse::<SharedField>().ok())
                .collect()
        } else {
            Vec::new()
        };
        shares.insert(p.key.clone(), Share { level, fields });
    }
    let min_count = form.whole_number::<u32>("min_count", &mut e);
    e.into_result().map_err(Errors::fields)?;
    Ok(SharingPolicy {
        populations: shares,
        min_count,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/mapping_policy.html")]
struct PolicyPage {
    chrome: Chrome,
    base: String,
    /// Where the form posts.
    action: String,
    can_manage: bool,
    /// An override's connection; none for the default.
    connection: Option<Connection>,
    rows: Vec<ShareRow>,
    min_count: String,
    default_min_count: String,
    version: i64,
    preview: Vec<PreviewLine>,
    /// The connection's latest mappings.
    runs: Vec<MappingRun>,
    errors: Errors,
    /// The vendor's admins, on a connection: its link to another Trellis server.
    link: Option<PsiLink>,
    /// An invitation just made, shown once.
    invitation: Option<PsiInvitation>,
    /// The link form's address as typed.
    link_url: String,
}

impl PolicyPage {
    async fn load(
        s: &Session,
        connection: Option<MappingConnectionId>,
        submitted: Option<&SharingPolicy>,
        errors: Errors,
    ) -> PageResult<Self> {
        let populations = s.services.list_populations(&s.actor).await?;
        let default = s
            .services
            .sharing_policy(&s.actor, PolicyScope::Default)
            .await?;
        let base = base(s);
        let (stored, connection, preview, runs, action) = match connection {
            None => (
                default.clone(),
                None,
                Vec::new(),
                Vec::new(),
                format!("{base}/policy"),
            ),
            Some(id) => (
                s.services
                    .sharing_policy(&s.actor, PolicyScope::Connection(id))
                    .await?,
                Some(s.services.mapping_connection(&s.actor, id).await?),
                s.services.sharing_preview(&s.actor, id).await?,
                s.services.mapping_runs(&s.actor, id).await?,
                format!("{base}/connections/{id}/policy"),
            ),
        };
        let link = match &connection {
            Some(c) if s.side == Side::Console && s.can(Permission::MappingManage) => {
                Some(s.services.psi_link(&s.actor, c.id).await?)
            }
            _ => None,
        };
        let written = submitted.unwrap_or(&stored.policy);
        let title = connection.as_ref().map_or_else(
            || "Default sharing policy".to_owned(),
            |c| format!("Mapping with {}", other_side(s, c)),
        );
        Ok(Self {
            chrome: s.chrome(title),
            action,
            can_manage: s.can(Permission::MappingManage),
            rows: share_rows(
                &populations,
                written,
                connection.as_ref().map(|_| &default.policy),
            ),
            min_count: written
                .min_count
                .map_or_else(String::new, |m| m.to_string()),
            default_min_count: default.policy.min_count.unwrap_or(0).to_string(),
            version: stored.version,
            connection,
            preview,
            runs,
            errors,
            base,
            link,
            invitation: None,
            link_url: String::new(),
        })
    }

    fn is_default(&self) -> bool {
        self.connection.is_none()
    }
}

async fn default_policy<S: SideSession>(s: S) -> PageResult {
    Ok(PolicyPage::load(&s, None, None, Errors::none())
        .await?
        .into_response())
}

async fn connection<S: SideSession>(s: S, PageId(id): PageId<MappingConnectionId>) -> PageResult {
    Ok(PolicyPage::load(&s, Some(id), None, Errors::none())
        .await?
        .into_response())
}

async fn save_default<S: SideSession>(s: S, CsrfForm(form): CsrfForm) -> PageResult {
    save(&s, None, &form).await
}

async fn save_override<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingConnectionId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    save(&s, Some(id), &form).await
}

async fn save(s: &Session, connection: Option<MappingConnectionId>, form: &FormData) -> PageResult {
    let populations = s.services.list_populations(&s.actor).await?;
    let back = |errors| PolicyPage::load(s, connection, None, errors);
    let policy = match policy_of(form, &populations) {
        Ok(p) => p,
        Err(errors) => {
            let page = back(errors).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let scope = connection.map_or(PolicyScope::Default, PolicyScope::Connection);
    match s
        .services
        .put_sharing_policy(&s.actor, scope, form.version(), &policy)
        .await
    {
        Ok(_) => {
            let to = connection.map_or_else(
                || format!("{}/policy", base(s)),
                |id| format!("{}/connections/{id}", base(s)),
            );
            Ok(s.redirect(
                &to,
                &Flash::success("Saved. It takes effect on the next mapping."),
            ))
        }
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = PolicyPage::load(s, connection, Some(&policy), errors).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn reset_override<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingConnectionId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let flash = match s.services.delete_sharing_override(&s.actor, id).await {
        Ok(()) => Flash::success("The override is gone: your default policy applies."),
        Err(trellis_service::Error::NotFound) => {
            // No override (or not this side's connection): the page says which.
            s.services.mapping_connection(&s.actor, id).await?;
            Flash::info("There was no override: your default policy applies.")
        }
        Err(e) => return Err(e.into()),
    };
    Ok(s.redirect(&format!("{}/connections/{id}", base(&s)), &flash))
}
