//! Where Rollcall keeps its profiles, cache and logs: one directory, chosen once at start-up
//! and passed down, so tests and demo mode never touch a user's real data. It holds personal
//! data, so it is created readable by its owner only (0700 on Unix) and, on Windows, in the
//! local (not roaming) application data folder.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory (after `--data-dir`).
pub const DATA_DIR_ENV: &str = "ROLLCALL_DATA_DIR";

/// Whether the app runs against the built-in demo tenant or a real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Real,
    Demo,
}

/// The resolved data directory. Demo mode always lives in a `demo` folder of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "Rollcall could not find a folder for its data on this computer (no home folder). Start it with --data-dir FOLDER, or set {DATA_DIR_ENV}."
    )]
    NoHome,
    #[error(
        "Rollcall could not create its data folder {path}: {source}. Check that the folder is writable, or choose another with --data-dir."
    )]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DataDir {
    /// Picks the data directory: `explicit` (from `--data-dir`) first, then the
    /// `ROLLCALL_DATA_DIR` environment variable, then the operating system's usual place for
    /// application data. In demo mode a `demo` folder inside it is used instead.
    pub fn resolve(explicit: Option<&Path>, mode: Mode) -> Result<DataDir, DataDirError> {
        let from_env = std::env::var_os(DATA_DIR_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        let base = match (explicit, from_env) {
            (Some(path), _) => path.to_path_buf(),
            (None, Some(path)) => path,
            (None, None) => directories::ProjectDirs::from("app", "Rollcall", "Rollcall")
                .map(|dirs| dirs.data_local_dir().to_path_buf())
                .ok_or(DataDirError::NoHome)?,
        };
        Ok(DataDir::at(base, mode))
    }

    /// A data directory rooted at `base` (demo mode: `base/demo`).
    pub fn at(base: PathBuf, mode: Mode) -> DataDir {
        let root = match mode {
            Mode::Real => base,
            Mode::Demo => base.join("demo"),
        };
        DataDir { root }
    }

    /// Creates the directory (and its parents) if it does not exist yet, owner-only.
    pub fn ensure(&self) -> Result<&Path, DataDirError> {
        create_private_dir(&self.root).map_err(|source| DataDirError::Create {
            path: self.root.clone(),
            source,
        })?;
        Ok(&self.root)
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The folder holding one TOML file per integration.
    pub fn profiles(&self) -> PathBuf {
        self.root.join("profiles")
    }

    /// The webview's own storage (kept inside the data directory so demo and test runs
    /// never share it with real use).
    pub fn webview(&self) -> PathBuf {
        self.root.join("webview")
    }

    /// The folder of the run locks, one file per connection (`locks/<name>.lock`).
    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// The folder for log files.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
}

/// Creates `path` (and its parents) if missing; on Unix every folder it creates, and the
/// folder itself also when it already existed, is readable, writable and enterable by its
/// owner only (0700).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    restrict(path, 0o700)
}

/// Opens `path` for writing, emptied, and created (or, when it already existed, made)
/// readable and writable by its owner only (0600 on Unix). Every file Rollcall writes with
/// personal data in it goes through here, [`keep_private_file`] or [`keep_private_database`].
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let file = private_options().truncate(true).open(path)?;
    restrict(path, 0o600)?;
    Ok(file)
}

/// Makes sure the SQLite database `path` exists without changing what it holds, and that it
/// and its `-wal` and `-shm` files are readable and writable by their owner only (0600 on
/// Unix). SQLite creates those two with the database's own permissions, so they stay private.
pub fn keep_private_database(path: &Path) -> std::io::Result<()> {
    keep_private_file(path)?;
    for companion in database_companions(path) {
        if companion.exists() {
            keep_private_file(&companion)?;
        }
    }
    Ok(())
}

/// Makes sure `path` exists without changing what it holds, readable and writable by its
/// owner only (0600 on Unix): for a file another library goes on to fill (a log file).
pub fn keep_private_file(path: &Path) -> std::io::Result<()> {
    private_options().open(path)?;
    restrict(path, 0o600)
}

/// The `-wal` and `-shm` files SQLite keeps beside the database `path`.
pub fn database_companions(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    })
}

fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_directory_wins_and_demo_is_kept_apart() {
        let base = tempfile::tempdir().unwrap();
        let real = DataDir::resolve(Some(base.path()), Mode::Real).unwrap();
        let demo = DataDir::resolve(Some(base.path()), Mode::Demo).unwrap();
        assert_eq!(real.path(), base.path());
        assert_eq!(demo.path(), base.path().join("demo"));
        assert!(!demo.profiles().starts_with(real.profiles()));
    }

    #[test]
    fn ensure_creates_the_folder() {
        let base = tempfile::tempdir().unwrap();
        let dir = DataDir::at(base.path().join("a").join("b"), Mode::Demo);
        assert!(!dir.path().exists());
        dir.ensure().unwrap();
        assert!(dir.path().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_folders_are_owner_only_even_when_they_existed() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let base = tempfile::tempdir().unwrap();
        let nested = base.path().join("a").join("b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&base.path().join("a")), 0o700, "a parent it created");
        assert_eq!(mode(&nested), 0o700);

        let open = nested.join("open.csv");
        std::fs::write(&open, "old, longer text").unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        {
            use std::io::Write;
            let mut file = create_private_file(&open).unwrap();
            file.write_all(b"new").unwrap();
        }
        assert_eq!(mode(&open), 0o600);
        assert_eq!(std::fs::read_to_string(&open).unwrap(), "new");

        let kept = nested.join("kept.sqlite3");
        let [wal, _] = database_companions(&kept);
        for file in [&kept, &wal] {
            std::fs::write(file, "contents").unwrap();
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o664)).unwrap();
        }
        keep_private_database(&kept).unwrap();
        assert_eq!(mode(&kept), 0o600);
        assert_eq!(mode(&wal), 0o600);
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "contents");
        keep_private_database(&nested.join("new.sqlite3")).unwrap();
        assert_eq!(mode(&nested.join("new.sqlite3")), 0o600);
    }
}
