//! Backup-set ids: one id shared by the snapshots of the hosts of a cell (`--set`).

/// A new backup-set id: the UTC time and a random suffix (`20261127T120000Z-3f9a`).
pub fn new_backup_set_id() -> String {
    let stamp = crate::clock::utc_stamp();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let salt = (nanos ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}T{}Z-{salt:04x}", &stamp[..8], &stamp[8..])
}

/// Whether `id` is usable as a backup-set id (it becomes a tag `set:<id>`).
pub fn valid_backup_set_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_set_ids_are_valid_and_checked() {
        let id = new_backup_set_id();
        assert!(valid_backup_set_id(&id), "{id}");
        assert_eq!(id.len(), "20261127T120000Z-3f9a".len());
        assert!(valid_backup_set_id("cell-2026.11_a"));
        assert!(!valid_backup_set_id("a b"));
        assert!(!valid_backup_set_id(""));
        assert!(!valid_backup_set_id("x/y"));
    }
}
