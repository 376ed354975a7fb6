-- Extraction throughput per job (texts run through the model and the seconds it took;
-- cache hits count neither), for the sonde_extract_texts_per_second metric.
ALTER TABLE jobs ADD COLUMN extract_texts integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN extract_seconds double precision NOT NULL DEFAULT 0;
