CREATE TABLE things (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  count int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
