//! Applications to join the program: a public form (no sign-in, rate limited), scored against
//! the IPP, queued for channel managers, approved (which creates the partner, its checklist
//! and its admin's invitation) or rejected with a reason.

use serde::Serialize;
use serde_json::json;
use trellis_domain::partners::profile::Specialisations;
use trellis_domain::{
    ApplicationId, Email, FieldErrors, OrgId, OrgKind, PartnerType, Permission, PersonName, Region,
    Role, Slug, Timestamp, UserId, WebUrl,
};
use trellis_store::partners::applications::{self as store, ApplicationRow};
use trellis_store::platform::{orgs as org_store, users as user_store};
use trellis_store::{Json, Tx};

use super::ipp::{ScoredFit, current_ipp, put_score, require_vendor_reader};
use super::profiles::{Admission, Partner, check_country};
use crate::outbox::Change;
use crate::platform::auth::ClientInfo;
use crate::platform::email::{self, EmailMessage};
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// Applications one client address may send per hour.
const PER_HOUR: i64 = 5;

/// An application as the service returns it.
#[derive(Clone, Debug, Serialize)]
pub struct Application {
    /// Id.
    pub id: ApplicationId,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// The applying company.
    pub company_name: String,
    /// Its website.
    pub website: Option<String>,
    /// Its country.
    pub country: Option<String>,
    /// Its headquarters region.
    pub region: Option<Region>,
    /// How it wants to partner.
    pub partner_type: PartnerType,
    /// What it specialises in.
    pub specialisations: Specialisations,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// The applicant's pitch.
    pub description: String,
    /// Who applied.
    pub contact_name: String,
    /// Their e-mail address; the partner admin's on approval.
    pub contact_email: String,
    /// Their phone number.
    pub contact_phone: String,
    /// Fit with the current IPP.
    pub fit_score: Option<u8>,
    /// The IPP version of that score.
    pub ipp_version: Option<i64>,
    /// Who decided.
    pub reviewer_id: Option<UserId>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// Why (always given for a rejection).
    pub decision_reason: Option<String>,
    /// The partner created on approval.
    pub org_id: Option<OrgId>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Received.
    pub created_at: Timestamp,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = Error;
    fn try_from(r: ApplicationRow) -> Result<Self> {
        let num = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok());
        Ok(Self {
            id: ApplicationId::from_uuid(r.id),
            status: r.status,
            company_name: r.company_name,
            website: r.website,
            country: r.country,
            region: r
                .region
                .as_deref()
                .map(|v| parse_stored("region", v))
                .transpose()?,
            partner_type: parse_stored("partner type", &r.partner_type)?,
            specialisations: serde_json::from_value(r.specialisations.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!("stored specialisations are not valid: {e}"))
            })?,
            employees: num(r.employees),
            founded_year: r.founded_year.and_then(|y| i32::try_from(y).ok()),
            customers: num(r.customers),
            description: r.description,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            fit_score: r.fit_score.and_then(|s| u8::try_from(s).ok()),
            ipp_version: r.ipp_version,
            reviewer_id: r.reviewer_id.map(UserId::from_uuid),
            decided_at: r.decided_at.map(Timestamp::from_millis),
            decision_reason: r.decision_reason,
            org_id: r.org_id.map(OrgId::from_uuid),
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// What the public form sends.
#[derive(Clone, Debug, Default)]
pub struct ApplicationInput {
    /// Company name.
    pub company_name: String,
    /// Website.
    pub website: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Region id.
    pub region: Option<String>,
    /// Partner type id.
    pub partner_type: String,
    /// Industry ids.
    pub industries: Vec<String>,
    /// Technologies.
    pub technologies: Vec<String>,
    /// Segment ids.
    pub segments: Vec<String>,
    /// Region ids served.
    pub regions_served: Vec<String>,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// Why partner with us.
    pub description: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Contact phone.
    pub contact_phone: String,
}

/// A reviewer's approval.
#[derive(Clone, Debug, Default)]
pub struct Approval {
    /// A note for the record.
    pub reason: Option<String>,
    /// The channel manager who will own the partner.
    pub owner_id: Option<UserId>,
}

/// An application with its fit breakdown, for the review page.
#[derive(Clone, Debug, Serialize)]
pub struct ApplicationDetail {
    /// The application.
    pub application: Application,
    /// Its score under the current IPP, with contributions.
    pub fit: Option<ScoredFit>,
    /// Whether a user with the contact's e-mail address already exists (approval would fail).
    pub contact_has_account: bool,
}

impl Services {
    /// Receives an application from the public form. No sign-in; limited per client address.
    pub async fn submit_application(
        &self,
        input: &ApplicationInput,
        client: &ClientInfo,
    ) -> Result<Application> {
        let settings = self.program_settings().await?.settings;
        if !settings.applications_open {
            return Err(Error::InvalidState(
                "the partner program is not accepting applications at the moment",
            ));
        }
        let v = validate(input, self.now())?;
        self.throttle_within("apply", client, PER_HOUR, 3_600_000)
            .await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        if store::pending_from(&mut tx.exec(), v.contact_email.as_str()).await? {
            return Err(Error::Conflict(
                "an application from this e-mail address is already being reviewed; we will be \
                 in touch"
                    .into(),
            ));
        }
        let row = ApplicationRow {
            id: ApplicationId::new().as_uuid(),
            status: "pending".into(),
            company_name: v.company_name.to_string(),
            website: v.website,
            country: v.country,
            region: v.region.map(|r| r.as_str().into()),
            partner_type: v.partner_type.as_str().into(),
            specialisations: Json(
                serde_json::to_value(&v.specialisations).map_err(anyhow::Error::from)?,
            ),
            employees: input.employees.map(i64::from),
            founded_year: input.founded_year.map(i64::from),
            customers: input.customers.map(i64::from),
            description: v.description,
            contact_name: v.contact_name.to_string(),
            contact_email: v.contact_email.to_string(),
            contact_phone: v.contact_phone,
            fit_score: None,
            ipp_version: None,
            reviewer_id: None,
            decided_at: None,
            decision_reason: None,
            org_id: None,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row).await?;
        self.score_application_in(&mut tx, row.id, now).await?;
        let app = Application::try_from(
            store::find(&mut tx.exec(), row.id)
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        let product = self.config().product_name.clone();
        email::queue(
            &mut tx,
            &EmailMessage {
                to: app.contact_email.clone(),
                subject: format!(
                    "We received your partner application ({})",
                    app.company_name
                ),
                body: format!(
                    "Hello {name},\n\nthank you for applying to become a partner. A channel \
                     manager will review the application of {company} and answer by e-mail.\n\n\
                     — {product}\n",
                    name = app.contact_name,
                    company = app.company_name,
                ),
            },
            now,
            self.config().job_max_attempts,
        )
        .await?;
        self.notify_reviewers(&mut tx, &app, now).await?;
        self.record(
            &mut tx,
            &Actor::System,
            now,
            Change {
                action: "partner.applied",
                object_type: "application",
                object_id: app.id.to_string(),
                org_id: None,
                summary: format!("{} applied to the partner program", app.company_name),
                before: None,
                after: Some(json!(app)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(app)
    }

    /// Applications in a status (all when `None`), oldest first.
    pub async fn list_applications(
        &self,
        actor: &Actor,
        status: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Application>> {
        require_vendor_reader(actor)?;
        if let Some(s) = status
            && !matches!(s, "pending" | "approved" | "rejected")
        {
            return Err(Error::field(
                "status",
                "must be pending, approved or rejected",
            ));
        }
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), status, cursor.as_ref(), limit).await?;
        let next = rows.next;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(Application::try_from)
                .collect::<Result<_>>()?,
            next,
        })
    }

    /// Applications per status.
    pub async fn application_counts(&self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        Ok(store::counts(&mut c.exec()).await?)
    }

    /// One application with its fit breakdown.
    pub async fn get_application(
        &self,
        actor: &Actor,
        id: ApplicationId,
    ) -> Result<ApplicationDetail> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        let application = Application::try_from(
            store::find(&mut c.exec(), id.as_uuid())
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        let fit = trellis_store::partners::ipp::scores(&mut c.exec(), "application", id.as_uuid())
            .await?
            .into_iter()
            .next()
            .map(ScoredFit::try_from)
            .transpose()?;
        let contact_has_account =
            user_store::find_by_email(&mut c.exec(), &application.contact_email)
                .await?
                .is_some();
        Ok(ApplicationDetail {
            application,
            fit,
            contact_has_account,
        })
    }

    /// Approves a pending application: creates the partner organisation with its profile,
    /// checklist and first tier, and invites the applicant as its partner admin.
    pub async fn approve_application(
        &self,
        actor: &Actor,
        id: ApplicationId,
        version: i64,
        approval: &Approval,
    ) -> Result<(Application, Partner)> {
        actor.require(Permission::ApplicationsReview)?;
        let reason = optional_reason(approval.reason.as_deref())?;
        let mut tx = self.db().begin().await?;
        let row = self.pending(&mut tx, id, version).await?;
        let app = Application::try_from(row.clone())?;
        if user_store::find_by_email(&mut tx.exec(), &app.contact_email)
            .await?
            .is_some()
        {
            return Err(Error::field(
                "contact_email",
                "a user with this e-mail address already exists, so the applicant cannot be \
                 invited as the new partner's admin; reject the application or ask the \
                 applicant to apply with another address",
            ));
        }
        let now = self.now();
        let org = insert_org(&mut tx, &app, now).await?;
        let mut partner = Box::pin(self.admit_partner(
            &mut tx,
            actor,
            &org,
            Admission {
                description: app.description.clone(),
                employees: app.employees,
                founded_year: app.founded_year,
                customers: app.customers,
                specialisations: app.specialisations.clone(),
                tier: None,
            },
            "application approved",
            now,
        ))
        .await?;
        // The reviewing channel manager takes the partner on unless told otherwise.
        let owner = approval.owner_id.or_else(|| {
            actor
                .user()
                .filter(|u| u.role == Role::ChannelManager)
                .map(|u| u.user_id)
        });
        if let Some(owner) = owner {
            let patch = super::PartnerPatch {
                owner_id: Some(Some(owner)),
                ..Default::default()
            };
            partner = self
                .update_partner_in(&mut tx, actor, partner.id, None, &patch, now)
                .await?;
        }
        let invitee = crate::platform::users::Invitee {
            email: &app.contact_email,
            name: &app.contact_name,
            role: Role::PartnerAdmin,
        };
        self.invite_in(&mut tx, actor, &org, &invitee, now).await?;
        let decided = ApplicationRow {
            status: "approved".into(),
            reviewer_id: actor.user().map(|u| u.user_id.as_uuid()),
            decided_at: Some(now.millis()),
            decision_reason: reason,
            org_id: Some(org.id),
            ..row
        };
        if !store::decide(&mut tx.exec(), &decided, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let app = Application::try_from(ApplicationRow {
            version: version + 1,
            ..decided
        })?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.approved",
                object_type: "partner",
                object_id: partner.id.to_string(),
                org_id: Some(partner.id),
                summary: format!("approved the application of {}", app.company_name),
                before: None,
                after: Some(json!({"application": app, "partner": partner})),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok((app, partner))
    }

    /// Rejects a pending application with a reason, optionally telling the applicant.
    pub async fn reject_application(
        &self,
        actor: &Actor,
        id: ApplicationId,
        version: i64,
        reason: &str,
        notify: bool,
    ) -> Result<Application> {
        actor.require(Permission::ApplicationsReview)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::field(
                "reason",
                "is required: say why the application is rejected",
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(Error::field("reason", "must be at most 1,000 characters"));
        }
        let mut tx = self.db().begin().await?;
        let row = self.pending(&mut tx, id, version).await?;
        let now = self.now();
        let decided = ApplicationRow {
            status: "rejected".into(),
            reviewer_id: actor.user().map(|u| u.user_id.as_uuid()),
            decided_at: Some(now.millis()),
            decision_reason: Some(reason.into()),
            ..row
        };
        if !store::decide(&mut tx.exec(), &decided, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let app = Application::try_from(ApplicationRow {
            version: version + 1,
            ..decided
        })?;
        if notify {
            email::queue(
                &mut tx,
                &EmailMessage {
                    to: app.contact_email.clone(),
                    subject: format!("Your partner application ({})", app.company_name),
                    body: format!(
                        "Hello {name},\n\nthank you for your interest in our partner program. \
                         We have decided not to go ahead with the application of {company} at \
                         this time.\n\nThe reviewer's note: {reason}\n\n— {product}\n",
                        name = app.contact_name,
                        company = app.company_name,
                        product = self.config().product_name,
                    ),
                },
                now,
                self.config().job_max_attempts,
            )
            .await?;
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.rejected",
                object_type: "application",
                object_id: app.id.to_string(),
                org_id: None,
                summary: format!(
                    "rejected the application of {} ({reason})",
                    app.company_name
                ),
                before: None,
                after: Some(json!(app)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(app)
    }

    /// Scores one application with the current IPP inside `tx`.
    pub(crate) async fn score_application_in(
        &self,
        tx: &mut Tx,
        id: uuid::Uuid,
        now: Timestamp,
    ) -> Result<()> {
        let Some((version, ipp)) = current_ipp(&mut tx.exec()).await? else {
            return Ok(());
        };
        let Some(row) = store::find(&mut tx.exec(), id).await? else {
            return Ok(());
        };
        let app = Application::try_from(row)?;
        let fit = ipp.score(&trellis_domain::partners::ipp::FitProfile {
            partner_type: Some(app.partner_type),
            region: app.region,
            country: app.country.clone(),
            specialisations: app.specialisations.clone(),
            employees: app.employees,
            years_in_business: app
                .founded_year
                .and_then(|y| u32::try_from(now.year() - y).ok()),
            customers: app.customers,
        });
        put_score(&mut tx.exec(), "application", id, version, &fit, now).await?;
        store::set_fit(&mut tx.exec(), id, i64::from(fit.score), version).await?;
        Ok(())
    }

    async fn pending(
        &self,
        tx: &mut Tx,
        id: ApplicationId,
        version: i64,
    ) -> Result<ApplicationRow> {
        let row = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if row.status != "pending" {
            return Err(Error::InvalidState(
                "this application has already been decided",
            ));
        }
        if row.version != version {
            return Err(Error::StaleVersion {
                current: row.version,
            });
        }
        Ok(row)
    }

    /// Tells vendor admins and channel managers that an application is waiting.
    async fn notify_reviewers(&self, tx: &mut Tx, app: &Application, now: Timestamp) -> Result<()> {
        let reviewers = user_store::reviewers(&mut tx.exec()).await?;
        let link = self
            .config()
            .link(&format!("/console/applications/{}", app.id));
        let fit = app.fit_score.map_or_else(
            || "not scored (no Ideal Partner Profile yet)".to_owned(),
            |s| format!("{s}/100"),
        );
        for to in reviewers {
            email::queue(
                tx,
                &EmailMessage {
                    to,
                    subject: format!("New partner application: {}", app.company_name),
                    body: format!(
                        "{company} applied to join the partner program as {kind}.\n\
                         Fit with the Ideal Partner Profile: {fit}.\n\nReview it here:\n{link}\n",
                        company = app.company_name,
                        kind = app.partner_type.label(),
                    ),
                },
                now,
                self.config().job_max_attempts,
            )
            .await?;
        }
        Ok(())
    }
}

struct Valid {
    company_name: PersonName,
    website: Option<String>,
    country: Option<String>,
    region: Option<Region>,
    partner_type: PartnerType,
    specialisations: Specialisations,
    description: String,
    contact_name: PersonName,
    contact_email: Email,
    contact_phone: String,
}

fn validate(input: &ApplicationInput, now: Timestamp) -> Result<Valid> {
    let mut e = FieldErrors::new();
    let company_name = e.check("company_name", PersonName::parse(&input.company_name));
    let website = match input
        .website
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(w) => e.check("website", WebUrl::parse(w)).map(|u| u.to_string()),
    };
    let country = match input
        .country
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => check_country(&mut e, "country", c),
    };
    let region = match input
        .region
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(r) => e.check("region", r.parse::<Region>()),
    };
    let partner_type = if input.partner_type.trim().is_empty() {
        e.add(
            "partner_type",
            "is required: choose how you want to partner",
        );
        None
    } else {
        e.check(
            "partner_type",
            input.partner_type.trim().parse::<PartnerType>(),
        )
    };
    let specialisations = Some(Specialisations::parse(
        &input.industries,
        &input.technologies,
        &input.segments,
        &input.regions_served,
        &mut e,
    ));
    let description = input.description.trim().to_owned();
    let len = description.chars().count();
    if len < 20 {
        e.add(
            "description",
            "is too short: tell us in a few sentences what your company does (at least 20 characters)",
        );
    } else if len > 2000 {
        e.add("description", "must be at most 2,000 characters");
    }
    if let Some(y) = input.founded_year
        && !(1800..=now.year()).contains(&y)
    {
        e.add(
            "founded_year",
            format!("must be between 1800 and {}", now.year()),
        );
    }
    let (contact_name, contact_email, contact_phone) = validate_contact(&mut e, input);
    e.into_result()?;
    match (
        company_name,
        partner_type,
        specialisations,
        contact_name,
        contact_email,
    ) {
        (
            Some(company_name),
            Some(partner_type),
            Some(specialisations),
            Some(contact_name),
            Some(contact_email),
        ) => Ok(Valid {
            company_name,
            website,
            country,
            region,
            partner_type,
            specialisations,
            description,
            contact_name,
            contact_email,
            contact_phone,
        }),
        _ => Err(Error::Internal(anyhow::anyhow!(
            "validated application fields missing"
        ))),
    }
}

/// A trimmed optional note of at most 1,000 characters.
fn optional_reason(reason: Option<&str>) -> Result<Option<String>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(Error::field("reason", "must be at most 1,000 characters"));
    }
    Ok(reason.map(str::to_owned))
}

fn validate_contact(
    e: &mut FieldErrors,
    input: &ApplicationInput,
) -> (Option<PersonName>, Option<Email>, String) {
    let name = e.check("contact_name", PersonName::parse(&input.contact_name));
    let email = e.check("contact_email", Email::parse(&input.contact_email));
    let phone = input.contact_phone.trim().to_owned();
    if !valid_phone(&phone) {
        e.add(
            "contact_phone",
            "may contain digits, spaces and + - ( ) . / only, at most 40 characters",
        );
    }
    (name, email, phone)
}

/// Digits, spaces and `+ - ( ) . /`, at most 40 characters (empty is fine).
pub(crate) fn valid_phone(phone: &str) -> bool {
    phone.chars().count() <= 40
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
}

/// Inserts the organisation of an approved application.
async fn insert_org(tx: &mut Tx, app: &Application, now: Timestamp) -> Result<org_store::OrgRow> {
    let org = org_store::OrgRow {
        id: OrgId::new().as_uuid(),
        kind: OrgKind::Partner.as_str().into(),
        name: app.company_name.clone(),
        slug: free_slug(tx, &app.company_name).await?,
        partner_type: Some(app.partner_type.as_str().into()),
        tier: None,
        region: app.region.map(|r| r.as_str().into()),
        country: app.country.clone(),
        website: app.website.clone(),
        version: 1,
        created_at: now.millis(),
        updated_at: now.millis(),
    };
    org_store::insert(&mut tx.exec(), &org).await?;
    Ok(org)
}

/// A slug derived from the name that no organisation uses yet (`acme`, `acme-2`, …).
async fn free_slug(tx: &mut Tx, name: &str) -> Result<String> {
    let base = Slug::from_name(name).map_or_else(|_| "partner".to_owned(), |s| s.to_string());
    let base: String = base
        .chars()
        .take(44)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned();
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if org_store::find_by_slug(&mut tx.exec(), &candidate)
            .await?
            .is_none()
        {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict(
        "could not find a free handle for this organisation".into(),
    ))
}
