-- key-auth keys are kept as SHA-256 digests only (config/key-hash.ts): rows stored before hold the
-- key itself; replace it by its digest.
UPDATE entities
SET body = jsonb_set(body, '{key_hash}', to_jsonb(encode(sha256(convert_to(body->>'key', 'UTF8')), 'hex')))
           || '{"key": null}'::jsonb
WHERE kind = 'keyauth_credentials' AND body->>'key' IS NOT NULL;
