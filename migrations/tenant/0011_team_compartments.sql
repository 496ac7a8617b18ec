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

-- An NI number is one person's. Entering it again is refused, naming the clash, to someone who
-- can see the record that holds it. Someone confined to other teams must not learn that the
-- number is on another team's books (a refusal would tell them) nor see that record (attaching
-- to it would show it), so their entry is kept as typed and linked here to the record holding
-- the number, for those who see both to reconcile. The link can only name a record with the
-- same NI number (the composite foreign key), and one record per number is unlinked.
ALTER TABLE people ADD CONSTRAINT people_id_nino UNIQUE (id, nino);
ALTER TABLE people
    ADD COLUMN same_nino_as uuid,
    ADD CONSTRAINT people_same_nino_as FOREIGN KEY (same_nino_as, nino) REFERENCES people (id, nino),
    ADD CONSTRAINT people_same_nino_as_other CHECK (same_nino_as IS NULL OR (nino IS NOT NULL AND same_nino_as <> id));

DROP INDEX people_nino;
CREATE UNIQUE INDEX people_nino ON people (nino) WHERE nino IS NOT NULL AND same_nino_as IS NULL;
-- The duplicate check looks a number up among linked and unlinked records alike.
CREATE INDEX people_nino_any ON people (nino) WHERE nino IS NOT NULL;
