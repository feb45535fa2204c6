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

/// Creates `path` (and its parents) if missing; on Unix the folder itself is made
/// readable, writable and enterable by its owner only (0700), also when it already existed.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
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
}
