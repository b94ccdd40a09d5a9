-- Run by the postgres image on first start: heardback's own database (the shared delivery
-- ledger), separate from Temporal's.
CREATE DATABASE heardback;
