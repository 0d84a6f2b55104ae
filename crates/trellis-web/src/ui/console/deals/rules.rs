//! The rules of engagement: the editor (program managers), what partners read, and every past
//! version with what changed from the one before. Saving always makes a new version;
//! registrations keep the version they were submitted under.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::deals::{AutoApproval, ConflictRule, EngagementPolicy};
use trellis_domain::money::parse_amount;
use trellis_domain::{Currency, FieldErrors, Money, Permission};
use trellis_service::deals::PolicyVersion;

use crate::ui::book::RouteBook;
use crate::ui::csrf::CsrfForm;
use crate::ui::error::{PageError, PageResult};
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, failed};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, currency_choices};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/deals/rules", show)
        .post("/console/deals/rules", save)
        .get("/console/deals/rules/versions/{version}", version)
}

/// The three conflict rules as the form shows them: used or not, and in which place.
struct RuleRow {
    key: &'static str,
    label: &'static str,
    used: bool,
    position: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/deal_rules.html")]
struct RulesPage {
    chrome: Chrome,
    current: PolicyVersion,
    history: Vec<PolicyVersion>,
    can_edit: bool,
    form: FormData,
    rules: Vec<RuleRow>,
    tiers: Vec<Choice>,
    currencies: Vec<Choice>,
    errors: Errors,
}

const RULES: [(&str, &str); 3] = [
    ("existing_customer", "Existing customers are house accounts"),
    (
        "direct_opportunity",
        "A direct opportunity with recent activity wins",
    ),
    ("first_registration", "The first valid registration wins"),
];

/// The form's fields for a policy.
fn form_of(p: &EngagementPolicy, version: i64) -> FormData {
    // The direct-opportunity rule's window, or a sensible one to offer when it is off.
    let activity_days = p
        .conflict_rules
        .iter()
        .find_map(|r| match r {
            ConflictRule::DirectOpportunity { activity_days } => Some(*activity_days),
            _ => None,
        })
        .unwrap_or(60);
    let mut pairs: Vec<(&str, String)> = vec![
        ("version", version.to_string()),
        ("protection_days", p.protection_days.to_string()),
        ("extension_days", p.extension_days.to_string()),
        ("max_extensions", p.max_extensions.to_string()),
        ("expiry_warning_days", p.expiry_warning_days.to_string()),
        ("approval_sla_hours", p.approval_sla_hours.to_string()),
        (
            "match_threshold_percent",
            p.match_threshold_percent.to_string(),
        ),
        ("activity_days", activity_days.to_string()),
        ("notes", p.notes.clone()),
    ];
    for (i, rule) in p.conflict_rules.iter().enumerate() {
        let key = rule.id().as_str();
        pairs.push(("rule", key.to_owned()));
        pairs.push((position_name(key), (i + 1).to_string()));
    }
    let a = &p.auto_approval;
    if a.enabled {
        pairs.push(("auto_enabled", "on".into()));
    }
    if let Some(rank) = a.min_tier_rank {
        pairs.push(("auto_min_tier_rank", rank.to_string()));
    }
    if let Some(m) = a.max_amount {
        let text = m.format();
        let figure = text.split_once(' ').map_or(text.as_str(), |(_, f)| f);
        pairs.push(("auto_max_amount", figure.to_owned()));
        pairs.push(("auto_currency", m.currency.code().to_owned()));
    }
    FormData::from_pairs(pairs)
}

fn position_name(key: &str) -> &'static str {
    match key {
        "existing_customer" => "position_existing_customer",
        "direct_opportunity" => "position_direct_opportunity",
        _ => "position_first_registration",
    }
}

/// Reads the policy from the form; what cannot be read is a field error (the service checks
/// the bounds).
fn policy_of(form: &FormData) -> Result<EngagementPolicy, FieldErrors> {
    let mut e = FieldErrors::new();
    let number = |name: &str, e: &mut FieldErrors| -> u32 {
        let v = form.whole_number::<u32>(name, e);
        if v.is_none() && form.opt(name).is_none() {
            e.add(name, "is required");
        }
        v.unwrap_or(0)
    };
    let small = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let tiny = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    let protection_days = small(number("protection_days", &mut e));
    let extension_days = small(number("extension_days", &mut e));
    let max_extensions = tiny(number("max_extensions", &mut e));
    let expiry_warning_days = small(number("expiry_warning_days", &mut e));
    let approval_sla_hours = small(number("approval_sla_hours", &mut e));
    let match_threshold_percent = tiny(number("match_threshold_percent", &mut e));
    let used = form.all("rule");
    let mut chosen: Vec<(u32, usize, ConflictRule)> = Vec::new();
    for (i, (key, _)) in RULES.iter().enumerate() {
        if !used.iter().any(|u| u == key) {
            continue;
        }
        let rule = match *key {
            "existing_customer" => ConflictRule::ExistingCustomer,
            "direct_opportunity" => ConflictRule::DirectOpportunity {
                activity_days: small(number("activity_days", &mut e)),
            },
            _ => ConflictRule::FirstRegistration,
        };
        let place = form
            .whole_number::<u32>(position_name(key), &mut e)
            .unwrap_or(u32::try_from(i).unwrap_or(0) + 1);
        chosen.push((place, i, rule));
    }
    chosen.sort_by_key(|(place, i, _)| (*place, *i));
    let currency = Currency::parse(form.text("auto_currency").trim());
    let max_amount = match form.opt("auto_max_amount") {
        None => None,
        Some(text) => match currency {
            Ok(c) => match parse_amount(&text, c) {
                Ok(minor) => Some(Money::new(minor, c)),
                Err(err) => {
                    e.add("auto_max_amount", err.to_string());
                    None
                }
            },
            Err(err) => {
                e.add("auto_currency", err.to_string());
                None
            }
        },
    };
    let policy = EngagementPolicy {
        protection_days,
        extension_days,
        max_extensions,
        expiry_warning_days,
        approval_sla_hours,
        match_threshold_percent,
        conflict_rules: chosen.into_iter().map(|(_, _, r)| r).collect(),
        auto_approval: AutoApproval {
            enabled: form.opt("auto_enabled").is_some(),
            min_tier_rank: form.opt("auto_min_tier_rank").and_then(|r| r.parse().ok()),
            max_amount,
        },
        notes: form.text("notes"),
    };
    e.into_result()?;
    Ok(policy)
}

async fn page(s: &VendorSession, form: FormData, errors: Errors) -> PageResult<RulesPage> {
    let current = s.services.engagement_policy(&s.actor).await?;
    let history = s.services.engagement_policy_history(&s.actor).await?;
    let used = form.all("rule");
    let rules = RULES
        .iter()
        .map(|(key, label)| RuleRow {
            key,
            label,
            used: used.iter().any(|u| u == key),
            position: form.text(position_name(key)),
        })
        .collect();
    let tiers = s.services.list_tiers(&s.actor).await?;
    let min_rank = form.text("auto_min_tier_rank");
    let mut tier_choices = vec![Choice {
        value: String::new(),
        label: "Any tier".into(),
        selected: min_rank.is_empty(),
    }];
    tier_choices.extend(tiers.iter().map(|t| Choice {
        value: t.def.rank.to_string(),
        label: format!("{} or better", t.def.name),
        selected: min_rank == t.def.rank.to_string(),
    }));
    let currencies = currency_choices(&form.text("auto_currency"));
    Ok(RulesPage {
        chrome: s.chrome("Rules of engagement"),
        can_edit: s.can(Permission::ProgramManage),
        current,
        history,
        form,
        rules,
        tiers: tier_choices,
        currencies,
        errors,
    })
}

async fn show(s: VendorSession) -> PageResult {
    let current = s.services.engagement_policy(&s.actor).await?;
    let form = form_of(&current.policy, current.version);
    Ok(page(&s, form, Errors::none()).await?.into_response())
}

async fn save(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let policy = match policy_of(&form) {
        Ok(p) => p,
        Err(fe) => {
            let page = page(&s, form, Errors::fields(fe)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match s
        .services
        .save_engagement_policy(&s.actor, form.version(), policy, &form.text("note"))
        .await
    {
        Ok(saved) => Ok(s.redirect(
            "/console/deals/rules",
            &Flash::success(format!(
                "Saved version {} of the rules of engagement. New registrations follow it; \
                 earlier ones keep the version they were submitted under.",
                saved.version
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            Ok((status, page(&s, form, errors).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/deal_rules_version.html")]
struct VersionPage {
    chrome: Chrome,
    v: PolicyVersion,
    /// Sentences of the rules this version added, and those it dropped, against the one
    /// before.
    added: Vec<String>,
    removed: Vec<String>,
    previous: Option<i64>,
}

async fn version(
    s: VendorSession,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> PageResult {
    let n: i64 = raw.parse().map_err(|_| PageError::not_found_page())?;
    let v = s.services.engagement_policy_version(&s.actor, n).await?;
    let before = if n > 1 {
        Some(
            s.services
                .engagement_policy_version(&s.actor, n - 1)
                .await?,
        )
    } else {
        None
    };
    let now = v.summary();
    let then = before
        .as_ref()
        .map(PolicyVersion::summary)
        .unwrap_or_default();
    let page = VersionPage {
        chrome: s.chrome(format!("Rules of engagement, version {n}")),
        added: now.iter().filter(|l| !then.contains(l)).cloned().collect(),
        removed: then.iter().filter(|l| !now.contains(l)).cloned().collect(),
        previous: before.map(|b| b.version),
        v,
    };
    Ok(page.into_response())
}
