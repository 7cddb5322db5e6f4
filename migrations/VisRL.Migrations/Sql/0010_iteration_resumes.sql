-- 0010 iteration resumes: a failed iteration can be taken up again where it stopped (`visrl run
-- retry`, ResumeIteration). iterations.resumes counts how often; each resume gives the round's failed
-- batches a fresh maxBatchAttempts, so a batch's attempt numbers keep rising and a late answer of an
-- old attempt still changes nothing.
ALTER TABLE iterations ADD COLUMN resumes integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN iterations.resumes IS 'How often the failed iteration was resumed (visrl run retry); a batch may use maxBatchAttempts × (resumes + 1) attempts.';
