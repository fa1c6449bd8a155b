//! HTTP for every poller: one shared client (connections reused), `${NAME}` expansion,
//! a size limit on bodies, and errors that never carry the URL (it may hold a secret).

use std::path::Path;
use std::time::{Duration, Instant};

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
        let value = vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name).ok())
            .ok_or_else(|| format!("variable ${{{name}}} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// TLS choices an endpoint may make; the default verifies against the system's roots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub insecure: bool,
    pub ca_file: Option<std::path::PathBuf>,
}

/// The one client for every source without TLS options of its own, its connections shared.
pub fn shared() -> Result<Client, String> {
    static SHARED: std::sync::OnceLock<Result<Client, String>> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| client(&Tls::default())).clone()
}

/// What the sources request with: plain HTTP at once, HTTPS from a client built on the
/// first `https://` request. Building that one reads the system's CA store (147 files here)
/// and holds it (about 0.3 MB of the console's memory), which a run whose sources are all
/// plain HTTP on a private network never needs. Cloning shares both.
#[derive(Clone, Debug)]
pub struct Client {
    plain: reqwest::Client,
    tls: Tls,
    secure: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
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

/// The host of a URL, to tell whether a redirect leaves it.
fn host(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

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
    // Plain HTTP trusts no certificate; a redirect to HTTPS stops here and `request`
    // follows it with the TLS client.
    let plain = builder()
        .tls_certs_only(Vec::new())
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().scheme() == "https" {
                attempt.stop()
            } else if attempt.previous().len() >= 10 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        }))
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
    })
}

fn secure(tls: &Tls) -> Result<reqwest::Client, String> {
    let mut builder = builder();
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
    /// The response, if its status is a success.
    pub fn ok(self) -> Result<Self, String> {
        if (200..300).contains(&self.status) {
            Ok(self)
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

/// One request with `${NAME}` expanded in the URL and headers, an optional JSON body,
/// and the response read up to `MAX_BODY`.
pub async fn request(
    client: &Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&serde_json::Value>,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Response, String> {
    let first = expand(url, vars)?;
    let mut url = first.clone();
    let started = Instant::now();
    let mut upgraded = false;
    let mut resp = loop {
        let mut req = client
            .for_url(&url)?
            .request(method.clone(), &url)
            .timeout(timeout);
        if let Some(body) = body {
            req = req.json(body);
        }
        // Headers may carry secrets: they go to the host they were written for, and not
        // on to another one a redirect names (as reqwest's own redirects do).
        if host(&url) == host(&first) {
            for (k, v) in headers {
                req = req.header(k, expand(v, vars)?);
            }
        }
        let resp = req.send().await.map_err(|e| describe(&e))?;
        // Plain HTTP redirected to HTTPS: once more, with the TLS client.
        let to_https = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .filter(|l| is_https(l));
        match to_https {
            Some(location) if resp.status().is_redirection() && !upgraded => {
                url = location.to_owned();
                upgraded = true;
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
