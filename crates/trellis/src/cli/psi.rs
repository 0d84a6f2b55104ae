//! `trellis psi …`: private account mapping with a partner, over the network or through files,
//! with our accounts from a CRM export. The protocol and the transport are trellis-psi and
//! trellis-psi-net's; this module reads the CSV, applies the sharing flags, keeps connections in
//! a state directory and prints what we learned.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use trellis_csv::{Columns, Field, Row, Table};
use trellis_domain::crm::{Relationship, relationship_of_type};
use trellis_domain::mapping::{AccountFacts, Builtin, SharedField};
use trellis_psi_net::connections::{ConnectionStore as _, DirStore, write_private};
use trellis_psi_net::server::FixedInput;
use trellis_psi_net::{
    AccountInput, ClientConfig, Outcome, Party, Peer, PopulationInfo, Progress, PsiServer, Share,
    SideInput, exchange,
};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum PsiCommand {
    /// Make a one-time invitation for a partner to connect to `trellis psi serve`; prints the
    /// token (shown once, stored only hashed).
    Invite(InviteArgs),
    /// Serve private mappings to partners holding an invitation or a connection.
    Serve(ServeArgs),
    /// Map our accounts with a partner's `trellis psi serve`; prints the overlap matrix and
    /// writes the overlapping accounts.
    Connect(ConnectArgs),
    /// File exchange, step 1 of 3 (we start): write a request file for an offline partner.
    ///
    /// The partner answers with `trellis psi respond`; we then run `trellis psi finish` on its
    /// response (which may write a reply file for the partner's own `trellis psi finish`).
    Request(RequestArgs),
    /// File exchange, step 2 of 3 (the partner started): answer a request file.
    ///
    /// Writes the response to send back. If the partner shares something with us, a state
    /// file is kept and we learn our result with `trellis psi finish` on the partner's reply.
    Respond(RespondArgs),
    /// File exchange, step 3: read the partner's response (we started; may write a reply for
    /// the partner) or reply (the partner started): prints what we learned.
    Finish(FinishArgs),
}

/// Our accounts and what the partner may learn of them.
#[derive(Debug, Clone, clap::Args, Serialize, Deserialize)]
pub(crate) struct SideArgs {
    /// Our accounts: a CRM export (Salesforce accounts, HubSpot companies, or columns named
    /// name, website, country, type or relationship, open deals, ...).
    #[arg(long, value_name = "FILE")]
    pub accounts: PathBuf,
    /// Column mapping when the labels are not recognised, e.g.
    /// "name=Firmenname,website=Webseite,country=Land".
    #[arg(long, value_name = "MAPPING")]
    pub columns: Option<String>,
    /// Fields of our overlapping accounts the partner may see, comma-separated: name, domain,
    /// country, industry, employees, owner, relationship, open_opportunities. Empty: the
    /// partner learns none of our accounts.
    #[arg(long, value_name = "FIELDS", default_value = "")]
    pub share_records: String,
    /// Only accounts of these populations are shared as records [default: every account].
    #[arg(long, value_name = "POPS")]
    pub share_records_from: Option<String>,
    /// Our populations whose overlap counts the partner may learn, comma-separated
    /// (customers, open_opportunities, prospects); empty for none.
    #[arg(
        long,
        value_name = "POPS",
        default_value = "customers,open_opportunities,prospects"
    )]
    pub share_counts: String,
}

/// Where connections and exchange state are kept.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StateArgs {
    /// Directory of connections, invitations (hashed) and exchange state; files are 0600.
    #[arg(long, value_name = "DIR", default_value = "trellis-psi")]
    pub state_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InviteArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// How long the invitation can be redeemed: a number and s, m, h or d.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub expires_in: Duration,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub side: SideArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub bind: std::net::SocketAddr,
    /// Serve HTTPS with this PEM certificate (chain) ...
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// ... and this PEM private key.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address that is not loopback (only behind a TLS proxy).
    #[arg(long)]
    pub insecure_http: bool,
}

/// How to print what we learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct OutputArgs {
    /// Write our overlapping accounts with their shared fields to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How to print the overlap matrix (json: everything).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ConnectArgs {
    /// The partner's server, e.g. https://psi.partner.example:8443/ (with --connection: where
    /// it moved to).
    pub url: Option<String>,
    #[command(flatten)]
    pub side: SideArgs,
    /// A one-time invitation from the partner; the connection is then saved for next time.
    // A base64url token may start with "-": it must not be taken for a flag.
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with = "connection",
        allow_hyphen_values = true
    )]
    pub token: Option<String>,
    /// A connection saved by an earlier --token.
    #[arg(long, value_name = "ID", required_unless_present = "token")]
    pub connection: Option<String>,
    /// Trust this PEM certificate (a self-signed server's) besides the system's roots.
    #[arg(long, value_name = "FILE")]
    pub peer_cert: Option<PathBuf>,
    /// Allow plain HTTP to an address that is not loopback.
    #[arg(long)]
    pub insecure_http: bool,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RequestArgs {
    #[command(flatten)]
    pub side: SideArgs,
    /// The request file to give the partner.
    #[arg(long, value_name = "FILE", default_value = "request.tpsi")]
    pub out: PathBuf,
    /// Where to keep our secret state until `finish` [default: STATE_DIR/exchange.json].
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RespondArgs {
    /// The partner's request file.
    pub request: PathBuf,
    #[command(flatten)]
    pub side: SideArgs,
    /// The response file to give back.
    #[arg(long, value_name = "FILE", default_value = "response.tpsi")]
    pub out: PathBuf,
    /// Where to keep our secret state until `finish` [default: STATE_DIR/exchange.json].
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct FinishArgs {
    /// The partner's response (we started) or reply (the partner started).
    pub file: PathBuf,
    /// Our state from `request` or `respond` [default: STATE_DIR/exchange.json].
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// Where to write the reply for the partner, if it learns something too.
    #[arg(long, value_name = "FILE", default_value = "reply.tpsi")]
    pub reply: PathBuf,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs a `trellis psi` command.
pub(crate) async fn run(command: PsiCommand) -> anyhow::Result<()> {
    match command {
        PsiCommand::Invite(a) => invite(&a).await,
        PsiCommand::Serve(a) => serve(&a).await,
        PsiCommand::Connect(a) => connect(&a).await,
        PsiCommand::Request(a) => request(&a),
        PsiCommand::Respond(a) => respond(&a),
        PsiCommand::Finish(a) => finish(&a),
    }
}

/// The system clock, for the transport.
#[derive(Debug)]
struct Wall;

impl trellis_psi_net::Clock for Wall {
    fn now_ms(&self) -> i64 {
        trellis_service::Clock::now(&trellis_service::SystemClock).millis()
    }
}

/// 32 bytes from the operating system, to seed every secret a command draws.
fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut s);
    s
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a number and a unit (30m, 12h, 7d)"))?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" | "" => n * 86_400,
        other => return Err(format!("unknown unit {other:?}; use s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

async fn invite(args: &InviteArgs) -> anyhow::Result<()> {
    let store = DirStore::new(&args.state.state_dir);
    let (token, invitation) = trellis_psi_net::new_invitation(
        &mut rand::rngs::OsRng,
        trellis_psi_net::Clock::now_ms(&Wall),
        args.expires_in,
    );
    store.add_invitation(invitation).await?;
    eprintln!(
        "a one-time invitation, valid for {}; give it to the partner for `trellis psi connect URL --token TOKEN`:",
        humanise(args.expires_in)
    );
    println!("{}", token.as_str());
    Ok(())
}

fn humanise(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s.is_multiple_of(86_400) => format!("{} days", s / 86_400),
        _ if s.is_multiple_of(3600) => format!("{} hours", s / 3600),
        _ if s.is_multiple_of(60) => format!("{} minutes", s / 60),
        _ => format!("{s} seconds"),
    }
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let side = read_side(&args.side)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => {
            let cert = std::fs::read(c).with_context(|| format!("cannot read {}", c.display()))?;
            let key = std::fs::read(k).with_context(|| format!("cannot read {}", k.display()))?;
            Some(trellis_psi_net::tls::server_config(&cert, &key)?)
        }
        _ => None,
    };
    if tls.is_none() && !args.bind.ip().is_loopback() && !args.insecure_http {
        bail!(
            "{} is not a loopback address: serve HTTPS with --tls-cert and --tls-key, or pass --insecure-http behind a TLS proxy",
            args.bind
        );
    }
    let server = PsiServer::new(
        Arc::new(DirStore::new(&args.state.state_dir)),
        Arc::new(FixedInput(Arc::new(side.input))),
        Arc::new(Wall),
        seed(),
    )
    .on_mapped(move |m| {
        let o = &m.outcome;
        eprintln!(
            "mapping {} with connection {} finished: {} of our accounts overlap records they share; {} population pairs counted{}",
            m.session,
            m.connection,
            o.overlaps.len(),
            o.matrix.len(),
            summary(o)
        );
    });
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "serving private mappings on {scheme}://{addr}/ (connections in {})",
        args.state.state_dir.display()
    );
    std::io::stdout().flush()?;
    tokio::select! {
        r = trellis_psi_net::tls::serve(listener, server.router(), tls) => r?,
        _ = tokio::signal::ctrl_c() => eprintln!("stopped"),
    }
    Ok(())
}

async fn connect(args: &ConnectArgs) -> anyhow::Result<()> {
    let side = read_side(&args.side)?;
    let store = DirStore::new(&args.state.state_dir);
    let config = ClientConfig {
        peer_cert_pem: match &args.peer_cert {
            Some(p) => {
                Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?)
            }
            None => None,
        },
        insecure_http: args.insecure_http,
        ..ClientConfig::default()
    };
    let mut connection = match (&args.token, &args.connection) {
        (Some(token), _) => {
            let url = args
                .url
                .as_deref()
                .context("with --token, give the partner's URL")?;
            let c = trellis_psi_net::client::redeem(url, token, &config, &Wall, seed()).await?;
            store.add_connection(c.clone()).await?;
            eprintln!(
                "connected: connection {} saved in {}; next time use --connection {}",
                c.id,
                store.dir().display(),
                c.id
            );
            c
        }
        (None, Some(id)) => store
            .connection(id)
            .await?
            .ok_or_else(|| trellis_psi_net::Error::UnknownConnection(id.clone()))?,
        (None, None) => bail!("give --token or --connection"),
    };
    if let (Some(url), Some(_)) = (&args.url, &args.connection) {
        connection.peer_url = Some(url.clone());
    }
    let mut peer = Peer::new(connection, config, Arc::new(Wall), seed())?;
    let bar = Bar::new();
    let outcome = peer
        .map(&side.input, &mut |p| bar.show(p))
        .await
        .inspect_err(|_| bar.finish())?;
    bar.finish();
    report(&outcome, &side, &args.output)
}

/// What the CLI keeps between the steps of a file exchange: the library's state and how to
/// read our side again.
#[derive(Serialize, Deserialize)]
struct ExchangeFile {
    side: SideArgs,
    exchange: exchange::State,
}

fn state_path(explicit: Option<&PathBuf>, state: &StateArgs) -> PathBuf {
    explicit
        .cloned()
        .unwrap_or_else(|| state.state_dir.join("exchange.json"))
}

fn save_exchange(path: &Path, side: &SideArgs, state: exchange::State) -> anyhow::Result<()> {
    let mut side = side.clone();
    side.accounts = std::path::absolute(&side.accounts)?;
    let file = ExchangeFile {
        side,
        exchange: state,
    };
    write_private(path, &serde_json::to_vec_pretty(&file)?)?;
    Ok(())
}

/// Writes through a temporary file next to `path`, renamed into place once complete.
fn write_file(
    path: &Path,
    f: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        f(&mut w)?;
        w.flush()?;
    }
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn open(path: &Path) -> anyhow::Result<std::io::BufReader<std::fs::File>> {
    Ok(std::io::BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
    ))
}

fn request(args: &RequestArgs) -> anyhow::Result<()> {
    let side = read_side(&args.side)?;
    let mut state = None;
    write_file(&args.out, |w| {
        state = Some(exchange::request(&side.input, 4096, seed(), w)?);
        Ok(())
    })?;
    let path = state_path(args.state_file.as_ref(), &args.state);
    save_exchange(&path, &args.side, state.context("no state")?)?;
    eprintln!(
        "wrote {}: give it to the partner for `trellis psi respond`; our secret state is in {} until `trellis psi finish`",
        args.out.display(),
        path.display()
    );
    Ok(())
}

fn respond(args: &RespondArgs) -> anyhow::Result<()> {
    let side = read_side(&args.side)?;
    let mut input = open(&args.request)?;
    let mut responded = None;
    write_file(&args.out, |w| {
        responded = Some(
            exchange::respond(&side.input, &mut input, 4096, seed(), w)
                .with_context(|| format!("{}", args.request.display()))?,
        );
        Ok(())
    })?;
    let responded = responded.context("no response")?;
    eprintln!("wrote {}: give it back to the partner", args.out.display());
    if let Some(state) = responded.state {
        let path = state_path(args.state_file.as_ref(), &args.state);
        save_exchange(&path, &args.side, state)?;
        eprintln!(
            "the partner shares with us: run `trellis psi finish REPLY --state-file {}` on its reply",
            path.display()
        );
    } else {
        eprintln!("the partner shares nothing with us: nothing more to do");
    }
    Ok(())
}

fn finish(args: &FinishArgs) -> anyhow::Result<()> {
    let path = state_path(args.state_file.as_ref(), &args.state);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "cannot read the exchange state {} (from `trellis psi request` or `respond`)",
            path.display()
        )
    })?;
    let saved: ExchangeFile = serde_json::from_slice(&zeroize::Zeroizing::new(bytes))
        .with_context(|| format!("{} is not an exchange state file", path.display()))?;
    let side = read_side(&saved.side)?;
    let mut input = open(&args.file)?;
    let mut reply = Vec::new();
    let done = exchange::finish(&side.input, &saved.exchange, &mut input, &mut reply)
        .with_context(|| format!("{}", args.file.display()))?;
    if saved.exchange.role == Party::Initiator && !done.reply_runs.is_empty() {
        write_file(&args.reply, |w| Ok(w.write_all(&reply)?))?;
        eprintln!(
            "wrote {}: give it to the partner for its `trellis psi finish`",
            args.reply.display()
        );
    }
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    report(&done.outcome, &side, &args.output)
}

/// A progress bar on a terminal; otherwise a line as each run ends.
struct Bar {
    bar: Option<ProgressBar>,
    done: Mutex<Vec<trellis_psi_net::Run>>,
}

impl Bar {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg:22} [{bar:40}] {pos}/{len} chunks")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            done: Mutex::new(Vec::new()),
        }
    }

    fn show(&self, p: Progress) {
        let what = run_name(p.run);
        if let Some(bar) = &self.bar {
            bar.set_message(what);
            bar.set_length(p.total as u64);
            bar.set_position((p.total - p.left) as u64);
        } else if p.left == 0
            && let Ok(mut done) = self.done.lock()
            && !done.contains(&p.run)
        {
            done.push(p.run);
            eprintln!("{what}: done ({} chunks)", p.total);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A run as the client sees it.
fn run_name(run: trellis_psi_net::Run) -> &'static str {
    use trellis_psi_net::Mode;
    match (run.mode, run.receiver) {
        (Mode::Records, Party::Initiator) => "their records to us",
        (Mode::Counts, Party::Initiator) => "their counts to us",
        (Mode::Records, Party::Responder) => "our records to them",
        (Mode::Counts, Party::Responder) => "our counts to them",
    }
}

// ---------------------------------------------------------------------------------------------
// Our side from a CSV file

/// The columns read: the account import's, plus relationship and open opportunities.
const FIELDS: &[Field] = &[
    field(
        "id",
        &[
            "Account ID",
            "Account ID (18)",
            "Record ID",
            "Company ID",
            "External ID",
            "ID",
        ],
    ),
    Field {
        key: "name",
        labels: &[
            "Account Name",
            "Company name",
            "Company",
            "Organization",
            "Organisation",
            "Name",
        ],
        required: true,
    },
    field(
        "website",
        &[
            "Website",
            "Company Domain Name",
            "Website URL",
            "Domain",
            "URL",
        ],
    ),
    field(
        "country",
        &[
            "Billing Country",
            "Country/Region",
            "Country",
            "Billing Country Code",
            "Shipping Country",
        ],
    ),
    field("industry", &["Industry"]),
    field(
        "employees",
        &["Employees", "Number of Employees", "NumberOfEmployees"],
    ),
    field(
        "account_type",
        &["Type", "Account Type", "Company Type", "Lifecycle Stage"],
    ),
    field("relationship", &["Relationship"]),
    field(
        "owner",
        &[
            "Account Owner",
            "Company owner",
            "Owner",
            "Account Owner Email",
            "Owner Email",
        ],
    ),
    field(
        "open_opportunities",
        &[
            "Open Opportunities",
            "Number of Open Opportunities",
            "Open Deals",
            "Number of Open Deals",
            "Open Opps",
        ],
    ),
];

const fn field(key: &'static str, labels: &'static [&'static str]) -> Field {
    Field {
        key,
        labels,
        required: false,
    }
}

/// Our side: the protocol's input, and our accounts' ids and names to report overlaps by.
#[derive(Debug)]
struct Side {
    input: SideInput,
    names: Vec<String>,
    ids: Vec<String>,
}

fn builtins() -> Vec<PopulationInfo> {
    Builtin::ALL
        .iter()
        .zip(0u8..)
        .map(|(b, slot)| PopulationInfo {
            slot,
            key: b.as_str().to_owned(),
            name: b.label().to_owned(),
        })
        .collect()
}

/// A comma list of built-in population keys as a mask of slots.
fn population_mask(list: &str, flag: &str) -> anyhow::Result<u64> {
    let mut mask = 0;
    for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let b: Builtin = key
            .parse()
            .map_err(|e: String| anyhow::anyhow!("{flag}: {e}"))?;
        let slot = Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0);
        mask |= 1 << slot;
    }
    Ok(mask)
}

fn shared_fields(list: &str) -> anyhow::Result<Vec<SharedField>> {
    list.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse()
                .map_err(|e: String| anyhow::anyhow!("--share-records: {e}"))
        })
        .collect()
}

fn read_side(args: &SideArgs) -> anyhow::Result<Side> {
    let path = &args.accounts;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table = trellis_csv::read(&bytes).with_context(|| format!("{}", path.display()))?;
    let fields = shared_fields(&args.share_records)?;
    let counts = population_mask(&args.share_counts, "--share-counts")?;
    let from = match &args.share_records_from {
        Some(list) => population_mask(list, "--share-records-from")?,
        None => u64::MAX,
    };
    side_of(&table, args.columns.as_deref(), &fields, counts, from)
        .with_context(|| format!("{}", path.display()))
}

fn side_of(
    table: &Table,
    mapping: Option<&str>,
    fields: &[SharedField],
    counts: u64,
    records_from: u64,
) -> anyhow::Result<Side> {
    let columns = Columns::detect(&table.headers, FIELDS, mapping)?;
    let mut side = Side {
        input: SideInput {
            populations: builtins(),
            accounts: Vec::with_capacity(table.rows.len()),
            share: Share {
                counts,
                records: Vec::new(),
            },
            ..SideInput::default()
        },
        names: Vec::with_capacity(table.rows.len()),
        ids: Vec::with_capacity(table.rows.len()),
    };
    for row in &table.rows {
        let account = Account::read(row, &columns, &table.headers)?;
        let index = side.input.accounts.len();
        if !fields.is_empty()
            && (records_from == u64::MAX || account.populations & records_from != 0)
        {
            side.input
                .share
                .records
                .push((index, account.label(fields)));
        }
        side.input.accounts.push(AccountInput {
            keys: account.keys,
            populations: account.populations,
        });
        side.ids.push(account.id);
        side.names.push(account.name);
    }
    if side.input.accounts.is_empty() {
        bail!("the file has no accounts");
    }
    Ok(side)
}

/// One row, checked.
struct Account {
    id: String,
    name: String,
    domain: String,
    country: String,
    industry: String,
    employees: Option<i64>,
    owner: String,
    relationship: Relationship,
    open_opportunities: i64,
    keys: Vec<trellis_psi::Key>,
    populations: u64,
}

impl Account {
    fn read(row: &Row, columns: &Columns, headers: &[String]) -> anyhow::Result<Self> {
        let cell = |key: &str| columns.get(key).map_or("", |c| row.cell(c));
        let at = |key: &str, message: String| {
            let column = columns
                .get(key)
                .and_then(|c| headers.get(c))
                .map_or(key, String::as_str);
            anyhow::anyhow!("line {}, column {column:?}: {message}", row.line)
        };
        let number = |key: &str| -> anyhow::Result<Option<i64>> {
            let v = cell(key).replace([',', '_', ' '], "");
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| at(key, format!("{:?} is not a whole number", cell(key))))
        };
        let relationship = match cell("relationship") {
            "" => relationship_of_type(cell("account_type")),
            r => r
                .to_ascii_lowercase()
                .parse()
                .map_err(|e: String| at("relationship", e))?,
        };
        let website = Some(cell("website")).filter(|w| !w.is_empty());
        let country = Some(cell("country")).filter(|c| !c.is_empty());
        let name = cell("name").to_owned();
        let mut a = Self {
            id: match cell("id") {
                "" => format!("line {}", row.line),
                id => id.to_owned(),
            },
            domain: website
                .and_then(trellis_match::domain::website_domain)
                .unwrap_or_default(),
            country: country
                .and_then(trellis_match::country::country_code)
                .map_or_else(|| cell("country").to_owned(), |c| c.as_str().to_owned()),
            industry: cell("industry").to_owned(),
            employees: number("employees")?,
            owner: cell("owner").to_owned(),
            relationship,
            open_opportunities: number("open_opportunities")?.unwrap_or(0),
            keys: trellis_psi::keys::company(website, &name, country),
            populations: 0,
            name,
        };
        let facts = AccountFacts {
            relationship: a.relationship.as_str(),
            country: &a.country,
            industry: &a.industry,
            account_type: cell("account_type"),
            owner: &a.owner,
            employees: a.employees,
            open_opportunities: a.open_opportunities,
            name: &a.name,
            domain: &a.domain,
        };
        a.populations = Builtin::ALL
            .iter()
            .zip(0u8..)
            .filter(|(b, _)| b.filter().matches(&facts))
            .fold(0, |m, (_, slot)| m | 1 << slot);
        Ok(a)
    }

    /// The shared fields as a JSON object: what the partner sees of an overlapping account.
    fn label(&self, fields: &[SharedField]) -> Vec<u8> {
        let mut m = serde_json::Map::new();
        for f in fields {
            let v = match f {
                SharedField::Name => self.name.clone().into(),
                SharedField::Domain => self.domain.clone().into(),
                SharedField::Country => self.country.clone().into(),
                SharedField::Industry => self.industry.clone().into(),
                SharedField::Employees => self.employees.into(),
                SharedField::Owner => self.owner.clone().into(),
                SharedField::Relationship => self.relationship.as_str().into(),
                SharedField::OpenOpportunities => self.open_opportunities.into(),
            };
            m.insert(f.as_str().to_owned(), v);
        }
        serde_json::Value::Object(m).to_string().into_bytes()
    }
}

// ---------------------------------------------------------------------------------------------
// What we learned

/// Population names by slot, ours.
fn our_population(slot: u8) -> String {
    Builtin::ALL
        .get(usize::from(slot))
        .map_or_else(|| format!("population {slot}"), |b| b.label().to_owned())
}

fn summary(o: &Outcome) -> String {
    let total: u64 = o.matrix.iter().map(|c| c.count).sum();
    if o.matrix.is_empty() {
        String::new()
    } else {
        format!(" (sum of counts {total})")
    }
}

/// Their fields of one overlap, one JSON object per matching record of theirs.
fn their_records(labels: &[Vec<u8>]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    labels
        .iter()
        .map(|l| {
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(l) {
                m
            } else {
                let mut m = serde_json::Map::new();
                let text = String::from_utf8_lossy(l).into_owned();
                m.insert("label".to_owned(), text.into());
                m
            }
        })
        .collect()
}

fn report(o: &Outcome, side: &Side, output: &OutputArgs) -> anyhow::Result<()> {
    if let Some(path) = &output.out {
        write_file(path, |w| write_overlaps(w, o, side))?;
        eprintln!(
            "wrote {} overlapping accounts to {}",
            o.overlaps.len(),
            path.display()
        );
    }
    let mut out = std::io::stdout().lock();
    match output.format {
        Format::Table => print_table(&mut out, o, side)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["our_population", "their_population", "count"])?;
            for c in &o.matrix {
                let theirs = o.their_populations.iter().find(|p| p.slot == c.theirs);
                w.write_record([
                    Builtin::ALL
                        .get(usize::from(c.ours))
                        .map_or("", |b| b.as_str()),
                    theirs.map_or("", |p| p.key.as_str()),
                    &c.count.to_string(),
                ])?;
            }
            w.flush()?;
        }
        Format::Json => {
            let json = serde_json::json!({
                "their_populations": o.their_populations,
                "matrix": o.matrix.iter().map(|c| serde_json::json!({
                    "ours": Builtin::ALL.get(usize::from(c.ours)).map(|b| b.as_str()),
                    "theirs": o.their_populations.iter().find(|p| p.slot == c.theirs).map(|p| &p.key),
                    "count": c.count,
                })).collect::<Vec<_>>(),
                "overlaps": o.overlaps.iter().map(|x| serde_json::json!({
                    "our_id": side.ids[x.ours],
                    "our_name": side.names[x.ours],
                    "theirs": their_records(&x.labels),
                })).collect::<Vec<_>>(),
                "runs": o.stats.runs.iter().map(|r| serde_json::json!({
                    "run": run_name(r.run),
                    "bytes_sent": r.bytes_sent,
                    "bytes_received": r.bytes_received,
                    "elements": r.elements,
                    "seconds": r.wall.as_secs_f64(),
                })).collect::<Vec<_>>(),
            });
            writeln!(out, "{json}")?;
        }
    }
    Ok(())
}

fn print_table(out: &mut dyn std::io::Write, o: &Outcome, side: &Side) -> anyhow::Result<()> {
    if o.their_populations.is_empty() {
        writeln!(out, "the partner shares no overlap counts")?;
    } else {
        let sizes: Vec<usize> = side
            .input
            .populations
            .iter()
            .map(|p| {
                let mut keys: Vec<&trellis_psi::Key> = side
                    .input
                    .accounts
                    .iter()
                    .filter(|a| a.populations >> p.slot & 1 == 1)
                    .filter_map(|a| a.keys.first())
                    .collect();
                keys.sort();
                keys.dedup();
                keys.len()
            })
            .collect();
        let rows: Vec<String> = side
            .input
            .populations
            .iter()
            .zip(&sizes)
            .map(|(p, n)| format!("our {} ({n})", our_population(p.slot)))
            .collect();
        let cols: Vec<String> = o
            .their_populations
            .iter()
            .map(|p| format!("their {} ({})", p.name, p.size))
            .collect();
        let first = rows.iter().map(String::len).max().unwrap_or(0);
        write!(out, "{:first$}", "")?;
        for c in &cols {
            write!(out, "  {c}")?;
        }
        writeln!(out)?;
        for (p, row) in side.input.populations.iter().zip(&rows) {
            write!(out, "{row:first$}")?;
            for (t, c) in o.their_populations.iter().zip(&cols) {
                let n = o.count(p.slot, t.slot).unwrap_or(0);
                write!(out, "  {n:>w$}", w = c.len())?;
            }
            writeln!(out)?;
        }
    }
    writeln!(
        out,
        "{} of our accounts overlap records the partner shares",
        o.overlaps.len()
    )?;
    Ok(())
}

fn write_overlaps(w: &mut dyn std::io::Write, o: &Outcome, side: &Side) -> anyhow::Result<()> {
    let records: Vec<_> = o
        .overlaps
        .iter()
        .map(|x| their_records(&x.labels))
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for m in records.iter().flatten() {
        for k in m.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    // Their fields in the order the sharing vocabulary lists them.
    let order = |k: &String| {
        SharedField::ALL
            .iter()
            .position(|f| f.as_str() == k)
            .unwrap_or(usize::MAX)
    };
    columns.sort_by_key(order);
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec!["our_id".to_owned(), "our_name".to_owned()];
    header.extend(columns.iter().map(|c| format!("their_{c}")));
    out.write_record(&header)?;
    for (x, theirs) in o.overlaps.iter().zip(&records) {
        let ours = [
            trellis_csv::neutralise(&side.ids[x.ours]).into_owned(),
            trellis_csv::neutralise(&side.names[x.ours]).into_owned(),
        ];
        if theirs.is_empty() {
            out.write_record(
                ours.iter()
                    .cloned()
                    .chain(columns.iter().map(|_| String::new())),
            )?;
        }
        for m in theirs {
            let cells = columns.iter().map(|c| match m.get(c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => trellis_csv::neutralise(s).into_owned(),
                Some(v) => v.to_string(),
            });
            out.write_record(ours.iter().cloned().chain(cells))?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(csv: &str, fields: &[SharedField]) -> anyhow::Result<Side> {
        side_of(
            &trellis_csv::read(csv.as_bytes()).unwrap(),
            None,
            fields,
            7,
            u64::MAX,
        )
    }

    #[test]
    fn a_crm_export_gives_keys_populations_and_labels() {
        let s = side(
            "Account ID,Account Name,Website,Billing Country,Type,Open Deals,Employees\n\
             001,Acme GmbH,https://www.acme.de,Germany,Customer - Direct,2,\"1,200\"\n\
             002,Globex,,France,Prospect,0,\n\
             003,Initech,,,Other,,\n",
            &[SharedField::Name, SharedField::Employees],
        )
        .unwrap();
        let masks: Vec<u64> = s.input.accounts.iter().map(|a| a.populations).collect();
        assert_eq!(masks, [0b011, 0b100, 0]);
        let keys: Vec<usize> = s.input.accounts.iter().map(|a| a.keys.len()).collect();
        assert_eq!(keys, [2, 1, 0]);
        assert_eq!(s.ids, ["001", "002", "003"]);
        assert_eq!(
            String::from_utf8(s.input.share.records[0].1.clone()).unwrap(),
            r#"{"employees":1200,"name":"Acme GmbH"}"#
        );
    }

    #[test]
    fn a_bad_cell_is_named_by_line_and_column() {
        let err = side("Account Name,Open Deals\nAcme,many\n", &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "line 2, column \"Open Deals\": \"many\" is not a whole number"
        );
        let err = side("Account Name,Relationship\nAcme,friend\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("line 2, column \"Relationship\": unknown value"),
            "{err}"
        );
        assert!(parse_duration("7d").is_ok() && parse_duration("7w").is_err());
        assert!(shared_fields("name,salary").is_err());
    }

    /// Tokens are base64url: one in 64 starts with "-" and must still be read as the value.
    #[test]
    fn a_token_may_start_with_a_dash() {
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from([
            "trellis",
            "psi",
            "connect",
            "https://partner.example",
            "--token",
            "-Abc_9",
            "--accounts",
            "ours.csv",
        ])
        .unwrap();
        let token = match cli.command {
            crate::cli::Command::Psi {
                command: PsiCommand::Connect(args),
            } => args.token,
            _ => None,
        };
        assert_eq!(token.as_deref(), Some("-Abc_9"));
    }
}
