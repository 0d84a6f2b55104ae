//! Account mapping: populations counted over each side's accounts and recounted when they
//! change, sharing policies with defaults and per-connection overrides (validated, versioned,
//! audited), and connections that need both sides to opt in.

use std::collections::BTreeMap;

use trellis_domain::mapping::{
    AccountField, Condition, Filter, Op, Share, ShareLevel, SharedField, SharingPolicy,
};
use trellis_domain::{OrgId, Role};
use trellis_service::crm::AccountInput;
use trellis_service::mapping::{OverlapFilter, PolicyScope, PopulationInput};
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::AuditQuery;
use trellis_service::{Actor, Error};

use crate::partners_fixtures::{Program, fields};

async fn account(p: &Program, id: &str, name: &str, kind: &str, country: &str, employees: i64) {
    p.s.upsert_account(
        &p.admin,
        "salesforce",
        id,
        None,
        &AccountInput {
            name: name.into(),
            website: format!("{}.example", name.to_lowercase().replace(' ', "")),
            account_type: kind.into(),
            country: country.into(),
            employees: Some(employees),
            ..AccountInput::default()
        },
    )
    .await
    .unwrap();
}

fn count(populations: &[trellis_service::mapping::Population], key: &str) -> u64 {
    populations
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no population {key}"))
        .member_count
}

fn dach_enterprise() -> PopulationInput {
    PopulationInput {
        key: String::new(),
        name: "DACH enterprise".into(),
        description: "Large accounts in Germany, Austria and Switzerland".into(),
        filter: Filter {
            conditions: vec![
                Condition {
                    field: AccountField::Country,
                    op: Op::IsOneOf,
                    values: vec!["DE".into(), "AT".into(), "CH".into()],
                },
                Condition {
                    field: AccountField::Employees,
                    op: Op::AtLeast,
                    values: vec!["1000".into()],
                },
            ],
        },
    }
}

#[tokio::test]
async fn populations_count_the_sides_accounts_and_follow_changes() {
    let p = Program::new().await;
    account(&p, "1", "Acme", "Customer", "DE", 5_000).await;
    account(&p, "2", "Globex", "Prospect", "AT", 200).await;
    account(&p, "3", "Initech", "Customer - Direct", "US", 1_500).await;

    let all = p.s.list_populations(&p.admin).await.unwrap();
    let keys: Vec<&str> = all.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["customers", "open_opportunities", "prospects"]);
    assert_eq!(count(&all, "customers"), 2);
    assert_eq!(count(&all, "prospects"), 1);
    assert_eq!(count(&all, "open_opportunities"), 0);

    let dach =
        p.s.create_population(&p.admin, &dach_enterprise())
            .await
            .unwrap();
    assert_eq!(dach.key, "dach_enterprise");
    assert_eq!(
        dach.member_count, 1,
        "only Acme is in DACH with 1,000 or more"
    );

    p.advance_days(1);
    account(&p, "4", "Umbrella", "Customer", "CH", 9_000).await;
    let all = p.s.list_populations(&p.admin).await.unwrap();
    assert_eq!(
        count(&all, "dach_enterprise"),
        2,
        "a new account is counted"
    );
    assert_eq!(count(&all, "customers"), 3);

    let mut wider = dach_enterprise();
    wider.filter.conditions.pop();
    let changed =
        p.s.update_population(&p.admin, dach.id, dach.version, &wider)
            .await
            .unwrap();
    assert_eq!(changed.member_count, 3, "Acme, Globex and Umbrella");
    let stale =
        p.s.update_population(&p.admin, dach.id, dach.version, &wider)
            .await;
    assert!(
        matches!(stale, Err(Error::StaleVersion { .. })),
        "{stale:?}"
    );

    let builtin = all.iter().find(|p| p.builtin).unwrap();
    assert!(matches!(
        p.s.update_population(&p.admin, builtin.id, builtin.version, &wider)
            .await,
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        p.s.delete_population(&p.admin, builtin.id).await,
        Err(Error::InvalidState(_))
    ));
}

#[tokio::test]
async fn a_bad_population_names_each_field_and_saves_nothing() {
    let p = Program::new().await;
    let bad = PopulationInput {
        key: "Customers!".into(),
        name: String::new(),
        description: String::new(),
        filter: Filter {
            conditions: vec![Condition {
                field: AccountField::Employees,
                op: Op::Contains,
                values: vec!["big".into()],
            }],
        },
    };
    let f = fields(p.s.create_population(&p.admin, &bad).await);
    assert!(f.contains(&"name".to_owned()), "{f:?}");
    assert!(f.contains(&"key".to_owned()), "{f:?}");
    assert!(f.contains(&"filter.conditions[0].op".to_owned()), "{f:?}");
    p.s.create_population(&p.admin, &dach_enterprise())
        .await
        .unwrap();
    let twice = p.s.create_population(&p.admin, &dach_enterprise()).await;
    assert_eq!(fields(twice), ["key"]);
    assert_eq!(p.s.list_populations(&p.admin).await.unwrap().len(), 4);
}

fn records(fields: &[SharedField]) -> Share {
    Share {
        level: ShareLevel::Records,
        fields: fields.to_vec(),
    }
}

#[tokio::test]
async fn an_override_changes_one_partner_and_falls_back_on_the_default() {
    let p = Program::new().await;
    let org = p.partner("Northwind", "reseller").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let connection = p.s.opt_in_mapping(&p.admin, Some(org.id)).await.unwrap();

    let default = SharingPolicy {
        populations: BTreeMap::from([
            (
                "customers".to_owned(),
                Share {
                    level: ShareLevel::Counts,
                    fields: vec![],
                },
            ),
            (
                "prospects".to_owned(),
                Share {
                    level: ShareLevel::Counts,
                    fields: vec![],
                },
            ),
        ]),
        min_count: Some(3),
    };
    let saved =
        p.s.put_sharing_policy(&p.admin, PolicyScope::Default, 0, &default)
            .await
            .unwrap();
    assert_eq!(saved.version, 1);
    let over = SharingPolicy {
        populations: BTreeMap::from([(
            "customers".to_owned(),
            records(&[SharedField::Name, SharedField::Owner]),
        )]),
        min_count: None,
    };
    let scope = PolicyScope::Connection(connection.id);
    let o =
        p.s.put_sharing_policy(&p.admin, scope, 0, &over)
            .await
            .unwrap();
    assert_eq!(
        o.effective.share("customers"),
        &records(&[SharedField::Name, SharedField::Owner])
    );
    assert_eq!(o.effective.share("prospects").level, ShareLevel::Counts);
    assert_eq!(o.effective.min_count, Some(3));

    let stale = p.s.put_sharing_policy(&p.admin, scope, 0, &over).await;
    assert!(
        matches!(stale, Err(Error::StaleVersion { current: 1 })),
        "{stale:?}"
    );
    let unknown = SharingPolicy {
        populations: BTreeMap::from([(
            "partners".to_owned(),
            Share {
                level: ShareLevel::Counts,
                fields: vec![],
            },
        )]),
        min_count: None,
    };
    assert_eq!(
        fields(p.s.put_sharing_policy(&p.admin, scope, 1, &unknown).await),
        ["populations.partners"]
    );

    // Each side has its own policies: the partner's default is empty, and it cannot write
    // the vendor's.
    let theirs = p.s.sharing_policies(&partner_admin).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert!(theirs[0].policy.populations.is_empty());
    let mine = p.s.sharing_policies(&p.admin).await.unwrap();
    assert_eq!(mine.len(), 2);

    p.s.delete_sharing_override(&p.admin, connection.id)
        .await
        .unwrap();
    let back = p.s.sharing_policy(&p.admin, scope).await.unwrap();
    assert_eq!(back.version, 0);
    assert_eq!(back.effective, default);

    let audit =
        p.s.list_audit(
            &p.admin,
            &AuditQuery {
                action: Some("mapping.policy_changed".into()),
                ..AuditQuery::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 3, "two saves and a removal are audited");
}

#[tokio::test]
async fn deleting_a_population_takes_it_out_of_the_policies() {
    let p = Program::new().await;
    let dach =
        p.s.create_population(&p.admin, &dach_enterprise())
            .await
            .unwrap();
    let policy = SharingPolicy {
        populations: BTreeMap::from([
            (
                "dach_enterprise".to_owned(),
                Share {
                    level: ShareLevel::Counts,
                    fields: vec![],
                },
            ),
            (
                "customers".to_owned(),
                Share {
                    level: ShareLevel::Counts,
                    fields: vec![],
                },
            ),
        ]),
        min_count: None,
    };
    p.s.put_sharing_policy(&p.admin, PolicyScope::Default, 0, &policy)
        .await
        .unwrap();
    p.s.delete_population(&p.admin, dach.id).await.unwrap();
    let after =
        p.s.sharing_policy(&p.admin, PolicyScope::Default)
            .await
            .unwrap();
    assert_eq!(
        after.policy.populations.keys().collect::<Vec<_>>(),
        ["customers"]
    );
    assert_eq!(after.version, 2);
}

#[tokio::test]
async fn a_connection_needs_both_sides_and_each_side_hears_of_the_other() {
    let p = Program::new().await;
    let org = p.partner("Northwind", "reseller").await;
    let other = p.partner("Contoso", "msp").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let seller = p
        .user(org.id, Role::PartnerUser, "sam@northwind.example")
        .await;
    let rep = p
        .user(p.vendor.id, Role::SalesRep, "rep@vendor.example")
        .await;

    let c = p.s.opt_in_mapping(&p.admin, Some(org.id)).await.unwrap();
    assert!(c.vendor_opted_in_at.is_some() && !c.active);
    let mail = p.emails_to("admin@northwind.example").await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0].subject.contains("opted in to account mapping"),
        "{}",
        mail[0].subject
    );
    assert!(mail[0].body.contains("/portal/mapping"));

    let c = p.s.opt_in_mapping(&partner_admin, None).await.unwrap();
    assert!(c.active);
    assert_eq!(p.s.mapping_connections(&seller).await.unwrap().len(), 1);
    // Opting in twice changes nothing and tells no one again.
    let told = p.emails().await.len();
    p.s.opt_in_mapping(&partner_admin, None).await.unwrap();
    assert_eq!(p.emails().await.len(), told);

    // A partner sees only its own connection, and may not act on another's.
    p.s.opt_in_mapping(&p.admin, Some(other.id)).await.unwrap();
    assert_eq!(p.s.mapping_connections(&p.admin).await.unwrap().len(), 2);
    let theirs = p.s.mapping_connections(&p.admin).await.unwrap();
    let contoso = theirs.iter().find(|c| c.partner_id == other.id).unwrap();
    assert!(matches!(
        p.s.mapping_connection(&partner_admin, contoso.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        p.s.sharing_policy(&partner_admin, PolicyScope::Connection(contoso.id))
            .await,
        Err(Error::NotFound)
    ));
    // Sellers and reps read; they do not manage.
    assert!(matches!(
        p.s.opt_out_mapping(&seller, None).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        p.s.opt_in_mapping(&rep, Some(org.id)).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        p.s.opt_in_mapping(&p.admin, Some(OrgId::new())).await,
        Err(Error::Validation(_))
    ));

    let c = p.s.opt_out_mapping(&partner_admin, None).await.unwrap();
    assert!(!c.active && c.partner_opted_in_at.is_none());
}

#[tokio::test]
async fn the_preview_shows_only_the_shared_fields_of_an_example_account() {
    let p = Program::new().await;
    account(&p, "1", "Acme", "Customer", "DE", 5_000).await;
    let org = p.partner("Northwind", "reseller").await;
    let c = p.s.opt_in_mapping(&p.admin, Some(org.id)).await.unwrap();
    let policy = SharingPolicy {
        populations: BTreeMap::from([(
            "customers".to_owned(),
            records(&[SharedField::Name, SharedField::Country]),
        )]),
        min_count: None,
    };
    p.s.put_sharing_policy(&p.admin, PolicyScope::Default, 0, &policy)
        .await
        .unwrap();
    let preview = p.s.sharing_preview(&p.admin, c.id).await.unwrap();
    let customers = preview
        .iter()
        .find(|l| l.population.key == "customers")
        .unwrap();
    let example = customers.example.as_ref().unwrap();
    assert_eq!(example.len(), 2);
    assert_eq!(example["name"], "Acme");
    assert_eq!(example["country"], "DE");
    let prospects = preview
        .iter()
        .find(|l| l.population.key == "prospects")
        .unwrap();
    assert_eq!(prospects.share.level, ShareLevel::Nothing);
    assert!(prospects.example.is_none());
}

#[tokio::test]
async fn partners_define_their_own_populations_apart_from_the_vendor() {
    let p = Program::new().await;
    account(&p, "1", "Acme", "Customer", "DE", 5_000).await;
    let org = p.partner("Northwind", "reseller").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let theirs = p.s.list_populations(&partner_admin).await.unwrap();
    assert_eq!(
        count(&theirs, "customers"),
        0,
        "the vendor's accounts are not the partner's"
    );
    assert!(theirs.iter().all(|x| x.org_id == org.id));
    let dach =
        p.s.create_population(&partner_admin, &dach_enterprise())
            .await
            .unwrap();
    assert!(matches!(
        p.s.delete_population(&p.admin, dach.id).await,
        Err(Error::NotFound)
    ));
    let _: &Actor = &partner_admin;
}

const EXPORT: &str = "\u{feff}Account ID,Account Name,Website,Billing Country,Type,Employees,Open Deals,Account Owner\r\n\
    001,Acme GmbH,https://www.acme.de,Germany,Customer,5000,2,Pat Lee\r\n\
    002,Globex,globex.example,US,Prospect,,0,\r\n\
    003,\"Initech, Inc.\",initech.example,USA,Customer,120,1,pat@northwind.example\r\n";

#[tokio::test]
async fn a_partner_uploads_its_accounts_and_its_populations_count_them() {
    let p = Program::new().await;
    let org = p.partner("Northwind", "reseller").await;
    let admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let seller = p
        .user(org.id, Role::PartnerUser, "sam@northwind.example")
        .await;
    let report =
        p.s.upload_partner_accounts(&admin, EXPORT.as_bytes(), true)
            .await
            .unwrap();
    assert_eq!(
        (report.rows, report.added, report.updated, report.removed),
        (3, 3, 0, 0)
    );
    let list =
        p.s.list_partner_accounts(&seller, None, &PageRequest::default())
            .await
            .unwrap();
    let names: Vec<&str> = list.items.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Acme GmbH", "Globex", "Initech, Inc."]);
    let acme = &list.items[0];
    assert_eq!(
        (acme.domain.as_str(), acme.country.as_str()),
        ("acme.de", "DE")
    );
    assert_eq!(
        (acme.relationship.as_str(), acme.open_opportunities),
        ("customer", 2)
    );
    let theirs = p.s.list_populations(&admin).await.unwrap();
    assert_eq!(count(&theirs, "customers"), 2);
    assert_eq!(count(&theirs, "open_opportunities"), 2);

    // Replacing with a shorter list removes what is missing and keeps what stays.
    p.advance_days(1);
    let shorter = "Account ID,Account Name,Website,Type\n001,Acme GmbH,acme.de,Customer\n";
    let report =
        p.s.upload_partner_accounts(&admin, shorter.as_bytes(), true)
            .await
            .unwrap();
    assert_eq!((report.added, report.updated, report.removed), (0, 1, 2));
    assert_eq!(
        count(&p.s.list_populations(&admin).await.unwrap(), "customers"),
        1
    );
    // Without replace, a file adds to the list.
    let more = "Account ID,Account Name,Type\n009,Hooli,Prospect\n";
    let report =
        p.s.upload_partner_accounts(&admin, more.as_bytes(), false)
            .await
            .unwrap();
    assert_eq!((report.added, report.removed), (1, 0));

    // Only the partner's own people read the list; the vendor maps its own CRM.
    assert!(matches!(
        p.s.list_partner_accounts(&p.admin, None, &PageRequest::default())
            .await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        p.s.upload_partner_accounts(&seller, more.as_bytes(), false)
            .await,
        Err(Error::Forbidden)
    ));
}

#[tokio::test]
async fn a_bad_row_names_its_line_and_column_and_nothing_is_uploaded() {
    let p = Program::new().await;
    let org = p.partner("Northwind", "reseller").await;
    let admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let bad = "Account ID,Account Name,Employees\n001,Acme,5000\n002,Globex,lots\n003,,10\n001,Acme again,1\n";
    let f = fields(
        p.s.upload_partner_accounts(&admin, bad.as_bytes(), true)
            .await,
    );
    assert!(f.contains(&"line 3, column Employees".to_owned()), "{f:?}");
    assert!(
        f.contains(&"line 4, column Account Name".to_owned()),
        "{f:?}"
    );
    assert!(f.contains(&"line 5, column Account ID".to_owned()), "{f:?}");
    let none =
        p.s.list_partner_accounts(&admin, None, &PageRequest::default())
            .await
            .unwrap();
    assert!(none.items.is_empty());
    let f = fields(
        p.s.upload_partner_accounts(&admin, b"Website\nacme.de\n", true)
            .await,
    );
    assert_eq!(f, ["file"]);
}

async fn company(p: &Program, id: &str, name: &str, website: &str, kind: &str, country: &str) {
    p.s.upsert_account(
        &p.admin,
        "salesforce",
        id,
        None,
        &AccountInput {
            name: name.into(),
            website: website.into(),
            account_type: kind.into(),
            country: country.into(),
            owner: "rep@vendor.example".into(),
            ..AccountInput::default()
        },
    )
    .await
    .unwrap();
}

const PARTNER_BOOK: &str = "Account ID,Account Name,Website,Billing Country,Type,Open Deals,Account Owner\n\
    p1,ACME GmbH,https://www.acme.de,Germany,Customer,2,Pat Lee\n\
    p2,Globex Corporation,globex.com,US,Prospect,0,Kim Ray\n\
    p3,Initech,initech.com,US,Customer,0,Pat Lee\n";

/// A matrix cell's count (`None` where it is hidden); the cell must exist.
fn cell(m: &trellis_service::mapping::OverlapMatrix, ours: &str, theirs: &str) -> Option<u64> {
    m.cells
        .iter()
        .find(|c| c.ours == ours && c.theirs == theirs)
        .unwrap_or_else(|| panic!("no cell {ours} × {theirs}"))
        .overlap
}

/// Both sides' accounts, opted in (a mapping cannot run before), with policies: the partner
/// shares its customers as records (name and owner) and its prospects as counts; the vendor
/// shares counts of its customers, none below 2.
async fn two_sides(p: &Program) -> (Actor, Actor, trellis_domain::MappingConnectionId) {
    let org = p.partner("Northwind", "reseller").await;
    let other = p.partner("Contoso", "msp").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let outsider = p
        .user(other.id, Role::PartnerAdmin, "admin@contoso.example")
        .await;
    company(p, "v1", "Acme", "acme.de", "Prospect", "DE").await;
    company(p, "v2", "Globex", "https://globex.com", "Customer", "US").await;
    company(p, "v3", "Umbrella", "umbrella.com", "Customer", "US").await;
    p.s.upsert_opportunity(
        &p.admin,
        "salesforce",
        "o1",
        None,
        &trellis_service::crm::OpportunityInput {
            account_external_id: "v1".into(),
            name: "Acme expansion".into(),
            stage: "Prospecting".into(),
            close_date: "2026-03-01".into(),
            owner: "rep@vendor.example".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    p.s.upload_partner_accounts(&partner_admin, PARTNER_BOOK.as_bytes(), true)
        .await
        .unwrap();

    let c = p.s.opt_in_mapping(&p.admin, Some(org.id)).await.unwrap();
    assert!(matches!(
        p.s.request_mapping_run(&p.admin, c.id).await,
        Err(Error::InvalidState(_))
    ));
    p.s.opt_in_mapping(&partner_admin, None).await.unwrap();
    // The partner shares its customers as records (name and owner) and its prospects as
    // counts; the vendor shares counts of its customers, none below 2.
    let partner_policy = SharingPolicy {
        populations: BTreeMap::from([
            (
                "customers".into(),
                records(&[SharedField::Name, SharedField::Owner]),
            ),
            (
                "prospects".into(),
                Share {
                    level: ShareLevel::Counts,
                    fields: vec![],
                },
            ),
        ]),
        min_count: None,
    };
    p.s.put_sharing_policy(&partner_admin, PolicyScope::Default, 0, &partner_policy)
        .await
        .unwrap();
    let vendor_policy = SharingPolicy {
        populations: BTreeMap::from([(
            "customers".into(),
            Share {
                level: ShareLevel::Counts,
                fields: vec![],
            },
        )]),
        min_count: Some(2),
    };
    p.s.put_sharing_policy(&p.admin, PolicyScope::Default, 0, &vendor_policy)
        .await
        .unwrap();

    (partner_admin, outsider, c.id)
}

#[tokio::test]
async fn a_mapping_shows_each_side_only_what_the_other_shares() {
    let p = Program::new().await;
    let (partner_admin, outsider, connection) = two_sides(&p).await;
    let run =
        p.s.request_mapping_run(&partner_admin, connection)
            .await
            .unwrap();
    assert_eq!(run.status, "queued");
    let again = p.s.request_mapping_run(&p.admin, connection).await.unwrap();
    assert_eq!(again.id, run.id, "one run at a time");
    assert_eq!(p.jobs_of("mapping.run").await.len(), 1);
    assert!(matches!(
        p.s.mapping_matrix(&p.admin, run.id).await,
        Err(Error::InvalidState(_))
    ));
    p.s.execute_mapping_run(run.id).await.unwrap();
    let done = p.s.mapping_run(&p.admin, run.id).await.unwrap();
    assert_eq!((done.status.as_str(), done.progress), ("done", 100));
    assert_eq!(
        (done.vendor_accounts, done.partner_accounts),
        (Some(3), Some(3))
    );

    // The vendor: columns are the partner's customers and prospects; Acme is its prospect
    // with an open opportunity and their customer; Globex its customer and their prospect.
    let m = p.s.mapping_matrix(&p.admin, run.id).await.unwrap();
    let columns: Vec<&str> = m.theirs.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(columns, ["customers", "prospects"]);
    assert_eq!(cell(&m, "prospects", "customers"), Some(1));
    assert_eq!(cell(&m, "open_opportunities", "customers"), Some(1));
    assert_eq!(cell(&m, "customers", "prospects"), Some(1));
    assert_eq!(cell(&m, "customers", "customers"), Some(0));
    assert_eq!(m.flagged, 1);
    let pairs =
        p.s.mapping_overlaps(
            &p.admin,
            run.id,
            &OverlapFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(pairs.len(), 1, "only their customers are shared as records");
    assert_eq!(pairs[0].account_name, "Acme");
    assert_eq!(pairs[0].owner, "rep@vendor.example");
    assert_eq!(pairs[0].open_opportunities, 1);
    assert!(pairs[0].flagged, "their customer × our open opportunity");
    assert_eq!(
        serde_json::Value::Object(pairs[0].their_fields.clone()),
        serde_json::json!({"name": "ACME GmbH", "owner": "Pat Lee"})
    );
    let csv = String::from_utf8(
        p.s.mapping_overlaps_csv(&p.admin, run.id, &OverlapFilter::default())
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(csv.starts_with("Account,Owner,Open opportunities,Our populations,Their populations,Co-sell flag,Their name,Their owner\n"), "{csv}");
    assert!(
        csv.contains(
            "Acme,rep@vendor.example,1,open_opportunities prospects,customers,yes,ACME GmbH,Pat Lee"
        ),
        "{csv}"
    );

    // The partner: the vendor shares customer counts only, and 1 is below its minimum.
    let m = p.s.mapping_matrix(&partner_admin, run.id).await.unwrap();
    let columns: Vec<&str> = m.theirs.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(columns, ["customers"]);
    assert_eq!(cell(&m, "prospects", "customers"), None);
    let pairs =
        p.s.mapping_overlaps(
            &partner_admin,
            run.id,
            &OverlapFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(pairs.items.is_empty());

    // Another partner cannot see the run at all.
    assert!(matches!(
        p.s.mapping_run(&outsider, run.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        p.s.mapping_overlaps(
            &outsider,
            run.id,
            &OverlapFilter::default(),
            &PageRequest::default()
        )
        .await,
        Err(Error::NotFound)
    ));
    assert_eq!(p.events("mapping.completed").await.len(), 1);
    assert_eq!(
        p.s.mapping_runs(&partner_admin, connection)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_side_that_opts_out_before_the_run_stops_it() {
    let p = Program::new().await;
    let org = p.partner("Northwind", "reseller").await;
    let partner_admin = p
        .user(org.id, Role::PartnerAdmin, "admin@northwind.example")
        .await;
    let c = p.s.opt_in_mapping(&p.admin, Some(org.id)).await.unwrap();
    p.s.opt_in_mapping(&partner_admin, None).await.unwrap();
    let run = p.s.request_mapping_run(&p.admin, c.id).await.unwrap();
    p.s.opt_out_mapping(&partner_admin, None).await.unwrap();
    p.s.execute_mapping_run(run.id).await.unwrap();
    let failed = p.s.mapping_run(&p.admin, run.id).await.unwrap();
    assert_eq!(failed.status, "failed");
    assert!(failed.error.unwrap().contains("opted out"));
}
