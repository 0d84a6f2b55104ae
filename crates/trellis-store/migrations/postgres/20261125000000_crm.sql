-- CRM data: the vendor's accounts, contacts and opportunities as its CRM holds them. Each row
-- is keyed by (source_system, external_id), so a sync or a re-import updates it in place.
-- `content_hash` fingerprints the synced fields, so a re-import can tell an unchanged record
-- from a changed one without comparing every column. `imports` keeps every CSV import with
-- its progress and error report; `import_mappings` the column mappings people saved.

create table accounts (
    id uuid primary key,
    source_system text not null,
    external_id text not null,
    name text not null,
    name_key text not null,
    website text not null,
    domain text not null,
    country text not null,
    city text not null,
    industry text not null,
    employees bigint,
    account_type text not null,
    relationship text not null check (relationship in ('customer', 'prospect', 'partner', 'other')),
    owner_id uuid references users (id),
    owner_name text not null,
    phone text not null,
    attributes jsonb not null,
    archived boolean not null,
    content_hash bigint not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    unique (source_system, external_id)
);
create index accounts_by_name on accounts (name_key, id);
create index accounts_by_domain on accounts (domain);
create index accounts_by_owner on accounts (owner_id, name_key);

create table crm_contacts (
    id uuid primary key,
    source_system text not null,
    external_id text not null,
    account_id uuid references accounts (id),
    first_name text not null,
    last_name text not null,
    name_key text not null,
    email text not null,
    phone text not null,
    title text not null,
    owner_id uuid references users (id),
    owner_name text not null,
    attributes jsonb not null,
    archived boolean not null,
    content_hash bigint not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    unique (source_system, external_id)
);
create index crm_contacts_by_account on crm_contacts (account_id);
create index crm_contacts_by_name on crm_contacts (name_key, id);
create index crm_contacts_by_email on crm_contacts (email);

create table opportunities (
    id uuid primary key,
    source_system text not null,
    external_id text not null,
    account_id uuid references accounts (id),
    name text not null,
    name_key text not null,
    stage text not null,
    status text not null check (status in ('open', 'won', 'lost')),
    amount_minor bigint not null,
    currency text not null,
    close_date text,
    probability bigint,
    owner_id uuid references users (id),
    owner_name text not null,
    next_step text not null,
    last_activity_at bigint,
    attributes jsonb not null,
    archived boolean not null,
    content_hash bigint not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    unique (source_system, external_id)
);
create index opportunities_by_account on opportunities (account_id, status);
create index opportunities_by_name on opportunities (name_key, id);
create index opportunities_by_owner on opportunities (owner_id, status);
create index opportunities_by_status on opportunities (status, close_date);

create table imports (
    id uuid primary key,
    kind text not null check (kind in ('accounts', 'contacts', 'opportunities')),
    source_system text not null,
    file_name text not null,
    status text not null check (status in ('running', 'succeeded', 'failed')),
    partial boolean not null,
    rows_total bigint not null,
    rows_done bigint not null,
    created_count bigint not null,
    updated_count bigint not null,
    unchanged_count bigint not null,
    rejected_count bigint not null,
    report jsonb not null,
    started_by uuid references users (id),
    started_at bigint not null,
    updated_at bigint not null,
    finished_at bigint
);
create index imports_by_time on imports (started_at, id);

create table import_mappings (
    kind text not null,
    source_system text not null,
    mapping text not null,
    updated_by uuid references users (id),
    updated_at bigint not null,
    primary key (kind, source_system)
);
