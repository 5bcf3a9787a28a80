//! Which kinds of a snapshot are incomplete, and why: the kinds a live scan
//! could not list, and those deliberately not collected.

use serde::{Deserialize, Serialize};

use super::kind::Kind;

/// Which kinds of a snapshot are incomplete, and why. A snapshot from files
/// is taken as complete unless the file says otherwise (a partial
/// `rbacscan dump`); a live scan records every list it could not finish.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// One entry per kind that could not be read, sorted by kind.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Kinds deliberately not collected (Secrets, unless asked for). They do
    /// not make a scan partial: the analysis says what it cannot tell
    /// without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_listed: Vec<Kind>,
}

impl Coverage {
    /// Whether every kind was read completely.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }

    /// Whether objects of `kind` were read completely.
    pub fn has(&self, kind: Kind) -> bool {
        self.gap(kind).is_none() && self.listed(kind)
    }

    /// Whether objects of `kind` were asked for at all.
    pub fn listed(&self, kind: Kind) -> bool {
        !self.not_listed.contains(&kind)
    }

    /// Records that objects of `kind` were deliberately not collected.
    pub fn skip(&mut self, kind: Kind) {
        if self.listed(kind) {
            self.not_listed.push(kind);
            self.not_listed.sort();
        }
    }

    /// Why `kind` could not be read, if it could not.
    pub fn gap(&self, kind: Kind) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.kind == kind)
    }

    /// Records a kind that could not be read; the first reason given for a
    /// kind is kept.
    pub fn add(&mut self, gap: Gap) {
        if self.gap(gap.kind).is_none() {
            self.gaps.push(gap);
            self.gaps.sort_by_key(|g| g.kind);
        }
    }
}

/// A kind that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The kind.
    pub kind: Kind,
    /// Why, as a stable code.
    pub reason: GapReason,
    /// What the server (or the client) said, in one line.
    pub message: String,
}

/// Why a kind could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GapReason {
    /// The server refused the list (403): the credentials lack `list` on it.
    Forbidden,
    /// The list failed for another reason (server errors after retries, the
    /// deadline, an unexpected response).
    Failed,
}

impl GapReason {
    /// The stable code, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Forbidden => "forbidden",
            GapReason::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(kind: Kind, message: &str) -> Gap {
        Gap {
            kind,
            reason: GapReason::Forbidden,
            message: message.into(),
        }
    }

    #[test]
    fn coverage_keeps_one_gap_per_kind_in_kind_order() {
        let mut c = Coverage::default();
        assert!(c.is_complete());
        c.add(gap(Kind::Pod, "first"));
        c.add(gap(Kind::ClusterRole, "x"));
        c.add(gap(Kind::Pod, "second"));
        assert!(!c.is_complete());
        assert_eq!(c.gaps.len(), 2);
        assert_eq!(c.gaps[0].kind, Kind::ClusterRole);
        assert_eq!(c.gap(Kind::Pod).unwrap().message, "first");
        assert!(c.has(Kind::Role) && !c.has(Kind::Pod));
    }

    #[test]
    fn kinds_not_listed_are_not_read_but_not_a_gap() {
        let mut c = Coverage::default();
        c.skip(Kind::Secret);
        c.skip(Kind::Secret);
        assert!(c.is_complete());
        assert!(!c.has(Kind::Secret) && !c.listed(Kind::Secret));
        assert_eq!(c.not_listed, [Kind::Secret]);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"gaps":[],"notListed":["Secret"]}"#);
    }
}
