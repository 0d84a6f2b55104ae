use std::collections::BTreeSet;
use std::path::Path;

fn names(dir: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "sql"))
        .collect()
}

#[test]
fn sqlite_and_postgres_migrations_come_in_identical_pairs() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "every migration needs a twin with the same version and name"
    );
}

#[test]
fn paired_migrations_create_the_same_tables_and_columns() {
    // A cheap structural check beside the dual-backend suite: same tables, same column names.
    fn columns(sql: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut table = String::new();
        for line in sql.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("create table ") {
                table = rest.trim_end_matches(" (").to_owned();
            } else if line.starts_with(");") {
                table.clear();
            } else if !table.is_empty()
                && !line.starts_with("primary key")
                && let Some(col) = line.split_whitespace().next()
            {
                out.insert(format!("{table}.{col}"));
            }
        }
        out
    }
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in names("sqlite") {
        let s = std::fs::read_to_string(base.join("sqlite").join(&name)).unwrap();
        let p = std::fs::read_to_string(base.join("postgres").join(&name)).unwrap();
        assert_eq!(
            columns(&s),
            columns(&p),
            "{name}: the two dialects define different columns"
        );
    }
}

#[tokio::test]
async fn migrations_apply_to_a_fresh_database_and_are_idempotent() {
    let t = trellis_store::testing::TestDb::create().await.unwrap();
    t.db().migrate().await.unwrap();
    t.db().ping().await.unwrap();
}
