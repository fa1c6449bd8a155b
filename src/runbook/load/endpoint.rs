//! `[[endpoint]]`: health checks, each with its connection and its expectations.

use super::*;

/// The endpoints, and their ids for what refers to them.
pub(super) fn endpoints(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    connections: &mut Connections,
    dir: &Path,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> (Vec<Endpoint>, Ids) {
    let mut endpoint_ids = Ids::new("endpoint").knowing(&s.unparsed, "endpoint");
    let mut endpoints = Vec::new();
    for (i, spanned) in s.endpoints.iter().enumerate() {
        let (e, span) = (spanned.get_ref(), spanned.span());
        let key = format!("endpoint[{}]", e.id.get_ref());
        check_id(d, &format!("{key}.id"), &e.id, true);
        endpoint_ids.add(d, &format!("endpoint[{i}].id"), &e.id);
        let json = e
            .json
            .as_ref()
            .and_then(|j| json_assert(d, &format!("{key}.json"), j));
        let reach = connections.resolve(
            d,
            Table {
                key: &key,
                span,
                own_keys: &[
                    "id",
                    "url",
                    "interval",
                    "expect-status",
                    "slow",
                    "json",
                    "schedule",
                ],
                options: &e.options,
                unknown: &e.unknown,
                url: Some(e.url.get_ref()),
                url_use: UrlUse::Page,
            },
            dir,
        );
        endpoints.push(Endpoint {
            id: e.id.get_ref().clone(),
            url: reach.url.unwrap_or_default(),
            interval: duration(d, &format!("{key}.interval"), &e.interval)
                .unwrap_or(defaults::INTERVAL),
            timeout: reach
                .timeout
                .or(reach.connection_timeout)
                .unwrap_or(defaults::TIMEOUT),
            expect_status: e.expect_status.clone().unwrap_or_else(|| vec![200]),
            slow: duration(d, &format!("{key}.slow"), &e.slow),
            json,
            connection: reach.connection,
            schedule: schedule(d, &key, &e.schedule, t0),
        });
    }
    (endpoints, endpoint_ids)
}
