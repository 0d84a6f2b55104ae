//! CRM data: accounts, their contacts and opportunities. A CRM connector writes them with
//! `PUT …/{source_system}/{external_id}` (create or update; the same values again change
//! nothing) and archives what the CRM deleted with `DELETE` on the same path.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_domain::crm::{OpportunityStatus, Relationship};
use trellis_domain::money::Money;
use trellis_domain::{AccountId, CrmContactId, OpportunityId, Timestamp, UserId};
use trellis_service::Services;
use trellis_service::crm::{
    Account, AccountInput, AccountQuery, CrmContact, CrmContactInput, CrmContactQuery, Opportunity,
    OpportunityInput, OpportunityQuery, Written,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Paging, instant, instant_opt, list_type};
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts))
        .routes(routes!(get_account))
        .routes(routes!(put_account, archive_account))
        .routes(routes!(list_contacts))
        .routes(routes!(get_contact))
        .routes(routes!(put_contact, archive_contact))
        .routes(routes!(list_opportunities))
        .routes(routes!(get_opportunity))
        .routes(routes!(put_opportunity, archive_opportunity))
}

/// The key of a record in its CRM.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RecordKey {
    /// The system the record comes from: `salesforce`, `hubspot`, `csv`, … (lower case).
    pub source_system: String,
    /// The record's id there.
    pub external_id: String,
}

/// A write of a record found by its CRM key.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Only write if the record is still at this version (409 otherwise).
    pub version: Option<i64>,
}

/// Money: integer minor units and an ISO 4217 code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount_minor": 4_500_000, "currency": "EUR"}))]
pub struct MoneyDto {
    /// Amount in the currency's minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(m: Money) -> Self {
        Self {
            amount_minor: m.amount_minor,
            currency: m.currency.code().to_owned(),
        }
    }
}

/// 201 with the record when it was created, 200 otherwise.
fn written<T: Serialize>(body: T, written: Written) -> Response {
    let status = if written == Written::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

// ----- accounts -----

/// A vendor account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Source system.
    pub source_system: String,
    /// Id in the source system.
    pub external_id: String,
    /// Company name.
    pub name: String,
    /// Website as sent.
    pub website: String,
    /// Registrable domain of the website (empty when none could be read).
    pub domain: String,
    /// ISO 3166-1 alpha-2, or empty.
    pub country: String,
    /// City.
    pub city: String,
    /// Industry.
    pub industry: String,
    /// Employees.
    pub employees: Option<i64>,
    /// The CRM's account type, as sent.
    pub account_type: String,
    /// `customer`, `prospect`, `partner` or `other`, read from the type.
    pub relationship: Relationship,
    /// Owning vendor user, when the owner sent is one.
    pub owner_id: Option<uuid::Uuid>,
    /// Owner as sent.
    pub owner_name: String,
    /// Phone.
    pub phone: String,
    /// Other fields.
    pub attributes: serde_json::Value,
    /// Archived (deleted in the CRM).
    pub archived: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: String,
    /// Changed.
    pub updated_at: String,
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.as_uuid(),
            source_system: a.source_system,
            external_id: a.external_id,
            name: a.name,
            website: a.website,
            domain: a.domain,
            country: a.country,
            city: a.city,
            industry: a.industry,
            employees: a.employees,
            account_type: a.account_type,
            relationship: a.relationship,
            owner_id: a.owner_id.map(UserId::as_uuid),
            owner_name: a.owner_name,
            phone: a.phone,
            attributes: a.attributes,
            archived: a.archived,
            version: a.version,
            created_at: instant(a.created_at),
            updated_at: instant(a.updated_at),
        }
    }
}

/// An account's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Corporation", "website": "https://www.acme.example", "country": "DE", "city": "Berlin", "industry": "Manufacturing", "employees": 1200, "account_type": "Customer - Direct", "owner": "rep@vendor.example", "phone": "+49 30 1234567", "attributes": {"Segment": "Enterprise"}}))]
pub struct AccountBody {
    /// Company name.
    pub name: String,
    /// Website or domain.
    #[serde(default)]
    pub website: String,
    /// Country code or name.
    #[serde(default)]
    pub country: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Industry.
    #[serde(default)]
    pub industry: String,
    /// Employees.
    #[serde(default)]
    pub employees: Option<i64>,
    /// The CRM's account type ("Customer - Direct", "Prospect", a lifecycle stage).
    #[serde(default)]
    pub account_type: String,
    /// Owner: e-mail address or name of a vendor user.
    #[serde(default)]
    pub owner: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Other fields, name to text.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

list_type!(AccountList, AccountDto);

/// Account filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountParams {
    /// Name substring or domain prefix.
    pub q: Option<String>,
    /// `customer`, `prospect`, `partner` or `other`.
    pub relationship: Option<Relationship>,
    /// Owning user.
    pub owner_id: Option<uuid::Uuid>,
    /// Include archived accounts.
    #[serde(default)]
    pub include_archived: bool,
    /// Paging.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: Option<usize>,
}

/// Accounts by name.
#[utoipa::path(get, path = "/accounts", tag = "crm", operation_id = "list_accounts", params(AccountParams),
    responses((status = 200, body = AccountList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_accounts(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<AccountParams>,
) -> ApiResult<Json<AccountList>> {
    let q = AccountQuery {
        q: p.q,
        relationship: p.relationship,
        owner_id: p.owner_id.map(UserId::from_uuid),
        include_archived: p.include_archived,
    };
    let paging = Paging {
        cursor: p.cursor,
        limit: p.limit,
    };
    let page = s.list_accounts(&actor, &q, &(&paging).into()).await?;
    Ok(Json(AccountList::from_page(page, AccountDto::from)))
}

/// One account.
#[utoipa::path(get, path = "/accounts/{id}", tag = "crm", operation_id = "get_account",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    responses((status = 200, body = AccountDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_account(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<AccountId>,
) -> ApiResult<Json<AccountDto>> {
    Ok(Json(s.get_account(&actor, id).await?.into()))
}

/// Creates or updates the account the CRM knows by this key (201 when created).
#[utoipa::path(put, path = "/accounts/{source_system}/{external_id}", tag = "crm", operation_id = "put_account",
    request_body = AccountBody, params(RecordKey, WriteParams),
    responses((status = 200, body = AccountDto), (status = 201, body = AccountDto), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_account(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
    ApiQuery(w): ApiQuery<WriteParams>,
    body: ApiJson<AccountBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = AccountInput {
        name: b.name,
        website: b.website,
        country: b.country,
        city: b.city,
        industry: b.industry,
        employees: b.employees,
        account_type: b.account_type,
        owner: b.owner,
        phone: b.phone,
        attributes: b.attributes,
    };
    let (account, w) = s
        .upsert_account(
            &actor,
            &key.source_system,
            &key.external_id,
            w.version,
            &input,
        )
        .await?;
    Ok(written(AccountDto::from(account), w))
}

/// Archives the account (deleted in the CRM); a later `PUT` restores it.
#[utoipa::path(delete, path = "/accounts/{source_system}/{external_id}", tag = "crm", operation_id = "archive_account",
    params(RecordKey), responses((status = 200, body = AccountDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn archive_account(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
) -> ApiResult<Json<AccountDto>> {
    let a = s
        .get_account_by_key(&actor, &key.source_system, &key.external_id)
        .await?;
    Ok(Json(
        s.archive_account(&actor, a.id, a.version).await?.into(),
    ))
}

// ----- contacts -----

/// A contact at a vendor account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrmContactDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Source system.
    pub source_system: String,
    /// Id in the source system.
    pub external_id: String,
    /// The account.
    pub account_id: Option<uuid::Uuid>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail (empty when none was valid).
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Job title.
    pub title: String,
    /// Owning vendor user.
    pub owner_id: Option<uuid::Uuid>,
    /// Owner as sent.
    pub owner_name: String,
    /// Other fields.
    pub attributes: serde_json::Value,
    /// Archived.
    pub archived: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: String,
    /// Changed.
    pub updated_at: String,
}

impl From<CrmContact> for CrmContactDto {
    fn from(c: CrmContact) -> Self {
        Self {
            id: c.id.as_uuid(),
            source_system: c.source_system,
            external_id: c.external_id,
            account_id: c.account_id.map(AccountId::as_uuid),
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone,
            title: c.title,
            owner_id: c.owner_id.map(UserId::as_uuid),
            owner_name: c.owner_name,
            attributes: c.attributes,
            archived: c.archived,
            version: c.version,
            created_at: instant(c.created_at),
            updated_at: instant(c.updated_at),
        }
    }
}

/// A contact's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_external_id": "001A000001", "first_name": "Maria", "last_name": "Garcia", "email": "maria.garcia@acme.example", "title": "CIO", "owner": "rep@vendor.example"}))]
pub struct CrmContactBody {
    /// The account's id in the same source system (send the account first).
    #[serde(default)]
    pub account_external_id: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Job title.
    #[serde(default)]
    pub title: String,
    /// Owner: e-mail address or name of a vendor user.
    #[serde(default)]
    pub owner: String,
    /// Other fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

list_type!(CrmContactList, CrmContactDto);

/// Contact filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactParams {
    /// Name substring or e-mail prefix.
    pub q: Option<String>,
    /// Only this account's.
    pub account_id: Option<uuid::Uuid>,
    /// Include archived contacts.
    #[serde(default)]
    pub include_archived: bool,
    /// Paging.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: Option<usize>,
}

/// Contacts by name.
#[utoipa::path(get, path = "/account-contacts", tag = "crm", operation_id = "list_account_contacts", params(ContactParams),
    responses((status = 200, body = CrmContactList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_contacts(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<ContactParams>,
) -> ApiResult<Json<CrmContactList>> {
    let q = CrmContactQuery {
        q: p.q,
        account_id: p.account_id.map(AccountId::from_uuid),
        include_archived: p.include_archived,
    };
    let paging = Paging {
        cursor: p.cursor,
        limit: p.limit,
    };
    let page = s.list_crm_contacts(&actor, &q, &(&paging).into()).await?;
    Ok(Json(CrmContactList::from_page(page, CrmContactDto::from)))
}

/// One contact.
#[utoipa::path(get, path = "/account-contacts/{id}", tag = "crm", operation_id = "get_account_contact",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, body = CrmContactDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<CrmContactId>,
) -> ApiResult<Json<CrmContactDto>> {
    Ok(Json(s.get_crm_contact(&actor, id).await?.into()))
}

/// Creates or updates the contact the CRM knows by this key (201 when created).
#[utoipa::path(put, path = "/account-contacts/{source_system}/{external_id}", tag = "crm", operation_id = "put_account_contact",
    request_body = CrmContactBody, params(RecordKey, WriteParams),
    responses((status = 200, body = CrmContactDto), (status = 201, body = CrmContactDto), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
    ApiQuery(w): ApiQuery<WriteParams>,
    body: ApiJson<CrmContactBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let input = CrmContactInput {
        account_external_id: b.account_external_id,
        first_name: b.first_name,
        last_name: b.last_name,
        email: b.email,
        phone: b.phone,
        title: b.title,
        owner: b.owner,
        attributes: b.attributes,
    };
    let (contact, w) = s
        .upsert_crm_contact(
            &actor,
            &key.source_system,
            &key.external_id,
            w.version,
            &input,
        )
        .await?;
    Ok(written(CrmContactDto::from(contact), w))
}

/// Archives the contact; a later `PUT` restores it.
#[utoipa::path(delete, path = "/account-contacts/{source_system}/{external_id}", tag = "crm", operation_id = "archive_account_contact",
    params(RecordKey), responses((status = 200, body = CrmContactDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn archive_contact(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
) -> ApiResult<Json<CrmContactDto>> {
    let c = s
        .get_crm_contact_by_key(&actor, &key.source_system, &key.external_id)
        .await?;
    Ok(Json(
        s.archive_crm_contact(&actor, c.id, c.version).await?.into(),
    ))
}

// ----- opportunities -----

/// A vendor opportunity.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityDto {
    /// Id.
    pub id: uuid::Uuid,
    /// Source system.
    pub source_system: String,
    /// Id in the source system.
    pub external_id: String,
    /// The account.
    pub account_id: Option<uuid::Uuid>,
    /// Name.
    pub name: String,
    /// The CRM's stage, as sent.
    pub stage: String,
    /// `open`, `won` or `lost`.
    pub status: OpportunityStatus,
    /// Amount.
    pub amount: MoneyDto,
    /// Close date, `YYYY-MM-DD`.
    pub close_date: Option<String>,
    /// The day the CRM opened it, `YYYY-MM-DD`.
    pub opened_on: Option<String>,
    /// Probability, percent.
    pub probability: Option<i64>,
    /// The owning rep.
    pub owner_id: Option<uuid::Uuid>,
    /// Owner as sent.
    pub owner_name: String,
    /// Next step.
    pub next_step: String,
    /// Last sales activity (RFC 3339).
    pub last_activity_at: Option<String>,
    /// Other fields.
    pub attributes: serde_json::Value,
    /// Archived.
    pub archived: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: String,
    /// Changed.
    pub updated_at: String,
}

impl From<Opportunity> for OpportunityDto {
    fn from(o: Opportunity) -> Self {
        Self {
            id: o.id.as_uuid(),
            source_system: o.source_system,
            external_id: o.external_id,
            account_id: o.account_id.map(AccountId::as_uuid),
            name: o.name,
            stage: o.stage,
            status: o.status,
            amount: o.amount.into(),
            close_date: o.close_date,
            opened_on: o.opened_on,
            probability: o.probability,
            owner_id: o.owner_id.map(UserId::as_uuid),
            owner_name: o.owner_name,
            next_step: o.next_step,
            last_activity_at: instant_opt(o.last_activity_at),
            attributes: o.attributes,
            archived: o.archived,
            version: o.version,
            created_at: instant(o.created_at),
            updated_at: instant(o.updated_at),
        }
    }
}

/// An opportunity's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_external_id": "001A000001", "name": "Acme – data platform", "stage": "Proposal/Price Quote", "amount": {"amount_minor": 4_500_000, "currency": "EUR"}, "close_date": "2027-03-31", "probability": 60, "owner": "rep@vendor.example", "next_step": "Security review"}))]
pub struct OpportunityBody {
    /// The account's id in the same source system (send the account first).
    #[serde(default)]
    pub account_external_id: String,
    /// Name.
    pub name: String,
    /// The CRM's stage.
    pub stage: String,
    /// `open`, `won` or `lost`; read from the stage when absent.
    #[serde(default)]
    pub status: Option<OpportunityStatus>,
    /// Amount; zero in the reporting currency when absent.
    #[serde(default)]
    pub amount: Option<MoneyDto>,
    /// Close date, `YYYY-MM-DD`.
    #[serde(default)]
    pub close_date: String,
    /// The day the CRM opened it (its created date), `YYYY-MM-DD`; the day Trellis first
    /// sees it when absent.
    #[serde(default)]
    pub opened_on: String,
    /// Probability, percent.
    #[serde(default)]
    pub probability: Option<i64>,
    /// Owner: e-mail address or name of a vendor user.
    #[serde(default)]
    pub owner: String,
    /// Next step.
    #[serde(default)]
    pub next_step: String,
    /// Last sales activity (RFC 3339).
    #[serde(default)]
    pub last_activity_at: Option<String>,
    /// Other fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

list_type!(OpportunityList, OpportunityDto);

/// Opportunity filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OpportunityParams {
    /// Name substring.
    pub q: Option<String>,
    /// `open`, `won` or `lost`.
    pub status: Option<OpportunityStatus>,
    /// Only this account's.
    pub account_id: Option<uuid::Uuid>,
    /// Only this rep's.
    pub owner_id: Option<uuid::Uuid>,
    /// Include archived opportunities.
    #[serde(default)]
    pub include_archived: bool,
    /// Paging.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: Option<usize>,
}

/// Opportunities by name.
#[utoipa::path(get, path = "/opportunities", tag = "crm", operation_id = "list_opportunities", params(OpportunityParams),
    responses((status = 200, body = OpportunityList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_opportunities(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<OpportunityParams>,
) -> ApiResult<Json<OpportunityList>> {
    let q = OpportunityQuery {
        q: p.q,
        status: p.status,
        account_id: p.account_id.map(AccountId::from_uuid),
        owner_id: p.owner_id.map(UserId::from_uuid),
        include_archived: p.include_archived,
    };
    let paging = Paging {
        cursor: p.cursor,
        limit: p.limit,
    };
    let page = s.list_opportunities(&actor, &q, &(&paging).into()).await?;
    Ok(Json(OpportunityList::from_page(page, OpportunityDto::from)))
}

/// One opportunity.
#[utoipa::path(get, path = "/opportunities/{id}", tag = "crm", operation_id = "get_opportunity",
    params(("id" = uuid::Uuid, Path, description = "Opportunity id")),
    responses((status = 200, body = OpportunityDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_opportunity(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<OpportunityId>,
) -> ApiResult<Json<OpportunityDto>> {
    Ok(Json(s.get_opportunity(&actor, id).await?.into()))
}

/// Creates or updates the opportunity the CRM knows by this key (201 when created).
#[utoipa::path(put, path = "/opportunities/{source_system}/{external_id}", tag = "crm", operation_id = "put_opportunity",
    request_body = OpportunityBody, params(RecordKey, WriteParams),
    responses((status = 200, body = OpportunityDto), (status = 201, body = OpportunityDto), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_opportunity(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
    ApiQuery(w): ApiQuery<WriteParams>,
    body: ApiJson<OpportunityBody>,
) -> ApiResult<Response> {
    let b = body.value;
    let amount = match b.amount {
        None => None,
        Some(m) => Some(Money {
            amount_minor: m.amount_minor,
            currency: trellis_domain::money::Currency::parse(&m.currency).map_err(|e| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "amount.currency",
                    e.to_string(),
                )
            })?,
        }),
    };
    let last_activity_at = match b.last_activity_at.as_deref() {
        None | Some("") => None,
        Some(t) => Some(Timestamp::parse_rfc3339(t).ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "last_activity_at",
                "must be an RFC 3339 instant such as 2026-11-23T10:00:00Z",
            )
        })?),
    };
    let input = OpportunityInput {
        account_external_id: b.account_external_id,
        account_id: None,
        name: b.name,
        stage: b.stage,
        status: b.status,
        amount,
        close_date: b.close_date,
        opened_on: b.opened_on,
        probability: b.probability,
        owner: b.owner,
        next_step: b.next_step,
        last_activity_at,
        attributes: b.attributes,
    };
    let (opportunity, w) = s
        .upsert_opportunity(
            &actor,
            &key.source_system,
            &key.external_id,
            w.version,
            &input,
        )
        .await?;
    Ok(written(OpportunityDto::from(opportunity), w))
}

/// Archives the opportunity; a later `PUT` restores it.
#[utoipa::path(delete, path = "/opportunities/{source_system}/{external_id}", tag = "crm", operation_id = "archive_opportunity",
    params(RecordKey), responses((status = 200, body = OpportunityDto), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn archive_opportunity(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    Path(key): Path<RecordKey>,
) -> ApiResult<Json<OpportunityDto>> {
    let o = s
        .get_opportunity_by_key(&actor, &key.source_system, &key.external_id)
        .await?;
    Ok(Json(
        s.archive_opportunity(&actor, o.id, o.version).await?.into(),
    ))
}
