-- The panoramic monitor (web pages): today's resolved cases by resolved_at;
-- the working cases by status with what the overview groups by (lead
-- department, light, deadline) so that it reads the index alone; and the
-- overdue list by status and deadline.
CREATE INDEX cases_resolved ON cases (resolved_at);
CREATE INDEX cases_working ON cases (status, lead_dept, light, deadline);
CREATE INDEX cases_status_deadline ON cases (status, deadline);
