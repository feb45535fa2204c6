//! Delta queries for users and groups: tokens that remember where a client got to, changes
//! since then, `@removed` entries, and 410 once a token has expired.
