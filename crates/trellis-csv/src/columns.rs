//! Which column holds which field.
//!
//! Each tool labels its export columns its own way: Salesforce writes "Account Name" and
//! "Billing Country", HubSpot "Company name" and "Country/Region". A [`Field`] lists the
//! labels it is known by; [`Columns::detect`] finds them (case, spacing and punctuation
//! ignored), and a saved mapping ("name=Firmenname") overrides the detection; "website=" says
//! the file has no column for a field, so none is detected. [`mapping_text`] writes a mapping.

use std::collections::BTreeMap;

/// A field an import reads, with the header labels that mean it, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The field's key in a mapping ("name", "website").
    pub key: &'static str,
    pub labels: &'static [&'static str],
    pub required: bool,
}

/// Where each field is: its column index, for the fields found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    found: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "no column for {field}; expected a column named {expected}, or map one with {field}=COLUMN"
    )]
    Missing {
        field: &'static str,
        expected: String,
    },
    #[error("the mapping names the field \"{0}\", which this import does not have")]
    UnknownField(String),
    #[error(
        "the mapping names the column \"{column}\" for {field}, but the file has no such column"
    )]
    UnknownColumn { field: String, column: String },
    #[error("the mapping \"{0}\" is not FIELD=COLUMN")]
    Malformed(String),
}

impl Columns {
    /// Finds the fields' columns by their labels, with `mapping` (`field=Column Label`,
    /// comma-separated) taking precedence; `field=` with no label means the file has no column
    /// for the field.
    pub fn detect(
        headers: &[String],
        fields: &[Field],
        mapping: Option<&str>,
    ) -> Result<Self, MappingError> {
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut found = BTreeMap::new();
        let mut absent = Vec::new();
        for pair in mapping
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (key, column) = pair
                .split_once('=')
                .ok_or_else(|| MappingError::Malformed(pair.to_owned()))?;
            let (key, column) = (key.trim(), column.trim());
            let field = fields
                .iter()
                .find(|f| f.key.eq_ignore_ascii_case(key))
                .ok_or_else(|| MappingError::UnknownField(key.to_owned()))?;
            if column.is_empty() {
                absent.push(field.key);
                continue;
            }
            let index = normalised
                .iter()
                .position(|h| *h == normalise(column))
                .ok_or_else(|| MappingError::UnknownColumn {
                    field: key.to_owned(),
                    column: column.to_owned(),
                })?;
            found.insert(field.key, index);
        }
        for field in fields {
            if found.contains_key(field.key) {
                continue;
            }
            // A column serves one field: "Company ID" mapped to the account must not also
            // be read as the record's own id.
            let index = if absent.contains(&field.key) {
                None
            } else {
                field.labels.iter().find_map(|label| {
                    let label = normalise(label);
                    (0..normalised.len())
                        .find(|&i| normalised[i] == label && !found.values().any(|&c| c == i))
                })
            };
            match index {
                Some(i) => {
                    found.insert(field.key, i);
                }
                None if field.required => {
                    return Err(MappingError::Missing {
                        field: field.key,
                        expected: field
                            .labels
                            .iter()
                            .map(|l| format!("\"{l}\""))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                None => {}
            }
        }
        Ok(Self { found })
    }

    /// The column of a field, if the file has one.
    pub fn get(&self, key: &str) -> Option<usize> {
        self.found.get(key).copied()
    }

    /// Each field found and its column, by field key.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.found.iter().map(|(k, c)| (*k, *c))
    }

    /// The field a column serves, if any.
    pub fn field_of(&self, column: usize) -> Option<&'static str> {
        self.found
            .iter()
            .find(|(_, c)| **c == column)
            .map(|(k, _)| *k)
    }
}

/// The mapping text of `(field, column)` pairs, `None` for a field the file has no column
/// for: `name=Firmenname,website=`. Commas are left out of column labels, which is safe
/// because labels compare without punctuation ("Amount (USD, net)" is "Amount (USD net)").
pub fn mapping_text<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    pairs
        .into_iter()
        .map(|(field, column)| format!("{field}={}", column.unwrap_or("").replace(',', "")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Header labels compare without case, spacing or punctuation: "Country/Region",
/// "country region" and "COUNTRY_REGION" are one label.
fn normalise(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field {
            key: "name",
            labels: &["Account Name", "Company name", "name"],
            required: true,
        },
        Field {
            key: "country",
            labels: &["Billing Country", "Country/Region", "country"],
            required: false,
        },
    ];

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn finds_each_tools_labels() {
        let c = Columns::detect(
            &headers(&["Account ID", "Account Name", "Billing Country"]),
            FIELDS,
            None,
        )
        .unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(1), Some(2)));
        let c = Columns::detect(
            &headers(&["Record ID", "Company name", "Country/Region"]),
            FIELDS,
            None,
        )
        .unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(1), Some(2)));
        let c = Columns::detect(&headers(&["NAME"]), FIELDS, None).unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(0), None));
    }

    #[test]
    fn a_mapping_overrides_and_errors_name_the_problem() {
        let h = headers(&["Firmenname", "Land"]);
        let c = Columns::detect(&h, FIELDS, Some("name=Firmenname, country=land")).unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(0), Some(1)));
        assert_eq!(
            Columns::detect(&h, FIELDS, None).unwrap_err().to_string(),
            "no column for name; expected a column named \"Account Name\", \"Company name\", \"name\", or map one with name=COLUMN"
        );
        assert_eq!(
            Columns::detect(&h, FIELDS, Some("name=Firma")).unwrap_err(),
            MappingError::UnknownColumn {
                field: "name".into(),
                column: "Firma".into()
            }
        );
        assert_eq!(
            Columns::detect(&h, FIELDS, Some("owner=Land")).unwrap_err(),
            MappingError::UnknownField("owner".into())
        );
        assert_eq!(
            Columns::detect(&h, FIELDS, Some("Firmenname")).unwrap_err(),
            MappingError::Malformed("Firmenname".into())
        );
    }

    #[test]
    fn a_mapping_can_say_a_field_has_no_column_and_is_written_back_readably() {
        let h = headers(&["Account Name", "Country", "Amount (USD, net)"]);
        let c = Columns::detect(&h, FIELDS, Some("country=")).unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(0), None));
        assert_eq!(c.field_of(1), None, "the column is left to the attributes");
        assert!(matches!(
            Columns::detect(&h, FIELDS, Some("name=")).unwrap_err(),
            MappingError::Missing { field: "name", .. }
        ));
        let text = mapping_text([("name", Some("Amount (USD, net)")), ("country", None)]);
        assert_eq!(text, "name=Amount (USD net),country=");
        let c = Columns::detect(&h, FIELDS, Some(&text)).unwrap();
        assert_eq!((c.get("name"), c.get("country")), (Some(2), None));
    }
}
