-- Account mapping (PRODUCT.md §3, DESIGN.md §6). Each side (the vendor, a partner) groups its
-- accounts into populations and says, per population, what the other side may learn: its
-- default policy, and overrides per connection. A connection between the vendor and a partner
-- is active once both sides have opted in.
--
-- `partner_accounts` holds the accounts a partner brings in hosted mode (uploaded or synced
-- into this deployment). Only the mapping service reads them, and it shows the vendor nothing
-- beyond what the partner's policy shares; they are never part of the vendor's CRM tables.

create table partner_accounts (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    external_id text not null,
    name text not null,
    website text not null,
    domain text not null,
    country text not null,
    industry text not null,
    employees bigint,
    account_type text not null,
    relationship text not null check (relationship in ('customer', 'prospect', 'partner', 'other')),
    open_opportunities bigint not null,
    owner_name text not null,
    owner_email text not null,
    created_at bigint not null,
    updated_at bigint not null,
    unique (org_id, external_id)
);
create index partner_accounts_by_name on partner_accounts (org_id, name, id);

create table populations (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    key text not null,
    name text not null,
    description text not null,
    filter jsonb not null,
    builtin boolean not null,
    member_count bigint not null,
    counted_at bigint,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    unique (org_id, key)
);

create table mapping_connections (
    id uuid primary key,
    partner_org_id uuid not null unique references orgs (id),
    vendor_opted_in_at bigint,
    vendor_opted_in_by uuid references users (id),
    partner_opted_in_at bigint,
    partner_opted_in_by uuid references users (id),
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

-- scope: 'default', or the id of the connection the override is for.
create table sharing_policies (
    org_id uuid not null references orgs (id),
    scope text not null,
    policy jsonb not null,
    version bigint not null default 1,
    updated_by uuid references users (id),
    updated_at bigint not null,
    primary key (org_id, scope)
);
