//! Roles and API keys: who is asking, and what they may do.
//!
//! A key looks like `tw_<prefix>_<secret>`. The prefix finds the stored row;
//! only a SHA-256 hash of the whole key is stored, compared in constant
//! time. Clients send `Authorization: Bearer <key>` (over WebSocket: the
//! same in the `connection_init` payload).

pub use super::scope::Scope;
use sha2::{Digest, Sha256};

/// What a key may do; each role includes the ones before it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, async_graphql::Enum,
)]
pub enum Role {
    /// Read everything (also what anonymous clients may when public reads are on).
    Reader,
    /// Read and write records.
    Editor,
    /// Also manage keys and read the change history.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Role::Reader, Role::Editor, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No key was sent.
    Anonymous,
    /// A valid key.
    Key {
        name: String,
        role: Role,
        /// It may run only the server's trusted documents.
        trusted_documents_only: bool,
        /// The cities it may change records of; `None`: every record.
        scope: Option<Scope>,
    },
    /// A valid token from the identity provider.
    Token {
        /// `token:` and its `sub` claim: the actor in the history.
        subject: String,
        role: Role,
        /// From its scope claim; `None`: every record.
        scope: Option<Scope>,
    },
}

impl Principal {
    /// The name recorded in the change history.
    pub fn actor(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Key { name, .. } => name,
            Principal::Token { subject, .. } => subject,
        }
    }

    /// The cities the principal may change records of; `None` when it is
    /// not held to any (its role still decides whether it may write).
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Principal::Anonymous => None,
            Principal::Key { scope, .. } | Principal::Token { scope, .. } => scope.as_ref(),
        }
    }

    /// How messages name the principal's scope: "this key's".
    pub fn whose(&self) -> &'static str {
        match self {
            Principal::Token { .. } => "this token's",
            _ => "this key's",
        }
    }

    /// The role, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Anonymous => None,
            Principal::Key { role, .. } | Principal::Token { role, .. } => Some(*role),
        }
    }
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random key, its prefix, and its hash.
pub fn new_key() -> Result<(String, String, String), getrandom::Error> {
    let mut bytes = [0u8; 30];
    getrandom::fill(&mut bytes)?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let (prefix, secret) = text.split_at(12);
    let key = format!("tw_{prefix}_{secret}");
    let hash = sha256_hex(&key);
    Ok((key, prefix.to_owned(), hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashed() {
        let (a, prefix, hash) = new_key().expect("randomness");
        let (b, _, _) = new_key().expect("randomness");
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("tw_{prefix}_")));
        assert_eq!(hash, sha256_hex(&a));
        assert_eq!(hash.len(), 64);
    }
}
