//! Real OS users for a test: a group and users made with `useradd` (removed when the test
//! ends, even when it fails), homes with their own SSH keys, and commands run as them.

use std::path::PathBuf;
use std::process::Command;

/// Root is needed to make users; locally without it the test says so loudly and does not
/// run; under CI (`CI` set, as `.ci/run` sets it) it fails instead.
pub fn as_root() -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        let msg = "not root: the test as several OS users did NOT run";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        eprintln!("\n!!!!!!!!!! {msg} !!!!!!!!!!\n");
    }
    root
}

/// A group and users made for one test, removed when it ends (even when it fails).
pub struct Users {
    pub group: String,
    users: Vec<String>,
}

impl Users {
    pub fn create(tag: &str, members: &[&str], strangers: &[&str]) -> Self {
        let id = std::process::id() % 100_000;
        let group = format!("wr{tag}{id}");
        let run = |args: &[&str]| {
            let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        run(&["groupadd", &group]);
        let mut users = Vec::new();
        for (name, member) in members
            .iter()
            .map(|m| (m, true))
            .chain(strangers.iter().map(|s| (s, false)))
        {
            let user = format!("wr{name}{id}");
            let mut args = vec!["useradd", "-M", "-N", "-s", "/bin/sh"];
            if member {
                args.extend(["-G", &group]);
            }
            args.push(&user);
            run(&args);
            users.push(user);
        }
        Self { group, users }
    }

    pub fn user(&self, name: &str) -> String {
        let id = std::process::id() % 100_000;
        format!("wr{name}{id}")
    }
}

impl Users {
    /// `name`'s home (`/home/USER`, as useradd named it), made with their `.ssh` in it.
    pub fn home(&self, name: &str) -> PathBuf {
        let user = self.user(name);
        let home = PathBuf::from(format!("/home/{user}"));
        let ssh = home.join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        for d in [&home, &ssh] {
            let out = Command::new("chown").arg(&user).arg(d).output().unwrap();
            assert!(out.status.success(), "{out:?}");
        }
        std::fs::set_permissions(&ssh, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        home
    }

    /// A new Ed25519 key of `name`'s, made by ssh-keygen as them: the private key's path
    /// and the public key's line.
    pub fn key(&self, name: &str, file: &str) -> (PathBuf, String) {
        let path = self.home(name).join(".ssh").join(file);
        let (ok, out) = as_user(
            &self.user(name),
            &[
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                &format!("{name}@laptop"),
                "-f",
                path.to_str().unwrap(),
            ],
        );
        assert!(ok, "{out}");
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (path, public.trim().to_owned())
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for u in &self.users {
            // userdel refuses a user with a process still running (an ssh-agent, a watcher
            // on its way out): those go first, and it is asked again until it is done.
            let _ = Command::new("pkill").args(["-KILL", "-u", u]).output();
            for _ in 0..20 {
                let gone = Command::new("userdel")
                    .arg(u)
                    .output()
                    .is_ok_and(|o| o.status.success());
                if gone {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = std::fs::remove_dir_all(format!("/home/{u}"));
        }
        let _ = Command::new("groupdel").arg(&self.group).output();
    }
}

/// `cmd` as `user`: its exit status and what it printed.
pub fn as_user(user: &str, cmd: &[&str]) -> (bool, String) {
    let out = Command::new("runuser")
        .args(["-u", user, "--"])
        .args(cmd)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
