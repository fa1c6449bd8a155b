//! The document read: its Markdown cut into sections of lines, tasks and tables.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// One line of the document's text, after its Markdown is read.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) text: String,
    pub(super) line: usize,
    /// Inside a fenced block of shell (`bash`, `sh`, `shell`, `console`).
    pub(super) shell: bool,
}

/// A table's rows: the cells and the line each row is on.
pub(super) type Rows = Vec<(Vec<String>, usize)>;
#[derive(Debug)]
pub(super) enum Item {
    Text(Line),
    Task(Line),
    Table {
        header: Vec<String>,
        rows: Rows,
        line: usize,
    },
}

#[derive(Debug, Default)]
pub(super) struct Section {
    pub(super) title: String,
    pub(super) line: usize,
    pub(super) items: Vec<Item>,
}

/// The text gathered so far becomes an item of the last section: a task, or a line.
fn flush(text: &mut String, line: usize, task: &mut bool, out: &mut [Section]) {
    let t = text.trim();
    if !t.is_empty() {
        let l = Line {
            text: t.to_owned(),
            line,
            shell: false,
        };
        if let Some(s) = out.last_mut() {
            s.items
                .push(if *task { Item::Task(l) } else { Item::Text(l) });
        }
    }
    text.clear();
    *task = false;
}

/// The document cut into sections at its headings; the first level-one heading is its
/// name.
pub(super) fn sections(md: &str) -> (Option<String>, Vec<Section>) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(md.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_TASKLISTS);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut name = None;
    let mut out = vec![Section {
        title: String::new(),
        line: 1,
        items: Vec::new(),
    }];
    let mut text = String::new();
    let mut text_line = 0;
    let mut in_heading: Option<(usize, u8)> = None;
    let mut code: Option<(bool, usize)> = None;
    let mut task = false;
    let mut table: Option<(Vec<String>, Rows, usize)> = None;
    let mut row: Vec<String> = Vec::new();
    let mut row_line = 0;
    let mut in_cell = false;
    for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut text, text_line, &mut task, &mut out);
                in_heading = Some((line_of(range.start), level as u8));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((line, level)) = in_heading.take() {
                    let title = text.trim().to_owned();
                    text.clear();
                    if level == 1 && name.is_none() {
                        name = Some(title.clone());
                    }
                    out.push(Section {
                        title,
                        line,
                        items: Vec::new(),
                    });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut text, text_line, &mut task, &mut out);
                let shell = match &kind {
                    CodeBlockKind::Fenced(lang) => matches!(
                        lang.split_whitespace().next().unwrap_or(""),
                        "bash" | "sh" | "shell" | "console" | "zsh"
                    ),
                    CodeBlockKind::Indented => false,
                };
                // The first line of a fenced block is its fence.
                let first = match kind {
                    CodeBlockKind::Fenced(_) => line_of(range.start) + 1,
                    CodeBlockKind::Indented => line_of(range.start),
                };
                code = Some((shell, first));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((shell, first)) = code.take()
                    && let Some(s) = out.last_mut()
                {
                    for (i, l) in text.lines().enumerate() {
                        if !l.trim().is_empty() {
                            s.items.push(Item::Text(Line {
                                text: l.to_owned(),
                                line: first + i,
                                shell,
                            }));
                        }
                    }
                }
                text.clear();
            }
            Event::Start(Tag::Table(_)) => {
                flush(&mut text, text_line, &mut task, &mut out);
                table = Some((Vec::new(), Vec::new(), line_of(range.start)));
            }
            Event::End(TagEnd::Table) => {
                if let Some((header, rows, line)) = table.take()
                    && let Some(s) = out.last_mut()
                {
                    s.items.push(Item::Table { header, rows, line });
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                row.clear();
                row_line = line_of(range.start);
            }
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = table.as_mut() {
                    t.0 = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.1.push((std::mem::take(&mut row), row_line));
                }
            }
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                text.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(text.trim().to_owned());
                text.clear();
            }
            Event::Start(Tag::Paragraph | Tag::Item) => {
                flush(&mut text, text_line, &mut task, &mut out);
                text_line = line_of(range.start);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                flush(&mut text, text_line, &mut task, &mut out);
            }
            Event::TaskListMarker(_) => task = true,
            Event::Text(t) | Event::Code(t) => {
                if text.is_empty() && !in_cell && code.is_none() && in_heading.is_none() {
                    text_line = line_of(range.start);
                }
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                // A line break inside a paragraph ends a line of the document.
                if code.is_none() && !in_cell && in_heading.is_none() {
                    flush(&mut text, text_line, &mut task, &mut out);
                    text_line = line_of(range.end);
                } else {
                    text.push(' ');
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            _ => {}
        }
    }
    flush(&mut text, text_line, &mut task, &mut out);
    (name, out)
}

/// A line without the drawing around it: box borders, tree branches, bullets.
pub(super) fn bare(s: &str) -> &str {
    let frame = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '│' | '┃'
                    | '├'
                    | '┤'
                    | '└'
                    | '┘'
                    | '┌'
                    | '┐'
                    | '─'
                    | '━'
                    | '═'
                    | '║'
                    | '╔'
                    | '╗'
                    | '╚'
                    | '╝'
                    | '╠'
                    | '╣'
                    | '┬'
                    | '┴'
                    | '┼'
                    | '•'
                    | '·'
                    | '▪'
                    | '►'
                    | '▶'
                    | '→'
                    | '�'
            )
    };
    let s = s.trim_matches(frame);
    let s = s
        .strip_prefix("- ")
        .or_else(|| s.strip_prefix("* "))
        .or_else(|| s.strip_prefix("+ "))
        .unwrap_or(s);
    s.trim_matches(frame)
}

/// A checklist item written in the text: `- [ ] item`, `[x] item`, `□ item`, `☐ item`.
pub(super) fn check_item(s: &str) -> Option<&str> {
    let s = bare(s);
    let rest = ["[ ]", "[x]", "[X]", "□", "☐", "☑", "✅ [ ]"]
        .iter()
        .find_map(|m| s.strip_prefix(m))?;
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}
