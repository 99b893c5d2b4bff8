//! API tokens: created for a role (and, for uploaders, one operator), shown once, stored
//! only as an argon2id hash of their secret.
//!
//! A token reads `bianca_<id>_<secret>`: the id finds the row, the secret (32 random bytes,
//! hex) is checked against the stored hash. A revoked token never verifies again.

use super::error::QueryContext;
use super::schema::api_tokens;
use super::{now, with_conn, Result, Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use diesel::prelude::*;
use std::fmt;
use std::str::FromStr;

/// What a token may do: `admin` everything, `planner` read
/// everything, `uploader` the public view plus its own operator's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Planner,
    Uploader,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Planner, Role::Uploader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Uploader => "uploader",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}: expected admin, planner or uploader"))
    }
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    pub role: Role,
    /// The operator an uploader acts for.
    pub operator: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

/// A token just created: `token` is the only copy of the secret.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub info: TokenInfo,
    pub token: String,
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens)]
struct InsertToken<'a> {
    user_id: Option<i64>,
    label: &'a str,
    role: &'a str,
    operator: Option<&'a str>,
    token_hash: &'a str,
    created_at: chrono::NaiveDateTime,
    revoked_at: Option<chrono::NaiveDateTime>,
}

type TokenRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
);

fn info_of(row: &TokenRow) -> Result<TokenInfo> {
    let role = row.2.parse().map_err(|message| StoreError::Corrupt {
        table: "api_tokens",
        row: row.0,
        message,
    })?;
    Ok(TokenInfo {
        id: row.0,
        label: row.1.clone(),
        role,
        operator: row.3.clone(),
        created_at: row.5,
        revoked_at: row.6,
    })
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Invalid(format!("no random numbers from the OS: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Splits `bianca_<id>_<secret>`; `None` for anything else.
fn parse_token(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix("bianca_")?;
    let (id, secret) = rest.split_once('_')?;
    let id = id.parse().ok()?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then_some((id, secret))
}

impl Store {
    /// Creates a token for `role`. An uploader must name its operator; other roles must not.
    pub fn create_token(
        &mut self,
        role: Role,
        operator: Option<&str>,
        label: &str,
    ) -> Result<CreatedToken> {
        let operator = operator.map(str::trim).filter(|o| !o.is_empty());
        match (role, operator) {
            (Role::Uploader, None) => {
                return Err(StoreError::Invalid(
                    "an uploader token acts for one operator: give --operator".into(),
                ))
            }
            (Role::Admin | Role::Planner, Some(_)) => {
                return Err(StoreError::Invalid(format!(
                    "--operator only applies to uploader tokens, not {role}"
                )))
            }
            _ => {}
        }
        let secret = random_hex(32)?;
        let salt = SaltString::encode_b64(random_hex(16)?.as_bytes())
            .map_err(|e| StoreError::Invalid(format!("salting the token: {e}")))?;
        let hash = Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| StoreError::Invalid(format!("hashing the token: {e}")))?
            .to_string();
        let created_at = now();
        let row = InsertToken {
            user_id: None,
            label,
            role: role.as_str(),
            operator,
            token_hash: &hash,
            created_at,
            revoked_at: None,
        };
        let id: i64 = with_conn!(&mut self.conn, |c| diesel::insert_into(api_tokens::table)
            .values(&row)
            .returning(api_tokens::id)
            .get_result(c))
        .doing(|| "storing the token".into())?;
        Ok(CreatedToken {
            token: format!("bianca_{id}_{secret}"),
            info: TokenInfo {
                id,
                label: label.to_string(),
                role,
                operator: operator.map(str::to_string),
                created_at,
                revoked_at: None,
            },
        })
    }

    fn token_rows(&mut self, id: Option<i64>) -> Result<Vec<TokenRow>> {
        with_conn!(&mut self.conn, |c| {
            let mut q = api_tokens::table
                .select((
                    api_tokens::id,
                    api_tokens::label,
                    api_tokens::role,
                    api_tokens::operator,
                    api_tokens::token_hash,
                    api_tokens::created_at,
                    api_tokens::revoked_at,
                ))
                .order(api_tokens::id)
                .into_boxed();
            if let Some(id) = id {
                q = q.filter(api_tokens::id.eq(id));
            }
            q.load(c)
        })
        .doing(|| "reading the API tokens".into())
    }

    /// Every token, revoked ones included, oldest first.
    pub fn tokens(&mut self) -> Result<Vec<TokenInfo>> {
        self.token_rows(None)?.iter().map(info_of).collect()
    }

    /// Revokes a token: from now on it is refused.
    pub fn revoke_token(&mut self, id: i64) -> Result<TokenInfo> {
        let at = now();
        let n = with_conn!(&mut self.conn, |c| diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(id))
                .filter(api_tokens::revoked_at.is_null())
        )
        .set(api_tokens::revoked_at.eq(Some(at)))
        .execute(c))
        .doing(|| format!("revoking token {id}"))?;
        let rows = self.token_rows(Some(id))?;
        let Some(row) = rows.first() else {
            return Err(StoreError::NotFound {
                kind: "token",
                name: id.to_string(),
                hint: super::error::Hint(String::new()),
            });
        };
        if n == 0 && row.6.is_none() {
            return Err(StoreError::Invalid(format!(
                "token {id} could not be revoked"
            )));
        }
        info_of(row)
    }

    /// The stored side of a token: its description and hash, for [`check_token`]; `None`
    /// for a malformed, unknown or revoked token. One indexed read: the costly argon2 check
    /// is left to the caller, so that it need not hold the store meanwhile.
    pub fn token_for(&mut self, token: &str) -> Result<Option<StoredToken>> {
        let Some((id, _)) = parse_token(token) else {
            return Ok(None);
        };
        let rows = self.token_rows(Some(id))?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        if row.6.is_some() {
            return Ok(None);
        }
        Ok(Some(StoredToken {
            info: info_of(row)?,
            hash: row.4.clone(),
        }))
    }

    /// [`Store::token_for`] then [`check_token`]: the token's description if `token` is a
    /// live token of this store.
    pub fn verify_token(&mut self, token: &str) -> Result<Option<TokenInfo>> {
        match self.token_for(token)? {
            Some(stored) => check_token(&stored, token),
            None => Ok(None),
        }
    }
}

/// A token as stored: what [`check_token`] needs.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub info: TokenInfo,
    hash: String,
}

/// True when `token` has the shape of a bianca token (`bianca_<id>_<64 hex digits>`): other
/// strings need no lookup at all.
pub fn well_formed(token: &str) -> bool {
    parse_token(token).is_some()
}

/// Checks `token`'s secret against the stored hash (argon2id, tens of milliseconds).
pub fn check_token(stored: &StoredToken, token: &str) -> Result<Option<TokenInfo>> {
    let Some((id, secret)) = parse_token(token) else {
        return Ok(None);
    };
    if id != stored.info.id {
        return Ok(None);
    }
    let Ok(hash) = PasswordHash::new(&stored.hash) else {
        return Err(StoreError::Corrupt {
            table: "api_tokens",
            row: id,
            message: "the token hash is not a PHC string".into(),
        });
    };
    Ok(Argon2::default()
        .verify_password(secret.as_bytes(), &hash)
        .is_ok()
        .then(|| stored.info.clone()))
}

#[cfg(test)]
mod tests {
    use super::parse_token;

    #[test]
    fn tokens_parse_only_in_their_exact_shape() {
        let secret = "ab".repeat(32);
        assert_eq!(
            parse_token(&format!("bianca_12_{secret}")),
            Some((12, secret.as_str()))
        );
        assert_eq!(parse_token(&format!("bianca_x_{secret}")), None);
        assert_eq!(parse_token(&format!("bianca_12_{}", &secret[1..])), None);
        assert_eq!(parse_token(&format!("other_12_{secret}")), None);
        assert_eq!(parse_token("bianca_12"), None);
        assert_eq!(parse_token(&format!("bianca_12_{}zz", &secret[2..])), None);
    }
}
