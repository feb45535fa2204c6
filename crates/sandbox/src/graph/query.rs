//! OData query options as Graph accepts them on directory objects: parsing and checking
//! `$select`, `$top`, `$filter`, `$search`, `$count`, `$expand` and the opaque `$skiptoken`,
//! with Graph's 400 answers for anything it would refuse.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::errors::GraphError;

/// Query options of one request.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    pub select: Option<Vec<String>>,
    pub top: Option<usize>,
    pub filter: Option<Filter>,
    pub search: Option<Vec<SearchTerm>>,
    pub count: bool,
    pub expand: Option<String>,
    pub skiptoken: Option<String>,
    pub deltatoken: Option<String>,
    /// The query string without `$skiptoken`/`$deltatoken`, to carry into next links.
    pub carried: String,
}

/// Graph's largest and default page sizes for directory objects.
pub const MAX_PAGE: usize = 999;
pub const DEFAULT_PAGE: usize = 100;

const KNOWN: &[&str] = &[
    "$select",
    "$top",
    "$filter",
    "$search",
    "$count",
    "$expand",
    "$skiptoken",
    "$deltatoken",
    "$orderby",
    "$skip",
    "$levels",
    "$format",
];

fn percent_encode_query(pairs: &[(String, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    // Graph links keep `$` and `,` readable.
    serializer
        .finish()
        .replace("%24", "$")
        .replace("%2C", ",")
        .replace("%28", "(")
        .replace("%29", ")")
}

impl QueryOptions {
    /// Parses a raw query string. `eventual` is whether `ConsistencyLevel: eventual` was sent.
    pub fn parse(raw: &str, eventual: bool) -> Result<Self, GraphError> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        let mut options = QueryOptions::default();
        let mut carried = Vec::new();
        for (key, value) in &pairs {
            let lower = key.to_ascii_lowercase();
            if !lower.starts_with('$') {
                carried.push((key.clone(), value.clone()));
                continue;
            }
            if !KNOWN.contains(&lower.as_str()) {
                return Err(GraphError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("Query option '{key}' is not allowed. Make sure that it is supported."),
                ));
            }
            match lower.as_str() {
                "$skiptoken" => options.skiptoken = Some(value.clone()),
                "$deltatoken" => options.deltatoken = Some(value.clone()),
                _ => carried.push((key.clone(), value.clone())),
            }
            match lower.as_str() {
                "$select" => {
                    let props: Vec<String> = value
                        .split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect();
                    if props.is_empty() {
                        return Err(GraphError::bad_request(
                            "Invalid $select: no property named.",
                        ));
                    }
                    options.select = Some(props);
                }
                "$top" => {
                    let top = value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|t| (1..=MAX_PAGE).contains(t));
                    match top {
                        Some(top) => options.top = Some(top),
                        None => {
                            return Err(GraphError::unsupported_query(format!(
                                "Invalid page size specified: '{value}'. Must be between 1 and {MAX_PAGE} inclusive."
                            )));
                        }
                    }
                }
                "$filter" => options.filter = Some(Filter::parse(value)?),
                "$search" => {
                    if !eventual {
                        return Err(GraphError::unsupported_query(
                            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                        ));
                    }
                    options.search = Some(parse_search(value)?);
                }
                "$count" => match value.to_ascii_lowercase().as_str() {
                    // Without the header Graph silently ignores $count=true.
                    "true" => options.count = eventual,
                    "false" => options.count = false,
                    _ => {
                        return Err(GraphError::bad_request(format!(
                            "Invalid value '{value}' for $count: expected true or false."
                        )));
                    }
                },
                "$expand" => options.expand = Some(value.clone()),
                "$skip" => {
                    return Err(GraphError::unsupported_query(
                        "'$skip' is not supported by the service.",
                    ));
                }
                "$orderby" => {
                    return Err(GraphError::unsupported_query(
                        "Sorting is not supported by this sandbox; page without $orderby.",
                    ));
                }
                _ => {}
            }
        }
        if let Some(filter) = &options.filter
            && filter.needs_advanced()
            && !(eventual && options.count)
        {
            return Err(GraphError::unsupported_query("Unsupported Query."));
        }
        options.carried = percent_encode_query(&carried);
        Ok(options)
    }

    pub fn page_size(&self) -> usize {
        self.top.unwrap_or(DEFAULT_PAGE)
    }
}

/// A `$skiptoken`: where the next page starts, and the query that produced the first one.
pub fn encode_skiptoken(offset: usize, carried: &str) -> String {
    format!(
        "RFNwdAIAAQAAA{}",
        URL_SAFE_NO_PAD.encode(format!("{offset}\n{carried}"))
    )
}

/// The offset and original query inside a `$skiptoken`.
pub fn decode_skiptoken(token: &str) -> Result<(usize, String), GraphError> {
    let invalid = || {
        GraphError::bad_request(
            "The specified page token value has expired or is invalid; start again from the first page.",
        )
    };
    let body = token.strip_prefix("RFNwdAIAAQAAA").ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (offset, carried) = text.split_once('\n').ok_or_else(invalid)?;
    let offset = offset.parse().map_err(|_| invalid())?;
    Ok((offset, carried.to_string()))
}

/// One `"property:text"` clause of `$search`.
#[derive(Debug, Clone)]
pub struct SearchTerm {
    pub property: String,
    pub text: String,
}

fn parse_search(value: &str) -> Result<Vec<SearchTerm>, GraphError> {
    let invalid = || {
        GraphError::bad_request(format!(
            "Syntax error: '{value}' is not a valid $search value; use \"property:text\"."
        ))
    };
    let mut terms = Vec::new();
    for clause in value.split(" OR ") {
        let clause = clause.trim();
        let inner = clause
            .strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .ok_or_else(invalid)?;
        let (property, text) = inner.split_once(':').ok_or_else(invalid)?;
        terms.push(SearchTerm {
            property: property.trim().to_string(),
            text: text.trim().to_lowercase(),
        });
    }
    Ok(terms)
}

/// True when `text` matches a search word: some word of `value` starts with it (Graph
/// tokenises on spaces and punctuation), or the whole phrase appears.
pub fn search_matches(value: &str, text: &str) -> bool {
    let lower = value.to_lowercase();
    if text.contains(' ') {
        return lower.contains(text);
    }
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.starts_with(text))
}

/// A literal in `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    Bool(bool),
    Null,
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    StartsWith(String, String),
    EndsWith(String, String),
    Eq(String, Literal),
    Ne(String, Literal),
    In(String, Vec<Literal>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".to_string()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '\t' | '(' | ')' | ',' | '\'') {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, token: Token) -> Result<(), String> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            other => Err(format!("expected {token:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::Text(text)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            other => Err(format!("expected a literal, found {other:?}")),
        }
    }

    fn primary(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let lower = word.to_ascii_lowercase();
                if (lower == "startswith" || lower == "endswith")
                    && self.tokens.get(self.at) == Some(&Token::Open)
                {
                    self.at += 1;
                    let property = match self.next() {
                        Some(Token::Word(p)) => p,
                        other => return Err(format!("expected a property, found {other:?}")),
                    };
                    self.expect(Token::Comma)?;
                    let text = match self.next() {
                        Some(Token::Text(t)) => t,
                        other => return Err(format!("expected a string, found {other:?}")),
                    };
                    self.expect(Token::Close)?;
                    return Ok(if lower == "startswith" {
                        Filter::StartsWith(property, text)
                    } else {
                        Filter::EndsWith(property, text)
                    });
                }
                let operator = match self.next() {
                    Some(Token::Word(op)) => op.to_ascii_lowercase(),
                    other => {
                        return Err(format!(
                            "expected an operator after '{word}', found {other:?}"
                        ));
                    }
                };
                match operator.as_str() {
                    "eq" => Ok(Filter::Eq(word, self.literal()?)),
                    "ne" => Ok(Filter::Ne(word, self.literal()?)),
                    "in" => {
                        self.expect(Token::Open)?;
                        let mut values = vec![self.literal()?];
                        while self.tokens.get(self.at) == Some(&Token::Comma) {
                            self.at += 1;
                            values.push(self.literal()?);
                        }
                        self.expect(Token::Close)?;
                        Ok(Filter::In(word, values))
                    }
                    other => Err(format!("the operator '{other}' is not supported")),
                }
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

impl Filter {
    pub fn parse(input: &str) -> Result<Filter, GraphError> {
        let invalid = |detail: String| {
            GraphError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Invalid filter clause: {detail}"),
            )
        };
        let tokens = tokenize(input).map_err(invalid)?;
        let mut parser = Parser { tokens, at: 0 };
        let filter = parser.or().map_err(invalid)?;
        if parser.at < parser.tokens.len() {
            return Err(invalid(format!(
                "syntax error at position {} in '{input}'",
                parser.at
            )));
        }
        Ok(filter)
    }

    /// endsWith, ne and not need `ConsistencyLevel: eventual` and `$count=true`.
    pub fn needs_advanced(&self) -> bool {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => a.needs_advanced() || b.needs_advanced(),
            Filter::Not(_) | Filter::Ne(..) | Filter::EndsWith(..) => true,
            Filter::StartsWith(..) | Filter::Eq(..) | Filter::In(..) => false,
        }
    }

    /// Every property the filter names.
    pub fn properties(&self) -> Vec<&str> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                let mut props = a.properties();
                props.extend(b.properties());
                props
            }
            Filter::Not(inner) => inner.properties(),
            Filter::StartsWith(p, _)
            | Filter::EndsWith(p, _)
            | Filter::Eq(p, _)
            | Filter::Ne(p, _)
            | Filter::In(p, _) => vec![p.as_str()],
        }
    }

    /// Evaluates against an object; `value` gives a property's JSON value.
    pub fn matches(&self, value: &dyn Fn(&str) -> Value) -> bool {
        fn equal(value: &Value, literal: &Literal) -> bool {
            match (value, literal) {
                (Value::String(s), Literal::Text(t)) => {
                    s.eq_ignore_ascii_case(t) || s.to_lowercase() == t.to_lowercase()
                }
                (Value::Bool(b), Literal::Bool(l)) => b == l,
                (Value::Null, Literal::Null) => true,
                (Value::Array(items), lit) => items.iter().any(|i| equal(i, lit)),
                _ => false,
            }
        }
        match self {
            Filter::And(a, b) => a.matches(value) && b.matches(value),
            Filter::Or(a, b) => a.matches(value) || b.matches(value),
            Filter::Not(inner) => !inner.matches(value),
            Filter::StartsWith(p, text) => value(p)
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(&text.to_lowercase())),
            Filter::EndsWith(p, text) => value(p)
                .as_str()
                .is_some_and(|s| s.to_lowercase().ends_with(&text.to_lowercase())),
            Filter::Eq(p, literal) => equal(&value(p), literal),
            Filter::Ne(p, literal) => !equal(&value(p), literal),
            Filter::In(p, literals) => {
                let v = value(p);
                literals.iter().any(|l| equal(&v, l))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_evaluate() {
        let filter =
            Filter::parse("startswith(displayName,'Year') and accountEnabled eq true").unwrap();
        let object = json!({"displayName": "Year 7 Tutors", "accountEnabled": true});
        assert!(filter.matches(&|p| object[p].clone()));
        let filter = Filter::parse("mail in ('a@x', 'B@X')").unwrap();
        assert!(filter.matches(&|_| json!("b@x")));
        assert!(Filter::parse("startswith(displayName,'unterminated)").is_err());
        assert!(Filter::parse("displayName like 'x'").is_err());
        assert!(
            Filter::parse("endswith(mail,'@x')")
                .unwrap()
                .needs_advanced()
        );
        let (offset, carried) = decode_skiptoken(&encode_skiptoken(42, "$top=5")).unwrap();
        assert_eq!((offset, carried.as_str()), (42, "$top=5"));
        assert!(decode_skiptoken("garbage").is_err());
        assert!(search_matches("Year 7 Tutors", "tut"));
        assert!(!search_matches("Year 7 Tutors", "utor"));
    }
}
