DROP TABLE IF EXISTS pairs, pair_sets, scores, candidates, batches, work_failures, training_metrics,
    training_jobs, evaluations, iterations, runs, items, datasets, checkpoints, probes;
