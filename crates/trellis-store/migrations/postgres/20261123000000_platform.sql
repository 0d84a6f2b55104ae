-- Platform foundation: organisations, users, sessions, tokens, audit, events, jobs, webhooks.
-- Same schema as the SQLite migration, in PostgreSQL types (uuid, bigint, boolean, jsonb).

create table orgs (
    id uuid primary key,
    kind text not null check (kind in ('vendor', 'partner')),
    name text not null,
    name_key text not null,
    slug text not null unique,
    partner_type text,
    tier text,
    region text,
    country text,
    website text,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index orgs_single_vendor on orgs (kind) where kind = 'vendor';
create index orgs_by_name on orgs (name_key, id);

create table users (
    id uuid primary key,
    org_id uuid not null references orgs (id),
    email text not null,
    email_norm text not null unique,
    name text not null,
    role text not null,
    status text not null check (status in ('invited', 'active', 'disabled')),
    password_hash text,
    failed_logins bigint not null default 0,
    locked_until bigint,
    last_login_at bigint,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index users_by_org on users (org_id, email_norm, id);

create table sessions (
    id uuid primary key,
    token_hash text not null unique,
    user_id uuid not null references users (id),
    csrf_token text not null,
    ip text,
    user_agent text,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null
);
create index sessions_by_user on sessions (user_id);

create table api_tokens (
    id uuid primary key,
    user_id uuid not null references users (id),
    kind text not null check (kind in ('login', 'api')),
    name text not null,
    prefix text not null,
    token_hash text not null unique,
    scopes text not null,
    created_at bigint not null,
    last_used_at bigint,
    expires_at bigint,
    revoked_at bigint
);
create index api_tokens_by_user on api_tokens (user_id, id);

create table action_tokens (
    id uuid primary key,
    user_id uuid not null references users (id),
    purpose text not null check (purpose in ('invitation', 'password_reset')),
    token_hash text not null unique,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);

create table throttles (
    key text primary key,
    window_start bigint not null,
    hits bigint not null
);

create table audit_log (
    seq bigint generated always as identity primary key,
    id uuid not null unique,
    actor_id uuid,
    actor_label text not null,
    org_id uuid,
    action text not null,
    object_type text not null,
    object_id text not null,
    summary text not null,
    before_state jsonb,
    after_state jsonb,
    request_id text,
    created_at bigint not null
);
create index audit_by_actor on audit_log (actor_id, seq);
create index audit_by_object on audit_log (object_type, object_id, seq);
create index audit_by_time on audit_log (created_at, seq);

create table events (
    seq bigint generated always as identity primary key,
    id uuid not null unique,
    type text not null,
    org_id uuid,
    object_type text not null,
    object_id text not null,
    payload jsonb not null,
    created_at bigint not null
);

create table jobs (
    id uuid primary key,
    kind text not null,
    payload jsonb not null,
    status text not null check (status in ('queued', 'dead')),
    run_at bigint not null,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    locked_by text,
    locked_until bigint,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null
);
create index jobs_due on jobs (status, run_at);

create table webhook_endpoints (
    id uuid primary key,
    url text not null,
    description text not null,
    secret text not null,
    event_filter text not null,
    enabled boolean not null,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table webhook_attempts (
    id uuid primary key,
    endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
    event_id uuid not null,
    event_type text not null,
    attempt bigint not null,
    succeeded boolean not null,
    status_code bigint,
    error text,
    response_excerpt text,
    duration_ms bigint not null,
    created_at bigint not null
);
create index webhook_attempts_by_endpoint on webhook_attempts (endpoint_id, id);

create table idempotency_keys (
    owner text not null,
    key text not null,
    request_hash text not null,
    status bigint not null,
    response text not null,
    created_at bigint not null,
    primary key (owner, key)
);
