-- One database per service, each owned by that service's own login role (ARCHITECTURE §1, §7).
-- Run once by the postgres image's entrypoint, as the superuser, on an empty data directory.
-- Passwords come from the container's environment (psql 15+ \getenv), which deploy/compose.yaml fills with
-- the same values it gives each service in DATABASE_URL; a missing variable stops the initialisation.
-- A role owns only its database: no superuser, no CREATEDB, no CREATEROLE, and no CONNECT on the others.
\set ON_ERROR_STOP on

\getenv intake_password INTAKE_DB_PASSWORD
\getenv routing_password ROUTING_DB_PASSWORD
\getenv sla_password SLA_DB_PASSWORD
\getenv sanctions_password SANCTIONS_DB_PASSWORD
\getenv reporting_password REPORTING_DB_PASSWORD

CREATE ROLE intake LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'intake_password';
CREATE ROLE routing LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'routing_password';
CREATE ROLE sla LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'sla_password';
CREATE ROLE sanctions LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'sanctions_password';
CREATE ROLE reporting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'reporting_password';

-- The owner of a database owns its `public` schema (pg_database_owner, PostgreSQL 15+), so each role can run
-- its own migrations there and nobody else can create objects in it.
CREATE DATABASE intake OWNER intake ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE routing OWNER routing ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE sla OWNER sla ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE sanctions OWNER sanctions ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE reporting OWNER reporting ENCODING 'UTF8' TEMPLATE template0;

-- New databases let every role (PUBLIC) connect and create temporary tables: only the owner may.
REVOKE ALL ON DATABASE intake FROM PUBLIC;
REVOKE ALL ON DATABASE routing FROM PUBLIC;
REVOKE ALL ON DATABASE sla FROM PUBLIC;
REVOKE ALL ON DATABASE sanctions FROM PUBLIC;
REVOKE ALL ON DATABASE reporting FROM PUBLIC;

-- The maintenance database `postgres` stays open to CONNECT: `migrate` checks there that its database exists
-- (tousu.kit.db.ensure_database); the roles can read the catalogue but create nothing (no CREATEDB, and
-- PostgreSQL 15+ gives PUBLIC no CREATE on the `public` schema).
