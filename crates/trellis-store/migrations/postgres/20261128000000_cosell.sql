-- Co-selling: requests for help between the vendor and a partner, both ways. A rep asks a
-- partner for help on a vendor account (optionally one of its opportunities); a partner asks
-- the vendor for support on one of its registrations (or a customer by name). The other side
-- answers (accepts with an optional note, or declines with a reason); the requester may
-- withdraw; an accepted request is completed when the help was given.

create table cosell_requests (
    id uuid primary key,
    direction text not null check (direction in ('vendor_to_partner', 'partner_to_vendor')),
    kind text not null,
    status text not null check (status in ('open', 'accepted', 'declined', 'withdrawn', 'completed')),
    org_id uuid not null references orgs (id),
    account_id uuid references accounts (id),
    opportunity_id uuid references opportunities (id),
    registration_id uuid references deal_registrations (id),
    customer_name text not null,
    message text not null,
    requested_by uuid not null references users (id),
    answered_by uuid references users (id),
    answered_at bigint,
    answer text,
    closed_by uuid references users (id),
    closed_at bigint,
    close_note text,
    version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index cosell_requests_by_org on cosell_requests (org_id, created_at, id);
create index cosell_requests_by_status on cosell_requests (status, created_at, id);
create index cosell_requests_by_created on cosell_requests (created_at, id);
create index cosell_requests_by_account on cosell_requests (account_id);
create index cosell_requests_by_opportunity on cosell_requests (opportunity_id);
create index cosell_requests_by_registration on cosell_requests (registration_id);
