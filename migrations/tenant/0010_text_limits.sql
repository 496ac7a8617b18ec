-- Every text column a person fills in has a length limit (issue 9): the same numbers as
-- Sources/KerbCore/FieldLimits.swift, which the form parser, the API, the pages' maxlength and
-- the OpenAPI document's maxLength follow (a test holds them together). Constraints are named
-- <table>_<column>_length. NOT VALID: rows already stored are kept as they are (no personal data
-- is silently cut); every new or changed row is checked.

ALTER TABLE users
    ADD CONSTRAINT users_full_name_length CHECK (char_length(full_name) <= 200) NOT VALID,
    ADD CONSTRAINT users_email_length CHECK (char_length(email) <= 254) NOT VALID;

ALTER TABLE people
    ADD CONSTRAINT people_full_name_length CHECK (char_length(full_name) <= 200) NOT VALID,
    ADD CONSTRAINT people_email_length CHECK (char_length(email) <= 254) NOT VALID,
    ADD CONSTRAINT people_address_line1_length CHECK (char_length(address_line1) <= 200) NOT VALID,
    ADD CONSTRAINT people_address_line2_length CHECK (char_length(address_line2) <= 200) NOT VALID,
    ADD CONSTRAINT people_town_length CHECK (char_length(town) <= 100) NOT VALID,
    ADD CONSTRAINT people_postcode_length CHECK (char_length(postcode) <= 16) NOT VALID,
    ADD CONSTRAINT people_phone_length CHECK (char_length(phone) <= 40) NOT VALID;

ALTER TABLE representatives
    ADD CONSTRAINT representatives_full_name_length CHECK (char_length(full_name) <= 200) NOT VALID,
    ADD CONSTRAINT representatives_contact_length CHECK (char_length(contact) <= 500) NOT VALID;

ALTER TABLE access_groups
    ADD CONSTRAINT access_groups_name_length CHECK (char_length(name) <= 100) NOT VALID,
    ADD CONSTRAINT access_groups_description_length CHECK (char_length(description) <= 500) NOT VALID;

ALTER TABLE teams
    ADD CONSTRAINT teams_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE user_teams
    ADD CONSTRAINT user_teams_team_length CHECK (char_length(team) <= 100) NOT VALID;

ALTER TABLE api_keys
    ADD CONSTRAINT api_keys_name_length CHECK (char_length(name) <= 100) NOT VALID;

ALTER TABLE applications
    ADD CONSTRAINT applications_team_length CHECK (char_length(team) <= 100) NOT VALID,
    ADD CONSTRAINT applications_existing_badge_length CHECK (char_length(existing_badge) <= 20) NOT VALID,
    ADD CONSTRAINT applications_assessment_length CHECK (char_length(assessment) <= 5000) NOT VALID;

ALTER TABLE policy_versions
    ADD CONSTRAINT policy_versions_reason_length CHECK (char_length(reason) <= 1000) NOT VALID;

ALTER TABLE enforcement_cases
    ADD CONSTRAINT enforcement_cases_reported_badge_length CHECK (char_length(reported_badge) <= 20) NOT VALID,
    ADD CONSTRAINT enforcement_cases_location_length CHECK (char_length(location) <= 500) NOT VALID,
    ADD CONSTRAINT enforcement_cases_vehicle_registration_length CHECK (char_length(vehicle_registration) <= 20) NOT VALID,
    ADD CONSTRAINT enforcement_cases_reported_by_length CHECK (char_length(reported_by) <= 200) NOT VALID,
    ADD CONSTRAINT enforcement_cases_observation_length CHECK (char_length(observation) <= 5000) NOT VALID,
    ADD CONSTRAINT enforcement_cases_outcome_rationale_length CHECK (char_length(outcome_rationale) <= 5000) NOT VALID;

ALTER TABLE application_notes
    ADD CONSTRAINT application_notes_body_length CHECK (char_length(body) <= 5000) NOT VALID;

ALTER TABLE decisions
    ADD CONSTRAINT decisions_rationale_length CHECK (char_length(rationale) <= 5000) NOT VALID;

ALTER TABLE reviews
    ADD CONSTRAINT reviews_rationale_length CHECK (char_length(rationale) <= 5000) NOT VALID;

ALTER TABLE enforcement_evidence
    ADD CONSTRAINT enforcement_evidence_description_length CHECK (char_length(description) <= 5000) NOT VALID;

ALTER TABLE evidence_items
    ADD CONSTRAINT evidence_items_kind_length CHECK (char_length(kind) <= 200) NOT VALID;

ALTER TABLE letter_templates
    ADD CONSTRAINT letter_templates_body_length CHECK (char_length(body) <= 20000) NOT VALID;
