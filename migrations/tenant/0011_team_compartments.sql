-- Team compartments (issue 9, item 10). Every case belongs to a team, so a person whose access
-- groups confine them to their own teams can be shown exactly their teams' cases and nothing of
-- the rest. Each council gets a default team, which takes in every case that had no team and
-- every new case nobody put in another; the code names it too (`CaseService.defaultTeam`).
INSERT INTO teams (name) VALUES ('General casework') ON CONFLICT (name) DO NOTHING;

UPDATE applications SET team = 'General casework' WHERE team IS NULL;

ALTER TABLE applications
    ALTER COLUMN team SET DEFAULT 'General casework',
    ALTER COLUMN team SET NOT NULL;

-- Work queues, search and the figures are read per team.
CREATE INDEX applications_team ON applications (team, status);
