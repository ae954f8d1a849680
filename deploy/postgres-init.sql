-- One database per service (each service owns its tables and migrations).
CREATE DATABASE scoring;
CREATE DATABASE officers;
CREATE DATABASE warnings;
CREATE DATABASE gateway;
