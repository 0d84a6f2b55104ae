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
update opportunities set opened_on = date(created_at / 1000, 'unixepoch');

create table partner_costs (
    id blob primary key,
    channel text not null check (channel in ('partner', 'program', 'direct')),
    org_id blob references orgs (id),
    category text not null check (category in ('mdf', 'incentive', 'enablement', 'tech', 'sales', 'marketing', 'other')),
    amount_minor integer not null check (amount_minor >= 0),
    currency text not null,
    incurred_on text not null,
    note text not null,
    source text not null,
    created_by blob references users (id),
    created_at integer not null,
    check ((channel = 'partner') = (org_id is not null))
);
create index partner_costs_by_day on partner_costs (incurred_on, id);
create index partner_costs_by_org on partner_costs (org_id, incurred_on);

create table deal_facts (
    opportunity_id blob primary key,
    account_id blob,
    origin text not null check (origin in ('sourced', 'influenced', 'direct')),
    status text not null,
    opened_on text not null,
    closed_on text,
    cycle_days integer,
    amount_minor integer not null,
    industry text not null,
    country text not null,
    size_band text not null,
    lead_org_id blob,
    partner_type text not null,
    tier text not null,
    partners integer not null,
    acquisition integer not null
);
create index deal_facts_by_close on deal_facts (closed_on, origin, status, amount_minor, cycle_days,
    industry, country, size_band, partner_type, tier, acquisition);
create index deal_facts_by_open on deal_facts (opened_on, origin, status, amount_minor,
    industry, country, size_band, partner_type, tier);

create table deal_partner_facts (
    org_id blob not null,
    opportunity_id blob not null,
    role text not null check (role in ('sourced', 'influenced')),
    status text not null,
    opened_on text not null,
    closed_on text,
    cycle_days integer,
    amount_minor integer not null,
    attributed_minor integer not null,
    primary key (org_id, opportunity_id)
);
create index deal_partner_facts_by_close on deal_partner_facts (closed_on, org_id, role, status,
    amount_minor, attributed_minor, cycle_days);
create index deal_partner_facts_by_open on deal_partner_facts (opened_on, org_id, role, status,
    amount_minor);

create table account_facts (
    account_id blob primary key,
    opportunity_id blob not null,
    acquired_on text not null,
    origin text not null check (origin in ('sourced', 'influenced', 'direct')),
    org_id blob,
    lifetime_minor integer not null,
    won_deals integer not null,
    industry text not null,
    country text not null,
    size_band text not null,
    partner_type text not null,
    tier text not null
);
create index account_facts_by_day on account_facts (acquired_on, origin, org_id, lifetime_minor);

create table metrics_refreshes (
    id integer primary key check (id = 1),
    refreshed_at integer not null,
    duration_ms integer not null,
    currency text not null,
    opportunities integer not null,
    touchpoints integer not null,
    no_rate integer not null
);
