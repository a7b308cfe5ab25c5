//! Which file system a project folder is on, from `/proc/self/mountinfo`: SQLite's WAL
//! mode needs shared memory that network file systems do not give two machines, so a
//! project there is refused before it is opened (store/project.rs).

use std::path::Path;

/// File system types whose locking or shared memory spans machines unreliably.
const NETWORK: [&str; 12] = ["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs", "lustre", "davfs"];

/// The network file system type `dir` lives on, if it is on one.
pub(super) fn network_fs_of(dir: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    fs_type_of(&table, &dir.to_string_lossy()).filter(|t| NETWORK.contains(&t.as_str()))
}

/// The type of the longest mount point in `mountinfo` that holds `path`.
fn fs_type_of(mountinfo: &str, path: &str) -> Option<String> {
    mountinfo
        .lines()
        .filter_map(|line| {
            // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the
            // mount point is field 5, the type follows the " - " separator.
            let (before, after) = line.split_once(" - ")?;
            let point = before.split(' ').nth(4)?.replace("\\040", " ");
            let fstype = after.split(' ').next()?.to_string();
            let inside = path == point || path.starts_with(&format!("{}/", point.trim_end_matches('/')));
            inside.then_some((point.len(), fstype))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fstype)| fstype)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_innermost_mount_names_the_file_system() {
        let table = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n\
                     40 22 0:35 / /mnt/share rw - nfs4 server:/export rw\n\
                     41 40 0:36 / /mnt/share/local\\040disk rw - ext4 /dev/sdb1 rw\n";
        assert_eq!(super::fs_type_of(table, "/home/ana/project").as_deref(), Some("ext4"));
        assert_eq!(super::fs_type_of(table, "/mnt/share/p").as_deref(), Some("nfs4"));
        assert_eq!(super::fs_type_of(table, "/mnt/shared").as_deref(), Some("ext4"));
        assert_eq!(super::fs_type_of(table, "/mnt/share/local disk/p").as_deref(), Some("ext4"));
        // This machine's own project folders are local.
        assert_eq!(super::network_fs_of(std::path::Path::new(".")), None);
    }
}
