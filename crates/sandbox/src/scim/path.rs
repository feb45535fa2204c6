//! Attribute paths (RFC 7644 §3.10): `userName`, `name.givenName`, and paths into the
//! enterprise extension such as `urn:…:enterprise:2.0:User:manager.value`, resolved against
//! the schema table without regard to case.

use super::schema::{
    Attribute, CORE_USER, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER, Kind, USER_ATTRIBUTES, find,
};

/// Which schema an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    Core,
    Enterprise,
}

/// A resolved attribute path on a User.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrPath {
    pub extension: Extension,
    pub attribute: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

impl AttrPath {
    /// The attribute the path ends at.
    pub fn leaf(&self) -> &'static Attribute {
        self.sub.unwrap_or(self.attribute)
    }
}

/// Splits a schema URN prefix off `text`: `urn:…:enterprise:2.0:User:department` gives
/// (Enterprise, "department"). Text with no known prefix belongs to the core schema.
pub fn split_schema(text: &str) -> (Extension, &str) {
    for (urn, extension) in [
        (ENTERPRISE_USER, Extension::Enterprise),
        (CORE_USER, Extension::Core),
    ] {
        if text.len() > urn.len()
            && text.is_char_boundary(urn.len())
            && text[..urn.len()].eq_ignore_ascii_case(urn)
            && text[urn.len()..].starts_with(':')
        {
            return (extension, &text[urn.len() + 1..]);
        }
    }
    (Extension::Core, text)
}

/// Resolves `text` to a path, or says which part is unknown.
pub fn resolve(text: &str) -> Result<AttrPath, String> {
    let (extension, rest) = split_schema(text.trim());
    let attributes = match extension {
        Extension::Core => USER_ATTRIBUTES,
        Extension::Enterprise => ENTERPRISE_ATTRIBUTES,
    };
    let (head, tail) = match rest.split_once('.') {
        Some((head, tail)) => (head, Some(tail)),
        None => (rest, None),
    };
    let attribute = find(attributes, head).ok_or_else(|| {
        format!(
            "'{text}' is not a User attribute this service knows; known: {}",
            known_names(attributes)
        )
    })?;
    let sub = match tail {
        None => None,
        Some(tail) => {
            let Kind::Complex(parts) = attribute.kind else {
                return Err(format!(
                    "'{}' has no sub-attributes, so '{text}' names nothing",
                    attribute.name
                ));
            };
            Some(find(parts, tail).ok_or_else(|| {
                format!(
                    "'{}' has no sub-attribute '{tail}'; known: {}",
                    attribute.name,
                    known_names(parts)
                )
            })?)
        }
    };
    Ok(AttrPath {
        extension,
        attribute,
        sub,
    })
}

fn known_names(attributes: &[Attribute]) -> String {
    attributes
        .iter()
        .map(|attribute| attribute.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_enterprise_paths_without_regard_to_case() {
        let path =
            resolve("URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:Manager.Value")
                .unwrap();
        assert_eq!(path.extension, Extension::Enterprise);
        assert_eq!(path.attribute.name, "manager");
        assert_eq!(path.sub.map(|sub| sub.name), Some("value"));
    }

    #[test]
    fn names_the_unknown_part() {
        let message = resolve("name.nickname").unwrap_err();
        assert!(message.contains("nickname"), "{message}");
        assert!(resolve("favouriteColour").is_err());
        assert!(resolve("active.value").is_err());
    }
}
