//! A mapping's page, in both areas: its progress while it runs (the shared progress script,
//! or a meta refresh without JavaScript), then the reader's side's view of the result: the
//! overlap matrix as a heat-map whose cells open the overlapping accounts behind them, the
//! list of those accounts with what the other side shares, and its CSV download.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use serde::Serialize;
use trellis_domain::mapping::SharedField;
use trellis_domain::{MappingConnectionId, MappingRunId};
use trellis_service::mapping::{
    MappingRun, MatrixPopulation, OverlapFilter, OverlapItem, OverlapMatrix,
};
use trellis_service::platform::PageRequest;

use super::{base, other_side};
use crate::ui::assets;
use crate::ui::csrf::CsrfForm;
use crate::ui::download;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{PageId, Query};
use crate::ui::session::SideSession;
use crate::ui::view::{Choice, Chrome, Look as _};

/// Overlapping accounts per page.
const PAGE: usize = 50;

/// Starts a mapping of a connection and opens its page.
pub(super) async fn start<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingConnectionId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    match s.services.request_mapping_run(&s.actor, id).await {
        Ok(run) => Ok(s.redirect(
            &format!("{}/runs/{}", base(&s), run.id),
            &Flash::success("The mapping is under way."),
        )),
        Err(trellis_service::Error::InvalidState(why)) => Ok(s.redirect(
            &format!("{}/connections/{id}", base(&s)),
            &Flash::info(format!("No mapping started: {why}.")),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A matrix cell as the heat-map draws it.
struct HeatCell {
    /// `None` where their minimum count hides it.
    overlap: Option<u64>,
    /// 0 (none) to 5 (the largest cell): the shade.
    heat: u8,
    /// The overlapping accounts behind it (when they share that population as records).
    link: Option<String>,
    /// For screen readers: "Customers × their Prospects: 12".
    label: String,
}

struct HeatRow {
    population: MatrixPopulation,
    cells: Vec<HeatCell>,
}

/// The shade of a cell: its share of the largest cell, in five steps.
fn heat(overlap: u64, max: u64) -> u8 {
    if overlap == 0 || max == 0 {
        0
    } else {
        // 1..=5, rounding up so that any overlap shows.
        u8::try_from((overlap * 5).div_ceil(max).clamp(1, 5)).unwrap_or(5)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "shared/mapping_run.html")]
struct RunPage {
    chrome: Chrome,
    base: String,
    run: MappingRun,
    other: String,
    running: bool,
    script: &'static str,
    columns: Vec<MatrixPopulation>,
    rows: Vec<HeatRow>,
    flagged: u64,
    /// Their populations shared as records (those the list can filter by).
    overlaps: Vec<OverlapItem>,
    field_columns: Vec<(String, String)>,
    our_choices: Vec<Choice>,
    their_choices: Vec<Choice>,
    only_flagged: bool,
    q: String,
    next: Option<String>,
    csv: String,
    filtered: bool,
}

impl RunPage {
    fn population_name(&self, key: &str, ours: bool) -> String {
        let list = if ours {
            self.rows.iter().map(|r| &r.population).collect::<Vec<_>>()
        } else {
            self.columns.iter().collect()
        };
        list.into_iter()
            .find(|p| p.key == key)
            .map_or_else(|| key.replace('_', " "), |p| p.name.clone())
    }
}

fn heat_rows(base: &str, run: MappingRunId, m: &OverlapMatrix) -> Vec<HeatRow> {
    let max = m.cells.iter().filter_map(|c| c.overlap).max().unwrap_or(0);
    m.ours
        .iter()
        .map(|o| HeatRow {
            population: o.clone(),
            cells: m
                .theirs
                .iter()
                .map(|t| {
                    let overlap = m
                        .cells
                        .iter()
                        .find(|c| c.ours == o.key && c.theirs == t.key)
                        .and_then(|c| c.overlap);
                    HeatCell {
                        overlap,
                        heat: overlap.map_or(0, |n| heat(n, max)),
                        link: overlap.filter(|n| *n > 0 && t.records).map(|_| {
                            Query::link(
                                &format!("{base}/runs/{run}"),
                                &[("ours", &o.key), ("theirs", &t.key)],
                            ) + "#overlaps"
                        }),
                        label: format!(
                            "Your {} × their {}: {}",
                            o.name,
                            t.name,
                            overlap.map_or_else(
                                || "hidden below their minimum".to_owned(),
                                |n| n.to_string()
                            )
                        ),
                    }
                })
                .collect(),
        })
        .collect()
}

/// The overlap filters of the page's query (also the CSV link's).
fn filter_of(q: &Query) -> OverlapFilter {
    OverlapFilter {
        ours: q.opt("ours"),
        theirs: q.opt("theirs"),
        flagged: q.opt("flagged").is_some(),
        q: q.opt("q"),
    }
}

/// A mapping: its progress, then the matrix and the overlapping accounts.
pub(super) async fn page<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingRunId>,
    q: Query,
) -> PageResult {
    let run = s.services.mapping_run(&s.actor, id).await?;
    let connection = s
        .services
        .mapping_connection(&s.actor, run.connection_id)
        .await?;
    let other = other_side(&s, &connection);
    let base = base(&s);
    let running = run.status == "queued" || run.status == "running";
    let filter = filter_of(&q);
    let mut page = RunPage {
        chrome: s.chrome(format!("Mapping with {other}")),
        base: base.clone(),
        other,
        running,
        script: assets::progress_url(),
        columns: Vec::new(),
        rows: Vec::new(),
        flagged: 0,
        overlaps: Vec::new(),
        field_columns: Vec::new(),
        our_choices: Vec::new(),
        their_choices: Vec::new(),
        only_flagged: filter.flagged,
        q: filter.q.clone().unwrap_or_default(),
        next: None,
        csv: String::new(),
        filtered: filter.ours.is_some() || filter.theirs.is_some() || filter.flagged,
        run,
    };
    if page.run.status == "done" {
        let m = s.services.mapping_matrix(&s.actor, id).await?;
        let request = PageRequest {
            cursor: q.opt("cursor"),
            limit: Some(PAGE),
        };
        let list = s
            .services
            .mapping_overlaps(&s.actor, id, &filter, &request)
            .await?;
        let params = |cursor: &str| {
            vec![
                ("ours", filter.ours.clone().unwrap_or_default()),
                ("theirs", filter.theirs.clone().unwrap_or_default()),
                ("flagged", if filter.flagged { "1" } else { "" }.to_owned()),
                ("q", filter.q.clone().unwrap_or_default()),
                ("cursor", cursor.to_owned()),
            ]
        };
        let link = |path: &str, cursor: &str| {
            let p = params(cursor);
            let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Query::link(path, &pairs)
        };
        page.next = list
            .next
            .map(|c| link(&format!("{base}/runs/{id}"), &c.encode()) + "#overlaps");
        page.csv = link(&format!("{base}/runs/{id}/overlaps.csv"), "");
        page.field_columns = SharedField::ALL
            .iter()
            .filter(|f| {
                list.items
                    .iter()
                    .any(|i| i.their_fields.contains_key(f.as_str()))
            })
            .map(|f| (f.as_str().to_owned(), f.label().to_owned()))
            .collect();
        page.overlaps = list.items;
        page.rows = heat_rows(&base, id, &m);
        let choices = |pops: &[MatrixPopulation], current: &Option<String>, all: &str| {
            let mut c = vec![Choice {
                value: String::new(),
                label: all.to_owned(),
                selected: current.is_none(),
            }];
            c.extend(pops.iter().map(|p| Choice {
                value: p.key.clone(),
                label: p.name.clone(),
                selected: current.as_deref() == Some(p.key.as_str()),
            }));
            c
        };
        page.our_choices = choices(&m.ours, &filter.ours, "Any of yours");
        page.their_choices = choices(&m.theirs, &filter.theirs, "Any of theirs");
        page.columns = m.theirs;
        page.flagged = m.flagged;
    }
    Ok(page.into_response())
}

/// A mapping's progress, for the shared progress script.
#[derive(Serialize)]
struct Progress {
    /// `running` until it has ended (a queued mapping counts as running).
    status: &'static str,
    phase_label: String,
    done: u64,
    total: u64,
}

pub(super) async fn progress<S: SideSession>(s: S, PageId(id): PageId<MappingRunId>) -> PageResult {
    let run = s.services.mapping_run(&s.actor, id).await?;
    let running = run.status == "queued" || run.status == "running";
    Ok(crate::ui::live::uncached_json(Progress {
        status: if running { "running" } else { "ended" },
        phase_label: run.stage,
        done: u64::from(run.progress),
        total: 100,
    }))
}

/// The overlapping accounts, filtered as on the page, as a CSV file.
pub(super) async fn csv<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingRunId>,
    q: Query,
) -> PageResult {
    let body = s
        .services
        .mapping_overlaps_csv(&s.actor, id, &filter_of(&q))
        .await?;
    Ok(download::csv(&format!("mapping-{id}.csv"), body))
}

#[cfg(test)]
mod tests {
    use super::heat;

    #[test]
    fn shades_grow_with_the_overlap_and_any_overlap_shows() {
        assert_eq!(heat(0, 10), 0);
        assert_eq!(heat(1, 1000), 1);
        assert_eq!(heat(5, 10), 3);
        assert_eq!(heat(10, 10), 5);
    }
}
