//! Which Slate task owns a GPU process: a local task's process tree (its process
//! group, or an ancestor that is the task's process), or a container's task through
//! `/proc/PID/cgroup` → container id. Host PIDs, as NVML reports them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::task::TaskId;

/// A running task as the sampler needs to know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOwner {
    pub task: TaskId,
    pub pid: Option<u32>,
    pub container_id: Option<String>,
}

/// The task that owns `pid`, reading `/proc` under `proc_root` (normally `/proc`).
pub fn owner_of(proc_root: &Path, pid: u32, owners: &[TaskOwner]) -> Option<TaskId> {
    if owners.is_empty() {
        return None;
    }
    if owners.iter().any(|o| o.container_id.is_some())
        && let Ok(cgroup) = std::fs::read_to_string(proc_root.join(format!("{pid}/cgroup")))
        && let Some(id) = container_of(&cgroup)
        && let Some(o) = owners.iter().find(|o| {
            o.container_id
                .as_deref()
                .is_some_and(|c| c.starts_with(&id) || id.starts_with(c))
        })
    {
        return Some(o.task);
    }
    // Walk up the parent chain: a task's child, grandchild … all count as the task's.
    let mut p = pid;
    for _ in 0..64 {
        if let Some(o) = owners.iter().find(|o| o.pid == Some(p)) {
            return Some(o.task);
        }
        let Ok(stat) = std::fs::read_to_string(proc_root.join(format!("{p}/stat"))) else {
            return None;
        };
        let after = &stat[stat.rfind(')')? + 2..];
        let mut fields = after.split_whitespace();
        let ppid: u32 = fields.nth(1)?.parse().ok()?;
        let pgid: u32 = fields.next()?.parse().ok()?;
        if let Some(o) = owners.iter().find(|o| o.pid == Some(pgid)) {
            return Some(o.task);
        }
        if ppid <= 1 {
            return None;
        }
        p = ppid;
    }
    None
}

/// The 64-hex container id in a `/proc/PID/cgroup` file (cgroup v1 `/docker/<id>`,
/// v2 `docker-<id>.scope`, or containerd-style paths).
pub fn container_of(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.rsplit(':').next()?;
        path.split(['/', '-', '.'])
            .find(|part| part.len() == 64 && part.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_string)
    })
}

/// The process name from `/proc/PID/comm`.
pub fn process_name(proc_root: &Path, pid: u32) -> String {
    std::fs::read_to_string(proc_root.join(format!("{pid}/comm")))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_are_found_in_v1_and_v2_cgroups() {
        let id = "a".repeat(64);
        assert_eq!(
            container_of(&format!("12:memory:/docker/{id}\n")),
            Some(id.clone())
        );
        assert_eq!(
            container_of(&format!("0::/system.slice/docker-{id}.scope\n")),
            Some(id.clone())
        );
        assert_eq!(container_of("0::/user.slice/session-2.scope\n"), None);
    }

    #[test]
    fn a_child_of_a_task_process_belongs_to_the_task() {
        let me = std::process::id();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let owners = vec![TaskOwner {
            task: 7,
            pid: Some(me),
            container_id: None,
        }];
        assert_eq!(
            owner_of(Path::new(crate::platform::PROC_ROOT), child.id(), &owners),
            Some(7)
        );
        let others = vec![TaskOwner {
            task: 8,
            pid: Some(999_999),
            container_id: None,
        }];
        assert_eq!(
            owner_of(Path::new(crate::platform::PROC_ROOT), child.id(), &others),
            None
        );
        child.kill().ok();
        child.wait().ok();
    }
}
