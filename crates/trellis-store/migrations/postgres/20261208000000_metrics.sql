-- Ecosystem metrics (PRODUCT.md §4): what the partner program brings in and what it costs.
--
-- `opportunities.opened_on` is the day the deal was opened in the CRM (its "Created Date"),
-- which cycle lengths and velocity count from; opportunities written before this migration
-- take the day Trellis first saw them.
--
-- `partner_costs` is what the program spends: a partner's MDF, incentives, enablement and
-- tech costs (`channel` 'partner', with the partner), program-wide costs ('program', no
-- partner), and the direct channel's acquisition costs ('direct'), which CAC compares with.
--
-- The `*_facts` tables are derived: a metrics refresh rebuilds them whole, in one transaction,
-- from opportunities, accounts, touchpoints and exchange rates, so dashboards read narrow,
-- indexed rows instead of joining touches at request time. `deal_facts` holds one row per live
-- opportunity (amounts in the reporting currency; deals without an exchange rate are left out
-- and counted in the refresh, as model runs do), `deal_partner_facts`
-- one row per opportunity and partner that touched it, `account_facts` one row per customer
-- (its first won deal and its lifetime won revenue). `metrics_refreshes` keeps the last
-- refresh: when, from what, how long.

alter table opportunities add column opened_on text;
update opportunities set opened_on = to_char(to_timestamp(created_at / 1000) at time zone 'UTC', 'YYYY-MM-DD');

create table partner_costs (
    id uuid primary key,
    channel text not null check (channel in ('partner', 'program', 'direct')),
    org_id uuid references orgs (id),
    category text not null check (category in ('mdf', 'incentive', 'enablement', 'tech', 'sales', 'marketing', 'other')),
    amount_minor bigint not null check (amount_minor >= 0),
    currency text not null,
    incurred_on text not null,
    note text not null,
    source text not null,
    created_by uuid references users (id),
    created_at bigint not null,
    check ((channel = 'partner') = (org_id is not null))
);
create index partner_costs_by_day on partner_costs (incurred_on, id);
create index partner_costs_by_org on partner_costs (org_id, incurred_on);

create table deal_facts (
    opportunity_id uuid primary key,
    account_id uuid,
    origin text not null check (origin in ('sourced', 'influenced', 'direct')),
    status text not null,
    opened_on text not null,
    closed_on text,
    cycle_days bigint,
    amount_minor bigint not null,
    industry text not null,
    country text not null,
    size_band text not null,
    lead_org_id uuid,
    partner_type text not null,
    tier text not null,
    partners bigint not null,
    acquisition boolean not null
);
create index deal_facts_by_close on deal_facts (closed_on, origin, status, amount_minor, cycle_days,
    industry, country, size_band, partner_type, tier, acquisition);
create index deal_facts_by_open on deal_facts (opened_on, origin, status, amount_minor,
    industry, country, size_band, partner_type, tier);

create table deal_partner_facts (
    org_id uuid not null,
    opportunity_id uuid not null,
    role text not null check (role in ('sourced', 'influenced')),
    status text not null,
    opened_on text not null,
    closed_on text,
    cycle_days bigint,
    amount_minor bigint not null,
    attributed_minor bigint not null,
    primary key (org_id, opportunity_id)
);
create index deal_partner_facts_by_close on deal_partner_facts (closed_on, org_id, role, status,
    amount_minor, attributed_minor, cycle_days);
create index deal_partner_facts_by_open on deal_partner_facts (opened_on, org_id, role, status,
    amount_minor);

create table account_facts (
    account_id uuid primary key,
    opportunity_id uuid not null,
    acquired_on text not null,
    origin text not null check (origin in ('sourced', 'influenced', 'direct')),
    org_id uuid,
    lifetime_minor bigint not null,
    won_deals bigint not null,
    industry text not null,
    country text not null,
    size_band text not null,
    partner_type text not null,
    tier text not null
);
create index account_facts_by_day on account_facts (acquired_on, origin, org_id, lifetime_minor);

create table metrics_refreshes (
    id integer primary key check (id = 1),
    refreshed_at bigint not null,
    duration_ms bigint not null,
    currency text not null,
    opportunities bigint not null,
    touchpoints bigint not null,
    no_rate bigint not null
);
