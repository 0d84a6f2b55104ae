-- Private-mode account mapping between two Trellis servers (docs/psi.md, "Between two Trellis
-- servers"). A mapping connection whose other side lives on another server has a PSI link:
-- the transport connection both servers derived from a one-time invitation. The server side
-- made the invitation, the client side redeemed it and keeps the server's URL.
--
-- `secret` signs every PSI request and response of the link (base64url of 32 bytes). Like a
-- webhook's signing secret it has to be usable, so it is stored as is; only the store module
-- `mapping::links` reads it, and nothing shows it. Invitations are kept as hashes only.

create table psi_links (
    connection_id uuid primary key references mapping_connections (id),
    role text not null check (role in ('server', 'client')),
    peer_url text,
    psi_connection_id text not null unique,
    secret text not null,
    created_by uuid references users (id),
    created_at bigint not null,
    last_mapped_at bigint
);

create table psi_invitations (
    token_hash text primary key,
    connection_id uuid not null references mapping_connections (id),
    created_by uuid references users (id),
    created_at bigint not null,
    expires_at bigint not null,
    redeemed_at bigint
);
create index psi_invitations_by_connection on psi_invitations (connection_id, created_at);
