//! `slate cluster status`: the Slurm cluster Slate submits to — its partitions, nodes
//! (state, CPUs, memory, GPUs) and this user's jobs.

use clap::Subcommand;

use crate::cli::{Failure, Global, paths, print_json, settings_for};

#[derive(Subcommand, Debug)]
pub enum ClusterCmd {
    /// Partitions, nodes with their CPUs, memory and GPUs, and your jobs.
    Status {},
}

pub fn cluster(global: &Global, cmd: ClusterCmd) -> Result<(), Failure> {
    let settings = settings_for(&paths(global));
    match cmd {
        ClusterCmd::Status {} => {
            let status = crate::client::machine::cluster_status(&settings)?;
            if global.json {
                print_json(&status);
                return Ok(());
            }
            crate::say!("controller: {}", status.controller);
            crate::say!("\npartitions:");
            for p in &status.partitions {
                crate::say!(
                    "  {:<12} {:<6} {} ({}), {}, max time {}{}",
                    p.name,
                    p.state,
                    crate::util::count(p.total_nodes as usize, "node"),
                    p.nodes,
                    crate::util::count(p.total_cpus as usize, "CPU"),
                    p.max_time,
                    if p.default { ", default" } else { "" }
                );
            }
            crate::say!("\nnodes:");
            for n in &status.nodes {
                crate::say!(
                    "  {:<12} {:<10} CPUs {}/{} used, memory {}/{} MB, GPUs {}/{} used{}{}",
                    n.name,
                    n.state,
                    n.alloc_cpus,
                    n.cpus,
                    n.alloc_memory_mb,
                    n.memory_mb,
                    n.gpus_used,
                    n.gpus,
                    if n.gres.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", n.gres)
                    },
                    if n.reason.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", n.reason)
                    }
                );
            }
            crate::say!("\nyour jobs:");
            if status.jobs.is_empty() {
                crate::say!("  none");
            }
            for j in &status.jobs {
                crate::say!(
                    "  {:<8} {:<16} {:<14} {}{}",
                    j.job_id,
                    j.name,
                    j.state.name(),
                    if j.nodes.is_empty() {
                        "-".to_string()
                    } else {
                        j.nodes.clone()
                    },
                    j.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
