-- Deal registration: the rules of engagement (one row per version; a decision names the
-- version it applied), partners' registrations with their protection, SLA and dispute state,
-- each registration's trail (every step, who took it, which rule), and the partners attached
-- to vendor opportunities (a converted registration attaches its partner as the source).

create table engagement_policies (
    version integer primary key,
    rules text not null,
    note text not null,
    created_by blob references users (id),
    created_at integer not null
);

create table deal_registrations (
    id blob primary key,
    org_id blob not null references orgs (id),
    submitted_by blob not null references users (id),
    company_name text not null,
    name_key text not null,
    website text not null,
    domain text not null,
    country text not null,
    contact_name text not null,
    contact_email text not null,
    contact_phone text not null,
    product text not null,
    amount_minor integer not null,
    currency text not null,
    expected_close text not null,
    description text not null,
    status text not null check (status in ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
    stage text not null check (stage in ('discovery', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
    next_step text not null,
    policy_version integer not null,
    conflicts integer not null,
    sla_due_at integer,
    escalated_at integer,
    decided_at integer,
    decided_by blob references users (id),
    decision_rule text,
    decision_reason text,
    protected_until integer,
    expiry_warned_at integer,
    extensions integer not null,
    extension_requested_at integer,
    extension_reason text,
    disputed_at integer,
    dispute_reason text,
    opportunity_id blob references opportunities (id),
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create index deal_registrations_by_org on deal_registrations (org_id, created_at, id);
create index deal_registrations_by_status on deal_registrations (status, created_at, id);
create index deal_registrations_by_sla on deal_registrations (status, sla_due_at);
create index deal_registrations_by_protection on deal_registrations (status, protected_until);
create index deal_registrations_by_opportunity on deal_registrations (opportunity_id);

create table deal_trail (
    seq integer primary key autoincrement,
    registration_id blob not null references deal_registrations (id),
    step text not null,
    rule text,
    policy_version integer,
    reason text not null,
    actor_id blob references users (id),
    actor_label text not null,
    created_at integer not null
);
create index deal_trail_by_registration on deal_trail (registration_id, seq);

create table opportunity_partners (
    opportunity_id blob not null references opportunities (id),
    org_id blob not null references orgs (id),
    role text not null check (role in ('sourced', 'co_sell', 'influence')),
    registration_id blob references deal_registrations (id),
    created_at integer not null,
    primary key (opportunity_id, org_id)
);
create index opportunity_partners_by_org on opportunity_partners (org_id, opportunity_id);
