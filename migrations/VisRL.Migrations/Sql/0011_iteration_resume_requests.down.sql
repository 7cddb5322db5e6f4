-- 0011 down: iteration_resume_requests.
DROP TABLE iteration_resume_requests;
