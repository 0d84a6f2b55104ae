//! The column mapping of an import's preview: which field each of the file's columns is read
//! as, preselected from the mapping saved for the source or the columns' own labels, and the
//! person's choices checked and written as a complete mapping (every field named, so what the
//! preview shows is what the import reads).

use trellis_csv::{Columns, Field, mapping_text};
use trellis_service::crm::ImportKind;

use crate::ui::view::Choice;

/// A problem with the chosen mapping, tied to a column's select when it is about one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Problem {
    /// The id of the select.
    pub(super) anchor: Option<String>,
    pub(super) message: String,
}

/// The id of column `i`'s select.
pub(super) fn select_id(i: usize) -> String {
    format!("map-{i}")
}

/// A field's name for people.
pub(super) fn field_label(key: &str) -> &str {
    match key {
        "id" => "Record id",
        "account_id" => "Account id",
        "account_name" => "Account name",
        "name" => "Name",
        "website" => "Website",
        "country" => "Country",
        "city" => "City",
        "industry" => "Industry",
        "employees" => "Employees",
        "account_type" => "Account type",
        "owner" => "Owner",
        "phone" => "Phone",
        "first_name" => "First name",
        "last_name" => "Last name",
        "full_name" => "Full name",
        "email" => "E-mail",
        "title" => "Job title",
        "stage" => "Stage",
        "won" => "Won (yes/no)",
        "closed" => "Closed (yes/no)",
        "amount" => "Amount",
        "currency" => "Currency",
        "close_date" => "Close date",
        "opened_on" => "Created date",
        "probability" => "Probability",
        "next_step" => "Next step",
        "last_activity" => "Last activity",
        other => other,
    }
}

/// The options of a column's select, `current` selected: keep the column as an extra field,
/// or read it as one of the kind's fields.
pub(super) fn choices(kind: ImportKind, current: &str) -> Vec<Choice> {
    let mut list = vec![Choice {
        value: String::new(),
        label: "Keep as an extra field".to_owned(),
        selected: current.is_empty(),
    }];
    list.extend(kind.fields().iter().map(|f| Choice {
        value: f.key.to_owned(),
        label: if f.required {
            format!("{} (required)", field_label(f.key))
        } else {
            field_label(f.key).to_owned()
        },
        selected: f.key == current,
    }));
    list
}

/// The field each column is read as before anyone chose: by `saved` (the mapping saved for the
/// source) when it fits the file, else by the columns' labels. The note says when a saved
/// mapping was passed over.
pub(super) fn detected(
    kind: ImportKind,
    headers: &[String],
    saved: Option<&str>,
) -> (Vec<String>, Option<String>) {
    // Required fields without a column are the person's to fix here, not a reason to give up.
    let fields: Vec<Field> = kind
        .fields()
        .iter()
        .map(|f| Field {
            required: false,
            ..*f
        })
        .collect();
    let by_labels = || Columns::detect(headers, &fields, None).ok();
    let (columns, note) = match saved.map(|m| Columns::detect(headers, &fields, Some(m))) {
        Some(Ok(c)) => (Some(c), None),
        Some(Err(e)) => (
            by_labels(),
            Some(format!(
                "The mapping saved for this source does not fit this file ({e}), so the columns \
                 were matched by their names."
            )),
        ),
        None => (by_labels(), None),
    };
    let picks = (0..headers.len())
        .map(|i| {
            columns
                .as_ref()
                .and_then(|c| c.field_of(i))
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    (picks, note)
}

/// The required fields no column is read as.
pub(super) fn unmapped_required(kind: ImportKind, picks: &[String]) -> Vec<&'static str> {
    kind.fields()
        .iter()
        .filter(|f| f.required && !picks.iter().any(|p| p == f.key))
        .map(|f| f.key)
        .collect()
}

/// The mapping text for `picks` (the field chosen for each of `columns`, empty to keep the
/// column as an extra field), or what is wrong with them.
pub(super) fn chosen(
    kind: ImportKind,
    columns: &[String],
    picks: &[String],
) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut read_from: Vec<(&'static str, &str)> = Vec::new();
    for (i, (column, pick)) in columns.iter().zip(picks).enumerate() {
        if pick.is_empty() {
            continue;
        }
        let anchor = Some(select_id(i));
        let Some(field) = kind.fields().iter().find(|f| f.key == pick) else {
            problems.push(Problem {
                anchor,
                message: format!("{pick:?} is not one of the fields of {kind}."),
            });
            continue;
        };
        let label = field_label(field.key);
        if column.trim().is_empty() {
            problems.push(Problem {
                anchor,
                message: format!(
                    "Column {} has no heading, so it cannot be read as {label}.",
                    i + 1
                ),
            });
        } else if let Some((_, first)) = read_from.iter().find(|(k, _)| *k == field.key) {
            problems.push(Problem {
                anchor,
                message: format!(
                    "{label} is already read from the column \u{201c}{first}\u{201d}; choose one \
                     column for it."
                ),
            });
        } else {
            read_from.push((field.key, column));
        }
    }
    for key in unmapped_required(kind, picks) {
        problems.push(Problem {
            anchor: None,
            message: format!(
                "Choose the column that holds the {}: {kind} cannot be imported without it.",
                field_label(key).to_lowercase()
            ),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(mapping_text(kind.fields().iter().map(|f| {
        let column = read_from.iter().find(|(k, _)| *k == f.key).map(|(_, c)| *c);
        (f.key, column)
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn columns_are_preselected_by_label_or_the_saved_mapping() {
        let headers = strings(&["Account ID", "Firma", "Website"]);
        let (picks, note) = detected(ImportKind::Accounts, &headers, None);
        assert_eq!(picks, ["id", "", "website"]);
        assert_eq!(note, None);
        assert_eq!(unmapped_required(ImportKind::Accounts, &picks), ["name"]);
        let (picks, note) = detected(ImportKind::Accounts, &headers, Some("name=Firma,website="));
        assert_eq!(picks, ["id", "name", ""]);
        assert_eq!(note, None);
        let (picks, note) = detected(ImportKind::Accounts, &headers, Some("name=Company"));
        assert_eq!(picks, ["id", "", "website"]);
        assert!(note.unwrap().contains("does not fit this file"));
    }

    #[test]
    fn the_chosen_mapping_names_every_field_or_says_what_is_missing() {
        let headers = strings(&["Firma", "Web, URL", "Land"]);
        let mapping = chosen(
            ImportKind::Accounts,
            &headers,
            &strings(&["name", "website", ""]),
        )
        .unwrap();
        assert!(mapping.starts_with("id=,name=Firma,website=Web URL,country=,"));
        let c = Columns::detect(&headers, ImportKind::Accounts.fields(), Some(&mapping)).unwrap();
        assert_eq!((c.get("website"), c.get("country")), (Some(1), None));

        let problems = chosen(
            ImportKind::Accounts,
            &headers,
            &strings(&["website", "website", "bogus"]),
        )
        .unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Website is already read from the column \u{201c}Firma\u{201d}; choose one column for it.",
                "\"bogus\" is not one of the fields of accounts.",
                "Choose the column that holds the name: accounts cannot be imported without it.",
            ]
        );
        assert_eq!(problems[0].anchor.as_deref(), Some("map-1"));
        assert_eq!(problems[2].anchor, None);
    }
}
