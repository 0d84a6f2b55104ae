//! The partner directory and the public locator: folded text search, facet filters and
//! disjunctive counts, keyset paging in both orders, and what the locator may show.

use std::collections::{BTreeMap, BTreeSet};

use trellis_domain::partners::metrics::Metric;
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::{OrgId, Role};
use trellis_service::Error;
use trellis_service::partners::PartnerPatch;
use trellis_service::partners::directory::{DirectoryQuery, DirectoryResult, FacetCounts};
use trellis_service::partners::settings::ProgramSettings;
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::OrgInput;

use crate::partners_fixtures::{Program, fields, ipp_criteria};

const TYPES: [&str; 5] = ["reseller", "msp", "isv", "si", "referral"];
const REGIONS: [&str; 4] = ["na", "latam", "emea", "apj"];
const INDUSTRIES: [&str; 5] = [
    "healthcare",
    "retail",
    "software",
    "financial_services",
    "education",
];
const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];
const TECHS: [&str; 4] = ["Kubernetes", "AWS", "Azure", "SAP"];

/// What one seeded partner is, for computing expectations.
#[derive(Clone, Debug)]
struct Seed {
    id: OrgId,
    name: String,
    partner_type: &'static str,
    region: &'static str,
    served: Vec<&'static str>,
    industries: Vec<&'static str>,
    segments: Vec<&'static str>,
    tier: &'static str,
    listed: bool,
    owned: bool,
}

impl Seed {
    fn regions(&self) -> BTreeSet<&'static str> {
        self.served.iter().copied().chain([self.region]).collect()
    }
}

struct Directory {
    p: Program,
    seeds: Vec<Seed>,
}

/// 30 partners: two with Zurich in their name or description, 28 spread over types,
/// regions, industries, segments and technologies; a third are Silver and a few Gold.
async fn directory() -> Directory {
    let p = Program::new().await;
    p.ladder().await;
    let cm_id = p.cm.user().map(|u| u.user_id);
    let mut seeds = Vec::new();
    for i in 0..30_usize {
        let (name, description, country) = match i {
            0 => (
                "Zürich Cloud AG".to_owned(),
                "Cloud migrations for Swiss banks.".to_owned(),
                "CH",
            ),
            1 => (
                "Alpenglühen Data GmbH".to_owned(),
                "Managed data platforms, run from ZURICH and Munich.".to_owned(),
                "DE",
            ),
            _ => (
                format!(
                    "{} Partner {i:02}",
                    ["North", "south", "Ëast", "west"][i % 4]
                ),
                format!("Partner number {i} sells widgets."),
                "US",
            ),
        };
        let partner_type = TYPES[i % TYPES.len()];
        let region = REGIONS[i % REGIONS.len()];
        let served = if i % 3 == 0 {
            vec![REGIONS[(i + 1) % REGIONS.len()]]
        } else {
            vec![]
        };
        let industries = vec![INDUSTRIES[i % INDUSTRIES.len()], INDUSTRIES[(i + 2) % 5]];
        let segments = vec![SEGMENTS[i % SEGMENTS.len()]];
        let tech = TECHS[i % TECHS.len()];
        let org = p
            .partner_with(OrgInput {
                name: name.clone(),
                partner_type: Some(partner_type.into()),
                region: Some(region.into()),
                country: Some(country.into()),
                ..OrgInput::default()
            })
            .await;
        let current = p.s.get_partner(&p.admin, org.id).await.unwrap();
        let listed = i % 2 == 0;
        let owned = i % 5 == 0;
        let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        p.s.update_partner(
            &p.admin,
            org.id,
            current.version,
            &PartnerPatch {
                description: Some(description),
                industries: Some(strs(&industries)),
                segments: Some(strs(&segments)),
                technologies: Some(vec![tech.to_lowercase()]),
                regions_served: Some(strs(&served)),
                listed: Some(listed),
                owner_id: owned.then_some(cm_id),
                employees: Some(Some(u32::try_from(i * 3).unwrap())),
                ..PartnerPatch::default()
            },
        )
        .await
        .unwrap();
        let tier = match i % 6 {
            0 | 3 => {
                p.s.set_partner_metric(&p.admin, org.id, Metric::WonDeals, Some(5), "manual")
                    .await
                    .unwrap();
                "silver"
            }
            5 => {
                for (m, v) in [(Metric::WonDeals, 10), (Metric::SourcedRevenue, 1_000_000)] {
                    p.s.set_partner_metric(&p.admin, org.id, m, Some(v), "manual")
                        .await
                        .unwrap();
                }
                "gold"
            }
            _ => "registered",
        };
        seeds.push(Seed {
            id: org.id,
            name,
            partner_type,
            region,
            served,
            industries,
            segments,
            tier,
            listed,
            owned,
        });
    }
    p.s.evaluate_all_tiers().await.unwrap();
    Directory { p, seeds }
}

impl Directory {
    async fn search(&self, q: &DirectoryQuery) -> DirectoryResult {
        self.p
            .s
            .search_directory(
                &self.p.admin,
                q,
                &PageRequest {
                    cursor: None,
                    limit: Some(200),
                },
            )
            .await
            .unwrap()
    }

    async fn names(&self, q: &DirectoryQuery) -> BTreeSet<String> {
        let r = self.search(q).await;
        assert_eq!(r.total, i64::try_from(r.items.len()).unwrap());
        r.items.into_iter().map(|p| p.name).collect()
    }

    fn expect(&self, keep: impl Fn(&Seed) -> bool) -> BTreeSet<String> {
        self.seeds
            .iter()
            .filter(|s| keep(s))
            .map(|s| s.name.clone())
            .collect()
    }
}

fn text(q: &str) -> DirectoryQuery {
    DirectoryQuery {
        q: Some(q.into()),
        ..DirectoryQuery::default()
    }
}

fn facet<'a>(facets: &'a [FacetCounts], id: &str) -> BTreeMap<&'a str, (i64, bool)> {
    facets
        .iter()
        .find(|f| f.facet == id)
        .unwrap()
        .values
        .iter()
        .map(|v| (v.value.as_str(), (v.count, v.selected)))
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn text_search_ignores_case_and_accents() {
    let d = directory().await;
    let zurich: BTreeSet<String> = ["Alpenglühen Data GmbH", "Zürich Cloud AG"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(d.names(&text("zurich")).await, zurich);
    assert_eq!(d.names(&text("ZÜRICH")).await, zurich);
    // Facet counts follow the text query.
    let found = d.search(&text("zurich")).await;
    let types = facet(&found.facets, "partner_type");
    assert_eq!(types.values().map(|(n, _)| n).sum::<i64>(), 2);
    assert_eq!(facet(&found.facets, "status")["onboarding"], (2, false));
    assert_eq!(
        d.names(&text("zürich, CLOUD!")).await,
        d.expect(|s| s.name == "Zürich Cloud AG")
    );
    assert_eq!(
        d.names(&text("alpengluhen")).await,
        d.expect(|s| s.name.starts_with("Alpen"))
    );
    assert_eq!(
        d.names(&text("east")).await,
        d.expect(|s| s.name.starts_with("Ëast"))
    );
    // Specialisation labels are searched too.
    assert_eq!(
        d.names(&text("kubernetes")).await,
        d.expect(|s| d.seeds.iter().position(|x| x.id == s.id).unwrap() % 4 == 0)
    );
    assert_eq!(
        d.names(&text("financial")).await,
        d.expect(|s| s.industries.contains(&"financial_services"))
    );
    assert_eq!(d.names(&text("  ")).await.len(), 30);
}

#[tokio::test]
async fn filters_apply_across_facets_and_any_value_within_one() {
    let d = directory().await;
    let q = DirectoryQuery {
        partner_types: strings(&["msp", "si"]),
        regions: strings(&["emea"]),
        ..DirectoryQuery::default()
    };
    let want =
        d.expect(|s| ["msp", "si"].contains(&s.partner_type) && s.regions().contains("emea"));
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(d.names(&q).await, want);

    let q = DirectoryQuery {
        industries: strings(&["healthcare", "retail"]),
        segments: strings(&["enterprise"]),
        technologies: strings(&["aws", "AZURE"]),
        ..DirectoryQuery::default()
    };
    let want = d.expect(|s| {
        let i = d.seeds.iter().position(|x| x.id == s.id).unwrap();
        (s.industries.contains(&"healthcare") || s.industries.contains(&"retail"))
            && s.segments.contains(&"enterprise")
            && ["AWS", "Azure"].contains(&TECHS[i % 4])
    });
    assert!(!want.is_empty());
    assert_eq!(d.names(&q).await, want);

    let q = DirectoryQuery {
        tiers: strings(&["gold", "silver"]),
        statuses: strings(&["onboarding"]),
        owner_id: d.p.cm.user().map(|u| u.user_id),
        ..DirectoryQuery::default()
    };
    assert_eq!(
        d.names(&q).await,
        d.expect(|s| s.owned && s.tier != "registered")
    );
    let q = DirectoryQuery {
        statuses: strings(&["active"]),
        ..DirectoryQuery::default()
    };
    assert!(d.names(&q).await.is_empty());
}

#[tokio::test]
async fn facet_counts_leave_out_their_own_selection() {
    let d = directory().await;
    let all = d.search(&DirectoryQuery::default()).await;
    assert_eq!(all.total, 30);
    let tiers = facet(&all.facets, "tier");
    let count = |t: &str| i64::try_from(d.seeds.iter().filter(|s| s.tier == t).count()).unwrap();
    assert_eq!(tiers["registered"], (count("registered"), false));
    assert_eq!(tiers["silver"], (count("silver"), false));
    assert_eq!(tiers["gold"], (count("gold"), false));
    let statuses = facet(&all.facets, "status");
    assert_eq!(statuses["onboarding"], (30, false));
    // The headquarters region counts as served.
    let regions = facet(&all.facets, "region");
    for r in REGIONS {
        let n = d.seeds.iter().filter(|s| s.regions().contains(r)).count();
        assert_eq!(regions[r].0, i64::try_from(n).unwrap(), "{r}");
    }
    let techs = &all
        .facets
        .iter()
        .find(|f| f.facet == "technology")
        .unwrap()
        .values;
    let labels: BTreeSet<_> = techs.iter().map(|v| v.label.as_str()).collect();
    // Partners typed their technologies in lower case; labels come from what they wrote.
    assert_eq!(labels, ["aws", "azure", "kubernetes", "sap"].into());
    assert!(techs.windows(2).all(|w| w[0].count >= w[1].count));

    let gold = d
        .search(&DirectoryQuery {
            tiers: strings(&["gold"]),
            ..DirectoryQuery::default()
        })
        .await;
    assert_eq!(gold.total, count("gold"));
    // Ticking Gold still shows how many partners the other tiers have.
    let tiers = facet(&gold.facets, "tier");
    assert_eq!(tiers["gold"], (count("gold"), true));
    assert_eq!(tiers["silver"], (count("silver"), false));
    assert_eq!(tiers["registered"], (count("registered"), false));
    // Every other facet counts Gold partners only.
    let types = facet(&gold.facets, "partner_type");
    let sum: i64 = types.values().map(|(n, _)| n).sum();
    assert_eq!(sum, count("gold"));
    for (t, (n, _)) in &types {
        let want = d
            .seeds
            .iter()
            .filter(|s| s.tier == "gold" && s.partner_type == *t)
            .count();
        assert_eq!(*n, i64::try_from(want).unwrap(), "{t}");
    }

    // Two facets selected: each one's counts apply the other's selection.
    let both = d
        .search(&DirectoryQuery {
            tiers: strings(&["gold"]),
            partner_types: strings(&["msp"]),
            ..DirectoryQuery::default()
        })
        .await;
    let tiers = facet(&both.facets, "tier");
    let msp_by_tier = |t: &str| {
        i64::try_from(
            d.seeds
                .iter()
                .filter(|s| s.partner_type == "msp" && s.tier == t)
                .count(),
        )
        .unwrap()
    };
    for t in ["registered", "silver", "gold"] {
        let got = tiers.get(t).map_or(0, |v| v.0);
        assert_eq!(got, msp_by_tier(t), "{t}");
    }
    let types = facet(&both.facets, "partner_type");
    assert_eq!(types["msp"], (msp_by_tier("gold"), true));
}

async fn walk(d: &Directory, sort: &str, limit: usize) -> Vec<OrgId> {
    let mut out = Vec::new();
    let mut cursor = None;
    let q = DirectoryQuery {
        sort: Some(sort.into()),
        ..DirectoryQuery::default()
    };
    for _ in 0..100 {
        let page =
            d.p.s
                .search_directory(
                    &d.p.admin,
                    &q,
                    &PageRequest {
                        cursor: cursor.take(),
                        limit: Some(limit),
                    },
                )
                .await
                .unwrap();
        assert!(page.items.len() <= limit);
        assert_eq!(page.total, 30);
        out.extend(page.items.iter().map(|p| p.id));
        match page.next {
            Some(c) => cursor = Some(c.encode()),
            None => return out,
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn pages_return_every_partner_once_in_both_orders() {
    let d = directory().await;
    // Scores with many ties, so the id tie-breaker matters.
    d.p.s
        .save_ipp(&d.p.admin, 0, ipp_criteria(), "v1")
        .await
        .unwrap();
    d.p.s.rescore_all(1).await.unwrap();
    for sort in ["name", "fit"] {
        let one = d
            .search(&DirectoryQuery {
                sort: Some(sort.into()),
                ..DirectoryQuery::default()
            })
            .await;
        let whole: Vec<_> = one.items.iter().map(|p| p.id).collect();
        assert_eq!(whole.len(), 30);
        for limit in [1, 4, 7, 29, 30] {
            let paged = walk(&d, sort, limit).await;
            assert_eq!(paged, whole, "sort {sort}, limit {limit}");
        }
        if sort == "name" {
            let names: Vec<_> = one.items.iter().map(|p| p.name.to_lowercase()).collect();
            // Same order as the database's collation for plain ASCII names.
            let ascii: Vec<_> = names.iter().filter(|n| n.is_ascii()).collect();
            assert!(ascii.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
        } else {
            let scores: Vec<_> = one.items.iter().map(|p| p.fit_score).collect();
            assert!(scores.iter().all(Option::is_some));
            assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
            let distinct: BTreeSet<_> = scores.iter().collect();
            assert!(distinct.len() > 2 && distinct.len() < 30, "{distinct:?}");
        }
    }
}

#[tokio::test]
async fn an_unknown_facet_value_is_a_field_error() {
    let d = directory().await;
    let got = fields(
        d.p.s
            .search_directory(
                &d.p.admin,
                &DirectoryQuery {
                    industries: strings(&["healthcare", "space_travel"]),
                    partner_types: strings(&["pirate"]),
                    regions: strings(&["mars"]),
                    statuses: strings(&["sleeping"]),
                    segments: strings(&["galactic"]),
                    ..DirectoryQuery::default()
                },
                &PageRequest::default(),
            )
            .await,
    );
    for f in ["industry", "partner_type", "region", "status", "segment"] {
        assert!(got.iter().any(|g| g == f), "{f} missing in {got:?}");
    }
    // Tier keys come from the program's ladder, so they are checked against it.
    let tier = DirectoryQuery {
        tiers: strings(&["gold", "diamond"]),
        ..DirectoryQuery::default()
    };
    assert_eq!(
        fields(
            d.p.s
                .search_directory(&d.p.admin, &tier, &PageRequest::default())
                .await
        ),
        ["tier"]
    );
    let sort = DirectoryQuery {
        sort: Some("popularity".into()),
        ..DirectoryQuery::default()
    };
    assert_eq!(
        fields(
            d.p.s
                .search_directory(&d.p.admin, &sort, &PageRequest::default())
                .await
        ),
        ["sort"]
    );
    let bad_cursor = PageRequest {
        cursor: Some("not-a-cursor".into()),
        limit: None,
    };
    assert_eq!(
        fields(
            d.p.s
                .search_directory(&d.p.admin, &DirectoryQuery::default(), &bad_cursor)
                .await
        ),
        ["cursor"]
    );
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "a story: the locator switched on and used"
)]
async fn the_locator_shows_active_listed_partners_once_it_is_switched_on() {
    let d = directory().await;
    let p = &d.p;
    let err =
        p.s.search_locator(&DirectoryQuery::default(), &PageRequest::default())
            .await
            .unwrap_err();
    assert!(matches!(err, Error::NotFound), "{err:?}");

    let settings = p.s.get_program_settings(&p.admin).await.unwrap();
    p.s.update_program_settings(
        &p.admin,
        settings.version,
        ProgramSettings {
            locator_enabled: true,
            ..settings.settings
        },
    )
    .await
    .unwrap();
    let (entries, _, total, _) =
        p.s.search_locator(&DirectoryQuery::default(), &PageRequest::default())
            .await
            .unwrap();
    assert!(entries.is_empty(), "nobody is active yet");
    assert_eq!(total, 0);

    // Activate every third partner; half of all partners are listed.
    for s in d.seeds.iter().step_by(3) {
        let current = p.s.get_partner(&p.admin, s.id).await.unwrap();
        p.s.set_partner_status(
            &p.admin,
            s.id,
            current.version,
            PartnerStatus::Active,
            "onboarded offline",
        )
        .await
        .unwrap();
    }
    // A suspended partner disappears even if it is listed.
    let suspended = &d.seeds[6];
    let current = p.s.get_partner(&p.admin, suspended.id).await.unwrap();
    p.s.set_partner_status(
        &p.admin,
        suspended.id,
        current.version,
        PartnerStatus::Suspended,
        "unpaid invoices",
    )
    .await
    .unwrap();
    let want = d.expect(|s| {
        let i = d.seeds.iter().position(|x| x.id == s.id).unwrap();
        i % 3 == 0 && i != 6 && s.listed
    });
    assert!(want.len() >= 3);
    // Asking for other statuses does not widen the locator.
    let q = DirectoryQuery {
        statuses: strings(&["onboarding", "suspended"]),
        ..DirectoryQuery::default()
    };
    let (entries, next, total, facets) =
        p.s.search_locator(&q, &PageRequest::default())
            .await
            .unwrap();
    assert!(next.is_none());
    assert_eq!(total, i64::try_from(want.len()).unwrap());
    let names: BTreeSet<_> = entries.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, want);
    assert!(facets.iter().all(|f| f.facet != "status"));
    let tiers = facet(&facets, "tier");
    let listed_gold = d
        .seeds
        .iter()
        .enumerate()
        .filter(|(i, s)| i % 3 == 0 && *i != 6 && s.listed && s.tier == "gold")
        .count();
    assert_eq!(
        tiers.get("gold").map_or(0, |v| v.0),
        i64::try_from(listed_gold).unwrap()
    );
    // Entries show the tier's name, not its key, and nothing internal.
    let zurich = entries
        .iter()
        .find(|e| e.name == "Zürich Cloud AG")
        .unwrap();
    assert_eq!(zurich.tier.as_deref(), Some("Silver"));
    // Unlisting takes a partner off at once.
    let z = p.s.get_partner(&p.admin, d.seeds[0].id).await.unwrap();
    let pa = p
        .user(z.id, Role::PartnerAdmin, "admin@zurich.example")
        .await;
    p.s.update_partner(
        &pa,
        z.id,
        z.version,
        &PartnerPatch {
            listed: Some(false),
            ..PartnerPatch::default()
        },
    )
    .await
    .unwrap();
    let (entries, ..) =
        p.s.search_locator(&text("zurich"), &PageRequest::default())
            .await
            .unwrap();
    assert!(entries.is_empty(), "{entries:?}");
}
