//! Co-sell in the console: the shared list and request pages, asking a partner for help on an
//! account or one of its opportunities (reached from the account's and the opportunity's
//! pages), and the comp-credit report.

mod credit;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::cosell::Direction;
use trellis_domain::{AccountId, OpportunityId, OrgId};
use trellis_service::cosell::CoSellInput;
use trellis_service::crm::{Account, Opportunity};

use crate::ui::book::RouteBook;
use crate::ui::cosell::{self as shared, CONSOLE};
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, Query, filter, rerender};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/console/co-sell/new", new)
        .post("/console/co-sell", create);
    credit::routes(shared::routes::<VendorSession>(book, &CONSOLE))
}

#[derive(Template, WebTemplate)]
#[template(path = "console/cosell_new.html")]
struct NewPage {
    chrome: Chrome,
    account: Option<Account>,
    opportunity: Option<Opportunity>,
    partners: Vec<Choice>,
    kinds: Vec<Choice>,
    message: String,
    errors: Errors,
}

impl NewPage {
    async fn load(s: &VendorSession, form: &FormData, errors: Errors) -> PageResult<Self> {
        let opportunity =
            match filter::<OpportunityId>("opportunity_id", &form.text("opportunity_id"))? {
                Some(id) => Some(s.services.get_opportunity(&s.actor, id).await?),
                None => None,
            };
        let account_id = filter::<AccountId>("account_id", &form.text("account_id"))?
            .or_else(|| opportunity.as_ref().and_then(|o| o.account_id));
        let account = match account_id {
            Some(id) => Some(s.services.get_account(&s.actor, id).await?),
            None => None,
        };
        let partners = shared::partners(s).await?;
        Ok(Self {
            chrome: s.chrome("Ask a partner for help"),
            account,
            opportunity,
            partners: shared::org_choices(&partners, &form.text("partner_id"), "Choose a partner"),
            kinds: shared::kind_choices(Direction::ToPartner, &form.text("kind")),
            message: form.text("message"),
            errors,
        })
    }
}

/// The form, for the account (`?account=`) or opportunity (`?opportunity=`) it is about.
async fn new(s: VendorSession, q: Query) -> PageResult {
    let form = FormData::from_pairs([
        ("account_id", q.text("account")),
        ("opportunity_id", q.text("opportunity")),
        ("partner_id", q.text("partner")),
    ]);
    Ok(NewPage::load(&s, &form, Errors::none())
        .await?
        .into_response())
}

async fn create(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let mut bad = trellis_domain::FieldErrors::new();
    let mut id = |field: &str| {
        let raw = form.text(field);
        if let Ok(v) = filter::<uuid::Uuid>(field, &raw) {
            v
        } else {
            bad.add(field, "is not one of the choices");
            None
        }
    };
    let input = CoSellInput {
        kind: form.text("kind"),
        message: form.text("message"),
        partner_id: id("partner_id").map(OrgId::from_uuid),
        account_id: id("account_id").map(AccountId::from_uuid),
        opportunity_id: id("opportunity_id").map(OpportunityId::from_uuid),
        ..CoSellInput::default()
    };
    let result = if bad.is_empty() {
        s.services.request_cosell(&s.actor, &input).await
    } else {
        Err(trellis_service::Error::Validation(bad))
    };
    match result {
        Ok(r) => Ok(s.redirect(
            &format!("/console/co-sell/{}", r.id),
            &Flash::success(format!(
                "Asked {} for help ({}). Their admins were e-mailed.",
                r.partner_name, r.reference
            )),
        )),
        Err(e) => {
            let page = NewPage::load(&s, &form, Errors::none()).await?;
            rerender(e, |errors| NewPage { errors, ..page })
        }
    }
}
