//! A partner's account export, read for account mapping (hosted mode): the columns, encodings
//! and row checks of an account import, plus the partner's count of open opportunities.
//! Nothing is written here, and nothing goes near the vendor's CRM tables.

use std::collections::HashMap;

use trellis_csv::{Columns, Field};
use trellis_domain::text::fold;

use super::rows::{self, Cells, Context};
use super::{Issue, fields};
use crate::crm::accounts::{self, AccountFields};
use crate::crm::owners::Owners;

/// The columns a partner's export may have beyond an account import's.
const EXTRA: &[Field] = &[Field {
    key: "open_opportunities",
    labels: &[
        "Open Opportunities",
        "Number of Open Opportunities",
        "Open Deals",
        "Number of Open Deals",
        "Open Opps",
    ],
    required: false,
}];

/// One checked row.
pub(crate) struct PartnerAccountRead {
    /// The partner's id for it: its id column, else its domain, else its name.
    pub(crate) external_id: String,
    pub(crate) fields: AccountFields,
    pub(crate) open_opportunities: i64,
}

/// Reads and checks every row. Any problem fails the whole file, each reported with its line
/// and column.
pub(crate) fn read_partner_accounts(bytes: &[u8]) -> Result<Vec<PartnerAccountRead>, Vec<Issue>> {
    let whole = |message: String| {
        vec![Issue {
            line: 0,
            column: String::new(),
            message,
        }]
    };
    let table = trellis_csv::read(bytes).map_err(|e| whole(e.to_string()))?;
    let known: Vec<Field> = fields::ACCOUNTS.iter().chain(EXTRA).copied().collect();
    let columns =
        Columns::detect(&table.headers, &known, None).map_err(|e| whole(e.to_string()))?;
    let ctx = Context {
        columns: &columns,
        headers: &table.headers,
        // Account rows have no amounts.
        default_currency: trellis_domain::Currency::USD,
        date_orders: HashMap::new(),
        accounts_by_id: HashMap::new(),
        accounts_by_name: HashMap::new(),
    };
    // A partner's account owners are its own people, not the vendor's users.
    let owners = Owners::default();
    let mut out = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let mut cells = Cells::new(row, &ctx);
        let input = rows::account(&mut cells);
        let open = cells.count("open_opportunities").unwrap_or(0);
        match accounts::check(&input, &owners) {
            Ok(checked) => {
                let id = cells.get("id");
                let external_id = if !id.is_empty() {
                    id.to_owned()
                } else if checked.fields.domain.is_empty() {
                    format!("name:{}", fold(&checked.fields.name))
                } else {
                    format!("domain:{}", checked.fields.domain)
                };
                if let Some(first) = seen.insert(external_id.clone(), row.line) {
                    cells.error("id", format!("the same account as line {first}"));
                }
                out.push(PartnerAccountRead {
                    external_id,
                    fields: checked.fields,
                    open_opportunities: open,
                });
            }
            Err(e) => cells.absorb(&e),
        }
        errors.append(&mut cells.errors);
    }
    if table.rows.is_empty() {
        errors.extend(whole("the file has no rows".to_owned()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
