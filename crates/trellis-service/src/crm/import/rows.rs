//! One CSV row to one record's input: the cells read by column, each problem reported with
//! the row's line and the column's header as the file has them.

use std::collections::{BTreeMap, HashMap};

use trellis_csv::{Columns, Row};
use trellis_domain::crm::{
    DateOrder, OpportunityStatus, parse_bool, parse_count, parse_date, parse_percent,
};
use trellis_domain::money::{Currency, Money, detect_currency, parse_amount};
use trellis_domain::text::fold;
use trellis_domain::{FieldErrors, Timestamp};
use uuid::Uuid;

use super::Issue;
use crate::crm::{AccountInput, CrmContactInput, OpportunityInput};

/// What reading a row needs beyond the row: the file's layout and lookups loaded once.
pub(super) struct Context<'a> {
    pub columns: &'a Columns,
    pub headers: &'a [String],
    pub default_currency: Currency,
    /// Per date field, the day-month order its column was written in.
    pub date_orders: HashMap<&'static str, DateOrder>,
    /// Accounts of the same source system, by external id.
    pub accounts_by_id: HashMap<String, Uuid>,
    /// … and by folded name, `None` when two share it.
    pub accounts_by_name: HashMap<String, Option<Uuid>>,
}

/// The cells of one row, and the problems found reading them.
pub(super) struct Cells<'a> {
    row: &'a Row,
    ctx: &'a Context<'a>,
    pub(super) errors: Vec<Issue>,
    pub(super) warnings: Vec<Issue>,
}

impl<'a> Cells<'a> {
    pub(super) fn new(row: &'a Row, ctx: &'a Context<'a>) -> Self {
        let mut cells = Self {
            row,
            ctx,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let width = ctx.headers.len();
        if row.cells.len() > width && row.cells[width..].iter().any(|c| !c.trim().is_empty()) {
            cells.errors.push(Issue {
                line: row.line,
                column: String::new(),
                message: format!(
                    "the row has {} cells but the header has {width} columns; a value with the \
                     delimiter in it may be missing its quotes",
                    row.cells.len()
                ),
            });
        }
        cells
    }

    /// The trimmed cell of a field, empty when the file has no such column.
    pub(super) fn get(&self, key: &str) -> &'a str {
        self.ctx.columns.get(key).map_or("", |c| self.row.cell(c))
    }

    /// The header of a field's column, or the field's key when the file has none.
    fn column(&self, key: &str) -> String {
        self.ctx
            .columns
            .get(key)
            .and_then(|c| self.ctx.headers.get(c))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    pub(super) fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(Issue {
            line: self.row.line,
            column: self.column(key),
            message: message.into(),
        });
    }

    pub(super) fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.warnings.push(Issue {
            line: self.row.line,
            column: self.column(key),
            message: message.into(),
        });
    }

    /// Moves validation problems of the record's fields onto their columns (a record field
    /// has the key of the import field it was read from).
    pub(super) fn absorb(&mut self, errors: &FieldErrors) {
        for e in errors.iter() {
            self.error(&e.field, e.message.clone());
        }
    }

    /// Warnings of the record's fields, onto their columns.
    pub(super) fn absorb_warnings(&mut self, warnings: &[trellis_domain::FieldError]) {
        for w in warnings {
            self.warn(&w.field, w.message.clone());
        }
    }

    /// Every non-empty cell of a column no field claims, by header.
    fn attributes(&self) -> BTreeMap<String, String> {
        self.ctx
            .headers
            .iter()
            .enumerate()
            .filter(|(i, _)| self.ctx.columns.field_of(*i).is_none())
            .filter_map(|(i, h)| {
                let v = self.row.cell(i);
                (!v.is_empty()).then(|| (h.clone(), v.to_owned()))
            })
            .collect()
    }

    pub(super) fn count(&mut self, key: &str) -> Option<i64> {
        let text = self.get(key);
        if text.is_empty() {
            return None;
        }
        match parse_count(text) {
            Ok(n) => Some(n),
            Err(e) => {
                self.error(key, e.to_string());
                None
            }
        }
    }

    fn date(&mut self, key: &'static str) -> Option<time::Date> {
        let text = self.get(key);
        if text.is_empty() {
            return None;
        }
        let order = self
            .ctx
            .date_orders
            .get(key)
            .copied()
            .unwrap_or(DateOrder::Ymd);
        match parse_date(text, order) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(key, e.to_string());
                None
            }
        }
    }

    /// The account a row refers to: by its id in the same source system (which must exist),
    /// else by its exact name when exactly one account has it.
    fn account(&mut self) -> Option<Uuid> {
        // HubSpot lists several associated companies as "123;456": the first is primary.
        let id = self
            .get("account_id")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if !id.is_empty() {
            if let Some(a) = self.ctx.accounts_by_id.get(id) {
                return Some(*a);
            }
            self.error(
                "account_id",
                format!("no account \"{id}\" from this source; import the accounts first"),
            );
            return None;
        }
        let name = self.get("account_name");
        if name.is_empty() {
            return None;
        }
        match self.ctx.accounts_by_name.get(&fold(name)) {
            Some(Some(a)) => Some(*a),
            Some(None) => {
                self.warn(
                    "account_name",
                    format!("several accounts are named \"{name}\"; imported without an account"),
                );
                None
            }
            None => {
                self.warn(
                    "account_name",
                    format!("no account named \"{name}\"; imported without an account"),
                );
                None
            }
        }
    }
}

/// An account row.
pub(super) fn account(cells: &mut Cells<'_>) -> AccountInput {
    AccountInput {
        name: cells.get("name").to_owned(),
        website: cells.get("website").to_owned(),
        country: cells.get("country").to_owned(),
        city: cells.get("city").to_owned(),
        industry: cells.get("industry").to_owned(),
        employees: cells.count("employees"),
        account_type: cells.get("account_type").to_owned(),
        owner: cells.get("owner").to_owned(),
        phone: cells.get("phone").to_owned(),
        attributes: cells.attributes(),
    }
}

/// A contact row, with its account resolved.
pub(super) fn contact(cells: &mut Cells<'_>) -> (CrmContactInput, Option<Uuid>) {
    let (mut first, mut last) = (
        cells.get("first_name").to_owned(),
        cells.get("last_name").to_owned(),
    );
    if first.is_empty() && last.is_empty() {
        // One "Name" column: the last word is the family name, as most CRMs split it.
        let full = cells.get("full_name");
        match full.rsplit_once(' ') {
            Some((f, l)) => (first, last) = (f.trim().to_owned(), l.to_owned()),
            None => full.clone_into(&mut last),
        }
    }
    let account = cells.account();
    let input = CrmContactInput {
        account_external_id: String::new(),
        first_name: first,
        last_name: last,
        email: cells.get("email").to_owned(),
        phone: cells.get("phone").to_owned(),
        title: cells.get("title").to_owned(),
        owner: cells.get("owner").to_owned(),
        attributes: cells.attributes(),
    };
    (input, account)
}

/// An opportunity row, with its account resolved.
pub(super) fn opportunity(cells: &mut Cells<'_>) -> (OpportunityInput, Option<Uuid>) {
    let account = cells.account();
    let amount = amount(cells);
    let status = status(cells);
    let probability = match cells.get("probability") {
        "" => None,
        text => match parse_percent(text) {
            Ok(p) => Some(i64::from(p)),
            Err(e) => {
                cells.error("probability", e.to_string());
                None
            }
        },
    };
    let close_date = cells.date("close_date").map(|d| d.to_string());
    let opened_on = cells.date("opened_on").map(|d| d.to_string());
    let last_activity_at = cells
        .date("last_activity")
        .map(|d| Timestamp::from_millis(d.midnight().assume_utc().unix_timestamp() * 1_000));
    let input = OpportunityInput {
        account_external_id: String::new(),
        account_id: None,
        name: cells.get("name").to_owned(),
        stage: cells.get("stage").to_owned(),
        status,
        amount,
        close_date: close_date.unwrap_or_default(),
        opened_on: opened_on.unwrap_or_default(),
        probability,
        owner: cells.get("owner").to_owned(),
        next_step: cells.get("next_step").to_owned(),
        last_activity_at,
        attributes: cells.attributes(),
    };
    (input, account)
}

/// The amount in the row's currency: the currency column's, else the one the amount cell
/// shows ("€1.200"), else the program's reporting currency.
fn amount(cells: &mut Cells<'_>) -> Option<Money> {
    let text = cells.get("amount");
    let code = cells.get("currency");
    let currency = if code.is_empty() {
        detect_currency(text).unwrap_or(cells.ctx.default_currency)
    } else {
        match Currency::parse(code) {
            Ok(c) => c,
            Err(e) => {
                cells.error("currency", e.to_string());
                return None;
            }
        }
    };
    if text.is_empty() {
        return None;
    }
    match parse_amount(text, currency) {
        Ok(amount_minor) => Some(Money {
            amount_minor,
            currency,
        }),
        Err(e) => {
            cells.error("amount", e.to_string());
            None
        }
    }
}

/// Won, lost or open from Salesforce's "Won" and "Closed" flags when the file has them;
/// otherwise left to the stage.
fn status(cells: &mut Cells<'_>) -> Option<OpportunityStatus> {
    let mut flag = |key: &str| {
        let text = cells.get(key);
        if text.is_empty() {
            return None;
        }
        let parsed = parse_bool(text);
        if parsed.is_none() {
            cells.error(key, format!("\"{text}\" is neither true nor false"));
        }
        parsed
    };
    let won = flag("won");
    let closed = flag("closed");
    match (closed, won) {
        (Some(false), _) => Some(OpportunityStatus::Open),
        (_, Some(true)) => Some(OpportunityStatus::Won),
        (Some(true), Some(false)) => Some(OpportunityStatus::Lost),
        _ => None,
    }
}
