-- Co-selling: requests for help between the vendor and a partner, both ways. A rep asks a
-- partner for help on a vendor account (optionally one of its opportunities); a partner asks
-- the vendor for support on one of its registrations (or a customer by name). The other side
-- answers (accepts with an optional note, or declines with a reason); the requester may
-- withdraw; an accepted request is completed when the help was given.

create table cosell_requests (
    id blob primary key,
    direction text not null check (direction in ('vendor_to_partner', 'partner_to_vendor')),
    kind text not null,
    status text not null check (status in ('open', 'accepted', 'declined', 'withdrawn', 'completed')),
    org_id blob not null references orgs (id),
    account_id blob references accounts (id),
    opportunity_id blob references opportunities (id),
    registration_id blob references deal_registrations (id),
    customer_name text not null,
    message text not null,
    requested_by blob not null references users (id),
    answered_by blob references users (id),
    answered_at integer,
    answer text,
    closed_by blob references users (id),
    closed_at integer,
    close_note text,
    version integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create index cosell_requests_by_org on cosell_requests (org_id, created_at, id);
create index cosell_requests_by_status on cosell_requests (status, created_at, id);
create index cosell_requests_by_created on cosell_requests (created_at, id);
create index cosell_requests_by_account on cosell_requests (account_id);
create index cosell_requests_by_opportunity on cosell_requests (opportunity_id);
create index cosell_requests_by_registration on cosell_requests (registration_id);
