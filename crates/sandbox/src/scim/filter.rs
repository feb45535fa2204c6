//! SCIM filters (RFC 7644 §3.4.2.2): parsing `userName eq "…"`-style expressions with
//! `and`, `or`, `not`, grouping and value paths (`emails[type eq "work"]`), and matching
//! them against User documents.

use std::cmp::Ordering;

use serde_json::Value;

use super::error::ScimError;
use super::path::{self, Extension};
use super::schema::{Attribute, ENTERPRISE_USER, Kind, find};

/// Deepest nesting of parentheses and `not` a filter may use.
const MAX_DEPTH: usize = 32;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
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

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }
}

/// A resolved place in a JSON document: keys from the context root, and the attribute found
/// there (its case-exactness and type decide how values compare).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    keys: Vec<&'static str>,
    leaf: &'static Attribute,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(Target),
    Compare(Target, Op, Value),
    /// `emails[type eq "work"]`: some element of the multi-valued attribute matches.
    Any(Target, Box<Filter>),
}

/// What attribute names in a filter are relative to.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// A whole User resource.
    User,
    /// The elements of a complex attribute (inside `[...]`).
    Element(&'static [Attribute]),
}

impl Filter {
    /// Parses a filter over whole User resources.
    pub fn parse(text: &str) -> Result<Filter, ScimError> {
        Self::parse_in(text, Scope::User)
    }

    /// Parses a filter whose attribute names are relative to `scope`.
    pub fn parse_in(text: &str, scope: Scope) -> Result<Filter, ScimError> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(ScimError::invalid_filter(
                "the filter is empty: send e.g. filter=userName eq \"ada@example.com\"",
            ));
        }
        let mut parser = Parser {
            tokens,
            position: 0,
            scope,
        };
        let filter = parser.or(0)?;
        if let Some(token) = parser.peek() {
            return Err(ScimError::invalid_filter(format!(
                "unexpected {} after a complete filter expression: join expressions with 'and' or 'or'",
                token.describe()
            )));
        }
        Ok(filter)
    }

    /// For a filter made only of `eq` comparisons joined by `and` on plain attributes (such as
    /// `type eq "work"`), the object those comparisons describe; `None` for anything else.
    pub fn equalities(&self) -> Option<serde_json::Map<String, Value>> {
        match self {
            Filter::Compare(target, Op::Eq, value)
                if target.keys.len() == 1 && !value.is_null() =>
            {
                let mut map = serde_json::Map::new();
                map.insert(target.keys[0].into(), value.clone());
                Some(map)
            }
            Filter::And(left, right) => {
                let mut map = left.equalities()?;
                map.extend(right.equalities()?);
                Some(map)
            }
            _ => None,
        }
    }

    /// For a filter that is exactly `<attribute> eq "<text>"` on a top-level attribute, the
    /// attribute's name and the text: lets the caller use an index instead of a scan.
    pub fn single_equality(&self) -> Option<(&'static str, &str)> {
        match self {
            Filter::Compare(target, Op::Eq, Value::String(text)) if target.keys.len() == 1 => {
                Some((target.keys[0], text))
            }
            _ => None,
        }
    }

    /// True when `document` (a User, or an element in an element scope) matches.
    pub fn matches(&self, document: &Value) -> bool {
        match self {
            Filter::And(left, right) => left.matches(document) && right.matches(document),
            Filter::Or(left, right) => left.matches(document) || right.matches(document),
            Filter::Not(inner) => !inner.matches(document),
            Filter::Present(target) => values_at(document, &target.keys)
                .into_iter()
                .any(is_present),
            Filter::Compare(target, op, expected) => {
                let found = values_at(document, &target.keys);
                if *op == Op::Ne {
                    return !found
                        .into_iter()
                        .any(|actual| compare(target.leaf, Op::Eq, actual, expected));
                }
                if expected.is_null() && *op == Op::Eq {
                    return !found.into_iter().any(is_present);
                }
                found
                    .into_iter()
                    .any(|actual| compare(target.leaf, *op, actual, expected))
            }
            Filter::Any(target, inner) => values_at(document, &target.keys)
                .into_iter()
                .any(|element| inner.matches(element)),
        }
    }
}

/// All values at `keys`, looking through multi-valued attributes at every step.
fn values_at<'a>(document: &'a Value, keys: &[&str]) -> Vec<&'a Value> {
    let mut current = vec![document];
    for key in keys {
        let mut next = Vec::new();
        for value in current {
            let found = value
                .as_object()
                .and_then(|map| map.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)))
                .map(|(_, found)| found);
            match found {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(found) => next.push(found),
                None => {}
            }
        }
        current = next;
    }
    current
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    }
}

fn compare(leaf: &Attribute, op: Op, actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Bool(actual), Value::Bool(expected)) => match op {
            Op::Eq => actual == expected,
            _ => false,
        },
        (Value::String(actual), Value::String(expected)) => {
            let (actual, expected) = if leaf.case_exact {
                (actual.clone(), expected.clone())
            } else {
                (actual.to_lowercase(), expected.to_lowercase())
            };
            match op {
                Op::Eq => actual == expected,
                Op::Ne => actual != expected,
                Op::Co => actual.contains(&expected),
                Op::Sw => actual.starts_with(&expected),
                Op::Ew => actual.ends_with(&expected),
                Op::Gt => actual.cmp(&expected) == Ordering::Greater,
                Op::Ge => actual.cmp(&expected) != Ordering::Less,
                Op::Lt => actual.cmp(&expected) == Ordering::Less,
                Op::Le => actual.cmp(&expected) != Ordering::Greater,
            }
        }
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Text(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "'('".into(),
            Token::Close => "')'".into(),
            Token::OpenBracket => "'['".into(),
            Token::CloseBracket => "']'".into(),
            Token::Word(word) => format!("'{word}'"),
            Token::Text(text) => format!("\"{text}\""),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, ScimError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '[' => tokens.push(Token::OpenBracket),
            ']' => tokens.push(Token::CloseBracket),
            '"' => {
                let mut end = None;
                let mut escaped = false;
                for (index, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(index);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(ScimError::invalid_filter(format!(
                        "the string starting at character {start} has no closing '\"'"
                    )));
                };
                let literal = &text[start..=end];
                let value: String = serde_json::from_str(literal).map_err(|error| {
                    ScimError::invalid_filter(format!(
                        "{literal} is not a valid JSON string ({error})"
                    ))
                })?;
                tokens.push(Token::Text(value));
            }
            _ => {
                let mut end = start + c.len_utf8();
                while let Some(&(index, next)) = chars.peek() {
                    if next.is_whitespace() || matches!(next, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    end = index + next.len_utf8();
                    chars.next();
                }
                tokens.push(Token::Word(text[start..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    scope: Scope,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn or(&mut self, depth: usize) -> Result<Filter, ScimError> {
        let mut left = self.and(depth)?;
        while self.peek_keyword("or") {
            self.position += 1;
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, ScimError> {
        let mut left = self.unary(depth)?;
        while self.peek_keyword("and") {
            self.position += 1;
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, ScimError> {
        if depth > MAX_DEPTH {
            return Err(ScimError::invalid_filter(format!(
                "the filter nests deeper than {MAX_DEPTH} levels: simplify it"
            )));
        }
        if self.peek_keyword("not") {
            self.position += 1;
            self.expect(&Token::Open, "'(' after 'not'")?;
            let inner = self.or(depth + 1)?;
            self.expect(&Token::Close, "')' to close 'not('")?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                self.expect(&Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Word(word)) => self.expression(&word, depth),
            Some(other) => Err(ScimError::invalid_filter(format!(
                "expected an attribute name, found {}",
                other.describe()
            ))),
            None => Err(ScimError::invalid_filter(
                "the filter ends where an attribute name was expected",
            )),
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), ScimError> {
        match self.next() {
            Some(found) if &found == token => Ok(()),
            Some(found) => Err(ScimError::invalid_filter(format!(
                "expected {what}, found {}",
                found.describe()
            ))),
            None => Err(ScimError::invalid_filter(format!(
                "the filter ends where {what} was expected"
            ))),
        }
    }

    fn expression(&mut self, name: &str, depth: usize) -> Result<Filter, ScimError> {
        if self.peek() == Some(&Token::OpenBracket) {
            self.position += 1;
            let target = self.target(name)?;
            let Kind::Complex(parts) = target.leaf.kind else {
                return Err(ScimError::invalid_filter(format!(
                    "'{name}[...]' needs a complex attribute such as emails"
                )));
            };
            let outer = std::mem::replace(&mut self.scope, Scope::Element(parts));
            let inner = self.or(depth + 1);
            self.scope = outer;
            let inner = inner?;
            self.expect(&Token::CloseBracket, "']'")?;
            return Ok(Filter::Any(target, Box::new(inner)));
        }
        let mut target = self.target(name)?;
        let op_word = match self.next() {
            Some(Token::Word(word)) => word,
            Some(other) => {
                return Err(ScimError::invalid_filter(format!(
                    "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after '{name}', found {}",
                    other.describe()
                )));
            }
            None => {
                return Err(ScimError::invalid_filter(format!(
                    "'{name}' needs an operator and a value, e.g. {name} eq \"…\""
                )));
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(target));
        }
        let op = Op::parse(&op_word).ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "'{op_word}' is not a filter operator; use eq, ne, co, sw, ew, gt, ge, lt, le or pr"
            ))
        })?;
        let value = match self.next() {
            Some(Token::Text(text)) => Value::String(text),
            Some(Token::Word(word)) => literal(&word)?,
            Some(other) => {
                return Err(ScimError::invalid_filter(format!(
                    "expected a value after '{name} {op_word}', found {}",
                    other.describe()
                )));
            }
            None => {
                return Err(ScimError::invalid_filter(format!(
                    "'{name} {op_word}' needs a value, e.g. \"…\""
                )));
            }
        };
        if let Kind::Complex(parts) = target.leaf.kind {
            // `emails eq "x"` compares each email's value (RFC 7644 §3.4.2.2).
            let value_part = find(parts, "value").ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "'{name}' is a complex attribute: compare one of its sub-attributes"
                ))
            })?;
            target.keys.push(value_part.name);
            target.leaf = value_part;
        }
        if target.leaf.kind == Kind::Boolean && !matches!(op, Op::Eq | Op::Ne) {
            return Err(ScimError::invalid_filter(format!(
                "'{name}' is a boolean: only eq, ne and pr apply"
            )));
        }
        let value = match (target.leaf.kind, value) {
            (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("true") => {
                Value::Bool(true)
            }
            (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("false") => {
                Value::Bool(false)
            }
            (_, value) => value,
        };
        Ok(Filter::Compare(target, op, value))
    }

    fn target(&self, name: &str) -> Result<Target, ScimError> {
        match self.scope {
            Scope::User => {
                if name.eq_ignore_ascii_case(ENTERPRISE_USER) {
                    return Err(ScimError::invalid_filter(
                        "name an attribute of the enterprise extension, e.g. urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    ));
                }
                let resolved = path::resolve(name).map_err(ScimError::invalid_filter)?;
                let mut keys = match resolved.extension {
                    Extension::Core => vec![resolved.attribute.name],
                    Extension::Enterprise => vec![ENTERPRISE_USER, resolved.attribute.name],
                };
                if let Some(sub) = resolved.sub {
                    keys.push(sub.name);
                }
                Ok(Target {
                    keys,
                    leaf: resolved.leaf(),
                })
            }
            Scope::Element(parts) => {
                let leaf = find(parts, name).ok_or_else(|| {
                    ScimError::invalid_filter(format!(
                        "'{name}' is not a sub-attribute here; known: {}",
                        parts
                            .iter()
                            .map(|part| part.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
                Ok(Target {
                    keys: vec![leaf.name],
                    leaf,
                })
            }
        }
    }
}

fn literal(word: &str) -> Result<Value, ScimError> {
    match word.to_ascii_lowercase().as_str() {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if let Ok(number) = serde_json::from_str::<serde_json::Number>(word) {
        return Ok(Value::Number(number));
    }
    Err(ScimError::invalid_filter(format!(
        "'{word}' is not a value: put strings in double quotes, e.g. \"{word}\""
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ada() -> Value {
        json!({
            "id": "1",
            "userName": "Ada@Example.com",
            "externalId": "E-1",
            "active": true,
            "emails": [{"value": "ada@example.com", "type": "work"}, {"value": "a@home.org", "type": "home"}],
            ENTERPRISE_USER: {"department": "Mathematics"},
        })
    }

    fn matches(filter: &str) -> bool {
        Filter::parse(filter).unwrap().matches(&ada())
    }

    #[test]
    fn user_name_compares_without_case_but_external_id_with_case() {
        assert!(matches(r#"UserName eq "ada@example.COM""#));
        assert!(matches(r#"externalId eq "E-1""#));
        assert!(!matches(r#"externalId eq "e-1""#));
    }

    #[test]
    fn combines_and_or_not_and_groups() {
        assert!(matches(r#"userName eq "x" or externalId eq "E-1""#));
        assert!(!matches(r#"userName eq "x" and externalId eq "E-1""#));
        assert!(matches(r#"not (userName eq "x") and (active eq true)"#));
        assert!(matches(r#"active eq "True""#));
    }

    #[test]
    fn value_paths_and_extension_attributes_match() {
        assert!(matches(r#"emails[type eq "home" and value co "home.org"]"#));
        assert!(!matches(r#"emails[type eq "other"]"#));
        assert!(matches(r#"emails co "@home""#));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "math""#
        ));
        assert!(!matches("title pr"));
    }

    #[test]
    fn malformed_filters_say_what_is_wrong() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName equals "x""#,
            r#"userName eq "x"#,
            r#"userName eq x"#,
            r#"favourite eq "x""#,
            r#"(userName eq "x""#,
            r#"userName eq "x" userName eq "y""#,
            r#"active gt true"#,
        ] {
            let error = Filter::parse(bad).unwrap_err();
            assert_eq!(
                error.scim_type,
                Some(super::super::error::ScimType::InvalidFilter),
                "{bad}"
            );
        }
        let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
        assert!(Filter::parse(&deep).is_err());
    }
}
