//! A request's audit ID in 16 bytes: the API server's IDs are UUIDs, read
//! as the number they write; any other ID (a client may send its own in
//! the `Audit-ID` header) is the first 16 bytes of its SHA-256, so that two
//! IDs stand for one request only if they are the same.

use sha2::{Digest, Sha256};

/// A request's audit ID, compact: the tally keeps one per request it read.
/// Two words rather than a `u128`, for 8-byte alignment in its tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuditId(u64, u64);

impl AuditId {
    /// The ID of an event's `auditID`.
    pub fn of(id: &str) -> AuditId {
        match uuid(id.as_bytes()) {
            Some(n) => AuditId((n >> 64) as u64, n as u64),
            None => {
                let digest = Sha256::digest(id.as_bytes());
                let mut high = [0u8; 8];
                let mut low = [0u8; 8];
                high.copy_from_slice(&digest[..8]);
                low.copy_from_slice(&digest[8..16]);
                AuditId(u64::from_be_bytes(high), u64::from_be_bytes(low))
            }
        }
    }
}

/// The number a UUID (`8-4-4-4-12` hex digits, either case) writes.
fn uuid(text: &[u8]) -> Option<u128> {
    if text.len() != 36 {
        return None;
    }
    let mut n: u128 = 0;
    for (i, &c) in text.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        n = (n << 4) | u128::from(digit);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_read_as_numbers_and_other_ids_hashed() {
        let a = AuditId::of("ad209ce1-9e24-4c34-9c35-f8aa61d4f2a4");
        assert_eq!(a, AuditId(0xad209ce19e244c34, 0x9c35f8aa61d4f2a4));
        assert_eq!(a, AuditId::of("AD209CE1-9E24-4C34-9C35-F8AA61D4F2A4"));
        assert_ne!(a, AuditId::of("ad209ce1-9e24-4c34-9c35-f8aa61d4f2a5"));
        let other = AuditId::of("my-request-1");
        assert_eq!(other, AuditId::of("my-request-1"));
        assert_ne!(other, AuditId::of("my-request-2"));
        // Not quite a UUID: hashed, not misread.
        assert_ne!(
            AuditId::of("ad209ce1x9e24-4c34-9c35-f8aa61d4f2a4"),
            AuditId::of("ad209ce1-9e24-4c34-9c35-f8aa61d4f2a4")
        );
        assert!(uuid(b"ad209ce1-9e24-4c34-9c35-f8aa61d4f2ag").is_none());
    }
}
