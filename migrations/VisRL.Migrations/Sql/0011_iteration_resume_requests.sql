-- 0011 resume requests: each ResumeIteration (`visrl run retry`) a failed iteration received, with the
-- config changes it asked for (`--set`, `--config`). Applied changes are written over the iteration's
-- config (and its run's, for the iterations after it); config_before_json keeps what the iteration had
-- used until then, so the record of every setting a run used stays whole. A request whose changes touch
-- what the iteration has used already is refused: the row holds the reason, and nothing else changes.
CREATE TABLE iteration_resume_requests (
    id uuid NOT NULL,
    iteration_id uuid NOT NULL,
    resume integer NOT NULL,
    changes_json jsonb,
    changed text[] NOT NULL,
    config_before_json jsonb NOT NULL,
    refusal text,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_iteration_resume_requests PRIMARY KEY (id),
    CONSTRAINT fk_iteration_resume_requests_iterations_iteration_id FOREIGN KEY (iteration_id) REFERENCES iterations (id) ON DELETE CASCADE
);
CREATE INDEX ix_iteration_resume_requests_iteration_id ON iteration_resume_requests (iteration_id);

COMMENT ON TABLE iteration_resume_requests IS 'Each request to resume a failed iteration (visrl run retry) and its config changes: applied (refusal null; resume = the resume it made) or refused with the reason.';
COMMENT ON COLUMN iteration_resume_requests.changed IS 'The settings the changes altered, as paths (thresholds.minBox).';
