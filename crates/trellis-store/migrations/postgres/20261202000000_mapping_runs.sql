-- Mapping runs (PRODUCT.md §3): one mapping of a connection, queued as a job, with what each
-- side's policy let the other learn frozen at the time it ran. A run stores one view per
-- side: the overlap matrix and the overlapping accounts as that side may see them. A view
-- never holds the other side's accounts that do not overlap, nor fields its policy withheld.

create table mapping_runs (
    id uuid primary key,
    connection_id uuid not null references mapping_connections (id),
    partner_org_id uuid not null references orgs (id),
    mode text not null check (mode in ('hosted', 'private')),
    status text not null check (status in ('queued', 'running', 'done', 'failed')),
    progress bigint not null,
    stage text not null,
    error text,
    requested_by uuid references users (id),
    requested_at bigint not null,
    started_at bigint,
    finished_at bigint,
    -- Both sides' policies in force and populations, as the run used them (JSON).
    vendor_policy jsonb,
    partner_policy jsonb,
    vendor_populations jsonb,
    partner_populations jsonb,
    vendor_accounts bigint,
    partner_accounts bigint,
    updated_at bigint not null
);
create index mapping_runs_by_connection on mapping_runs (connection_id, requested_at);

-- One cell of a side's matrix: its population × the other side's population shared as counts.
-- `overlap` is null where the other side's minimum count hides it.
create table mapping_run_cells (
    run_id uuid not null references mapping_runs (id),
    viewer_org_id uuid not null references orgs (id),
    ours text not null,
    theirs text not null,
    overlap bigint,
    primary key (run_id, viewer_org_id, ours, theirs)
);

-- One overlapping pair in a side's view: its own account (a CRM account for the vendor, an
-- uploaded account for a partner) and one record the other side shares. Populations are
-- stored as ",key,key," so that a filter on one is a portable LIKE.
create table mapping_overlaps (
    id uuid primary key,
    run_id uuid not null references mapping_runs (id),
    viewer_org_id uuid not null references orgs (id),
    account_id uuid not null,
    account_name text not null,
    owner_name text not null,
    open_opportunities bigint not null,
    our_populations text not null,
    their_populations text not null,
    their_fields jsonb not null,
    flagged boolean not null
);
create index mapping_overlaps_by_name on mapping_overlaps (run_id, viewer_org_id, account_name, id);
