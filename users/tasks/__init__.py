"""The job engine: tasks that users start and RQ workers run.

- `kinds`: what the engine asks each kind of task (registered by the app that runs its jobs);
- `services`: the state machine, the waiting line and the live update of each transition;
- `controls`: cancel, retry, and failing a task from outside its job;
- `progress`: a running job's progress reports;
- `exceptions`: why a job must stop, why a task cannot move as asked;
- `updates`: the task JSON's one definition (`TaskUpdate`) and the group it is sent to;
- `selectors`: task reads, among them the task JSON (`task_update_message`);
- `watchdog`: heartbeats and the tasks that can no longer end by themselves;
- `worker`: the RQ worker class (settings.RQ["WORKER_CLASS"]);
- `views`, `urls`: /result/ (mounted there by project/urls.py) and the operations page,
  drawn by `operations` and `charts`; `metrics`: the tasks' Prometheus metrics.

The Task model is `users.models.Task` (the migrations find it there)."""
