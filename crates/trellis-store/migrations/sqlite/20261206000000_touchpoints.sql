-- Attribution (DESIGN.md §7). A touchpoint is one thing a partner, or another channel, did on
-- a vendor opportunity or account: sourced it, referred it, co-sold, influenced, transacted it
-- through a marketplace, reached it with a campaign. Several partners may touch one deal.
--
-- `org_id` names the partner; a touch by something else (a marketplace, a campaign) names its
-- `channel` instead. `origin` says where the row came from; captured rows keep the record they
-- came from in `source_id` (a registration, a co-sell request), so capturing twice is a no-op.
--
-- `model_runs` keeps every run of an attribution model: the model and its parameters, the data
-- cut it read (`cut`), the journeys it read (`journeys`, so the run can be replayed with other
-- parameters on the same data), and what it credited to whom (`result`).
--
-- `fx_rates` is finance's table of exchange rates into the reporting currency (`quote`): a
-- rate holds from `valid_from` until the next one of its currency; `rate_ppb` is billionths of
-- a quote-currency unit per unit of `currency`. A closed deal converts at the rate of its close
-- date.

create table touchpoints (
    id blob primary key,
    opportunity_id blob references opportunities (id),
    account_id blob references accounts (id),
    org_id blob references orgs (id),
    channel text not null,
    kind text not null check (kind in ('sourced', 'referral', 'co_sell', 'influence', 'marketplace', 'campaign')),
    occurred_at integer not null,
    actor_id blob references users (id),
    actor_label text not null,
    origin text not null check (origin in ('registration', 'co_sell', 'manual', 'import', 'backfill')),
    source_id blob,
    note text not null,
    created_at integer not null,
    check (opportunity_id is not null or account_id is not null),
    check (org_id is not null or channel <> '')
);
create index touchpoints_by_opportunity on touchpoints (opportunity_id, occurred_at);
create index touchpoints_by_account on touchpoints (account_id, occurred_at);
create index touchpoints_by_org on touchpoints (org_id, occurred_at);
create unique index touchpoints_by_source on touchpoints (origin, source_id, org_id)
    where source_id is not null;

-- The partners already on opportunities become their first touchpoints: a converted
-- registration is a sourced touch made when the partner registered it.
insert into touchpoints (id, opportunity_id, account_id, org_id, channel, kind, occurred_at,
    actor_id, actor_label, origin, source_id, note, created_at)
select randomblob(16), p.opportunity_id, o.account_id, p.org_id, '', p.role,
    coalesce(r.created_at, p.created_at), r.submitted_by, coalesce(u.name, 'Trellis'),
    case when r.id is null then 'backfill' else 'registration' end, r.id, '', p.created_at
from opportunity_partners p
join opportunities o on o.id = p.opportunity_id
left join deal_registrations r on r.id = p.registration_id
left join users u on u.id = r.submitted_by;

create table model_runs (
    id blob primary key,
    model text not null,
    params text not null,
    cut text not null,
    journeys text not null,
    result text not null,
    created_by blob references users (id),
    created_at integer not null
);
create index model_runs_by_time on model_runs (created_at, id);

create table fx_rates (
    currency text not null,
    quote text not null,
    valid_from text not null,
    rate_ppb integer not null check (rate_ppb > 0),
    created_by blob references users (id),
    created_at integer not null,
    primary key (quote, currency, valid_from)
);
