-- Bring-your-own activations: contrast-pair activations uploaded as .npy / .safetensors
-- (x⁺, x⁻ as n×d, optional labels), probed by jobs without running a model.
CREATE TABLE activation_sets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,
  n           integer NOT NULL CHECK (n > 0),
  dim         integer NOT NULL CHECK (dim > 0),
  has_labels  boolean NOT NULL,
  sha256      text NOT NULL,
  path        text NOT NULL,
  bytes       bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activation_sets_tenant ON activation_sets (tenant_id, created_at DESC);
