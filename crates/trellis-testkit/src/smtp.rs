//! `SmtpSink`: a real SMTP server on loopback that accepts every message and keeps it, so tests
//! exercise the same SMTP client code as production. No TLS, no authentication, no relaying.
//!
//! The protocol is `mailin`'s state machine (the engine of `mailin-embedded`); the accept loop
//! is ours because `mailin-embedded`'s server runs forever, while this one stops, connections
//! included, when the sink is dropped.

use std::io::{BufRead as _, BufReader};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use mailin::{Action, Handler, Response, SessionBuilder};

/// One message as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Envelope sender (`MAIL FROM`).
    pub from: String,
    /// Envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The raw message: headers and encoded body, CRLF line ends, dot-unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// The decoded `Subject` header; empty if there is none.
    pub fn subject(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The decoded plain-text body (quoted-printable, base64 and 7bit are undone); empty if
    /// there is none.
    pub fn body(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .and_then(|m| m.body_text(0).map(std::borrow::Cow::into_owned))
            .unwrap_or_default()
    }

    /// The raw value of a header (first occurrence, unfolded, not decoded).
    pub fn header(&self, name: &str) -> Option<String> {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .and_then(|m| m.header_raw(name).map(|v| v.trim().to_owned()))
    }
}

#[derive(Debug, Default)]
struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    /// Open connections, so that dropping the sink can end them.
    connections: Mutex<Vec<TcpStream>>,
    reject_recipients: AtomicBool,
    stopped: AtomicBool,
}

/// A real SMTP server on `127.0.0.1:<free port>` that records every message.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl SmtpSink {
    /// Binds a free loopback port and starts serving on a background thread. The port accepts
    /// connections as soon as this returns.
    pub fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the SMTP sink")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("smtp-sink-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &accept_shared))
            .context("starting the SMTP sink thread")?;
        Ok(Self { addr, shared })
    }

    /// The port to point the SMTP client at (host `127.0.0.1`, no TLS).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.mails).clone()
    }

    /// When `true`, every `RCPT TO` is answered `550 Mailbox unavailable`, to test how the
    /// sender reports permanent failures.
    pub fn reject_recipients(&self, reject: bool) {
        self.shared
            .reject_recipients
            .store(reject, Ordering::SeqCst);
    }

    /// Waits until at least `n` messages have arrived or `timeout` has passed, then returns
    /// every message received (the caller asserts on the count).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails = self.messages();
            if mails.len() >= n || tokio::time::Instant::now() >= deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag, then end open sessions (a pooled
        // client connection would otherwise keep its thread reading).
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for c in lock(&self.shared.connections).drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking session thread must not hide the messages from the test.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let builder = SessionBuilder::new("smtp-sink.trellis.localhost");
    for stream in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.connections).push(clone);
        }
        let (builder, shared) = (builder.clone(), Arc::clone(shared));
        let _ = std::thread::Builder::new()
            .name("smtp-sink-session".into())
            .spawn(move || {
                let _ = serve(stream, &builder, &shared);
            });
    }
}

/// One SMTP session: read a line, let mailin answer it, until QUIT or disconnect.
fn serve(stream: TcpStream, builder: &SessionBuilder, shared: &Arc<Shared>) -> std::io::Result<()> {
    // A test never needs a session this long; a hung client must not leak a thread forever.
    stream.set_read_timeout(Some(Duration::from_mins(2)))?;
    let ip: IpAddr = stream.peer_addr()?.ip();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut session = builder.build(ip, Connection::new(Arc::clone(shared)));
    session.greeting().write_to(&mut writer)?;
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => response.write_to(&mut writer)?,
            Action::Close => {
                response.write_to(&mut writer)?;
                return Ok(());
            }
            // STARTTLS is never offered, so a client asking for it gets the refusal above.
            Action::UpgradeTls => return Ok(()),
            Action::NoReply => {}
        }
    }
}

/// Per-connection state of the mailin handler.
struct Connection {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Connection {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        }
    }
}

impl Handler for Connection {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.shared.reject_recipients.load(Ordering::SeqCst) {
            mailin::response::NO_MAILBOX
        } else {
            mailin::response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        from.clone_into(&mut self.from);
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
        };
        lock(&self.shared.mails).push(mail);
        mailin::response::OK
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpStream;

    use super::*;

    /// Reads one reply; multi-line replies (EHLO) continue with `250-`, keep the last line.
    fn read_reply(reader: &mut BufReader<TcpStream>) -> String {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }

    /// Sends `lines` and returns the greeting and the reply to each command.
    fn dialogue(port: u16, lines: &[&str]) -> Vec<String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut replies = Vec::new();
        replies.push(read_reply(&mut reader));
        let mut in_data = false;
        for line in lines {
            writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
            if in_data && *line != "." {
                continue;
            }
            in_data = *line == "DATA";
            replies.push(read_reply(&mut reader));
        }
        replies
    }

    #[test]
    fn a_message_is_received_decoded_and_the_server_stops_when_dropped() {
        let sink = SmtpSink::start().unwrap();
        let port = sink.port();
        let replies = dialogue(
            port,
            &[
                "EHLO client.test",
                "MAIL FROM:<a@example.com>",
                "RCPT TO:<b@example.com>",
                "DATA",
                "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
                "",
                "..a line that starts with a dot, and a soft=",
                " break; caf=C3=A9",
                ".",
                "QUIT",
            ],
        );
        assert!(replies[0].starts_with("220"), "{replies:?}");
        assert!(replies.iter().skip(1).take(3).all(|r| r.starts_with("250")));
        assert!(replies[4].starts_with("354"), "{replies:?}");
        assert!(replies[5].starts_with("250"), "{replies:?}");

        let mails = sink.messages();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].from, "a@example.com");
        assert_eq!(mails[0].to, vec!["b@example.com".to_owned()]);
        assert_eq!(mails[0].subject(), "Grüße");
        assert_eq!(
            mails[0].body().trim_end(),
            ".a line that starts with a dot, and a soft break; café"
        );

        drop(sink);
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while TcpStream::connect(("127.0.0.1", port)).is_ok() {
            assert!(std::time::Instant::now() < deadline, "still listening");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn recipients_can_be_rejected() {
        let sink = SmtpSink::start().unwrap();
        sink.reject_recipients(true);
        let replies = dialogue(
            sink.port(),
            &[
                "HELO client.test",
                "MAIL FROM:<a@example.com>",
                "RCPT TO:<b@example.com>",
                "QUIT",
            ],
        );
        assert_eq!(replies[3], "550 Mailbox unavailable");
    }
}
