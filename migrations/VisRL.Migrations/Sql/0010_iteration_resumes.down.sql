-- 0010 down: iterations.resumes.
ALTER TABLE iterations DROP COLUMN resumes;
