//! Who is in scope: the include and exclude groups an admin picks, read from Graph with
//! their nested groups, each person with the path(s) of groups that brought them in.
//! It never writes to a learning platform. Each stage has its own file:
//!
//! - `scope`: the scope settings, pasted group references, and the pure evaluation of a
//!   snapshot into the people in scope with their paths;
//! - `groups`: finding groups for the picker (search, resolve, saved choices, counts);
//! - `read`: the full read of the scope from Graph, and the choice of its plan;
//! - `batched`: the batched full read (people by transitive members, memberships in
//!   JSON batches);
//! - `object`: a Graph object or page parsed straight from the answer's text;
//! - `delta`: the incremental read through delta links;
//! - `refresh`: which of the two a refresh runs, and storing its outcome.
//!
//! The records read (people, groups, snapshot) live in [`crate::records`], shared with the
//! cache, and are re-exported here.

mod batched;
mod delta;
mod groups;
mod object;
mod read;
mod refresh;
mod scope;

pub use self::batched::BATCHES_IN_FLIGHT;
pub use self::groups::{
    GroupChoice, SEARCH_LIMIT, SavedGroup, member_count, resolve_group, saved_groups, search_groups,
};
pub use self::read::{ReadPlan, read_full, read_full_with};
pub use self::refresh::{RefreshReport, refresh, refresh_with};
pub use self::scope::{
    GroupScope, MAX_GROUPS, MAX_PATHS, Matched, ScopeError, ScopeResult, evaluate, parse_group_ref,
    user_select,
};
pub use crate::records::{
    DETAIL_PROPERTIES, DirectorySnapshot, GroupRecord, Member, MemberKind, UserDetails, UserRecord,
};

use crate::graph::GraphError;
use crate::store::StoreError;

/// Why a group could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(
        "No group with ID {id} exists in this tenant; it may have been deleted. Search for the group by name, or paste the Object ID from its overview page in the Entra admin center."
    )]
    GroupNotFound { id: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
