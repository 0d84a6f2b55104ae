//! Custom populations, in both areas: define one with a filter of conditions over account
//! fields, change it, delete it. The built-ins are shown, not edited. A bad condition is named
//! on its own row and nothing is saved.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::mapping::{AccountField, Condition, Filter, Op};
use trellis_domain::{FieldErrors, Permission, PopulationId};
use trellis_service::mapping::{Population, PopulationInput};

use super::base;
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, failed};
use crate::ui::session::{Session, SideSession};
use crate::ui::view::{Choice, Chrome};

/// Condition rows the form offers beyond those a population has.
const SPARE_ROWS: usize = 2;
/// At least this many rows.
const MIN_ROWS: usize = 4;

/// One condition row of the form.
struct ConditionRow {
    index: usize,
    fields: Vec<Choice>,
    ops: Vec<Choice>,
    values: String,
    /// What is wrong with its field, comparison and values.
    field_error: Option<String>,
    op_error: Option<String>,
    values_error: Option<String>,
}

fn rows_of(conditions: &[Condition], errors: &Errors) -> Vec<ConditionRow> {
    let n = (conditions.len() + SPARE_ROWS).max(MIN_ROWS);
    (0..n)
        .map(|index| {
            let c = conditions.get(index);
            let mut fields = vec![Choice {
                value: String::new(),
                label: "(no condition)".to_owned(),
                selected: c.is_none(),
            }];
            fields.extend(AccountField::ALL.iter().map(|f| Choice {
                value: f.as_str().to_owned(),
                label: f.label().to_owned(),
                selected: c.is_some_and(|c| c.field == *f),
            }));
            let ops = Op::ALL
                .iter()
                .map(|o| Choice {
                    value: o.as_str().to_owned(),
                    label: o.label().to_owned(),
                    selected: c.is_some_and(|c| c.op == *o),
                })
                .collect();
            ConditionRow {
                index,
                fields,
                ops,
                values: c.map(|c| c.values.join(", ")).unwrap_or_default(),
                field_error: errors.get(&format!("field_{index}")),
                op_error: errors.get(&format!("op_{index}")),
                values_error: errors.get(&format!("values_{index}")),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/mapping_population.html")]
struct PopulationPage {
    chrome: Chrome,
    base: String,
    action: String,
    /// The population edited; none when defining one.
    population: Option<Population>,
    key: String,
    name: String,
    description: String,
    rows: Vec<ConditionRow>,
    version: i64,
    can_manage: bool,
    /// A built-in: shown, not edited.
    builtin: bool,
    errors: Errors,
}

impl PopulationPage {
    fn new(
        s: &Session,
        population: Option<Population>,
        input: &PopulationInput,
        errors: Errors,
    ) -> Self {
        let base = base(s);
        let (title, action, version) = match &population {
            None => (
                "New population".to_owned(),
                format!("{base}/populations"),
                0,
            ),
            Some(p) => (
                p.name.clone(),
                format!("{base}/populations/{}", p.id),
                p.version,
            ),
        };
        Self {
            chrome: s.chrome(title),
            action,
            builtin: population.as_ref().is_some_and(|p| p.builtin),
            population,
            key: input.key.clone(),
            name: input.name.clone(),
            description: input.description.clone(),
            rows: rows_of(&input.filter.conditions, &errors),
            version,
            can_manage: s.can(Permission::MappingManage),
            errors,
            base,
        }
    }
}

/// The form as a population: rows without a field are left out; values are split at commas
/// and new lines. Unknown fields or operators are named on their row.
fn input_of(form: &FormData) -> Result<PopulationInput, Errors> {
    let mut e = FieldErrors::new();
    let mut conditions = Vec::new();
    for i in 0..=20 {
        let Some(field) = form.opt(&format!("field_{i}")) else {
            continue;
        };
        let Ok(field) = field.parse::<AccountField>() else {
            e.add(format!("field_{i}"), "is not a field a population can test");
            continue;
        };
        let Ok(op) = form.text(&format!("op_{i}")).parse::<Op>() else {
            e.add(format!("op_{i}"), "choose how to compare");
            continue;
        };
        let values = form
            .text(&format!("values_{i}"))
            .split([',', '\n'])
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        conditions.push((i, Condition { field, op, values }));
    }
    let input = PopulationInput {
        key: form.text("key"),
        name: form.text("name"),
        description: form.text("description"),
        filter: Filter {
            conditions: conditions.iter().map(|(_, c)| c.clone()).collect(),
        },
    };
    // The service names conditions by their place among the kept rows; the form by its row.
    if let Err(errors) = input.filter.validate() {
        for f in errors.iter() {
            e.add(row_field(&f.field, &conditions), f.message.clone());
        }
    }
    if e.is_empty() {
        Ok(input)
    } else {
        Err(Errors::fields(e))
    }
}

/// `conditions[k].values` → `values_i`, where `i` is the form row of the `k`-th condition.
fn row_field(field: &str, rows: &[(usize, Condition)]) -> String {
    let parsed = field
        .strip_prefix("filter.")
        .unwrap_or(field)
        .strip_prefix("conditions[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(k, what)| Some((k.parse::<usize>().ok()?, what)));
    match parsed {
        Some((k, what)) => format!("{what}_{}", rows.get(k).map_or(k, |(i, _)| *i)),
        None => "conditions".to_owned(),
    }
}

/// The service's errors on a population, moved onto the form's inputs.
fn on_rows(errors: Errors, input: &PopulationInput) -> Errors {
    let rows: Vec<(usize, Condition)> = input
        .filter
        .conditions
        .iter()
        .cloned()
        .enumerate()
        .collect();
    let mut e = FieldErrors::new();
    for f in errors.field_errors().iter() {
        let field = if f.field.starts_with("filter.") {
            row_field(&f.field, &rows)
        } else {
            f.field.clone()
        };
        e.add(field, f.message.clone());
    }
    let mut out = Errors::fields(e);
    out.notice = errors.notice;
    out
}

pub(super) async fn new_page<S: SideSession>(s: S) -> PageResult {
    Ok(PopulationPage::new(&s, None, &PopulationInput::default(), Errors::none()).into_response())
}

pub(super) async fn edit_page<S: SideSession>(
    s: S,
    PageId(id): PageId<PopulationId>,
) -> PageResult {
    let p = find(&s, id).await?;
    let input = PopulationInput {
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        filter: p.filter.clone(),
    };
    Ok(PopulationPage::new(&s, Some(p), &input, Errors::none()).into_response())
}

async fn find(s: &Session, id: PopulationId) -> PageResult<Population> {
    s.services
        .list_populations(&s.actor)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| trellis_service::Error::NotFound.into())
}

pub(super) async fn create<S: SideSession>(s: S, CsrfForm(form): CsrfForm) -> PageResult {
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(errors) => return Ok(rejected(&s, None, &form, errors)),
    };
    match s.services.create_population(&s.actor, &input).await {
        Ok(p) => Ok(s.redirect(
            &base(&s),
            &Flash::success(format!(
                "Population {} defined: {} accounts today.",
                p.name, p.member_count
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = PopulationPage::new(&s, None, &input, on_rows(errors, &input));
            Ok((status, page).into_response())
        }
    }
}

pub(super) async fn update<S: SideSession>(
    s: S,
    PageId(id): PageId<PopulationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let current = find(&s, id).await?;
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(errors) => return Ok(rejected(&s, Some(current), &form, errors)),
    };
    match s
        .services
        .update_population(&s.actor, id, form.version(), &input)
        .await
    {
        Ok(p) => Ok(s.redirect(
            &base(&s),
            &Flash::success(format!(
                "Population {} saved: {} accounts today. It takes effect on the next mapping.",
                p.name, p.member_count
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = PopulationPage::new(&s, Some(current), &input, on_rows(errors, &input));
            Ok((status, page).into_response())
        }
    }
}

/// The form again as written, with what is wrong on its rows.
fn rejected(
    s: &Session,
    population: Option<Population>,
    form: &FormData,
    errors: Errors,
) -> axum::response::Response {
    // Rebuild the rows as typed, known fields or not, so nothing the user wrote is lost.
    let conditions = (0..=20)
        .filter_map(|i| {
            let field = form.opt(&format!("field_{i}"))?.parse().ok()?;
            Some(Condition {
                field,
                op: form.text(&format!("op_{i}")).parse().unwrap_or(Op::IsOneOf),
                values: vec![form.text(&format!("values_{i}"))],
            })
        })
        .collect();
    let input = PopulationInput {
        key: form.text("key"),
        name: form.text("name"),
        description: form.text("description"),
        filter: Filter { conditions },
    };
    let page = PopulationPage::new(s, population, &input, errors);
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub(super) async fn delete<S: SideSession>(
    s: S,
    PageId(id): PageId<PopulationId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let p = find(&s, id).await?;
    s.services.delete_population(&s.actor, id).await?;
    Ok(s.redirect(
        &base(&s),
        &Flash::success(format!(
            "Population {} deleted; your sharing policies no longer mention it.",
            p.name
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_the_row_the_user_typed_them_in() {
        let form = FormData::parse(
            b"name=Big&field_0=&field_1=employees&op_1=contains&values_1=x&field_3=country&op_3=is_one_of&values_3=",
        );
        let errors = input_of(&form).expect_err("the filter is invalid");
        assert!(errors.has("op_1"));
        assert!(errors.has("values_3"));
        assert!(!errors.has("values_1"), "a text value is fine");
    }

    #[test]
    fn values_split_at_commas_and_lines() {
        let form =
            FormData::parse(b"name=DACH&field_2=country&op_2=is_one_of&values_2=DE%2C+AT%0ACH");
        let input = input_of(&form).unwrap();
        assert_eq!(input.filter.conditions.len(), 1);
        assert_eq!(input.filter.conditions[0].values, ["DE", "AT", "CH"]);
    }
}
