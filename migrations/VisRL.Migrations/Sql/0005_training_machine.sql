-- 0005 training machine: where each training job last ran (CPU, vector kernels, libtorch, threads,
-- device). The same plan trains to the same weights on one machine and to slightly different ones
-- with other kernels or thread counts, so results are compared knowing where they came from.
ALTER TABLE training_jobs ADD COLUMN machine_json jsonb NOT NULL DEFAULT '{}';
