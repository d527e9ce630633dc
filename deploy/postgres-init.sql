-- One database, one schema per service (ARCHITECTURE.md).
CREATE SCHEMA IF NOT EXISTS caution_service;
CREATE SCHEMA IF NOT EXISTS notification_service;
