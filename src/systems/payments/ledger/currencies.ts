/**
 * The currencies the ledger accepts: ISO 4217's active codes, lower-case as Stripe writes them.
 * An account holds one currency; a transfer moves one currency between two accounts of it.
 * Amounts are always integers in the currency's minor unit (cents for usd, yen for jpy).
 */
const CODES =
  'aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp byn bzd ' +
  'cad cdf chf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd ' +
  'gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt ' +
  'lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad ngn nio nok npr ' +
  'nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd shp sle sll sos srd ' +
  'ssp stn svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves vnd vuv wst xaf xcd ' +
  'xof xpf yer zar zmw zwl'

export const CURRENCIES: ReadonlySet<string> = new Set(CODES.split(' '))

/** Whether `code` is a currency the ledger knows (lower-case ISO 4217). */
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code)
}
