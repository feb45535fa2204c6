//! The tenant's directory: users, groups and the other objects that can be group members,
//! with the indexes and change sequence numbers that paging and delta queries read.
//!
//! Objects are never removed from their vectors: a deleted user keeps its slot (so paging
//! offsets stay valid) and is marked deleted, which is also how delta reports it.

use std::collections::{BTreeMap, HashMap, HashSet};

/// What a directory object is; decides its `@odata.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    User,
    Group,
    Device,
    ServicePrincipal,
    OrgContact,
}

impl ObjectKind {
    pub fn odata_type(self) -> &'static str {
        match self {
            ObjectKind::User => "#microsoft.graph.user",
            ObjectKind::Group => "#microsoft.graph.group",
            ObjectKind::Device => "#microsoft.graph.device",
            ObjectKind::ServicePrincipal => "#microsoft.graph.servicePrincipal",
            ObjectKind::OrgContact => "#microsoft.graph.orgContact",
        }
    }
}

/// A reference to one directory object: its kind and its slot in that kind's vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub index: usize,
}

impl ObjectRef {
    pub fn user(index: usize) -> Self {
        Self {
            kind: ObjectKind::User,
            index,
        }
    }
    pub fn group(index: usize) -> Self {
        Self {
            kind: ObjectKind::Group,
            index,
        }
    }
}

/// How a user left the directory, as delta reports it (`@removed.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Soft-deleted: restorable for 30 days (`reason: changed`).
    Changed,
    /// Permanently deleted (`reason: deleted`).
    Deleted,
}

/// One person (or shared mailbox) in the tenant.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub mail_nickname: String,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub usage_location: Option<String>,
    pub preferred_language: Option<String>,
    pub employee_id: Option<String>,
    pub employee_type: Option<String>,
    pub employee_hire_date: Option<String>,
    pub company_name: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: String,
    /// `Invitation` for guests, otherwise none.
    pub creation_type: Option<String>,
    pub external_user_state: Option<String>,
    pub other_mails: Vec<String>,
    pub created_date_time: String,
    pub manager: Option<usize>,
    /// The directory change number of this user's last change.
    pub changed: u64,
    pub removed: Option<Removal>,
}

/// A security or Microsoft 365 group.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub mail_nickname: String,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    pub created_date_time: String,
    /// Direct members, in the order they were added.
    pub members: Vec<ObjectRef>,
    pub changed: u64,
    /// Listed in `SandboxInfo.groups` (large generated tenants leave out their team groups).
    pub listed: bool,
}

/// A device, service principal or organisational contact: things that show up as group
/// members but are not people.
#[derive(Debug, Clone)]
pub struct OtherObject {
    pub kind: ObjectKind,
    pub id: String,
    pub display_name: String,
    /// deviceId / appId / mail, depending on kind.
    pub detail: Option<String>,
}

/// One membership change, kept for `/groups/delta`.
#[derive(Debug, Clone, Copy)]
pub struct MembershipChange {
    pub changed: u64,
    pub group: usize,
    pub member: ObjectRef,
    pub added: bool,
}

/// The whole directory of one tenant.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub others: Vec<OtherObject>,
    /// Lower-case id and lower-case userPrincipalName → slot in `users`.
    user_index: HashMap<String, usize>,
    group_index: HashMap<String, usize>,
    other_index: HashMap<String, usize>,
    /// The last change number handed out; every mutation increments it.
    pub sequence: u64,
    pub membership_log: Vec<MembershipChange>,
    /// Bumped on every change; caches of derived data compare against it.
    pub version: u64,
    /// Slots of deleted groups: Graph no longer finds them, group delta reports `@removed`.
    pub deleted_groups: HashSet<usize>,
}

impl Directory {
    /// Builds the indexes once all objects are in place.
    pub fn new(users: Vec<User>, groups: Vec<Group>, others: Vec<OtherObject>) -> Self {
        let mut directory = Directory {
            users,
            groups,
            others,
            sequence: 1,
            ..Directory::default()
        };
        for (index, user) in directory.users.iter_mut().enumerate() {
            user.changed = 1;
            directory.user_index.insert(user.id.to_lowercase(), index);
            directory
                .user_index
                .insert(user.user_principal_name.to_lowercase(), index);
        }
        for (index, group) in directory.groups.iter_mut().enumerate() {
            group.changed = 1;
            directory.group_index.insert(group.id.to_lowercase(), index);
        }
        for (index, other) in directory.others.iter().enumerate() {
            directory.other_index.insert(other.id.to_lowercase(), index);
        }
        directory
    }

    /// A live (not deleted) user by object id or userPrincipalName, case-insensitive.
    pub fn find_user(&self, key: &str) -> Option<usize> {
        let index = *self.user_index.get(&key.to_lowercase())?;
        self.users
            .get(index)
            .filter(|user| user.removed.is_none())
            .map(|_| index)
    }

    /// A live (not deleted) group by object id, case-insensitive.
    pub fn find_group(&self, id: &str) -> Option<usize> {
        self.group_index
            .get(&id.to_lowercase())
            .copied()
            .filter(|index| !self.deleted_groups.contains(index))
    }

    /// Deletes a group: it leaves every group it was nested in (logged for group delta),
    /// Graph answers 404 for it from now on and group delta reports it `@removed`.
    pub fn remove_group(&mut self, index: usize) {
        let member = ObjectRef::group(index);
        let parents: Vec<usize> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.members.contains(&member))
            .map(|(i, _)| i)
            .collect();
        for parent in parents {
            self.remove_member(parent, member);
        }
        let change = self.next_change();
        if let Some(group) = self.groups.get_mut(index) {
            group.changed = change;
        }
        self.deleted_groups.insert(index);
    }

    /// Any member-capable object by id.
    pub fn find_object(&self, id: &str) -> Option<ObjectRef> {
        if let Some(index) = self.find_user(id) {
            return Some(ObjectRef::user(index));
        }
        if let Some(index) = self.find_group(id) {
            return Some(ObjectRef::group(index));
        }
        let index = *self.other_index.get(&id.to_lowercase())?;
        let kind = self.others.get(index)?.kind;
        Some(ObjectRef { kind, index })
    }

    pub fn object_id(&self, object: ObjectRef) -> &str {
        match object.kind {
            ObjectKind::User => self.users.get(object.index).map(|u| u.id.as_str()),
            ObjectKind::Group => self.groups.get(object.index).map(|g| g.id.as_str()),
            _ => self.others.get(object.index).map(|o| o.id.as_str()),
        }
        .unwrap_or_default()
    }

    /// Live users only.
    pub fn live_user_count(&self) -> usize {
        self.users.iter().filter(|u| u.removed.is_none()).count()
    }

    /// The next change number.
    pub fn next_change(&mut self) -> u64 {
        self.sequence += 1;
        self.version += 1;
        self.sequence
    }

    /// Adds a user and indexes it; returns its slot.
    pub fn insert_user(&mut self, mut user: User) -> usize {
        user.changed = self.next_change();
        let index = self.users.len();
        self.user_index.insert(user.id.to_lowercase(), index);
        self.user_index
            .insert(user.user_principal_name.to_lowercase(), index);
        self.users.push(user);
        index
    }

    /// Marks a user changed after its fields were edited in place; re-indexes its UPN.
    pub fn touch_user(&mut self, index: usize, old_upn: &str) {
        let change = self.next_change();
        if let Some(user) = self.users.get_mut(index) {
            user.changed = change;
            if !old_upn.eq_ignore_ascii_case(&user.user_principal_name) {
                self.user_index.remove(&old_upn.to_lowercase());
                self.user_index
                    .insert(user.user_principal_name.to_lowercase(), index);
            }
        }
    }

    /// Deletes a user: it leaves every group (logged for group delta) and is reported by
    /// user delta with `@removed`.
    pub fn remove_user(&mut self, index: usize, removal: Removal) {
        let member = ObjectRef::user(index);
        let groups: Vec<usize> = self
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.members.contains(&member))
            .map(|(i, _)| i)
            .collect();
        for group in groups {
            self.remove_member(group, member);
        }
        let change = self.next_change();
        for user in &mut self.users {
            if user.manager == Some(index) {
                user.manager = None;
            }
        }
        if let Some(user) = self.users.get_mut(index) {
            user.removed = Some(removal);
            user.changed = change;
        }
    }

    /// Adds a direct member; false when it was already one.
    pub fn add_member(&mut self, group: usize, member: ObjectRef) -> bool {
        let already = self
            .groups
            .get(group)
            .is_none_or(|g| g.members.contains(&member));
        if already {
            return false;
        }
        let change = self.next_change();
        if let Some(g) = self.groups.get_mut(group) {
            g.members.push(member);
            g.changed = change;
        }
        self.membership_log.push(MembershipChange {
            changed: change,
            group,
            member,
            added: true,
        });
        true
    }

    /// Removes a direct member; false when it was not one.
    pub fn remove_member(&mut self, group: usize, member: ObjectRef) -> bool {
        let present = self
            .groups
            .get(group)
            .is_some_and(|g| g.members.contains(&member));
        if !present {
            return false;
        }
        let change = self.next_change();
        if let Some(g) = self.groups.get_mut(group) {
            g.members.retain(|m| *m != member);
            g.changed = change;
        }
        self.membership_log.push(MembershipChange {
            changed: change,
            group,
            member,
            added: false,
        });
        true
    }

    /// Every object reachable from `group` through nested groups (groups included),
    /// each once, in breadth-first order; deleted users are skipped.
    pub fn transitive_members(&self, group: usize) -> Vec<ObjectRef> {
        let mut seen: HashSet<ObjectRef> = HashSet::new();
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([group]);
        let mut visited_groups: HashSet<usize> = HashSet::from([group]);
        while let Some(current) = queue.pop_front() {
            let Some(g) = self.groups.get(current) else {
                continue;
            };
            for member in &g.members {
                if member.kind == ObjectKind::User
                    && self
                        .users
                        .get(member.index)
                        .is_none_or(|u| u.removed.is_some())
                {
                    continue;
                }
                if seen.insert(*member) {
                    out.push(*member);
                }
                if member.kind == ObjectKind::Group && visited_groups.insert(member.index) {
                    queue.push_back(member.index);
                }
            }
        }
        out
    }

    /// How many groups deep each group sits below a group nobody contains (top = 0).
    pub fn group_depths(&self) -> BTreeMap<usize, usize> {
        let mut parents: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, group) in self.groups.iter().enumerate() {
            for member in &group.members {
                if member.kind == ObjectKind::Group {
                    parents.entry(member.index).or_default().push(index);
                }
            }
        }
        let mut depths = BTreeMap::new();
        for index in 0..self.groups.len() {
            let mut depth = 0;
            let mut current = index;
            let mut guard = 0;
            while let Some(parent) = parents.get(&current).and_then(|p| p.first()) {
                depth += 1;
                current = *parent;
                guard += 1;
                if guard > self.groups.len() {
                    break;
                }
            }
            depths.insert(index, depth);
        }
        depths
    }
}
