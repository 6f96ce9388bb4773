-- One database and one role per service: no service can read another's store.
-- Run by init.sh with the role password as the psql variable db_password (from
-- SERVICES_DB_PASSWORD); no password is written here.
CREATE ROLE sopdesk_intake LOGIN PASSWORD :'db_password';
CREATE ROLE sopdesk_triage LOGIN PASSWORD :'db_password';
CREATE ROLE sopdesk_dispatch LOGIN PASSWORD :'db_password';
CREATE ROLE sopdesk_followup LOGIN PASSWORD :'db_password';
CREATE ROLE sopdesk_analytics LOGIN PASSWORD :'db_password';
CREATE DATABASE sopdesk_intake OWNER sopdesk_intake;
CREATE DATABASE sopdesk_triage OWNER sopdesk_triage;
CREATE DATABASE sopdesk_dispatch OWNER sopdesk_dispatch;
CREATE DATABASE sopdesk_followup OWNER sopdesk_followup;
CREATE DATABASE sopdesk_analytics OWNER sopdesk_analytics;
