-- Creates Kerb's database and its two login roles. Run once per cluster by a superuser
-- (infra/lib/pg.sh does it for the embedded cluster; a DBA does it in production).
--   kerb_admin  owns the database and the control plane, creates tenant roles and schemas,
--               runs migrations (as each tenant's owner role). NOINHERIT: it reaches a tenant
--               schema only by SET ROLE. Alone may write kerb_control.audit_anchors. CREATEDB:
--               backups are proved by restoring them into a scratch database it then drops.
--   kerb_app    the web process. Owns nothing; NOINHERIT member of each tenant's request role
--               (never its owner), so every tenant query must first switch role (TenantDatabase
--               does it per transaction) and no request can alter what the owner made.
-- psql variables: admin_password, app_password.
\set ON_ERROR_STOP on
CREATE ROLE kerb_admin LOGIN NOINHERIT CREATEROLE CREATEDB PASSWORD :'admin_password';
CREATE ROLE kerb_app LOGIN NOINHERIT PASSWORD :'app_password';
CREATE DATABASE kerb OWNER kerb_admin ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE kerb FROM PUBLIC;
GRANT CONNECT ON DATABASE kerb TO kerb_app;
\connect kerb
-- No shared playground: a tenant role must see nothing but its own schema.
DROP SCHEMA public;
-- Extensions live in their own schema, readable by all (used by casework search).
CREATE SCHEMA kerb_ext AUTHORIZATION kerb_admin;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA kerb_ext;
GRANT USAGE ON SCHEMA kerb_ext TO PUBLIC;
