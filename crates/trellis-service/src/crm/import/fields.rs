//! The columns each kind of import reads, by the labels Salesforce, HubSpot and plain
//! spreadsheets give them, most specific first. A column no field claims is kept with the
//! record as an attribute.

use trellis_csv::Field;

const fn field(key: &'static str, labels: &'static [&'static str]) -> Field {
    Field {
        key,
        labels,
        required: false,
    }
}

const fn required(key: &'static str, labels: &'static [&'static str]) -> Field {
    Field {
        key,
        labels,
        required: true,
    }
}

/// Account exports: Salesforce "Accounts" reports and HubSpot company exports.
pub(super) const ACCOUNTS: &[Field] = &[
    field(
        "id",
        &[
            "Account ID",
            "Account ID (18)",
            "Record ID",
            "Company ID",
            "External ID",
            "ID",
        ],
    ),
    required(
        "name",
        &[
            "Account Name",
            "Company name",
            "Company",
            "Organization",
            "Organisation",
            "Name",
        ],
    ),
    field(
        "website",
        &[
            "Website",
            "Company Domain Name",
            "Website URL",
            "Domain",
            "URL",
        ],
    ),
    field(
        "country",
        &[
            "Billing Country",
            "Country/Region",
            "Country",
            "Billing Country Code",
            "Shipping Country",
        ],
    ),
    field("city", &["Billing City", "City", "Shipping City"]),
    field("industry", &["Industry"]),
    field(
        "employees",
        &["Employees", "Number of Employees", "NumberOfEmployees"],
    ),
    field(
        "account_type",
        &["Type", "Account Type", "Company Type", "Lifecycle Stage"],
    ),
    field(
        "owner",
        &[
            "Account Owner Email",
            "Owner Email",
            "Account Owner",
            "Company owner",
            "Owner",
        ],
    ),
    field("phone", &["Phone", "Account Phone", "Phone Number"]),
];

/// Contact exports.
pub(super) const CONTACTS: &[Field] = &[
    field(
        "id",
        &[
            "Contact ID",
            "Contact ID (18)",
            "Record ID",
            "External ID",
            "ID",
        ],
    ),
    field(
        "account_id",
        &[
            "Account ID",
            "Account ID (18)",
            "Associated Company ID",
            "Associated Company IDs",
            "Company ID",
        ],
    ),
    field(
        "account_name",
        &[
            "Account Name",
            "Associated Company",
            "Company Name",
            "Company",
        ],
    ),
    field("first_name", &["First Name", "FirstName", "Given Name"]),
    field(
        "last_name",
        &["Last Name", "LastName", "Surname", "Family Name"],
    ),
    field("full_name", &["Full Name", "Contact Name", "Name"]),
    field("email", &["Email", "Email Address", "E-mail"]),
    field(
        "phone",
        &["Phone", "Phone Number", "Mobile", "Mobile Phone Number"],
    ),
    field("title", &["Title", "Job Title"]),
    field(
        "owner",
        &[
            "Contact Owner Email",
            "Owner Email",
            "Contact Owner",
            "Contact owner",
            "Owner",
        ],
    ),
];

/// Opportunity (Salesforce) and deal (HubSpot) exports.
pub(super) const OPPORTUNITIES: &[Field] = &[
    field(
        "id",
        &[
            "Opportunity ID",
            "Opportunity ID (18)",
            "Deal ID",
            "Record ID",
            "External ID",
            "ID",
        ],
    ),
    field(
        "account_id",
        &[
            "Account ID",
            "Account ID (18)",
            "Associated Company ID",
            "Associated Company IDs",
            "Company ID",
        ],
    ),
    field(
        "account_name",
        &[
            "Account Name",
            "Associated Company",
            "Company Name",
            "Company",
        ],
    ),
    required("name", &["Opportunity Name", "Deal Name", "Name"]),
    required("stage", &["Stage", "Deal Stage", "StageName"]),
    field("won", &["Won", "IsWon"]),
    field("closed", &["Closed", "IsClosed"]),
    field("amount", &["Amount", "Deal Amount", "Value"]),
    field(
        "currency",
        &[
            "Amount Currency",
            "Opportunity Currency",
            "Currency",
            "Deal Currency Code",
            "Currency Code",
            "CurrencyIsoCode",
        ],
    ),
    field(
        "close_date",
        &["Close Date", "CloseDate", "Expected Close Date"],
    ),
    field(
        "opened_on",
        &[
            "Created Date",
            "CreatedDate",
            "Create Date",
            "Opened On",
            "Open Date",
        ],
    ),
    field(
        "probability",
        &["Probability (%)", "Probability", "Deal probability"],
    ),
    field(
        "owner",
        &[
            "Opportunity Owner Email",
            "Owner Email",
            "Opportunity Owner",
            "Deal owner",
            "Owner",
        ],
    ),
    field("next_step", &["Next Step", "NextStep"]),
    field(
        "last_activity",
        &["Last Activity", "Last Activity Date", "LastActivityDate"],
    ),
];

/// The source system an export's headers betray: Salesforce writes "… ID" columns and
/// "Account Name", HubSpot "Record ID". Anything else is a plain `csv`.
pub fn guess_source(headers: &[String]) -> &'static str {
    let has = |label: &str| headers.iter().any(|h| h.trim().eq_ignore_ascii_case(label));
    if has("Account ID") || has("Opportunity ID") || has("Contact ID") || has("Account ID (18)") {
        "salesforce"
    } else if has("Record ID") || has("Deal Stage") || has("Associated Company ID") {
        "hubspot"
    } else {
        "csv"
    }
}
