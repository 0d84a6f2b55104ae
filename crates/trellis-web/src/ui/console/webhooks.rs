//! Webhook endpoints: list, create (the signing secret is shown once), the endpoint's page with
//! its delivery attempts and "replay", edit, enable/disable, secret rotation and deletion (after
//! a confirmation page).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{EventId, FieldErrors, WebhookEndpointId};
use trellis_service::platform::PageRequest;
use trellis_service::platform::webhooks::{Attempt, Endpoint, EndpointInput};

use super::super::book::RouteBook;
use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, Query, rerender};
use super::super::session::VendorSession;
use super::super::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/webhooks", index)
        .post("/console/webhooks", create)
        .get("/console/webhooks/new", new)
        .get("/console/webhooks/{id}", show)
        .get("/console/webhooks/{id}/edit", edit)
        .post("/console/webhooks/{id}/edit", update)
        .post("/console/webhooks/{id}/enabled", set_enabled)
        .post("/console/webhooks/{id}/rotate-secret", rotate)
        .get("/console/webhooks/{id}/delete", confirm_delete)
        .post("/console/webhooks/{id}/delete", delete)
        .post("/console/webhooks/{id}/replay", replay)
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhooks.html")]
struct ListPage {
    chrome: Chrome,
    endpoints: Vec<Endpoint>,
    paged: bool,
    next: Option<String>,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let cursor = q.opt("cursor");
    let list = s
        .services
        .list_webhooks(
            &s.actor,
            &PageRequest {
                cursor: cursor.clone(),
                limit: None,
            },
        )
        .await?;
    let page = ListPage {
        chrome: s.chrome("Webhooks"),
        endpoints: list.items,
        paged: cursor.is_some(),
        next: list
            .next
            .map(|c| Query::link("/console/webhooks", &[("cursor", &c.encode())])),
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhook_form.html")]
struct FormPage {
    chrome: Chrome,
    endpoint: Option<Endpoint>,
    action: String,
    url: String,
    description: String,
    events: String,
    enabled: bool,
    version: i64,
    errors: Errors,
}

impl FormPage {
    fn new(
        s: &VendorSession,
        endpoint: Option<Endpoint>,
        input: &EndpointInput,
        version: i64,
        errors: Errors,
    ) -> Self {
        let (title, action) = match &endpoint {
            Some(e) => (
                "Edit webhook".to_owned(),
                format!("/console/webhooks/{}/edit", e.id),
            ),
            None => ("New webhook".to_owned(), "/console/webhooks".to_owned()),
        };
        Self {
            chrome: s.chrome(title),
            endpoint,
            action,
            url: input.url.clone(),
            description: input.description.clone(),
            events: input.event_filter.join(" "),
            enabled: input.enabled,
            version,
            errors,
        }
    }
}

fn input_of(form: &FormData) -> EndpointInput {
    EndpointInput {
        url: form.text("url").trim().to_owned(),
        description: form.text("description"),
        event_filter: form
            .text("event_filter")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        enabled: form.opt("enabled").is_some(),
    }
}

fn input_from(e: &Endpoint) -> EndpointInput {
    EndpointInput {
        url: e.url.clone(),
        description: e.description.clone(),
        event_filter: e.event_filter.clone(),
        enabled: e.enabled,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhook_secret.html")]
struct SecretPage {
    chrome: Chrome,
    endpoint: Endpoint,
    secret: String,
    rotated: bool,
}

async fn new(s: VendorSession) -> PageResult {
    s.actor
        .require(trellis_domain::Permission::WebhooksManage)?;
    let input = EndpointInput {
        enabled: true,
        event_filter: vec!["*".into()],
        ..EndpointInput::default()
    };
    Ok(FormPage::new(&s, None, &input, 0, Errors::none()).into_response())
}

async fn create(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let input = input_of(&form);
    match s.services.create_webhook(&s.actor, &input).await {
        Ok(created) => {
            let chrome = s.chrome("Webhook created");
            Ok(SecretPage {
                chrome,
                endpoint: created.endpoint,
                secret: created.secret,
                rotated: false,
            }
            .into_response())
        }
        Err(e) => rerender(e, |errors| FormPage::new(&s, None, &input, 0, errors)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhook.html")]
struct ShowPage {
    chrome: Chrome,
    endpoint: Endpoint,
    attempts: Vec<Attempt>,
    paged: bool,
    first: String,
    next: Option<String>,
}

async fn show(s: VendorSession, PageId(id): PageId<WebhookEndpointId>, q: Query) -> PageResult {
    let endpoint = s.services.get_webhook(&s.actor, id).await?;
    let cursor = q.opt("cursor");
    let attempts = s
        .services
        .list_webhook_attempts(
            &s.actor,
            id,
            &PageRequest {
                cursor: cursor.clone(),
                limit: Some(25),
            },
        )
        .await?;
    let first = format!("/console/webhooks/{id}");
    let page = ShowPage {
        chrome: s.chrome(endpoint.url.clone()),
        endpoint,
        attempts: attempts.items,
        paged: cursor.is_some(),
        next: attempts
            .next
            .map(|c| Query::link(&first, &[("cursor", &c.encode())])),
        first,
    };
    Ok(page.into_response())
}

async fn edit(s: VendorSession, PageId(id): PageId<WebhookEndpointId>) -> PageResult {
    let endpoint = s.services.get_webhook(&s.actor, id).await?;
    let (input, version) = (input_from(&endpoint), endpoint.version);
    Ok(FormPage::new(&s, Some(endpoint), &input, version, Errors::none()).into_response())
}

async fn update(
    s: VendorSession,
    PageId(id): PageId<WebhookEndpointId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let input = input_of(&form);
    match s
        .services
        .update_webhook(&s.actor, id, form.version(), &input, false)
        .await
    {
        Ok(_) => Ok(s.redirect(
            &format!("/console/webhooks/{id}"),
            &Flash::success("Saved the webhook."),
        )),
        Err(e) => {
            let current = s.services.get_webhook(&s.actor, id).await?;
            rerender(e, |errors| {
                FormPage::new(&s, Some(current), &input, form.version(), errors)
            })
        }
    }
}

async fn set_enabled(
    s: VendorSession,
    PageId(id): PageId<WebhookEndpointId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let current = s.services.get_webhook(&s.actor, id).await?;
    let enabled = form.text("enabled") == "true";
    let input = EndpointInput {
        enabled,
        ..input_from(&current)
    };
    s.services
        .update_webhook(&s.actor, id, form.version(), &input, false)
        .await?;
    let msg = if enabled {
        "Enabled the webhook; new events will be delivered."
    } else {
        "Disabled the webhook; no deliveries until you enable it again."
    };
    Ok(s.redirect(&format!("/console/webhooks/{id}"), &Flash::success(msg)))
}

async fn rotate(
    s: VendorSession,
    PageId(id): PageId<WebhookEndpointId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let current = s.services.get_webhook(&s.actor, id).await?;
    let updated = s
        .services
        .update_webhook(&s.actor, id, form.version(), &input_from(&current), true)
        .await?;
    let chrome = s.chrome("Secret rotated");
    Ok(SecretPage {
        chrome,
        endpoint: updated.endpoint,
        secret: updated.secret,
        rotated: true,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhook_delete.html")]
struct DeletePage {
    chrome: Chrome,
    endpoint: Endpoint,
}

async fn confirm_delete(s: VendorSession, PageId(id): PageId<WebhookEndpointId>) -> PageResult {
    let endpoint = s.services.get_webhook(&s.actor, id).await?;
    Ok(DeletePage {
        chrome: s.chrome("Delete webhook"),
        endpoint,
    }
    .into_response())
}

async fn delete(
    s: VendorSession,
    PageId(id): PageId<WebhookEndpointId>,
    _: CsrfForm,
) -> PageResult {
    s.services.delete_webhook(&s.actor, id).await?;
    Ok(s.redirect(
        "/console/webhooks",
        &Flash::success("Deleted the webhook and its delivery history."),
    ))
}

async fn replay(
    s: VendorSession,
    PageId(id): PageId<WebhookEndpointId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let Ok(event) = form.text("event_id").trim().parse::<EventId>() else {
        return Err(trellis_service::Error::Validation(FieldErrors::single(
            "event_id",
            "is not an event id",
        ))
        .into());
    };
    s.services.replay_webhook(&s.actor, id, event).await?;
    Ok(s.redirect(
        &format!("/console/webhooks/{id}"),
        &Flash::success(format!("Queued a new delivery of event {event}.")),
    ))
}
