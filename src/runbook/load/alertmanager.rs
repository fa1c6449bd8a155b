//! `[alertmanager]`: where its alerts come from, and the silence `S` creates.

use super::*;

pub(super) fn alertmanager(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    connections: &mut Connections,
    dir: &Path,
) -> Option<Alertmanager> {
    s.alertmanager.as_ref().map(|spanned| {
        let (a, span) = (spanned.get_ref(), spanned.span());
        let reach = connections.resolve(
            d,
            Table {
                key: "alertmanager",
                span,
                own_keys: &["url", "interval", "silence"],
                options: &a.options,
                unknown: &a.unknown,
                url: Some(a.url.get_ref()),
                url_use: UrlUse::Page,
            },
            dir,
        );
        let silence = a.silence.as_ref().map(|sil| {
            if sil.matchers.get_ref().is_empty() {
                d.error(
                    Some(sil.matchers.span()),
                    "alertmanager.silence.matchers",
                    "a silence needs at least one matcher (an empty one would silence everything)",
                );
            }
            Silence {
                matchers: sil
                    .matchers
                    .get_ref()
                    .iter()
                    .map(|m| Matcher {
                        name: m.name.clone(),
                        value: m.value.clone(),
                        regex: m.regex,
                    })
                    .collect(),
                comment: sil.comment.clone(),
                created_by: sil
                    .created_by
                    .clone()
                    .unwrap_or_else(|| "warroom".to_owned()),
            }
        });
        Alertmanager {
            url: reach.url.unwrap_or_default(),
            interval: duration(d, "alertmanager.interval", &a.interval)
                .unwrap_or(defaults::ALERTMANAGER_INTERVAL),
            timeout: reach
                .timeout
                .or(reach.connection_timeout)
                .unwrap_or(defaults::ALERTMANAGER_TIMEOUT),
            connection: reach.connection,
            silence,
        }
    })
}
