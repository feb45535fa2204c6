//! One object of a Graph answer (a person, a group, a member, a manager, a group's member
//! changes) and one page of them, parsed straight from the answer's text into the few
//! fields a read keeps, without building a JSON tree first. At school scale the tree was
//! most of the reader's work: a map and a string for every property of every person.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::graph::{GraphClient, GraphError, not_a_page, parse_answer};
use crate::records::{
    DETAIL_PROPERTIES, EXTENSION_ATTRIBUTES, Member, MemberKind, UserDetails, UserRecord,
};

/// One page of a collection of directory objects.
#[derive(Debug)]
pub(crate) struct ObjectPage {
    pub next_link: Option<String>,
    /// `@odata.count`, on a first page that asked for it.
    pub count: Option<u64>,
    pub items: Vec<DirectoryObject>,
}

/// A page as it comes: `value` may be missing from an answer that is not a page.
#[derive(Deserialize)]
struct PageText<T> {
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    count: Option<u64>,
    #[serde(default = "Option::default")]
    value: Option<T>,
}

impl ObjectPage {
    /// Parses one page of an answer from a batch and counts it as a page read.
    pub fn read(client: &GraphClient, answer: &RawValue, what: &str) -> Result<Self, GraphError> {
        let page: PageText<Vec<DirectoryObject>> = parse_answer(answer, what)?;
        let items = page.value.ok_or_else(|| not_a_page(what))?;
        client.count_page();
        Ok(ObjectPage {
            next_link: page.next_link,
            count: page.count,
            items,
        })
    }

    /// Only the next page's address, the objects skipped: lets a read ask for the next
    /// page before it parses this one.
    pub fn next_link(answer: &RawValue) -> Option<String> {
        serde_json::from_str::<PageText<IgnoredAny>>(answer.get())
            .ok()
            .and_then(|page| page.next_link)
    }
}

/// A directory object with the fields any read uses; the rest of the object is skipped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct DirectoryObject {
    pub id: Option<String>,
    pub odata_type: Option<String>,
    /// `@removed` is present (a delta answer's deletion).
    pub removed: bool,
    pub display_name: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
    employee_id: Option<String>,
    department: Option<String>,
    /// `Some(Some(id))` a manager is named, `Some(None)` known to have none, `None` not
    /// said (delta only reports a manager when it changed).
    pub manager: Option<Option<String>>,
    details: BTreeMap<Cow<'static, str>, String>,
    /// `members@delta`: the member changes of a group in a delta answer.
    pub member_changes: Vec<MemberChange>,
}

/// One entry of a group's `members@delta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberChange {
    pub id: Option<String>,
    pub kind: MemberKind,
    pub removed: bool,
}

/// The person in an object of an answer already parsed as JSON, when it has an id.
pub(crate) fn user_in(item: &Value) -> Option<UserRecord> {
    DirectoryObject::from_value(item).into_user()
}

/// The manager in an object of an answer already parsed as JSON (see
/// [`DirectoryObject::manager`]).
pub(crate) fn manager_in(item: &Value) -> Option<Option<String>> {
    DirectoryObject::from_value(item).manager
}

impl DirectoryObject {
    /// The object in an answer already parsed as JSON.
    pub fn from_value(item: &Value) -> DirectoryObject {
        DirectoryObject::deserialize(item).unwrap_or_default()
    }

    /// What kind of member this object is, from its `@odata.type`.
    pub fn kind(&self) -> MemberKind {
        MemberKind::from_odata_type(self.odata_type.as_deref())
    }

    /// The object as a group member, when it has an id.
    pub fn member(&self) -> Option<Member> {
        self.id.as_ref().map(|id| Member {
            id: id.clone(),
            kind: self.kind(),
        })
    }

    /// The object as a person, when it has an id. Empty texts count as absent.
    pub fn into_user(self) -> Option<UserRecord> {
        let text = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
        Some(UserRecord {
            id: text(self.id)?,
            user_principal_name: text(self.user_principal_name).unwrap_or_default(),
            mail: text(self.mail),
            display_name: text(self.display_name).unwrap_or_default(),
            enabled: self.account_enabled.unwrap_or(true),
            user_type: text(self.user_type),
            employee_id: text(self.employee_id),
            department: text(self.department),
            manager_id: self.manager.flatten(),
            details: UserDetails(self.details),
        })
    }
}

/// The visitor methods for a value of another shape than the one wanted: each gives
/// `$default`, lists and objects skipped to their end. An answer that says otherwise than
/// Graph's documentation skips the value rather than failing the read.
macro_rules! otherwise {
    ($default:expr; lists) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
    ($default:expr; objects) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($default)
        }
    };
    ($default:expr; scalars) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
}

/// The object's properties a read knows; everything else is skipped.
enum Field {
    Id,
    OdataType,
    Removed,
    DisplayName,
    UserPrincipalName,
    Mail,
    AccountEnabled,
    UserType,
    EmployeeId,
    Department,
    Manager,
    ManagerDelta,
    MembersDelta,
    Extensions,
    Detail(&'static str),
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        struct FieldName;
        impl Visitor<'_> for FieldName {
            type Value = Field;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a property name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "id" => Field::Id,
                    "@odata.type" => Field::OdataType,
                    "@removed" => Field::Removed,
                    "displayName" => Field::DisplayName,
                    "userPrincipalName" => Field::UserPrincipalName,
                    "mail" => Field::Mail,
                    "accountEnabled" => Field::AccountEnabled,
                    "userType" => Field::UserType,
                    "employeeId" => Field::EmployeeId,
                    "department" => Field::Department,
                    "manager" => Field::Manager,
                    "manager@delta" => Field::ManagerDelta,
                    "members@delta" => Field::MembersDelta,
                    "onPremisesExtensionAttributes" => Field::Extensions,
                    other => DETAIL_PROPERTIES
                        .iter()
                        .find(|property| **property == other)
                        .map_or(Field::Other, |property| Field::Detail(property)),
                })
            }
        }
        deserializer.deserialize_identifier(FieldName)
    }
}

/// A JSON value of any shape, kept only when it is a text, a number or a flag; objects and
/// lists are skipped. Graph's values are what its documentation says they are, but an
/// answer that says otherwise skips the value rather than failing the read.
enum Scalar {
    Text(String),
    Number(String),
    Flag(bool),
    Other,
}

impl Scalar {
    fn text(self) -> Option<String> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A detail's value as the cache keeps it: trimmed text or a number; empty is absent.
    fn detail(self) -> Option<String> {
        let text = match self {
            Scalar::Text(text) => text.trim().to_string(),
            Scalar::Number(number) => number,
            Scalar::Flag(_) | Scalar::Other => return None,
        };
        (!text.is_empty()).then_some(text)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        struct AnyScalar;
        impl<'de> Visitor<'de> for AnyScalar {
            type Value = Scalar;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(text.to_string()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(text))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(number.to_string()))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(number.to_string()))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Scalar, E> {
                Ok(serde_json::Number::from_f64(number)
                    .map_or(Scalar::Other, |number| Scalar::Number(number.to_string())))
            }
            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Scalar, E> {
                Ok(Scalar::Flag(flag))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            otherwise!(Scalar::Other; lists);
            otherwise!(Scalar::Other; objects);
        }
        deserializer.deserialize_any(AnyScalar)
    }
}

/// A list of objects each parsed as `T`, or nothing when the value is not a list.
struct ListOf<T>(Option<Vec<T>>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ListOf<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ListOf<T>, D::Error> {
        struct List<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for List<T> {
            type Value = ListOf<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListOf<T>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    items.push(item);
                }
                Ok(ListOf(Some(items)))
            }
            otherwise!(ListOf(None); scalars);
            otherwise!(ListOf(None); objects);
        }
        deserializer.deserialize_any(List(std::marker::PhantomData))
    }
}

/// The entries of an object, each value parsed as [`Scalar`], or none when the value is
/// not an object.
struct ScalarsOf(Vec<(String, Scalar)>);

impl<'de> Deserialize<'de> for ScalarsOf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ScalarsOf, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = ScalarsOf;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScalarsOf, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Scalar>()? {
                    entries.push(entry);
                }
                Ok(ScalarsOf(entries))
            }
            otherwise!(ScalarsOf(Vec::new()); scalars);
            otherwise!(ScalarsOf(Vec::new()); lists);
        }
        deserializer.deserialize_any(Entries)
    }
}

impl<'de> Deserialize<'de> for DirectoryObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DirectoryObject, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = DirectoryObject;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a directory object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DirectoryObject, A::Error> {
                let mut object = DirectoryObject::default();
                let mut manager_changes: Option<Option<String>> = None;
                let mut extensions = Vec::new();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Id => object.id = map.next_value::<Scalar>()?.text(),
                        Field::OdataType => {
                            object.odata_type = map.next_value::<Scalar>()?.text();
                        }
                        Field::Removed => {
                            map.next_value::<IgnoredAny>()?;
                            object.removed = true;
                        }
                        Field::DisplayName => {
                            object.display_name = map.next_value::<Scalar>()?.text();
                        }
                        Field::UserPrincipalName => {
                            object.user_principal_name = map.next_value::<Scalar>()?.text();
                        }
                        Field::Mail => object.mail = map.next_value::<Scalar>()?.text(),
                        Field::AccountEnabled => {
                            object.account_enabled = match map.next_value::<Scalar>()? {
                                Scalar::Flag(flag) => Some(flag),
                                _ => None,
                            };
                        }
                        Field::UserType => object.user_type = map.next_value::<Scalar>()?.text(),
                        Field::EmployeeId => {
                            object.employee_id = map.next_value::<Scalar>()?.text();
                        }
                        Field::Department => {
                            object.department = map.next_value::<Scalar>()?.text();
                        }
                        Field::Manager => {
                            // `null` or any other shape than an object: known to have none.
                            object.manager = Some(map.next_value::<DirectoryObject>()?.id);
                        }
                        Field::ManagerDelta => {
                            // The manager now: the last entry that is not a removal.
                            manager_changes =
                                map.next_value::<ListOf<MemberChange>>()?.0.map(|changes| {
                                    changes
                                        .into_iter()
                                        .rfind(|change| !change.removed)
                                        .and_then(|change| change.id)
                                });
                        }
                        Field::MembersDelta => {
                            object.member_changes = map
                                .next_value::<ListOf<MemberChange>>()?
                                .0
                                .unwrap_or_default();
                        }
                        Field::Extensions => {
                            extensions = map.next_value::<ScalarsOf>()?.0;
                        }
                        Field::Detail(property) => {
                            if let Some(value) = map.next_value::<Scalar>()?.detail() {
                                object.details.insert(Cow::Borrowed(property), value);
                            }
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                for (key, value) in extensions {
                    if let Some(value) = value.detail() {
                        let key = EXTENSION_ATTRIBUTES
                            .iter()
                            .find(|known| **known == key)
                            .map_or(Cow::Owned(key), |known| Cow::Borrowed(*known));
                        object.details.insert(key, value);
                    }
                }
                if object.manager.is_none() {
                    object.manager = manager_changes;
                }
                Ok(object)
            }
            otherwise!(DirectoryObject::default(); scalars);
            otherwise!(DirectoryObject::default(); lists);
        }
        deserializer.deserialize_any(Object)
    }
}

impl<'de> Deserialize<'de> for MemberChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MemberChange, D::Error> {
        let object = DirectoryObject::deserialize(deserializer)?;
        Ok(MemberChange {
            kind: object.kind(),
            id: object.id,
            removed: object.removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(text: &str) -> DirectoryObject {
        serde_json::from_str(text).expect("a directory object")
    }

    #[test]
    fn a_person_keeps_what_the_cache_stores_and_skips_the_rest() {
        let user = object(
            r##"{"@odata.type":"#microsoft.graph.user","id":"u1","displayName":"Aoife Ní Bhriain",
                "userPrincipalName":"aoife@school.example","mail":null,"accountEnabled":false,
                "userType":"Member","employeeId":"  ","department":"Year 7",
                "givenName":" Aoife ","surname":"Ní Bhriain","employeeHireDate":20240901,
                "jobTitle":true,"country":{"nested":[1,2]},"businessPhones":["+353 1"],
                "onPremisesExtensionAttributes":{"extensionAttribute1":"7B","extensionAttribute2":null},
                "manager":{"@odata.type":"#microsoft.graph.user","id":"m1","displayName":"Head"}}"##,
        )
        .into_user()
        .expect("a person");
        assert_eq!(user.id, "u1");
        assert_eq!(user.display_name, "Aoife Ní Bhriain");
        assert_eq!(user.mail, None, "a null mail is no mail");
        assert!(!user.enabled);
        assert_eq!(user.employee_id, None, "blank text counts as absent");
        assert_eq!(user.manager_id.as_deref(), Some("m1"));
        let details: Vec<(&str, &str)> = user
            .details
            .0
            .iter()
            .map(|(key, value)| (key.as_ref(), value.as_str()))
            .collect();
        assert_eq!(
            details,
            vec![
                ("employeeHireDate", "20240901"),
                ("extensionAttribute1", "7B"),
                ("givenName", "Aoife"),
                ("surname", "Ní Bhriain"),
            ],
            "texts trimmed, numbers kept as text, flags, objects and nulls left out"
        );
    }

    #[test]
    fn the_same_object_parsed_from_text_or_from_a_json_tree_is_the_same() {
        let text = r##"{"id":"u2","userPrincipalName":"b@x.example","manager":null,
            "onPremisesExtensionAttributes":{"extensionAttribute15":" q "}}"##;
        let tree: Value = serde_json::from_str(text).expect("json");
        assert_eq!(object(text), DirectoryObject::from_value(&tree));
        assert_eq!(
            object(text).manager,
            Some(None),
            "a null manager is known to be none"
        );
        assert_eq!(object(r#"{"id":"u3"}"#).manager, None, "no manager said");
    }

    #[test]
    fn delta_entries_say_what_changed() {
        let group = object(
            r##"{"id":"g1","displayName":"7A","members@delta":[
                {"@odata.type":"#microsoft.graph.user","id":"u1"},
                {"@odata.type":"#microsoft.graph.group","id":"g2"},
                {"@odata.type":"#microsoft.graph.user","id":"u3","@removed":{"reason":"deleted"}},
                {"@odata.type":"#microsoft.graph.user"}]}"##,
        );
        let changes: Vec<(Option<&str>, MemberKind, bool)> = group
            .member_changes
            .iter()
            .map(|change| (change.id.as_deref(), change.kind, change.removed))
            .collect();
        assert_eq!(
            changes,
            vec![
                (Some("u1"), MemberKind::User, false),
                (Some("g2"), MemberKind::Group, false),
                (Some("u3"), MemberKind::User, true),
                (None, MemberKind::User, false),
            ]
        );
        let person = object(
            r#"{"id":"u1","manager@delta":[{"id":"m1"},{"id":"m2","@removed":{}},{"id":"m3"},{"id":"m4","@removed":{}}]}"#,
        );
        assert_eq!(
            person.manager,
            Some(Some("m3".into())),
            "the last manager not removed"
        );
        assert!(object(r#"{"id":"u1","@removed":{"reason":"changed"}}"#).removed);
    }

    #[test]
    fn a_value_of_an_unexpected_shape_is_skipped_not_fatal() {
        let odd = object(
            r#"{"id":7,"displayName":["x"],"manager":"m1","members@delta":{"id":"u1"},
                "onPremisesExtensionAttributes":"none","accountEnabled":"yes"}"#,
        );
        assert_eq!(odd.id, None);
        assert_eq!(odd.display_name, None);
        assert_eq!(odd.manager, Some(None));
        assert!(odd.member_changes.is_empty());
        assert!(odd.into_user().is_none(), "no id, no person");
        assert_eq!(
            serde_json::from_value::<DirectoryObject>(json!("text")).expect("skipped"),
            DirectoryObject::default()
        );
    }

    #[test]
    fn a_page_without_a_value_list_has_none_and_its_next_link_is_found_anywhere() {
        let page: PageText<Vec<DirectoryObject>> = serde_json::from_str(
            r#"{"@odata.count":3,"@odata.nextLink":"https://graph.example/next"}"#,
        )
        .expect("a page");
        assert_eq!(page.count, Some(3));
        assert!(page.value.is_none());
        let answer = RawValue::from_string(r#"{"error":{"code":"x"}}"#.into()).expect("raw");
        assert_eq!(ObjectPage::next_link(&answer), None);
        let answer = RawValue::from_string(
            r#"{"value":[{"id":"a"}],"@odata.nextLink":"https://graph.example/2"}"#.into(),
        )
        .expect("raw");
        assert_eq!(
            ObjectPage::next_link(&answer).as_deref(),
            Some("https://graph.example/2"),
            "the next link is found wherever it stands"
        );
    }

    #[test]
    fn the_hostile_corpus_is_refused_or_skipped_never_a_panic() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/corpus");
        let mut fed = 0;
        for entry in std::fs::read_dir(&folder).expect("the corpus") {
            let bytes = std::fs::read(entry.expect("a file").path()).expect("readable");
            let text = String::from_utf8_lossy(&bytes);
            let _ = serde_json::from_str::<PageText<Vec<DirectoryObject>>>(&text);
            let _ = serde_json::from_str::<DirectoryObject>(&text);
            if let Ok(answer) = RawValue::from_string(text.into_owned()) {
                let _ = ObjectPage::next_link(&answer);
            }
            fed += 1;
        }
        assert!(fed >= 10, "the corpus was read ({fed} files)");
        assert!(
            serde_json::from_str::<PageText<Vec<DirectoryObject>>>(
                r#"{"value":[],"@odata.nextLink":7}"#
            )
            .is_err(),
            "a next link that is not text fails the page; it is never taken for the last page, \
             which would end the read early and look complete"
        );
    }
}
