/** The stock side's errors: each refusal has its status and an INVENTORY_* code (README, Errors). */
import { AppError, invalidParams } from '../../../platform/errors.js'

const list = (xs: string[]) => `${xs.slice(0, 20).join(', ')}${xs.length > 20 ? ', ...' : ''}`

export const StockErrors = {
  invalid: (name: string, reason: string) =>
    invalidParams('INVENTORY_INVALID_STOCK', 400, [{ name, reason }]),
  unknownSkus: (skus: string[]) =>
    new AppError('INVENTORY_UNKNOWN_SKUS', 422, `no SKU ${list(skus)}`, { extensions: { skus } }),
  unknownLocations: (locations: string[]) =>
    new AppError('INVENTORY_UNKNOWN_LOCATIONS', 422, `no location ${list(locations)}`, {
      extensions: { locations },
    }),
  skuExists: (skus: string[]) =>
    new AppError('INVENTORY_SKU_EXISTS', 409, `SKU ${list(skus)} already exists`, { extensions: { skus } }),
  locationExists: (id: string) =>
    new AppError('INVENTORY_LOCATION_EXISTS', 409, `location ${id} already exists`),
  insufficient: (skus: string[]) =>
    new AppError('INVENTORY_INSUFFICIENT_STOCK', 409, `not enough stock of ${list(skus)}`, {
      extensions: { skus },
    }),
  contended: (attempts: number) =>
    new AppError(
      'INVENTORY_CONTENDED',
      409,
      `the stock kept changing during ${attempts} attempts; try again`,
      {
        headers: { 'retry-after': '1' },
      },
    ),
  reservationNotFound: (id: string) =>
    new AppError('INVENTORY_RESERVATION_NOT_FOUND', 404, `reservation ${id} does not exist`),
  reservationConfirmed: (id: string, orderId: string | null) =>
    new AppError('INVENTORY_RESERVATION_CONFIRMED', 409, `reservation ${id} is already confirmed`, {
      extensions: { orderId },
    }),
  reservationExpired: (id: string) =>
    new AppError('INVENTORY_RESERVATION_EXPIRED', 409, `reservation ${id} has expired`),
  reservationCancelled: (id: string) =>
    new AppError('INVENTORY_RESERVATION_CANCELLED', 409, `reservation ${id} was cancelled`),
  orderNotFound: (id: string) => new AppError('INVENTORY_ORDER_NOT_FOUND', 404, `order ${id} does not exist`),
  orderCancelled: (id: string) => new AppError('INVENTORY_ORDER_CANCELLED', 409, `order ${id} is cancelled`),
  overReturn: (sku: string, left: number) =>
    new AppError('INVENTORY_OVER_RETURN', 409, `only ${left} unit(s) of ${sku} can still be returned`, {
      extensions: { sku, returnable: left },
    }),
  negativeStock: (sku: string, location: string) =>
    new AppError(
      'INVENTORY_NEGATIVE_STOCK',
      409,
      `the adjustment would take ${sku} at ${location} below zero`,
    ),
}
