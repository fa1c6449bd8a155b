//! The rule expression language: `error_rate > 1`, `p95_ms > 2 * baseline(p95_ms)`,
//! `endpoint(api-green) == down`, `checksum_old == checksum_new`, `version == "v1.5.0"`,
//! combined with `and` / `or` / `not` and parentheses.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// A quoted string, compared with a text KPI's value.
    Text(String),
    Kpi(String),
    Baseline(String),
    Endpoint(String),
    Health(Health),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(Box<Expr>, BinOp, Box<Expr>),
}

/// The states an endpoint can be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Up,
    Degraded,
    Down,
    Stale,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Stale => "stale",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::And => "and",
            Self::Or => "or",
        }
    }
}

/// A parse failure at a byte offset inside the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl Expr {
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let tokens = lex(text)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            len: text.len(),
        };
        let e = p.or()?;
        match p.peek() {
            None => Ok(e),
            Some((at, t)) => Err(ExprError {
                offset: *at,
                message: format!("unexpected `{t}` after a complete expression"),
            }),
        }
    }

    /// Every KPI id the expression reads (including through `baseline(...)`).
    pub fn kpis(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Self::Kpi(id) | Self::Baseline(id) = e {
                out.push(id.as_str());
            }
        });
        out
    }

    /// The KPI ids read through `baseline(...)`.
    pub fn baselines(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Self::Baseline(id) = e {
                out.push(id.as_str());
            }
        });
        out
    }

    pub fn endpoints(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Self::Endpoint(id) = e {
                out.push(id.as_str());
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Self::Neg(e) | Self::Not(e) => e.walk(f),
            Self::Binary(a, _, b) => {
                a.walk(f);
                b.walk(f);
            }
            _ => {}
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Kpi(id) => write!(f, "{id}"),
            Self::Baseline(id) => write!(f, "baseline({id})"),
            Self::Endpoint(id) => write!(f, "endpoint({id})"),
            Self::Health(h) => write!(f, "{}", h.name()),
            Self::Neg(e) => write!(f, "-{e}"),
            Self::Not(e) => write!(f, "not {e}"),
            Self::Binary(a, op, b) => write!(f, "({a} {} {b})", op.symbol()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(BinOp),
    LParen,
    RParen,
    Not,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "{n}"),
            Self::Str(s) => write!(f, "{s:?}"),
            Self::Ident(s) => write!(f, "{s}"),
            Self::Op(op) => write!(f, "{}", op.symbol()),
            Self::LParen => write!(f, "("),
            Self::RParen => write!(f, ")"),
            Self::Not => write!(f, "not"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = text.get(i..i + 2);
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'+' => Tok::Op(BinOp::Add),
            b'-' => Tok::Op(BinOp::Sub),
            b'*' => Tok::Op(BinOp::Mul),
            b'/' => Tok::Op(BinOp::Div),
            b'>' | b'<' | b'=' | b'!' | b'&' | b'|' => {
                let (op, len) = match (c, two) {
                    (_, Some(">=")) => (BinOp::Ge, 2),
                    (_, Some("<=")) => (BinOp::Le, 2),
                    (_, Some("==")) => (BinOp::Eq, 2),
                    (_, Some("!=")) => (BinOp::Ne, 2),
                    (_, Some("&&")) => (BinOp::And, 2),
                    (_, Some("||")) => (BinOp::Or, 2),
                    (b'>', _) => (BinOp::Gt, 1),
                    (b'<', _) => (BinOp::Lt, 1),
                    _ => {
                        let hint = if c == b'=' {
                            " (use `==` to compare)"
                        } else {
                            ""
                        };
                        return Err(ExprError {
                            offset: i,
                            message: format!("unexpected `{}`{hint}", c as char),
                        });
                    }
                };
                out.push((start, Tok::Op(op)));
                i += len;
                continue;
            }
            // A string in double or single quotes (the other kind may appear inside): no
            // escapes, as a TOML string holding the expression already has its own.
            b'"' | b'\'' => {
                let Some(len) = text[i + 1..].find(c as char) else {
                    return Err(ExprError {
                        offset: i,
                        message: format!("a string opened with {} is not closed", c as char),
                    });
                };
                out.push((start, Tok::Str(text[i + 1..i + 1 + len].to_owned())));
                i += len + 2;
                continue;
            }
            b'0'..=b'9' | b'.' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let s = &text[start..i];
                let n = s.parse().map_err(|_| ExprError {
                    offset: start,
                    message: format!("`{s}` is not a number"),
                })?;
                out.push((start, Tok::Num(n)));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let tok = match word {
                    "and" => Tok::Op(BinOp::And),
                    "or" => Tok::Op(BinOp::Or),
                    "not" => Tok::Not,
                    _ => Tok::Ident(word.to_owned()),
                };
                out.push((start, tok));
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(ExprError {
                    offset: i,
                    message: format!("unexpected character `{ch}`"),
                });
            }
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(usize, Tok)> {
        self.tokens.get(self.pos)
    }

    fn at(&self) -> usize {
        self.peek().map_or(self.len, |(at, _)| *at)
    }

    fn eat_op(&mut self, ops: &[BinOp]) -> Option<BinOp> {
        match self.peek() {
            Some((_, Tok::Op(op))) if ops.contains(op) => {
                let op = *op;
                self.pos += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn binary_level(
        &mut self,
        ops: &[BinOp],
        next: fn(&mut Self) -> Result<Expr, ExprError>,
    ) -> Result<Expr, ExprError> {
        let mut lhs = next(self)?;
        while let Some(op) = self.eat_op(ops) {
            let rhs = next(self)?;
            lhs = Expr::Binary(Box::new(lhs), op, Box::new(rhs));
        }
        Ok(lhs)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.binary_level(&[BinOp::Or], Self::and)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        self.binary_level(&[BinOp::And], Self::not)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if matches!(self.peek(), Some((_, Tok::Not))) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let lhs = self.sum()?;
        let cmp = [
            BinOp::Gt,
            BinOp::Ge,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Eq,
            BinOp::Ne,
        ];
        if let Some(op) = self.eat_op(&cmp) {
            let rhs = self.sum()?;
            if let Some((at, Tok::Op(next))) = self.peek()
                && cmp.contains(next)
            {
                return Err(ExprError {
                    offset: *at,
                    message: "comparisons cannot be chained: combine them with `and`".into(),
                });
            }
            return Ok(Expr::Binary(Box::new(lhs), op, Box::new(rhs)));
        }
        Ok(lhs)
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        self.binary_level(&[BinOp::Add, BinOp::Sub], Self::product)
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        self.binary_level(&[BinOp::Mul, BinOp::Div], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat_op(&[BinOp::Sub]).is_some() {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        let Some((_, tok)) = self.tokens.get(self.pos).cloned() else {
            return Err(ExprError {
                offset: at,
                message: "expression ends too early".into(),
            });
        };
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Text(s)),
            Tok::LParen => {
                let e = self.or()?;
                self.expect_rparen(at)?;
                Ok(e)
            }
            Tok::Ident(word) => match word.as_str() {
                "up" => Ok(Expr::Health(Health::Up)),
                "down" => Ok(Expr::Health(Health::Down)),
                "degraded" => Ok(Expr::Health(Health::Degraded)),
                "stale" => Ok(Expr::Health(Health::Stale)),
                "baseline" => Ok(Expr::Baseline(self.call_argument("baseline")?)),
                "endpoint" => Ok(Expr::Endpoint(self.call_argument("endpoint")?)),
                _ => Ok(Expr::Kpi(word)),
            },
            other => Err(ExprError {
                offset: at,
                message: format!("expected a number, a string, a KPI id or `(`, found `{other}`"),
            }),
        }
    }

    /// The id inside `baseline(...)` or `endpoint(...)`; endpoint ids may contain `-`.
    fn call_argument(&mut self, func: &str) -> Result<String, ExprError> {
        let open = self.at();
        if !matches!(self.peek(), Some((_, Tok::LParen))) {
            return Err(ExprError {
                offset: open,
                message: format!("expected `(` after `{func}`"),
            });
        }
        self.pos += 1;
        let mut id = String::new();
        loop {
            match self.peek() {
                Some((_, Tok::Ident(w))) => id.push_str(w),
                Some((_, Tok::Num(n))) => id.push_str(&n.to_string()),
                Some((_, Tok::Op(BinOp::Sub))) if !id.is_empty() => id.push('-'),
                _ => break,
            }
            self.pos += 1;
        }
        if id.is_empty() {
            return Err(ExprError {
                offset: self.at(),
                message: format!("expected an id inside `{func}(...)`"),
            });
        }
        self.expect_rparen(open)?;
        Ok(id)
    }

    fn expect_rparen(&mut self, open: usize) -> Result<(), ExprError> {
        if matches!(self.peek(), Some((_, Tok::RParen))) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ExprError {
                offset: self.at(),
                message: format!("expected `)` to close the `(` at character {}", open + 1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_display() {
        let e =
            Expr::parse("p95_ms > 2 * baseline(p95_ms) and error_rate >= 1 or not x < 3").unwrap();
        assert_eq!(
            e.to_string(),
            "(((p95_ms > (2 * baseline(p95_ms))) and (error_rate >= 1)) or not (x < 3))"
        );
        assert_eq!(e.kpis(), vec!["p95_ms", "p95_ms", "error_rate", "x"]);
    }

    #[test]
    fn endpoint_ids_with_dashes() {
        let e = Expr::parse("endpoint(api-green) == down").unwrap();
        assert_eq!(e.endpoints(), vec!["api-green"]);
        assert_eq!(e.to_string(), "(endpoint(api-green) == down)");
    }

    #[test]
    fn strings_in_either_quotes() {
        let e = Expr::parse("version == \"v1.5.0\" and sum != 'a\"b'").unwrap();
        assert_eq!(
            e.to_string(),
            "((version == \"v1.5.0\") and (sum != \"a\\\"b\"))"
        );
        assert_eq!(e.kpis(), vec!["version", "sum"]);
        let err = Expr::parse("version == \"v1").unwrap_err();
        assert_eq!(err.offset, 11);
        assert!(err.message.contains("not closed"), "{err}");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let err = Expr::parse("error_rate > ").unwrap_err();
        assert_eq!(err.offset, 13);
        let err = Expr::parse("error_rate = 1").unwrap_err();
        assert!(err.message.contains("use `==`"), "{err}");
        assert_eq!(err.offset, 11);
        let err = Expr::parse("(a > 1").unwrap_err();
        assert!(err.message.contains("expected `)`"));
        let err = Expr::parse("1 < a < 3").unwrap_err();
        assert!(err.message.contains("chained"));
        let err = Expr::parse("a > 1 b").unwrap_err();
        assert_eq!(err.offset, 6);
    }
}
