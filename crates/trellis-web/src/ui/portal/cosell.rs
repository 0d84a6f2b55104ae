//! Co-sell in the portal: the shared list and request pages, and asking the vendor for
//! support on one of the partner's registrations (or a customer by name).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::DealRegistrationId;
use trellis_domain::cosell::Direction;
use trellis_domain::deals::DealStatus;
use trellis_service::cosell::CoSellInput;
use trellis_service::deals::DealQuery;
use trellis_service::platform::PageRequest;

use crate::ui::book::RouteBook;
use crate::ui::cosell::{self as shared, PORTAL};
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, Query, filter, rerender};
use crate::ui::session::PartnerSession;
use crate::ui::view::{Choice, Chrome};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/portal/co-sell/new", new)
        .post("/portal/co-sell", create);
    shared::routes::<PartnerSession>(book, &PORTAL)
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/cosell_new.html")]
struct NewPage {
    chrome: Chrome,
    registrations: Vec<Choice>,
    kinds: Vec<Choice>,
    customer_name: String,
    message: String,
    errors: Errors,
}

impl NewPage {
    /// The form: the partner's pending and approved registrations (the newest 200 of each)
    /// to choose from.
    async fn load(s: &PartnerSession, form: &FormData, errors: Errors) -> PageResult<Self> {
        let mut live = Vec::new();
        for status in [DealStatus::Pending, DealStatus::Approved] {
            let q = DealQuery {
                status: Some(status),
                ..DealQuery::default()
            };
            let page = PageRequest {
                cursor: None,
                limit: Some(200),
            };
            live.extend(s.services.list_deals(&s.actor, &q, &page).await?.items);
        }
        live.sort_by(|a, b| a.company_name.cmp(&b.company_name));
        let labels: Vec<(String, String)> = live
            .iter()
            .map(|r| {
                let label = format!(
                    "{} – {} ({}, {})",
                    r.company_name,
                    r.product,
                    r.reference,
                    r.status.label().to_lowercase()
                );
                (r.id.to_string(), label)
            })
            .collect();
        let registrations = Choice::list(
            std::iter::once(("", "None: I name the customer below"))
                .chain(labels.iter().map(|(id, l)| (id.as_str(), l.as_str()))),
            &form.text("registration_id"),
        );
        Ok(Self {
            chrome: s.chrome("Ask the vendor for support"),
            registrations,
            kinds: shared::kind_choices(Direction::ToVendor, &form.text("kind")),
            customer_name: form.text("customer_name"),
            message: form.text("message"),
            errors,
        })
    }
}

/// The form, with a registration chosen when given (`?registration=`).
async fn new(s: PartnerSession, q: Query) -> PageResult {
    let form = FormData::from_pairs([("registration_id", q.text("registration"))]);
    Ok(NewPage::load(&s, &form, Errors::none())
        .await?
        .into_response())
}

async fn create(s: PartnerSession, CsrfForm(form): CsrfForm) -> PageResult {
    let registration =
        filter::<DealRegistrationId>("registration_id", &form.text("registration_id"));
    let result = match registration {
        Ok(registration_id) => {
            let input = CoSellInput {
                kind: form.text("kind"),
                message: form.text("message"),
                registration_id,
                customer_name: form.text("customer_name"),
                ..CoSellInput::default()
            };
            s.services.request_cosell(&s.actor, &input).await
        }
        Err(_) => Err(trellis_service::Error::field(
            "registration_id",
            "is not one of the choices",
        )),
    };
    match result {
        Ok(r) => Ok(s.redirect(
            &format!("/portal/co-sell/{}", r.id),
            &Flash::success(format!(
                "Asked the vendor for support ({}). The vendor's team was e-mailed.",
                r.reference
            )),
        )),
        Err(e) => {
            let page = NewPage::load(&s, &form, Errors::none()).await?;
            rerender(e, |errors| NewPage { errors, ..page })
        }
    }
}
