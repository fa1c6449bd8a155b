//! Signed votes: what an approver's SSH key signs, which keys the runbook trusts for whom,
//! and the check. Pure: the console checks a vote handed in with it, and `report --verify`
//! checks the record again with the same code, months later.
//!
//! A signature is an SSHSIG (`ssh-keygen -Y sign -n warroom-vote`) over a [`Ballot`]: the
//! run's id, the gate, the approver, the decision, the note, the hash of the evidence the
//! voter was shown and the journal head they had seen. So it cannot be moved to another
//! run, gate or moment, and an edit to any of it breaks it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use ssh_key::{HashAlg, PublicKey, SshSig};

/// The SSHSIG namespace of a vote: a signature made for anything else (a git commit, a
/// file) is not one.
pub const NAMESPACE: &str = "warroom-vote";

/// What a vote's signature covers. [`Ballot::message`] is the exact bytes signed, one
/// `key value` line each, so an auditor can rebuild them by hand and run
/// `ssh-keygen -Y verify` on them too (docs/journal.md).
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    /// The run's id: the SHA-256 of its journal's first line, in hex.
    pub run: &'a str,
    pub gate: &'a str,
    pub approver: &'a str,
    /// `go` or `no-go`.
    pub decision: &'a str,
    pub note: &'a str,
    /// What the voter was shown, hashed with [`evidence_hash`].
    pub evidence: &'a str,
    /// The journal's head when the voter decided: the hash of the last record they saw.
    pub head: &'a str,
}

impl Ballot<'_> {
    pub fn message(&self) -> Vec<u8> {
        // The note is the one free text: quoted as JSON, so no newline in it can forge a
        // line of its own.
        let note = serde_json::to_string(self.note).unwrap_or_default();
        format!(
            "warroom-vote 1\nrun {}\ngate {}\napprover {}\ndecision {}\nnote {note}\nevidence {}\nhead {}\n",
            self.run, self.gate, self.approver, self.decision, self.evidence, self.head
        )
        .into_bytes()
    }
}

/// The SHA-256 of the evidence lines a voter was shown, in hex.
pub fn evidence_hash(evidence: &[String]) -> String {
    Sha256::digest(evidence.join("\n").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A key the runbook trusts to sign votes, and on what terms: an approver's own `keys`
/// entry, or a line of the `allowed-signers` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    pub key: PublicKey,
    /// allowed_signers' principals (patterns); empty for an approver's own `keys`.
    pub principals: Vec<String>,
    /// allowed_signers' `namespaces=`: the namespaces the key may sign in.
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
    /// Where it is trusted from, for messages: `approver[vp].keys` or
    /// `allowed-signers line 3`.
    pub source: String,
    /// Its line in the allowed_signers file; 0 for an approver's own key.
    pub line: usize,
}

impl Trusted {
    pub fn of_key(key: PublicKey, source: String) -> Self {
        Self {
            key,
            principals: Vec::new(),
            namespaces: None,
            valid_after: None,
            valid_before: None,
            source,
            line: 0,
        }
    }

    /// Whether an allowed_signers line names `name` (an approver's id or one of its users).
    pub fn names(&self, name: &str) -> bool {
        matches_pattern_list(&self.principals, name)
    }
}

/// A key as `ssh-keygen` writes it: `ssh-ed25519 AAAA... alice@laptop`.
pub fn parse_key(text: &str) -> Result<PublicKey, String> {
    let text = text.trim();
    PublicKey::from_openssh(text).map_err(|e| {
        let kind = text.split_whitespace().next().unwrap_or("");
        format!("`{}` is not an SSH public key ({e}): expected a line of a `.pub` file, such as `ssh-ed25519 AAAAC3Nza... alice@laptop`", shorten(kind))
    })
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// `SHA256:…`, as `ssh-keygen -l` prints a key.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// A problem in an allowed_signers file: its 1-based line and column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignersError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Reads an allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS): per line, principals,
/// options (`namespaces="…"`, `valid-after="…"`, `valid-before="…"`), the key. A
/// `cert-authority` line is refused: a vote is signed by the approver's own key.
pub fn parse_allowed_signers(text: &str) -> (Vec<Trusted>, Vec<SignersError>) {
    let mut trusted = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let column = line.len() - body.len() + 1;
        match signer_line(body, n) {
            Ok(t) => trusted.push(t),
            Err((at, message)) => errors.push(SignersError {
                line: n,
                column: column + at,
                message,
            }),
        }
    }
    (trusted, errors)
}

/// One allowed_signers line; an error says at which byte of it.
fn signer_line(line: &str, n: usize) -> Result<Trusted, (usize, String)> {
    let offset = |rest: &str| line.len() - rest.len();
    let (principals, rest) = field(line, 0)?;
    let principals: Vec<String> = principals.split(',').map(str::to_owned).collect();
    if principals.iter().any(String::is_empty) {
        return Err((
            0,
            "an empty principal: list names separated by commas, without spaces".to_owned(),
        ));
    }
    let options_at = offset(rest);
    // The options field is there when the next word is not a key type.
    let first = rest.split_whitespace().next().unwrap_or("");
    let is_key_type = ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .any(|p| first.starts_with(p));
    let (options, key_text) = if is_key_type {
        ("", rest)
    } else {
        field(rest, options_at)?
    };
    let key = PublicKey::from_openssh(key_text).map_err(|_| {
        (
            offset(key_text),
            parse_key(key_text).err().unwrap_or_default(),
        )
    })?;
    let mut t = Trusted {
        key,
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        source: format!("allowed-signers line {n}"),
        line: n,
    };
    for opt in split_options(options).into_iter().filter(|o| !o.is_empty()) {
        let (name, value) = match opt.split_once('=') {
            Some((k, v)) => (k, Some(v.trim_matches('"'))),
            None => (opt, None),
        };
        let date = |v: Option<&str>| {
            v.and_then(parse_signer_time).ok_or_else(|| {
                (
                    options_at,
                    format!("`{opt}`: a time is YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending in Z"),
                )
            })
        };
        match name.to_ascii_lowercase().as_str() {
            "namespaces" => {
                t.namespaces = Some(value.unwrap_or("").split(',').map(str::to_owned).collect());
            }
            "valid-after" => t.valid_after = Some(date(value)?),
            "valid-before" => t.valid_before = Some(date(value)?),
            "cert-authority" => {
                return Err((
                    options_at,
                    "`cert-authority`: warroom checks a vote against the approver's own key, not a certificate: list their key".to_owned(),
                ));
            }
            _ => {
                return Err((
                    options_at,
                    format!(
                        "`{opt}` is neither an allowed_signers option (namespaces, valid-after, valid-before) nor a key type"
                    ),
                ));
            }
        }
    }
    Ok(t)
}

/// The first whitespace-separated field of `s` (double quotes keep spaces in it), and the
/// rest with its leading space trimmed; an error is placed at `at`.
fn field(s: &str, at: usize) -> Result<(&str, &str), (usize, String)> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Ok((&s[..i], s[i..].trim_start())),
            _ => {}
        }
    }
    Err((
        at,
        if quoted {
            "a quote is not closed".to_owned()
        } else {
            "expected principals, options if any, then the key (`alice ssh-ed25519 AAAA...`)"
                .to_owned()
        },
    ))
}

/// `namespaces="a,b",valid-before="2027"`: split at the commas outside quotes.
fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// ssh-keygen's allowed_signers time: `YYYYMMDD[HHMM[SS]]`, UTC with a trailing `Z`, else
/// the host's local time (as ssh-keygen reads it).
fn parse_signer_time(s: &str) -> Option<DateTime<Utc>> {
    let (digits, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (s, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let naive: NaiveDateTime = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?,
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok()?,
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok()?,
        _ => return None,
    };
    if utc {
        Some(Utc.from_utc_datetime(&naive))
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// OpenSSH's pattern-list: `*` and `?` wildcards, `!` negates (a negated match refuses).
fn matches_pattern_list(patterns: &[String], name: &str) -> bool {
    let mut matched = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) if glob(neg.as_bytes(), name.as_bytes()) => return false,
            Some(_) => {}
            None => matched |= glob(p.as_bytes(), name.as_bytes()),
        }
    }
    matched
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// A signature that holds: the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub fingerprint: String,
    /// Where the runbook trusts the key from.
    pub source: String,
}

/// Whether `armored` (an SSHSIG) is a signature over `ballot` by one of `trusted`, valid
/// at `at`; else why not, in words an approver can act on.
pub fn verify(
    ballot: &Ballot<'_>,
    armored: &str,
    trusted: &[Trusted],
    at: DateTime<Utc>,
) -> Result<Sealed, String> {
    let sig = SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|e| format!("the signature is not an SSH signature ({e})"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the signature was made for `{}`, not for a vote (`{NAMESPACE}`)",
            sig.namespace()
        ));
    }
    let signer = PublicKey::from(sig.public_key().clone());
    let fp = fingerprint(&signer);
    let Some(t) = trusted
        .iter()
        .find(|t| t.key.key_data() == sig.public_key())
    else {
        return Err(format!(
            "signed by {fp}, which is not one of {}'s keys in the runbook or its allowed signers",
            ballot.approver
        ));
    };
    if let Some(ns) = &t.namespaces
        && !matches_pattern_list(ns, NAMESPACE)
    {
        return Err(format!(
            "{fp} may sign only for {} ({}), not votes",
            ns.join(","),
            t.source
        ));
    }
    if t.valid_after.is_some_and(|a| at < a) || t.valid_before.is_some_and(|b| at > b) {
        return Err(format!(
            "{fp} is not valid at {} ({}: valid {}–{})",
            at.format("%Y-%m-%d %H:%M UTC"),
            t.source,
            t.valid_after
                .map_or("…".to_owned(), |a| a.format("%Y-%m-%d %H:%M").to_string()),
            t.valid_before
                .map_or("…".to_owned(), |b| b.format("%Y-%m-%d %H:%M").to_string()),
        ));
    }
    t.key
        .verify(NAMESPACE, &ballot.message(), &sig)
        .map_err(|_| {
            format!(
                "the signature by {fp} is not over what this vote says: it was made for another gate, run or moment, or the vote was changed after signing"
            )
        })?;
    Ok(Sealed {
        fingerprint: fp,
        source: t.source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEn6RXr3pvc4Mr5XSLGeTJvb+KEUwHUKzsg2zj/2Ntal alice@laptop";

    #[test]
    fn allowed_signers_lines_read_as_ssh_keygen_reads_them() {
        let text = format!(
            "# the approvers\n\nalice,!eve {ED}\nbob@example.com namespaces=\"warroom-vote,git\",valid-before=\"20270101Z\" {ED}\n*@ops cert-authority {ED}\ncarol {}\n  dave namespaces=\"x\" ssh-ed25519\n",
            "ssh-ed25519 AAAA"
        );
        let (t, errors) = parse_allowed_signers(&text);
        assert_eq!(t.len(), 2, "{errors:?}");
        assert!(t[0].names("alice") && !t[0].names("eve") && !t[0].names("bob"));
        assert_eq!(t[0].line, 3);
        assert_eq!(
            t[1].namespaces.as_deref(),
            Some(&["warroom-vote".to_owned(), "git".to_owned()][..])
        );
        assert_eq!(
            t[1].valid_before,
            Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())
        );
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [5, 6, 7], "{errors:?}");
        assert!(errors[0].message.contains("cert-authority"));
        assert!(errors[1].message.contains("not an SSH public key"));
        // At the key, after two spaces, `dave ` and the options.
        assert_eq!(errors[2].column, 23, "{errors:?}");
    }

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        let p = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(matches_pattern_list(&p(&["*"]), "warroom-vote"));
        assert!(matches_pattern_list(&p(&["warroom-*"]), "warroom-vote"));
        assert!(!matches_pattern_list(&p(&["git"]), "warroom-vote"));
        assert!(!matches_pattern_list(
            &p(&["*", "!warroom-vote"]),
            "warroom-vote"
        ));
        assert!(matches_pattern_list(&p(&["al?ce"]), "alice"));
    }

    #[test]
    fn a_note_cannot_forge_a_line_of_the_ballot() {
        let b = Ballot {
            run: "r",
            gate: "g",
            approver: "a",
            decision: "go",
            note: "fine\nhead 00",
            evidence: &evidence_hash(&[]),
            head: "h",
        };
        let m = String::from_utf8(b.message()).unwrap();
        assert_eq!(m.lines().filter(|l| l.starts_with("head ")).count(), 1);
        assert!(m.contains("note \"fine\\nhead 00\""));
    }
}
