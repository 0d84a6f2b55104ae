//! The OpenAPI document: generated from the handlers, OpenAPI 3.1, internally consistent.

use std::collections::BTreeSet;

use serde_json::Value;
use trellis_testkit::app::TestApp;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_every_reference_operation_and_parameter_is_sound() {
    let app = TestApp::spawn().await.unwrap();
    let doc: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {r}"
        );
    }

    let mut op_ids = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        paths.insert(path.clone());
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(op_ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{id} has no responses"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            let used: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_owned)
                .collect();
            assert_eq!(declared, used, "{id}: path parameters");
        }
    }
    for expected in [
        "/api/v1/health",
        "/api/v1/auth/login",
        "/api/v1/orgs",
        "/api/v1/orgs/{id}",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}/attempts",
        "/api/v1/audit",
        "/api/v1/jobs",
    ] {
        assert!(
            paths.contains(expected),
            "{expected} missing from the document"
        );
    }
}
