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

/// The one client for every source without TLS options of its own: built once (building
/// one reads the system's CA store, file by file), its connections shared.
pub fn shared() -> Result<reqwest::Client, String> {
    static SHARED: std::sync::OnceLock<Result<reqwest::Client, String>> =
        std::sync::OnceLock::new();
    SHARED.get_or_init(|| client(&Tls::default())).clone()
}

pub fn client(tls: &Tls) -> Result<reqwest::Client, String> {
    // Ring is the crypto provider we build with; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5));
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
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
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
    client: &reqwest::Client,
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
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&serde_json::Value>,
    timeout: Duration,
    vars: &[(String, String)],
) -> Result<Response, String> {
    let url = expand(url, vars)?;
    let mut req = client.request(method, &url).timeout(timeout);
    if let Some(body) = body {
        req = req.json(body);
    }
    for (k, v) in headers {
        req = req.header(k, expand(v, vars)?);
    }
    let started = Instant::now();
    let mut resp = req.send().await.map_err(|e| describe(&e))?;
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
