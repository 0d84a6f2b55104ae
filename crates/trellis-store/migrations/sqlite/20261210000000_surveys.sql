-- Partner satisfaction surveys and platform adoption (PRODUCT.md §4).
--
-- A `surveys` row is what the program asks (`questions`: JSON, [{kind, text}]), how often
-- (`cadence`), whom (`audience`) and when it goes out next (`next_send_at`; null when nothing
-- is scheduled). Each sending is a `survey_waves` row that keeps the questions as they were
-- sent, so editing a survey never changes what past answers meant. Every recipient gets a
-- `survey_invitations` row: the partner side addresses an invitation, never a wave, so one
-- partner cannot reach another's. `survey_responses` carry the organisation but not the
-- person: partners answer for their company, and the vendor reads partners' answers, not
-- individuals'. `score` is the response's mean in hundredths of a point (0–10000), `recommend`
-- its 0–10 recommendation, for the Net Promoter Score.
--
-- `sign_in_days` records each day a user signed in or used a session (written at most once a
-- minute per session, on its touch), the measure of active partner users and logins.

create table surveys (
    id blob primary key,
    title text not null,
    intro text not null,
    questions text not null,
    cadence text not null check (cadence in ('once', 'quarterly', 'half_yearly', 'yearly')),
    audience text not null check (audience in ('admins', 'everyone')),
    open_days integer not null check (open_days between 1 and 90),
    active boolean not null,
    next_send_at integer,
    created_by blob references users (id),
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create index surveys_by_next_send on surveys (active, next_send_at);

create table survey_waves (
    id blob primary key,
    survey_id blob not null references surveys (id),
    title text not null,
    intro text not null,
    questions text not null,
    sent_at integer not null,
    closes_at integer not null,
    recipients integer not null
);
create index survey_waves_by_survey on survey_waves (survey_id, sent_at);

create table survey_invitations (
    id blob primary key,
    wave_id blob not null references survey_waves (id),
    user_id blob not null references users (id),
    org_id blob not null references orgs (id),
    responded_at integer,
    unique (wave_id, user_id)
);
create index survey_invitations_by_user on survey_invitations (user_id, responded_at);

create table survey_responses (
    id blob primary key,
    wave_id blob not null references survey_waves (id),
    survey_id blob not null references surveys (id),
    org_id blob not null references orgs (id),
    answers text not null,
    score integer check (score between 0 and 10000),
    recommend integer check (recommend between 0 and 10),
    submitted_at integer not null
);
create index survey_responses_by_wave on survey_responses (wave_id, org_id);
create index survey_responses_by_time on survey_responses (submitted_at, org_id);

create table sign_in_days (
    user_id blob not null references users (id),
    day text not null,
    org_id blob not null references orgs (id),
    primary key (user_id, day)
);
create index sign_in_days_by_day on sign_in_days (day, org_id);
