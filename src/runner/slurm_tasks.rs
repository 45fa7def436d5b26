//! The runner's side of Slurm tasks: what a job asks the cluster for, and finding the
//! jobs of a previous Slate again after a restart.

use std::path::PathBuf;

use super::exec::Launch;
use super::function::{Executor, FunctionTemplate};
use super::slurm::{self, Client, SlurmSpec};
use super::task::Task;
use super::{Actor, builtin, recover_lost, studio_tag};
use crate::events::Event;

impl Actor {
    /// The job's request for a task that runs on Slurm (`None` for other executors):
    /// the template's fields first, then Settings, then the task's resources.
    pub(super) fn slurm_spec(
        &self,
        t: &Task,
        template: &FunctionTemplate,
        launch: &Launch,
        project_dir: Option<PathBuf>,
    ) -> Option<SlurmSpec> {
        let Executor::Slurm {
            partition,
            account,
            time_limit_min,
            gpus,
        } = &template.executor
        else {
            return None;
        };
        let settings = &self.settings.slurm;
        let or_setting = |v: &Option<String>, s: &str| {
            v.clone().or_else(|| (!s.is_empty()).then(|| s.to_string()))
        };
        let mut paths: Vec<PathBuf> = project_dir.into_iter().collect();
        if let Ok(dir) = builtin::function_dir(template, &self.paths.data_dir) {
            paths.push(dir);
        }
        Some(SlurmSpec {
            conf: settings.conf.clone(),
            partition: or_setting(partition, &settings.partition),
            account: or_setting(account, &settings.account),
            gpus: gpus.unwrap_or(u32::from(t.resources.gpu)),
            memory_mb: t.resources.memory_mb,
            cpus: t.resources.cpu,
            time_limit_min: time_limit_min.unwrap_or(launch.timeout.as_secs().div_ceil(60)),
            comment: slurm::comment_for(&studio_tag(&self.paths), t.id),
            shared_paths: settings.shared_paths.clone(),
            paths,
        })
    }

    /// After a restart: each Slurm task left active is found on the cluster (by the job
    /// id it recorded, or by its comment when Slate stopped between `sbatch` and saving
    /// the id) and followed again from where its log ends. A task whose job never reached
    /// the cluster is reconciled like a lost process. While the controller does not
    /// answer, the tasks say so and this runs again every few seconds.
    pub(super) async fn reconcile_slurm(&mut self) {
        let waiting: Vec<(Task, FunctionTemplate)> = self
            .tasks
            .values()
            .filter(|t| t.state.is_active() && !self.running.contains_key(&t.id))
            .filter_map(|t| {
                let f = self.registry.functions.get(&t.function)?;
                builtin::runs_on_slurm(f, t.executor.as_deref()).then(|| (t.clone(), f.clone()))
            })
            .collect();
        self.slurm_reconcile_pending = false;
        if waiting.is_empty() {
            return;
        }
        let client = Client::new(&self.settings.slurm.conf);
        let jobs = match client.my_jobs().await {
            Ok(jobs) => jobs,
            Err(e) => {
                self.slurm_reconcile_pending = true;
                for (mut t, _) in waiting {
                    let stage = format!("waiting for Slurm to re-attach: {e}");
                    if t.stage.as_deref() != Some(stage.as_str()) {
                        t.stage = Some(stage);
                        self.tasks.insert(t.id, t.clone());
                        self.sink.emit(Event::TaskUpdated { task: t });
                    }
                }
                return;
            }
        };
        let tag = studio_tag(&self.paths);
        let now = crate::util::now_ms();
        for (mut t, template) in waiting {
            // This attempt's job: the recorded one, else the newest with the task's
            // comment submitted since the attempt started (not an earlier attempt's).
            let since_s = t.started_ms.unwrap_or(0) / 1000;
            let job = t.slurm_job.clone().or_else(|| {
                jobs.iter()
                    .filter(|j| slurm::task_of(&j.comment, &tag) == Some(t.id))
                    .filter(|j| j.submit_time.is_none_or(|s| s + 1 >= since_s))
                    .max_by_key(|j| j.job_id.parse::<u64>().unwrap_or(0))
                    .map(|j| j.job_id.clone())
            });
            match job {
                Some(id) => {
                    t.slurm_job = Some(id.clone());
                    t.stage = Some(format!("re-attached to Slurm job {id}"));
                    self.commit(t.clone()).ok();
                    self.launch(&t, &template, Some(id));
                }
                None => {
                    recover_lost(&mut t, template.requeue_on_interrupt, now);
                    self.commit(t).ok();
                }
            }
        }
    }
}
