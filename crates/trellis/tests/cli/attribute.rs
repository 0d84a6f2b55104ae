//! `trellis attribute` on a journeys file.

use std::fmt::Write as _;

use super::{run, stderr, stdout, trellis};

const JOURNEYS: &str = "path,total_conversions,total_conversion_value,total_null\n\
    partnerA > webinar > email,1,1000.00,2\n\
    email,0,0,5\n\
    webinar > partnerA,2,250.01,0\n";

fn attribute(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let file = dir.join("journeys.csv");
    std::fs::write(&file, JOURNEYS).unwrap();
    run(trellis().arg("attribute").arg(&file).args(args))
}

#[test]
fn first_touch_credits_the_first_channel_and_the_value_adds_up_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let o = attribute(dir.path(), &["--model", "first", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "channel,conversions,value\n\
         partnerA,1.000000,1000.00\n\
         webinar,2.000000,250.01\n\
         email,0.000000,0.00\n"
    );
    // Linear: 1000.00 in thirds and 250.01 in halves; the odd cents go to the earlier touch.
    let o = attribute(dir.path(), &["--model", "linear", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let value = |i: usize| report["channels"][i]["value"].as_i64().unwrap();
    assert_eq!(
        (value(0), value(1), value(2)),
        (33_334 + 12_500, 33_333 + 12_501, 33_333)
    );
    assert_eq!(report["value"], 125_001);
    let table = stdout(&attribute(dir.path(), &["--model", "u"]));
    assert!(
        table.lines().last().unwrap().starts_with("total"),
        "{table}"
    );
    assert!(table.contains("1250.01"), "{table}");
}

#[test]
fn bad_input_and_parameters_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let o = attribute(dir.path(), &["--model", "u", "--weights", "0.7,0.5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("add up to 1.2"), "{}", stderr(&o));
    let o = attribute(dir.path(), &["--model", "first", "--weights", "1,0"]);
    assert!(stderr(&o).contains("u and w models only"), "{}", stderr(&o));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "path,total_conversions\na,1\nb > ,1\n").unwrap();
    let o = run(trellis().args(["attribute", "--model", "last"]).arg(&bad));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 3, column path: has an empty channel"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn markov_credits_by_exact_removal_effects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paths.csv");
    // Solved by hand in trellis-attribution's tests: removal effects 3/4 (A) and 1/2 (B).
    std::fs::write(
        &file,
        "path,total_conversions,total_conversion_value,total_null\nA,1,1.00,1\nA > B,1,3.00,0\nB,0,0,1\n",
    )
    .unwrap();
    let o = run(trellis()
        .arg("attribute")
        .arg(&file)
        .args(["--model", "markov", "--order", "1", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let effects = report["parameters"]["removal_effects"].as_array().unwrap();
    assert!((effects[0].as_f64().unwrap() - 0.75).abs() < 1e-12);
    assert!((effects[1].as_f64().unwrap() - 0.5).abs() < 1e-12);
    let conversions = report["channels"][0]["conversions"].as_f64().unwrap();
    assert!((conversions - 1.2).abs() < 1e-12);
    let values: i64 = (0..2)
        .map(|i| report["channels"][i]["value"].as_i64().unwrap())
        .sum();
    assert_eq!(values, 400);
    let o = run(trellis()
        .arg("attribute")
        .arg(&file)
        .args(["--model", "markov", "--order", "7"]));
    assert!(stderr(&o).contains("the order is 1 to 4"), "{}", stderr(&o));
}

#[test]
fn shapley_splits_by_the_conversion_rate_game_and_reports_sampling_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journeys.csv");
    // One row per journey. A alone converts 1 in 10, B alone 1 in 50, A with B 3 in 10, so
    // the A+B conversions split 0.19 : 0.11 (solved in trellis-attribution's tests).
    let mut csv = String::from("journey_id,path,converted,value\n");
    let mut id = 0;
    let mut add = |path: &str, converted: usize, nulls: usize, value: &str| {
        for i in 0..converted + nulls {
            id += 1;
            let (c, v) = if i < converted { (1, value) } else { (0, "0") };
            let _ = writeln!(csv, "{id},{path},{c},{v}");
        }
    };
    add("A", 1, 9, "1.00");
    add("B", 1, 49, "1.00");
    add("A > B", 3, 7, "10.00");
    std::fs::write(&file, &csv).unwrap();
    let o = run(trellis()
        .arg("attribute")
        .arg(&file)
        .args(["--model", "shapley", "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "channel,conversions,value\nA,2.900000,20.00\nB,2.100000,12.00\n"
    );
    // Sampling every set of two channels or more: bounds come with the figures, and the
    // money still sums exactly.
    let o = run(trellis().arg("attribute").arg(&file).args([
        "--model",
        "shapley",
        "--exact-max",
        "1",
        "--permutations",
        "500",
        "--format",
        "json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["parameters"]["sampled_sets"], 1);
    let channels = report["channels"].as_array().unwrap();
    assert!(channels[0]["conversions_error"].as_f64().unwrap() > 0.0);
    let value: i64 = channels.iter().map(|c| c["value"].as_i64().unwrap()).sum();
    assert_eq!(value, 3_200);
    let o = run(trellis()
        .arg("attribute")
        .arg(&file)
        .args(["--model", "linear", "--order", "2"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--order applies to the markov model only"),
        "{}",
        stderr(&o)
    );
}
