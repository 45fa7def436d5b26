//! One real Slurm cluster per test or bench binary: Debian's slurmctld and two slurmd on
//! 127.0.0.1 with fake GPUs (n1: gpu:1, n2: gpu:tesla:2). The one the test command
//! started (`SLURM_TEST_DIR`), else one started here by `scripts/slurm-up` and stopped
//! when the binary exits: at exit when it ends normally (failed tests included), and by
//! a watcher that sees our end of a pipe close when it is killed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub struct Cluster {
    pub conf: PathBuf,
}

/// The cluster this binary started (stopped at exit), if it started one.
static STARTED: OnceLock<PathBuf> = OnceLock::new();

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

extern "C" fn stop_cluster() {
    if let Some(dir) = STARTED.get() {
        let down = std::process::Command::new(repo().join("scripts/slurm-down"))
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .output();
        if let Ok(out) = down
            && !out.status.success()
        {
            eprintln!(
                "slurm-down {} failed: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::remove_dir_all(dir).ok();
    }
}

pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        if let Some(dir) = std::env::var_os("SLURM_TEST_DIR") {
            let conf = Path::new(&dir).join("slurm.conf");
            assert!(
                conf.is_file(),
                "SLURM_TEST_DIR={} has no slurm.conf: start it with scripts/slurm-up DIR",
                conf.display()
            );
            return Cluster { conf };
        }
        let dir = std::env::temp_dir().join(format!("slate-slurm-{}", std::process::id()));
        STARTED.set(dir.clone()).expect("one cluster per binary");
        assert!(
            slate::platform::at_exit(stop_cluster),
            "could not register the cluster's stop"
        );
        // Never waited for: it must outlive this process, to stop the cluster after it.
        #[allow(clippy::zombie_processes)]
        let watcher = std::process::Command::new("sh")
            .args(["-c", r#"cat >/dev/null; exec "$0" "$1" >/dev/null 2>&1"#])
            .arg(repo().join("scripts/slurm-down"))
            .arg(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh for the cluster's watcher");
        // Its stdin stays open for the life of the process; the kernel closes it at the end.
        std::mem::forget(watcher);
        let up = std::process::Command::new(repo().join("scripts/slurm-up"))
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("scripts/slurm-up");
        assert!(
            up.status.success(),
            "a real Slurm cluster is needed (Debian's munge slurmctld slurmd slurm-client, root to start them): scripts/slurm-up failed:\n{}{}",
            String::from_utf8_lossy(&up.stdout),
            String::from_utf8_lossy(&up.stderr)
        );
        Cluster {
            conf: dir.join("slurm.conf"),
        }
    })
}
