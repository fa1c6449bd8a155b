//! Connection options: `[connection.NAME]`, and the same keys beside every HTTP source's
//! URL, validated once and merged into the one [`Connection`] a source is reached with.
//! A source's own keys win over its named connection's, key by key (headers name by name).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use chrono::TimeDelta;

use super::diag::Diagnostics;
use super::time::parse_duration;
use super::{Auth, Connection, Credential, Tls, raw, var_names};

/// Options as one table gives them, checked; `None` where the table is silent.
#[derive(Debug, Default, Clone)]
struct Given {
    headers: Vec<(String, String)>,
    auth: Option<Auth>,
    ca_file: Option<std::path::PathBuf>,
    insecure: Option<bool>,
    timeout: Option<TimeDelta>,
    follow_redirects: Option<bool>,
}

/// A source's URL and connection, as the loader hands them on.
pub struct Resolved {
    pub url: Option<String>,
    pub connection: Connection,
    /// The source's own `timeout`, and its named connection's.
    pub timeout: Option<TimeDelta>,
    pub connection_timeout: Option<TimeDelta>,
}

/// How a source's `url` relates to its connection's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    /// A server's base URL (Prometheus): the source's, or else the connection's.
    Base,
    /// A page (a `/metrics` page, a JSON document): absolute, or a path read from the
    /// connection's URL.
    Page,
}

/// An HTTP source's table as the loader found it: where it stands, its own keys (those
/// besides the connection options), the options and the keys no field took, its URL.
pub struct Table<'a> {
    /// `kpi[error_rate].prometheus`, `endpoint[api]`, `alertmanager`.
    pub key: &'a str,
    pub span: Range<usize>,
    pub own_keys: &'a [&'a str],
    pub options: &'a raw::ConnectionOptions,
    pub unknown: &'a raw::Unknown,
    pub url: Option<&'a str>,
    pub url_use: UrlUse,
}

pub struct Connections {
    /// Each with its URL, its options and where it stands.
    named: BTreeMap<String, (Option<String>, Given, Range<usize>)>,
    /// The names some source used, for the warning about the others.
    used: std::collections::BTreeSet<String>,
}

impl Connections {
    /// Reads every `[connection.NAME]`.
    pub fn read(
        d: &mut Diagnostics<'_>,
        raw: &BTreeMap<raw::S<String>, raw::S<raw::NamedConnection>>,
        dir: &Path,
    ) -> Self {
        let mut named = BTreeMap::new();
        for (name, c) in raw {
            let key = format!("connection.{}", name.get_ref());
            let span = c.span();
            let conn = c.get_ref();
            let mut expected = vec!["url"];
            expected.extend(
                raw::ConnectionOptions::KEYS
                    .iter()
                    .filter(|k| **k != "connection"),
            );
            unknown_keys(d, &key, &span, &conn.unknown, &expected);
            if conn.options.connection.is_some() {
                d.error(
                    Some(key_span(d.text(), &span, "connection")),
                    format!("{key}.connection"),
                    "a named connection cannot start from another one: give its options here",
                );
            }
            if let Some(url) = &conn.url {
                check_url(
                    d,
                    &format!("{key}.url"),
                    key_span(d.text(), &span, "url"),
                    url,
                );
            }
            let given = given(d, &key, &span, &conn.options, dir);
            named.insert(
                name.get_ref().clone(),
                (conn.url.clone(), given, name.span()),
            );
        }
        Self {
            named,
            used: Default::default(),
        }
    }

    /// The URL and connection of one source: its own keys over its named connection's.
    /// A key the table does not know is refused where it stands.
    pub fn resolve(&mut self, d: &mut Diagnostics<'_>, table: Table<'_>, dir: &Path) -> Resolved {
        let Table {
            key,
            ref span,
            own_keys,
            options: own,
            unknown,
            url,
            url_use,
        } = table;
        let expected: Vec<&str> = own_keys
            .iter()
            .chain(raw::ConnectionOptions::KEYS)
            .copied()
            .collect();
        unknown_keys(d, key, span, unknown, &expected);
        let mine = given(d, key, span, own, dir);
        let mut unknown_connection = false;
        let (base_url, base) = match &own.connection {
            Some(name) => match self.named.get(name) {
                Some((u, g, _)) => {
                    self.used.insert(name.clone());
                    (u.clone(), g.clone())
                }
                None => {
                    let known: Vec<&str> = self.named.keys().map(String::as_str).collect();
                    d.error(
                        Some(key_span(d.text(), span, "connection")),
                        format!("{key}.connection"),
                        if known.is_empty() {
                            format!("no [connection.{name}] in the runbook (it defines none)")
                        } else {
                            format!(
                                "no [connection.{name}] in the runbook (it has {})",
                                known.join(", ")
                            )
                        },
                    );
                    unknown_connection = true;
                    (None, Given::default())
                }
            },
            None => (None, Given::default()),
        };
        let mut headers = base.headers;
        for (k, v) in mine.headers {
            headers.retain(|(b, _)| !b.eq_ignore_ascii_case(&k));
            headers.push((k, v));
        }
        let connection = Connection {
            headers,
            auth: mine.auth.or(base.auth),
            tls: Tls {
                insecure: mine.insecure.or(base.insecure).unwrap_or(false),
                ca_file: mine.ca_file.or(base.ca_file),
            },
            no_redirects: !mine
                .follow_redirects
                .or(base.follow_redirects)
                .unwrap_or(true),
        };
        let url = match (url, base_url) {
            (Some(path), Some(base)) if url_use == UrlUse::Page && path.starts_with('/') => {
                Some(format!("{}{path}", base.trim_end_matches('/')))
            }
            (Some(own), _) => Some(own.to_owned()),
            (None, base) => base,
        };
        match &url {
            Some(u) if own.connection.is_none() || !u.starts_with('/') => {
                check_url(d, &format!("{key}.url"), key_span(d.text(), span, "url"), u);
            }
            Some(_) if unknown_connection => {}
            Some(u) => d.error(
                Some(key_span(d.text(), span, "url")),
                format!("{key}.url"),
                format!(
                    "`{u}` is a path, and [connection.{}] has no url to read it from",
                    own.connection.as_deref().unwrap_or_default()
                ),
            ),
            None if unknown_connection => {}
            None => d.error(
                Some(span.clone()),
                format!("{key}.url"),
                "no URL: give `url`, or a `connection` whose [connection.NAME] has one",
            ),
        }
        Resolved {
            url,
            connection,
            timeout: mine.timeout,
            connection_timeout: base.timeout,
        }
    }

    /// Named connections no source uses: a typo in a `connection = ` elsewhere, usually.
    pub fn warn_unused(&self, d: &mut Diagnostics<'_>) {
        for (name, (_, _, span)) in self.named.iter().filter(|(n, _)| !self.used.contains(*n)) {
            d.warning(
                Some(span.clone()),
                format!("connection.{name}"),
                "no source uses this connection",
            );
        }
    }
}

/// Refuses the keys of a table that no field took, each where it stands.
fn unknown_keys(
    d: &mut Diagnostics<'_>,
    key: &str,
    span: &Range<usize>,
    unknown: &raw::Unknown,
    expected: &[&str],
) {
    for name in unknown.keys() {
        d.error(
            Some(key_span(d.text(), span, name)),
            format!("{key}.{name}"),
            format!(
                "unknown key `{name}`, expected one of: {}",
                expected.join(", ")
            ),
        );
    }
}

/// Where `name = ` stands in the table at `within` (the table itself if not found: a
/// flattened key carries no span of its own).
pub fn key_span(text: &str, within: &Range<usize>, name: &str) -> Range<usize> {
    // A `[table]`'s span is its header: its keys follow, up to the next header.
    let region = match text.get(within.clone()) {
        Some(t) if t.starts_with('[') => {
            let body = within.end;
            let end = text[body..].find("\n[").map_or(text.len(), |i| body + i);
            within.start..end
        }
        _ => within.clone(),
    };
    let Some(slice) = text.get(region.clone()) else {
        return within.clone();
    };
    let mut from = 0;
    while let Some(i) = slice[from..].find(name) {
        let at = from + i;
        let before = slice[..at].chars().next_back();
        let after = slice[at + name.len()..].trim_start_matches([' ', '\t', '"']);
        let starts_key = before.is_none_or(|c| c.is_whitespace() || matches!(c, '{' | ',' | '"'));
        if starts_key && after.starts_with('=') {
            let start = region.start + at;
            return start..start + name.len();
        }
        from = at + name.len();
    }
    within.clone()
}

fn check_url(d: &mut Diagnostics<'_>, key: &str, span: Range<usize>, url: &str) {
    if !["http://", "https://", "${"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        d.error(
            Some(span),
            key,
            format!("`{url}` is not an http:// or https:// URL"),
        );
    }
}

/// One table's options, each checked where it stands.
fn given(
    d: &mut Diagnostics<'_>,
    key: &str,
    span: &Range<usize>,
    o: &raw::ConnectionOptions,
    dir: &Path,
) -> Given {
    let at = |d: &Diagnostics<'_>, name: &str| Some(key_span(d.text(), span, name));
    let mut headers = Vec::new();
    for (name, value) in o.headers.iter().flatten() {
        // A credential typed into the file is readable by whoever reads the runbook.
        if name.eq_ignore_ascii_case("authorization") && var_names(value).is_empty() {
            d.error(
                at(d, "headers"),
                format!("{key}.headers.{name}"),
                "a credential written into the runbook is readable by anyone who can read the file: write it as `${NAME}`, or use `bearer-token` / `basic-auth`",
            );
        }
        headers.push((name.clone(), value.clone()));
    }
    let credential = |d: &mut Diagnostics<'_>,
                      what: &str,
                      text: Option<&String>,
                      file: Option<&String>|
     -> Option<Credential> {
        match (text, file) {
            (Some(_), Some(_)) => {
                d.error(
                    at(d, &format!("{what}-file")),
                    format!("{key}.{what}-file"),
                    format!("`{what}` and `{what}-file` are both set: keep one"),
                );
                None
            }
            (Some(t), None) if var_names(t).is_empty() => {
                d.error(
                    at(d, what),
                    format!("{key}.{what}"),
                    format!(
                        "a secret written into the runbook is readable by anyone who can read the file: write `{what} = \"${{NAME}}\"` and set NAME in the environment, or use `{what}-file`"
                    ),
                );
                None
            }
            // The scheme is warroom's to add: `Bearer ${T}` would send it twice.
            (Some(t), None)
                if what == "bearer-token"
                    && t.trim_start().to_ascii_lowercase().starts_with("bearer ") =>
            {
                d.error(
                    at(d, what),
                    format!("{key}.{what}"),
                    "`bearer-token` is the token alone: warroom adds `Bearer `",
                );
                None
            }
            (Some(t), None) => Some(Credential::Var(t.clone())),
            (None, Some(f)) => {
                let path = dir.join(f);
                if !path.exists() {
                    d.warning(
                        at(d, &format!("{what}-file")),
                        format!("{key}.{what}-file"),
                        format!(
                            "`{f}` does not exist here; it is read at each request (preflight checks it)"
                        ),
                    );
                }
                Some(Credential::File(path))
            }
            (None, None) => None,
        }
    };
    let bearer = credential(
        d,
        "bearer-token",
        o.bearer_token.as_ref(),
        o.bearer_token_file.as_ref(),
    )
    .map(Auth::Bearer);
    let basic = o.basic_auth.as_ref().map(|b| {
        let password = credential(d, "password", b.password.as_ref(), b.password_file.as_ref());
        Auth::Basic {
            username: b.username.clone(),
            password,
        }
    });
    if bearer.is_some() && basic.is_some() {
        d.error(
            at(d, "basic-auth"),
            format!("{key}.basic-auth"),
            "`bearer-token` and `basic-auth` are both set: a request carries one Authorization",
        );
    }
    let ca_file = o.ca_file.as_ref().map(|c| {
        let path = dir.join(c);
        // Like a credential file, it may be on the production host only.
        if !path.exists() {
            d.warning(
                at(d, "ca-file"),
                format!("{key}.ca-file"),
                format!("CA file `{c}` does not exist here; it is read when the console starts (preflight checks it)"),
            );
        }
        path
    });
    let timeout = o.timeout.as_ref().and_then(|t| match parse_duration(t) {
        Ok(t) if t > TimeDelta::zero() => Some(t),
        Ok(_) => {
            d.error(
                at(d, "timeout"),
                format!("{key}.timeout"),
                format!("`{t}` must be longer than zero"),
            );
            None
        }
        Err(e) => {
            d.error(at(d, "timeout"), format!("{key}.timeout"), e);
            None
        }
    });
    Given {
        headers,
        auth: bearer.or(basic),
        ca_file,
        insecure: o.insecure,
        timeout,
        follow_redirects: o.follow_redirects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_key_in_its_table_not_in_a_value() {
        let text = r#"x = { url = "http://h/timeout=1", timeout = "2s" }"#;
        let within = 4..text.len();
        let s = key_span(text, &within, "timeout");
        assert_eq!(&text[s], "timeout");
        assert_eq!(key_span(text, &within, "absent"), within);
        // A table's keys follow its header, up to the next one.
        let text = "[[endpoint]]\nid = \"a\"\ntimeout = \"1s\"\n[[kpi]]\ntimeout = \"2s\"\n";
        let s = key_span(text, &(0..12), "timeout");
        assert_eq!(s.start, text.find("timeout").unwrap());
        assert_eq!(key_span(text, &(0..12), "absent"), 0..12);
    }
}
