-- One database and one role per service: no service can read another's store.
-- The passwords here are examples for docker-compose; use real secrets elsewhere.
CREATE ROLE sopdesk_intake LOGIN PASSWORD 'change-me';
CREATE ROLE sopdesk_triage LOGIN PASSWORD 'change-me';
CREATE ROLE sopdesk_dispatch LOGIN PASSWORD 'change-me';
CREATE ROLE sopdesk_followup LOGIN PASSWORD 'change-me';
CREATE ROLE sopdesk_analytics LOGIN PASSWORD 'change-me';
CREATE DATABASE sopdesk_intake OWNER sopdesk_intake;
CREATE DATABASE sopdesk_triage OWNER sopdesk_triage;
CREATE DATABASE sopdesk_dispatch OWNER sopdesk_dispatch;
CREATE DATABASE sopdesk_followup OWNER sopdesk_followup;
CREATE DATABASE sopdesk_analytics OWNER sopdesk_analytics;
