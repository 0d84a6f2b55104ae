use super::*;
use crate::partners::test_de::{V, from_v, map, s, seq};

fn crit(key: &str, attribute: Attribute, rule: Rule, weight: u32) -> Criterion {
    Criterion {
        key: key.to_owned(),
        label: attribute.label().to_owned(),
        attribute,
        rule,
        weight,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn any_of(values: &[&str]) -> Rule {
    Rule::AnyOf {
        values: strings(values),
    }
}

fn coverage(values: &[&str], full_at: u32) -> Rule {
    Rule::Coverage {
        values: strings(values),
        full_at,
    }
}

fn band(min: u32, ideal_min: u32, ideal_max: Option<u32>, max: Option<u32>) -> Rule {
    Rule::Band {
        min,
        ideal_min,
        ideal_max,
        max,
    }
}

fn tags(values: &[&str]) -> Vec<TechTag> {
    values.iter().map(|v| TechTag::parse(v).unwrap()).collect()
}

fn msp_in_healthcare() -> FitProfile {
    FitProfile {
        partner_type: Some(PartnerType::Msp),
        region: Some(Region::Emea),
        country: Some("DE".into()),
        specialisations: Specialisations {
            industries: vec![Industry::Software, Industry::Healthcare],
            technologies: tags(&["AWS", "Salesforce"]),
            segments: vec![Segment::MidMarket],
            regions_served: vec![Region::Emea],
        },
        employees: Some(75),
        years_in_business: Some(12),
        customers: Some(40),
    }
}

/// The one criterion of a single-criterion IPP, scored.
fn one(attribute: Attribute, rule: Rule, p: &FitProfile) -> Contribution {
    let ipp = Ipp::new(vec![crit("only", attribute, rule, 7)]).unwrap();
    let mut s = ipp.score(p);
    assert_eq!(s.contributions[0].max_points, 100);
    assert_eq!(s.score, s.contributions[0].points);
    s.contributions.remove(0)
}

fn error_for(criteria: Vec<Criterion>, field: &str) -> String {
    let e = Ipp::new(criteria).unwrap_err();
    let msg = e.for_field(field);
    assert!(msg.is_some(), "no error for {field}: {e}");
    msg.unwrap().to_owned()
}

#[test]
fn weights_50_30_20_with_partial_matches_score_as_computed_by_hand() {
    let ipp = Ipp::new(vec![
        crit("type", Attribute::PartnerType, any_of(&["msp", "si"]), 50),
        crit(
            "industries",
            Attribute::Industries,
            coverage(&["healthcare", "retail", "financial_services"], 2),
            30,
        ),
        crit(
            "size",
            Attribute::Employees,
            band(50, 100, Some(500), Some(1000)),
            20,
        ),
    ])
    .unwrap();
    let s = ipp.score(&msp_in_healthcare());
    let got: Vec<(u8, u8, u16)> = s
        .contributions
        .iter()
        .map(|c| (c.max_points, c.points, c.matched_permille))
        .collect();
    // Type: full 50. Industries: 1 of 2 needed → 15 of 30. Employees: 75 is halfway from 50
    // to 100 → 10 of 20.
    assert_eq!(got, [(50, 50, 1000), (30, 15, 500), (20, 10, 500)]);
    assert_eq!(s.score, 75);
    let reasons: Vec<&str> = s.contributions.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Partner type MSP is one of MSP, Systems integrator",
            "Industries: 1 of Healthcare, Retail, Financial services (full points at 2)",
            "75 employees: below the ideal 100–500",
        ]
    );
    assert_eq!(
        s.explain(),
        "Fit 75/100: Partner type 50/50, Industries 15/30, Employees 10/20"
    );
}

#[test]
fn equal_thirds_still_add_up_to_a_hundred_for_a_perfect_fit() {
    let p = msp_in_healthcare();
    let ipp = Ipp::new(vec![
        crit("a", Attribute::PartnerType, any_of(&["msp"]), 1),
        crit("b", Attribute::Country, any_of(&["de"]), 1),
        crit("c", Attribute::Region, any_of(&["emea"]), 1),
    ])
    .unwrap();
    let s = ipp.score(&p);
    let max: Vec<u8> = s.contributions.iter().map(|c| c.max_points).collect();
    assert_eq!(max, [34, 33, 33], "the first criterion wins the tie");
    assert_eq!(s.score, 100);

    // Two thirds matched: 34 + 33 = 67 points, not 66.67 rounded per criterion.
    let mut q = p;
    q.region = Some(Region::Apj);
    let s = ipp.score(&q);
    assert_eq!(s.score, 67);
    assert_eq!(s.contributions[2].points, 0);
}

#[test]
fn rounding_favours_the_largest_remainder_and_never_exceeds_a_maximum() {
    // Maxima 34/33/33, each a third matched: 11.32 + 10.99 + 10.99 = 33.3 → 33, and the two
    // largest remainders get the extra points.
    let p = FitProfile {
        specialisations: Specialisations {
            technologies: tags(&["a"]),
            ..Specialisations::default()
        },
        ..FitProfile::default()
    };
    let third = || coverage(&["a", "b", "c"], 3);
    let ipp = Ipp::new(vec![
        crit("x", Attribute::Technologies, third(), 1),
        crit("y", Attribute::Technologies, third(), 1),
        crit("z", Attribute::Technologies, third(), 1),
    ])
    .unwrap();
    let s = ipp.score(&p);
    let points: Vec<u8> = s.contributions.iter().map(|c| c.points).collect();
    assert_eq!(s.contributions[0].matched_permille, 333);
    assert_eq!(points, [11, 11, 11]);
    assert_eq!(s.score, 33);
}

/// A small deterministic generator, so the invariant test needs no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from((self.0 >> 33) % u64::from(below)).unwrap()
    }
}

#[test]
fn points_always_add_up_to_the_score_and_maxima_to_a_hundred() {
    let techs = ["t0", "t1", "t2", "t3", "t4", "t5"];
    let p = FitProfile {
        partner_type: Some(PartnerType::Msp),
        specialisations: Specialisations {
            technologies: tags(&["t0", "t2", "t5"]),
            ..Specialisations::default()
        },
        employees: Some(137),
        ..FitProfile::default()
    };
    let mut rng = Lcg(42);
    for round in 0..2_000 {
        let n = 1 + rng.next(30);
        let criteria: Vec<Criterion> = (0..n)
            .map(|i| {
                let weight = 1 + rng.next(100);
                let key = format!("c{i}");
                match rng.next(3) {
                    0 => {
                        let v = if rng.next(2) == 0 { "msp" } else { "isv" };
                        crit(&key, Attribute::PartnerType, any_of(&[v]), weight)
                    }
                    1 => {
                        let len = 1 + rng.next(6) as usize;
                        let full_at = 1 + rng.next(u32::try_from(len).unwrap());
                        let rule = coverage(&techs[..len], full_at);
                        crit(&key, Attribute::Technologies, rule, weight)
                    }
                    _ => {
                        let min = rng.next(150);
                        let ideal_min = min + rng.next(150);
                        let ideal_max = ideal_min + rng.next(20);
                        let max = ideal_max + 1 + rng.next(100);
                        let rule = band(min, ideal_min, Some(ideal_max), Some(max));
                        crit(&key, Attribute::Employees, rule, weight)
                    }
                }
            })
            .collect();
        let s = Ipp::new(criteria).unwrap().score(&p);
        let max: u32 = s
            .contributions
            .iter()
            .map(|c| u32::from(c.max_points))
            .sum();
        let points: u32 = s.contributions.iter().map(|c| u32::from(c.points)).sum();
        assert_eq!(max, 100, "round {round}");
        assert_eq!(points, u32::from(s.score), "round {round}");
        let exact: u32 = s
            .contributions
            .iter()
            .map(|c| u32::from(c.max_points) * u32::from(c.matched_permille))
            .sum();
        assert!(
            (i64::from(s.score) * 1000 - i64::from(exact)).abs() <= 500,
            "round {round}: score {} for {exact}/1000",
            s.score
        );
        for c in &s.contributions {
            let share = u32::from(c.max_points) * u32::from(c.matched_permille);
            assert!(c.points <= c.max_points, "round {round}: {c:?}");
            assert!(
                (i64::from(c.points) * 1000 - i64::from(share)).abs() < 1000,
                "round {round}: {c:?}"
            );
            if c.matched_permille == 1000 {
                assert_eq!(
                    c.points, c.max_points,
                    "round {round}: full match, full points"
                );
            }
            if c.matched_permille == 0 {
                assert_eq!(c.points, 0, "round {round}: no match, no points");
            }
        }
    }
}

#[test]
fn band_edges_rise_and_fall_linearly() {
    let rule = || band(10, 20, Some(40), Some(60));
    let at = |employees: u32| {
        let p = FitProfile {
            employees: Some(employees),
            ..FitProfile::default()
        };
        one(Attribute::Employees, rule(), &p).matched_permille
    };
    let cases = [
        (9, 0),
        (10, 0),
        (15, 500),
        (19, 900),
        (20, 1000),
        (40, 1000),
        (41, 950),
        (50, 500),
        (60, 0),
        (61, 0),
    ];
    for (employees, permille) in cases {
        assert_eq!(at(employees), permille, "{employees} employees");
    }
    let p = FitProfile {
        employees: Some(61),
        ..FitProfile::default()
    };
    assert_eq!(
        one(Attribute::Employees, rule(), &p).reason,
        "61 employees: above the ideal 20–40"
    );
    let p = FitProfile {
        employees: Some(30),
        ..FitProfile::default()
    };
    assert_eq!(
        one(Attribute::Employees, rule(), &p).reason,
        "30 employees: within the ideal 20–40"
    );
}

#[test]
fn bands_without_an_upper_end_or_with_sharp_edges() {
    let with = |n: u32| FitProfile {
        years_in_business: Some(n),
        customers: Some(n),
        ..FitProfile::default()
    };
    // No ideal maximum: the more the better.
    let c = one(
        Attribute::Customers,
        band(0, 1_000, None, None),
        &with(2_000_000),
    );
    assert_eq!((c.matched_permille, c.points), (1000, 100));
    assert_eq!(
        c.reason,
        "2,000,000 customers: within the ideal 1,000 or more"
    );
    // Almost there is not there: 999 of 1000 never rounds to a full match, 1 never to none.
    assert_eq!(
        one(Attribute::Customers, band(0, 1_000, None, None), &with(999)).matched_permille,
        999
    );
    assert_eq!(
        one(Attribute::Customers, band(0, 10_000, None, None), &with(1)).matched_permille,
        1
    );
    // min = ideal_min and ideal_max = max: steps, not slopes.
    let step = || band(5, 5, Some(10), Some(10));
    assert_eq!(
        one(Attribute::YearsInBusiness, step(), &with(4)).matched_permille,
        0
    );
    assert_eq!(
        one(Attribute::YearsInBusiness, step(), &with(5)).matched_permille,
        1000
    );
    assert_eq!(
        one(Attribute::YearsInBusiness, step(), &with(10)).matched_permille,
        1000
    );
    assert_eq!(
        one(Attribute::YearsInBusiness, step(), &with(11)).matched_permille,
        0
    );
    // An ideal maximum without a maximum drops to nothing just above it.
    let cliff = band(0, 0, Some(10), None);
    assert_eq!(
        one(Attribute::YearsInBusiness, cliff, &with(11)).matched_permille,
        0
    );
    assert_eq!(
        one(Attribute::YearsInBusiness, band(2, 5, None, None), &with(1)).reason,
        "1 year in business: below the ideal 5 or more"
    );
}

#[test]
fn missing_attributes_score_nothing_and_say_so() {
    let ipp = Ipp::new(vec![
        crit("country", Attribute::Country, any_of(&["de"]), 10),
        crit(
            "industries",
            Attribute::Industries,
            coverage(&["retail"], 1),
            10,
        ),
        crit("size", Attribute::Employees, band(0, 10, None, None), 10),
        crit("type", Attribute::PartnerType, any_of(&["msp"]), 10),
    ])
    .unwrap();
    let s = ipp.score(&FitProfile {
        country: Some("  ".into()),
        ..FitProfile::default()
    });
    assert_eq!(s.score, 0);
    let reasons: Vec<&str> = s.contributions.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Country not provided",
            "Industries not provided",
            "Employees not provided",
            "Partner type not provided",
        ]
    );
    assert!(
        s.contributions
            .iter()
            .all(|c| c.points == 0 && c.matched_permille == 0)
    );
}

#[test]
fn values_match_by_id_country_code_and_technology_key() {
    let p = msp_in_healthcare();
    let c = one(
        Attribute::Technologies,
        any_of(&["aws", "Google Cloud"]),
        &p,
    );
    assert_eq!(
        (c.matched_permille, c.reason.as_str()),
        (1000, "Technologies include AWS (any of aws, Google Cloud)")
    );
    let c = one(
        Attribute::Country,
        any_of(&["at", "de"]),
        &FitProfile {
            country: Some("de".into()),
            ..p.clone()
        },
    );
    assert_eq!(
        (c.matched_permille, c.reason.as_str()),
        (1000, "Country DE is one of AT, DE")
    );
    let c = one(Attribute::PartnerType, any_of(&["reseller", "si"]), &p);
    assert_eq!(
        (c.matched_permille, c.reason.as_str()),
        (
            0,
            "Partner type MSP is not one of Reseller / VAR, Systems integrator"
        )
    );
    let c = one(Attribute::RegionsServed, any_of(&["na", "apj"]), &p);
    assert_eq!(
        (c.matched_permille, c.reason.as_str()),
        (0, "Regions served include none of North America, APJ")
    );
    // A partner listing a value twice does not cover two values.
    let mut twice = p.clone();
    twice.specialisations.segments = vec![Segment::Smb, Segment::Smb];
    let c = one(
        Attribute::Segments,
        coverage(&["smb", "enterprise"], 2),
        &twice,
    );
    assert_eq!(c.matched_permille, 500);
}

#[test]
fn accepted_ipps_are_normalised() {
    let mut c = crit(
        " tech-1 ",
        Attribute::Technologies,
        any_of(&["  aws   lambda ", "Azure"]),
        5,
    );
    c.label = "  Cloud skills ".into();
    let ipp = Ipp::new(vec![c, crit("c", Attribute::Country, any_of(&["de"]), 5)]).unwrap();
    let got = &ipp.criteria()[0];
    assert_eq!(
        (got.key.as_str(), got.label.as_str()),
        ("tech-1", "Cloud skills")
    );
    assert_eq!(got.rule, any_of(&["aws lambda", "Azure"]));
    assert_eq!(ipp.criteria()[1].rule, any_of(&["DE"]));
}

#[test]
fn criteria_count_is_bounded() {
    assert!(error_for(vec![], "criteria").contains("at least one"));
    let many: Vec<Criterion> = (0..31)
        .map(|i| crit(&format!("c{i}"), Attribute::Region, any_of(&["na"]), 1))
        .collect();
    assert!(error_for(many, "criteria").contains("31 given"));
}

#[test]
fn keys_labels_and_weights_are_checked() {
    let ok = || crit("ok", Attribute::Region, any_of(&["na"]), 1);
    let bad_key = |k: &str| {
        vec![Criterion {
            key: k.into(),
            ..ok()
        }]
    };
    for k in ["", "Has Caps", "1st", "with space", &"k".repeat(41)] {
        assert!(
            error_for(bad_key(k), "criteria[0].key").contains("a–z"),
            "{k:?}"
        );
    }
    assert!(Ipp::new(bad_key(&"k".repeat(40))).is_ok());
    assert_eq!(
        error_for(vec![ok(), ok()], "criteria[1].key"),
        "is already used by criteria[0]"
    );
    let label = |l: &str| {
        vec![Criterion {
            label: l.into(),
            ..ok()
        }]
    };
    assert_eq!(error_for(label(" "), "criteria[0].label"), "is required");
    assert!(error_for(label(&"l".repeat(81)), "criteria[0].label").contains("80"));
    assert!(error_for(label("a\u{7}b"), "criteria[0].label").contains("control"));
    let weight = |w| vec![Criterion { weight: w, ..ok() }];
    assert!(error_for(weight(0), "criteria[0].weight").contains("1 and 100"));
    assert!(error_for(weight(101), "criteria[0].weight").contains("1 and 100"));
}

#[test]
fn rules_must_suit_the_attribute() {
    let msg = error_for(
        vec![crit("a", Attribute::Industries, band(0, 1, None, None), 1)],
        "criteria[0].rule.kind",
    );
    assert_eq!(
        msg,
        "the band rule cannot score Industries (a list); use any_of or coverage"
    );
    let msg = error_for(
        vec![crit("a", Attribute::Country, coverage(&["de"], 1), 1)],
        "criteria[0].rule.kind",
    );
    assert_eq!(
        msg,
        "the coverage rule cannot score Country (a single value); use any_of"
    );
    let msg = error_for(
        vec![crit("a", Attribute::Employees, any_of(&["5"]), 1)],
        "criteria[0].rule.kind",
    );
    assert_eq!(
        msg,
        "the any_of rule cannot score Employees (a number); use band"
    );
}

#[test]
fn rule_values_are_checked_one_by_one() {
    let with = |attribute, rule| {
        vec![
            crit("ok", Attribute::Region, any_of(&["na"]), 1),
            crit("x", attribute, rule, 1),
        ]
    };
    assert_eq!(
        error_for(
            with(Attribute::Segments, any_of(&[])),
            "criteria[1].rule.values"
        ),
        "needs at least one value"
    );
    let msg = error_for(
        with(Attribute::Industries, any_of(&["retail", "banking"])),
        "criteria[1].rule.values[1]",
    );
    assert!(
        msg.contains("\"banking\"") && msg.contains("financial_services"),
        "{msg}"
    );
    let msg = error_for(
        with(Attribute::Country, any_of(&["DEU"])),
        "criteria[1].rule.values[0]",
    );
    assert!(msg.contains("two-letter"), "{msg}");
    let msg = error_for(
        with(Attribute::Technologies, any_of(&["AWS", " "])),
        "criteria[1].rule.values[1]",
    );
    assert_eq!(msg, "a technology name is required");
    assert_eq!(
        error_for(
            with(Attribute::Country, any_of(&["de", "DE"])),
            "criteria[1].rule.values[1]"
        ),
        "repeats values[0]"
    );
    assert_eq!(
        error_for(
            with(Attribute::Technologies, any_of(&["AWS", "aws"])),
            "criteria[1].rule.values[1]"
        ),
        "repeats values[0]"
    );
    let fifty_one: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
    assert!(
        error_for(
            with(Attribute::Technologies, any_of(&refs)),
            "criteria[1].rule.values"
        )
        .contains("51 given")
    );
}

#[test]
fn coverage_and_band_parameters_are_checked() {
    let one_rule = |attribute, rule| vec![crit("x", attribute, rule, 1)];
    let full_at = |n| one_rule(Attribute::Industries, coverage(&["retail", "energy"], n));
    assert_eq!(
        error_for(full_at(0), "criteria[0].rule.full_at"),
        "must be between 1 and the number of values (2)"
    );
    assert!(error_for(full_at(3), "criteria[0].rule.full_at").contains("(2)"));
    assert!(Ipp::new(full_at(2)).is_ok());
    let b = |r| one_rule(Attribute::Employees, r);
    assert_eq!(
        error_for(b(band(10, 5, None, None)), "criteria[0].rule.ideal_min"),
        "must be at least min (10)"
    );
    assert_eq!(
        error_for(b(band(1, 5, Some(4), None)), "criteria[0].rule.ideal_max"),
        "must be at least ideal_min (5)"
    );
    assert_eq!(
        error_for(b(band(1, 5, Some(9), Some(8))), "criteria[0].rule.max"),
        "must be at least ideal_max (9)"
    );
    assert!(
        error_for(b(band(1, 5, None, Some(8))), "criteria[0].rule.max").contains("needs ideal_max")
    );
    assert!(Ipp::new(b(band(3, 3, Some(3), Some(3)))).is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = Ipp::new(vec![
        crit("A", Attribute::Country, any_of(&["xyz"]), 0),
        crit("b", Attribute::Employees, band(5, 1, None, None), 1),
    ])
    .unwrap_err();
    let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "criteria[0].key",
            "criteria[0].weight",
            "criteria[0].rule.values[0]",
            "criteria[1].rule.ideal_min"
        ]
    );
}

fn wire_criterion(weight: u64) -> V {
    map([
        ("key", s("size")),
        ("label", s("Company size")),
        ("attribute", s("employees")),
        (
            "rule",
            map([
                ("kind", s("band")),
                ("min", V::U(10)),
                ("ideal_min", V::U(50)),
                ("ideal_max", V::Null),
            ]),
        ),
        ("weight", V::U(weight)),
    ])
}

#[test]
fn deserialising_goes_through_validation() {
    let ipp: Ipp = from_v(map([("criteria", seq([wire_criterion(20)]))])).unwrap();
    let expected = Ipp::new(vec![Criterion {
        label: "Company size".into(),
        ..crit("size", Attribute::Employees, band(10, 50, None, None), 20)
    }])
    .unwrap();
    assert_eq!(ipp, expected);

    let err = from_v::<Ipp>(map([("criteria", seq([wire_criterion(0)]))])).unwrap_err();
    assert!(
        err.contains("criteria[0].weight: must be between 1 and 100"),
        "{err}"
    );
    let err = from_v::<Ipp>(map([("criteria", seq([]))])).unwrap_err();
    assert!(err.contains("at least one criterion"), "{err}");
}
