-- Mapping runs (PRODUCT.md §3): one mapping of a connection, queued as a job, with what each
-- side's policy let the other learn frozen at the time it ran. A run stores one view per
-- side: the overlap matrix and the overlapping accounts as that side may see them. A view
-- never holds the other side's accounts that do not overlap, nor fields its policy withheld.

create table mapping_runs (
    id blob primary key,
    connection_id blob not null references mapping_connections (id),
    partner_org_id blob not null references orgs (id),
    mode text not null check (mode in ('hosted', 'private')),
    status text not null check (status in ('queued', 'running', 'done', 'failed')),
    progress integer not null,
    stage text not null,
    error text,
    requested_by blob references users (id),
    requested_at integer not null,
    started_at integer,
    finished_at integer,
    -- Both sides' policies in force and populations, as the run used them (JSON).
    vendor_policy text,
    partner_policy text,
    vendor_populations text,
    partner_populations text,
    vendor_accounts integer,
    partner_accounts integer,
    updated_at integer not null
);
create index mapping_runs_by_connection on mapping_runs (connection_id, requested_at);

-- One cell of a side's matrix: its population × the other side's population shared as counts.
-- `overlap` is null where the other side's minimum count hides it.
create table mapping_run_cells (
    run_id blob not null references mapping_runs (id),
    viewer_org_id blob not null references orgs (id),
    ours text not null,
    theirs text not null,
    overlap integer,
    primary key (run_id, viewer_org_id, ours, theirs)
);

-- One overlapping pair in a side's view: its own account (a CRM account for the vendor, an
-- uploaded account for a partner) and one record the other side shares. Populations are
-- stored as ",key,key," so that a filter on one is a portable LIKE.
create table mapping_overlaps (
    id blob primary key,
    run_id blob not null references mapping_runs (id),
    viewer_org_id blob not null references orgs (id),
    account_id blob not null,
    account_name text not null,
    owner_name text not null,
    open_opportunities integer not null,
    our_populations text not null,
    their_populations text not null,
    their_fields text not null,
    flagged integer not null
);
create index mapping_overlaps_by_name on mapping_overlaps (run_id, viewer_org_id, account_name, id);
