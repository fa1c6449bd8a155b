//! HTTP for every poller: one shared client (connections reused), `${NAME}` expansion,
//! a size limit on bodies, and errors that never carry the URL (it may hold a secret).

use std::path::Path;
use std::time::{Duration, Instant};

pub use crate::runbook::Tls;
use crate::runbook::{Auth, Connection, Credential};

/// Bodies larger than this are refused: a runaway endpoint must not eat the console's memory.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// Replaces `${NAME}` with the variable's value (from `vars`, then the environment).
pub fn expand(text: &str, vars: &[(String, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("unclosed `${` in a URL or header")?;
        let name = &after[..end];
        let value = lookup(name, vars).ok_or_else(|| format!("variable ${{{name}}} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A variable's value: the last in `vars` that names it, else the environment's.
fn lookup(name: &str, vars: &[(String, String)]) -> Option<String> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
}

/// The values of a runbook's secrets as this process sees them (a variable from `vars`,
/// then the environment, as `expand` reads it; a credential file's contents), for the
/// screen to mask wherever they would appear.
pub fn secret_values(rb: &crate::runbook::Runbook, vars: &[(String, String)]) -> Vec<String> {
    let values = rb
        .secret_names()
        .into_iter()
        .filter_map(|name| lookup(&name, vars));
    let files = rb
        .credential_files()
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned());
    values.chain(files).collect()
}

/// The client for sources with no connection options (a webhook, the demo's own checks).
pub fn shared() -> Result<Client, String> {
    client_for(&Connection::default())
}

/// The client a source with this connection requests with. Sources with the same TLS
/// choices share one underlying client (and its open connections); a CA file is read once.
pub fn client_for(connection: &Connection) -> Result<Client, String> {
    type Pool = std::sync::Mutex<Vec<(Tls, Result<Client, String>)>>;
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    let mut pool = POOL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let base = match pool.iter().find(|(t, _)| *t == connection.tls) {
        Some((_, c)) => c.clone(),
        None => {
            let c = client(&connection.tls);
            pool.push((connection.tls.clone(), c.clone()));
            c
        }
    }?;
    Ok(Client {
        connection: std::sync::Arc::new(connection.clone()),
        ..base
    })
}

/// What a source requests with: plain HTTP at once, HTTPS from a client built on the
/// first `https://` request. Building that one reads the system's CA store (147 files here)
/// and holds it (about 0.3 MB of the console's memory), which a run whose sources are all
/// plain HTTP on a private network never needs. Cloning shares both. The source's
/// connection (headers, credentials) goes with every request to its host.
#[derive(Clone, Debug)]
pub struct Client {
    plain: reqwest::Client,
    tls: Tls,
    secure: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    connection: std::sync::Arc<Connection>,
}

impl Client {
    fn for_url(&self, url: &str) -> Result<&reqwest::Client, String> {
        if !is_https(url) {
            return Ok(&self.plain);
        }
        self.secure
            .get_or_init(|| secure(&self.tls))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// Scheme, host and port: where a source's headers and credentials may go.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    Some((
        u.scheme().to_owned(),
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default()?,
    ))
}

/// `scheme://host:port` of a URL, for the log (never its path or query, which may hold a
/// `${NAME}`'s value).
fn origin_text(url: &str) -> String {
    origin(url).map_or_else(|| "?".to_owned(), |(s, h, p)| format!("{s}://{h}:{p}"))
}

/// Redirects followed before a request gives up, as browsers and Prometheus do.
const MAX_REDIRECTS: usize = 10;

fn builder() -> reqwest::ClientBuilder {
    // Ring is the crypto provider we build with (reqwest wants one even for a client that
    // trusts nothing); installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
}

/// A client with these TLS choices. A CA file is read (and refused) at once; a source with
/// TLS options of its own is an HTTPS one, so its TLS client is built at once too.
pub fn client(tls: &Tls) -> Result<Client, String> {
    // Plain HTTP trusts no certificate. Redirects are `request`'s to follow, each hop
    // deciding what goes with it.
    let plain = builder()
        .tls_certs_only(Vec::new())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let secure = std::sync::OnceLock::new();
    if *tls != Tls::default() {
        let _ = secure.set(Ok(self::secure(tls)?));
    }
    Ok(Client {
        plain,
        tls: tls.clone(),
        secure: std::sync::Arc::new(secure),
        connection: Default::default(),
    })
}

fn secure(tls: &Tls) -> Result<reqwest::Client, String> {
    let mut builder = builder().redirect(reqwest::redirect::Policy::none());
    if tls.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(path) = &tls.ca_file {
        for cert in read_ca(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTPS client: {e}"))
}

fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("CA file {}: {e}", path.display()))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(format!(
            "CA file {} holds no PEM certificate",
            path.display()
        )),
    }
}

/// What a request that did not answer in time failed with.
pub const TIMEOUT: &str = "timeout";
/// What a 401 or 403 answer fails with: the credentials, not the source, are wrong.
pub const UNAUTHORIZED: &str = "unauthorized (401)";
pub const FORBIDDEN: &str = "forbidden (403)";

/// Why a request failed, without its URL.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        TIMEOUT.into()
    } else if e.is_connect() {
        let text = format!("{e:?}").to_lowercase();
        if text.contains("refused") {
            "connection refused".into()
        } else if text.contains("certificate") || text.contains("tls") {
            "TLS handshake failed (certificate not trusted?)".into()
        } else {
            "cannot connect".into()
        }
    } else if e.is_body() || e.is_decode() {
        "broken response body".into()
    } else {
        "request failed".into()
    }
}

pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

impl Response {
    /// `unauthorized (401)` or `forbidden (403)` when the credentials were refused, told
    /// apart from any other failure. vmauth before v1.91 (Debian's 1.79 among them)
    /// answers an unknown token with a 400 that says so (VictoriaMetrics issue 4188).
    pub fn denied(&self) -> Option<&'static str> {
        match self.status {
            401 => Some(UNAUTHORIZED),
            403 => Some(FORBIDDEN),
            400 if self
                .body
                .starts_with(b"cannot find the provided auth token") =>
            {
                Some(UNAUTHORIZED)
            }
            _ => None,
        }
    }

    /// The response, if its status is a success.
    pub fn ok(self) -> Result<Self, String> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else if let Some(why) = self.denied() {
            Err(why.to_owned())
        } else {
            Err(format!("HTTP {}", self.status))
        }
    }
}

pub async fn get(
    client: &Client,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Response, String> {
    request(
        client,
        reqwest::Method::GET,
        url,
        headers,
        None,
        timeout,
        vars,
    )
    .await
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Json(&'a serde_json::Value),
    /// `text/plain; charset=utf-8`.
    Text(&'a str),
}

/// One request with `${NAME}` expanded in the URL and headers, an optional body, and the
/// response read up to `MAX_BODY`.
pub async fn request(
    client: &Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<Body<'_>>,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Response, String> {
    let first = expand(url, vars)?;
    let home = origin(&first);
    let mut url = first.clone();
    let (mut method, mut body) = (method, body);
    let started = Instant::now();
    let mut hops = 0;
    let mut resp = loop {
        let mut req = client
            .for_url(&url)?
            .request(method.clone(), &url)
            .timeout(timeout);
        match body {
            Some(Body::Json(v)) => req = req.json(v),
            Some(Body::Text(t)) => {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(t.to_owned());
            }
            None => {}
        }
        // Every header and credential of the source may carry a secret: they go to the
        // origin (scheme, host, port) they were written for, never on to another one a
        // redirect names (an `X-Api-Key` as much as an `Authorization`).
        if origin(&url) == home {
            req = authorize(req, &client.connection, vars)?;
            for (k, v) in headers {
                req = req.header(k, secret_header(&expand(v, vars)?)?);
            }
        }
        let resp = req.send().await.map_err(|e| describe(&e))?;
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| reqwest::Url::parse(&url).ok()?.join(l).ok());
        let status = resp.status();
        match location {
            // `follow-redirects = false`: the answer is the redirect itself.
            Some(next) if status.is_redirection() && !client.connection.no_redirects => {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err("too many redirects".into());
                }
                let next = next.to_string();
                if origin(&next) != home {
                    tracing::info!(
                        from = %origin_text(&first),
                        to = %origin_text(&next),
                        "redirected to another origin: the source's headers and credentials are not sent there"
                    );
                }
                // As browsers do: 303, and a POST answered 301 or 302, go on as a GET.
                if status == reqwest::StatusCode::SEE_OTHER
                    || (method == reqwest::Method::POST && matches!(status.as_u16(), 301 | 302))
                {
                    method = reqwest::Method::GET;
                    body = None;
                }
                url = next;
            }
            _ => break resp,
        }
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let too_big = || format!("response larger than {} MB", MAX_BODY / 1024 / 1024);
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        content_type,
        body,
        latency: started.elapsed(),
    })
}

/// A header value marked sensitive: reqwest and hyper then never print it (Debug, logs).
fn secret_header(value: &str) -> Result<reqwest::header::HeaderValue, String> {
    let mut v = reqwest::header::HeaderValue::from_str(value.trim())
        .map_err(|_| "a header value holds a character HTTP does not allow".to_owned())?;
    v.set_sensitive(true);
    Ok(v)
}

/// The connection's headers and credentials on a request. A secret is read at each
/// request: a rotated token file is picked up without a restart, as Prometheus does.
fn authorize(
    mut req: reqwest::RequestBuilder,
    connection: &Connection,
    vars: &[(String, String)],
) -> Result<reqwest::RequestBuilder, String> {
    for (k, v) in &connection.headers {
        req = req.header(k, secret_header(&expand(v, vars)?)?);
    }
    match &connection.auth {
        None => {}
        Some(Auth::Bearer(token)) => {
            let value = format!("Bearer {}", credential(token, vars)?);
            req = req.header(reqwest::header::AUTHORIZATION, secret_header(&value)?);
        }
        Some(Auth::Basic { username, password }) => {
            let password = password.as_ref().map(|p| credential(p, vars)).transpose()?;
            // reqwest marks the Basic value sensitive itself.
            req = req.basic_auth(expand(username, vars)?, password);
        }
    }
    Ok(req)
}

/// A secret's value: the variable's, or the file's (trimmed). Errors name the variable or
/// the file, never what they hold.
fn credential(c: &Credential, vars: &[(String, String)]) -> Result<String, String> {
    match c {
        Credential::Var(text) => expand(text, vars),
        // A file of a few bytes: read in place (the async file API would start a thread
        // pool for it).
        Credential::File(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e))),
    }
}

/// Why a file could not be read, in the words `ls` would use (not the OS error's number,
/// nor the text of an error that may quote the file).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        kind => kind.to_string(),
    }
}

/// `%`-encoding for a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A finite number, or why not.
pub fn finite(n: f64) -> Result<f64, String> {
    if n.is_finite() {
        Ok(n)
    } else {
        Err(format!("value is {n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_variables_and_reports_missing_ones() {
        let vars = vec![("HOST".to_owned(), "127.0.0.1:9".to_owned())];
        assert_eq!(
            expand("http://${HOST}/x", &vars).unwrap(),
            "http://127.0.0.1:9/x"
        );
        assert!(
            expand("${WARROOM_TEST_SURELY_UNSET}", &vars)
                .unwrap_err()
                .contains("not set")
        );
        assert!(expand("${OPEN", &vars).is_err());
    }

    #[test]
    fn encodes_queries() {
        assert_eq!(
            encode("sum(rate(x{a=\"b\"}[5m]))"),
            "sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29"
        );
    }
}
