//! `[[approver]]`: the people who vote on gates from their own terminals, by OS user, and
//! the keys they sign their votes with (their own `keys`, `[runbook] allowed-signers`).

use super::*;
use crate::runbook::diag::{Diagnostic, Level};
use crate::signing::{self, Trusted};

/// The largest allowed_signers file read: a line per key, so 1 MB is thousands of people.
const MAX_SIGNERS: u64 = 1024 * 1024;

/// `[runbook] allowed-signers`: the file, relative to the runbook, and the keys it lists.
/// Its problems are reported at its own lines.
pub(super) fn allowed_signers(
    d: &mut Diagnostics<'_>,
    header: &raw::Header,
    dir: &Path,
) -> Option<(PathBuf, Vec<Trusted>)> {
    let name = header.allowed_signers.as_ref()?;
    let path = dir.join(name.get_ref());
    let text = match std::fs::metadata(&path) {
        Ok(m) if m.len() > MAX_SIGNERS => Err(format!(
            "{} is {} bytes: an allowed_signers file is a line per key, at most 1 MB",
            path.display(),
            m.len()
        )),
        _ => std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display())),
    };
    let text = match text {
        Ok(t) => t,
        Err(why) => {
            d.error(
                Some(name.span()),
                "runbook.allowed-signers",
                format!("{why}: the approvers' keys cannot be read"),
            );
            return None;
        }
    };
    let (trusted, errors) = signing::parse_allowed_signers(&text);
    for e in errors {
        d.list.push(Diagnostic {
            level: Level::Error,
            file: path.clone(),
            line: e.line,
            column: e.column,
            key: "allowed-signers".to_owned(),
            message: e.message,
        });
    }
    Some((path, trusted))
}

/// The approvers, and their ids for the gates that name them.
pub(super) fn approvers(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    signers: Option<&(PathBuf, Vec<Trusted>)>,
) -> (Vec<Approver>, Ids) {
    let mut ids = Ids::new("approver").knowing(&s.unparsed, "approver");
    let mut out = Vec::new();
    for (i, a) in s.approvers.iter().enumerate() {
        let key = format!("approver[{}]", a.id.get_ref());
        check_id(d, &format!("{key}.id"), &a.id, true);
        ids.add(d, &format!("approver[{i}].id"), &a.id);
        if a.users.get_ref().is_empty() {
            d.error(
                Some(a.users.span()),
                format!("{key}.users"),
                "an approver needs at least one OS user (`users = [\"alice\"]`): whoever runs `warroom vote` as that user is them",
            );
        }
        for u in a.users.get_ref() {
            let name = u.get_ref();
            // What useradd accepts, near enough: no spaces, no path, no option.
            let valid = !name.is_empty()
                && !name.starts_with('-')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !valid {
                d.error(
                    Some(u.span()),
                    format!("{key}.users"),
                    format!("`{name}` is not a user name (letters, digits, `.`, `_`, `-`)"),
                );
            }
        }
        let users: Vec<String> = a
            .users
            .get_ref()
            .iter()
            .map(|u| u.get_ref().clone())
            .collect();
        let mut keys = own_keys(d, &key, a);
        // An allowed signer is this approver when a principal names their id or a user.
        keys.extend(
            signers
                .iter()
                .flat_map(|(_, t)| t)
                .filter(|t| t.names(a.id.get_ref()) || users.iter().any(|u| t.names(u)))
                .cloned(),
        );
        let signed = a.signed.as_ref().is_some_and(|s| *s.get_ref());
        if signed && keys.is_empty() {
            d.error(
                a.signed.as_ref().map(|s| s.span()),
                format!("{key}.signed"),
                "a signed vote needs a key to check it on: give `keys = [\"ssh-ed25519 AAAA...\"]` or list the approver in `[runbook] allowed-signers`",
            );
        }
        out.push(Approver {
            id: a.id.get_ref().clone(),
            role: a.role.clone(),
            users,
            keys,
            signed,
        });
    }
    if let Some((path, trusted)) = signers {
        for t in trusted {
            if !out
                .iter()
                .any(|a| t.names(&a.id) || a.users.iter().any(|u| t.names(u)))
            {
                d.list.push(Diagnostic {
                    level: Level::Warning,
                    file: path.clone(),
                    line: t.line,
                    column: 1,
                    key: "allowed-signers".to_owned(),
                    message: format!(
                        "`{}` names no approver (an `[[approver]]`'s id or one of its users): this key signs for no one here",
                        t.principals.join(",")
                    ),
                });
            }
        }
    }
    (out, ids)
}

/// An approver's own `keys`, each an SSH public key line.
fn own_keys(d: &mut Diagnostics<'_>, key: &str, a: &raw::Approver) -> Vec<Trusted> {
    let Some(keys) = &a.keys else {
        return Vec::new();
    };
    keys.get_ref()
        .iter()
        .filter_map(|k| match signing::parse_key(k.get_ref()) {
            Ok(pk) => Some(Trusted::of_key(pk, format!("{key}.keys"))),
            Err(why) => {
                d.error(Some(k.span()), format!("{key}.keys"), why);
                None
            }
        })
        .collect()
}
