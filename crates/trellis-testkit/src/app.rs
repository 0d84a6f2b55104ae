//! `TestApp`: the real application on a fresh database, listening on 127.0.0.1:<free port>,
//! with a fake clock, a real SMTP sink and a real webhook receiver. Jobs run only when a test
//! asks ([`TestApp::run_jobs`]), so nothing depends on background timing.

use std::sync::Arc;

use anyhow::Context as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use trellis_domain::{OrgId, OrgKind, Timestamp};
use trellis_jobs::{JobsConfig, Runner, SmtpConfig};
use trellis_service::platform::orgs::{Org, OrgInput};
use trellis_service::{Actor, FakeClock, ServiceConfig, Services};
use trellis_store::testing::TestDb;
use trellis_web::{AppState, WebConfig};

use crate::hooks::HookSink;
use crate::smtp::SmtpSink;

/// The password of every user the fixtures create.
pub const PASSWORD: &str = "correct horse battery staple";

/// 2026-01-01T00:00:00Z, where every test's clock starts.
pub const START: Timestamp = Timestamp::from_millis(1_767_225_600_000);

/// A running application and its fakes.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The services, for arranging state directly.
    pub services: Services,
    /// The clock every part of the app reads.
    pub clock: FakeClock,
    /// Receives the app's e-mail.
    pub mail: SmtpSink,
    /// Receives the app's webhooks.
    pub hooks: HookSink,
    /// A plain HTTP client (no cookies, no redirects).
    pub http: reqwest::Client,
    /// The vendor organisation.
    pub vendor: Org,
    runner: Runner,
    shutdown: CancellationToken,
    _db: TestDb,
}

/// A partner organisation with an admin and a user.
#[derive(Debug, Clone)]
pub struct PartnerFixture {
    /// The organisation.
    pub org: Org,
    /// `admin@<slug>.example`.
    pub admin_email: String,
    /// `seller@<slug>.example`.
    pub user_email: String,
}

impl TestApp {
    /// Starts the application with a vendor org and `admin@vendor.example` (vendor admin).
    pub async fn spawn() -> anyhow::Result<Self> {
        Self::spawn_with(WebConfig::default()).await
    }

    /// [`TestApp::spawn`] with these web settings (a small upload limit, say).
    pub async fn spawn_with(web: WebConfig) -> anyhow::Result<Self> {
        let db = TestDb::create().await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let clock = FakeClock::new(START);
        let config = ServiceConfig {
            base_url: format!("{base_url}/").parse()?,
            ..ServiceConfig::default()
        };
        let services = Services::new(db.db().clone(), Arc::new(clock.clone()), config);
        let mail = SmtpSink::start()?;
        let hooks = HookSink::start().await?;
        let jobs = JobsConfig {
            smtp: SmtpConfig {
                port: mail.port(),
                ..SmtpConfig::default()
            },
            // The webhook receiver listens on loopback.
            webhook_allow_private_targets: true,
            ..JobsConfig::default()
        };
        let runner = Runner::new(services.clone(), &jobs)?;
        let router = trellis_web::router(AppState::new(services.clone(), web));
        let shutdown = CancellationToken::new();
        tokio::spawn(trellis_web::serve(
            listener,
            router,
            shutdown.clone().cancelled_owned(),
        ));

        let vendor = services
            .create_org(
                &Actor::System,
                OrgKind::Vendor,
                &OrgInput {
                    name: "Lumen Cloud".into(),
                    slug: Some("vendor".into()),
                    ..OrgInput::default()
                },
            )
            .await?;
        services
            .create_user_with_password(
                &Actor::System,
                vendor.id,
                "admin@vendor.example",
                "Vera Admin",
                "vendor_admin",
                PASSWORD,
            )
            .await?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base_url,
            services,
            clock,
            mail,
            hooks,
            http,
            vendor,
            runner,
            shutdown,
            _db: db,
        })
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Creates a vendor user with the fixture password.
    pub async fn vendor_user(&self, email: &str, role: &str) -> anyhow::Result<()> {
        self.services
            .create_user_with_password(
                &Actor::System,
                self.vendor.id,
                email,
                "Vendor Person",
                role,
                PASSWORD,
            )
            .await?;
        Ok(())
    }

    /// POSTs JSON without signing in (public routes: applications).
    pub async fn public_post(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        reply(self.http.post(self.url(path)).json(body).send().await?).await
    }

    /// Creates a partner organisation with `admin@<slug>.example` and `seller@<slug>.example`.
    pub async fn partner(&self, name: &str) -> anyhow::Result<PartnerFixture> {
        let org = self
            .services
            .create_org(
                &Actor::System,
                OrgKind::Partner,
                &OrgInput {
                    name: name.into(),
                    partner_type: Some("reseller".into()),
                    region: Some("emea".into()),
                    ..OrgInput::default()
                },
            )
            .await?;
        let admin_email = format!("admin@{}.example", org.slug);
        let user_email = format!("seller@{}.example", org.slug);
        self.services
            .create_user_with_password(
                &Actor::System,
                org.id,
                &admin_email,
                &format!("{name} Admin"),
                "partner_admin",
                PASSWORD,
            )
            .await?;
        self.services
            .create_user_with_password(
                &Actor::System,
                org.id,
                &user_email,
                &format!("{name} Seller"),
                "partner_user",
                PASSWORD,
            )
            .await?;
        Ok(PartnerFixture {
            org,
            admin_email,
            user_email,
        })
    }

    /// Signs in through the API and returns a client that sends the bearer token.
    pub async fn api_as(&self, email: &str) -> anyhow::Result<Api> {
        let resp = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(
            resp.status() == StatusCode::OK,
            "login for {email} failed: {}",
            resp.text().await?
        );
        let body: Value = resp.json().await?;
        let token = body["token"]
            .as_str()
            .context("no token in the login response")?
            .to_owned();
        Ok(Api {
            base_url: self.base_url.clone(),
            http: self.http.clone(),
            token,
        })
    }

    /// A client with a cookie jar, signed in through the login form.
    pub async fn browser_as(&self, email: &str) -> anyhow::Result<Browser> {
        let b = Browser::new(&self.base_url)?;
        b.login(email, PASSWORD).await?;
        Ok(b)
    }

    /// Runs every due job (e-mail, webhooks) to completion or its next retry.
    pub async fn run_jobs(&self) -> anyhow::Result<usize> {
        self.runner.run_until_idle().await
    }

    /// The organisation id of a fixture by e-mail domain, for readability in tests.
    pub fn vendor_id(&self) -> OrgId {
        self.vendor.id
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A JSON API client with a bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    base_url: String,
    http: reqwest::Client,
    /// The bearer token.
    pub token: String,
}

/// A response: status and JSON body (or `Null`).
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Content type.
    pub content_type: String,
    /// Parsed JSON, or `Null` for an empty/non-JSON body.
    pub body: Value,
}

impl Api {
    /// The same client with another bearer token.
    #[must_use]
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    /// Sends a request with an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        reply(req.send().await?).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// POST a raw body of the given content type (a CSV file).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> anyhow::Result<Reply> {
        let req = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body);
        reply(req.send().await?).await
    }

    /// PATCH JSON.
    pub async fn patch(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

async fn reply(resp: reqwest::Response) -> anyhow::Result<Reply> {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

/// A cookie-keeping HTML client that does not follow redirects.
#[derive(Debug, Clone)]
pub struct Browser {
    base_url: String,
    /// The client.
    pub http: reqwest::Client,
}

/// An HTML response.
#[derive(Debug, Clone)]
pub struct Page {
    /// Status.
    pub status: StatusCode,
    /// `Location` of a redirect.
    pub location: Option<String>,
    /// Body.
    pub html: String,
}

impl Page {
    /// The value of the first hidden `_csrf` input.
    pub fn csrf(&self) -> Option<String> {
        input_value(&self.html, "_csrf")
    }
}

/// The `value` of the first `<input name="{name}" …>` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = html.find(&needle)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.split("value=\"").nth(1)?;
    Some(v[..v.find('"')?].to_owned())
}

impl Browser {
    /// A fresh client.
    pub fn new(base_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base_url: base_url.to_owned(),
            http,
        })
    }

    /// `http://127.0.0.1:PORT`, for requests made with [`Browser::http`] directly.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// GET a page.
    pub async fn get(&self, path: &str) -> anyhow::Result<Page> {
        page(
            self.http
                .get(format!("{}{path}", self.base_url))
                .send()
                .await?,
        )
        .await
    }

    /// POST a form.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Page> {
        page(
            self.http
                .post(format!("{}{path}", self.base_url))
                .form(form)
                .send()
                .await?,
        )
        .await
    }

    /// POSTs a `multipart/form-data` form, as a browser sends a file upload: `fields` in
    /// order, then the file as the field `file`.
    pub async fn upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Page> {
        const BOUNDARY: &str = "----TrellisTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        page(
            self.http
                .post(format!("{}{path}", self.base_url))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body)
                .send()
                .await?,
        )
        .await
    }

    /// Signs in through the login form.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<Page> {
        let form = self.get("/login").await?;
        let csrf = form.csrf().context("the login form has no _csrf field")?;
        let done = self
            .post(
                "/login",
                &[("_csrf", &csrf), ("email", email), ("password", password)],
            )
            .await?;
        anyhow::ensure!(
            done.status.is_redirection(),
            "login for {email} did not redirect: {} {}",
            done.status,
            done.html
        );
        Ok(done)
    }
}

async fn page(resp: reqwest::Response) -> anyhow::Result<Page> {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Page {
        status,
        location,
        html: resp.text().await?,
    })
}
