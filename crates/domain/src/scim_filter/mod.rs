//! SCIM 2.0 filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): a parser for every operator
//! (`eq ne co sw ew pr gt ge lt le`, `and or not`, grouping, value paths such as
//! `emails[type eq "work"]`), with limits on size and nesting; `eval` matches a parsed filter
//! against a resource's JSON. No I/O.

mod eval;
pub mod groups;
pub mod stored;
pub mod users;

pub use eval::{get_ci, matches};

/// The longest filter or PATCH path accepted, in characters. Identity providers send filters
/// of a few dozen characters; the bound keeps parsing and evaluation cheap for any input.
pub const MAX_FILTER_CHARS: usize = 4096;

/// How deeply parentheses, `not (…)` and value paths (`emails[…]`) may nest. The parser is
/// recursive, so without a bound one request could exhaust a worker's stack.
pub const MAX_FILTER_NESTING: usize = 32;

/// How many comparisons one filter may join with `and` / `or`.
pub const MAX_FILTER_TERMS: usize = 200;

/// Why a filter or path did not parse: becomes SCIM `invalidFilter` / `invalidPath`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An attribute path: an optional schema URI, a name and an optional sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// `name` or `name.sub`, lowercased, as attribute rules are looked up.
    pub fn key(&self) -> String {
        match &self.sub {
            Some(s) => format!("{}.{}", self.name.to_lowercase(), s.to_lowercase()),
            None => self.name.to_lowercase(),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A literal of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(AttrPath, CompareOp, Literal),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some element of the multi-valued `attr` matches `filter`.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH operation's path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`emails[type eq "work"].value`).
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            '"' => {
                // A JSON string: find its end, honouring escapes, and decode it with serde_json.
                let start = i;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    return Err(ParseError("a string is not closed with \"".into()));
                }
                let raw: String = chars[start..i].iter().collect();
                let s: String =
                    serde_json::from_str(&raw).map_err(|_| ParseError(format!("{raw} is not a valid string")))?;
                out.push(Token::Str(s));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().collect();
                let n = raw.parse::<f64>().map_err(|_| ParseError(format!("{raw} is not a number")))?;
                out.push(Token::Num(n));
            }
            c if c.is_ascii_alphabetic() || c == '$' || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '$' | '_' | '-' | '.' | ':'))
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(ParseError(format!("unexpected character {other:?}"))),
        }
    }
    Ok(out)
}

/// Parses `[uri:]name[.sub]`. The sub-attribute is split off after the URI (URIs contain dots).
fn attr_path(word: &str) -> Result<AttrPath, ParseError> {
    let (uri, rest) = match word.rfind(':') {
        Some(i) => (Some(word[..i].to_owned()), &word[i + 1..]),
        None => (None, word),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '$' | '_' | '-'))
    };
    if !valid(name) || sub.is_some_and(|s| !valid(s)) || uri.as_deref() == Some("") {
        return Err(ParseError(format!("{word} is not an attribute path")));
    }
    Ok(AttrPath { uri, name: name.to_owned(), sub: sub.map(str::to_owned) })
}

fn compare_op(word: &str) -> Option<CompareOp> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return None,
    })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// How many groups, `not`s and value paths enclose the current position.
    depth: usize,
    /// Comparisons and presence tests parsed so far.
    terms: usize,
}

impl Parser {
    fn new(input: &str) -> Result<Parser, ParseError> {
        if input.chars().count() > MAX_FILTER_CHARS {
            return Err(ParseError(format!("the filter is longer than the limit of {MAX_FILTER_CHARS} characters")));
        }
        Ok(Parser { tokens: tokens(input)?, pos: 0, depth: 0, terms: 0 })
    }

    /// Enters a group, a `not` or a value path; refuses nesting beyond the limit.
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_NESTING {
            return Err(ParseError(format!(
                "the filter nests parentheses, not and [ ] deeper than the limit of {MAX_FILTER_NESTING} levels"
            )));
        }
        Ok(())
    }

    /// Counts one comparison; refuses more than the limit.
    fn term(&mut self) -> Result<(), ParseError> {
        self.terms += 1;
        if self.terms > MAX_FILTER_TERMS {
            return Err(ParseError(format!("the filter has more than the limit of {MAX_FILTER_TERMS} comparisons")));
        }
        Ok(())
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    /// or-expression: and-expressions joined by `or` (`and` binds tighter).
    fn or(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        if self.keyword("not") {
            self.pos += 1;
            if self.next() != Some(Token::Open) {
                return Err(ParseError("not must be followed by a filter in parentheses".into()));
            }
            self.enter()?;
            let inner = self.or()?;
            self.expect(Token::Close, ")")?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                self.enter()?;
                let inner = self.or()?;
                self.expect(Token::Close, ")")?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => self.attribute_expression(&word),
            Some(other) => Err(ParseError(format!("expected an attribute, found {}", describe(&other)))),
            None => Err(ParseError("the filter ends where an attribute was expected".into())),
        }
    }

    fn expect(&mut self, token: Token, text: &str) -> Result<(), ParseError> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            Some(t) => Err(ParseError(format!("expected {text}, found {}", describe(&t)))),
            None => Err(ParseError(format!("expected {text} before the end"))),
        }
    }

    fn attribute_expression(&mut self, word: &str) -> Result<Filter, ParseError> {
        let path = attr_path(word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.pos += 1;
            self.enter()?;
            let inner = self.or()?;
            self.expect(Token::CloseBracket, "]")?;
            self.depth -= 1;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        self.term()?;
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => return Ok(Filter::Present(path)),
            Some(Token::Word(w)) => compare_op(&w)
                .ok_or_else(|| ParseError(format!("{w} is not an operator (eq ne co sw ew pr gt ge lt le)")))?,
            Some(t) => return Err(ParseError(format!("expected an operator after {word}, found {}", describe(&t)))),
            None => return Err(ParseError(format!("expected an operator after {word}"))),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Literal::Str(s),
            Some(Token::Num(n)) => Literal::Num(n),
            Some(Token::Word(w)) if w == "true" => Literal::Bool(true),
            Some(Token::Word(w)) if w == "false" => Literal::Bool(false),
            Some(Token::Word(w)) if w == "null" => Literal::Null,
            Some(t) => return Err(ParseError(format!("expected a value after the operator, found {}", describe(&t)))),
            None => return Err(ParseError("expected a value after the operator".into())),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Word(w) => w.clone(),
        Token::Str(s) => format!("\"{s}\""),
        Token::Num(n) => n.to_string(),
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::OpenBracket => "[".into(),
        Token::CloseBracket => "]".into(),
    }
}

/// Parses a filter (`?filter=` or a `/.search` body's `filter`).
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut p = Parser::new(input)?;
    if p.tokens.is_empty() {
        return Err(ParseError("the filter is empty".into()));
    }
    let f = p.or()?;
    match p.next() {
        None => Ok(f),
        Some(t) => Err(ParseError(format!("unexpected {} after a complete filter", describe(&t)))),
    }
}

/// The input as an error message quotes it: at most 80 characters.
fn shown(input: &str) -> String {
    match input.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &input[..i]),
        None => input.to_owned(),
    }
}

/// Parses a PATCH path.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ParseError> {
    if input.chars().count() > MAX_FILTER_CHARS {
        return Err(ParseError(format!("the path is longer than the limit of {MAX_FILTER_CHARS} characters")));
    }
    let trimmed = input.trim();
    let Some(open) = trimmed.find('[') else {
        return Ok(PatchPath { attr: attr_path(trimmed)?, filter: None, sub: None });
    };
    let close = trimmed
        .rfind(']')
        .filter(|c| *c > open)
        .ok_or_else(|| ParseError(format!("{}: [ is not closed", shown(input))))?;
    let attr = attr_path(&trimmed[..open])?;
    if attr.sub.is_some() {
        return Err(ParseError(format!(
            "{}: a value filter follows the attribute, not its sub-attribute",
            shown(input)
        )));
    }
    let filter = parse_filter(&trimmed[open + 1..close])?;
    let rest = &trimmed[close + 1..];
    let sub = match rest.strip_prefix('.') {
        Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '$' | '_' | '-')) => {
            Some(s.to_owned())
        }
        None if rest.is_empty() => None,
        _ => return Err(ParseError(format!("{}: unexpected {:?} after ]", shown(input), shown(rest)))),
    };
    Ok(PatchPath { attr, filter: Some(filter), sub })
}

#[cfg(test)]
mod tests;
