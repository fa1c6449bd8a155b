//! `[[approver]]`: the people who vote on gates from their own terminals, by OS user.

use super::*;

/// The approvers, and their ids for the gates that name them.
pub(super) fn approvers(d: &mut Diagnostics<'_>, s: &Sections) -> (Vec<Approver>, Ids) {
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
        out.push(Approver {
            id: a.id.get_ref().clone(),
            role: a.role.clone(),
            users: a
                .users
                .get_ref()
                .iter()
                .map(|u| u.get_ref().clone())
                .collect(),
        });
    }
    (out, ids)
}
