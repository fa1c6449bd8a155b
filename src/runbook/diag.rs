//! Diagnostics for runbook files: each names the file, line, column and key, and says
//! what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub column: usize,
    /// Where in the runbook: `kpi[error_rate].warning`.
    pub key: String,
    pub message: String,
}

impl Diagnostic {
    /// What is wrong, with its key, without the place (`` `kpi[p95].command`: ... ``).
    pub fn what(&self) -> String {
        if self.key.is_empty() {
            self.message.clone()
        } else {
            format!("`{}`: {}", self.key, self.message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        // A problem with the file as a whole (it cannot be read, it is too large) has no
        // place in it to name.
        if self.line == 0 {
            write!(f, "{}: {level}: ", self.file.display())?;
        } else {
            write!(
                f,
                "{}:{}:{}: {level}: ",
                self.file.display(),
                self.line,
                self.column
            )?;
        }
        f.write_str(&self.what())
    }
}

/// Collects diagnostics while a file is read, turning byte offsets into line and column.
#[derive(Debug)]
pub struct Diagnostics<'a> {
    file: PathBuf,
    text: &'a str,
    pub list: Vec<Diagnostic>,
}

impl<'a> Diagnostics<'a> {
    pub fn new(file: &Path, text: &'a str) -> Self {
        Self {
            file: file.to_path_buf(),
            text,
            list: Vec::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn error(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Level::Error, span, key.into(), message.into());
    }

    pub fn warning(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Level::Warning, span, key.into(), message.into());
    }

    fn push(&mut self, level: Level, span: Option<Range<usize>>, key: String, message: String) {
        let (line, column) = span.map_or((0, 0), |s| line_col(self.text, s.start));
        self.list.push(Diagnostic {
            level,
            file: self.file.clone(),
            line,
            column,
            key,
            message,
        });
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.level == Level::Error)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_and_column() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 10), (2, 4));
    }
}
