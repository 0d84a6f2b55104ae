//! The partner profile form, shared by the console (a vendor user edits any partner, with the
//! organisation fields and the owner) and the portal (a partner admin edits its own profile).

use trellis_domain::partners::profile::{Industry, Segment, TechTag};
use trellis_domain::{PartnerType, Region, UserId};
use trellis_service::partners::{Partner, PartnerPatch};

use super::form::FormData;
use super::view::{Choice, enum_choices};

/// A checkbox of a group.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) checked: bool,
}

fn checks<'a>(all: impl IntoIterator<Item = (&'a str, &'a str)>, on: &[String]) -> Vec<Check> {
    all.into_iter()
        .map(|(value, label)| Check {
            value: value.to_owned(),
            label: label.to_owned(),
            checked: on.iter().any(|v| v == value),
        })
        .collect()
}

/// What the form shows: the values as typed (or stored) and the choices.
#[derive(Clone, Debug)]
pub(crate) struct ProfileForm {
    pub(crate) name: String,
    pub(crate) partner_types: Vec<Choice>,
    pub(crate) regions: Vec<Choice>,
    pub(crate) country: String,
    pub(crate) website: String,
    pub(crate) owners: Vec<Choice>,
    pub(crate) description: String,
    pub(crate) employees: String,
    pub(crate) founded_year: String,
    pub(crate) customers: String,
    pub(crate) listed: bool,
    pub(crate) industries: Vec<Check>,
    pub(crate) segments: Vec<Check>,
    pub(crate) regions_served: Vec<Check>,
    pub(crate) technologies: String,
}

impl ProfileForm {
    /// The form filled from a stored partner.
    pub(crate) fn of(p: &Partner, owners: &[(UserId, String)]) -> Self {
        let s = &p.specialisations;
        let strs = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        Self::build(
            FormValues {
                name: p.name.clone(),
                partner_type: p
                    .partner_type
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                region: p.region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                country: p.country.clone().unwrap_or_default(),
                website: p.website.clone().unwrap_or_default(),
                owner: p.owner_id.map(|o| o.to_string()).unwrap_or_default(),
                description: p.description.clone(),
                employees: p.employees.map(|n| n.to_string()).unwrap_or_default(),
                founded_year: p.founded_year.map(|n| n.to_string()).unwrap_or_default(),
                customers: p.customers.map(|n| n.to_string()).unwrap_or_default(),
                listed: p.listed,
                industries: strs(s.industries.iter().map(|v| v.as_str()).collect()),
                segments: strs(s.segments.iter().map(|v| v.as_str()).collect()),
                regions_served: strs(s.regions_served.iter().map(|v| v.as_str()).collect()),
                technologies: s
                    .technologies
                    .iter()
                    .map(TechTag::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            owners,
        )
    }

    /// The form as posted, for showing it again with errors.
    pub(crate) fn posted(form: &FormData, owners: &[(UserId, String)]) -> Self {
        Self::build(
            FormValues {
                name: form.text("name"),
                partner_type: form.text("partner_type"),
                region: form.text("region"),
                country: form.text("country"),
                website: form.text("website"),
                owner: form.text("owner_id"),
                description: form.text("description"),
                employees: form.text("employees"),
                founded_year: form.text("founded_year"),
                customers: form.text("customers"),
                listed: form.opt("listed").is_some(),
                industries: form.all("industries"),
                segments: form.all("segments"),
                regions_served: form.all("regions_served"),
                technologies: form.text("technologies"),
            },
            owners,
        )
    }

    fn build(v: FormValues, owners: &[(UserId, String)]) -> Self {
        let mut owner_choices = vec![Choice {
            value: String::new(),
            label: "Nobody".into(),
            selected: v.owner.is_empty(),
        }];
        owner_choices.extend(owners.iter().map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: id.to_string() == v.owner,
        }));
        Self {
            partner_types: enum_choices!(PartnerType, &v.partner_type, "Choose a type"),
            regions: enum_choices!(Region, &v.region, "No region"),
            owners: owner_choices,
            industries: checks(
                Industry::ALL.iter().map(|i| (i.as_str(), i.label())),
                &v.industries,
            ),
            segments: checks(
                Segment::ALL.iter().map(|i| (i.as_str(), i.label())),
                &v.segments,
            ),
            regions_served: checks(
                Region::ALL.iter().map(|i| (i.as_str(), i.label())),
                &v.regions_served,
            ),
            name: v.name,
            country: v.country,
            website: v.website,
            description: v.description,
            employees: v.employees,
            founded_year: v.founded_year,
            customers: v.customers,
            listed: v.listed,
            technologies: v.technologies,
        }
    }
}

struct FormValues {
    name: String,
    partner_type: String,
    region: String,
    country: String,
    website: String,
    owner: String,
    description: String,
    employees: String,
    founded_year: String,
    customers: String,
    listed: bool,
    industries: Vec<String>,
    segments: Vec<String>,
    regions_served: Vec<String>,
    technologies: String,
}

/// The patch a posted form asks for. `vendor` forms also carry the organisation fields and the
/// owner. Numbers that do not parse are field errors.
pub(crate) fn patch_of(
    form: &FormData,
    vendor: bool,
) -> Result<PartnerPatch, trellis_service::Error> {
    let mut e = trellis_domain::FieldErrors::new();
    let employees = form.whole_number("employees", &mut e);
    let customers = form.whole_number("customers", &mut e);
    let founded_year = form.whole_number("founded_year", &mut e);
    e.into_result()?;
    let opt = |name: &str| Some(form.opt(name));
    let technologies = form
        .text("technologies")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let mut patch = PartnerPatch {
        website: opt("website"),
        description: Some(form.text("description")),
        employees: Some(employees),
        founded_year: Some(founded_year),
        customers: Some(customers),
        listed: Some(form.opt("listed").is_some()),
        industries: Some(form.all("industries")),
        technologies: Some(technologies),
        segments: Some(form.all("segments")),
        regions_served: Some(form.all("regions_served")),
        ..PartnerPatch::default()
    };
    if vendor {
        patch.name = Some(form.text("name"));
        patch.partner_type = Some(form.text("partner_type"));
        patch.region = opt("region");
        patch.country = opt("country");
        patch.owner_id = Some(form.opt("owner_id").and_then(|o| o.parse::<UserId>().ok()));
    }
    Ok(patch)
}
