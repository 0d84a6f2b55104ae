//! `trellis psi`: an invitation, a server and a client on loopback, and the file exchange,
//! on two small CRM exports whose overlaps are known.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::Stdio;

use super::{Server, run, stderr, stdout, trellis};

/// Ours: Salesforce columns. Customers: Acme, Initech; open opportunities: Acme, Umbrella;
/// prospects: Globex, Umbrella.
const OURS: &str = "\
Account ID,Account Name,Website,Billing Country,Type,Open Deals
A1,Acme GmbH,acme.de,Germany,Customer - Direct,1
A2,Globex,globex.com,US,Prospect,0
A3,Initech,,United States,Customer,0
A4,Umbrella,umbrella-corp.com,,Prospect,2
A5,Hooli,hooli.com,US,Other,0
";

/// Theirs: HubSpot columns. Customers: Acme, Initech, Stark; prospects and open
/// opportunities: Globex.
const THEIRS: &str = "\
Record ID,Company name,Company Domain Name,Country/Region,Lifecycle Stage,Open Deals
B1,ACME,https://www.acme.de,DE,customer,0
B2,Globex Corporation,globex.com,United States,lead,3
B3,Initech LLC,,US,customer,0
B4,Stark Industries,stark.com,US,customer,0
";

/// Our matrix against their customers and prospects (what they share as counts).
const MATRIX: &str = "\
our_population,their_population,count
customers,customers,2
customers,prospects,0
open_opportunities,customers,1
open_opportunities,prospects,0
prospects,customers,0
prospects,prospects,1
";

/// Our overlaps with what they share of each (name and country).
const OVERLAPS: &str = "\
our_id,our_name,their_name,their_country
A1,Acme GmbH,ACME,DE
A2,Globex,Globex Corporation,US
A3,Initech,Initech LLC,US
";

fn files(dir: &Path) {
    std::fs::write(dir.join("ours.csv"), OURS).unwrap();
    std::fs::write(dir.join("theirs.csv"), THEIRS).unwrap();
}

#[test]
fn psi_invite_serve_and_connect_map_two_crm_exports_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    files(d);
    let out = run(trellis()
        .args(["psi", "invite", "--expires-in", "1h", "--state-dir"])
        .arg(d.join("server")));
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert_eq!(token.len(), 43, "{token:?}");

    let mut child = trellis()
        .args(["psi", "serve", "--bind", "127.0.0.1:0", "--accounts"])
        .arg(d.join("theirs.csv"))
        .args([
            "--share-records",
            "name,country",
            "--share-counts",
            "customers,prospects",
        ])
        .arg("--state-dir")
        .arg(d.join("server"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut server_err = child.stderr.take().unwrap();
    let server = Server(child);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("serve prints its URL")
        .to_owned();

    let connect = |auth: [&str; 2], out_file: &str| {
        run(trellis()
            .args(["psi", "connect", &url, "--accounts"])
            .arg(d.join("ours.csv"))
            .args(["--share-records", "name", "--format", "csv"])
            .args(auth)
            .arg("--state-dir")
            .arg(d.join("client"))
            .arg("--out")
            .arg(d.join(out_file)))
    };
    let out = connect(["--token", &token], "overlaps.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), MATRIX);
    let overlaps = std::fs::read_to_string(d.join("overlaps.csv")).unwrap();
    assert_eq!(overlaps, OVERLAPS);
    let id = stderr(&out)
        .split_whitespace()
        .skip_while(|w| *w != "--connection")
        .nth(1)
        .expect("connect names the saved connection")
        .to_owned();

    // The token works once; the saved connection keeps working.
    let out = connect(["--token", &token], "again.csv");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already used"), "{}", stderr(&out));
    let out = connect(["--connection", &id], "again.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), MATRIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = d.join("client/connections").join(format!("{id}.json"));
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    drop(server);
    let mut log = String::new();
    server_err.read_to_string(&mut log).unwrap();
    assert!(
        log.contains("finished: 3 of our accounts overlap records they share"),
        "{log}"
    );
}

#[test]
fn psi_request_respond_and_finish_map_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    files(d);
    let at = |name: &str| d.join(name);
    let out = run(trellis()
        .args(["psi", "request", "--share-records", "name", "--accounts"])
        .arg(at("ours.csv"))
        .arg("--out")
        .arg(at("request.tpsi"))
        .arg("--state-file")
        .arg(at("ours.state")));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(trellis()
        .args(["psi", "respond"])
        .arg(at("request.tpsi"))
        .args([
            "--share-records",
            "name,country",
            "--share-counts",
            "customers,prospects",
        ])
        .arg("--accounts")
        .arg(at("theirs.csv"))
        .arg("--out")
        .arg(at("response.tpsi"))
        .arg("--state-file")
        .arg(at("theirs.state")));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(trellis()
        .args(["psi", "finish", "--format", "csv"])
        .arg(at("response.tpsi"))
        .arg("--state-file")
        .arg(at("ours.state"))
        .arg("--reply")
        .arg(at("reply.tpsi"))
        .arg("--out")
        .arg(at("overlaps.csv")));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), MATRIX);
    assert_eq!(
        std::fs::read_to_string(at("overlaps.csv")).unwrap(),
        OVERLAPS
    );
    assert!(
        !at("ours.state").exists(),
        "the secret state is removed once used"
    );
    let out = run(trellis()
        .args(["psi", "finish", "--format", "json"])
        .arg(at("reply.tpsi"))
        .arg("--state-file")
        .arg(at("theirs.state")));
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = json["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["theirs"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme GmbH", "Globex", "Initech"]);
    assert_eq!(json["matrix"].as_array().unwrap().len(), 9);

    // A finished exchange cannot be finished again; a bad file says which line is wrong.
    let out = run(trellis()
        .args(["psi", "finish"])
        .arg(at("reply.tpsi"))
        .arg("--state-file")
        .arg(at("theirs.state")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read the exchange state"),
        "{}",
        stderr(&out)
    );
    std::fs::write(at("bad.csv"), "Account Name,Employees\nAcme,lots\n").unwrap();
    let out = run(trellis()
        .args(["psi", "request", "--accounts"])
        .arg(at("bad.csv")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("bad.csv: line 2, column \"Employees\": \"lots\" is not a whole number"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn psi_serve_over_tls_is_trusted_through_a_pinned_certificate_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    files(d);
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(d.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(d.join("key.pem"), ck.signing_key.serialize_pem()).unwrap();

    let out = run(trellis()
        .args(["psi", "serve", "--bind", "0.0.0.0:0", "--accounts"])
        .arg(d.join("theirs.csv")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a loopback address"),
        "{}",
        stderr(&out)
    );

    let out = run(trellis()
        .args(["psi", "invite", "--state-dir"])
        .arg(d.join("server")));
    let token = stdout(&out).trim().to_owned();
    let mut child = trellis()
        .args(["psi", "serve", "--bind", "127.0.0.1:0", "--accounts"])
        .arg(d.join("theirs.csv"))
        .args([
            "--share-records",
            "name,country",
            "--share-counts",
            "customers,prospects",
        ])
        .arg("--tls-cert")
        .arg(d.join("cert.pem"))
        .arg("--tls-key")
        .arg(d.join("key.pem"))
        .arg("--state-dir")
        .arg(d.join("server"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .expect("serve prints its URL")
        .replace("127.0.0.1", "localhost");
    let connect = |pin: bool| {
        let mut cmd = trellis();
        cmd.args(["psi", "connect", &url, "--token", &token, "--format", "csv"])
            .arg("--accounts")
            .arg(d.join("ours.csv"))
            .arg("--state-dir")
            .arg(d.join("client"));
        if pin {
            cmd.arg("--peer-cert").arg(d.join("cert.pem"));
        }
        run(&mut cmd)
    };
    let out = connect(false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("certificate"), "{}", stderr(&out));
    let out = connect(true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), MATRIX);
}
