-- Stock (issue 20's second grain): products and their SKUs, locations, a level per SKU and
-- location, reservations with a TTL, orders, and the append-only movement log every level change
-- writes (README, "Stock").

CREATE TABLE products (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A variant of a product, sold by its SKU. `policy`: deny (never more than on hand), backorder
-- (up to `oversell_limit` units beyond it, null: no limit), preorder (like backorder until
-- `releases_at`, then deny). A kit (`is_kit`) has no stock of its own: it is its components.
CREATE TABLE skus (
  sku text PRIMARY KEY,
  product_id bigint NOT NULL REFERENCES products (id),
  name text NOT NULL,
  policy text NOT NULL DEFAULT 'deny' CHECK (policy IN ('deny', 'backorder', 'preorder')),
  oversell_limit int CHECK (oversell_limit >= 0),
  releases_at timestamptz,
  low_stock_threshold int NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
  price bigint NOT NULL DEFAULT 0,
  is_kit boolean NOT NULL DEFAULT false,
  CHECK (policy <> 'preorder' OR releases_at IS NOT NULL)
);

CREATE TABLE kit_components (
  kit_sku text NOT NULL REFERENCES skus (sku),
  component_sku text NOT NULL REFERENCES skus (sku),
  quantity int NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (kit_sku, component_sku)
);

CREATE TABLE locations (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per stock SKU and location, made when either is created. `reserved` counts units held
-- by active reservations; on hand minus reserved is what can be promised. `on_hand` goes below
-- zero only for backordered and preordered units sold before they arrived. `version` grows at
-- every change (the optimistic strategy's check). Rows are locked in (sku, location_id) order.
CREATE TABLE stock_levels (
  sku text NOT NULL REFERENCES skus (sku),
  location_id text NOT NULL REFERENCES locations (id),
  on_hand int NOT NULL DEFAULT 0,
  reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  version int NOT NULL DEFAULT 0,
  PRIMARY KEY (sku, location_id)
);

-- Reservation: active -> confirmed | cancelled | expired.
CREATE TABLE reservations (
  id text PRIMARY KEY,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'confirmed', 'cancelled', 'expired')),
  expires_at timestamptz NOT NULL,
  amount bigint NOT NULL,            -- the items at their SKUs' prices when reserved (minor units)
  order_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX reservations_active_expiry ON reservations (expires_at) WHERE state = 'active';

-- What a reservation holds, per stock SKU and location (a kit's components, each line naming the
-- kit in `for_sku`). `backordered`: units of the line beyond what was on hand when reserved.
-- `returned`: units of the line put back after the order.
CREATE TABLE reservation_lines (
  reservation_id text NOT NULL REFERENCES reservations (id),
  line int NOT NULL,
  sku text NOT NULL,
  location_id text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  for_sku text NOT NULL,
  backordered int NOT NULL DEFAULT 0,
  returned int NOT NULL DEFAULT 0 CHECK (returned >= 0 AND returned <= quantity),
  PRIMARY KEY (reservation_id, line)
);
CREATE INDEX reservation_lines_sku ON reservation_lines (sku);

-- Order: placed -> cancelled. One per confirmed reservation (the unique key: exactly once).
CREATE TABLE stock_orders (
  id text PRIMARY KEY,
  reservation_id text NOT NULL UNIQUE REFERENCES reservations (id),
  state text NOT NULL DEFAULT 'placed' CHECK (state IN ('placed', 'cancelled')),
  amount bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz
);

-- Every change of a level, as deltas: the sum of a level's movements is the level (the rebuild
-- compares them). kind: receive, adjust, reserve, release, expire, sell, cancel, return.
CREATE TABLE stock_movements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku text NOT NULL,
  location_id text NOT NULL,
  kind text NOT NULL,
  on_hand_delta int NOT NULL,
  reserved_delta int NOT NULL,
  reservation_id text,
  order_id text,
  note text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_level ON stock_movements (sku, location_id, id);

-- Append-only: the log is the audit trail, so nothing may rewrite it.
CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_movements is append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();
