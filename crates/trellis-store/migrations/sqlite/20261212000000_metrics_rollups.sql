-- Monthly rollups of `deal_partner_facts`, rebuilt with them by a metrics refresh: the partner
-- tables of the program dashboard sum a year's months here (a few thousand rows) and read the
-- raw facts only for the days of a period that do not fill a month. Measured with
-- `trellis bench metrics` (1,000,000 deals, 1,000 partners): each partner query took 1.3-1.7 s
-- over the raw facts.
--
-- `partner_month_closed`: deals closed in `month` (`YYYY-MM`), per partner, role and outcome.
-- `partner_month_opened`: deals opened in `month`, per partner and role, with those still open.

create table partner_month_closed (
    month text not null,
    org_id blob not null,
    role text not null,
    status text not null,
    deals integer not null,
    amount_minor integer not null,
    attributed_minor integer not null,
    cycle_days integer not null,
    primary key (month, org_id, role, status)
);

create table partner_month_opened (
    month text not null,
    org_id blob not null,
    role text not null,
    deals integer not null,
    amount_minor integer not null,
    open integer not null,
    open_minor integer not null,
    primary key (month, org_id, role)
);
