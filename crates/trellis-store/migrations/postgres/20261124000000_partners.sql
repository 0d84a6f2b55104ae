-- Partner lifecycle: partner profiles and specialisations, contacts, status history, the Ideal
-- Partner Profile with its score history, applications, program agreements, onboarding
-- checklists, tiers and the metrics they read, program settings and recurring jobs.
-- A partner is an `orgs` row of kind 'partner' plus its `partner_profiles` row; `orgs.version`
-- is the partner's one version, bumped by profile changes too.

create table partner_profiles (
    org_id uuid primary key references orgs (id),
    status text not null check (status in ('onboarding', 'active', 'suspended', 'terminated')),
    owner_id uuid references users (id),
    description text not null,
    employees bigint,
    founded_year bigint,
    customers bigint,
    listed boolean not null,
    fit_score bigint,
    fit_ipp_version bigint,
    search_text text not null,
    approved_at bigint,
    activated_at bigint,
    first_deal_at bigint,
    tier_below_since bigint,
    tier_override text,
    tier_override_reason text,
    tier_override_until bigint,
    tier_evaluated_at bigint
);
create index partner_profiles_by_status on partner_profiles (status, org_id);
create index partner_profiles_by_owner on partner_profiles (owner_id, org_id);
-- Partners made before this migration are taken as active members of the program.
insert into partner_profiles (org_id, status, description, listed, search_text, approved_at, activated_at)
select id, 'active', '', false, name_key, created_at, created_at from orgs where kind = 'partner';

create table partner_specialisations (
    org_id uuid not null references orgs (id),
    facet text not null check (facet in ('industry', 'technology', 'segment', 'region')),
    value text not null,
    label text not null,
    primary key (org_id, facet, value)
);
create index partner_specialisations_by_value on partner_specialisations (facet, value, org_id);

create table partner_contacts (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    name text not null,
    email text not null,
    phone text not null,
    title text not null,
    role text not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index partner_contacts_by_org on partner_contacts (org_id, name, id);

create table partner_status_changes (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    from_status text,
    to_status text not null,
    reason text not null,
    actor_id uuid,
    created_at bigint not null
);
create index partner_status_changes_by_org on partner_status_changes (org_id, created_at);

create table ipp_versions (
    version bigint primary key,
    criteria jsonb not null,
    note text not null,
    created_by uuid references users (id),
    created_at bigint not null
);

create table fit_scores (
    subject_type text not null check (subject_type in ('partner', 'application')),
    subject_id uuid not null,
    ipp_version bigint not null,
    score bigint not null,
    breakdown jsonb not null,
    scored_at bigint not null,
    primary key (subject_type, subject_id, ipp_version)
);

create table applications (
    id uuid primary key,
    status text not null check (status in ('pending', 'approved', 'rejected')),
    company_name text not null,
    website text,
    country text,
    region text,
    partner_type text not null,
    specialisations jsonb not null,
    employees bigint,
    founded_year bigint,
    customers bigint,
    description text not null,
    contact_name text not null,
    contact_email text not null,
    contact_email_norm text not null,
    contact_phone text not null,
    fit_score bigint,
    ipp_version bigint,
    reviewer_id uuid references users (id),
    decided_at bigint,
    decision_reason text,
    org_id uuid references orgs (id),
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index applications_by_status on applications (status, created_at, id);
create index applications_by_email on applications (contact_email_norm);

create table agreements (
    id uuid primary key,
    scope text not null,
    version bigint not null,
    title text not null,
    body text not null,
    changes text not null,
    published_by uuid references users (id),
    published_at bigint not null,
    unique (scope, version)
);

create table agreement_acceptances (
    id uuid primary key,
    agreement_id uuid not null references agreements (id),
    org_id uuid not null references orgs (id),
    user_id uuid not null references users (id),
    accepted_name text not null,
    accepted_at bigint not null,
    unique (agreement_id, org_id)
);
create index agreement_acceptances_by_org on agreement_acceptances (org_id, accepted_at);

create table onboarding_templates (
    id uuid primary key,
    scope text not null unique,
    name text not null,
    tasks jsonb not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table onboarding_tasks (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    position bigint not null,
    kind text not null,
    title text not null,
    description text not null,
    owner_side text not null check (owner_side in ('partner', 'vendor')),
    required boolean not null,
    due_at bigint not null,
    status text not null check (status in ('open', 'done', 'skipped')),
    completed_by uuid references users (id),
    completed_at bigint,
    last_reminded_at bigint,
    created_at bigint not null
);
create index onboarding_tasks_by_org on onboarding_tasks (org_id, position);
create index onboarding_tasks_open_due on onboarding_tasks (status, due_at);

create table tiers (
    key text primary key,
    name text not null,
    rank bigint not null unique,
    description text not null,
    requirements jsonb not null,
    benefits jsonb not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table tier_changes (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    outcome text not null,
    from_tier text,
    to_tier text,
    reason text not null,
    figures jsonb not null,
    actor_id uuid,
    created_at bigint not null
);
create index tier_changes_by_org on tier_changes (org_id, created_at);
create index tier_changes_by_time on tier_changes (created_at, id);

create table partner_metrics (
    org_id uuid not null references orgs (id),
    metric text not null,
    value bigint not null,
    source text not null,
    updated_at bigint not null,
    primary key (org_id, metric)
);

create table settings (
    key text primary key,
    value jsonb not null,
    version bigint not null default 1,
    updated_at bigint not null
);

create table schedules (
    name text primary key,
    next_run_at bigint not null
);
