-- One database, one schema per service (ARCHITECTURE.md), and least privilege on it: run by psql as a superuser,
-- once per database (compose runs it on first start, from /docker-entrypoint-initdb.d). Safe to run again.
--
-- Four roles, two per service:
--   caution_migrator, notify_migrator  own their service's schema and everything in it; `python -m services.migrate`
--                                      (the Job in k8s/migrate.yaml, `make migrate`) connects as them, and nothing else.
--   caution_app, notify_app            what the service's processes connect as: read and write rows in their own
--                                      schema's tables, nothing more. They cannot create, alter, drop or truncate a
--                                      table, and cannot see the other service's schema, so a flaw in one service
--                                      (an injected statement, a stolen URL) reaches neither its own schema's shape nor
--                                      the other service's data. The services therefore run with
--                                      CARA_MIGRATE_AT_START=false / CARA_NOTIFY_MIGRATE_AT_START=false, and refuse to
--                                      start while the schema is behind their code.
--
-- psql variables (-v name=value) override the names, so the tests can run this beside other runs on one server:
-- role_prefix (prepended to the four role names), caution_schema, notify_schema. Passwords come from the
-- environment psql runs in; a role whose variable is unset gets none (trust or certificate authentication).

\set ON_ERROR_STOP on
\if :{?role_prefix} \else \set role_prefix '' \endif
\if :{?caution_schema} \else \set caution_schema caution_service \endif
\if :{?notify_schema} \else \set notify_schema notification_service \endif
\set caution_migrator :role_prefix caution_migrator
\set caution_app :role_prefix caution_app
\set notify_migrator :role_prefix notify_migrator
\set notify_app :role_prefix notify_app
\getenv caution_migrator_password CARA_CAUTION_MIGRATOR_PASSWORD
\getenv caution_app_password CARA_CAUTION_APP_PASSWORD
\getenv notify_migrator_password CARA_NOTIFY_MIGRATOR_PASSWORD
\getenv notify_app_password CARA_NOTIFY_APP_PASSWORD

-- Nobody but these roles (and superusers) connects, and no role creates anything outside its schema. PUBLIC's
-- TEMPORARY goes too: nothing here needs temporary tables.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SELECT format('CREATE ROLE %I LOGIN', name) FROM unnest(ARRAY[:'caution_migrator', :'caution_app',
    :'notify_migrator', :'notify_app']) AS name WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I, %I, %I', current_database(), :'caution_migrator',
    :'caution_app', :'notify_migrator', :'notify_app') \gexec

\if :{?caution_migrator_password}
ALTER ROLE :"caution_migrator" PASSWORD :'caution_migrator_password';
\endif
\if :{?caution_app_password}
ALTER ROLE :"caution_app" PASSWORD :'caution_app_password';
\endif
\if :{?notify_migrator_password}
ALTER ROLE :"notify_migrator" PASSWORD :'notify_migrator_password';
\endif
\if :{?notify_app_password}
ALTER ROLE :"notify_app" PASSWORD :'notify_app_password';
\endif

-- Unqualified names resolve in the role's own schema, whatever the URL says.
ALTER ROLE :"caution_migrator" SET search_path = :"caution_schema";
ALTER ROLE :"caution_app" SET search_path = :"caution_schema";
ALTER ROLE :"notify_migrator" SET search_path = :"notify_schema";
ALTER ROLE :"notify_app" SET search_path = :"notify_schema";

-- The caution service. A schema made by an earlier version of this script (owned by the superuser, with the
-- services connecting as it) is handed to the migrator, tables and their sequences included.
CREATE SCHEMA IF NOT EXISTS :"caution_schema" AUTHORIZATION :"caution_migrator";
ALTER SCHEMA :"caution_schema" OWNER TO :"caution_migrator";
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'caution_migrator')
    FROM pg_tables WHERE schemaname = :'caution_schema' \gexec
REVOKE ALL ON SCHEMA :"caution_schema" FROM PUBLIC;
GRANT USAGE ON SCHEMA :"caution_schema" TO :"caution_app";  -- USAGE, not CREATE: no new tables, views or functions
-- Rows only: no TRUNCATE (a whole table gone in one statement), no REFERENCES, no TRIGGER. UPDATE stays on the event
-- store's tables too: the recorder takes LOCK TABLE ... IN EXCLUSIVE MODE to commit positions in order, and
-- PostgreSQL asks for UPDATE, DELETE or TRUNCATE for that. Sequences: USAGE, for the ids the tables hand out.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"caution_schema" TO :"caution_app";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA :"caution_schema" TO :"caution_app";
-- ... and the same on every table and sequence a later migration makes: the migrator creates them, so its defaults.
ALTER DEFAULT PRIVILEGES FOR ROLE :"caution_migrator" IN SCHEMA :"caution_schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"caution_app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"caution_migrator" IN SCHEMA :"caution_schema"
    GRANT USAGE ON SEQUENCES TO :"caution_app";

-- The notification service: the same shape on its own schema.
CREATE SCHEMA IF NOT EXISTS :"notify_schema" AUTHORIZATION :"notify_migrator";
ALTER SCHEMA :"notify_schema" OWNER TO :"notify_migrator";
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'notify_migrator')
    FROM pg_tables WHERE schemaname = :'notify_schema' \gexec
REVOKE ALL ON SCHEMA :"notify_schema" FROM PUBLIC;
GRANT USAGE ON SCHEMA :"notify_schema" TO :"notify_app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"notify_schema" TO :"notify_app";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA :"notify_schema" TO :"notify_app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"notify_migrator" IN SCHEMA :"notify_schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"notify_app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"notify_migrator" IN SCHEMA :"notify_schema"
    GRANT USAGE ON SEQUENCES TO :"notify_app";
