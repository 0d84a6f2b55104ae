-- Platform foundation: organisations, users, sessions, tokens, audit, events, jobs, webhooks.
-- Ids are UUIDv7 made in Rust (blob here, uuid on PostgreSQL); instants are Unix milliseconds.

create table orgs (
    id blob primary key,
    kind text not null check (kind in ('vendor', 'partner')),
    name text not null,
    name_key text not null,
    slug text not null unique,
    partner_type text,
    tier text,
    region text,
    country text,
    website text,
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create unique index orgs_single_vendor on orgs (kind) where kind = 'vendor';
create index orgs_by_name on orgs (name_key, id);

create table users (
    id blob primary key,
    org_id blob not null references orgs (id),
    email text not null,
    email_norm text not null unique,
    name text not null,
    role text not null,
    status text not null check (status in ('invited', 'active', 'disabled')),
    password_hash text,
    failed_logins integer not null default 0,
    locked_until integer,
    last_login_at integer,
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create index users_by_org on users (org_id, email_norm, id);

create table sessions (
    id blob primary key,
    token_hash text not null unique,
    user_id blob not null references users (id),
    csrf_token text not null,
    ip text,
    user_agent text,
    created_at integer not null,
    last_seen_at integer not null,
    expires_at integer not null
);
create index sessions_by_user on sessions (user_id);

create table api_tokens (
    id blob primary key,
    user_id blob not null references users (id),
    kind text not null check (kind in ('login', 'api')),
    name text not null,
    prefix text not null,
    token_hash text not null unique,
    scopes text not null,
    created_at integer not null,
    last_used_at integer,
    expires_at integer,
    revoked_at integer
);
create index api_tokens_by_user on api_tokens (user_id, id);

create table action_tokens (
    id blob primary key,
    user_id blob not null references users (id),
    purpose text not null check (purpose in ('invitation', 'password_reset')),
    token_hash text not null unique,
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);

create table throttles (
    key text primary key,
    window_start integer not null,
    hits integer not null
);

create table audit_log (
    seq integer primary key autoincrement,
    id blob not null unique,
    actor_id blob,
    actor_label text not null,
    org_id blob,
    action text not null,
    object_type text not null,
    object_id text not null,
    summary text not null,
    before_state text,
    after_state text,
    request_id text,
    created_at integer not null
);
create index audit_by_actor on audit_log (actor_id, seq);
create index audit_by_object on audit_log (object_type, object_id, seq);
create index audit_by_time on audit_log (created_at, seq);

create table events (
    seq integer primary key autoincrement,
    id blob not null unique,
    type text not null,
    org_id blob,
    object_type text not null,
    object_id text not null,
    payload text not null,
    created_at integer not null
);

create table jobs (
    id blob primary key,
    kind text not null,
    payload text not null,
    status text not null check (status in ('queued', 'dead')),
    run_at integer not null,
    attempts integer not null default 0,
    max_attempts integer not null,
    locked_by text,
    locked_until integer,
    last_error text,
    created_at integer not null,
    updated_at integer not null
);
create index jobs_due on jobs (status, run_at);

create table webhook_endpoints (
    id blob primary key,
    url text not null,
    description text not null,
    secret text not null,
    event_filter text not null,
    enabled integer not null,
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);

create table webhook_attempts (
    id blob primary key,
    endpoint_id blob not null references webhook_endpoints (id) on delete cascade,
    event_id blob not null,
    event_type text not null,
    attempt integer not null,
    succeeded integer not null,
    status_code integer,
    error text,
    response_excerpt text,
    duration_ms integer not null,
    created_at integer not null
);
create index webhook_attempts_by_endpoint on webhook_attempts (endpoint_id, id);

create table idempotency_keys (
    owner text not null,
    key text not null,
    request_hash text not null,
    status integer not null,
    response text not null,
    created_at integer not null,
    primary key (owner, key)
);
